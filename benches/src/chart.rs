//! The ratio chart of `BENCHMARKS.md` (`benches/results/ratios.svg`), drawn with `plotters`'
//! SVG backend.
//!
//! Design: one horizontal bar per results row, in table order from the top, labelled with the
//! workload id (`name/flavour`). The x axis is the time ratio blitz-io / Tokio on a log scale,
//! so 0.5 (twice as fast) and 2.0 (twice as slow) lie at the same distance from 1.0; every bar
//! starts at 1.0 and ends at the row's ratio (green: blitz-io faster, red: slower), with the
//! ratio written at its end. Dashed vertical lines mark 1.0 (parity) and 0.7 (the target of
//! the foundation issue). Rows without a ratio (a failed self-check) keep their label and
//! carry the text `FAILED` instead of a bar.
//!
//! The SVG backend emits `<text>` elements and estimates text extents without a font file
//! (plotters is built without its `ttf` feature), so drawing needs no system fonts.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::report::Comparison;

/// Chart width in pixels.
const WIDTH: u32 = 960;
/// Height per bar and fixed height of caption and axis.
const ROW_HEIGHT: u32 = 30;
const FRAME_HEIGHT: u32 = 130;
/// The target ratio line.
pub const TARGET_RATIO: f64 = 0.7;

/// The SVG text of the ratio chart for `rows`.
///
/// # Errors
/// When plotters fails to draw (it cannot, writing into a string, except for a bug).
pub fn ratio_svg(rows: &[Comparison]) -> Result<String, String> {
    let bars: Vec<(String, Option<f64>)> = rows
        .iter()
        .map(|r| {
            let ratio = r
                .ratio()
                .filter(|x| r.passed() && x.is_finite() && *x > 0.0);
            (r.workload.id(), ratio)
        })
        .collect();
    let n = bars.len().max(1);
    // x range: at least 0.4..2.5, widened to every ratio with some room for the value label.
    let (lo, hi) = bars
        .iter()
        .filter_map(|(_, r)| *r)
        .fold((0.4f64, 2.5f64), |(lo, hi), r| {
            (lo.min(r / 1.4), hi.max(r * 1.4))
        });
    // Integer ranges are inclusive for segmenting: `0..=last` makes exactly `n` bar slots.
    let last = n as i32 - 1;
    let ticks: Vec<f64> = [
        0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 10.0,
    ]
    .into_iter()
    .filter(|t| (lo..=hi).contains(t))
    .collect();
    let height = FRAME_HEIGHT + ROW_HEIGHT * n as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Time ratio blitz-io / Tokio per workload (below 1: blitz-io faster)",
                ("sans-serif", 24),
            )
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(260)
            .build_cartesian_2d(
                (lo..hi).log_scale().with_key_points(ticks),
                (0..last).into_segmented(),
            )
            .map_err(|e| e.to_string())?;
        // Row i (table order) is drawn at segment n-1-i so the first row is at the top.
        let slot = |i: usize| (n - 1 - i) as i32;
        let labels = bars.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
        let y_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(s) if (0..=last).contains(s) => {
                labels[n - 1 - *s as usize].clone()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&y_label)
            .x_label_formatter(&|x| format!("{x}"))
            .x_desc("blitz-io median time / Tokio median time (log scale)")
            .label_style(("sans-serif", 17))
            .axis_desc_style(("sans-serif", 17))
            .draw()
            .map_err(|e| e.to_string())?;

        let faster = RGBColor(46, 139, 87);
        let slower = RGBColor(205, 92, 92);
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, (_, r))| {
                let r = (*r)?;
                let colour = if r < 1.0 { faster } else { slower };
                let mut bar = Rectangle::new(
                    [
                        (1.0, SegmentValue::Exact(slot(i))),
                        (r, SegmentValue::Exact(slot(i) + 1)),
                    ],
                    colour.filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                Some(bar)
            }))
            .map_err(|e| e.to_string())?;
        // The value sits just beyond the bar's end, on the side away from 1.0.
        let value_font = ("sans-serif", 16).into_font();
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, r))| {
                let (text, x) = match r {
                    Some(r) if *r < 1.0 => (format!("{r:.2} "), *r / 1.02),
                    Some(r) => (format!(" {r:.2}"), *r * 1.02),
                    None => ("FAILED".to_owned(), 1.02),
                };
                let anchor = if r.is_some_and(|r| r < 1.0) {
                    plotters::style::text_anchor::HPos::Right
                } else {
                    plotters::style::text_anchor::HPos::Left
                };
                let style =
                    value_font
                        .clone()
                        .color(&BLACK)
                        .pos(plotters::style::text_anchor::Pos::new(
                            anchor,
                            plotters::style::text_anchor::VPos::Center,
                        ));
                Text::new(text, (x, SegmentValue::CenterOf(slot(i))), style)
            }))
            .map_err(|e| e.to_string())?;
        for (x, label, colour) in [
            (1.0, "1.0 parity", BLACK),
            (TARGET_RATIO, "0.7 target", RGBColor(30, 80, 200)),
        ] {
            let style = ShapeStyle::from(&colour).stroke_width(2);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, SegmentValue::Exact(0)), (x, SegmentValue::Last)],
                    style,
                )))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.to_owned(),
                    (x * 1.01, SegmentValue::Last),
                    ("sans-serif", 16).into_font().color(&colour),
                )))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ratio_svg;
    use crate::measure::Usage;
    use crate::report::{Comparison, Round, SideResult};

    fn side(wall_ms: u64) -> SideResult {
        SideResult {
            rounds: vec![Round {
                iters: 1,
                wall: Duration::from_millis(wall_ms),
                usage: Usage::default(),
                parks: None,
                sleeps: None,
            }],
            allocs: None,
            failure: None,
        }
    }

    #[test]
    fn svg_has_labels_bars_and_reference_lines() {
        let workloads = crate::all();
        let mut rows: Vec<Comparison> = workloads
            .iter()
            .take(3)
            .zip([(5, 10), (12, 10), (7, 10)])
            .map(|(w, (b, t))| Comparison {
                workload: w.clone(),
                iters_per_round: 1,
                blitz: side(b),
                tokio: side(t),
                foreign_load: None,
            })
            .collect();
        rows[2].blitz.failure = Some("boom".to_owned());
        let svg = ratio_svg(&rows).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
        for row in &rows {
            assert!(
                svg.contains(&row.workload.id()),
                "missing {}",
                row.workload.id()
            );
        }
        for text in [
            "0.50",
            "1.20",
            "FAILED",
            "0.7 target",
            "1.0 parity",
            "log scale",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert!(svg.matches("<rect").count() >= 3, "no bars");
    }
}
