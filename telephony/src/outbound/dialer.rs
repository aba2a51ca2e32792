//! The dialer: claims due verification jobs from Postgres (within the caps
//! per payer line and overall, during the line's business hours), prepares
//! each call's conversation from the job's brief, and places the call
//! through Twilio's REST API with a `<Connect><Stream>` naming the job. A
//! call that cannot be placed is retried with backoff like a busy line.

use std::sync::Arc;
use std::time::Instant;

use dialog::payer_call::{PayerBrief, PayerCall, PayerCallConfig};
use functions::benefits_verification::{self as bv, Claimed};

use super::{Outbound, stream_twiml, token_key};
use crate::control::directory::Hours;
use crate::server::AppState;
use crate::twilio::rest::{CallUpdate, NewCall};

/// The base URL the payer's call reaches this server at.
pub fn public_base(app: &AppState) -> String {
    let addr = app.bound.get().copied().unwrap_or(app.config.listen);
    app.config
        .public_url
        .as_deref()
        .map_or_else(|| format!("http://{addr}"), |u| u.trim_end_matches('/').to_owned())
}

/// Runs until the server hangs up its calls.
pub async fn run(app: Arc<AppState>) {
    let (Some(outbound), Some(agent)) = (app.outbound.clone(), app.agent.clone()) else {
        return;
    };
    if app.control.rest.is_none() {
        tracing::warn!("outbound verification calls are off: Twilio's REST API is not configured");
        return;
    }
    let pool = agent.functions.pool().clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(outbound.cfg.poll) => {}
            _ = outbound.woken() => {}
            _ = app.hangup.cancelled() => break,
        }
        let mut client = match pool.get().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "dialer: database unavailable");
                continue;
            }
        };
        let now = chrono::Utc::now();
        let open = |hours: &str, tz: &str| Hours::parse(hours, tz).map_or(true, |h| h.is_open(now));
        let claimed = match bv::claim_due(&mut client, outbound.cfg.limits, &open).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "dialer: claim failed");
                continue;
            }
        };
        drop(client);
        for job in claimed {
            place(&app, &outbound, &pool, job).await;
        }
    }
}

/// Prepares and places the call of `job`.
async fn place(app: &Arc<AppState>, outbound: &Outbound, pool: &deadpool_postgres::Pool, job: Claimed) {
    let failed = |why: String| async move {
        tracing::warn!(job = job.id, error = %why, "verification call not placed");
        if let Ok(client) = pool.get().await
            && let Err(e) = bv::retry_or_give_up(&**client, job.id, &why, outbound.cfg.backoff).await
        {
            tracing::error!(job = job.id, error = %e, "verification retry not recorded");
        }
    };
    let brief = match pool.get().await {
        Ok(client) => bv::brief(&**client, job.id, None).await,
        Err(e) => Err(e.into()),
    };
    let brief = match brief {
        Ok(Some(b)) => b,
        Ok(None) => return,
        Err(e) => return failed(format!("brief: {e}")).await,
    };
    let cfg = &outbound.cfg;
    let conversation = PayerCall::new(
        PayerCallConfig::default(),
        PayerBrief {
            provider: cfg.provider.clone(),
            npi: cfg.npi.clone(),
            callback_number: cfg.callback_number.clone(),
            patient_first: brief.first_name,
            patient_last: brief.last_name,
            dob: brief.dob,
            member_id: brief.member_id,
            medication: brief.medication,
        },
        Instant::now(),
    );
    outbound.park(job.id, conversation);
    let base = public_base(app);
    let token = app.control.tokens.issue(&token_key(job.id), Instant::now());
    let call = NewCall {
        to: job.payer_phone.clone(),
        from: cfg.caller_id.clone(),
        twiml: stream_twiml(&base, job.id, &token, None),
        status_callback: Some(format!("{base}/twilio/status")),
        timeout_secs: Some(cfg.ring_secs),
    };
    let Some(rest) = app.control.rest.as_ref() else {
        return;
    };
    match rest.create_call(&call).await {
        Ok(placed) => {
            tracing::info!(job = job.id, call_id = %placed.sid, attempt = job.attempt, "verification call placed");
            if let Ok(client) = pool.get().await
                && let Err(e) = bv::attach_call(&**client, job.id, &placed.sid).await
            {
                tracing::error!(job = job.id, error = %e, "verification call not attached to its job");
            }
        }
        Err(e) => {
            outbound.take(job.id);
            failed(format!("call not placed: {e}")).await;
        }
    }
}

/// Keys `digits` into call `call_sid` of job `job`: Twilio plays them and
/// connects a new stream to the same conversation.
pub async fn send_digits(app: &AppState, call_sid: &str, job: i64, digits: &str) {
    let Some(rest) = app.control.rest.as_ref() else {
        tracing::warn!(
            call_id = call_sid,
            "digits not sent: Twilio's REST API is not configured"
        );
        return;
    };
    let token = app.control.tokens.issue(&token_key(job), Instant::now());
    let twiml = stream_twiml(&public_base(app), job, &token, Some(digits));
    if let Err(e) = rest.update_call(call_sid, &CallUpdate::Twiml(twiml)).await {
        tracing::warn!(call_id = call_sid, error = %e, "digits not sent");
    }
}

/// A status callback for `call_sid`: a verification call that never got
/// to its conversation (busy, no answer, failed, canceled, or ended while
/// still dialing) is retried or handed to staff.
pub async fn on_status(app: &AppState, call_sid: &str, status: &str) {
    let (Some(agent), Some(outbound)) = (app.agent.as_ref(), app.outbound.as_ref()) else {
        return;
    };
    if !matches!(status, "busy" | "no-answer" | "failed" | "canceled" | "completed") {
        return;
    }
    let Ok(client) = agent.functions.pool().get().await else {
        return;
    };
    let Ok(Some((id, job_status))) = bv::by_call(&**client, call_sid).await else {
        return;
    };
    if job_status != "dialing" {
        return;
    }
    outbound.take(id);
    let why = status.replace('-', "_");
    match bv::retry_or_give_up(&**client, id, &why, outbound.cfg.backoff).await {
        Ok(s) => tracing::info!(
            call_id = call_sid,
            job = id,
            status = s.as_deref(),
            "verification call {why}"
        ),
        Err(e) => tracing::error!(call_id = call_sid, job = id, error = %e, "verification retry not recorded"),
    }
}
