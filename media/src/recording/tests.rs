//! Round trips and every way a recording can be wrong.

use super::format::{CHUNK_PREFIX, TAG_LEN};
use super::*;

const CALL: &str = "CA0123456789abcdef";

fn key() -> RecordingKey {
    RecordingKey::from_bytes([0x42; 32])
}

/// Three data chunks and a final one; the chunks' byte ranges.
fn recording(k: &RecordingKey) -> (Vec<u8>, Vec<i16>, Vec<std::ops::Range<usize>>) {
    let chunks: Vec<Vec<i16>> = (0..3)
        .map(|c| {
            (0..2 * 8000)
                .map(|i| (i as i16).wrapping_mul(7).wrapping_add(c * 1000))
                .collect()
        })
        .chain(std::iter::once(vec![11, -11, 12, -12]))
        .collect();
    let mut w = RecordingWriter::new(Vec::new(), k, CALL, 1_700_000_000_123).unwrap();
    let mut ranges = Vec::new();
    let mut at = w.header().encode().len();
    for (i, c) in chunks.iter().enumerate() {
        let len = CHUNK_PREFIX + c.len() * 2 + TAG_LEN;
        ranges.push(at..at + len);
        at += len;
        if i < 3 {
            w.write_chunk(c).unwrap();
        }
    }
    let bytes = w.finish(&chunks[3]).unwrap();
    assert_eq!(bytes.len(), at);
    (bytes, chunks.concat(), ranges)
}

#[test]
fn round_trip() {
    let k = key();
    let (bytes, samples, _) = recording(&k);
    let d = decrypt(&bytes, &k).unwrap();
    assert!(d.complete);
    assert_eq!(d.samples, samples);
    assert_eq!(d.header.call_id, CALL);
    assert_eq!(d.header.key_id, k.id());
    assert_eq!((d.header.sample_rate, d.header.channels), (8000, 2));
    assert_eq!(d.header.started_unix_ms, 1_700_000_000_123);
    assert_eq!(d.frames(), 3 * 8000 + 2);
    assert_eq!(d.channel(0)[24_000..], [11, 12]);
    assert_eq!(d.channel(1)[24_000..], [-11, -12]);
    assert!((d.duration().as_secs_f64() - 3.00025).abs() < 1e-9);
    // The audio is not in the clear.
    let plain = format::samples_to_bytes(&samples[..64]);
    assert!(!bytes.windows(plain.len()).any(|w| w == plain.as_slice()));
}

#[test]
fn an_empty_recording_is_complete() {
    let k = key();
    let bytes = RecordingWriter::new(Vec::new(), &k, CALL, 0)
        .unwrap()
        .finish(&[])
        .unwrap();
    let d = decrypt(&bytes, &k).unwrap();
    assert!(d.complete && d.samples.is_empty());
}

#[test]
fn wrong_key_rejected() {
    let (bytes, _, _) = recording(&key());
    let other = RecordingKey::from_bytes([0x43; 32]);
    match decrypt(&bytes, &other) {
        Err(RecordingError::WrongKey { recording, given }) => {
            assert_eq!(recording, key().id());
            assert_eq!(given, other.id());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_key_with_a_forged_id_still_fails() {
    // A file claiming our key id but sealed with another key.
    let (mut bytes, _, _) = recording(&RecordingKey::from_bytes([9; 32]));
    bytes[8..16].copy_from_slice(&key().id().0);
    assert!(matches!(
        decrypt(&bytes, &key()),
        Err(RecordingError::Tampered { chunk: 0 })
    ));
}

#[test]
fn flipped_byte_rejected() {
    let k = key();
    let (bytes, _, ranges) = recording(&k);
    // In the audio of chunk 1, in its tag, and in the header's call id and
    // nonce prefix (bound into every chunk).
    for (at, chunk) in [
        (ranges[1].start + 100, 1),
        (ranges[2].end - 1, 2),
        (ranges[0].start - 1, 0),
        (26, 0),
    ] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        match decrypt(&bad, &k) {
            Err(RecordingError::Tampered { chunk: c }) => assert_eq!(c, chunk, "byte {at}"),
            other => panic!("byte {at}: {other:?}"),
        }
    }
    let mut bad = bytes.clone();
    bad[0] ^= 0x01;
    assert!(matches!(decrypt(&bad, &k), Err(RecordingError::NotARecording)));
}

#[test]
fn cut_off_file_yields_the_prefix_as_incomplete() {
    let k = key();
    let (bytes, samples, ranges) = recording(&k);
    // A crash after two chunks (no final chunk), and one in the middle of
    // writing the third.
    for cut in [ranges[2].start, ranges[2].start + 3, ranges[2].start + 5000] {
        let d = decrypt(&bytes[..cut], &k).unwrap();
        assert!(!d.complete, "cut at {cut}");
        assert_eq!(d.samples, samples[..2 * 2 * 8000], "cut at {cut}");
    }
    // Only the header survived.
    let d = decrypt(&bytes[..ranges[0].start], &k).unwrap();
    assert!(!d.complete && d.samples.is_empty());
    assert!(matches!(decrypt(&bytes[..20], &k), Err(RecordingError::Truncated)));
}

#[test]
fn chunk_reorder_rejected() {
    let k = key();
    let (bytes, _, r) = recording(&k);
    let mut swapped = bytes[..r[0].start].to_vec();
    for i in [1, 0, 2, 3] {
        swapped.extend_from_slice(&bytes[r[i].clone()]);
    }
    assert!(matches!(
        decrypt(&swapped, &k),
        Err(RecordingError::Tampered { chunk: 0 })
    ));
    // A chunk dropped from the middle.
    let mut dropped = bytes[..r[1].start].to_vec();
    dropped.extend_from_slice(&bytes[r[2].start..]);
    assert!(matches!(
        decrypt(&dropped, &k),
        Err(RecordingError::Tampered { chunk: 1 })
    ));
}

#[test]
fn a_cut_cannot_pass_for_a_finished_recording() {
    let k = key();
    let (bytes, _, r) = recording(&k);
    // Mark chunk 1 final and drop the rest.
    let mut forged = bytes[..r[2].start].to_vec();
    forged[r[1].start] = format::KIND_FINAL;
    assert!(matches!(
        decrypt(&forged, &k),
        Err(RecordingError::Tampered { chunk: 1 })
    ));
    // Data after the final chunk.
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(matches!(decrypt(&extra, &k), Err(RecordingError::Corrupt(_))));
}

#[test]
fn streaming_reader_matches_and_file_names_are_safe() {
    let k = key();
    let (bytes, samples, _) = recording(&k);
    let mut r = RecordingReader::open(bytes.as_slice(), &k).unwrap();
    let mut got = Vec::new();
    while let Some(c) = r.next_chunk().unwrap() {
        got.push(c.len());
    }
    assert!(r.is_complete());
    assert_eq!(got, vec![16_000, 16_000, 16_000, 4]);
    assert_eq!(got.iter().sum::<usize>(), samples.len());
    assert_eq!(file_name(CALL).as_deref(), Some("CA0123456789abcdef.swrec"));
    assert_eq!(file_name("../../etc/passwd"), None);
}
