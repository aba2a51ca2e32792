//! Who takes a transferred call: a destination (number or SIP URI) per staff
//! line (T1 technician, T2 pharmacist, T3 manager, the emergency line), each
//! with its business hours in its own time zone. Pure: the time is passed in.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use dialog::Tier;

use crate::twilio::twiml::DialTarget;

/// A staff line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Line {
    /// Pharmacy technicians.
    T1,
    /// Pharmacists.
    T2,
    /// The pharmacy manager.
    T3,
    /// The emergency line (a clinician on call).
    Emergency,
}

impl Line {
    /// The line a dialog transfer goes to: emergencies to the emergency line.
    pub fn for_transfer(tier: Tier, reason: &str) -> Self {
        if reason == "emergency" {
            return Self::Emergency;
        }
        match tier {
            Tier::T0 | Tier::T1 => Self::T1,
            Tier::T2 => Self::T2,
            Tier::T3 => Self::T3,
        }
    }

    /// Stable label (`T1`.. `T3`, `EMERGENCY`), as in `staff_tasks.tier`.
    pub fn label(self) -> &'static str {
        match self {
            Self::T1 => "T1",
            Self::T2 => "T2",
            Self::T3 => "T3",
            Self::Emergency => "EMERGENCY",
        }
    }

    /// Who answers, in words (for what the caller hears).
    pub fn role(self) -> &'static str {
        match self {
            Self::T1 => "a member of our team",
            Self::T2 => "a pharmacist",
            Self::T3 => "the pharmacy manager",
            Self::Emergency => "our on-call pharmacist",
        }
    }
}

/// A configuration value could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HoursError(String);

/// Weekly opening hours in a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    tz: Tz,
    /// Monday first: opening and closing time, `None` when closed all day.
    days: [Option<(NaiveTime, NaiveTime)>; 7],
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Hours {
    /// Open at all times.
    pub fn always() -> Self {
        let all = Some((NaiveTime::MIN, NaiveTime::MIN));
        Self {
            tz: Tz::UTC,
            days: [all; 7],
        }
    }

    /// Parses `"Mon-Fri 08:00-20:00, Sat-Sun 09:00-17:00"` (or `always`) in
    /// the IANA time zone `tz` (`America/New_York`).
    pub fn parse(spec: &str, tz: &str) -> Result<Self, HoursError> {
        let tz: Tz = tz
            .trim()
            .parse()
            .map_err(|_| HoursError(format!("unknown time zone {tz:?} (expected e.g. America/New_York)")))?;
        if spec.trim().eq_ignore_ascii_case("always") {
            return Ok(Self { tz, ..Self::always() });
        }
        let mut days = [None; 7];
        for group in spec.split([',', ';']).map(str::trim).filter(|g| !g.is_empty()) {
            let bad = || {
                HoursError(format!(
                    "invalid hours {group:?} (expected e.g. \"Mon-Fri 08:00-20:00\")"
                ))
            };
            let (dayspec, times) = group.split_once(' ').ok_or_else(bad)?;
            let (open, close) = times.trim().split_once('-').ok_or_else(bad)?;
            let t = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
            let (open, close) = (t(open)?, t(close)?);
            if close <= open {
                return Err(bad());
            }
            let day = |s: &str| {
                let s = s.trim().to_ascii_lowercase();
                DAYS.iter().position(|d| s.starts_with(d)).ok_or_else(bad)
            };
            let (from, to) = match dayspec.split_once('-') {
                Some((a, b)) => (day(a)?, day(b)?),
                None => (day(dayspec)?, day(dayspec)?),
            };
            let mut d = from;
            loop {
                days[d] = Some((open, close));
                if d == to {
                    break;
                }
                d = (d + 1) % 7;
            }
        }
        Ok(Self { tz, days })
    }

    fn window(&self, wd: Weekday) -> Option<(NaiveTime, NaiveTime)> {
        self.days[wd.num_days_from_monday() as usize]
    }

    /// Whether the line is staffed at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.tz);
        match self.window(local.weekday()) {
            // 00:00-00:00 is the whole day.
            Some((o, c)) if o == c => true,
            Some((o, c)) => (o..c).contains(&local.time()),
            None => false,
        }
    }

    /// The next opening at or after `at` (`at` itself when open).
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return Some(at);
        }
        let local = at.with_timezone(&self.tz);
        for ahead in 0..8 {
            let date = local.date_naive() + Duration::days(ahead);
            let Some((open, _)) = self.window(date.weekday()) else {
                continue;
            };
            let Some(t) = self.tz.from_local_datetime(&date.and_time(open)).earliest() else {
                continue;
            };
            let t = t.with_timezone(&Utc);
            if t > at {
                return Some(t);
            }
        }
        None
    }
}

/// One line's destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Who to ring.
    pub target: DialTarget,
    /// When someone is there.
    pub hours: Hours,
}

/// Where a transfer goes now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// Ring this destination (on `line`, which may be a fallback).
    Dial {
        /// The line that takes it.
        line: Line,
        /// Where it rings.
        destination: &'a Destination,
    },
    /// Nobody is on duty: a callback task, due at the next opening.
    Closed {
        /// When the line opens next (`None`: never configured).
        next_open: Option<DateTime<Utc>>,
    },
}

/// Every line's destination, and how long a transfer rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffDirectory {
    lines: Vec<(Line, Destination)>,
    /// Seconds a `<Dial>` rings before the caller is told nobody answered.
    pub dial_timeout_secs: u32,
}

impl Default for StaffDirectory {
    fn default() -> Self {
        Self {
            lines: Vec::new(),
            dial_timeout_secs: 25,
        }
    }
}

impl StaffDirectory {
    /// Sets `line`'s destination.
    pub fn with(mut self, line: Line, destination: Destination) -> Self {
        self.lines.retain(|(l, _)| *l != line);
        self.lines.push((line, destination));
        self
    }

    /// `line`'s destination, if configured.
    pub fn destination(&self, line: Line) -> Option<&Destination> {
        self.lines.iter().find(|(l, _)| *l == line).map(|(_, d)| d)
    }

    /// Whether any line is configured.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Where a transfer to `line` goes at `at`. An emergency with no
    /// emergency line goes to the first open of T2, T1, T3.
    pub fn route(&self, line: Line, at: DateTime<Utc>) -> Route<'_> {
        let candidates: &[Line] = match line {
            Line::Emergency => &[Line::Emergency, Line::T2, Line::T1, Line::T3],
            l => std::slice::from_ref(match l {
                Line::T1 => &Line::T1,
                Line::T2 => &Line::T2,
                _ => &Line::T3,
            }),
        };
        for &l in candidates {
            if let Some(d) = self.destination(l)
                && d.hours.is_open(at)
            {
                return Route::Dial {
                    line: l,
                    destination: d,
                };
            }
        }
        Route::Closed {
            next_open: self.destination(line).and_then(|d| d.hours.next_open(at)),
        }
    }

    /// The dialog's tiers nobody can take at `at` (no destination or closed).
    pub fn closed_tiers(&self, at: DateTime<Utc>) -> Vec<Tier> {
        [(Tier::T1, Line::T1), (Tier::T2, Line::T2), (Tier::T3, Line::T3)]
            .into_iter()
            .filter(|(_, l)| !matches!(self.route(*l, at), Route::Dial { .. }))
            .map(|(t, _)| t)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn hours_follow_the_local_week_and_daylight_saving() {
        let h = Hours::parse("Mon-Fri 08:00-20:00, Sat-Sun 09:00-17:00", "America/New_York").unwrap();
        // Friday 2026-12-04 12:00 EST = 17:00 UTC.
        assert!(h.is_open(utc("2026-12-04T17:00:00Z")));
        // 20:00 EST closes: 01:00 UTC Saturday.
        assert!(!h.is_open(utc("2026-12-05T01:00:00Z")));
        // Saturday 08:30 EST is before the weekend opening at 09:00.
        assert!(!h.is_open(utc("2026-12-05T13:30:00Z")));
        assert_eq!(
            h.next_open(utc("2026-12-05T13:30:00Z")),
            Some(utc("2026-12-05T14:00:00Z"))
        );
        // In July (EDT, UTC-4) 08:00 local is 12:00 UTC.
        assert!(h.is_open(utc("2026-07-06T12:00:00Z")));
        assert!(!h.is_open(utc("2026-07-06T11:59:00Z")));
        assert_eq!(
            h.next_open(utc("2026-07-06T11:00:00Z")),
            Some(utc("2026-07-06T12:00:00Z"))
        );
    }

    #[test]
    fn hours_specs_are_checked() {
        assert!(Hours::parse("Mon-Fri 8-20", "UTC").is_err());
        assert!(Hours::parse("Mon-Fri 20:00-08:00", "UTC").is_err());
        assert!(Hours::parse("Funday 08:00-09:00", "UTC").is_err());
        assert!(Hours::parse("always", "Mars/Olympus").is_err());
        let fri_sun = Hours::parse("Fri-Sun 10:00-11:00", "UTC").unwrap();
        assert!(fri_sun.is_open(utc("2026-12-06T10:30:00Z")), "Sunday, wrapping range");
        assert!(!fri_sun.is_open(utc("2026-12-07T10:30:00Z")), "Monday");
        assert!(Hours::always().is_open(utc("2026-12-06T03:00:00Z")));
    }

    #[test]
    fn routes_by_line_with_hours_and_an_emergency_fallback() {
        let weekdays = Hours::parse("Mon-Fri 09:00-17:00", "UTC").unwrap();
        let dir = StaffDirectory::default()
            .with(
                Line::T1,
                Destination {
                    target: DialTarget::parse("+15550001001"),
                    hours: weekdays.clone(),
                },
            )
            .with(
                Line::T2,
                Destination {
                    target: DialTarget::parse("sip:rph@pbx.example.com"),
                    hours: Hours::always(),
                },
            );
        let friday_noon = utc("2026-12-04T12:00:00Z");
        let saturday = utc("2026-12-05T12:00:00Z");
        assert!(matches!(
            dir.route(Line::T1, friday_noon),
            Route::Dial { line: Line::T1, .. }
        ));
        assert_eq!(
            dir.route(Line::T1, saturday),
            Route::Closed {
                next_open: Some(utc("2026-12-07T09:00:00Z"))
            }
        );
        assert_eq!(dir.route(Line::T3, friday_noon), Route::Closed { next_open: None });
        assert!(
            matches!(dir.route(Line::Emergency, saturday), Route::Dial { line: Line::T2, .. }),
            "no emergency line: the pharmacist on duty"
        );
        assert_eq!(dir.closed_tiers(saturday), vec![Tier::T1, Tier::T3]);
        assert_eq!(Line::for_transfer(Tier::T2, "emergency"), Line::Emergency);
        assert_eq!(Line::for_transfer(Tier::T0, "caller_request"), Line::T1);
    }
}
