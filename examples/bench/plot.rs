//! SVG plots of cimflow's spread against the number of RR samples, one per graph: every
//! (adopters, k) instance as a line, its spread relative to the one with the most samples
//! measured, and the default floor marked.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::floor::rate;
use crate::quality::{Sweep, default_floor};

/// Writes `<dir>/spread-vs-samples-<graph>.svg` for every graph of `sweeps`; returns the paths.
pub fn write_all(dir: &Path, sweeps: &[Sweep]) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut graphs: Vec<&str> = sweeps.iter().map(|s| s.combo.graph).collect();
    graphs.dedup();
    let mut paths = Vec::new();
    for g in graphs {
        let mine: Vec<&Sweep> = sweeps.iter().filter(|s| s.combo.graph == g).collect();
        let path = dir.join(format!("spread-vs-samples-{g}.svg"));
        one(&path, g, &mine).map_err(|e| anyhow::anyhow!("plotting {g}: {e}"))?;
        paths.push(path);
    }
    Ok(paths)
}

fn one(path: &Path, graph: &str, sweeps: &[&Sweep]) -> Result<(), Box<dyn std::error::Error>> {
    // y: spread relative to the instance's point with the most samples, in percent.
    let series: Vec<(String, Vec<(f64, f64)>)> = sweeps
        .iter()
        .map(|s| {
            let last = s.points.last().expect("a sweep has points").spread.mean;
            let pts = s
                .points
                .iter()
                .map(|p| (p.floor as f64, (p.spread.mean / last - 1.0) * 100.0))
                .collect();
            (
                format!("{} adopters, k = {}", s.combo.adopters, s.combo.k),
                pts,
            )
        })
        .collect();
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let y0 = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0f64, f64::min)
        .max(-10.0)
        - 0.5;

    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{graph}: spread against RR samples (wc, ε = 0.1)"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0 - 0.2..x1 + 0.2, y0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("RR samples per node and half (the floor, log scale)")
        .y_desc("spread vs the most samples measured (%)")
        .x_labels((x1 - x0) as usize + 1)
        .x_label_formatter(&|x| rate(x.round() as i32))
        .draw()?;
    let floor = default_floor() as f64;
    chart
        .draw_series(LineSeries::new(
            [(floor, y0), (floor, 1.0)],
            BLACK.stroke_width(2),
        ))?
        .label(format!(
            "default floor ({} per node)",
            rate(default_floor())
        ))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(1)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
