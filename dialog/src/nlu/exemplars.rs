//! Labelled example requests for the second opinion on an intent: the
//! server embeds these once and labels an utterance the grammar did not
//! understand with the intent of the examples it is closest to (see
//! `telephony::intents`). Written as paraphrases of each intent's meaning,
//! apart from the held-out sets under `data/heldout/`; the grammar's own
//! development cases are among them.
//!
//! [`Intent::Unknown`] examples are things callers say that ask for none of
//! these: an utterance closest to them gets no opinion.

use super::Intent;

/// Example utterances and their intent.
#[rustfmt::skip]
pub const EXEMPLARS: &[(&str, Intent)] = &[
    // Coverage, copays, deductibles.
    ("is this medication covered by my insurance", Intent::Coverage),
    ("how much is my copay for this drug", Intent::Coverage),
    ("does my plan cover it", Intent::Coverage),
    ("what will my insurance pay for this prescription", Intent::Coverage),
    ("what is my cost for this medicine", Intent::Coverage),
    ("is it on the formulary", Intent::Coverage),
    ("how much have I paid toward my deductible", Intent::Coverage),
    ("is my insurance still active", Intent::Coverage),
    ("what does my plan charge me for a thirty day supply", Intent::Coverage),
    // Prior authorization.
    ("does this drug need prior authorization", Intent::PriorAuth),
    ("does my insurance have to approve it first", Intent::PriorAuth),
    ("what do I need to get it approved by my plan", Intent::PriorAuth),
    ("what is the status of the authorization request", Intent::PriorAuth),
    ("my insurance denied it and said it needs approval", Intent::PriorAuth),
    ("is a pre approval required for this medicine", Intent::PriorAuth),
    ("what are the requirements before the plan will cover it", Intent::PriorAuth),
    // Refills.
    ("I need a refill", Intent::Refill),
    ("please refill my prescription", Intent::Refill),
    ("I'm running low on my medicine", Intent::Refill),
    ("I'm out of my pills and need more", Intent::Refill),
    ("can you send more of my medication to my pharmacy", Intent::Refill),
    ("I need to reorder my medication", Intent::Refill),
    ("my prescription needs to be filled again", Intent::Refill),
    // Order status.
    ("what's the status of my order", Intent::Status),
    ("is my prescription ready for pickup", Intent::Status),
    ("has my order shipped", Intent::Status),
    ("when will my delivery arrive", Intent::Status),
    ("I'm still waiting for my medication to come in the mail", Intent::Status),
    ("did you get my refill request", Intent::Status),
    ("is my order on its way", Intent::Status),
    // Side effects.
    ("I think I'm having a side effect", Intent::SideEffect),
    ("this medicine is making me sick", Intent::SideEffect),
    ("I've had nausea since I started taking it", Intent::SideEffect),
    ("I feel dizzy after every dose", Intent::SideEffect),
    ("I broke out in a rash from the new pills", Intent::SideEffect),
    ("the medication gives me terrible headaches", Intent::SideEffect),
    ("I have stomach problems since starting the drug", Intent::SideEffect),
    ("I'm having a reaction to my medicine", Intent::SideEffect),
    // A person.
    ("let me talk to a representative", Intent::Human),
    ("can I speak to a real person", Intent::Human),
    ("transfer me to someone", Intent::Human),
    ("I want to talk to a human being", Intent::Human),
    ("connect me to an operator", Intent::Human),
    ("can I speak with the pharmacist", Intent::Human),
    ("I need to talk to somebody in person", Intent::Human),
    ("put a staff member on the phone", Intent::Human),
    // Emergencies.
    ("I can't breathe", Intent::Emergency),
    ("my husband is unconscious", Intent::Emergency),
    ("I took too many pills", Intent::Emergency),
    ("I'm having chest pain", Intent::Emergency),
    ("my throat is closing up", Intent::Emergency),
    ("someone passed out and won't wake up", Intent::Emergency),
    ("my face is swelling and I can't swallow", Intent::Emergency),
    ("I think I'm having a heart attack", Intent::Emergency),
    ("I want to hurt myself", Intent::Emergency),
    // Goodbye.
    ("that's all, goodbye", Intent::Goodbye),
    ("thanks, that's everything I needed", Intent::Goodbye),
    ("no, I'm done, thank you", Intent::Goodbye),
    ("okay, bye bye", Intent::Goodbye),
    ("that answers my question, have a nice day", Intent::Goodbye),
    ("I have nothing else, thanks for your help", Intent::Goodbye),
    // Hours.
    ("what are your hours", Intent::Hours),
    ("what time does the pharmacy open", Intent::Hours),
    ("when do you close", Intent::Hours),
    ("are you open on weekends", Intent::Hours),
    ("are you open today", Intent::Hours),
    ("what are your holiday hours", Intent::Hours),
    // New prescriptions and transfers in.
    ("my doctor sent in a new prescription", Intent::NewPrescription),
    ("I have a new prescription to fill", Intent::NewPrescription),
    ("I want to transfer a prescription from another pharmacy", Intent::NewPrescription),
    ("my physician called in something new for me", Intent::NewPrescription),
    ("can you fill a prescription from a different doctor", Intent::NewPrescription),
    // Controlled substances.
    ("I need my oxycodone filled", Intent::ControlledSubstance),
    ("can I get my pain medication refilled early", Intent::ControlledSubstance),
    ("I need more of my controlled medication", Intent::ControlledSubstance),
    ("my narcotic prescription ran out", Intent::ControlledSubstance),
    ("can you refill my Adderall", Intent::ControlledSubstance),
    // Interactions.
    ("can I take ibuprofen with this", Intent::Interaction),
    ("does this interact with alcohol", Intent::Interaction),
    ("is it safe to combine these two medicines", Intent::Interaction),
    ("can I drink while taking this", Intent::Interaction),
    ("will my vitamins interfere with this drug", Intent::Interaction),
    // Other clinical questions.
    ("what dose should I be taking", Intent::ClinicalQuestion),
    ("is it safe during pregnancy", Intent::ClinicalQuestion),
    ("what should I do if I missed a dose", Intent::ClinicalQuestion),
    ("should I take it in the morning or at night", Intent::ClinicalQuestion),
    ("can I crush the tablets", Intent::ClinicalQuestion),
    ("how long should I keep taking it", Intent::ClinicalQuestion),
    // Cash prices.
    ("what's the cash price", Intent::Price),
    ("how much does it cost without insurance", Intent::Price),
    ("do you have a discount card or coupon", Intent::Price),
    ("is there a less expensive option", Intent::Price),
    ("how much would I pay if I don't use my insurance", Intent::Price),
    // Refunds.
    ("I want a refund", Intent::Refund),
    ("I was billed twice", Intent::Refund),
    ("I should get my money back", Intent::Refund),
    ("there's a wrong charge on my card", Intent::Refund),
    // Complaints.
    ("I want to file a complaint", Intent::Complaint),
    ("the service has been terrible", Intent::Complaint),
    ("the staff were rude to me", Intent::Complaint),
    ("I'm very upset about how this was handled", Intent::Complaint),
    ("this is the third time I've called about this", Intent::Complaint),
    // The medication list.
    ("what am I taking right now", Intent::Medications),
    ("can you read me my medication list", Intent::Medications),
    ("which medications are on my profile", Intent::Medications),
    ("what prescriptions do I have with you", Intent::Medications),
    ("tell me my current medications", Intent::Medications),
    ("what drugs am I on", Intent::Medications),
    // Say it again.
    ("what did you say", Intent::Repeat),
    ("can you repeat that", Intent::Repeat),
    ("I didn't catch that", Intent::Repeat),
    ("sorry, I couldn't hear you", Intent::Repeat),
    ("could you say it again slower", Intent::Repeat),
    // A moment.
    ("hold on a second", Intent::Hold),
    ("hang on, let me get my card", Intent::Hold),
    ("just a moment please", Intent::Hold),
    ("wait, let me look for it", Intent::Hold),
    ("one second while I find my insurance card", Intent::Hold),
    // Declining to be identified.
    ("why do you need my date of birth", Intent::RefusesVerification),
    ("I don't want to give you my birthday", Intent::RefusesVerification),
    ("I'd rather not share my personal information", Intent::RefusesVerification),
    ("I'm not comfortable telling you who I am", Intent::RefusesVerification),
    ("do I have to give my name", Intent::RefusesVerification),
    // Asking for none of these.
    ("the weather is nice today", Intent::Unknown),
    ("my dog is barking", Intent::Unknown),
    ("I was just at the store", Intent::Unknown),
    ("my son is calling me from the other room", Intent::Unknown),
    ("the traffic was bad this morning", Intent::Unknown),
    ("hello is this working", Intent::Unknown),
    ("I'm in my car right now", Intent::Unknown),
    ("sorry the TV is loud", Intent::Unknown),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answerable_intent_has_examples() {
        for intent in [
            Intent::Coverage,
            Intent::PriorAuth,
            Intent::Refill,
            Intent::Status,
            Intent::SideEffect,
            Intent::Human,
            Intent::Emergency,
            Intent::Goodbye,
            Intent::Hours,
            Intent::NewPrescription,
            Intent::ControlledSubstance,
            Intent::Interaction,
            Intent::ClinicalQuestion,
            Intent::Price,
            Intent::Refund,
            Intent::Complaint,
            Intent::Medications,
            Intent::Repeat,
            Intent::Hold,
            Intent::RefusesVerification,
        ] {
            let n = EXEMPLARS.iter().filter(|(_, i)| *i == intent).count();
            assert!(n >= 4, "{intent:?}: {n} examples");
        }
        // Short answers are the grammar's alone.
        assert!(
            !EXEMPLARS
                .iter()
                .any(|(_, i)| matches!(i, Intent::Yes | Intent::No | Intent::Backchannel))
        );
    }
}
