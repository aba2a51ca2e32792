//! Metric names of the functions.

/// Time from request to the answer the caller got, seconds, by `function`.
pub const FUNCTION_LATENCY: &str = "switchboard_function_latency_seconds";
/// Calls that ran past their budget, by `function`.
pub const BUDGET_OVERRUNS: &str = "switchboard_function_budget_overruns_total";
/// Calls by `function` and `outcome` (ok, not_found, over_budget, error, pending).
pub const FUNCTION_CALLS: &str = "switchboard_function_calls_total";
/// Finished calls waiting in the local spool for the database.
pub const SPOOLED: &str = "switchboard_spooled_calls";
/// Jobs waiting, by `queue` (analysis, webhook) and `status` (queued, running, dead).
pub const QUEUE_DEPTH: &str = "switchboard_queue_depth";
/// Job attempts by `kind` and `outcome` (done, retry, dead, lost).
pub const JOBS: &str = "switchboard_jobs_total";
/// Time a job attempt took, seconds, by `kind`.
pub const JOB_DURATION: &str = "switchboard_job_duration_seconds";
/// Webhook delivery attempts by `outcome` (delivered, failed).
pub const WEBHOOK_ATTEMPTS: &str = "switchboard_webhook_attempts_total";

/// Registers descriptions (call once the recorder is installed).
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_histogram!(
        FUNCTION_LATENCY,
        Unit::Seconds,
        "Function request to the answer the caller got"
    );
    describe_counter!(BUDGET_OVERRUNS, "Function calls that ran past their latency budget");
    describe_counter!(FUNCTION_CALLS, "Function calls by function and outcome");
    metrics::describe_gauge!(SPOOLED, "Finished calls waiting in the local spool for the database");
    metrics::describe_gauge!(QUEUE_DEPTH, "Jobs not done, by queue and status");
    describe_counter!(JOBS, "Job attempts by kind and outcome");
    describe_histogram!(JOB_DURATION, Unit::Seconds, "Time a job attempt took");
    describe_counter!(WEBHOOK_ATTEMPTS, "Webhook delivery attempts by outcome");
}
