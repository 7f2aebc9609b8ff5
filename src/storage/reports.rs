//! Monthly reports (drafts and submitted), their incidents, urgent reports and members'
//! opinions.

use super::sql::{self, Conn};
use super::{Result, StorageError, org, path_range_end};
use crate::domain::period::Period;
use crate::domain::report::{
    Incident, IncidentField, MonthlyReport, ReportDraft, SectionAnswer, Severity, Situation,
};

fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(what.to_string())
}

pub async fn load_draft(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
) -> Result<Option<ReportDraft>> {
    let row: Option<(String,)> =
        sql::query_as("SELECT body FROM report_drafts WHERE unit_id = $1 AND period = $2")
            .bind(unit_id)
            .bind(period.to_string())
            .fetch_optional(conn)
            .await?;
    row.map(|(body,)| serde_json::from_str(&body).map_err(corrupt))
        .transpose()
}

pub async fn save_draft(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
    draft: &ReportDraft,
    user_id: i64,
    now: i64,
) -> Result<()> {
    let body = serde_json::to_string(draft).map_err(corrupt)?;
    sql::query(
        "INSERT INTO report_drafts (unit_id, period, body, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (unit_id, period) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(unit_id)
    .bind(period.to_string())
    .bind(body)
    .bind(user_id)
    .bind(now)
    .defer(conn)
    .await?;
    Ok(())
}

pub async fn delete_draft(conn: &mut Conn, unit_id: i64, period: Period) -> Result<()> {
    sql::query("DELETE FROM report_drafts WHERE unit_id = $1 AND period = $2")
        .bind(unit_id)
        .bind(period.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// A submitted report with its bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub id: i64,
    pub unit_id: i64,
    pub period: Period,
    pub author_id: i64,
    pub report: MonthlyReport,
    pub submitted_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

/// Stores the unit's report for the period: the first submission inserts, a correction
/// replaces the answers and bumps the revision. Incidents are replaced with the report's.
pub async fn upsert_report(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
    author_id: i64,
    report: &MonthlyReport,
    now: i64,
) -> Result<(i64, i64)> {
    let (id, revision): (i64, i64) = sql::query_as(
        "INSERT INTO reports (unit_id, period, author_id, labour_level, labour_note, living_level, living_note,
                              thoughts_level, thoughts_note, proposals, submitted_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (unit_id, period) DO UPDATE SET
           author_id = excluded.author_id, labour_level = excluded.labour_level, labour_note = excluded.labour_note,
           living_level = excluded.living_level, living_note = excluded.living_note,
           thoughts_level = excluded.thoughts_level, thoughts_note = excluded.thoughts_note,
           proposals = excluded.proposals, updated_at = excluded.updated_at, revision = reports.revision + 1
         RETURNING id, revision",
    )
    .bind(unit_id)
    .bind(period.to_string())
    .bind(author_id)
    .bind(report.labour.situation.as_str())
    .bind(report.labour.note.as_deref())
    .bind(report.living.situation.as_str())
    .bind(report.living.note.as_deref())
    .bind(report.thoughts.situation.as_str())
    .bind(report.thoughts.note.as_deref())
    .bind(report.proposals.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sql::query("DELETE FROM incidents WHERE report_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (pos, inc) in report.incidents.iter().enumerate() {
        sql::query(
            "INSERT INTO incidents (report_id, position, field, severity, people, people_from, description)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(pos as i64)
        .bind(inc.field.as_str())
        .bind(inc.severity.as_str())
        .bind(i64::from(inc.people))
        .bind(inc.people_from.map(i64::from))
        .bind(inc.description.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok((id, revision))
}

type ReportRow = (
    i64,
    i64,
    String,
    i64,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    i64,
);

const REPORT_COLUMNS: &str = "r.id, r.unit_id, r.period, r.author_id, r.labour_level, r.labour_note, r.living_level, \
     r.living_note, r.thoughts_level, r.thoughts_note, r.proposals, r.submitted_at, r.updated_at, r.revision";

fn answer(level: &str, note: Option<String>) -> Result<SectionAnswer> {
    Ok(SectionAnswer {
        situation: Situation::parse(level)
            .ok_or_else(|| corrupt(format!("situation {level:?}")))?,
        note,
    })
}

async fn incidents_of(conn: &mut Conn, report_id: i64) -> Result<Vec<Incident>> {
    let rows: Vec<(String, String, i64, Option<i64>, String)> = sql::query_as(
        "SELECT field, severity, people, people_from, description FROM incidents WHERE report_id = $1 ORDER BY position",
    )
    .bind(report_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(field, severity, people, people_from, description)| {
            Ok(Incident {
                field: IncidentField::parse(&field)
                    .ok_or_else(|| corrupt(format!("field {field:?}")))?,
                severity: Severity::parse(&severity)
                    .ok_or_else(|| corrupt(format!("severity {severity:?}")))?,
                people: u32::try_from(people).map_err(corrupt)?,
                people_from: people_from
                    .map(u32::try_from)
                    .transpose()
                    .map_err(corrupt)?,
                description,
            })
        })
        .collect()
}

async fn report_from_row(conn: &mut Conn, row: ReportRow) -> Result<StoredReport> {
    let (
        id,
        unit_id,
        period,
        author_id,
        l,
        ln,
        v,
        vn,
        t,
        tn,
        proposals,
        submitted_at,
        updated_at,
        revision,
    ) = row;
    Ok(StoredReport {
        id,
        unit_id,
        period: period.parse().map_err(corrupt)?,
        author_id,
        report: MonthlyReport {
            labour: answer(&l, ln)?,
            living: answer(&v, vn)?,
            thoughts: answer(&t, tn)?,
            incidents: incidents_of(conn, id).await?,
            proposals,
        },
        submitted_at,
        updated_at,
        revision,
    })
}

pub async fn load_report(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
) -> Result<Option<StoredReport>> {
    let row: Option<ReportRow> = sql::query_as(&format!(
        "SELECT {REPORT_COLUMNS} FROM reports r WHERE r.unit_id = $1 AND r.period = $2"
    ))
    .bind(unit_id)
    .bind(period.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(report_from_row(conn, row).await?)),
        None => Ok(None),
    }
}

// ---- opinions -------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    pub id: i64,
    /// `None` for an anonymous opinion: it keeps no link to its author.
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: i64,
}

/// Stores an opinion; an anonymous one without its author (nothing stored leads back to her).
pub async fn insert_opinion(
    conn: &mut Conn,
    unit_id: i64,
    author_id: i64,
    anonymous: bool,
    body: &str,
    period: Period,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sql::query_as(
        "INSERT INTO opinions (unit_id, author_id, anonymous, body, period, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(unit_id)
    .bind((!anonymous).then_some(author_id))
    .bind(i64::from(anonymous))
    .bind(body)
    .bind(period.to_string())
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The period's opinions sent to a unit; anonymous ones carry no name.
pub async fn opinions_for(conn: &mut Conn, unit_id: i64, period: Period) -> Result<Vec<Opinion>> {
    let rows: Vec<(i64, Option<i64>, Option<String>, String, i64)> = sql::query_as(
        "SELECT o.id, o.author_id, u.display_name, o.body, o.created_at
         FROM opinions o LEFT JOIN users u ON u.id = o.author_id
         WHERE o.unit_id = $1 AND o.period = $2 ORDER BY o.created_at, o.id",
    )
    .bind(unit_id)
    .bind(period.to_string())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, author_id, author_name, body, created_at)| Opinion {
            id,
            author_id,
            author_name,
            body,
            created_at,
        })
        .collect())
}

// ---- completeness ----------------------------------------------------------------------------

/// A unit expected to report monthly (branches and grassroots unions), with its report if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub path: String,
    pub level: String,
    pub submitted_at: Option<i64>,
}

/// Every expected unit in the subtree at `root_path` with its report for `period`, in one
/// set-based query; in tree order with siblings by name ([`org::tree_order`]), as the overdue
/// summary lists them.
pub async fn expected_units(
    conn: &mut Conn,
    root_path: &str,
    period: Period,
) -> Result<Vec<Expected>> {
    let rows: Vec<(i64, String, String, String, String, Option<i64>)> = sql::query_as(
        "SELECT u.id, u.code, u.name, u.path, u.level, r.submitted_at
         FROM units u LEFT JOIN reports r ON r.unit_id = u.id AND r.period = $1
         WHERE u.level IN ('branch', 'grassroots') AND u.path >= $2 AND u.path < $3",
    )
    .persistent(false)
    .bind(period.to_string())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .fetch_all(conn)
    .await?;
    let mut out: Vec<Expected> = rows
        .into_iter()
        .map(
            |(unit_id, code, name, path, level, submitted_at)| Expected {
                unit_id,
                code,
                name,
                path,
                level,
                submitted_at,
            },
        )
        .collect();
    let order = org::tree_order(
        out.iter()
            .map(|e| (e.unit_id, e.path.as_str(), e.name.as_str(), e.code.as_str())),
    );
    out.sort_by_key(|e| order.get(&e.unit_id).copied().unwrap_or(usize::MAX));
    Ok(out)
}
