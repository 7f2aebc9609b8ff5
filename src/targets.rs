//! Target (chỉ tiêu) evaluation: the snapshot of each grassroots union's progress towards the
//! plan's targets. A report or an activity queues its union for re-evaluation in its own
//! transaction ([`queue_around`], one insert: the reply does not wait for the evaluation); the
//! scheduler works the queue off within seconds, coalesced per union ([`work_off`]), and every
//! view or export catches up first ([`catch_up`]), so nobody reads stale figures. The whole tree
//! is re-evaluated once a day too, since the monthly-report target moves as deadlines pass.

use chrono::{DateTime, Utc};

use crate::domain::calendar::{Calendar, Calendars};
use crate::domain::org::Level;
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::storage::Conn;
use crate::storage::org::{self, Unit};
use crate::storage::views::{self, Progress, Target};
use crate::storage::{StorageError, Store};

/// Months of `year` whose deadline has passed at `now`.
fn months_due(calendar: &Calendar, year: i32, now: DateTime<Utc>) -> Vec<Period> {
    PeriodRange::Year(year)
        .months()
        .into_iter()
        .filter(|p| calendar.deadline(*p) < now)
        .collect()
}

/// Every active target's progress under `unit` (from the snapshot, brought up to date first),
/// worst first by share of its goal.
pub async fn under(
    conn: &mut Conn,
    calendars: &Calendars,
    unit: &Unit,
    year: i32,
    now: DateTime<Utc>,
) -> Result<Vec<(Target, Progress, Vec<(i64, Progress)>)>, StorageError> {
    catch_up(conn, calendars, now).await?;
    let mut snapshot = views::target_snapshot(conn, unit, year).await?;
    let mut out = Vec::new();
    for t in views::targets(conn).await? {
        let (total, by_child) = snapshot.remove(&t.code).unwrap_or_default();
        out.push((t, total, by_child));
    }
    out.sort_by(|a, b| {
        let ra = a.1.pct() / a.0.goal_pct.max(1) as f64;
        let rb = b.1.pct() / b.0.goal_pct.max(1) as f64;
        ra.partial_cmp(&rb).unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(out)
}

/// The grassroots union a unit belongs to (itself, or the nearest above it).
async fn union_of(conn: &mut Conn, unit: &Unit) -> Result<Option<Unit>, StorageError> {
    Ok(org::lineage(conn, unit)
        .await?
        .into_iter()
        .rev()
        .find(|u| u.level == Level::Grassroots))
}

/// Queues the targets around `unit_id` for re-evaluation, in the caller's transaction.
pub async fn queue_around(
    conn: &mut Conn,
    unit_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    views::queue_target_refresh(conn, unit_id, now.timestamp()).await
}

/// The grassroots unions behind the queued units, each once.
async fn queued_unions(conn: &mut Conn) -> Result<Option<(i64, Vec<Unit>)>, StorageError> {
    let Some((upto, units)) = views::queued_target_refreshes(conn).await? else {
        return Ok(None);
    };
    let mut unions: Vec<Unit> = Vec::new();
    for id in units {
        if let Some(unit) = org::unit_by_id(conn, id).await?
            && let Some(union) = union_of(conn, &unit).await?
            && !unions.iter().any(|u| u.id == union.id)
        {
            unions.push(union);
        }
    }
    Ok(Some((upto, unions)))
}

async fn refresh_union(
    conn: &mut Conn,
    calendars: &Calendars,
    union: &Unit,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let calendar = org::calendar_for(conn, calendars, union).await?;
    let year = Period::containing(now, calendar.tz).year();
    views::refresh_targets(conn, union, year, &months_due(&calendar, year, now)).await
}

/// Does what is queued in the caller's transaction, before a view or an export reads the
/// snapshot. Returns the number of unions re-evaluated.
pub async fn catch_up(
    conn: &mut Conn,
    calendars: &Calendars,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let Some((upto, unions)) = queued_unions(conn).await? else {
        return Ok(0);
    };
    for union in &unions {
        refresh_union(conn, calendars, union, now).await?;
    }
    views::forget_target_refreshes(conn, upto).await?;
    Ok(unions.len())
}

/// Works the queue off in the background: one short transaction per union, so that replies
/// are never held up for long. Returns the number of unions re-evaluated.
pub async fn work_off(
    store: &Store,
    calendars: &Calendars,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let queued = {
        let mut conn = store.acquire().await?;
        queued_unions(&mut conn).await?
    };
    let Some((upto, unions)) = queued else {
        return Ok(0);
    };
    for union in &unions {
        let mut tx = store.begin().await?;
        refresh_union(&mut tx, calendars, union, now).await?;
        tx.commit().await?;
    }
    let mut conn = store.acquire().await?;
    views::forget_target_refreshes(&mut conn, upto).await?;
    Ok(unions.len())
}

/// Brings the target snapshot of `unit`'s grassroots union up to date for the year of `now`
/// (after a report, an activity or new figures), in the caller's transaction.
pub async fn refresh_around(
    conn: &mut Conn,
    calendars: &Calendars,
    unit: &Unit,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    match union_of(conn, unit).await? {
        Some(union) => refresh_union(conn, calendars, &union, now).await,
        None => Ok(()),
    }
}

/// Re-evaluates the whole tree's targets for `year`, one grassroots union per transaction so
/// that the bot is never held up for long. Returns the number of unions refreshed.
pub async fn refresh_all(
    store: &Store,
    calendars: &Calendars,
    year: i32,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let unions = {
        let mut conn = store.acquire().await?;
        org::ids_at_level(&mut conn, Level::Grassroots).await?
    };
    for id in &unions {
        let mut tx = store.begin().await?;
        if let Some(union) = org::unit_by_id(&mut tx, *id).await? {
            let calendar = org::calendar_for(&mut tx, calendars, &union).await?;
            views::refresh_targets(&mut tx, &union, year, &months_due(&calendar, year, now))
                .await?;
        }
        tx.commit().await?;
    }
    Ok(unions.len())
}
