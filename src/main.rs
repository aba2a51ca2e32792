//! `switchboard`: the voice telephony media server and its tools.

mod config;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
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
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = config::load(cli.config.as_deref(), std::env::vars())?;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_new(&cfg.log)
                .with_context(|| format!("invalid log filter {:?}", cfg.log))?,
        )
        .init();
    match cli.command {
        Command::Serve => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(serve(cfg)),
        Command::CheckConfig => {
            let s = &cfg.server;
            println!("listen = {}", s.listen);
            println!(
                "public_url = {}",
                s.public_url.as_deref().unwrap_or("(from Host header)")
            );
            println!(
                "twilio_auth_token = {}",
                if s.twilio_auth_token.is_some() {
                    "(set)"
                } else {
                    "(unset: signatures not checked)"
                }
            );
            println!(
                "database_url = {}",
                if cfg.database_url.is_some() {
                    "(set)"
                } else {
                    "(unset)"
                }
            );
            println!("mode = {:?}", s.mode);
            println!("echo_delay_ms = {}", s.echo_delay.as_millis());
            println!("shutdown_grace_secs = {}", s.shutdown_grace.as_secs());
            println!(
                "send_ms = {}, lead_ms = {}",
                s.playout.send_ms, s.playout.lead_ms
            );
            Ok(())
        }
    }
}

async fn serve(cfg: config::Config) -> Result<()> {
    let listener = TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("binding {}", cfg.server.listen))?;
    tracing::info!(addr = %listener.local_addr()?, mode = ?cfg.server.mode, "switchboard listening");
    let state = telephony::AppState::new(cfg.server, Vec::new());
    telephony::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
