//! Latency plots (SVG, plotters): the CDFs of one run, and for a capacity
//! search the key figures against concurrency.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::LoadgenError;
use super::report::Report;

const SIZE: (u32, u32) = (1100, 460);

/// A plotted figure: label, colour, value of a step.
type Series = (&'static str, RGBColor, fn(&Report) -> f64);

fn err(e: impl std::fmt::Display) -> LoadgenError {
    LoadgenError::Plot(e.to_string())
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A captioned chart with labelled axes from 0 to `x.1` and `y.1`.
fn axes<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    x: (&str, f64),
    y: (&str, f64),
) -> Result<Chart<'a, 'b>, LoadgenError> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..x.1, 0.0..y.1)
        .map_err(err)?;
    chart.configure_mesh().x_desc(x.0).y_desc(y.0).draw().map_err(err)?;
    Ok(chart)
}

/// Draws the legend of the series drawn so far.
fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, at: SeriesLabelPosition) -> Result<(), LoadgenError> {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

/// Cumulative distribution of samples (ms), sorted, as plot points.
fn cdf(samples: &[f64]) -> Vec<(f64, f64)> {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    v.iter().enumerate().map(|(i, &x)| (x, (i + 1) as f64 / n)).collect()
}

/// Writes the run's latency CDFs: turn and barge-in latency (left), bot-frame
/// jitter (right).
pub fn run_cdf(report: &Report, path: &Path) -> Result<(), LoadgenError> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = root.split_horizontally(SIZE.0 / 2);
    let turn = cdf(&report.turn_samples_ms);
    let barge = cdf(&report.barge_in_samples_ms);
    let top = turn
        .iter()
        .chain(&barge)
        .map(|p| p.0)
        .fold(100.0_f64, f64::max)
        .mul_add(1.05, 0.0);
    let mut chart = axes(
        &left,
        "Turn and barge-in latency (caller), CDF",
        ("ms", top),
        ("fraction of turns", 1.0),
    )?;
    for (points, color, label) in [
        (
            &turn,
            BLUE,
            format!("turn: end of speech → bot audio (n={})", turn.len()),
        ),
        (&barge, RED, format!("barge-in: onset → clear (n={})", barge.len())),
    ] {
        if points.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;

    let jitter: Vec<(f64, f64)> = report
        .jitter_us
        .cdf()
        .into_iter()
        .map(|(us, f)| (us as f64 / 1000.0, f))
        .collect();
    let top = jitter.iter().map(|p| p.0).fold(25.0_f64, f64::max) * 1.05;
    let mut chart = axes(
        &right,
        "Bot-frame jitter (caller), CDF",
        ("ms later than the frame's schedule", top),
        ("fraction of bot frames", 1.0),
    )?;
    if !jitter.is_empty() {
        chart
            .draw_series(LineSeries::new(
                std::iter::once((0.0, 0.0)).chain(jitter),
                GREEN.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!(
                "{} frames, p99.9 {:.1} ms",
                report.jitter_us.count(),
                report.caller.jitter_ms.p999
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREEN.stroke_width(2)));
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    }
    root.present().map_err(err)
}

/// Writes a capacity search: turn latency p95 and jitter p99.9 (ms, left
/// axis) and late frames (%) against concurrency, held steps marked.
pub fn capacity(steps: &[(usize, &Report)], path: &Path) -> Result<(), LoadgenError> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut pts: Vec<(usize, &Report)> = steps.to_vec();
    pts.sort_by_key(|(n, _)| *n);
    let max_x = pts.iter().map(|(n, _)| *n).max().unwrap_or(1) as f64 * 1.1;
    let series: [Series; 3] = [
        ("turn latency p95 (ms)", BLUE, |r| r.caller.turn_latency_ms.p95),
        ("bot-frame jitter p99.9 (ms)", GREEN, |r| r.caller.jitter_ms.p999),
        ("late bot frames (‰)", RED, |r| r.caller.late_frame_ratio * 1000.0),
    ];
    let max_y = pts
        .iter()
        .flat_map(|(_, r)| series.iter().map(move |(_, _, f)| f(r)))
        .fold(25.0_f64, f64::max)
        * 1.1;
    let mut chart = axes(
        &root,
        "Capacity search: budgets against concurrent calls",
        ("concurrent calls", max_x),
        ("ms / ‰", max_y),
    )?;
    for (label, color, f) in series {
        let line: Vec<(f64, f64)> = pts.iter().map(|(n, r)| (*n as f64, f(r))).collect();
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart
            .draw_series(pts.iter().zip(&line).map(|((_, r), &p)| {
                let style = if r.held { color.filled() } else { color.stroke_width(1) };
                Circle::new(p, 4, style)
            }))
            .map_err(err)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(err)
}
