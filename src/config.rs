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
    Ok(Config {
        server,
        database_url: text("database_url"),
        data_dir: text("data_dir").map_or_else(|| ".data/postgres".into(), Into::into),
        benefits_url: text("benefits_url"),
        log: text("log").unwrap_or_else(|| "info".into()),
    })
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
