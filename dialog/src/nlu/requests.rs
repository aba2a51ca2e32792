//! Several requests in one utterance, answered in order: "I need a refill
//! of my metformin, and is my Ozempic covered?" is a refill and then a
//! coverage question. The utterance is cut at sentence ends and at "and",
//! "also", "plus"; pieces that are not requests on their own ("and my
//! Ozempic", "thanks") stay with the piece before them.

use super::intents::{Intent, classify};
use super::matching::match_medication;
use super::text::words;
use crate::catalog::Catalog;

/// Words at which a second request may start.
const JOINERS: &[&str] = &["and", "also", "plus"];
/// Words between the items of a list of medications.
const LIST_JOINERS: &[&str] = &["and", "or", "plus"];

/// Intents that are a request to answer (the ones that end a call or hand
/// it over are acted on for the whole utterance before any split).
fn is_request(intent: Intent) -> bool {
    matches!(
        intent,
        Intent::Coverage
            | Intent::PriorAuth
            | Intent::Refill
            | Intent::Status
            | Intent::SideEffect
            | Intent::Hours
            | Intent::NewPrescription
            | Intent::ControlledSubstance
            | Intent::Interaction
            | Intent::ClinicalQuestion
            | Intent::Price
            | Intent::Refund
            | Intent::Complaint
            | Intent::Medications
    )
}

/// The requests in `text`, in order; one piece (the whole text) unless at
/// least two pieces are requests of their own.
pub fn split_requests(text: &str) -> Vec<String> {
    // Pieces at sentence ends and joiners, as word lists.
    let mut pieces: Vec<Vec<String>> = Vec::new();
    for sentence in text.split_inclusive(['.', '?', '!', ';']) {
        let mut cur: Vec<String> = Vec::new();
        for w in words(sentence) {
            if JOINERS.contains(&w.as_str()) && !cur.is_empty() {
                pieces.push(std::mem::take(&mut cur));
            }
            cur.push(w);
        }
        if !cur.is_empty() {
            pieces.push(cur);
        }
    }
    // Merge every piece that is not a request of its own into the one before.
    // So does a piece of the same kind as the one before ("nauseous and a
    // little dizzy" is one side effect).
    let mut merged: Vec<(Vec<String>, bool)> = Vec::new();
    let mut last_intent = None;
    for p in pieces {
        let intent = classify(&p.join(" "));
        let request = is_request(intent);
        match merged.last_mut() {
            Some((prev, _)) if !request || last_intent == Some(intent) => prev.extend(p),
            _ => {
                merged.push((p, request));
                last_intent = Some(intent);
            }
        }
    }
    // A leading piece that is no request ("hi, yes") joins the next one.
    if merged.len() > 1 && !merged[0].1 {
        let (first, _) = merged.remove(0);
        let mut next = first;
        next.extend(std::mem::take(&mut merged[0].0));
        merged[0].0 = next;
    }
    if merged.iter().filter(|(_, r)| *r).count() < 2 {
        return vec![text.to_owned()];
    }
    merged.into_iter().map(|(w, _)| w.join(" ")).collect()
}

/// One request about several medications ("is my Ozempic and my Metformin
/// covered?") as one request per medication, in the order they were named,
/// each in a plain wording of `intent`. Empty unless the request is about
/// a medication's coverage, prior authorization or refill and names two or
/// more different ones.
pub fn per_medication(text: &str, intent: Intent, catalog: &Catalog) -> Vec<String> {
    let ask: fn(&str) -> String = match intent {
        Intent::Coverage => |m| format!("is {m} covered"),
        Intent::PriorAuth => |m| format!("does {m} need prior authorization"),
        Intent::Refill => |m| format!("I need a refill of {m}"),
        _ => return Vec::new(),
    };
    // The medications named, one per item of the list ("A, B or C").
    let mut named: Vec<String> = Vec::new();
    for clause in text.split([',', ';']) {
        for item in words(clause).split(|w| LIST_JOINERS.contains(&w.as_str())) {
            if let Some(m) = match_medication(&item.join(" "), catalog)
                && !named.contains(&m)
            {
                named.push(m);
            }
        }
    }
    if named.len() < 2 {
        return Vec::new();
    }
    named.iter().map(|m| ask(m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog {
            medications: ["Ozempic", "Metformin", "Humira", "Lisinopril"]
                .map(String::from)
                .to_vec(),
            payers: Vec::new(),
        }
    }

    #[test]
    fn one_request_about_two_medications_is_two_requests() {
        let c = catalog();
        assert_eq!(
            per_medication("Is my Ozempic and my metformin covered?", Intent::Coverage, &c),
            ["is Ozempic covered", "is Metformin covered"]
        );
        assert_eq!(
            per_medication(
                "Do Humira, Ozempic or lisinopril need prior authorization?",
                Intent::PriorAuth,
                &c
            ),
            [
                "does Humira need prior authorization",
                "does Ozempic need prior authorization",
                "does Lisinopril need prior authorization"
            ]
        );
        assert_eq!(
            per_medication("refill my metformin and my lisinopril please", Intent::Refill, &c),
            ["I need a refill of Metformin", "I need a refill of Lisinopril"]
        );
        // One medication, or a request not about one: left alone.
        assert!(per_medication("Is my Ozempic covered?", Intent::Coverage, &c).is_empty());
        assert!(per_medication("Is my Ozempic and my Ozempic pen covered?", Intent::Coverage, &c).is_empty());
        assert!(per_medication("can I take Humira and Ozempic together", Intent::Interaction, &c).is_empty());
    }

    #[test]
    fn two_requests_come_apart_in_order() {
        assert_eq!(
            split_requests("I need a refill of my metformin, and is my Ozempic covered?"),
            ["i need a refill of my metformin", "and is my ozempic covered"]
        );
        assert_eq!(
            split_requests("What am I taking? Also, does my Humira need a prior authorization?"),
            ["what am i taking", "also does my humira need a prior authorization"]
        );
    }

    #[test]
    fn one_request_stays_whole() {
        for text in [
            "Is my Ozempic and my metformin covered?",
            "I need a refill of my metformin, thanks.",
            "Hi, yes, and I need a refill of my lisinopril.",
            "My name is Jane Doe and my date of birth is March 3rd 1985.",
            "I've been nauseous and a little dizzy",
            "",
        ] {
            assert_eq!(split_requests(text), [text.to_owned()], "{text}");
        }
    }
}
