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
/// Lowest Jaro-Winkler similarity at which one spoken part of a name counts
/// as the recorded one spelled another way ("Jon" / "John").
const PART_ALIKE_SPELLING: f64 = 0.88;

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
///
/// The date of birth must match exactly; the name is matched as the
/// recogniser may have heard it. A candidate is accepted when the whole
/// name is close by spelling, when the family name sounds the same and the
/// whole is not far off, when both the given and the family name each sound
/// (or are spelled) like the record's ("way luis" for Wei Lewis), or when
/// the call comes from the number on the record and one of the two parts
/// does. Nothing is accepted on the number or the date alone. A member ID,
/// when given, must match the record exactly as well.
pub async fn lookup(
    client: &Client,
    name: &str,
    dob: NaiveDate,
    phone: Option<&str>,
    member_id: Option<&str>,
) -> Result<Option<PatientRecord>, DbError> {
    let name = normalise_name(name);
    if name.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = name.split(' ').collect();
    let last = parts.last().copied().unwrap_or_default().to_owned();
    // The given name only when a family name was said too.
    let first = if parts.len() >= 2 {
        parts[0].to_owned()
    } else {
        String::new()
    };
    let stmt = client
        .prepare_cached(
            "SELECT p.id, p.first_name, py.name, similarity(p.full_name, $1) AS sim,
                    coalesce(p.phone = $3, false) AS phone_match,
                    dmetaphone(p.last_name) = dmetaphone($4) AS last_sounds,
                    $5 <> '' AND dmetaphone(p.first_name) = dmetaphone($5) AS first_sounds,
                    p.last_name
             FROM patients p JOIN payers py ON py.id = p.payer_id
             WHERE p.dob = $2 AND ($6::text IS NULL OR p.member_id = $6)
             ORDER BY sim DESC
             LIMIT 5",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&name, &dob, &phone, &last, &first, &member_id])
        .await?;
    let mut scored: Vec<(f32, &tokio_postgres::Row)> = rows
        .iter()
        .filter_map(|r| {
            let candidate = NameMatch {
                similarity: r.get(3),
                phone_match: r.get(4),
                last_alike: r.get::<_, bool>(5) || part_alike(&last, r.get(7)),
                first_alike: !first.is_empty() && (r.get::<_, bool>(6) || part_alike(&first, r.get(1))),
            };
            candidate.accepted().then(|| (candidate.score(), r))
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

/// How a name heard compares with one candidate born on the date given.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NameMatch {
    /// Trigram similarity of the whole names (0..1).
    similarity: f32,
    /// The call comes from the number on the record.
    phone_match: bool,
    /// The family name heard sounds or is spelled like the record's.
    last_alike: bool,
    /// The given name heard sounds or is spelled like the record's.
    first_alike: bool,
}

impl NameMatch {
    fn accepted(self) -> bool {
        self.similarity >= MIN_SIMILARITY
            || (self.last_alike && self.similarity >= MIN_SIMILARITY_SOUNDS_ALIKE)
            || (self.first_alike && self.last_alike)
            || (self.phone_match && (self.first_alike || self.last_alike))
    }

    fn score(self) -> f32 {
        let bonus = |b: bool| if b { 0.1 } else { 0.0 };
        self.similarity + bonus(self.last_alike) + bonus(self.first_alike) + bonus(self.phone_match)
    }
}

/// Whether one spoken part of a name is the recorded part as a recogniser
/// may write it: the same phonetic key, or a close spelling.
fn part_alike(heard: &str, recorded: &str) -> bool {
    use dialog::nlu::phonetic::phonetic_key;
    let recorded = normalise_name(recorded);
    if heard.len() < 2 || recorded.is_empty() {
        return false;
    }
    // Semivowels and h come and go in what recognisers write ("luis" / "Lewis").
    let key = |w: &str| phonetic_key(w).replace(['W', 'H', 'Y'], "");
    let (a, b) = (key(heard), key(&recorded));
    (a == b && a.len() >= 2) || strsim::jaro_winkler(heard, &recorded) >= PART_ALIKE_SPELLING
}

/// Most names returned for one calling number (a shared family line).
const MAX_NAMES_ON_FILE: i64 = 3;

/// The patients registered at this calling number, id and full name, for
/// the recogniser's hint (see `dialog::hint::ExpectedNames`).
pub async fn names_on_file(client: &Client, phone: &str) -> Result<Vec<(i64, String)>, DbError> {
    let stmt = client
        .prepare_cached("SELECT id, first_name || ' ' || last_name FROM patients WHERE phone = $1 ORDER BY id LIMIT $2")
        .await?;
    let rows = client.query(&stmt, &[&phone, &MAX_NAMES_ON_FILE]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
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
    use super::{NameMatch, normalise_name, part_alike};

    #[test]
    fn parts_of_names_as_recognisers_write_them() {
        assert!(part_alike("luis", "Lewis"));
        assert!(part_alike("jon", "John"));
        assert!(part_alike("katherine", "Catherine"));
        assert!(!part_alike("quentin", "Wei"));
        assert!(!part_alike("abernathy", "Lewis"));
        assert!(!part_alike("a", "A"));
    }

    #[test]
    fn a_name_is_never_accepted_on_the_number_or_one_weak_part() {
        let m = |similarity, phone_match, first_alike, last_alike| NameMatch {
            similarity,
            phone_match,
            first_alike,
            last_alike,
        };
        assert!(m(0.5, false, false, false).accepted());
        assert!(m(0.1, false, true, true).accepted(), "both parts sound alike");
        assert!(m(0.1, true, true, false).accepted(), "own number, given name alike");
        assert!(!m(0.1, true, false, false).accepted(), "the number alone");
        assert!(!m(0.1, false, true, false).accepted(), "the given name alone");
        assert!(!m(0.2, false, false, true).accepted(), "the family name, whole far off");
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise_name("  Maria   GARCIA. "), "maria garcia");
        assert_eq!(normalise_name("O'Brien, Kate"), "o'brien kate");
        assert_eq!(normalise_name("123"), "");
    }
}
