//! Several requests in one utterance, answered in order: "I need a refill
//! of my metformin, and is my Ozempic covered?" is a refill and then a
//! coverage question. The utterance is cut at sentence ends and at "and",
//! "also", "plus"; pieces that are not requests on their own ("and my
//! Ozempic", "thanks") stay with the piece before them.

use super::intents::{Intent, classify};
use super::text::words;

/// Words at which a second request may start.
const JOINERS: &[&str] = &["and", "also", "plus"];

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

#[cfg(test)]
mod tests {
    use super::*;

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
