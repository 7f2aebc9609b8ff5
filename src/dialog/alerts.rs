//! Alerts as dialog steps: an officer moves an urgent report along (Đã nhận / Đang xử lý /
//! Đã giải quyết), and `/canhbao` lists the open alerts of her subtree. The ladder itself is
//! [`crate::alerts`].

pub use crate::alerts::*;

use super::paging::Page;
use super::{Choice, Ctx, DialogError};
use crate::labels;
use crate::storage::alerts as store;
use crate::storage::org;
use crate::storage::users::User;
use crate::tr;

/// An officer taps Đã nhận / Đang xử lý / Đã giải quyết (or, on Zalo, types it and
/// confirms). A move that is still forward is made even from an older message (she may resolve
/// what another officer acknowledged); one that is not is answered with where it stands.
pub(crate) async fn decide(
    ctx: &mut Ctx<'_>,
    alert_id: i64,
    to: AlertStatus,
) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some(alert) = load(ctx.conn, alert_id).await? else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    let Some(unit) = org::unit_by_id(ctx.conn, alert.unit_id).await? else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    if !may_decide(&ctx.user, &alert, &unit) {
        tracing::warn!(
            user = ctx.user.id,
            alert_id,
            "alert decision refused: outside her subtree"
        );
        ctx.notice = Some(tr!(lang, "error-not-yours"));
        return Ok(());
    }
    if to <= alert.status {
        ctx.notice = Some(tr!(
            lang,
            "alert-already",
            status = alert.status.label(lang)
        ));
        return Ok(());
    }
    let changed =
        store::move_status(ctx.conn, alert_id, alert.status, to, ctx.user.id, ctx.now).await?;
    if !changed {
        ctx.notice = Some(tr!(
            lang,
            "alert-already",
            status = alert.status.label(lang)
        ));
        return Ok(());
    }
    let event = record_event(
        ctx.conn,
        alert_id,
        to.as_str(),
        alert.level,
        Some(ctx.user.id),
        ctx.now,
    )
    .await?;
    if let Some(id) = tell_reporter(ctx.conn, &alert, event, ctx.now).await? {
        ctx.queued.push(id);
    }
    let updated = Alert {
        status: to,
        ..alert
    };
    let text = alert_text(ctx.conn, lang, &updated).await?;
    ctx.notice = Some(tr!(lang, "alert-updated", status = to.label(lang)));
    ctx.say_with(text, buttons(lang, alert_id, to));
    tracing::info!(
        alert = alert_id,
        status = to.as_str(),
        by = ctx.user.id,
        "urgent report status changed"
    );
    Ok(())
}

/// Whether `user` may move `alert` (of `unit`): an officer or admin at or above its unit.
/// Someone else must take it up: a reporter cannot acknowledge her own alert, even an officer
/// who reported it herself.
pub(crate) fn may_decide(user: &User, alert: &Alert, unit: &org::Unit) -> bool {
    match user.membership() {
        Some((mine, role)) => {
            LEVEL_ROLES.contains(&role)
                && unit.lineage_ids().contains(&mine)
                && alert.reporter_id != user.id
        }
        None => false,
    }
}

/// `/canhbao`: open alerts in her subtree, newest first, a page of them (`al:<page>` for the
/// next), as one message: each alert named "Vụ #<id>" with its unit, and one list whose
/// choices name the alert they move ("👀 Nhận vụ #12 — Chi hội Tây"). One message per alert,
/// each with the same "1. 👀 Đã nhận", could only be answered for the last one on Zalo; on
/// Telegram one message also spends one send instead of eleven. Acting on one shows that
/// alert alone, with its further moves.
pub(crate) async fn list_open(ctx: &mut Ctx<'_>, page: usize) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some((unit_id, role)) = ctx.user.membership() else {
        ctx.say(tr!(lang, "join-how"));
        return Ok(());
    };
    if !LEVEL_ROLES.contains(&role) {
        ctx.say(tr!(lang, "alert-list-not-allowed"));
        return Ok(());
    }
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(());
    };
    // Ten at a time is a screenful.
    const SHOWN: usize = 10;
    let wanted = (page.saturating_add(1))
        .saturating_mul(SHOWN)
        .saturating_add(1);
    let ids = store::open_in_subtree(ctx.conn, &unit.path, wanted as i64).await?;
    if ids.is_empty() {
        ctx.say(tr!(lang, "alert-list-empty"));
        return Ok(());
    }
    let page = Page::sized(&ids, page, SHOWN);
    let mut text = tr!(lang, "alert-list-title", count = page.shown.len() as i64);
    let mut rows = Vec::new();
    for id in page.shown {
        let Some(alert) = load(ctx.conn, *id).await? else {
            continue;
        };
        let unit = org::unit_by_id(ctx.conn, alert.unit_id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        text.push_str("\n\n");
        text.push_str(&tr!(
            lang,
            "alert-list-item",
            n = alert.id,
            unit = unit.clone(),
            incident = labels::shorten(&labels::incident(lang, &alert.incident), ITEM_CHARS),
            status = alert.status.label(lang)
        ));
        if let Some(to) = next_move(alert.status) {
            rows.push(vec![Choice {
                label: tr!(
                    lang,
                    "alert-list-choice",
                    to = to.token(),
                    n = alert.id,
                    unit = unit
                ),
                data: move_data(alert.id, to, alert.status),
            }]);
        }
    }
    let nav: Vec<Choice> = page
        .nav(lang, |p| format!("al:{p}"))
        .into_iter()
        .map(|(label, data)| Choice { label, data })
        .collect();
    if !nav.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "alert-list-more"));
        rows.push(nav);
    }
    ctx.say_with(text, rows);
    Ok(())
}

/// Longest description of an alert in the list (the whole alert is shown once she acts).
const ITEM_CHARS: usize = 160;

/// The move a list offers for an alert: the next one.
fn next_move(status: AlertStatus) -> Option<AlertStatus> {
    match status {
        AlertStatus::Open => Some(AlertStatus::Acknowledged),
        AlertStatus::Acknowledged => Some(AlertStatus::InProgress),
        AlertStatus::InProgress => Some(AlertStatus::Resolved),
        AlertStatus::Resolved => None,
    }
}
