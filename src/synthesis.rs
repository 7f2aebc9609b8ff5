//! The monthly synthesis of one level (issue 19 §1, `/tonghop`): for one unit and month, the
//! units that reported (on time, late, missing — named), how many chose each situation in each
//! section with the notes worth reading (worst first), incidents with their alerts' state,
//! proposals with theirs, members' opinions counted (under members' thoughts, the section the
//! report dialog shows them with: an opinion names no section of its own), and the same counts
//! for the month before.
//! Counts are folded from the export's own rows ([`export::fold`]), so the synthesis agrees
//! with the workbook for the same unit and month. One list of blocks makes both the chat
//! message and the Word document ([`document`]), so they say the same; the document lays each
//! section's situation counts out as a table.

use docx_rs::Docx;

use crate::domain::calendar::{Calendar, Calendars};
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::domain::report::{Section, Severity, Situation};
use crate::export::{self, Cell, ExportError, RowSink, Scope, Sheet};
use crate::i18n::Lang;
use crate::labels;
use crate::storage::org::Unit;
use crate::storage::{StorageError, Store, synthesis as store};
use crate::tr;

/// Units named as missing before "… và N đơn vị khác".
pub const MISSING_NAMED: usize = 10;
/// Notes quoted per section, worst situations first.
pub const QUOTES_PER_SECTION: usize = 5;
/// Incidents and proposals listed each.
pub const ITEMS_LISTED: usize = 10;
/// A quoted note or proposal is cut to this many characters.
const QUOTE_CHARS: usize = 200;

/// The month a synthesis is made for by default at `now`: the last one whose deadline (and
/// grace) has passed.
pub fn default_period(calendar: &Calendar, now: chrono::DateTime<chrono::Utc>) -> Period {
    let mut p = Period::containing(now, calendar.tz);
    for _ in 0..3 {
        if calendar.deadline(p) + calendar.on_time_grace < now {
            return p;
        }
        p = p.previous();
    }
    p
}

/// The months she may ask for at `now`: the default one and the one before.
pub fn periods(calendar: &Calendar, now: chrono::DateTime<chrono::Utc>) -> [Period; 2] {
    let p = default_period(calendar, now);
    [p, p.previous()]
}

/// A quoted note: the unit, the situation it chose, the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub unit: String,
    pub situation: Situation,
    pub note: String,
}

/// An incident of the month, monthly or urgent, with its alert's state when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentLine {
    pub unit: String,
    pub field: String,
    /// Severity label and its rank (0 very serious … 2 minor), for ordering.
    pub severity: String,
    pub rank: usize,
    pub description: String,
    pub alert: Option<String>,
}

/// What one month counts under the unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Month {
    pub expected: i64,
    pub on_time: i64,
    pub late: i64,
    pub missing: i64,
    /// At most [`MISSING_NAMED`] names, in tree order.
    pub missing_names: Vec<String>,
    /// Units per section (labour, living, thoughts) and situation (stable, concerns, serious).
    pub situations: [[i64; 3]; 3],
    pub quotes: [Vec<Quote>; 3],
    pub incidents: Vec<IncidentLine>,
    /// (unit, body, status label)
    pub proposals: Vec<(String, String, String)>,
    pub opinions: i64,
}

/// The synthesis of `unit` for `period`, with the month before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synthesis {
    pub unit: Unit,
    pub period: Period,
    pub this: Month,
    pub before: Month,
}

fn section_index(s: Section) -> usize {
    match s {
        Section::Labour => 0,
        Section::Living => 1,
        Section::Thoughts => 2,
    }
}

fn situation_index(s: Situation) -> usize {
    match s {
        Situation::Stable => 0,
        Situation::Concerns => 1,
        Situation::Serious => 2,
    }
}

/// One sheet's rows for the month, folded as they arrive.
struct Tally {
    sheet: Sheet,
    root: String,
    situations: Vec<(Section, Situation, String)>,
    severities: Vec<(usize, String)>,
    month: Month,
    /// Monthly incidents very serious enough to have raised an alert: (index, code).
    alert_lookups: Vec<(usize, String)>,
}

fn cell_text(cell: Option<&Cell>) -> String {
    cell.map(|c| c.text().into_owned()).unwrap_or_default()
}

fn int(cell: Option<&Cell>) -> i64 {
    match cell {
        Some(Cell::Int(n)) => *n,
        Some(c) => c.text().parse().unwrap_or(0),
        None => 0,
    }
}

fn last_name(path: &str) -> String {
    path.rsplit(" › ").next().unwrap_or(path).to_owned()
}

impl RowSink for Tally {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        let code = cell_text(cells.first());
        let unit = last_name(&cell_text(cells.get(1)));
        let m = &mut self.month;
        match self.sheet {
            Sheet::Completeness if code == self.root && m.expected == 0 => {
                m.expected = int(cells.get(3));
                m.on_time = int(cells.get(4));
                m.late = int(cells.get(5));
                m.missing = int(cells.get(6));
            }
            Sheet::Reports => {
                for (section, at) in [
                    (Section::Labour, 7),
                    (Section::Living, 9),
                    (Section::Thoughts, 11),
                ] {
                    let label = cell_text(cells.get(at));
                    let Some((_, situation, _)) = self
                        .situations
                        .iter()
                        .find(|(s, _, l)| *s == section && *l == label)
                    else {
                        continue;
                    };
                    let (si, ti) = (section_index(section), situation_index(*situation));
                    m.situations[si][ti] += 1;
                    let note = cell_text(cells.get(at + 1));
                    if !note.trim().is_empty() {
                        m.quotes[si].push(Quote {
                            unit: unit.clone(),
                            situation: *situation,
                            note: labels::shorten(note.trim(), QUOTE_CHARS),
                        });
                    }
                }
            }
            Sheet::Incidents => {
                let severity = cell_text(cells.get(5));
                let rank = self
                    .severities
                    .iter()
                    .find(|(_, l)| *l == severity)
                    .map_or(3, |(r, _)| *r);
                let status = cell_text(cells.get(8));
                if status.is_empty() && rank == 0 {
                    self.alert_lookups.push((m.incidents.len(), code));
                }
                m.incidents.push(IncidentLine {
                    unit,
                    field: cell_text(cells.get(4)),
                    severity,
                    rank,
                    description: labels::shorten(&cell_text(cells.get(7)), QUOTE_CHARS),
                    alert: (!status.is_empty()).then_some(status),
                });
            }
            Sheet::Opinions => m.opinions += 1,
            _ => {}
        }
        Ok(())
    }
}

const SHEETS: [Sheet; 4] = [
    Sheet::Completeness,
    Sheet::Reports,
    Sheet::Incidents,
    Sheet::Opinions,
];

#[derive(Debug, thiserror::Error)]
pub enum SynthesisError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One month of `unit`, from the export's rows and the few reads they do not carry.
async fn month(
    store: &Store,
    calendars: &Calendars,
    unit: &Unit,
    period: Period,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Month, SynthesisError> {
    let scope = Scope::new(
        store,
        calendars,
        Some(&unit.code),
        PeriodRange::Month(period),
        lang,
        now,
    )
    .await?
    .one_sheet_at_a_time();
    let mut situations = Vec::new();
    for section in Section::ALL {
        for s in Situation::ALL {
            situations.push((section, s, labels::situation(lang, section, s)));
        }
    }
    let severities: Vec<(usize, String)> = [Severity::Critical, Severity::Serious, Severity::Minor]
        .into_iter()
        .enumerate()
        .map(|(i, s)| (i, labels::severity(lang, s)))
        .collect();
    let tallies = export::fold(&scope, &SHEETS, |sheet| Tally {
        sheet,
        root: unit.code.clone(),
        situations: situations.clone(),
        severities: severities.clone(),
        month: Month::default(),
        alert_lookups: Vec::new(),
    })
    .await?;
    let mut out = Month::default();
    let mut conn = store.acquire().await?;
    for t in tallies {
        let mut m = t.month;
        for (i, code) in t.alert_lookups {
            if let Some(line) = m.incidents.get_mut(i)
                && let Some(status) =
                    store::report_alert_status(&mut conn, &code, &line.description).await?
            {
                line.alert = Some(
                    crate::alerts::AlertStatus::parse(&status)
                        .map(|s| s.label(lang))
                        .unwrap_or(status),
                );
            }
        }
        out.expected += m.expected;
        out.on_time += m.on_time;
        out.late += m.late;
        out.missing += m.missing;
        out.opinions += m.opinions;
        for i in 0..3 {
            for j in 0..3 {
                out.situations[i][j] += m.situations[i][j];
            }
            out.quotes[i].append(&mut m.quotes[i]);
        }
        out.incidents.append(&mut m.incidents);
    }
    // Worst first; the export's order (the tree's) within a situation or severity.
    for q in &mut out.quotes {
        q.sort_by_key(|q| std::cmp::Reverse(situation_index(q.situation)));
    }
    out.incidents
        .sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.field.cmp(&b.field)));
    out.missing_names = store::missing_names(&mut conn, unit, period, MISSING_NAMED as i64).await?;
    out.proposals = store::proposals(&mut conn, unit, period)
        .await?
        .into_iter()
        .map(|(unit, body, status, _)| {
            let label = match status.as_str() {
                "new" => tr!(lang, "proposals-status-new"),
                "received" => tr!(lang, "proposals-status-received"),
                "forwarded" => tr!(lang, "proposals-status-forwarded"),
                "answered" => tr!(lang, "proposals-status-answered"),
                other => other.to_owned(),
            };
            (unit, labels::shorten(&body, QUOTE_CHARS), label)
        })
        .collect();
    Ok(out)
}

/// The synthesis of `unit` for `period` and the month before.
pub async fn gather(
    store: &Store,
    calendars: &Calendars,
    unit: &Unit,
    period: Period,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Synthesis, SynthesisError> {
    let this = month(store, calendars, unit, period, lang, now).await?;
    let before = month(store, calendars, unit, period.previous(), lang, now).await?;
    Ok(Synthesis {
        unit: unit.clone(),
        period,
        this,
        before,
    })
}

/// A piece of the synthesis as both the message and the document lay it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Title(String),
    Heading(String),
    Line(String),
    /// A section's situations, worst first: (situation, units this month, the month before).
    Situations(Vec<(String, i64, i64)>),
}

fn more(lang: Lang, id: &str, n: usize) -> Option<String> {
    (n > 0).then(|| tr!(lang, id, count = n as i64))
}

/// The synthesis as blocks, in her language.
pub fn blocks(lang: Lang, s: &Synthesis) -> Vec<Block> {
    let (t, b) = (&s.this, &s.before);
    let mut out = vec![Block::Title(tr!(
        lang,
        "synthesis-title",
        month = labels::period(s.period),
        unit = s.unit.name.clone()
    ))];
    out.push(Block::Heading(tr!(
        lang,
        "synthesis-reports-heading",
        expected = t.expected
    )));
    for (id, now, before) in [
        ("synthesis-on-time", t.on_time, b.on_time),
        ("synthesis-late", t.late, b.late),
        ("synthesis-missing", t.missing, b.missing),
    ] {
        out.push(Block::Line(tr!(lang, id, count = now, before = before)));
    }
    if !t.missing_names.is_empty() {
        let mut names = t.missing_names.join(", ");
        let rest = (t.missing as usize).saturating_sub(t.missing_names.len());
        if let Some(m) = more(lang, "synthesis-more-units", rest) {
            names.push(' ');
            names.push_str(&m);
        }
        out.push(Block::Line(tr!(
            lang,
            "synthesis-missing-names",
            names = names
        )));
    }
    for section in Section::ALL {
        let si = section_index(section);
        out.push(Block::Heading(tr!(
            lang,
            "synthesis-section-heading",
            number = (si + 1) as i64,
            section = labels::section(lang, section)
        )));
        out.push(Block::Situations(
            [Situation::Serious, Situation::Concerns, Situation::Stable]
                .into_iter()
                .map(|situation| {
                    let ti = situation_index(situation);
                    (
                        labels::situation(lang, section, situation),
                        t.situations[si][ti],
                        b.situations[si][ti],
                    )
                })
                .collect(),
        ));
        for q in t.quotes[si].iter().take(QUOTES_PER_SECTION) {
            out.push(Block::Line(tr!(
                lang,
                "synthesis-quote",
                unit = q.unit.clone(),
                situation = labels::situation(lang, section, q.situation),
                note = q.note.clone()
            )));
        }
        if let Some(m) = more(
            lang,
            "synthesis-more-quotes",
            t.quotes[si].len().saturating_sub(QUOTES_PER_SECTION),
        ) {
            out.push(Block::Line(m));
        }
        // Members' opinions are what a branch head reads before she sums up their thoughts.
        if section == Section::Thoughts {
            out.push(Block::Line(tr!(
                lang,
                "synthesis-opinions",
                count = t.opinions,
                before = b.opinions
            )));
        }
    }
    out.push(Block::Heading(tr!(
        lang,
        "synthesis-incidents-heading",
        count = t.incidents.len() as i64,
        before = b.incidents.len() as i64
    )));
    if t.incidents.is_empty() {
        out.push(Block::Line(tr!(lang, "synthesis-no-incidents")));
    }
    for i in t.incidents.iter().take(ITEMS_LISTED) {
        let mut line = tr!(
            lang,
            "synthesis-incident",
            severity = i.severity.clone(),
            field = i.field.clone(),
            unit = i.unit.clone(),
            description = i.description.clone()
        );
        if let Some(a) = &i.alert {
            line.push(' ');
            line.push_str(&tr!(lang, "synthesis-incident-alert", status = a.clone()));
        }
        out.push(Block::Line(line));
    }
    if let Some(m) = more(
        lang,
        "synthesis-more-items",
        t.incidents.len().saturating_sub(ITEMS_LISTED),
    ) {
        out.push(Block::Line(m));
    }
    out.push(Block::Heading(tr!(
        lang,
        "synthesis-proposals-heading",
        count = t.proposals.len() as i64,
        before = b.proposals.len() as i64
    )));
    if t.proposals.is_empty() {
        out.push(Block::Line(tr!(lang, "synthesis-no-proposals")));
    }
    for (unit, body, status) in t.proposals.iter().take(ITEMS_LISTED) {
        out.push(Block::Line(tr!(
            lang,
            "synthesis-proposal",
            unit = unit.clone(),
            body = body.clone(),
            status = status.clone()
        )));
    }
    if let Some(m) = more(
        lang,
        "synthesis-more-items",
        t.proposals.len().saturating_sub(ITEMS_LISTED),
    ) {
        out.push(Block::Line(m));
    }
    out
}

/// The synthesis as one chat message (the delivery layer splits it where a platform needs).
pub fn text(lang: Lang, s: &Synthesis) -> String {
    let mut out = String::new();
    for b in blocks(lang, s) {
        match b {
            Block::Title(t) => out.push_str(&t),
            Block::Heading(h) => {
                out.push_str("\n\n");
                out.push_str(&h);
            }
            Block::Line(l) => {
                out.push('\n');
                out.push_str(&l);
            }
            Block::Situations(rows) => {
                for (situation, count, before) in rows {
                    out.push('\n');
                    out.push_str(&tr!(
                        lang,
                        "synthesis-situation",
                        situation = situation,
                        count = count,
                        before = before
                    ));
                }
            }
        }
    }
    out
}

/// The synthesis as a Word document on A4, with the draft's page and paragraphs.
pub fn document(lang: Lang, s: &Synthesis) -> Docx {
    use crate::draft::{TEXT_W, centered, heading, number, page, para, run, table};
    let mut doc = page().add_paragraph(centered(run(s.unit.name.to_uppercase()).bold()));
    let widths = [TEXT_W - 2 * 1_900, 1_900, 1_900];
    for b in blocks(lang, s) {
        doc = match b {
            Block::Title(t) => doc
                .add_paragraph(centered(run(t).bold()))
                .add_paragraph(centered(run(""))),
            Block::Heading(h) => doc.add_paragraph(heading(h)),
            Block::Line(l) => doc.add_paragraph(para(l)),
            Block::Situations(rows) => doc.add_table(table(
                &widths,
                vec![
                    tr!(lang, "synthesis-col-situation"),
                    tr!(lang, "synthesis-col-units"),
                    tr!(lang, "synthesis-col-before"),
                ],
                rows.into_iter()
                    .map(|(situation, count, before)| {
                        vec![situation, number(lang, count), number(lang, before)]
                    })
                    .collect(),
                &[false, true, true],
            )),
        };
    }
    doc
}

/// Writes the document of `s` to `out`.
pub async fn write_document(
    lang: Lang,
    s: &Synthesis,
    out: &std::path::Path,
) -> Result<(), StorageError> {
    let doc = document(lang, s);
    let file = std::fs::File::create(out).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    tokio::task::spawn_blocking(move || doc.build().pack(file))
        .await
        .map_err(|e| StorageError::Corrupt(e.to_string()))?
        .map_err(|e| StorageError::Corrupt(format!("synthesis document: {e}")))?;
    Ok(())
}
