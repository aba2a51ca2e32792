//! `<Dial>`: ring the staff line the number or SIP URI names; when someone
//! picks up (after the configured ring time, within the dial's timeout) run
//! the `<Number url>` TwiML to them (the whisper, recorded; a `<Hangup>`
//! there declines the call), then bridge: the caller hears the staff
//! member's greeting and the staff member hangs up. The dialed leg is a call
//! of its own (`outbound-dial`, with its parent), with status callbacks when
//! the noun asks for them. Then the `action` gets `DialCallStatus`, or the
//! next verb runs.

use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::call::{CallRun, Flow, wait};
use crate::ids::new_sid;
use crate::party::StaffParty;
use crate::records::CallRecord;
use crate::report::DialRecord;
use crate::state::{Control, Source};
use crate::status::StatusHook;
use crate::twiml::{self, Dial, DialTarget, Method, TargetKind, Verb};

/// Documents a whisper may chain through `<Redirect>`.
const MAX_WHISPER_DOCUMENTS: usize = 8;

/// The dialed leg: its call record and status callback.
struct Leg {
    sid: String,
    hook: Option<StatusHook>,
}

impl Leg {
    fn set(&mut self, run: &CallRun, status: &str) {
        run.shared.set_status(&self.sid, status);
        if let (Some(h), Some(rec)) = (&mut self.hook, run.shared.call(&self.sid)) {
            h.report(&rec, status);
        }
    }
}

/// Runs a `<Dial>`.
pub(crate) async fn dial(run: &mut CallRun, d: Dial, ctl: &mut UnboundedReceiver<Control>) -> Flow {
    let action = match d.action.as_deref().map(|a| run.resolve(a)).transpose() {
        Ok(a) => a,
        Err(e) => return run.application_error(e).await,
    };
    let mut rec = DialRecord {
        to: d.targets.first().map(|t| t.address.clone()).unwrap_or_default(),
        targets: d.targets.iter().map(|t| t.address.clone()).collect(),
        ..DialRecord::default()
    };
    let reachable: Vec<(&DialTarget, StaffParty)> = d
        .targets
        .iter()
        .filter_map(|t| staff_for(run, t).map(|s| (t, s)))
        .collect();
    let pick = reachable.iter().find(|(_, s)| s.answers).or(reachable.first()).cloned();
    let target = pick.as_ref().map(|(t, _)| *t).or(d.targets.first());
    let mut leg = match target {
        Some(t) => place_leg(run, t, d.caller_id.as_deref()),
        None => return Flow::Next,
    };
    rec.call_sid = Some(leg.sid.clone());
    let steer = match pick {
        None => {
            leg.set(run, "failed");
            rec.status = "failed".into();
            None
        }
        Some((target, staff)) => ring(run, &mut leg, target, &staff, d.timeout, &mut rec, ctl).await,
    };
    if let Some(r) = run.shared.call(&leg.sid) {
        rec.duration_secs = r.duration_secs();
    }
    run.report.dials.push(rec.clone());
    if let Some(c) = steer {
        return c.into();
    }
    match action {
        Some(url) => {
            let mut extra = vec![("DialCallStatus".to_owned(), rec.status.clone())];
            if let Some(sid) = &rec.call_sid {
                extra.push(("DialCallSid".into(), sid.clone()));
            }
            if rec.answered {
                extra.push(("DialCallDuration".into(), rec.duration_secs.to_string()));
            }
            Flow::Goto(Source::Url {
                url,
                method: d.method,
                extra,
            })
        }
        None => Flow::Next,
    }
}

/// The staff line a number or SIP URI reaches.
fn staff_for(run: &CallRun, t: &DialTarget) -> Option<StaffParty> {
    if !matches!(t.kind, TargetKind::Number | TargetKind::Sip) {
        return None;
    }
    let want = t.address.trim();
    run.shared
        .cfg
        .staff
        .iter()
        .find(|s| {
            let n = s.number.trim();
            match t.kind {
                TargetKind::Sip => n.eq_ignore_ascii_case(want),
                _ => digits(n) == digits(want) && !digits(n).is_empty(),
            }
        })
        .cloned()
}

/// A number's digits (`+1 (555) 000-1111` is `15550001111`).
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Creates the dialed leg's call record and status callback.
fn place_leg(run: &CallRun, t: &DialTarget, caller_id: Option<&str>) -> Leg {
    let parent = run.record();
    let sid = new_sid("CA");
    drop(run.shared.add_call(CallRecord {
        sid: sid.clone(),
        parent_call_sid: Some(parent.sid.clone()),
        to: t.address.clone(),
        from: caller_id.map_or(parent.from.clone(), str::to_owned),
        status: "queued".into(),
        direction: "outbound-dial".into(),
        created: SystemTime::now(),
        started: None,
        ended: None,
    }));
    let hook = t
        .status_callback
        .as_deref()
        .and_then(|u| run.resolve(u).ok())
        .map(|url| {
            StatusHook::new(
                run.shared.hooks.clone(),
                &run.shared.cfg.account_sid,
                url,
                Method::Post,
                t.status_callback_events.clone(),
            )
        });
    Leg { sid, hook }
}

/// Rings `staff` and, if answered, whispers and bridges; the REST update
/// that cut it short, if any.
async fn ring(
    run: &mut CallRun,
    leg: &mut Leg,
    target: &DialTarget,
    staff: &StaffParty,
    timeout: Duration,
    rec: &mut DialRecord,
    ctl: &mut UnboundedReceiver<Control>,
) -> Option<Control> {
    leg.set(run, "initiated");
    leg.set(run, "ringing");
    rec.ringing_at = Some(std::time::Instant::now());
    let ring_time = run.shared.cfg.ring_time;
    let picks_up = staff.answers && ring_time < timeout;
    if let Some(c) = wait(ctl, if picks_up { ring_time } else { timeout }).await {
        leg.set(run, "canceled");
        rec.status = "canceled".into();
        return Some(c);
    }
    if !picks_up {
        leg.set(run, "no-answer");
        rec.status = "no-answer".into();
        return None;
    }
    leg.set(run, "in-progress");
    rec.answered = true;
    rec.answered_by = Some(staff.name.clone());
    if let Some(url) = &target.url {
        match whisper(run, &leg.sid, url, target.method, rec).await {
            Ok(true) => {}
            Ok(false) => {
                leg.set(run, "completed");
                rec.status = "no-answer".into();
                return None;
            }
            Err(e) => {
                run.report.errors.push(format!("whisper to {}: {e}", staff.number));
                leg.set(run, "failed");
                rec.status = "failed".into();
                return None;
            }
        }
    }
    let pcm = run.speak(&staff.greeting, &staff.voice).await;
    let steer = run.play(pcm, ctl).await;
    leg.set(run, "completed");
    rec.status = "completed".into();
    steer
}

/// Runs the `<Number url>` TwiML to the person who answered; whether they
/// stayed on (no `<Hangup>`).
async fn whisper(
    run: &mut CallRun,
    leg_sid: &str,
    url: &str,
    method: Method,
    rec: &mut DialRecord,
) -> Result<bool, String> {
    let mut next = Some((run.resolve(url).map_err(|e| e.to_string())?, method));
    let mut documents = 0;
    while let Some((url, method)) = next.take() {
        documents += 1;
        if documents > MAX_WHISPER_DOCUMENTS {
            return Err("redirect loop".into());
        }
        let params = run
            .shared
            .call(leg_sid)
            .map(|r| r.params(&run.shared.cfg.account_sid, "in-progress"))
            .unwrap_or_default();
        let xml = run
            .shared
            .hooks
            .request(&url, method, &params)
            .await
            .map_err(|e| e.to_string())?;
        for verb in twiml::parse(&xml).map_err(|e| e.to_string())? {
            match verb {
                Verb::Say { text, loops, .. } => {
                    rec.whisper.extend(std::iter::repeat_n(text, loops as usize));
                }
                Verb::Hangup => return Ok(false),
                Verb::Redirect { url: to, method } => {
                    next = Some((crate::webhook::resolve(&url, &to).map_err(|e| e.to_string())?, method));
                    break;
                }
                Verb::Dial(_) => return Err("<Dial> is not allowed in a <Number url> document".into()),
                Verb::Pause(_) | Verb::Play { .. } => {}
                other => run
                    .report
                    .errors
                    .push(format!("whisper: {other:?} is not simulated; skipped")),
            }
        }
    }
    Ok(true)
}
