//! Errors of a job attempt.

/// Why a job attempt failed (the job is retried, then dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database.
    #[error(transparent)]
    Db(#[from] functions::DbError),
    /// A statement.
    #[error("database error: {0}")]
    Query(#[from] tokio_postgres::Error),
    /// The job's payload is not what its kind expects (never retried usefully).
    #[error("bad payload: {0}")]
    Payload(String),
    /// The receiver of a webhook did not accept it.
    #[error("delivery failed: {0}")]
    Delivery(String),
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}
