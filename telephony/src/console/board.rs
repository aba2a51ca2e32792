//! The live board (sans-IO): what the console shows of each live call,
//! kept from the call events of [`crate::monitor`]: verified or not, the
//! last intent, the staff tier it went to, the functions called against
//! their budgets, and the recent lines of its conversation (PHI: served
//! only to signed-in users, each view audited).

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use crate::call::events::{AgentNote, Speaker};
use crate::monitor::{MonitorEvent, MonitorNote};

/// Lines of a call kept for a console that opens it late.
const LINES_KEPT: usize = 200;
/// Function calls kept per call.
const FUNCTIONS_KEPT: usize = 20;

/// A function call, against its budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionCall {
    /// Function name.
    pub name: &'static str,
    /// Time to its answer, ms.
    pub latency_ms: u64,
    /// Its budget, ms.
    pub budget_ms: u64,
    /// Outcome label.
    pub outcome: &'static str,
}

/// What the console knows of a call beyond the registry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallFacts {
    /// The caller's identity was verified.
    pub verified: bool,
    /// The last request understood.
    pub intent: Option<&'static str>,
    /// The staff tier it was handed to.
    pub tier: Option<&'static str>,
    /// A supervisor has the call.
    pub taken_over: bool,
    /// Recent function calls, oldest first.
    pub functions: Vec<FunctionCall>,
}

/// One line of a live call's conversation as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// `caller`, `bot`, `supervisor` (their spoken words), `guidance`
    /// (typed to the bot, unheard by the caller) or `event`.
    pub kind: &'static str,
    /// The words.
    pub text: String,
    /// The supervisor, for their lines and guidance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// ms of call audio, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
}

/// A change the console must show.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A call's facts changed.
    Facts(String),
    /// A new line on a call.
    Line(String, Line),
    /// The call ended.
    Ended(String),
}

#[derive(Default)]
struct Entry {
    facts: CallFacts,
    lines: VecDeque<Line>,
}

/// The board of this server's live calls.
#[derive(Default)]
pub struct Board {
    calls: HashMap<String, Entry>,
}

impl Board {
    /// Applies one call event; returns what changed.
    pub fn apply(&mut self, ev: &MonitorEvent) -> Vec<Update> {
        let sid = &ev.call_sid;
        if let MonitorNote::Ended { .. } = ev.what {
            self.calls.remove(sid);
            return vec![Update::Ended(sid.clone())];
        }
        let e = self.calls.entry(sid.clone()).or_default();
        let line = |e: &mut Entry, l: Line| {
            if e.lines.len() == LINES_KEPT {
                e.lines.pop_front();
            }
            e.lines.push_back(l.clone());
            Update::Line(sid.clone(), l)
        };
        match &ev.what {
            MonitorNote::Started => vec![Update::Facts(sid.clone())],
            MonitorNote::Transcript(u) => {
                let kind = match u.speaker {
                    Speaker::Caller => "caller",
                    Speaker::Bot => "bot",
                    Speaker::Supervisor => "supervisor",
                };
                let text = if u.cut_off {
                    format!("{} …", u.text)
                } else {
                    u.text.clone()
                };
                vec![line(
                    e,
                    Line {
                        kind,
                        text,
                        by: None,
                        at_ms: Some(u.started_ms),
                    },
                )]
            }
            MonitorNote::Agent(note) => match note {
                AgentNote::Status {
                    verified,
                    intent,
                    taken_over,
                } => {
                    e.facts.verified = *verified;
                    e.facts.intent = *intent;
                    e.facts.taken_over = *taken_over;
                    vec![Update::Facts(sid.clone())]
                }
                AgentNote::Transfer { tier, reason } | AgentNote::StaffTask { tier, reason } => {
                    e.facts.tier = Some(tier);
                    let what = if matches!(note, AgentNote::Transfer { .. }) {
                        "transfer"
                    } else {
                        "staff task"
                    };
                    let l = line(
                        e,
                        Line {
                            kind: "event",
                            text: format!("{what} to {tier} ({reason})"),
                            by: None,
                            at_ms: None,
                        },
                    );
                    vec![Update::Facts(sid.clone()), l]
                }
                _ => Vec::new(),
            },
            MonitorNote::FunctionDone {
                name,
                latency,
                budget,
                outcome,
            } => {
                if e.facts.functions.len() == FUNCTIONS_KEPT {
                    e.facts.functions.remove(0);
                }
                e.facts.functions.push(FunctionCall {
                    name,
                    latency_ms: latency.as_millis() as u64,
                    budget_ms: budget.as_millis() as u64,
                    outcome,
                });
                vec![Update::Facts(sid.clone())]
            }
            MonitorNote::Supervisor { by, action, text } => {
                let (kind, text) = match (*action, text) {
                    ("guide", Some(t)) => ("guidance", t.clone()),
                    (a, _) => ("event", format!("{by}: {}", a.replace('_', " "))),
                };
                vec![line(
                    e,
                    Line {
                        kind,
                        text,
                        by: Some(by.clone()),
                        at_ms: None,
                    },
                )]
            }
            MonitorNote::Ended { .. } => unreachable!("handled above"),
        }
    }

    /// A call's facts (default for a call with no events yet).
    pub fn facts(&self, call_sid: &str) -> CallFacts {
        self.calls.get(call_sid).map(|e| e.facts.clone()).unwrap_or_default()
    }

    /// A call's recent lines, oldest first.
    pub fn lines(&self, call_sid: &str) -> Vec<Line> {
        self.calls
            .get(call_sid)
            .map(|e| e.lines.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::call::events::{EndReason, Utterance};

    fn ev(what: MonitorNote) -> MonitorEvent {
        MonitorEvent {
            call_sid: "CA1".into(),
            what,
        }
    }

    #[test]
    fn a_call_is_followed_from_start_to_end() {
        let mut b = Board::default();
        assert_eq!(b.apply(&ev(MonitorNote::Started)), vec![Update::Facts("CA1".into())]);
        let u = Utterance {
            speaker: Speaker::Caller,
            text: "I need my copay".into(),
            started_ms: 1200,
            ended_ms: 2400,
            cut_off: false,
        };
        let got = b.apply(&ev(MonitorNote::Transcript(u)));
        assert!(matches!(&got[0], Update::Line(_, l) if l.kind == "caller" && l.at_ms == Some(1200)));
        b.apply(&ev(MonitorNote::Agent(AgentNote::Status {
            verified: true,
            intent: Some("coverage"),
            taken_over: false,
        })));
        b.apply(&ev(MonitorNote::FunctionDone {
            name: "patient_lookup",
            latency: Duration::from_millis(12),
            budget: Duration::from_millis(200),
            outcome: "ok",
        }));
        b.apply(&ev(MonitorNote::Supervisor {
            by: "ana".into(),
            action: "guide",
            text: Some("offer a callback".into()),
        }));
        let f = b.facts("CA1");
        assert!(f.verified);
        assert_eq!(f.intent, Some("coverage"));
        assert_eq!(f.functions[0].budget_ms, 200);
        let lines = b.lines("CA1");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].kind, "guidance");
        assert_eq!(lines[1].by.as_deref(), Some("ana"));
        let end = b.apply(&ev(MonitorNote::Ended {
            reason: EndReason::Stopped,
            outcome: None,
        }));
        assert_eq!(end, vec![Update::Ended("CA1".into())]);
        assert!(b.lines("CA1").is_empty());
    }

    #[test]
    fn lines_kept_are_bounded() {
        let mut b = Board::default();
        for i in 0..(LINES_KEPT + 5) {
            b.apply(&ev(MonitorNote::Transcript(Utterance {
                speaker: Speaker::Bot,
                text: format!("line {i}"),
                started_ms: i as u64,
                ended_ms: i as u64,
                cut_off: false,
            })));
        }
        let lines = b.lines("CA1");
        assert_eq!(lines.len(), LINES_KEPT);
        assert_eq!(lines[0].text, "line 5");
    }
}
