use super::*;

fn catalog() -> Catalog {
    Catalog {
        medications: ["Ozempic", "Metformin", "Humira", "Lisinopril"]
            .map(String::from)
            .to_vec(),
        payers: ["Aetna", "Blue Cross Blue Shield"].map(String::from).to_vec(),
    }
}

fn say(speaker: Speaker, at: u64, text: &str) -> Utterance {
    Utterance {
        speaker,
        text: text.into(),
        started_ms: at,
        ended_ms: Some(at + 1000),
        cut_off: false,
    }
}

fn call(outcome: &str, lines: &[(Speaker, &str)]) -> CallInput {
    CallInput {
        outcome: Some(outcome.into()),
        end_reason: Some("stopped".into()),
        duration_s: 62.0,
        utterances: lines
            .iter()
            .enumerate()
            .map(|(i, (s, t))| say(*s, i as u64 * 3000, t))
            .collect(),
        ..Default::default()
    }
}

#[test]
fn resolved_pa_call() {
    let c = call(
        "resolved",
        &[
            (Speaker::Bot, "Thanks for calling. What is your full name?"),
            (Speaker::Caller, "Maria Garcia"),
            (Speaker::Caller, "March third 1985"),
            (Speaker::Caller, "Does my Ozempic need prior authorization?"),
            (
                Speaker::Bot,
                "According to the GLP-1 policy: this policy applies to Ozempic, Humira and Metformin.",
            ),
            (Speaker::Caller, "Is it covered?"),
            (Speaker::Caller, "That's great, thank you, goodbye"),
        ],
    );
    let a = analyze(&c, &catalog());
    assert_eq!(a.call_outcome, "resolved");
    // A quoted policy's drug list is not what the call was about.
    assert_eq!(a.medications, vec!["Ozempic"]);
    assert!(a.topics.contains(&"prior_auth".to_owned()), "{:?}", a.topics);
    assert!(a.topics.contains(&"coverage".to_owned()), "{:?}", a.topics);
    assert!(a.adverse_events.is_empty());
    assert_eq!(a.satisfaction.label, "satisfied");
    assert_eq!(a.caller_turns, 5);
    assert!(
        a.summary.starts_with("Resolved call, 5 caller turns over 62 s."),
        "{}",
        a.summary
    );
    // Deterministic.
    assert_eq!(a, analyze(&c, &catalog()));
}

#[test]
fn side_effect_found_with_the_medication_in_context() {
    let c = call(
        "transferred",
        &[
            (Speaker::Caller, "I started Humira last week"),
            (
                Speaker::Caller,
                "and now I feel dizzy and I have a bad rash, this is really frustrating",
            ),
        ],
    );
    let a = analyze(&c, &catalog());
    assert_eq!(a.adverse_events.len(), 1);
    let ae = &a.adverse_events[0];
    assert_eq!(ae.medication.as_deref(), Some("Humira"));
    assert!(
        ae.symptoms.contains("dizziness") && ae.symptoms.contains("rash"),
        "{}",
        ae.symptoms
    );
    assert_eq!(ae.source, "analysis");
    assert!(a.topics.contains(&"side_effect".to_owned()));
    assert_eq!(a.satisfaction.label, "dissatisfied");
    assert!(a.follow_up_actions.iter().any(|f| f.contains("Pharmacovigilance")));
    assert!(a.follow_up_actions.iter().any(|f| f.contains("hand-off")));
}

#[test]
fn events_the_dialog_flagged_are_not_found_twice() {
    let mut c = call("resolved", &[(Speaker::Caller, "Ozempic makes me nauseous")]);
    c.flagged.push(AdverseFinding {
        medication: Some("Ozempic".into()),
        symptoms: "nausea".into(),
        severity: "moderate".into(),
        case_number: Some("AE-2026-001000".into()),
        source: "dialog".into(),
    });
    let a = analyze(&c, &catalog());
    assert_eq!(a.adverse_events.len(), 1);
    assert_eq!(a.adverse_events[0].source, "dialog");
}

#[test]
fn silent_call_is_abandoned_and_pending_benefits_are_followed_up() {
    let mut c = call("in_progress", &[]);
    let a = analyze(&c, &catalog());
    assert_eq!(a.call_outcome, "abandoned");
    assert!(a.topics.is_empty() && a.follow_up_actions.is_empty());

    c = call("resolved", &[(Speaker::Caller, "is Metformin covered")]);
    c.functions.push(("verify_benefits".into(), "pending".into()));
    let a = analyze(&c, &catalog());
    assert!(
        a.follow_up_actions
            .iter()
            .any(|f| f == "Call the caller back with the benefits result for Metformin"),
        "{:?}",
        a.follow_up_actions
    );
}
