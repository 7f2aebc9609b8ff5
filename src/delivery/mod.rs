//! The courier: drains the outbox through one [`Sender`] per platform, each within its own
//! limits.
//!
//! One step, [`Courier::drain_once`], claims a batch of due rows of the platforms it can send
//! to, renders scheduled ones in the recipient's language, waits for that platform's rate
//! limiters (per bot; per chat, by when each message to it is sent, for every new message
//! including the reply she is waiting for; per group), sends, and records the outcome:
//! sent; 429 → back after `retry_after` (or a pause of its own on platforms that give none),
//! without counting a failure, and only that platform pauses; 5xx or timeout → exponential
//! backoff, dead-lettered after `max_attempts`; unreachable (Telegram's 403) → the recipient is
//! marked unreachable, her pending messages are dropped and her unit's head is told once; a
//! refusal a platform documents but that once proves nothing (Zalo's 404) → tried again, and
//! unreachable only the [`REFUSALS_BEFORE_UNREACHABLE`]th time. [`Courier::run`] loops that
//! step; tests drive it directly.
//!
//! A message the platform takes as several (a long text, a photo then its text, a long
//! caption) records how many parts went when a try stops part-way ([`Sender::send_from`]), and
//! its next try starts there. While a batch is sent its leases are renewed, so a batch that a
//! slow pace stretches never outlives them and no other instance takes it over.
//!
//! A platform that publishes no limit (Zalo) has its pace learned from its answers rather than
//! guessed ([`pace`]): a quota error cuts the pace and pauses that platform's sends briefly, and
//! the message that met it is tried again in its turn; sends that succeed while the pace holds
//! them back raise it.
//!
//! For platforms without buttons the courier remembers the list of choices each chat was last
//! shown (so a typed number picks from it), ends each list with how to answer it, and keeps
//! numbers off notices that reach a chat in the middle of a dialog ([`lists`]); for platforms
//! that take no uploads it shares charts and exports by an expiring link instead.

mod lists;
pub mod pace;
pub mod render;
mod sent;
pub mod split;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::future::BoxFuture;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::RngCore;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::{DeliveryConfig, PaceBounds};
use crate::dialog::{AttachmentKind, Clock, Outbound, notices};
use crate::domain::calendar::Calendars;
use crate::i18n::Lang;
use crate::storage::choices::{self, ShownChoices};
use crate::storage::files::{self, SharedFile};
use crate::storage::outbox::{self, Kind, OutboxRow};
use crate::storage::{Backend, StorageError, Store, announcements, users};
use crate::tr;
use pace::{Aimd, Epoch};
use render::render_row;
use sent::SentMarks;

/// What a platform said about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Flood control: try again after this long.
    RetryAfter(Duration),
    /// The recipient blocked the bot or is gone.
    Unreachable(String),
    /// The platform refused to deliver to this recipient, in a way it documents (Zalo's 404),
    /// but once is not proof she is gone: tried again later, and only a refusal repeated
    /// [`REFUSALS_BEFORE_UNREACHABLE`] times makes her unreachable.
    Refused(String),
    /// Worth retrying: 5xx, timeouts, network.
    Transient(String),
    /// Will never succeed (a malformed message).
    Rejected(String),
    /// The message it was to replace can no longer be changed: send it as a new one.
    NotEditable,
}

impl SendOutcome {
    /// Its name in the metrics (`throttled` is a 429).
    pub fn label(&self) -> &'static str {
        match self {
            SendOutcome::Sent => "sent",
            SendOutcome::RetryAfter(_) => "throttled",
            SendOutcome::Unreachable(_) => "unreachable",
            SendOutcome::Refused(_) => "refused",
            SendOutcome::Transient(_) => "transient",
            SendOutcome::Rejected(_) => "rejected",
            SendOutcome::NotEditable => "not_editable",
        }
    }
}

/// What a platform can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Choices as buttons; without them the sender numbers the choices and the courier
    /// remembers the list.
    pub buttons: bool,
    /// Files uploaded with the message; without it they are shared by link.
    pub uploads: bool,
    /// A message can replace an earlier one ([`Outbound::edit`]), at no cost to the send
    /// budget; without it such a message is sent as a new one.
    pub edits: bool,
}

/// A platform's way to send one message.
pub trait Sender: Send + Sync + 'static {
    /// The platform outbox rows name (`telegram`, `zalo`).
    fn platform(&self) -> &'static str;
    fn capabilities(&self) -> Capabilities;
    fn send<'a>(&'a self, chat_id: &'a str, message: &'a Outbound) -> BoxFuture<'a, SendOutcome>;
    /// Whether the platform sells a faster rate for bulk (Telegram's paid broadcasts).
    fn paid_broadcasts(&self) -> bool {
        false
    }
    /// The content of a file the platform keeps under `file_id` (an announcement's photo,
    /// to share by link on a platform without uploads).
    fn fetch_file<'a>(&'a self, file_id: &'a str) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        let _ = file_id;
        Box::pin(async { Err("this platform keeps no files for the bot".to_owned()) })
    }
    /// How many of the platform's messages `message` becomes (a long text cut in parts): each
    /// takes a slot of the send budget.
    fn parts(&self, _message: &Outbound) -> u32 {
        1
    }
    /// As [`Sender::send`], as a paid broadcast where the platform has them.
    fn send_paid<'a>(
        &'a self,
        chat_id: &'a str,
        message: &'a Outbound,
    ) -> BoxFuture<'a, SendOutcome> {
        self.send(chat_id, message)
    }
    /// As [`Sender::send`] (or [`Sender::send_paid`]), starting at part `from` of the
    /// [`Sender::parts`] the message becomes: the parts before it reached the platform in an
    /// earlier try and are never sent again. Says how many parts this try delivered, so that
    /// a failure at part k is tried again from part k. A platform that sends every message as
    /// one need not implement it.
    fn send_from<'a>(
        &'a self,
        chat_id: &'a str,
        message: &'a Outbound,
        from: u32,
        paid: bool,
    ) -> BoxFuture<'a, Delivery> {
        let _ = from;
        Box::pin(async move {
            let outcome = match paid {
                true => self.send_paid(chat_id, message).await,
                false => self.send(chat_id, message).await,
            };
            Delivery::whole(outcome)
        })
    }
}

/// What one try at a message sent in parts came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// [`SendOutcome::Sent`] once its last part went.
    pub outcome: SendOutcome,
    /// Parts the platform took in this try.
    pub parts: u32,
}

impl Delivery {
    /// A message of one part: taken whole, or not at all.
    pub fn whole(outcome: SendOutcome) -> Self {
        let parts = u32::from(outcome == SendOutcome::Sent);
        Self { outcome, parts }
    }
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
    /// Set when a platform asked us to slow down: it gets nothing more for this long.
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

/// Rows per claim at the least, and how long a claim holds them.
const BATCH: i64 = 64;
const LEASE: Duration = Duration::from_secs(120);
/// A batch being sent renews the leases it still holds when they have less than this left (by
/// the courier's clock), so that a batch a slow platform lets go a message a second is never
/// taken over by another instance while it is being sent ([`Courier::deliver_rows`]).
const RENEW_AHEAD: Duration = Duration::from_secs(20);
/// The shortest lease a row in a batch can have: replies an update leased to this instance.
const SHORTEST_LEASE: Duration = Duration::from_secs(30);
/// A platform's documented refusal to deliver to a recipient makes her unreachable only when
/// the same message met it this many times, tried again after the usual backoff in between.
pub const REFUSALS_BEFORE_UNREACHABLE: i64 = 3;
/// Messages in flight at once (to different chats) at the least: enough for Telegram's 30 a
/// second. A faster budget (paid broadcasts) gets more, see [`Pace`].
const IN_FLIGHT: usize = 16;

/// How many messages a courier keeps in flight and claims at once: enough to fill its fastest
/// platform's budgets while each send takes up to a fifth of a second to be answered.
#[derive(Debug, Clone, Copy)]
struct Pace {
    in_flight: usize,
    batch: i64,
}

impl Pace {
    /// The most in flight at once, whatever the rate.
    const MAX_IN_FLIGHT: usize = 256;

    fn for_rate(per_second: f64) -> Self {
        let in_flight = ((per_second / 5.0).ceil() as usize).clamp(IN_FLIGHT, Self::MAX_IN_FLIGHT);
        Self {
            in_flight,
            batch: (in_flight as i64 * 4).max(BATCH),
        }
    }
}
/// How often a running courier says it is alive; after 15 s of silence its leases are free.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Charts and exports this instance makes at once: each reads on one database connection and
/// may take a minute for a province's year, so they never run in the courier's own step.
const MAKERS: usize = 2;
/// How long a claim on a file being made holds; renewed while it is made and uploaded, so a
/// slow one is never started a second time.
const MAKE_LEASE: Duration = Duration::from_secs(600);
/// How long a file shared by link stays available.
const FILE_LINK_HOURS: i64 = 24;
/// How long the copy of an announcement's file kept for links serves: its recipients on a
/// platform without uploads may open it days later (and a reminder goes once).
const ANNOUNCEMENT_FILE_DAYS: i64 = 30;
/// A platform that says "too many requests" without saying how long to wait pauses this long
/// where its pace is fixed; a learned pace (Zalo's) pauses as [`pace`] says instead.
const DEFAULT_PAUSE: Duration = Duration::from_secs(5);

/// How much longer than the platform's own period the per-chat and per-group limiters wait
/// between two sends (see [`Limits::new`]).
const ARRIVAL_MARGIN: f64 = 1.1;
/// Replies in a chat that queue as replies within a second; past them her replies queue after
/// everyone else's (but before alerts), so that one person answering fast, or a long text cut
/// in parts, never delays anyone else's reply.
const REPLY_BURST: u32 = 2;
/// Her replies wait for her chat's second (rather than earn a 429 that pauses every chat) at a
/// person's pace: a burst of this many, then one every so long. A flood goes faster: past that
/// her replies go at once, as each wait would hold up the updates polled with hers.
const REPLY_WAITS: (u32, Duration) = (5, Duration::from_secs(2));
/// Tries of a message that meets a quota error on a platform whose pace is learned, each after
/// the pause it set, before it goes back to the outbox.
const QUOTA_TRIES: u32 = 4;
/// An alert or notice that has waited this long for the budget goes before replies, so that a
/// busy evening of replies never holds it up for long.
const URGENT_WAIT: Duration = Duration::from_millis(500);

struct Limits {
    global: Budget,
    /// Bulk's own budget when it goes as paid broadcasts.
    paid: Option<Budget>,
    /// New messages to one chat, spaced by when they are sent.
    per_chat: ChatSpacing,
    /// Her replies beyond a short burst ([`REPLY_BURST`]).
    replies_per_chat: DefaultKeyedRateLimiter<String>,
    per_group: DefaultKeyedRateLimiter<String>,
    /// Her replies that wait for her chat's second ([`REPLY_WAITS`]).
    reply_waits: DefaultKeyedRateLimiter<String>,
}

impl Limits {
    fn new(c: &DeliveryConfig, paid_broadcasts: bool, platform: &'static str) -> Self {
        let one = NonZeroU32::MIN;
        // Telegram counts a message when it arrives, and arrivals jitter by milliseconds: two
        // sends to a chat exactly a second apart can land 999 ms apart and earn a 429. A tenth
        // more than the period keeps them a full one apart.
        let spaced = |per: u32, window: Duration| {
            Quota::with_period(window.mul_f64(ARRIVAL_MARGIN) / per.max(1))
                .map(|q| q.allow_burst(one))
                .unwrap_or(Quota::per_second(one))
        };
        let chat = spaced(c.per_chat_per_second, Duration::from_secs(1));
        let group = spaced(c.per_group_per_minute, Duration::from_secs(60));
        let burst = NonZeroU32::new(REPLY_BURST).unwrap_or(one);
        Self {
            global: Budget::new(c.per_second, c.learned, platform),
            paid: c
                .paid_broadcast_per_second
                .filter(|_| paid_broadcasts)
                .map(|rate| Budget::new(rate, None, platform)),
            per_chat: ChatSpacing::new(
                Duration::from_secs(1).mul_f64(ARRIVAL_MARGIN) / c.per_chat_per_second.max(1),
            ),
            replies_per_chat: RateLimiter::keyed(chat.allow_burst(burst)),
            per_group: RateLimiter::keyed(group),
            reply_waits: RateLimiter::keyed(
                Quota::with_period(REPLY_WAITS.1)
                    .map(|q| q.allow_burst(NonZeroU32::new(REPLY_WAITS.0).unwrap_or(one)))
                    .unwrap_or(Quota::per_second(one)),
            ),
        }
    }
}

/// Telegram's one message a second in a chat, kept by when messages are *sent*: each new message
/// to a chat claims the chat at the moment it goes, and the next one waits until a period (a
/// tenth more than the platform's) has passed since.
///
/// A limiter consulted before the wait for the platform's budget (as governor's was) spaces
/// the *claims*, not the sends: an announcement that claimed a head's chat and then waited
/// behind everyone's replies for its slot went out right beside her reply, which had claimed
/// the chat later but needed no wait; and replies took the chat's second without waiting at
/// all, so a person answering two steps within a second (a short urgent report, typed fast)
/// got two messages within it. Each cost a 429, and a 429 pauses every chat's messages. Now
/// nothing, her reply included, goes to a chat within its period of the last: the second
/// message is held, not refused.
struct ChatSpacing {
    period: Duration,
    /// When each chat may be sent its next message; past entries are dropped now and then.
    next: Mutex<std::collections::HashMap<String, tokio::time::Instant>>,
}

impl ChatSpacing {
    /// Entries kept before the past ones are swept out.
    const SWEEP_AT: usize = 4096;

    fn new(period: Duration) -> Self {
        Self {
            period,
            next: Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn next(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, tokio::time::Instant>> {
        self.next.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `chat` may be sent a message, without claiming it (so that a message
    /// waiting for it takes no slot of the platform's budget meanwhile).
    async fn ready(&self, chat: &str) {
        loop {
            let at = self.next().get(chat).copied();
            match at {
                Some(at) if at > tokio::time::Instant::now() => tokio::time::sleep_until(at).await,
                _ => return,
            }
        }
    }

    /// Records a message of `parts` sends going to `chat` now without waiting for it: for what
    /// must not wait (a reply past her burst in a flood, a notice sent outside the outbox).
    fn mark(&self, chat: &str, parts: u32) {
        let now = tokio::time::Instant::now();
        let until = now + self.period * parts.max(1);
        let mut next = self.next();
        let at = next.entry(chat.to_owned()).or_insert(until);
        *at = (*at).max(until);
    }

    /// Claims `chat` for a message of `parts` sends going now, waiting first if another
    /// message went to it within its period since [`Self::ready`].
    async fn claim(&self, chat: &str, parts: u32) {
        loop {
            let now = tokio::time::Instant::now();
            let wait = {
                let mut next = self.next();
                match next.get(chat) {
                    Some(at) if *at > now => Some(*at),
                    _ => {
                        if next.len() >= Self::SWEEP_AT {
                            next.retain(|_, at| *at > now);
                        }
                        next.insert(chat.to_owned(), now + self.period * parts.max(1));
                        None
                    }
                }
            };
            match wait {
                Some(at) => tokio::time::sleep_until(at).await,
                None => return,
            }
        }
    }
}

/// Who goes first when the platform's budget is short: a person waiting for her answer, then
/// one whose chat had replies within the second already, then urgent news for someone else
/// (alerts, join requests), then bulk (prompts, reminders, digests), which only gets what the
/// others leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Priority {
    Reply = 0,
    ReplyAgain = 1,
    Urgent = 2,
    Bulk = 3,
}

impl Priority {
    fn of(kind: Kind) -> Self {
        match kind {
            Kind::Reply | Kind::Made => Priority::Reply,
            Kind::Alert | Kind::AlertStatus | Kind::Notice | Kind::Unreachable => Priority::Urgent,
            Kind::Reminder | Kind::Overdue | Kind::Digest | Kind::Announcement => Priority::Bulk,
        }
    }
}

/// A platform's messages-per-second budget shared by priorities: a send takes the next free
/// slot only when nobody of a higher priority is waiting for one — except an alert or notice
/// that has waited [`URGENT_WAIT`], which then goes first.
///
/// Slots keep to a schedule, one every period: a send that wakes a little late (the timer
/// ticks in milliseconds) still moves the next slot only one period on, so the budget is used
/// in full. A limiter that counts from each send instead (governor's, with a burst of one)
/// loses that lateness every time: about a millisecond of each 34, 3% of Telegram's budget.
/// Lateness is forgiven only as far as the rate's own slack allows, so no second ever holds
/// more sends than a strictly spaced sender would put in it; after a longer pause the schedule
/// starts afresh, so a quiet spell never turns into a burst.
///
/// Where the pace is learned ([`pace`]), the period follows it: every send tells the budget how
/// it went ([`Budget::sent`], [`Budget::quota_exceeded`]), and a quota error moves the next
/// slot past its pause.
struct Budget {
    platform: &'static str,
    schedule: Mutex<Schedule>,
    waiting: [AtomicUsize; 4],
    /// First come, first served within a priority: only the head of each queue asks for a
    /// slot, so nobody waits behind luckier late-comers.
    queues: [tokio::sync::Mutex<()>; 4],
    /// Alerts and notices that have waited [`URGENT_WAIT`] and go before replies now.
    promoted: AtomicUsize,
}

struct Schedule {
    period: Duration,
    /// How late a send may take its slot and still keep the schedule.
    tolerance: Duration,
    /// The next slot on the schedule; `None` before the first send.
    next: Option<tokio::time::Instant>,
    /// The pace learned from the platform's answers, if it is learned.
    learned: Option<Learned>,
}

struct Learned {
    aimd: Aimd,
    /// The pace last written to the log, and when: a rise is logged when it is a quarter
    /// higher, or 10 s later.
    logged: f64,
    logged_at: tokio::time::Instant,
}

impl Schedule {
    /// The most lateness forgiven, at any rate.
    const MAX_TOLERANCE: Duration = Duration::from_millis(5);

    fn new(per_second: f64) -> Self {
        let mut schedule = Self {
            period: Duration::ZERO,
            tolerance: Duration::ZERO,
            next: None,
            learned: None,
        };
        schedule.set_rate(per_second);
        schedule
    }

    fn set_rate(&mut self, per_second: f64) {
        let per_second = per_second.max(0.001);
        self.period = Duration::from_secs_f64(1.0 / per_second);
        // Strictly spaced sends put at most `ceil(per_second)` in any second; that many
        // periods span a little more than a second (1,017 ms at 29.5/s), and only that
        // slack may be forgiven.
        let slack = self
            .period
            .mul_f64(per_second.ceil())
            .saturating_sub(Duration::from_secs(1));
        self.tolerance = slack.min(Self::MAX_TOLERANCE);
    }
}

/// What a send was given with its slot, for telling the budget how it went.
#[derive(Debug, Clone, Copy)]
struct Ticket {
    /// The learned pace it was given.
    epoch: Option<Epoch>,
    /// It waited for its slot: the budget held it back.
    busy: bool,
}

impl Budget {
    /// `per_second`, fixed, or the pace it starts at when `learned` gives its bounds.
    fn new(per_second: f64, learned: Option<PaceBounds>, platform: &'static str) -> Self {
        let mut schedule = Schedule::new(per_second);
        if let Some(bounds) = learned {
            let aimd = Aimd::new(per_second, bounds);
            schedule.set_rate(aimd.rate());
            schedule.learned = Some(Learned {
                logged: aimd.rate(),
                logged_at: tokio::time::Instant::now(),
                aimd,
            });
        }
        Self {
            platform,
            schedule: Mutex::new(schedule),
            waiting: Default::default(),
            queues: Default::default(),
            promoted: AtomicUsize::new(0),
        }
    }

    fn schedule(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Messages a second it allows now.
    fn rate(&self) -> f64 {
        1.0 / self.schedule().period.as_secs_f64()
    }

    fn learns(&self) -> bool {
        self.schedule().learned.is_some()
    }

    async fn take(&self, priority: Priority) -> Ticket {
        let rank = priority as usize;
        // Counted until this returns or is dropped.
        struct Counted<'a>(&'a AtomicUsize);
        impl<'a> Counted<'a> {
            fn new(n: &'a AtomicUsize) -> Self {
                n.fetch_add(1, Ordering::SeqCst);
                Self(n)
            }
        }
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _waiting = Counted::new(&self.waiting[rank]);
        let started = tokio::time::Instant::now();
        let _turn = self.queues[rank].lock().await;
        let mut busy = self
            .waiting
            .iter()
            .map(|w| w.load(Ordering::SeqCst))
            .sum::<usize>()
            > 1;
        let mut promoted = None;
        loop {
            let now = tokio::time::Instant::now();
            if priority == Priority::Urgent
                && promoted.is_none()
                && now.duration_since(started) >= URGENT_WAIT
            {
                promoted = Some(Counted::new(&self.promoted));
            }
            let ahead = promoted.is_none()
                && (self.waiting[..rank]
                    .iter()
                    .any(|w| w.load(Ordering::SeqCst) > 0)
                    || (priority < Priority::Urgent && self.promoted.load(Ordering::SeqCst) > 0));
            let until = if ahead {
                // Look again shortly; whoever is ahead takes the coming slots.
                now + Duration::from_millis(5)
            } else {
                match self.claim(now) {
                    Ok((epoch, late)) => {
                        if !late.is_zero() {
                            // A slot no send took in time is lost: `waited` says whether a
                            // send was waiting for it (woken late) or none was ready.
                            tracing::debug!(
                                platform = self.platform,
                                late_us = late.as_micros() as u64,
                                waited = busy,
                                "send slot lost"
                            );
                        }
                        return Ticket { epoch, busy };
                    }
                    Err(slot) => slot,
                }
            };
            busy = true;
            tokio::time::sleep_until(until).await;
        }
    }

    /// Takes the slot due at `now` and says which learned pace it was given, or says when the
    /// next slot is (as governor's `check`).
    /// The lateness given up with it is returned too (zero when the schedule was kept).
    fn claim(
        &self,
        now: tokio::time::Instant,
    ) -> Result<(Option<Epoch>, Duration), tokio::time::Instant> {
        let mut schedule = self.schedule();
        let (slot, late) = match schedule.next {
            Some(slot) if slot > now => return Err(slot),
            Some(slot) if now - slot <= schedule.tolerance => (slot, Duration::ZERO),
            Some(slot) => (now, now - slot),
            None => (now, Duration::ZERO),
        };
        schedule.next = Some(slot + schedule.period);
        Ok((schedule.learned.as_ref().map(|l| l.aimd.epoch()), late))
    }

    /// The send given `ticket` went out: a learned pace that held it back rises.
    fn sent(&self, ticket: Ticket) {
        let mut schedule = self.schedule();
        let Some(learned) = schedule.learned.as_mut() else {
            return;
        };
        let before = learned.aimd.rate();
        let rate = learned.aimd.succeeded(ticket.busy);
        if rate == before {
            return;
        }
        let now = tokio::time::Instant::now();
        let tell = rate >= learned.logged * 1.25
            || (now.duration_since(learned.logged_at) >= Duration::from_secs(10)
                && (rate - learned.logged).abs() >= 0.5);
        if tell {
            learned.logged = rate;
            learned.logged_at = now;
        }
        schedule.set_rate(rate);
        drop(schedule);
        crate::metrics::send_pace(self.platform, rate);
        if tell {
            tracing::info!(
                platform = self.platform,
                per_second = format!("{rate:.1}"),
                "send pace rose"
            );
        }
    }

    /// The platform refused the send given `ticket` for its quota: the learned pace is cut
    /// (once per pace) and nothing goes before the pause returned has passed.
    fn quota_exceeded(&self, ticket: Ticket) -> Duration {
        let mut schedule = self.schedule();
        let (Some(learned), Some(epoch)) = (schedule.learned.as_mut(), ticket.epoch) else {
            return Duration::ZERO;
        };
        let backoff = learned.aimd.quota_exceeded(epoch);
        learned.logged = backoff.to;
        learned.logged_at = tokio::time::Instant::now();
        schedule.set_rate(backoff.to);
        let resume = tokio::time::Instant::now() + backoff.pause;
        schedule.next = Some(schedule.next.map_or(resume, |next| next.max(resume)));
        drop(schedule);
        crate::metrics::send_pace(self.platform, backoff.to);
        crate::metrics::send_pause(self.platform, backoff.pause);
        tracing::info!(
            platform = self.platform,
            from = format!("{:.1}", backoff.from),
            to = format!("{:.1}", backoff.to),
            pause_ms = backoff.pause.as_millis() as u64,
            "quota exceeded: send pace cut, sends paused"
        );
        backoff.pause
    }
}

/// One platform's sender with its own limits and its own pause after a 429.
struct Lane {
    sender: Arc<dyn Sender>,
    config: DeliveryConfig,
    limits: Limits,
    /// No sends to this platform before then (flood control), by the courier's clock.
    paused_until: Mutex<Option<DateTime<Utc>>>,
}

impl Lane {
    /// Messages a second it may send at most, paid broadcasts included (a learned pace at
    /// its ceiling).
    fn rate(&self) -> f64 {
        let paid = self
            .limits
            .paid
            .as_ref()
            .and(self.config.paid_broadcast_per_second);
        let common = self
            .config
            .learned
            .map_or(self.config.per_second, |b| b.ceiling);
        common + paid.unwrap_or_default()
    }

    fn paused(&self, now: DateTime<Utc>) -> Option<Duration> {
        let until = (*self.paused_until.lock().unwrap_or_else(|p| p.into_inner()))?;
        (until > now).then(|| (until - now).to_std().unwrap_or_default())
    }

    fn pause(&self, until: DateTime<Utc>) {
        let mut p = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        *p = Some(p.map_or(until, |old| old.max(until)));
    }
}

/// Whose turn it is to send to each chat: the lanes of batches sent side by side (the courier's
/// batch, an update's replies, a file made) send a chat's messages in the order they were
/// claimed; a reply held for her chat's second is not overtaken by a notice or a file. Each lane takes its turn as its batch is formed and waits
/// for the lane before it in that chat, if one is still sending.
#[derive(Default)]
struct ChatTurns {
    next_id: std::sync::atomic::AtomicU64,
    /// The latest turn taken in each chat (platform, chat), until it is done.
    last: Mutex<std::collections::HashMap<(String, String), (u64, TurnDone)>>,
}

/// Resolves when a turn is done (its sender dropped).
type TurnDone = futures::future::Shared<tokio::sync::oneshot::Receiver<()>>;

impl ChatTurns {
    fn last(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(String, String), (u64, TurnDone)>>
    {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the next turn in `chat` of `platform`.
    fn take(self: &Arc<Self>, platform: &str, chat: &str) -> Turn {
        use futures::FutureExt as _;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (done, rx) = tokio::sync::oneshot::channel();
        let key = (platform.to_owned(), chat.to_owned());
        let before = self
            .last()
            .insert(key.clone(), (id, rx.shared()))
            .map(|(_, before)| before);
        Turn {
            turns: Arc::clone(self),
            key,
            id,
            before,
            _done: done,
        }
    }
}

/// One lane's turn in its chat: done when dropped.
struct Turn {
    turns: Arc<ChatTurns>,
    key: (String, String),
    id: u64,
    before: Option<TurnDone>,
    _done: tokio::sync::oneshot::Sender<()>,
}

impl Turn {
    /// Waits until the lane before this one in the chat has finished sending.
    async fn wait(&mut self) {
        if let Some(before) = self.before.clone() {
            let _ = before.await;
            self.before = None;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut last = self.turns.last();
        if last.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
            last.remove(&self.key);
        }
    }
}

/// Drains the outbox to every platform this instance serves.
#[derive(Clone)]
pub struct Courier {
    store: Store,
    calendars: Calendars,
    lanes: Arc<Vec<Lane>>,
    pace: Pace,
    /// Where shared files are served (`CHIHOI_PUBLIC_URL`), for platforms without uploads.
    public_url: Option<Url>,
    owner: String,
    clock: Clock,
    /// Records sent rows, several in a statement under load.
    sent: Arc<SentMarks>,
    wake: Arc<tokio::sync::Notify>,
    /// Wakes the loop that makes charts and exports.
    make_wake: Arc<tokio::sync::Notify>,
    turns: Arc<ChatTurns>,
}

/// Builds a [`Courier`]: one sender per platform, each with its limits.
pub struct CourierBuilder {
    store: Store,
    calendars: Calendars,
    lanes: Vec<Lane>,
    public_url: Option<Url>,
    owner: String,
    clock: Clock,
}

impl CourierBuilder {
    pub fn sender(mut self, sender: Arc<dyn Sender>, config: DeliveryConfig) -> Self {
        self.lanes
            .retain(|l| l.sender.platform() != sender.platform());
        if config.paid_broadcast_per_second.is_some() && !sender.paid_broadcasts() {
            tracing::warn!(
                platform = sender.platform(),
                "this platform has no paid broadcasts: bulk keeps the common budget"
            );
        }
        crate::metrics::send_pace(sender.platform(), config.per_second);
        self.lanes.push(Lane {
            limits: Limits::new(&config, sender.paid_broadcasts(), sender.platform()),
            sender,
            config,
            paused_until: Mutex::new(None),
        });
        self
    }

    /// Shares files by link under this address on platforms that take no uploads.
    pub fn public_url(mut self, url: Option<Url>) -> Self {
        self.public_url = url;
        self
    }

    pub fn build(self) -> Courier {
        let fastest = self.lanes.iter().map(Lane::rate).fold(0.0, f64::max);
        Courier {
            pace: Pace::for_rate(fastest),
            sent: SentMarks::new(self.store.clone(), self.owner.clone()),
            store: self.store,
            calendars: self.calendars,
            lanes: Arc::new(self.lanes),
            public_url: self.public_url,
            owner: self.owner,
            clock: self.clock,
            wake: Arc::new(tokio::sync::Notify::new()),
            make_wake: Arc::new(tokio::sync::Notify::new()),
            turns: Arc::default(),
        }
    }
}

impl Courier {
    /// `owner` names this instance in leases (the engine's [`crate::dialog::Engine::instance`], so
    /// that the replies it queued are ours to send).
    pub fn builder(
        store: Store,
        calendars: Calendars,
        clock: Clock,
        owner: String,
    ) -> CourierBuilder {
        CourierBuilder {
            store,
            calendars,
            lanes: Vec::new(),
            public_url: None,
            owner,
            clock,
        }
    }

    fn lane(&self, platform: &str) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.sender.platform() == platform)
    }

    /// The pace `platform`'s sends keep now, messages a second (learned, or as configured).
    pub fn pace(&self, platform: &str) -> Option<f64> {
        self.lane(platform).map(|l| l.limits.global.rate())
    }

    /// Sent messages whose "sent" mark matched no row this courier held (see
    /// `chihoi_outbox_sent_marks_missed_total`).
    pub fn sent_marks_missed(&self) -> u64 {
        self.sent.missed()
    }

    /// The platforms this courier sends to.
    pub fn platforms(&self) -> Vec<&'static str> {
        self.lanes.iter().map(|l| l.sender.platform()).collect()
    }

    /// Wakes the running loops (new rows were queued).
    pub fn nudge(&self) {
        self.wake.notify_one();
        self.make_wake.notify_one();
    }

    /// One step: claim due rows and deliver them.
    pub async fn drain_once(&self, now: DateTime<Utc>) -> Result<DrainReport, StorageError> {
        let quiet = self.calendars.deployment().in_quiet_hours(now);
        let open = self.open_platforms(now);
        if open.is_empty() {
            return Ok(DrainReport::default());
        }
        let rows = {
            // Reminders to units that reported meanwhile are dropped when rendered (and swept by
            // the scheduler), not here: this runs for every batch.
            let mut conn = self.store.acquire().await?;
            let claim = self.claim(&open, now, LEASE);
            outbox::claim_due(&mut conn, &claim, quiet, self.pace.batch).await?
        };
        self.deliver_rows(rows, now).await
    }

    /// Drains until nothing is due, charts and exports included, made one after another
    /// (tests and `chihoi tick`).
    pub async fn drain_all(&self, now: DateTime<Utc>) -> Result<DrainReport, StorageError> {
        self.queue_all_announcements().await?;
        let mut total = DrainReport::default();
        loop {
            let step = self.drain_once(now).await?;
            let done = step.claimed == 0 || step.throttled.is_some();
            total.add(step);
            if done {
                break;
            }
        }
        while total.throttled.is_none() {
            let rows = self.claim_made(now, 1).await?;
            let Some(row) = rows.into_iter().next() else {
                break;
            };
            total.claimed += 1;
            total.add(self.make_one(row).await?);
        }
        Ok(total)
    }

    /// Claims up to `room` charts and exports to make, on platforms not paused.
    async fn claim_made(
        &self,
        now: DateTime<Utc>,
        room: usize,
    ) -> Result<Vec<OutboxRow>, StorageError> {
        let open = self.open_platforms(now);
        let mut conn = self.store.acquire().await?;
        let claim = self.claim(&open, now, MAKE_LEASE);
        outbox::claim_made(&mut conn, &claim, room as i64).await
    }

    /// The platforms not paused by flood control (one that asked us to slow down is left
    /// alone until its pause ends).
    fn open_platforms(&self, now: DateTime<Utc>) -> Vec<&'static str> {
        self.lanes
            .iter()
            .filter(|l| l.paused(now).is_none())
            .map(|l| l.sender.platform())
            .collect()
    }

    /// A claim by this instance on `platforms`, for `lease` from `now`.
    fn claim<'a>(
        &'a self,
        platforms: &'a [&'a str],
        now: DateTime<Utc>,
        lease: Duration,
    ) -> outbox::Claim<'a> {
        outbox::Claim {
            owner: &self.owner,
            platforms,
            now: now.timestamp(),
            lease_until: now.timestamp() + lease.as_secs() as i64,
        }
    }

    /// Makes and sends one chart or export, keeping its claim alive meanwhile.
    async fn make_one(&self, row: OutboxRow) -> Result<DrainReport, StorageError> {
        let keep_claim = async {
            loop {
                tokio::time::sleep(MAKE_LEASE / 4).await;
                let until = (self.clock)().timestamp() + MAKE_LEASE.as_secs() as i64;
                let kept = async {
                    let mut conn = self.store.acquire().await?;
                    outbox::extend_lease(&mut conn, row.id, &self.owner, until).await
                };
                if let Err(e) = kept.await {
                    tracing::warn!(id = row.id, error = %e, "could not renew the claim on a file being made");
                }
            }
        };
        // What her tap was answered ("⏳ the file is being made") goes before the file: wait
        // for the lanes already sending to her chat, without holding it while the file is made.
        self.turns.take(&row.platform, &row.chat_id).wait().await;
        let started = std::time::Instant::now();
        let report = tokio::select! {
            r = self.deliver_guarded(&row, (self.clock)()) => r?,
            () = keep_claim => unreachable!("renewing a claim never ends"),
        };
        tracing::debug!(
            id = row.id,
            secs = started.elapsed().as_secs_f64(),
            "file made and sent"
        );
        Ok(report)
    }

    /// Makes charts and exports until `shutdown`, [`MAKERS`] at a time, beside the courier's
    /// loop: a file that takes minutes delays nobody else's messages.
    async fn make_files(&self, shutdown: CancellationToken) {
        let mut making: tokio::task::JoinSet<()> = tokio::task::JoinSet::new();
        // The row each running task makes.
        let mut in_hand: std::collections::HashMap<tokio::task::Id, i64> =
            std::collections::HashMap::new();
        loop {
            let room = MAKERS.saturating_sub(making.len());
            if room > 0 {
                match self.claim_made((self.clock)(), room).await {
                    Ok(rows) => {
                        for row in rows {
                            // Our own claim, taken again, is never a second build.
                            let id = row.id;
                            if in_hand.values().any(|&r| r == id) {
                                continue;
                            }
                            let this = self.clone();
                            let task = making.spawn(async move {
                                if let Err(e) = this.make_one(row).await {
                                    tracing::warn!(id, error = %e, "making a file failed; it will be tried again");
                                }
                            });
                            in_hand.insert(task.id(), id);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming files to make failed"),
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                Some(done) = making.join_next_with_id(), if !making.is_empty() => {
                    // A panic while making is a failed attempt already (`deliver_guarded`).
                    let task = match done {
                        Ok((task, ())) => task,
                        Err(e) => {
                            tracing::error!(error = %e, "making a file stopped unexpectedly");
                            e.id()
                        }
                    };
                    in_hand.remove(&task);
                }
                _ = self.make_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Delivers what an update queued: `ready`, her replies, which the update leased to this
    /// instance as it wrote them, and the rows `ids` if they are due and unclaimed (alerts,
    /// notices to others). Then wakes the courier's loops for what is left: files to make,
    /// notices that wait out quiet hours, rows to try again. An ordinary step leaves nothing,
    /// and wakes nothing: a wake costs two claim statements, one per loop.
    pub async fn deliver_now(
        &self,
        ready: Vec<OutboxRow>,
        ids: &[i64],
    ) -> Result<DrainReport, StorageError> {
        let now = (self.clock)();
        let given = ready.len() + ids.len();
        let delivered = async {
            let mut rows = ready;
            if !ids.is_empty() {
                let mut conn = self.store.acquire().await?;
                let lease_until = now.timestamp() + LEASE.as_secs() as i64;
                rows.extend(
                    outbox::claim_ids(&mut conn, &self.owner, ids, now.timestamp(), lease_until)
                        .await?,
                );
            }
            // As a claim orders them: urgent first, announcements last, else as queued.
            rows.sort_by_key(|r| (!r.urgent, r.kind == Kind::Announcement, r.id));
            self.deliver_rows(rows, now).await
        }
        .await;
        let settled = delivered
            .as_ref()
            .map_or(0, |r| r.sent + r.cancelled + r.dead + r.unreachable);
        if settled < given {
            self.nudge();
        }
        delivered
    }

    /// Sends `rows`, a lane per chat, lanes side by side.
    async fn deliver_rows(
        &self,
        rows: Vec<OutboxRow>,
        now: DateTime<Utc>,
    ) -> Result<DrainReport, StorageError> {
        let mut report = DrainReport {
            claimed: rows.len(),
            ..DrainReport::default()
        };
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
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
        // Each lane takes its turn in its chat now, in claim order, before any is sent. An
        // announcement's copy takes none: it belongs to no exchange with her, and her reply
        // should not wait behind it (measured: heads' reply p99 527 ms instead of ~110 ms on
        // the fan-out bench when it did).
        let lanes: Vec<(Option<Turn>, Vec<OutboxRow>)> = lanes
            .into_iter()
            .map(|lane| {
                let bulk = lane.iter().all(|r| r.kind == Kind::Announcement);
                let turn = (!bulk).then(|| self.turns.take(&lane[0].platform, &lane[0].chat_id));
                (turn, lane)
            })
            .collect();
        let sending = futures::stream::iter(lanes)
            .map(|(mut turn, lane)| async move {
                let mut r = DrainReport::default();
                if let Some(turn) = turn.as_mut() {
                    turn.wait().await;
                }
                for row in lane {
                    // After a 429 nothing more goes to that platform in this step; the others
                    // carry on.
                    let stopped = self.lane(&row.platform).and_then(|l| l.paused(now));
                    if stopped.is_some() {
                        self.release(&row, now).await?;
                        r.retried += 1;
                        continue;
                    }
                    r.add(self.deliver_guarded(&row, now).await?);
                }
                Ok(r)
            })
            .buffer_unordered(self.pace.in_flight)
            .collect::<Vec<Result<DrainReport, StorageError>>>();
        let results = tokio::select! {
            results = sending => results,
            () = self.keep_leases(&ids, now) => unreachable!("keeping leases never ends"),
        };
        for r in results {
            report.add(r?);
        }
        Ok(report)
    }

    /// Renews the leases on the rows `ids` of a batch being sent while it is sent, whenever
    /// they have less than [`RENEW_AHEAD`] left by the courier's clock: a batch never outlives
    /// its lease, however long its platform's pace makes it.
    async fn keep_leases(&self, ids: &[i64], claimed_at: DateTime<Utc>) {
        let mut until = claimed_at.timestamp() + SHORTEST_LEASE.as_secs() as i64;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = (self.clock)().timestamp();
            if now + (RENEW_AHEAD.as_secs() as i64) < until {
                continue;
            }
            let renewed = async {
                let mut conn = self.store.acquire().await?;
                outbox::extend_leases(&mut conn, ids, &self.owner, now + LEASE.as_secs() as i64)
                    .await
            };
            match renewed.await {
                Ok(n) => {
                    until = now + LEASE.as_secs() as i64;
                    tracing::debug!(rows = n, "leases of a batch being sent renewed");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not renew the leases of a batch being sent")
                }
            }
        }
    }

    /// Sends `message` at once, outside the outbox (an apology while the database is away, a
    /// flood notice), but like every other send within its platform's budget, as a reply she
    /// is waiting for. `None` when this courier does not send to `platform`.
    pub async fn send_now(&self, platform: &str, message: &Outbound) -> Option<SendOutcome> {
        let lane = self.lane(platform)?;
        let budget = &lane.limits.global;
        let chat = message.chat_id.as_str();
        let mut ticket = budget.take(Priority::Reply).await;
        let parts = lane.sender.parts(message).max(1);
        for _ in 1..parts {
            let next = budget.take(Priority::Reply).await;
            ticket.busy |= next.busy;
        }
        // A flood notice or an apology goes at once, but what comes next for her waits.
        lane.limits.per_chat.mark(chat, parts);
        let outcome = lane.sender.send(chat, message).await;
        match outcome {
            SendOutcome::Sent => budget.sent(ticket),
            SendOutcome::RetryAfter(wait) if wait.is_zero() && budget.learns() => {
                budget.quota_exceeded(ticket);
            }
            _ => {}
        }
        crate::metrics::send_outcome(platform, outcome.label());
        Some(outcome)
    }

    async fn release(&self, row: &OutboxRow, now: DateTime<Utc>) -> Result<(), StorageError> {
        let mut conn = self.store.acquire().await?;
        outbox::retry_later(&mut conn, row.id, &self.owner, now.timestamp(), false, None).await
    }

    /// [`Self::deliver_one`]; a panic on the way (a bug met by an odd row) is a failed attempt
    /// of that row alone, so it ends in the dead letters instead of stopping the courier.
    async fn deliver_guarded(
        &self,
        row: &OutboxRow,
        now: DateTime<Utc>,
    ) -> Result<DrainReport, StorageError> {
        match crate::supervisor::caught(self.deliver_one(row, now)).await {
            Ok(r) => r,
            Err(panic) => {
                tracing::error!(id = row.id, kind = row.kind.as_str(), %panic, "sending a message panicked");
                match self.lane(&row.platform) {
                    Some(lane) => self.failed(lane, row, now, panic.to_string()).await,
                    None => Ok(DrainReport::default()),
                }
            }
        }
    }

    async fn deliver_one(
        &self,
        row: &OutboxRow,
        now: DateTime<Utc>,
    ) -> Result<DrainReport, StorageError> {
        let mut report = DrainReport::default();
        let Some(lane) = self.lane(&row.platform) else {
            // Claims name our platforms only; a row for another one is left for its courier.
            self.release(row, now).await?;
            report.retried += 1;
            return Ok(report);
        };
        let message = match render_row(
            &self.store,
            &self.calendars,
            row,
            now,
            lane.config.max_upload_bytes,
        )
        .await
        {
            Ok(message) => message,
            // A message that cannot be made (a chart or export failing, a body this version
            // cannot read) is tried again later like a failed send, then dead-lettered.
            Err(e) => return self.failed(lane, row, now, format!("render: {e}")).await,
        };
        let Some(mut message) = message else {
            let mut conn = self.store.acquire().await?;
            outbox::finish(&mut conn, row.id, "cancelled", None).await?;
            report.cancelled += 1;
            return Ok(report);
        };
        if message.edit.is_some() && row.attempts > 0 {
            // Tried before, perhaps sent by an instance killed before it could record it: once
            // a newer reply has reached the chat, replaying this edit would turn her step back
            // into an older one.
            let mut conn = self.store.acquire().await?;
            if outbox::newer_reply_sent(&mut conn, &row.platform, &row.chat_id, row.id).await? {
                outbox::finish(&mut conn, row.id, "cancelled", Some("superseded")).await?;
                report.cancelled += 1;
                return Ok(report);
            }
        }
        let capabilities = lane.sender.capabilities();
        if !capabilities.buttons && !message.choices.is_empty() {
            let mut conn = self.store.acquire().await?;
            lists::prepare(&mut conn, row, &mut message).await?;
        }
        if !capabilities.uploads
            && message.attachment.is_some()
            && let Err(why) = self.share_by_link(row, &mut message, now).await?
        {
            return self.failed(lane, row, now, why).await;
        }
        if !capabilities.edits {
            message.edit = None;
        }
        let mut outcome = SendOutcome::NotEditable;
        let first = u32::try_from(row.parts_sent).unwrap_or(0);
        let mut from = first;
        if message.edit.is_some() {
            // Changing the tapped message sends nothing new: no budget to wait for.
            outcome = lane.sender.send(&row.chat_id, &message).await;
            message.edit = None;
        }
        if outcome == SendOutcome::NotEditable {
            let mut priority = Priority::of(row.kind);
            if priority == Priority::Reply {
                // Past a short burst in her chat, her replies let others' go first.
                if lane
                    .limits
                    .replies_per_chat
                    .check_key(&row.chat_id)
                    .is_err()
                {
                    priority = Priority::ReplyAgain;
                }
            }
            // Bulk as a paid broadcast, when allowed, has a budget of its own and leaves the
            // common one to replies and alerts.
            let paid = lane
                .limits
                .paid
                .as_ref()
                .filter(|_| priority == Priority::Bulk);
            let budget = paid.unwrap_or(&lane.limits.global);
            let parts = lane.sender.parts(&message).max(1);
            let mut tries = 0;
            loop {
                // Parts that went in an earlier try (or before a quota error in this one) are
                // not sent again, nor counted against the budget.
                let left = parts.saturating_sub(from).max(1);
                // Nothing new goes to a chat within a second of the last, her reply included
                // (Telegram refuses it, and its 429 pauses every chat): wait for the chat
                // before the budget, so the wait costs no slot, and claim it as it goes.
                // Her replies wait for her chat at a person's pace ([`REPLY_WAITS`]); past it (a
                // flood, which the channel cuts short) they go at once as before: each wait
                // holds her chat's turn, and with it the updates polled with hers.
                let wait_for_chat = Priority::of(row.kind) != Priority::Reply
                    || lane.limits.reply_waits.check_key(&row.chat_id).is_ok();
                if wait_for_chat {
                    lane.limits.per_chat.ready(&row.chat_id).await;
                }
                let mut ticket = budget.take(priority).await;
                for _ in 1..left {
                    let next = budget.take(priority).await;
                    ticket.busy |= next.busy;
                }
                if row.chat_id.starts_with('-') {
                    lane.limits.per_group.until_key_ready(&row.chat_id).await;
                }
                if wait_for_chat {
                    lane.limits.per_chat.claim(&row.chat_id, left).await;
                } else {
                    lane.limits.per_chat.mark(&row.chat_id, left);
                }
                let delivery = lane
                    .sender
                    .send_from(&row.chat_id, &message, from, paid.is_some())
                    .await;
                from += delivery.parts;
                outcome = delivery.outcome;
                match outcome {
                    SendOutcome::Sent => budget.sent(ticket),
                    // A quota error without a wait named (Zalo's): the learned pace is cut and
                    // paused, and this message tries again in its turn after the pause.
                    SendOutcome::RetryAfter(wait) if wait.is_zero() && budget.learns() => {
                        let pause = budget.quota_exceeded(ticket);
                        tries += 1;
                        if tries < QUOTA_TRIES {
                            crate::metrics::send_outcome(&row.platform, outcome.label());
                            continue;
                        }
                        outcome = SendOutcome::RetryAfter(pause.max(Duration::from_millis(1)));
                    }
                    _ => {}
                }
                break;
            }
        }
        crate::metrics::send_outcome(&row.platform, outcome.label());
        let at = (self.clock)().timestamp().max(now.timestamp());
        if outcome == SendOutcome::Sent {
            // Sent: recording it must not fail for a passing database hiccup, or the message
            // would go out again when the lease ends.
            self.sent.mark(row.id, at).await?;
        }
        let mut conn = self.store.acquire().await?;
        if outcome != SendOutcome::Sent && from > first {
            // Some parts went before the failure: the next try starts after them.
            outbox::record_parts_sent(&mut conn, row.id, &self.owner, i64::from(from)).await?;
            tracing::info!(
                id = row.id,
                parts_sent = from,
                parts = lane.sender.parts(&message),
                "a message sent in parts stopped part-way; it goes on from there"
            );
        }
        match outcome {
            SendOutcome::Sent => {
                if !capabilities.buttons && !message.choices.is_empty() {
                    let shown = ShownChoices {
                        items: message
                            .choices
                            .iter()
                            .flatten()
                            .map(|c| (c.label.clone(), c.data.clone()))
                            .collect(),
                        lettered: message.lettered,
                    };
                    choices::remember(&mut conn, &row.platform, &row.chat_id, &shown, at).await?;
                }
                report.sent += 1;
            }
            SendOutcome::RetryAfter(wait) => {
                let learned = lane.limits.global.learns();
                let wait = if wait.is_zero() { DEFAULT_PAUSE } else { wait };
                // A learned pace paused its budget already, by the runtime's clock.
                let when = if learned {
                    now.timestamp() + wait.as_secs() as i64
                } else {
                    lane.pause(now + chrono::Duration::from_std(wait).unwrap_or_default());
                    now.timestamp() + wait.as_secs().max(1) as i64
                };
                outbox::retry_later(
                    &mut conn,
                    row.id,
                    &self.owner,
                    when,
                    false,
                    Some("429 Too Many Requests"),
                )
                .await?;
                tracing::info!(
                    platform = row.platform,
                    seconds = wait.as_secs_f64(),
                    "flood control: the message goes back to the outbox"
                );
                report.retried += 1;
                report.throttled = Some(wait);
            }
            SendOutcome::Transient(error) => {
                drop(conn);
                report.add(self.failed(lane, row, now, error).await?);
            }
            SendOutcome::Rejected(error) => {
                outbox::finish(&mut conn, row.id, "dead", Some(&error)).await?;
                tracing::warn!(id = row.id, kind = row.kind.as_str(), %error, "message rejected");
                report.dead += 1;
            }
            // Only a replacing message can be refused so, and it was sent anew instead.
            SendOutcome::NotEditable => {
                outbox::finish(&mut conn, row.id, "dead", Some("not editable")).await?;
                report.dead += 1;
            }
            SendOutcome::Refused(error) if row.attempts + 1 < REFUSALS_BEFORE_UNREACHABLE => {
                // Once is not proof she is gone (a passing fault, a platform's glitch): her
                // messages stay queued and this one is tried again after the usual backoff.
                drop(conn);
                tracing::info!(id = row.id, attempts = row.attempts + 1, %error, "the platform refused the recipient; tried again later");
                report.add(self.failed(lane, row, now, error).await?);
            }
            SendOutcome::Unreachable(error) | SendOutcome::Refused(error) => {
                outbox::finish(&mut conn, row.id, "unreachable", Some(&error)).await?;
                report.unreachable += 1;
                drop(conn);
                self.recipient_gone(row, now).await?;
            }
        }
        Ok(report)
    }

    async fn release_others(&self) -> Result<u64, StorageError> {
        let mut conn = self.store.acquire().await?;
        outbox::release_others(&mut conn, &self.owner).await
    }

    /// Tells the other instances this one is alive (see `outbox::heartbeat`).
    pub async fn heartbeat(&self) -> Result<(), StorageError> {
        let mut conn = self.store.acquire().await?;
        outbox::heartbeat(&mut conn, &self.owner, (self.clock)().timestamp()).await
    }

    /// Records a sent message, trying again for a few seconds if the database is briefly away.
    /// A failed attempt: tried again after a growing pause, dead-lettered after
    /// `max_attempts`.
    async fn failed(
        &self,
        lane: &Lane,
        row: &OutboxRow,
        now: DateTime<Utc>,
        error: String,
    ) -> Result<DrainReport, StorageError> {
        let mut report = DrainReport::default();
        let mut conn = self.store.acquire().await?;
        let attempts = row.attempts + 1;
        if attempts >= i64::from(lane.config.max_attempts) {
            outbox::finish(&mut conn, row.id, "dead", Some(&error)).await?;
            tracing::warn!(id = row.id, kind = row.kind.as_str(), %error, "message dead-lettered");
            report.dead += 1;
        } else {
            let when = now.timestamp() + backoff(attempts).as_secs() as i64;
            outbox::retry_later(&mut conn, row.id, &self.owner, when, true, Some(&error)).await?;
            report.retried += 1;
        }
        Ok(report)
    }

    /// A chart or export for a platform that takes no uploads: a photo is sent by its link,
    /// a document becomes a link in the text; without a public address she is told where to get
    /// it instead.
    /// An announcement's file is kept once for all its recipients ([`Self::announcement_copy`]);
    /// `Ok(Err(why))` when it could not be fetched (tried again later).
    async fn share_by_link(
        &self,
        row: &OutboxRow,
        message: &mut Outbound,
        now: DateTime<Utc>,
    ) -> Result<Result<(), String>, StorageError> {
        let Some(file) = message.attachment.take() else {
            return Ok(Ok(()));
        };
        let mut conn = self.store.acquire().await?;
        let user = match row.user_id {
            Some(id) => users::user_by_id(&mut conn, id).await?,
            None => None,
        };
        let lang = user
            .as_ref()
            .and_then(|u| Lang::parse(&u.lang))
            .unwrap_or_default();
        let Some(base) = &self.public_url else {
            message.text = format!("{}\n\n{}", message.text, tr!(lang, "file-needs-upload"));
            return Ok(Ok(()));
        };
        let shared = if row.kind == Kind::Announcement {
            drop(conn);
            match self.announcement_copy(row, now).await? {
                Ok(token) => Some(token),
                Err(why) => return Ok(Err(why)),
            }
        } else {
            // A send tried again shares the copy its first try stored, under the same link.
            let token = files::token_for(&mut conn, row.id, now.timestamp()).await?;
            drop(conn);
            token
        };
        let token = match shared {
            Some(token) => token,
            None => {
                let content = file
                    .data
                    .read()
                    .await
                    .map_err(|e| StorageError::Corrupt(format!("reading a made file: {e}")))?;
                let mut bytes = [0u8; 16];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
                let content_type = match file.kind {
                    AttachmentKind::Photo => "image/png",
                    AttachmentKind::Document if file.file_name.ends_with(".csv") => {
                        "text/csv; charset=utf-8"
                    }
                    AttachmentKind::Document if file.file_name.ends_with(".docx") => {
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    }
                    AttachmentKind::Document => {
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    }
                };
                let expires = now + chrono::Duration::hours(FILE_LINK_HOURS);
                let mut tx = self.store.begin().await?;
                let token = files::put(
                    &mut tx,
                    &token,
                    row.id,
                    // The link serves only while she keeps the unit and role she has now.
                    row.user_id,
                    &SharedFile {
                        file_name: file.file_name.clone(),
                        content_type: content_type.into(),
                        bytes: content,
                    },
                    expires.timestamp(),
                    now.timestamp(),
                )
                .await?;
                tx.commit().await?;
                token
            }
        };
        let url = format!(
            "{}/files/{token}/{}",
            base.as_str().trim_end_matches('/'),
            file.file_name
        );
        match file.kind {
            AttachmentKind::Photo => {
                message.attachment = Some(crate::dialog::Attachment {
                    data: crate::dialog::FileData::Bytes(Vec::new()),
                    url: Some(url),
                    ..file
                });
            }
            AttachmentKind::Document => {
                let link = if row.kind == Kind::Announcement {
                    tr!(
                        lang,
                        "announce-file-link",
                        url = url,
                        days = ANNOUNCEMENT_FILE_DAYS
                    )
                } else {
                    tr!(lang, "file-link", url = url)
                };
                message.text = format!("{}\n\n{link}", message.text);
            }
        }
        Ok(Ok(()))
    }

    /// The token of the one copy of an announcement's file that every link to it serves: kept
    /// at the first recipient's turn, fetched from the platform that holds the file, for
    /// [`ANNOUNCEMENT_FILE_DAYS`]; kept anew if a later turn finds it expired.
    async fn announcement_copy(
        &self,
        row: &OutboxRow,
        now: DateTime<Utc>,
    ) -> Result<Result<String, String>, StorageError> {
        let id = row.ref_id.unwrap_or_default();
        let mut conn = self.store.acquire().await?;
        let Some(ann) = announcements::load(&mut conn, id).await? else {
            return Ok(Err("the announcement is gone".into()));
        };
        let Some(file) = ann.file else {
            return Ok(Err("the announcement has no file".into()));
        };
        let was = announcements::file_token(&mut conn, id).await?;
        if let Some(token) = &was
            && files::get(&mut conn, token, now.timestamp())
                .await?
                .is_some()
        {
            return Ok(Ok(token.clone()));
        }
        drop(conn);
        // Announcements with files are written on Telegram, which keeps the file.
        let Some(holder) = self
            .lanes
            .iter()
            .find(|l| l.sender.platform() == crate::channel::telegram::PLATFORM)
        else {
            return Ok(Err("no Telegram bot to fetch the file from".into()));
        };
        let bytes = match holder.sender.fetch_file(&file.file_id).await {
            Ok(bytes) => bytes,
            Err(why) => return Ok(Err(format!("fetching the announcement's file: {why}"))),
        };
        let mut raw = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let expires = now + chrono::Duration::days(ANNOUNCEMENT_FILE_DAYS);
        let mut tx = self.store.begin().await?;
        let token = files::put(
            &mut tx,
            &token,
            row.id,
            // Anyone with the link: it is the same for every recipient.
            None,
            &SharedFile {
                file_name: file.file_name,
                content_type: file.content_type,
                bytes,
            },
            expires.timestamp(),
            now.timestamp(),
        )
        .await?;
        let token = announcements::set_file_token(&mut tx, id, &token, was.as_deref()).await?;
        tx.commit().await?;
        Ok(Ok(token))
    }

    /// She blocked the bot: stop sending to her, and tell her unit's head once.
    async fn recipient_gone(
        &self,
        row: &OutboxRow,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut tx = self.store.begin().await?;
        users::mark_chat_unreachable(&mut tx, &row.platform, &row.chat_id).await?;
        outbox::cancel_chat(&mut tx, &row.platform, &row.chat_id).await?;
        notices::tell_head_unreachable(&mut tx, &self.calendars, &row.platform, &row.chat_id, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drains until `shutdown`: a step, then the next as soon as there is more, else a second's
    /// rest (or a nudge); charts and exports are made beside it ([`Self::make_files`]).
    pub async fn run(&self, shutdown: CancellationToken) {
        // The queueing on a task of its own: SQLite runs on the calling task
        // (`storage::sql`), and a chunk queued in the sends' task held every send in flight
        // for its length, tens of milliseconds a chunk (docs/BENCHMARKS.md §8). In a set, so
        // that it ends with this.
        let mut queueing = tokio::task::JoinSet::new();
        let (this, stop) = (self.clone(), shutdown.clone());
        queueing.spawn(async move { this.queue_announcements(stop).await });
        tokio::join!(
            self.send_messages(shutdown.clone()),
            self.make_files(shutdown)
        );
        if let Some(Err(e)) = queueing.join_next().await {
            tracing::error!(error = %e, "queueing announcements stopped");
        }
    }

    /// Queues the rest of a large announcement, a chunk per transaction, so that no reply or
    /// alert waits behind the whole of it ([`announcements::queue_more`]); looks for one every
    /// second.
    async fn queue_announcements(&self, shutdown: CancellationToken) {
        loop {
            let started = tokio::time::Instant::now();
            let (pause, queued) = match self.queue_announcement_chunk().await {
                // As long again before the next chunk: a chunk keeps a core and the write lock
                // busy for tens of milliseconds, and back to back they left the sends going
                // out meanwhile late for their slots (docs/BENCHMARKS.md §8). A chunk is a
                // minute of sends at Telegram's pace, so the queueing stays far ahead.
                Ok(true) => (started.elapsed(), true),
                Ok(false) => (Duration::from_secs(1), false),
                Err(e) => {
                    tracing::warn!(error = %e, "queueing an announcement failed");
                    (Duration::from_secs(5), false)
                }
            };
            if queued {
                // Its messages may go out now.
                self.wake.notify_one();
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Queues what is left of every announcement now (see [`Self::run`]).
    pub async fn queue_all_announcements(&self) -> Result<(), StorageError> {
        while self.queue_announcement_chunk().await? {}
        Ok(())
    }

    /// One chunk of an announcement waiting to be queued; whether more waits.
    async fn queue_announcement_chunk(&self) -> Result<bool, StorageError> {
        {
            let mut conn = self.store.acquire().await?;
            if !announcements::queue_waiting(&mut conn).await? {
                return Ok(false);
            }
        }
        let mut tx = self.store.begin().await?;
        let more = announcements::queue_more(&mut tx).await?;
        tx.commit().await?;
        Ok(more)
    }

    async fn send_messages(&self, shutdown: CancellationToken) {
        if self.store.backend() == Backend::Sqlite {
            // One instance serves a SQLite database: what an earlier run held (killed before it
            // could send) is ours now, not in two minutes.
            match self.release_others().await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(rows = n, "took over the outbox rows of an earlier run");
                    // That run was killed while sending: what it sent in its last second still
                    // counts against the platform's limits, so wait that second out first.
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not take over earlier leases"),
            }
        }
        let mut last_beat: Option<tokio::time::Instant> = None;
        loop {
            if last_beat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
                if let Err(e) = self.heartbeat().await {
                    tracing::warn!(error = %e, "heartbeat failed");
                }
                last_beat = Some(tokio::time::Instant::now());
            }
            let now = (self.clock)();
            let pause = match self.drain_once(now).await {
                Ok(r) if r.claimed > r.retried => Duration::ZERO,
                Ok(r) if r.throttled.is_some() => {
                    r.throttled.unwrap_or_default().min(Duration::from_secs(1))
                }
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
    fn a_faster_budget_keeps_more_in_flight() {
        // Telegram's free 30 a second: the least.
        assert_eq!(Pace::for_rate(29.5).in_flight, IN_FLIGHT);
        assert_eq!(Pace::for_rate(29.5).batch, BATCH);
        // Paid broadcasts at 1,000 a second beside it: answers of up to 200 ms keep it full.
        let paid = Pace::for_rate(1029.5);
        assert_eq!(paid.in_flight, 206);
        assert_eq!(paid.batch, 824);
        assert_eq!(Pace::for_rate(1.0e6).in_flight, Pace::MAX_IN_FLIGHT);
    }

    #[tokio::test]
    async fn replies_take_the_budget_before_bulk() {
        // 20 a second: a slot every 50 ms.
        let budget = Arc::new(Budget::new(20.0, None, "test"));
        budget.take(Priority::Bulk).await;
        // The reply arrives last, while the bulk sends already wait.
        let order = taken_in_order(
            &budget,
            [
                Priority::Bulk,
                Priority::Bulk,
                Priority::Bulk,
                Priority::Reply,
            ],
        )
        .await;
        assert_eq!(order[0], Priority::Reply, "{order:?}");
        assert_eq!(order.len(), 4);
        assert_eq!(
            budget
                .waiting
                .iter()
                .map(|w| w.load(Ordering::SeqCst))
                .sum::<usize>(),
            0
        );
    }

    #[tokio::test]
    async fn a_chat_past_its_burst_lets_other_replies_go_first_but_not_alerts() {
        // 20 a second: a slot every 50 ms, the first one taken.
        let budget = Arc::new(Budget::new(20.0, None, "test"));
        budget.take(Priority::Bulk).await;
        // An alert, then her third reply within the second, then someone else's reply.
        let order = taken_in_order(
            &budget,
            [Priority::Urgent, Priority::ReplyAgain, Priority::Reply],
        )
        .await;
        assert_eq!(
            order,
            [Priority::Reply, Priority::ReplyAgain, Priority::Urgent]
        );
    }

    /// Sends of these priorities ask `budget` for a slot 5 ms apart, in this order; returns
    /// the order in which they got one.
    async fn taken_in_order<const N: usize>(
        budget: &Arc<Budget>,
        asking: [Priority; N],
    ) -> Vec<Priority> {
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (i, p) in asking.into_iter().enumerate() {
            let (budget, order) = (budget.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 * i as u64)).await;
                budget.take(p).await;
                order.lock().unwrap().push(p);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        order.lock().unwrap().clone()
    }

    /// When `n` sends go out if the `i`th wakes `late(i)` after its slot.
    fn sends(budget: &Budget, n: usize, late: impl Fn(usize) -> u64) -> Vec<Duration> {
        let start = tokio::time::Instant::now();
        let mut sent = Vec::new();
        let mut at = start;
        for i in 0..n {
            while let Err(slot) = budget.claim(at) {
                at = slot + Duration::from_millis(late(i));
            }
            sent.push(at - start);
        }
        sent
    }

    #[test]
    fn sends_a_little_late_keep_the_schedule() {
        let budget = Budget::new(29.5, None, "test");
        let sent = sends(&budget, 1770, |i| [1, 3, 0, 2][i % 4]);
        // A minute's worth at 29.5/s: the last goes out a minute after the first, not the
        // 2.6 s later that counting from each late send would make it.
        let last = sent[sent.len() - 1];
        assert!(
            last < Duration::from_millis(60_005),
            "1,770 sends took {last:?}"
        );
    }

    #[test]
    fn late_sends_never_crowd_a_second() {
        let budget = Budget::new(29.5, None, "test");
        // Now and then one is very late: the ones after it must not catch up on it.
        let sent = sends(&budget, 3000, |i| {
            if i % 50 == 6 { 25 } else { [1, 5, 0, 4][i % 4] }
        });
        for w in sent.windows(31) {
            assert!(
                w[30] - w[0] >= Duration::from_secs(1),
                "31 sends in {:?}",
                w[30] - w[0]
            );
        }
    }

    #[test]
    fn a_pause_starts_the_schedule_afresh() {
        let budget = Budget::new(29.5, None, "test");
        let start = tokio::time::Instant::now();
        assert_eq!(budget.claim(start), Ok((None, Duration::ZERO)));
        // Quiet for a while: the slots missed are not made up for in a burst.
        let later = start + Duration::from_secs(10);
        let lost = later - (start + budget.schedule().period);
        assert_eq!(budget.claim(later), Ok((None, lost)));
        assert_eq!(budget.claim(later), Err(later + budget.schedule().period));
    }

    #[test]
    fn a_whole_number_rate_forgives_no_lateness() {
        // Five periods of 200 ms fill a second exactly: there is no slack to forgive.
        assert_eq!(
            Budget::new(5.0, None, "test").schedule().tolerance,
            Duration::ZERO
        );
        assert_eq!(
            Budget::new(29.5, None, "test").schedule().tolerance,
            Schedule::MAX_TOLERANCE
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_alert_that_waited_goes_before_a_stream_of_replies() {
        // 10 a second, and replies keep coming faster than that.
        let budget = Arc::new(Budget::new(10.0, None, "test"));
        let stop = CancellationToken::new();
        let mut replies = Vec::new();
        for _ in 0..4 {
            let (budget, stop) = (budget.clone(), stop.clone());
            replies.push(tokio::spawn(async move {
                while !stop.is_cancelled() {
                    budget.take(Priority::Reply).await;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = tokio::time::Instant::now();
        let urgent = tokio::time::timeout(Duration::from_secs(5), budget.take(Priority::Urgent));
        let went = urgent.await.is_ok();
        let waited = started.elapsed();
        stop.cancel();
        for r in replies {
            r.await.unwrap();
        }
        assert!(went, "the alert waited behind replies for {waited:?}");
        // It waits its time behind the replies, then takes the next slot or the one after.
        assert!(
            waited >= URGENT_WAIT && waited <= URGENT_WAIT + Duration::from_millis(250),
            "the alert waited {waited:?}"
        );
        // Bulk is never promoted: behind a stream of replies it would wait for ever.
        let bulk = tokio::time::timeout(Duration::from_secs(5), async {
            let stop = CancellationToken::new();
            let b = budget.clone();
            let s = stop.clone();
            let reply = tokio::spawn(async move {
                while !s.is_cancelled() {
                    b.take(Priority::Reply).await;
                }
            });
            budget.take(Priority::Bulk).await;
            stop.cancel();
            reply.await.unwrap();
        })
        .await;
        assert!(bulk.is_err(), "bulk went before waiting replies");
    }

    #[tokio::test(start_paused = true)]
    async fn a_quota_error_cuts_a_learned_pace_and_pauses_its_slots() {
        let bounds = PaceBounds {
            floor: 1.0,
            ceiling: 50.0,
        };
        let budget = Budget::new(20.0, Some(bounds), "test");
        let ticket = budget.take(Priority::Reply).await;
        let pause = budget.quota_exceeded(ticket);
        assert_eq!(pause, pace::FIRST_PAUSE);
        assert!((budget.rate() - 20.0 * pace::CUT).abs() < 1e-6);
        // The next slot comes after the pause, not before.
        let before = tokio::time::Instant::now();
        let next = budget.take(Priority::Reply).await;
        assert!(before.elapsed() >= pause, "{:?}", before.elapsed());
        // It waited, so its success raises the pace; a fixed budget never changes.
        assert!(next.busy);
        budget.sent(next);
        assert!(budget.rate() > 20.0 * pace::CUT);
        let fixed = Budget::new(20.0, None, "test");
        let t = fixed.take(Priority::Reply).await;
        assert_eq!(fixed.quota_exceeded(t), Duration::ZERO);
        assert_eq!(fixed.rate(), 20.0);
    }

    #[tokio::test]
    async fn a_chat_turn_waits_for_the_one_taken_before_it_in_that_chat_only() {
        let turns = Arc::new(ChatTurns::default());
        let first = turns.take("telegram", "42");
        let mut second = turns.take("telegram", "42");
        let mut elsewhere = turns.take("telegram", "43");
        let mut other_platform = turns.take("zalo", "42");
        let quick = Duration::from_millis(50);
        assert!(tokio::time::timeout(quick, elsewhere.wait()).await.is_ok());
        assert!(
            tokio::time::timeout(quick, other_platform.wait())
                .await
                .is_ok()
        );
        assert!(
            tokio::time::timeout(quick, second.wait()).await.is_err(),
            "the second lane in chat 42 waits while the first sends"
        );
        drop(first);
        assert!(tokio::time::timeout(quick, second.wait()).await.is_ok());
        drop((second, elsewhere, other_platform));
        assert!(turns.last().is_empty(), "finished turns are forgotten");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(30), Duration::from_secs(3600));
    }
}
