//! `switchboard recording decrypt`: a call's encrypted recording back to a
//! stereo WAV, the read written to the PHI audit log first.

use std::path::Path;

use anyhow::{Context, Result};

use crate::config;

/// `recording decrypt`: audit row first (no audit, no decryption), then the WAV.
pub async fn decrypt_recording(cfg: &config::Config, call_id: &str, output: &Path) -> Result<()> {
    let rec = cfg
        .server
        .recording
        .as_ref()
        .context("no recording key configured: set SWITCHBOARD_RECORDING_KEY or SWITCHBOARD_RECORDING_KEY_FILE")?;
    let src = switchboard::recording::path(&rec.dir, call_id)?;
    anyhow::ensure!(src.is_file(), "no recording of call {call_id} in {}", rec.dir.display());
    let mut db = crate::open_db(cfg).await?;
    let actor = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "cli".into());
    let entry = functions::audit::AuditEntry {
        actor,
        action: "recording.decrypt".into(),
        resource: format!("recording:{call_id}"),
        call_sid: Some(call_id.to_owned()),
        remote_addr: None,
    };
    let audited = functions::audit::record(&db.pool, &entry).await;
    db.close();
    audited.context("writing the audit row (nothing was decrypted)")?;
    let (key, id, out) = (rec.key.clone(), call_id.to_owned(), output.to_owned());
    let s = tokio::task::spawn_blocking(move || switchboard::recording::decrypt_to_wav(&src, &key, &id, &out))
        .await?
        .with_context(|| format!("decrypting the recording of call {call_id}"))?;
    println!(
        "{}: {:.1} s, stereo 8 kHz (caller left, bot right), key id {}",
        output.display(),
        s.duration().as_secs_f64(),
        s.key_id
    );
    if s.complete {
        println!("complete");
    } else {
        println!("INCOMPLETE: the recording stops without its end (the server stopped mid-call); audio up to there");
    }
    Ok(())
}
