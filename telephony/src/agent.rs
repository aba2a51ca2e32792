//! What agent-mode calls need besides the speech models: the budgeted
//! functions, the catalog the dialog recognises, and the call record.

use std::path::Path;
use std::sync::Arc;

use functions::Functions;
use functions::calls::CallLog;

use crate::intents::IntentClassifier;

/// Shared by every agent call.
pub struct AgentServices {
    /// The latency-budgeted functions.
    pub functions: Arc<Functions>,
    /// Medication and payer names for the dialog.
    pub catalog: Arc<dialog::Catalog>,
    /// Writer of `voice_calls` and `call_utterances`.
    pub log: CallLog,
    /// The second opinion on requests the grammar does not understand
    /// (`None`: the grammar alone).
    pub intents: Option<Arc<IntentClassifier>>,
}

impl AgentServices {
    /// Loads the catalog and starts the call-record writer, which spools
    /// finished calls under `spool_dir` while the database is unreachable.
    /// `intents` is the second opinion on requests the grammar misses.
    pub async fn new(
        functions: Arc<Functions>,
        spool_dir: &Path,
        intents: Option<Arc<IntentClassifier>>,
    ) -> Result<Arc<Self>, AgentError> {
        let catalog = Arc::new(functions.catalog().await?);
        let log = CallLog::spawn(functions.pool().clone(), spool_dir)?;
        Ok(Arc::new(Self {
            functions,
            catalog,
            log,
            intents,
        }))
    }
}

/// Agent services could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The catalog could not be loaded.
    #[error(transparent)]
    Db(#[from] functions::DbError),
    /// The call spool could not be opened.
    #[error(transparent)]
    Spool(#[from] functions::spool::SpoolError),
}
