//! Intent accuracy on phrasings kept apart from the ones the grammar was
//! written against (`dialog/src/nlu/intents.rs` tests are the development
//! set). Written once and not tuned on: misses are reported, not fixed
//! here, and the figure goes to BENCHMARKS.md. Text only (no recogniser).

use dialog::nlu::{Intent, classify};

#[rustfmt::skip]
const HELD_OUT: &[(&str, Intent)] = &[
    ("Will my insurance pay for Humira?", Intent::Coverage),
    ("Is Trulicity on my formulary?", Intent::Coverage),
    ("what would I pay for Eliquis with my plan", Intent::Coverage),
    ("does Cigna cover Jardiance", Intent::Coverage),
    ("have I met my deductible", Intent::Coverage),
    ("Do I need approval from my insurance before filling Mounjaro?", Intent::PriorAuth),
    ("has the prior auth for my Humira gone through", Intent::PriorAuth),
    ("what does my plan need before they approve Wegovy", Intent::PriorAuth),
    ("is there a PA on Skyrizi", Intent::PriorAuth),
    ("I'm almost out of my lisinopril", Intent::Refill),
    ("can you refill my atorvastatin", Intent::Refill),
    ("I need more of my metformin", Intent::Refill),
    ("is my order ready to pick up", Intent::Status),
    ("when will my prescription be ready", Intent::Status),
    ("has my Ozempic shipped yet", Intent::Status),
    ("Metformin is upsetting my stomach", Intent::SideEffect),
    ("I've had a rash since I started Enbrel", Intent::SideEffect),
    ("ever since the new pills I feel dizzy", Intent::SideEffect),
    ("put me through to a real person please", Intent::Human),
    ("I'd like to speak with someone", Intent::Human),
    ("operator", Intent::Human),
    ("can I get a human on the line", Intent::Human),
    ("transfer me to a pharmacist", Intent::Human),
    ("I don't want an agent, I want to know about my copay", Intent::Coverage),
    ("the representative I talked to yesterday said my refill was ready", Intent::Status),
    ("my pharmacist says Eliquis needs a prior authorization", Intent::PriorAuth),
    ("my husband took too many of his pills and won't wake up", Intent::Emergency),
    ("I think I'm having an allergic reaction and my throat is swelling", Intent::Emergency),
    ("I'm having chest pains", Intent::Emergency),
    ("that's everything, thanks", Intent::Goodbye),
    ("okay bye now", Intent::Goodbye),
    ("no that's all I needed", Intent::Goodbye),
    ("what time do you close today", Intent::Hours),
    ("are you open on Sunday", Intent::Hours),
    ("which medicines do I have on file", Intent::Medications),
    ("can you tell me what prescriptions I have", Intent::Medications),
    ("sorry, what was that?", Intent::Repeat),
    ("could you say that again", Intent::Repeat),
    ("pardon?", Intent::Repeat),
    ("one moment please", Intent::Hold),
    ("hang on let me grab my card", Intent::Hold),
    ("I'd rather not give my date of birth", Intent::RefusesVerification),
    ("why do you need to know my birthday", Intent::RefusesVerification),
    ("how much would it cost without insurance", Intent::Price),
    ("is there a coupon for Eliquis", Intent::Price),
    ("can I take ibuprofen with my lisinopril", Intent::Interaction),
    ("is it okay to mix alcohol with metformin", Intent::Interaction),
    ("my doctor sent over a new prescription", Intent::NewPrescription),
    ("I want to transfer my prescription from another pharmacy", Intent::NewPrescription),
    ("I want to file a complaint about the service", Intent::Complaint),
    ("the last person I spoke to was rude", Intent::Complaint),
    ("I was charged twice for my last order", Intent::Refund),
    ("yes that's right", Intent::Yes),
    ("nope", Intent::No),
    ("mm-hmm", Intent::Backchannel),
    ("okay", Intent::Backchannel),
    ("can I split my Eliquis tablets in half", Intent::ClinicalQuestion),
    ("what happens if I miss a dose of Xarelto", Intent::ClinicalQuestion),
    ("is Adderall a controlled substance", Intent::ControlledSubstance),
    ("I need to talk to somebody about my bill, it's wrong", Intent::Human),
];

/// Measured on first run (see BENCHMARKS.md); a drop below it is a regression.
const FLOOR: f64 = 0.80;

#[test]
fn held_out_intent_accuracy() {
    let mut misses = Vec::new();
    for (text, want) in HELD_OUT {
        let got = classify(text);
        if got != *want {
            misses.push(format!("{text:?}: want {want:?}, got {got:?}"));
        }
    }
    let n = HELD_OUT.len();
    let accuracy = (n - misses.len()) as f64 / n as f64;
    println!("held-out intent accuracy {accuracy:.3} ({}/{n})", n - misses.len());
    for m in &misses {
        println!("  miss: {m}");
    }
    assert!(n >= 60, "{n} utterances");
    assert!(accuracy >= FLOOR, "accuracy {accuracy:.3} < {FLOOR}: {misses:#?}");
}
