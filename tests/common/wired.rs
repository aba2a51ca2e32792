//! The whole stack (scratch PostgreSQL, real models) wired to a simulated
//! Twilio account: the server's REST client points at the simulator, the
//! simulator's number at the server; and the helpers the tests that use it
//! share (callers' speech, transcribing what a party heard).

use functions::db::ScratchDatabase;
use media::resample::StreamResampler;
use models::stt::JobKind;
use switchboard::caller::Step;
use switchboard::stack::{Stack, StackConfig};
use telephony::speech::SpeechEngines;
use telephony::twilio::rest::{RestAuth, RestConfig};
use twilio_sim::{SimConfig, TwilioSim};

/// `text` said by the caller in flite voice `voice`.
pub fn say(text: &str, voice: &str) -> Step {
    Step::Say {
        text: text.into(),
        audio: switchboard::voice::speak_ulaw(text, voice).unwrap(),
    }
}

/// 16 kHz audio transcribed by the stack's own Whisper pool, lowercased.
pub async fn transcribe_16k(engines: &SpeechEngines, audio: Vec<f32>) -> String {
    engines
        .stt
        .submit(JobKind::Final, audio, None)
        .unwrap()
        .await
        .unwrap()
        .unwrap()
        .text
        .to_lowercase()
}

/// 8 kHz PCM as 16 kHz samples.
pub fn upsample(pcm: &[i16]) -> Vec<f32> {
    let f: Vec<f32> = pcm.iter().map(|&s| s as f32 / 32768.0).collect();
    let mut up = StreamResampler::new(8000, 16000).unwrap();
    let mut a = Vec::new();
    up.push(&f, &mut a).unwrap();
    up.flush(&mut a).unwrap();
    a
}

/// 8 kHz PCM transcribed (see [`transcribe_16k`]).
pub async fn transcribe(engines: &SpeechEngines, pcm: &[i16]) -> String {
    transcribe_16k(engines, upsample(pcm)).await
}

/// The stack in agent mode on `scratch`, and a simulated account whose
/// number calls it; `stack` and `sim` adjust their settings.
pub async fn wired(
    scratch: &ScratchDatabase,
    stack: impl FnOnce(&mut StackConfig),
    sim: impl FnOnce(&mut SimConfig),
) -> (Stack, TwilioSim) {
    let sim_cfg = SimConfig::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_base = format!("http://{}", listener.local_addr().unwrap());
    let server_cfg = telephony::ServerConfig {
        mode: telephony::CallMode::Agent,
        listen: "127.0.0.1:0".parse().unwrap(),
        twilio_auth_token: Some(sim_cfg.auth_token.clone()),
        twilio_rest: Some(RestConfig::new(
            &api_base,
            &sim_cfg.account_sid,
            RestAuth::AuthToken(sim_cfg.auth_token.clone()),
        )),
        ..Default::default()
    };
    let mut cfg = StackConfig {
        database_url: Some(scratch.url.clone()),
        server: server_cfg,
        sim: functions::payer_sim::SimConfig {
            failure_rate: 0.0,
            slow_rate: 0.0,
            ..Default::default()
        },
        ..Default::default()
    };
    stack(&mut cfg);
    let stack = Stack::start(cfg, Vec::new()).await.expect("stack starts");
    let mut sim_cfg = SimConfig {
        voice_url: format!("http://{}/twilio/voice", stack.addr),
        status_callback: Some(format!("http://{}/twilio/status", stack.addr)),
        ..sim_cfg
    };
    sim(&mut sim_cfg);
    let sim = TwilioSim::start_on(listener, sim_cfg).unwrap();
    (stack, sim)
}
