//! The Twilio Media Streams messages the caller sends, as JSON text.

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
pub(super) fn media(stream_sid: &str, seq: u64, chunk: u64, payload: &str) -> String {
    json!({"event":"media","sequenceNumber":seq.to_string(),"streamSid":stream_sid,
        "media":{"track":"inbound","chunk":chunk.to_string(),"timestamp":((chunk - 1) * 20).to_string(),
                 "payload":payload}})
    .to_string()
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
