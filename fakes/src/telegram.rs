//! A local, in-process, Telegram-compatible Bot API server.
//!
//! [`LocalBotApi`] binds `127.0.0.1:0` and answers the part of the
//! [Telegram Bot API](https://core.telegram.org/bots/api) that chihoi uses, closely enough that
//! an unmodified `teloxide::Bot` pointed at [`LocalBotApi::api_url`] works against it: the same
//! URL scheme (`{api_url}/bot{token}/{Method}`), the same JSON and `multipart/form-data` request
//! bodies, the same `{"ok":…}` envelopes, the same error descriptions (so teloxide maps them to
//! the same `RequestError`/`ApiError` variants) and the same update delivery, by long polling
//! (`getUpdates`) or by webhook (`setWebhook`, POSTed with `X-Telegram-Bot-Api-Secret-Token`,
//! retried until the receiver answers 2xx).
//!
//! Who uses it:
//! - `chihoi demo`, so a newcomer sees the bot work without a token or a network;
//! - every end-to-end test: one server per test, injected through the API URL. There is no
//!   global state, no environment variable and no global lock, so tests run in parallel.
//!
//! A test plays the users ([`TestUser`], [`LocalBotApi::push_text`], [`LocalBotApi::push_callback`],
//! …), then reads what the bot did ([`LocalBotApi::sent`], [`LocalBotApi::wait_for_sent`],
//! [`LocalBotApi::calls`], or chat by chat, new messages and edits alike,
//! [`LocalBotApi::wait_for_change`]) and can make Telegram misbehave ([`LocalBotApi::fail_next`],
//! [`LocalBotApi::fail_chat`], [`LocalBotApi::set_chaos`], [`LocalBotApi::set_rate_limits`],
//! [`LocalBotApi::push_blocked`]).
//!
//! Like Telegram it rejects what Telegram rejects where bots commonly go wrong: text over 4096
//! characters, captions over 1024, `callback_data` over 64 bytes, inline keyboards of more than
//! 100 buttons or more than 8 in a row, malformed HTML/MarkdownV2 (`can't parse entities: …`),
//! edits that change nothing (`message is not modified`), sends to a user who blocked the bot
//! (403) or who never wrote to it (403, as a bot cannot start a conversation; see
//! [`LocalBotApi::know`]), callback queries answered with more than 200 characters, twice, after
//! 15 s, or unknown. With limits on, every `send*` counts against them; edits and callback
//! answers do not (Telegram publishes no limits for them). It does not model groups beyond
//! chat ids and titles, inline mode, payments, media groups or `allowed_updates` filtering.
//! Webhook responses that carry a method call are ignored.

pub mod person;
pub mod script;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use crate::{SettleHook, WaitTimeout};

/// Largest request body accepted (Telegram's upload limit for bots).
const MAX_BODY: usize = 50 * 1024 * 1024;
/// Longest message text, in UTF-16 code units, after entity parsing.
const MAX_TEXT_LEN: usize = 4096;
/// Longest caption, in UTF-16 code units, after entity parsing.
const MAX_CAPTION_LEN: usize = 1024;
/// Longest `callback_data`, in bytes.
const MAX_CALLBACK_DATA: usize = 64;
/// Most buttons in one inline keyboard, and in one of its rows.
const MAX_BUTTONS: usize = 100;
const MAX_BUTTONS_PER_ROW: usize = 8;
/// Longest `answerCallbackQuery` text, in characters.
const MAX_CALLBACK_ANSWER: usize = 200;
/// How long a callback query may wait for its answer. Telegram does not publish it; bots report
/// "query is too old" for answers some 10–20 s late, so the fake takes the short end.
const CALLBACK_QUERY_TTL: Duration = Duration::from_secs(15);
/// First wait before retrying a failed webhook delivery; doubles up to [`WEBHOOK_MAX_BACKOFF`].
const WEBHOOK_MIN_BACKOFF: Duration = Duration::from_millis(50);
/// Longest wait between webhook delivery attempts.
const WEBHOOK_MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How long one webhook delivery may take before it counts as failed.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Calls kept for [`LocalBotApi::calls`]; older ones are forgotten (a long-running demo polls
/// a few times a second).
const MAX_RECORDED_CALLS: usize = 100_000;

/// Methods this server implements, lowercased.
const KNOWN_METHODS: &[&str] = &[
    "getme",
    "getupdates",
    "getwebhookinfo",
    "setwebhook",
    "deletewebhook",
    "sendmessage",
    "editmessagetext",
    "editmessagereplymarkup",
    "editmessagecaption",
    "deletemessage",
    "answercallbackquery",
    "setmycommands",
    "deletemycommands",
    "getmycommands",
    "senddocument",
    "sendphoto",
    "sendchataction",
    "getfile",
    "setmydescription",
    "setmyshortdescription",
    "setchatmenubutton",
];

/// How to start a [`LocalBotApi`].
#[derive(Clone, Debug)]
pub struct LocalBotApiOptions {
    /// The bot token the server accepts; requests with any other token get 401.
    pub token: String,
    /// The bot's username, as `getMe` reports it (without `@`).
    pub bot_username: String,
    /// `getUpdates` waits at most this long for new updates, whatever `timeout` the client asks
    /// for, so a polling bot shuts down quickly.
    pub long_poll_cap: Duration,
}

impl Default for LocalBotApiOptions {
    fn default() -> Self {
        Self {
            token: "123456:LOCAL-TEST-TOKEN".to_owned(),
            bot_username: "chihoi_bot".to_owned(),
            long_poll_cap: Duration::from_millis(300),
        }
    }
}

/// A simulated Telegram user, who talks to the bot in a private chat whose id is the user's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestUser {
    /// Telegram user id; also the id of the private chat with the bot. Must be positive.
    pub id: i64,
    /// The user's first name, as Telegram shows it to the bot.
    pub first_name: String,
    /// IETF language tag of the user's Telegram client (e.g. `"vi"`), if any.
    pub language_code: Option<String>,
}

impl TestUser {
    /// A user with the given id and first name and no language code.
    pub fn new(id: i64, first_name: impl Into<String>) -> Self {
        Self {
            id,
            first_name: first_name.into(),
            language_code: None,
        }
    }

    /// The same user with a Telegram client language (e.g. `"vi"`, `"en"`).
    #[must_use]
    pub fn with_language(mut self, language_code: impl Into<String>) -> Self {
        self.language_code = Some(language_code.into());
        self
    }

    /// The Bot API `User` object for this user.
    fn user_json(&self) -> Value {
        let mut user = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(lang) = &self.language_code {
            user["language_code"] = json!(lang);
        }
        user
    }

    /// The Bot API `Chat` object of the private chat with this user.
    fn chat_json(&self) -> Value {
        json!({"id": self.id, "type": "private", "first_name": self.first_name})
    }
}

/// An error the server returns instead of handling a call, set up with
/// [`LocalBotApi::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`; teloxide turns it
    /// into `RequestError::RetryAfter`.
    TooManyRequests {
        /// Seconds the client is told to wait.
        retry_after: u32,
    },
    /// 403 with this description, e.g. `"Forbidden: bot was blocked by the user"` (teloxide's
    /// `ApiError::BotBlocked`).
    Forbidden(String),
    /// This HTTP status (e.g. 500, 502) with its reason phrase as description. Note that
    /// teloxide sleeps 10 s after any 5xx before returning the error.
    ServerError(u16),
}

/// Telegram's flood limits, enforced when set with [`LocalBotApi::set_rate_limits`]. A send
/// over a limit gets 429 with `retry_after` = seconds until the window frees up (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Sends accepted per chat in any 1-second window.
    pub per_chat_per_second: u32,
    /// Sends accepted over all chats in any 1-second window.
    pub global_per_second: u32,
    /// Sends accepted per group chat (negative chat id) in any 60-second window.
    pub per_group_per_minute: u32,
    /// Paid broadcasts (`allow_paid_broadcast`) accepted over all chats in any 1-second window.
    /// They do not count against `global_per_second`; the per-chat limits still hold.
    pub paid_broadcast_per_second: u32,
}

impl Default for RateLimits {
    /// Telegram's documented limits: 1 message/s per chat, 30/s overall, 20/min per group,
    /// 1,000/s of paid broadcasts.
    fn default() -> Self {
        Self {
            per_chat_per_second: 1,
            global_per_second: 30,
            per_group_per_minute: 20,
            paid_broadcast_per_second: 1000,
        }
    }
}

/// Random faults, set with [`LocalBotApi::set_chaos`]: each call of one of `methods` may be
/// answered late, and may fail with 429 or a server error instead of being handled (a failed
/// call changes nothing, as when Telegram refuses it).
///
/// The draws come from `seed`: the n-th call of those methods meets the same fate in every run
/// with the same seed, though which call is the n-th may differ when calls race.
#[derive(Clone, Debug, PartialEq)]
pub struct Chaos {
    /// Seeds the draws.
    pub seed: u64,
    /// Chance (0–1) that a call answers 429 with `retry_after`.
    pub too_many_requests: f64,
    /// Seconds a random 429 tells the client to wait.
    pub retry_after: u32,
    /// Chance (0–1) that a call answers `server_error_code`. teloxide sleeps 10 s after any
    /// 5xx before returning the error, so keep it rare.
    pub server_error: f64,
    /// The status of a random server error (e.g. 502, 503).
    pub server_error_code: u16,
    /// Chance (0–1) that a call is answered late, after up to `slow_by` (drawn evenly).
    pub slow: f64,
    /// The longest delay of a slow answer.
    pub slow_by: Duration,
    /// Methods the faults apply to, in any case; the others are left alone.
    pub methods: Vec<String>,
}

impl Chaos {
    /// The methods that send or change what a person sees: the default [`Chaos::methods`].
    pub const SENDING_METHODS: &[&str] = &[
        "sendMessage",
        "editMessageText",
        "answerCallbackQuery",
        "sendDocument",
        "sendPhoto",
    ];
}

impl Default for Chaos {
    /// No faults yet: seed 0, every chance 0, 429s of 1 s, 502s, delays up to 500 ms, on the
    /// sending methods.
    fn default() -> Self {
        Self {
            seed: 0,
            too_many_requests: 0.0,
            retry_after: 1,
            server_error: 0.0,
            server_error_code: 502,
            slow: 0.0,
            slow_by: Duration::from_millis(500),
            methods: Self::SENDING_METHODS
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
        }
    }
}

/// A call's fate under [`Chaos`].
struct ChaosState {
    chaos: Chaos,
    /// Lowercased [`Chaos::methods`].
    methods: HashSet<String>,
    rng: SplitMix64,
}

/// A small seeded generator (SplitMix64): enough for fault draws, no dependency.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Evenly in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Faults the server made on purpose ([`LocalBotApi::fail_next`], [`LocalBotApi::fail_chat`],
/// [`LocalBotApi::set_chaos`]), apart from those a misbehaving client earns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Injected {
    /// 429s injected.
    pub too_many_requests: u64,
    /// 5xx answers injected.
    pub server_errors: u64,
    /// 403s injected.
    pub forbidden: u64,
    /// Calls answered late by [`Chaos`].
    pub slow: u64,
}

/// Counters over the server's life, from [`LocalBotApi::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Accepted `sendMessage`/`sendDocument`/`sendPhoto` calls.
    pub sends_accepted: u64,
    /// Accepted `editMessageText`/`editMessageReplyMarkup`/`editMessageCaption` calls.
    pub edits_accepted: u64,
    /// 429 responses returned, all of them: `over_limits` + `injected.too_many_requests`.
    pub too_many_requests: u64,
    /// 429s returned because a send would have broken the [`RateLimits`]: the client sent too
    /// fast. Zero means it kept within the limits, whatever faults were injected.
    pub over_limits: u64,
    /// Of `over_limits`, those for a chat's limit (one a second, or a group's a minute); the
    /// rest broke the bot's overall limit.
    pub over_chat_limits: u64,
    /// Faults injected on purpose.
    pub injected: Injected,
    /// Calls received per method (lowercased name), including failed and unknown ones.
    pub calls: BTreeMap<String, u64>,
    /// Webhook deliveries acknowledged with 2xx.
    pub webhook_deliveries: u64,
    /// Webhook delivery attempts that failed (non-2xx, connection error, timeout).
    pub webhook_failures: u64,
    /// Accepted sends that asked to be paid broadcasts (`allow_paid_broadcast`): what Telegram
    /// would charge Stars for.
    pub paid_broadcasts: u64,
}

impl Stats {
    /// Calls received for `method` (matched case-insensitively).
    pub fn calls_of(&self, method: &str) -> u64 {
        self.calls
            .get(&method.to_ascii_lowercase())
            .copied()
            .unwrap_or(0)
    }
}

/// What the bot changed in one chat since a [`LocalBotApi::chat_version`] read earlier, from
/// [`LocalBotApi::changed_since`] and [`LocalBotApi::wait_for_change`].
#[derive(Clone, Debug, PartialEq)]
pub struct ChatChanges {
    /// The chat's version now.
    pub version: u64,
    /// The bot's messages in the chat sent, edited or deleted since, as they stand now, in the
    /// order of their last change (the most recently changed last).
    pub messages: Vec<SentMessage>,
}

/// A message the bot sent, as it stands now (edits applied).
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    /// Id Telegram gave the message.
    pub message_id: i64,
    /// Chat it was sent to.
    pub chat_id: i64,
    /// Text as the user sees it: with `parse_mode` HTML/MarkdownV2/Markdown the markup is
    /// parsed away (tags stripped, escapes and HTML entities decoded), as in the `text` Telegram
    /// returns. `None` for documents and photos (see their `caption`).
    pub text: Option<String>,
    /// Inline keyboard, row by row (empty when none).
    pub buttons: Vec<Vec<Button>>,
    /// Document sent with `sendDocument`.
    pub document: Option<SentFile>,
    /// Photo sent with `sendPhoto`.
    pub photo: Option<SentFile>,
    /// Whether the message was edited since it was sent.
    pub edited: bool,
    /// Rises with every send and edit on this server: a reader that remembers the highest it
    /// saw finds what is new or changed since (a step that edited the tapped message).
    pub revision: u64,
    /// Whether the bot deleted the message.
    pub deleted: bool,
    /// `parse_mode` of the last send or edit, if any.
    pub parse_mode: Option<String>,
    /// `reply_markup` exactly as the bot last sent it (inline or reply keyboard, removal, …).
    pub reply_markup: Option<Value>,
}

impl SentMessage {
    /// The inline button with this text, if the message has one.
    pub fn button(&self, text: &str) -> Option<&Button> {
        self.buttons.iter().flatten().find(|b| b.text == text)
    }

    /// Texts of all inline buttons, row by row flattened.
    pub fn button_texts(&self) -> Vec<&str> {
        self.buttons
            .iter()
            .flatten()
            .map(|b| b.text.as_str())
            .collect()
    }
}

/// One inline keyboard button of a [`SentMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    /// Label.
    pub text: String,
    /// Data sent back in the callback query when pressed.
    pub callback_data: Option<String>,
    /// URL opened when pressed.
    pub url: Option<String>,
}

/// A file the bot sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentFile {
    /// Name of the uploaded part; for a file sent by `file_id` or URL, that string.
    pub file_name: String,
    /// Uploaded bytes (or the bytes registered for the `file_id`; empty for a URL).
    pub bytes: Vec<u8>,
    /// Caption as the user sees it (markup parsed away, see [`SentMessage::text`]).
    pub caption: Option<String>,
    /// `file_id` the server gave the file; sending it again by this id works.
    pub file_id: String,
}

/// The running server. Dropping it stops the server and the webhook delivery task.
///
/// Not `Clone`: share it with `Arc<LocalBotApi>` if several tasks need it.
pub struct LocalBotApi {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// Taken by [`LocalBotApi::shutdown`].
    server: Option<JoinHandle<()>>,
    delivery: JoinHandle<()>,
}

impl std::fmt::Debug for LocalBotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBotApi")
            .field("addr", &self.addr)
            .field("bot_username", &self.shared.bot_username)
            .finish_non_exhaustive()
    }
}

impl Drop for LocalBotApi {
    fn drop(&mut self) {
        // Graceful: stop accepting, end long polls, finish in-flight requests, close idle
        // keep-alive connections. The server task ends on its own shortly after.
        self.shared.shutdown.cancel();
        self.delivery.abort();
    }
}

impl LocalBotApi {
    /// Binds `127.0.0.1:0` and starts serving; the webhook delivery task starts too (idle until
    /// `setWebhook`). Must be called inside a tokio runtime.
    pub async fn start(opts: LocalBotApiOptions) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (changed, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            bot_id: bot_id_from_token(&opts.token),
            token: opts.token,
            bot_username: opts.bot_username,
            long_poll_cap: opts.long_poll_cap,
            state: Mutex::new(ServerState::new()),
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
                tracing::warn!(%err, "local Bot API server stopped with an error");
            }
        });
        let delivery = tokio::spawn(deliver_webhooks(Arc::clone(&shared)));
        tracing::debug!(%addr, "local Bot API server started");
        Ok(Self {
            shared,
            addr,
            server: Some(server),
            delivery,
        })
    }

    /// Stops the server and waits until it has finished in-flight requests and closed its
    /// connections (long polls return at once). Dropping the handle stops it too, without
    /// waiting.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.cancel();
        self.delivery.abort();
        if let Some(server) = self.server.take()
            && let Err(err) = server.await
        {
            tracing::warn!(%err, "local Bot API server task failed");
        }
    }

    /// Base URL to give teloxide (`Bot::set_api_url`), e.g. `http://127.0.0.1:PORT/`.
    pub fn api_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("a socket address forms a URL")
    }

    /// The token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The bot's username (without `@`).
    pub fn bot_username(&self) -> &str {
        &self.shared.bot_username
    }

    /// The bot's user id, as `getMe` reports it (the token's numeric prefix).
    pub fn bot_id(&self) -> i64 {
        self.shared.bot_id
    }

    /// A `teloxide::Bot` with this server's token and URL, on an HTTP client that ignores proxy
    /// environment variables (the server is on loopback).
    pub fn bot(&self) -> teloxide::Bot {
        let client = teloxide::net::default_reqwest_settings()
            .no_proxy()
            .build()
            .unwrap_or_else(|_| teloxide::net::client_from_env());
        teloxide::Bot::with_client(self.shared.token.clone(), client).set_api_url(self.api_url())
    }

    /// The user sends `text` to the bot. A leading `/command` gets a `bot_command` entity.
    /// Unblocks the user if they had blocked the bot. Returns the update id.
    pub fn push_text(&self, from: &TestUser, text: &str) -> i64 {
        self.push_user_message(from, |msg| {
            msg.insert("text".into(), json!(text));
            if let Some(entity) = command_entity(text) {
                msg.insert("entities".into(), json!([entity]));
            }
        })
    }

    /// The user presses an inline button with `data` under the bot's message `message_id` in
    /// their private chat. The callback query's `message` is that message as it stands now; if
    /// no such message was sent, a plausible bot message with that id. Returns the update id.
    pub fn push_callback(&self, from: &TestUser, message_id: i64, data: &str) -> i64 {
        let mut st = self.shared.lock();
        st.see_user(from);
        let message = st
            .in_chat(from.id)
            .rev()
            .find(|m| m.sent.message_id == message_id)
            .map(|m| m.json.clone())
            .unwrap_or_else(|| {
                json!({
                    "message_id": message_id,
                    "from": self.shared.bot_user_json(),
                    "chat": from.chat_json(),
                    "date": now_unix(),
                    "text": "…",
                })
            });
        st.next_callback += 1;
        let query_id = format!("{}{:06}", from.id.unsigned_abs(), st.next_callback);
        st.callback_ids.insert(query_id.clone(), Instant::now());
        let update = json!({
            "callback_query": {
                "id": query_id,
                "from": from.user_json(),
                "message": message,
                "chat_instance": format!("{}", from.id.wrapping_mul(7919)),
                "data": data,
            }
        });
        let id = st.enqueue(update);
        drop(st);
        self.shared.notify();
        id
    }

    /// The user sends a photo. Like Telegram, `photo` lists sizes smallest first: a thumbnail
    /// (`{file_id}-thumb`) and then the full size with exactly `file_id`, so a bot must take the
    /// last one. Both ids are registered for `getFile` (empty bytes unless [`Self::add_file`]
    /// registered them first). Returns the update id.
    pub fn push_photo(&self, from: &TestUser, file_id: &str, caption: Option<&str>) -> i64 {
        let thumb_id = format!("{file_id}-thumb");
        {
            let mut st = self.shared.lock();
            st.register_file(&thumb_id, &format!("{thumb_id}.jpg"), None);
            st.register_file(file_id, &format!("{file_id}.jpg"), None);
        }
        self.push_user_message(from, |msg| {
            msg.insert(
                "photo".into(),
                json!([
                    {"file_id": thumb_id, "file_unique_id": format!("u-{thumb_id}"),
                     "width": 90, "height": 68, "file_size": 1_500},
                    {"file_id": file_id, "file_unique_id": format!("u-{file_id}"),
                     "width": 1280, "height": 960, "file_size": 120_000},
                ]),
            );
            if let Some(caption) = caption {
                msg.insert("caption".into(), json!(caption));
            }
        })
    }

    /// The user sends a document. Its bytes are registered so `getFile` and the file download
    /// URL (`{api_url}/file/bot{token}/{file_path}`) serve them. Returns the update id; the
    /// document's `file_id` is in the update (`message.document.file_id`).
    pub fn push_document(
        &self,
        from: &TestUser,
        file_name: &str,
        bytes: Vec<u8>,
        caption: Option<&str>,
    ) -> i64 {
        let (file_id, size) = {
            let mut st = self.shared.lock();
            st.next_file += 1;
            let file_id = format!("LOCAL-UPLOAD-{}", st.next_file);
            let size = bytes.len();
            st.register_file(&file_id, file_name, Some(bytes));
            (file_id, size)
        };
        self.push_user_message(from, |msg| {
            msg.insert(
                "document".into(),
                json!({
                    "file_id": file_id,
                    "file_unique_id": format!("u-{file_id}"),
                    "file_name": file_name,
                    "mime_type": mime_for(file_name),
                    "file_size": size,
                }),
            );
            if let Some(caption) = caption {
                msg.insert("caption".into(), json!(caption));
            }
        })
    }

    /// The user shares a contact (`message.contact`): her own when `own` (the contact's
    /// `user_id` is hers, as when she taps "share my phone number"), else someone else's.
    /// Returns the update id.
    pub fn push_contact(&self, from: &TestUser, phone: &str, own: bool) -> i64 {
        let user_id = if own { from.id } else { from.id + 1_000_000 };
        self.push_user_message(from, |msg| {
            msg.insert(
                "contact".into(),
                json!({"phone_number": phone, "first_name": "Contact", "user_id": user_id}),
            );
        })
    }

    /// The user blocks the bot: a `my_chat_member` update whose new status is `kicked`. From now
    /// on sends to the user fail with 403 `Forbidden: bot was blocked by the user`, until
    /// [`Self::push_unblocked`] or the user writes again. Returns the update id.
    pub fn push_blocked(&self, from: &TestUser) -> i64 {
        self.push_member_change(from, "member", "kicked", true)
    }

    /// The user unblocks the bot: a `my_chat_member` update from `kicked` to `member`.
    /// Returns the update id.
    pub fn push_unblocked(&self, from: &TestUser) -> i64 {
        self.push_member_change(from, "kicked", "member", false)
    }

    /// Queues any update. `update_id` is assigned if missing (a given one moves the counter
    /// past it). A non-object is wrapped as `{"unknown": value}`. Chats and callback query ids
    /// in it are remembered. Returns the update id.
    pub fn push_raw(&self, update: Value) -> i64 {
        let mut st = self.shared.lock();
        let update = match update {
            Value::Object(map) => Value::Object(map),
            other => json!({ "unknown": other }),
        };
        st.remember(&update);
        let id = st.enqueue(update);
        drop(st);
        self.shared.notify();
        id
    }

    /// Queues the exact same update (same `update_id`) again, as Telegram does when a webhook
    /// delivery failed or was not acknowledged. With `getUpdates` it is returned once more even
    /// if an offset had already confirmed it. Unknown ids are ignored.
    pub fn redeliver(&self, update_id: i64) {
        let mut st = self.shared.lock();
        let Some(update) = st.history.get(&update_id).cloned() else {
            tracing::warn!(update_id, "redeliver: no such update was pushed");
            return;
        };
        st.insert_pending(update_id, update, true);
        drop(st);
        self.shared.notify();
    }

    /// Updates not yet confirmed (polling) or acknowledged (webhook), in delivery order.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.shared
            .lock()
            .queue
            .iter()
            .map(|p| p.update.clone())
            .collect()
    }

    /// Every message the bot sent (`sendMessage`, `sendDocument`, `sendPhoto`), in order, as
    /// they stand now (edits applied, deleted ones flagged).
    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared
            .lock()
            .messages
            .iter()
            .map(|m| m.sent.clone())
            .collect()
    }

    /// The messages the bot sent to one chat, in order.
    pub fn sent_to(&self, chat_id: i64) -> Vec<SentMessage> {
        self.shared
            .lock()
            .in_chat(chat_id)
            .map(|m| m.sent.clone())
            .collect()
    }

    /// The Bot API `Message` JSON the server holds for a sent message (edits applied).
    pub fn message_json(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.shared
            .lock()
            .in_chat(chat_id)
            .find(|m| m.sent.message_id == message_id)
            .map(|m| m.json.clone())
    }

    /// How many visible changes the bot has made in `chat_id` so far: each message it sent
    /// there and each edit or deletion of one adds one (0 before the first). Read it before
    /// pushing an update, then [`Self::wait_for_change`] sees the answer whether the bot sends
    /// a new message or edits the one tapped.
    pub fn chat_version(&self, chat_id: i64) -> u64 {
        self.shared.lock().chat_version(chat_id)
    }

    /// The bot's messages in `chat_id` sent, edited or deleted after `version` (a
    /// [`Self::chat_version`] read earlier), as they stand now, with the chat's version now.
    pub fn changed_since(&self, chat_id: i64, version: u64) -> ChatChanges {
        let st = self.shared.lock();
        let mut messages: Vec<&Stored> = st
            .in_chat(chat_id)
            .filter(|m| m.version > version)
            .collect();
        messages.sort_by_key(|m| m.version);
        ChatChanges {
            version: st.chat_version(chat_id),
            messages: messages.into_iter().map(|m| m.sent.clone()).collect(),
        }
    }

    /// Waits until the bot changes something in `chat_id` after `version` (a
    /// [`Self::chat_version`] read earlier), then returns what changed since. Wakes only on
    /// that chat's changes, so many users waiting at once (a load test) cost little.
    pub async fn wait_for_change(
        &self,
        chat_id: i64,
        version: u64,
        timeout: Duration,
    ) -> Result<ChatChanges, WaitTimeout> {
        let deadline = Instant::now() + timeout;
        let mut rx = self.shared.lock().chat_changes(chat_id).subscribe();
        loop {
            if *rx.borrow_and_update() > version {
                return Ok(self.changed_since(chat_id, version));
            }
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                () = tokio::time::sleep_until(deadline) => break,
                () = self.shared.shutdown.cancelled() => break,
            }
        }
        let texts: Vec<_> = self.sent_to(chat_id).iter().map(describe_message).collect();
        Err(WaitTimeout {
            what: format!("a change in chat {chat_id} after version {version}"),
            timeout,
            state: format!(
                "version {}; messages: {texts:?}",
                self.chat_version(chat_id)
            ),
        })
    }

    /// Waits until the bot has sent at least `count` messages to `chat_id`, then returns all
    /// messages sent to that chat. Wakes on each change, no polling.
    pub async fn wait_for_sent(
        &self,
        chat_id: i64,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<SentMessage>, WaitTimeout> {
        let deadline = Instant::now() + timeout;
        let reached = self
            .shared
            .wait_until(deadline, |st| st.in_chat(chat_id).count() >= count)
            .await;
        let sent = self.sent_to(chat_id);
        if reached {
            Ok(sent)
        } else {
            let texts: Vec<_> = sent.iter().map(describe_message).collect();
            Err(WaitTimeout {
                what: format!("{count} message(s) to chat {chat_id}"),
                timeout,
                state: format!("{} sent: {texts:?}", sent.len()),
            })
        }
    }

    /// Waits until every pushed update has been confirmed by a later `getUpdates` offset or
    /// acknowledged by the webhook with 2xx. (Confirmed is not handled: teloxide confirms a batch
    /// when it asks for the next one, while handlers may still run; wait on effects, e.g.
    /// [`Self::wait_for_sent`], to know a handler finished.)
    pub async fn wait_until_consumed(&self, timeout: Duration) -> Result<(), WaitTimeout> {
        let deadline = Instant::now() + timeout;
        if self
            .shared
            .wait_until(deadline, |st| st.queue.is_empty())
            .await
        {
            let settle = self
                .shared
                .settle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            let Some(settle) = settle else {
                return Ok(());
            };
            return match tokio::time::timeout_at(deadline, settle()).await {
                Ok(()) => Ok(()),
                Err(_) => Err(WaitTimeout {
                    what: "the replies to consumed updates to be sent".to_owned(),
                    timeout,
                    state: "the bot still had replies in flight".to_owned(),
                }),
            };
        }
        let st = self.shared.lock();
        let ids: Vec<i64> = st.queue.iter().map(|p| p.update_id).collect();
        let webhook = st.webhook.as_ref().map(|w| w.url.clone());
        let last_error = st.webhook_last_error.as_ref().map(|(_, e)| e.clone());
        Err(WaitTimeout {
            what: "all pushed updates to be consumed".to_owned(),
            timeout,
            state: format!(
                "still pending: {ids:?}; webhook: {webhook:?}; last webhook error: {last_error:?}"
            ),
        })
    }

    /// Makes [`LocalBotApi::wait_until_consumed`] (and so every `Person`'s wait for replies)
    /// also wait for `hook`: a bot that acknowledges updates before its replies are sent says
    /// through it when they are.
    pub fn on_consumed(&self, hook: SettleHook) {
        *self
            .shared
            .settle
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    /// Recorded parameters of every call to `method` (matched case-insensitively), in order,
    /// failed ones included (the last 100 000 calls of all methods are kept). Multipart fields are strings as sent (`"chat_id": "42"`); uploaded
    /// files appear as `{"file_name": …, "size": …}`.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        let method = method.to_ascii_lowercase();
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|(m, _)| *m == method)
            .map(|(_, params)| params.clone())
            .collect()
    }

    /// Waits until `method` (matched case-insensitively) has been called at least `count`
    /// times, then returns the recorded parameters of all its calls.
    pub async fn wait_for_calls(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>, WaitTimeout> {
        let lower = method.to_ascii_lowercase();
        let deadline = Instant::now() + timeout;
        let reached = self
            .shared
            .wait_until(deadline, |st| {
                st.stats.calls.get(&lower).copied().unwrap_or(0) >= count as u64
            })
            .await;
        let calls = self.calls(method);
        if reached {
            Ok(calls)
        } else {
            Err(WaitTimeout {
                what: format!("{count} call(s) of {method}"),
                timeout,
                state: format!("{} call(s): {calls:?}", calls.len()),
            })
        }
    }

    /// The next `times` calls of `method` (matched case-insensitively) fail with `failure`
    /// instead of being handled. Adds to failures already queued for that method.
    pub fn fail_next(&self, method: &str, failure: Failure, times: usize) {
        self.shared
            .lock()
            .failures
            .entry(method.to_ascii_lowercase())
            .or_default()
            .extend(std::iter::repeat_n(failure, times));
    }

    /// Every call naming `chat_id` fails with `failure` (`Some`) instead of being handled, until
    /// `None`; e.g. `Failure::Forbidden("Forbidden: bot was blocked by the user")` for a person
    /// who blocked the bot without the bot being told (unlike [`Self::push_blocked`], no
    /// update says so, and her writing again does not lift it).
    pub fn fail_chat(&self, chat_id: i64, failure: Option<Failure>) {
        let mut st = self.shared.lock();
        match failure {
            Some(failure) => st.failing_chats.insert(chat_id, failure),
            None => st.failing_chats.remove(&chat_id),
        };
    }

    /// Turns random faults on (`Some`) or off (`None`, the default); a new `Some` starts the
    /// draws again from its seed. Injected failures ([`Self::fail_next`], [`Self::fail_chat`])
    /// come first and draw nothing.
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        self.shared.lock().chaos = chaos.map(|chaos| ChaosState {
            methods: chaos
                .methods
                .iter()
                .map(|m| m.to_ascii_lowercase())
                .collect(),
            rng: SplitMix64(chaos.seed),
            chaos,
        });
    }

    /// Holds calls of `method` (matched case-insensitively): each is recorded when it arrives
    /// (see [`Self::wait_for_calls`]) but answered only after [`Self::release`], like an upload
    /// on a slow link.
    pub fn hold(&self, method: &str) {
        self.shared
            .lock()
            .held
            .entry(method.to_ascii_lowercase())
            .or_insert_with(|| tokio::sync::watch::channel(true).0)
            .send_replace(true);
    }

    /// Answers the calls of `method` held so far, and those to come.
    pub fn release(&self, method: &str) {
        if let Some(gate) = self.shared.lock().held.get(&method.to_ascii_lowercase()) {
            gate.send_replace(false);
        }
    }

    /// Turns Telegram's flood limits on (`Some`) or off (`None`, the default). Sends made while
    /// limits were off still count in the windows.
    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        self.shared.lock().rate_limits = limits;
    }

    /// When on, sending to a chat the server has never seen (no update from it was pushed,
    /// nor [`Self::know`] called for it) fails like Telegram, as a bot cannot start a
    /// conversation: 403 `Forbidden: bot can't initiate conversation with a user` for a user,
    /// 400 `Bad Request: chat not found` for a group. On by default.
    pub fn set_strict_chats(&self, strict: bool) {
        self.shared.lock().strict_chats = strict;
    }

    /// The user has written to the bot before (before this server started, say): the bot may
    /// send to her private chat.
    pub fn know(&self, user: &TestUser) {
        self.shared.lock().see_user(user);
    }

    /// Registers a file under `file_id` so `getFile`, downloads and sends by that id find it.
    pub fn add_file(&self, file_id: &str, file_name: &str, bytes: Vec<u8>) {
        self.shared
            .lock()
            .register_file(file_id, file_name, Some(bytes));
    }

    /// The webhook URL currently set, if any.
    pub fn webhook_url(&self) -> Option<String> {
        self.shared.lock().webhook.as_ref().map(|w| w.url.clone())
    }

    /// Commands set with `setMyCommands` for the default scope and no language.
    pub fn my_commands(&self) -> Vec<Value> {
        let key = commands_key(&json!({"type": "default"}), "");
        self.shared
            .lock()
            .commands
            .get(&key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Counters: sends accepted, 429s returned, calls per method, webhook deliveries.
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    fn push_user_message(
        &self,
        from: &TestUser,
        fill: impl FnOnce(&mut Map<String, Value>),
    ) -> i64 {
        let mut st = self.shared.lock();
        st.see_user(from);
        st.blocked.remove(&from.id);
        let message_id = st.new_message_id();
        st.user_messages.insert((from.id, message_id));
        let mut msg = Map::new();
        msg.insert("message_id".into(), json!(message_id));
        msg.insert("from".into(), from.user_json());
        msg.insert("chat".into(), from.chat_json());
        msg.insert("date".into(), json!(now_unix()));
        fill(&mut msg);
        let id = st.enqueue(json!({ "message": Value::Object(msg) }));
        drop(st);
        self.shared.notify();
        id
    }

    fn push_member_change(&self, from: &TestUser, old: &str, new: &str, block: bool) -> i64 {
        let bot = self.shared.bot_user_json();
        let mut st = self.shared.lock();
        st.see_user(from);
        if block {
            st.blocked.insert(from.id);
        } else {
            st.blocked.remove(&from.id);
        }
        let member = |status: &str| {
            let mut m = json!({"user": bot, "status": status});
            if status == "kicked" {
                m["until_date"] = json!(0);
            }
            m
        };
        let update = json!({
            "my_chat_member": {
                "chat": from.chat_json(),
                "from": from.user_json(),
                "date": now_unix(),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        });
        let id = st.enqueue(update);
        drop(st);
        self.shared.notify();
        id
    }
}

/// State shared by the handle, the HTTP handlers and the webhook delivery task.
struct Shared {
    token: String,
    bot_username: String,
    bot_id: i64,
    long_poll_cap: Duration,
    state: Mutex<ServerState>,
    /// Bumped after every change, so waiters (long polls, `wait_for_*`, delivery) wake up.
    changed: watch::Sender<u64>,
    shutdown: CancellationToken,
    /// What "consumed" also waits for: the bot's replies still on their way after it
    /// acknowledged the updates (see [`LocalBotApi::on_consumed`]).
    settle: Mutex<Option<SettleHook>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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

    fn bot_user_json(&self) -> Value {
        json!({
            "id": self.bot_id,
            "is_bot": true,
            "first_name": "chihoi",
            "username": self.bot_username,
        })
    }

    /// Records the call, applies injected failures, then runs the method.
    async fn call(&self, method: &str, params: Params) -> Result<Value, ApiErr> {
        let fate = self.record_call(method, &params);
        // Wakes `wait_for_calls`.
        self.notify();
        if !fate.delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(fate.delay) => {}
                () = self.shutdown.cancelled() => {}
            }
        }
        if let Some(err) = fate.error {
            return Err(err);
        }
        let gate = self.lock().held.get(method).map(|tx| tx.subscribe());
        if let Some(mut gate) = gate {
            tokio::select! {
                _ = gate.wait_for(|held| !*held) => {}
                () = self.shutdown.cancelled() => {}
            }
        }
        if method == "getupdates" {
            return self.get_updates(&params).await;
        }
        let result = {
            let mut st = self.lock();
            self.dispatch(&mut st, method, &params)
        };
        self.notify();
        result
    }

    /// Records a call; returns how long to wait before answering it and the error to answer
    /// instead of handling it (unknown method or an injected failure).
    fn record_call(&self, method: &str, params: &Params) -> Fate {
        let mut st = self.lock();
        if st.calls.len() >= MAX_RECORDED_CALLS {
            st.calls.pop_front();
        }
        st.calls.push_back((method.to_owned(), params.summary()));
        *st.stats.calls.entry(method.to_owned()).or_default() += 1;
        if !KNOWN_METHODS.contains(&method) {
            return Fate::fail(ApiErr::new(404, "Not Found: method not found"));
        }
        let failure = st.failures.get_mut(method).and_then(VecDeque::pop_front);
        let failure = failure.or_else(|| {
            let chat_id = params.chat_id().ok()?;
            st.failing_chats.get(&chat_id).cloned()
        });
        if let Some(failure) = failure {
            let err = ApiErr::from(&failure);
            st.count_injected(&err);
            return Fate::fail(err);
        }
        let Some(chaos) = st.chaos.as_mut().filter(|c| c.methods.contains(method)) else {
            return Fate::default();
        };
        let fault = chaos.rng.next_f64();
        let slow = chaos.rng.next_f64() < chaos.chaos.slow;
        let by = chaos.rng.next_f64();
        let c = &chaos.chaos;
        let delay = if slow {
            c.slow_by.mul_f64(by)
        } else {
            Duration::ZERO
        };
        let error = if fault < c.too_many_requests {
            Some(ApiErr::from(&Failure::TooManyRequests {
                retry_after: c.retry_after,
            }))
        } else if fault < c.too_many_requests + c.server_error {
            Some(ApiErr::from(&Failure::ServerError(c.server_error_code)))
        } else {
            None
        };
        if let Some(err) = &error {
            st.count_injected(err);
        }
        if slow {
            st.stats.injected.slow += 1;
        }
        Fate { delay, error }
    }

    /// Every method except `getUpdates`, under the lock.
    fn dispatch(&self, st: &mut ServerState, method: &str, p: &Params) -> Result<Value, ApiErr> {
        match method {
            "getme" => {
                let mut me = self.bot_user_json();
                for (k, v) in [
                    ("can_join_groups", true),
                    ("can_read_all_group_messages", false),
                    ("supports_inline_queries", false),
                    ("can_connect_to_business", false),
                    ("has_main_web_app", false),
                ] {
                    me[k] = json!(v);
                }
                Ok(me)
            }
            "getwebhookinfo" => Ok(st.webhook_info()),
            "setwebhook" => st.set_webhook(p),
            "deletewebhook" => {
                st.webhook = None;
                st.webhook_last_error = None;
                if p.bool("drop_pending_updates")?.unwrap_or(false) {
                    st.queue.clear();
                }
                Ok(json!(true))
            }
            "sendmessage" => self.send_message(st, p),
            "senddocument" => self.send_file(st, p, FileKind::Document),
            "sendphoto" => self.send_file(st, p, FileKind::Photo),
            "editmessagetext" => st.edit_text(p),
            "editmessagereplymarkup" => st.edit_markup(p),
            "editmessagecaption" => st.edit_caption(p),
            "deletemessage" => st.delete_message(p),
            "answercallbackquery" => {
                let id = p
                    .str("callback_query_id")?
                    .ok_or_else(|| ApiErr::bad_request("callback_query_id is empty"))?;
                if p.str("text")?
                    .is_some_and(|t| t.chars().count() > MAX_CALLBACK_ANSWER)
                {
                    return Err(ApiErr::bad_request("MESSAGE_TOO_LONG"));
                }
                // Answered once, and only while the query is fresh.
                if st
                    .callback_ids
                    .remove(&id)
                    .is_some_and(|at| at.elapsed() <= CALLBACK_QUERY_TTL)
                {
                    Ok(json!(true))
                } else {
                    Err(ApiErr::bad_request(
                        "query is too old and response timeout expired or query ID is invalid",
                    ))
                }
            }
            "setmycommands" => {
                let commands = p
                    .json("commands")?
                    .ok_or_else(|| ApiErr::bad_request("parameter \"commands\" is required"))?;
                validate_commands(&commands)?;
                let key = p.commands_key()?;
                st.commands.insert(key, commands);
                Ok(json!(true))
            }
            "deletemycommands" => {
                let key = p.commands_key()?;
                st.commands.remove(&key);
                Ok(json!(true))
            }
            "getmycommands" => {
                let key = p.commands_key()?;
                Ok(st.commands.get(&key).cloned().unwrap_or_else(|| json!([])))
            }
            "sendchataction" => {
                let chat_id = p.chat_id()?;
                if p.str("action")?.is_none() {
                    return Err(ApiErr::bad_request("action is empty"));
                }
                st.check_sendable(chat_id)?;
                Ok(json!(true))
            }
            "getfile" => {
                let file_id = p
                    .str("file_id")?
                    .ok_or_else(|| ApiErr::bad_request("file_id is empty"))?;
                let file = st
                    .files
                    .get(&file_id)
                    .ok_or_else(|| ApiErr::bad_request("invalid file_id"))?;
                Ok(json!({
                    "file_id": file_id,
                    "file_unique_id": format!("u-{file_id}"),
                    "file_size": file.bytes.len(),
                    "file_path": file.path,
                }))
            }
            "setmydescription" | "setmyshortdescription" | "setchatmenubutton" => Ok(json!(true)),
            _ => Err(ApiErr::new(404, "Not Found: method not found")),
        }
    }

    /// `getUpdates`: confirm by offset, then long-poll up to `min(timeout, long_poll_cap)`.
    async fn get_updates(&self, p: &Params) -> Result<Value, ApiErr> {
        let offset = p.i64("offset")?;
        let limit = usize::try_from(p.i64("limit")?.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
        let timeout = u64::try_from(p.i64("timeout")?.unwrap_or(0)).unwrap_or(0);
        let wait = Duration::from_secs(timeout).min(self.long_poll_cap);
        let generation = {
            let mut st = self.lock();
            if st.webhook.is_some() {
                return Err(conflict_webhook());
            }
            st.poll_generation += 1;
            st.confirm(offset);
            st.poll_generation
        };
        // Wakes an older long poll, which then answers 409 like Telegram.
        self.notify();
        let deadline = Instant::now() + wait;
        let mut rx = self.changed.subscribe();
        loop {
            {
                let mut st = self.lock();
                if st.poll_generation != generation {
                    return Err(ApiErr::new(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only \
                         one bot instance is running",
                    ));
                }
                if st.webhook.is_some() {
                    return Err(conflict_webhook());
                }
                let batch = st.take_batch(offset, limit);
                if !batch.is_empty() || Instant::now() >= deadline {
                    return Ok(Value::Array(batch));
                }
            }
            tokio::select! {
                _ = rx.changed() => {}
                () = tokio::time::sleep_until(deadline) => {}
                () = self.shutdown.cancelled() => return Ok(json!([])),
            }
        }
    }

    fn send_message(&self, st: &mut ServerState, p: &Params) -> Result<Value, ApiErr> {
        let chat_id = p.chat_id()?;
        let parse_mode = p.str("parse_mode")?.filter(|s| !s.is_empty());
        let raw = p.str("text")?.unwrap_or_default();
        let (text, entities) = format_text(&raw, parse_mode.as_deref(), p.json("entities")?)?;
        if text.trim().is_empty() {
            return Err(ApiErr::bad_request("message text is empty"));
        }
        if utf16_len(&text) > MAX_TEXT_LEN {
            return Err(ApiErr::bad_request("message is too long"));
        }
        let markup = Markup::parse(p.json("reply_markup")?)?;
        st.check_sendable(chat_id)?;
        let paid = p.bool("allow_paid_broadcast")?.unwrap_or(false);
        st.check_rate(chat_id, paid)?;
        let message_id = st.new_message_id();
        let mut msg = st.base_message(self.bot_user_json(), chat_id, message_id);
        msg["text"] = json!(text);
        if !entities.is_empty() {
            msg["entities"] = Value::Array(entities);
        }
        if let Some(inline) = &markup.inline {
            msg["reply_markup"] = inline.clone();
        }
        st.reply_to(&mut msg, chat_id, p)?;
        let sent = SentMessage {
            message_id,
            chat_id,
            text: Some(text),
            buttons: markup.buttons,
            document: None,
            photo: None,
            edited: false,
            revision: 0,
            deleted: false,
            parse_mode,
            reply_markup: markup.raw,
        };
        Ok(st.store_sent(chat_id, paid, sent, msg))
    }

    fn send_file(&self, st: &mut ServerState, p: &Params, kind: FileKind) -> Result<Value, ApiErr> {
        let field = kind.field();
        let chat_id = p.chat_id()?;
        let input = p
            .input_file(field, st)?
            .ok_or_else(|| ApiErr::bad_request(format!("there is no {field} in the request")))?;
        if input.uploaded && input.bytes.is_empty() {
            return Err(ApiErr::bad_request("file must be non-empty"));
        }
        let parse_mode = p.str("parse_mode")?.filter(|s| !s.is_empty());
        let caption = match p.str("caption")? {
            Some(raw) if !raw.is_empty() => {
                let (text, entities) =
                    format_text(&raw, parse_mode.as_deref(), p.json("caption_entities")?)?;
                if utf16_len(&text) > MAX_CAPTION_LEN {
                    return Err(ApiErr::bad_request("message caption is too long"));
                }
                Some((text, entities))
            }
            _ => None,
        };
        let markup = Markup::parse(p.json("reply_markup")?)?;
        st.check_sendable(chat_id)?;
        let paid = p.bool("allow_paid_broadcast")?.unwrap_or(false);
        st.check_rate(chat_id, paid)?;
        let file_id = match (&input.existing_id, input.uploaded) {
            (Some(id), false) => id.clone(),
            _ => {
                st.next_file += 1;
                let id = format!("LOCAL-{}-{}", kind.tag(), st.next_file);
                st.register_file(&id, &input.file_name, Some(input.bytes.clone()));
                id
            }
        };
        let size = input.bytes.len();
        let message_id = st.new_message_id();
        let mut msg = st.base_message(self.bot_user_json(), chat_id, message_id);
        match kind {
            FileKind::Document => {
                msg["document"] = json!({
                    "file_id": file_id,
                    "file_unique_id": format!("u-{file_id}"),
                    "file_name": input.file_name,
                    "mime_type": mime_for(&input.file_name),
                    "file_size": size,
                });
            }
            FileKind::Photo => {
                msg["photo"] = json!([{
                    "file_id": file_id,
                    "file_unique_id": format!("u-{file_id}"),
                    "width": 800,
                    "height": 600,
                    "file_size": size,
                }]);
            }
        }
        if let Some((text, entities)) = &caption {
            msg["caption"] = json!(text);
            if !entities.is_empty() {
                msg["caption_entities"] = Value::Array(entities.clone());
            }
        }
        if let Some(inline) = &markup.inline {
            msg["reply_markup"] = inline.clone();
        }
        st.reply_to(&mut msg, chat_id, p)?;
        let file = SentFile {
            file_name: input.file_name,
            bytes: input.bytes,
            caption: caption.map(|(text, _)| text),
            file_id,
        };
        let (document, photo) = match kind {
            FileKind::Document => (Some(file), None),
            FileKind::Photo => (None, Some(file)),
        };
        let sent = SentMessage {
            message_id,
            chat_id,
            text: None,
            buttons: markup.buttons,
            document,
            photo,
            edited: false,
            revision: 0,
            deleted: false,
            parse_mode,
            reply_markup: markup.raw,
        };
        Ok(st.store_sent(chat_id, paid, sent, msg))
    }
}

/// An update waiting to be fetched or delivered.
struct Pending {
    /// Unique per queue entry (a redelivered update shares `update_id` with the original).
    seq: u64,
    update_id: i64,
    update: Value,
    /// Queued by [`LocalBotApi::redeliver`] and not yet handed out by `getUpdates`: an offset
    /// past its id does not drop it.
    redelivered: bool,
}

struct Webhook {
    url: String,
    secret: Option<String>,
    max_connections: i64,
}

/// A message the bot sent: what tests see, and the Bot API JSON returned and embedded.
struct Stored {
    sent: SentMessage,
    json: Value,
    /// Its chat's version at its last change (see [`LocalBotApi::chat_version`]).
    version: u64,
}

/// A file `getFile` knows.
struct StoredFile {
    file_name: String,
    bytes: Vec<u8>,
    /// Relative path for `{api_url}/file/bot{token}/{path}`.
    path: String,
}

struct ServerState {
    next_update_id: i64,
    next_message_id: i64,
    next_callback: u64,
    next_file: u64,
    next_seq: u64,
    /// The last [`SentMessage::revision`] given.
    revision: u64,
    /// Pending updates, sorted by `update_id` (stable for equal ids).
    queue: Vec<Pending>,
    /// Every update ever queued, by id, for `redeliver`.
    history: HashMap<i64, Value>,
    messages: Vec<Stored>,
    /// Indexes into `messages` per chat, in sending order.
    by_chat: HashMap<i64, Vec<usize>>,
    /// Per chat, the count of the bot's visible changes there; its receivers wake on each.
    chat_versions: HashMap<i64, watch::Sender<u64>>,
    /// (chat, message id) of messages users sent, which the bot may delete.
    user_messages: HashSet<(i64, i64)>,
    /// `Chat` JSON of chats seen in pushed updates.
    chats: HashMap<i64, Value>,
    blocked: HashSet<i64>,
    strict_chats: bool,
    /// Callback queries not answered yet, and when each was pushed.
    callback_ids: HashMap<String, Instant>,
    /// Recent calls, oldest first, at most [`MAX_RECORDED_CALLS`].
    calls: VecDeque<(String, Value)>,
    failures: HashMap<String, VecDeque<Failure>>,
    /// Chats every call to which fails so ([`LocalBotApi::fail_chat`]).
    failing_chats: HashMap<i64, Failure>,
    chaos: Option<ChaosState>,
    /// Methods whose calls wait for [`LocalBotApi::release`] (true while held).
    held: HashMap<String, tokio::sync::watch::Sender<bool>>,
    rate_limits: Option<RateLimits>,
    chat_sends: HashMap<i64, VecDeque<Instant>>,
    global_sends: VecDeque<Instant>,
    /// Paid broadcasts in the last second.
    paid_sends: VecDeque<Instant>,
    stats: Stats,
    webhook: Option<Webhook>,
    /// (unix time, message) of the last failed webhook delivery.
    webhook_last_error: Option<(i64, String)>,
    /// `setMyCommands` lists by scope and language.
    commands: HashMap<String, Value>,
    files: HashMap<String, StoredFile>,
    /// Bumped by each `getUpdates`; an older long poll that sees a newer one answers 409.
    poll_generation: u64,
}

impl ServerState {
    fn new() -> Self {
        Self {
            next_update_id: 1,
            next_message_id: 1,
            next_callback: 0,
            next_file: 0,
            next_seq: 0,
            revision: 0,
            queue: Vec::new(),
            history: HashMap::new(),
            messages: Vec::new(),
            by_chat: HashMap::new(),
            chat_versions: HashMap::new(),
            user_messages: HashSet::new(),
            chats: HashMap::new(),
            blocked: HashSet::new(),
            strict_chats: true,
            callback_ids: HashMap::new(),
            calls: VecDeque::new(),
            failures: HashMap::new(),
            failing_chats: HashMap::new(),
            chaos: None,
            held: HashMap::new(),
            rate_limits: None,
            chat_sends: HashMap::new(),
            global_sends: VecDeque::new(),
            paid_sends: VecDeque::new(),
            stats: Stats::default(),
            webhook: None,
            webhook_last_error: None,
            commands: HashMap::new(),
            files: HashMap::new(),
            poll_generation: 0,
        }
    }

    fn new_message_id(&mut self) -> i64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    fn see_user(&mut self, user: &TestUser) {
        self.chats.insert(user.id, user.chat_json());
    }

    /// Remembers chats and callback query ids found in a raw update.
    fn remember(&mut self, update: &Value) {
        for kind in ["message", "edited_message", "channel_post"] {
            if let Some(chat) = update.pointer(&format!("/{kind}/chat")) {
                self.remember_chat(chat);
            }
        }
        if let Some(chat) = update.pointer("/my_chat_member/chat") {
            self.remember_chat(chat);
        }
        if let Some(chat) = update.pointer("/callback_query/message/chat") {
            self.remember_chat(chat);
        }
        if let Some(id) = update.pointer("/callback_query/id").and_then(Value::as_str) {
            self.callback_ids.insert(id.to_owned(), Instant::now());
        }
    }

    fn remember_chat(&mut self, chat: &Value) {
        if let Some(id) = chat.get("id").and_then(Value::as_i64) {
            self.chats.insert(id, chat.clone());
        }
    }

    /// Assigns an `update_id` if missing and queues the update; returns its id.
    fn enqueue(&mut self, mut update: Value) -> i64 {
        let id = match update.get("update_id").and_then(Value::as_i64) {
            Some(id) => {
                self.next_update_id = self.next_update_id.max(id + 1);
                id
            }
            None => {
                let id = self.next_update_id;
                self.next_update_id += 1;
                update["update_id"] = json!(id);
                id
            }
        };
        self.history.insert(id, update.clone());
        self.insert_pending(id, update, false);
        id
    }

    fn insert_pending(&mut self, update_id: i64, update: Value, redelivered: bool) {
        self.next_seq += 1;
        let at = self.queue.partition_point(|p| p.update_id <= update_id);
        self.queue.insert(
            at,
            Pending {
                seq: self.next_seq,
                update_id,
                update,
                redelivered,
            },
        );
    }

    /// Applies a `getUpdates` offset: positive confirms (drops) every update with a smaller id
    /// (except redelivered ones not yet handed out); negative keeps only the last `-offset`.
    fn confirm(&mut self, offset: Option<i64>) {
        match offset {
            Some(o) if o > 0 => self.queue.retain(|p| p.update_id >= o || p.redelivered),
            Some(o) if o < 0 => {
                let keep = usize::try_from(o.unsigned_abs()).unwrap_or(usize::MAX);
                let excess = self.queue.len().saturating_sub(keep);
                self.queue.drain(..excess);
            }
            _ => {}
        }
    }

    /// Up to `limit` updates a `getUpdates` with this offset returns, in id order.
    fn take_batch(&mut self, offset: Option<i64>, limit: usize) -> Vec<Value> {
        let floor = offset.filter(|o| *o > 0);
        let mut batch = Vec::new();
        for p in &mut self.queue {
            if batch.len() >= limit {
                break;
            }
            if floor.is_none_or(|o| p.update_id >= o) || p.redelivered {
                p.redelivered = false;
                batch.push(p.update.clone());
            }
        }
        batch
    }

    fn webhook_info(&self) -> Value {
        let mut info = json!({
            "url": self.webhook.as_ref().map(|w| w.url.as_str()).unwrap_or(""),
            "has_custom_certificate": false,
            "pending_update_count": self.queue.len(),
        });
        if let Some(w) = &self.webhook {
            info["max_connections"] = json!(w.max_connections);
            info["ip_address"] = json!("127.0.0.1");
        }
        if let Some((date, message)) = &self.webhook_last_error {
            info["last_error_date"] = json!(date);
            info["last_error_message"] = json!(message);
        }
        info
    }

    fn set_webhook(&mut self, p: &Params) -> Result<Value, ApiErr> {
        let url = p.str("url")?.unwrap_or_default();
        let secret = p.str("secret_token")?.filter(|s| !s.is_empty());
        if let Some(secret) = &secret {
            let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
            if secret.len() > 256 || !secret.chars().all(allowed) {
                return Err(ApiErr::bad_request(
                    "secret token contains unallowed characters",
                ));
            }
        }
        if p.bool("drop_pending_updates")?.unwrap_or(false) {
            self.queue.clear();
        }
        if url.is_empty() {
            self.webhook = None;
            return Ok(json!(true));
        }
        let parsed =
            url::Url::parse(&url).map_err(|e| ApiErr::bad_request(format!("bad webhook: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ApiErr::bad_request(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        }
        self.webhook = Some(Webhook {
            url,
            secret,
            max_connections: p.i64("max_connections")?.unwrap_or(40),
        });
        self.webhook_last_error = None;
        Ok(json!(true))
    }

    fn chat_json(&self, chat_id: i64) -> Value {
        if let Some(chat) = self.chats.get(&chat_id) {
            return chat.clone();
        }
        if chat_id > 0 {
            json!({"id": chat_id, "type": "private", "first_name": format!("User {chat_id}")})
        } else if chat_id <= -1_000_000_000_000 {
            json!({"id": chat_id, "type": "supergroup", "title": format!("Group {chat_id}")})
        } else {
            json!({"id": chat_id, "type": "group", "title": format!("Group {chat_id}")})
        }
    }

    fn base_message(&self, bot: Value, chat_id: i64, message_id: i64) -> Value {
        json!({
            "message_id": message_id,
            "from": bot,
            "chat": self.chat_json(chat_id),
            "date": now_unix(),
        })
    }

    /// Adds `reply_to_message` when `reply_parameters.message_id` (or the old
    /// `reply_to_message_id`) names a known message in this chat.
    fn reply_to(&self, msg: &mut Value, chat_id: i64, p: &Params) -> Result<(), ApiErr> {
        let target = match p.json("reply_parameters")? {
            Some(rp) => rp.get("message_id").and_then(Value::as_i64),
            None => p.i64("reply_to_message_id")?,
        };
        if let Some(target) = target {
            let found = self
                .in_chat(chat_id)
                .find(|m| m.sent.message_id == target)
                .map(|m| m.json.clone())
                .or_else(|| {
                    self.history.values().find_map(|u| {
                        let m = u.get("message")?;
                        let same = m.pointer("/chat/id").and_then(Value::as_i64) == Some(chat_id)
                            && m.get("message_id").and_then(Value::as_i64) == Some(target);
                        same.then(|| m.clone())
                    })
                });
            if let Some(found) = found {
                msg["reply_to_message"] = found;
            }
        }
        Ok(())
    }

    fn store_sent(
        &mut self,
        chat_id: i64,
        paid: bool,
        mut sent: SentMessage,
        json: Value,
    ) -> Value {
        self.record_send(chat_id, paid);
        self.revision += 1;
        sent.revision = self.revision;
        self.stats.sends_accepted += 1;
        self.messages.push(Stored {
            sent,
            json: json.clone(),
            version: 0,
        });
        let index = self.messages.len() - 1;
        self.by_chat.entry(chat_id).or_default().push(index);
        self.mark_changed(index);
        json
    }

    /// The bot's messages to one chat, in sending order.
    fn in_chat(&self, chat_id: i64) -> impl DoubleEndedIterator<Item = &Stored> + '_ {
        self.by_chat
            .get(&chat_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.messages[i])
    }

    fn chat_changes(&mut self, chat_id: i64) -> &watch::Sender<u64> {
        self.chat_versions
            .entry(chat_id)
            .or_insert_with(|| watch::channel(0).0)
    }

    fn chat_version(&self, chat_id: i64) -> u64 {
        self.chat_versions
            .get(&chat_id)
            .map_or(0, |versions| *versions.borrow())
    }

    /// Counts a visible change of the bot message at `index` (sent, edited or deleted) in its
    /// chat's version, stamps the message with it and wakes that chat's waiters.
    fn mark_changed(&mut self, index: usize) {
        let chat_id = self.messages[index].sent.chat_id;
        let mut version = 0;
        self.chat_changes(chat_id).send_modify(|v| {
            *v += 1;
            version = *v;
        });
        self.messages[index].version = version;
    }

    fn register_file(&mut self, file_id: &str, file_name: &str, bytes: Option<Vec<u8>>) {
        if bytes.is_none() && self.files.contains_key(file_id) {
            return;
        }
        let n = self.files.len() + 1;
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, ext)| format!(".{ext}"))
            .filter(|ext| ext.len() <= 8 && ext[1..].chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or_default();
        self.files.insert(
            file_id.to_owned(),
            StoredFile {
                file_name: file_name.to_owned(),
                bytes: bytes.unwrap_or_default(),
                path: format!("documents/file_{n}{ext}"),
            },
        );
    }

    fn check_sendable(&self, chat_id: i64) -> Result<(), ApiErr> {
        if self.blocked.contains(&chat_id) {
            return Err(ApiErr::new(403, "Forbidden: bot was blocked by the user"));
        }
        if self.strict_chats && !self.chats.contains_key(&chat_id) {
            return Err(if chat_id > 0 {
                ApiErr::new(
                    403,
                    "Forbidden: bot can't initiate conversation with a user",
                )
            } else {
                ApiErr::bad_request("chat not found")
            });
        }
        Ok(())
    }

    /// Flood control: errors with 429 (and counts it) when a send would exceed a limit.
    fn check_rate(&mut self, chat_id: i64, paid: bool) -> Result<(), ApiErr> {
        let now = Instant::now();
        let second = Duration::from_secs(1);
        let minute = Duration::from_secs(60);
        for window in [&mut self.global_sends, &mut self.paid_sends] {
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= second)
            {
                window.pop_front();
            }
        }
        let chat = self.chat_sends.entry(chat_id).or_default();
        while chat
            .front()
            .is_some_and(|t| now.duration_since(*t) >= minute)
        {
            chat.pop_front();
        }
        let Some(limits) = self.rate_limits else {
            return Ok(());
        };
        let retry_after = |oldest: Instant, window: Duration| {
            let left = window.saturating_sub(now.duration_since(oldest));
            u32::try_from(left.as_millis().div_ceil(1000))
                .unwrap_or(u32::MAX)
                .max(1)
        };
        let last_second: Vec<Instant> = chat
            .iter()
            .copied()
            .filter(|t| now.duration_since(*t) < second)
            .collect();
        let mut verdict = None;
        let over_chat = last_second.len() >= limits.per_chat_per_second as usize
            || (chat_id < 0 && chat.len() >= limits.per_group_per_minute as usize);
        if last_second.len() >= limits.per_chat_per_second as usize {
            verdict = last_second
                .first()
                .map(|t| retry_after(*t, second))
                .or(Some(1));
        } else if chat_id < 0 && chat.len() >= limits.per_group_per_minute as usize {
            verdict = chat.front().map(|t| retry_after(*t, minute)).or(Some(1));
        } else {
            let (window, limit) = if paid {
                (&self.paid_sends, limits.paid_broadcast_per_second)
            } else {
                (&self.global_sends, limits.global_per_second)
            };
            if window.len() >= limit as usize {
                verdict = window.front().map(|t| retry_after(*t, second)).or(Some(1));
            }
        }
        match verdict {
            Some(secs) => {
                self.stats.too_many_requests += 1;
                self.stats.over_limits += 1;
                if over_chat {
                    self.stats.over_chat_limits += 1;
                }
                Err(ApiErr::too_many(secs))
            }
            None => Ok(()),
        }
    }

    /// Counts an error answered on purpose.
    fn count_injected(&mut self, err: &ApiErr) {
        match err.code {
            429 => {
                self.stats.too_many_requests += 1;
                self.stats.injected.too_many_requests += 1;
            }
            403 => self.stats.injected.forbidden += 1,
            500.. => self.stats.injected.server_errors += 1,
            _ => {}
        }
    }

    fn record_send(&mut self, chat_id: i64, paid: bool) {
        let now = Instant::now();
        if paid {
            self.paid_sends.push_back(now);
            self.stats.paid_broadcasts += 1;
        } else {
            self.global_sends.push_back(now);
        }
        self.chat_sends.entry(chat_id).or_default().push_back(now);
    }

    /// The index of the live bot message an edit or delete names, or 400 with `missing`.
    fn find_message(&mut self, p: &Params, missing: &str) -> Result<usize, ApiErr> {
        let chat_id = p.chat_id()?;
        let message_id = p
            .i64("message_id")?
            .ok_or_else(|| ApiErr::bad_request("message identifier is not specified"))?;
        self.check_sendable(chat_id)?;
        self.by_chat
            .get(&chat_id)
            .into_iter()
            .flatten()
            .copied()
            .find(|&i| {
                let m = &self.messages[i].sent;
                m.message_id == message_id && !m.deleted
            })
            .ok_or_else(|| ApiErr::bad_request(missing))
    }

    /// Counts an accepted edit of the message at `index`; returns its JSON.
    fn edited(&mut self, index: usize, json: Value) -> Value {
        self.stats.edits_accepted += 1;
        self.mark_changed(index);
        json
    }

    fn edit_text(&mut self, p: &Params) -> Result<Value, ApiErr> {
        if p.get("inline_message_id").is_some() {
            return Ok(json!(true));
        }
        let parse_mode = p.str("parse_mode")?.filter(|s| !s.is_empty());
        let raw = p.str("text")?.unwrap_or_default();
        let (text, entities) = format_text(&raw, parse_mode.as_deref(), p.json("entities")?)?;
        if text.trim().is_empty() {
            return Err(ApiErr::bad_request("message text is empty"));
        }
        if utf16_len(&text) > MAX_TEXT_LEN {
            return Err(ApiErr::bad_request("message is too long"));
        }
        let markup = Markup::parse(p.json("reply_markup")?)?;
        self.revision += 1;
        let revision = self.revision;
        let index = self.find_message(p, "message to edit not found")?;
        let m = &mut self.messages[index];
        if m.sent.text.is_none() {
            return Err(ApiErr::bad_request(
                "there is no text in the message to edit",
            ));
        }
        let same_text = m.sent.text.as_deref() == Some(text.as_str())
            && m.json.get("entities").cloned().unwrap_or_else(|| json!([])) == json!(entities);
        if same_text && m.json.get("reply_markup") == markup.inline.as_ref() {
            return Err(not_modified());
        }
        m.json["text"] = json!(text);
        set_or_remove(&mut m.json, "entities", non_empty(entities));
        m.sent.text = Some(text);
        m.sent.parse_mode = parse_mode;
        let json = apply_edit(m, markup, revision);
        Ok(self.edited(index, json))
    }

    fn edit_markup(&mut self, p: &Params) -> Result<Value, ApiErr> {
        if p.get("inline_message_id").is_some() {
            return Ok(json!(true));
        }
        let markup = Markup::parse(p.json("reply_markup")?)?;
        self.revision += 1;
        let revision = self.revision;
        let index = self.find_message(p, "message to edit not found")?;
        let m = &mut self.messages[index];
        if m.json.get("reply_markup") == markup.inline.as_ref() {
            return Err(not_modified());
        }
        let json = apply_edit(m, markup, revision);
        Ok(self.edited(index, json))
    }

    fn edit_caption(&mut self, p: &Params) -> Result<Value, ApiErr> {
        if p.get("inline_message_id").is_some() {
            return Ok(json!(true));
        }
        let parse_mode = p.str("parse_mode")?.filter(|s| !s.is_empty());
        let raw = p.str("caption")?.unwrap_or_default();
        let (caption, entities) =
            format_text(&raw, parse_mode.as_deref(), p.json("caption_entities")?)?;
        if utf16_len(&caption) > MAX_CAPTION_LEN {
            return Err(ApiErr::bad_request("message caption is too long"));
        }
        let markup = Markup::parse(p.json("reply_markup")?)?;
        self.revision += 1;
        let revision = self.revision;
        let index = self.find_message(p, "message to edit not found")?;
        let m = &mut self.messages[index];
        let Some(file) = m.sent.document.as_mut().or(m.sent.photo.as_mut()) else {
            return Err(ApiErr::bad_request(
                "there is no caption in the message to edit",
            ));
        };
        let new_caption = (!caption.is_empty()).then_some(caption);
        let same = file.caption == new_caption
            && m.json
                .get("caption_entities")
                .cloned()
                .unwrap_or_else(|| json!([]))
                == json!(entities)
            && m.json.get("reply_markup") == markup.inline.as_ref();
        if same {
            return Err(not_modified());
        }
        file.caption.clone_from(&new_caption);
        set_or_remove(&mut m.json, "caption", new_caption.map(Value::String));
        set_or_remove(&mut m.json, "caption_entities", non_empty(entities));
        m.sent.parse_mode = parse_mode;
        let json = apply_edit(m, markup, revision);
        Ok(self.edited(index, json))
    }

    fn delete_message(&mut self, p: &Params) -> Result<Value, ApiErr> {
        let chat_id = p.chat_id()?;
        let message_id = p
            .i64("message_id")?
            .ok_or_else(|| ApiErr::bad_request("message identifier is not specified"))?;
        if self.user_messages.remove(&(chat_id, message_id)) {
            return Ok(json!(true));
        }
        let index = self.find_message(p, "message to delete not found")?;
        self.messages[index].sent.deleted = true;
        self.mark_changed(index);
        Ok(json!(true))
    }
}

/// Sets the new markup and the edit marks; returns the message JSON.
fn apply_edit(m: &mut Stored, markup: Markup, revision: u64) -> Value {
    m.sent.revision = revision;
    set_or_remove(&mut m.json, "reply_markup", markup.inline);
    m.json["edit_date"] = json!(now_unix());
    m.sent.buttons = markup.buttons;
    m.sent.reply_markup = markup.raw;
    m.sent.edited = true;
    m.json.clone()
}

fn set_or_remove(obj: &mut Value, key: &str, value: Option<Value>) {
    if let Some(map) = obj.as_object_mut() {
        match value {
            Some(v) => {
                map.insert(key.to_owned(), v);
            }
            None => {
                map.remove(key);
            }
        }
    }
}

fn non_empty(entities: Vec<Value>) -> Option<Value> {
    (!entities.is_empty()).then_some(Value::Array(entities))
}

fn not_modified() -> ApiErr {
    ApiErr::bad_request(
        "message is not modified: specified new message content and reply markup are exactly \
         the same as a current content and reply markup of the message",
    )
}

fn conflict_webhook() -> ApiErr {
    ApiErr::new(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to \
         delete the webhook first",
    )
}

/// `sendDocument` or `sendPhoto`.
#[derive(Clone, Copy)]
enum FileKind {
    Document,
    Photo,
}

impl FileKind {
    fn field(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Photo => "photo",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Self::Document => "DOC",
            Self::Photo => "PHOTO",
        }
    }
}

/// What becomes of a call before it is handled: answered after `delay`, with `error` instead
/// of its result if set.
#[derive(Default)]
struct Fate {
    delay: Duration,
    error: Option<ApiErr>,
}

impl Fate {
    fn fail(error: ApiErr) -> Self {
        Self {
            delay: Duration::ZERO,
            error: Some(error),
        }
    }
}

/// A Bot API error, turned into an `{"ok":false,…}` envelope.
#[derive(Clone, Debug)]
struct ApiErr {
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

impl ApiErr {
    fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    fn bad_request(message: impl std::fmt::Display) -> Self {
        Self::new(400, format!("Bad Request: {message}"))
    }

    fn too_many(retry_after: u32) -> Self {
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }
}

impl From<&Failure> for ApiErr {
    fn from(failure: &Failure) -> Self {
        match failure {
            Failure::TooManyRequests { retry_after } => Self::too_many(*retry_after),
            Failure::Forbidden(description) => Self::new(403, description.clone()),
            Failure::ServerError(code) => {
                let reason = StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Internal Server Error");
                Self::new(*code, reason)
            }
        }
    }
}

fn envelope(result: Result<Value, ApiErr>) -> Response {
    match result {
        Ok(value) => json_response(StatusCode::OK, &json!({"ok": true, "result": value})),
        Err(err) => {
            let mut body = json!({
                "ok": false,
                "error_code": err.code,
                "description": err.description,
            });
            if let Some(secs) = err.retry_after {
                body["parameters"] = json!({ "retry_after": secs });
            }
            let status = StatusCode::from_u16(err.code).unwrap_or(StatusCode::BAD_REQUEST);
            json_response(status, &body)
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The single HTTP handler: `/bot{token}/{method}` and `/file/bot{token}/{path}`.
async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let segments: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    match segments.as_slice() {
        [file, token, path @ ..] if file == "file" && !path.is_empty() => {
            serve_file(&shared, token, &path.join("/"))
        }
        [token, method] if token.starts_with("bot") => {
            if token.strip_prefix("bot") != Some(shared.token.as_str()) {
                return envelope(Err(ApiErr::new(401, "Unauthorized")));
            }
            let method = method.to_ascii_lowercase();
            let params = match read_params(req).await {
                Ok(params) => params,
                Err(message) => return envelope(Err(ApiErr::bad_request(message))),
            };
            envelope(shared.call(&method, params).await)
        }
        _ => envelope(Err(ApiErr::new(404, "Not Found"))),
    }
}

fn serve_file(shared: &Shared, token: &str, path: &str) -> Response {
    if token.strip_prefix("bot") != Some(shared.token.as_str()) {
        return envelope(Err(ApiErr::new(401, "Unauthorized")));
    }
    let st = shared.lock();
    match st.files.values().find(|f| f.path == path) {
        Some(file) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mime_for(&file.file_name))],
            Body::from(file.bytes.clone()),
        )
            .into_response(),
        None => envelope(Err(ApiErr::new(404, "Not Found"))),
    }
}

/// Request parameters from the query string and a JSON, form or multipart body.
#[derive(Default)]
struct Params {
    fields: Map<String, Value>,
    /// Multipart parts that carried a file name, by part name.
    files: HashMap<String, Upload>,
}

struct Upload {
    file_name: String,
    bytes: Vec<u8>,
}

/// A file named by a `document`/`photo` parameter.
struct InputFile {
    file_name: String,
    bytes: Vec<u8>,
    /// Uploaded in this request (as opposed to named by `file_id` or URL).
    uploaded: bool,
    /// The `file_id` it was sent by, when it names a known file.
    existing_id: Option<String>,
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
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            match file_name {
                Some(file_name) => {
                    params.files.insert(
                        name,
                        Upload {
                            file_name,
                            bytes: bytes.to_vec(),
                        },
                    );
                }
                None => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    params.fields.insert(name, Value::String(text));
                }
            }
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

impl Params {
    /// A present, non-null parameter.
    fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key).filter(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Result<Option<String>, ApiErr> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ApiErr::bad_request(format!(
                "field \"{key}\" must be of type String"
            ))),
        }
    }

    fn i64(&self, key: &str) -> Result<Option<i64>, ApiErr> {
        let invalid = || ApiErr::bad_request(format!("field \"{key}\" must be of type Integer"));
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ApiErr> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if matches!(s.as_str(), "true" | "True" | "1") => Ok(Some(true)),
            Some(Value::String(s)) if matches!(s.as_str(), "false" | "False" | "0" | "") => {
                Ok(Some(false))
            }
            Some(_) => Err(ApiErr::bad_request(format!(
                "field \"{key}\" must be of type Boolean"
            ))),
        }
    }

    /// A JSON-typed parameter; in multipart and forms it arrives as a JSON string.
    fn json(&self, key: &str) -> Result<Option<Value>, ApiErr> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| ApiErr::bad_request(format!("can't parse {key} JSON object"))),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    fn chat_id(&self) -> Result<i64, ApiErr> {
        match self.get("chat_id") {
            None => Err(ApiErr::bad_request("chat_id is empty")),
            Some(Value::Number(n)) => n
                .as_i64()
                .ok_or_else(|| ApiErr::bad_request("chat not found")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map_err(|_| ApiErr::bad_request("chat not found")),
            Some(_) => Err(ApiErr::bad_request("chat not found")),
        }
    }

    fn commands_key(&self) -> Result<String, ApiErr> {
        let scope = self
            .json("scope")?
            .unwrap_or_else(|| json!({"type": "default"}));
        let lang = self.str("language_code")?.unwrap_or_default();
        Ok(commands_key(&scope, &lang))
    }

    /// The file a `document`/`photo` parameter names: `attach://part`, a part with that name,
    /// or a `file_id`/URL string.
    fn input_file(&self, field: &str, st: &ServerState) -> Result<Option<InputFile>, ApiErr> {
        let from_upload = |upload: &Upload| InputFile {
            file_name: upload.file_name.clone(),
            bytes: upload.bytes.clone(),
            uploaded: true,
            existing_id: None,
        };
        if let Some(value) = self.str(field)? {
            if let Some(part) = value.strip_prefix("attach://") {
                return self
                    .files
                    .get(part)
                    .map(from_upload)
                    .map(Some)
                    .ok_or_else(|| {
                        ApiErr::bad_request(format!("can't find attached file \"{part}\""))
                    });
            }
            if let Some(known) = st.files.get(&value) {
                return Ok(Some(InputFile {
                    file_name: known.file_name.clone(),
                    bytes: known.bytes.clone(),
                    uploaded: false,
                    existing_id: Some(value),
                }));
            }
            return Ok(Some(InputFile {
                file_name: value,
                bytes: Vec::new(),
                uploaded: false,
                existing_id: None,
            }));
        }
        Ok(self.files.get(field).map(from_upload))
    }

    /// The parameters as recorded for [`LocalBotApi::calls`].
    fn summary(&self) -> Value {
        let mut fields = self.fields.clone();
        for (part, upload) in &self.files {
            let described = json!({"file_name": upload.file_name, "size": upload.bytes.len()});
            let attach = format!("attach://{part}");
            let referring: Vec<String> = fields
                .iter()
                .filter(|(_, v)| v.as_str() == Some(attach.as_str()))
                .map(|(k, _)| k.clone())
                .collect();
            if referring.is_empty() {
                fields.insert(part.clone(), described);
            } else {
                for key in referring {
                    fields.insert(key, described.clone());
                }
            }
        }
        Value::Object(fields)
    }
}

fn commands_key(scope: &Value, lang: &str) -> String {
    format!("{scope}|{lang}")
}

fn validate_commands(commands: &Value) -> Result<(), ApiErr> {
    let list = commands
        .as_array()
        .ok_or_else(|| ApiErr::bad_request("can't parse commands JSON object"))?;
    if list.len() > 100 {
        return Err(ApiErr::bad_request("too many commands"));
    }
    for command in list {
        let name = command.get("command").and_then(Value::as_str).unwrap_or("");
        let name_ok = (1..=32).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(ApiErr::bad_request("BOT_COMMAND_INVALID"));
        }
        let description = command
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiErr::bad_request("command description is empty"));
        }
    }
    Ok(())
}

/// A parsed `reply_markup`.
#[derive(Default)]
struct Markup {
    /// As sent.
    raw: Option<Value>,
    /// `{"inline_keyboard": …}` to echo in the message, when a non-empty inline keyboard.
    inline: Option<Value>,
    buttons: Vec<Vec<Button>>,
}

impl Markup {
    fn parse(raw: Option<Value>) -> Result<Self, ApiErr> {
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        let obj = raw
            .as_object()
            .ok_or_else(|| ApiErr::bad_request("can't parse reply keyboard markup JSON object"))?;
        let mut markup = Self::default();
        if let Some(keyboard) = obj.get("inline_keyboard") {
            let rows = keyboard.as_array().ok_or_else(|| {
                ApiErr::bad_request(
                    "field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array",
                )
            })?;
            for row in rows {
                let row = row.as_array().ok_or_else(|| {
                    ApiErr::bad_request(
                        "field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array \
                         of Arrays",
                    )
                })?;
                let buttons = row
                    .iter()
                    .map(parse_button)
                    .collect::<Result<Vec<_>, _>>()?;
                if !buttons.is_empty() {
                    markup.buttons.push(buttons);
                }
            }
            if markup.buttons.iter().map(Vec::len).sum::<usize>() > MAX_BUTTONS {
                return Err(ApiErr::bad_request("REPLY_MARKUP_TOO_LONG"));
            }
            if markup
                .buttons
                .iter()
                .any(|row| row.len() > MAX_BUTTONS_PER_ROW)
            {
                return Err(ApiErr::bad_request("BUTTON_ROWS_TOO_WIDE"));
            }
            if !markup.buttons.is_empty() {
                markup.inline = Some(json!({ "inline_keyboard": rows }));
            }
        }
        markup.raw = Some(raw);
        Ok(markup)
    }
}

fn parse_button(button: &Value) -> Result<Button, ApiErr> {
    const ACTIONS: &[&str] = &[
        "callback_data",
        "url",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "callback_game",
        "pay",
        "web_app",
        "copy_text",
    ];
    let text = button
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiErr::bad_request("can't parse inline keyboard button: Text is empty"))?;
    if !ACTIONS.iter().any(|a| button.get(*a).is_some()) {
        return Err(ApiErr::bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ));
    }
    let callback_data = button
        .get("callback_data")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(data) = &callback_data
        && !(1..=MAX_CALLBACK_DATA).contains(&data.len())
    {
        return Err(ApiErr::bad_request("BUTTON_DATA_INVALID"));
    }
    let url = button.get("url").and_then(Value::as_str).map(str::to_owned);
    if let Some(u) = &url
        && url::Url::parse(u).is_err()
    {
        return Err(ApiErr::bad_request(format!(
            "inline keyboard button URL '{u}' is invalid: Wrong HTTP URL"
        )));
    }
    Ok(Button {
        text: text.to_owned(),
        callback_data,
        url,
    })
}

/// Background task: POSTs pending updates to the webhook, one at a time, in queue order,
/// retrying with backoff until a 2xx.
async fn deliver_webhooks(shared: Arc<Shared>) {
    let client = match teloxide::net::default_reqwest_settings()
        .no_proxy()
        .timeout(WEBHOOK_TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(%err, "local Bot API: cannot build the webhook HTTP client");
            return;
        }
    };
    let mut backoff = WEBHOOK_MIN_BACKOFF;
    loop {
        let mut rx = shared.changed.subscribe();
        let job = {
            let st = shared.lock();
            match (&st.webhook, st.queue.first()) {
                (Some(hook), Some(pending)) => Some((
                    hook.url.clone(),
                    hook.secret.clone(),
                    pending.seq,
                    pending.update.to_string(),
                )),
                _ => None,
            }
        };
        let Some((url, secret, seq, body)) = job else {
            tokio::select! {
                _ = rx.changed() => continue,
                () = shared.shutdown.cancelled() => return,
            }
        };
        let mut request = client
            .post(url.as_str())
            .header("content-type", "application/json")
            .body(body);
        if let Some(secret) = &secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret.as_str());
        }
        let outcome = tokio::select! {
            res = request.send() => match res {
                Ok(resp) if resp.status().is_success() => Ok(()),
                Ok(resp) => Err(format!("Wrong response from the webhook: {}", resp.status())),
                Err(err) => Err(format!("Connection failed: {err}")),
            },
            () = shared.shutdown.cancelled() => return,
        };
        match outcome {
            Ok(()) => {
                {
                    let mut st = shared.lock();
                    st.queue.retain(|p| p.seq != seq);
                    st.stats.webhook_deliveries += 1;
                }
                shared.notify();
                backoff = WEBHOOK_MIN_BACKOFF;
            }
            Err(message) => {
                tracing::debug!(%url, %message, "local Bot API: webhook delivery failed");
                {
                    let mut st = shared.lock();
                    st.webhook_last_error = Some((now_unix(), message));
                    st.stats.webhook_failures += 1;
                }
                shared.notify();
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shared.shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(WEBHOOK_MAX_BACKOFF);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text formatting: what Telegram does with `parse_mode`.
// ---------------------------------------------------------------------------------------------

/// Text under construction, with entity offsets in UTF-16 code units as the Bot API counts.
#[derive(Default)]
struct Formatted {
    text: String,
    utf16: usize,
    entities: Vec<Value>,
}

impl Formatted {
    fn push(&mut self, c: char) {
        self.text.push(c);
        self.utf16 += c.len_utf16();
    }

    /// Adds an entity from `start` to here (dropped when empty, as Telegram does).
    fn entity(&mut self, kind: &str, start: usize, extra: Option<(&'static str, Value)>) {
        self.entity_to(kind, start, self.utf16, extra);
    }

    fn entity_to(
        &mut self,
        kind: &str,
        start: usize,
        end: usize,
        extra: Option<(&'static str, Value)>,
    ) {
        if end > start {
            let mut entity = json!({"type": kind, "offset": start, "length": end - start});
            if let Some((key, value)) = extra {
                entity[key] = value;
            }
            self.entities.push(entity);
        }
    }

    fn finish(mut self) -> (String, Vec<Value>) {
        let key = |e: &Value| {
            let offset = e.get("offset").and_then(Value::as_u64).unwrap_or(0);
            let length = e.get("length").and_then(Value::as_u64).unwrap_or(0);
            (offset, std::cmp::Reverse(length))
        };
        self.entities.sort_by_key(key);
        (self.text, self.entities)
    }
}

/// Applies `parse_mode` (HTML, MarkdownV2, Markdown) or takes explicit entities.
fn format_text(
    raw: &str,
    parse_mode: Option<&str>,
    entities: Option<Value>,
) -> Result<(String, Vec<Value>), ApiErr> {
    let parsed = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None => {
            let entities = match entities {
                Some(Value::Array(list)) => list,
                _ => Vec::new(),
            };
            return Ok((raw.to_owned(), entities));
        }
        Some("html") => parse_html(raw),
        Some("markdownv2") => parse_markdown_v2(raw),
        Some("markdown") => parse_markdown_legacy(raw),
        Some(_) => return Err(ApiErr::bad_request("unsupported parse_mode")),
    };
    parsed.map_err(|e| ApiErr::bad_request(format!("can't parse entities: {e}")))
}

/// Telegram's HTML style: `<b>`, `<i>`, `<u>`, `<s>`, `<tg-spoiler>`, `<a href>`, `<code>`,
/// `<pre>`, `<blockquote>` and their aliases; `&lt; &gt; &amp; &quot;` and numeric entities.
fn parse_html(s: &str) -> Result<(String, Vec<Value>), String> {
    struct Open {
        tag: String,
        kind: Option<&'static str>,
        start: usize,
        extra: Option<(&'static str, Value)>,
    }
    let mut out = Formatted::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if rest.starts_with('<') {
            let Some(close) = rest.find('>') else {
                return Err(format!("Unclosed start tag at byte offset {i}"));
            };
            let inner = &rest[1..close];
            if let Some(name) = inner.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                match stack.pop() {
                    Some(open) if open.tag == name => {
                        if let Some(kind) = open.kind {
                            out.entity(kind, open.start, open.extra);
                        }
                    }
                    Some(open) => {
                        return Err(format!(
                            "Can't find end tag corresponding to start tag \"{}\"",
                            open.tag
                        ));
                    }
                    None => return Err(format!("Unexpected end tag at byte offset {i}")),
                }
            } else {
                let (name, attrs) = split_tag(inner);
                let attr = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                let (kind, extra): (Option<&'static str>, Option<(&'static str, Value)>) =
                    match name.as_str() {
                        "b" | "strong" => (Some("bold"), None),
                        "i" | "em" => (Some("italic"), None),
                        "u" | "ins" => (Some("underline"), None),
                        "s" | "strike" | "del" => (Some("strikethrough"), None),
                        "tg-spoiler" => (Some("spoiler"), None),
                        "span" if attr("class").as_deref() == Some("tg-spoiler") => {
                            (Some("spoiler"), None)
                        }
                        "a" => match attr("href") {
                            Some(href) if url::Url::parse(&href).is_ok() => {
                                (Some("text_link"), Some(("url", Value::String(href))))
                            }
                            _ => (None, None),
                        },
                        "code" => {
                            let language = attr("class")
                                .and_then(|c| c.strip_prefix("language-").map(str::to_owned));
                            match (language, stack.last_mut()) {
                                (Some(lang), Some(pre))
                                    if pre.tag == "pre" && pre.extra.is_none() =>
                                {
                                    pre.extra = Some(("language", Value::String(lang)));
                                    (None, None)
                                }
                                _ => (Some("code"), None),
                            }
                        }
                        "pre" => (Some("pre"), None),
                        "blockquote" if attrs.iter().any(|(k, _)| k == "expandable") => {
                            (Some("expandable_blockquote"), None)
                        }
                        "blockquote" => (Some("blockquote"), None),
                        "tg-emoji" => (None, None),
                        _ => {
                            return Err(format!(
                                "Unsupported start tag \"{name}\" at byte offset {i}"
                            ));
                        }
                    };
                stack.push(Open {
                    tag: name,
                    kind,
                    start: out.utf16,
                    extra,
                });
            }
            i += close + 1;
        } else if rest.starts_with('&') {
            match html_entity(rest) {
                Some((c, used)) => {
                    out.push(c);
                    i += used;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            }
        } else {
            let Some(c) = rest.chars().next() else { break };
            out.push(c);
            i += c.len_utf8();
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.tag
        ));
    }
    Ok(out.finish())
}

/// Splits `name attr="v" flag` into a lowercase name and (key, decoded value) pairs.
fn split_tag(inner: &str) -> (String, Vec<(String, String)>) {
    let inner = inner.trim().trim_end_matches('/');
    let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut rest = inner[name_end..].trim_start();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, remaining) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    (&body[..end], body.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = decode_html_entities(raw);
            rest = remaining.trim_start();
        }
        if key.is_empty() {
            break;
        }
        attrs.push((key, value));
    }
    (name, attrs)
}

fn decode_html_entities(s: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if let Some((c, used)) = rest.starts_with('&').then(|| html_entity(rest)).flatten() {
            out.push(c);
            i += used;
        } else if let Some(c) = rest.chars().next() {
            out.push(c);
            i += c.len_utf8();
        } else {
            break;
        }
    }
    out
}

/// Decodes the HTML entity at the start of `s` (which starts with `&`): (char, bytes used).
fn html_entity(s: &str) -> Option<(char, usize)> {
    let semi = s.get(..12.min(s.len()))?.find(';')?;
    let name = &s[1..semi];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let code =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    name.strip_prefix('#')?.parse().ok()?
                };
            char::from_u32(code)?
        }
    };
    Some((c, semi + 1))
}

/// Name Telegram uses for an entity kind in MarkdownV2 errors.
fn entity_error_name(kind: &str) -> &'static str {
    match kind {
        "bold" => "Bold",
        "italic" => "Italic",
        "underline" => "Underline",
        "strikethrough" => "Strikethrough",
        "spoiler" => "Spoiler",
        "text_link" => "TextUrl",
        _ => "",
    }
}

/// Telegram's MarkdownV2: `*bold* _italic_ __underline__ ~strike~ ||spoiler|| `code`
/// ```pre``` [text](url)`, `>` quotes at line start; every other `_*[]()~`>#+-=|{}.!` must be
/// escaped with `\`.
fn parse_markdown_v2(s: &str) -> Result<(String, Vec<Value>), String> {
    const RESERVED: &str = "_*[]()~`>#+-=|{}.!";
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let mut out = Formatted::default();
    // (marker, kind, start in UTF-16, byte offset in the source)
    let mut stack: Vec<(&'static str, &'static str, usize, usize)> = Vec::new();
    let mut quote_start: Option<usize> = None;
    let mut line_start = true;
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        if line_start {
            line_start = false;
            if c == '>' {
                quote_start.get_or_insert(out.utf16);
                k += 1;
                continue;
            }
            if let Some(start) = quote_start.take() {
                // The quote ended with the previous line, before its '\n'.
                let end = out.utf16.saturating_sub(1);
                out.entity_to("blockquote", start, end, None);
            }
        }
        let mut toggle = |out: &mut Formatted, marker: &'static str, kind: &'static str| {
            if let Some(idx) = stack.iter().rposition(|e| e.0 == marker) {
                let (_, kind, start, _) = stack.remove(idx);
                out.entity(kind, start, None);
            } else {
                stack.push((marker, kind, out.utf16, pos));
            }
        };
        match c {
            '\\' => match at(k + 1) {
                Some(next) if (1..=126).contains(&u32::from(next)) => {
                    out.push(next);
                    k += 2;
                }
                _ => {
                    return Err(
                        "Character '\\' is reserved and must be escaped with the preceding '\\'"
                            .to_owned(),
                    );
                }
            },
            '`' if at(k + 1) == Some('`') && at(k + 2) == Some('`') => {
                k += 3;
                let mut language = String::new();
                let header_end = chars[k..].iter().position(|&(_, c)| c == '\n');
                let closing = s[chars.get(k).map_or(s.len(), |&(p, _)| p)..].find("```");
                if let (Some(nl), Some(close)) = (header_end, closing) {
                    let header_bytes: usize =
                        chars[k..k + nl].iter().map(|(_, c)| c.len_utf8()).sum();
                    if header_bytes < close {
                        language = chars[k..k + nl].iter().map(|&(_, c)| c).collect();
                        k += nl + 1;
                    }
                }
                let start = out.utf16;
                loop {
                    match at(k) {
                        None => {
                            return Err(format!(
                                "Can't find end of PreCode entity at byte offset {pos}"
                            ));
                        }
                        Some('\\') if at(k + 1).is_some() => {
                            if let Some(next) = at(k + 1) {
                                out.push(next);
                            }
                            k += 2;
                        }
                        Some('`') if at(k + 1) == Some('`') && at(k + 2) == Some('`') => {
                            k += 3;
                            break;
                        }
                        Some(c) => {
                            out.push(c);
                            k += 1;
                        }
                    }
                }
                let extra =
                    (!language.trim().is_empty()).then(|| ("language", json!(language.trim())));
                out.entity("pre", start, extra);
            }
            '`' => {
                k += 1;
                let start = out.utf16;
                loop {
                    match at(k) {
                        None => {
                            return Err(format!(
                                "Can't find end of Code entity at byte offset {pos}"
                            ));
                        }
                        Some('\\') if at(k + 1).is_some() => {
                            if let Some(next) = at(k + 1) {
                                out.push(next);
                            }
                            k += 2;
                        }
                        Some('`') => {
                            k += 1;
                            break;
                        }
                        Some(c) => {
                            out.push(c);
                            k += 1;
                        }
                    }
                }
                out.entity("code", start, None);
            }
            '*' => {
                toggle(&mut out, "*", "bold");
                k += 1;
            }
            '_' if at(k + 1) == Some('_') => {
                toggle(&mut out, "__", "underline");
                k += 2;
            }
            '_' => {
                toggle(&mut out, "_", "italic");
                k += 1;
            }
            '~' => {
                toggle(&mut out, "~", "strikethrough");
                k += 1;
            }
            '|' if at(k + 1) == Some('|') => {
                toggle(&mut out, "||", "spoiler");
                k += 2;
            }
            '[' => {
                stack.push(("[", "text_link", out.utf16, pos));
                k += 1;
            }
            ']' if stack.last().is_some_and(|e| e.0 == "[") => {
                let Some((_, _, start, open_pos)) = stack.pop() else {
                    break;
                };
                if at(k + 1) != Some('(') {
                    return Err(format!(
                        "Can't find end of TextUrl entity at byte offset {open_pos}"
                    ));
                }
                k += 2;
                let mut url = String::new();
                loop {
                    match at(k) {
                        None => {
                            return Err(format!(
                                "Can't find end of a URL at byte offset {open_pos}"
                            ));
                        }
                        Some('\\') if at(k + 1).is_some() => {
                            if let Some(next) = at(k + 1) {
                                url.push(next);
                            }
                            k += 2;
                        }
                        Some(')') => {
                            k += 1;
                            break;
                        }
                        Some(c) => {
                            url.push(c);
                            k += 1;
                        }
                    }
                }
                if url::Url::parse(&url).is_ok() {
                    out.entity("text_link", start, Some(("url", Value::String(url))));
                }
            }
            '\n' => {
                out.push('\n');
                line_start = true;
                k += 1;
            }
            c if RESERVED.contains(c) => {
                return Err(format!(
                    "Character '{c}' is reserved and must be escaped with the preceding '\\'"
                ));
            }
            c => {
                out.push(c);
                k += 1;
            }
        }
    }
    if let Some(start) = quote_start {
        out.entity("blockquote", start, None);
    }
    if let Some((_, kind, _, pos)) = stack.first() {
        return Err(format!(
            "Can't find end of {} entity at byte offset {pos}",
            entity_error_name(kind)
        ));
    }
    Ok(out.finish())
}

/// Telegram's legacy Markdown: `*bold* _italic_ `code` ```pre``` [text](url)`, no nesting;
/// `\` escapes `_*`[`.
fn parse_markdown_legacy(s: &str) -> Result<(String, Vec<Value>), String> {
    let mut out = Formatted::default();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let Some(c) = rest.chars().next() else { break };
        match c {
            '\\' if rest[1..].starts_with(['_', '*', '`', '[']) => {
                out.push(rest[1..].chars().next().unwrap_or('\\'));
                i += 2;
            }
            '*' | '_' => {
                let Some(end) = rest[1..].find(c) else {
                    return Err(format!(
                        "Can't find end of the entity starting at byte offset {i}"
                    ));
                };
                let start = out.utf16;
                rest[1..=end].chars().for_each(|ch| out.push(ch));
                out.entity(if c == '*' { "bold" } else { "italic" }, start, None);
                i += end + 2;
            }
            '`' if rest.starts_with("```") => {
                let Some(end) = rest[3..].find("```") else {
                    return Err(format!(
                        "Can't find end of the entity starting at byte offset {i}"
                    ));
                };
                let mut body = &rest[3..3 + end];
                let mut extra = None;
                if let Some((first, tail)) = body.split_once('\n')
                    && !first.is_empty()
                    && !first.contains(char::is_whitespace)
                {
                    extra = Some(("language", json!(first)));
                    body = tail;
                }
                let start = out.utf16;
                body.chars().for_each(|ch| out.push(ch));
                out.entity("pre", start, extra);
                i += end + 6;
            }
            '`' => {
                let Some(end) = rest[1..].find('`') else {
                    return Err(format!(
                        "Can't find end of the entity starting at byte offset {i}"
                    ));
                };
                let start = out.utf16;
                rest[1..=end].chars().for_each(|ch| out.push(ch));
                out.entity("code", start, None);
                i += end + 2;
            }
            '[' => {
                let parsed = rest[1..].find(']').and_then(|close| {
                    let after = &rest[close + 2..];
                    let url_end = after.strip_prefix('(')?.find(')')?;
                    Some((close, &after[1..=url_end], close + 2 + url_end + 2))
                });
                let Some((close, url, used)) = parsed else {
                    return Err(format!(
                        "Can't find end of the entity starting at byte offset {i}"
                    ));
                };
                let start = out.utf16;
                rest[1..=close].chars().for_each(|ch| out.push(ch));
                if url::Url::parse(url).is_ok() {
                    out.entity("text_link", start, Some(("url", json!(url))));
                }
                i += used;
            }
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Ok(out.finish())
}

// ---------------------------------------------------------------------------------------------
// Small helpers.
// ---------------------------------------------------------------------------------------------

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The bot's user id: the token's numeric prefix, else a stable stand-in.
fn bot_id_from_token(token: &str) -> i64 {
    token
        .split_once(':')
        .and_then(|(id, _)| id.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .unwrap_or(1)
}

/// A `bot_command` entity for a leading `/command` (up to the first whitespace).
fn command_entity(text: &str) -> Option<Value> {
    let command = text.split(char::is_whitespace).next()?;
    let name = command.strip_prefix('/')?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
    valid.then(|| json!({"type": "bot_command", "offset": 0, "length": utf16_len(command)}))
}

fn mime_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// Decodes `%XX` escapes in a path segment (invalid escapes are kept as they are).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One line describing a sent message, for timeout errors.
fn describe_message(m: &SentMessage) -> String {
    if let Some(text) = &m.text {
        return text.clone();
    }
    if let Some(doc) = &m.document {
        return format!("[document {}]", doc.file_name);
    }
    if let Some(photo) = &m.photo {
        return format!("[photo {}]", photo.file_name);
    }
    "[message]".to_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::Router;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use serde_json::{Value, json};
    use teloxide::net::Download;
    use teloxide::payloads::setters::*;
    use teloxide::prelude::Requester;
    use teloxide::types::{
        ChatId, ChatMemberKind, FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
        MaybeInaccessibleMessage, MessageEntityKind, MessageId, ParseMode, Update, UpdateKind,
    };
    use teloxide::{ApiError, RequestError};
    use tokio::sync::mpsc;

    use super::*;

    const WAIT: Duration = Duration::from_secs(2);

    /// A server for tests of everything but who may be written to: any chat may be.
    async fn server() -> LocalBotApi {
        let api = LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .expect("local Bot API starts");
        api.set_strict_chats(false);
        api
    }

    #[tokio::test]
    async fn refuses_what_telegram_refuses_strangers_keyboards_and_late_answers() {
        let api = LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .unwrap();
        let bot = api.bot();
        // A bot cannot start a conversation: not with someone who never wrote to it.
        let err = bot.send_message(ChatId(77), "Chào").await.unwrap_err();
        assert!(
            err.to_string().contains("can't initiate conversation"),
            "{err}"
        );
        api.know(&TestUser::new(77, "Mai"));
        bot.send_message(ChatId(77), "Chào").await.unwrap();
        // 100 buttons at most, 8 in a row.
        let button = |i: usize| InlineKeyboardButton::callback(format!("{i}"), format!("{i}"));
        let rows = |per_row: usize, n: usize| {
            InlineKeyboardMarkup::new(
                (0..n)
                    .collect::<Vec<_>>()
                    .chunks(per_row)
                    .map(|c| c.iter().map(|&i| button(i)).collect::<Vec<_>>()),
            )
        };
        for (markup, error) in [
            (rows(8, 101), "REPLY_MARKUP_TOO_LONG"),
            (rows(9, 9), "BUTTON_ROWS_TOO_WIDE"),
        ] {
            let err = bot
                .send_message(ChatId(77), "Chọn")
                .reply_markup(markup)
                .await
                .unwrap_err();
            assert!(err.to_string().contains(error), "{err}");
        }
        bot.send_message(ChatId(77), "Chọn")
            .reply_markup(rows(8, 100))
            .await
            .unwrap();
        // A callback query is answered once, with 200 characters at most.
        let mai = TestUser::new(77, "Mai");
        api.push_callback(&mai, 1, "x");
        let Some(UpdateKind::CallbackQuery(q)) =
            api.pending_updates().last().map(|u| update(u).kind)
        else {
            panic!("callback")
        };
        let long = "ạ".repeat(201);
        assert!(
            bot.answer_callback_query(q.id.clone())
                .text(long)
                .await
                .is_err()
        );
        bot.answer_callback_query(q.id.clone())
            .text("ạ".repeat(200))
            .await
            .unwrap();
        let again = bot.answer_callback_query(q.id).await.unwrap_err();
        assert!(again.to_string().contains("query is too old"), "{again}");
    }

    fn lan() -> TestUser {
        TestUser::new(1001, "Lan").with_language("vi")
    }

    /// Parses an update like teloxide does, failing loudly where teloxide would silently yield
    /// `UpdateKind::Error`.
    fn update(value: &Value) -> Update {
        // From text, as teloxide does: `Update` fails on `from_value` (its deserializer borrows
        // map keys), so `from_value::<Update>` is not a usable check.
        let parsed: Update = serde_json::from_str(&value.to_string()).expect("teloxide parses it");
        if let UpdateKind::Error(_) = parsed.kind {
            for (key, inner) in value.as_object().unwrap() {
                let err = match key.as_str() {
                    "message" => serde_json::from_value::<teloxide::types::Message>(inner.clone())
                        .err()
                        .map(|e| e.to_string()),
                    "callback_query" => {
                        serde_json::from_value::<teloxide::types::CallbackQuery>(inner.clone())
                            .err()
                            .map(|e| e.to_string())
                    }
                    "my_chat_member" => {
                        serde_json::from_value::<teloxide::types::ChatMemberUpdated>(inner.clone())
                            .err()
                            .map(|e| e.to_string())
                    }
                    _ => None,
                };
                if let Some(err) = err {
                    panic!("teloxide cannot parse {key}: {err}\n{value:#}");
                }
            }
            panic!("teloxide cannot parse the update: {value:#}");
        }
        parsed
    }

    fn keyboard() -> InlineKeyboardMarkup {
        InlineKeyboardMarkup::new([
            vec![
                InlineKeyboardButton::callback("Có", "yes:1"),
                InlineKeyboardButton::callback("Không", "no:1"),
            ],
            vec![InlineKeyboardButton::url(
                "Trang",
                "https://example.org/help".parse().unwrap(),
            )],
        ])
    }

    #[tokio::test]
    async fn updates_deserialize_into_teloxide_types() {
        let api = server().await;
        let bot = api.bot();
        let lan = lan();
        let sent = bot
            .send_message(ChatId(lan.id), "Báo cáo tháng?")
            .reply_markup(keyboard())
            .await
            .unwrap();

        let text_id = api.push_text(&lan, "xin chào");
        let command_id = api.push_text(&lan, "/start abc");
        let callback_id = api.push_callback(&lan, i64::from(sent.id.0), "yes:1");
        let unknown_callback_id = api.push_callback(&lan, 999, "stale");
        let photo_id = api.push_photo(&lan, "photo-1", Some("ảnh"));
        let blocked_id = api.push_blocked(&lan);
        assert_eq!(
            [
                text_id,
                command_id,
                callback_id,
                unknown_callback_id,
                photo_id,
                blocked_id
            ],
            [1, 2, 3, 4, 5, 6]
        );
        let pending = api.pending_updates();
        assert_eq!(pending.len(), 6);

        let u = update(&pending[0]);
        assert_eq!(u.id.0, 1);
        let UpdateKind::Message(m) = u.kind else {
            panic!("text: {:?}", u.kind)
        };
        assert_eq!(m.text(), Some("xin chào"));
        assert_eq!(m.chat.id, ChatId(1001));
        assert!(m.chat.is_private());
        let from = m.from.as_ref().unwrap();
        assert_eq!(from.first_name, "Lan");
        assert!(!from.is_bot);
        assert_eq!(from.language_code.as_deref(), Some("vi"));
        assert!(m.date.timestamp() > 1_600_000_000);
        assert!(m.id.0 > sent.id.0, "message ids rise across bot and users");

        let UpdateKind::Message(m) = update(&pending[1]).kind else {
            panic!("command")
        };
        let entities = m.entities().unwrap();
        assert_eq!(entities[0].kind, MessageEntityKind::BotCommand);
        assert_eq!((entities[0].offset, entities[0].length), (0, 6));

        let UpdateKind::CallbackQuery(q) = update(&pending[2]).kind else {
            panic!("callback")
        };
        assert_eq!(q.data.as_deref(), Some("yes:1"));
        assert_eq!(q.from.id.0, 1001);
        let Some(MaybeInaccessibleMessage::Regular(msg)) = &q.message else {
            panic!("callback message: {:?}", q.message)
        };
        assert_eq!(msg.id, sent.id);
        assert_eq!(msg.text(), Some("Báo cáo tháng?"));
        assert_eq!(msg.reply_markup().unwrap().inline_keyboard[0].len(), 2);
        assert!(msg.from.as_ref().unwrap().is_bot);
        let UpdateKind::CallbackQuery(q) = update(&pending[3]).kind else {
            panic!("callback on unknown message")
        };
        assert_eq!(q.message.unwrap().id(), MessageId(999));

        let UpdateKind::Message(m) = update(&pending[4]).kind else {
            panic!("photo")
        };
        let sizes = m.photo().unwrap();
        assert_eq!(sizes.len(), 2);
        assert_eq!(sizes.last().unwrap().file.id.0, "photo-1");
        assert_eq!(m.caption(), Some("ảnh"));

        let UpdateKind::MyChatMember(change) = update(&pending[5]).kind else {
            panic!("my_chat_member")
        };
        assert_eq!(change.chat.id, ChatId(1001));
        assert!(matches!(
            change.new_chat_member.kind,
            ChatMemberKind::Banned(_)
        ));
        assert!(matches!(
            change.old_chat_member.kind,
            ChatMemberKind::Member(_)
        ));
        assert_eq!(change.new_chat_member.user.id.0, api.bot_id() as u64);

        let stored = api.message_json(lan.id, i64::from(sent.id.0)).unwrap();
        let message: teloxide::types::Message = serde_json::from_value(stored).unwrap();
        assert_eq!(message.text(), Some("Báo cáo tháng?"));

        let doc = api.push_document(&lan, "bao-cao.xlsx", b"PK..".to_vec(), None);
        let UpdateKind::Message(m) = update(api.pending_updates().last().unwrap()).kind else {
            panic!("document {doc}")
        };
        assert_eq!(
            m.document().unwrap().file_name.as_deref(),
            Some("bao-cao.xlsx")
        );
    }

    #[tokio::test]
    async fn teloxide_sends_keyboard_edits_and_reads_me() {
        let api = server().await;
        let bot = teloxide::Bot::new(api.token()).set_api_url(api.api_url());
        let me = bot.get_me().await.unwrap();
        assert_eq!(me.username(), "chihoi_bot");
        assert_eq!(me.user.id.0, 123_456);
        assert!(me.user.is_bot);

        let msg = bot
            .send_message(ChatId(7), "Chọn")
            .reply_markup(keyboard())
            .await
            .unwrap();
        let sent = api.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].message_id, i64::from(msg.id.0));
        assert_eq!(sent[0].text.as_deref(), Some("Chọn"));
        assert_eq!(sent[0].button_texts(), ["Có", "Không", "Trang"]);
        assert_eq!(sent[0].buttons[0][1].callback_data.as_deref(), Some("no:1"));
        assert_eq!(
            sent[0].button("Trang").unwrap().url.as_deref(),
            Some("https://example.org/help")
        );
        assert_eq!(api.calls("sendMessage")[0]["chat_id"], json!(7));

        // editMessageText without reply_markup drops the keyboard, like Telegram.
        let edited = bot
            .edit_message_text(ChatId(7), msg.id, "Đã chọn")
            .await
            .unwrap();
        assert_eq!(edited.text(), Some("Đã chọn"));
        assert!(edited.edit_date().is_some());
        let now = api.sent_to(7);
        assert!(now[0].edited);
        assert!(now[0].buttons.is_empty());
        let again = bot.edit_message_text(ChatId(7), msg.id, "Đã chọn").await;
        assert!(
            matches!(again, Err(RequestError::Api(ApiError::MessageNotModified))),
            "{again:?}"
        );
        bot.edit_message_reply_markup(ChatId(7), msg.id)
            .reply_markup(keyboard())
            .await
            .unwrap();
        assert_eq!(api.sent_to(7)[0].buttons.len(), 2);
        bot.delete_message(ChatId(7), msg.id).await.unwrap();
        assert!(api.sent_to(7)[0].deleted);

        // HTML is parsed like Telegram does; bad HTML is refused.
        let html = bot
            .send_message(
                ChatId(7),
                "<b>Xin chào</b> &amp; <a href=\"https://x.org\">link</a>",
            )
            .parse_mode(ParseMode::Html)
            .await
            .unwrap();
        assert_eq!(html.text(), Some("Xin chào & link"));
        let kinds: Vec<_> = html
            .entities()
            .unwrap()
            .iter()
            .map(|e| e.kind.clone())
            .collect();
        assert_eq!(kinds[0], MessageEntityKind::Bold);
        assert!(matches!(kinds[1], MessageEntityKind::TextLink { .. }));
        let bad = bot
            .send_message(ChatId(7), "a<br>b")
            .parse_mode(ParseMode::Html)
            .await;
        assert!(
            matches!(&bad, Err(RequestError::Api(ApiError::CantParseEntities(d))) if d.contains("Unsupported start tag \"br\"")),
            "{bad:?}"
        );
        let md = bot
            .send_message(ChatId(7), "Hạn nộp: 5.")
            .parse_mode(ParseMode::MarkdownV2)
            .await;
        assert!(
            matches!(&md, Err(RequestError::Api(ApiError::CantParseEntities(d))) if d.contains("Character '.' is reserved")),
            "{md:?}"
        );
        let md = bot
            .send_message(ChatId(7), "*Hạn* nộp: 5\\.")
            .parse_mode(ParseMode::MarkdownV2)
            .await
            .unwrap();
        assert_eq!(md.text(), Some("Hạn nộp: 5."));

        let too_long = bot.send_message(ChatId(7), "x".repeat(4097)).await;
        assert!(
            matches!(too_long, Err(RequestError::Api(ApiError::MessageIsTooLong))),
            "{too_long:?}"
        );
        let long_data =
            InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("x", "d".repeat(65))]]);
        let bad_button = bot
            .send_message(ChatId(7), "x")
            .reply_markup(long_data)
            .await;
        assert!(
            matches!(
                bad_button,
                Err(RequestError::Api(ApiError::ButtonDataInvalid))
            ),
            "{bad_button:?}"
        );
    }

    #[tokio::test]
    async fn failures_map_to_teloxide_errors_and_recover() {
        let api = server().await;
        let bot = api.bot();
        api.fail_next(
            "sendMessage",
            Failure::TooManyRequests { retry_after: 7 },
            1,
        );
        api.fail_next(
            "SENDMESSAGE",
            Failure::Forbidden("Forbidden: bot was blocked by the user".into()),
            1,
        );
        let first = bot.send_message(ChatId(5), "a").await;
        assert!(
            matches!(first, Err(RequestError::RetryAfter(s)) if s.seconds() == 7),
            "{first:?}"
        );
        let second = bot.send_message(ChatId(5), "b").await;
        assert!(
            matches!(second, Err(RequestError::Api(ApiError::BotBlocked))),
            "{second:?}"
        );
        bot.send_message(ChatId(5), "c").await.unwrap();
        assert_eq!(api.sent_to(5).len(), 1);
        let stats = api.stats();
        assert_eq!(stats.too_many_requests, 1);
        assert_eq!(stats.sends_accepted, 1);
        assert_eq!(stats.calls_of("SendMessage"), 3);
        assert_eq!(api.calls("sendmessage").len(), 3);

        // A user who blocked the bot: 403 until they write again.
        let lan = lan();
        api.push_blocked(&lan);
        let blocked = bot.send_message(ChatId(lan.id), "x").await;
        assert!(matches!(
            blocked,
            Err(RequestError::Api(ApiError::BotBlocked))
        ));
        api.push_text(&lan, "/start");
        bot.send_message(ChatId(lan.id), "chào lại").await.unwrap();

        // Wrong token, unknown method, unknown callback query.
        let wrong = teloxide::Bot::new("1:WRONG").set_api_url(api.api_url());
        let err = wrong.get_me().await;
        assert!(
            matches!(err, Err(RequestError::Api(ApiError::InvalidToken))),
            "{err:?}"
        );
        let client = teloxide::net::default_reqwest_settings()
            .no_proxy()
            .build()
            .unwrap();
        let resp = client
            .post(format!("{}bot{}/FlyToTheMoon", api.api_url(), api.token()))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404);
        let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
        );
        let resp = client
            .post(format!("{}bot{}/sendMessage", api.api_url(), api.token()))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        let unknown = bot
            .answer_callback_query(teloxide::types::CallbackQueryId("nope".into()))
            .await;
        assert!(unknown.is_err());
        api.push_callback(&lan, 1, "x");
        let Some(UpdateKind::CallbackQuery(q)) =
            api.pending_updates().last().map(|u| update(u).kind)
        else {
            panic!("callback")
        };
        bot.answer_callback_query(q.id).text("ok").await.unwrap();
        assert_eq!(
            api.calls("answerCallbackQuery").last().unwrap()["text"],
            "ok"
        );
    }

    #[tokio::test]
    async fn get_updates_confirms_by_offset_and_redelivers() {
        let api = server().await;
        let bot = api.bot();
        let lan = lan();
        api.push_text(&lan, "một");
        api.push_text(&lan, "hai");
        let updates = bot.get_updates().await.unwrap();
        assert_eq!(updates.iter().map(|u| u.id.0).collect::<Vec<_>>(), [1, 2]);
        // Not confirmed yet: returned again.
        assert_eq!(bot.get_updates().offset(1).await.unwrap().len(), 2);
        assert_eq!(bot.get_updates().offset(2).await.unwrap().len(), 1);
        assert!(bot.get_updates().offset(3).await.unwrap().is_empty());
        api.wait_until_consumed(WAIT).await.unwrap();

        api.redeliver(1);
        let again = bot.get_updates().offset(3).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].id.0, 1);
        let UpdateKind::Message(m) = &again[0].kind else {
            panic!()
        };
        assert_eq!(m.text(), Some("một"));
        assert!(bot.get_updates().offset(2).await.unwrap().is_empty());
        api.wait_until_consumed(WAIT).await.unwrap();

        // A long poll returns at the cap when nothing comes, and early when something does.
        let started = tokio::time::Instant::now();
        assert!(
            bot.get_updates()
                .offset(3)
                .timeout(30)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        let poll = tokio::spawn({
            let bot = bot.clone();
            async move { bot.get_updates().offset(3).timeout(30).await }
        });
        api.push_text(&lan, "ba");
        let got = poll.await.unwrap().unwrap();
        assert_eq!(got[0].id.0, 3);
        // Negative offset keeps only the newest update.
        api.push_text(&lan, "bốn");
        let last = bot.get_updates().offset(-1).await.unwrap();
        assert_eq!(last.iter().map(|u| u.id.0).collect::<Vec<_>>(), [4]);
    }

    #[tokio::test]
    async fn teloxide_dispatcher_polls_replies_and_stops_quickly() {
        use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
        use teloxide::types::Message;

        let api = server().await;
        let lan = lan();
        api.push_text(&lan, "/start");
        api.push_text(&lan, "hello");
        let handler =
            Update::filter_message().endpoint(|bot: teloxide::Bot, msg: Message| async move {
                let reply = format!("echo: {}", msg.text().unwrap_or_default());
                bot.send_message(msg.chat.id, reply).await?;
                teloxide::respond(())
            });
        let mut dispatcher = Dispatcher::builder(api.bot(), handler).build();
        let stop = dispatcher.shutdown_token();
        let running = tokio::spawn(async move { dispatcher.dispatch().await });

        let sent = api.wait_for_sent(lan.id, 2, WAIT).await.unwrap();
        let texts: Vec<_> = sent.iter().map(|m| m.text.clone().unwrap()).collect();
        assert_eq!(texts, ["echo: /start", "echo: hello"]);
        api.push_text(&lan, "ba");
        api.wait_for_sent(lan.id, 3, WAIT).await.unwrap();
        api.wait_until_consumed(WAIT).await.unwrap();

        let started = tokio::time::Instant::now();
        // The token is only ready once the dispatcher has started; it has, since it replied.
        stop.shutdown().expect("dispatcher is running").await;
        running.await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(api.stats().calls_of("getMe") >= 1);
        assert_eq!(api.calls("getUpdates")[0]["timeout"], json!(10));
    }

    #[derive(Clone, Default)]
    struct Receiver {
        attempts: Arc<std::sync::atomic::AtomicUsize>,
        got: Option<mpsc::UnboundedSender<(Option<String>, Value)>>,
    }

    async fn hook(
        State(rx): State<Receiver>,
        headers: HeaderMap,
        body: axum::Json<Value>,
    ) -> StatusCode {
        let attempt = rx
            .attempts
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if attempt == 0 {
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        let secret = headers
            .get("x-telegram-bot-api-secret-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(tx) = &rx.got {
            tx.send((secret, body.0)).unwrap();
        }
        StatusCode::OK
    }

    #[tokio::test]
    async fn webhook_delivers_with_secret_and_retries() {
        let api = server().await;
        let bot = api.bot();
        let (tx, mut got) = mpsc::unbounded_channel();
        let receiver = Receiver {
            attempts: Arc::default(),
            got: Some(tx),
        };
        let attempts = Arc::clone(&receiver.attempts);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(receiver);
        let receiver_task = tokio::spawn(async move { axum::serve(listener, app).await });

        bot.set_webhook(hook_url.parse().unwrap())
            .secret_token("s3cr3t-token_1".to_owned())
            .await
            .unwrap();
        let info = bot.get_webhook_info().await.unwrap();
        assert_eq!(info.url.unwrap().as_str(), hook_url);
        let polling = bot.get_updates().await;
        assert!(polling.is_err(), "getUpdates conflicts with a webhook");

        let lan = lan();
        let id = api.push_text(&lan, "qua webhook");
        let (secret, body) = tokio::time::timeout(WAIT, got.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(secret.as_deref(), Some("s3cr3t-token_1"));
        assert_eq!(body["update_id"], json!(id));
        assert_eq!(update(&body).id.0, 1);
        api.wait_until_consumed(WAIT).await.unwrap();
        assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 2);
        let stats = api.stats();
        assert_eq!((stats.webhook_failures, stats.webhook_deliveries), (1, 1));
        let info = bot.get_webhook_info().await.unwrap();
        assert_eq!(info.pending_update_count, 0);
        assert!(info.last_error_message.unwrap().contains("500"));

        // Redelivery sends the same update again.
        api.redeliver(id);
        let (_, again) = tokio::time::timeout(WAIT, got.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, body);

        bot.delete_webhook().await.unwrap();
        assert!(api.webhook_url().is_none());
        assert!(bot.get_updates().await.unwrap().is_empty());
        receiver_task.abort();
    }

    #[tokio::test]
    async fn teloxide_webhook_listener_receives_pushed_updates() {
        use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
        use teloxide::error_handlers::LoggingErrorHandler;
        use teloxide::types::Message;
        use teloxide::update_listeners::webhooks::{Options, axum_to_router};

        let api = server().await;
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let url = format!("http://{addr}/telegram").parse().unwrap();
        // teloxide calls setWebhook (multipart, with a generated secret) and checks the header.
        let (listener, stop_flag, router) = axum_to_router(api.bot(), Options::new(addr, url))
            .await
            .unwrap();
        assert!(api.webhook_url().unwrap().ends_with("/telegram"));
        assert!(api.calls("setWebhook")[0]["secret_token"].is_string());
        let server = tokio::spawn(async move {
            axum::serve(socket, router)
                .with_graceful_shutdown(stop_flag)
                .await
        });
        let handler =
            Update::filter_message().endpoint(|bot: teloxide::Bot, msg: Message| async move {
                bot.send_message(msg.chat.id, "đã nhận").await?;
                teloxide::respond(())
            });
        let mut dispatcher = Dispatcher::builder(api.bot(), handler).build();
        let stop = dispatcher.shutdown_token();
        let running = tokio::spawn(async move {
            dispatcher
                .dispatch_with_listener(listener, LoggingErrorHandler::new())
                .await
        });
        let lan = lan();
        api.push_text(&lan, "báo cáo");
        let sent = api.wait_for_sent(lan.id, 1, WAIT).await.unwrap();
        assert_eq!(sent[0].text.as_deref(), Some("đã nhận"));
        api.wait_until_consumed(WAIT).await.unwrap();
        assert_eq!(api.stats().webhook_failures, 0);

        stop.shutdown().expect("dispatcher is running").await;
        running.await.unwrap();
        // Stopping the listener deletes the webhook.
        tokio::time::timeout(WAIT, server)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(api.webhook_url().is_none());
    }

    #[tokio::test]
    async fn rate_limits_answer_429_and_count() {
        let api = server().await;
        let bot = api.bot();
        api.set_rate_limits(Some(RateLimits::default()));
        bot.send_message(ChatId(9), "một").await.unwrap();
        let second = bot.send_message(ChatId(9), "hai").await;
        assert!(
            matches!(second, Err(RequestError::RetryAfter(s)) if s.seconds() == 1),
            "{second:?}"
        );
        // Another chat is not limited by chat 9's window.
        bot.send_message(ChatId(10), "ba").await.unwrap();
        let stats = api.stats();
        assert_eq!(stats.sends_accepted, 2);
        assert_eq!(stats.too_many_requests, 1);

        api.set_rate_limits(Some(RateLimits {
            per_chat_per_second: 100,
            global_per_second: 100,
            per_group_per_minute: 2,
            ..RateLimits::default()
        }));
        bot.send_message(ChatId(-100), "a").await.unwrap();
        bot.send_message(ChatId(-100), "b").await.unwrap();
        let third = bot.send_message(ChatId(-100), "c").await;
        assert!(
            matches!(third, Err(RequestError::RetryAfter(s)) if (59..=60).contains(&s.seconds())),
            "{third:?}"
        );
        api.set_rate_limits(None);
        bot.send_message(ChatId(-100), "d").await.unwrap();
        assert_eq!(api.stats().too_many_requests, 2);
    }

    /// Status codes of `n` sendMessage calls to chats 1..=n (so no chat's limit bites), posted
    /// one after another without teloxide (which sleeps 10 s after a 5xx).
    async fn statuses_of_sends(api: &LocalBotApi, n: i64) -> Vec<u16> {
        let client = teloxide::net::default_reqwest_settings()
            .no_proxy()
            .build()
            .unwrap();
        let url = format!("{}bot{}/sendMessage", api.api_url(), api.token());
        let mut codes = Vec::new();
        for chat in 1..=n {
            let resp = client
                .post(&url)
                .json(&json!({"chat_id": chat, "text": "chào"}))
                .send()
                .await
                .unwrap();
            codes.push(resp.status().as_u16());
        }
        codes
    }

    #[tokio::test]
    async fn chaos_fails_and_slows_calls_as_its_seed_says_counted_apart_from_the_limits() {
        let chaos = Chaos {
            seed: 7,
            too_many_requests: 0.2,
            server_error: 0.1,
            slow: 0.3,
            slow_by: Duration::from_millis(20),
            ..Chaos::default()
        };
        let api = server().await;
        api.set_chaos(Some(chaos.clone()));
        let codes = statuses_of_sends(&api, 200).await;
        let count = |code| codes.iter().filter(|c| **c == code).count() as u64;
        let (ok, throttled, broken) = (count(200), count(429), count(502));
        assert_eq!(ok + throttled + broken, 200, "{codes:?}");
        assert!((20..=60).contains(&throttled), "{throttled} × 429");
        assert!((8..=35).contains(&broken), "{broken} × 502");
        let stats = api.stats();
        assert_eq!(stats.injected.too_many_requests, throttled);
        assert_eq!(stats.injected.server_errors, broken);
        assert!((30..=90).contains(&stats.injected.slow), "{stats:?}");
        assert_eq!(stats.too_many_requests, throttled);
        assert_eq!(stats.over_limits, 0);
        // A failed call changes nothing.
        assert_eq!(stats.sends_accepted, ok);
        assert_eq!(api.sent().len() as u64, ok);
        // Methods not named are left alone.
        let bot = api.bot();
        for _ in 0..20 {
            bot.get_me().await.unwrap();
        }

        // The same seed, the same fates, call by call; turned off, none.
        let again = server().await;
        again.set_chaos(Some(chaos));
        assert_eq!(statuses_of_sends(&again, 200).await, codes);
        again.set_chaos(None);
        assert!(
            statuses_of_sends(&again, 20)
                .await
                .iter()
                .all(|c| *c == 200)
        );

        // A random 429 reaches teloxide as a RetryAfter of `retry_after`.
        api.set_chaos(Some(Chaos {
            too_many_requests: 1.0,
            retry_after: 1,
            ..Chaos::default()
        }));
        let refused = bot.send_message(ChatId(500), "x").await;
        assert!(
            matches!(refused, Err(RequestError::RetryAfter(s)) if s.seconds() == 1),
            "{refused:?}"
        );
        api.set_chaos(None);

        // Sends past the limits are counted apart from what was injected. The sends above still
        // count in the windows (as documented): on a fast machine they all fall within the last
        // second, so the limits are turned on once it has passed.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        api.set_rate_limits(Some(RateLimits::default()));
        bot.send_message(ChatId(600), "một").await.unwrap();
        let over = bot.send_message(ChatId(600), "hai").await;
        assert!(matches!(over, Err(RequestError::RetryAfter(_))), "{over:?}");
        let stats = api.stats();
        assert_eq!(stats.over_limits, 1);
        assert_eq!(stats.over_chat_limits, 1, "the second in a chat's second");
        assert_eq!(stats.injected.too_many_requests, throttled + 1);
        assert_eq!(stats.too_many_requests, throttled + 2);
    }

    #[tokio::test]
    async fn a_failing_chat_answers_its_failure_to_every_call_until_lifted() {
        let api = server().await;
        let bot = api.bot();
        let lan = lan();
        let sent = bot.send_message(ChatId(lan.id), "Câu 1").await.unwrap();
        api.fail_chat(
            lan.id,
            Some(Failure::Forbidden(
                "Forbidden: bot was blocked by the user".into(),
            )),
        );
        // No update tells the bot, and her writing does not lift it.
        api.push_text(&lan, "xin chào");
        let blocked = bot.send_message(ChatId(lan.id), "x").await;
        assert!(
            matches!(blocked, Err(RequestError::Api(ApiError::BotBlocked))),
            "{blocked:?}"
        );
        let edit = bot
            .edit_message_text(ChatId(lan.id), sent.id, "Câu 2")
            .await;
        assert!(
            matches!(edit, Err(RequestError::Api(ApiError::BotBlocked))),
            "{edit:?}"
        );
        // Other chats are not touched.
        bot.send_message(ChatId(2002), "y").await.unwrap();
        assert_eq!(api.stats().injected.forbidden, 2);

        api.fail_chat(lan.id, None);
        bot.send_message(ChatId(lan.id), "z").await.unwrap();
        assert_eq!(api.sent_to(lan.id).len(), 2);
    }

    #[tokio::test]
    async fn chat_versions_count_sends_edits_and_deletions_chat_by_chat() {
        let api = server().await;
        let bot = api.bot();
        assert_eq!(api.chat_version(7), 0);
        let first = bot
            .send_message(ChatId(7), "Câu 1")
            .reply_markup(keyboard())
            .await
            .unwrap();
        bot.send_message(ChatId(8), "Chị khác").await.unwrap();
        assert_eq!(api.chat_version(7), 1);
        assert_eq!(api.chat_version(8), 1);

        // A waiter wakes on an edit of the tapped message, not only on a new message.
        let waiting = api.wait_for_change(7, 1, WAIT);
        let edit = async {
            bot.edit_message_text(ChatId(7), first.id, "Câu 2")
                .reply_markup(keyboard())
                .await
                .unwrap()
        };
        let (changes, _) = tokio::join!(waiting, edit);
        let changes = changes.unwrap();
        assert_eq!(changes.version, 2);
        assert_eq!(changes.messages.len(), 1);
        assert_eq!(changes.messages[0].text.as_deref(), Some("Câu 2"));
        assert!(changes.messages[0].edited);

        // A refused edit ("message is not modified") changes nothing.
        let same = bot
            .edit_message_text(ChatId(7), first.id, "Câu 2")
            .reply_markup(keyboard())
            .await;
        assert!(
            matches!(same, Err(RequestError::Api(ApiError::MessageNotModified))),
            "{same:?}"
        );
        assert_eq!(api.chat_version(7), 2);

        // A new message, then the first deleted: both after version 2, latest change last.
        let second = bot.send_message(ChatId(7), "Câu 3").await.unwrap();
        bot.delete_message(ChatId(7), first.id).await.unwrap();
        let since = api.changed_since(7, 2);
        assert_eq!(since.version, 4);
        let ids: Vec<i64> = since.messages.iter().map(|m| m.message_id).collect();
        assert_eq!(ids, [i64::from(second.id.0), i64::from(first.id.0)]);
        assert!(since.messages[1].deleted);
        assert!(api.changed_since(7, 4).messages.is_empty());

        // Nothing moved chat 8; waiting on it times out saying what it holds.
        let err = api
            .wait_for_change(8, 1, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(err.state.contains("Chị khác"), "{err}");
        let stats = api.stats();
        assert_eq!(stats.sends_accepted, 3);
        assert_eq!(stats.edits_accepted, 1);
    }

    #[tokio::test]
    async fn files_upload_download_and_wait() {
        let api = server().await;
        let bot = api.bot();
        let lan = lan();
        let waiter = tokio::spawn({
            let bot = bot.clone();
            async move {
                bot.send_document(
                    ChatId(1001),
                    InputFile::memory(b"a,b\n1,2\n".to_vec()).file_name("bao-cao.csv"),
                )
                .caption("<b>Báo cáo</b>")
                .parse_mode(ParseMode::Html)
                .await
            }
        });
        let sent = api.wait_for_sent(lan.id, 1, WAIT).await.unwrap();
        let msg = waiter.await.unwrap().unwrap();
        let doc = sent[0].document.as_ref().unwrap();
        assert_eq!(doc.file_name, "bao-cao.csv");
        assert_eq!(doc.bytes, b"a,b\n1,2\n");
        assert_eq!(doc.caption.as_deref(), Some("Báo cáo"));
        assert_eq!(msg.document().unwrap().file.id.0, doc.file_id);
        assert_eq!(msg.caption(), Some("Báo cáo"));
        let recorded = &api.calls("sendDocument")[0];
        assert_eq!(recorded["chat_id"], json!("1001"));
        assert_eq!(
            recorded["document"],
            json!({"file_name": "bao-cao.csv", "size": 8})
        );

        bot.send_photo(ChatId(1001), InputFile::file_id(FileId("photo-xyz".into())))
            .await
            .unwrap();
        let photo = api.sent_to(1001)[1].photo.clone().unwrap();
        assert_eq!(photo.file_name, "photo-xyz");
        assert!(photo.bytes.is_empty());
        let empty = bot
            .send_document(
                ChatId(1001),
                InputFile::memory(Vec::new()).file_name("x.txt"),
            )
            .await;
        assert!(empty.is_err());

        // A user's upload can be fetched with getFile and downloaded.
        api.push_document(
            &lan,
            "bao-cao.xlsx",
            b"PK\x03\x04xlsx".to_vec(),
            Some("tháng 5"),
        );
        let UpdateKind::Message(m) = update(api.pending_updates().last().unwrap()).kind else {
            panic!("document")
        };
        let file = bot
            .get_file(m.document().unwrap().file.id.clone())
            .await
            .unwrap();
        let mut bytes = Vec::new();
        bot.download_file(&file.path, &mut bytes).await.unwrap();
        assert_eq!(bytes, b"PK\x03\x04xlsx");

        let timeout = api
            .wait_for_sent(lan.id, 5, Duration::from_millis(50))
            .await;
        let err = timeout.unwrap_err();
        assert!(err.to_string().contains("2 sent"), "{err}");

        bot.set_my_commands([teloxide::types::BotCommand::new("start", "Bắt đầu")])
            .await
            .unwrap();
        assert_eq!(bot.get_my_commands().await.unwrap()[0].command, "start");
        assert_eq!(api.my_commands()[0]["description"], "Bắt đầu");
        let bad = bot
            .set_my_commands([teloxide::types::BotCommand::new("Start", "x")])
            .await;
        assert!(bad.is_err());
        bot.send_chat_action(ChatId(1001), teloxide::types::ChatAction::Typing)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn shutdown_stops_serving() {
        let api = LocalBotApi::start(LocalBotApiOptions {
            long_poll_cap: Duration::from_secs(5),
            ..LocalBotApiOptions::default()
        })
        .await
        .unwrap();
        let bot = api.bot();
        let poll = tokio::spawn({
            let bot = bot.clone();
            async move { bot.get_updates().timeout(30).await }
        });
        // Let the long poll reach the server before stopping it.
        api.wait_for_calls("getUpdates", 1, WAIT).await.unwrap();
        let started = tokio::time::Instant::now();
        api.shutdown().await;
        // The in-flight long poll is answered at once, not after the 5 s cap.
        assert!(poll.await.unwrap().unwrap().is_empty());
        assert!(started.elapsed() < Duration::from_secs(1));
        let after = bot.get_me().await;
        assert!(matches!(after, Err(RequestError::Network(_))), "{after:?}");
    }

    #[test]
    fn formatting_matches_telegram() {
        let (text, entities) =
            parse_html("<b>a <i>b</i></b> &lt;3 <pre><code class=\"language-rust\">x</code></pre>")
                .unwrap();
        assert_eq!(text, "a b <3 x");
        assert_eq!(
            entities[0],
            json!({"type": "bold", "offset": 0, "length": 3})
        );
        assert_eq!(
            entities[1],
            json!({"type": "italic", "offset": 2, "length": 1})
        );
        assert_eq!(
            entities[2],
            json!({"type": "pre", "offset": 7, "length": 1, "language": "rust"})
        );
        assert!(parse_html("<b>x").unwrap_err().contains("start tag \"b\""));
        assert!(parse_html("x</b>").is_err());
        let (text, entities) =
            parse_markdown_v2("_nghiêng_ __gạch__ [web](https://x.org) `a.b` 1\\.").unwrap();
        assert_eq!(text, "nghiêng gạch web a.b 1.");
        assert_eq!(entities.len(), 4);
        assert!(parse_markdown_v2("*đậm").unwrap_err().contains("Bold"));
        let (text, _) = parse_markdown_v2(">trích\n>dẫn\nhết").unwrap();
        assert_eq!(text, "trích\ndẫn\nhết");
        let (text, entities) = parse_markdown_legacy("*a* _b_ `c`").unwrap();
        assert_eq!(text, "a b c");
        assert_eq!(entities.len(), 3);
        assert!(parse_markdown_legacy("user_name").is_err());
        // Offsets count UTF-16 code units.
        let (_, entities) = parse_html("😀<b>x</b>").unwrap();
        assert_eq!(entities[0]["offset"], json!(2));
        assert_eq!(
            command_entity("/start@chihoi_bot abc").unwrap()["length"],
            json!(17)
        );
        assert!(command_entity("/ hello").is_none());
    }
}
