//! Call control: what the server asks of Twilio beyond the media stream.
//! Transfers put the caller through to a person (a `<Dial>` of the staff
//! line by tier and business hours, with a whisper of context to whoever
//! answers), or, when nobody can answer, make a callback task and say so.
//!
//! A transfer redirects the live call through the REST API (a call update
//! with the `<Dial>` TwiML) while the stream is still up, so the caller is
//! never left without TwiML to run; the same update serves outbound digit
//! presses later. If the REST API cannot be reached, the server closes the
//! stream and Twilio asks the `<Connect action>` URL for the next TwiML,
//! which answers with the same `<Dial>` (the fallback).

pub mod directory;
pub mod hooks;
pub mod tokens;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dialog::{Handoff, Tier};
use functions::tasks::NewTask;
use serde_json::json;

use crate::twilio::rest::{CallUpdate, TwilioRest};
use crate::twilio::twiml::{self, Dial};
use directory::{Line, Route, StaffDirectory};
use tokens::StreamTokens;

/// Plans older than this are forgotten (a dial never lasts that long).
const PLAN_TTL: Duration = Duration::from_secs(4 * 3600);

/// A transfer the dialog decided: sent by the call session once the last
/// line before it has played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOrder {
    /// The dialog's tier.
    pub tier: Tier,
    /// Why (the dialog's reason label; `emergency` goes to the emergency line).
    pub reason: &'static str,
    /// What staff are told.
    pub handoff: Option<Handoff>,
}

/// A task the dialog promised ("I've asked a pharmacist to call you back").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskOrder {
    /// The dialog's tier.
    pub tier: Tier,
    /// Why.
    pub reason: &'static str,
    /// What staff are told.
    pub handoff: Handoff,
}

/// What a transfer did, for the call record.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferDone {
    /// A `call_events` entry (`transfer`).
    pub event: serde_json::Value,
    /// The callback task, when nobody could take the call.
    pub task: Option<NewTask>,
}

/// A transfer in flight, looked up by the whisper and dial-status webhooks.
#[derive(Debug, Clone)]
struct Plan {
    call_sid: String,
    line: Line,
    whisper: String,
    callback: NewTask,
    created: Instant,
}

/// Per call: the base URL Twilio reached us on, and the TwiML to answer
/// the `<Connect action>` with.
#[derive(Debug, Clone, Default)]
struct CallNote {
    base: String,
    next: Option<String>,
    created: Option<Instant>,
}

/// Call control state shared by every call.
#[derive(Debug, Default)]
pub struct CallControl {
    /// Twilio's REST API; `None`: not configured (transfers use the
    /// `<Connect action>` fallback only).
    pub rest: Option<TwilioRest>,
    /// Staff lines.
    pub directory: StaffDirectory,
    /// One-time media stream tokens.
    pub tokens: StreamTokens,
    plans: Mutex<HashMap<String, Plan>>,
    calls: Mutex<HashMap<String, CallNote>>,
}

/// A stable, spoken reason.
fn reason_words(reason: &str) -> &'static str {
    match reason {
        "caller_request" => "asked for a person",
        "not_understood" => "the assistant could not understand the caller",
        "verification_failed" => "identity could not be verified",
        "verification_locked" => "identity verification is locked after repeated failures",
        "records_unavailable" => "patient records were unavailable",
        "emergency" => "possible emergency reported",
        "adverse_event_severe" => "severe side effect reported",
        "benefits_pending" | "benefits_unavailable" => "benefits check needs follow-up",
        "pa_policy_not_found" => "prior authorization question needs follow-up",
        "adverse_event_unrecorded" => "side effect report needs recording",
        "dial_no_answer" | "dial_busy" | "dial_failed" => "transfer not answered",
        _ => "needs staff",
    }
}

/// What staff are told, in one or two sentences. The medication (PHI) is
/// given only to the lines whose role needs it (pharmacist, manager,
/// emergency), and only for a verified caller.
pub fn context_sentence(line: Line, h: Option<&Handoff>, reason: &str) -> String {
    let mut s = format!("Reason: {}.", reason_words(reason));
    let Some(h) = h else {
        return s;
    };
    s.push_str(if h.verified {
        " The caller is verified."
    } else {
        " The caller is not verified."
    });
    if let Some(i) = h.intent {
        s.push_str(&format!(" Request: {}.", i.replace('_', " ")));
    }
    if line != Line::T1
        && h.verified
        && let Some(m) = &h.medication
    {
        s.push_str(&format!(" Medication: {m}."));
    }
    s
}

impl CallControl {
    /// Call control with these parts.
    pub fn new(rest: Option<TwilioRest>, directory: StaffDirectory) -> Self {
        Self {
            rest,
            directory,
            ..Default::default()
        }
    }

    /// Remembers the base URL a call's webhook came in on (for the action
    /// and whisper URLs of its transfer).
    pub fn note_call(&self, call_sid: &str, base: &str) {
        let mut m = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        m.retain(|_, n| n.created.is_some_and(|c| now.saturating_duration_since(c) < PLAN_TTL));
        m.insert(
            call_sid.to_owned(),
            CallNote {
                base: base.to_owned(),
                next: None,
                created: Some(now),
            },
        );
    }

    fn base(&self, call_sid: &str) -> Option<String> {
        let m = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        m.get(call_sid).map(|n| n.base.clone())
    }

    /// The TwiML the `<Connect action>` answers for `call_sid` (taken once).
    pub fn take_next(&self, call_sid: &str) -> Option<String> {
        let mut m = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        m.get_mut(call_sid).and_then(|n| n.next.take())
    }

    fn set_next(&self, call_sid: &str, twiml: String) {
        let mut m = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(call_sid.to_owned()).or_default().next = Some(twiml);
    }

    /// The whisper for transfer `key`.
    pub fn whisper(&self, key: &str) -> Option<String> {
        let m = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        m.get(key).map(|p| p.whisper.clone())
    }

    /// The call, line and callback of transfer `key`.
    pub fn plan(&self, key: &str) -> Option<(String, Line, NewTask)> {
        let m = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        m.get(key).map(|p| (p.call_sid.clone(), p.line, p.callback.clone()))
    }

    /// The callback task for a call on `line`.
    pub fn callback_task(
        &self,
        call_sid: &str,
        from: Option<&str>,
        line: Line,
        reason: &str,
        handoff: Option<&Handoff>,
        now: DateTime<Utc>,
    ) -> NewTask {
        let due = match self.directory.route(line, now) {
            // Open now: within the hour. Closed: an hour after opening.
            Route::Dial { .. } => now + chrono::Duration::hours(1),
            Route::Closed { next_open: Some(t) } => t + chrono::Duration::hours(1),
            Route::Closed { next_open: None } => now + chrono::Duration::hours(24),
        };
        NewTask {
            call_sid: Some(call_sid.to_owned()),
            kind: "callback".into(),
            tier: line.label().into(),
            reason: reason.to_owned(),
            summary: context_sentence(line, handoff, reason),
            patient_id: handoff.and_then(|h| h.patient_id),
            callback_number: from.map(str::to_owned),
            due_at: due,
        }
    }

    /// Puts the call through to a person, or arranges a callback when
    /// nobody can answer; redirects the live call (REST update, with the
    /// `<Connect action>` as the fallback).
    pub async fn transfer(
        &self,
        call_sid: &str,
        from: Option<&str>,
        order: &TransferOrder,
        now: DateTime<Utc>,
    ) -> TransferDone {
        let wanted = Line::for_transfer(order.tier, order.reason);
        let handoff = order.handoff.as_ref();
        let base = self.base(call_sid).unwrap_or_default();
        let (twiml, mut event, task) = match self.directory.route(wanted, now) {
            Route::Dial { line, destination } => {
                let key = tokens::random_hex();
                let callback = self.callback_task(call_sid, from, line, "dial_no_answer", handoff, now);
                let whisper = format!(
                    "Transferred call from the pharmacy benefits line. {}",
                    context_sentence(line, handoff, order.reason)
                );
                let action = format!("{base}/twilio/dial-status?k={key}");
                let whisper_url = format!("{base}/twilio/whisper?k={key}");
                let twiml = twiml::dial(&Dial {
                    target: &destination.target,
                    timeout_secs: self.directory.dial_timeout_secs,
                    action: &action,
                    whisper_url: &whisper_url,
                    caller_id: None,
                });
                let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
                let at = Instant::now();
                plans.retain(|_, p| at.saturating_duration_since(p.created) < PLAN_TTL);
                plans.insert(
                    key,
                    Plan {
                        call_sid: call_sid.to_owned(),
                        line,
                        whisper,
                        callback,
                        created: at,
                    },
                );
                drop(plans);
                let event = json!({"line": line.label(), "wanted": wanted.label(), "reason": order.reason,
                                   "result": "dialing"});
                (twiml, event, None)
            }
            Route::Closed { .. } => {
                let task = self.callback_task(call_sid, from, wanted, order.reason, handoff, now);
                let mut lines = vec![format!(
                    "I'm sorry, nobody can take your call right now. We've asked {} to call you back as soon as possible.",
                    wanted.role()
                )];
                if wanted == Line::Emergency {
                    lines.insert(0, "If this is a medical emergency, hang up and dial 9 1 1.".into());
                }
                let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
                let event = json!({"line": wanted.label(), "wanted": wanted.label(), "reason": order.reason,
                                   "result": "callback_task"});
                (twiml::say_then_hangup(&refs), event, Some(task))
            }
        };
        self.set_next(call_sid, twiml.clone());
        let via = match &self.rest {
            Some(rest) => match rest.update_call(call_sid, &CallUpdate::Twiml(twiml)).await {
                Ok(_) => {
                    // Redirected: the action will not be asked.
                    self.take_next(call_sid);
                    "rest_update".to_owned()
                }
                Err(e) => {
                    tracing::warn!(call_id = call_sid, error = %e, "call update failed: <Connect action> fallback");
                    format!("connect_action (REST failed: {e})")
                }
            },
            None => "connect_action".to_owned(),
        };
        event["via"] = json!(via);
        TransferDone { event, task }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff(verified: bool) -> Handoff {
        Handoff {
            reason: "caller_request",
            verified,
            intent: Some("prior_auth"),
            medication: Some("Ozempic".into()),
            patient_id: verified.then_some(7),
        }
    }

    #[test]
    fn staff_hear_no_more_phi_than_their_role_needs() {
        let t1 = context_sentence(Line::T1, Some(&handoff(true)), "caller_request");
        assert_eq!(
            t1,
            "Reason: asked for a person. The caller is verified. Request: prior auth."
        );
        let t2 = context_sentence(Line::T2, Some(&handoff(true)), "adverse_event_severe");
        assert!(t2.ends_with("Medication: Ozempic."), "{t2}");
        let unverified = context_sentence(Line::T2, Some(&handoff(false)), "emergency");
        assert!(
            !unverified.contains("Ozempic") && unverified.contains("not verified"),
            "{unverified}"
        );
    }

    #[tokio::test]
    async fn nobody_on_duty_makes_a_callback_task_and_an_honest_notice() {
        let ctl = CallControl::default();
        ctl.note_call("CA1", "https://voice.example.com");
        let order = TransferOrder {
            tier: Tier::T2,
            reason: "emergency",
            handoff: Some(handoff(true)),
        };
        let now = Utc::now();
        let done = ctl.transfer("CA1", Some("+15550100001"), &order, now).await;
        let task = done.task.expect("callback task");
        assert_eq!((task.tier.as_str(), task.reason.as_str()), ("EMERGENCY", "emergency"));
        assert_eq!(task.callback_number.as_deref(), Some("+15550100001"));
        assert_eq!(task.patient_id, Some(7));
        assert_eq!(done.event["via"], "connect_action");
        let next = ctl.take_next("CA1").expect("fallback TwiML");
        assert!(next.contains("dial 9 1 1") && next.contains("<Hangup/>"), "{next}");
        assert!(ctl.take_next("CA1").is_none(), "answered once");
    }
}
