//! The sans-IO Media Streams codec: text frames in, typed events out (and the
//! reverse), with the protocol's state rules and limits enforced. No socket,
//! no clock: tests feed it strings.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use media::dtmf::DtmfDigit;

use super::message::{EventName, MarkBody, OutboundMedia, RawInbound, RawOutbound};

/// Limits applied to inbound messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest text frame accepted, in bytes.
    pub max_message_bytes: usize,
    /// Largest base64 `payload`, in bytes.
    pub max_payload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024,
            max_payload_bytes: 4 * 1024,
        }
    }
}

/// Why an inbound message was dropped. Each maps to a metrics label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The frame exceeds [`Limits::max_message_bytes`].
    #[error("message of {0} bytes exceeds the limit")]
    MessageTooLarge(usize),
    /// Not JSON, or not the shape of its event.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// An `event` this protocol does not have.
    #[error("unknown event {0:?}")]
    UnknownEvent(String),
    /// `payload` is not valid base64.
    #[error("payload is not valid base64")]
    BadBase64,
    /// `payload` exceeds [`Limits::max_payload_bytes`].
    #[error("payload of {0} bytes exceeds the limit")]
    PayloadTooLarge(usize),
    /// `media`, `dtmf` or `mark` before `start`.
    #[error("{0} before start")]
    BeforeStart(&'static str),
    /// A second `start`.
    #[error("duplicate start")]
    DuplicateStart,
    /// The message names another stream.
    #[error("message for another stream")]
    WrongStream,
    /// Audio in a format other than 8 kHz mono µ-law.
    #[error("unsupported media format {0}")]
    UnsupportedFormat(String),
    /// A DTMF digit that is not a key.
    #[error("invalid DTMF digit")]
    BadDigit,
}

impl ProtocolError {
    /// Short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::MessageTooLarge(_) => "message_too_large",
            Self::Malformed(_) => "malformed_json",
            Self::UnknownEvent(_) => "unknown_event",
            Self::BadBase64 => "bad_base64",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::BeforeStart(_) => "before_start",
            Self::DuplicateStart => "duplicate_start",
            Self::WrongStream => "wrong_stream",
            Self::UnsupportedFormat(_) => "unsupported_format",
            Self::BadDigit => "bad_dtmf",
        }
    }

    /// Whether the stream cannot go on after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::UnsupportedFormat(_))
    }
}

/// Stream metadata from `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStart {
    /// Account id.
    pub account_sid: String,
    /// Stream id (echoed on every outbound message).
    pub stream_sid: String,
    /// Call id.
    pub call_sid: String,
    /// Tracks being streamed.
    pub tracks: Vec<String>,
    /// `<Parameter>`s from the TwiML (From, To, ...).
    pub custom_parameters: BTreeMap<String, String>,
}

/// One 20 ms (typically) chunk of caller audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaChunk {
    /// `inbound` or `outbound`.
    pub track: String,
    /// Per-track chunk number.
    pub chunk: u64,
    /// Milliseconds since the stream began.
    pub timestamp_ms: u64,
    /// µ-law bytes.
    pub ulaw: Vec<u8>,
}

/// A decoded inbound event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// The socket is connected.
    Connected {
        /// Protocol name.
        protocol: String,
        /// Protocol version.
        version: String,
    },
    /// The stream began.
    Start(StreamStart),
    /// Caller audio.
    Media(MediaChunk),
    /// A key press.
    Dtmf(DtmfDigit),
    /// An echoed mark.
    Mark(String),
    /// The stream ended.
    Stop,
}

/// What the message-level `sequenceNumber` said about ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// As expected (or absent).
    InOrder,
    /// Messages were skipped.
    Gap(u64),
    /// A number at or below one already seen.
    Reordered,
}

/// A decoded message with its ordering check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The event.
    pub event: Inbound,
    /// Ordering of `sequenceNumber`.
    pub sequence: SequenceCheck,
}

/// Decoder state for one stream.
#[derive(Debug, Default, Clone)]
pub struct InboundCodec {
    limits: Limits,
    stream_sid: Option<String>,
    last_seq: Option<u64>,
    stopped: bool,
}

impl InboundCodec {
    /// A codec awaiting `connected` / `start`.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The stream id once `start` has arrived.
    pub fn stream_sid(&self) -> Option<&str> {
        self.stream_sid.as_deref()
    }

    /// Decodes one text frame.
    pub fn decode(&mut self, text: &str) -> Result<Decoded, ProtocolError> {
        if text.len() > self.limits.max_message_bytes {
            return Err(ProtocolError::MessageTooLarge(text.len()));
        }
        let raw: RawInbound = serde_json::from_str(text).map_err(malformed)?;
        let (seq, sid, event) = match raw {
            RawInbound::Connected { protocol, version } => (None, None, Inbound::Connected { protocol, version }),
            RawInbound::Start {
                sequence_number, start, ..
            } => {
                if self.stream_sid.is_some() {
                    return Err(ProtocolError::DuplicateStart);
                }
                let f = &start.media_format;
                if !f.encoding.eq_ignore_ascii_case("audio/x-mulaw") || f.sample_rate != 8000 || f.channels != 1 {
                    return Err(ProtocolError::UnsupportedFormat(format!(
                        "{} {} Hz x{}",
                        f.encoding, f.sample_rate, f.channels
                    )));
                }
                self.stream_sid = Some(start.stream_sid.clone());
                let s = StreamStart {
                    account_sid: start.account_sid,
                    stream_sid: start.stream_sid,
                    call_sid: start.call_sid,
                    tracks: start.tracks,
                    custom_parameters: start.custom_parameters,
                };
                (sequence_number, None, Inbound::Start(s))
            }
            RawInbound::Media {
                sequence_number,
                media,
                stream_sid,
            } => {
                self.require_started("media")?;
                if media.payload.len() > self.limits.max_payload_bytes {
                    return Err(ProtocolError::PayloadTooLarge(media.payload.len()));
                }
                let ulaw = B64
                    .decode(media.payload.as_bytes())
                    .map_err(|_| ProtocolError::BadBase64)?;
                let m = MediaChunk {
                    track: media.track,
                    chunk: media.chunk,
                    timestamp_ms: media.timestamp,
                    ulaw,
                };
                (sequence_number, stream_sid, Inbound::Media(m))
            }
            RawInbound::Dtmf {
                sequence_number,
                dtmf,
                stream_sid,
            } => {
                self.require_started("dtmf")?;
                let mut chars = dtmf.digit.chars();
                let digit = match (chars.next(), chars.next()) {
                    (Some(c), None) => DtmfDigit::from_char(c).map_err(|_| ProtocolError::BadDigit)?,
                    _ => return Err(ProtocolError::BadDigit),
                };
                (sequence_number, stream_sid, Inbound::Dtmf(digit))
            }
            RawInbound::Mark {
                sequence_number,
                mark,
                stream_sid,
            } => {
                self.require_started("mark")?;
                (sequence_number, stream_sid, Inbound::Mark(mark.name))
            }
            RawInbound::Stop {
                sequence_number,
                stream_sid,
                ..
            } => {
                self.stopped = true;
                (sequence_number, stream_sid, Inbound::Stop)
            }
            RawInbound::Unknown => {
                let name = serde_json::from_str::<EventName<'_>>(text)
                    .ok()
                    .and_then(|e| e.event)
                    .map(|e| e.chars().take(32).collect())
                    .unwrap_or_default();
                return Err(ProtocolError::UnknownEvent(name));
            }
        };
        if let (Some(sid), Some(ours)) = (sid.as_deref(), self.stream_sid.as_deref())
            && sid != ours
        {
            return Err(ProtocolError::WrongStream);
        }
        Ok(Decoded {
            event,
            sequence: self.check_sequence(seq),
        })
    }

    fn require_started(&self, what: &'static str) -> Result<(), ProtocolError> {
        if self.stream_sid.is_none() {
            Err(ProtocolError::BeforeStart(what))
        } else {
            Ok(())
        }
    }

    fn check_sequence(&mut self, seq: Option<u64>) -> SequenceCheck {
        let Some(seq) = seq else {
            return SequenceCheck::InOrder;
        };
        let check = match self.last_seq {
            None => SequenceCheck::InOrder,
            Some(last) if seq == last + 1 => SequenceCheck::InOrder,
            Some(last) if seq > last + 1 => SequenceCheck::Gap(seq - last - 1),
            Some(_) => SequenceCheck::Reordered,
        };
        if self.last_seq.is_none_or(|last| seq > last) {
            self.last_seq = Some(seq);
        }
        check
    }
}

fn malformed(e: serde_json::Error) -> ProtocolError {
    // serde's messages never quote the input, so no payload (or PHI) reaches logs.
    let kind = match e.classify() {
        serde_json::error::Category::Io => "io error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected shape",
        serde_json::error::Category::Eof => "truncated",
    };
    ProtocolError::Malformed(format!("{kind} at column {}", e.column()))
}

/// Encodes outbound messages for one stream.
#[derive(Debug, Clone)]
pub struct OutboundEncoder {
    stream_sid: String,
}

impl OutboundEncoder {
    /// An encoder for the stream `stream_sid`.
    pub fn new(stream_sid: impl Into<String>) -> Self {
        Self {
            stream_sid: stream_sid.into(),
        }
    }

    /// A `media` message carrying µ-law audio.
    pub fn media(&self, ulaw: &[u8]) -> String {
        let m = RawOutbound::Media {
            stream_sid: &self.stream_sid,
            media: OutboundMedia {
                payload: B64.encode(ulaw),
            },
        };
        serde_json::to_string(&m).expect("serialising plain strings cannot fail")
    }

    /// A `mark` message.
    pub fn mark(&self, name: &str) -> String {
        let m = RawOutbound::Mark {
            stream_sid: &self.stream_sid,
            mark: MarkBody { name: name.to_owned() },
        };
        serde_json::to_string(&m).expect("serialising plain strings cannot fail")
    }

    /// A `clear` message.
    pub fn clear(&self) -> String {
        serde_json::to_string(&RawOutbound::Clear {
            stream_sid: &self.stream_sid,
        })
        .expect("serialising plain strings cannot fail")
    }
}

#[cfg(test)]
mod tests;
