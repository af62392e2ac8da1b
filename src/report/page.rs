//! The report page: one HTML file with its style and its charts inline, so that it opens from
//! disk, mailed or copied, with no network.
//!
//! Each chart sits in a `<figure id="...">` (`spread`, `ratio`, `theta`, `latency`, `changes`)
//! and draws one line per series over the epochs; the adopters' table lists the current
//! recommendations by adopter.

use std::collections::BTreeMap;
use std::fmt::Write;

use plotters::style::RGBColor;

use super::history::History;
use super::plots::{Band, Chart, Series, svg};
use crate::model::Node;

/// At most this many adopters are listed; the rest are in `recommendations.tsv`.
pub const MAX_ADOPTERS: usize = 1000;

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const RED: RGBColor = RGBColor(214, 39, 40);
const PURPLE: RGBColor = RGBColor(148, 103, 189);
const BROWN: RGBColor = RGBColor(140, 86, 75);

/// What the page shows besides the history.
pub struct Page<'a> {
    /// The output directory, for the heading.
    pub title: &'a str,
    /// ε of the run, for the 1/2 − ε line.
    pub epsilon: f64,
    /// The current recommendations (adopter, friend, gain).
    pub current: &'a [(Node, Node, f64)],
    /// Reload the page every this many seconds (a run in progress), or never.
    pub reload: Option<u32>,
}

/// The page for `history`.
pub fn render(history: &History, page: &Page<'_>) -> String {
    let mut html = String::with_capacity(64 * 1024);
    let title = escape(page.title);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    if let Some(s) = page.reload {
        let _ = writeln!(html, "<meta http-equiv=\"refresh\" content=\"{s}\">");
    }
    let _ = writeln!(
        html,
        "<title>cimflow report: {title}</title>\n<style>{STYLE}</style>"
    );
    let _ = writeln!(html, "</head>\n<body>\n<h1>cimflow: {title}</h1>");
    overview(&mut html, history, page);
    for (id, chart) in charts(history, page.epsilon) {
        let _ = write!(html, "<figure id=\"{id}\">");
        match svg(&chart) {
            Ok(svg) => html.push_str(strip_xml_declaration(&svg)),
            Err(e) => {
                let _ = write!(html, "<p>{}: cannot draw: {}</p>", chart.title, escape(&e));
            }
        }
        html.push_str("</figure>\n");
    }
    table(&mut html, page.current);
    html.push_str("</body>\n</html>\n");
    html
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:880px}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}figure{margin:0.6em 0}\
table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:2px 8px;\
text-align:left;vertical-align:top}td.n{text-align:right}.facts td{border:none;padding:1px 12px 1px 0}.facts td:first-child{white-space:nowrap}\
.warn{color:#a40}";

fn overview(html: &mut String, h: &History, page: &Page<'_>) {
    let Some(last) = h.points.last() else {
        html.push_str("<p>No epoch summarized yet.</p>\n");
        return;
    };
    let first = &h.points[0];
    let events: u64 = h.points.iter().map(|p| p.events).sum();
    let certified = h.points.iter().filter(|p| p.certified).count();
    html.push_str("<table class=\"facts\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(html, "<tr><td>{k}</td><td>{v}</td></tr>");
    };
    row(
        "epochs",
        format!(
            "{} to {} ({} summarized, {certified} certified)",
            first.epoch,
            last.epoch,
            h.points.len()
        ),
    );
    row("events applied", events.to_string());
    let times: Vec<f64> = h.points.iter().filter_map(|p| p.time).collect();
    if let (Some(t0), Some(t1)) = (times.first(), times.last()) {
        row(
            "event time",
            format!("{t0} to {t1} ({:.1} days)", (t1 - t0) / 86_400.0),
        );
    }
    row(
        "last epoch",
        format!(
            "spread {:.1} in [{:.1}, {:.1}], ratio {:.3} ({}), θ {}, {} recommendations, \
             {} adopters, {} nodes",
            last.spread,
            last.lower,
            last.upper,
            last.ratio,
            if last.certified {
                format!("certified ≥ 1/2 − ε = {:.2}", 0.5 - page.epsilon)
            } else {
                "not certified".into()
            },
            last.theta,
            last.selected,
            last.adopters,
            last.nodes,
        ),
    );
    html.push_str("</table>\n");
    if h.unreadable > 0 {
        let _ = writeln!(
            html,
            "<p class=\"warn\">{} line{} of the change log could not be read (a torn or cut \
             log) and {} skipped.</p>",
            h.unreadable,
            if h.unreadable == 1 { "" } else { "s" },
            if h.unreadable == 1 { "was" } else { "were" },
        );
    }
    if h.dropped > 0 {
        let _ = writeln!(
            html,
            "<p>The first {} epochs are left out to keep the page small; changes.jsonl has \
             them.</p>",
            h.dropped
        );
    }
    if h.earlier_runs > 0 {
        let _ = writeln!(
            html,
            "<p>The change log holds {} earlier run{}; this page shows the last.</p>",
            h.earlier_runs,
            if h.earlier_runs == 1 { "" } else { "s" }
        );
    }
}

/// The charts, by their figure's id.
fn charts(h: &History, epsilon: f64) -> Vec<(&'static str, Chart)> {
    let over = |f: &dyn Fn(&super::history::Point) -> f64| -> Vec<(f64, f64)> {
        h.points.iter().map(|p| (p.epoch as f64, f(p))).collect()
    };
    let line = |name, color, points| Series {
        name,
        color,
        points,
    };
    let chart = |title: &str, y_label, series| Chart {
        title: title.into(),
        x_label: "epoch",
        y_label,
        series,
        band: None,
        rule: None,
    };
    vec![
        (
            "spread",
            Chart {
                band: Some(Band {
                    lower: over(&|p| p.lower),
                    upper: over(&|p| p.upper),
                    color: BLUE,
                }),
                ..chart(
                    "Spread of the selection, with [lower, upper]",
                    "users",
                    vec![
                        line("spread", BLUE, over(&|p| p.spread)),
                        line("lower σ_l", GREEN, over(&|p| p.lower)),
                        line("upper σ_u", RED, over(&|p| p.upper)),
                    ],
                )
            },
        ),
        (
            "ratio",
            Chart {
                rule: Some((0.5 - epsilon, "1/2 − ε")),
                ..chart(
                    "Certified ratio σ_l / σ_u",
                    "ratio",
                    vec![line("ratio", PURPLE, over(&|p| p.ratio))],
                )
            },
        ),
        (
            "theta",
            chart(
                "RR samples",
                "samples",
                vec![
                    line("θ = |R1|", BLUE, over(&|p| p.theta as f64)),
                    line("|R2|", ORANGE, over(&|p| p.theta2 as f64)),
                ],
            ),
        ),
        (
            "latency",
            chart(
                "Epoch latency",
                "ms",
                vec![line("latency", BROWN, over(&|p| p.latency_ms))],
            ),
        ),
        (
            "changes",
            chart(
                "Recommendations added and removed",
                "per epoch",
                vec![
                    line("added", GREEN, over(&|p| p.added as f64)),
                    line("removed", RED, over(&|p| p.removed as f64)),
                ],
            ),
        ),
    ]
}

fn table(html: &mut String, current: &[(Node, Node, f64)]) {
    let mut by_adopter: BTreeMap<Node, Vec<(Node, f64)>> = BTreeMap::new();
    for &(a, f, g) in current {
        by_adopter.entry(a).or_default().push((f, g));
    }
    let _ = writeln!(
        html,
        "<h2 id=\"adopters\">Adopters and their recommended friends ({} adopters, {} \
         recommendations)</h2>",
        by_adopter.len(),
        current.len()
    );
    if by_adopter.is_empty() {
        html.push_str("<p>No recommendation is held.</p>\n");
        return;
    }
    html.push_str(
        "<table>\n<tr><th>adopter</th><th>friends (gain, in users)</th><th>total gain</th></tr>\n",
    );
    for (a, friends) in by_adopter.iter().take(MAX_ADOPTERS) {
        let list: Vec<String> = friends
            .iter()
            .map(|(f, g)| format!("{f} ({g:.2})"))
            .collect();
        let total: f64 = friends.iter().map(|(_, g)| g).sum();
        let _ = writeln!(
            html,
            "<tr><td class=\"n\">{a}</td><td>{}</td><td class=\"n\">{total:.2}</td></tr>",
            list.join(", ")
        );
    }
    html.push_str("</table>\n");
    if by_adopter.len() > MAX_ADOPTERS {
        let _ = writeln!(
            html,
            "<p>{} more adopters are in recommendations.tsv.</p>",
            by_adopter.len() - MAX_ADOPTERS
        );
    }
}

/// An SVG document inlined in HTML needs no XML declaration.
fn strip_xml_declaration(svg: &str) -> &str {
    match svg.strip_prefix("<?xml") {
        Some(rest) => rest.find("?>").map_or(svg, |i| rest[i + 2..].trim_start()),
        None => svg,
    }
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
