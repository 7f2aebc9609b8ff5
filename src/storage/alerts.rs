//! Urgent reports and their events: the rows behind the escalation ladder ([`crate::alerts`]).

use chrono::{DateTime, Utc};

use super::sql::{self, Conn};
use super::{Result, StorageError, path_range_end};
use crate::domain::alert::{Alert, AlertStatus};
use crate::domain::report::{Incident, IncidentField, Severity};

type AlertRow = (
    i64,
    i64,
    i64,
    String,
    String,
    i64,
    Option<i64>,
    String,
    String,
    i64,
    i64,
);

pub async fn load(conn: &mut Conn, id: i64) -> Result<Option<Alert>> {
    let row: Option<AlertRow> = sql::query_as(
        "SELECT id, unit_id, reporter_id, field, severity, people, people_from, description, status, level, created_at
         FROM urgent_reports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(
        |(
            id,
            unit_id,
            reporter_id,
            field,
            severity,
            people,
            people_from,
            description,
            status,
            level,
            created_at,
        )| {
            let corrupt = |w: &str| StorageError::Corrupt(format!("urgent report {id}: {w}"));
            Ok(Alert {
                id,
                unit_id,
                reporter_id,
                incident: Incident {
                    field: IncidentField::parse(&field).ok_or_else(|| corrupt("field"))?,
                    severity: Severity::parse(&severity).ok_or_else(|| corrupt("severity"))?,
                    people: u32::try_from(people).map_err(|_| corrupt("people"))?,
                    people_from: people_from
                        .map(u32::try_from)
                        .transpose()
                        .map_err(|_| corrupt("people"))?,
                    description,
                },
                status: AlertStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
                level,
                created_at,
            })
        },
    )
    .transpose()
}

/// Stores an urgent report at level 0; `None` when one with the same `origin` exists.
pub async fn insert(
    conn: &mut Conn,
    unit_id: i64,
    reporter_id: i64,
    incident: &Incident,
    origin: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sql::query_as(
        "INSERT INTO urgent_reports (unit_id, reporter_id, field, severity, people, people_from, description, status,
                                     created_at, updated_at, level, source, origin)
         VALUES ($1, $2, $3, $4, $5, $10, $6, 'open', $7, $7, 0, $8, $9)
         ON CONFLICT (origin) DO NOTHING RETURNING id",
    )
    .bind(unit_id)
    .bind(reporter_id)
    .bind(incident.field.as_str())
    .bind(incident.severity.as_str())
    .bind(i64::from(incident.people))
    .bind(incident.description.as_str())
    .bind(now.timestamp())
    .bind(if origin.is_some() { "report" } else { "adhoc" })
    .bind(origin)
    .bind(incident.people_from.map(i64::from))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id,)| id))
}

pub async fn set_level(
    conn: &mut Conn,
    id: i64,
    level: i64,
    escalate_at: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    sql::query(
        "UPDATE urgent_reports SET level = $1, escalate_at = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(level)
    .bind(escalate_at)
    .bind(now.timestamp())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_event(
    conn: &mut Conn,
    alert_id: i64,
    status: &str,
    level: i64,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (id,): (i64,) = sql::query_as(
        "INSERT INTO alert_events (alert_id, status, level, by_user, at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(alert_id)
    .bind(status)
    .bind(level)
    .bind(by)
    .bind(now.timestamp())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Open alerts whose SLA has run out: (id, escalate_at).
pub async fn due_to_climb(conn: &mut Conn, now: DateTime<Utc>) -> Result<Vec<(i64, i64)>> {
    Ok(sql::query_as(
        "SELECT id, escalate_at FROM urgent_reports WHERE status = 'open' AND escalate_at IS NOT NULL AND escalate_at <= $1
         ORDER BY id",
    )
    .bind(now.timestamp())
    .fetch_all(conn)
    .await?)
}

/// Claims one climb: `false` when another pass (or an acknowledgement) was first.
pub async fn claim_climb(conn: &mut Conn, id: i64, escalate_at: i64) -> Result<bool> {
    let claimed = sql::query(
        "UPDATE urgent_reports SET escalate_at = NULL WHERE id = $1 AND escalate_at = $2 AND status = 'open'",
    )
    .bind(id)
    .bind(escalate_at)
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Moves an alert from `from` to `to`; `false` when it was no longer at `from`.
pub async fn move_status(
    conn: &mut Conn,
    id: i64,
    from: AlertStatus,
    to: AlertStatus,
    by: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = sql::query(
        "UPDATE urgent_reports SET status = $1, escalate_at = NULL, handled_by = $2, updated_at = $3
         WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(by)
    .bind(now.timestamp())
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// Ids of unresolved alerts in the subtree at `path`, newest first, at most `limit`.
pub async fn open_in_subtree(conn: &mut Conn, path: &str, limit: i64) -> Result<Vec<i64>> {
    let ids: Vec<(i64,)> = sql::query_as(
        "SELECT a.id FROM urgent_reports a JOIN units u ON u.id = a.unit_id
         WHERE a.status <> 'resolved' AND u.path >= $1 AND u.path < $2
         ORDER BY a.created_at DESC, a.id DESC LIMIT $3",
    )
    .persistent(false)
    .bind(path)
    .bind(path_range_end(path))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// An event of an alert's life: (alert id, status, who moved it).
pub async fn event(conn: &mut Conn, id: i64) -> Result<Option<(i64, String, Option<i64>)>> {
    Ok(
        sql::query_as("SELECT alert_id, status, by_user FROM alert_events WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}
