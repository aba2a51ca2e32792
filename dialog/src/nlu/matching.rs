//! Finding a catalog name (a medication or a payer) in what the recogniser
//! heard, tolerant of its mishearings: "ozempik", "o zempic", "metforman",
//! "humera", "lisinipril", "etna", "united health care".
//!
//! Every run of one to a few words is compared with each catalog name, both
//! squashed together ("o zempic" → "ozempic"), by spelling (Jaro-Winkler and
//! normalised Levenshtein) and by sound ([`phonetic_key`]). Short words only
//! match exactly, and runs that start or end with a common word are not
//! compared, so "the", "my" or "coverage" match nothing.

use strsim::{jaro_winkler, normalized_levenshtein};

use super::phonetic::phonetic_key;
use super::text::words;
use crate::catalog::Catalog;

/// Words that never start or end a compared run.
#[rustfmt::skip]
const COMMON: &[&str] = &[
    "a", "an", "the", "my", "is", "it", "its", "it's", "of", "for", "to", "and", "or", "on", "in", "with", "do",
    "does", "i", "me", "need", "needs", "covered", "cover", "coverage", "about", "what", "how", "much", "copay",
    "plan", "insurance", "prior", "authorization", "refill", "side", "effect", "effects", "medication", "medicine",
    "prescription", "please", "human", "agent", "pharmacist", "thanks", "that", "this", "have", "has", "be", "am",
    "are", "can", "will", "under", "by", "taking", "take", "on", "get", "got",
];

/// The catalog medication named in `text`, spelled as in the catalog.
pub fn match_medication(text: &str, catalog: &Catalog) -> Option<String> {
    best_match(text, &catalog.medications).map(str::to_owned)
}

/// The catalog payer named in `text`, spelled as in the catalog. Payers of
/// three words or more also match on their first two ("blue cross").
pub fn match_payer(text: &str, catalog: &Catalog) -> Option<String> {
    best_match(text, &catalog.payers).map(str::to_owned)
}

/// The name in `names` that `text` mentions most convincingly, if any.
pub fn best_match<'a>(text: &str, names: &'a [String]) -> Option<&'a str> {
    let heard = words(text);
    let mut best: Option<(f64, usize, &'a str)> = None;
    for name in names {
        let target = words(name);
        if target.is_empty() {
            continue;
        }
        let mut forms = vec![target.concat()];
        if target.len() >= 3 {
            forms.push(target[..2].concat());
        }
        for form in forms {
            let key = phonetic_key(&form);
            for n in 1..=(target.len() + 2).min(heard.len()) {
                for run in heard.windows(n) {
                    let edge_common = [run.first(), run.last()]
                        .into_iter()
                        .flatten()
                        .any(|w| COMMON.contains(&w.as_str()));
                    if edge_common {
                        continue;
                    }
                    let Some(score) = similarity(&run.concat(), &form, &key) else {
                        continue;
                    };
                    let len = form.len();
                    if best.is_none_or(|(s, l, _)| score > s || (score == s && len > l)) {
                        best = Some((score, len, name.as_str()));
                    }
                }
            }
        }
    }
    best.map(|(_, _, name)| name)
}

/// The medication a verified caller's words are about, given the names on
/// file (`own`) and the formulary name heard (`named`): one on file named
/// outright, else the formulary's, else a loose match among those on file.
pub fn resolve_medication(text: &str, own: &[String], named: Option<&str>) -> Option<String> {
    best_match(text, own)
        .or(named)
        .or_else(|| match_among(text, own))
        .map(str::to_owned)
}

/// Lowest loose score accepted among a short list ([`match_among`]).
const AMONG_MIN: f64 = 0.75;
/// The best of a short list must beat the runner-up by this much.
const AMONG_MARGIN: f64 = 0.08;

/// The name in `names` (a short list: a verified caller's own one to five
/// medications) that `text` most likely means, matched more loosely than
/// against the whole formulary: by spelling (Jaro-Winkler) or by sound (the
/// edit distance of the phonetic keys), over runs of one to three words.
/// With a handful of candidates a mishearing ("end built", "land just") is
/// still far nearer one of them than the others. `None` when nothing is
/// near enough or two candidates are too close to tell apart (the dialog
/// then asks which one).
pub fn match_among<'a>(text: &str, names: &'a [String]) -> Option<&'a str> {
    let heard = words(text);
    let mut scores: Vec<(f64, &'a str)> = names
        .iter()
        .map(|name| {
            let target = words(name).concat();
            let key = phonetic_key(&target);
            let mut best = 0.0f64;
            for n in 1..=3.min(heard.len()) {
                for run in heard.windows(n) {
                    // Mishearings split a name into small words ("in
                    // real"): those may edge a run of several words.
                    let edge_stop = [run.first(), run.last()]
                        .into_iter()
                        .flatten()
                        .any(|w| LOOSE_STOP.contains(&w.as_str()) || (n == 1 && COMMON.contains(&w.as_str())));
                    // Everyday words with little else are a phrase, not a
                    // misheard name ("is my co" is not Ozempic; "in real"
                    // may be Enbrel, "it's in through" Synthroid).
                    let common = run.iter().filter(|w| COMMON.contains(&w.as_str())).count();
                    let content: usize = run
                        .iter()
                        .filter(|w| !COMMON.contains(&w.as_str()))
                        .map(|w| w.chars().count())
                        .sum();
                    if edge_stop || (common >= 2 && content < 4) {
                        continue;
                    }
                    let run = run.concat();
                    let (a, b) = (run.chars().count(), target.chars().count());
                    if a < 4 || b < 4 || !(0.6..=1.7).contains(&(a as f64 / b as f64)) {
                        continue;
                    }
                    let by_sound = normalized_levenshtein(&phonetic_key(&run), &key);
                    best = best.max(jaro_winkler(&run, &target)).max(by_sound);
                }
            }
            (best, name.as_str())
        })
        .collect();
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    match scores.as_slice() {
        [(top, name), rest @ ..]
            if *top >= AMONG_MIN && rest.first().is_none_or(|(second, _)| top - second >= AMONG_MARGIN) =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// Words of requests that never start or end a loose match.
#[rustfmt::skip]
const LOOSE_STOP: &[&str] = &[
    "ready", "pick", "up", "shipped", "ship", "yet", "order", "status", "pay", "month", "cost", "price", "much",
    "really", "making", "giving", "since", "started", "feel", "sick", "tired", "dizzy", "rash", "from", "after",
    "refilled", "running", "out", "more", "safe", "drink", "alcohol", "right", "now", "which", "one", "yes", "no",
    "sure", "okay", "thank", "thanks", "you", "goodbye", "bye", "all", "that's", "also", "again", "question",
];

/// How well `heard` matches `target` (higher is better), or `None` if not
/// at all: exact beats sounding alike, which beats spelling alike.
fn similarity(heard: &str, target: &str, target_key: &str) -> Option<f64> {
    if heard == target {
        return Some(3.0);
    }
    let (a, b) = (heard.chars().count(), target.chars().count());
    if a < 4 || b < 4 {
        return None;
    }
    let ratio = a as f64 / b as f64;
    if !(0.7..=1.45).contains(&ratio) {
        return None;
    }
    let jw = jaro_winkler(heard, target);
    let lev = normalized_levenshtein(heard, target);
    let sounds_alike = !target_key.is_empty() && phonetic_key(heard) == target_key;
    if sounds_alike && (jw >= 0.8 || lev >= 0.6) {
        Some(1.0 + jw.max(lev))
    } else if jw >= 0.9 && lev >= 0.75 {
        Some(jw)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog {
            medications: [
                "Ozempic",
                "Metformin",
                "Humira",
                "Lisinopril",
                "Eliquis",
                "Atorvastatin",
                "Wegovy",
            ]
            .map(String::from)
            .to_vec(),
            payers: ["Aetna", "Blue Cross Blue Shield", "UnitedHealthcare", "Cigna", "Humana"]
                .map(String::from)
                .to_vec(),
        }
    }

    #[test]
    fn medications_match_through_mishearings() {
        let c = catalog();
        for (text, want) in [
            ("is my Ozempic covered", "Ozempic"),
            ("ozempik", "Ozempic"),
            ("Is my O-zempic covered?", "Ozempic"),
            ("o zempic", "Ozempic"),
            ("my metforman refill", "Metformin"),
            ("met formin", "Metformin"),
            ("does humera need a PA", "Humira"),
            ("lisinipril", "Lisinopril"),
            ("LISINOPRIL.", "Lisinopril"),
            ("eliquis", "Eliquis"),
            ("ator vastatin", "Atorvastatin"),
            ("wegovie", "Wegovy"),
        ] {
            assert_eq!(match_medication(text, &c).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn own_medications_match_loosely_and_only_when_clear() {
        let own = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let list = own(&["Enbrel", "Crestor", "Lantus"]);
        for (heard, want) in [
            ("is my end built covered", "Enbrel"),
            ("is my in real covered", "Enbrel"),
            ("refill my crust or please", "Crestor"),
            ("cruster", "Crestor"),
            ("is my land just ready to pick up", "Lantus"),
            ("Enbrel", "Enbrel"),
        ] {
            assert_eq!(match_among(heard, &list), Some(want), "{heard}");
        }
        for heard in [
            "is my order ready to pick up",
            "what is my copay",
            "no that's all thank you goodbye",
            "I need a refill",
            "my name is Paul Hill",
            "",
        ] {
            assert_eq!(match_among(heard, &list), None, "{heard}");
        }
        // Near ones told apart by sound; two as near as each other: nobody
        // is guessed (the dialog asks which).
        let close = own(&["Humalog", "Humulin"]);
        assert_eq!(match_among("huma log", &close), Some("Humalog"));
        assert_eq!(match_among("hue melon", &close), Some("Humulin"));
        let twins = own(&["Lantus", "Lantos"]);
        assert_eq!(match_among("land us", &twins), None);
        // A run of everyday words is not a drug; one with a real word in it
        // may be.
        let mixed = own(&["Metoprolol", "Ozempic", "Synthroid"]);
        assert_eq!(match_among("What is my co pay for it", &mixed), None);
        assert_eq!(match_among("It's in through it on my plan.", &mixed), Some("Synthroid"));
    }

    #[test]
    fn common_words_match_nothing() {
        let c = catalog();
        for text in [
            "",
            "the",
            "my",
            "coverage",
            "is my medication covered",
            "I want a human",
            "information",
            "prior authorization",
            "my name is John Smith",
            "March third nineteen eighty five",
            "metal",
            "hello there how are you",
            "prescription",
        ] {
            assert_eq!(match_medication(text, &c), None, "{text}");
            assert_eq!(match_payer(text, &c), None, "{text}");
        }
    }

    #[test]
    fn payers_match_whole_partial_and_split() {
        let c = catalog();
        for (text, want) in [
            ("I have Blue Cross", "Blue Cross Blue Shield"),
            ("blue cross blue shield", "Blue Cross Blue Shield"),
            ("united health care", "UnitedHealthcare"),
            ("United Healthcare", "UnitedHealthcare"),
            ("etna", "Aetna"),
            ("my plan is Aetna", "Aetna"),
            ("zigna", "Cigna"),
            ("humana", "Humana"),
        ] {
            assert_eq!(match_payer(text, &c).as_deref(), Some(want), "{text}");
        }
        assert_eq!(match_payer("united", &c), None);
        assert_eq!(match_payer("blue", &c), None);
        assert_eq!(match_medication("humana", &c), None);
    }
}
