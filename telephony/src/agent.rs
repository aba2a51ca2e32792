//! What agent-mode calls need besides the speech models: the budgeted
//! functions, the catalog the dialog recognises, and the call record.

use std::sync::Arc;

use functions::Functions;
use functions::calls::CallLog;

/// Shared by every agent call.
pub struct AgentServices {
    /// The latency-budgeted functions.
    pub functions: Arc<Functions>,
    /// Medication and payer names for the dialog.
    pub catalog: Arc<dialog::Catalog>,
    /// Writer of `voice_calls` and `call_utterances`.
    pub log: CallLog,
}

impl AgentServices {
    /// Loads the catalog and starts the call-record writer.
    pub async fn new(functions: Arc<Functions>) -> Result<Arc<Self>, functions::DbError> {
        let catalog = Arc::new(functions.catalog().await?);
        let log = CallLog::spawn(functions.pool().clone());
        Ok(Arc::new(Self {
            functions,
            catalog,
            log,
        }))
    }
}
