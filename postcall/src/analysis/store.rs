//! Loading a finished call for analysis and storing the result, inside the
//! analysis job's transaction.

use dialog::Catalog;
use functions::calls::load_utterances;
use functions::events;
use serde_json::json;
use tokio_postgres::Transaction;

use super::{AdverseFinding, Analysis, CallInput};
use crate::error::JobError;

/// The call's record, utterances, function calls and live-flagged events.
pub(super) async fn load(tx: &Transaction<'_>, call_sid: &str) -> Result<CallInput, JobError> {
    let call = tx
        .query_opt(
            "SELECT outcome, end_reason, extract(epoch FROM coalesce(ended_at, now()) - started_at)::float8
             FROM voice_calls WHERE call_sid = $1",
            &[&call_sid],
        )
        .await?
        .ok_or_else(|| JobError::Payload("unknown call".into()))?;
    let utterances = load_utterances(tx, call_sid).await?;
    let functions = tx
        .query(
            "SELECT name, outcome FROM function_calls WHERE call_sid = $1 ORDER BY started_at",
            &[&call_sid],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let flagged = tx
        .query(
            "SELECT medication, symptoms, severity, case_number FROM adverse_events
             WHERE call_sid = $1 AND source = 'dialog' ORDER BY id",
            &[&call_sid],
        )
        .await?
        .into_iter()
        .map(|r| AdverseFinding {
            medication: r.get(0),
            symptoms: r.get(1),
            severity: r.get(2),
            case_number: r.get(3),
            source: "dialog".into(),
        })
        .collect();
    let tasks = functions::tasks::for_call(tx, call_sid)
        .await
        .map_err(JobError::from)?
        .into_iter()
        .map(|t| super::StaffTaskNote {
            id: t.id,
            tier: t.task.tier,
            reason: t.task.reason,
            status: t.status,
        })
        .collect();
    let control = functions::tasks::call_events(tx, call_sid)
        .await
        .map_err(JobError::from)?;
    Ok(CallInput {
        tasks,
        control,
        outcome: call.get(0),
        end_reason: call.get(1),
        duration_s: call.get::<_, Option<f64>>(2).unwrap_or(0.0).max(0.0),
        utterances,
        functions,
        flagged,
    })
}

/// The formulary and payer names.
pub(super) async fn catalog(tx: &Transaction<'_>) -> Result<Catalog, JobError> {
    let names = |rows: Vec<tokio_postgres::Row>| rows.iter().map(|r| r.get(0)).collect();
    Ok(Catalog {
        medications: names(tx.query("SELECT name FROM medications ORDER BY name", &[]).await?),
        payers: names(tx.query("SELECT name FROM payers ORDER BY name", &[]).await?),
    })
}

/// Records the adverse events the analysis found (once per call and
/// medication, however often the job runs), fills in their case numbers,
/// emits `adverse_event.flagged` for them, and stores the analysis.
pub(super) async fn store(tx: &Transaction<'_>, call_sid: &str, analysis: &mut Analysis) -> Result<(), JobError> {
    let patient: Option<i64> = tx
        .query_opt("SELECT patient_id FROM voice_calls WHERE call_sid = $1", &[&call_sid])
        .await?
        .and_then(|r| r.get(0));
    for ae in analysis.adverse_events.iter_mut().filter(|a| a.source == "analysis") {
        let inserted = tx
            .query_opt(
                "INSERT INTO adverse_events (case_number, call_sid, patient_id, medication, symptoms, severity,
                                             escalated, source)
                 VALUES ('AE-' || to_char(now(), 'YYYY') || '-'
                             || lpad(nextval('adverse_event_case_seq')::text, 6, '0'),
                         $1, $2, $3, $4, $5, $6, 'analysis')
                 ON CONFLICT (call_sid, coalesce(medication, '')) WHERE source = 'analysis' DO NOTHING
                 RETURNING case_number",
                &[
                    &call_sid,
                    &patient,
                    &ae.medication,
                    &ae.symptoms,
                    &ae.severity,
                    &(ae.severity == "severe"),
                ],
            )
            .await?;
        let case: String = match inserted {
            Some(r) => r.get(0),
            None => tx
                .query_one(
                    "SELECT case_number FROM adverse_events
                     WHERE call_sid = $1 AND coalesce(medication, '') = coalesce($2, '') AND source = 'analysis'",
                    &[&call_sid, &ae.medication],
                )
                .await?
                .get(0),
        };
        events::emit(
            tx,
            events::ADVERSE_EVENT_FLAGGED,
            &case,
            &json!({
                "case_number": case,
                "call_sid": call_sid,
                "medication": ae.medication,
                "symptoms": ae.symptoms,
                "severity": ae.severity,
                "escalated": ae.severity == "severe",
                "source": "analysis",
            }),
        )
        .await?;
        ae.case_number = Some(case);
    }
    let value = serde_json::to_value(&*analysis).map_err(|e| JobError::Other(e.to_string()))?;
    tx.execute(
        "UPDATE voice_calls SET analysis = $2, analyzed_at = now() WHERE call_sid = $1",
        &[&call_sid, &value],
    )
    .await?;
    Ok(())
}
