//! Due work computed from data. [`Scheduler::tick`] looks at one instant and queues what has
//! fallen due: the period's prompt or latest reminder to the units that have not reported,
//! overdue summaries to grassroots officers and district admins, and escalations of urgent
//! reports nobody acknowledged; and it forgets what is kept no longer (expired shared files,
//! old sent messages, people who never joined: [`Retention`]). Every queued message has a unique key, so a second tick, a
//! restart, or two instances ticking at once never queue one twice; and after downtime only the
//! latest reminder is queued, once. [`Scheduler::run`] ticks every minute; tests and
//! `chihoi tick --now …` call `tick` directly.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::alerts;
use crate::config::Retention;
use crate::delivery::render;
use crate::dialog::Clock;
use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
use crate::storage::Conn;
use crate::storage::{StorageError, Store, files, org, outbox, retention, schedule, users};

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
    /// Drafts of the 6-month or yearly report queued to district admins.
    pub drafts: u64,
    /// Update-ledger entries older than [`LEDGER_KEEP_HOURS`] forgotten.
    pub forgotten_updates: u64,
    /// Shared files whose link expired, deleted.
    pub expired_files: u64,
    /// Sent messages that lost their text ([`Retention::sent_bodies_days`]).
    pub forgotten_bodies: u64,
    /// Sent messages deleted ([`Retention::sent_rows_days`]).
    pub deleted_sent: u64,
    /// People who wrote and never joined, forgotten ([`Retention::strangers_days`]).
    pub forgotten_people: u64,
    /// Unanswered proposals that climbed a rung ([`crate::proposals::escalate_due`]).
    pub proposals_climbed: usize,
    /// Polls closed (their results queued).
    pub polls_closed: u64,
    /// Monthly syntheses queued to officers and admins.
    pub syntheses: u64,
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
    retention: Retention,
}

/// How often queued target re-evaluations are worked off.
const TARGETS_EVERY: Duration = Duration::from_secs(3);

impl Scheduler {
    pub fn new(store: Store, calendars: Calendars) -> Self {
        Self {
            store,
            calendars,
            retention: Retention::default(),
        }
    }

    /// What is kept, and how long (`CHIHOI_KEEP_*`); [`Retention::default`] otherwise.
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Queues everything due at `now`, in one transaction; then, in another, forgets what is
    /// kept no longer (a failure there holds up no reminder).
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, StorageError> {
        let mut tx = self.store.begin().await?;
        let mut report = self.plan(&mut tx, now).await?;
        tx.commit().await?;
        let mut tx = self.store.begin().await?;
        self.forget(&mut tx, now, &mut report).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Forgets what has been kept long enough: expired shared files, the text and later the
    /// rows of messages sent long ago, people who wrote and never joined.
    async fn forget(
        &self,
        conn: &mut Conn,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), StorageError> {
        let days_ago = |days: u32| (now - chrono::Duration::days(i64::from(days))).timestamp();
        let keep = self.retention;
        report.expired_files = files::delete_expired(conn, now.timestamp()).await?;
        report.forgotten_bodies =
            retention::forget_sent_bodies(conn, days_ago(keep.sent_bodies_days)).await?;
        report.deleted_sent = retention::delete_sent(conn, days_ago(keep.sent_rows_days)).await?;
        report.forgotten_people =
            retention::forget_strangers(conn, days_ago(keep.strangers_days)).await?;
        Ok(())
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
                let period_end = period.next().starts_at(calendar.tz).timestamp();
                report.digests +=
                    schedule::queue_digests(conn, &root.path, period, period_end, not_before, now)
                        .await?;
            }
            if let Some(period) = calendar.due_synthesis(now) {
                report.syntheses +=
                    schedule::queue_syntheses(conn, &root.path, period, not_before, now).await?;
            }
            if let Some(range) = calendar.due_period_report(now) {
                report.drafts += schedule::queue_period_drafts(
                    conn,
                    &root.path,
                    &range.to_string(),
                    not_before,
                    now,
                )
                .await?;
            }
        }
        report.escalated = alerts::escalate_due(conn, &self.calendars, now).await?;
        report.proposals_climbed =
            crate::proposals::escalate_due(conn, &self.calendars, now).await?;
        report.polls_closed = crate::dialog::polls::close_due(conn, &self.calendars, now).await?;
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
