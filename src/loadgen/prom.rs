//! The server's `/metrics` (Prometheus text format): scraped before and
//! after a run, subtracted, and histogram percentiles estimated from the
//! bucket counts (linear within a bucket, as Prometheus' `histogram_quantile`).

use std::collections::{BTreeMap, BTreeSet};

use super::LoadgenError;
use super::stats::Summary;

/// `switchboard_active_calls` (gauge).
pub const ACTIVE_CALLS: &str = telephony::metrics::ACTIVE_CALLS;
/// `switchboard_stt_queue_depth{kind}` (gauge).
pub const STT_QUEUE_DEPTH: &str = telephony::metrics::STT_QUEUE_DEPTH;

/// One series: metric name and its labels, sorted.
pub type SeriesKey = (String, Vec<(String, String)>);

/// The samples of one scrape (or the difference of two).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    series: BTreeMap<SeriesKey, f64>,
}

impl Scrape {
    /// Parses the text exposition format (comments and timestamps ignored;
    /// malformed lines skipped).
    pub fn parse(text: &str) -> Self {
        let mut series = BTreeMap::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((key, value)) = parse_line(line) {
                series.insert(key, value);
            }
        }
        Self { series }
    }

    /// What changed from `before` to `self` (counters and histograms; a
    /// series that went down, as after a restart, counts from zero).
    pub fn since(&self, before: &Scrape) -> Scrape {
        let series = self
            .series
            .iter()
            .map(|(k, &v)| {
                let b = before.series.get(k).copied().unwrap_or(0.0);
                (k.clone(), if v >= b { v - b } else { v })
            })
            .collect();
        Scrape { series }
    }

    /// Sum of the series named `name` whose labels include all of `filter`.
    pub fn sum(&self, name: &str, filter: &[(&str, &str)]) -> f64 {
        // fold from +0.0: an empty f64 sum is -0.0.
        self.matching(name, filter).fold(0.0, |a, (_, v)| a + v)
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        filter: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = (&'a [(String, String)], f64)> + 'a {
        self.series
            .range((name.to_owned(), Vec::new())..)
            .take_while(move |((n, _), _)| n == name)
            .filter(move |((_, labels), _)| {
                filter
                    .iter()
                    .all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|((_, labels), v)| (labels.as_slice(), *v))
    }

    /// Values of `label` on the series named `name`.
    pub fn label_values(&self, name: &str, label: &str) -> BTreeSet<String> {
        self.matching(name, &[])
            .filter_map(|(labels, _)| labels.iter().find(|(k, _)| k == label).map(|(_, v)| v.clone()))
            .collect()
    }

    /// The histogram `name` (`name_bucket`, `_count`, `_sum`) summed over the
    /// series whose labels include `filter`.
    pub fn histogram(&self, name: &str, filter: &[(&str, &str)]) -> Buckets {
        let mut by_le: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for (labels, v) in self.matching(&format!("{name}_bucket"), filter) {
            let Some(le) = labels.iter().find(|(k, _)| k == "le").map(|(_, v)| v.as_str()) else {
                continue;
            };
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                match le.parse::<f64>() {
                    Ok(x) => x,
                    Err(_) => continue,
                }
            };
            // Ordered by value: the bit pattern of a non-negative float sorts like it.
            by_le.entry(le.to_bits()).or_insert((le, 0.0)).1 += v;
        }
        Buckets {
            buckets: by_le.into_values().collect(),
            count: self.sum(&format!("{name}_count"), filter),
            sum: self.sum(&format!("{name}_sum"), filter),
        }
    }
}

fn parse_line(line: &str) -> Option<(SeriesKey, f64)> {
    let i = line.find(['{', ' '])?;
    let name = &line[..i];
    let mut labels = Vec::new();
    let mut rest = &line[i..];
    if let Some(mut body) = rest.strip_prefix('{') {
        loop {
            body = body.trim_start_matches([',', ' ']);
            if let Some(after) = body.strip_prefix('}') {
                rest = after;
                break;
            }
            // key="value" with \\, \" and \n escapes.
            let eq = body.find('=')?;
            let key = body[..eq].trim().to_owned();
            let mut chars = body[eq + 1..].strip_prefix('"')?.char_indices();
            let mut value = String::new();
            let mut escaped = false;
            let end = loop {
                let (j, c) = chars.next()?;
                match (escaped, c) {
                    (true, 'n') => value.push('\n'),
                    (true, c) => value.push(c),
                    (false, '\\') => {
                        escaped = true;
                        continue;
                    }
                    (false, '"') => break j + 1,
                    (false, c) => value.push(c),
                }
                escaped = false;
            };
            labels.push((key, value));
            body = &body[eq + 2 + end..];
        }
    }
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    labels.sort();
    Some(((name.to_owned(), labels), value))
}

/// Cumulative bucket counts of one histogram.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buckets {
    /// `(upper bound, cumulative count)`, ascending; the last is `+Inf`.
    pub buckets: Vec<(f64, f64)>,
    /// Observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
}

impl Buckets {
    /// The value at quantile `q`, interpolated within its bucket; in the
    /// `+Inf` bucket, the highest finite bound.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.buckets.last()?.1;
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let (mut lo, mut below) = (0.0, 0.0);
        for &(le, cum) in &self.buckets {
            if cum >= rank && cum > below {
                if le.is_infinite() {
                    return Some(lo);
                }
                return Some(lo + (le - lo) * ((rank - below) / (cum - below)).clamp(0.0, 1.0));
            }
            (lo, below) = (le, cum);
        }
        Some(lo)
    }

    /// Upper bound of the highest non-empty bucket (the highest finite bound
    /// when it is `+Inf`).
    pub fn max_bound(&self) -> Option<f64> {
        let mut below = 0.0;
        let mut last_finite = 0.0;
        let mut top = None;
        for &(le, cum) in &self.buckets {
            if cum > below {
                top = Some(if le.is_infinite() { last_finite } else { le });
            }
            if le.is_finite() {
                last_finite = le;
            }
            below = cum;
        }
        top
    }

    /// Percentiles in milliseconds of a histogram in seconds.
    pub fn summary_ms(&self) -> Summary {
        let ms = |q: f64| self.quantile(q).unwrap_or(0.0) * 1000.0;
        Summary {
            count: self.count.round() as u64,
            mean: if self.count > 0.0 {
                self.sum / self.count * 1000.0
            } else {
                0.0
            },
            p50: ms(0.50),
            p90: ms(0.90),
            p95: ms(0.95),
            p99: ms(0.99),
            p999: ms(0.999),
            max: self.max_bound().unwrap_or(0.0) * 1000.0,
        }
    }
}

/// GETs and parses `url`.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<Scrape, LoadgenError> {
    let text = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| LoadgenError::Http(format!("GET {url}: {e}")))?
        .text()
        .await
        .map_err(|e| LoadgenError::Http(format!("GET {url}: {e}")))?;
    Ok(Scrape::parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = r#"# TYPE switchboard_frames_out_total counter
switchboard_frames_out_total 100
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="0.1"} 1
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="0.2"} 1
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="0.5"} 1
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="+Inf"} 1
switchboard_function_latency_seconds_sum{function="patient_lookup"} 0.05
switchboard_function_latency_seconds_count{function="patient_lookup"} 1
"#;
    const AFTER: &str = r#"# HELP switchboard_frames_out_total Outbound
switchboard_frames_out_total 350 1700000000000
switchboard_active_calls 3
switchboard_stt_queue_depth{kind="final"} 2
switchboard_stt_queue_depth{kind="partial"} 5
switchboard_function_budget_overruns_total{function="patient_lookup"} 3
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="0.1"} 1
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="0.2"} 3
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="0.5"} 11
switchboard_function_latency_seconds_bucket{function="patient_lookup",le="+Inf"} 11
switchboard_function_latency_seconds_sum{function="patient_lookup"} 3.05
switchboard_function_latency_seconds_count{function="patient_lookup"} 11
switchboard_function_latency_seconds_bucket{function="flag_adverse_event",le="0.1"} 2
switchboard_function_latency_seconds_bucket{function="flag_adverse_event",le="+Inf"} 2
weird{a="x\"y,z}",b="2"} 7
"#;

    #[test]
    fn parses_labels_values_and_escapes() {
        let s = Scrape::parse(AFTER);
        assert_eq!(s.sum("switchboard_frames_out_total", &[]), 350.0);
        assert_eq!(s.sum(STT_QUEUE_DEPTH, &[]), 7.0);
        assert_eq!(s.sum(STT_QUEUE_DEPTH, &[("kind", "final")]), 2.0);
        assert_eq!(s.sum("weird", &[("a", "x\"y,z}"), ("b", "2")]), 7.0);
        assert_eq!(
            s.label_values("switchboard_function_latency_seconds_count", "function"),
            ["patient_lookup".to_owned()].into()
        );
        assert_eq!(Scrape::parse("no_value\n{bad\n"), Scrape::default());
    }

    #[test]
    fn differences_and_bucket_percentiles() {
        let d = Scrape::parse(AFTER).since(&Scrape::parse(BEFORE));
        assert_eq!(d.sum("switchboard_frames_out_total", &[]), 250.0);
        let h = d.histogram(
            "switchboard_function_latency_seconds",
            &[("function", "patient_lookup")],
        );
        assert_eq!(h.count, 10.0);
        assert!((h.sum - 3.0).abs() < 1e-9);
        // 10 new: 2 in (0.1, 0.2], 8 in (0.2, 0.5].
        assert_eq!(
            h.buckets,
            vec![(0.1, 0.0), (0.2, 2.0), (0.5, 10.0), (f64::INFINITY, 10.0)]
        );
        assert!((h.quantile(0.2).unwrap() - 0.2).abs() < 1e-9);
        assert!((h.quantile(0.6).unwrap() - 0.35).abs() < 1e-9);
        assert_eq!(h.max_bound(), Some(0.5));
        let s = h.summary_ms();
        assert_eq!((s.count, s.mean.round()), (10, 300.0));
        // Summed over labels; empty histograms give nothing.
        assert_eq!(d.histogram("switchboard_function_latency_seconds", &[]).count, 10.0);
        assert_eq!(d.histogram("nothing", &[]).quantile(0.5), None);
    }

    #[test]
    fn overflow_bucket_reports_the_last_finite_bound() {
        let b = Buckets {
            buckets: vec![(1.0, 1.0), (5.0, 1.0), (f64::INFINITY, 4.0)],
            count: 4.0,
            sum: 40.0,
        };
        assert_eq!(b.quantile(0.99), Some(5.0));
        assert_eq!(b.quantile(0.1), Some(0.4));
        assert_eq!(b.max_bound(), Some(5.0));
    }
}
