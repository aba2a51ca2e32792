//! The post-call analysis: outcome, topics, medications (matched to the
//! formulary), a short summary, follow-up actions, a satisfaction estimate
//! and adverse events the dialog did not already flag. Deterministic: the
//! same call always gives the same analysis (the [`analyze`] function is
//! pure); the job handler loads the call, stores the result on it, records
//! new adverse events and emits the webhook events, all in the job's
//! transaction.

use dialog::Catalog;
use dialog::nlu::intents::{Intent, classify};
use dialog::nlu::matching::match_medication;
use dialog::nlu::symptoms::{assess_severity, extract_symptoms, mentions_symptom};
use dialog::tools::Severity;
use functions::calls::{Speaker, Utterance};
use serde::{Deserialize, Serialize};

mod job;
mod store;
#[cfg(test)]
mod tests;

pub use job::CallAnalysis;

/// Outcomes the analysis reports.
pub const OUTCOMES: &[&str] = &[
    "resolved",
    "transferred",
    "abandoned",
    "verification_failed",
    "emergency",
    "callback_queued",
];

/// What the analysis reads.
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    /// The dialog's outcome label, if it recorded one.
    pub outcome: Option<String>,
    /// Transport-level end reason.
    pub end_reason: Option<String>,
    /// Call length, seconds.
    pub duration_s: f64,
    /// Everything said, in order.
    pub utterances: Vec<Utterance>,
    /// Functions called: (name, outcome).
    pub functions: Vec<(String, String)>,
    /// Adverse events the dialog flagged live.
    pub flagged: Vec<AdverseFinding>,
    /// Staff tasks the call created.
    pub tasks: Vec<StaffTaskNote>,
    /// Call-control events (transfers, dials, Twilio statuses), in order:
    /// (kind, detail).
    pub control: Vec<(String, serde_json::Value)>,
}

/// A staff task the call created, as the analysis reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffTaskNote {
    /// Task id.
    pub id: i64,
    /// T1, T2, T3 or EMERGENCY.
    pub tier: String,
    /// Why.
    pub reason: String,
    /// open or closed.
    pub status: String,
}

/// An adverse event: a symptom reported with a medication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdverseFinding {
    /// The medication suspected, as in the formulary.
    pub medication: Option<String>,
    /// Symptom labels, comma-separated.
    pub symptoms: String,
    /// mild, moderate or severe.
    pub severity: String,
    /// Case number, once recorded.
    pub case_number: Option<String>,
    /// `dialog` (flagged live) or `analysis`.
    pub source: String,
}

/// The satisfaction estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Satisfaction {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: f32,
    /// `dissatisfied`, `neutral` or `satisfied`.
    pub label: String,
}

/// The analysis of one call, stored as `voice_calls.analysis`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// resolved, transferred, abandoned, verification_failed or emergency.
    pub call_outcome: String,
    /// What the caller asked about (intent labels), in order of first mention.
    pub topics: Vec<String>,
    /// Formulary medications mentioned, in order of first mention.
    pub medications: Vec<String>,
    /// One or two sentences.
    pub summary: String,
    /// What staff should do next.
    pub follow_up_actions: Vec<String>,
    /// How the caller probably felt.
    pub satisfaction: Satisfaction,
    /// Adverse events reported on the call (flagged live, or found here).
    pub adverse_events: Vec<AdverseFinding>,
    /// Caller turns.
    pub caller_turns: usize,
    /// Call length, seconds.
    pub duration_s: f64,
    /// Staff tasks the call created (callbacks, follow-ups).
    #[serde(default)]
    pub staff_tasks: Vec<StaffTaskNote>,
    /// Transfers: each dial's destination label and result, in order.
    #[serde(default)]
    pub transfers: Vec<serde_json::Value>,
}

/// How the dialog opens a passage quoted from a payer's policy.
const POLICY_QUOTE: &str = "According to ";

const NOT_TOPICS: &[Intent] = &[
    Intent::Yes,
    Intent::No,
    Intent::Backchannel,
    Intent::Unknown,
    Intent::Goodbye,
    Intent::Repeat,
    Intent::Hold,
    Intent::RefusesVerification,
];

/// Analyses `call` against the formulary in `catalog`.
pub fn analyze(call: &CallInput, catalog: &Catalog) -> Analysis {
    let caller: Vec<&Utterance> = call
        .utterances
        .iter()
        .filter(|u| u.speaker == Speaker::Caller && !u.text.trim().is_empty())
        .collect();
    let mut topics: Vec<String> = Vec::new();
    for u in &caller {
        let intent = classify(&u.text);
        if !NOT_TOPICS.contains(&intent) {
            push_new(&mut topics, intent.label());
        }
    }
    // Medications, and which one each utterance is about (the last named).
    let mut medications: Vec<String> = Vec::new();
    let mut found: Vec<AdverseFinding> = Vec::new();
    let mut current: Option<String> = None;
    for u in &call.utterances {
        // A quoted policy lists every drug it covers: not what the call was about.
        let quote = u.speaker == Speaker::Bot && u.text.starts_with(POLICY_QUOTE);
        if !quote && let Some(m) = match_medication(&u.text, catalog) {
            push_new(&mut medications, &m);
            current = Some(m);
        }
        if u.speaker == Speaker::Caller
            && mentions_symptom(&u.text)
            && let Some(symptoms) = extract_symptoms(&u.text)
        {
            merge_finding(&mut found, current.clone(), &symptoms, assess_severity(&u.text));
        }
    }
    // Keep only what the dialog did not already flag.
    let mut adverse_events = call.flagged.clone();
    for f in found {
        let already = call.flagged.iter().any(|d| {
            f.medication.is_none()
                || d.medication.as_deref().map(str::to_lowercase) == f.medication.as_deref().map(str::to_lowercase)
        });
        if !already {
            adverse_events.push(f);
        }
    }
    if !adverse_events.is_empty() {
        push_new(&mut topics, Intent::SideEffect.label());
    }
    let call_outcome = outcome(call);
    let satisfaction = satisfaction(call, &call_outcome, &caller);
    let follow_up_actions = follow_ups(call, &call_outcome, &topics, &medications, &adverse_events);
    let summary = summary(
        call,
        &call_outcome,
        caller.len(),
        &topics,
        &medications,
        &adverse_events,
    );
    Analysis {
        call_outcome,
        topics,
        medications,
        summary,
        follow_up_actions,
        satisfaction,
        adverse_events,
        caller_turns: caller.len(),
        duration_s: call.duration_s,
        staff_tasks: call.tasks.clone(),
        transfers: call
            .control
            .iter()
            .filter(|(k, _)| k == "transfer" || k == "dial")
            .map(|(_, d)| d.clone())
            .collect(),
    }
}

fn push_new(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_owned());
    }
}

fn merge_finding(found: &mut Vec<AdverseFinding>, medication: Option<String>, symptoms: &str, severity: Severity) {
    if let Some(f) = found.iter_mut().find(|f| f.medication == medication) {
        for s in symptoms.split(", ") {
            if !f.symptoms.split(", ").any(|x| x == s) {
                f.symptoms = format!("{}, {s}", f.symptoms);
            }
        }
        if rank(severity.label()) > rank(&f.severity) {
            f.severity = severity.label().to_owned();
        }
        return;
    }
    found.push(AdverseFinding {
        medication,
        symptoms: symptoms.to_owned(),
        severity: severity.label().to_owned(),
        case_number: None,
        source: "analysis".into(),
    });
}

fn rank(severity: &str) -> u8 {
    match severity {
        "severe" => 2,
        "moderate" => 1,
        _ => 0,
    }
}

fn outcome(call: &CallInput) -> String {
    match call.outcome.as_deref() {
        Some(o) if OUTCOMES.contains(&o) => o.to_owned(),
        _ if call.end_reason.as_deref() == Some("transferred") => "transferred".into(),
        // Silent, or ended mid-conversation without an outcome: the caller left.
        _ => "abandoned".into(),
    }
}

const POSITIVE: &[&str] = &[
    "thank",
    "thanks",
    "great",
    "perfect",
    "helpful",
    "appreciate",
    "wonderful",
    "awesome",
];
const NEGATIVE: &[&str] = &[
    "frustrat",
    "ridiculous",
    "angry",
    "useless",
    "terrible",
    "annoy",
    "not helpful",
    "waste of time",
    "complain",
];

fn satisfaction(call: &CallInput, outcome: &str, caller: &[&Utterance]) -> Satisfaction {
    let mut score: f32 = 3.0;
    score += match outcome {
        "resolved" => 1.0,
        "abandoned" | "verification_failed" => -1.0,
        _ => 0.0,
    };
    let text: String = caller
        .iter()
        .map(|u| u.text.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    if POSITIVE.iter().any(|w| text.contains(w)) {
        score += 1.0;
    }
    if NEGATIVE.iter().any(|w| text.contains(w)) {
        score -= 1.5;
    }
    let cut = call.utterances.iter().filter(|u| u.cut_off).count();
    if cut >= 2 {
        score -= 0.5;
    }
    let score = score.clamp(1.0, 5.0);
    let label = if score >= 3.75 {
        "satisfied"
    } else if score <= 2.25 {
        "dissatisfied"
    } else {
        "neutral"
    };
    Satisfaction {
        score,
        label: label.into(),
    }
}

fn follow_ups(
    call: &CallInput,
    outcome: &str,
    topics: &[String],
    medications: &[String],
    aes: &[AdverseFinding],
) -> Vec<String> {
    let mut out = Vec::new();
    let med = medications.last().map(String::as_str).unwrap_or("the medication");
    match outcome {
        "transferred" => out.push("Complete the hand-off: a staff member owns this call's request".to_owned()),
        "verification_failed" => out.push("Call back to verify the caller's identity".to_owned()),
        "emergency" => out.push("Clinical follow-up on the reported emergency".to_owned()),
        "abandoned" if !topics.is_empty() => {
            out.push("Call back: the caller left before the request was answered".to_owned())
        }
        _ => {}
    }
    if call
        .functions
        .iter()
        .any(|(n, o)| n == "verify_benefits" && matches!(o.as_str(), "pending" | "completed_late" | "failed_late"))
    {
        out.push(format!("Call the caller back with the benefits result for {med}"));
    }
    for t in topics {
        match t.as_str() {
            "refill" => out.push(format!("Process the refill request for {med}")),
            "new_prescription" => out.push("Pharmacist to handle the new prescription".to_owned()),
            "complaint" | "refund" => out.push("Supervisor to review the complaint or refund request".to_owned()),
            "clinical_question" | "interaction" | "controlled_substance" => {
                out.push("Pharmacist to answer the clinical question".to_owned())
            }
            _ => {}
        }
    }
    for ae in aes {
        let what = ae.medication.as_deref().unwrap_or("an unnamed medication");
        let case = ae.case_number.as_deref().unwrap_or("new case");
        out.push(format!("Pharmacovigilance review ({case}): {} on {what}", ae.symptoms));
    }
    out
}

fn summary(
    call: &CallInput,
    outcome: &str,
    turns: usize,
    topics: &[String],
    medications: &[String],
    aes: &[AdverseFinding],
) -> String {
    let mut s = format!(
        "{} call, {turns} caller turn{} over {:.0} s.",
        match outcome {
            "resolved" => "Resolved",
            "transferred" => "Transferred",
            "verification_failed" => "Unverified",
            "emergency" => "Emergency",
            _ => "Abandoned",
        },
        if turns == 1 { "" } else { "s" },
        call.duration_s
    );
    if !topics.is_empty() {
        s += &format!(" Topics: {}.", topics.join(", ").replace('_', " "));
    }
    if !medications.is_empty() {
        s += &format!(" Medications: {}.", medications.join(", "));
    }
    for ae in aes {
        s += &format!(
            " Adverse event: {} ({}){}.",
            ae.symptoms,
            ae.severity,
            ae.medication
                .as_deref()
                .map(|m| format!(" with {m}"))
                .unwrap_or_default()
        );
    }
    s
}
