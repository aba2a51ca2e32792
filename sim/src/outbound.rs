//! A call placed with `POST …/Calls.json`: queued, ringing the party
//! registered for its `To` number, answered after the party's ring time
//! (or `no-answer` at the timeout), then its TwiML runs to that party. A
//! REST update while it rings replaces the TwiML to run, or cancels it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use crate::call::{CallRun, steered};
use crate::caller::CallOptions;
use crate::report::SimCallReport;
use crate::state::{Control, Shared, Source};
use crate::status::StatusHook;

/// Rings and runs outbound call `sid`; its report.
pub(crate) async fn run(
    shared: Arc<Shared>,
    sid: String,
    mut source: Source,
    mut hook: Option<StatusHook>,
    timeout: Duration,
    mut ctl: UnboundedReceiver<Control>,
) -> SimCallReport {
    let set = |shared: &Shared, hook: &mut Option<StatusHook>, status: &str| {
        shared.set_status(&sid, status);
        if let (Some(h), Some(rec)) = (hook.as_mut(), shared.call(&sid)) {
            h.report(&rec, status);
        }
    };
    set(&shared, &mut hook, "initiated");
    set(&shared, &mut hook, "ringing");
    let to = shared.call(&sid).map(|r| r.to).unwrap_or_default();
    let party = shared.parties.lock().ok().and_then(|p| p.get(&to).cloned());
    if party.as_ref().is_some_and(|p| p.busy) {
        set(&shared, &mut hook, "busy");
        let report = SimCallReport {
            call_sid: sid.clone(),
            status: "busy".into(),
            ..SimCallReport::default()
        };
        shared.finish(report.clone());
        return report;
    }
    let picks_up = party.as_ref().filter(|p| p.answers && p.ring_time < timeout);
    let ring = picks_up.map_or(timeout, |p| p.ring_time);
    let deadline = tokio::time::Instant::now() + ring;
    let ended = loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break None,
            c = steered(&mut ctl) => match c {
                Control::Redirect(s) => source = s,
                Control::End(_) => break Some("canceled"),
            },
        }
    };
    let ended = ended.or(if picks_up.is_none() { Some("no-answer") } else { None });
    if let Some(status) = ended {
        set(&shared, &mut hook, status);
        let report = SimCallReport {
            call_sid: sid.clone(),
            status: status.to_owned(),
            ..SimCallReport::default()
        };
        shared.finish(report.clone());
        return report;
    }
    set(&shared, &mut hook, "in-progress");
    let script = picks_up.map(|p| p.script.clone()).unwrap_or_default();
    let opts = CallOptions {
        responder: picks_up.and_then(|p| p.responder.as_ref()).map(|make| make()),
        ..CallOptions::default()
    };
    CallRun::new(shared.clone(), &sid, script, opts, hook)
        .run(source, "in-progress", &mut ctl)
        .await
}
