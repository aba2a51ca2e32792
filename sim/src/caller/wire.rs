//! The Twilio Media Streams messages the caller sends, as JSON text.

use serde_json::json;

use super::CallerIdentity;

/// `connected`, the first message on the socket.
pub(super) fn connected() -> String {
    json!({"event":"connected","protocol":"Call","version":"1.0.0"}).to_string()
}

/// `start`: the stream's metadata, the calling and called numbers as custom
/// parameters.
pub(super) fn start(stream_sid: &str, who: &CallerIdentity) -> String {
    json!({"event":"start","sequenceNumber":"1","streamSid":stream_sid,"start":{
        "accountSid":"ACsimulated","streamSid":stream_sid,"callSid":who.call_sid,
        "tracks":["inbound"],
        "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},
        "customParameters":{"From":who.from,"To":who.to}}})
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
pub(super) fn stop(stream_sid: &str, seq: u64, call_sid: &str) -> String {
    json!({"event":"stop","sequenceNumber":seq.to_string(),"streamSid":stream_sid,
           "stop":{"accountSid":"ACsimulated","callSid":call_sid}})
    .to_string()
}
