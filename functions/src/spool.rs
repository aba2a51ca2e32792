//! A local durable spool: what could not be written to PostgreSQL waits here,
//! in order, until the database is back.
//!
//! The file is append-only. Each record is `len: u32 LE | crc32: u32 LE |
//! payload`, and an append returns only after `fdatasync`, so a record the
//! caller was told is spooled survives a crash or power loss. On read, a
//! record cut short at the end (a crash during the append) is ignored; a
//! checksum mismatch stops the read there and the file is moved aside for
//! inspection rather than replaying damaged data. Hand-written because no
//! maintained crate offers a small fsync'd, checksummed, in-order file queue
//! without a database engine behind it.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest record accepted (a call record with its transcript is far smaller).
pub const MAX_RECORD: usize = 16 * 1024 * 1024;

const HEADER: usize = 8;

/// Spool errors.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The file could not be read, written or synced.
    #[error("spool {path}: {source}")]
    Io {
        /// The spool file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A record larger than [`MAX_RECORD`].
    #[error("spool record of {0} bytes is too large")]
    TooLarge(usize),
}

/// What reading the spool found.
#[derive(Debug, Default)]
pub struct Contents {
    /// Intact records, oldest first.
    pub records: Vec<Vec<u8>>,
    /// Bytes of a record cut short at the end (a crash mid-append), ignored.
    pub torn_tail: usize,
    /// Where a checksum mismatch stopped the read, if one did.
    pub corrupt_at: Option<u64>,
}

/// The spool file of one process.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    file: File,
}

impl Spool {
    /// Opens (creating if needed) `dir/name.spool`.
    pub fn open(dir: &Path, name: &str) -> Result<Self, SpoolError> {
        fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let path = dir.join(format!("{name}.spool"));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        Ok(Self { path, file })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether nothing waits in the spool.
    pub fn is_empty(&self) -> Result<bool, SpoolError> {
        Ok(self.file.metadata().map_err(|e| io(&self.path, e))?.len() == 0)
    }

    /// Appends one record and syncs it to disk before returning.
    pub fn append(&mut self, payload: &[u8]) -> Result<(), SpoolError> {
        if payload.len() > MAX_RECORD {
            return Err(SpoolError::TooLarge(payload.len()));
        }
        let mut buf = Vec::with_capacity(HEADER + payload.len());
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        buf.extend_from_slice(payload);
        self.file.write_all(&buf).map_err(|e| io(&self.path, e))?;
        self.file.sync_data().map_err(|e| io(&self.path, e))
    }

    /// Reads every intact record, oldest first.
    pub fn read(&self) -> Result<Contents, SpoolError> {
        let mut bytes = Vec::new();
        File::open(&self.path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| io(&self.path, e))?;
        Ok(parse(&bytes))
    }

    /// Replaces the spool's contents with `records` (those not yet
    /// replayed), atomically: written to a temporary file, synced, renamed.
    pub fn rewrite(&mut self, records: &[Vec<u8>]) -> Result<(), SpoolError> {
        let tmp = self.path.with_extension("spool.tmp");
        {
            let mut f = File::create(&tmp).map_err(|e| io(&tmp, e))?;
            for r in records {
                f.write_all(&(r.len() as u32).to_le_bytes())
                    .and_then(|_| f.write_all(&crc32fast::hash(r).to_le_bytes()))
                    .and_then(|_| f.write_all(r))
                    .map_err(|e| io(&tmp, e))?;
            }
            f.sync_all().map_err(|e| io(&tmp, e))?;
        }
        fs::rename(&tmp, &self.path).map_err(|e| io(&self.path, e))?;
        if let Some(dir) = self.path.parent() {
            // The rename itself must survive a crash.
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir, e))?;
        }
        self.file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(&self.path)
            .map_err(|e| io(&self.path, e))?;
        Ok(())
    }

    /// Moves a damaged spool aside (kept for inspection) and starts afresh.
    pub fn quarantine(&mut self) -> Result<PathBuf, SpoolError> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let aside = self.path.with_extension(format!("corrupt-{stamp}"));
        fs::rename(&self.path, &aside).map_err(|e| io(&self.path, e))?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&self.path)
            .map_err(|e| io(&self.path, e))?;
        Ok(aside)
    }
}

/// Splits a spool file's bytes into records.
pub fn parse(bytes: &[u8]) -> Contents {
    let mut out = Contents::default();
    let mut at = 0usize;
    while at < bytes.len() {
        if bytes.len() - at < HEADER {
            out.torn_tail = bytes.len() - at;
            break;
        }
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
        if len > MAX_RECORD {
            out.corrupt_at = Some(at as u64);
            break;
        }
        let end = at + HEADER + len;
        if end > bytes.len() {
            out.torn_tail = bytes.len() - at;
            break;
        }
        let payload = &bytes[at + HEADER..end];
        if crc32fast::hash(payload) != crc {
            out.corrupt_at = Some(at as u64);
            break;
        }
        out.records.push(payload.to_vec());
        at = end;
    }
    out
}

fn io(path: &Path, source: std::io::Error) -> SpoolError {
    SpoolError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("spool-test-{}-{}", std::process::id(), fastrand::u64(..)));
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn records_come_back_in_order_across_reopen() {
        let d = dir();
        {
            let mut s = Spool::open(&d, "t").unwrap();
            assert!(s.is_empty().unwrap());
            for i in 0..50u32 {
                s.append(format!("record {i}").as_bytes()).unwrap();
            }
        }
        let s = Spool::open(&d, "t").unwrap();
        let c = s.read().unwrap();
        assert_eq!(c.records.len(), 50);
        assert_eq!(c.records[7], b"record 7");
        assert_eq!(c.torn_tail, 0);
        assert!(c.corrupt_at.is_none());
    }

    #[test]
    fn torn_tail_is_ignored_and_corruption_stops_the_read() {
        let d = dir();
        let mut s = Spool::open(&d, "t").unwrap();
        s.append(b"one").unwrap();
        s.append(b"two").unwrap();
        let mut bytes = fs::read(s.path()).unwrap();
        let whole = bytes.clone();
        bytes.truncate(bytes.len() - 2);
        let c = parse(&bytes);
        assert_eq!(c.records, vec![b"one".to_vec()]);
        assert_eq!(c.torn_tail, HEADER + 1);

        let mut flipped = whole;
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        let c = parse(&flipped);
        assert_eq!(c.records, vec![b"one".to_vec()]);
        assert_eq!(c.corrupt_at, Some((HEADER + 3) as u64));
    }

    #[test]
    fn rewrite_keeps_the_rest_and_appends_continue() {
        let d = dir();
        let mut s = Spool::open(&d, "t").unwrap();
        for r in [b"a", b"b", b"c"] {
            s.append(r).unwrap();
        }
        let rest = s.read().unwrap().records[1..].to_vec();
        s.rewrite(&rest).unwrap();
        s.append(b"d").unwrap();
        let c = s.read().unwrap();
        assert_eq!(c.records, vec![b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]);
        s.rewrite(&[]).unwrap();
        assert!(s.is_empty().unwrap());
        assert!(matches!(
            s.append(&vec![0; MAX_RECORD + 1]),
            Err(SpoolError::TooLarge(_))
        ));
    }
}
