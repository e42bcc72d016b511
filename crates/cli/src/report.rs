//! `chaff eval --report FILE`: an evaluation as one self-contained HTML page.
//!
//! The plots are SVG drawn by plotters and written into the page; the one script is the
//! page's own (sorting the outlet table), so the page loads nothing from anywhere. The
//! worst pages link to their overlays (`classify --format html --overlay`), written into a
//! folder beside the report, when one model scored them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chaff_extract::write::label_colour;
use chaff_extract::Label;
use chaff_learn::eval::{Calibration, EvalReport, SixClass};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Pages the report lists as the worst, when `--errors` asks for fewer.
pub const WORST_PAGES: usize = 10;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draw on an SVG canvas of `size` pixels; the SVG's text.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area) -> anyhow::Result<()>) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, size).into_drawing_area();
        area.fill(&WHITE)?;
        draw(&area).context("cannot draw a plot")?;
        area.present()?;
    }
    Ok(out)
}

/// An `#rrggbb` colour as plotters' RGB.
fn rgb(hex: &str) -> RGBColor {
    let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(128);
    RGBColor(c(1), c(3), c(5))
}

/// The confusion over words as a heat map: rows gold, columns predicted, each row's cells
/// as shares of the row's words.
fn confusion_map(s: &SixClass) -> anyhow::Result<String> {
    svg((560, 460), |area| {
        // segment i is label i across, label 5 - i down (gold rows from the top)
        let name = |i: i32| {
            Label::ALL
                .get(i as usize)
                .map(|l| l.as_str().to_string())
                .unwrap_or_default()
        };
        let across = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => name(*i),
            _ => String::new(),
        };
        let down = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => name(5 - *i),
            _ => String::new(),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(
                "Confusion over words (row: gold, column: predicted)",
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(80)
            // 0..5 makes six segments, one a label
            .build_cartesian_2d((0..5).into_segmented(), (0..5).into_segmented())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&across)
            .y_label_formatter(&down)
            .draw()?;
        for (g, gold) in Label::ALL.iter().enumerate() {
            let row = s.confusion_words[gold.index()];
            let total = row.iter().sum::<u64>().max(1) as f64;
            let y = 5 - g as i32;
            for (p, predicted) in Label::ALL.iter().enumerate() {
                let share = row[predicted.index()] as f64 / total;
                let shade = (255.0 * (1.0 - share)) as u8;
                let x = p as i32;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [
                        (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                    ],
                    RGBColor(shade, shade, 255).filled(),
                )))?;
                let colour = if share > 0.5 { &WHITE } else { &BLACK };
                chart.draw_series(std::iter::once(Text::new(
                    format!("{:.0}%", 100.0 * share),
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    ("sans-serif", 13)
                        .into_font()
                        .color(colour)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
            }
        }
        Ok(())
    })
}

/// Precision, recall and F1 over words per label, as grouped bars in the labels' colours.
fn label_bars(s: &SixClass) -> anyhow::Result<String> {
    svg((640, 360), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(
                "Precision, recall, F1 over words (light to dark)",
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..6f64, 0f64..1f64)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            // ticks every half: the labels' names at the middles
            .x_labels(13)
            .x_label_formatter(&|v| {
                if (v - v.floor() - 0.5).abs() < 1e-6 {
                    Label::ALL
                        .get(v.floor() as usize)
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("score")
            .draw()?;
        for (i, label) in Label::ALL.iter().enumerate() {
            let w = s.words[label];
            let base = rgb(label_colour(*label));
            for (k, (value, opacity)) in [(w.precision, 0.35), (w.recall, 0.65), (w.f1, 1.0)]
                .into_iter()
                .enumerate()
            {
                let x0 = i as f64 + 0.12 + 0.26 * k as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x0 + 0.24, value)],
                    base.mix(opacity).filled(),
                )))?;
            }
        }
        Ok(())
    })
}

/// Accuracy against confidence per bin, with the diagonal a calibrated model follows.
fn reliability(c: &Calibration) -> anyhow::Result<String> {
    svg((420, 400), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("Reliability (calibration error {:.3})", c.ece),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)?;
        chart
            .configure_mesh()
            .x_desc("confidence")
            .y_desc("accuracy")
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.3).stroke_width(1),
        ))?;
        let points: Vec<(f64, f64)> = c
            .bins
            .iter()
            .filter(|b| b.1 > 0)
            .map(|&(_, _, conf, acc)| (conf, acc))
            .collect();
        chart.draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;
        Ok(())
    })
}

/// Text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report page. `overlays` maps a page id to its overlay's address relative to the
/// report.
pub fn html(
    report: &EvalReport,
    what: &str,
    overlays: &BTreeMap<String, String>,
) -> anyhow::Result<String> {
    let mut h = String::new();
    h.push_str(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <title>chaff evaluation</title><style>\
         body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}\
         table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;\
         text-align:right}td:first-child,th:first-child{text-align:left}\
         th{cursor:pointer;background:#f4f4f4}.plots{display:flex;flex-wrap:wrap;gap:1em}\
         </style></head><body>",
    );
    writeln!(
        h,
        "<h1>chaff evaluation</h1><p>{}: {} pages.</p>",
        esc(what),
        report.pages
    )?;
    let a = &report.article;
    writeln!(
        h,
        "<p>Article text (bag of words per page, averaged over {} pages): precision {:.3}, \
         recall {:.3}, F1 <b>{:.3}</b> (median {:.3}).</p>",
        a.pages, a.precision, a.recall, a.f1, a.f1_median
    )?;
    if let Some(s) = &report.six_class {
        writeln!(
            h,
            "<h2>Six labels</h2><p>Macro-F1 over the five named labels: <b>{:.3}</b> over \
             words, {:.3} over blocks.</p>",
            s.macro_f1_words, s.macro_f1_blocks
        )?;
        h.push_str("<table id=labels><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>words</th></tr>");
        for l in Label::ALL {
            let w = s.words[&l];
            writeln!(
                h,
                "<tr><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td></tr>",
                l.as_str(),
                w.precision,
                w.recall,
                w.f1,
                w.support
            )?;
        }
        h.push_str("</table><div class=plots>");
        h.push_str(&confusion_map(s)?);
        h.push_str(&label_bars(s)?);
        if let Some(c) = &report.calibration {
            h.push_str(&reliability(c)?);
        }
        h.push_str("</div>");
    } else if let Some(c) = &report.calibration {
        h.push_str(&reliability(c)?);
    }
    h.push_str(
        "<h2>Outlets</h2><p>Click a column's heading to sort by it.</p>\
         <table id=outlets><tr><th>outlet</th><th>pages</th><th>word accuracy</th>\
         <th>article F1</th></tr>",
    );
    let mut outlets: Vec<_> = report.outlets.iter().collect();
    outlets.sort_by(|x, y| x.article_f1.total_cmp(&y.article_f1));
    for o in outlets {
        let acc = o
            .word_accuracy
            .map(|a| format!("{a:.3}"))
            .unwrap_or_else(|| "–".into());
        writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{acc}</td><td>{:.3}</td></tr>",
            esc(&o.outlet),
            o.pages,
            o.article_f1
        )?;
    }
    h.push_str(
        "</table><h2>Worst pages</h2><table id=worst><tr><th>article F1</th><th>page</th></tr>",
    );
    for (page, f1) in &report.worst_pages {
        let name = match overlays.get(page) {
            Some(link) => format!("<a href=\"{}\">{}</a>", esc(link), esc(page)),
            None => esc(page),
        };
        writeln!(h, "<tr><td>{f1:.3}</td><td>{name}</td></tr>")?;
    }
    h.push_str("</table>");
    if overlays.is_empty() && !report.worst_pages.is_empty() {
        h.push_str(
            "<p>(Overlays of the worst pages come with a report of one model, \
             <code>--model</code>.)</p>",
        );
    }
    // sort a table by the column clicked: numbers as numbers, ascending then descending
    h.push_str(
        "<script>for(const t of document.querySelectorAll('#outlets')){\
         t.querySelectorAll('th').forEach((th,i)=>th.addEventListener('click',()=>{\
         const rows=[...t.rows].slice(1),up=th.dataset.up!=='1';th.dataset.up=up?'1':'0';\
         const v=r=>{const s=r.cells[i].textContent,n=parseFloat(s);return isNaN(n)?s:n};\
         rows.sort((a,b)=>{const x=v(a),y=v(b);return (x<y?-1:x>y?1:0)*(up?1:-1)});\
         rows.forEach(r=>t.tBodies[0].appendChild(r))}))}</script></body></html>",
    );
    Ok(h)
}

/// The folder of a report's overlays: `report.html` → `report-overlays/`.
pub fn overlay_dir(report: &Path) -> PathBuf {
    let stem = report
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    report.with_file_name(format!("{stem}-overlays"))
}
