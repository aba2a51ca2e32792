//! What the caller wants, by grammar: keyword phrases on word boundaries,
//! checked in a fixed order. Emergencies come first, then requests for a
//! person, then the specific requests, then the conversational ones (bye,
//! backchannel, yes, no).

use super::symptoms::mentions_symptom;
use super::text::{Phrases, words};
use crate::tier::Tier;

/// What one caller utterance asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    /// Is a medication covered, its tier, copay, deductible.
    Coverage,
    /// Whether a medication needs prior authorization, and on what terms.
    PriorAuth,
    /// A refill of a current prescription.
    Refill,
    /// Status of a prescription or order.
    Status,
    /// A side effect to report.
    SideEffect,
    /// A transfer to a person.
    Human,
    /// A medical emergency.
    Emergency,
    /// The caller is done.
    Goodbye,
    /// Opening hours.
    Hours,
    /// A new prescription (or a transfer of one).
    NewPrescription,
    /// A question about a controlled substance.
    ControlledSubstance,
    /// Whether medications (or food, alcohol) interact.
    Interaction,
    /// Any other clinical question (dosing, pregnancy, missed doses).
    ClinicalQuestion,
    /// Cash price of a medication.
    Price,
    /// A refund.
    Refund,
    /// A complaint.
    Complaint,
    /// Agreement.
    Yes,
    /// Refusal.
    No,
    /// "mm-hm", "uh-huh", "okay", "yeah", "right" on their own: listening, not taking the turn.
    Backchannel,
    /// Which medications are on file ("what am I taking?").
    Medications,
    /// "What?", "can you repeat that?": say the last thing again.
    Repeat,
    /// "Hold on a second": the caller needs a moment.
    Hold,
    /// The caller does not want to give their name or date of birth.
    RefusesVerification,
    /// Nothing recognised.
    Unknown,
}

impl Intent {
    /// Every intent, [`Intent::Unknown`] last.
    pub const ALL: [Intent; 24] = [
        Self::Coverage,
        Self::PriorAuth,
        Self::Refill,
        Self::Status,
        Self::SideEffect,
        Self::Human,
        Self::Emergency,
        Self::Goodbye,
        Self::Hours,
        Self::NewPrescription,
        Self::ControlledSubstance,
        Self::Interaction,
        Self::ClinicalQuestion,
        Self::Price,
        Self::Refund,
        Self::Complaint,
        Self::Yes,
        Self::No,
        Self::Backchannel,
        Self::Medications,
        Self::Repeat,
        Self::Hold,
        Self::RefusesVerification,
        Self::Unknown,
    ];

    /// The intent whose [`Intent::label`] is `label`.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.label() == label)
    }

    /// Stable snake_case label (metrics, staff task reasons).
    pub fn label(self) -> &'static str {
        match self {
            Self::Coverage => "coverage",
            Self::PriorAuth => "prior_auth",
            Self::Refill => "refill",
            Self::Status => "status",
            Self::SideEffect => "side_effect",
            Self::Human => "human",
            Self::Emergency => "emergency",
            Self::Goodbye => "goodbye",
            Self::Hours => "hours",
            Self::NewPrescription => "new_prescription",
            Self::ControlledSubstance => "controlled_substance",
            Self::Interaction => "interaction",
            Self::ClinicalQuestion => "clinical_question",
            Self::Price => "price",
            Self::Refund => "refund",
            Self::Complaint => "complaint",
            Self::Yes => "yes",
            Self::No => "no",
            Self::Backchannel => "backchannel",
            Self::Medications => "medications",
            Self::Repeat => "repeat",
            Self::Hold => "hold",
            Self::RefusesVerification => "refuses_verification",
            Self::Unknown => "unknown",
        }
    }

    /// Who would handle this request if staff did (see [`Tier`]).
    pub fn tier(self) -> Tier {
        match self {
            Self::Refill | Self::Status | Self::Hours | Self::Medications => Tier::T0,
            Self::Goodbye | Self::Yes | Self::No | Self::Backchannel | Self::Unknown => Tier::T0,
            Self::Repeat | Self::Hold | Self::RefusesVerification => Tier::T0,
            Self::Coverage | Self::PriorAuth | Self::Human => Tier::T1,
            Self::SideEffect | Self::Emergency | Self::NewPrescription => Tier::T2,
            Self::ControlledSubstance | Self::Interaction | Self::ClinicalQuestion => Tier::T2,
            Self::Price | Self::Refund | Self::Complaint => Tier::T3,
        }
    }

    /// Whether answering needs a verified caller: anything about the
    /// caller's record, or a request staff must call back about.
    pub fn needs_verification(self) -> bool {
        !matches!(
            self,
            Self::Human
                | Self::Emergency
                | Self::Goodbye
                | Self::Hours
                | Self::Yes
                | Self::No
                | Self::Backchannel
                | Self::Repeat
                | Self::Hold
                | Self::RefusesVerification
                | Self::Unknown
        )
    }
}

#[rustfmt::skip]
const EMERGENCY: &[&str] = &[
    "chest pain*", "can't breathe", "cant breathe", "cannot breathe", "can not breathe", "couldn't breathe",
    "trouble breathing", "difficulty breathing", "hard to breathe", "struggling to breathe", "not breathing",
    "stopped breathing", "overdos*", "took too many", "took too much", "suicid*", "kill myself", "killing myself",
    "end my life", "want to die", "hurt myself", "unconscious", "unresponsive", "won't wake up", "passed out",
    "seizing", "anaphyla*", "throat is closing", "throat closing", "throat is swelling", "throat swelling",
    "heart attack", "having a stroke",
];
const SEIZURE_MEDICINE: &[&str] = &[
    "seizure medication*",
    "seizure medicine*",
    "seizure med*",
    "seizure drug*",
];
#[rustfmt::skip]
const HUMAN: &[&str] = &[
    "agent", "agents", "representative", "pharmacist", "human", "real person", "live person", "actual person",
    "operator", "talk to a person", "speak to a person", "speak with a person", "talk to someone", "speak to someone",
    "speak with someone", "talk to somebody", "speak to somebody", "speak with somebody", "talk with someone",
    "talk with somebody", "connect me with someone", "connect me to someone", "connect me with somebody",
    "connect me to somebody", "put me through to someone", "put me through to somebody",
];
#[rustfmt::skip]
const PRIOR_AUTH: &[&str] = &[
    "prior auth*", "pre auth*", "preauth*", "prior approval", "pre approval", "preapproval", "a pa", "the pa", "my pa",
    "pa form", "pa request", "pa required", "need pa", "needs pa", "p a", "authoriz*", "authoris*", "step therapy",
    // "prior" then a word the recogniser made of "authorization".
    "need a prior", "needs a prior", "need prior", "needs prior", "require a prior", "requires a prior",
    "the prior or", "a prior or", "prior for", "the prior for",
    // "-ization" cut off its word ("off-ization").
    "ization",
];
#[rustfmt::skip]
const INTERACTION: &[&str] = &[
    "interact*", "together with", "at the same time as", "mix*", "combin*", "along with", "contraindicat*",
];
#[rustfmt::skip]
const CONTROLLED: &[&str] = &[
    "controlled substance*", "controlled medication*", "narcotic*", "opioid*", "opiate*", "oxycodone", "oxycontin",
    "hydrocodone", "percocet", "vicodin", "adderall", "ritalin", "xanax", "valium", "ativan", "klonopin", "fentanyl",
    "morphine", "codeine", "tramadol", "suboxone", "methadone", "ambien", "schedule two", "schedule ii", "schedule 2",
];
#[rustfmt::skip]
const NEW_PRESCRIPTION: &[&str] = &[
    "new prescription*", "new script", "new rx", "new medication", "new medicine", "transfer a prescription",
    "transfer my prescription*", "sent a prescription", "sent in a prescription", "sent over a prescription",
    "send a prescription", "called in a prescription", "prescribed me", "just prescribed", "doctor prescribed",
    "fill a new",
];
#[rustfmt::skip]
const REFUND: &[&str] = &[
    "refund*", "money back", "overcharg*", "charged twice", "double charged", "charged me twice", "reimburs*",
];
#[rustfmt::skip]
const COMPLAINT: &[&str] = &[
    "complain*", "grievance", "unacceptable", "rude", "terrible service", "awful service", "bad service",
    "poor service", "manager", "supervisor", "ridiculous",
];
#[rustfmt::skip]
const SIDE_EFFECT: &[&str] = &[
    "side effect*", "reaction", "adverse", "making me", "made me", "makes me", "since starting", "since i started",
    "since i began", "since taking", "after taking", "after starting", "after i started", "after i took",
];
#[rustfmt::skip]
const COVERAGE: &[&str] = &[
    "cover*", "copay*", "co pay*", "copayment", "coinsurance", "formulary", "tier", "tiers", "deductible", "benefit*",
    "insurance", "out of pocket", "my plan*", "eligib*",
];
/// What the caller will pay themselves: on a benefits line that is their
/// cost share under the plan (a coverage question), unless they ask about
/// paying without it ([`CASH`]).
#[rustfmt::skip]
const MY_COST: &[&str] = &[
    "how much do i pay", "how much will i pay", "how much would i pay", "how much do i have to pay",
    "how much will i have to pay", "how much am i going to pay", "how much am i gonna pay", "what do i pay",
    "what will i pay", "what would i pay", "what's my cost", "what is my cost",
    // "pay" as a noisy line often comes through.
    "how much do i play", "how much will i play", "how much would i play",
];
/// Paying without the plan.
#[rustfmt::skip]
const CASH: &[&str] = &[
    "cash", "without insurance", "without my insurance", "without the insurance", "no insurance", "uninsured",
    "don't use my insurance", "not use my insurance", "coupon*", "discount*", "cheaper", "price*",
];
#[rustfmt::skip]
const PRICE: &[&str] = &[
    "price*", "cost*", "how much", "cash", "cheaper", "discount*", "coupon*", "expensive", "afford*", "pay for",
];
#[rustfmt::skip]
const REFILL: &[&str] = &[
    "refill*", "renew*", "ran out", "run out", "running out", "more of my", "reorder",
];
#[rustfmt::skip]
const STATUS: &[&str] = &[
    "status", "prescription ready", "is it ready", "ready for pick up", "ready for pickup", "ready yet", "my order",
    "the order", "order status", "shipped", "shipping", "deliver*", "where is my", "track*", "when will it be ready",
    "when can i pick",
];
#[rustfmt::skip]
const CLINICAL: &[&str] = &[
    "dose", "doses", "dosage", "dosing", "how should i take", "how do i take", "how to take", "can i take",
    "should i take", "is it safe", "safe to", "pregnan*", "breastfeed*", "breast feed*", "missed a dose",
    "miss a dose", "stop taking", "with food", "empty stomach", "alcohol", "generic", "what is it for",
    "what's it for", "store it", "refrigerat*", "expire*",
];
#[rustfmt::skip]
const HOURS: &[&str] = &[
    "hours", "are you open", "you open", "open today", "open on", "open tomorrow", "open until", "when do you open",
    "when do you close", "what time do you", "what time are you", "closing time", "close today",
];
#[rustfmt::skip]
const GOODBYE: &[&str] = &[
    "goodbye", "good bye", "bye", "that's all", "that is all", "that's it", "that is it", "that'll be all",
    "nothing else", "no more questions", "have a good day", "have a nice day", "hang up", "i'm done", "all set",
];
#[rustfmt::skip]
const THANKS: &[&str] = &[
    "thanks", "thank you", "thanks so much", "thank you so much", "thank you very much", "ok thanks", "okay thanks",
    "okay thank you", "ok thank you",
];
#[rustfmt::skip]
const BACKCHANNEL_WORDS: &[&str] = &[
    "mm", "hm", "hmm", "mhm", "mmhm", "mmhmm", "mmm", "uh", "huh", "um", "uhm", "ah", "okay", "ok", "yeah", "right",
    "alright", "gotcha",
];
const BACKCHANNEL_PHRASES: &[&str] = &["i see", "got it", "uh huh", "mm hmm", "mm hm"];
/// Words that carry nothing on their own; the recogniser also writes them
/// for a backchannel it mishears ("Uh-huh." as "And then.").
const FILLER_WORDS: &[&str] = &["and", "then", "so", "oh", "well"];
#[rustfmt::skip]
const YES: &[&str] = &[
    "yes", "yeah", "yep", "yup", "sure", "correct", "absolutely", "definitely", "affirmative", "of course", "i do",
    "that's right", "that is right", "that's correct",
];
#[rustfmt::skip]
const NO: &[&str] = &[
    "no", "nope", "nah", "not really", "i'm good", "i'm fine", "nothing", "i don't think so", "negative",
];
#[rustfmt::skip]
const MEDICATIONS: &[&str] = &[
    "what am i taking", "what i'm taking", "what i am taking", "what am i on", "what i'm on", "my medications",
    "my medication list", "my medicines", "my meds", "my prescriptions", "medication list", "list of my",
    "what medications", "what medicines", "which medications", "which medicines", "what prescriptions",
    "what meds",
];
#[rustfmt::skip]
const REPEAT: &[&str] = &[
    "repeat that", "repeat it", "repeat yourself", "say that again", "say it again", "say again", "come again",
    "pardon", "pardon me", "what was that", "what did you say", "didn't catch that", "didn't hear", "did not hear",
    "couldn't hear", "can you repeat", "could you repeat", "please repeat", "one more time",
];
const REPEAT_ALONE: &[&str] = &[
    "what",
    "sorry",
    "excuse me",
    "huh",
    "sorry what",
    "what sorry",
    "i'm sorry",
];
#[rustfmt::skip]
const HOLD: &[&str] = &[
    "hold on", "hang on", "one second", "one sec", "a second", "a sec", "one moment", "a moment", "just a minute",
    "a minute", "bear with me", "give me a second", "let me check", "let me find", "let me get", "let me look",
];
#[rustfmt::skip]
const REFUSE_VERIFY: &[&str] = &[
    "don't want to give", "dont want to give", "do not want to give", "rather not give", "rather not say",
    "not giving you", "won't give", "will not give", "not going to give", "don't want to tell", "rather not tell",
    "don't want to say my", "why do you need my", "why do you need to know", "skip the verification",
    "without verifying", "without giving",
];
/// Words that turn the request after them around ("I don't need a representative").
const NEGATORS: &[&str] = &[
    "don't", "dont", "not", "never", "without", "doesn't", "didn't", "won't", "wouldn't", "isn't",
];
/// How many words after a negator it covers.
const NEGATION_REACH: usize = 4;
/// Verbs of reported speech ("my pharmacist told me …").
const REPORTING: &[&str] = &[
    "told",
    "said",
    "says",
    "say",
    "mentioned",
    "recommended",
    "thinks",
    "thought",
    "asked",
    "wanted",
    "wants",
    "suggested",
    "explained",
    "called",
];
/// Who a request for a person names, alone.
const PERSON_WORDS: &[&str] = &["agent", "agents", "representative", "pharmacist", "human", "operator"];
#[rustfmt::skip]
const LEAD_INS: &[&str] = &[
    "oh", "um", "uh", "well", "so", "actually",
];

/// Whether `text` is only a backchannel: "mm-hm", "uh-huh", "okay", "yeah",
/// "right", "I see", or fillers with nothing else ("oh", "and then": at
/// most four words).
pub fn is_backchannel(text: &str) -> bool {
    let w = words(text);
    if w.is_empty() || w.len() > 4 {
        return false;
    }
    let joined = w.join(" ");
    BACKCHANNEL_PHRASES.contains(&joined.as_str())
        || w.iter()
            .all(|x| BACKCHANNEL_WORDS.contains(&x.as_str()) || FILLER_WORDS.contains(&x.as_str()))
}

/// Whether the words ask for a person, not just mention one: a request
/// inside a negation ("I don't need a representative") or a person as the
/// subject of reported speech ("my pharmacist told me …") does not count.
fn asks_for_person(w: &[String]) -> bool {
    let mut kept = vec![true; w.len()];
    for (i, word) in w.iter().enumerate() {
        if NEGATORS.contains(&word.as_str()) {
            let end = (i + 1 + NEGATION_REACH).min(w.len());
            kept[i + 1..end].iter_mut().for_each(|k| *k = false);
        }
        let reported = w[i + 1..(i + 3).min(w.len())]
            .iter()
            .any(|v| REPORTING.contains(&v.as_str()));
        if PERSON_WORDS.contains(&word.as_str()) && reported {
            kept[i] = false;
        }
    }
    // Split at the removed words so no phrase is stitched across a gap.
    let mut run: Vec<&str> = Vec::new();
    for (word, keep) in w.iter().zip(kept) {
        if keep {
            run.push(word);
        } else {
            if Phrases::from_words(&run).any(HUMAN) {
                return true;
            }
            run.clear();
        }
    }
    Phrases::from_words(&run).any(HUMAN)
}

/// The intent of `text` by grammar (see the module docs for the order).
pub fn classify(text: &str) -> Intent {
    let w = words(text);
    let p = Phrases::from_words(&w);
    if p.is_empty() {
        return Intent::Unknown;
    }
    let seizure = p.any(&["seizure", "seizures"]) && !p.any(SEIZURE_MEDICINE);
    if seizure || p.any(EMERGENCY) {
        return Intent::Emergency;
    }
    let take_with = p.any(&["take", "taking"]) && p.has("with") && p.any(&["can i", "safe", "okay", "ok"]);
    if p.any(REFUSE_VERIFY) {
        return Intent::RefusesVerification;
    }
    let ordered: [(Intent, bool); 11] = [
        (Intent::Human, asks_for_person(&w)),
        (Intent::PriorAuth, p.any(PRIOR_AUTH)),
        (Intent::Interaction, take_with || p.any(INTERACTION)),
        // A coverage question about a controlled drug is a benefits
        // question; filling one is the pharmacist's.
        (
            Intent::ControlledSubstance,
            p.any(CONTROLLED) && (!p.any(COVERAGE) || p.any(REFILL)),
        ),
        (Intent::NewPrescription, p.any(NEW_PRESCRIPTION)),
        (Intent::Refund, p.any(REFUND)),
        (Intent::Complaint, p.any(COMPLAINT)),
        (Intent::SideEffect, p.any(SIDE_EFFECT)),
        (Intent::Coverage, (p.any(COVERAGE) || p.any(MY_COST)) && !p.any(CASH)),
        (Intent::Price, p.any(PRICE)),
        (Intent::Refill, p.any(REFILL)),
    ];
    if let Some((intent, _)) = ordered.iter().find(|(_, hit)| *hit) {
        return *intent;
    }
    if p.any(STATUS) {
        return Intent::Status;
    }
    if p.any(MEDICATIONS) {
        return Intent::Medications;
    }
    if mentions_symptom(text) {
        return Intent::SideEffect;
    }
    if p.any(CLINICAL) {
        return Intent::ClinicalQuestion;
    }
    if p.any(HOURS) {
        return Intent::Hours;
    }
    let joined = w.join(" ");
    if p.any(GOODBYE) || THANKS.contains(&joined.as_str()) {
        return Intent::Goodbye;
    }
    if p.any(REPEAT) || REPEAT_ALONE.contains(&joined.as_str()) {
        return Intent::Repeat;
    }
    if w.len() <= 10 && p.any(HOLD) {
        return Intent::Hold;
    }
    if is_backchannel(text) {
        return Intent::Backchannel;
    }
    let start = w.iter().position(|x| !LEAD_INS.contains(&x.as_str())).unwrap_or(0);
    let rest = Phrases::from_words(&w[start..]);
    let starts = |list: &[&str]| list.iter().any(|y| rest.starts_with(y));
    // "Please" alone answers a question; "please refill …" is a request.
    if starts(YES) || w[start..].iter().map(String::as_str).eq(["please"]) {
        Intent::Yes
    } else if starts(NO) {
        Intent::No
    } else {
        Intent::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_intent() {
        let cases = [
            ("Is Ozempic covered?", Intent::Coverage),
            ("how much is my copay for metformin", Intent::Coverage),
            ("does my plan cover Humira", Intent::Coverage),
            ("Does Humira need prior authorization?", Intent::PriorAuth),
            ("does it need a PA", Intent::PriorAuth),
            ("do I need pre-authorization for Ozempic", Intent::PriorAuth),
            ("That my Amoxicillin needs a prior optimization.", Intent::PriorAuth),
            ("Do any the prior or Lexapro.", Intent::PriorAuth),
            ("The Adderal Re- Choir, off-ization, Unmiked land.", Intent::PriorAuth),
            ("I need a refill on my metformin", Intent::Refill),
            ("what's the status of my order", Intent::Status),
            ("is my prescription ready", Intent::Status),
            ("I think I'm having a side effect", Intent::SideEffect),
            ("I've been having nausea since starting Ozempic", Intent::SideEffect),
            ("I get headaches", Intent::SideEffect),
            ("let me talk to a representative", Intent::Human),
            ("agent", Intent::Human),
            ("can I speak to a real person", Intent::Human),
            ("I can't breathe", Intent::Emergency),
            ("my husband is unconscious", Intent::Emergency),
            ("that's all, goodbye", Intent::Goodbye),
            ("bye", Intent::Goodbye),
            ("thanks that's it", Intent::Goodbye),
            ("Thank you.", Intent::Goodbye),
            ("what are your hours", Intent::Hours),
            ("are you open on Sunday", Intent::Hours),
            ("my doctor sent in a new prescription", Intent::NewPrescription),
            ("I need my oxycodone filled", Intent::ControlledSubstance),
            ("Is my Oxycodone covered?", Intent::Coverage),
            ("I need my Xanax refilled, is it covered", Intent::ControlledSubstance),
            ("can I take ibuprofen with lisinopril", Intent::Interaction),
            ("does metformin interact with alcohol", Intent::Interaction),
            ("what dose should I be on", Intent::ClinicalQuestion),
            ("is it safe while pregnant", Intent::ClinicalQuestion),
            ("what's the cash price of Wegovy", Intent::Price),
            // What the caller pays is their cost share, even when "my plan" was misheard.
            ("how much do I play so far", Intent::Coverage),
            ("how much will I pay for Eliquis", Intent::Coverage),
            ("how much would I pay if I don't use my insurance", Intent::Price),
            ("how much is Ozempic without insurance", Intent::Price),
            ("I want a refund", Intent::Refund),
            ("I want to file a complaint", Intent::Complaint),
            ("yes", Intent::Yes),
            ("Yes, please.", Intent::Yes),
            ("Please.", Intent::Yes),
            // A request that begins with "please" is not a yes.
            ("Please connect me with someone.", Intent::Human),
            ("Please reach over can be the F-1E.", Intent::Unknown),
            ("um yes I have another question", Intent::Yes),
            ("no", Intent::No),
            ("nope", Intent::No),
            ("mm-hm", Intent::Backchannel),
            ("Uh-huh.", Intent::Backchannel),
            ("okay", Intent::Backchannel),
            ("yeah", Intent::Backchannel),
            ("right", Intent::Backchannel),
            ("the weather is nice", Intent::Unknown),
            ("", Intent::Unknown),
            ("John Smith March 3 1985", Intent::Unknown),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[test]
    fn emergency_and_human_take_precedence() {
        assert_eq!(classify("I need a refill, I overdosed on my pills"), Intent::Emergency);
        assert_eq!(classify("is chest pain a side effect of Ozempic"), Intent::Emergency);
        assert_eq!(classify("I want a pharmacist, my throat is closing"), Intent::Emergency);
        assert_eq!(
            classify("is Ozempic covered? actually just get me an agent"),
            Intent::Human
        );
        assert_eq!(classify("I'm having a seizure"), Intent::Emergency);
        assert_eq!(classify("I need a refill of my seizure medication"), Intent::Refill);
    }

    #[test]
    fn requests_not_mentions_and_conversation() {
        let cases = [
            (
                "I don't need a representative, I just want to know if my insurance is active",
                Intent::Coverage,
            ),
            (
                "My pharmacist told me Ozempic needs a prior authorization, is that right?",
                Intent::PriorAuth,
            ),
            ("the agent said my Humira is covered now", Intent::Coverage),
            ("No, I want a representative.", Intent::Human),
            ("can I talk to my pharmacist", Intent::Human),
            ("I don't want the robot, get me a representative", Intent::Human),
            (
                "I don't want to give my birthday, just tell me what I'm taking",
                Intent::RefusesVerification,
            ),
            ("why do you need my date of birth", Intent::RefusesVerification),
            ("what am I taking right now?", Intent::Medications),
            ("can you read me my medication list", Intent::Medications),
            ("I need a refill on my medications", Intent::Refill),
            ("What?", Intent::Repeat),
            ("Sorry, can you repeat that?", Intent::Repeat),
            ("I didn't catch that", Intent::Repeat),
            ("what is my copay for metformin", Intent::Coverage),
            ("Hold on a second.", Intent::Hold),
            ("hang on, let me get my card", Intent::Hold),
            ("okay you can hang up now", Intent::Goodbye),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), want, "{text:?}");
        }
    }

    #[test]
    fn labels_round_trip() {
        for i in Intent::ALL {
            assert_eq!(Intent::from_label(i.label()), Some(i));
        }
        assert_eq!(Intent::from_label("nonsense"), None);
    }

    #[test]
    fn tiers() {
        assert_eq!(Intent::Refill.tier(), Tier::T0);
        assert_eq!(Intent::Hours.tier(), Tier::T0);
        assert_eq!(Intent::PriorAuth.tier(), Tier::T1);
        assert_eq!(Intent::Human.tier(), Tier::T1);
        assert_eq!(Intent::Interaction.tier(), Tier::T2);
        assert_eq!(Intent::ControlledSubstance.tier(), Tier::T2);
        assert_eq!(Intent::Complaint.tier(), Tier::T3);
        assert_eq!(Intent::Price.tier(), Tier::T3);
        assert!(Intent::Coverage.needs_verification());
        assert!(!Intent::Hours.needs_verification());
        assert!(!Intent::Emergency.needs_verification());
    }

    #[test]
    fn backchannels() {
        assert!(is_backchannel("Mm-hm."));
        assert!(is_backchannel("yeah okay"));
        assert!(is_backchannel("I see"));
        assert!(!is_backchannel("yes"));
        assert!(!is_backchannel("okay so is my ozempic covered"));
        assert!(!is_backchannel(""));
    }
}
