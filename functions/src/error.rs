//! Errors of the data layer and the functions.

/// Database set-up and access errors.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The private cluster could not be created or started.
    #[error("embedded PostgreSQL: {0}")]
    Embedded(String),
    /// `DATABASE_URL` is not a valid connection string.
    #[error("invalid DATABASE_URL: {0}")]
    Config(String),
    /// No connection could be had from the pool.
    #[error("database unavailable: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A statement failed.
    #[error("database error: {0}")]
    Query(#[from] tokio_postgres::Error),
    /// Reading input files failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A model (embeddings) failed.
    #[error("model: {0}")]
    Model(#[from] models::ModelError),
}
