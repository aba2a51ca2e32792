//! Symptoms a caller reports and how serious they sound.

use super::text::Phrases;
use crate::tools::Severity;

/// Phrases that name a symptom, with the label recorded for it.
#[rustfmt::skip]
const SYMPTOMS: &[(&str, &[&str])] = &[
    ("nausea", &["nausea", "nauseous", "nauseated", "queasy", "sick to my stomach"]),
    ("vomiting", &["vomit*", "throwing up", "threw up", "throw up"]),
    ("diarrhea", &["diarrh*"]),
    ("constipation", &["constipat*"]),
    ("stomach pain", &["stomach pain", "stomach ache*", "stomachache*", "abdominal pain", "belly pain", "cramp*"]),
    ("heartburn", &["heartburn", "acid reflux"]),
    ("bloating", &["bloat*"]),
    ("loss of appetite", &["loss of appetite", "no appetite", "not hungry"]),
    ("headache", &["headache*", "migraine*"]),
    ("dizziness", &["dizz*", "lightheaded", "light headed", "vertigo"]),
    ("fainting", &["faint*", "passed out", "blacked out"]),
    ("rash", &["rash*"]),
    ("hives", &["hives"]),
    ("itching", &["itch*"]),
    ("swelling", &["swell*", "swollen", "puffy"]),
    ("fatigue", &["fatigue*", "tired", "exhausted", "no energy"]),
    ("insomnia", &["insomnia", "can't sleep", "cannot sleep", "trouble sleeping"]),
    ("blurred vision", &["blurr*", "double vision", "trouble seeing"]),
    ("hair loss", &["hair loss", "losing my hair", "hair falling out"]),
    ("muscle pain", &["muscle pain*", "muscle ache*", "aching muscles", "muscles ache", "joint pain"]),
    ("cough", &["cough*"]),
    ("dry mouth", &["dry mouth"]),
    ("palpitations", &["palpitation*", "heart racing", "racing heart", "heart is racing", "heart pounding"]),
    ("bleeding", &["bleed*", "bloody", "blood in my", "coughing up blood", "vomiting blood"]),
    ("numbness", &["numb*", "tingl*"]),
    ("low blood sugar", &["low blood sugar", "hypoglyc*", "shaky", "shaking"]),
    ("chest pain", &["chest pain*", "chest hurts", "chest tight*", "tightness in my chest"]),
    ("trouble breathing", &[
        "can't breathe", "cant breathe", "cannot breathe", "trouble breathing", "hard to breathe",
        "short of breath", "shortness of breath", "difficulty breathing", "wheez*"
    ]),
    ("throat swelling", &["throat is closing", "throat closing", "throat is swelling", "throat swelling"]),
    ("seizure", &["seizure*", "seizing", "convuls*"]),
    ("anaphylaxis", &["anaphyla*"]),
];

/// Phrases that make a report severe.
#[rustfmt::skip]
const SEVERE: &[&str] = &[
    "severe*", "really bad", "very bad", "so bad", "unbearable", "extreme*", "excruciating", "can't breathe",
    "cant breathe", "cannot breathe", "trouble breathing", "hard to breathe", "short of breath", "shortness of breath",
    "difficulty breathing", "swelling of my face", "swelling in my face", "face is swelling", "face is swollen",
    "swollen face", "my face swelled", "tongue is swelling", "swollen tongue", "tongue swelling", "lips are swelling",
    "swollen lips", "throat is closing", "throat closing", "throat is swelling", "throat swelling",
    "swelling in my throat", "throat feels tight", "throat is tight", "tight throat", "chest pain*", "fainted",
    "passed out", "unconscious", "seizure*", "anaphyla*", "coughing up blood", "vomiting blood", "blood in my",
    "bleeding a lot", "can't stop bleeding",
];

/// Phrases that make a report mild.
#[rustfmt::skip]
const MILD: &[&str] = &[
    "mild*", "a little", "a bit", "slight*", "minor", "not too bad", "not that bad", "not bad", "not severe",
];

/// The symptoms named in `text` as short labels ("nausea, dizziness"), in
/// the order of the list above; `None` when none is named.
pub fn extract_symptoms(text: &str) -> Option<String> {
    let p = Phrases::new(text);
    let found: Vec<&str> = SYMPTOMS
        .iter()
        .filter(|(_, phrases)| p.any(phrases))
        .map(|(label, _)| *label)
        .collect();
    (!found.is_empty()).then(|| found.join(", "))
}

/// Whether `text` names a symptom.
pub fn mentions_symptom(text: &str) -> bool {
    let p = Phrases::new(text);
    SYMPTOMS.iter().any(|(_, phrases)| p.any(phrases))
}

/// How serious the report in `text` sounds: severe words (and breathing,
/// throat, face or tongue swelling, chest pain) win, then mild words ("a
/// little", "mild"); anything else, hives included, is moderate.
pub fn assess_severity(text: &str) -> Severity {
    let p = Phrases::new(text);
    let negated = p.any(&["not severe", "not that severe", "isn't severe", "not too severe"]);
    if !negated && p.any(SEVERE) {
        Severity::Severe
    } else if p.any(MILD) {
        Severity::Mild
    } else {
        Severity::Moderate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symptoms_are_labelled() {
        assert_eq!(
            extract_symptoms("I've been having nausea since starting Ozempic").as_deref(),
            Some("nausea")
        );
        assert_eq!(
            extract_symptoms("I'm dizzy and I threw up twice").as_deref(),
            Some("vomiting, dizziness")
        );
        assert_eq!(extract_symptoms("I broke out in hives").as_deref(), Some("hives"));
        assert_eq!(extract_symptoms("is my Ozempic covered"), None);
        assert_eq!(extract_symptoms(""), None);
        assert!(mentions_symptom("bad headaches"));
        assert!(!mentions_symptom("what are your hours"));
    }

    #[test]
    fn severity_from_words() {
        assert_eq!(assess_severity("severe nausea"), Severity::Severe);
        assert_eq!(assess_severity("I can't breathe"), Severity::Severe);
        assert_eq!(assess_severity("swelling of my face and lips"), Severity::Severe);
        assert_eq!(assess_severity("my throat feels tight"), Severity::Severe);
        assert_eq!(assess_severity("I have hives"), Severity::Moderate);
        assert_eq!(assess_severity("a little nausea"), Severity::Mild);
        assert_eq!(assess_severity("mild headache"), Severity::Mild);
        assert_eq!(assess_severity("it's not severe, just annoying"), Severity::Mild);
        assert_eq!(assess_severity("nausea"), Severity::Moderate);
        assert_eq!(assess_severity(""), Severity::Moderate);
    }
}
