//! `patient_lookup`: the caller's record by spoken name and date of birth
//! (trigram similarity on the full name, double-metaphone on the family name
//! for spellings a recogniser invents), or by the calling number.

use chrono::NaiveDate;
use deadpool_postgres::Client;
use dialog::tools::{MedicationRecord, PatientRecord};

use crate::error::DbError;

/// Lowest name similarity accepted (pg_trgm, 0..1) on its own.
const MIN_SIMILARITY: f32 = 0.45;
/// Lowest similarity accepted when the family name sounds the same.
const MIN_SIMILARITY_SOUNDS_ALIKE: f32 = 0.25;
/// The best candidate must beat the runner-up by this much.
const MIN_MARGIN: f32 = 0.08;

/// Normalises a spoken name: lowercase letters, single spaces.
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphabetic() || c == '\'' {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Finds the one patient born on `dob` whose name matches `name`; `None` when
/// nothing matches or two candidates are too close to tell apart. A matching
/// calling number breaks near-ties but never replaces the name check.
pub async fn lookup(
    client: &Client,
    name: &str,
    dob: NaiveDate,
    phone: Option<&str>,
) -> Result<Option<PatientRecord>, DbError> {
    let name = normalise_name(name);
    if name.is_empty() {
        return Ok(None);
    }
    let last = name.rsplit(' ').next().unwrap_or_default().to_owned();
    let stmt = client
        .prepare_cached(
            "SELECT p.id, p.first_name, py.name, similarity(p.full_name, $1) AS sim,
                    coalesce(p.phone = $3, false) AS phone_match,
                    dmetaphone(p.last_name) = dmetaphone($4) AS sounds_alike
             FROM patients p JOIN payers py ON py.id = p.payer_id
             WHERE p.dob = $2
             ORDER BY sim DESC
             LIMIT 5",
        )
        .await?;
    let rows = client.query(&stmt, &[&name, &dob, &phone, &last]).await?;
    let mut scored: Vec<(f32, &tokio_postgres::Row)> = rows
        .iter()
        .filter_map(|r| {
            let sim: f32 = r.get(3);
            let phone_match: bool = r.get(4);
            let sounds: bool = r.get(5);
            let ok = sim >= MIN_SIMILARITY || (sounds && sim >= MIN_SIMILARITY_SOUNDS_ALIKE);
            ok.then_some((
                sim + if sounds { 0.1 } else { 0.0 } + if phone_match { 0.1 } else { 0.0 },
                r,
            ))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(best, row)) = scored.first() else {
        return Ok(None);
    };
    if scored.get(1).is_some_and(|(s, _)| best - s < MIN_MARGIN) {
        return Ok(None);
    }
    let id: i64 = row.get(0);
    Ok(Some(PatientRecord {
        id,
        first_name: row.get(1),
        payer: row.get(2),
        medications: medications(client, id).await?,
    }))
}

/// The patient registered with this calling number, if exactly one.
pub async fn by_phone(client: &Client, phone: &str) -> Result<Option<i64>, DbError> {
    let stmt = client
        .prepare_cached("SELECT id FROM patients WHERE phone = $1 LIMIT 2")
        .await?;
    let rows = client.query(&stmt, &[&phone]).await?;
    Ok(if rows.len() == 1 { Some(rows[0].get(0)) } else { None })
}

async fn medications(client: &Client, patient: i64) -> Result<Vec<MedicationRecord>, DbError> {
    let stmt = client
        .prepare_cached(
            "SELECT name, ndc, pa_required, pa_status, step_therapy, refills_left
             FROM patient_medications WHERE patient_id = $1 ORDER BY name",
        )
        .await?;
    Ok(client
        .query(&stmt, &[&patient])
        .await?
        .iter()
        .map(|r| MedicationRecord {
            name: r.get(0),
            ndc: r.get(1),
            pa_required: r.get(2),
            pa_status: r.get(3),
            step_therapy: r.get(4),
            refills_left: r.get(5),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::normalise_name;

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise_name("  Maria   GARCIA. "), "maria garcia");
        assert_eq!(normalise_name("O'Brien, Kate"), "o'brien kate");
        assert_eq!(normalise_name("123"), "");
    }
}
