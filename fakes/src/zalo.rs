//! A fake Zalo Bot Platform server, in process, over real HTTP.
//!
//! [`FakeZalo`] binds `127.0.0.1:0` and answers the part of the Zalo Bot Platform that chihoi
//! calls — `{api_url}/bot{token}/{method}` with `getMe`, `getUpdates`, `setWebhook`,
//! `deleteWebhook`, `getWebhookInfo`, `sendMessage`, `sendPhoto` and `sendChatAction` — the way
//! the platform's documentation and open-source clients describe it (summarised in the team's
//! platform notes). It models what a bot written for Telegram gets wrong on Zalo:
//!
//! - **Every answer is HTTP 200.** Failures are `{"ok":false,"error_code":…,"description":…}`
//!   inside a 200 (a bad token is 401 inside a 200): clients must branch on `ok`. Only
//!   [`ZaloFailure::HttpStatus`] answers a real non-200, standing for a proxy or network fault.
//! - **Method names are case-sensitive**: `sendmessage` or `SendMessage` answer 404.
//! - **`getUpdates` returns one update object, not an array, and consumes it**: there is no
//!   offset, so an update the bot drops after receiving it is lost. An idle poll answers
//!   `ok:false` 408. Polling fails (400) while a webhook is set.
//! - **Ids are opaque strings.** Half of the ids the fake makes are twenty digits with a leading
//!   zero (code that parses them as numbers loses the zero and misroutes), the others are hex.
//!   A private chat's id is not the user's id (see [`ZaloUser::chat_id`]).
//! - **Text and captions are 1–2000 characters**, counted as Unicode scalar values (`chars()`),
//!   not bytes and not UTF-16 units.
//! - **Webhooks**: `setWebhook` takes `url` and `secret_token` (8–256 characters); each update is
//!   POSTed as `{"ok":true,"result":{event_name, message}}` with the secret in
//!   `X-Bot-Api-Secret-Token`; a non-2xx answer is retried a bounded number of times
//!   ([`FakeZaloOptions::webhook_attempts`]), after which the update is lost. Deliveries run
//!   concurrently, one task per update, so their order is not guaranteed.
//! - **Quota**: 429 comes inside a 200 and carries no `retry_after`.
//! - **Error codes mean what Zalo documents** (the team's platform notes): 400 bad request,
//!   401 bad token, **403 "internal server error"** (a fault on Zalo's side, never a block),
//!   404 not found, 408 timeout, 429 quota exceeded. A send to a `chat_id` that never wrote to
//!   the bot is refused as not found (404): the bot has no such chat
//!   ([`FakeZaloOptions::strict_chats`]; a test that queues messages for chats it never played
//!   declares them with [`FakeZalo::meet`]).
//!
//! It does not model groups (a test can [`FakeZalo::push_raw`] one), `sendSticker`,
//! `sendVoice`, `testWebhook` (all answer 404), `parse_mode`, or any quota a test did not set.
//!
//! Who uses it: the Zalo channel's tests, one server per test, injected through the API URL;
//! they play users ([`ZaloUser`], [`FakeZalo::push_text`], [`person::ZaloPerson`]), read what
//! the bot sent ([`FakeZalo::sent_to`], [`FakeZalo::wait_for_messages`]) and make Zalo
//! misbehave ([`FakeZalo::fail_next`], [`FakeZalo::set_failure`],
//! [`FakeZalo::set_sends_per_second`], [`FakeZalo::deliver_raw`]).

pub mod person;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use crate::{SettleHook, WaitTimeout};

/// Header carrying the webhook secret on every delivery.
pub const SECRET_HEADER: &str = "X-Bot-Api-Secret-Token";

/// Longest `sendMessage` text, in characters.
const MAX_TEXT_CHARS: usize = 2000;
/// Longest `sendPhoto` caption, in characters.
const MAX_CAPTION_CHARS: usize = 2000;
/// Shortest and longest webhook secret, in characters.
const SECRET_CHARS: std::ops::RangeInclusive<usize> = 8..=256;
/// `getUpdates` timeout when the client gives none, in seconds.
const DEFAULT_POLL_TIMEOUT_SECS: u64 = 30;
/// Largest request body accepted (Zalo takes no uploads: photos are URLs).
const MAX_BODY: usize = 1024 * 1024;
/// How long one webhook delivery attempt may take before it counts as failed.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Calls kept for [`FakeZalo::calls`]; older ones are forgotten.
const MAX_RECORDED_CALLS: usize = 100_000;

/// How to start a [`FakeZalo`].
#[derive(Clone, Debug)]
pub struct FakeZaloOptions {
    /// The token the server accepts, `<bot_id>:<secret>`; any other answers 401 (inside a 200).
    pub token: String,
    /// The bot's name as `getMe` reports it (Zalo bot names start with "Bot").
    pub account_name: String,
    /// `getUpdates` waits at most this long, whatever `timeout` the client asks for, so a
    /// polling bot shuts down quickly. An idle poll then answers 408, as Zalo does at the end of
    /// the client's timeout.
    pub long_poll_cap: Duration,
    /// Webhook delivery attempts per update (the first one included) before it is lost.
    pub webhook_attempts: u32,
    /// Wait between two delivery attempts of one update.
    pub webhook_retry_delay: Duration,
    /// Sends (`sendMessage`, `sendPhoto`) accepted in any 1-second window over all chats; more
    /// answer `ok:false` 429. `None`: no limit (Zalo publishes none).
    pub sends_per_second: Option<u32>,
    /// Sends to a chat that never wrote to the bot answer `ok:false` 404 "Not Found".
    pub strict_chats: bool,
}

impl Default for FakeZaloOptions {
    fn default() -> Self {
        Self {
            // A bot id with a leading zero, so code that parses it as a number shows.
            token: "0419283746501928374:LOCAL-ZALO-BOT-SECRET".to_owned(),
            account_name: "Bot Chi Hoi".to_owned(),
            long_poll_cap: Duration::from_secs(1),
            webhook_attempts: 4,
            webhook_retry_delay: Duration::from_millis(50),
            sends_per_second: None,
            strict_chats: true,
        }
    }
}

/// A simulated Zalo user, who talks to the bot in a private chat.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ZaloUser {
    /// Zalo user id: an opaque string (never parse it as a number).
    pub id: String,
    /// The name Zalo shows the bot (`from.display_name`).
    pub display_name: String,
}

impl ZaloUser {
    /// A user with this id and display name.
    pub fn new(id: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            display_name: display_name.into(),
        }
    }

    /// A user whose id is made from `n`, like the ids Zalo hands out: for odd `n` twenty digits
    /// starting with `0`, for even `n` twenty hex digits. Different `n`, different ids.
    pub fn numbered(n: u64, display_name: impl Into<String>) -> Self {
        Self::new(opaque_id("user", n), display_name)
    }

    /// Id of the private chat between this user and the bot (`message.chat.id`), which is what
    /// `sendMessage` takes. Real Zalo gives a private chat an opaque id of its own; here it is
    /// sixteen hex digits derived from the user id, never equal to it, so code that sends to
    /// `from.id` instead of `chat.id` reaches nobody.
    pub fn chat_id(&self) -> String {
        format!("{:016x}", fnv1a(["chat:".as_bytes(), self.id.as_bytes()]))
    }

    /// The update's `message.from`.
    fn sender_json(&self) -> Value {
        json!({"id": self.id, "display_name": self.display_name, "is_bot": false})
    }

    /// The update's `message.chat`.
    fn chat_json(&self) -> Value {
        json!({"id": self.chat_id(), "chat_type": "PRIVATE"})
    }
}

/// A message the bot sent (`sendMessage` or `sendPhoto`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZaloSent {
    /// Id the server gave the message (opaque).
    pub message_id: String,
    /// Chat it was sent to, exactly as the bot gave it.
    pub chat_id: String,
    /// Text of a `sendMessage`.
    pub text: Option<String>,
    /// Photo URL of a `sendPhoto`.
    pub photo: Option<String>,
    /// Caption of a `sendPhoto`, if any.
    pub caption: Option<String>,
}

/// An error the server answers a send (`sendMessage`, `sendPhoto`) with instead of handling it;
/// see [`FakeZalo::fail_next`] and [`FakeZalo::set_failure`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZaloFailure {
    /// `ok:false`, `error_code` 429 "Quota exceeded", without `retry_after` (Zalo gives none).
    Quota,
    /// `ok:false`, `error_code` 403, which Zalo documents as "internal server error": a fault
    /// on Zalo's side that says nothing about the recipient.
    Forbidden,
    /// `ok:false`, `error_code` 404 "Not Found": what a send to a chat the bot cannot write to
    /// gets (see [`FakeZaloOptions::strict_chats`]).
    NotFound,
    /// `ok:false`, `error_code` 400 "Bad request".
    BadRequest,
    /// A real HTTP status (e.g. 502, 504) with a plain-text body, as a proxy or load balancer
    /// in front of Zalo answers: the one case that is not a 200 with an envelope.
    HttpStatus(u16),
}

/// Counters over the server's life, from [`FakeZalo::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZaloStats {
    /// Calls received per method name exactly as requested (`sendmessage` is not
    /// `sendMessage`), failed and unknown ones included.
    pub calls: BTreeMap<String, u64>,
    /// Accepted `sendMessage` and `sendPhoto` calls.
    pub sends_accepted: u64,
    /// Accepted `sendChatAction` calls.
    pub chat_actions: u64,
    /// `ok:false` answers by `error_code` (idle polls count under 408).
    pub rejections: BTreeMap<u16, u64>,
    /// `ok:false` 429 answers, from the rate limit and from [`ZaloFailure::Quota`].
    pub quota_exceeded: u64,
    /// Answers with a real non-200 status ([`ZaloFailure::HttpStatus`]).
    pub http_failures: u64,
    /// Webhook delivery attempts the receiver answered with 2xx.
    pub webhook_deliveries: u64,
    /// Webhook delivery attempts that failed (non-2xx, connection error, timeout).
    pub webhook_failures: u64,
}

impl ZaloStats {
    /// Calls received for `method` (exact name).
    pub fn calls_of(&self, method: &str) -> u64 {
        self.calls.get(method).copied().unwrap_or(0)
    }

    /// `ok:false` answers with this `error_code`.
    pub fn rejected_with(&self, error_code: u16) -> u64 {
        self.rejections.get(&error_code).copied().unwrap_or(0)
    }
}

/// One webhook delivery attempt, from [`FakeZalo::webhook_deliveries`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZaloDelivery {
    /// `message.message_id` of the delivered update.
    pub message_id: String,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// Status the receiver answered; `None` when the request failed (refused, timed out).
    pub status: Option<u16>,
}

/// [`FakeZalo::deliver_raw`] could not get an answer from the webhook.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DeliverError {
    /// No webhook is set.
    #[error("no webhook is set")]
    NoWebhook,
    /// The request failed (connection refused, timeout, …).
    #[error("webhook request failed: {0}")]
    Request(String),
}

/// The running server. Dropping it stops the server and any webhook deliveries in flight.
///
/// Not `Clone`: share it with `Arc<FakeZalo>` if several tasks need it.
pub struct FakeZalo {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// Taken by [`FakeZalo::shutdown`].
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeZalo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeZalo")
            .field("addr", &self.addr)
            .field("account_name", &self.shared.account_name)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeZalo {
    fn drop(&mut self) {
        // Stop accepting, end long polls, finish in-flight requests; deliveries end at once.
        self.shared.shutdown.cancel();
        self.shared.deliveries().abort_all();
    }
}

impl FakeZalo {
    /// Binds `127.0.0.1:0` and starts serving. Must be called inside a tokio runtime.
    pub async fn start(opts: FakeZaloOptions) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        // Webhook receivers in tests are on loopback: never go through a proxy from the env.
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(WEBHOOK_TIMEOUT)
            .build()
            .map_err(std::io::Error::other)?;
        let (changed, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            bot_id: opts
                .token
                .split_once(':')
                .map_or(opts.token.as_str(), |(id, _)| id)
                .to_owned(),
            token: opts.token,
            account_name: opts.account_name,
            long_poll_cap: opts.long_poll_cap,
            webhook_attempts: opts.webhook_attempts.max(1),
            webhook_retry_delay: opts.webhook_retry_delay,
            client,
            runtime: tokio::runtime::Handle::current(),
            state: Mutex::new(ServerState {
                sends_per_second: opts.sends_per_second,
                strict_chats: opts.strict_chats,
                ..ServerState::default()
            }),
            deliveries: Mutex::new(JoinSet::new()),
            changed,
            shutdown: CancellationToken::new(),
            settle: Mutex::new(None),
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(Arc::clone(&shared));
        let stop = shared.shutdown.clone();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(err) = serve.await {
                tracing::warn!(%err, "fake Zalo server stopped with an error");
            }
        });
        tracing::debug!(%addr, "fake Zalo server started");
        Ok(Self {
            shared,
            addr,
            server: Some(server),
        })
    }

    /// Stops the server and waits until it has finished in-flight requests (long polls return
    /// at once); webhook deliveries in flight are abandoned. Dropping the handle stops it too,
    /// without waiting.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.cancel();
        self.shared.deliveries().abort_all();
        if let Some(server) = self.server.take()
            && let Err(err) = server.await
        {
            tracing::warn!(%err, "fake Zalo server task failed");
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:PORT/`; requests go to `{api_url}bot{token}/{method}`.
    pub fn api_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("a socket address forms a URL")
    }

    /// The token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The bot's id, as `getMe` reports it (the token's part before `:`).
    pub fn bot_id(&self) -> &str {
        &self.shared.bot_id
    }

    /// The user sends `text`. Returns the update's `message_id`.
    pub fn push_text(&self, from: &ZaloUser, text: &str) -> String {
        self.push_message(from, "message.text.received", |msg| {
            msg.insert("text".into(), json!(text));
        })
    }

    /// The user sends a photo, which Zalo hands the bot as a URL (`photo_url`), with an optional
    /// caption. Returns the update's `message_id`.
    pub fn push_photo(&self, from: &ZaloUser, photo_url: &str, caption: Option<&str>) -> String {
        self.push_message(from, "message.image.received", |msg| {
            msg.insert("photo_url".into(), json!(photo_url));
            if let Some(caption) = caption {
                msg.insert("caption".into(), json!(caption));
            }
        })
    }

    /// The user sends a sticker (`message.sticker` is an opaque sticker id). Returns the
    /// update's `message_id`.
    pub fn push_sticker(&self, from: &ZaloUser) -> String {
        self.push_message(from, "message.sticker.received", |msg| {
            msg.insert("sticker".into(), json!("b1a5e0c3d2f49a7e"));
        })
    }

    /// The user sends a voice message (`message.voice` is the URL of an `.aac` file). Returns
    /// the update's `message_id`.
    pub fn push_voice(&self, from: &ZaloUser, voice_url: &str) -> String {
        self.push_message(from, "message.voice.received", |msg| {
            msg.insert("voice".into(), json!(voice_url));
        })
    }

    /// The user sends something Zalo does not pass on (e.g. content from a protected user):
    /// `message.unsupported.received` with no content. Returns the update's `message_id`.
    pub fn push_unsupported(&self, from: &ZaloUser) -> String {
        self.push_message(from, "message.unsupported.received", |_| {})
    }

    /// Queues any update object (e.g. a group message, or one missing fields) for polling or
    /// delivers it to the webhook. Returns its `message.message_id`, if it has a string one.
    pub fn push_raw(&self, update: Value) -> Option<String> {
        let message_id = update["message"]["message_id"].as_str().map(str::to_owned);
        if let Some(chat) = update["message"]["chat"]["id"].as_str() {
            self.shared.lock().met.insert(chat.to_owned());
        }
        if let Some(id) = &message_id {
            self.shared
                .lock()
                .history
                .insert(id.clone(), update.clone());
        }
        self.shared.dispatch_update(update);
        message_id
    }

    /// Pushes the exact same update again (same `message_id`, same date), as a platform does
    /// when it redelivers. Returns false if no update with that id was pushed.
    pub fn redeliver(&self, message_id: &str) -> bool {
        let Some(update) = self.shared.lock().history.get(message_id).cloned() else {
            return false;
        };
        self.shared.dispatch_update(update);
        true
    }

    /// Updates waiting for `getUpdates`, oldest first.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.shared.lock().queue.iter().cloned().collect()
    }

    /// Every message the bot sent, in order.
    pub fn sent(&self) -> Vec<ZaloSent> {
        self.shared.lock().sent.clone()
    }

    /// The messages the bot sent to one chat, in order.
    pub fn sent_to(&self, chat_id: &str) -> Vec<ZaloSent> {
        let st = self.shared.lock();
        st.sent_by_chat
            .get(chat_id)
            .map(|at| at.iter().map(|&i| st.sent[i].clone()).collect())
            .unwrap_or_default()
    }

    /// Waits until the bot has sent at least `count` messages to `chat_id`, then returns all
    /// messages sent to that chat. Wakes on each change, no polling.
    pub async fn wait_for_messages(
        &self,
        chat_id: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<ZaloSent>, WaitTimeout> {
        let deadline = Instant::now() + timeout;
        let reached = self
            .shared
            .wait_until(deadline, |st| st.sent_count(chat_id) >= count)
            .await;
        let sent = self.sent_to(chat_id);
        if reached {
            return Ok(sent);
        }
        let texts: Vec<String> = sent.iter().map(describe).collect();
        let others = self.shared.lock().sent.len() - sent.len();
        Err(WaitTimeout {
            what: format!("{count} message(s) to chat {chat_id}"),
            timeout,
            state: format!(
                "{} sent to it: {texts:?}; {others} sent to other chats",
                sent.len()
            ),
        })
    }

    /// Waits until every pushed update has left the server: returned by `getUpdates`, or
    /// acknowledged by the webhook with 2xx (or lost after its last attempt). With polling this
    /// says nothing about whether the bot has handled it: wait on its effects for that.
    pub async fn wait_until_consumed(&self, timeout: Duration) -> Result<(), WaitTimeout> {
        let deadline = Instant::now() + timeout;
        if self
            .shared
            .wait_until(deadline, |st| st.queue.is_empty() && st.in_flight == 0)
            .await
        {
            return Ok(());
        }
        let st = self.shared.lock();
        let queued: Vec<&str> = st
            .queue
            .iter()
            .map(|u| u["message"]["message_id"].as_str().unwrap_or("?"))
            .collect();
        Err(WaitTimeout {
            what: "all pushed updates to be consumed".to_owned(),
            timeout,
            state: format!(
                "queued for getUpdates: {queued:?}; webhook deliveries in flight: {}; webhook: {:?}",
                st.in_flight,
                st.webhook.as_ref().map(|w| w.url.as_str()),
            ),
        })
    }

    /// Has every [`ZaloPerson`](person::ZaloPerson)'s wait for replies also wait for `hook`:
    /// the bot says through it when the replies to the updates it took have all been sent.
    /// Without it a person knows her answers are complete only by a quiet spell, which a bot
    /// that spaces the messages to one chat (a second apart, as the platforms ask) outlasts.
    pub fn on_settled(&self, hook: SettleHook) {
        *self
            .shared
            .settle
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    /// The hook given to [`Self::on_settled`], if any.
    pub(crate) fn settle_hook(&self) -> Option<SettleHook> {
        self.shared
            .settle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Parameters of every call to `method` (exact name), in order, failed ones included (the
    /// last 100 000 calls of all methods are kept). Values are as sent: JSON values for a JSON
    /// body, strings for query, form and multipart parameters.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, params)| params.clone())
            .collect()
    }

    /// Counters: calls per method, sends accepted, rejections by code, 429s, deliveries.
    pub fn stats(&self) -> ZaloStats {
        self.shared.lock().stats.clone()
    }

    /// The next `times` sends fail with `failure`, before anything else is checked. Adds to
    /// failures already queued; queued failures come before one set with [`Self::set_failure`].
    pub fn fail_next(&self, failure: ZaloFailure, times: usize) {
        self.shared
            .lock()
            .failures
            .extend(std::iter::repeat_n(Some(failure), times));
    }

    /// The next `after` sends are handled, then `times` fail with `failure`: a message sent in
    /// parts fails at part `after + 1`. Adds to what is queued, as [`Self::fail_next`].
    pub fn fail_after(&self, after: usize, failure: ZaloFailure, times: usize) {
        let mut st = self.shared.lock();
        st.failures.extend(std::iter::repeat_n(None, after));
        st.failures
            .extend(std::iter::repeat_n(Some(failure), times));
    }

    /// Declares that `chat_id` wrote to the bot before (a test that queues messages for chats
    /// it never played), so that sends to it are accepted with strict chats on.
    pub fn meet(&self, chat_id: &str) {
        self.shared.lock().met.insert(chat_id.to_owned());
    }

    /// Every send waits this long before it is answered (a slow Zalo).
    pub fn set_send_delay(&self, delay: Duration) {
        self.shared.lock().send_delay = delay;
    }

    /// Every send fails with `failure` until this is called with `None`.
    pub fn set_failure(&self, failure: Option<ZaloFailure>) {
        self.shared.lock().sticky_failure = failure;
    }

    /// Changes the global send limit (see [`FakeZaloOptions::sends_per_second`]). Sends made
    /// while there was no limit still count in the current window.
    pub fn set_sends_per_second(&self, limit: Option<u32>) {
        self.shared.lock().sends_per_second = limit;
    }

    /// The webhook URL currently set, if any.
    pub fn webhook_url(&self) -> Option<String> {
        self.shared.lock().webhook.as_ref().map(|w| w.url.clone())
    }

    /// Every webhook delivery attempt so far, in the order they finished.
    pub fn webhook_deliveries(&self) -> Vec<ZaloDelivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Waits until at least `count` webhook delivery attempts have finished, then returns all.
    pub async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<ZaloDelivery>, WaitTimeout> {
        let deadline = Instant::now() + timeout;
        let reached = self
            .shared
            .wait_until(deadline, |st| st.deliveries.len() >= count)
            .await;
        let deliveries = self.webhook_deliveries();
        if reached {
            return Ok(deliveries);
        }
        Err(WaitTimeout {
            what: format!("{count} webhook delivery attempt(s)"),
            timeout,
            state: format!(
                "{} attempt(s): {deliveries:?}; webhook: {:?}",
                deliveries.len(),
                self.webhook_url()
            ),
        })
    }

    /// POSTs `body` as it is to the webhook currently set, with `X-Bot-Api-Secret-Token:
    /// secret_header` when given (a forged call, a wrong secret, a hand-made redelivery), and
    /// returns the receiver's status. Not recorded in [`Self::webhook_deliveries`].
    pub async fn deliver_raw(
        &self,
        body: &str,
        secret_header: Option<&str>,
    ) -> Result<StatusCode, DeliverError> {
        let url = self.webhook_url().ok_or(DeliverError::NoWebhook)?;
        let mut request = self
            .shared
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_owned());
        if let Some(secret) = secret_header {
            request = request.header(SECRET_HEADER, secret);
        }
        let response = request
            .send()
            .await
            .map_err(|e| DeliverError::Request(e.to_string()))?;
        Ok(response.status())
    }

    fn push_message(
        &self,
        from: &ZaloUser,
        event_name: &str,
        fill: impl FnOnce(&mut Map<String, Value>),
    ) -> String {
        let mut st = self.shared.lock();
        st.met.insert(from.chat_id());
        let message_id = st.new_id();
        let mut msg = Map::new();
        msg.insert("message_id".into(), json!(message_id));
        msg.insert("from".into(), from.sender_json());
        msg.insert("chat".into(), from.chat_json());
        msg.insert("date".into(), json!(now_ms()));
        fill(&mut msg);
        let update = json!({"event_name": event_name, "message": Value::Object(msg)});
        st.history.insert(message_id.clone(), update.clone());
        drop(st);
        self.shared.dispatch_update(update);
        message_id
    }
}

/// State shared by the handle, the HTTP handlers and the delivery tasks.
struct Shared {
    token: String,
    bot_id: String,
    account_name: String,
    long_poll_cap: Duration,
    webhook_attempts: u32,
    webhook_retry_delay: Duration,
    client: reqwest::Client,
    /// Deliveries are spawned here, also when an update is pushed from outside the runtime.
    runtime: tokio::runtime::Handle,
    state: Mutex<ServerState>,
    /// One task per update being delivered to the webhook; aborted when the server stops.
    deliveries: Mutex<JoinSet<()>>,
    /// Bumped after every change, so waiters (long polls, `wait_*`) wake up.
    changed: watch::Sender<u64>,
    shutdown: CancellationToken,
    /// What a person's wait for replies also waits for: the bot's replies still on their way
    /// after it took the update (see [`FakeZalo::on_settled`]).
    settle: Mutex<Option<SettleHook>>,
}

#[derive(Default)]
struct ServerState {
    /// Updates waiting for `getUpdates`.
    queue: VecDeque<Value>,
    /// Every update pushed with a message id, for [`FakeZalo::redeliver`].
    history: HashMap<String, Value>,
    webhook: Option<Webhook>,
    /// When the webhook was last set or deleted, in ms (0: never).
    webhook_updated_at: i64,
    /// Updates handed to a delivery task and not yet acknowledged or given up.
    in_flight: usize,
    sent: Vec<ZaloSent>,
    /// Where in `sent` each chat's messages are: a crowd of waiting people (the benchmarks)
    /// looks at its own chats only, not at every message sent.
    sent_by_chat: HashMap<String, Vec<usize>>,
    calls: VecDeque<(String, Value)>,
    stats: ZaloStats,
    deliveries: Vec<ZaloDelivery>,
    /// What the next sends meet, in turn: a failure, or `None` to let one through.
    failures: VecDeque<Option<ZaloFailure>>,
    sticky_failure: Option<ZaloFailure>,
    sends_per_second: Option<u32>,
    /// Sends only to chats in `met` are accepted.
    strict_chats: bool,
    /// Chats that wrote to the bot (or a test declared, [`FakeZalo::meet`]).
    met: std::collections::HashSet<String>,
    /// How long each send waits before it is answered ([`FakeZalo::set_send_delay`]).
    send_delay: Duration,
    /// When the sends of the last second were accepted.
    recent_sends: VecDeque<Instant>,
    next_id: u64,
}

#[derive(Clone)]
struct Webhook {
    url: String,
    secret: String,
}

impl ServerState {
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        opaque_id("message", self.next_id)
    }

    fn sent_count(&self, chat_id: &str) -> usize {
        self.sent_by_chat.get(chat_id).map_or(0, Vec::len)
    }

    fn webhook_info(&self) -> Value {
        json!({
            "url": self.webhook.as_ref().map_or("", |w| w.url.as_str()),
            "updated_at": self.webhook_updated_at,
        })
    }

    /// The failure to answer the next send with, if any.
    fn take_failure(&mut self) -> Option<ZaloFailure> {
        match self.failures.pop_front() {
            Some(next) => next,
            None => self.sticky_failure.clone(),
        }
    }

    /// 429 when the last second already holds `sends_per_second` accepted sends.
    fn check_rate(&mut self, now: Instant) -> Result<(), Rejection> {
        while self
            .recent_sends
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.recent_sends.pop_front();
        }
        match self.sends_per_second {
            Some(limit) if self.recent_sends.len() >= limit as usize => Err(quota_exceeded()),
            _ => Ok(()),
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn deliveries(&self) -> MutexGuard<'_, JoinSet<()>> {
        self.deliveries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn notify(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Waits until `ready` holds, the deadline passes or the server shuts down; returns
    /// whether `ready` held at the end.
    async fn wait_until(
        &self,
        deadline: Instant,
        mut ready: impl FnMut(&ServerState) -> bool,
    ) -> bool {
        let mut rx = self.changed.subscribe();
        loop {
            if ready(&self.lock()) {
                return true;
            }
            tokio::select! {
                res = rx.changed() => {
                    if res.is_err() {
                        return ready(&self.lock());
                    }
                }
                () = tokio::time::sleep_until(deadline) => return ready(&self.lock()),
                () = self.shutdown.cancelled() => return ready(&self.lock()),
            }
        }
    }

    /// Hands an update to the webhook if one is set, else queues it for `getUpdates`.
    fn dispatch_update(self: &Arc<Self>, update: Value) {
        let mut st = self.lock();
        if let Some(hook) = st.webhook.clone() {
            st.in_flight += 1;
            drop(st);
            self.spawn_delivery(hook, update);
        } else {
            st.queue.push_back(update);
            drop(st);
        }
        self.notify();
    }

    /// Starts delivering one update (already counted in `in_flight`).
    fn spawn_delivery(self: &Arc<Self>, hook: Webhook, update: Value) {
        let shared = Arc::clone(self);
        let mut tasks = self.deliveries();
        // Forget finished deliveries so the set does not grow over a long test.
        while tasks.try_join_next().is_some() {}
        tasks.spawn_on(
            async move { shared.deliver(hook, update).await },
            &self.runtime,
        );
    }

    /// POSTs one update to the webhook until it answers 2xx or the attempts run out.
    async fn deliver(&self, hook: Webhook, update: Value) {
        let message_id = update["message"]["message_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let body = json!({"ok": true, "result": update}).to_string();
        for attempt in 1..=self.webhook_attempts {
            if attempt > 1 {
                tokio::select! {
                    () = tokio::time::sleep(self.webhook_retry_delay) => {}
                    () = self.shutdown.cancelled() => return,
                }
            }
            let request = self
                .client
                .post(hook.url.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(SECRET_HEADER, hook.secret.as_str())
                .body(body.clone());
            let status = tokio::select! {
                res = request.send() => match res {
                    Ok(response) => Some(response.status()),
                    Err(err) => {
                        tracing::debug!(%err, url = %hook.url, "fake Zalo: webhook request failed");
                        None
                    }
                },
                () = self.shutdown.cancelled() => return,
            };
            let delivered = status.is_some_and(|s| s.is_success());
            let done = delivered || attempt == self.webhook_attempts;
            {
                let mut st = self.lock();
                st.deliveries.push(ZaloDelivery {
                    message_id: message_id.clone(),
                    attempt,
                    status: status.map(|s| s.as_u16()),
                });
                if delivered {
                    st.stats.webhook_deliveries += 1;
                } else {
                    st.stats.webhook_failures += 1;
                }
                if done {
                    st.in_flight = st.in_flight.saturating_sub(1);
                }
            }
            self.notify();
            if done {
                if !delivered {
                    tracing::debug!(%message_id, "fake Zalo: webhook delivery given up");
                }
                return;
            }
        }
    }

    /// Records the call, runs the method, counts the outcome.
    async fn call(self: &Arc<Self>, method: &str, params: Params) -> Result<Value, Rejection> {
        self.record_call(method, &params);
        let result = match method {
            "getUpdates" => self.get_updates(&params).await,
            "getMe" => Ok(json!({
                "id": self.bot_id,
                "account_name": self.account_name,
                "account_type": "BASIC",
                "can_join_groups": false,
            })),
            "getWebhookInfo" => Ok(self.lock().webhook_info()),
            "setWebhook" => self.set_webhook(&params),
            "deleteWebhook" => {
                let mut st = self.lock();
                st.webhook = None;
                st.webhook_updated_at = now_ms();
                Ok(st.webhook_info())
            }
            "sendMessage" | "sendPhoto" => {
                let delay = self.lock().send_delay;
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let kind = match method {
                    "sendPhoto" => SendKind::Photo,
                    _ => SendKind::Message,
                };
                self.send(&params, kind)
            }
            "sendChatAction" => self.chat_action(&params),
            _ => Err(Rejection::api(404, "Not Found")),
        };
        self.record_outcome(&result);
        result
    }

    fn record_call(&self, method: &str, params: &Params) {
        {
            let mut st = self.lock();
            if st.calls.len() >= MAX_RECORDED_CALLS {
                st.calls.pop_front();
            }
            st.calls
                .push_back((method.to_owned(), Value::Object(params.fields.clone())));
            *st.stats.calls.entry(method.to_owned()).or_default() += 1;
        }
        self.notify();
    }

    fn record_outcome(&self, result: &Result<Value, Rejection>) {
        {
            let mut st = self.lock();
            match result {
                Ok(_) => {}
                Err(Rejection::Api { code, .. }) => {
                    *st.stats.rejections.entry(*code).or_default() += 1;
                    if *code == 429 {
                        st.stats.quota_exceeded += 1;
                    }
                }
                Err(Rejection::Http(_)) => st.stats.http_failures += 1,
            }
        }
        self.notify();
    }

    /// `getUpdates`: one update, consumed, or 408 after `min(timeout, long_poll_cap)`.
    async fn get_updates(&self, p: &Params) -> Result<Value, Rejection> {
        let timeout = p.u64("timeout")?.unwrap_or(DEFAULT_POLL_TIMEOUT_SECS);
        let deadline = Instant::now() + Duration::from_secs(timeout).min(self.long_poll_cap);
        let mut rx = self.changed.subscribe();
        loop {
            {
                let mut st = self.lock();
                if st.webhook.is_some() {
                    return Err(Rejection::api(
                        400,
                        "A webhook is set: call deleteWebhook before getUpdates",
                    ));
                }
                if let Some(update) = st.queue.pop_front() {
                    return Ok(update);
                }
                if Instant::now() >= deadline {
                    return Err(Rejection::api(408, "Request timeout"));
                }
            }
            tokio::select! {
                _ = rx.changed() => {}
                () = tokio::time::sleep_until(deadline) => {}
                () = self.shutdown.cancelled() => {
                    return Err(Rejection::api(408, "Request timeout"));
                }
            }
        }
    }

    fn set_webhook(self: &Arc<Self>, p: &Params) -> Result<Value, Rejection> {
        let url = p
            .string("url")
            .filter(|u| !u.is_empty())
            .ok_or_else(|| Rejection::api(400, "url is required"))?;
        let parsed =
            url::Url::parse(&url).map_err(|_| Rejection::api(400, "url is not a valid URL"))?;
        // Zalo wants HTTPS; plain HTTP is allowed to loopback only, where tests listen.
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
            return Err(Rejection::api(400, "url must be an HTTPS URL"));
        }
        let secret = p.string("secret_token").unwrap_or_default();
        if !SECRET_CHARS.contains(&secret.chars().count()) {
            return Err(Rejection::api(
                400,
                "secret_token must be 8 to 256 characters",
            ));
        }
        let hook = Webhook { url, secret };
        let (info, queued) = {
            let mut st = self.lock();
            st.webhook = Some(hook.clone());
            st.webhook_updated_at = now_ms();
            // Updates waiting for a poll go to the new webhook instead.
            let queued: Vec<Value> = st.queue.drain(..).collect();
            st.in_flight += queued.len();
            (st.webhook_info(), queued)
        };
        for update in queued {
            self.spawn_delivery(hook.clone(), update);
        }
        Ok(info)
    }

    fn send(&self, p: &Params, kind: SendKind) -> Result<Value, Rejection> {
        let mut st = self.lock();
        if let Some(failure) = st.take_failure() {
            return Err(Rejection::from(&failure));
        }
        let chat_id = p
            .string("chat_id")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Rejection::api(400, "chat_id is required"))?;
        if st.strict_chats && !st.met.contains(&chat_id) {
            return Err(not_found());
        }
        let (text, photo, caption) = match kind {
            SendKind::Message => {
                let text = p.string("text").unwrap_or_default();
                let chars = text.chars().count();
                if chars == 0 || chars > MAX_TEXT_CHARS {
                    return Err(Rejection::api(
                        400,
                        format!("text must be 1 to {MAX_TEXT_CHARS} characters, got {chars}"),
                    ));
                }
                (Some(text), None, None)
            }
            SendKind::Photo => {
                let photo = p
                    .string("photo")
                    .filter(|u| {
                        url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
                    })
                    .ok_or_else(|| Rejection::api(400, "photo must be an image URL"))?;
                let caption = p.string("caption").filter(|c| !c.is_empty());
                if let Some(caption) = &caption
                    && caption.chars().count() > MAX_CAPTION_CHARS
                {
                    return Err(Rejection::api(
                        400,
                        format!("caption must be at most {MAX_CAPTION_CHARS} characters"),
                    ));
                }
                (None, Some(photo), caption)
            }
        };
        let now = Instant::now();
        st.check_rate(now)?;
        st.recent_sends.push_back(now);
        let message_id = st.new_id();
        let at = st.sent.len();
        st.sent_by_chat.entry(chat_id.clone()).or_default().push(at);
        st.sent.push(ZaloSent {
            message_id: message_id.clone(),
            chat_id,
            text,
            photo,
            caption,
        });
        st.stats.sends_accepted += 1;
        Ok(json!({"message_id": message_id, "date": now_ms()}))
    }

    fn chat_action(&self, p: &Params) -> Result<Value, Rejection> {
        if p.string("chat_id").is_none_or(|c| c.is_empty()) {
            return Err(Rejection::api(400, "chat_id is required"));
        }
        if p.string("action").is_none_or(|a| a.is_empty()) {
            return Err(Rejection::api(400, "action is required"));
        }
        self.lock().stats.chat_actions += 1;
        Ok(json!(true))
    }
}

#[derive(Clone, Copy)]
enum SendKind {
    Message,
    Photo,
}

/// Why a call was not handled.
#[derive(Clone, Debug)]
enum Rejection {
    /// `{"ok":false,"error_code":code,"description":…}` in an HTTP 200.
    Api { code: u16, description: String },
    /// A bare HTTP error status.
    Http(StatusCode),
}

impl Rejection {
    fn api(code: u16, description: impl Into<String>) -> Self {
        Self::Api {
            code,
            description: description.into(),
        }
    }
}

fn not_found() -> Rejection {
    Rejection::api(404, "Not Found")
}

fn quota_exceeded() -> Rejection {
    Rejection::api(429, "Quota exceeded")
}

impl From<&ZaloFailure> for Rejection {
    fn from(failure: &ZaloFailure) -> Self {
        match failure {
            ZaloFailure::Quota => quota_exceeded(),
            ZaloFailure::Forbidden => Self::api(403, "Internal server error"),
            ZaloFailure::NotFound => not_found(),
            ZaloFailure::BadRequest => Self::api(400, "Bad request"),
            ZaloFailure::HttpStatus(code) => {
                Self::Http(StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_GATEWAY))
            }
        }
    }
}

/// The answer to a call: always HTTP 200 with an envelope, except a [`Rejection::Http`].
fn answer(result: Result<Value, Rejection>) -> Response {
    let body = match result {
        Ok(value) => json!({"ok": true, "result": value}),
        Err(Rejection::Api { code, description }) => json!({
            "ok": false,
            "error_code": code,
            "description": description,
        }),
        Err(Rejection::Http(status)) => {
            let reason = status.canonical_reason().unwrap_or("Error");
            return (status, reason.to_owned()).into_response();
        }
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The single HTTP handler: `/bot{token}/{method}`, any HTTP method.
async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (token, method) = match segments.as_slice() {
        [bot, method] => match bot.strip_prefix("bot") {
            Some(token) => (token.replace("%3A", ":").replace("%3a", ":"), *method),
            None => return answer(Err(Rejection::api(404, "Not Found"))),
        },
        _ => return answer(Err(Rejection::api(404, "Not Found"))),
    };
    if token != shared.token {
        let rejected = Err(Rejection::api(401, "Unauthorized"));
        shared.record_call(method, &Params::default());
        shared.record_outcome(&rejected);
        return answer(rejected);
    }
    let result = match read_params(req).await {
        Ok(params) => shared.call(method, params).await,
        Err(message) => {
            let rejected = Err(Rejection::api(400, message));
            shared.record_call(method, &Params::default());
            shared.record_outcome(&rejected);
            rejected
        }
    };
    answer(result)
}

/// Request parameters from the query string and a JSON, form or multipart body.
#[derive(Default)]
struct Params {
    fields: Map<String, Value>,
}

impl Params {
    /// A parameter as text: strings as they are, numbers and booleans as JSON writes them (so
    /// a chat id sent as a number loses any leading zero, as it would on the wire).
    fn string(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A non-negative whole number, given as a number or as text.
    fn u64(&self, key: &str) -> Result<Option<u64>, Rejection> {
        let Some(raw) = self.string(key) else {
            return Ok(None);
        };
        raw.trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| Rejection::api(400, format!("{key} must be a whole number of seconds")))
    }
}

async fn read_params(req: Request) -> Result<Params, String> {
    let mut params = Params::default();
    if let Some(query) = req.uri().query() {
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            params
                .fields
                .insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &())
            .await
            .map_err(|e| e.body_text())?;
        while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
            let name = field.name().unwrap_or_default().to_owned();
            let text = field.text().await.map_err(|e| e.body_text())?;
            params.fields.insert(name, Value::String(text));
        }
        return Ok(params);
    }
    let body = axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|e| format!("cannot read the request body: {e}"))?;
    params
        .fields
        .extend(crate::fields_of_body(&content_type, &body)?);
    Ok(params)
}

/// An id in the two shapes Zalo's ids come in: for odd `n` twenty digits with a leading zero,
/// for even `n` twenty hex digits. `kind` keeps user ids and message ids apart.
fn opaque_id(kind: &str, n: u64) -> String {
    let h = fnv1a([kind.as_bytes(), &n.to_le_bytes()]);
    if n % 2 == 1 {
        format!("0{:019}", h % 10_000_000_000_000_000_000)
    } else {
        format!("{h:016x}{:04x}", n & 0xffff)
    }
}

/// 64-bit FNV-1a over the parts, in order: stable, dependency-free and good enough to make ids
/// look unrelated.
fn fnv1a<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.into_iter().flatten() {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// One line describing a sent message, for timeout errors.
fn describe(m: &ZaloSent) -> String {
    match (&m.text, &m.photo) {
        (Some(text), _) => text.clone(),
        (None, Some(photo)) => format!("[photo {photo}]"),
        (None, None) => "[message]".to_owned(),
    }
}

#[cfg(test)]
mod tests;
