//! PNG charts that admins get in the chat where a picture reads better than a table.
//!
//! Two charts, both horizontal bars with one row per item, a title and a legend:
//! - [`completeness_png`]: for each child unit, how its units reported this period (on time / late /
//!   missing), as stacked bars with the counts written in;
//! - [`targets_png`]: for each of the plan's targets (chỉ tiêu), the percent achieved against the
//!   goal percent, with a goal marker on each bar.
//!
//! Callers (the admin commands that answer "show me a picture") gather the numbers, put the
//! words of the user's language in a [`ChartText`], and send the returned bytes as a photo. This
//! module is pure: no database, no async, no chat platform; it only turns numbers and words into
//! PNG bytes in memory. A chart takes a few milliseconds of CPU, so an async caller may run it
//! inline or in `spawn_blocking`.
//!
//! Drawing uses `plotters` on an in-memory RGB bitmap and the `png` crate to encode it. Text is
//! drawn with DejaVu Sans, embedded in the binary (`assets/fonts/DejaVuSans.ttf`, licence in
//! `assets/fonts/DejaVu-LICENSE`) and rasterised by `ab_glyph`, so Vietnamese with full
//! diacritics renders without any system font library. Text should be in Unicode NFC form (what
//! phones send); decomposed marks are drawn over the preceding letter, which is close but not
//! always exact.
//!
//! Layout: 900 px wide; `120 + 36 px` per row tall, with at least one row. At most
//! [`MAX_BARS`] bars are drawn; when more are given, the rest are summarised in one extra row
//! labelled with [`ChartText::more`], so an image is never taller than [`MAX_HEIGHT`] px. Labels
//! longer than the ~280 px label column are shortened with "…".

use std::sync::OnceLock;

use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::{PathElement, Rectangle, Text};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

/// One bar of the completeness chart: a child unit and how its units reported this period.
///
/// For a district admin, `label` is a grassroots union ("Hội LHPN xã Đông Hợp") and the counts
/// are its branches' reports; the bar's length is `on_time + late + missing`, on one scale
/// shared by all bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletenessBar {
    /// The unit's name, shown left of the bar (shortened with "…" when too long).
    pub label: String,
    /// Reports submitted by the deadline (đúng hạn), drawn green.
    pub on_time: u32,
    /// Reports submitted after the deadline (chậm), drawn amber.
    pub late: u32,
    /// Reports not submitted (chưa nộp), drawn red.
    pub missing: u32,
}

/// One target's progress: label and percent achieved (0..=100+, may exceed 100) against the goal percent.
///
/// Percentages are plain numbers (`87.5` means 87.5 %). Values above 100 are fine; the axis
/// grows up to 200 % and bars beyond it are drawn to the edge with their real value written.
/// Negative, NaN or infinite values are drawn as 0.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetBar {
    /// The target's short name, shown left of the bar (shortened with "…" when too long).
    pub label: String,
    /// Percent achieved so far.
    pub achieved_pct: f64,
    /// Percent the plan asks for (usually 100, sometimes 90 or 65); drawn as a dark marker.
    pub goal_pct: f64,
}

/// The words drawn on a chart, in the reader's language; the caller fills them from its locale.
///
/// Each chart uses only the fields it needs: [`completeness_png`] uses `title`, `on_time`,
/// `late`, `missing` and `more`; [`targets_png`] uses `title`, `achieved`, `goal` and `more`.
/// Unused fields may be left empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChartText {
    /// Title drawn at the top, e.g. "Báo cáo tháng 5/2025 — Hội LHPN huyện Đông Hưng".
    pub title: String,
    /// Legend for on-time reports, e.g. "Đúng hạn".
    pub on_time: String,
    /// Legend for late reports, e.g. "Chậm".
    pub late: String,
    /// Legend for missing reports, e.g. "Chưa nộp".
    pub missing: String,
    /// Legend for the achieved-percent bars, e.g. "Đã đạt".
    pub achieved: String,
    /// Legend for the goal marker, e.g. "Chỉ tiêu".
    pub goal: String,
    /// Label of the extra row when more than [`MAX_BARS`] bars are given; `{n}` is replaced by
    /// how many were left out, e.g. "… và {n} đơn vị khác" or "… +{n}".
    pub more: String,
}

/// Why a chart could not be drawn. None of these depend on the input data: they mean the
/// embedded font or the drawing library failed, which a test would catch.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum ChartError {
    /// The embedded font could not be loaded.
    #[error("the embedded chart font could not be loaded")]
    Font,
    /// Drawing on the bitmap failed (the message is the drawing library's).
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// Encoding the bitmap as PNG failed.
    #[error("encoding the chart as PNG failed: {0}")]
    Encode(#[from] png::EncodingError),
}

/// Most bars drawn on one chart; more are summarised in one "… +N" row.
pub const MAX_BARS: usize = 40;
/// Width of every chart, in pixels.
pub const WIDTH: u32 = 900;
/// Height of a chart with the most rows ([`MAX_BARS`] bars and the "… +N" row), in pixels.
pub const MAX_HEIGHT: u32 = height_for_rows(MAX_BARS + 1);

/// Completeness as stacked horizontal bars (on time green / late amber / missing red), one per
/// unit in the order given, with the counts written in each part, "reported/total" after each
/// bar, a legend and a title.
///
/// Units with nothing to report get an empty bar and "0/0". An empty slice gives an image with
/// the title and legend and no bars.
pub fn completeness_png(text: &ChartText, bars: &[CompletenessBar]) -> Result<Vec<u8>, ChartError> {
    let (shown, hidden) = split_shown(bars);
    let totals: Vec<u64> = shown.iter().map(bar_total).collect();
    let max_total = totals.iter().copied().max().unwrap_or(0);
    let step = nice_step(max_total.max(1) as f64, 6).max(1.0);
    let axis_max = ((max_total.max(1) as f64) / step).ceil() * step;

    render(rows_for(shown.len(), hidden), |canvas| {
        canvas.title(&text.title)?;
        canvas.legend(&[
            (LegendMark::Box(ON_TIME), &text.on_time),
            (LegendMark::Box(LATE), &text.late),
            (LegendMark::Box(MISSING), &text.missing),
        ])?;
        let plot_bottom = row_top(rows_for(shown.len(), hidden));
        if !shown.is_empty() {
            canvas.axis(axis_max, step, plot_bottom, |v| format!("{v:.0}"))?;
        }
        for (i, (bar, total)) in shown.iter().zip(&totals).enumerate() {
            let top = row_top(i);
            canvas.row_label(&bar.label, top, TEXT)?;
            let mut x = PLOT_LEFT as f64;
            for (count, colour, ink) in [
                (bar.on_time, ON_TIME, WHITE),
                (bar.late, LATE, TEXT),
                (bar.missing, MISSING, WHITE),
            ] {
                if count == 0 {
                    continue;
                }
                let w = f64::from(count) / axis_max * PLOT_WIDTH as f64;
                let (x0, x1) = (x.round() as i32, (x + w).round() as i32);
                canvas.bar(x0, x1.max(x0 + 1), top, colour)?;
                let label = count.to_string();
                if canvas.width_of(&label, SMALL)? + 6 <= x1 - x0 {
                    canvas.text(
                        &label,
                        SMALL,
                        ink,
                        HPos::Center,
                        (x0 + x1) / 2,
                        top + ROW / 2,
                    )?;
                }
                x += w;
            }
            let reported = u64::from(bar.on_time) + u64::from(bar.late);
            let end = x.round() as i32 + 6;
            canvas.text(
                &format!("{reported}/{total}"),
                SMALL,
                TEXT,
                HPos::Left,
                end,
                top + ROW / 2,
            )?;
        }
        canvas.more_row(text, shown.len(), hidden)
    })
}

/// Percent achieved per target as horizontal bars, in the order given (callers pass worst
/// first), with a dark goal marker on each bar, the percent written after it, a legend and a
/// title.
///
/// The axis runs from 0 to 100 % or, when a value is larger, to the next round step past it
/// (at most 200 %); bars beyond the axis end at its edge and still show their real percent. An empty slice gives an
/// image with the title and legend and no bars.
pub fn targets_png(text: &ChartText, bars: &[TargetBar]) -> Result<Vec<u8>, ChartError> {
    let (shown, hidden) = split_shown(bars);
    let largest = shown
        .iter()
        .flat_map(|b| [clean_pct(b.achieved_pct), clean_pct(b.goal_pct)])
        .fold(100.0_f64, f64::max);
    let largest = largest.min(PCT_AXIS_CAP);
    let step = nice_step(largest, 6);
    let axis_max = (largest / step).ceil() * step;

    render(rows_for(shown.len(), hidden), |canvas| {
        canvas.title(&text.title)?;
        canvas.legend(&[
            (LegendMark::Box(ACHIEVED), &text.achieved),
            (LegendMark::Marker(GOAL), &text.goal),
        ])?;
        let plot_bottom = row_top(rows_for(shown.len(), hidden));
        if !shown.is_empty() {
            canvas.axis(axis_max, step, plot_bottom, |v| format!("{v:.0}%"))?;
        }
        let to_x = |pct: f64| PLOT_LEFT + (pct.min(axis_max) / axis_max * PLOT_WIDTH as f64) as i32;
        for (i, bar) in shown.iter().enumerate() {
            let top = row_top(i);
            canvas.row_label(&bar.label, top, TEXT)?;
            let achieved = clean_pct(bar.achieved_pct);
            let end = to_x(achieved);
            if end > PLOT_LEFT {
                canvas.bar(PLOT_LEFT, end, top, ACHIEVED)?;
            }
            let goal_x = to_x(clean_pct(bar.goal_pct));
            canvas.goal_marker(goal_x, top)?;
            // Keep the number clear of the goal marker when the bar ends just short of it.
            let value = format!("{achieved:.0}%");
            let mut text_x = end + 6;
            let text_w = canvas.width_of(&value, SMALL)?;
            if goal_x + 4 >= text_x && goal_x - 4 <= text_x + text_w {
                text_x = goal_x + 8;
            }
            canvas.text(&value, SMALL, TEXT, HPos::Left, text_x, top + ROW / 2)?;
        }
        canvas.more_row(text, shown.len(), hidden)
    })
}

/// One option of a poll and how many chose it (`pct` is its share of those who answered).
#[derive(Debug, Clone, PartialEq)]
pub struct PollBar {
    /// The option's words, shown left of the bar (shortened with "…" when too long).
    pub label: String,
    pub count: u32,
    pub pct: f64,
}

/// A poll's answers as horizontal bars, one per option in the order given, with "count (pct%)"
/// after each bar, a one-entry legend and a title. Uses `title`, `achieved` (the legend, e.g.
/// "Số người chọn") and `more` of [`ChartText`].
pub fn poll_png(text: &ChartText, bars: &[PollBar]) -> Result<Vec<u8>, ChartError> {
    let (shown, hidden) = split_shown(bars);
    let max_total = shown.iter().map(|b| u64::from(b.count)).max().unwrap_or(0);
    let step = nice_step(max_total.max(1) as f64, 6).max(1.0);
    let axis_max = ((max_total.max(1) as f64) / step).ceil() * step;
    render(rows_for(shown.len(), hidden), |canvas| {
        canvas.title(&text.title)?;
        canvas.legend(&[(LegendMark::Box(ACHIEVED), &text.achieved)])?;
        let plot_bottom = row_top(rows_for(shown.len(), hidden));
        if !shown.is_empty() {
            canvas.axis(axis_max, step, plot_bottom, |v| format!("{v:.0}"))?;
        }
        for (i, bar) in shown.iter().enumerate() {
            let top = row_top(i);
            canvas.row_label(&bar.label, top, TEXT)?;
            let w = f64::from(bar.count) / axis_max * PLOT_WIDTH as f64;
            let end = PLOT_LEFT + w.round() as i32;
            if end > PLOT_LEFT {
                canvas.bar(PLOT_LEFT, end, top, ACHIEVED)?;
            }
            let value = format!("{} ({:.0}%)", bar.count, clean_pct(bar.pct));
            canvas.text(&value, SMALL, TEXT, HPos::Left, end + 6, top + ROW / 2)?;
        }
        canvas.more_row(text, shown.len(), hidden)
    })
}

// ---- layout ---------------------------------------------------------------------------------

/// Space above the first row: title and legend.
const HEADER: i32 = 84;
/// Space below the last row: the axis' tick labels.
const FOOTER: i32 = 36;
/// Height of one row; the bar is `BAR` tall, centred in it.
const ROW: i32 = 36;
/// Thickness of a bar.
const BAR: i32 = 24;
/// Left edge of the label column and right edge labels are aligned to.
const MARGIN: i32 = 12;
/// Where row labels end (right-aligned), just left of the bars.
const LABEL_RIGHT: i32 = 290;
/// The bars' area: from `PLOT_LEFT` over `PLOT_WIDTH`, leaving room on the right for numbers.
const PLOT_LEFT: i32 = 300;
/// Width of the bars' area; the axis maximum maps to its right edge.
const PLOT_WIDTH: i32 = 820 - PLOT_LEFT;
/// The targets axis never goes past this percent.
const PCT_AXIS_CAP: f64 = 200.0;

/// Title font size in pixels (ab_glyph scale: ascent to descent).
const TITLE: f64 = 26.0;
/// Row labels and legend font size.
const LABEL: f64 = 18.0;
/// Counts, percents and tick labels font size.
const SMALL: f64 = 15.0;

/// Background, and counts on dark segments.
const WHITE: RGBColor = RGBColor(255, 255, 255);
/// Main text.
const TEXT: RGBColor = RGBColor(33, 33, 33);
/// Secondary text: tick labels, the "… +N" row.
const MUTED: RGBColor = RGBColor(97, 97, 97);
/// Vertical grid lines.
const GRID: RGBColor = RGBColor(224, 224, 224);
/// Base lines of the axis.
const AXIS: RGBColor = RGBColor(158, 158, 158);
/// On-time reports: green.
const ON_TIME: RGBColor = RGBColor(46, 125, 50);
/// Late reports: amber (dark text on it).
const LATE: RGBColor = RGBColor(249, 168, 37);
/// Missing reports: red.
const MISSING: RGBColor = RGBColor(198, 40, 40);
/// Percent achieved: blue, neutral next to the report colours.
const ACHIEVED: RGBColor = RGBColor(30, 110, 200);
/// Goal marker: near black, visible on blue and on white.
const GOAL: RGBColor = RGBColor(20, 20, 20);

/// Image height for `rows` rows (at least one, so an empty chart still has room).
const fn height_for_rows(rows: usize) -> u32 {
    let rows = if rows == 0 { 1 } else { rows };
    (HEADER + FOOTER) as u32 + ROW as u32 * rows as u32
}

/// Top pixel of row `i`.
fn row_top(i: usize) -> i32 {
    HEADER + ROW * i as i32
}

/// Rows needed: the bars drawn, plus one for "… +N" when some were left out.
fn rows_for(shown: usize, hidden: usize) -> usize {
    shown + usize::from(hidden > 0)
}

/// The bars to draw (at most [`MAX_BARS`]) and how many are left out.
fn split_shown<T>(bars: &[T]) -> (&[T], usize) {
    let shown = &bars[..bars.len().min(MAX_BARS)];
    (shown, bars.len() - shown.len())
}

/// All reports expected from the unit, without overflow.
fn bar_total(bar: &CompletenessBar) -> u64 {
    u64::from(bar.on_time) + u64::from(bar.late) + u64::from(bar.missing)
}

/// A percent fit for drawing: negative, NaN and infinite become 0.
fn clean_pct(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

/// A round tick step (1, 2 or 5 times a power of ten) giving at most about `ticks` ticks up to `max`.
fn nice_step(max: f64, ticks: u32) -> f64 {
    let raw = max / f64::from(ticks.max(1));
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

// ---- drawing --------------------------------------------------------------------------------

/// The font, embedded so that charts need no system fonts; DejaVu Sans covers Vietnamese.
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
/// The family name the font is registered under in plotters' (process-wide) font table.
const FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters once per process.
fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// The embedded font at `size` pixels.
fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size, FontStyle::Normal)
}

/// Wraps a drawing-library error.
fn draw_err(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Draws on a white `WIDTH` × height bitmap with `paint`, then encodes it as PNG.
fn render(
    rows: usize,
    paint: impl FnOnce(&Canvas<'_>) -> Result<(), ChartError>,
) -> Result<Vec<u8>, ChartError> {
    ensure_font()?;
    let height = height_for_rows(rows);
    let mut rgb = vec![255u8; WIDTH as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (WIDTH, height)).into_drawing_area();
        let canvas = Canvas { area };
        paint(&canvas)?;
        canvas.area.present().map_err(draw_err)?;
    }
    let mut out = Vec::with_capacity(64 * 1024);
    let mut encoder = png::Encoder::new(&mut out, WIDTH, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

/// What a legend entry shows before its text.
enum LegendMark {
    /// A filled square, for bars.
    Box(RGBColor),
    /// A thick vertical line, for the goal marker.
    Marker(RGBColor),
}

/// Drawing helpers over the bitmap, in pixel coordinates (origin top left).
struct Canvas<'a> {
    /// The whole image.
    area: DrawingArea<BitMapBackend<'a>, Shift>,
}

impl Canvas<'_> {
    /// Width of `s` in pixels at `size`.
    fn width_of(&self, s: &str, size: f64) -> Result<i32, ChartError> {
        let (w, _) = font(size).box_size(s).map_err(draw_err)?;
        Ok(i32::try_from(w).unwrap_or(i32::MAX))
    }

    /// Draws one line of text, anchored horizontally by `h` at `x` and centred on `cy`.
    fn text(
        &self,
        s: &str,
        size: f64,
        colour: RGBColor,
        h: HPos,
        x: i32,
        cy: i32,
    ) -> Result<(), ChartError> {
        if s.is_empty() {
            return Ok(());
        }
        // plotters' ab_glyph path puts the baseline half a font size below the top of its
        // layout box, which leaves capitals sitting high when centred; nudge them down so
        // capitals and Vietnamese marks sit visually centred on `cy`.
        let nudge = (size * 0.2).round() as i32;
        let style = TextStyle::from(font(size))
            .color(&colour)
            .pos(Pos::new(h, VPos::Center));
        self.area
            .draw(&Text::new(s, (x, cy + nudge), style))
            .map_err(draw_err)
    }

    /// A filled rectangle.
    fn rect(&self, x0: i32, y0: i32, x1: i32, y1: i32, colour: RGBColor) -> Result<(), ChartError> {
        self.area
            .draw(&Rectangle::new([(x0, y0), (x1, y1)], colour.filled()))
            .map_err(draw_err)
    }

    /// A vertical line `w` pixels wide.
    fn vline(&self, x: i32, y0: i32, y1: i32, colour: RGBColor, w: u32) -> Result<(), ChartError> {
        self.area
            .draw(&PathElement::new(
                vec![(x, y0), (x, y1)],
                colour.stroke_width(w),
            ))
            .map_err(draw_err)
    }

    /// The title, top left, shortened to the image width.
    fn title(&self, title: &str) -> Result<(), ChartError> {
        let max = WIDTH as i32 - 2 * MARGIN;
        let title = fit(&clean_label(title), TITLE, max)?;
        self.text(&title, TITLE, TEXT, HPos::Left, MARGIN, 26)
    }

    /// One row of legend entries below the title; entries with an empty text are skipped.
    fn legend(&self, entries: &[(LegendMark, &String)]) -> Result<(), ChartError> {
        let cy = 64;
        let mut x = MARGIN;
        for (mark, label) in entries {
            let label = clean_label(label);
            if label.is_empty() {
                continue;
            }
            match mark {
                LegendMark::Box(c) => self.rect(x, cy - 9, x + 18, cy + 9, *c)?,
                LegendMark::Marker(c) => self.vline(x + 9, cy - 11, cy + 11, *c, 4)?,
            }
            let label = fit(&label, LABEL, 260)?;
            self.text(&label, LABEL, TEXT, HPos::Left, x + 26, cy)?;
            x += 26 + self.width_of(&label, LABEL)? + 28;
        }
        Ok(())
    }

    /// The unit or target name, right-aligned against the bars, shortened to fit its column.
    fn row_label(&self, label: &str, top: i32, colour: RGBColor) -> Result<(), ChartError> {
        let label = fit(&clean_label(label), LABEL, LABEL_RIGHT - MARGIN)?;
        self.text(
            &label,
            LABEL,
            colour,
            HPos::Right,
            LABEL_RIGHT,
            top + ROW / 2,
        )
    }

    /// A bar from `x0` to `x1` in the row starting at `top`.
    fn bar(&self, x0: i32, x1: i32, top: i32, colour: RGBColor) -> Result<(), ChartError> {
        let y0 = top + (ROW - BAR) / 2;
        self.rect(x0, y0, x1, y0 + BAR, colour)
    }

    /// The goal marker: a thick dark line across the bar, a little taller than it.
    fn goal_marker(&self, x: i32, top: i32) -> Result<(), ChartError> {
        let y0 = top + (ROW - BAR) / 2;
        self.vline(x, y0 - 3, y0 + BAR + 3, GOAL, 4)
    }

    /// Vertical grid lines at each `step` from 0 to `max`, the base line, and tick labels below.
    fn axis(
        &self,
        max: f64,
        step: f64,
        bottom: i32,
        label: impl Fn(f64) -> String,
    ) -> Result<(), ChartError> {
        let top = HEADER - 4;
        let ticks = (max / step).round() as i32;
        for t in 0..=ticks {
            let v = f64::from(t) * step;
            let x = PLOT_LEFT + (v / max * PLOT_WIDTH as f64).round() as i32;
            let colour = if t == 0 { AXIS } else { GRID };
            self.vline(x, top, bottom, colour, 1)?;
            self.text(&label(v), SMALL, MUTED, HPos::Center, x, bottom + 16)?;
        }
        self.area
            .draw(&PathElement::new(
                vec![(PLOT_LEFT, bottom), (PLOT_LEFT + PLOT_WIDTH, bottom)],
                AXIS.stroke_width(1),
            ))
            .map_err(draw_err)
    }

    /// The "… +N" row after the last bar, when bars were left out.
    fn more_row(&self, text: &ChartText, shown: usize, hidden: usize) -> Result<(), ChartError> {
        if hidden == 0 {
            return Ok(());
        }
        let label = if text.more.trim().is_empty() {
            format!("… +{hidden}")
        } else {
            text.more.replace("{n}", &hidden.to_string())
        };
        self.row_label(&label, row_top(shown), MUTED)
    }
}

/// One line of text: control characters (newlines, tabs) become spaces, ends trimmed, and
/// absurdly long input cut before it is measured.
fn clean_label(s: &str) -> String {
    s.chars()
        .take(300)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Combining diacritical marks (as in decomposed Vietnamese): never cut a letter from its mark.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// `s` if it fits in `max` pixels at `size`, else its longest prefix that fits with "…" added.
fn fit(s: &str, size: f64, max: i32) -> Result<String, ChartError> {
    let f = font(size);
    let width = |t: &str| -> Result<i32, ChartError> {
        let (w, _) = f.box_size(t).map_err(draw_err)?;
        Ok(i32::try_from(w).unwrap_or(i32::MAX))
    };
    if width(s)? <= max {
        return Ok(s.to_string());
    }
    let cuts: Vec<usize> = s
        .char_indices()
        .filter(|&(_, c)| !is_combining(c))
        .map(|(i, _)| i)
        .collect();
    for &cut in cuts.iter().rev() {
        let candidate = format!("{}…", s[..cut].trim_end());
        if width(&candidate)? <= max {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

    fn vietnamese_text() -> ChartText {
        ChartText {
            title: "Báo cáo tháng 5/2025 — Hội LHPN huyện Đông Hưng".into(),
            on_time: "Đúng hạn".into(),
            late: "Chậm".into(),
            missing: "Chưa nộp".into(),
            achieved: "Đã đạt".into(),
            goal: "Chỉ tiêu".into(),
            more: "… và {n} đơn vị khác".into(),
        }
    }

    struct Decoded {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    }

    impl Decoded {
        fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
        }

        /// Pixels in the rectangle that are not the white background.
        fn ink(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> Vec<(u32, u32, [u8; 3])> {
            let mut out = vec![];
            for y in y0..y1.min(self.height) {
                for x in x0..x1.min(self.width) {
                    let p = self.pixel(x, y);
                    if p != [255, 255, 255] {
                        out.push((x, y, p));
                    }
                }
            }
            out
        }
    }

    fn decode(bytes: &[u8]) -> Decoded {
        assert_eq!(
            bytes[..8],
            PNG_SIGNATURE,
            "output starts with the PNG signature"
        );
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("PNG header decodes");
        let mut buf = vec![0; reader.output_buffer_size().expect("size fits")];
        let frame = reader.next_frame(&mut buf).expect("PNG data decodes");
        assert_eq!(frame.color_type, png::ColorType::Rgb);
        buf.truncate(frame.buffer_size());
        Decoded {
            width: frame.width,
            height: frame.height,
            rgb: buf,
        }
    }

    fn unit(label: &str, on_time: u32, late: u32, missing: u32) -> CompletenessBar {
        CompletenessBar {
            label: label.into(),
            on_time,
            late,
            missing,
        }
    }

    fn target(label: &str, achieved_pct: f64, goal_pct: f64) -> TargetBar {
        TargetBar {
            label: label.into(),
            achieved_pct,
            goal_pct,
        }
    }

    fn one_label_image(label: &str) -> Decoded {
        decode(&completeness_png(&vietnamese_text(), &[unit(label, 3, 1, 1)]).expect("renders"))
    }

    /// The label column of the first row.
    fn first_label_ink(image: &Decoded) -> Vec<(u32, u32, [u8; 3])> {
        image.ink(
            0,
            HEADER as u32,
            LABEL_RIGHT as u32 + 2,
            (HEADER + ROW) as u32,
        )
    }

    #[test]
    fn completeness_chart_is_a_png_900_wide_whose_height_grows_with_the_bars() {
        let bars = vec![
            unit("Hội LHPN xã Đông Hợp", 10, 2, 1),
            unit("Hội LHPN xã Đông Á", 7, 0, 3),
            unit("Hội LHPN thị trấn Đông Hưng", 12, 1, 0),
        ];
        let image = decode(&completeness_png(&vietnamese_text(), &bars).expect("renders"));
        assert_eq!(image.width, 900);
        assert_eq!(image.height, 120 + 36 * 3);
    }

    #[test]
    fn targets_chart_is_a_png_900_wide_whose_height_grows_with_the_bars() {
        let bars = vec![
            target("Chỉ tiêu 9: hội viên danh dự", 40.0, 100.0),
            target("Chỉ tiêu 2", 95.0, 100.0),
        ];
        let image = decode(&targets_png(&vietnamese_text(), &bars).expect("renders"));
        assert_eq!(image.width, 900);
        assert_eq!(image.height, 120 + 36 * 2);
    }

    #[test]
    fn poll_chart_draws_a_longer_bar_for_the_option_more_chose() {
        let bar = |label: &str, count, pct| PollBar {
            label: label.into(),
            count,
            pct,
        };
        let image = decode(
            &poll_png(
                &vietnamese_text(),
                &[bar("Đồng ý", 3, 75.0), bar("Không đồng ý", 1, 25.0)],
            )
            .expect("renders"),
        );
        assert_eq!(image.width, 900);
        assert_eq!(image.height, 120 + 36 * 2);
        // The bar's colour along each row's middle, from the plot's left edge.
        let blue = |row: i32| {
            let y = (HEADER + row * ROW + ROW / 2) as u32;
            image
                .ink(PLOT_LEFT as u32, y, WIDTH, y + 1)
                .iter()
                .filter(|(_, _, p)| *p == [ACHIEVED.0, ACHIEVED.1, ACHIEVED.2])
                .count()
        };
        assert!(blue(0) > 2 * blue(1), "{} vs {}", blue(0), blue(1));
        assert!(blue(1) > 0);
    }

    #[test]
    fn empty_input_renders_the_title_and_no_bars() {
        for bytes in [
            completeness_png(&vietnamese_text(), &[]).expect("renders"),
            targets_png(&vietnamese_text(), &[]).expect("renders"),
        ] {
            let image = decode(&bytes);
            assert_eq!((image.width, image.height), (900, 156));
            assert!(!image.ink(0, 0, 900, 44).is_empty(), "the title is drawn");
            let coloured_bars = image
                .ink(
                    PLOT_LEFT as u32 + 2,
                    HEADER as u32,
                    900,
                    (HEADER + ROW) as u32,
                )
                .into_iter()
                .filter(|(_, _, [r, g, b])| r.max(g).max(b) - r.min(g).min(b) > 60)
                .count();
            assert_eq!(coloured_bars, 0, "no bars are drawn");
        }
    }

    #[test]
    fn empty_text_and_zero_counts_render_without_dividing_by_zero() {
        let bars = [unit("", 0, 0, 0), unit("Chi hội thôn Nam", 0, 0, 0)];
        decode(&completeness_png(&ChartText::default(), &bars).expect("renders"));
        let bars = [target("", 0.0, 0.0)];
        decode(&targets_png(&ChartText::default(), &bars).expect("renders"));
    }

    #[test]
    fn a_hundred_bars_are_capped_at_forty_and_a_more_row() {
        let units: Vec<_> = (0..100)
            .map(|i| unit(&format!("Chi hội {i}"), i, 1, 2))
            .collect();
        let targets: Vec<_> = (0..100)
            .map(|i| target(&format!("Chỉ tiêu {i}"), f64::from(i), 100.0))
            .collect();
        for bytes in [
            completeness_png(&vietnamese_text(), &units).expect("renders"),
            targets_png(&vietnamese_text(), &targets).expect("renders"),
        ] {
            let image = decode(&bytes);
            assert_eq!(image.width, 900);
            assert_eq!(image.height, MAX_HEIGHT);
            assert_eq!(MAX_HEIGHT, 120 + 36 * 41);
            let more_row = row_top(MAX_BARS) as u32;
            assert!(
                !image
                    .ink(0, more_row, LABEL_RIGHT as u32, more_row + ROW as u32)
                    .is_empty(),
                "the '… và 60 đơn vị khác' label is drawn"
            );
        }
    }

    #[test]
    fn forty_bars_exactly_need_no_more_row() {
        let units: Vec<_> = (0..40)
            .map(|i| unit(&format!("Chi hội {i}"), 1, 1, 1))
            .collect();
        let image = decode(&completeness_png(&vietnamese_text(), &units).expect("renders"));
        assert_eq!(image.height, 120 + 36 * 40);
    }

    #[test]
    fn a_label_with_vietnamese_diacritics_is_drawn_in_the_label_column() {
        let image = one_label_image("Chi hội phụ nữ thôn Đồng Thanh");
        let ink = first_label_ink(&image);
        assert!(
            ink.len() > 200,
            "label pixels differ from the background: {}",
            ink.len()
        );
    }

    #[test]
    fn vietnamese_letters_are_real_glyphs_not_missing_glyph_boxes() {
        // U+E000 is a private-use code point with no glyph: it is drawn as the font's
        // "missing" box. Each Vietnamese letter must look different from that box.
        let missing = first_label_ink(&one_label_image("H\u{E000}i"));
        for letter in ["ộ", "Đ", "ợ", "ữ", "ậ", "ế", "ỷ"] {
            let drawn = first_label_ink(&one_label_image(&format!("H{letter}i")));
            assert!(!drawn.is_empty());
            assert_ne!(drawn, missing, "{letter} is drawn as a missing glyph");
        }
    }

    #[test]
    fn percentages_above_100_and_nonsense_values_do_not_panic() {
        let bars = [
            target("Vượt chỉ tiêu", 350.0, 100.0),
            target("Chỉ tiêu trên 200%", 120.0, 250.0),
            target("NaN", f64::NAN, f64::INFINITY),
            target("Âm", -20.0, -1.0),
            target("Rất lớn", f64::MAX, 100.0),
        ];
        let image = decode(&targets_png(&vietnamese_text(), &bars).expect("renders"));
        assert_eq!(image.height, 120 + 36 * 5);
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let bars = [
            unit("Lớn", u32::MAX, u32::MAX, u32::MAX),
            unit("Nhỏ", 1, 0, 0),
        ];
        decode(&completeness_png(&vietnamese_text(), &bars).expect("renders"));
    }

    #[test]
    fn long_labels_are_shortened_with_an_ellipsis_to_fit_the_column() {
        let long = "Hội Liên hiệp Phụ nữ xã Đông Hợp, huyện Đông Hưng, tỉnh Thái Bình (cũ)";
        let fitted = fit(long, LABEL, LABEL_RIGHT - MARGIN).expect("measures");
        assert!(fitted.ends_with('…'), "{fitted}");
        assert!(long.starts_with(fitted.trim_end_matches('…')));
        let (w, _) = font(LABEL).box_size(&fitted).expect("measures");
        assert!(w as i32 <= LABEL_RIGHT - MARGIN);
        assert_eq!(
            fit("Chi hội thôn Nam", LABEL, 278).expect("measures"),
            "Chi hội thôn Nam"
        );
    }

    #[test]
    fn shortening_never_separates_a_letter_from_its_combining_mark() {
        // "Hội" with the marks decomposed: o + U+0323 (dot below) + U+0302 (circumflex).
        let decomposed = "Ho\u{323}\u{302}i Ho\u{323}\u{302}i Ho\u{323}\u{302}i Ho\u{323}\u{302}i";
        for max in 20..120 {
            let fitted = fit(decomposed, LABEL, max).expect("measures");
            let kept = fitted.trim_end_matches('…');
            let next = decomposed[kept.len()..].chars().next();
            assert!(
                !next.is_some_and(is_combining),
                "cut before a mark at {max}: {fitted:?}"
            );
        }
    }

    #[test]
    fn the_more_label_counts_the_bars_left_out() {
        let text = ChartText {
            more: "… +{n}".into(),
            ..vietnamese_text()
        };
        let units: Vec<_> = (0..41)
            .map(|i| unit(&format!("Chi hội {i}"), 1, 0, 0))
            .collect();
        let image = decode(&completeness_png(&text, &units).expect("renders"));
        assert_eq!(image.height, 120 + 36 * 41);
    }

    #[test]
    fn nice_steps_are_round_numbers() {
        assert_eq!(nice_step(100.0, 6), 20.0);
        assert_eq!(nice_step(200.0, 6), 50.0);
        assert_eq!(nice_step(13.0, 6), 5.0);
        assert_eq!(nice_step(1.0, 6), 0.2);
        assert_eq!(nice_step(0.0, 6), 1.0);
    }

    /// Writes one chart of each kind with realistic data for a person to look at:
    /// `cargo test --lib chart -- --ignored`, then open /tmp/chart-*.png.
    #[test]
    #[ignore = "writes sample images to /tmp for a visual check"]
    fn writes_sample_charts_to_tmp_for_a_human_to_look_at() {
        let text = vietnamese_text();
        let units = [
            unit("Hội LHPN xã Đông Hợp", 9, 2, 1),
            unit("Hội LHPN xã Đông Á", 7, 0, 5),
            unit("Hội LHPN thị trấn Đông Hưng", 12, 1, 0),
            unit("Hội LHPN xã Hồng Việt", 4, 3, 6),
            unit(
                "Hội LHPN xã Liên Hoa, huyện Đông Hưng, tỉnh Thái Bình",
                10,
                0,
                0,
            ),
            unit("Hội LHPN xã Mê Linh", 0, 0, 8),
            unit("Chi hội phụ nữ thôn Đồng Thanh", 1, 0, 0),
            unit("Hội LHPN xã Phú Lương", 15, 4, 2),
            unit("Hội LHPN xã Nguyên Xá", 0, 0, 0),
            unit("Hội LHPN xã Đông Phong", 6, 1, 1),
        ];
        let completeness = completeness_png(&text, &units).expect("renders");
        std::fs::write("/tmp/chart-completeness.png", completeness).expect("writes");

        let text = ChartText {
            title: "Tiến độ chỉ tiêu năm 2025 — Hội LHPN huyện Đông Hưng".into(),
            ..text
        };
        let targets = [
            target(
                "9. Hội viên danh dự; ≥ 65% phụ nữ từ 18 tuổi là hội viên",
                38.0,
                65.0,
            ),
            target("8. Mô hình \"1+1\", \"3 có, 3 biết\"", 52.5, 100.0),
            target("7. Giám sát chính sách, góp ý dự thảo văn bản", 61.0, 100.0),
            target("5. Chi hội ứng dụng công nghệ thông tin", 84.0, 90.0),
            target("4. Hộ đạt \"5 không, 3 sạch\"", 97.0, 100.0),
            target("3. Tuyên truyền hội viên", 93.0, 90.0),
            target("2. Báo cáo dư luận xã hội hằng tháng", 100.0, 100.0),
            target("1. Phong trào thi đua", 100.0, 100.0),
            target(
                "6. Đề xuất nhiệm vụ chương trình mục tiêu quốc gia",
                135.0,
                100.0,
            ),
        ];
        let chart = targets_png(&text, &targets).expect("renders");
        std::fs::write("/tmp/chart-targets.png", chart).expect("writes");

        let many: Vec<_> = (1..=57)
            .map(|i| unit(&format!("Chi hội phụ nữ thôn số {i}"), i % 7, i % 3, i % 4))
            .collect();
        let text = ChartText {
            title: "Báo cáo tháng 5/2025 — 57 chi hội".into(),
            ..vietnamese_text()
        };
        std::fs::write(
            "/tmp/chart-many.png",
            completeness_png(&text, &many).expect("renders"),
        )
        .expect("writes");
        std::fs::write(
            "/tmp/chart-empty.png",
            targets_png(&text, &[]).expect("renders"),
        )
        .expect("writes");
    }
}
