//! Playback marks: where a mark sits in an utterance, its wire name (which
//! carries the playback generation) and what an echoed mark means.

use super::UtteranceId;

/// Where a mark sits in an utterance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkPoint {
    /// This much of the utterance has played, in ms.
    Progress(u32),
    /// The utterance has played to its end.
    End,
}

/// A playback mark: its name carries the playback generation so that marks
/// echoed after a clear are recognised as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// Playback generation (bumped by every clear).
    pub generation: u32,
    /// The utterance it belongs to.
    pub utterance: UtteranceId,
    /// Where in the utterance.
    pub point: MarkPoint,
}

impl Marker {
    /// The mark's wire name, e.g. `g2.u7.1000` or `g2.u7.end`.
    pub fn name(&self) -> String {
        match self.point {
            MarkPoint::Progress(ms) => format!("g{}.u{}.{}", self.generation, self.utterance.0, ms),
            MarkPoint::End => format!("g{}.u{}.end", self.generation, self.utterance.0),
        }
    }

    /// Parses a wire name produced by [`Marker::name`].
    pub fn parse(name: &str) -> Option<Self> {
        let mut it = name.split('.');
        let generation = it.next()?.strip_prefix('g')?.parse().ok()?;
        let utterance = UtteranceId(it.next()?.strip_prefix('u')?.parse().ok()?);
        let point = match it.next()? {
            "end" => MarkPoint::End,
            ms => MarkPoint::Progress(ms.parse().ok()?),
        };
        it.next().is_none().then_some(Self {
            generation,
            utterance,
            point,
        })
    }
}

/// What an echoed mark means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkOutcome {
    /// The caller has heard `heard_ms` of the utterance.
    Progress {
        /// The utterance.
        utterance: UtteranceId,
        /// Confirmed heard so far, in ms.
        heard_ms: u32,
    },
    /// The caller heard the whole utterance.
    Finished {
        /// The utterance.
        utterance: UtteranceId,
        /// Its length in ms.
        total_ms: u32,
    },
    /// A mark from before a clear: ignore.
    Stale,
    /// Not a mark of ours, or of an utterance no longer tracked.
    Unknown,
}
