//! Twilio Media Streams wire messages (JSON text frames), both directions.
//!
//! Field names follow Twilio's documentation. Twilio sends `sequenceNumber`,
//! `chunk` and `timestamp` as decimal strings; numbers are accepted too.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// Accepts `"42"` or `42`.
fn num<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N<'a> {
        Int(u64),
        Str(&'a str),
        Owned(String),
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(n),
        N::Str(s) => s.parse().map_err(serde::de::Error::custom),
        N::Owned(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

fn opt_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    num(d).map(Some)
}

/// Every inbound message, tagged by `event`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum RawInbound {
    /// First message on a new stream.
    Connected {
        /// Always `Call`.
        #[serde(default)]
        protocol: String,
        /// Protocol version, e.g. `1.0.0`.
        #[serde(default)]
        version: String,
    },
    /// Stream metadata.
    Start {
        /// Message sequence number.
        #[serde(rename = "sequenceNumber", default, deserialize_with = "opt_num")]
        sequence_number: Option<u64>,
        /// Metadata.
        start: StartBody,
        /// Stream id (repeated at top level).
        #[serde(rename = "streamSid", default)]
        stream_sid: Option<String>,
    },
    /// 20 ms of audio.
    Media {
        /// Message sequence number.
        #[serde(rename = "sequenceNumber", default, deserialize_with = "opt_num")]
        sequence_number: Option<u64>,
        /// The audio.
        media: MediaBody,
        /// Stream id.
        #[serde(rename = "streamSid", default)]
        stream_sid: Option<String>,
    },
    /// A key press.
    Dtmf {
        /// Message sequence number.
        #[serde(rename = "sequenceNumber", default, deserialize_with = "opt_num")]
        sequence_number: Option<u64>,
        /// The digit.
        dtmf: DtmfBody,
        /// Stream id.
        #[serde(rename = "streamSid", default)]
        stream_sid: Option<String>,
    },
    /// Echo of a mark we sent: the audio before it has played.
    Mark {
        /// Message sequence number.
        #[serde(rename = "sequenceNumber", default, deserialize_with = "opt_num")]
        sequence_number: Option<u64>,
        /// The mark.
        mark: MarkBody,
        /// Stream id.
        #[serde(rename = "streamSid", default)]
        stream_sid: Option<String>,
    },
    /// The stream ended.
    Stop {
        /// Message sequence number.
        #[serde(rename = "sequenceNumber", default, deserialize_with = "opt_num")]
        sequence_number: Option<u64>,
        /// Call identifiers.
        #[serde(default)]
        stop: Option<StopBody>,
        /// Stream id.
        #[serde(rename = "streamSid", default)]
        stream_sid: Option<String>,
    },
    /// Any other `event` value.
    #[serde(other)]
    Unknown,
}

/// `start.start`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartBody {
    /// Account id.
    #[serde(default)]
    pub account_sid: String,
    /// Stream id.
    pub stream_sid: String,
    /// Call id.
    pub call_sid: String,
    /// `inbound`, `outbound` or both.
    #[serde(default)]
    pub tracks: Vec<String>,
    /// `<Parameter>`s from the TwiML.
    #[serde(default)]
    pub custom_parameters: BTreeMap<String, String>,
    /// Audio format.
    pub media_format: MediaFormat,
}

/// `start.start.mediaFormat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFormat {
    /// `audio/x-mulaw`.
    pub encoding: String,
    /// 8000.
    pub sample_rate: u32,
    /// 1.
    pub channels: u32,
}

/// `media.media`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MediaBody {
    /// `inbound` or `outbound`.
    #[serde(default)]
    pub track: String,
    /// Per-track chunk number, from 1.
    #[serde(deserialize_with = "num")]
    pub chunk: u64,
    /// Milliseconds since the stream began.
    #[serde(deserialize_with = "num")]
    pub timestamp: u64,
    /// Base64 µ-law.
    pub payload: String,
}

/// `dtmf.dtmf`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DtmfBody {
    /// e.g. `inbound_track`.
    #[serde(default)]
    pub track: String,
    /// The key.
    pub digit: String,
}

/// `mark.mark`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkBody {
    /// The name we gave it.
    pub name: String,
}

/// `stop.stop`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopBody {
    /// Account id.
    #[serde(default)]
    pub account_sid: String,
    /// Call id.
    #[serde(default)]
    pub call_sid: String,
}

/// Reads only the `event` name (to report unknown events).
#[derive(Debug, Deserialize)]
pub(crate) struct EventName<'a> {
    #[serde(borrow)]
    pub event: Option<std::borrow::Cow<'a, str>>,
}

/// Outbound messages we send to Twilio.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum RawOutbound<'a> {
    /// Audio to play.
    Media {
        /// Stream id.
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        /// Body.
        media: OutboundMedia,
    },
    /// A mark to be echoed after the audio before it has played.
    Mark {
        /// Stream id.
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        /// Body.
        mark: MarkBody,
    },
    /// Drop all audio queued at Twilio.
    Clear {
        /// Stream id.
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
    },
}

/// Outbound `media.media`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundMedia {
    /// Base64 µ-law.
    pub payload: String,
}
