//! What each function does, once the registry has started it under its
//! budget: the queries, the payer request, the audit rows and the events.

use dialog::tools::{Benefits, Outcome, Request, Severity};

use std::sync::Arc;

use super::{Functions, QUERY_CACHE, query_text};
use crate::audit::{self, AuditEntry};
use crate::error::DbError;
use crate::events;
use crate::pa;
use crate::patient;
use crate::payer_sim::{EligibilityRequest, EligibilityResponse};
use crate::verification;

impl Functions {
    pub(super) async fn execute(&self, req: Request, call_sid: Option<&str>) -> Result<Outcome, DbError> {
        if let Some((f, d)) = &self.cfg.inject_delay
            && f == req.name()
        {
            tokio::time::sleep(*d).await;
        }
        match req {
            Request::PatientLookup {
                name,
                dob,
                phone,
                member_id,
            } => {
                let client = self.pool.get().await?;
                // The lookup first: on the common (matching) path the lock
                // is then checked for that one patient and the number, one
                // indexed query; the name search for namesakes runs only
                // for a failure. Nothing is returned before the lock check.
                let found = patient::lookup(&client, &name, dob, phone.as_deref(), member_id.as_deref()).await?;
                let claimed = match &found {
                    Some(p) => vec![p.id],
                    None => verification::claimed_patients(&client, &name).await?,
                };
                if verification::is_locked(&client, &self.cfg.lockout, phone.as_deref(), &claimed).await? {
                    verification::record_locked(&client, phone.as_deref(), &claimed, call_sid).await?;
                    return Ok(Outcome::VerificationLocked);
                }
                if found.is_none() {
                    verification::record_failure(&client, phone.as_deref(), &claimed, call_sid).await?;
                }
                if let Some(p) = &found {
                    // A PHI read: audited, and the call is linked to the patient.
                    audit::append(
                        &**client,
                        &agent_read("patient.lookup", format!("patient:{}", p.id), call_sid),
                    )
                    .await?;
                    if let Some(sid) = call_sid {
                        client
                            .execute(
                                "UPDATE voice_calls SET patient_id = $2 WHERE call_sid = $1",
                                &[&sid, &p.id],
                            )
                            .await?;
                    }
                }
                Ok(Outcome::Patient(found))
            }
            Request::NamesOnFile { phone } => {
                let client = self.pool.get().await?;
                let found = patient::names_on_file(&client, &phone).await?;
                if !found.is_empty() {
                    // Names are PHI, even read for the recogniser only.
                    let ids: Vec<String> = found.iter().map(|(id, _)| id.to_string()).collect();
                    audit::append(
                        &**client,
                        &agent_read(
                            "patient.names_for_recognition",
                            format!("patient:{}", ids.join(",")),
                            call_sid,
                        ),
                    )
                    .await?;
                }
                Ok(Outcome::NamesOnFile(found.into_iter().map(|(_, n)| n).collect()))
            }
            Request::VerifyBenefits { patient_id, medication } => {
                let out = self.verify_benefits(patient_id, &medication).await?;
                if let Outcome::Benefits(b) = &out {
                    let mut client = self.pool.get().await?;
                    let tx = client.transaction().await?;
                    audit::append(
                        &*tx,
                        &agent_read("benefits.read", format!("patient:{patient_id}/benefits"), call_sid),
                    )
                    .await?;
                    let subject = format!("{}:{patient_id}:{}", call_sid.unwrap_or("-"), b.medication);
                    let data = serde_json::json!({
                        "call_sid": call_sid,
                        "patient_id": patient_id,
                        "medication": b.medication,
                        "covered": b.covered,
                        "tier": b.tier,
                        "copay_cents": b.copay_cents,
                        "deductible_met": b.deductible_met,
                        "pa_required": b.pa_required,
                    });
                    events::emit(&*tx, events::BENEFITS_VERIFIED, &subject, &data).await?;
                    tx.commit().await?;
                }
                Ok(out)
            }
            Request::CheckPaRequirements {
                payer,
                medication,
                question,
            } => self.check_pa(&payer, &medication, &question).await,
            Request::FlagAdverseEvent {
                patient_id,
                medication,
                symptoms,
                severity,
            } => {
                let mut client = self.pool.get().await?;
                let tx = client.transaction().await?;
                let row = tx
                    .query_one(
                        "INSERT INTO adverse_events
                             (case_number, call_sid, patient_id, medication, symptoms, severity, escalated)
                         VALUES ('AE-' || to_char(now(), 'YYYY') || '-'
                                     || lpad(nextval('adverse_event_case_seq')::text, 6, '0'),
                                 $1, $2, $3, $4, $5, $6)
                         RETURNING case_number",
                        &[
                            &call_sid,
                            &patient_id,
                            &medication,
                            &symptoms,
                            &severity.label(),
                            &(severity == Severity::Severe),
                        ],
                    )
                    .await?;
                let case_number: String = row.get(0);
                let data = serde_json::json!({
                    "case_number": case_number,
                    "call_sid": call_sid,
                    "patient_id": patient_id,
                    "medication": medication,
                    "symptoms": symptoms,
                    "severity": severity.label(),
                    "escalated": severity == Severity::Severe,
                    "source": "dialog",
                });
                events::emit(&*tx, events::ADVERSE_EVENT_FLAGGED, &case_number, &data).await?;
                tx.commit().await?;
                Ok(Outcome::AdverseEventRecorded { case_number })
            }
        }
    }

    async fn verify_benefits(&self, patient_id: i64, medication: &str) -> Result<Outcome, DbError> {
        let row = {
            let client = self.pool.get().await?;
            client
                .query_opt(
                    "SELECT p.member_id, m.ndc, m.name FROM patients p, medications m
                     WHERE p.id = $1 AND lower(m.name) = lower($2)",
                    &[&patient_id, &medication],
                )
                .await?
        };
        let Some(row) = row else {
            return Ok(Outcome::Failed {
                reason: "unknown patient or medication".into(),
            });
        };
        let body = EligibilityRequest {
            member_id: row.get(0),
            ndc: row.get(1),
        };
        let med: String = row.get(2);
        let url = format!("{}/v1/eligibility", self.cfg.benefits_url.trim_end_matches('/'));
        // One retry on a failure of the payer's system; the budget bounds both.
        let mut last = String::new();
        for attempt in 0..2 {
            match self.http.post(&url).json(&body).send().await {
                Ok(r) if r.status().is_success() => {
                    let e: EligibilityResponse = r.json().await.map_err(|e| DbError::Config(e.to_string()))?;
                    return Ok(Outcome::Benefits(Benefits {
                        medication: med,
                        covered: e.covered,
                        tier: e.tier,
                        copay_cents: e.copay_cents,
                        deductible_met: e.deductible_met,
                        pa_required: e.pa_required,
                    }));
                }
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {
                    return Ok(Outcome::Failed {
                        reason: "no coverage record".into(),
                    });
                }
                Ok(r) => last = format!("payer answered {}", r.status()),
                Err(e) => last = format!("payer unreachable: {e}"),
            }
            tracing::debug!(attempt, "eligibility request failed; retrying");
        }
        Ok(Outcome::Failed { reason: last })
    }

    async fn check_pa(&self, payer: &str, medication: &str, question: &str) -> Result<Outcome, DbError> {
        let client = self.pool.get().await?;
        let payer_id: Option<i32> = client
            .query_opt("SELECT id FROM payers WHERE lower(name) = lower($1)", &[&payer])
            .await?
            .map(|r| r.get(0));
        let kw = pa::keyword_query(medication, question);
        let keyword_hits = async {
            if kw.is_empty() {
                return Ok(Vec::new());
            }
            let stmt = client
                .prepare_cached(
                    "SELECT c.id, ts_rank_cd(c.tsv, q)::real
                     FROM ingestion_chunks c, websearch_to_tsquery('english', $1) q
                     WHERE c.tsv @@ q AND (c.payer_id = $2 OR c.payer_id IS NULL)
                     ORDER BY 2 DESC LIMIT 10",
                )
                .await?;
            Ok::<_, DbError>(
                client
                    .query(&stmt, &[&kw, &payer_id])
                    .await?
                    .iter()
                    .map(|r| (r.get::<_, i64>(0), r.get::<_, f32>(1)))
                    .collect::<Vec<_>>(),
            )
        };
        let vector_hits = async {
            let Some(embedder) = self.embedder.clone() else {
                return Ok(Vec::new());
            };
            let key = (payer.to_lowercase(), medication.to_lowercase());
            let cached = self
                .query_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&key)
                .cloned();
            let query = match cached {
                Some(q) => q,
                None => {
                    let text = query_text(payer, medication);
                    let emb = tokio::task::spawn_blocking(move || embedder.embed(&[text.as_str()]))
                        .await
                        .map_err(|e| DbError::Config(e.to_string()))??;
                    let Some(q) = emb.into_iter().next() else {
                        return Ok(Vec::new());
                    };
                    let q = Arc::new(q);
                    let mut cache = self.query_cache.lock().unwrap_or_else(|e| e.into_inner());
                    if cache.len() >= QUERY_CACHE {
                        cache.clear();
                    }
                    cache.insert(key, q.clone());
                    q
                }
            };
            let index = self.index.read().unwrap_or_else(|e| e.into_inner()).clone();
            Ok::<_, DbError>(index.search(&query, payer_id, 10))
        };
        let (kw_hits, vec_hits) = tokio::join!(keyword_hits, vector_hits);
        let (kw_hits, vec_hits) = (kw_hits?, vec_hits?);
        let index = self.index.read().unwrap_or_else(|e| e.into_inner()).clone();
        // A policy may name the drug by its generic name.
        let generic = crate::catalog::MEDICATIONS
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(medication))
            .map(|m| m.generic);
        let names: Vec<&str> = std::iter::once(medication).chain(generic).collect();
        Ok(Outcome::PaPassages(pa::fuse(
            index.as_ref(),
            &vec_hits,
            &kw_hits,
            &names,
            3,
        )))
    }
}

/// An audit entry for a read the voice agent made on a call.
fn agent_read(action: &str, resource: String, call_sid: Option<&str>) -> AuditEntry {
    AuditEntry {
        actor: "voice-agent".into(),
        action: action.into(),
        resource,
        call_sid: call_sid.map(str::to_owned),
        remote_addr: None,
    }
}
