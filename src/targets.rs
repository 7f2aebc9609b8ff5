//! Target (chỉ tiêu) evaluation: the snapshot of each grassroots union's progress towards the
//! plan's targets, kept current in the transaction that changed it (a report, an activity, new
//! figures) and for the whole tree once a day, and read back for views and exports.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::domain::calendar::{Calendar, Calendars};
use crate::domain::org::Level;
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
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

/// Every active target's progress under `unit` (from the snapshot), worst first by share of its
/// goal.
pub async fn under(
    conn: &mut AnyConnection,
    unit: &Unit,
    year: i32,
) -> Result<Vec<(Target, Progress, Vec<(i64, Progress)>)>, StorageError> {
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
async fn union_of(conn: &mut AnyConnection, unit: &Unit) -> Result<Option<Unit>, StorageError> {
    Ok(org::lineage(conn, unit)
        .await?
        .into_iter()
        .rev()
        .find(|u| u.level == Level::Grassroots))
}

/// Brings the target snapshot of `unit`'s grassroots union up to date for the year of `now`
/// (after a report, an activity or new figures), in the caller's transaction.
pub async fn refresh_around(
    conn: &mut AnyConnection,
    calendars: &Calendars,
    unit: &Unit,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let Some(union) = union_of(conn, unit).await? else {
        return Ok(());
    };
    let calendar = org::calendar_for(conn, calendars, &union).await?;
    let year = Period::containing(now, calendar.tz).year();
    views::refresh_targets(conn, &union, year, &months_due(&calendar, year, now)).await
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
        let mut conn = store.pool().acquire().await?;
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
