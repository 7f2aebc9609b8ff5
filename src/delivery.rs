//! The courier: drains the outbox through a platform [`Sender`] within Telegram's limits.
//!
//! One step, [`Courier::drain_once`], claims a batch of due rows, renders scheduled ones in the
//! recipient's language, waits for the rate limiters (per bot, per chat for bulk messages, per
//! group), sends, and records the outcome: sent; 429 → back after `retry_after`, without
//! counting a failure; 5xx or timeout → exponential backoff, dead-lettered after
//! `max_attempts`; 403 → the recipient is marked unreachable, her pending messages are dropped
//! and her unit's head is told once. [`Courier::run`] loops that step; tests drive it directly.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio_util::sync::CancellationToken;

use crate::config::DeliveryConfig;
use crate::dialog::{Clock, Outbound, notices};
use crate::domain::calendar::Calendars;
use crate::storage::outbox::{self, OutboxRow};
use crate::storage::{StorageError, Store, users};

/// What a platform said about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Flood control: try again after this long.
    RetryAfter(Duration),
    /// The recipient blocked the bot or is gone.
    Unreachable(String),
    /// Worth retrying: 5xx, timeouts, network.
    Transient(String),
    /// Will never succeed (a malformed message).
    Rejected(String),
}

/// A platform's way to send one message.
pub trait Sender: Send + Sync + 'static {
    fn send(&self, chat_id: &str, message: &Outbound) -> impl Future<Output = SendOutcome> + Send;
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    pub unreachable: usize,
    pub cancelled: usize,
    /// Set when Telegram asked us to slow down: wait this long before the next step.
    pub throttled: Option<Duration>,
}

impl DrainReport {
    fn add(&mut self, other: DrainReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.dead += other.dead;
        self.unreachable += other.unreachable;
        self.cancelled += other.cancelled;
        self.throttled = self.throttled.max(other.throttled);
    }
}

/// Rows per claim, and how long a claim holds them.
const BATCH: i64 = 64;
const LEASE: Duration = Duration::from_secs(120);
/// Messages in flight at once (to different chats).
const IN_FLIGHT: usize = 16;

struct Limits {
    global: DefaultDirectRateLimiter,
    per_chat: DefaultKeyedRateLimiter<String>,
    per_group: DefaultKeyedRateLimiter<String>,
}

impl Limits {
    fn new(c: &DeliveryConfig) -> Self {
        let one = NonZeroU32::MIN;
        // Burst of one: never more than `per_second` inside any one-second window.
        let period = Duration::from_secs_f64(1.0 / c.per_second.max(0.001));
        let global = Quota::with_period(period)
            .map(|q| q.allow_burst(one))
            .unwrap_or(Quota::per_second(one));
        let chat = Quota::per_second(NonZeroU32::new(c.per_chat_per_second).unwrap_or(one))
            .allow_burst(one);
        let group = Quota::per_minute(NonZeroU32::new(c.per_group_per_minute).unwrap_or(one))
            .allow_burst(one);
        Self {
            global: RateLimiter::direct(global),
            per_chat: RateLimiter::keyed(chat),
            per_group: RateLimiter::keyed(group),
        }
    }
}

pub struct Courier<S: Sender> {
    store: Store,
    sender: Arc<S>,
    calendars: Calendars,
    config: DeliveryConfig,
    limits: Arc<Limits>,
    owner: String,
    clock: Clock,
    wake: Arc<tokio::sync::Notify>,
}

impl<S: Sender> Clone for Courier<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            sender: self.sender.clone(),
            calendars: self.calendars.clone(),
            config: self.config.clone(),
            limits: self.limits.clone(),
            owner: self.owner.clone(),
            clock: self.clock.clone(),
            wake: self.wake.clone(),
        }
    }
}

impl<S: Sender> Courier<S> {
    /// `owner` names this instance in leases (the engine's [`crate::dialog::Engine::instance`], so
    /// that the replies it queued are ours to send).
    pub fn new(
        store: Store,
        sender: Arc<S>,
        calendars: Calendars,
        config: DeliveryConfig,
        clock: Clock,
        owner: String,
    ) -> Self {
        Self {
            limits: Arc::new(Limits::new(&config)),
            store,
            sender,
            calendars,
            config,
            owner,
            clock,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Wakes the running loop (new rows were queued).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// One step: claim due rows and deliver them.
    pub async fn drain_once(&self, now: DateTime<Utc>) -> Result<DrainReport, StorageError> {
        let quiet = self.calendars.deployment().in_quiet_hours(now);
        let rows = {
            // Reminders to units that reported meanwhile are dropped when rendered (and swept by
            // the scheduler), not here: this runs for every batch.
            let mut conn = self.store.pool().acquire().await?;
            let lease_until = now.timestamp() + LEASE.as_secs() as i64;
            outbox::claim_due(
                &mut conn,
                self.store.backend(),
                &self.owner,
                now.timestamp(),
                lease_until,
                quiet,
                BATCH,
            )
            .await?
        };
        self.deliver_rows(rows, now).await
    }

    /// Drains until nothing is due (tests and `chihoi tick`).
    pub async fn drain_all(&self, now: DateTime<Utc>) -> Result<DrainReport, StorageError> {
        let mut total = DrainReport::default();
        loop {
            let step = self.drain_once(now).await?;
            let done = step.claimed == 0 || step.throttled.is_some();
            total.add(step);
            if done {
                return Ok(total);
            }
        }
    }

    /// Delivers the given rows now if they are due and unclaimed (replies to an update).
    pub async fn deliver_now(&self, ids: &[i64]) -> Result<DrainReport, StorageError> {
        let now = (self.clock)();
        let rows = {
            let mut conn = self.store.pool().acquire().await?;
            let lease_until = now.timestamp() + LEASE.as_secs() as i64;
            outbox::claim_ids(&mut conn, &self.owner, ids, now.timestamp(), lease_until).await?
        };
        self.deliver_rows(rows, now).await
    }

    async fn deliver_rows(
        &self,
        rows: Vec<OutboxRow>,
        now: DateTime<Utc>,
    ) -> Result<DrainReport, StorageError> {
        let mut report = DrainReport {
            claimed: rows.len(),
            ..DrainReport::default()
        };
        // One lane per chat keeps a chat's messages in order; lanes run side by side.
        let mut lanes: Vec<Vec<OutboxRow>> = Vec::new();
        for row in rows {
            match lanes
                .iter_mut()
                .find(|l| l[0].chat_id == row.chat_id && l[0].platform == row.platform)
            {
                Some(lane) => lane.push(row),
                None => lanes.push(vec![row]),
            }
        }
        let throttle = Arc::new(std::sync::Mutex::new(None::<Duration>));
        let results: Vec<Result<DrainReport, StorageError>> = futures::stream::iter(lanes)
            .map(|lane| {
                let throttle = throttle.clone();
                async move {
                    let mut r = DrainReport::default();
                    for row in lane {
                        let stopped = throttle.lock().map(|t| t.is_some()).unwrap_or(false);
                        if stopped {
                            self.release(&row, now).await?;
                            r.retried += 1;
                            continue;
                        }
                        let outcome = self.deliver_one(&row, now).await?;
                        if let Some(wait) = outcome.throttled
                            && let Ok(mut t) = throttle.lock()
                        {
                            *t = Some(wait);
                        }
                        r.add(outcome);
                    }
                    Ok(r)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        for r in results {
            report.add(r?);
        }
        Ok(report)
    }

    async fn release(&self, row: &OutboxRow, now: DateTime<Utc>) -> Result<(), StorageError> {
        let mut conn = self.store.pool().acquire().await?;
        outbox::retry_later(&mut conn, row.id, &self.owner, now.timestamp(), false, None).await
    }

    async fn deliver_one(
        &self,
        row: &OutboxRow,
        now: DateTime<Utc>,
    ) -> Result<DrainReport, StorageError> {
        let mut report = DrainReport::default();
        let message = notices::render_row(
            &self.store,
            &self.calendars,
            row,
            now,
            self.config.max_upload_bytes,
        )
        .await?;
        let Some(message) = message else {
            let mut conn = self.store.pool().acquire().await?;
            outbox::finish(&mut conn, row.id, "cancelled", None).await?;
            report.cancelled += 1;
            return Ok(report);
        };
        self.limits.global.until_ready().await;
        if row.kind.is_bulk() {
            self.limits.per_chat.until_key_ready(&row.chat_id).await;
        }
        if row.chat_id.starts_with('-') {
            self.limits.per_group.until_key_ready(&row.chat_id).await;
        }
        let outcome = self.sender.send(&row.chat_id, &message).await;
        let at = (self.clock)().timestamp().max(now.timestamp());
        let mut conn = self.store.pool().acquire().await?;
        match outcome {
            SendOutcome::Sent => {
                outbox::mark_sent(&mut conn, row.id, &self.owner, at).await?;
                report.sent += 1;
            }
            SendOutcome::RetryAfter(wait) => {
                let when = now.timestamp() + wait.as_secs().max(1) as i64;
                outbox::retry_later(
                    &mut conn,
                    row.id,
                    &self.owner,
                    when,
                    false,
                    Some("429 Too Many Requests"),
                )
                .await?;
                tracing::info!(seconds = wait.as_secs(), "flood control: pausing sends");
                report.retried += 1;
                report.throttled = Some(wait);
            }
            SendOutcome::Transient(error) => {
                let attempts = row.attempts + 1;
                if attempts >= i64::from(self.config.max_attempts) {
                    outbox::finish(&mut conn, row.id, "dead", Some(&error)).await?;
                    tracing::warn!(id = row.id, kind = row.kind.as_str(), %error, "message dead-lettered");
                    report.dead += 1;
                } else {
                    let when = now.timestamp() + backoff(attempts).as_secs() as i64;
                    outbox::retry_later(&mut conn, row.id, &self.owner, when, true, Some(&error))
                        .await?;
                    report.retried += 1;
                }
            }
            SendOutcome::Rejected(error) => {
                outbox::finish(&mut conn, row.id, "dead", Some(&error)).await?;
                tracing::warn!(id = row.id, kind = row.kind.as_str(), %error, "message rejected");
                report.dead += 1;
            }
            SendOutcome::Unreachable(error) => {
                outbox::finish(&mut conn, row.id, "unreachable", Some(&error)).await?;
                report.unreachable += 1;
                drop(conn);
                self.recipient_gone(row, now).await?;
            }
        }
        Ok(report)
    }

    /// She blocked the bot: stop sending to her, and tell her unit's head once.
    async fn recipient_gone(
        &self,
        row: &OutboxRow,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut tx = self.store.begin().await?;
        users::mark_unreachable(&mut tx, &row.platform, &row.chat_id).await?;
        outbox::cancel_chat(&mut tx, &row.platform, &row.chat_id).await?;
        notices::tell_head_unreachable(&mut tx, &self.calendars, &row.platform, &row.chat_id, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drains until `shutdown`: a step, then the next as soon as there is more, else a second's
    /// rest (or a nudge).
    pub async fn run(&self, shutdown: CancellationToken) {
        loop {
            let now = (self.clock)();
            let pause = match self.drain_once(now).await {
                Ok(r) if r.throttled.is_some() => r.throttled.unwrap_or_default(),
                Ok(r) if r.claimed > 0 => Duration::ZERO,
                Ok(_) => Duration::from_secs(1),
                Err(e) => {
                    tracing::warn!(error = %e, "outbox step failed");
                    Duration::from_secs(5)
                }
            };
            if pause.is_zero() {
                if shutdown.is_cancelled() {
                    return;
                }
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
                _ = self.wake.notified() => {}
            }
        }
    }
}

/// 5 s, 10 s, 20 s … capped at an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_secs(5u64.saturating_mul(1u64 << exp.min(12))).min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(30), Duration::from_secs(3600));
    }
}
