//! The speech path end to end over a real WebSocket: in `repeat` mode the bot
//! greets (cached prompt), the caller speaks (flite, a voice other than the
//! bot's, 8 kHz µ-law, real-time), the bot transcribes it and says it back,
//! talking over the bot stops its audio at once and clears it once words
//! are heard, and an "uh-huh" over the bot does not. Real models throughout.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{Server, Twilio};
use futures_util::StreamExt;
use models::assets::Assets;
use telephony::speech::SpeechEngines;
use telephony::{CallMode, ServerConfig};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// The caller's voice (flite slt, a different engine from the bot's).
fn flite_ulaw(text: &str) -> Vec<u8> {
    switchboard::voice::speak_ulaw(text, "slt").expect("flite is required (./scripts/setup.sh installs it)")
}

/// What the bot said in `ulaw`, transcribed by the same Whisper pool.
async fn transcribe(engines: &SpeechEngines, ulaw: &[u8]) -> String {
    let mut pcm = Vec::new();
    media::mulaw::decode_into(ulaw, &mut pcm);
    common::wired::transcribe(engines, &pcm).await
}

struct Call {
    tw: Twilio,
    t0: Instant,
    tick: tokio::time::Interval,
    frame: usize,
    /// (arrival, event) of everything the bot sent.
    got: Vec<(Duration, serde_json::Value)>,
}

impl Call {
    /// Sends `audio` (then silence) in real time for `secs`, collecting what the bot sends.
    async fn run(&mut self, audio: &[u8], secs: f32) {
        let frames = (secs * 50.0) as usize;
        let mut sent = 0;
        while sent < frames {
            tokio::select! {
                _ = self.tick.tick() => {
                    let chunk: Vec<u8> = (0..160).map(|k| audio.get(sent * 160 + k).copied().unwrap_or(0xFF)).collect();
                    self.tw.media(&chunk).await;
                    sent += 1;
                    self.frame += 1;
                }
                msg = self.tw.ws.next() => {
                    let Some(Ok(Message::Text(t))) = msg else { panic!("socket ended: {msg:?}") };
                    let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                    if v["event"] == "mark" {
                        let name = v["mark"]["name"].as_str().unwrap().to_owned();
                        self.tw.mark(&name).await;
                    }
                    self.got.push((self.t0.elapsed(), v));
                }
            }
        }
    }

    fn bot_audio(&self, from: Duration, to: Duration) -> Vec<u8> {
        self.got
            .iter()
            .filter(|(t, v)| *t >= from && *t < to && v["event"] == "media")
            .flat_map(|(_, v)| {
                base64::engine::general_purpose::STANDARD
                    .decode(v["media"]["payload"].as_str().unwrap())
                    .unwrap()
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeat_mode_hears_and_speaks_with_real_models() {
    let engines = tokio::task::spawn_blocking(|| SpeechEngines::load(&Assets::discover(), 2, Default::default()))
        .await
        .unwrap()
        .unwrap();
    let cfg = ServerConfig {
        mode: CallMode::Repeat,
        ..Default::default()
    };
    let server = Server::start_with(cfg, Some(engines.clone())).await;
    let tw = Twilio::connect(&server, "CAspeech", "+15550009").await;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut call = Call {
        tw,
        t0: Instant::now(),
        tick,
        frame: 0,
        got: Vec::new(),
    };

    // 1. The greeting (a cached prompt) starts at once.
    call.run(&[], 4.0).await;
    let first = call
        .got
        .iter()
        .find(|(_, v)| v["event"] == "media")
        .map(|(t, _)| *t)
        .expect("greeting audio");
    assert!(first < Duration::from_millis(300), "greeting began after {first:?}");
    // Played in full, byte for byte the prompt synthesised at start-up.
    let greeting_audio = call.bot_audio(Duration::ZERO, Duration::from_secs(4));
    let cached = engines.prompt(telephony::speech::GREETING).expect("greeting cached");
    assert_eq!(greeting_audio.len(), cached.len());
    assert!(
        greeting_audio == *cached,
        "greeting audio differs from the cached prompt"
    );
    let marks: Vec<String> = call
        .got
        .iter()
        .filter(|(_, v)| v["event"] == "mark")
        .map(|(_, v)| v["mark"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(marks.last().map(String::as_str), Some("g1.u1.end"));

    // 2. The caller speaks; the bot says it back.
    let spoken_at = call.t0.elapsed();
    let speech = flite_ulaw("I need a refill of my blood pressure medication.");
    let speech_end = spoken_at + Duration::from_millis(speech.len() as u64 / 8);
    call.run(&speech, 8.0).await;
    let reply_start = call
        .got
        .iter()
        .find(|(t, v)| *t > speech_end && v["event"] == "media")
        .map(|(t, _)| *t)
        .expect("a spoken reply");
    let turn = reply_start - speech_end;
    println!(
        "turn latency (end of speech to first reply audio): {} ms",
        turn.as_millis()
    );
    assert!(turn < Duration::from_millis(2000), "reply after {turn:?}");
    let reply = transcribe(&engines, &call.bot_audio(speech_end, call.t0.elapsed())).await;
    println!("reply heard as {reply:?}");
    // Piper samples its noise, so the same reply sounds a little different
    // each run and tiny.en has heard its "You" as "he"; what matters is that
    // the caller's words come back.
    assert!(
        reply.contains("said") && reply.contains("refill") && reply.contains("blood pressure"),
        "reply heard as {reply:?}"
    );

    // 3. Talking over the bot's next reply clears it.
    let question = flite_ulaw("Can you check the status of my prior authorization for this medication please?");
    let asked_end = call.t0.elapsed() + Duration::from_millis(question.len() as u64 / 8);
    call.run(&question, question.len() as f32 / 8000.0).await;
    for _ in 0..40 {
        if call.got.iter().any(|(t, v)| *t > asked_end && v["event"] == "media") {
            break;
        }
        call.run(&[], 0.1).await;
    }
    call.run(&[], 0.6).await; // let the reply play a little
    let barge = flite_ulaw("Wait, stop, I have another question.");
    let barge_at = call.t0.elapsed();
    call.run(&barge, 3.0).await;
    let clears: Vec<Duration> = call
        .got
        .iter()
        .filter(|(_, v)| v["event"] == "clear")
        .map(|(t, _)| *t)
        .collect();
    assert!(!clears.is_empty(), "no clear after talking over the bot");
    let latency = clears
        .iter()
        .find(|t| **t > barge_at)
        .map(|t| *t - barge_at)
        .expect("clear after the barge-in");
    println!(
        "barge-in: clear {} ms after the caller started talking",
        latency.as_millis()
    );
    // The bot's audio is held as soon as the caller's voice is detected
    // over it: the last frame before the clear arrives well before it.
    let clear_at = barge_at + latency;
    let last_frame = call
        .got
        .iter()
        .filter(|(t, v)| *t > barge_at && *t < clear_at && v["event"] == "media")
        .map(|(t, _)| *t)
        .next_back()
        .unwrap_or(barge_at);
    let silent = last_frame - barge_at;
    println!(
        "barge-in: bot audio stopped {} ms after the caller started talking",
        silent.as_millis()
    );
    assert!(silent < Duration::from_millis(700), "bot kept talking for {silent:?}");
    assert!(latency < Duration::from_millis(2000), "clear after {latency:?}");

    // 4. An "uh-huh" over the bot's next reply is listening, not a turn: no
    // clear, and the reply goes on.
    let replied_from = call.t0.elapsed();
    for _ in 0..60 {
        if call.got.iter().any(|(t, v)| *t > replied_from && v["event"] == "media") {
            break;
        }
        call.run(&[], 0.1).await;
    }
    call.run(&[], 0.8).await;
    let backchannel = flite_ulaw("Uh-huh.");
    let backchannel_at = call.t0.elapsed();
    call.run(&backchannel, 2.5).await;
    let clears_after = call
        .got
        .iter()
        .filter(|(t, v)| *t > backchannel_at && v["event"] == "clear")
        .count();
    assert_eq!(clears_after, 0, "an uh-huh cleared the bot's reply");
    let went_on = call
        .got
        .iter()
        .any(|(t, v)| *t > backchannel_at + Duration::from_millis(1200) && v["event"] == "media");
    assert!(went_on, "the reply did not go on after the uh-huh");
    let metrics = common::get_text(server.http("/metrics")).await;
    for name in [
        "switchboard_stt_final_latency_seconds_count",
        "switchboard_tts_first_audio_latency_seconds_count",
    ] {
        assert!(metrics.lines().any(|l| l.starts_with(name)), "{name} missing");
    }
}
