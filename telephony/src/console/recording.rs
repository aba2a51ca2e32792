//! `GET /api/calls/{sid}/recording`: a finished call's recording, decrypted
//! on demand for the console's player (stereo WAV: caller left, bot right).
//! The read is written to the audit log first; nothing decrypted is kept.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::Principal;
use crate::server::AppState;

/// A 16-bit PCM WAV of `channels` interleaved `samples` at `rate`.
fn wav(samples: &[i16], channels: u16, rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// `GET /api/calls/{sid}/recording`.
pub async fn recording(State(s): State<Arc<AppState>>, p: Principal, Path(sid): Path<String>) -> Response {
    let Some(cfg) = s.config.recording.as_ref() else {
        return (StatusCode::NOT_FOUND, "calls are not recorded here\n").into_response();
    };
    let Some(name) = media::recording::file_name(&sid) else {
        return (StatusCode::BAD_REQUEST, "invalid call id\n").into_response();
    };
    let path = cfg.dir.join(name);
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::NOT_FOUND, "no recording of this call\n").into_response(),
    };
    if !crate::api::audit_read(&s, &p, "recording.decrypt", &format!("recording:{sid}"), Some(&sid)).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "audit log unavailable\n").into_response();
    }
    let key = cfg.key.clone();
    let decrypted = tokio::task::spawn_blocking(move || media::recording::decrypt(&bytes, &key)).await;
    match decrypted {
        Ok(Ok(d)) if d.header.call_id == sid => (
            [(header::CONTENT_TYPE, "audio/wav"), (header::CACHE_CONTROL, "no-store")],
            wav(&d.samples, d.header.channels, d.header.sample_rate),
        )
            .into_response(),
        Ok(Ok(_)) => {
            tracing::warn!(call_id = %sid, "recording file holds another call's recording");
            (StatusCode::CONFLICT, "the file holds another call's recording\n").into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!(call_id = %sid, error = %e, "recording not decrypted");
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "the recording could not be decrypted\n",
            )
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "recording decrypt task failed");
            (StatusCode::SERVICE_UNAVAILABLE, "try again\n").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wav_header_describes_the_samples() {
        let w = wav(&[1, -1, 2, -2], 2, 8000);
        assert_eq!(&w[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(w[4..8].try_into().unwrap()), 36 + 8);
        assert_eq!(u16::from_le_bytes(w[22..24].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(w[24..28].try_into().unwrap()), 8000);
        assert_eq!(u32::from_le_bytes(w[40..44].try_into().unwrap()), 8);
        assert_eq!(w.len(), 44 + 8);
        assert_eq!(i16::from_le_bytes([w[46], w[47]]), -1);
    }
}
