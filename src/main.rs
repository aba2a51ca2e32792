//! `switchboard`: the voice telephony media server and its tools.

mod config;
mod decrypt;
mod ops;
mod serve;
mod setup;
mod tasks;
mod users;
mod verify;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serve::shutdown_signal;
use tracing_subscriber::EnvFilter;

/// Real-time voice telephony media server for healthcare benefits calls.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Optional TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: Twilio webhook, Media Streams WebSocket, health, metrics.
    Serve,
    /// Print the effective configuration (secrets masked) and exit.
    CheckConfig,
    /// Model files: `check` loads each one and reports; `install` runs the installer.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Place one simulated inbound patient call against an in-process server
    /// (private database seeded if needed), print it live, record it.
    Demo {
        /// Where the call recording (stereo WAV: caller left, bot right) goes.
        #[arg(long, default_value = "demo-call.wav")]
        wav: PathBuf,
        /// flite voice of the simulated caller (slt, rms, awb, kal).
        #[arg(long, default_value = "rms")]
        voice: String,
    },
    /// Apply database migrations (also done at `serve` start).
    Migrate,
    /// Load generator: N simulated Twilio calls over real WebSockets against
    /// a server (in process unless --target), latency report, JSON and plot.
    Loadgen(Box<switchboard::loadgen::cli::LoadgenArgs>),
    /// Run post-call job workers (analysis, webhook delivery) in this process;
    /// any number of workers on any number of machines share one database.
    Worker {
        /// Concurrent job loops.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Post-call job queue: depths, dead letters, retry.
    Jobs {
        #[command(subcommand)]
        action: ops::JobsAction,
    },
    /// Webhook receivers: add (or update), list, remove.
    Webhooks {
        #[command(subcommand)]
        action: ops::WebhooksAction,
    },
    /// Staff tasks (callbacks and follow-ups the agent promised): list, close.
    Tasks {
        #[command(subcommand)]
        action: tasks::TasksAction,
    },
    /// Console and API users: add, list, disable, enable, token.
    Users {
        #[command(subcommand)]
        action: users::UsersAction,
    },
    /// Outbound benefits verifications: create (and follow), show, cancel.
    Verify {
        #[command(subcommand)]
        action: verify::VerifyAction,
    },
    /// Print the PHI audit log (who read what, when, from where).
    Audit {
        /// Start: a date (2026-11-01), an RFC 3339 time, or an age (90m, 24h, 7d).
        #[arg(long, default_value = "24h")]
        since: String,
        /// Most rows to print.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
    /// Encrypted call recordings (on when a recording key is configured).
    Recording {
        #[command(subcommand)]
        action: RecordingAction,
    },
    /// Fill an empty database with synthetic payers, formulary and patients.
    Seed {
        /// Random patients besides the fixed demo ones.
        #[arg(long, default_value_t = 1000)]
        patients: usize,
        /// Random seed (same seed, same data).
        #[arg(long, default_value_t = 20261123)]
        seed: u64,
    },
    /// Ingest payer policy documents (Markdown or text) for the PA search.
    Ingest {
        /// Directory of documents.
        #[arg(default_value = "data/payer_policies")]
        dir: PathBuf,
    },
    /// Run the payer eligibility API simulator.
    PayerSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// Typical response time, ms.
        #[arg(long, default_value_t = 250)]
        latency_ms: u64,
        /// Extra uniform random delay, ms.
        #[arg(long, default_value_t = 250)]
        jitter_ms: u64,
        /// Share of requests answered 503.
        #[arg(long, default_value_t = 0.02)]
        failure_rate: f64,
        /// Share of requests that are slow.
        #[arg(long, default_value_t = 0.02)]
        slow_rate: f64,
        /// Delay of a slow request, ms.
        #[arg(long, default_value_t = 4000)]
        slow_ms: u64,
    },
}

#[derive(Debug, Subcommand)]
enum RecordingAction {
    /// Decrypt a call's recording to a stereo WAV (caller left, bot right).
    /// The read is written to the PHI audit log first.
    Decrypt {
        /// The call (Twilio CallSid).
        call_id: String,
        /// The WAV file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsAction {
    /// Load every model once and report (exit 1 naming the first bad file).
    Check,
    /// Fetch, convert and verify the model files (./scripts/models.sh).
    Install,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = config::load(cli.config.as_deref(), std::env::vars())?;
    // Per-call info lines would scroll over the load generator's progress bar.
    let quiet_default = matches!(cli.command, Command::Loadgen(_)) && cfg.log == "info";
    let cfg_log = if quiet_default { "warn" } else { cfg.log.as_str() };
    // PHI never reaches the log: sensitive fields and date/id/phone-shaped text are redacted.
    tracing_subscriber::fmt()
        .fmt_fields(switchboard::redact::Redacted)
        .with_env_filter(EnvFilter::try_new(cfg_log).with_context(|| format!("invalid log filter {:?}", cfg.log))?)
        .init();
    let rt = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match cli.command {
        Command::Serve => rt()?.block_on(serve::serve(cfg)),
        Command::Demo { wav, voice } => rt()?.block_on(async {
            let opts = switchboard::demo::DemoOptions {
                stack: stack_config(&cfg),
                wav,
                voice,
            };
            switchboard::demo::run(opts).await?;
            Ok(())
        }),
        Command::Loadgen(args) => rt()?.block_on(async {
            switchboard::loadgen::cli::main(*args, stack_config(&cfg)).await?;
            Ok(())
        }),
        Command::Migrate => rt()?.block_on(setup::migrate(&cfg)),
        Command::Worker { concurrency } => rt()?.block_on(ops::worker(&cfg, concurrency, shutdown_signal())),
        Command::Jobs { action } => rt()?.block_on(ops::jobs(&cfg, action)),
        Command::Webhooks { action } => rt()?.block_on(ops::webhooks(&cfg, action)),
        Command::Tasks { action } => rt()?.block_on(tasks::run(&cfg, action)),
        Command::Verify { action } => rt()?.block_on(verify::run(&cfg, action)),
        Command::Users { action } => rt()?.block_on(users::run(&cfg, action)),
        Command::Audit { since, limit } => rt()?.block_on(ops::audit(&cfg, &since, limit)),
        Command::Recording {
            action: RecordingAction::Decrypt { call_id, output },
        } => rt()?.block_on(decrypt::decrypt_recording(&cfg, &call_id, &output)),
        Command::Seed { patients, seed } => rt()?.block_on(setup::seed(&cfg, patients, seed)),
        Command::Ingest { dir } => rt()?.block_on(setup::ingest(&cfg, &dir)),
        Command::PayerSim {
            listen,
            latency_ms,
            jitter_ms,
            failure_rate,
            slow_rate,
            slow_ms,
        } => {
            let sim = functions::payer_sim::SimConfig {
                latency: std::time::Duration::from_millis(latency_ms),
                jitter: std::time::Duration::from_millis(jitter_ms),
                failure_rate,
                slow_rate,
                slow: std::time::Duration::from_millis(slow_ms),
            };
            rt()?.block_on(serve::payer_sim(&cfg, listen, sim))
        }
        Command::CheckConfig => setup::check_config(&cfg),
        Command::Models {
            action: ModelsAction::Check,
        } => setup::check_models(),
        Command::Models {
            action: ModelsAction::Install,
        } => setup::install_models(),
    }
}

/// The stack settings from the configuration.
fn stack_config(cfg: &config::Config) -> switchboard::stack::StackConfig {
    let mut server = cfg.server.clone();
    server.mode = telephony::CallMode::Agent;
    switchboard::stack::StackConfig {
        server,
        database_url: cfg.database_url.clone(),
        data_dir: cfg.data_dir.clone(),
        benefits_url: cfg.benefits_url.clone(),
        spool_dir: cfg.spool_dir.clone(),
        webhook: cfg.webhook.clone(),
        workers: cfg.workers,
        ..Default::default()
    }
}

async fn open_db(cfg: &config::Config) -> Result<functions::Database> {
    functions::Database::open(cfg.database_url.as_deref(), &cfg.data_dir, 4)
        .await
        .context("opening the database")
}
