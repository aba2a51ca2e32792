//! The `analysis` job: loads the finished call, analyses it, stores the
//! result and emits the webhook event, all in the job's transaction.

use functions::calls::ANALYSIS_JOB;
use functions::events;
use functions::queue::Job;
use serde_json::json;

use super::{analyze, store};
use crate::error::JobError;
use crate::worker::{BoxFuture, Handler};

/// Runs the `analysis` job of a finished call.
#[derive(Debug, Default)]
pub struct CallAnalysis;

impl Handler for CallAnalysis {
    fn kind(&self) -> &'static str {
        ANALYSIS_JOB
    }

    fn run<'a>(&'a self, job: &'a Job, tx: &'a tokio_postgres::Transaction<'a>) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(run(job, tx))
    }
}

async fn run(job: &Job, tx: &tokio_postgres::Transaction<'_>) -> Result<(), JobError> {
    let call_sid = job
        .payload
        .get("call_sid")
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobError::Payload("no call_sid".into()))?
        .to_owned();
    let input = store::load(tx, &call_sid).await?;
    let catalog = store::catalog(tx).await?;
    let mut analysis = analyze(&input, &catalog);
    store::store(tx, &call_sid, &mut analysis).await?;
    let data = json!({
        "call_sid": call_sid,
        "outcome": analysis.call_outcome,
        "duration_s": analysis.duration_s,
        "topics": analysis.topics,
        "medications": analysis.medications,
        "summary": analysis.summary,
        "follow_up_actions": analysis.follow_up_actions,
        "satisfaction": analysis.satisfaction,
        "adverse_event_cases": analysis.adverse_events.iter().filter_map(|a| a.case_number.clone()).collect::<Vec<_>>(),
    });
    events::emit(tx, events::CALL_COMPLETED, &call_sid, &data).await?;
    Ok(())
}
