//! Small, dependency-free inline SVG charts: a percentile plot (x log-scaled
//! on 1/(1-p)), a time-series line chart with shaded fault bands, and an
//! availability chart. Output is deterministic: coordinates have one decimal,
//! labels a fixed number of decimals, no ids, no scripts.

use std::fmt::Write;

/// Size of every chart, in CSS pixels.
pub const WIDTH: f64 = 820.0;
pub const HEIGHT: f64 = 330.0;
const LEFT: f64 = 76.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 52.0;
/// Series colours, in order (colour-blind safe).
pub const PALETTE: [&str; 6] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"];
const BAND_FILL: &str = "#f2b84b";
const REFERENCE: &str = "#b2182b";
/// Approximate width of one character of the 12 px sans-serif labels.
const CHAR_W: f64 = 6.6;

/// A named line of (x, y) points.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A shaded vertical band (a fault period), in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub start_s: f64,
    pub end_s: f64,
    pub label: String,
}

/// A time-series chart: x is simulated time in seconds from 0 to `x_max_s`.
#[derive(Debug, Clone)]
pub struct TimeChart<'a> {
    pub title: &'a str,
    pub y_label: &'a str,
    pub x_max_s: f64,
    pub series: &'a [Series],
    pub bands: &'a [Band],
    /// A dashed horizontal line (a bound) and its label; the y axis always reaches it.
    pub reference: Option<(f64, &'a str)>,
    /// A fixed top of the y axis (else a round number above the data).
    pub y_max: Option<f64>,
    /// y values are shares (0..=1), labelled as percentages.
    pub percent: bool,
    /// Fill the area under the first series.
    pub fill: bool,
}

/// Text safe inside SVG or HTML elements and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A coordinate with one decimal.
fn c(v: f64) -> String {
    let v = if v.abs() < 0.05 { 0.0 } else { v };
    format!("{v:.1}")
}

/// A round tick step giving about `target` ticks over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = (span / target).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|&s| s >= raw).unwrap_or(10.0 * magnitude);
    if step > 0.0 { step } else { 1.0 }
}

/// Tick values from 0 to a round top at or above `max`.
fn ticks(max: f64, target: f64) -> Vec<f64> {
    let step = nice_step(if max > 0.0 { max } else { 1.0 }, target);
    let count = ((max / step).ceil() as usize).max(1);
    (0..=count).map(|i| i as f64 * step).collect()
}

/// Decimals that show a tick step exactly (0 for 5, 1 for 0.5, 2 for 0.25...).
fn decimals(step: f64) -> usize {
    let mut d = 0;
    while d < 6 && ((step * 10f64.powi(d as i32)).round() - step * 10f64.powi(d as i32)).abs() > 1e-9 {
        d += 1;
    }
    d
}

/// Maps data coordinates to the plot area: x linear from 0; y linear from 0,
/// or logarithmic between two powers of ten (values below the floor sit on it).
#[derive(Debug, Clone, Copy)]
struct Frame {
    x_max: f64,
    y_max: f64,
    /// `Some(floor exponent)`: y is log10-scaled from 10^floor to 10^y_max.
    y_log_floor: Option<f64>,
}

impl Frame {
    fn linear(x_max: f64, y_max: f64) -> Frame {
        Frame { x_max, y_max, y_log_floor: None }
    }
    fn px(self, x: f64) -> f64 {
        LEFT + (x / self.x_max).clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
    }
    fn py(self, y: f64) -> f64 {
        let share = match self.y_log_floor {
            Some(floor) => (y.max(10f64.powf(floor)).log10() - floor) / (self.y_max - floor),
            None => y / self.y_max,
        };
        HEIGHT - BOTTOM - share.clamp(0.0, 1.0) * (HEIGHT - TOP - BOTTOM)
    }
}

/// The opening tag, accessible title, background and chart title.
fn open(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"12\">\
         <title>{t}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\
         <text x=\"{x}\" y=\"22\" font-size=\"15\" font-weight=\"600\" fill=\"#222\">{t}</text>",
        w = WIDTH,
        h = HEIGHT,
        x = c(LEFT),
        t = escape(title)
    );
}

/// Horizontal grid lines with y labels, and the rotated y axis label.
fn y_axis(out: &mut String, frame: Frame, ticks: &[f64], label: &str, format: &dyn Fn(f64) -> String) {
    for &t in ticks {
        let y = c(frame.py(t));
        let _ = write!(
            out,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#e3e3e3\"/><text x=\"{}\" y=\"{y}\" dy=\"4\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            c(LEFT),
            c(WIDTH - RIGHT),
            c(LEFT - 8.0),
            escape(&format(t))
        );
    }
    let middle = c((TOP + HEIGHT - BOTTOM) / 2.0);
    let _ = write!(out, "<text transform=\"translate(18 {middle}) rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">{}</text>", escape(label));
}

/// One x tick: a grid line and its label.
fn x_tick(out: &mut String, x: f64, label: &str) {
    let _ = write!(
        out,
        "<line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"#e3e3e3\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
        c(TOP),
        c(HEIGHT - BOTTOM + 5.0),
        c(HEIGHT - BOTTOM + 19.0),
        escape(label),
        x = c(x)
    );
}

/// The axis lines and the x axis label.
fn axes(out: &mut String, x_label: &str) {
    let (bottom, right) = (c(HEIGHT - BOTTOM), c(WIDTH - RIGHT));
    let _ = write!(
        out,
        "<path d=\"M{l} {t} V{bottom} H{right}\" fill=\"none\" stroke=\"#333\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
        c((LEFT + WIDTH - RIGHT) / 2.0),
        c(HEIGHT - 10.0),
        escape(x_label),
        l = c(LEFT),
        t = c(TOP)
    );
}

/// A legend entry's swatch kind.
enum Swatch<'a> {
    Line(&'a str),
    Dashed(&'a str),
    Area(&'a str),
}

/// The legend under the title, wrapping onto a second row when it is wider than the chart.
fn legend(out: &mut String, entries: &[(Swatch, String)]) {
    let (mut x, mut y) = (LEFT, 40.0);
    for (swatch, name) in entries {
        let width = 24.0 + name.chars().count() as f64 * CHAR_W + 18.0;
        if x > LEFT && x + width > WIDTH - RIGHT {
            (x, y) = (LEFT, y + 16.0);
        }
        match swatch {
            Swatch::Line(colour) => {
                let _ = write!(out, "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2.5\"/>", c(x), c(x + 18.0));
            }
            Swatch::Dashed(colour) => {
                let _ = write!(
                    out,
                    "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>",
                    c(x),
                    c(x + 18.0)
                );
            }
            Swatch::Area(colour) => {
                let _ = write!(out, "<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"10\" fill=\"{colour}\" fill-opacity=\"0.35\"/>", c(x), c(y - 5.0));
            }
        }
        let _ = write!(out, "<text x=\"{}\" y=\"{y}\" dy=\"4\" fill=\"#333\">{}</text>", c(x + 24.0), escape(name));
        x += width;
    }
}

/// A polyline through `points` (already in pixels).
fn polyline(out: &mut String, points: &[(f64, f64)], colour: &str) {
    let coordinates: Vec<String> = points.iter().map(|&(x, y)| format!("{},{}", c(x), c(y))).collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
        coordinates.join(" ")
    );
}

/// The "no data" note in the middle of the plot area.
fn no_data(out: &mut String) {
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#777\">no data</text>",
        c((LEFT + WIDTH - RIGHT) / 2.0),
        c((TOP + HEIGHT - BOTTOM) / 2.0)
    );
}

/// The percentile label of decade `k` on the 1/(1-p) axis: 0%, 90%, 99%, 99.9%...
fn percentile_label(k: usize) -> String {
    let p = 100.0 - 100.0 / 10f64.powi(k as i32);
    format!("{p:.*}%", k.saturating_sub(2))
}

/// Milliseconds, or seconds when values reach 10 s: (divisor, unit).
fn time_unit(max_ms: f64) -> (f64, &'static str) {
    if max_ms >= 10_000.0 { (1000.0, "s") } else { (1.0, "ms") }
}

/// A power of ten of milliseconds as a label: `0.01 ms`, `10 ms`, `1 s`, `100 s`.
fn decade_label(exponent: i32) -> String {
    if exponent < 3 { format!("{:.*} ms", (-exponent).max(0) as usize, 10f64.powi(exponent)) } else { format!("{:.0} s", 10f64.powi(exponent - 3)) }
}

/// Whether values spread so far (the largest over 100 times the first series'
/// median) that a linear axis would flatten everything but the tail.
fn wants_log(lines: &[Vec<(f64, f64)>], max_ms: f64) -> bool {
    let median = lines.first().and_then(|l| l.iter().find(|&&(u, _)| u >= 2f64.log10())).map_or(0.0, |&(_, v)| v);
    median > 0.0 && max_ms / median >= 100.0
}

/// The y axis of a percentile plot, linear or log: the frame, its ticks and how to label them.
fn percentile_y_axis(out: &mut String, lines: &[Vec<(f64, f64)>], x_max: f64, y_label: &str) -> (Frame, f64) {
    let values = || lines.iter().flatten().map(|&(_, v)| v);
    let max_ms = values().fold(0.0, f64::max);
    if wants_log(lines, max_ms) {
        let min_positive = values().filter(|&v| v > 0.0).fold(max_ms, f64::min);
        let floor = min_positive.log10().floor();
        let top = max_ms.log10().ceil().max(floor + 1.0);
        let frame = Frame { x_max, y_max: top, y_log_floor: Some(floor) };
        let zeros = values().any(|v| v < 10f64.powf(floor));
        let ticks: Vec<f64> = (floor as i32..=top as i32).map(|e| 10f64.powi(e)).collect();
        let label = |v: f64| {
            let text = decade_label(v.log10().round() as i32);
            if zeros && v <= 10f64.powf(floor) { format!("≤ {text}") } else { text }
        };
        y_axis(out, frame, &ticks, &format!("{y_label} (log scale)"), &label);
        return (frame, 1.0);
    }
    let (divisor, unit) = time_unit(max_ms);
    let ticks = ticks(max_ms / divisor, 5.0);
    let frame = Frame::linear(x_max, *ticks.last().unwrap_or(&1.0));
    let step = ticks.get(1).copied().unwrap_or(1.0);
    y_axis(out, frame, &ticks, &format!("{y_label} ({unit})"), &|v| format!("{v:.*}", decimals(step)));
    (frame, divisor)
}

/// A percentile plot of `series` whose points are (quantile, value in ms): x
/// is log10(1/(1-quantile)) with ticks 0%, 90%, 99%, 99.9%, 99.99% (more
/// decades when the data reach them); y is linear from 0, or log-scaled when
/// the tail is over 100 times the first series' median. Quantile 1 (the
/// maximum) has no place on this axis and is left out.
pub fn percentile_plot(title: &str, y_label: &str, series: &[Series]) -> String {
    let finite = |s: &Series| s.points.iter().filter(|&&(q, _)| q < 1.0).map(|&(q, v)| ((1.0 / (1.0 - q)).log10(), v)).collect::<Vec<_>>();
    let lines: Vec<Vec<(f64, f64)>> = series.iter().map(finite).collect();
    let x_reach = lines.iter().flatten().map(|&(u, _)| u).fold(0.0, f64::max);
    let decades = (x_reach.ceil() as usize).clamp(4, 7);
    let mut out = String::new();
    open(&mut out, title);
    let (frame, divisor) = percentile_y_axis(&mut out, &lines, decades as f64, y_label);
    for k in 0..=decades {
        x_tick(&mut out, frame.px(k as f64), &percentile_label(k));
    }
    axes(&mut out, "percentile (log scale on 1/(1-p))");
    for (i, line) in lines.iter().enumerate() {
        let pixels: Vec<(f64, f64)> = line.iter().map(|&(u, v)| (frame.px(u), frame.py(v / divisor))).collect();
        polyline(&mut out, &pixels, PALETTE[i % PALETTE.len()]);
    }
    if lines.iter().all(Vec::is_empty) {
        no_data(&mut out);
    }
    let entries: Vec<(Swatch, String)> = series.iter().enumerate().map(|(i, s)| (Swatch::Line(PALETTE[i % PALETTE.len()]), s.name.clone())).collect();
    legend(&mut out, &entries);
    out.push_str("</svg>");
    out
}

/// The unit of a time axis spanning `max_s` seconds: (seconds per unit, label).
fn x_time_unit(max_s: f64) -> (f64, &'static str) {
    if max_s <= 300.0 {
        (1.0, "s")
    } else if max_s <= 36_000.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    }
}

/// Shaded bands, each labelled at its top (a label that would overlap the previous one is left to the tooltip).
fn bands(out: &mut String, frame: Frame, bands: &[Band]) {
    let mut label_end = f64::MIN;
    for band in bands {
        let (x0, x1) = (frame.px(band.start_s), frame.px(band.end_s.max(band.start_s)));
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{BAND_FILL}\" fill-opacity=\"0.35\"><title>{}</title></rect>",
            c(x0),
            c(TOP),
            c((x1 - x0).max(2.0)),
            c(HEIGHT - TOP - BOTTOM),
            escape(&band.label)
        );
        let short = band.label.split(' ').next().unwrap_or_default();
        if x0 + 2.0 >= label_end {
            let _ = write!(out, "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#8a5a00\">{}</text>", c(x0 + 2.0), c(TOP + 11.0), escape(short));
            label_end = x0 + 4.0 + short.chars().count() as f64 * 6.0;
        }
    }
}

/// The dashed reference line with its label at the right end.
fn reference(out: &mut String, frame: Frame, value: f64) {
    let y = c(frame.py(value));
    let _ = write!(
        out,
        "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"{REFERENCE}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>",
        c(LEFT),
        c(WIDTH - RIGHT)
    );
}

/// The area under `points` (in pixels) down to the x axis.
fn area(out: &mut String, points: &[(f64, f64)], colour: &str) {
    let (Some(first), Some(last)) = (points.first(), points.last()) else { return };
    let mut d = format!("M{} {}", c(first.0), c(HEIGHT - BOTTOM));
    for &(x, y) in points {
        let _ = write!(d, " L{} {}", c(x), c(y));
    }
    let _ = write!(d, " L{} {} Z", c(last.0), c(HEIGHT - BOTTOM));
    let _ = write!(out, "<path d=\"{d}\" fill=\"{colour}\" fill-opacity=\"0.18\" stroke=\"none\"/>");
}

/// The x axis of simulated time: ticks in s, min or h, and its label.
fn time_axis(out: &mut String, frame: Frame) {
    let (per_unit, unit) = x_time_unit(frame.x_max);
    let x_ticks = ticks(frame.x_max / per_unit, 8.0);
    let x_step = x_ticks.get(1).copied().unwrap_or(1.0);
    for t in x_ticks.iter().take_while(|&&t| t * per_unit <= frame.x_max + 1e-9) {
        x_tick(out, frame.px(t * per_unit), &format!("{t:.*}", decimals(x_step)));
    }
    axes(out, &format!("simulated time ({unit})"));
}

/// A time chart's legend: its series, the reference line, the fault shading.
fn time_legend(out: &mut String, chart: &TimeChart) {
    let mut entries: Vec<(Swatch, String)> =
        chart.series.iter().enumerate().map(|(i, s)| (Swatch::Line(PALETTE[i % PALETTE.len()]), s.name.clone())).collect();
    if let Some((_, label)) = chart.reference {
        entries.push((Swatch::Dashed(REFERENCE), label.to_string()));
    }
    if !chart.bands.is_empty() {
        entries.push((Swatch::Area(BAND_FILL), "fault".to_string()));
    }
    legend(out, &entries);
}

/// A line chart of `chart.series` over simulated time, with fault bands.
pub fn time_series(chart: &TimeChart) -> String {
    let data_max = chart.series.iter().flat_map(|s| s.points.iter().map(|&(_, y)| y)).fold(0.0, f64::max);
    let top = chart.y_max.unwrap_or_else(|| data_max.max(chart.reference.map_or(0.0, |(v, _)| v)));
    let y_ticks = ticks(top, 5.0);
    let frame = Frame::linear(chart.x_max_s.max(1.0), *y_ticks.last().unwrap_or(&1.0));
    let step = y_ticks.get(1).copied().unwrap_or(1.0);
    let percent = chart.percent;
    let mut out = String::new();
    open(&mut out, chart.title);
    bands(&mut out, frame, chart.bands);
    let y_format = move |v: f64| if percent { format!("{:.0}%", v * 100.0) } else { format!("{v:.*}", decimals(step)) };
    y_axis(&mut out, frame, &y_ticks, chart.y_label, &y_format);
    time_axis(&mut out, frame);
    if let Some((value, _)) = chart.reference {
        reference(&mut out, frame, value);
    }
    for (i, s) in chart.series.iter().enumerate() {
        let pixels: Vec<(f64, f64)> = s.points.iter().map(|&(x, y)| (frame.px(x), frame.py(y))).collect();
        if chart.fill && i == 0 {
            area(&mut out, &pixels, PALETTE[0]);
        }
        polyline(&mut out, &pixels, PALETTE[i % PALETTE.len()]);
    }
    if chart.series.iter().all(|s| s.points.is_empty()) {
        no_data(&mut out);
    }
    time_legend(&mut out, chart);
    out.push_str("</svg>");
    out
}

/// Availability: the share of stores shown fresh over time, 0 to 100 %, filled, with fault bands.
pub fn availability(title: &str, x_max_s: f64, share: &[(f64, f64)], fault_bands: &[Band]) -> String {
    let series = [Series { name: "stores shown online".to_string(), points: share.to_vec() }];
    time_series(&TimeChart {
        title,
        y_label: "share of stores shown",
        x_max_s,
        series: &series,
        bands: fault_bands,
        reference: None,
        y_max: Some(1.0),
        percent: true,
        fill: true,
    })
}

/// At most `buckets` points: `points` (sorted by x) grouped into equal x
/// intervals over [0, x_max], each interval's y values combined by `combine`
/// (max keeps spikes, min keeps dips) and placed at the interval's last x.
pub fn bucketed(points: &[(f64, f64)], x_max: f64, buckets: usize, combine: fn(f64, f64) -> f64) -> Vec<(f64, f64)> {
    if points.len() <= buckets || buckets == 0 {
        return points.to_vec();
    }
    let width = x_max.max(f64::MIN_POSITIVE) / buckets as f64;
    let mut out: Vec<(usize, f64, f64)> = Vec::new();
    for &(x, y) in points {
        let bucket = ((x / width) as usize).min(buckets - 1);
        match out.last_mut() {
            Some((b, last_x, value)) if *b == bucket => {
                *last_x = x;
                *value = combine(*value, y);
            }
            _ => out.push((bucket, x, y)),
        }
    }
    out.into_iter().map(|(_, x, y)| (x, y)).collect()
}

/// A metric charted against the values of a varied parameter: one line per
/// series, x the values in the order given (evenly spaced, labelled as
/// written), y linear from 0, each point marked.
pub fn against_values(title: &str, x_label: &str, y_label: &str, values: &[String], series: &[Series]) -> String {
    let data_max = series.iter().flat_map(|s| s.points.iter().map(|&(_, y)| y)).fold(0.0, f64::max);
    let y_ticks = ticks(data_max, 5.0);
    let slots = values.len().max(2) as f64 - 1.0;
    let frame = Frame::linear(slots + 0.5, *y_ticks.last().unwrap_or(&1.0));
    let step = y_ticks.get(1).copied().unwrap_or(1.0);
    let mut out = String::new();
    open(&mut out, title);
    y_axis(&mut out, frame, &y_ticks, y_label, &|v| format!("{v:.*}", decimals(step)));
    for (i, value) in values.iter().enumerate() {
        x_tick(&mut out, frame.px(i as f64 + 0.25), value);
    }
    axes(&mut out, x_label);
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let pixels: Vec<(f64, f64)> = s.points.iter().map(|&(x, y)| (frame.px(x + 0.25), frame.py(y))).collect();
        polyline(&mut out, &pixels, colour);
        for &(x, y) in &pixels {
            let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{colour}\"/>", c(x), c(y));
        }
    }
    if series.iter().all(|s| s.points.is_empty()) {
        no_data(&mut out);
    }
    let entries: Vec<(Swatch, String)> = series.iter().enumerate().map(|(i, s)| (Swatch::Line(PALETTE[i % PALETTE.len()]), s.name.clone())).collect();
    legend(&mut out, &entries);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_axis_ticks_read_as_percentiles() {
        // Goal: the x axis says 0%, 90%, 99%, 99.9%, 99.99%. Method: label the first five decades.
        let labels: Vec<String> = (0..5).map(percentile_label).collect();
        assert_eq!(labels, ["0%", "90%", "99%", "99.9%", "99.99%"]);
    }

    #[test]
    fn ticks_are_round_and_reach_the_data() {
        // Goal: readable axes. Method: a few maxima and their ticks.
        assert_eq!(ticks(143.0, 5.0), [0.0, 50.0, 100.0, 150.0]);
        assert_eq!(ticks(0.8, 5.0), [0.0, 0.2, 0.4, 0.6000000000000001, 0.8]);
        assert_eq!(ticks(0.0, 5.0), [0.0, 0.2]);
        assert_eq!(decimals(0.2), 1);
        assert_eq!(decimals(50.0), 0);
    }

    #[test]
    fn charts_are_deterministic_escaped_and_shade_faults() {
        // Goal: same input, same bytes; text is escaped; faults are shaded.
        // Method: draw a time series with a band twice and inspect it.
        let series = [Series { name: "a <b> & c".into(), points: vec![(0.0, 1.0), (600.0, 3.0), (1200.0, 2.0)] }];
        let bands = [Band { start_s: 300.0, end_s: 360.0, label: "#0 crash consumer-0".into() }];
        let chart = TimeChart {
            title: "t",
            y_label: "y",
            x_max_s: 1200.0,
            series: &series,
            bands: &bands,
            reference: Some((4.0, "bound")),
            y_max: None,
            percent: false,
            fill: false,
        };
        let svg = time_series(&chart);
        assert_eq!(svg, time_series(&chart));
        assert!(svg.contains("a &lt;b&gt; &amp; c") && !svg.contains("<b>"));
        assert!(svg.contains("<title>#0 crash consumer-0</title></rect>"));
        assert!(svg.contains("simulated time (min)"));
        assert!(svg.contains("stroke-dasharray=\"5 3\""), "the bound");
    }

    #[test]
    fn percentile_plot_goes_log_when_the_tail_dwarfs_the_median() {
        // Goal: a heavy tail does not flatten the body. Method: a median of
        // 30 ms and a tail of 40 s switches y to log; a tail of 60 ms does not.
        let line = |tail: f64| Series { name: "p".into(), points: vec![(0.0, 10.0), (0.5, 30.0), (0.99, 40.0), (0.999, tail), (1.0, tail)] };
        assert!(percentile_plot("t", "time", &[line(40_000.0)]).contains("time (log scale)"));
        assert!(percentile_plot("t", "time", &[line(60.0)]).contains("time (ms)"));
    }

    #[test]
    fn bucketing_keeps_the_extremes() {
        // Goal: downsampling never hides a spike or a dip. Method: 10 points into 2 buckets, max and min.
        let points: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), if i == 3 { 9.0 } else { 1.0 })).collect();
        assert_eq!(bucketed(&points, 10.0, 2, f64::max), [(4.0, 9.0), (9.0, 1.0)]);
        assert_eq!(bucketed(&points, 10.0, 2, f64::min), [(4.0, 1.0), (9.0, 1.0)]);
    }
}
