//! Due work computed from data. [`Scheduler::tick`] looks at one instant and queues what has
//! fallen due: the period's prompt or latest reminder to the units that have not reported,
//! overdue summaries to grassroots officers and district admins, and escalations of urgent
//! reports nobody acknowledged. Every queued message has a unique key, so a second tick, a
//! restart, or two instances ticking at once never queue one twice; and after downtime only the
//! latest reminder is queued, once. [`Scheduler::run`] ticks every minute; tests and
//! `chihoi tick --now …` call `tick` directly.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::alerts;
use crate::delivery::render;
use crate::dialog::Clock;
use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
use crate::storage::Conn;
use crate::storage::{StorageError, Store, org, outbox, schedule, users};

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
    /// Update-ledger entries older than [`LEDGER_KEEP_HOURS`] forgotten.
    pub forgotten_updates: u64,
}

/// How long the update ledger remembers an update. Telegram keeps undelivered updates 24 h and
/// may reuse low ids after a quiet week; Zalo retries within minutes. Two days covers every
/// redelivery without growing forever.
pub const LEDGER_KEEP_HOURS: i64 = 48;

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

/// How often queued target re-evaluations are worked off.
const TARGETS_EVERY: Duration = Duration::from_secs(3);

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
        let before = outbox::last_id(&mut tx).await?;
        let report = self.plan(&mut tx, now).await?;
        let ids = outbox::ids_after(&mut tx, before).await?;
        let mut planned = Vec::new();
        for id in ids {
            let Some(row) = outbox::claim_ids(&mut tx, "preview", &[id], i64::MAX - 1, 0)
                .await?
                .pop()
            else {
                continue;
            };
            let recipient = match row.user_id {
                Some(id) => users::user_by_id(&mut tx, id).await?,
                None => None,
            };
            if let Some(msg) = render::render(&mut tx, &self.calendars, &row, now).await? {
                planned.push(Planned {
                    kind: row.kind.as_str().to_owned(),
                    recipient: recipient.map(|u| u.display_name).unwrap_or_default(),
                    text: msg.text,
                });
            }
        }
        tx.rollback().await?;
        Ok((report, planned))
    }

    async fn plan(&self, conn: &mut Conn, now: DateTime<Utc>) -> Result<TickReport, StorageError> {
        let mut report = TickReport::default();
        for root in org::children(conn, None).await? {
            let calendar = org::calendar_for(conn, &self.calendars, &root).await?;
            let current = Period::containing(now, calendar.tz);
            let not_before = calendar.next_sendable(now).timestamp();
            for period in [calendar.previous_period(now), current] {
                if let Some((event, _)) = calendar.due_chase(period, now) {
                    report.reminders +=
                        schedule::queue_reminders(conn, &root.path, period, event, not_before, now)
                            .await?;
                }
                if let Some(round) = calendar.due_overdue_round(period, now) {
                    report.overdue +=
                        schedule::queue_overdue(conn, &root.path, period, round, not_before, now)
                            .await?;
                }
            }
            if let Some(period) = calendar.due_digest(now) {
                report.digests +=
                    schedule::queue_digests(conn, &root.path, period, not_before, now).await?;
            }
        }
        report.escalated = alerts::escalate_due(conn, &self.calendars, now).await?;
        report.cancelled = outbox::cancel_answered_reminders(conn).await?;
        let keep_after = now - chrono::Duration::hours(LEDGER_KEEP_HOURS);
        report.forgotten_updates =
            users::forget_updates_before(conn, keep_after.timestamp()).await?;
        Ok(report)
    }

    /// Ticks every `every` until `shutdown`, and works off queued target re-evaluations every
    /// few seconds; once a day (and at start) re-evaluates every target, since the
    /// monthly-report target moves as deadlines pass.
    pub async fn run(&self, clock: Clock, every: Duration, shutdown: CancellationToken) {
        let mut refreshed_on = None;
        let mut next_tick = tokio::time::Instant::now();
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
            if tokio::time::Instant::now() >= next_tick {
                match self.tick(clock()).await {
                    Ok(r) if r != TickReport::default() => tracing::info!(?r, "scheduler tick"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
                }
                next_tick = tokio::time::Instant::now() + every;
            }
            // Targets queued by reports and activities, a few seconds after they came in.
            match crate::targets::work_off(&self.store, &self.calendars, clock()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(unions = n, "queued targets re-evaluated"),
                Err(e) => tracing::warn!(error = %e, "queued target refresh failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every.min(TARGETS_EVERY)) => {}
            }
        }
    }
}
