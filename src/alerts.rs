//! The escalation ladder for urgent reports: grassroots officers get an alert at once with
//! choices Đã nhận / Đang xử lý / Đã giải quyết; if nobody acknowledges within the SLA it climbs
//! to the district admins, then to the province admins. An acknowledgement stops the climb;
//! every change is shown to the reporter. Used by the dialogs that raise and move alerts
//! (`dialog::alerts`), by the scheduler that climbs them and by delivery that renders them.

use chrono::{DateTime, Utc};

use crate::domain::calendar::Calendars;
use crate::domain::report::Incident;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::labels;
use crate::message::Choice;
use crate::storage::alerts as store;
pub use crate::storage::alerts::{event, load, record_event};
use crate::storage::org::{self, Unit};
use crate::storage::outbox::{self, Kind, NewMessage};
use crate::storage::users::{self, User};
use crate::storage::{Conn, StorageError};
use crate::tr;

/// Who is alerted at each level of the ladder.
pub const LEVEL_ROLES: [Role; 3] = [
    Role::GrassrootsOfficer,
    Role::DistrictAdmin,
    Role::ProvinceAdmin,
];

pub use crate::domain::alert::{Alert, AlertStatus};

/// How an alert's status reads.
impl AlertStatus {
    pub fn label(self, lang: Lang) -> String {
        match self {
            AlertStatus::Open => tr!(lang, "alert-status-open"),
            AlertStatus::Acknowledged => tr!(lang, "alert-status-acknowledged"),
            AlertStatus::InProgress => tr!(lang, "alert-status-in-progress"),
            AlertStatus::Resolved => tr!(lang, "alert-status-resolved"),
        }
    }
}

/// Stores an urgent report and alerts the first level of the ladder that has anyone. Returns
/// the alert id and the outbox rows queued (urgent: they go out at once), or `None` when an
/// alert with the same `origin` exists (an incident of a report resubmitted).
pub async fn raise(
    conn: &mut Conn,
    calendars: &Calendars,
    unit: &Unit,
    reporter: &User,
    incident: &Incident,
    origin: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<(i64, Vec<i64>, usize)>, StorageError> {
    let Some(id) = store::insert(conn, unit.id, reporter.id, incident, origin, now).await? else {
        return Ok(None);
    };
    let (level, ids, count) = climb(conn, calendars, id, unit, reporter.id, 0, now).await?;
    store::record_event(conn, id, AlertStatus::Open.as_str(), level, None, now).await?;
    Ok(Some((id, ids, count)))
}

/// Alerts the first level from `from` up that has anyone reachable, and sets when it climbs
/// next. Returns (level reached, outbox ids, people alerted).
async fn climb(
    conn: &mut Conn,
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
        store::set_level(
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
    store::set_level(conn, alert_id, (LEVEL_ROLES.len() - 1) as i64, None, now).await?;
    Ok(((LEVEL_ROLES.len() - 1) as i64, Vec::new(), 0))
}

/// Tells the reporter about an event of her urgent report.
pub async fn tell_reporter(
    conn: &mut Conn,
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
    conn: &mut Conn,
    calendars: &Calendars,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let due = store::due_to_climb(conn, now).await?;
    let mut climbed = 0;
    for (id, at) in due {
        if !store::claim_climb(conn, id, at).await? {
            continue;
        }
        let Some(alert) = store::load(conn, id).await? else {
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
        let event = store::record_event(conn, id, "escalated", level, None, now).await?;
        tell_reporter(conn, &alert, event, now).await?;
        climbed += 1;
        tracing::info!(alert = id, level, "urgent report escalated");
    }
    Ok(climbed)
}

/// Buttons for an alert in its current status: only forward moves. Each carries the status it
/// was made for, so that a choice from an older message is recognised.
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
        data: move_data(alert_id, s, status),
    })
    .collect();
    if row.is_empty() {
        Vec::new()
    } else {
        vec![row]
    }
}

/// The data of the choice moving alert `alert_id` from `seen` to `to`.
pub fn move_data(alert_id: i64, to: AlertStatus, seen: AlertStatus) -> String {
    format!("a:{alert_id}:{}:{}", to.token(), seen.token())
}

/// The alert as an officer reads it.
pub async fn alert_text(
    conn: &mut Conn,
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
