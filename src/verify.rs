//! `switchboard verify create|show|cancel`: outbound benefits verifications
//! at the command line. `create --wait` follows the job as the server's
//! dialer works it, printing each change of status and each answer as it
//! arrives. Showing a job's answers is a PHI read, audited first.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use functions::audit::{self, AuditEntry};
use functions::benefits_verification::{self as bv, NewVerification};
use serde_json::Value;

use crate::config::Config;

/// `switchboard verify …`
#[derive(Debug, Subcommand)]
pub enum VerifyAction {
    /// Queue a verification call to the patient's payer.
    Create {
        /// The patient.
        #[arg(long)]
        patient: i64,
        /// The medication (a formulary name).
        #[arg(long)]
        medication: String,
        /// Call this number instead of the payer's provider line on record.
        #[arg(long)]
        payer_phone: Option<String>,
        /// Follow the job until it ends (a running server places the call).
        #[arg(long)]
        wait: bool,
    },
    /// Print a verification: status and answers.
    Show {
        /// Verification id.
        id: i64,
    },
    /// Cancel a verification that has not ended.
    Cancel {
        /// Verification id.
        id: i64,
    },
}

fn operator() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "operator".into()))
}

/// Runs `verify …`.
pub async fn run(cfg: &Config, action: VerifyAction) -> Result<()> {
    let mut db = functions::Database::open(cfg.database_url.as_deref(), &cfg.data_dir, 4)
        .await
        .context("opening the database")?;
    let result = async {
        match action {
            VerifyAction::Create {
                patient,
                medication,
                payer_phone,
                wait,
            } => {
                let client = db.pool.get().await?;
                let new = NewVerification {
                    patient_id: patient,
                    medication,
                    payer_phone,
                    requested_by: operator(),
                };
                let id = bv::create(&**client, &new).await?;
                println!("verification {id} queued");
                if wait {
                    follow(&db, id).await?;
                }
                Ok(())
            }
            VerifyAction::Show { id } => {
                let v = read(&db, id).await?;
                println!("{}", serde_json::to_string_pretty(&v)?);
                Ok(())
            }
            VerifyAction::Cancel { id } => {
                let client = db.pool.get().await?;
                if bv::cancel(&**client, id).await? {
                    println!("verification {id} canceled");
                    Ok(())
                } else {
                    bail!("verification {id} does not exist or has already ended")
                }
            }
        }
    }
    .await;
    db.close();
    result
}

/// The verification, after the audit row is written.
async fn read(db: &functions::Database, id: i64) -> Result<Value> {
    let pool = &db.pool;
    audit::record(
        pool,
        &AuditEntry {
            actor: operator(),
            action: "verification.read".into(),
            resource: format!("verification:{id}"),
            call_sid: None,
            remote_addr: None,
        },
    )
    .await
    .context("audit log unavailable: nothing shown")?;
    let client = pool.get().await?;
    bv::view(&**client, id)
        .await?
        .with_context(|| format!("no verification {id}"))
}

/// Prints the job's changes until it ends.
async fn follow(db: &functions::Database, id: i64) -> Result<()> {
    let (mut status, mut shown) = (String::new(), serde_json::Map::new());
    loop {
        let v = read(db, id).await?;
        let now = v["status"].as_str().unwrap_or_default().to_owned();
        if now != status {
            let attempt = v["attempts"].as_i64().unwrap_or(0);
            let err = v["last_error"].as_str().map(|e| format!(" ({e})")).unwrap_or_default();
            println!(
                "[{}] {now}, attempt {attempt}{err}",
                chrono::Utc::now().format("%H:%M:%S")
            );
            status = now;
        }
        for (k, f) in v["fields"].as_object().into_iter().flatten() {
            if shown.get(k) != Some(f) {
                let conf = f["confidence"].as_f64().unwrap_or(0.0);
                println!("    {k:<16} {}  (confidence {conf:.1})", f["value"]);
                shown.insert(k.clone(), f.clone());
            }
        }
        if bv::FINAL.contains(&status.as_str()) {
            if v["partial"] == true {
                println!("partial: some answers are missing");
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
