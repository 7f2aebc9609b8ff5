//! Due work computed from data. [`Scheduler::tick`] looks at one instant and queues what has
//! fallen due: the period's prompt or latest reminder to the units that have not reported,
//! overdue summaries to grassroots officers and district admins, and escalations of urgent
//! reports nobody acknowledged. Every queued message has a unique key, so a second tick, a
//! restart, or two instances ticking at once never queue one twice; and after downtime only the
//! latest reminder is queued, once. [`Scheduler::run`] ticks every minute; tests and
//! `chihoi tick --now …` call `tick` directly.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use crate::alerts;
use crate::delivery::render;
use crate::dialog::Clock;
use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
use crate::storage::{StorageError, Store, org, outbox, path_range_end};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Prompts and reminders queued.
    pub reminders: u64,
    /// Overdue summaries queued (some are dropped when sent if nothing is pending).
    pub overdue: u64,
    /// Urgent reports that climbed a level.
    pub escalated: usize,
    /// Reminders dropped because their unit has reported.
    pub cancelled: u64,
    /// Start-of-month digests queued to branch heads.
    pub digests: u64,
}

/// A message a tick would send, for `chihoi tick --dry-run`.
#[derive(Debug, Clone)]
pub struct Planned {
    pub kind: String,
    pub recipient: String,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Scheduler {
    store: Store,
    calendars: Calendars,
}

impl Scheduler {
    pub fn new(store: Store, calendars: Calendars) -> Self {
        Self { store, calendars }
    }

    /// Queues everything due at `now`, in one transaction.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, StorageError> {
        let mut tx = self.store.begin().await?;
        let report = self.plan(&mut tx, now).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// What `tick(now)` would queue, rendered; nothing is written.
    pub async fn preview(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(TickReport, Vec<Planned>), StorageError> {
        let mut tx = self.store.begin().await?;
        let (before,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM outbox")
            .fetch_one(&mut *tx)
            .await?;
        let report = self.plan(&mut tx, now).await?;
        let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM outbox WHERE id > $1 ORDER BY id")
            .bind(before.unwrap_or(0))
            .fetch_all(&mut *tx)
            .await?;
        let mut planned = Vec::new();
        for (id,) in ids {
            let Some(row) = outbox::claim_ids(&mut tx, "preview", &[id], i64::MAX - 1, 0)
                .await?
                .pop()
            else {
                continue;
            };
            let recipient: Option<(String,)> =
                sqlx::query_as("SELECT display_name FROM users WHERE id = $1")
                    .bind(row.user_id.unwrap_or_default())
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(msg) = render::render(&mut tx, &self.calendars, &row, now).await? {
                planned.push(Planned {
                    kind: row.kind.as_str().to_owned(),
                    recipient: recipient.map(|r| r.0).unwrap_or_default(),
                    text: msg.text,
                });
            }
        }
        tx.rollback().await?;
        Ok((report, planned))
    }

    async fn plan(
        &self,
        conn: &mut AnyConnection,
        now: DateTime<Utc>,
    ) -> Result<TickReport, StorageError> {
        let mut report = TickReport::default();
        for root in org::children(conn, None).await? {
            let calendar = org::calendar_for(conn, &self.calendars, &root).await?;
            let current = Period::containing(now, calendar.tz);
            let not_before = calendar.next_sendable(now).timestamp();
            for period in [calendar.previous_period(now), current] {
                if let Some((event, _)) = calendar.due_chase(period, now) {
                    report.reminders +=
                        queue_reminders(conn, &root.path, period, event, not_before, now).await?;
                }
                if let Some(round) = calendar.due_overdue_round(period, now) {
                    report.overdue +=
                        queue_overdue(conn, &root.path, period, round, not_before, now).await?;
                }
            }
            if let Some(period) = calendar.due_digest(now) {
                report.digests += queue_digests(conn, &root.path, period, not_before, now).await?;
            }
        }
        report.escalated = alerts::escalate_due(conn, &self.calendars, now).await?;
        report.cancelled = outbox::cancel_answered_reminders(conn).await?;
        Ok(report)
    }

    /// Ticks every `every` until `shutdown`; once a day (and at start) re-evaluates every target,
    /// since the monthly-report target moves as deadlines pass.
    pub async fn run(&self, clock: Clock, every: Duration, shutdown: CancellationToken) {
        let mut refreshed_on = None;
        loop {
            let now = clock();
            let today = now.with_timezone(&self.calendars.tz).date_naive();
            if refreshed_on != Some(today) {
                let year = Period::containing(now, self.calendars.tz).year();
                match crate::targets::refresh_all(&self.store, &self.calendars, year, now).await {
                    Ok(n) => {
                        tracing::info!(unions = n, "targets re-evaluated");
                        refreshed_on = Some(today);
                    }
                    Err(e) => tracing::warn!(error = %e, "target refresh failed"),
                }
            }
            match self.tick(clock()).await {
                Ok(r) if r != TickReport::default() => tracing::info!(?r, "scheduler tick"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// The prompt (event 0) or a reminder to every reporting person of a unit below `root_path`
/// that has not reported — one set-based statement, however many units.
async fn queue_reminders(
    conn: &mut AnyConnection,
    root_path: &str,
    period: Period,
    event: usize,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let done = sqlx::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'remind:' || $1 || ':' || $2 || ':' || u.unit_id || ':' || u.id, 'reminder', u.platform, u.chat_id,
                u.id, u.unit_id, $1, $2, NULL, 0, $3, 'pending', 0, $4
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1 AND u.role IN ('branch_head', 'grassroots_officer')
           AND n.level IN ('branch', 'grassroots') AND n.path >= $5 AND n.path < $6
           AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.unit_id = u.unit_id AND r.period = $1)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(period.to_string())
    .bind(event as i64)
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The digest of `period` to every branch head below `root_path`, once each.
async fn queue_digests(
    conn: &mut AnyConnection,
    root_path: &str,
    period: Period,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let done = sqlx::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'digest:' || $1 || ':' || u.id, 'digest', u.platform, u.chat_id, u.id, u.unit_id, $1, NULL, NULL, 0,
                $2, 'pending', 0, $3
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1 AND u.role = 'branch_head' AND n.level = 'branch' AND n.path >= $4 AND n.path < $5
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(period.to_string())
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// One overdue summary per grassroots officer and district admin below `root_path` for this
/// round; a summary with nothing pending is dropped when it would be sent.
async fn queue_overdue(
    conn: &mut AnyConnection,
    root_path: &str,
    period: Period,
    round: u32,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let done = sqlx::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'overdue:' || $1 || ':' || $2 || ':' || u.id, 'overdue', u.platform, u.chat_id, u.id, u.unit_id,
                $1, $2, NULL, 0, $3, 'pending', 0, $4
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1 AND u.role IN ('grassroots_officer', 'district_admin')
           AND n.path >= $5 AND n.path < $6
           AND EXISTS (SELECT 1 FROM units e LEFT JOIN reports r ON r.unit_id = e.id AND r.period = $1
                       WHERE e.level IN ('branch', 'grassroots') AND r.id IS NULL
                         AND e.path LIKE n.path || '%')
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(period.to_string())
    .bind(i64::from(round))
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
