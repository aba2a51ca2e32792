//! `switchboard tasks list|close`: the staff queue at the command line
//! (callbacks and follow-ups the voice agent promised). Listing shows
//! callback numbers, so it is written to the PHI audit log first.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use functions::audit::{self, AuditEntry};

use crate::config::Config;

/// `switchboard tasks …`
#[derive(Debug, Subcommand)]
pub enum TasksAction {
    /// Open tasks by due time (closed ones too with --all).
    List {
        /// Closed tasks too.
        #[arg(long)]
        all: bool,
    },
    /// Close a task.
    Close {
        /// Task id (from `tasks list`).
        id: i64,
        /// Who closed it.
        #[arg(long, default_value = "cli")]
        by: String,
        /// What was done.
        #[arg(long, default_value = "done")]
        resolution: String,
    },
}

/// Runs `tasks list|close`.
pub async fn run(cfg: &Config, action: TasksAction) -> Result<()> {
    let mut db = functions::Database::open(cfg.database_url.as_deref(), &cfg.data_dir, 4)
        .await
        .context("opening the database")?;
    let result = async {
        match action {
            TasksAction::List { all } => {
                let operator = std::env::var("USER").unwrap_or_else(|_| "operator".into());
                audit::record(
                    &db.pool,
                    &AuditEntry {
                        actor: format!("cli:{operator}"),
                        action: "tasks.list".into(),
                        resource: "tasks".into(),
                        call_sid: None,
                        remote_addr: None,
                    },
                )
                .await
                .context("audit log unavailable: nothing listed")?;
                let tasks = functions::tasks::list(&db.pool, all, 1000).await?;
                println!(
                    "{:>5}  {:<9}  {:<6}  {:<22}  {:<16}  {:<6}  {:<16}  summary",
                    "id", "tier", "kind", "reason", "due (UTC)", "status", "call back"
                );
                for t in &tasks {
                    println!(
                        "{:>5}  {:<9}  {:<6}  {:<22}  {:<16}  {:<6}  {:<16}  {}",
                        t.id,
                        t.task.tier,
                        if t.task.kind == "callback" { "call" } else { "follow" },
                        t.task.reason,
                        t.task.due_at.format("%Y-%m-%d %H:%M"),
                        t.status,
                        t.task.callback_number.as_deref().unwrap_or("-"),
                        t.task.summary
                    );
                }
                println!("{} task(s)", tasks.len());
                Ok(())
            }
            TasksAction::Close { id, by, resolution } => {
                if functions::tasks::close(&db.pool, id, &by, &resolution).await? {
                    println!("task {id} closed");
                    Ok(())
                } else {
                    bail!("no open task {id}")
                }
            }
        }
    }
    .await;
    db.close();
    result
}
