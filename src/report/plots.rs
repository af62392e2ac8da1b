//! The report's line charts, drawn with plotters' SVG backend into strings that the page inlines.
//!
//! A chart is lines over the epochs, optionally a shaded band between two series and a
//! horizontal reference line. Points that are not finite (a ratio of `null`) are left out. A long
//! run is thinned before drawing, keeping each bucket's lowest and highest point, so that the page
//! stays small and quick to draw however many epochs there are while a spike stays visible.

use plotters::prelude::*;

/// The size of a chart, in pixels.
const SIZE: (u32, u32) = (820, 300);

/// At most this many points per series are drawn; more are thinned.
pub const MAX_POINTS: usize = 2000;

/// One line.
pub struct Series {
    /// Its name in the legend.
    pub name: &'static str,
    /// Its colour.
    pub color: RGBColor,
    /// (x, y), in x order.
    pub points: Vec<(f64, f64)>,
}

/// A shaded area between two lines.
pub struct Band {
    /// The lower edge, in x order.
    pub lower: Vec<(f64, f64)>,
    /// The upper edge, in x order.
    pub upper: Vec<(f64, f64)>,
    /// The colour, drawn faint.
    pub color: RGBColor,
}

/// One chart.
pub struct Chart {
    /// The caption.
    pub title: String,
    /// What the x axis counts.
    pub x_label: &'static str,
    /// What the y axis measures.
    pub y_label: &'static str,
    /// The lines, drawn in this order.
    pub series: Vec<Series>,
    /// A band shaded under the lines.
    pub band: Option<Band>,
    /// A horizontal line at this height, with its legend name.
    pub rule: Option<(f64, &'static str)>,
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String, String> {
    let series: Vec<Series> = chart
        .series
        .iter()
        .map(|s| Series {
            name: s.name,
            color: s.color,
            points: thin(&finite(&s.points), MAX_POINTS),
        })
        .collect();
    let band = chart.band.as_ref().map(|b| Band {
        lower: thin(&finite(&b.lower), MAX_POINTS),
        upper: thin(&finite(&b.upper), MAX_POINTS),
        color: b.color,
    });
    let all = series
        .iter()
        .flat_map(|s| &s.points)
        .chain(band.iter().flat_map(|b| b.lower.iter().chain(&b.upper)));
    let (mut x, mut y) = (Span::default(), Span::default());
    for &(px, py) in all {
        x.take(px);
        y.take(py);
    }
    if let Some((r, _)) = chart.rule {
        y.take(r);
    }
    let (x0, x1) = x.range(0.0);
    let (y0, y1) = y.range(0.05);
    // Room above the lines for the legend.
    let y1 = y1 + (y1 - y0) * 0.2;
    let mut text = String::new();
    draw(&mut text, chart, &series, band.as_ref(), (x0..x1, y0..y1)).map_err(|e| e.to_string())?;
    Ok(text)
}

type Ranges = (std::ops::Range<f64>, std::ops::Range<f64>);

fn draw(
    text: &mut String,
    chart: &Chart,
    series: &[Series],
    band: Option<&Band>,
    (xs, ys): Ranges,
) -> Result<(), Box<dyn std::error::Error>> {
    let (x0, x1) = (xs.start, xs.end);
    let root = SVGBackend::with_string(text, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut c = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(38)
        .y_label_area_size(70)
        .build_cartesian_2d(xs, ys)?;
    c.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .max_light_lines(1)
        .light_line_style(RGBColor(240, 240, 240))
        .label_style(("sans-serif", 12))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| short(*y))
        .draw()?;
    if let Some(b) = band
        && !b.lower.is_empty()
    {
        let outline: Vec<(f64, f64)> = b
            .upper
            .iter()
            .chain(b.lower.iter().rev())
            .copied()
            .collect();
        let color = b.color;
        c.draw_series(std::iter::once(Polygon::new(
            outline,
            color.mix(0.25).filled(),
        )))?;
    }
    for s in series {
        let color = s.color;
        c.draw_series(LineSeries::new(
            s.points.iter().copied(),
            color.stroke_width(2),
        ))?
        .label(s.name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    if let Some((r, name)) = chart.rule {
        let gray = RGBColor(120, 120, 120);
        c.draw_series(DashedLineSeries::new(
            [(x0, r), (x1, r)],
            6,
            4,
            gray.stroke_width(1),
        ))?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], gray.stroke_width(1)));
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", 12))
        .draw()?;
    root.present()?;
    Ok(())
}

/// A tick label: no more digits than the axis needs.
fn short(y: f64) -> String {
    let a = y.abs();
    if a == 0.0 || (1e-2..1e6).contains(&a) {
        let s = format!("{y:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{y:.1e}")
    }
}

/// The least and greatest of some values.
#[derive(Default)]
struct Span(Option<(f64, f64)>);

impl Span {
    fn take(&mut self, v: f64) {
        self.0 = Some(self.0.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
    }

    /// The span widened by `pad` of its width on each side; a single value gets ±1 (or ±0.5
    /// when `pad` is 0, for the epochs), nothing gets [0, 1].
    fn range(&self, pad: f64) -> (f64, f64) {
        match self.0 {
            None => (0.0, 1.0),
            Some((lo, hi)) if hi - lo <= f64::EPSILON * hi.abs().max(1.0) => {
                let d = if pad == 0.0 {
                    0.5
                } else {
                    lo.abs().max(1.0) * 0.1
                };
                (lo - d, hi + d)
            }
            Some((lo, hi)) => {
                let d = (hi - lo) * pad;
                (lo - d, hi + d)
            }
        }
    }
}

fn finite(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// At most about `max` of `points`: when there are more, each of `max / 2` buckets of
/// consecutive points keeps its lowest and its highest, in their order.
pub fn thin(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points.to_vec();
    }
    let per = points.len().div_ceil((max / 2).max(1));
    let mut out = Vec::with_capacity(max + 2);
    for bucket in points.chunks(per) {
        let lo = (0..bucket.len())
            .min_by(|&a, &b| bucket[a].1.total_cmp(&bucket[b].1))
            .expect("chunks are not empty");
        let hi = (0..bucket.len())
            .max_by(|&a, &b| bucket[a].1.total_cmp(&bucket[b].1))
            .expect("chunks are not empty");
        out.push(bucket[lo.min(hi)]);
        if lo != hi {
            out.push(bucket[lo.max(hi)]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_the_extremes_and_bounds_the_count() {
        let points: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, if i == 4321 { 1e6 } else { (i % 7) as f64 }))
            .collect();
        let thinned = thin(&points, 500);
        assert!(thinned.len() <= 500, "{} points", thinned.len());
        assert!(thinned.contains(&(4321.0, 1e6)));
        assert!(thinned.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(thin(&points[..400], 500), points[..400].to_vec());
    }

    #[test]
    fn draws_every_point_of_a_short_series() {
        let points: Vec<(f64, f64)> = (0..30).map(|i| (i as f64, (i * i) as f64)).collect();
        let chart = Chart {
            title: "t".into(),
            x_label: "epoch",
            y_label: "y",
            series: vec![Series {
                name: "s",
                color: RGBColor(1, 2, 3),
                points,
            }],
            band: None,
            rule: Some((0.4, "rule")),
        };
        let svg = svg(&chart).unwrap();
        let line = svg
            .lines()
            .find(|l| l.contains("<polyline") && l.contains("#010203"))
            .expect("the series' line");
        let points = line.split("points=\"").nth(1).unwrap();
        assert_eq!(
            points
                .split_whitespace()
                .filter(|p| p.contains(','))
                .count(),
            30
        );
    }
}
