//! The escalation ladder for urgent reports: grassroots officers get an alert at once with
//! choices Đã nhận / Đang xử lý / Đã giải quyết; if nobody acknowledges within the SLA it climbs
//! to the district admins, then to the province admins. An acknowledgement stops the climb;
//! every change is shown to the reporter. Used by the dialogs that raise and move alerts
//! (`dialog::alerts`), by the scheduler that climbs them and by delivery that renders them.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::calendar::Calendars;
use crate::domain::report::{Incident, IncidentField, Severity};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::labels;
use crate::message::Choice;
use crate::storage::StorageError;
use crate::storage::org::{self, Unit};
use crate::storage::outbox::{self, Kind, NewMessage};
use crate::storage::users::{self, User};
use crate::tr;

/// Who is alerted at each level of the ladder.
pub const LEVEL_ROLES: [Role; 3] = [
    Role::GrassrootsOfficer,
    Role::DistrictAdmin,
    Role::ProvinceAdmin,
];

/// Status of an urgent report, in the order it may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertStatus {
    Open,
    Acknowledged,
    InProgress,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::InProgress => "in_progress",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AlertStatus::Open,
            AlertStatus::Acknowledged,
            AlertStatus::InProgress,
            AlertStatus::Resolved,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// The token on its button.
    pub fn token(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "ack",
            AlertStatus::InProgress => "prog",
            AlertStatus::Resolved => "done",
        }
    }

    pub fn from_token(t: &str) -> Option<Self> {
        match t {
            "ack" => Some(AlertStatus::Acknowledged),
            "prog" => Some(AlertStatus::InProgress),
            "done" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }

    pub fn label(self, lang: Lang) -> String {
        match self {
            AlertStatus::Open => tr!(lang, "alert-status-open"),
            AlertStatus::Acknowledged => tr!(lang, "alert-status-acknowledged"),
            AlertStatus::InProgress => tr!(lang, "alert-status-in-progress"),
            AlertStatus::Resolved => tr!(lang, "alert-status-resolved"),
        }
    }
}

/// An urgent report as the ladder sees it.
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: i64,
    pub unit_id: i64,
    pub reporter_id: i64,
    pub incident: Incident,
    pub status: AlertStatus,
    pub level: i64,
    pub created_at: i64,
}

type AlertRow = (i64, i64, i64, String, String, i64, String, String, i64, i64);

pub async fn load(conn: &mut AnyConnection, id: i64) -> Result<Option<Alert>, StorageError> {
    let row: Option<AlertRow> = sqlx::query_as(
        "SELECT id, unit_id, reporter_id, field, severity, people, description, status, level, created_at
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

/// Stores an urgent report and alerts the first level of the ladder that has anyone. Returns
/// the alert id and the outbox rows queued (urgent: they go out at once), or `None` when an
/// alert with the same `origin` exists (an incident of a report resubmitted).
pub async fn raise(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    unit: &Unit,
    reporter: &User,
    incident: &Incident,
    origin: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<(i64, Vec<i64>, usize)>, StorageError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO urgent_reports (unit_id, reporter_id, field, severity, people, description, status, created_at,
                                     updated_at, level, source, origin)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7, 0, $8, $9)
         ON CONFLICT (origin) DO NOTHING RETURNING id",
    )
    .bind(unit.id)
    .bind(reporter.id)
    .bind(incident.field.as_str())
    .bind(incident.severity.as_str())
    .bind(i64::from(incident.people))
    .bind(incident.description.as_str())
    .bind(now.timestamp())
    .bind(if origin.is_some() { "report" } else { "adhoc" })
    .bind(origin)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id,)) = row else { return Ok(None) };
    let (level, ids, count) = climb(conn, calendars, id, unit, reporter.id, 0, now).await?;
    record_event(conn, id, AlertStatus::Open.as_str(), level, None, now).await?;
    Ok(Some((id, ids, count)))
}

/// Alerts the first level from `from` up that has anyone reachable, and sets when it climbs
/// next. Returns (level reached, outbox ids, people alerted).
async fn climb(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    alert_id: i64,
    unit: &Unit,
    reporter_id: i64,
    from: usize,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<i64>, usize), StorageError> {
    let calendar = org::calendar_for(conn, calendars, unit).await?;
    let lineage = unit.lineage_ids();
    for (level, role) in LEVEL_ROLES.iter().enumerate().skip(from) {
        let people: Vec<User> = users::users_in_units_with_roles(conn, &lineage, &[*role])
            .await?
            .into_iter()
            .filter(|u| u.id != reporter_id)
            .collect();
        if people.is_empty() {
            continue;
        }
        let escalate_at = match level {
            0 => Some(now + calendar.escalate_district_after),
            1 => Some(now + calendar.escalate_province_after),
            _ => None,
        };
        set_level(
            conn,
            alert_id,
            level as i64,
            escalate_at.map(|t| t.timestamp()),
            now,
        )
        .await?;
        let mut ids = Vec::new();
        for p in &people {
            let m = NewMessage {
                key: Some(format!("alert:{alert_id}:{level}:{}", p.id)),
                kind: Kind::Alert,
                platform: p.platform.clone(),
                chat_id: p.chat_id.clone(),
                user_id: Some(p.id),
                unit_id: Some(unit.id),
                period: None,
                ref_id: Some(alert_id),
                body: None,
                urgent: true,
                not_before: now.timestamp(),
                lease: None,
            };
            if let Some(id) = outbox::enqueue(conn, &m, now.timestamp()).await? {
                ids.push(id);
            }
        }
        return Ok((level as i64, ids, people.len()));
    }
    // Nobody anywhere above: it stays at the top, and the reporter is told to call.
    set_level(conn, alert_id, (LEVEL_ROLES.len() - 1) as i64, None, now).await?;
    Ok(((LEVEL_ROLES.len() - 1) as i64, Vec::new(), 0))
}

async fn set_level(
    conn: &mut AnyConnection,
    id: i64,
    level: i64,
    escalate_at: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
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
    conn: &mut AnyConnection,
    alert_id: i64,
    status: &str,
    level: i64,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, StorageError> {
    let (id,): (i64,) = sqlx::query_as(
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

/// Tells the reporter about an event of her urgent report.
pub async fn tell_reporter(
    conn: &mut AnyConnection,
    alert: &Alert,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StorageError> {
    let Some(reporter) = users::user_by_id(conn, alert.reporter_id).await? else {
        return Ok(None);
    };
    if !reporter.reachable {
        return Ok(None);
    }
    let m = NewMessage {
        key: Some(format!("alert-event:{event_id}")),
        kind: Kind::AlertStatus,
        platform: reporter.platform.clone(),
        chat_id: reporter.chat_id.clone(),
        user_id: Some(reporter.id),
        unit_id: Some(alert.unit_id),
        period: None,
        ref_id: Some(event_id),
        body: None,
        urgent: true,
        lease: None,
        not_before: now.timestamp(),
    };
    outbox::enqueue(conn, &m, now.timestamp()).await
}

/// Climbs every open alert whose SLA has run out. Safe to run twice at once: each climb first
/// claims its alert by clearing `escalate_at`.
pub async fn escalate_due(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let due: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, escalate_at FROM urgent_reports WHERE status = 'open' AND escalate_at IS NOT NULL AND escalate_at <= $1
         ORDER BY id",
    )
    .bind(now.timestamp())
    .fetch_all(&mut *conn)
    .await?;
    let mut climbed = 0;
    for (id, at) in due {
        let claimed = sqlx::query(
            "UPDATE urgent_reports SET escalate_at = NULL WHERE id = $1 AND escalate_at = $2 AND status = 'open'",
        )
        .bind(id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let Some(alert) = load(conn, id).await? else {
            continue;
        };
        let Some(unit) = org::unit_by_id(conn, alert.unit_id).await? else {
            continue;
        };
        let next = (alert.level + 1) as usize;
        if next >= LEVEL_ROLES.len() {
            continue;
        }
        let (level, _, _) = climb(conn, calendars, id, &unit, alert.reporter_id, next, now).await?;
        let event = record_event(conn, id, "escalated", level, None, now).await?;
        tell_reporter(conn, &alert, event, now).await?;
        climbed += 1;
        tracing::info!(alert = id, level, "urgent report escalated");
    }
    Ok(climbed)
}

/// Buttons for an alert in its current status: only forward moves.
pub fn buttons(lang: Lang, alert_id: i64, status: AlertStatus) -> Vec<Vec<Choice>> {
    let row: Vec<Choice> = [
        AlertStatus::Acknowledged,
        AlertStatus::InProgress,
        AlertStatus::Resolved,
    ]
    .into_iter()
    .filter(|s| *s > status)
    .map(|s| Choice {
        label: match s {
            AlertStatus::Acknowledged => tr!(lang, "button-alert-ack"),
            AlertStatus::InProgress => tr!(lang, "button-alert-progress"),
            _ => tr!(lang, "button-alert-resolved"),
        },
        data: format!("a:{alert_id}:{}", s.token()),
    })
    .collect();
    if row.is_empty() {
        Vec::new()
    } else {
        vec![row]
    }
}

/// The alert as an officer reads it.
pub async fn alert_text(
    conn: &mut AnyConnection,
    lang: Lang,
    alert: &Alert,
) -> Result<String, StorageError> {
    let unit = org::unit_by_id(conn, alert.unit_id).await?;
    let path = match &unit {
        Some(u) => org::path_names(conn, u).await?,
        None => String::new(),
    };
    let reporter = users::user_by_id(conn, alert.reporter_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let mut text = tr!(
        lang,
        "urgent-alert",
        unit = path,
        incident = labels::incident(lang, &alert.incident),
        reporter = reporter
    );
    if alert.level > 0 {
        text.push('\n');
        text.push_str(&tr!(lang, "alert-escalated-note"));
    }
    text.push('\n');
    text.push_str(&tr!(
        lang,
        "alert-status-line",
        status = alert.status.label(lang)
    ));
    Ok(text)
}

/// A small stable hash (FNV-1a) naming an incident of a report, so resubmitting the report does
/// not raise its alert again.
pub fn incident_origin(report_id: i64, inc: &Incident) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in inc.description.bytes().chain(inc.field.as_str().bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("report:{report_id}:{h:016x}")
}
