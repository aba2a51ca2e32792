//! Throwaway databases for tests, the demo and load runs: a fresh database
//! on the server named by `DATABASE_URL`, or a private cluster in a
//! temporary directory when none is given. Dropped with its owner.

use std::path::PathBuf;

use super::{Database, EmbeddedPostgres};
use crate::error::DbError;

/// A database that exists only as long as this value.
pub struct ScratchDatabase {
    /// The open, migrated database.
    pub db: Database,
    /// Its connection string.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Drop this database on the shared server.
    Drop { admin_url: String, name: String },
    /// Stop the private cluster and delete its directory.
    Cluster {
        pg: Option<Box<EmbeddedPostgres>>,
        dir: PathBuf,
    },
}

impl ScratchDatabase {
    /// Creates one (see the module docs). `DATABASE_URL` must point at a
    /// database the user may `CREATE DATABASE` from.
    pub async fn create(max_size: usize) -> Result<Self, DbError> {
        let unique = format!(
            "sb_scratch_{}_{}",
            std::process::id(),
            fastrand::u64(..) % 1_000_000_000
        );
        match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let mut cfg: tokio_postgres::Config = admin_url
                    .parse()
                    .map_err(|e: tokio_postgres::Error| DbError::Config(e.to_string()))?;
                let (client, conn) = cfg.connect(tokio_postgres::NoTls).await?;
                let conn = tokio::spawn(conn);
                client.batch_execute(&format!("CREATE DATABASE {unique}")).await?;
                drop(client);
                let _ = conn.await;
                cfg.dbname(&unique);
                let url = config_to_url(&cfg, &unique);
                let db = Database::open(Some(&url), std::path::Path::new("."), max_size).await?;
                Ok(Self {
                    db,
                    url,
                    cleanup: Cleanup::Drop {
                        admin_url,
                        name: unique,
                    },
                })
            }
            None => {
                let dir = std::env::temp_dir().join(unique);
                let d = dir.clone();
                let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&d))
                    .await
                    .map_err(|e| DbError::Embedded(e.to_string()))??;
                let url = pg.url();
                let db = Database::open(Some(&url), &dir, max_size).await?;
                Ok(Self {
                    db,
                    url,
                    cleanup: Cleanup::Cluster {
                        pg: Some(Box::new(pg)),
                        dir,
                    },
                })
            }
        }
    }
}

fn config_to_url(cfg: &tokio_postgres::Config, db: &str) -> String {
    use tokio_postgres::config::Host;
    let mut parts = Vec::new();
    if let Some(h) = cfg.get_hosts().first() {
        match h {
            Host::Tcp(h) => parts.push(format!("host={h}")),
            Host::Unix(p) => parts.push(format!("host={}", p.display())),
        }
    }
    if let Some(p) = cfg.get_ports().first() {
        parts.push(format!("port={p}"));
    }
    if let Some(u) = cfg.get_user() {
        parts.push(format!("user={u}"));
    }
    if let Some(pw) = cfg.get_password() {
        parts.push(format!("password={}", String::from_utf8_lossy(pw)));
    }
    parts.push(format!("dbname={db}"));
    parts.join(" ")
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        self.db.pool.close();
        match &mut self.cleanup {
            Cleanup::Drop { admin_url, name } => {
                // Best effort, on a thread of its own (we may be inside a runtime).
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    if let Ok(rt) = rt {
                        rt.block_on(async {
                            if let Ok((client, conn)) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await
                            {
                                tokio::spawn(conn);
                                let _ = client
                                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                    .await;
                            }
                        });
                    }
                })
                .join();
            }
            Cleanup::Cluster { pg, dir } => {
                if let Some(mut pg) = pg.take() {
                    pg.stop();
                }
                let _ = std::fs::remove_dir_all(&*dir);
            }
        }
    }
}
