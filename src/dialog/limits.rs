//! Per-person limits in the dialogs ([`crate::domain::limits`]): before a join request, an
//! urgent report, a chart or an export, the count of her recent ones is checked; over the
//! limit she is told kindly when she can go again, and her step (with what she entered) stays.

use chrono::{DateTime, Utc};

use super::{Ctx, DialogError};
use crate::domain::limits::{self, Limit};
use crate::storage::limits::{self as store, Counted};
use crate::tr;

fn limit_of(counted: Counted) -> (Limit, &'static str) {
    match counted {
        Counted::JoinRequests => (limits::JOIN_REQUESTS, "limit-join-requests"),
        Counted::UrgentReports => (limits::URGENT_REPORTS, "limit-urgent-reports"),
        Counted::Files => (limits::FILES, "limit-files"),
    }
}

/// The message telling her when she may go again, if she has reached `counted`'s limit.
pub(crate) async fn reached(
    ctx: &mut Ctx<'_>,
    counted: Counted,
) -> Result<Option<String>, DialogError> {
    let (limit, id) = limit_of(counted);
    let now = ctx.now.timestamp();
    let recent = store::recent_uses(
        ctx.conn,
        counted,
        ctx.user.id,
        now - limit.window_secs,
        limit.max,
    )
    .await?;
    let Some(at) = limit.free_at(&recent, now) else {
        return Ok(None);
    };
    tracing::info!(user = ctx.user.id, ?counted, "per-person limit reached");
    let at = when(ctx, at);
    Ok(Some(tr!(ctx.lang, id, max = i64::from(limit.max), at = at)))
}

/// `at` as she reads it on her clock, rounded up to the minute (she must not be refused
/// again at the minute she was given).
pub(crate) fn when(ctx: &Ctx<'_>, at: i64) -> String {
    let at = DateTime::<Utc>::from_timestamp((at + 59) / 60 * 60, 0)
        .unwrap_or(ctx.now)
        .with_timezone(&ctx.tz);
    let today = at.date_naive() == ctx.now.with_timezone(&ctx.tz).date_naive();
    tr!(
        ctx.lang,
        "limit-time",
        today = if today { "yes" } else { "no" },
        time = at.format("%H:%M").to_string(),
        date = at.format("%d/%m").to_string()
    )
}
