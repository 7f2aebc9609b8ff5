//! The 6-month and yearly report (báo cáo sơ kết, tổng kết) drafted as a Word document the
//! officer edits and sends: laid out as the union's own documents are (the issuing body and
//! "Số: …/BC-…" on the left, place and date on the right, "BÁO CÁO", the subject, numbered
//! parts, "TM. BAN THƯỜNG VỤ" and "Nơi nhận"), every number from the export's own rows
//! ([`figures`]), every sentence from `locales/*/draft.ftl`.

pub mod figures;

use std::path::Path;

use chrono::{DateTime, Datelike, Utc};
use docx_rs::{
    AlignmentType, Docx, LineSpacing, PageMargin, Paragraph, Run, RunFonts, Table, TableCell,
    TableRow, WidthType,
};

use crate::domain::calendar::Calendars;
use crate::domain::range::PeriodRange;
use crate::export::{ExportError, Scope};
use crate::i18n::Lang;
use crate::storage::Store;
use crate::storage::org;
use crate::tr;

pub use figures::Figures;

/// A4 in twentieths of a point, with the margins of Decree 30/2020 on administrative
/// documents (top and bottom 2 cm, left 3 cm, right 2 cm).
const PAGE_W: u32 = 11_906;
const PAGE_H: u32 = 16_838;
const MARGIN_LEFT: i32 = 1_701;
const MARGIN_RIGHT: i32 = 1_134;
const MARGIN_TB: i32 = 1_134;
/// The width text runs in.
pub(crate) const TEXT_W: usize = (PAGE_W as i32 - MARGIN_LEFT - MARGIN_RIGHT) as usize;
/// The heading's left column (the issuing body), wide enough for a district's name on a line.
const LEFT_W: usize = 4_300;
/// Font sizes in half-points: body 14, tables 13, the left heading 13.
const BODY: usize = 28;
const SMALL: usize = 26;
const FONT: &str = "Times New Roman";

/// Who the report is from and what it covers.
#[derive(Debug, Clone)]
pub struct Heading {
    /// The issuing union (`Hội LHPN huyện Đông Hưng`).
    pub unit: String,
    /// The union above it, which the report goes to (none for a province).
    pub above: Option<String>,
    pub range: PeriodRange,
    /// The date the draft was made, in the deployment's time zone.
    pub date: chrono::NaiveDate,
}

/// Numbers as Vietnamese documents write them (1.234), or English (1,234).
pub fn number(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = if lang == Lang::Vi { '.' } else { ',' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A percentage with one decimal: 95,5% in Vietnamese, 95.5% in English.
pub fn percent(lang: Lang, pct: f64) -> String {
    let s = format!("{pct:.1}%");
    if lang == Lang::Vi {
        s.replace('.', ",")
    } else {
        s
    }
}

/// The place a unit's documents are dated from: the locality in its name
/// (`Hội LHPN huyện Đông Hưng` → `Đông Hưng`), or the whole name if it has none.
pub fn place_of(name: &str) -> String {
    const LOCALITIES: [&str; 8] = [
        "thành phố ",
        "thị xã ",
        "thị trấn ",
        "tỉnh ",
        "huyện ",
        "quận ",
        "phường ",
        "xã ",
    ];
    let lower = name.to_lowercase();
    LOCALITIES
        .iter()
        .filter_map(|l| lower.find(l).map(|at| (at, l.len())))
        .min_by_key(|(at, _)| *at)
        .and_then(|(at, len)| name.get(at + len..))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| name.to_owned())
}

/// The period as the subject line and the sentences name it.
pub fn range_words(lang: Lang, range: PeriodRange) -> String {
    match range {
        PeriodRange::Month(p) => tr!(
            lang,
            "draft-range-month",
            month = p.month() as i64,
            year = p.year() as i64
        ),
        PeriodRange::Half { year, second } => tr!(
            lang,
            "draft-range-half",
            half = if second { 2 } else { 1 },
            year = year as i64
        ),
        PeriodRange::Year(year) => tr!(lang, "draft-range-year", year = year as i64),
    }
}

/// The period after `range`, for part III.
fn next_range(range: PeriodRange) -> PeriodRange {
    match range {
        PeriodRange::Month(p) => PeriodRange::Month(p.next()),
        PeriodRange::Half {
            year,
            second: false,
        } => PeriodRange::Half { year, second: true },
        PeriodRange::Half { year, second: true } => PeriodRange::Half {
            year: year + 1,
            second: false,
        },
        PeriodRange::Year(year) => PeriodRange::Year(year + 1),
    }
}

/// "ngày 05 tháng 01 năm 2027": days below 10 and the months January and February take a
/// leading zero in administrative documents (Decree 30/2020).
fn date_line(lang: Lang, place: &str, date: chrono::NaiveDate) -> String {
    let (day, month) = if lang == Lang::Vi {
        (
            format!("{:02}", date.day()),
            if date.month() <= 2 {
                format!("{:02}", date.month())
            } else {
                date.month().to_string()
            },
        )
    } else {
        (date.day().to_string(), date.month().to_string())
    };
    tr!(
        lang,
        "draft-place-date",
        place = place.to_owned(),
        day = day,
        month = month,
        year = date.year() as i64
    )
}

pub(crate) fn run(text: impl Into<String>) -> Run {
    Run::new().add_text(text)
}

pub(crate) fn para(text: impl Into<String>) -> Paragraph {
    Paragraph::new()
        .add_run(run(text))
        .align(AlignmentType::Both)
        .indent(
            None,
            Some(docx_rs::SpecialIndentType::FirstLine(567)),
            None,
            None,
        )
        .line_spacing(LineSpacing::new().before(0).after(120))
}

pub(crate) fn centered(r: Run) -> Paragraph {
    Paragraph::new()
        .add_run(r)
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().before(0).after(0))
}

pub(crate) fn heading(text: impl Into<String>) -> Paragraph {
    Paragraph::new()
        .add_run(run(text).bold())
        .align(AlignmentType::Both)
        .indent(
            None,
            Some(docx_rs::SpecialIndentType::FirstLine(567)),
            None,
            None,
        )
        .line_spacing(LineSpacing::new().before(120).after(120))
        .keep_next(true)
}

fn cell(text: impl Into<String>, width: usize, bold: bool, align: AlignmentType) -> TableCell {
    let mut r = run(text).size(SMALL);
    if bold {
        r = r.bold();
    }
    TableCell::new()
        .add_paragraph(Paragraph::new().add_run(r).align(align))
        .width(width, WidthType::Dxa)
}

/// A bordered table: a header row in bold, then rows; numbers right-aligned where `numeric`.
pub(crate) fn table(
    widths: &[usize],
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    numeric: &[bool],
) -> Table {
    let mut out = vec![TableRow::new(
        header
            .into_iter()
            .zip(widths)
            .map(|(h, w)| cell(h, *w, true, AlignmentType::Center))
            .collect(),
    )];
    for row in rows {
        out.push(TableRow::new(
            row.into_iter()
                .zip(widths)
                .zip(numeric)
                .map(|((text, w), num)| {
                    let align = if *num {
                        AlignmentType::Right
                    } else {
                        AlignmentType::Left
                    };
                    cell(text, *w, false, align)
                })
                .collect(),
        ));
    }
    Table::new(out)
        .set_grid(widths.to_vec())
        .width(widths.iter().sum(), WidthType::Dxa)
}

/// At most `max` names, then "… và N đơn vị khác".
fn some_names(lang: Lang, names: &[String], max: usize) -> String {
    let mut out = names
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        out.push_str(&format!(
            " {}",
            tr!(lang, "draft-more", count = (names.len() - max) as i64)
        ));
    }
    out
}

/// An empty document on A4 with the margins of Decree 30/2020, in Times New Roman 14 (the
/// monthly synthesis is laid on the same page).
pub(crate) fn page() -> Docx {
    Docx::new()
        .page_size(PAGE_W, PAGE_H)
        .page_margin(
            PageMargin::new()
                .top(MARGIN_TB)
                .bottom(MARGIN_TB)
                .left(MARGIN_LEFT)
                .right(MARGIN_RIGHT),
        )
        .default_fonts(
            RunFonts::new()
                .ascii(FONT)
                .hi_ansi(FONT)
                .east_asia(FONT)
                .cs(FONT),
        )
        .default_size(BODY)
}

/// The document, as a list of paragraphs and tables on A4.
pub fn document(lang: Lang, head: &Heading, f: &Figures) -> Docx {
    let range = range_words(lang, head.range);
    let unit = head.unit.clone();
    let place = place_of(&unit);
    // The heading: issuing body on the left, the union's name and the date on the right,
    // in a table without borders as the union's documents lay it out.
    let left = TableCell::new()
        .add_paragraph(centered(run(unit.to_uppercase()).size(SMALL)))
        .add_paragraph(centered(run(tr!(lang, "draft-board")).size(SMALL).bold()))
        .add_paragraph(centered(run("***").size(SMALL)))
        .add_paragraph(centered(run(tr!(lang, "draft-number")).size(SMALL)))
        .width(LEFT_W, WidthType::Dxa)
        .clear_all_border();
    let right = TableCell::new()
        .add_paragraph(centered(
            run(tr!(lang, "draft-org"))
                .size(BODY)
                .bold()
                .underline("single"),
        ))
        .add_paragraph(centered(run("")))
        .add_paragraph(centered(
            run(date_line(lang, &place, head.date)).size(BODY).italic(),
        ))
        .width(TEXT_W - LEFT_W, WidthType::Dxa)
        .clear_all_border();
    let top = Table::without_borders(vec![TableRow::new(vec![left, right])])
        .set_grid(vec![LEFT_W, TEXT_W - LEFT_W])
        .width(TEXT_W, WidthType::Dxa);

    let mut doc = page()
        .add_table(top)
        .add_paragraph(centered(run("")))
        .add_paragraph(centered(run(tr!(lang, "draft-title")).bold()))
        .add_paragraph(centered(
            run(tr!(lang, "draft-subject", range = range.clone())).bold(),
        ))
        .add_paragraph(centered(run("")))
        .add_paragraph(para(tr!(
            lang,
            "draft-intro",
            unit = unit.clone(),
            range = range.clone()
        )))
        .add_paragraph(heading(tr!(lang, "draft-part-results")));

    // I.1 Targets: a table and a sentence.
    doc = doc.add_paragraph(heading(tr!(lang, "draft-targets-heading")));
    // A number may have two rows (4: branches' households and the union's new-rural work);
    // it is met when every row with data is.
    let mut numbers: Vec<i64> = f.targets.iter().map(|t| t.number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let with_data = |n: i64| {
        f.targets
            .iter()
            .filter(move |t| t.number == n && t.total > 0)
    };
    let met: Vec<String> = numbers
        .iter()
        .filter(|n| with_data(**n).count() > 0 && with_data(**n).all(|t| t.met()))
        .map(|n| n.to_string())
        .collect();
    let unmet: Vec<String> = numbers
        .iter()
        .filter(|n| with_data(**n).any(|t| !t.met()))
        .map(|n| n.to_string())
        .collect();
    doc = doc.add_paragraph(para(tr!(
        lang,
        "draft-targets-sentence",
        range = range.clone(),
        unit = unit.clone(),
        met = met.len() as i64,
        total = numbers.len() as i64
    )));
    if !met.is_empty() {
        doc = doc.add_paragraph(para(tr!(lang, "draft-targets-met", list = met.join(", "))));
    }
    if !unmet.is_empty() {
        doc = doc.add_paragraph(para(tr!(
            lang,
            "draft-targets-unmet",
            list = unmet.join(", ")
        )));
    }
    let w = [900, TEXT_W - 900 - 1900 - 1100 - 1300, 1900, 1100, 1300];
    let rows = f
        .targets
        .iter()
        .map(|t| {
            vec![
                t.number.to_string(),
                t.title.clone(),
                if t.total > 0 {
                    tr!(
                        lang,
                        "draft-result",
                        achieved = number(lang, t.achieved),
                        total = number(lang, t.total),
                        pct = percent(lang, t.pct)
                    )
                } else {
                    tr!(lang, "draft-no-data")
                },
                format!("{}%", t.goal_pct),
                if t.total == 0 {
                    String::new()
                } else if t.met() {
                    tr!(lang, "draft-met")
                } else {
                    tr!(lang, "draft-unmet")
                },
            ]
        })
        .collect();
    doc = doc.add_table(table(
        &w,
        vec![
            tr!(lang, "draft-col-target"),
            tr!(lang, "draft-col-content"),
            tr!(lang, "draft-col-result"),
            tr!(lang, "draft-col-goal"),
            tr!(lang, "draft-col-assessment"),
        ],
        rows,
        &[false, false, true, true, false],
    ));

    // I.2 Monthly reports: completeness and on-time rate per month.
    doc = doc.add_paragraph(heading(tr!(lang, "draft-reports-heading")));
    let rate = |on_time: i64, expected: i64| {
        if expected == 0 {
            0.0
        } else {
            on_time as f64 * 100.0 / expected as f64
        }
    };
    doc = doc.add_paragraph(para(tr!(
        lang,
        "draft-reports-sentence",
        expected = number(lang, f.expected()),
        on_time = number(lang, f.on_time()),
        pct = percent(lang, rate(f.on_time(), f.expected())),
        late = number(lang, f.late()),
        missing = number(lang, f.missing())
    )));
    let w = [1500, 1500, 1500, 1500, 1500, TEXT_W - 7500];
    let rows = f
        .months
        .iter()
        .map(|m| {
            vec![
                month_words(&m.period),
                number(lang, m.expected),
                number(lang, m.on_time),
                number(lang, m.late),
                number(lang, m.missing),
                percent(lang, rate(m.on_time, m.expected)),
            ]
        })
        .collect();
    doc = doc.add_table(table(
        &w,
        vec![
            tr!(lang, "draft-col-month"),
            tr!(lang, "draft-col-expected"),
            tr!(lang, "draft-col-on-time"),
            tr!(lang, "draft-col-late"),
            tr!(lang, "draft-col-missing"),
            tr!(lang, "draft-col-rate"),
        ],
        rows,
        &[false, true, true, true, true, true],
    ));

    // I.3 Activities by kind.
    doc = doc.add_paragraph(heading(tr!(lang, "draft-activities-heading")));
    let total: i64 = f.activities.iter().map(|a| a.count).sum();
    doc = doc.add_paragraph(para(tr!(lang, "draft-activities-sentence", count = total)));
    if total > 0 {
        let w = [TEXT_W - 3000, 1500, 1500];
        let rows = f
            .activities
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    number(lang, a.count),
                    number(lang, a.amount),
                ]
            })
            .collect();
        doc = doc.add_table(table(
            &w,
            vec![
                tr!(lang, "draft-col-activity"),
                tr!(lang, "draft-col-times"),
                tr!(lang, "draft-col-amount"),
            ],
            rows,
            &[false, true, true],
        ));
    }

    // I.4 Incidents by field and seriousness, and how urgent ones were handled.
    doc = doc.add_paragraph(heading(tr!(lang, "draft-incidents-heading")));
    doc = doc.add_paragraph(para(tr!(
        lang,
        "draft-incidents-sentence",
        count = f.incident_total()
    )));
    if f.incident_total() > 0 {
        let w = [TEXT_W - 3300, 1800, 1500];
        let rows = f
            .incidents
            .iter()
            .map(|((field, sev), n)| vec![field.clone(), sev.clone(), number(lang, *n)])
            .collect();
        doc = doc.add_table(table(
            &w,
            vec![
                tr!(lang, "draft-col-field"),
                tr!(lang, "draft-col-severity"),
                tr!(lang, "draft-col-count"),
            ],
            rows,
            &[false, false, true],
        ));
    }
    if !f.handled.is_empty() {
        let list = f
            .handled
            .iter()
            .map(|(state, n)| format!("{state}: {}", number(lang, *n)))
            .collect::<Vec<_>>()
            .join("; ");
        doc = doc.add_paragraph(para(tr!(lang, "draft-incidents-handled", list = list)));
    }

    // I.5 Proposals and opinions.
    doc = doc
        .add_paragraph(heading(tr!(lang, "draft-proposals-heading")))
        .add_paragraph(para(tr!(
            lang,
            "draft-proposals-sentence",
            proposals = number(lang, f.proposals),
            opinions = number(lang, f.opinions)
        )));
    if f.proposals_answered + f.proposals_open > 0 {
        doc = doc.add_paragraph(para(tr!(
            lang,
            "draft-proposals-tracked",
            answered = number(lang, f.proposals_answered),
            open = number(lang, f.proposals_open)
        )));
    }

    // II. Shortcomings: the targets and units behind, from the data.
    doc = doc.add_paragraph(heading(tr!(lang, "draft-part-shortcomings")));
    let mut any = false;
    for t in f.targets.iter().filter(|t| t.total > 0 && !t.met()) {
        any = true;
        doc = doc.add_paragraph(para(tr!(
            lang,
            "draft-behind-target",
            number = t.number,
            title = t.title.clone(),
            result = percent(lang, t.pct),
            goal = format!("{}%", t.goal_pct)
        )));
        if !t.behind.is_empty() {
            doc = doc.add_paragraph(para(tr!(
                lang,
                "draft-behind-units",
                units = some_names(lang, &t.behind, 10)
            )));
        }
    }
    if !f.missing_by_unit.is_empty() {
        any = true;
        let names: Vec<String> = f
            .missing_by_unit
            .iter()
            .map(|(u, n)| {
                tr!(
                    lang,
                    "draft-missing-unit",
                    unit = u.clone(),
                    count = number(lang, *n)
                )
            })
            .collect();
        doc = doc.add_paragraph(para(tr!(
            lang,
            "draft-missing-units",
            units = some_names(lang, &names, 10)
        )));
    }
    if !any {
        doc = doc.add_paragraph(para(tr!(lang, "draft-no-shortcomings")));
    }

    // III. The next period: headings she fills in.
    doc = doc.add_paragraph(heading(tr!(
        lang,
        "draft-part-next",
        range = range_words(lang, next_range(head.range)).to_uppercase()
    )));
    for id in ["draft-next-1", "draft-next-2", "draft-next-3"] {
        doc = doc
            .add_paragraph(heading(crate::i18n::t(lang, id)))
            .add_paragraph(para(tr!(lang, "draft-fill-in")));
    }
    doc = doc.add_paragraph(para(tr!(
        lang,
        "draft-closing",
        range = range,
        unit = unit.clone()
    )));

    // Recipients on the left, the signature on the right.
    let mut recipients = TableCell::new().add_paragraph(
        Paragraph::new().add_run(run(tr!(lang, "draft-recipients")).size(24).bold().italic()),
    );
    if let Some(above) = &head.above {
        recipients = recipients.add_paragraph(
            Paragraph::new()
                .add_run(run(tr!(lang, "draft-recipient-above", above = above.clone())).size(22)),
        );
    }
    let recipients = recipients
        .add_paragraph(Paragraph::new().add_run(run(tr!(lang, "draft-recipient-file")).size(22)))
        .width(TEXT_W / 2, WidthType::Dxa)
        .clear_all_border();
    let sign = TableCell::new()
        .add_paragraph(centered(run(tr!(lang, "draft-sign-on-behalf")).bold()))
        .add_paragraph(centered(run(tr!(lang, "draft-sign-title")).bold()))
        .width(TEXT_W / 2, WidthType::Dxa)
        .clear_all_border();
    doc.add_paragraph(centered(run(""))).add_table(
        Table::without_borders(vec![TableRow::new(vec![recipients, sign])])
            .set_grid(vec![TEXT_W / 2, TEXT_W / 2])
            .width(TEXT_W, WidthType::Dxa),
    )
}

/// `2026-03` as a table shows it: 3/2026.
fn month_words(period: &str) -> String {
    match period.split_once('-') {
        Some((y, m)) => format!("{}/{y}", m.trim_start_matches('0')),
        None => period.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error("writing the document: {0}")]
    Write(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Gathers the figures of `unit_code` over `range` and writes the draft to `out`. Returns its
/// figures (the CLI prints a line from them).
pub async fn draft_to_file(
    store: &Store,
    calendars: &Calendars,
    unit_code: &str,
    range: PeriodRange,
    lang: Lang,
    now: DateTime<Utc>,
    out: &Path,
) -> Result<Figures, DraftError> {
    let scope = Scope::new(store, calendars, Some(unit_code), range, lang, now).await?;
    write(&scope, out).await
}

/// Writes the draft of `scope` (one root unit over its range) to `out`.
pub async fn write(scope: &Scope, out: &Path) -> Result<Figures, DraftError> {
    let (head, figures) = gather(scope).await?;
    let doc = document(scope.lang, &head, &figures);
    let file = std::fs::File::create(out)?;
    tokio::task::spawn_blocking(move || doc.build().pack(file))
        .await
        .map_err(|e| DraftError::Write(e.to_string()))?
        .map_err(|e| DraftError::Write(e.to_string()))?;
    Ok(figures)
}

/// The heading and the figures of a scope with one root.
pub async fn gather(scope: &Scope) -> Result<(Heading, Figures), DraftError> {
    let root = scope
        .roots
        .first()
        .ok_or_else(|| ExportError::UnknownUnit(String::new()))?
        .clone();
    let above = match root.parent_id {
        Some(id) => {
            let mut conn = scope.store.acquire().await?;
            org::unit_by_id(&mut conn, id).await?.map(|u| u.name)
        }
        None => None,
    };
    let mut figures = figures::gather(scope).await?;
    let months = scope.range.months();
    if let (Some(first), Some(last)) = (months.first(), months.last()) {
        let mut conn = scope.store.acquire().await?;
        let by_status: Vec<(String, i64)> = crate::storage::sql::query_as(
            "SELECT p.status, COUNT(*) FROM proposals p JOIN units u ON u.id = p.unit_id
             WHERE u.path >= $1 AND u.path < $2 AND p.period >= $3 AND p.period <= $4
             GROUP BY p.status",
        )
        .bind(&root.path)
        .bind(crate::storage::path_range_end(&root.path))
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(&mut conn)
        .await?;
        for (status, n) in by_status {
            if status == "answered" {
                figures.proposals_answered += n;
            } else {
                figures.proposals_open += n;
            }
        }
    }
    let head = Heading {
        unit: root.name.clone(),
        above,
        range: scope.range,
        date: scope.now.with_timezone(&scope.calendars.tz).date_naive(),
    };
    Ok((head, figures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_each_language_writes_them() {
        assert_eq!(number(Lang::Vi, 1_234_567), "1.234.567");
        assert_eq!(number(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(number(Lang::Vi, 999), "999");
        assert_eq!(number(Lang::Vi, -1_000), "-1.000");
        assert_eq!(percent(Lang::Vi, 95.5), "95,5%");
        assert_eq!(percent(Lang::En, 100.0), "100.0%");
    }

    #[test]
    fn a_unit_is_dated_from_its_locality() {
        assert_eq!(place_of("Hội LHPN huyện Đông Hưng"), "Đông Hưng");
        assert_eq!(place_of("Hội LHPN thành phố Thái Bình"), "Thái Bình");
        assert_eq!(place_of("Hội LHPN tỉnh Thái Bình"), "Thái Bình");
        assert_eq!(place_of("Hội LHPN xã Đông Hợp"), "Đông Hợp");
        assert_eq!(place_of("Chi hội Đông Thành"), "Chi hội Đông Thành");
    }

    #[test]
    fn dates_take_the_leading_zeros_of_decree_30() {
        let d = chrono::NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
        assert_eq!(
            date_line(Lang::Vi, "Đông Hưng", d),
            "Đông Hưng, ngày 05 tháng 01 năm 2027"
        );
        let d = chrono::NaiveDate::from_ymd_opt(2026, 7, 15).unwrap();
        assert_eq!(
            date_line(Lang::Vi, "Đông Hưng", d),
            "Đông Hưng, ngày 15 tháng 7 năm 2026"
        );
    }
}
