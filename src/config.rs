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
    stt_hint: Option<bool>,
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
    console_media_ip: Option<String>,
    metrics_token: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_api_key: Option<String>,
    twilio_api_secret: Option<String>,
    twilio_api_base: Option<String>,
    staff_t1: Option<String>,
    staff_t2: Option<String>,
    staff_t3: Option<String>,
    staff_emergency: Option<String>,
    staff_hours: Option<String>,
    staff_timezone: Option<String>,
    dial_timeout_secs: Option<u32>,
    outbound_caller_id: Option<String>,
    provider_name: Option<String>,
    provider_npi: Option<String>,
    provider_phone: Option<String>,
    outbound_max_calls: Option<i64>,
    outbound_per_line: Option<i64>,
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
    ("SWITCHBOARD_STT_HINT", "stt_hint"),
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
    ("SWITCHBOARD_CONSOLE_MEDIA_IP", "console_media_ip"),
    ("SWITCHBOARD_METRICS_TOKEN", "metrics_token"),
    ("TWILIO_ACCOUNT_SID", "twilio_account_sid"),
    ("TWILIO_API_KEY", "twilio_api_key"),
    ("TWILIO_API_SECRET", "twilio_api_secret"),
    ("SWITCHBOARD_TWILIO_API_BASE", "twilio_api_base"),
    ("SWITCHBOARD_STAFF_T1", "staff_t1"),
    ("SWITCHBOARD_STAFF_T2", "staff_t2"),
    ("SWITCHBOARD_STAFF_T3", "staff_t3"),
    ("SWITCHBOARD_STAFF_EMERGENCY", "staff_emergency"),
    ("SWITCHBOARD_STAFF_HOURS", "staff_hours"),
    ("SWITCHBOARD_STAFF_TIMEZONE", "staff_timezone"),
    ("SWITCHBOARD_DIAL_TIMEOUT_SECS", "dial_timeout_secs"),
    ("SWITCHBOARD_OUTBOUND_CALLER_ID", "outbound_caller_id"),
    ("SWITCHBOARD_PROVIDER_NAME", "provider_name"),
    ("SWITCHBOARD_PROVIDER_NPI", "provider_npi"),
    ("SWITCHBOARD_PROVIDER_PHONE", "provider_phone"),
    ("SWITCHBOARD_OUTBOUND_MAX_CALLS", "outbound_max_calls"),
    ("SWITCHBOARD_OUTBOUND_PER_LINE", "outbound_per_line"),
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
            ("stt_hint", f.stt_hint.map(|v| v.to_string())),
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
            ("console_media_ip", f.console_media_ip),
            ("metrics_token", f.metrics_token),
            ("twilio_account_sid", f.twilio_account_sid),
            ("twilio_api_key", f.twilio_api_key),
            ("twilio_api_secret", f.twilio_api_secret),
            ("twilio_api_base", f.twilio_api_base),
            ("staff_t1", f.staff_t1),
            ("staff_t2", f.staff_t2),
            ("staff_t3", f.staff_t3),
            ("staff_emergency", f.staff_emergency),
            ("staff_hours", f.staff_hours),
            ("staff_timezone", f.staff_timezone),
            ("dial_timeout_secs", f.dial_timeout_secs.map(|v| v.to_string())),
            ("outbound_caller_id", f.outbound_caller_id),
            ("provider_name", f.provider_name),
            ("provider_npi", f.provider_npi),
            ("provider_phone", f.provider_phone),
            ("outbound_max_calls", f.outbound_max_calls.map(|v| v.to_string())),
            ("outbound_per_line", f.outbound_per_line.map(|v| v.to_string())),
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
    if let Some(hint) = parse::<bool>(values, "stt_hint")? {
        server.stt_hint = hint;
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
    server.console_media_ip = parse::<std::net::IpAddr>(values, "console_media_ip")?;
    server.metrics_token = text("metrics_token");
    server.staff = staff(values)?;
    server.twilio_rest = twilio_rest(values, server.twilio_auth_token.as_deref())?;
    server.outbound = outbound(values)?;
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
/// Pharmacy opening hours, as the bot tells callers.
const DEFAULT_STAFF_HOURS: &str = "Mon-Fri 08:00-20:00, Sat-Sun 09:00-17:00";

fn staff(values: &BTreeMap<&'static str, (String, String)>) -> Result<telephony::control::directory::StaffDirectory> {
    use telephony::control::directory::{Destination, Hours, Line, StaffDirectory};
    use telephony::twilio::twiml::DialTarget;
    let text = |k: &str| {
        values
            .get(k)
            .map(|(v, _)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let origin = |k: &str| {
        values
            .get(k)
            .map_or_else(|| format!("`{k}` default"), |(_, o)| o.clone())
    };
    let tz = text("staff_timezone").unwrap_or_else(|| "America/New_York".into());
    let spec = text("staff_hours").unwrap_or_else(|| DEFAULT_STAFF_HOURS.into());
    let hours = Hours::parse(&spec, &tz)
        .map_err(|e| anyhow::anyhow!("invalid {} / {}: {e}", origin("staff_hours"), origin("staff_timezone")))?;
    let mut dir = StaffDirectory::default();
    if let Some(secs) = values.get("dial_timeout_secs") {
        let v: u32 = secs
            .0
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid {}: {e}", secs.1))?;
        if !(5..=600).contains(&v) {
            bail!("invalid {}: must be 5..=600 seconds (value {v})", secs.1);
        }
        dir.dial_timeout_secs = v;
    }
    for (key, line) in [
        ("staff_t1", Line::T1),
        ("staff_t2", Line::T2),
        ("staff_t3", Line::T3),
        ("staff_emergency", Line::Emergency),
    ] {
        let Some(dest) = text(key) else { continue };
        let target = DialTarget::parse(&dest);
        if let DialTarget::Number(n) = &target
            && !(n.starts_with('+') && n.len() > 4 && n[1..].chars().all(|c| c.is_ascii_digit()))
        {
            bail!(
                "invalid {}: expected an E.164 number (+15550001001) or a sip: URI",
                origin(key)
            );
        }
        // The emergency line is always answered.
        let hours = if line == Line::Emergency {
            Hours::always()
        } else {
            hours.clone()
        };
        dir = dir.with(line, Destination { target, hours });
    }
    Ok(dir)
}

fn is_e164(n: &str) -> bool {
    let d = n.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit())
}

/// Outbound verification calls: on when a caller ID is configured.
fn outbound(values: &BTreeMap<&'static str, (String, String)>) -> Result<Option<telephony::outbound::OutboundConfig>> {
    let text = |k: &str| {
        values
            .get(k)
            .map(|(v, _)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let origin = |k: &str| values.get(k).map_or_else(|| format!("`{k}`"), |(_, o)| o.clone());
    let Some(caller_id) = text("outbound_caller_id") else {
        return Ok(None);
    };
    if !is_e164(&caller_id) {
        bail!(
            "invalid {}: expected an E.164 number (+18005550100)",
            origin("outbound_caller_id")
        );
    }
    let npi = text("provider_npi").unwrap_or_default();
    if npi.len() != 10 || !npi.chars().all(|c| c.is_ascii_digit()) {
        bail!(
            "invalid {}: outbound calls need the provider's ten-digit NPI",
            origin("provider_npi")
        );
    }
    let callback = text("provider_phone").unwrap_or_else(|| caller_id.clone());
    if !is_e164(&callback) {
        bail!("invalid {}: expected an E.164 number", origin("provider_phone"));
    }
    let mut cfg = telephony::outbound::OutboundConfig {
        caller_id,
        npi,
        callback_number: callback,
        provider: text("provider_name").unwrap_or_else(|| "the pharmacy".into()),
        ..Default::default()
    };
    for (key, slot) in [
        ("outbound_max_calls", &mut cfg.limits.overall),
        ("outbound_per_line", &mut cfg.limits.per_line),
    ] {
        if let Some((v, o)) = values.get(key) {
            let n: i64 = v.trim().parse().map_err(|e| anyhow::anyhow!("invalid {o}: {e}"))?;
            if !(1..=100).contains(&n) {
                bail!("invalid {o}: must be 1..=100 (value {n})");
            }
            *slot = n;
        }
    }
    Ok(Some(cfg))
}

fn twilio_rest(
    values: &BTreeMap<&'static str, (String, String)>,
    auth_token: Option<&str>,
) -> Result<Option<telephony::twilio::rest::RestConfig>> {
    use telephony::twilio::rest::{RestAuth, RestConfig, TWILIO_API_BASE};
    let text = |k: &str| {
        values
            .get(k)
            .map(|(v, _)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let base = text("twilio_api_base").unwrap_or_else(|| TWILIO_API_BASE.into());
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        bail!(
            "invalid {}: must start with https:// or http:// (value {base:?})",
            values["twilio_api_base"].1
        );
    }
    let Some(sid) = text("twilio_account_sid") else {
        return Ok(None);
    };
    let auth = match (text("twilio_api_key"), text("twilio_api_secret"), auth_token) {
        (Some(k), Some(s), _) => RestAuth::ApiKey { sid: k, secret: s },
        (Some(_), None, _) | (None, Some(_), _) => bail!("TWILIO_API_KEY and TWILIO_API_SECRET go together"),
        (None, None, Some(t)) => RestAuth::AuthToken(t.to_owned()),
        (None, None, None) => {
            bail!("TWILIO_ACCOUNT_SID is set but neither TWILIO_AUTH_TOKEN nor TWILIO_API_KEY/SECRET is")
        }
    };
    Ok(Some(RestConfig::new(&base, &sid, auth)))
}

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
    fn outbound_calls_are_configured_and_checked() {
        assert!(load(None, env(&[])).unwrap().server.outbound.is_none());
        let c = load(
            None,
            env(&[
                ("SWITCHBOARD_OUTBOUND_CALLER_ID", "+18005550100"),
                ("SWITCHBOARD_PROVIDER_NAME", "Riverside Pharmacy"),
                ("SWITCHBOARD_PROVIDER_NPI", "1234567893"),
                ("SWITCHBOARD_OUTBOUND_MAX_CALLS", "6"),
            ]),
        )
        .unwrap();
        let o = c.server.outbound.expect("outbound on");
        assert_eq!(
            (
                o.provider.as_str(),
                o.callback_number.as_str(),
                o.limits.overall,
                o.limits.per_line
            ),
            ("Riverside Pharmacy", "+18005550100", 6, 2)
        );
        for bad in [
            vec![
                ("SWITCHBOARD_OUTBOUND_CALLER_ID", "18005550100"),
                ("SWITCHBOARD_PROVIDER_NPI", "1234567893"),
            ],
            vec![("SWITCHBOARD_OUTBOUND_CALLER_ID", "+18005550100")],
            vec![
                ("SWITCHBOARD_OUTBOUND_CALLER_ID", "+18005550100"),
                ("SWITCHBOARD_PROVIDER_NPI", "1234567893"),
                ("SWITCHBOARD_OUTBOUND_PER_LINE", "0"),
            ],
        ] {
            assert!(load(None, env(&bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn staff_lines_and_twilio_rest_are_configured_and_checked() {
        use telephony::control::directory::Line;
        let c = load(None, env(&[])).unwrap();
        assert!(c.server.staff.is_empty() && c.server.twilio_rest.is_none());
        let c = load(
            None,
            env(&[
                ("SWITCHBOARD_STAFF_T1", "+15550001001"),
                ("SWITCHBOARD_STAFF_T2", "sip:rph@pbx.example.com"),
                ("SWITCHBOARD_STAFF_HOURS", "Mon-Fri 09:00-17:00"),
                ("SWITCHBOARD_STAFF_TIMEZONE", "America/Chicago"),
                ("SWITCHBOARD_DIAL_TIMEOUT_SECS", "15"),
                ("TWILIO_ACCOUNT_SID", "AC123"),
                ("TWILIO_AUTH_TOKEN", "tok"),
                ("SWITCHBOARD_TWILIO_API_BASE", "http://127.0.0.1:9999/"),
            ]),
        )
        .unwrap();
        assert!(c.server.staff.destination(Line::T1).is_some());
        assert!(c.server.staff.destination(Line::T3).is_none());
        assert_eq!(c.server.staff.dial_timeout_secs, 15);
        let rest = c.server.twilio_rest.expect("rest configured");
        assert_eq!(
            (rest.api_base.as_str(), rest.account_sid.as_str()),
            ("http://127.0.0.1:9999", "AC123")
        );
        for (k, v) in [
            ("SWITCHBOARD_STAFF_T1", "5550001001"),
            ("SWITCHBOARD_STAFF_HOURS", "weekdays"),
            ("SWITCHBOARD_STAFF_TIMEZONE", "Nowhere/Land"),
            ("SWITCHBOARD_DIAL_TIMEOUT_SECS", "1"),
        ] {
            let e = format!("{:#}", load(None, env(&[(k, v)])).unwrap_err());
            assert!(e.contains(k), "{k}: {e}");
        }
        let e = format!("{:#}", load(None, env(&[("TWILIO_ACCOUNT_SID", "AC1")])).unwrap_err());
        assert!(e.contains("TWILIO_AUTH_TOKEN"), "{e}");
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
