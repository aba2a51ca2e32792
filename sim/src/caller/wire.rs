//! The Twilio Media Streams messages the caller sends, as JSON text.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::json;

use super::CallerIdentity;

/// `connected`, the first message on the socket.
pub(super) fn connected() -> String {
    json!({"event":"connected","protocol":"Call","version":"1.0.0"}).to_string()
}

/// `start`: the stream's metadata, the calling and called numbers and
/// `parameters` as custom parameters.
pub(super) fn start(
    stream_sid: &str,
    account_sid: &str,
    who: &CallerIdentity,
    parameters: &[(String, String)],
) -> String {
    let mut custom = serde_json::Map::new();
    custom.insert("From".into(), who.from.clone().into());
    custom.insert("To".into(), who.to.clone().into());
    for (k, v) in parameters {
        custom.insert(k.clone(), v.clone().into());
    }
    json!({"event":"start","sequenceNumber":"1","streamSid":stream_sid,"start":{
        "accountSid":account_sid,"streamSid":stream_sid,"callSid":who.call_sid,
        "tracks":["inbound"],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},
        "customParameters":custom}})
    .to_string()
}

/// One frame of caller audio (`payload`: base64 µ-law).
///
/// Written out directly rather than through a JSON tree: a many-call run
/// sends fifty of these a second per call from one core, and the stream
/// SID (`MZ` and hex) and base64 need no escaping.
pub(super) fn media(stream_sid: &str, seq: u64, chunk: u64, payload: &str) -> String {
    let timestamp = (chunk - 1) * 20;
    format!(
        r#"{{"event":"media","sequenceNumber":"{seq}","streamSid":"{stream_sid}","media":{{"track":"inbound","chunk":"{chunk}","timestamp":"{timestamp}","payload":"{payload}"}}}}"#
    )
}

/// What the caller reads of a message from the server: only the fields it
/// acts on, borrowed from the text where no escape needs undoing.
#[derive(Debug, Deserialize)]
pub(super) struct BotMessage<'a> {
    /// `media`, `mark`, `clear` (others are ignored).
    #[serde(borrow)]
    pub event: Cow<'a, str>,
    /// The audio of a `media` message.
    #[serde(borrow, default)]
    pub media: Option<BotMedia<'a>>,
    /// The name of a `mark`.
    #[serde(borrow, default)]
    pub mark: Option<BotMark<'a>>,
}

/// `media.payload`: base64 µ-law.
#[derive(Debug, Deserialize)]
pub(super) struct BotMedia<'a> {
    #[serde(borrow)]
    pub payload: Cow<'a, str>,
}

/// `mark.name`.
#[derive(Debug, Deserialize)]
pub(super) struct BotMark<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

/// A key press.
pub(super) fn dtmf(stream_sid: &str, seq: u64, digit: char) -> String {
    let digit = digit.to_string();
    json!({"event":"dtmf","sequenceNumber":seq.to_string(),"streamSid":stream_sid,
           "dtmf":{"track":"inbound_track","digit":digit}})
    .to_string()
}

/// A bot mark echoed back once its audio has played (takes the next
/// sequence number).
pub(super) fn mark(stream_sid: &str, seq: &mut u64, name: &str) -> String {
    *seq += 1;
    json!({"event":"mark","sequenceNumber":seq.to_string(),"streamSid":stream_sid,"mark":{"name":name}}).to_string()
}

/// `stop`: the caller hangs up.
pub(super) fn stop(stream_sid: &str, seq: u64, account_sid: &str, call_sid: &str) -> String {
    json!({"event":"stop","sequenceNumber":seq.to_string(),"streamSid":stream_sid,
           "stop":{"accountSid":account_sid,"callSid":call_sid}})
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_media_frame_is_the_json_twilio_sends() {
        let m: serde_json::Value = serde_json::from_str(&media("MZ00ff", 7, 3, "//79/A==")).unwrap();
        assert_eq!(m["event"], "media");
        assert_eq!(m["sequenceNumber"], "7");
        assert_eq!(m["streamSid"], "MZ00ff");
        assert_eq!(m["media"]["track"], "inbound");
        assert_eq!(m["media"]["chunk"], "3");
        assert_eq!(m["media"]["timestamp"], "40");
        assert_eq!(m["media"]["payload"], "//79/A==");
    }

    #[test]
    fn the_bot_messages_are_read_with_escapes_and_unknown_fields() {
        let m: BotMessage =
            serde_json::from_str(r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"a\"b"},"x":[1]}"#).unwrap();
        assert_eq!(m.event, "mark");
        assert_eq!(m.mark.unwrap().name, "a\"b");
        let m: BotMessage =
            serde_json::from_str(r#"{"event":"media","media":{"payload":"//8="},"sequenceNumber":"4"}"#).unwrap();
        assert_eq!(m.media.unwrap().payload, "//8=");
        let m: BotMessage = serde_json::from_str(r#"{"event":"clear","streamSid":"MZ1"}"#).unwrap();
        assert!(m.media.is_none() && m.mark.is_none());
        assert!(serde_json::from_str::<BotMessage>("{not json").is_err());
    }
}
