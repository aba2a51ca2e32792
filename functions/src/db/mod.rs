//! PostgreSQL: the connection pool, embedded migrations and the private
//! cluster used when no `DATABASE_URL` is configured.

pub mod embedded;
pub mod scratch;

use std::path::Path;
use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};

pub use embedded::EmbeddedPostgres;
pub use scratch::ScratchDatabase;

use crate::error::DbError;

/// Migrations, applied in order, each once (embedded in the binary).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_postcall.sql")),
    (3, include_str!("../../migrations/0003_call_control.sql")),
    (4, include_str!("../../migrations/0004_verifications.sql")),
    (5, include_str!("../../migrations/0005_console.sql")),
];

/// Lock key that serialises concurrent migrators.
const MIGRATE_LOCK: i64 = 0x5357_4254_4d49_4752;

/// A connection pool, plus the private cluster that backs it when there is one.
pub struct Database {
    /// Pooled connections.
    pub pool: Pool,
    embedded: Option<EmbeddedPostgres>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("embedded", &self.embedded.is_some())
            .finish()
    }
}

impl Database {
    /// Connects to `url`, or, when `None`, starts the private cluster under
    /// `data_dir`. Migrations run either way.
    pub async fn open(url: Option<&str>, data_dir: &Path, max_size: usize) -> Result<Self, DbError> {
        let (url, embedded) = match url {
            Some(u) => (u.to_owned(), None),
            None => {
                let dir = data_dir.to_owned();
                let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&dir))
                    .await
                    .map_err(|e| DbError::Embedded(e.to_string()))??;
                (pg.url(), Some(pg))
            }
        };
        let pool = pool(&url, max_size)?;
        let db = Self { pool, embedded };
        db.migrate().await?;
        Ok(db)
    }

    /// Whether this database is the private cluster.
    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK]).await?;
        // "already exists, skipping" notices are not news.
        tx.batch_execute("SET LOCAL client_min_messages = warning").await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
        let mut ran = 0;
        for (version, sql) in MIGRATIONS {
            let done = tx
                .query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[version])
                .await?;
            if done.is_none() {
                tx.batch_execute(sql).await?;
                tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])
                    .await?;
                ran += 1;
            }
        }
        tx.commit().await?;
        if ran > 0 {
            tracing::info!(ran, "database migrations applied");
        }
        Ok(ran)
    }

    /// Stops the private cluster, if any (also done on drop).
    pub fn close(&mut self) {
        self.pool.close();
        if let Some(mut pg) = self.embedded.take() {
            pg.stop();
        }
    }
}

/// A pool over `url` (a `postgres://` URL or a `key=value` string).
pub fn pool(url: &str, max_size: usize) -> Result<Pool, DbError> {
    let mut cfg = tokio_postgres::Config::from_str(url).map_err(|e| DbError::Config(e.to_string()))?;
    if cfg.get_application_name().is_none() {
        cfg.application_name("switchboard");
    }
    // A query never outlives the longest budget by much; cancellation of an
    // abandoned query is then the server's job too.
    cfg.options("-c statement_timeout=5000");
    cfg.connect_timeout(std::time::Duration::from_secs(5));
    let mgr = Manager::from_config(
        cfg,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(mgr)
        .max_size(max_size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .build()
        .map_err(|e| DbError::Config(e.to_string()))
}
