//! Exports of a subtree over a month, a half-year or a year: XLSX with sheets for reports,
//! incidents, proposals, opinions, activities, completeness and targets, or CSV of one sheet.
//! Column headers are the questions in the reader's language. Rows are streamed from the
//! database into the writer (XLSX worksheets in constant-memory mode), so memory stays bounded
//! however large the province. Used by `chihoi export` and by `/xuat` in chat.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use futures::TryStreamExt;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use sqlx::Row;

use crate::dialog::labels;
use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::domain::report::{Incident, IncidentField, Section, Severity, Situation};
use crate::i18n::Lang;
use crate::storage::org::{self, Unit};
use crate::storage::{StorageError, Store, path_range_end, views};
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
}

/// A table in memory: headers and rows (small exports and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Where the rows of a sheet go.
trait RowSink {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError>;
}

impl RowSink for Vec<Vec<String>> {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        self.push(cells.to_vec());
        Ok(())
    }
}

struct CsvSink<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write> RowSink for CsvSink<W> {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        self.0.write_record(cells)?;
        Ok(())
    }
}

/// Excel allows 1,048,576 rows a sheet; a larger sheet continues on "Name (2)", "Name (3)"…
const XLSX_MAX_ROWS: u32 = 1_048_575;

struct XlsxSink<'a> {
    book: &'a mut Workbook,
    title: String,
    headers: Vec<String>,
    part: u32,
    row: u32,
    bold: Format,
    wrap: Format,
}

impl<'a> XlsxSink<'a> {
    fn new(
        book: &'a mut Workbook,
        title: String,
        headers: Vec<String>,
    ) -> Result<Self, ExportError> {
        let mut sink = Self {
            book,
            title,
            headers,
            part: 0,
            row: 0,
            bold: Format::new().set_bold().set_text_wrap(),
            wrap: Format::new().set_text_wrap(),
        };
        sink.start_sheet()?;
        Ok(sink)
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, ExportError> {
        let index = self.book.worksheets().len().saturating_sub(1);
        Ok(self.book.worksheet_from_index(index)?)
    }

    fn start_sheet(&mut self) -> Result<(), ExportError> {
        self.part += 1;
        let name = if self.part == 1 {
            self.title.clone()
        } else {
            format!("{} ({})", self.title, self.part)
        };
        let headers = self.headers.clone();
        let bold = self.bold.clone();
        let sheet = self.book.add_worksheet_with_constant_memory();
        sheet.set_name(&name)?;
        let wrap = self.wrap.clone();
        for (c, h) in headers.iter().enumerate() {
            sheet.set_column_width(c as u16, if h.chars().count() > 14 { 28 } else { 16 })?;
            // One column format instead of a format per cell: formats are looked up by hash on
            // every write, which dominated large exports.
            sheet.set_column_format(c as u16, &wrap)?;
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.row = 0;
        Ok(())
    }
}

impl RowSink for XlsxSink<'_> {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        if self.row >= XLSX_MAX_ROWS {
            self.start_sheet()?;
        }
        self.row += 1;
        let row = self.row;
        let sheet = self.sheet()?;
        for (c, cell) in cells.iter().enumerate() {
            if let Ok(n) = cell.parse::<i64>()
                && cell.len() < 12
                && !cell.starts_with('0')
            {
                sheet.write_number(row, c as u16, n as f64)?;
            } else {
                sheet.write_string(row, c as u16, cell)?;
            }
        }
        Ok(())
    }
}

/// What to export: the subtree of `root` (every top unit when `None`) over `range`.
pub struct Scope<'a> {
    pub store: &'a Store,
    pub calendars: &'a Calendars,
    pub roots: Vec<Unit>,
    pub range: PeriodRange,
    pub lang: Lang,
    pub now: DateTime<Utc>,
}

impl<'a> Scope<'a> {
    pub async fn new(
        store: &'a Store,
        calendars: &'a Calendars,
        unit_code: Option<&str>,
        range: PeriodRange,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Self, ExportError> {
        let mut conn = store.pool().acquire().await?;
        let roots = match unit_code {
            Some(code) => vec![
                org::unit_by_code(&mut conn, code)
                    .await?
                    .ok_or_else(|| ExportError::UnknownUnit(code.to_owned()))?,
            ],
            None => org::children(&mut conn, None).await?,
        };
        Ok(Self {
            store,
            calendars,
            roots,
            range,
            lang,
            now,
        })
    }

    fn tz(&self) -> Tz {
        self.calendars.tz
    }

    fn time(&self, ts: i64) -> String {
        self.tz()
            .timestamp_opt(ts, 0)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }

    fn month_list(&self) -> Vec<String> {
        self.range
            .months()
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }
}

/// Unit names by id and a path of names, for every unit under the scope's roots.
struct Names(HashMap<i64, String>);

impl Names {
    async fn load(scope: &Scope<'_>) -> Result<Self, ExportError> {
        let mut conn = scope.store.pool().acquire().await?;
        let mut map = HashMap::new();
        for root in &scope.roots {
            for above in org::lineage(&mut conn, root).await? {
                map.insert(above.id, above.name);
            }
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM units WHERE path >= $1 AND path < $2")
                    .bind(&root.path)
                    .bind(path_range_end(&root.path))
                    .fetch_all(&mut *conn)
                    .await?;
            map.extend(rows);
        }
        Ok(Self(map))
    }

    fn path(&self, id_path: &str) -> String {
        id_path
            .split('/')
            .filter_map(|id| id.parse::<i64>().ok())
            .filter_map(|id| self.0.get(&id).map(String::as_str))
            .collect::<Vec<_>>()
            .join(" › ")
    }
}

fn headers(lang: Lang, sheet: Sheet) -> Vec<String> {
    let h = |ids: &[&str]| {
        ids.iter()
            .map(|id| crate::i18n::t(lang, id))
            .collect::<Vec<_>>()
    };
    match sheet {
        Sheet::Reports => vec![
            tr!(lang, "export-unit-code"),
            tr!(lang, "export-unit-path"),
            tr!(lang, "export-period"),
            tr!(lang, "export-author"),
            tr!(lang, "export-submitted-at"),
            tr!(lang, "export-updated-at"),
            tr!(lang, "export-revision"),
            tr!(lang, "export-labour"),
            tr!(lang, "export-labour-note"),
            tr!(lang, "export-living"),
            tr!(lang, "export-living-note"),
            tr!(lang, "export-thoughts"),
            tr!(lang, "export-thoughts-note"),
            tr!(lang, "export-incident-count"),
            tr!(lang, "export-incidents"),
            tr!(lang, "export-proposals"),
        ],
        Sheet::Incidents => vec![
            tr!(lang, "export-unit-code"),
            tr!(lang, "export-unit-path"),
            tr!(lang, "export-period"),
            tr!(lang, "export-source"),
            tr!(lang, "export-field"),
            tr!(lang, "export-severity"),
            tr!(lang, "export-people"),
            tr!(lang, "export-description"),
            tr!(lang, "export-status"),
        ],
        Sheet::Proposals => vec![
            tr!(lang, "export-unit-code"),
            tr!(lang, "export-unit-path"),
            tr!(lang, "export-period"),
            tr!(lang, "export-author"),
            tr!(lang, "export-proposals"),
        ],
        Sheet::Opinions => vec![
            tr!(lang, "export-unit-code"),
            tr!(lang, "export-unit-path"),
            tr!(lang, "export-period"),
            tr!(lang, "export-sent-at"),
            tr!(lang, "export-author"),
            tr!(lang, "export-opinion"),
        ],
        Sheet::Activities => vec![
            tr!(lang, "export-unit-code"),
            tr!(lang, "export-unit-path"),
            tr!(lang, "export-date"),
            tr!(lang, "export-activity-type"),
            tr!(lang, "export-amount"),
            tr!(lang, "export-measure"),
            tr!(lang, "export-description"),
            tr!(lang, "export-photos"),
        ],
        Sheet::Completeness => vec![
            tr!(lang, "export-unit-code"),
            tr!(lang, "export-unit-path"),
            tr!(lang, "export-period"),
            tr!(lang, "export-expected"),
            tr!(lang, "export-on-time"),
            tr!(lang, "export-late"),
            tr!(lang, "export-missing"),
            tr!(lang, "export-on-time-rate"),
        ],
        Sheet::Targets => h(&[
            "export-unit-code",
            "export-unit-path",
            "export-target-number",
            "export-target",
            "export-target-level",
            "export-goal",
            "export-achieved",
            "export-total",
            "export-progress",
        ]),
    }
}

fn incident_text(
    lang: Lang,
    field: &str,
    severity: &str,
    people: i64,
    description: String,
) -> Option<String> {
    Some(labels::incident(
        lang,
        &Incident {
            field: IncidentField::parse(field)?,
            severity: Severity::parse(severity)?,
            people: u32::try_from(people).ok()?,
            description,
        },
    ))
}

/// The situation labels of every section, looked up once per export rather than per row.
struct SituationLabels(Vec<(Section, &'static str, String)>);

impl SituationLabels {
    fn new(lang: Lang) -> Self {
        let mut all = Vec::new();
        for section in Section::ALL {
            for s in Situation::ALL {
                all.push((section, s.as_str(), labels::situation(lang, section, s)));
            }
        }
        Self(all)
    }

    fn get(&self, section: Section, stored: &str) -> String {
        self.0
            .iter()
            .find(|(sec, s, _)| *sec == section && *s == stored)
            .map(|(_, _, label)| label.clone())
            .unwrap_or_default()
    }
}

/// Binds the scope's months after `first` placeholders; returns `$first+1, …`.
fn month_params(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", first + i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn write_sheet(
    scope: &Scope<'_>,
    names: &Names,
    sheet: Sheet,
    sink: &mut (dyn RowSink + Send),
) -> Result<usize, ExportError> {
    let lang = scope.lang;
    let months = scope.month_list();
    let mut conn = scope.store.pool().acquire().await?;
    let mut count = 0usize;
    let situations = SituationLabels::new(lang);
    for root in &scope.roots {
        let end = path_range_end(&root.path);
        match sheet {
            Sheet::Reports => {
                // Incidents of the scope first (far fewer than reports), then reports streamed.
                let sql = format!(
                    "SELECT i.report_id, i.field, i.severity, i.people, i.description FROM incidents i
                     JOIN reports r ON r.id = i.report_id JOIN units u ON u.id = r.unit_id
                     WHERE u.path >= $1 AND u.path < $2 AND r.period IN ({}) ORDER BY i.report_id, i.position",
                    month_params(2, months.len())
                );
                let mut q = sqlx::query_as::<_, (i64, String, String, i64, String)>(&sql)
                    .bind(&root.path)
                    .bind(&end);
                for m in &months {
                    q = q.bind(m);
                }
                let mut incidents: HashMap<i64, Vec<String>> = HashMap::new();
                for (id, f, s, p, d) in q.fetch_all(&mut *conn).await? {
                    let list = incidents.entry(id).or_default();
                    let line = incident_text(lang, &f, &s, p, d).unwrap_or_default();
                    list.push(format!("{}. {line}", list.len() + 1));
                }
                let sql = format!(
                    "SELECT r.id, u.code, u.path, r.period, a.display_name, r.submitted_at, r.updated_at, r.revision,
                            r.labour_level, r.labour_note, r.living_level, r.living_note, r.thoughts_level, r.thoughts_note,
                            r.proposals
                     FROM reports r JOIN units u ON u.id = r.unit_id JOIN users a ON a.id = r.author_id
                     WHERE u.path >= $1 AND u.path < $2 AND r.period IN ({}) ORDER BY r.period, u.path",
                    month_params(2, months.len())
                );
                let mut q = sqlx::query(&sql).bind(&root.path).bind(&end);
                for m in &months {
                    q = q.bind(m);
                }
                let mut rows = q.fetch(&mut *conn);
                while let Some(r) = rows.try_next().await? {
                    let id: i64 = r.try_get(0)?;
                    let inc = incidents.remove(&id).unwrap_or_default();
                    let cells = vec![
                        r.try_get::<String, _>(1)?,
                        names.path(&r.try_get::<String, _>(2)?),
                        r.try_get::<String, _>(3)?,
                        r.try_get::<String, _>(4)?,
                        scope.time(r.try_get(5)?),
                        scope.time(r.try_get(6)?),
                        r.try_get::<i64, _>(7)?.to_string(),
                        situations.get(Section::Labour, &r.try_get::<String, _>(8)?),
                        r.try_get::<Option<String>, _>(9)?.unwrap_or_default(),
                        situations.get(Section::Living, &r.try_get::<String, _>(10)?),
                        r.try_get::<Option<String>, _>(11)?.unwrap_or_default(),
                        situations.get(Section::Thoughts, &r.try_get::<String, _>(12)?),
                        r.try_get::<Option<String>, _>(13)?.unwrap_or_default(),
                        inc.len().to_string(),
                        inc.join("\n"),
                        r.try_get::<Option<String>, _>(14)?.unwrap_or_default(),
                    ];
                    sink.row(&cells)?;
                    count += 1;
                }
            }
            Sheet::Incidents => {
                let sql = format!(
                    "SELECT u.code, u.path, r.period, i.field, i.severity, i.people, i.description FROM incidents i
                     JOIN reports r ON r.id = i.report_id JOIN units u ON u.id = r.unit_id
                     WHERE u.path >= $1 AND u.path < $2 AND r.period IN ({}) ORDER BY r.period, u.path, i.position",
                    month_params(2, months.len())
                );
                let mut q = sqlx::query_as::<
                    _,
                    (String, String, String, String, String, i64, String),
                >(&sql)
                .bind(&root.path)
                .bind(&end);
                for m in &months {
                    q = q.bind(m);
                }
                let monthly = tr!(lang, "export-source-monthly");
                let mut rows = q.fetch(&mut *conn);
                while let Some((code, path, period, f, s, p, d)) = rows.try_next().await? {
                    let field = IncidentField::parse(&f)
                        .map(|v| labels::field(lang, v))
                        .unwrap_or(f);
                    let sev = Severity::parse(&s)
                        .map(|v| labels::severity(lang, v))
                        .unwrap_or(s);
                    sink.row(&[
                        code,
                        names.path(&path),
                        period,
                        monthly.clone(),
                        field,
                        sev,
                        p.to_string(),
                        d,
                        String::new(),
                    ])?;
                    count += 1;
                }
                drop(rows);
                let (from, to) = range_bounds(scope);
                let urgent: Vec<(String, String, i64, String, String, i64, String, String)> = sqlx::query_as(
                    "SELECT u.code, u.path, a.created_at, a.field, a.severity, a.people, a.description, a.status
                     FROM urgent_reports a JOIN units u ON u.id = a.unit_id
                     WHERE u.path >= $1 AND u.path < $2 AND a.created_at >= $3 AND a.created_at < $4 AND a.source = 'adhoc'
                     ORDER BY a.created_at",
                )
                .bind(&root.path)
                .bind(&end)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?;
                let adhoc = tr!(lang, "export-source-urgent");
                for (code, path, at, f, s, p, d, status) in urgent {
                    let field = IncidentField::parse(&f)
                        .map(|v| labels::field(lang, v))
                        .unwrap_or(f);
                    let sev = Severity::parse(&s)
                        .map(|v| labels::severity(lang, v))
                        .unwrap_or(s);
                    let status = crate::dialog::alerts::AlertStatus::parse(&status)
                        .map(|v| v.label(lang))
                        .unwrap_or(status);
                    let period = Period::containing(
                        DateTime::from_timestamp(at, 0).unwrap_or_default(),
                        scope.tz(),
                    );
                    let cells = [
                        code,
                        names.path(&path),
                        period.to_string(),
                        adhoc.clone(),
                        field,
                        sev,
                        p.to_string(),
                        d,
                        status,
                    ];
                    sink.row(&cells)?;
                    count += 1;
                }
            }
            Sheet::Proposals => {
                let sql = format!(
                    "SELECT u.code, u.path, r.period, a.display_name, r.proposals FROM reports r
                     JOIN units u ON u.id = r.unit_id JOIN users a ON a.id = r.author_id
                     WHERE u.path >= $1 AND u.path < $2 AND r.proposals IS NOT NULL AND r.period IN ({})
                     ORDER BY r.period, u.path",
                    month_params(2, months.len())
                );
                let mut q = sqlx::query_as::<_, (String, String, String, String, String)>(&sql)
                    .bind(&root.path)
                    .bind(&end);
                for m in &months {
                    q = q.bind(m);
                }
                let mut rows = q.fetch(&mut *conn);
                while let Some((code, path, period, author, text)) = rows.try_next().await? {
                    sink.row(&[code, names.path(&path), period, author, text])?;
                    count += 1;
                }
            }
            Sheet::Opinions => {
                let sql = format!(
                    "SELECT u.code, u.path, o.period, o.created_at, o.anonymous, a.display_name, o.body FROM opinions o
                     JOIN units u ON u.id = o.unit_id JOIN users a ON a.id = o.author_id
                     WHERE u.path >= $1 AND u.path < $2 AND o.period IN ({}) ORDER BY o.created_at, o.id",
                    month_params(2, months.len())
                );
                let mut q =
                    sqlx::query_as::<_, (String, String, String, i64, i64, String, String)>(&sql)
                        .bind(&root.path)
                        .bind(&end);
                for m in &months {
                    q = q.bind(m);
                }
                let anonymous = tr!(lang, "opinion-anonymous-name");
                let mut rows = q.fetch(&mut *conn);
                while let Some((code, path, period, at, anon, author, body)) =
                    rows.try_next().await?
                {
                    let who = if anon != 0 { anonymous.clone() } else { author };
                    sink.row(&[code, names.path(&path), period, scope.time(at), who, body])?;
                    count += 1;
                }
            }
            Sheet::Activities => {
                let sql = format!(
                    "SELECT u.code, u.path, a.happened_on, t.name_vi, t.name_en, a.amount, t.measure, a.description,
                            COALESCE(p.n, 0)
                     FROM activities a JOIN units u ON u.id = a.unit_id JOIN activity_types t ON t.code = a.type_code
                     LEFT JOIN (SELECT activity_id, COUNT(*) AS n FROM activity_photos GROUP BY activity_id) p
                            ON p.activity_id = a.id
                     WHERE u.path >= $1 AND u.path < $2 AND a.period IN ({}) ORDER BY a.period, u.path, a.id",
                    month_params(2, months.len())
                );
                let mut q = sqlx::query(&sql).bind(&root.path).bind(&end);
                for m in &months {
                    q = q.bind(m);
                }
                let measures = [
                    ("participants", tr!(lang, "activity-unit-participants")),
                    ("households", tr!(lang, "activity-unit-households")),
                    ("count", tr!(lang, "activity-unit-count")),
                ];
                let mut rows = q.fetch(&mut *conn);
                while let Some(r) = rows.try_next().await? {
                    let name: String = r.try_get(if lang == Lang::Vi { 3 } else { 4 })?;
                    let measure: String = r.try_get(6)?;
                    let measure = measures
                        .iter()
                        .find(|(k, _)| *k == measure)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(measure);
                    let cells = vec![
                        r.try_get::<String, _>(0)?,
                        names.path(&r.try_get::<String, _>(1)?),
                        r.try_get::<String, _>(2)?,
                        name,
                        r.try_get::<i64, _>(5)?.to_string(),
                        measure,
                        r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
                        r.try_get::<i64, _>(8)?.to_string(),
                    ];
                    sink.row(&cells)?;
                    count += 1;
                }
            }
            Sheet::Completeness => {
                // One row per month for the root and for each grassroots union under it: one
                // grouped statement per month, whatever the number of unions.
                let calendar = org::calendar_for(&mut conn, scope.calendars, root).await?;
                let grassroots: Vec<(i64, String, String, i64)> = sqlx::query_as(
                    "SELECT id, code, path, depth FROM units WHERE path >= $1 AND path < $2 AND level = 'grassroots' ORDER BY path",
                )
                .bind(&root.path)
                .bind(&end)
                .fetch_all(&mut *conn)
                .await?;
                let depths: std::collections::BTreeSet<i64> =
                    grassroots.iter().map(|g| g.3).collect();
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
                    let mut line = |code: &str, path: &str, c: views::Counts| {
                        sink.row(&[
                            code.to_owned(),
                            names.path(path),
                            period.to_string(),
                            c.expected().to_string(),
                            c.on_time.to_string(),
                            c.late.to_string(),
                            c.missing.to_string(),
                            format!("{:.1}", c.on_time_pct()),
                        ])
                    };
                    line(&root.code, &root.path, all)?;
                    count += 1;
                    for (id, code, path, _) in &grassroots {
                        line(code, path, counts.get(id).copied().unwrap_or_default())?;
                        count += 1;
                    }
                }
            }
            Sheet::Targets => {
                let year = scope.range.year();
                let list = crate::dialog::admin_targets_under(&mut conn, root, year).await?;
                let children: HashMap<i64, Unit> = org::children(&mut conn, Some(root.id))
                    .await?
                    .into_iter()
                    .map(|u| (u.id, u))
                    .collect();
                for (t, total, by_child) in &list {
                    let title = if lang == Lang::Vi {
                        t.title_vi.clone()
                    } else {
                        t.title_en.clone()
                    };
                    let mut line = |code: &str, path: &str, p: &views::Progress| {
                        sink.row(&[
                            code.to_owned(),
                            names.path(path),
                            t.number.to_string(),
                            title.clone(),
                            labels::level(lang, t.level),
                            t.goal_pct.to_string(),
                            p.achieved.to_string(),
                            p.total.to_string(),
                            format!("{:.1}", p.pct()),
                        ])
                    };
                    line(&root.code, &root.path, total)?;
                    count += 1;
                    for (child, p) in by_child {
                        if let Some(c) = children.get(child) {
                            line(&c.code, &c.path, p)?;
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
fn range_bounds(scope: &Scope<'_>) -> (i64, i64) {
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
pub async fn table(scope: &Scope<'_>, sheet: Sheet) -> Result<Table, ExportError> {
    let names = Names::load(scope).await?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    write_sheet(scope, &names, sheet, &mut rows).await?;
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

/// CSV of one sheet, UTF-8 with a byte-order mark so that Excel shows Vietnamese correctly.
pub async fn csv_bytes(scope: &Scope<'_>, sheet: Sheet) -> Result<(Vec<u8>, usize), ExportError> {
    let names = Names::load(scope).await?;
    let mut out = Vec::from("\u{feff}".as_bytes());
    let n = {
        let mut sink = CsvSink(csv::Writer::from_writer(&mut out));
        sink.row(&headers(scope.lang, sheet))?;
        let n = write_sheet(scope, &names, sheet, &mut sink).await?;
        sink.0.flush()?;
        n
    };
    Ok((out, n))
}

/// The workbook with every sheet; returns it and the number of monthly reports in it.
async fn workbook(scope: &Scope<'_>) -> Result<(Workbook, usize), ExportError> {
    let names = Names::load(scope).await?;
    let mut book = Workbook::new();
    let mut reports = 0;
    for sheet in Sheet::ALL {
        let mut sink = XlsxSink::new(
            &mut book,
            sheet.title(scope.lang),
            headers(scope.lang, sheet),
        )?;
        let n = write_sheet(scope, &names, sheet, &mut sink).await?;
        if sheet == Sheet::Reports {
            reports = n;
        }
    }
    Ok((book, reports))
}

pub async fn xlsx_bytes(scope: &Scope<'_>) -> Result<(Vec<u8>, usize), ExportError> {
    let (mut book, n) = workbook(scope).await?;
    Ok((book.save_to_buffer()?, n))
}

/// Writes the export to `out`: XLSX with every sheet, or CSV of `sheet`. Returns the number of
/// rows of the reports sheet (XLSX) or of the sheet written (CSV).
pub async fn export_to_file(
    scope: &Scope<'_>,
    format: ExportFormat,
    sheet: Sheet,
    out: &Path,
) -> Result<usize, ExportError> {
    match format {
        ExportFormat::Xlsx => {
            let (mut book, n) = workbook(scope).await?;
            book.save(out)?;
            Ok(n)
        }
        ExportFormat::Csv => {
            let (bytes, n) = csv_bytes(scope, sheet).await?;
            std::fs::write(out, bytes)?;
            Ok(n)
        }
    }
}

/// An export for chat: XLSX of everything, or CSV of the reports.
pub async fn export_bytes(
    store: &Store,
    calendars: &Calendars,
    unit_code: Option<&str>,
    range: PeriodRange,
    format: ExportFormat,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, usize), ExportError> {
    let scope = Scope::new(store, calendars, unit_code, range, lang, now).await?;
    match format {
        ExportFormat::Xlsx => xlsx_bytes(&scope).await,
        ExportFormat::Csv => csv_bytes(&scope, Sheet::Reports).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut out = Vec::new();
        {
            let mut sink = CsvSink(csv::Writer::from_writer(&mut out));
            sink.row(&[
                "TB-DH".into(),
                "Bà con phấn khởi, \"được mùa\"\nxuống dòng 🌾".into(),
            ])
            .unwrap();
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
    fn xlsx_sheets_continue_past_excels_row_limit_and_read_back() {
        use calamine::{Reader, Xlsx};
        let mut book = Workbook::new();
        {
            let mut sink = XlsxSink::new(
                &mut book,
                "Báo cáo tháng".into(),
                vec!["Mã".into(), "Ghi chú".into()],
            )
            .unwrap();
            sink.row(&["TB-DH".into(), "Được mùa 🌾".into()]).unwrap();
            sink.row(&["42".into(), "007".into()]).unwrap();
            // Pretend the sheet is full: the next row starts "Báo cáo tháng (2)".
            sink.row = XLSX_MAX_ROWS;
            sink.row(&["TB-TP".into(), "tiếp".into()]).unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        let mut xlsx: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let first = xlsx.worksheet_range("Báo cáo tháng").unwrap();
        assert_eq!(first.get_value((0, 1)).unwrap().to_string(), "Ghi chú");
        assert_eq!(first.get_value((1, 1)).unwrap().to_string(), "Được mùa 🌾");
        assert_eq!(
            first.get_value((2, 0)).unwrap().to_string(),
            "42",
            "numbers stay numbers"
        );
        assert_eq!(
            first.get_value((2, 1)).unwrap().to_string(),
            "007",
            "codes with leading zeros stay text"
        );
        let second = xlsx.worksheet_range("Báo cáo tháng (2)").unwrap();
        assert_eq!(second.get_value((0, 0)).unwrap().to_string(), "Mã");
        assert_eq!(second.get_value((1, 0)).unwrap().to_string(), "TB-TP");
    }
}
