//! Log redaction: PHI never reaches the log output. Fields whose names say
//! they hold PHI (names, dates of birth, member ids, phone numbers,
//! transcripts) are replaced by `[redacted]` whatever their value, and every
//! other value and message is scrubbed of date-, member-id- and phone-shaped
//! text. Installed as the `fmt` layer's field formatter, so it covers events
//! and span fields alike.

use std::fmt::{self, Write as _};
use std::sync::LazyLock;

use regex::Regex;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// Field names whose values are always withheld.
pub const SENSITIVE_FIELDS: &[&str] = &[
    "name",
    "full_name",
    "first_name",
    "last_name",
    "caller_name",
    "dob",
    "date_of_birth",
    "birth_date",
    "member_id",
    "phone",
    "from",
    "to",
    "caller",
    "address",
    "text",
    "transcript",
    "utterance_text",
    "partial",
    "medication",
    "symptoms",
];

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let month = "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
    [
        (r"\b\d{4}-\d{1,2}-\d{1,2}\b".to_owned(), "[date]"),
        (r"\b\d{1,2}/\d{1,2}/\d{2,4}\b".to_owned(), "[date]"),
        (
            format!(r"(?i)\b{month}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"),
            "[date]",
        ),
        (r"\b[A-Z]{1,4}\d{6,}\b".to_owned(), "[id]"),
        (r"\+?\d[\d\s().-]{7,}\d".to_owned(), "[number]"),
    ]
    .into_iter()
    .map(|(p, r)| (Regex::new(&p).expect("valid pattern"), r))
    .collect()
});

/// `text` with date-, id- and phone-shaped parts replaced.
pub fn scrub(text: &str) -> String {
    let mut out = text.to_owned();
    for (re, with) in PATTERNS.iter() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *with).into_owned();
        }
    }
    out
}

/// The redacting field formatter (`fmt().fmt_fields(Redacted)`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Redacted;

impl<'w> FormatFields<'w> for Redacted {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Visitor {
            out: String::new(),
            first: true,
        };
        fields.record(&mut v);
        writer.write_str(&v.out)
    }

    fn add_fields(
        &self,
        current: &'w mut tracing_subscriber::fmt::FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut v = Visitor {
            out: String::new(),
            first: current.fields.is_empty(),
        };
        fields.record(&mut v);
        current.fields.push_str(&v.out);
        Ok(())
    }
}

struct Visitor {
    out: String,
    first: bool,
}

impl Visitor {
    fn push(&mut self, field: &Field, value: String) {
        let name = field.name();
        let value = if SENSITIVE_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            "[redacted]".to_owned()
        } else {
            scrub(&value)
        };
        if !self.first {
            self.out.push(' ');
        }
        self.first = false;
        if name == "message" {
            self.out.push_str(&value);
        } else {
            let _ = write!(self.out, "{name}={value}");
        }
    }
}

impl Visit for Visitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn phi_never_reaches_the_log() {
        let cap = Capture::default();
        let out = cap.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(Redacted)
            .with_writer(move || out.clone())
            .with_ansi(false)
            // No timestamps: their digits ("…56.219853Z") can spell a PHI year.
            .without_time()
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("call", call_id = "CA42", from = "+1 555 010 0199");
            let _e = span.enter();
            tracing::info!(
                name = "Maria Garcia",
                dob = "1985-03-03",
                member_id = "DEMO000001",
                "patient lookup"
            );
            tracing::info!(text = %"my name is James Wilson", "final transcript");
            tracing::warn!(
                "caller said born March 3rd, 1985, member M123456789, call me at 555-010-0199 or on 7/4/1972"
            );
            tracing::info!(function = "patient_lookup", ms = 14, "function done");
        });
        let log = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
        for phi in [
            "Maria",
            "Garcia",
            "1985",
            "DEMO000001",
            "James",
            "Wilson",
            "M123456789",
            "555",
            "7/4/1972",
            "March 3",
        ] {
            assert!(!log.contains(phi), "{phi:?} leaked into the log:\n{log}");
        }
        // What is not PHI stays readable.
        for kept in [
            "patient lookup",
            "function=patient_lookup",
            "ms=14",
            "call_id=CA42",
            "[redacted]",
            "[date]",
        ] {
            assert!(log.contains(kept), "{kept:?} missing:\n{log}");
        }
    }

    #[test]
    fn scrub_keeps_ordinary_numbers() {
        assert_eq!(scrub("took 1234 ms over 3 tries"), "took 1234 ms over 3 tries");
        assert_eq!(scrub("dob 1958-11-21"), "dob [date]");
        assert_eq!(scrub("Member ID: DEMO000003"), "Member ID: [id]");
    }
}
