//! `<Connect><Stream>`: a real WebSocket to the stream URL, its upgrade
//! request signed as Twilio signs it (the `wss://` URL, no parameters), the
//! person's script run over it as Media Streams. A REST update stops the
//! stream (`stop`, close) and skips the `<Connect action>`; a stream that
//! ends on its own requests the action, or the next verb runs.

use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use crate::call::{CallRun, Flow, steered};
use crate::caller::{self, CallerIdentity};
use crate::state::{Control, Source};
use crate::twiml::Connect;
use crate::webhook::websocket_url;

/// Runs a `<Connect>`.
pub(crate) async fn connect(run: &mut CallRun, c: Connect, ctl: &mut UnboundedReceiver<Control>) -> Flow {
    let Some(stream) = c.stream else {
        run.report
            .errors
            .push(format!("<Connect> with {:?} is not simulated; skipped", c.other));
        return Flow::Next;
    };
    let url = match websocket_url(&run.base, &stream.url) {
        Ok(u) => u,
        Err(e) => return run.application_error(e).await,
    };
    let action = match c.action.as_deref().map(|a| run.resolve(a)).transpose() {
        Ok(a) => a,
        Err(e) => return run.application_error(e).await,
    };
    let record = run.record();
    let who = CallerIdentity {
        call_sid: record.sid.clone(),
        from: record.from.clone(),
        to: record.to.clone(),
    };
    let stop = CancellationToken::new();
    let mut opts = run.opts.clone();
    opts.parameters = stream.parameters;
    opts.headers
        .push(("X-Twilio-Signature".into(), run.shared.hooks.sign(&url, &[])));
    opts.stop = Some(stop.clone());
    opts.account_sid = Some(run.shared.cfg.account_sid.clone());
    let script = std::mem::take(&mut run.script);
    let unplayed = script.clone();
    let mut steer = None;
    let mut observer = ();
    let result = {
        let leg = caller::run_with(&url, &who, script, &opts, &mut observer);
        tokio::pin!(leg);
        loop {
            tokio::select! {
                r = &mut leg => break r,
                c = steered(ctl), if steer.is_none() => {
                    stop.cancel();
                    steer = Some(c);
                }
            }
        }
    };
    match result {
        Ok(mut report) => {
            run.script = std::mem::take(&mut report.remaining);
            run.report.heard_pcm.extend_from_slice(&report.bot_pcm);
            let hung_up = report.hung_up;
            run.report.streams.push(report);
            if hung_up && steer.is_none() {
                return Flow::End("completed");
            }
        }
        Err(e) => {
            run.script = unplayed;
            run.report.errors.push(format!("31920 stream {url}: {e}"));
        }
    }
    if let Some(c) = steer {
        return c.into();
    }
    match action {
        Some(url) => Flow::Goto(Source::Url {
            url,
            method: c.method,
            extra: Vec::new(),
        }),
        None => Flow::Next,
    }
}
