//! Platform adapters: they turn platform updates into [`crate::dialog`] events and the dialog's
//! replies into platform messages. They depend on the dialog core and delivery, never on each
//! other; adding a platform means adding a folder here.
//!
//! - [`telegram`]: buttons, edits, uploads; long polling or webhook.
//! - [`zalo`]: text only (choices as numbered lists), photos by URL; long polling or webhook.

pub mod telegram;
pub mod zalo;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Secret;
use crate::dialog::Input;
use crate::storage::{Store, outbox};

/// `/baocao 2026-10` → a command; anything else is text.
pub fn command_or_text(text: &str) -> Input {
    if let Some(rest) = text.strip_prefix('/') {
        let (head, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = head.split('@').next().unwrap_or("").to_ascii_lowercase();
        if !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Input::Command {
                name,
                arg: arg.trim().to_owned(),
            };
        }
    }
    Input::Text(text.to_owned())
}

/// Whether a webhook call carries `secret` in `header`, compared in constant time (a timing
/// difference must not tell an attacker how much of a guess was right).
pub(crate) fn secret_matches(headers: &HeaderMap, header: &str, secret: &Secret) -> bool {
    let given = headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .as_bytes();
    let wanted = secret.expose().as_bytes();
    given.len() == wanted.len()
        && given
            .iter()
            .zip(wanted)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A server on this machine (the fakes, a local Bot API server) is never reached through a
/// proxy.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An error with its causes, for the log.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut chain = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    chain
}

/// Serves `app` on `listener` until `shutdown` (a channel's webhook, for tests and embedders).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: CancellationToken,
) -> std::io::Result<SocketAddr> {
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
    });
    Ok(addr)
}

/// Tries at an update that fails while the database works, before it is set aside.
pub const UPDATE_ATTEMPTS: u32 = 5;
/// The longest wait between two tries at an update that failed.
pub const RETRY_CAP: std::time::Duration = std::time::Duration::from_secs(30);

/// When an update that failed is tried again, and when it is set aside, on every channel.
///
/// While the database itself takes no writes (an outage, a restart, a lock held by another
/// process), every update fails, and none of them is at fault: it is tried again, after
/// `base`, doubling up to `cap`, for as long as the outage lasts, so that nothing she typed is
/// lost and she need not send it again. Setting aside is for an update that fails on its own:
/// after `attempts` failures, once the database took a write ([`outbox::takes_writes`]) just
/// before a try that failed all the same. (A probe that succeeds because the outage has just
/// ended is followed by a try at once, which then succeeds.)
#[derive(Debug, Clone, Copy)]
pub(crate) struct UpdateRetry {
    pub base: std::time::Duration,
    pub cap: std::time::Duration,
    pub attempts: u32,
}

/// One update's failed tries so far.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tries {
    pub failures: u32,
    /// The database took a write just before the last try.
    database_was_up: bool,
    /// How long to wait before the next try.
    pub wait: std::time::Duration,
}

/// What to do with an update that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    RetryIn(std::time::Duration),
    SetAside,
}

impl UpdateRetry {
    /// The wait after the `failures`th failure: `base`, twice that, four times … up to `cap`.
    pub fn delay(&self, failures: u32) -> std::time::Duration {
        self.base
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
            .min(self.cap)
    }

    /// After one more failed try at an update: tried again, or set aside if it has failed
    /// often enough, the last time while the database took writes.
    pub async fn after_failure(&self, store: &Store, owner: &str, tries: &mut Tries) -> Next {
        tries.failures = tries.failures.saturating_add(1);
        if tries.failures >= self.attempts {
            if tries.database_was_up {
                return Next::SetAside;
            }
            if outbox::takes_writes(store, owner).await {
                tries.database_was_up = true;
                tries.wait = std::time::Duration::ZERO;
                return Next::RetryIn(tries.wait);
            }
        }
        tries.database_was_up = false;
        tries.wait = self.delay(tries.failures);
        Next::RetryIn(tries.wait)
    }
}

/// One turn at a time per chat, so that a chat's updates are handled, and their replies sent,
/// one at a time and in order while other chats go side by side. A place in the chat's line is
/// taken at once ([`ChatLocks::reserve`]) and waited for later, so a loop that hands updates
/// out can keep their order without waiting for a busy chat itself. A chat is forgotten when
/// nobody holds or waits for its turn, so a province of chats costs nothing at rest.
#[derive(Clone, Default)]
pub(crate) struct ChatLocks {
    /// Per chat: the number of the last place handed out, and the signal its holder gives
    /// (by dropping the sender) when done — the next place waits for it.
    chats: Arc<std::sync::Mutex<HashMap<String, (u64, tokio::sync::oneshot::Receiver<()>)>>>,
}

/// A place in a chat's line: [`ChatPlace::wait`] for the turn.
pub(crate) struct ChatPlace {
    before: Option<tokio::sync::oneshot::Receiver<()>>,
    ticket: Ticket,
}

/// A chat's turn: held while her update is handled and its replies are sent.
pub(crate) struct ChatTurn {
    _ticket: Ticket,
}

/// A place handed out; dropping it lets the next one go (and forgets a chat nobody waits for).
struct Ticket {
    locks: ChatLocks,
    chat: String,
    number: u64,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ChatLocks {
    /// Takes the next place in the chat's line, without waiting.
    pub fn reserve(&self, chat: &str) -> ChatPlace {
        let (done, next) = tokio::sync::oneshot::channel();
        let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
        let (number, before) = match chats.remove(chat) {
            Some((last, before)) => (last + 1, Some(before)),
            None => (1, None),
        };
        chats.insert(chat.to_owned(), (number, next));
        ChatPlace {
            before,
            ticket: Ticket {
                locks: self.clone(),
                chat: chat.to_owned(),
                number,
                done: Some(done),
            },
        }
    }

    /// Waits for the chat's turn.
    pub async fn turn(&self, chat: &str) -> ChatTurn {
        self.reserve(chat).wait().await
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.chats.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl ChatPlace {
    /// Waits until every place before this one is done.
    pub async fn wait(self) -> ChatTurn {
        if let Some(before) = self.before {
            // An error is the sender dropped: the place before is done either way.
            let _ = before.await;
        }
        ChatTurn {
            _ticket: self.ticket,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        drop(self.done.take());
        let mut chats = self.locks.chats.lock().unwrap_or_else(|p| p.into_inner());
        // Still the last place handed out: nobody waits behind it.
        if chats
            .get(&self.chat)
            .is_some_and(|(last, _)| *last == self.number)
        {
            chats.remove(&self.chat);
        }
    }
}

/// How much one chat may send before the bot stops reading it for a while: a burst of
/// [`FLOOD_BURST`], then one every [`FLOOD_REFILL`]. An activity's photos sent together, or
/// someone tapping through her report as fast as the replies come, stay inside it; hundreds at
/// once are a script, a stuck key or a pasted chat history, and must not keep the bot (and
/// everyone else) busy.
pub const FLOOD_BURST: u32 = 30;
pub const FLOOD_REFILL: std::time::Duration = std::time::Duration::from_secs(1);

/// A chat's flood limit (the channels' options carry it; tests that play people faster than
/// anyone types raise it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodLimit {
    pub burst: u32,
    pub refill: std::time::Duration,
}

impl Default for FloodLimit {
    fn default() -> Self {
        Self {
            burst: FLOOD_BURST,
            refill: FLOOD_REFILL,
        }
    }
}

/// After telling a chat to slow down, how long before it is told again. A flood that goes on
/// refills a message now and then, which passes; that must not make every refill a new
/// notice (nor make the count of notices depend on how fast the bot reads the flood).
pub const FLOOD_TELL_AGAIN: std::time::Duration = std::time::Duration::from_secs(60);

/// Per-chat flood control, in memory (a flood is a moment's matter; a restart forgiving it is
/// fine). Updates over the limit are acknowledged and dropped, the chat told at most once
/// every [`FLOOD_TELL_AGAIN`].
#[derive(Clone)]
pub(crate) struct FloodGate {
    limiter: Arc<governor::DefaultKeyedRateLimiter<String>>,
    /// When each chat was last told to slow down.
    told: Arc<std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>>,
    checks: Arc<std::sync::atomic::AtomicU64>,
}

/// What the gate says of one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Pass,
    /// Dropped; `tell`: she is to be told to slow down (the first dropped of this flood).
    Drop {
        tell: bool,
    },
}

impl FloodGate {
    pub fn new(limit: FloodLimit) -> Self {
        let burst = std::num::NonZeroU32::new(limit.burst).unwrap_or(std::num::NonZeroU32::MIN);
        let quota = governor::Quota::with_period(limit.refill)
            .unwrap_or_else(|| governor::Quota::per_second(std::num::NonZeroU32::MAX))
            .allow_burst(burst);
        Self {
            limiter: Arc::new(governor::RateLimiter::keyed(quota)),
            told: Arc::default(),
            checks: Arc::default(),
        }
    }
}

impl FloodGate {
    /// Counts an update of `chat` and says whether it is handled.
    pub fn check(&self, chat: &str) -> Gate {
        // Now and then forget chats that have been quiet long enough to be full again.
        let n = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let now = std::time::Instant::now();
        let mut told = self.told.lock().unwrap_or_else(|p| p.into_inner());
        if n % 4096 == 4095 {
            self.limiter.retain_recent();
            told.retain(|_, at| now.duration_since(*at) < FLOOD_TELL_AGAIN);
        }
        if self.limiter.check_key(&chat.to_owned()).is_ok() {
            return Gate::Pass;
        }
        let tell = told
            .get(chat)
            .is_none_or(|at| now.duration_since(*at) >= FLOOD_TELL_AGAIN);
        if tell {
            told.insert(chat.to_owned(), now);
        }
        Gate::Drop { tell }
    }
}

/// Replies still being sent for updates already committed (and acknowledged to the
/// platform): shutdown and tests wait for none.
#[derive(Clone, Default)]
pub struct InFlight {
    inner: Arc<(std::sync::atomic::AtomicUsize, tokio::sync::Notify)>,
}

/// One update's replies in flight; dropping it marks them done.
pub(crate) struct Sending(InFlight);

impl InFlight {
    pub(crate) fn start(&self) -> Sending {
        self.inner
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Sending(self.clone())
    }

    /// Waits until every reply that was being sent has been sent (or given to the courier).
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.1.notified();
            if self.inner.0.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        if self
            .0
            .inner
            .0
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            self.0.inner.1.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_update_waits_longer_each_time_up_to_the_cap() {
        let retry = UpdateRetry {
            base: std::time::Duration::from_millis(100),
            cap: std::time::Duration::from_secs(1),
            attempts: 5,
        };
        let ms = |n| retry.delay(n).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(5)],
            [100, 200, 400, 800, 1000]
        );
        assert_eq!(ms(u32::MAX), 1000);
        // The defaults: 1 s, doubling, up to half a minute.
        let defaults = UpdateRetry {
            base: std::time::Duration::from_secs(1),
            cap: RETRY_CAP,
            attempts: UPDATE_ATTEMPTS,
        };
        assert_eq!(defaults.delay(3).as_secs(), 4);
        assert_eq!(defaults.delay(40).as_secs(), 30);
    }

    #[test]
    fn secrets_compare_in_full() {
        let secret = Secret::new("abc");
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-secret", v.parse().unwrap());
            h
        };
        assert!(secret_matches(&with("abc"), "x-secret", &secret));
        assert!(!secret_matches(&with("abd"), "x-secret", &secret));
        assert!(!secret_matches(&with("abcd"), "x-secret", &secret));
        assert!(!secret_matches(&HeaderMap::new(), "x-secret", &secret));
    }

    #[tokio::test]
    async fn chat_locks_keep_order_and_are_forgotten_when_free() {
        let locks = ChatLocks::default();
        let first = locks.turn("7").await;
        let other = locks.turn("8").await;
        assert_eq!(locks.len(), 2);
        let waiting = tokio::spawn({
            let locks = locks.clone();
            async move {
                let _second = locks.turn("7").await;
            }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        waiting.await.unwrap();
        drop(other);
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test]
    async fn places_taken_in_order_get_their_turns_in_that_order() {
        let locks = ChatLocks::default();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let first = locks.turn("7").await;
        // Places taken now, waited for by tasks that may start in any order.
        let places: Vec<_> = (1..=5).map(|i| (i, locks.reserve("7"))).collect();
        let tasks: Vec<_> = places
            .into_iter()
            .rev()
            .map(|(i, place)| {
                let order = order.clone();
                tokio::spawn(async move {
                    let _turn = place.wait().await;
                    order.lock().unwrap().push(i);
                })
            })
            .collect();
        tokio::task::yield_now().await;
        assert!(order.lock().unwrap().is_empty(), "all wait for the first");
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![1, 2, 3, 4, 5]);
        assert_eq!(locks.len(), 0);
        // A place given up lets the next one go.
        let a = locks.reserve("8");
        let b = locks.reserve("8");
        drop(a);
        drop(b.wait().await);
        assert_eq!(locks.len(), 0);
    }

    #[test]
    fn a_flood_is_dropped_after_its_burst_and_told_once() {
        let gate = FloodGate::new(FloodLimit::default());
        for _ in 0..FLOOD_BURST {
            assert_eq!(gate.check("7"), Gate::Pass);
        }
        assert_eq!(gate.check("7"), Gate::Drop { tell: true });
        assert_eq!(gate.check("7"), Gate::Drop { tell: false });
        // Other chats are not affected.
        assert_eq!(gate.check("8"), Gate::Pass);
    }

    #[test]
    fn a_flood_that_goes_on_past_a_refill_is_not_told_again() {
        let gate = FloodGate::new(FloodLimit {
            burst: 2,
            // Long enough that a thread descheduled between two checks does not refill one.
            refill: std::time::Duration::from_millis(200),
        });
        assert_eq!(gate.check("7"), Gate::Pass);
        assert_eq!(gate.check("7"), Gate::Pass);
        assert_eq!(gate.check("7"), Gate::Drop { tell: true });
        // A message refilled: it passes, and the flood goes on.
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert_eq!(gate.check("7"), Gate::Pass);
        assert_eq!(gate.check("7"), Gate::Drop { tell: false });
    }

    #[tokio::test]
    async fn in_flight_is_idle_when_every_sending_ends() {
        let flight = InFlight::default();
        flight.idle().await;
        let a = flight.start();
        let b = flight.start();
        let waiter = tokio::spawn({
            let flight = flight.clone();
            async move { flight.idle().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(b);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
    }
}
