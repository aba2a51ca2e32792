//! A recorded echo call over a real WebSocket: the encrypted recording on
//! disk decrypts to the call, caller left and the echo right.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Server, Twilio, drain, frame};
use media::recording::{RecordingKey, decrypt};
use telephony::ServerConfig;
use telephony::config::RecordingConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_call_decrypts_to_both_sides() {
    let dir = std::env::temp_dir().join(format!("sb-recording-call-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let key = Arc::new(RecordingKey::generate().unwrap());
    let cfg = ServerConfig {
        recording: Some(RecordingConfig {
            dir: dir.clone(),
            key: key.clone(),
        }),
        ..Default::default()
    };
    let mut server = Server::start(cfg).await;
    let mut tw = Twilio::connect(&server, "CArecorded1", "+15550009").await;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    // 3 s: a second of tone from 0.4 s, echoed a second later.
    for i in 0..150 {
        tick.tick().await;
        tw.media(&frame(i, (20..70).contains(&i))).await;
    }
    tw.stop().await;
    let (_, close) = drain(&mut tw, Duration::from_secs(3)).await;
    assert_eq!(close, Some((1000, "stream stopped".to_string())));

    // The call task seals the recording as it ends.
    let path = dir.join("CArecorded1.swrec");
    let mut rec = None;
    for _ in 0..100 {
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(d) = decrypt(&bytes, &key)
            && d.complete
        {
            rec = Some(d);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rec = rec.expect("a complete recording");
    assert_eq!((rec.header.channels, rec.header.sample_rate), (2, 8000));
    assert_eq!(rec.header.call_id, "CArecorded1");
    let secs = rec.duration().as_secs_f64();
    assert!((2.8..=3.6).contains(&secs), "{secs} s recorded");
    let rms = |s: &[i16]| (s.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt();
    let (left, right) = (rec.channel(0), rec.channel(1));
    assert!(rms(&left[4000..11_000]) > 3000.0, "the caller's tone on the left");
    assert!(rms(&left[..2800]) < 100.0, "silence before it");
    assert!(rms(&right[..9000]) < 100.0, "nothing on the right before the echo");
    assert!(rms(&right[12_800..19_000]) > 3000.0, "the echo on the right");

    // Another key cannot open it; the file is not audio in the clear.
    let other = RecordingKey::generate().unwrap();
    assert!(decrypt(&std::fs::read(&path).unwrap(), &other).is_err());
    // The command's path: a stereo WAV.
    let wav = dir.join("out.wav");
    let s = switchboard::recording::decrypt_to_wav(&path, &key, "CArecorded1", &wav).unwrap();
    assert!(s.complete);
    let r = hound::WavReader::open(&wav).unwrap();
    assert_eq!(r.spec().channels, 2);
    assert_eq!(r.duration() as u64, s.frames);
    server.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}
