//! A second opinion on what a caller asks for, where the dialog's grammar
//! finds nothing: the transcript is embedded (MiniLM) and labelled with the
//! intent of the nearest labelled examples ([`dialog::nlu::exemplars`]),
//! when it is near enough and clearly nearer one intent than any other.
//!
//! The dialog is sans-IO and must not run a model while it steps, so the
//! opinion is formed off the runtime as the transcript comes back from the
//! recogniser, and left in the call's [`Opinions`], which the dialog reads
//! as its [`dialog::IntentFallback`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use dialog::Intent;
use dialog::nlu::exemplars::EXEMPLARS;
use models::ModelError;
use models::embed::{Embedder, Embedding, cosine};

/// How near the nearest example must be (cosine similarity).
pub const MIN_SIMILARITY: f32 = 0.40;
/// How much nearer than the nearest example of any other intent.
pub const MIN_MARGIN: f32 = 0.08;

/// The labelled examples, embedded once.
pub struct IntentClassifier {
    embedder: Arc<Embedder>,
    examples: Vec<(Intent, Embedding)>,
    min_similarity: f32,
    min_margin: f32,
}

/// The classifier's view of one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// The nearest intent and its similarity.
    pub best: (Intent, f32),
    /// The nearest other intent and its similarity.
    pub runner_up: (Intent, f32),
}

impl IntentClassifier {
    /// Embeds the examples (about a second of CPU: call it off the runtime).
    pub fn new(embedder: Arc<Embedder>) -> Result<Self, ModelError> {
        Self::with_examples(embedder, EXEMPLARS)
    }

    /// A classifier over `examples` (leave-one-out measurements use this).
    pub fn with_examples(embedder: Arc<Embedder>, examples: &[(&str, Intent)]) -> Result<Self, ModelError> {
        let mut embedded = Vec::with_capacity(examples.len());
        for chunk in examples.chunks(32) {
            let texts: Vec<&str> = chunk.iter().map(|(t, _)| *t).collect();
            let vectors = embedder.embed(&texts)?;
            embedded.extend(chunk.iter().map(|(_, i)| *i).zip(vectors));
        }
        Ok(Self {
            embedder,
            examples: embedded,
            min_similarity: MIN_SIMILARITY,
            min_margin: MIN_MARGIN,
        })
    }

    /// Other thresholds than [`MIN_SIMILARITY`] and [`MIN_MARGIN`].
    pub fn with_thresholds(mut self, min_similarity: f32, min_margin: f32) -> Self {
        self.min_similarity = min_similarity;
        self.min_margin = min_margin;
        self
    }

    /// The nearest intent and the nearest other one (`None` without examples).
    pub fn scores(&self, text: &str) -> Result<Option<Scores>, ModelError> {
        let Some(v) = self.embedder.embed(&[text])?.pop() else {
            return Ok(None);
        };
        Ok(self.nearest(&v, None))
    }

    /// Each example scored against the others, with its label: how well
    /// the examples cover their intents (the thresholds are chosen on this).
    pub fn leave_one_out(&self) -> Vec<(Intent, Scores)> {
        self.examples
            .iter()
            .enumerate()
            .filter_map(|(k, (intent, v))| Some((*intent, self.nearest(v, Some(k))?)))
            .collect()
    }

    fn nearest(&self, v: &[f32], skip: Option<usize>) -> Option<Scores> {
        let mut per_intent: Vec<(Intent, f32)> = Vec::new();
        for (k, (intent, e)) in self.examples.iter().enumerate() {
            if skip == Some(k) {
                continue;
            }
            let s = cosine(v, e);
            match per_intent.iter_mut().find(|(i, _)| i == intent) {
                Some((_, best)) => *best = best.max(s),
                None => per_intent.push((*intent, s)),
            }
        }
        per_intent.sort_by(|a, b| b.1.total_cmp(&a.1));
        match per_intent[..] {
            [best, runner_up, ..] => Some(Scores { best, runner_up }),
            [best] => Some(Scores {
                best,
                runner_up: (Intent::Unknown, f32::MIN),
            }),
            [] => None,
        }
    }

    /// The intent of `text`, when the examples are clear about it.
    pub fn classify(&self, text: &str) -> Result<Option<Intent>, ModelError> {
        Ok(self.scores(text)?.and_then(|s| self.decide(&s)))
    }

    /// The opinion `s` supports: near enough, clear of the runner-up, and
    /// not nearest to the examples of no request.
    pub fn decide(&self, s: &Scores) -> Option<Intent> {
        let (intent, sim) = s.best;
        (intent != Intent::Unknown && sim >= self.min_similarity && sim - s.runner_up.1 >= self.min_margin)
            .then_some(intent)
    }
}

/// Opinions formed on one call's transcripts, for its dialog to read.
#[derive(Clone, Default)]
pub struct Opinions(Arc<Mutex<VecDeque<(String, Intent)>>>);

/// How many recent opinions a call keeps (a turn reads its own at once).
const KEPT: usize = 8;

impl Opinions {
    /// Leaves the opinion that `text` asks for `intent`.
    pub fn note(&self, text: &str, intent: Intent) {
        let mut q = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if q.len() == KEPT {
            q.pop_front();
        }
        q.push_back((text.trim().to_owned(), intent));
    }
}

impl dialog::IntentFallback for Opinions {
    fn classify(&self, text: &str) -> Option<Intent> {
        let q = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let text = text.trim();
        q.iter().rev().find(|(t, _)| t == text).map(|(_, i)| *i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialog::IntentFallback;

    #[test]
    fn opinions_are_read_by_their_transcript() {
        let o = Opinions::default();
        o.note(" remind me what I take ", Intent::Medications);
        assert_eq!(o.classify("remind me what I take"), Some(Intent::Medications));
        assert_eq!(o.classify("something else"), None);
        for k in 0..KEPT {
            o.note(&format!("turn {k}"), Intent::Hours);
        }
        // The oldest is let go.
        assert_eq!(o.classify("remind me what I take"), None);
        assert_eq!(o.classify("turn 7"), Some(Intent::Hours));
    }
}
