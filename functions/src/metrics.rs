//! Metric names of the functions.

/// Time from request to the answer the caller got, seconds, by `function`.
pub const FUNCTION_LATENCY: &str = "switchboard_function_latency_seconds";
/// Calls that ran past their budget, by `function`.
pub const BUDGET_OVERRUNS: &str = "switchboard_function_budget_overruns_total";
/// Calls by `function` and `outcome` (ok, not_found, over_budget, error, pending).
pub const FUNCTION_CALLS: &str = "switchboard_function_calls_total";

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
}
