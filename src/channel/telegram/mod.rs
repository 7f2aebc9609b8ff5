//! Telegram: turns Bot API updates into [`Inbound`] events for the [`Engine`] and its replies
//! into messages with inline keyboards.
//!
//! Updates arrive by long polling (default) or by webhook. Either way an update is
//! acknowledged to Telegram only after the engine has committed it: polling advances its
//! offset past a batch once every update in it is handled, and the webhook answers 200 only
//! then — so a crash loses nothing, and the redelivery that follows is recognised by its
//! `update_id` in the ledger and changes nothing twice. (teloxide's own `Dispatcher`
//! acknowledges before handling, which is why it is not used here.) Updates of one chat are
//! handled in order; different chats concurrently.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use teloxide::payloads::{
    AnswerCallbackQuerySetters, GetUpdatesSetters, SendMessageSetters, SetMyCommandsSetters,
};
use teloxide::prelude::*;
use teloxide::types::{
    AllowedUpdate, BotCommand, ChatKind, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
    MediaKind, MessageKind, UpdateId, UpdateKind,
};
use teloxide::{ApiError, RequestError};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::command_or_text as parse_text;
use super::{ChatLocks, FloodGate, FloodLimit, Gate, InFlight};
use crate::config::{DeliveryConfig, Secret, WebhookConfig};
use crate::delivery::{Capabilities, Courier, Delivery, SendOutcome, Sender};
use crate::dialog::{
    Attachment, AttachmentKind, Clock, DialogError, Engine, FileData, Inbound, Input, Outbound,
};
use crate::i18n::Lang;
use crate::tr;

pub const PLATFORM: &str = "telegram";

/// Telegram counts message length in UTF-16 code units; stay a little under 4096.
const MAX_MESSAGE_UNITS: usize = 4000;

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("Telegram request failed")]
    Request(#[from] RequestError),
    #[error("webhook server failed")]
    Webhook(#[from] std::io::Error),
    #[error("Telegram refused the bot token (TELOXIDE_TOKEN): {0}")]
    TokenRefused(String),
}

/// Whether Telegram said the token is wrong or revoked (nothing to retry).
fn token_refused(e: &RequestError) -> bool {
    matches!(e, RequestError::Api(ApiError::InvalidToken))
}

/// How to reach Telegram.
#[derive(Debug, Clone)]
pub struct TelegramOptions {
    pub token: Secret,
    pub delivery: DeliveryConfig,
    /// Run the outbox courier loop beside the update loop (tests that step the courier
    /// themselves turn it off; replies still go out at once).
    pub run_courier: bool,
    /// A local Bot API server (or the test server) instead of api.telegram.org.
    pub api_url: Option<Url>,
    pub webhook: Option<WebhookConfig>,
    /// Long-poll timeout; keep it under the HTTP client's 17 s.
    pub poll_timeout: Duration,
    /// An update whose handling fails is given again after `retry_base`, doubling up to 30 s,
    /// and set aside after `update_attempts` tries.
    pub update_attempts: u32,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// How much one chat may send at once before a flood of it is dropped.
    pub flood: FloodLimit,
}

impl TelegramOptions {
    pub fn new(token: Secret) -> Self {
        Self {
            token,
            delivery: DeliveryConfig::default(),
            run_courier: true,
            api_url: None,
            webhook: None,
            poll_timeout: Duration::from_secs(10),
            update_attempts: super::UPDATE_ATTEMPTS,
            retry_base: Duration::from_secs(1),
            retry_cap: super::RETRY_CAP,
            flood: FloodLimit::default(),
        }
    }
}

/// Sends rendered messages through the Bot API, mapping its answers to [`SendOutcome`]s.
pub struct TelegramSender {
    bot: Bot,
    /// The same bot with a timeout long enough for a province's export on a slow link (the
    /// default 17 s would cut the upload off and have it made again).
    uploads: Bot,
}

/// How long an upload (chart or export) may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

impl Sender for TelegramSender {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            buttons: true,
            uploads: true,
            edits: true,
        }
    }

    fn send<'a>(
        &'a self,
        chat_id: &'a str,
        message: &'a Outbound,
    ) -> futures::future::BoxFuture<'a, SendOutcome> {
        Box::pin(self.deliver(chat_id, message, Paid::No))
    }

    fn paid_broadcasts(&self) -> bool {
        true
    }

    fn fetch_file<'a>(
        &'a self,
        file_id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Vec<u8>, String>> {
        Box::pin(async move {
            use teloxide::net::Download;
            let file = self
                .uploads
                .get_file(teloxide::types::FileId(file_id.to_owned()))
                .await
                .map_err(|e| format!("getFile: {e}"))?;
            let mut bytes = Vec::new();
            self.uploads
                .download_file(&file.path, &mut bytes)
                .await
                .map_err(|e| format!("download: {e}"))?;
            Ok(bytes)
        })
    }

    fn send_paid<'a>(
        &'a self,
        chat_id: &'a str,
        message: &'a Outbound,
    ) -> futures::future::BoxFuture<'a, SendOutcome> {
        Box::pin(self.deliver(chat_id, message, Paid::Yes))
    }

    fn parts(&self, message: &Outbound) -> u32 {
        let texts = match &message.attachment {
            Some(_) if fits_caption(&message.text) => 0,
            Some(_) => split_message(&message.text).len() + 1,
            None => split_message(&message.text).len(),
        };
        u32::try_from(texts).unwrap_or(u32::MAX).max(1)
    }

    fn send_from<'a>(
        &'a self,
        chat_id: &'a str,
        message: &'a Outbound,
        from: u32,
        paid: bool,
    ) -> futures::future::BoxFuture<'a, Delivery> {
        let paid = if paid { Paid::Yes } else { Paid::No };
        Box::pin(self.deliver_from(chat_id, message, paid, from))
    }
}

/// Longest caption sent with a file, in UTF-16 units (Telegram's limit is 1,024); a longer
/// text goes before the file as messages of its own.
const CAPTION_UNITS: usize = 1000;

fn fits_caption(text: &str) -> bool {
    text.encode_utf16().count() <= CAPTION_UNITS
}

/// Whether a message goes as a paid broadcast (`allow_paid_broadcast`: past the 30 a second,
/// charged to the bot's Stars balance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paid {
    No,
    Yes,
}

impl TelegramSender {
    /// A sender for `options`' bot, for a courier shared with other platforms.
    pub fn new(options: &TelegramOptions) -> Self {
        Self {
            bot: make_bot(options, None),
            uploads: make_bot(options, Some(UPLOAD_TIMEOUT)),
        }
    }

    /// A sender of plain texts through `bot` (notices sent outside the outbox).
    fn with_bot(bot: Bot) -> Self {
        Self {
            uploads: bot.clone(),
            bot,
        }
    }

    async fn deliver(&self, chat_id: &str, message: &Outbound, paid: Paid) -> SendOutcome {
        self.deliver_from(chat_id, message, paid, 0).await.outcome
    }

    /// Sends `message` from its part `from` on (see [`Sender::send_from`]).
    async fn deliver_from(
        &self,
        chat_id: &str,
        message: &Outbound,
        paid: Paid,
        from: u32,
    ) -> Delivery {
        let Ok(chat) = chat_id.parse::<i64>() else {
            return Delivery::whole(SendOutcome::Rejected("chat id is not a number".into()));
        };
        match (&message.attachment, &message.edit) {
            (Some(file), _) => {
                self.send_file(ChatId(chat), message, file, paid, from)
                    .await
            }
            (None, Some(id)) => Delivery::whole(self.replace(ChatId(chat), id, message).await),
            (None, None) => self.send_text(ChatId(chat), message, paid, from).await,
        }
    }

    /// The tapped message turned into `message` (edited text and keyboard); `NotEditable` when
    /// it cannot be (too old, gone, a photo, or the text needs several messages).
    async fn replace(&self, chat: ChatId, id: &str, message: &Outbound) -> SendOutcome {
        let chunks = split_message(&message.text);
        let (Ok(id), [text]) = (id.parse::<i32>(), chunks.as_slice()) else {
            return SendOutcome::NotEditable;
        };
        let mut req =
            self.bot
                .edit_message_text(chat, teloxide::types::MessageId(id), text.clone());
        if !message.choices.is_empty() {
            req = req.reply_markup(keyboard(message));
        }
        match req.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => SendOutcome::Sent,
            Err(e @ (RequestError::RetryAfter(_) | RequestError::Network(_))) => outcome_of(e),
            Err(e) => {
                tracing::debug!(error = %e, "edit refused; the step goes as a new message");
                SendOutcome::NotEditable
            }
        }
    }

    /// Text with its keyboard, split into several messages when too long; from part `from` on.
    async fn send_text(&self, chat: ChatId, message: &Outbound, paid: Paid, from: u32) -> Delivery {
        let chunks = split_message(&message.text);
        let last = chunks.len() - 1;
        let mut parts = 0;
        for (i, chunk) in chunks.into_iter().enumerate().skip(from as usize) {
            let mut req = self.bot.send_message(chat, chunk);
            if i == last && !message.choices.is_empty() {
                req = req.reply_markup(keyboard(message));
            }
            if paid == Paid::Yes {
                req = req.allow_paid_broadcast(true);
            }
            if let Err(e) = req.await {
                return Delivery {
                    outcome: outcome_of(e),
                    parts,
                };
            }
            parts += 1;
        }
        Delivery {
            outcome: SendOutcome::Sent,
            parts,
        }
    }

    /// A photo or document; the text is its caption (sent before it when too long for one).
    async fn send_file(
        &self,
        chat: ChatId,
        message: &Outbound,
        file: &Attachment,
        paid: Paid,
        from: u32,
    ) -> Delivery {
        use teloxide::payloads::{SendDocumentSetters, SendPhotoSetters};
        let fits = fits_caption(&message.text);
        let mut before = 0;
        if !fits {
            let text_only = Outbound {
                attachment: None,
                choices: Vec::new(),
                lettered: false,
                edit: None,
                ..message.clone()
            };
            let texts = u32::try_from(split_message(&message.text).len()).unwrap_or(u32::MAX);
            if from < texts {
                let sent = self.send_text(chat, &text_only, paid, from).await;
                if sent.outcome != SendOutcome::Sent {
                    return sent;
                }
                before = sent.parts;
            }
        }
        let input = match &file.data {
            FileData::Bytes(bytes) => InputFile::memory(bytes.clone()),
            FileData::Temp(path) => InputFile::file(path.to_path_buf()),
            FileData::Platform(id) => InputFile::file_id(teloxide::types::FileId(id.clone())),
        }
        .file_name(file.file_name.clone());
        let caption = fits.then(|| message.text.clone());
        let result = match file.kind {
            AttachmentKind::Photo => {
                let mut req = self.uploads.send_photo(chat, input);
                if let Some(c) = caption {
                    req = req.caption(c);
                }
                if paid == Paid::Yes {
                    req = req.allow_paid_broadcast(true);
                }
                if !message.choices.is_empty() {
                    req = req.reply_markup(keyboard(message));
                }
                req.await.map(|_| ())
            }
            AttachmentKind::Document => {
                let mut req = self.uploads.send_document(chat, input);
                if let Some(c) = caption {
                    req = req.caption(c);
                }
                if paid == Paid::Yes {
                    req = req.allow_paid_broadcast(true);
                }
                if !message.choices.is_empty() {
                    req = req.reply_markup(keyboard(message));
                }
                req.await.map(|_| ())
            }
        };
        match result {
            Ok(()) => Delivery {
                outcome: SendOutcome::Sent,
                parts: before + 1,
            },
            Err(e) => Delivery {
                outcome: outcome_of(e),
                parts: before,
            },
        }
    }
}

/// What a Bot API error means for the courier.
fn outcome_of(e: RequestError) -> SendOutcome {
    match e {
        RequestError::RetryAfter(wait) => SendOutcome::RetryAfter(wait.duration()),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::ChatNotFound
            | ApiError::BotKicked,
        ) => SendOutcome::Unreachable(e.to_string()),
        RequestError::Api(ApiError::Unknown(_))
        | RequestError::Network(_)
        | RequestError::Io(_) => SendOutcome::Transient(e.to_string()),
        RequestError::InvalidJson { .. } => SendOutcome::Transient(e.to_string()),
        other => SendOutcome::Rejected(other.to_string()),
    }
}

/// The bot for `options`; `timeout` replaces teloxide's default request timeout.
fn make_bot(options: &TelegramOptions, timeout: Option<Duration>) -> Bot {
    let token = options.token.expose();
    let mut client = teloxide::net::default_reqwest_settings();
    if let Some(timeout) = timeout {
        client = client.timeout(timeout);
    }
    if options.api_url.as_ref().is_some_and(super::is_loopback) {
        // A Bot API server on this machine must not be reached through a proxy.
        client = client.no_proxy();
    } else if let Some(proxy) = std::env::var("TELOXIDE_PROXY")
        .ok()
        .and_then(|p| reqwest::Proxy::all(p).ok())
    {
        // As teloxide's own `client_from_env`.
        client = client.proxy(proxy);
    }
    let client = client
        .build()
        .unwrap_or_else(|_| teloxide::net::client_from_env());
    let bot = Bot::with_client(token, client);
    match &options.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    }
}

/// The Telegram channel.
#[derive(Clone)]
pub struct Telegram {
    bot: Bot,
    engine: Engine,
    clock: Clock,
    courier: Courier,
    chats: ChatLocks,
    /// Drops a flood from one chat, so that it cannot hold the others up.
    flood: FloodGate,
    in_flight: InFlight,
    /// Failed attempts per update id, until it succeeds or is set aside.
    failures: Arc<std::sync::Mutex<std::collections::HashMap<u32, super::Tries>>>,
    /// When a failed update is tried again, and when it is set aside (logged, the person
    /// told), so that one bad update cannot hold her chat up forever while a database outage
    /// loses nothing ([`super::UpdateRetry`]).
    retry: super::UpdateRetry,
}

/// Why an update's handling did not commit.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// It will be given again; `first` is the first failure (she is told once).
    Retry { first: bool },
    /// Failed too often: acknowledged without effect, and she is asked to send it again.
    SetAside,
}

impl Telegram {
    /// Telegram alone, with a courier of its own.
    pub fn new(engine: Engine, options: &TelegramOptions, clock: Clock) -> Self {
        let courier = Courier::builder(
            engine.store().clone(),
            engine.calendars().clone(),
            clock.clone(),
            engine.instance().to_owned(),
        )
        .sender(
            Arc::new(TelegramSender::new(options)),
            options.delivery.clone(),
        )
        .build();
        Self::with_courier(engine, options, clock, courier)
    }

    /// Telegram beside other channels, sharing their courier (which has a [`TelegramSender`]).
    pub fn with_courier(
        engine: Engine,
        options: &TelegramOptions,
        clock: Clock,
        courier: Courier,
    ) -> Self {
        Self {
            bot: make_bot(options, None),
            engine,
            clock,
            courier,
            chats: ChatLocks::default(),
            flood: FloodGate::new(options.flood),
            in_flight: InFlight::default(),
            failures: Arc::default(),
            retry: super::UpdateRetry {
                base: options.retry_base,
                cap: options.retry_cap,
                attempts: options.update_attempts.max(1),
            },
        }
    }

    /// The courier that drains this channel's outbox.
    pub fn courier(&self) -> &Courier {
        &self.courier
    }

    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// Replies being sent for updates already acknowledged.
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// Runs until `shutdown` is cancelled: checks the token, sets the command menus, then
    /// polls or serves the webhook.
    pub async fn run(
        &self,
        options: &TelegramOptions,
        shutdown: CancellationToken,
    ) -> Result<(), TelegramError> {
        // Telegram may be unreachable for a while (network, outage): keep trying, and say so.
        let mut backoff = Duration::from_secs(1);
        let me = loop {
            match self.bot.get_me().await {
                Ok(me) => break me,
                Err(e) if token_refused(&e) => {
                    return Err(TelegramError::TokenRefused(e.to_string()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "cannot reach Telegram");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        };
        tracing::info!(username = %me.username(), "connected to Telegram");
        // Invites made in chat carry the deep link to this bot.
        self.engine.set_bot_username(me.username());
        if let Err(e) = self.set_commands().await {
            // The command menu is a convenience; the bot works without it.
            tracing::warn!(error = %e, "setMyCommands failed");
        }
        let courier = async {
            if options.run_courier {
                self.courier.run(shutdown.clone()).await;
            }
        };
        let updates = async {
            match &options.webhook {
                None => self.poll(options.poll_timeout, shutdown.clone()).await,
                Some(webhook) => self.serve_webhook(webhook, shutdown.clone()).await,
            }
        };
        let (result, ()) = tokio::join!(
            async {
                let r = updates.await;
                // The update loop ended (shutdown or failure): let the replies of what was
                // handled go out, then stop the courier too.
                let _ = tokio::time::timeout(Duration::from_secs(10), self.in_flight.idle()).await;
                shutdown.cancel();
                r
            },
            courier
        );
        result
    }

    /// The command menu in Vietnamese (the default) and English.
    pub async fn set_commands(&self) -> Result<(), RequestError> {
        for (lang, code) in [
            (Lang::Vi, None),
            (Lang::Vi, Some("vi")),
            (Lang::En, Some("en")),
        ] {
            let commands = vec![
                BotCommand::new("baocao", tr!(lang, "cmd-baocao")),
                BotCommand::new("khancap", tr!(lang, "cmd-khancap")),
                BotCommand::new("ykien", tr!(lang, "cmd-ykien")),
                BotCommand::new("ngonngu", tr!(lang, "cmd-ngonngu")),
                BotCommand::new("trogiup", tr!(lang, "cmd-trogiup")),
                BotCommand::new("huy", tr!(lang, "cmd-huy")),
                BotCommand::new("lienket", tr!(lang, "cmd-lienket")),
                BotCommand::new("canhbao", tr!(lang, "cmd-canhbao")),
                BotCommand::new("hoatdong", tr!(lang, "cmd-hoatdong")),
                BotCommand::new("tiendo", tr!(lang, "cmd-tiendo")),
                BotCommand::new("chitieu", tr!(lang, "cmd-chitieu")),
                BotCommand::new("xuat", tr!(lang, "cmd-xuat")),
                BotCommand::new("hoivien", tr!(lang, "cmd-hoivien")),
                BotCommand::new("moi", tr!(lang, "cmd-moi")),
                BotCommand::new("thongbao", tr!(lang, "cmd-thongbao")),
                BotCommand::new("kiennghi", tr!(lang, "cmd-kiennghi")),
                BotCommand::new("start", tr!(lang, "cmd-start")),
                BotCommand::new("laykien", tr!(lang, "cmd-laykien")),
            ];
            let mut req = self.bot.set_my_commands(commands);
            if let Some(code) = code {
                req = req.language_code(code);
            }
            req.await?;
        }
        Ok(())
    }

    /// Long polling. The offset moves past a batch once all of it is committed; its replies
    /// are still being sent while the next batch is fetched.
    async fn poll(
        &self,
        timeout: Duration,
        shutdown: CancellationToken,
    ) -> Result<(), TelegramError> {
        // A webhook left over from another mode would make getUpdates fail with 409.
        self.bot.delete_webhook().await?;
        let mut offset: Option<i32> = None;
        let mut backoff = Duration::from_millis(500);
        loop {
            let mut req = self
                .bot
                .get_updates()
                .timeout(timeout.as_secs() as u32)
                .limit(100)
                .allowed_updates(vec![
                    AllowedUpdate::Message,
                    AllowedUpdate::CallbackQuery,
                    AllowedUpdate::MyChatMember,
                ]);
            if let Some(o) = offset {
                req = req.offset(o);
            }
            let batch = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                r = req.send() => r,
            };
            match batch {
                Ok(updates) => {
                    backoff = Duration::from_millis(500);
                    let Some(last) = updates.iter().map(|u| u.id.0).max() else {
                        continue;
                    };
                    // Not acknowledged past an update that failed: Telegram gives it (and the
                    // ones after it, which the ledger recognises) again.
                    match self.handle_batch(updates).await {
                        None => offset = Some(last as i32 + 1),
                        Some(failed) => {
                            offset = Some(failed.0 as i32);
                            let wait = self.wait_before_retry(failed);
                            tokio::select! {
                                _ = shutdown.cancelled() => return Ok(()),
                                _ = tokio::time::sleep(wait) => {}
                            }
                        }
                    }
                }
                Err(e) if token_refused(&e) => {
                    return Err(TelegramError::TokenRefused(e.to_string()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "getUpdates failed");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// Handles a batch: each chat's updates in order, chats side by side. Returns once every
    /// update is committed (replies may still be on their way), or the first update that
    /// failed and must be given again; a chat stops at its failed update, so that her later
    /// messages never overtake it.
    pub async fn handle_batch(&self, updates: Vec<Update>) -> Option<UpdateId> {
        let mut by_chat: Vec<(Option<i64>, Vec<Update>)> = Vec::new();
        for u in updates {
            let chat = u.chat().map(|c| c.id.0);
            match by_chat
                .iter_mut()
                .find(|(c, _)| *c == chat && chat.is_some())
            {
                Some((_, list)) => list.push(u),
                None => by_chat.push((chat, vec![u])),
            }
        }
        let lanes = by_chat.into_iter().map(|(_, list)| async move {
            for u in list {
                let id = u.id;
                if !self.handle_update(u).await {
                    return Some(id);
                }
            }
            None
        });
        futures::future::join_all(lanes)
            .await
            .into_iter()
            .flatten()
            .min_by_key(|id| id.0)
    }

    /// Handles one update in its chat's turn: the engine commits it (one transaction), then
    /// its replies go out in the background, still in the chat's turn so that the next update
    /// of the chat waits for them and its answers come in order. Returns whether the update is
    /// done with (committed, ignored, or set aside after failing `update_attempts` times);
    /// `false` means it must be given again.
    pub async fn handle_update(&self, update: Update) -> bool {
        let timer = crate::metrics::UpdateTimer::start(PLATFORM);
        let callback_id = match &update.kind {
            UpdateKind::CallbackQuery(q) => Some(q.id.clone()),
            _ => None,
        };
        let Some(inbound) = to_inbound(&update) else {
            if let Some(id) = callback_id {
                let _ = self.bot.answer_callback_query(id).await;
            }
            return true;
        };
        if inbound.input != Input::Blocked
            && let Gate::Drop { tell } = self.flood.check(&inbound.chat_id)
        {
            self.drop_flooded(inbound, callback_id, tell);
            return true;
        }
        let turn = self.chats.turn(&inbound.chat_id).await;
        let now = (self.clock)();
        let handled = match self.engine.handle(&inbound, now).await {
            Ok(h) => {
                self.forget_failures(update.id);
                Ok(h)
            }
            Err(e) => {
                log_error(&e);
                Err(self.failed(update.id).await)
            }
        };
        let done = !matches!(handled, Err(Failure::Retry { .. }));
        let sending = self.in_flight.start();
        let this = self.clone();
        tokio::spawn(async move {
            this.answer(inbound, callback_id, handled, timer).await;
            drop(turn);
            drop(sending);
        });
        done
    }

    /// An update of a flood: acknowledged without effect, and at the flood's first one she is
    /// told to slow down (in her chat's turn, after the replies before it), in the background
    /// so that the rest of the flood is dropped at once.
    fn drop_flooded(
        &self,
        inbound: Inbound,
        callback_id: Option<teloxide::types::CallbackQueryId>,
        tell: bool,
    ) {
        let sending = self.in_flight.start();
        let this = self.clone();
        let place = tell.then(|| self.chats.reserve(&inbound.chat_id));
        tokio::spawn(async move {
            if let Some(id) = callback_id {
                let _ = this.bot.answer_callback_query(id).await;
            }
            if let Some(place) = place {
                tracing::info!(chat = %inbound.chat_id, "flood from one chat: dropping its updates");
                let _turn = place.wait().await;
                let lang = Lang::from_platform_hint(inbound.language_hint.as_deref());
                let notice = Outbound::text(inbound.chat_id.clone(), tr!(lang, "flood-slow-down"));
                let sender = TelegramSender::with_bot(this.bot.clone());
                let _ = sender.send(&inbound.chat_id, &notice).await;
            }
            drop(sending);
        });
    }

    /// Counts a failed attempt at `id`; after `update_attempts` it is set aside, unless the
    /// database itself takes no writes (then it is kept for as long as that lasts).
    async fn failed(&self, id: UpdateId) -> Failure {
        let mut tries = {
            let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            failures.get(&id.0).copied().unwrap_or_default()
        };
        let next = self
            .retry
            .after_failure(self.engine.store(), self.engine.instance(), &mut tries)
            .await;
        let attempt = tries.failures;
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.0, tries);
        if next == super::Next::SetAside {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            failures.remove(&id.0);
            tracing::error!(
                update = id.0,
                attempts = attempt,
                "update set aside after repeated failures"
            );
            return Failure::SetAside;
        }
        Failure::Retry {
            first: attempt == 1,
        }
    }

    fn forget_failures(&self, id: UpdateId) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&id.0);
    }

    /// How long to wait before `id`, which failed, is tried again.
    fn wait_before_retry(&self, id: UpdateId) -> Duration {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.get(&id.0).map_or(self.retry.base, |t| t.wait)
    }

    /// Answers the tap and sends the replies of a handled update (or the apology).
    async fn answer(
        &self,
        inbound: Inbound,
        callback_id: Option<teloxide::types::CallbackQueryId>,
        handled: Result<crate::dialog::Handled, Failure>,
        timer: crate::metrics::UpdateTimer,
    ) {
        match handled {
            Ok(h) => {
                if let Some(id) = callback_id {
                    let mut answer = self.bot.answer_callback_query(id);
                    if let Some(notice) = h.notice {
                        answer = answer.text(notice);
                    }
                    if let Err(e) = answer.await {
                        tracing::warn!(error = %e, "answerCallbackQuery failed");
                    }
                }
                if let Err(e) = self.courier.deliver_now(h.ready, &h.outbox_ids).await {
                    tracing::warn!(error = %e, "immediate delivery failed; the courier will retry");
                }
                timer.handled();
            }
            Err(failure) => {
                timer.failed();
                let lang = Lang::from_platform_hint(inbound.language_hint.as_deref());
                if let Some(id) = callback_id {
                    let _ = self.bot.answer_callback_query(id).await;
                }
                // Told once while it is retried, and once more if it is given up.
                let text = match failure {
                    Failure::Retry { first: true } => DialogError::apology(lang),
                    Failure::Retry { first: false } => return,
                    Failure::SetAside => tr!(lang, "error-set-aside"),
                };
                // Not through the outbox: the database may be what failed.
                let apology = Outbound::text(inbound.chat_id.clone(), text);
                let sender = TelegramSender::with_bot(self.bot.clone());
                let _ = sender.send(&inbound.chat_id, &apology).await;
            }
        }
    }

    /// Serves the webhook until `shutdown`; registers it with Telegram first.
    async fn serve_webhook(
        &self,
        webhook: &WebhookConfig,
        shutdown: CancellationToken,
    ) -> Result<(), TelegramError> {
        use teloxide::payloads::SetWebhookSetters;
        let listener = tokio::net::TcpListener::bind(webhook.listen).await?;
        self.bot
            .set_webhook(webhook.url.clone())
            .secret_token(webhook.secret.expose().to_owned())
            .allowed_updates(vec![
                AllowedUpdate::Message,
                AllowedUpdate::CallbackQuery,
                AllowedUpdate::MyChatMember,
            ])
            .await?;
        tracing::info!(listen = %webhook.listen, "webhook registered");
        // The webhook alone: `/healthz` and `/metrics` are never served on a public listener.
        let app = self.webhook_router(webhook.url.path(), webhook.secret.clone());
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await?;
        Ok(())
    }

    /// The webhook endpoint, for serving on a listener of the caller's choice.
    pub fn webhook_router(&self, path: &str, secret: Secret) -> axum::Router {
        let state = WebhookState {
            telegram: self.clone(),
            secret,
        };
        axum::Router::new()
            .route(path, axum::routing::post(webhook_update))
            .with_state(state)
    }

    /// Serves the webhook router on `listener` (tests and embedders).
    pub async fn serve_webhook_on(
        &self,
        listener: tokio::net::TcpListener,
        path: &str,
        secret: Secret,
        shutdown: CancellationToken,
    ) -> std::io::Result<SocketAddr> {
        super::serve_on(listener, self.webhook_router(path, secret), shutdown).await
    }
}

#[derive(Clone)]
struct WebhookState {
    telegram: Telegram,
    secret: Secret,
}

async fn webhook_update(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    if !super::secret_matches(&headers, "x-telegram-bot-api-secret-token", &state.secret) {
        tracing::warn!("webhook call with a wrong secret refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_str(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "webhook body is not an update");
            // Retrying will not make it parse.
            return StatusCode::OK;
        }
    };
    // In a task of its own: if Telegram hangs up (its call timed out), the update is still
    // committed or counted as failed, rather than cancelled half-way; it comes again anyway.
    let telegram = state.telegram.clone();
    let handled = tokio::spawn(async move { telegram.handle_update(update).await });
    if handled.await.unwrap_or(false) {
        StatusCode::OK
    } else {
        // Telegram delivers it again later.
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

fn log_error(e: &DialogError) {
    tracing::error!(error = %super::error_chain(e), "handling an update failed");
}

fn keyboard(out: &Outbound) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(out.choices.iter().map(|row| {
        row.iter()
            .map(|c| InlineKeyboardButton::callback(c.label.clone(), c.data.clone()))
            .collect::<Vec<_>>()
    }))
}

/// Splits text into messages Telegram accepts (counted in UTF-16 units), at line, then
/// sentence, then word boundaries — the cutting shared with every platform.
pub fn split_message(text: &str) -> Vec<String> {
    crate::delivery::split::split_text(text, MAX_MESSAGE_UNITS, |s| s.encode_utf16().count())
}

/// A Telegram update as a platform-neutral event; `None` for what the bot ignores (groups,
/// edits, channel posts).
pub fn to_inbound(update: &Update) -> Option<Inbound> {
    let key = format!("{PLATFORM}:{}", update.id.0);
    let mut origin = None;
    let (user, chat_id, input) = match &update.kind {
        UpdateKind::Message(msg) => {
            if !matches!(msg.chat.kind, ChatKind::Private(_)) {
                return None;
            }
            let user = msg.from.as_ref()?;
            let input = match &msg.kind {
                MessageKind::Common(common) => match &common.media_kind {
                    MediaKind::Text(t) => parse_text(&t.text),
                    // A caption makes it an announcement's file with its text (at other
                    // steps a photo is a photo, its caption unread).
                    MediaKind::Photo(p) if p.caption.is_some() => {
                        Input::File(crate::dialog::IncomingFile {
                            kind: crate::message::AttachmentKind::Photo,
                            file_id: p
                                .photo
                                .last()
                                .map(|s| s.file.id.to_string())
                                .unwrap_or_default(),
                            file_name: None,
                            size: p.photo.last().map(|s| i64::from(s.file.size)),
                            caption: p.caption.clone(),
                        })
                    }
                    MediaKind::Document(d) => Input::File(crate::dialog::IncomingFile {
                        kind: crate::message::AttachmentKind::Document,
                        file_id: d.document.file.id.to_string(),
                        file_name: d.document.file_name.clone(),
                        size: Some(i64::from(d.document.file.size)),
                        caption: d.caption.clone(),
                    }),
                    MediaKind::Photo(p) => Input::Photo {
                        file_id: p
                            .photo
                            .last()
                            .map(|s| s.file.id.to_string())
                            .unwrap_or_default(),
                        size: p.photo.last().map(|s| i64::from(s.file.size)),
                    },
                    // Her own contact, shared to be matched to the roster: her phone number,
                    // as she could type it. Someone else's contact is not hers to give.
                    MediaKind::Contact(c) if c.contact.user_id == Some(user.id) => {
                        Input::Text(c.contact.phone_number.clone())
                    }
                    _ => Input::Unsupported,
                },
                _ => return None,
            };
            (user, msg.chat.id.0, input)
        }
        UpdateKind::CallbackQuery(q) => {
            let chat = q
                .message
                .as_ref()
                .map(|m| m.chat().id.0)
                .unwrap_or(q.from.id.0 as i64);
            // The tapped message can become the next step if the bot can still edit it.
            origin = q
                .regular_message()
                .filter(|m| m.text().is_some())
                .map(|m| m.id.0.to_string());
            (
                &q.from,
                chat,
                Input::Choice(q.data.clone().unwrap_or_default()),
            )
        }
        UpdateKind::MyChatMember(m) => {
            if !matches!(m.chat.kind, ChatKind::Private(_)) || !m.new_chat_member.is_banned() {
                return None;
            }
            (&m.from, m.chat.id.0, Input::Blocked)
        }
        _ => return None,
    };
    Some(Inbound {
        update_key: key,
        platform: PLATFORM.to_owned(),
        user_id: user.id.0.to_string(),
        chat_id: chat_id.to_string(),
        display_name: user.full_name(),
        language_hint: user.language_code.clone(),
        text_only: false,
        origin,
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_caption_goes_as_its_text_in_parts_then_the_file() {
        let sender = TelegramSender::with_bot(Bot::new("1:not-a-token"));
        let mut m = Outbound::text("1", "Tiến độ của xã. ".repeat(300));
        m.attachment = Some(Attachment {
            kind: AttachmentKind::Photo,
            file_name: "tien-do.png".into(),
            data: FileData::Bytes(Vec::new()),
            url: None,
        });
        // 4,800 units: two messages of text, then the photo; a retry from part 2 sends the
        // second text and the photo only.
        assert_eq!(split_message(&m.text).len(), 2);
        assert_eq!(sender.parts(&m), 3);
        m.text = "Tiến độ của xã.".into();
        assert_eq!(
            sender.parts(&m),
            1,
            "a caption that fits goes with the file"
        );
        m.attachment = None;
        m.text = "Tiến độ của xã. ".repeat(300);
        assert_eq!(sender.parts(&m), 2);
    }

    #[test]
    fn commands_are_split_from_their_argument_and_bot_suffix() {
        assert_eq!(
            parse_text("/start AbC_123-xyz"),
            Input::Command {
                name: "start".into(),
                arg: "AbC_123-xyz".into()
            }
        );
        assert_eq!(
            parse_text("/BaoCao@chihoi_bot"),
            Input::Command {
                name: "baocao".into(),
                arg: "".into()
            }
        );
        assert_eq!(
            parse_text("/ không phải lệnh"),
            Input::Text("/ không phải lệnh".into())
        );
        assert_eq!(parse_text("Xin chào"), Input::Text("Xin chào".into()));
    }

    #[test]
    fn long_text_is_split_under_telegrams_limit_at_line_breaks() {
        let line = format!("{}\n", "Bà con phấn khởi 🌾 ".repeat(10));
        let text = line.repeat(100);
        let parts = split_message(&text);
        assert!(parts.len() > 1);
        assert!(
            parts
                .iter()
                .all(|p| p.encode_utf16().count() <= MAX_MESSAGE_UNITS)
        );
        assert!(parts[..parts.len() - 1].iter().all(|p| p.ends_with('\n')));
        assert_eq!(parts.concat(), text);
        let one_line = "ệ".repeat(9000);
        let parts = split_message(&one_line);
        assert_eq!(parts.concat(), one_line);
        assert!(
            parts
                .iter()
                .all(|p| p.encode_utf16().count() <= MAX_MESSAGE_UNITS)
        );
    }
}
