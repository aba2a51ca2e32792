//! Configuration: an optional TOML file, overridden by environment variables.
//! Every key is checked; an unknown or invalid one is an error that names it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use telephony::{CallMode, ServerConfig};

/// Keys of the TOML file; each has an environment variable (see [`ENV_KEYS`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    twilio_auth_token: Option<String>,
    database_url: Option<String>,
    mode: Option<String>,
    echo_delay_ms: Option<u64>,
    shutdown_grace_secs: Option<u64>,
    send_ms: Option<u32>,
    lead_ms: Option<u32>,
    stt_model: Option<String>,
    data_dir: Option<String>,
    benefits_url: Option<String>,
    log: Option<String>,
    recording_key: Option<String>,
    recording_key_file: Option<String>,
    recordings_dir: Option<String>,
    spool_dir: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    workers: Option<usize>,
    api_token: Option<String>,
}

/// Environment variable → file key.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("SWITCHBOARD_LISTEN", "listen"),
    ("PUBLIC_URL", "public_url"),
    ("TWILIO_AUTH_TOKEN", "twilio_auth_token"),
    ("DATABASE_URL", "database_url"),
    ("SWITCHBOARD_MODE", "mode"),
    ("SWITCHBOARD_ECHO_DELAY_MS", "echo_delay_ms"),
    ("SWITCHBOARD_SHUTDOWN_GRACE_SECS", "shutdown_grace_secs"),
    ("SWITCHBOARD_SEND_MS", "send_ms"),
    ("SWITCHBOARD_LEAD_MS", "lead_ms"),
    ("SWITCHBOARD_STT_MODEL", "stt_model"),
    ("SWITCHBOARD_DATA_DIR", "data_dir"),
    ("SWITCHBOARD_BENEFITS_URL", "benefits_url"),
    ("SWITCHBOARD_LOG", "log"),
    ("SWITCHBOARD_RECORDING_KEY", "recording_key"),
    ("SWITCHBOARD_RECORDING_KEY_FILE", "recording_key_file"),
    ("SWITCHBOARD_RECORDINGS_DIR", "recordings_dir"),
    ("SWITCHBOARD_SPOOL_DIR", "spool_dir"),
    ("SWITCHBOARD_WEBHOOK_URL", "webhook_url"),
    ("SWITCHBOARD_WEBHOOK_SECRET", "webhook_secret"),
    ("SWITCHBOARD_WORKERS", "workers"),
    ("SWITCHBOARD_API_TOKEN", "api_token"),
];

/// Variables read elsewhere (by the command line).
const OTHER_ENV: &[&str] = &["SWITCHBOARD_CONFIG", "SWITCHBOARD_MODELS_DIR"];

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Server settings.
    pub server: ServerConfig,
    /// Postgres URL; unset: a private cluster under `data_dir`.
    pub database_url: Option<String>,
    /// Where the private PostgreSQL cluster lives.
    pub data_dir: std::path::PathBuf,
    /// Payer eligibility API; unset: the simulator runs in process.
    pub benefits_url: Option<String>,
    /// Log filter (tracing `EnvFilter` syntax).
    pub log: String,
    /// Where finished calls wait while the database is unreachable.
    pub spool_dir: std::path::PathBuf,
    /// The one webhook receiver (URL, signing secret), if configured.
    pub webhook: Option<(String, String)>,
    /// Post-call job loops inside `serve` (0: leave them to `switchboard worker`).
    pub workers: usize,
}

/// Loads the file (if given) and applies `env` on top.
pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config> {
    let mut values: BTreeMap<&'static str, (String, String)> = BTreeMap::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
        let f: FileConfig = toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))?;
        let file_pairs = [
            ("listen", f.listen),
            ("public_url", f.public_url),
            ("twilio_auth_token", f.twilio_auth_token),
            ("database_url", f.database_url),
            ("mode", f.mode),
            ("echo_delay_ms", f.echo_delay_ms.map(|v| v.to_string())),
            ("shutdown_grace_secs", f.shutdown_grace_secs.map(|v| v.to_string())),
            ("send_ms", f.send_ms.map(|v| v.to_string())),
            ("lead_ms", f.lead_ms.map(|v| v.to_string())),
            ("stt_model", f.stt_model),
            ("data_dir", f.data_dir),
            ("benefits_url", f.benefits_url),
            ("log", f.log),
            ("recording_key", f.recording_key),
            ("recording_key_file", f.recording_key_file),
            ("recordings_dir", f.recordings_dir),
            ("spool_dir", f.spool_dir),
            ("webhook_url", f.webhook_url),
            ("webhook_secret", f.webhook_secret),
            ("workers", f.workers.map(|v| v.to_string())),
            ("api_token", f.api_token),
        ];
        for (key, v) in file_pairs {
            if let Some(v) = v {
                values.insert(key, (v, format!("`{key}` in {}", path.display())));
            }
        }
    }
    for (name, value) in env {
        if let Some((_, key)) = ENV_KEYS.iter().find(|(n, _)| *n == name) {
            values.insert(key, (value, name));
        } else if name.starts_with("SWITCHBOARD_") && !OTHER_ENV.contains(&name.as_str()) {
            let known: Vec<&str> = ENV_KEYS
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| n.starts_with("SWITCHBOARD_"))
                .collect();
            bail!("unknown environment variable {name} (known: {})", known.join(", "));
        }
    }
    build(&values)
}

fn build(values: &BTreeMap<&'static str, (String, String)>) -> Result<Config> {
    fn parse<T: std::str::FromStr>(values: &BTreeMap<&'static str, (String, String)>, key: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        match values.get(key) {
            None => Ok(None),
            Some((v, origin)) => v
                .trim()
                .parse::<T>()
                .map(Some)
                .map_err(|e| anyhow::anyhow!("invalid {origin}: {e} (value {v:?})")),
        }
    }
    // The product runs the voice agent unless told otherwise.
    let mut server = ServerConfig {
        mode: CallMode::Agent,
        ..Default::default()
    };
    if let Some(a) = parse(values, "listen")? {
        server.listen = a;
    }
    let text = |k: &str| values.get(k).map(|(v, _)| v.clone()).filter(|v| !v.is_empty());
    server.public_url = text("public_url");
    if let Some((url, origin)) = values.get("public_url")
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        bail!("invalid {origin}: must start with https:// or http:// (value {url:?})");
    }
    server.twilio_auth_token = text("twilio_auth_token");
    if let Some(model) = parse::<models::stt::SttModel>(values, "stt_model")? {
        server.stt_model = model;
    }
    if let Some(mode) = parse::<CallMode>(values, "mode")? {
        server.mode = mode;
    }
    if let Some(ms) = parse::<u64>(values, "echo_delay_ms")? {
        server.echo_delay = Duration::from_millis(ms);
    }
    if let Some(s) = parse::<u64>(values, "shutdown_grace_secs")? {
        server.shutdown_grace = Duration::from_secs(s);
    }
    if let Some(ms) = parse::<u32>(values, "send_ms")? {
        if ![20, 40, 60].contains(&ms) {
            bail!("invalid {}: must be 20, 40 or 60 (value {ms})", values["send_ms"].1);
        }
        server.playout.send_ms = ms;
    }
    if let Some(ms) = parse::<u32>(values, "lead_ms")? {
        if !(20..=100).contains(&ms) {
            bail!("invalid {}: must be 20..=100 ms (value {ms})", values["lead_ms"].1);
        }
        server.playout.lead_ms = ms;
    }
    server.recording = recording(values)?;
    server.api_token = text("api_token");
    Ok(Config {
        server,
        database_url: text("database_url"),
        data_dir: text("data_dir").map_or_else(|| ".data/postgres".into(), Into::into),
        benefits_url: text("benefits_url"),
        log: text("log").unwrap_or_else(|| "info".into()),
        spool_dir: text("spool_dir").map_or_else(|| ".data/spool".into(), Into::into),
        webhook: webhook(values)?,
        workers: parse::<usize>(values, "workers")?.unwrap_or(2),
    })
}

/// A webhook receiver needs both its URL and its secret.
fn webhook(values: &BTreeMap<&'static str, (String, String)>) -> Result<Option<(String, String)>> {
    let set = |k: &str| values.get(k).filter(|(v, _)| !v.trim().is_empty());
    match (set("webhook_url"), set("webhook_secret")) {
        (None, None) => Ok(None),
        (Some((url, origin)), Some((secret, _))) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("invalid {origin}: must start with https:// or http:// (value {url:?})");
            }
            Ok(Some((url.trim().to_owned(), secret.trim().to_owned())))
        }
        (Some((_, origin)), None) => bail!("{origin} is set but SWITCHBOARD_WEBHOOK_SECRET is not"),
        (None, Some((_, origin))) => bail!("{origin} is set but SWITCHBOARD_WEBHOOK_URL is not"),
    }
}

/// Recording is on when a key is configured, inline or in a file (never both).
fn recording(values: &BTreeMap<&'static str, (String, String)>) -> Result<Option<telephony::config::RecordingConfig>> {
    use media::recording::RecordingKey;
    let set = |k: &str| values.get(k).filter(|(v, _)| !v.trim().is_empty());
    let key = match (set("recording_key"), set("recording_key_file")) {
        (Some((_, a)), Some((_, b))) => bail!("{a} and {b} are both set: give the recording key once"),
        // The error never repeats the key.
        (Some((v, origin)), None) => RecordingKey::from_hex(v).map_err(|e| anyhow::anyhow!("invalid {origin}: {e}"))?,
        (None, Some((path, origin))) => {
            RecordingKey::from_file(Path::new(path.trim())).map_err(|e| anyhow::anyhow!("invalid {origin}: {e}"))?
        }
        (None, None) => return Ok(None),
    };
    let dir = values
        .get("recordings_dir")
        .map(|(v, _)| v.trim())
        .filter(|v| !v.is_empty())
        .unwrap_or(".data/recordings");
    Ok(Some(telephony::config::RecordingConfig {
        dir: dir.into(),
        key: std::sync::Arc::new(key),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_and_env_overrides() {
        let c = load(None, env(&[])).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        let c = load(
            None,
            env(&[
                ("SWITCHBOARD_LISTEN", "0.0.0.0:9000"),
                ("SWITCHBOARD_MODE", "silent"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.server.mode, CallMode::Silent);
        let c = load(
            None,
            env(&[("SWITCHBOARD_MODE", "repeat"), ("SWITCHBOARD_STT_MODEL", "base")]),
        )
        .unwrap();
        assert_eq!(c.server.mode, CallMode::Repeat);
        assert_eq!(c.server.stt_model, models::stt::SttModel::Base);
        let e = load(None, env(&[("SWITCHBOARD_STT_MODEL", "large")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SWITCHBOARD_STT_MODEL"), "{e}");
    }

    #[test]
    fn errors_name_the_bad_key() {
        let e = load(None, env(&[("SWITCHBOARD_LISTEN", "nope")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SWITCHBOARD_LISTEN"), "{e}");
        let e = load(None, env(&[("SWITCHBOARD_LISTN", "x")])).unwrap_err().to_string();
        assert!(e.contains("SWITCHBOARD_LISTN"), "{e}");
        let e = load(None, env(&[("SWITCHBOARD_SEND_MS", "30")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SWITCHBOARD_SEND_MS"), "{e}");
        let e = load(None, env(&[("PUBLIC_URL", "example.com")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PUBLIC_URL"), "{e}");
    }

    #[test]
    fn recording_is_on_with_a_key_and_the_key_is_never_echoed() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert!(load(None, env(&[])).unwrap().server.recording.is_none());
        let c = load(None, env(&[("SWITCHBOARD_RECORDING_KEY", hex)])).unwrap();
        let r = c.server.recording.expect("recording on");
        assert_eq!(r.dir, std::path::PathBuf::from(".data/recordings"));
        assert_eq!(r.key.id(), media::recording::RecordingKey::from_hex(hex).unwrap().id());
        let dir = std::env::temp_dir().join(format!("sb-config-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, format!("{hex}\n")).unwrap();
        let file = file.to_str().unwrap();
        let c = load(
            None,
            env(&[
                ("SWITCHBOARD_RECORDING_KEY_FILE", file),
                ("SWITCHBOARD_RECORDINGS_DIR", "/tmp/recs"),
            ]),
        )
        .unwrap();
        let r = c.server.recording.expect("recording on");
        assert_eq!(r.dir, std::path::PathBuf::from("/tmp/recs"));
        assert_eq!(r.key.id(), media::recording::RecordingKey::from_hex(hex).unwrap().id());
        let e = load(
            None,
            env(&[
                ("SWITCHBOARD_RECORDING_KEY", hex),
                ("SWITCHBOARD_RECORDING_KEY_FILE", file),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("both"), "{e}");
        let bad = &hex[..60];
        let e = load(None, env(&[("SWITCHBOARD_RECORDING_KEY", bad)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("SWITCHBOARD_RECORDING_KEY") && !e.contains(bad), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_values_are_checked_and_env_wins() {
        let dir = std::env::temp_dir().join(format!("sb-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "listen = \"127.0.0.1:7000\"\nmode = \"echo\"\necho_delay_ms = 500\n",
        )
        .unwrap();
        let c = load(Some(&good), env(&[])).unwrap();
        assert_eq!(c.server.listen.port(), 7000);
        assert_eq!(c.server.echo_delay, Duration::from_millis(500));
        let c = load(Some(&good), env(&[("SWITCHBOARD_LISTEN", "127.0.0.1:7001")])).unwrap();
        assert_eq!(c.server.listen.port(), 7001);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "lisen = \"127.0.0.1:7000\"\n").unwrap();
        let e = format!("{:#}", load(Some(&bad), env(&[])).unwrap_err());
        assert!(e.contains("lisen"), "{e}");
        std::fs::write(&bad, "mode = \"karaoke\"\n").unwrap();
        let e = format!("{:#}", load(Some(&bad), env(&[])).unwrap_err());
        assert!(e.contains("`mode`") && e.contains("karaoke"), "{e}");
    }
}
