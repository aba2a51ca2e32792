//! `switchboard seed`: a synthetic but realistically sized data set (payers,
//! the 50-drug formulary, 1,000+ patients with medications and benefits),
//! deterministic for a given seed, plus a few fixed demo patients whose
//! identities the demo call and the tests use.

use chrono::NaiveDate;
use deadpool_postgres::Pool;

use crate::catalog::{MEDICATIONS, PAYERS, ndc};
use crate::error::DbError;

/// A patient whose identity is known to the demo and the tests.
#[derive(Debug, Clone, Copy)]
pub struct DemoPatient {
    /// Given name.
    pub first: &'static str,
    /// Family name.
    pub last: &'static str,
    /// Date of birth (year, month, day).
    pub dob: (i32, u32, u32),
    /// Phone number (E.164).
    pub phone: &'static str,
    /// Payer name.
    pub payer: &'static str,
    /// (medication, pa_required, pa_status, step_therapy, refills_left)
    pub meds: &'static [(&'static str, bool, Option<&'static str>, bool, i32)],
}

/// Fixed demo identities (synthetic people).
pub const DEMO_PATIENTS: &[DemoPatient] = &[
    DemoPatient {
        first: "Maria",
        last: "Garcia",
        dob: (1985, 3, 3),
        phone: "+15550100001",
        payer: "Blue Cross Blue Shield",
        meds: &[
            ("Ozempic", true, Some("pending"), true, 0),
            ("Metformin", false, None, false, 3),
        ],
    },
    DemoPatient {
        first: "James",
        last: "Wilson",
        dob: (1972, 7, 4),
        phone: "+15550100002",
        payer: "Aetna",
        meds: &[
            ("Humira", true, Some("approved"), false, 1),
            ("Lisinopril", false, None, false, 5),
        ],
    },
    DemoPatient {
        first: "Linda",
        last: "Johnson",
        dob: (1958, 11, 21),
        phone: "+15550100003",
        payer: "UnitedHealthcare",
        meds: &[("Eliquis", false, None, false, 2), ("Lipitor", false, None, false, 4)],
    },
];

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Paul",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Jose",
    "Rosa",
    "Luis",
    "Ana",
    "Wei",
    "Mei",
    "Raj",
    "Priya",
    "Ahmed",
    "Fatima",
    "Kwame",
    "Amara",
    "Hiroshi",
    "Yuki",
    "Ivan",
    "Olga",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Patel",
    "Kim",
    "Okafor",
    "Ivanova",
    "Tanaka",
    "Cohen",
    "Murphy",
    "O'Brien",
    "Kowalski",
];

/// (patient index, formulary index, pa_required, pa_status, step_therapy, refills_left)
type MedRow = (usize, usize, bool, Option<&'static str>, bool, i32);

/// What a seed run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Patients in the table afterwards.
    pub patients: i64,
    /// Whether this run inserted them (false: already seeded).
    pub inserted: bool,
}

/// Seeds `patients` random patients (plus the demo ones) unless the
/// database already has patients. Deterministic for a given `seed`.
pub async fn seed(pool: &Pool, patients: usize, seed: u64) -> Result<SeedReport, DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // One seeder at a time; a second one finds the work done.
    tx.execute("SELECT pg_advisory_xact_lock(7365656400)", &[]).await?;
    let existing: i64 = tx.query_one("SELECT count(*) FROM patients", &[]).await?.get(0);
    if existing > 0 {
        return Ok(SeedReport {
            patients: existing,
            inserted: false,
        });
    }
    for p in PAYERS {
        tx.execute(
            "INSERT INTO payers (name, short_name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&p.name, &p.short],
        )
        .await?;
    }
    // Each payer's provider services line (what verification calls dial).
    tx.execute(
        "INSERT INTO payer_lines (payer_id, phone)
         SELECT id, '+1800555' || lpad(id::text, 4, '0') FROM payers ON CONFLICT DO NOTHING",
        &[],
    )
    .await?;
    for (i, m) in MEDICATIONS.iter().enumerate() {
        tx.execute(
            "INSERT INTO medications (name, generic, ndc, drug_class, controlled) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO NOTHING",
            &[&m.name, &m.generic, &ndc(i), &m.class, &m.controlled],
        )
        .await?;
    }
    let med_ids: std::collections::HashMap<String, i32> = tx
        .query("SELECT name, id FROM medications", &[])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let payer_ids: Vec<i32> = {
        let rows = tx.query("SELECT name, id FROM payers", &[]).await?;
        PAYERS
            .iter()
            .map(|p| {
                rows.iter()
                    .find(|r| r.get::<_, &str>(0) == p.name)
                    .map_or(1, |r| r.get(1))
            })
            .collect()
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut first = Vec::with_capacity(patients + DEMO_PATIENTS.len());
    let mut last = Vec::with_capacity(first.capacity());
    let mut dob = Vec::with_capacity(first.capacity());
    let mut phone = Vec::with_capacity(first.capacity());
    let mut member = Vec::with_capacity(first.capacity());
    let mut payer = Vec::with_capacity(first.capacity());
    // (patient index, medication index, pa_required, pa_status, step, refills)
    let mut meds: Vec<MedRow> = Vec::new();
    for (i, d) in DEMO_PATIENTS.iter().enumerate() {
        first.push(d.first.to_owned());
        last.push(d.last.to_owned());
        dob.push(
            NaiveDate::from_ymd_opt(d.dob.0, d.dob.1, d.dob.2).ok_or_else(|| DbError::Config("bad demo dob".into()))?,
        );
        phone.push(d.phone.to_owned());
        member.push(format!("DEMO{:06}", i + 1));
        payer.push(payer_ids[PAYERS.iter().position(|p| p.name == d.payer).unwrap_or(0)]);
        for &(name, pa, status, step, refills) in d.meds {
            let m = MEDICATIONS.iter().position(|m| m.name == name).unwrap_or(0);
            meds.push((i, m, pa, status, step, refills));
        }
    }
    let demo_ids: Vec<(String, String, NaiveDate)> = DEMO_PATIENTS
        .iter()
        .zip(&dob)
        .map(|(d, b)| (d.first.to_owned(), d.last.to_owned(), *b))
        .collect();
    while first.len() < patients + DEMO_PATIENTS.len() {
        let f = FIRST[rng.usize(..FIRST.len())];
        let l = LAST[rng.usize(..LAST.len())];
        let b = NaiveDate::from_ymd_opt(rng.i32(1938..=2006), rng.u32(1..=12), rng.u32(1..=28))
            .ok_or_else(|| DbError::Config("bad random dob".into()))?;
        if demo_ids.iter().any(|(df, dl, db)| df == f && dl == l && *db == b) {
            continue;
        }
        let i = first.len();
        first.push(f.to_owned());
        last.push(l.to_owned());
        dob.push(b);
        phone.push(format!("+1555{:07}", 200_000 + i));
        member.push(format!("M{:09}", 100_000_000 + rng.u64(..899_999_999)));
        payer.push(payer_ids[rng.usize(..PAYERS.len())]);
        let n = rng.usize(1..=4);
        let mut taken = Vec::new();
        while taken.len() < n {
            let m = rng.usize(..MEDICATIONS.len());
            if !taken.contains(&m) {
                taken.push(m);
            }
        }
        for m in taken {
            let spec = MEDICATIONS[m].specialty;
            let pa = spec && rng.f32() < 0.85;
            let status = if pa {
                [Some("approved"), Some("pending"), Some("denied"), None][rng.usize(..4)]
            } else {
                None
            };
            meds.push((i, m, pa, status, spec && rng.bool(), rng.i32(0..=5)));
        }
    }
    let rows = tx
        .query(
            "INSERT INTO patients (first_name, last_name, dob, phone, member_id, payer_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::int[])
             RETURNING id, member_id",
            &[&first, &last, &dob, &phone, &member, &payer],
        )
        .await?;
    let mut ids = vec![0i64; member.len()];
    let index: std::collections::HashMap<&str, usize> =
        member.iter().enumerate().map(|(i, m)| (m.as_str(), i)).collect();
    for r in rows {
        let m: &str = r.get(1);
        if let Some(&i) = index.get(m) {
            ids[i] = r.get(0);
        }
    }
    let (mut pid, mut mid, mut mname, mut mndc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut pa, mut status, mut step, mut refills) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut covered, mut tier, mut copay, mut ded) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &(p, m, pa_req, st, stp, rf) in &meds {
        let def = &MEDICATIONS[m];
        pid.push(ids[p]);
        mid.push(med_ids.get(def.name).copied().unwrap_or_default());
        mname.push(def.name.to_owned());
        mndc.push(ndc(m));
        pa.push(pa_req);
        status.push(st.map(str::to_owned));
        step.push(stp);
        refills.push(rf);
        let t = if def.specialty { rng.i32(3..=5) } else { rng.i32(1..=2) };
        tier.push(t);
        covered.push(!(def.specialty && st == Some("denied")) && rng.f32() < 0.97);
        copay.push([0i64, 500, 1500, 4500, 8000, 15000][t as usize]);
        ded.push(rng.bool());
    }
    tx.execute(
        "INSERT INTO patient_medications
             (patient_id, medication_id, name, ndc, pa_required, pa_status, step_therapy, refills_left)
         SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::bool[], $6::text[],
                              $7::bool[], $8::int[])",
        &[&pid, &mid, &mname, &mndc, &pa, &status, &step, &refills],
    )
    .await?;
    tx.execute(
        "INSERT INTO benefits (patient_id, medication_id, covered, tier, copay_cents, deductible_met, pa_required)
         SELECT * FROM unnest($1::bigint[], $2::int[], $3::bool[], $4::int[], $5::bigint[], $6::bool[], $7::bool[])",
        &[&pid, &mid, &covered, &tier, &copay, &ded, &pa],
    )
    .await?;
    tx.commit().await?;
    Ok(SeedReport {
        patients: member.len() as i64,
        inserted: true,
    })
}
