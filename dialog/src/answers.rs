//! Sentences that carry PHI (the caller's name, medications, benefits, PA
//! status, case numbers). Every builder takes a `&VerifiedCaller`, which
//! only exists after verification, so these sentences cannot be built for
//! an unverified caller. Fixed sentences live in [`crate::prompts`].

use crate::tools::{Benefits, Passage};
use crate::verify::VerifiedCaller;

/// The most words of a policy passage read out.
const EXCERPT_WORDS: usize = 35;

/// "Thanks, Jane, you're verified."
pub(crate) fn verified(caller: &VerifiedCaller) -> String {
    format!("Thanks, {}, you're verified.", caller.first_name().trim())
}

/// Coverage, tier, copay, deductible and PA of one medication.
pub(crate) fn benefits(_verified: &VerifiedCaller, b: &Benefits) -> String {
    let med = b.medication.trim();
    if !b.covered {
        let pa = if b.pa_required {
            " It may be covered with a prior authorization."
        } else {
            ""
        };
        return format!("{med} isn't covered by your plan.{pa}");
    }
    let copay = match dollars(b.copay_cents) {
        Some(amount) => format!("Your copay is {amount}."),
        None => "There's no copay.".to_owned(),
    };
    let deductible = if b.deductible_met {
        "You've met your deductible for this year."
    } else {
        "You haven't met your deductible yet this year."
    };
    let pa = if b.pa_required {
        "It needs a prior authorization."
    } else {
        "No prior authorization is needed."
    };
    format!(
        "{med} is covered by your plan on tier {}. {copay} {deductible} {pa}",
        b.tier
    )
}

/// Words of a sentence that states a PA requirement or criterion.
const CRITERIA_CUES: &[&str] = &[
    "criteria",
    "require",
    "requires",
    "required",
    "requirement",
    "must",
    "documented",
    "documentation",
    "trial",
    "diagnosis",
    "failure",
    "failed",
    "approval",
    "approved only",
    "step therapy",
    "before",
];

/// The PA answer: first what the caller's own record says (whether the
/// plan needs a PA for this drug and the status of theirs), then the
/// criteria that matter from the best passage about them, cited by name.
/// A passage's headings and scope lists ("This policy applies to …") are
/// not read out; no quote when no passage states a criterion.
pub(crate) fn prior_auth(caller: &VerifiedCaller, medication: &str, passages: &[Passage]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(med) = caller.medication(medication) {
        let status = med.pa_status.as_deref().map(str::trim).filter(|s| !s.is_empty());
        out.push(match (med.pa_required, status) {
            (true, Some(st)) => format!(
                "{} needs a prior authorization with your plan, and yours is {st}.",
                med.name
            ),
            (true, None) => format!(
                "{} needs a prior authorization with your plan, and none is on file for you yet.",
                med.name
            ),
            (false, Some(st)) => format!("Your prior authorization for {} is {st}.", med.name),
            (false, None) => format!("{} doesn't need a prior authorization with your plan.", med.name),
        });
    }
    // Retrieval ranks the passages; among those that state a criterion,
    // a section about criteria or step therapy comes first.
    let best = passages
        .iter()
        .filter_map(|p| criteria(&p.text).map(|c| (c, p)))
        .filter(|(c, _)| !c.sentences.is_empty())
        .max_by(|(a, pa), (b, pb)| {
            (a.about_criteria, pa.score)
                .partial_cmp(&(b.about_criteria, pb.score))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|(c, p)| (c.sentences, p));
    if let Some((sentences, p)) = best {
        let mut said: Vec<&str> = Vec::new();
        let mut words = 0;
        for s in sentences.iter().take(2) {
            let n = s.split_whitespace().count();
            if !said.is_empty() && words + n > EXCERPT_WORDS {
                break;
            }
            words += n;
            said.push(s);
        }
        let joined = said.join(" ");
        let mut words: Vec<&str> = joined.split(' ').collect();
        words.truncate(EXCERPT_WORDS + 10);
        let text = words
            .join(" ")
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ' '])
            .to_owned();
        out.push(format!("According to {}: {text}.", collapse(&p.title)));
    }
    out
}

/// What of a passage may be read out as criteria.
struct Criteria {
    /// Its section is about criteria or step therapy.
    about_criteria: bool,
    /// The sentences that state a requirement, in order.
    sentences: Vec<String>,
}

/// Verbs whose presence shows a short first sentence is a sentence, not a
/// section heading ("PA is required" versus "Clinical criteria").
const VERBS: &[&str] = &[
    "is", "are", "was", "were", "be", "require", "requires", "required", "must", "need", "needs", "lasts", "applies",
    "has", "have",
];

/// A passage's requirement sentences (`None` for a passage that only lists
/// the drugs a policy covers). Passages are stored as "Heading. Body": a
/// short first sentence without a verb is the heading, not read out.
fn criteria(text: &str) -> Option<Criteria> {
    let text = collapse(text);
    let mut sentences: Vec<&str> = text
        .split_inclusive(['.', '?', '!'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut heading = String::new();
    if let Some(first) = sentences.first() {
        let w = crate::nlu::text::words(first);
        if w.len() <= 8 && !w.iter().any(|x| VERBS.contains(&x.as_str())) {
            heading = w.join(" ");
            sentences.remove(0);
        }
    }
    let scope = heading.contains("covered by this policy")
        || sentences
            .first()
            .is_some_and(|s| s.to_lowercase().starts_with("this policy applies"));
    if scope {
        return None;
    }
    let sentences = sentences
        .into_iter()
        .filter(|s| {
            let p = crate::nlu::text::Phrases::new(s);
            CRITERIA_CUES.iter().any(|c| p.has(c))
        })
        .map(str::to_owned)
        .collect();
    Some(Criteria {
        about_criteria: heading.contains("criteria") || heading.contains("step therapy"),
        sentences,
    })
}

/// The medications on file, by name.
pub(crate) fn medications(caller: &VerifiedCaller) -> String {
    match caller.medication_names().as_slice() {
        [] => "I don't see any medications on file for you.".to_owned(),
        [one] => format!("You have one medication on file: {one}."),
        [rest @ .., last] => format!(
            "You have {} medications on file: {} and {last}.",
            rest.len() + 1,
            rest.join(", ")
        ),
    }
}

/// The medications on file read out as choices, each with a key, when
/// "which medication?" was not understood the first time.
pub(crate) fn which_medication(caller: &VerifiedCaller) -> String {
    let names = caller.medication_names();
    let keys: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{} for {n}", i + 1))
        .collect();
    match names.as_slice() {
        [] | [_] => crate::prompts::WHICH_MEDICATION.to_owned(),
        [rest @ .., last] => format!(
            "Is it about {}, or {last}? You can also press {}.",
            rest.join(", "),
            or_list(&keys)
        ),
    }
}

/// A request about `medication` whose subject was not understood: what the
/// bot can tell about it.
pub(crate) fn what_about(_verified: &VerifiedCaller, medication: &str) -> String {
    format!(
        "What would you like to know about {medication}? I can check whether it's covered and your copay, whether it \
         needs prior authorization, or your refills."
    )
}

/// A request about a controlled `medication` of the caller's, which the
/// pharmacist handles: said with its name, so that the caller knows what
/// was understood.
pub(crate) fn controlled_callback(_verified: &VerifiedCaller, medication: &str) -> String {
    format!(
        "{medication} is a controlled medication, so our pharmacist takes care of it. I've asked one to call you back."
    )
}

/// "a, b, or c".
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}

/// Refills left on a medication, or that it is not on file.
pub(crate) fn refill(caller: &VerifiedCaller, medication: &str) -> String {
    match caller.medication(medication) {
        None => not_on_file(medication),
        Some(m) if m.refills_left <= 0 => format!(
            "There are no refills left on {}. I've asked a technician to contact your prescriber for a new \
             prescription.",
            m.name
        ),
        Some(m) => format!(
            "You have {} left on {}, so it can be refilled.",
            refills(m.refills_left),
            m.name
        ),
    }
}

/// Status of a prescription: refills and prior authorization.
pub(crate) fn status(caller: &VerifiedCaller, medication: &str) -> String {
    let Some(m) = caller.medication(medication) else {
        return not_on_file(medication);
    };
    let mut s = format!(
        "Your prescription for {} has {} left.",
        m.name,
        refills(m.refills_left.max(0))
    );
    match m.pa_status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(pa) => s.push_str(&format!(" Its prior authorization is {pa}.")),
        None if m.pa_required => s.push_str(" It needs a prior authorization, and none is on file yet."),
        None => {}
    }
    s
}

/// The side-effect report was recorded.
pub(crate) fn adverse_recorded(_verified: &VerifiedCaller, case_number: &str, follow_up: bool) -> String {
    let follow = if follow_up { " A pharmacist will follow up." } else { "" };
    format!("I've recorded that under case number {}.{follow}", spell(case_number))
}

fn not_on_file(medication: &str) -> String {
    format!("I don't see {} among your current prescriptions.", collapse(medication))
}

fn refills(n: i32) -> String {
    match n {
        1 => "1 refill".to_owned(),
        n => format!("{n} refills"),
    }
}

/// Cents as spoken money ("45 dollars and 50 cents"); `None` for nothing.
fn dollars(cents: i64) -> Option<String> {
    let cents = cents.max(0);
    let (d, c) = (cents / 100, cents % 100);
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (d, c) {
        (0, 0) => None,
        (0, c) => Some(unit(c, "cent", "cents")),
        (d, 0) => Some(unit(d, "dollar", "dollars")),
        (d, c) => Some(format!(
            "{} and {}",
            unit(d, "dollar", "dollars"),
            unit(c, "cent", "cents")
        )),
    }
}

/// A case number read character by character: "AE-2026-000123" → "A E, 2 0 2 6, 0 0 0 1 2 3".
fn spell(case_number: &str) -> String {
    case_number
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|g| !g.is_empty())
        .map(|g| {
            g.chars()
                .map(|c| c.to_ascii_uppercase().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{MedicationRecord, PatientRecord};

    fn caller() -> VerifiedCaller {
        VerifiedCaller::from_lookup(PatientRecord {
            id: 1,
            first_name: "Jane".into(),
            payer: "Aetna".into(),
            medications: vec![MedicationRecord {
                name: "Ozempic".into(),
                ndc: "0169-4132-12".into(),
                pa_required: true,
                pa_status: Some("approved".into()),
                step_therapy: false,
                refills_left: 2,
            }],
        })
    }

    #[test]
    fn money_and_case_numbers() {
        assert_eq!(dollars(4500).as_deref(), Some("45 dollars"));
        assert_eq!(dollars(4550).as_deref(), Some("45 dollars and 50 cents"));
        assert_eq!(dollars(100).as_deref(), Some("1 dollar"));
        assert_eq!(dollars(5).as_deref(), Some("5 cents"));
        assert_eq!(dollars(0), None);
        assert_eq!(dollars(-300), None);
        assert_eq!(spell("AE-2026-000123"), "A E, 2 0 2 6, 0 0 0 1 2 3");
        assert_eq!(spell(""), "");
    }

    #[test]
    fn sentences() {
        let c = caller();
        assert_eq!(verified(&c), "Thanks, Jane, you're verified.");
        let b = Benefits {
            medication: "Ozempic".into(),
            covered: true,
            tier: 3,
            copay_cents: 2500,
            deductible_met: false,
            pa_required: true,
        };
        assert_eq!(
            benefits(&c, &b),
            "Ozempic is covered by your plan on tier 3. Your copay is 25 dollars. You haven't met your deductible \
             yet this year. It needs a prior authorization."
        );
        let scope = Passage {
            title: "Aetna GLP-1 Policy".into(),
            text: "Medications covered by this policy. This policy applies to Ozempic (semaglutide), Mounjaro \
                   (tirzepatide) and Trulicity (dulaglutide). All three require prior authorization."
                .into(),
            score: 1.0,
        };
        let criteria = Passage {
            title: "Aetna GLP-1 Policy".into(),
            text: "Clinical criteria. Approval requires a documented diagnosis of type 2 diabetes. A trial of \
                   metformin for three months is required first. Approvals last twelve months."
                .into(),
            score: 0.6,
        };
        assert_eq!(
            prior_auth(&c, "Ozempic", &[scope.clone(), criteria]),
            [
                "Ozempic needs a prior authorization with your plan, and yours is approved.",
                "According to Aetna GLP-1 Policy: Approval requires a documented diagnosis of type 2 diabetes. \
                 A trial of metformin for three months is required first."
            ]
        );
        // A passage with no criterion is not read out; the record still answers.
        assert_eq!(
            prior_auth(&c, "Ozempic", &[scope]),
            ["Ozempic needs a prior authorization with your plan, and yours is approved."]
        );
        assert_eq!(
            refill(&c, "ozempic"),
            "You have 2 refills left on Ozempic, so it can be refilled."
        );
        assert_eq!(
            refill(&c, "Humira"),
            "I don't see Humira among your current prescriptions."
        );
        assert!(status(&c, "Ozempic").contains("approved"));
        assert_eq!(
            adverse_recorded(&c, "AE-1", true),
            "I've recorded that under case number A E, 1. A pharmacist will follow up."
        );
    }
}
