//! Turn-taking, barge-in policy, intents and call flows as a sans-IO state
//! machine: events in (speech, transcripts, DTMF, function results, timers,
//! marks), actions out (say, stop speaking, call function, transfer, hang up).
//!
//! The conversation logic arrives with the dialog work.
