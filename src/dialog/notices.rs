//! Rendering of outbox rows into messages when they are sent: in the recipient's language, with
//! fresh data — and not at all (`None`) when the reason is gone (the unit has reported since
//! the reminder was queued; nothing is pending any more; the alert was resolved).

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::alerts::{self, AlertStatus};
use super::{Choice, Outbound, labels};
use crate::domain::calendar::Calendars;
use crate::domain::org::Level;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::storage::outbox::{self, Kind, NewMessage, OutboxRow};
use crate::storage::users::{self, User};
use crate::storage::{StorageError, Store, org, reports};
use crate::tr;

/// Most units named in one overdue summary (small screens).
const LISTED: usize = 15;

pub async fn render(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    row: &OutboxRow,
    now: DateTime<Utc>,
) -> Result<Option<Outbound>, StorageError> {
    let text_only = |text: String| Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: Vec::new(),
        ..Outbound::default()
    };
    if matches!(row.kind, Kind::Reply | Kind::Notice) {
        return Ok(
            match row.body.as_deref().map(serde_json::from_str::<Outbound>) {
                Some(Ok(mut out)) => {
                    out.chat_id = row.chat_id.clone();
                    Some(out)
                }
                _ => {
                    tracing::error!(id = row.id, "outbox row without a readable body");
                    None
                }
            },
        );
    }
    let recipient = match row.user_id {
        Some(id) => users::user_by_id(conn, id).await?,
        None => None,
    };
    let Some(recipient) = recipient else {
        return Ok(None);
    };
    let lang = Lang::parse(&recipient.lang).unwrap_or_default();
    match row.kind {
        Kind::Reminder => reminder(conn, calendars, row, lang, now).await,
        Kind::Overdue => overdue(conn, row, &recipient, lang).await,
        Kind::Alert => {
            let Some(alert) = alerts::load(conn, row.ref_id.unwrap_or_default()).await? else {
                return Ok(None);
            };
            if alert.status == AlertStatus::Resolved {
                return Ok(None);
            }
            let text = alerts::alert_text(conn, lang, &alert).await?;
            Ok(Some(Outbound {
                chat_id: row.chat_id.clone(),
                text,
                choices: alerts::buttons(lang, alert.id, alert.status),
                ..Outbound::default()
            }))
        }
        Kind::AlertStatus => alert_status(conn, row, lang)
            .await
            .map(|t| t.map(text_only)),
        Kind::Unreachable => {
            let Some(gone) = users::user_by_id(conn, row.ref_id.unwrap_or_default()).await? else {
                return Ok(None);
            };
            let unit = match gone.unit_id {
                Some(id) => org::unit_by_id(conn, id)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            Ok(Some(text_only(tr!(
                lang,
                "unreachable-to-head",
                name = gone.display_name,
                unit = unit
            ))))
        }
        Kind::Digest => digest(conn, calendars, row, lang).await,
        // Made with the store (outside this connection): see `render_row`.
        Kind::Reply | Kind::Notice | Kind::Made => Ok(None),
    }
}

/// Renders any row: charts and exports are made with the store, the rest on one connection.
pub async fn render_row(
    store: &Store,
    calendars: &Calendars,
    row: &OutboxRow,
    now: DateTime<Utc>,
    max_upload_bytes: usize,
) -> Result<Option<Outbound>, StorageError> {
    if row.kind == Kind::Made {
        let lang = match row.user_id {
            Some(id) => {
                let mut conn = store.pool().acquire().await?;
                users::user_by_id(&mut conn, id)
                    .await?
                    .and_then(|u| Lang::parse(&u.lang))
                    .unwrap_or_default()
            }
            None => Lang::Vi,
        };
        return super::admin::make(store, calendars, row, lang, now, max_upload_bytes).await;
    }
    let mut conn = store.pool().acquire().await?;
    render(&mut conn, calendars, row, now).await
}

/// The start-of-month digest to a branch: what it reported, how its union and district did,
/// and what became of its proposals.
async fn digest(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    row: &OutboxRow,
    lang: Lang,
) -> Result<Option<Outbound>, StorageError> {
    let (Some(unit_id), Some(period)) = (row.unit_id, row.period) else {
        return Ok(None);
    };
    let Some(branch) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(None);
    };
    let calendar = org::calendar_for(conn, calendars, &branch).await?;
    let until = (calendar.deadline(period) + calendar.on_time_grace).timestamp();
    let p = labels::period(period);
    let mut text = tr!(
        lang,
        "digest-title",
        period = p.clone(),
        unit = branch.name.clone()
    );
    let report = reports::load_report(conn, unit_id, period).await?;
    match &report {
        Some(r) => {
            let at = calendar.local_text(
                chrono::DateTime::from_timestamp(r.submitted_at, 0).unwrap_or_default(),
            );
            let on_time = r.submitted_at <= until;
            text.push('\n');
            text.push_str(&if on_time {
                tr!(lang, "digest-reported-on-time", time = at)
            } else {
                tr!(lang, "digest-reported-late", time = at)
            });
        }
        None => {
            text.push('\n');
            text.push_str(&tr!(lang, "digest-not-reported", period = p.clone()));
        }
    }
    for ancestor in org::lineage(conn, &branch).await?.into_iter().rev() {
        if !matches!(ancestor.level, Level::Grassroots | Level::District) {
            continue;
        }
        let levels =
            crate::storage::views::completeness_by_level(conn, &ancestor, period, until).await?;
        let mut all = crate::storage::views::Counts::default();
        for c in levels.values() {
            all.on_time += c.on_time;
            all.late += c.late;
            all.missing += c.missing;
        }
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "digest-ancestor",
            unit = ancestor.name.clone(),
            submitted = all.submitted(),
            expected = all.expected(),
            pct = format!("{:.0}", all.on_time_pct())
        ));
    }
    let (activities,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM activities WHERE unit_id = $1 AND period = $2")
            .bind(unit_id)
            .bind(period.to_string())
            .fetch_one(&mut *conn)
            .await?;
    text.push('\n');
    text.push_str(&tr!(
        lang,
        "digest-activities",
        count = activities,
        period = p.clone()
    ));
    if let Some(proposals) = report.as_ref().and_then(|r| r.report.proposals.clone()) {
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "digest-proposals",
            text = super::report::shorten(&proposals, 200)
        ));
    }
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: Vec::new(),
        ..Outbound::default()
    }))
}

async fn reminder(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    row: &OutboxRow,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Option<Outbound>, StorageError> {
    let (Some(unit_id), Some(period)) = (row.unit_id, row.period) else {
        return Ok(None);
    };
    if reports::load_report(conn, unit_id, period).await?.is_some() {
        return Ok(None);
    }
    let Some(unit) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(None);
    };
    let calendar = org::calendar_for(conn, calendars, &unit).await?;
    if now >= calendar.locks_at(period) {
        return Ok(None);
    }
    let deadline = calendar.local_text(calendar.deadline(period));
    let p = labels::period(period);
    let text = if now > calendar.deadline(period) {
        tr!(
            lang,
            "reminder-overdue",
            unit = unit.name,
            period = p,
            deadline = deadline
        )
    } else if row.ref_id == Some(0) {
        tr!(
            lang,
            "reminder-prompt",
            unit = unit.name,
            period = p,
            deadline = deadline
        )
    } else {
        tr!(
            lang,
            "reminder-again",
            unit = unit.name,
            period = p,
            deadline = deadline
        )
    };
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: vec![vec![Choice {
            label: tr!(lang, "button-open-report"),
            data: format!("p:{period}"),
        }]],
        ..Outbound::default()
    }))
}

async fn overdue(
    conn: &mut AnyConnection,
    row: &OutboxRow,
    officer: &User,
    lang: Lang,
) -> Result<Option<Outbound>, StorageError> {
    let (Some(unit_id), Some(period)) = (officer.unit_id, row.period) else {
        return Ok(None);
    };
    let Some(unit) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(None);
    };
    let expected = reports::expected_units(conn, &unit.path, period).await?;
    let pending: Vec<_> = expected
        .iter()
        .filter(|e| e.submitted_at.is_none())
        .collect();
    if pending.is_empty() {
        return Ok(None);
    }
    let mut text = tr!(
        lang,
        "overdue-summary",
        period = labels::period(period),
        pending = pending.len() as i64,
        total = expected.len() as i64
    );
    for e in pending.iter().take(LISTED) {
        text.push_str(&format!("\n• {}", e.name));
    }
    if pending.len() > LISTED {
        text.push_str(&tr!(
            lang,
            "overdue-more",
            count = (pending.len() - LISTED) as i64
        ));
    }
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: vec![vec![Choice {
            label: tr!(lang, "button-remind-all"),
            data: format!("r:{period}"),
        }]],
        ..Outbound::default()
    }))
}

async fn alert_status(
    conn: &mut AnyConnection,
    row: &OutboxRow,
    lang: Lang,
) -> Result<Option<String>, StorageError> {
    let event: Option<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT alert_id, status, by_user FROM alert_events WHERE id = $1")
            .bind(row.ref_id.unwrap_or_default())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((alert_id, status, by)) = event else {
        return Ok(None);
    };
    let Some(alert) = alerts::load(conn, alert_id).await? else {
        return Ok(None);
    };
    let what = labels::field(lang, alert.incident.field);
    let text = match (status.as_str(), by) {
        // "The union above", whatever its level is called in this deployment's tree.
        ("escalated", _) => tr!(lang, "alert-reporter-escalated", incident = what),
        (s, Some(by)) => {
            let Some(status) = AlertStatus::parse(s) else {
                return Ok(None);
            };
            let officer = users::user_by_id(conn, by).await?;
            let (name, role) = match officer {
                Some(o) => (
                    o.display_name.clone(),
                    o.role.map(|r| labels::role(lang, r)).unwrap_or_default(),
                ),
                None => (String::new(), String::new()),
            };
            tr!(
                lang,
                "alert-reporter-status",
                incident = what,
                status = status.label(lang),
                name = name,
                role = role
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(text))
}

/// Someone blocked the bot: her unit's head (or the grassroots officers above) hears of it
/// once a day at most.
pub async fn tell_head_unreachable(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    platform: &str,
    chat_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let gone: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, unit_id FROM users WHERE platform = $1 AND chat_id = $2")
            .bind(platform)
            .bind(chat_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((gone_id, Some(unit_id))) = gone else {
        return Ok(());
    };
    let Some(unit) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(());
    };
    let mut heads: Vec<User> =
        users::users_in_units_with_roles(conn, &[unit.id], &[Role::BranchHead])
            .await?
            .into_iter()
            .filter(|u| u.id != gone_id)
            .collect();
    if heads.is_empty() {
        heads =
            users::users_in_units_with_roles(conn, &unit.lineage_ids(), &[Role::GrassrootsOfficer])
                .await?
                .into_iter()
                .filter(|u| u.id != gone_id)
                .collect();
    }
    let calendar = org::calendar_for(conn, calendars, &unit).await?;
    let day = now.with_timezone(&calendar.tz).format("%Y-%m-%d");
    for head in heads {
        let m = NewMessage {
            key: Some(format!("unreachable:{gone_id}:{}:{day}", head.id)),
            kind: Kind::Unreachable,
            platform: head.platform.clone(),
            chat_id: head.chat_id.clone(),
            user_id: Some(head.id),
            unit_id: Some(unit.id),
            period: None,
            ref_id: Some(gone_id),
            body: None,
            urgent: false,
            not_before: calendar.next_sendable(now).timestamp(),
            lease: None,
        };
        outbox::enqueue(conn, &m, now.timestamp()).await?;
    }
    Ok(())
}
