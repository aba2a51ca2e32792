//! `switchboard users add|list|disable|enable|token`: the people who use
//! the console and the API. Passwords are read from standard input (never
//! from the command line, where `ps` and shell history would show them).

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use functions::users::{self, Role};

use crate::config::Config;

/// `switchboard users …`
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Add a user; the password is read from standard input (one line).
    Add {
        /// Sign-in name (lowercase letters, digits, '.', '_', '-').
        username: String,
        /// admin, supervisor or staff.
        #[arg(long)]
        role: String,
    },
    /// List users, their roles and whether they are disabled or locked.
    List,
    /// Disable a user: their sessions end and their API tokens are revoked.
    Disable {
        /// Sign-in name.
        username: String,
    },
    /// Enable a disabled (or locked) user again.
    Enable {
        /// Sign-in name.
        username: String,
    },
    /// Issue an API token for a user's scripts (printed once).
    Token {
        /// Sign-in name.
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "script")]
        label: String,
    },
}

/// Runs `users …`.
pub async fn run(cfg: &Config, action: UsersAction) -> Result<()> {
    let mut db = functions::Database::open(cfg.database_url.as_deref(), &cfg.data_dir, 2)
        .await
        .context("opening the database")?;
    db.migrate().await.context("migrating the database")?;
    let result = async {
        match action {
            UsersAction::Add { username, role } => {
                let Some(role) = Role::parse(&role) else {
                    bail!("role must be admin, supervisor or staff");
                };
                let mut password = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut password)
                    .context("reading the password from standard input")?;
                let password = password.trim_end_matches(['\r', '\n']);
                let id = users::add(&db.pool, &username, role, password).await?;
                println!("user {username} ({}) added, id {id}", role.label());
            }
            UsersAction::List => {
                println!(
                    "{:<24} {:<11} {:<9} {:<9} locked until",
                    "username", "role", "disabled", "password"
                );
                for u in users::list(&db.pool).await? {
                    println!(
                        "{:<24} {:<11} {:<9} {:<9} {}",
                        u.user.username,
                        u.user.role.label(),
                        u.disabled,
                        if u.has_password { "yes" } else { "token only" },
                        u.locked_until.map_or_else(|| "-".to_owned(), |t| t.to_rfc3339()),
                    );
                }
            }
            UsersAction::Disable { username } => {
                users::set_disabled(&db.pool, &username, true).await?;
                println!("user {username} disabled: sessions ended, API tokens revoked");
            }
            UsersAction::Enable { username } => {
                users::set_disabled(&db.pool, &username, false).await?;
                println!("user {username} enabled");
            }
            UsersAction::Token { username, label } => {
                let token = users::issue_token(&db.pool, &username, &label).await?;
                println!("{token}");
                eprintln!("API token for {username} ({label}); shown once, send as 'Authorization: Bearer …'");
            }
        }
        Ok(())
    }
    .await;
    db.close();
    result
}
