//! Understanding one caller utterance: intent, and the slots the flows need
//! (medication, payer, name, date of birth, symptoms, severity). Pure
//! functions of the text and the [`Catalog`]; nothing is logged.

pub mod dates;
pub mod exemplars;
pub mod intents;
pub mod matching;
pub mod names;
pub mod numbers;
pub mod phonetic;
pub mod requests;
pub mod spelling;
pub mod symptoms;
pub mod text;

use chrono::NaiveDate;

pub use dates::parse_date;
pub use intents::{Intent, classify, is_backchannel};
pub use matching::{match_medication, match_payer};
pub use names::extract_name;

use crate::catalog::Catalog;
use crate::tools::Severity;

/// Everything understood from one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Understanding {
    /// What the caller asks for.
    pub intent: Intent,
    /// Catalog medication named, spelled as in the catalog.
    pub medication: Option<String>,
    /// Catalog payer named, spelled as in the catalog.
    pub payer: Option<String>,
    /// The caller's name, lowercase (see [`names`]).
    pub name: Option<String>,
    /// A date of birth.
    pub dob: Option<NaiveDate>,
    /// A surname spelled letter by letter ("L E W I S" → "lewis"), see
    /// [`spelling`]; the name said before it is in `name`.
    pub spelled: Option<String>,
    /// Symptom labels ("nausea, dizziness").
    pub symptoms: Option<String>,
    /// How serious the symptoms sound; set for side effects and emergencies
    /// or whenever a symptom is named.
    pub severity: Option<Severity>,
    /// The intent is the second opinion's guess (see [`wants_second_opinion`]),
    /// not the grammar's reading: the dialog confirms it before acting.
    pub guessed: bool,
}

impl Understanding {
    /// Only `intent`, nothing else understood (a key chose it).
    pub fn of(intent: Intent) -> Self {
        Self {
            intent,
            medication: None,
            payer: None,
            name: None,
            dob: None,
            spelled: None,
            symptoms: None,
            severity: None,
            guessed: false,
        }
    }
}

/// Whether a second opinion on the intent (see [`exemplars`]) may be used
/// for this understanding: the grammar found no intent, no name and no
/// date of birth, in words enough to be a request (two or more), and the
/// caller was not trying to give their identity ("my name was Puthness" is
/// a name misheard, not a refusal to give one).
pub fn wants_second_opinion(text: &str, u: &Understanding) -> bool {
    const IDENTITY_CUES: &[&str] = &["name", "named", "born", "birth", "birthday", "dob"];
    u.intent == Intent::Unknown
        && u.name.is_none()
        && u.dob.is_none()
        && text.split_whitespace().count() >= 2
        && !text::words(text).iter().any(|w| IDENTITY_CUES.contains(&w.as_str()))
}

/// Understands `text` against `catalog`. The intent is classified on the
/// words left once the caller's name is taken out, so that a surname
/// ("Mark Price") is not read as a request.
pub fn understand(text: &str, catalog: &Catalog) -> Understanding {
    let text = text::clip(text, text::MAX_CHARS);
    // A spelled surname ends the utterance: the rest is read without it.
    let spelling = spelling::find_spelling(text);
    let (text, spelled) = match &spelling {
        Some(s) => (s.before.as_str(), Some(s.word.clone())),
        None => (text, None),
    };
    let dob = parse_date(text);
    let medication = match_medication(text, catalog);
    let payer = match_payer(text, catalog);
    let name =
        extract_name(text).filter(|n| match_medication(n, catalog).is_none() && match_payer(n, catalog).is_none());
    // "My day cover is the 9th of July": a recogniser's "date of birth",
    // not a coverage question, when a date follows.
    let mended;
    let rest = match &name {
        Some(name) => without_name(text, name),
        None => text.to_owned(),
    };
    let rest = if dob.is_some() {
        mended = mend_birth_phrase(&rest);
        mended.as_str()
    } else {
        rest.as_str()
    };
    let intent = classify(rest);
    let symptoms = symptoms::extract_symptoms(text);
    let severity = (symptoms.is_some() || matches!(intent, Intent::SideEffect | Intent::Emergency))
        .then(|| symptoms::assess_severity(text));
    Understanding {
        intent,
        medication,
        payer,
        name,
        dob,
        spelled,
        symptoms,
        severity,
        guessed: false,
    }
}

/// `text` with "day cover" and its kin (what a recogniser writes for "date
/// of birth") read as "date of birth".
fn mend_birth_phrase(text: &str) -> String {
    let words = text::words(text);
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let lead = matches!(words[i].as_str(), "day" | "date" | "data" | "they");
        let next = words.get(i + 1).map(String::as_str);
        if lead && matches!(next, Some("cover" | "covered" | "covert" | "coverage" | "of")) {
            out.extend(["date", "of", "birth"]);
            i += 2;
            // "day of birth", "day of verse": the third word goes too.
            if next == Some("of") && i < words.len() {
                i += 1;
            }
            continue;
        }
        out.push(&words[i]);
        i += 1;
    }
    out.join(" ")
}

/// The words of `text` with the first run of `name`'s words removed.
fn without_name(text: &str, name: &str) -> String {
    let mut words = text::words(text);
    let name: Vec<&str> = name.split(' ').collect();
    if let Some(at) = words
        .windows(name.len())
        .position(|w| w.iter().zip(&name).all(|(a, b)| a == b))
    {
        words.drain(at..at + name.len());
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    fn catalog() -> Catalog {
        Catalog {
            medications: vec!["Ozempic".into(), "Metformin".into(), "Humira".into()],
            payers: vec!["Aetna".into(), "Blue Cross Blue Shield".into()],
        }
    }

    #[test]
    fn date_of_birth_misheard_as_cover_is_not_a_coverage_question() {
        let cat = Catalog {
            medications: vec!["Lexapro".into()],
            payers: vec![],
        };
        let u = understand("This is Daniel Bryan, my day cover is the 9th of July 1971.", &cat);
        assert_ne!(u.intent, Intent::Coverage, "{u:?}");
        assert!(u.dob.is_some());
        // Without a date it is still a coverage question.
        let u = understand("what's my day cover for Lexapro", &cat);
        assert_eq!(u.intent, Intent::Coverage, "{u:?}");
    }

    #[test]
    fn a_second_opinion_only_on_requests_the_grammar_missed() {
        let c = catalog();
        let wants = |t: &str| wants_second_opinion(t, &understand(t, &c));
        assert!(wants("tell me the drugs you have me down for"));
        // Understood, too short, or an identity attempt misheard.
        assert!(!wants("is my Ozempic covered"));
        assert!(!wants("hmm"));
        assert!(!wants("My name was Puthness."));
        assert!(!wants("the birthday of the the"));
        assert!(!wants("Jane Doe March 3 1985"));
    }

    #[test]
    fn identity_in_one_utterance() {
        let u = understand("Hi, my name is Jane Doe, date of birth March 3rd, 1985.", &catalog());
        assert_eq!(u.name.as_deref(), Some("jane doe"));
        assert_eq!(u.dob, NaiveDate::from_ymd_opt(1985, 3, 3));
        assert_eq!(u.intent, Intent::Unknown);
        assert_eq!(u.medication, None);
        assert_eq!(u.severity, None);
    }

    #[test]
    fn a_spelled_surname_is_not_read_as_words() {
        let u = understand("My name is Wei Lewis, L. E. W. I. S.", &catalog());
        assert_eq!(u.name.as_deref(), Some("wei lewis"));
        assert_eq!(u.spelled.as_deref(), Some("lewis"));
        assert_eq!(u.intent, Intent::Unknown);
        let u = understand("K O W A L S K I", &catalog());
        assert_eq!((u.name, u.spelled.as_deref()), (None, Some("kowalski")));
        assert_eq!(understand("is my Ozempic covered", &catalog()).spelled, None);
    }

    #[test]
    fn request_with_slots() {
        let u = understand("Does Blue Cross need a PA for my humera?", &catalog());
        assert_eq!(u.intent, Intent::PriorAuth);
        assert_eq!(u.medication.as_deref(), Some("Humira"));
        assert_eq!(u.payer.as_deref(), Some("Blue Cross Blue Shield"));
        assert_eq!(u.name, None);
    }

    #[test]
    fn side_effect_with_symptoms_and_severity() {
        let u = understand("I've had a little nausea since starting ozempik", &catalog());
        assert_eq!(u.intent, Intent::SideEffect);
        assert_eq!(u.medication.as_deref(), Some("Ozempic"));
        assert_eq!(u.symptoms.as_deref(), Some("nausea"));
        assert_eq!(u.severity, Some(Severity::Mild));
        let u = understand("my face is swelling up after the humira shot", &catalog());
        assert_eq!(u.severity, Some(Severity::Severe));
    }

    #[test]
    fn surname_is_not_an_intent() {
        let u = understand("This is Mark Price, born June 2nd 1970", &catalog());
        assert_eq!(u.name.as_deref(), Some("mark price"));
        assert_eq!(u.intent, Intent::Unknown);
    }

    /// Random word salad from pieces the recognisers care about (a small
    /// deterministic generator: no extra dependency).
    #[test]
    fn word_salad_never_panics() {
        const PIECES: &[&str] = &[
            "nine",
            "hundred",
            "thousand",
            "and",
            "twenty",
            "first",
            "oh",
            "march",
            "may",
            "the",
            "of",
            "3rd",
            "/",
            "-",
            ".",
            "'",
            "85",
            "1985",
            "12",
            "my",
            "name",
            "is",
            "i'm",
            "first name",
            "last name",
            "ozempic",
            "o",
            "blue",
            "cross",
            "can't",
            "breathe",
            "seizure",
            "medication",
            "mm-hm",
            "yes",
            "no",
            "💊",
            "é",
            ",",
            "0",
            "99999999999",
            "pa",
            "refill",
            "side effect",
            "  ",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            let len = next() % 40;
            let mut text = String::new();
            for _ in 0..len {
                let piece = PIECES[usize::try_from(next() % PIECES.len() as u64).unwrap_or(0)];
                text.push_str(piece);
                if next() % 3 != 0 {
                    text.push(' ');
                }
            }
            let u = understand(&text, &catalog());
            if let Some(dob) = u.dob {
                assert!(dob.year() >= 1900, "{text:?}");
            }
        }
    }

    #[test]
    fn odd_input_never_panics() {
        let long = "ozempic ".repeat(10_000);
        let odd = [
            "",
            " ",
            "\u{0}",
            "🙂🙂🙂",
            "ÅÄÖ ñ 漢字 العربية",
            "'''",
            "---///...",
            "3/3/",
            "//3",
            "March",
            "the of",
            "twenty twenty twenty",
            "9999999999/99/99",
            "first name last name",
            "my name is",
            &long,
            "\u{202e}evil\u{202c}",
            "İstanbul",
            "ﬁ ligature",
            "a\u{301}",
            "0000-00-00",
            "name name name name name",
        ];
        for text in odd {
            let _ = understand(text, &catalog());
            let _ = understand(text, &Catalog::default());
        }
    }
}
