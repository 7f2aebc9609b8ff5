//! The guided conversations, over platform-neutral events.
//!
//! A channel adapter (Telegram or Zalo) turns a platform update into an [`Inbound`]
//! and hands it to [`Engine::handle`], which applies it in one database transaction — the
//! update ledger, her dialog state, drafts and reports commit together or not at all — and
//! returns [`Outbound`] messages: text plus choices. Telegram renders choices as inline
//! buttons; a text-only platform numbers them, and a reply of "2" picks the second choice (the
//! engine maps it, so dialogs do not change per platform: see [`typed`] for which list a typed
//! answer picks from, and [`confirm`] for the decisions it asks about first).
//!
//! Every step's choices carry the dialog's version (`d:<version>:<token>`): a tap on a button of
//! an older step, a second tap, or data the client made up is recognised and answered politely.

mod activity;
pub(crate) mod admin;
pub mod alerts;
pub(crate) mod announce;
mod confirm;
mod flows;
mod invites;
mod joins;
mod limits;
mod linking;
mod members;
pub mod notices;
mod paging;
pub mod picking;
pub(crate) mod polls;
mod prefill;
mod proposals;
mod report;
mod roster;
mod same_month;
mod state;
pub(crate) mod synthesis;
mod typed;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::announcement::AnnouncementKind;
use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
use crate::domain::role::Role;
use crate::i18n::Lang;
pub(crate) use crate::labels;
pub use crate::message::{Attachment, AttachmentKind, Choice, FileData, Outbound};
use crate::storage::outbox::{self, Kind, NewMessage};
use crate::storage::users::{self, Identity, User};
use crate::storage::{Conn, StorageError, Store};
use crate::tr;
use alerts::AlertStatus;
pub use announce::IncomingFile;
pub use state::DialogState;
use unicode_normalization::UnicodeNormalization;

/// The time source: the wall clock in production; tests and `chihoi tick --now` inject their own.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Something a person did, as any platform reports it.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Unique per platform update, e.g. `telegram:812734`; a redelivered update repeats it.
    pub update_key: String,
    pub platform: String,
    pub user_id: String,
    pub chat_id: String,
    pub display_name: String,
    /// The language her app is set to, if the platform says.
    pub language_hint: Option<String>,
    /// The platform has no buttons and no toasts (Zalo): typed answers pick from a list (her
    /// dialog's step, or outside a dialog the list last shown in the chat), and short notices
    /// become messages.
    pub text_only: bool,
    /// The platform's id of the message whose choice was tapped, when it can be edited.
    pub origin: Option<String>,
    pub input: Input,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `/name arg` — `name` without the slash or a `@bot` suffix.
    Command {
        name: String,
        arg: String,
    },
    Text(String),
    /// The data of a tapped choice.
    Choice(String),
    Photo {
        file_id: String,
        /// Bytes, when the platform says.
        size: Option<i64>,
    },
    /// She blocked the bot or deleted her account.
    Blocked,
    /// Anything else (stickers, voice, …).
    Unsupported,
    /// A document, or a photo with a caption (Telegram): an announcement's file.
    File(IncomingFile),
}

/// What handling one inbound produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handled {
    /// Her replies, queued and leased to this instance, to deliver at once as they are: no
    /// claim statement is needed for rows this update wrote itself.
    pub ready: Vec<outbox::OutboxRow>,
    /// Other outbox rows this update queued that may go out now (alerts, notices to others).
    pub outbox_ids: Vec<i64>,
    /// A short notice for the tap itself (Telegram shows it as a toast).
    pub notice: Option<String>,
    /// The update had been handled before; nothing was done.
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DialogError {
    #[error("storage failed")]
    Storage(#[from] StorageError),
    #[error("database failed")]
    Database(#[from] sqlx::Error),
    /// A bug met while handling the update: nothing was committed, and it is retried (then set
    /// aside) like a database failure.
    #[error(transparent)]
    Panicked(#[from] crate::supervisor::Panicked),
}

impl DialogError {
    /// A friendly apology for her, in her language; the cause goes to the log.
    pub fn apology(lang: Lang) -> String {
        tr!(lang, "error-internal")
    }
}

/// The bot's brain, shared by every channel.
#[derive(Clone, Debug)]
pub struct Engine {
    store: Store,
    calendars: Calendars,
    /// The Telegram bot's username, for the deep links of invites made in chat: configured,
    /// or learnt from Telegram when its channel starts; unknown on a Zalo-only bot.
    bot_username: Arc<std::sync::OnceLock<String>>,
    /// This instance's name: its courier owns the replies the engine queues.
    instance: String,
}

/// How long the instance that handled an update keeps its replies to itself before any courier
/// may send them (it normally sends them within milliseconds).
const REPLY_LEASE_SECS: i64 = 30;

/// Most choices shown in one column before we page (small screens).
pub(crate) const PAGE_SIZE: usize = 8;

impl Engine {
    pub fn new(store: Store, calendars: Calendars) -> Self {
        Self {
            store,
            calendars,
            bot_username: Arc::default(),
            instance: format!("instance-{:016x}", rand::random::<u64>()),
        }
    }

    /// Sets the Telegram bot's username (without `@`), once: every clone of this engine sees it.
    pub fn set_bot_username(&self, username: &str) {
        let username = username.trim_start_matches('@');
        if !username.is_empty() {
            let _ = self.bot_username.set(username.to_owned());
        }
    }

    /// The Telegram bot's username, once known.
    pub fn bot_username(&self) -> Option<&str> {
        self.bot_username.get().map(String::as_str)
    }

    /// The name this instance's courier claims outbox rows under.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn calendars(&self) -> &Calendars {
        &self.calendars
    }

    /// Applies one inbound event exactly once and returns what to send.
    pub async fn handle(
        &self,
        inbound: &Inbound,
        now: DateTime<Utc>,
    ) -> Result<Handled, DialogError> {
        // A panic drops the transaction (rolled back) and fails this update only.
        crate::supervisor::caught(self.handle_update(inbound, now)).await?
    }

    async fn handle_update(
        &self,
        inbound: &Inbound,
        now: DateTime<Utc>,
    ) -> Result<Handled, DialogError> {
        let mut tx = self.store.begin().await?;
        let duplicate = || Handled {
            duplicate: true,
            ..Handled::default()
        };
        if inbound.input == Input::Blocked {
            if !users::claim_update(&mut tx, &inbound.update_key, now.timestamp()).await? {
                tx.rollback().await?;
                return Ok(duplicate());
            }
            // Stop everything queued for her, and tell her unit's head.
            users::mark_unreachable(&mut tx, &inbound.platform, &inbound.user_id).await?;
            outbox::cancel_chat(&mut tx, &inbound.platform, &inbound.chat_id).await?;
            notices::tell_head_unreachable(
                &mut tx,
                &self.calendars,
                &inbound.platform,
                &inbound.chat_id,
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(Handled::default());
        }
        let lang_hint = Lang::from_platform_hint(inbound.language_hint.as_deref());
        let display_name = typed(&inbound.display_name);
        let arrived = users::arrive(
            &mut tx,
            &inbound.update_key,
            &Identity {
                platform: &inbound.platform,
                platform_user_id: &inbound.user_id,
                chat_id: &inbound.chat_id,
                display_name: &display_name,
                lang: lang_hint.code(),
            },
            now.timestamp(),
        )
        .await?;
        let Some((user, dialog)) = arrived else {
            tx.rollback().await?;
            return Ok(duplicate());
        };
        let (version, state) = match dialog {
            Some((v, json)) => (v, DialogState::from_json(&json)),
            None => (0, DialogState::Idle),
        };
        let input = match &inbound.input {
            Input::Text(text) => Input::Text(typed(text)),
            Input::Command { name, arg } => Input::Command {
                name: name.clone(),
                arg: typed(arg),
            },
            other => other.clone(),
        };
        let mut ctx = Ctx {
            conn: &mut tx,
            lang: Lang::parse(&user.lang).unwrap_or_default(),
            user,
            now,
            tz: self.calendars.tz,
            calendars: &self.calendars,
            out: Vec::new(),
            queued: Vec::new(),
            notice: None,
            draft: None,
            at_once: Vec::new(),
            typed: false,
            bot_username: self.bot_username().map(str::to_owned),
            text_only: inbound.text_only,
        };
        let state_was_active = state != DialogState::Idle;
        // On a text-only platform a typed number or an option's words answer a list: in a
        // dialog, only its current step's; otherwise the list she was shown last (a menu, an
        // alert, a reminder). A list older than a day is not answered from.
        let picked = match &input {
            Input::Text(text) if inbound.text_only => {
                typed::typed_choice(
                    &mut ctx,
                    &inbound.platform,
                    &inbound.chat_id,
                    &state,
                    version,
                    text,
                )
                .await?
            }
            _ => None,
        };
        let (input, next) = match picked {
            Some(typed::Typed::Choice(data)) => {
                ctx.typed = true;
                let input = Input::Choice(data);
                let next = route(&mut ctx, &state, version, &input).await?;
                (input, next)
            }
            Some(typed::Typed::Expired(old)) => {
                let next = typed::list_expired(&mut ctx, &state, &old).await?;
                (input, next)
            }
            None => {
                let next = route(&mut ctx, &state, version, &input).await?;
                (input, next)
            }
        };
        if inbound.text_only
            && let Some(notice) = ctx.notice.take()
        {
            // No toasts here: the notice is a message of its own, before the step's prompt.
            ctx.say(notice);
        }
        let shown = match next {
            Next::Stay => Some((state, version)),
            Next::Go(new_state) => {
                let new_version = version + 1;
                let json = new_state.to_json();
                users::save_dialog(ctx.conn, ctx.user.id, new_version, &json, now.timestamp())
                    .await?;
                Some((new_state, new_version))
            }
            Next::Quiet => None,
        };
        if let Some((state, version)) = shown
            && let Some(prompt) = state::prompt(&mut ctx, &state).await?
        {
            let chat = ctx.user.chat_id.clone();
            let platform = ctx.user.platform.clone();
            ctx.out
                .push((platform, prompt.into_outbound(chat, version)));
        }
        let quiet_until = self.calendars.deployment().next_sendable(now).timestamp();
        let mut outbox_ids = std::mem::take(&mut ctx.queued);
        let mut ready = Vec::new();
        // Alerts and news of them go out with this update's replies, from this instance: the
        // courier loop must not take them meanwhile (rare; ordinary steps queue none).
        outbox::lease_unheld(
            ctx.conn,
            &outbox_ids,
            &self.instance,
            now.timestamp() + REPLY_LEASE_SECS,
        )
        .await?;
        let own_chat = (ctx.user.platform.clone(), ctx.user.chat_id.clone());
        let mut out = fold_replies(std::mem::take(&mut ctx.out), &own_chat);
        // A tap on the current step (or on a reminder's "make the report") turns that message
        // into what follows, so the chat holds one message per step.
        let replaces_tapped = match &input {
            Input::Choice(data) => match parse_choice(data) {
                ChoiceData::Step { version: v, .. } => v == version && state_was_active,
                ChoiceData::OpenReport(_) => true,
                // Another page of a view replaces the page she was looking at.
                ChoiceData::Progress(_, _, Some(_)) | ChoiceData::Targets(_, _, Some(_)) => true,
                _ => false,
            },
            _ => false,
        };
        if let (true, Some(origin)) = (replaces_tapped, &inbound.origin)
            && let Some((_, first)) = out
                .iter_mut()
                .find(|(p, o)| *p == own_chat.0 && o.chat_id == own_chat.1)
            && first.attachment.is_none()
        {
            first.edit = Some(origin.clone());
        }
        for (i, (platform, out)) in out.drain(..).enumerate() {
            // Her replies go at once; notices to others wait out quiet hours, but for those
            // that answer what she just did (her other app's account, linking).
            let reply = own_chat.0 == platform && out.chat_id == own_chat.1;
            let at_once = reply
                || ctx
                    .at_once
                    .iter()
                    .any(|(p, c)| *p == platform && *c == out.chat_id);
            let message = NewMessage {
                key: Some(format!("{}:{i}", inbound.update_key)),
                kind: if reply { Kind::Reply } else { Kind::Notice },
                // Someone else is written to on the app she used last, not on this one.
                platform,
                chat_id: out.chat_id.clone(),
                user_id: None,
                unit_id: None,
                period: None,
                ref_id: None,
                body: Some(
                    serde_json::to_string(&out)
                        .map_err(|e| StorageError::Corrupt(e.to_string()))?,
                ),
                urgent: reply,
                not_before: if at_once {
                    now.timestamp()
                } else {
                    quiet_until
                },
                // Ours to send at once (the courier loop must not take it meanwhile, or it could
                // go out beside our immediate delivery); a notice held for quiet hours is free
                // again when the lease ends.
                lease: Some((self.instance.clone(), now.timestamp() + REPLY_LEASE_SECS)),
            };
            match outbox::enqueue(ctx.conn, &message, now.timestamp()).await? {
                Some(id) if reply => ready.push(message.queued_as(id)),
                Some(id) => outbox_ids.push(id),
                None => {}
            }
        }
        let notice = ctx.notice.take();
        tx.commit().await?;
        Ok(Handled {
            ready,
            outbox_ids,
            notice,
            duplicate: false,
        })
    }
}

/// What she typed, as it is kept. Vietnamese keyboards send composed or decomposed text: it is
/// kept composed (NFC), so one word is stored, compared and exported one way. Control
/// characters other than line breaks and tabs are dropped: they mean nothing to a reader, and
/// PostgreSQL refuses a NUL in text, which failed every retry of her message. They go first:
/// dropped after composing, they could leave combining marks out of canonical order.
fn typed(text: &str) -> String {
    let visible: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    visible.nfc().collect()
}

/// Longest text two replies are joined into (short messages for small screens).
const FOLD_CHARS: usize = 1800;

/// One message per step: a plain reply to her (an acknowledgement, an error, an intro) is
/// joined to the reply that follows it in her chat, unless that one carries a file or the two
/// would be too long together. Messages to others keep their order and are left alone.
fn fold_replies(out: Vec<(String, Outbound)>, own: &(String, String)) -> Vec<(String, Outbound)> {
    let mut folded: Vec<(String, Outbound)> = Vec::with_capacity(out.len());
    // Index in `folded` of her last reply, while it is plain text that may take the next.
    let mut open: Option<usize> = None;
    for (platform, mut message) in out {
        if platform != own.0 || message.chat_id != own.1 {
            folded.push((platform, message));
            continue;
        }
        if let Some(i) = open.take() {
            let earlier = &folded[i].1;
            let fits =
                earlier.text.chars().count() + message.text.chars().count() + 2 <= FOLD_CHARS;
            if fits && message.attachment.is_none() {
                let (_, earlier) = folded.remove(i);
                message.text = format!("{}\n\n{}", earlier.text, message.text);
            }
        }
        if message.choices.is_empty() && message.attachment.is_none() {
            open = Some(folded.len());
        }
        folded.push((platform, message));
    }
    folded
}

/// What follows an input.
pub(crate) enum Next {
    /// Keep the state; show its prompt again (after an error message, say).
    Stay,
    /// Move to a new state (a new version: older buttons become stale) and show its prompt.
    Go(DialogState),
    /// Keep the state and show nothing more (the replies already say everything).
    Quiet,
}

/// Per-update context handed to the flows.
pub(crate) struct Ctx<'a> {
    pub conn: &'a mut Conn,
    pub user: User,
    pub lang: Lang,
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub calendars: &'a Calendars,
    /// Messages to render into the outbox when the update commits, with their platform.
    pub out: Vec<(String, Outbound)>,
    /// Outbox rows already queued (alerts) that may go out at once.
    pub queued: Vec<i64>,
    pub notice: Option<String>,
    /// The report draft (unit, period) as this update last read or wrote it: a step reads it
    /// once, however many times its flow and its next prompt look at it.
    pub draft: Option<(i64, Period, Option<crate::domain::report::ReportDraft>)>,
    /// Chats of others (platform, chat id) written to in answer to what she just did, which
    /// go at once rather than after quiet hours: the two accounts of a link being made.
    pub at_once: Vec<(String, String)>,
    /// The choice being handled was typed (a number or words on Zalo), not tapped: a decision
    /// about someone else is confirmed first.
    pub typed: bool,
    /// The Telegram bot's username, for invite links (see [`Engine::set_bot_username`]).
    pub bot_username: Option<String>,
    /// She writes from a platform without buttons or files for the bot to pass on (Zalo).
    pub text_only: bool,
}

impl Ctx<'_> {
    /// A message to her.
    pub fn say(&mut self, text: String) {
        self.say_with(text, Vec::new());
    }

    pub fn say_with(&mut self, text: String, choices: Vec<Vec<Choice>>) {
        let chat_id = self.user.chat_id.clone();
        self.out.push((
            self.user.platform.clone(),
            Outbound {
                chat_id,
                text,
                choices,
                ..Outbound::default()
            },
        ));
    }

    /// A message to someone else (an officer, a branch head).
    pub fn send_to(&mut self, to: &User, text: String, choices: Vec<Vec<Choice>>) {
        self.out.push((
            to.platform.clone(),
            Outbound {
                chat_id: to.chat_id.clone(),
                text,
                choices,
                ..Outbound::default()
            },
        ));
    }

    /// A message to someone else that answers what she just did, sent at once even in quiet
    /// hours (see [`Ctx::at_once`]).
    pub fn tell_at_once(&mut self, to: &User, text: String, choices: Vec<Vec<Choice>>) {
        self.at_once.push((to.platform.clone(), to.chat_id.clone()));
        self.send_to(to, text, choices);
    }

    /// [`Ctx::tell_at_once`] with a whole message (a step's prompt, say).
    pub fn tell_at_once_outbound(&mut self, platform: &str, out: Outbound) {
        self.at_once
            .push((platform.to_owned(), out.chat_id.clone()));
        self.out.push((platform.to_owned(), out));
    }

    pub fn role(&self) -> Option<Role> {
        self.user.role
    }
}

/// Global routing: commands and menu buttons start flows from any state; dialog buttons are
/// checked for staleness; text goes to the current step.
async fn route(
    ctx: &mut Ctx<'_>,
    state: &DialogState,
    version: i64,
    input: &Input,
) -> Result<Next, DialogError> {
    match input {
        Input::Command { name, arg } => flows::command(ctx, name, arg).await,
        Input::Choice(data)
            if ctx.typed
                && confirm::wanted(state, version, data)
                && confirm::allowed(ctx, data).await? =>
        {
            Ok(confirm::ask(state, data))
        }
        Input::Choice(data) => match parse_choice(data) {
            ChoiceData::Command(name) => flows::command(ctx, name, "").await,
            ChoiceData::OpenReport(period) => report::start(ctx, &period.to_string()).await,
            ChoiceData::RemindAll(period, unit) => {
                flows::remind_all(ctx, period, unit).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::Progress(unit, period, page) => {
                admin::progress(ctx, Some(unit), Some(period), page.unwrap_or(0)).await
            }
            ChoiceData::Targets(unit, year, page) => {
                admin::targets(ctx, Some(unit), Some(year), page.unwrap_or(0)).await
            }
            ChoiceData::Alerts(page) => {
                alerts::list_open(ctx, page).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::Chart(data) => {
                admin::chart(ctx, data).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::Alert { id, to, .. } => {
                alerts::decide(ctx, id, to).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::JoinDecision {
                request_id,
                approve,
            } => {
                flows::decide_join(ctx, request_id, approve).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::LinkDecision {
                request_id,
                approve,
            } => {
                linking::decide(ctx, request_id, approve).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::Announcement { id, stop } => {
                if stop {
                    announce::stop(ctx, id).await?;
                } else {
                    announce::read(ctx, id).await?;
                }
                Ok(Next::Quiet)
            }
            ChoiceData::AnnounceResume(kind) => {
                announce::resume(ctx, kind).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::RosterMatch { user_id, row } => {
                roster::decide(ctx, user_id, row).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::RosterStatus { away } => {
                roster::set_status(ctx, away).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::Poll { id, choice } => match choice {
                Some(n) => {
                    polls::answer(ctx, id, n).await?;
                    Ok(Next::Quiet)
                }
                None => polls::ask_comment(ctx, id).await,
            },
            ChoiceData::Synthesis(unit, period, page) => {
                synthesis::open(ctx, Some(unit), period, page.unwrap_or(0), false).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::SynthesisWord(unit, period) => {
                synthesis::open(ctx, Some(unit), period, 0, true).await?;
                Ok(Next::Quiet)
            }
            ChoiceData::Step { version: v, token }
                if v == version && *state != DialogState::Idle =>
            {
                if token == "cancel" {
                    return flows::cancel(ctx, state);
                }
                state::on_choice(ctx, state, token).await
            }
            ChoiceData::Step { version: v, .. } if v <= version => {
                // An older step's button, or a second tap on one already acted upon.
                ctx.notice = Some(tr!(ctx.lang, "error-stale-button"));
                if *state == DialogState::Idle {
                    Ok(Next::Quiet)
                } else {
                    Ok(Next::Stay)
                }
            }
            ChoiceData::Step { .. } | ChoiceData::Forged => {
                // Data no button of hers ever carried (a step not reached yet, or made up): a
                // notice on the tap, and nothing sent, so that forging costs the bot no message.
                tracing::warn!(user = ctx.user.id, "unrecognised choice data");
                ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
                Ok(Next::Quiet)
            }
        },
        Input::Text(text) => {
            if *state == DialogState::Idle {
                return flows::idle_text(ctx, text).await;
            }
            if state::accepts_text(state) {
                return state::on_text(ctx, state, text).await;
            }
            // A text-only platform answers a numbered list with the number.
            if let Ok(n) = text.trim().parse::<usize>()
                && let Some(prompt) = state::prompt(ctx, state).await?
                && let Some(token) = prompt.token_at(n)
            {
                if token == "cancel" {
                    return flows::cancel(ctx, state);
                }
                return state::on_choice(ctx, state, &token).await;
            }
            ctx.say(tr!(ctx.lang, "error-use-buttons"));
            Ok(Next::Stay)
        }
        Input::Photo { file_id, size } => {
            if let DialogState::Announce {
                step: announce::AnnounceStep::Text,
            } = state
            {
                let file = IncomingFile {
                    kind: AttachmentKind::Photo,
                    file_id: file_id.clone(),
                    file_name: None,
                    size: *size,
                    caption: None,
                };
                return announce::on_file(ctx, &file);
            }
            if let DialogState::Activity {
                step: activity::ActivityStep::Photos,
                draft,
            } = state
            {
                return activity::on_photo(ctx, draft, file_id, *size);
            }
            ctx.say(tr!(ctx.lang, "error-photo-not-expected"));
            Ok(if *state == DialogState::Idle {
                Next::Quiet
            } else {
                Next::Stay
            })
        }
        Input::Unsupported => {
            ctx.say(tr!(ctx.lang, "error-unsupported"));
            Ok(if *state == DialogState::Idle {
                Next::Quiet
            } else {
                Next::Stay
            })
        }
        Input::Blocked => Ok(Next::Quiet),
        Input::File(file) => {
            if let DialogState::Announce {
                step: announce::AnnounceStep::Text,
            } = state
            {
                return announce::on_file(ctx, file);
            }
            if file.kind == AttachmentKind::Photo
                && let DialogState::Activity {
                    step: activity::ActivityStep::Photos,
                    draft,
                } = state
            {
                return activity::on_photo(ctx, draft, &file.file_id, file.size);
            }
            let refusal = match file.kind {
                AttachmentKind::Photo => tr!(ctx.lang, "error-photo-not-expected"),
                AttachmentKind::Document => tr!(ctx.lang, "error-unsupported"),
            };
            ctx.say(refusal);
            Ok(if *state == DialogState::Idle {
                Next::Quiet
            } else {
                Next::Stay
            })
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ChoiceData<'a> {
    /// `c:<command>` — a menu button, valid at any time.
    Command(&'a str),
    /// `j:<id>:a|r` — a head's decision on a join request.
    JoinDecision {
        request_id: i64,
        approve: bool,
    },
    /// `lk:<id>:a|r` — the answer of the account that made a link code: agree, or not me.
    LinkDecision {
        request_id: i64,
        approve: bool,
    },
    /// `n:<id>:r|s` — a recipient confirms reading announcement `id`, or stops its kind.
    Announcement {
        id: i64,
        stop: bool,
    },
    /// `nk:<kind>` — she takes announcements of that kind again.
    AnnounceResume(AnnouncementKind),
    /// `d:<version>:<token>` — a step of her current dialog.
    Step {
        version: i64,
        token: &'a str,
    },
    /// `p:<YYYY-MM>` — open the report of that period (from a reminder).
    OpenReport(Period),
    /// `r:<YYYY-MM>[:<unit>]` — remind every pending unit below her, or below that unit.
    RemindAll(Period, Option<i64>),
    /// `v:<unit>:<YYYY-MM>[:<page>]` — completeness view of a unit in her subtree; with a page,
    /// another page of its child units' buttons.
    Progress(i64, Period, Option<usize>),
    /// `k:<unit>:<year>[:<page>]` — targets view of a unit in her subtree (and a page of it).
    Targets(i64, i32, Option<usize>),
    /// `al:<page>` — another page of the open alerts (`/canhbao`).
    Alerts(usize),
    /// `g:c:<unit>:<YYYY-MM>` or `g:t:<unit>:<year>` — a chart.
    Chart(&'a str),
    /// `a:<id>:ack|prog|done[:<status seen>]` — an officer moves an urgent report along; the
    /// status the choice was made for, when it says, tells a list that is out of date.
    Alert {
        id: i64,
        to: AlertStatus,
        seen: Option<AlertStatus>,
    },
    /// `ro:<user>:<row>` — a head says which roster row the joiner `user` is (0: not on the
    /// list, add her).
    RosterMatch {
        user_id: i64,
        row: i64,
    },
    /// `rs:away|home` — a member sets her own status on the roster.
    RosterStatus {
        away: bool,
    },
    /// `th:<unit>:<YYYY-MM>[:<page>]` — the monthly synthesis of a unit in her subtree (and a
    /// page of its child units' buttons).
    Synthesis(i64, Period, Option<usize>),
    /// `tw:<unit>:<YYYY-MM>` — the same synthesis as a Word file.
    SynthesisWord(i64, Period),
    Forged,
    /// `q:<id>:<n>|c` — a recipient answers poll `id` with option `n` (1-based), or asks to
    /// write a comment (`None`).
    Poll {
        id: i64,
        choice: Option<i64>,
    },
}

/// `<unit>:<when>[:<page>]` of a view's choice data; `None` when the page is there but not a
/// number.
fn view_parts(rest: &str) -> Option<(&str, &str, Option<usize>)> {
    let mut parts = rest.splitn(3, ':');
    let (unit, when) = (parts.next()?, parts.next()?);
    match parts.next() {
        None => Some((unit, when, None)),
        Some(page) => Some((unit, when, Some(page.parse().ok()?))),
    }
}

fn parse_choice(data: &str) -> ChoiceData<'_> {
    if let Some(cmd) = data.strip_prefix("c:")
        && flows::COMMANDS.contains(&cmd)
    {
        return ChoiceData::Command(cmd);
    }
    if let Some((id, verdict)) = data.strip_prefix("j:").and_then(|r| r.split_once(':'))
        && let (Ok(request_id), "a" | "r") = (id.parse(), verdict)
    {
        return ChoiceData::JoinDecision {
            request_id,
            approve: verdict == "a",
        };
    }
    if let Some((id, verdict)) = data.strip_prefix("lk:").and_then(|r| r.split_once(':'))
        && let (Ok(request_id), "a" | "r") = (id.parse(), verdict)
    {
        return ChoiceData::LinkDecision {
            request_id,
            approve: verdict == "a",
        };
    }
    if let Some((id, action)) = data.strip_prefix("n:").and_then(|r| r.split_once(':'))
        && let (Ok(id), "r" | "s") = (id.parse(), action)
    {
        return ChoiceData::Announcement {
            id,
            stop: action == "s",
        };
    }
    if let Some(kind) = data.strip_prefix("nk:").and_then(AnnouncementKind::parse) {
        return ChoiceData::AnnounceResume(kind);
    }
    if let Some((id, what)) = data.strip_prefix("q:").and_then(|r| r.split_once(':'))
        && let Ok(id) = id.parse()
    {
        match (what, what.parse::<i64>()) {
            ("c", _) => return ChoiceData::Poll { id, choice: None },
            (_, Ok(n)) if (1..=5).contains(&n) => {
                return ChoiceData::Poll {
                    id,
                    choice: Some(n),
                };
            }
            _ => return ChoiceData::Forged,
        }
    }
    if let Some(p) = data.strip_prefix("p:").and_then(|p| p.parse().ok()) {
        return ChoiceData::OpenReport(p);
    }
    if let Some(rest) = data.strip_prefix("r:") {
        let (p, unit) = match rest.split_once(':') {
            Some((p, u)) => (p, u.parse().ok()),
            None => (rest, None),
        };
        if let Ok(p) = p.parse() {
            return ChoiceData::RemindAll(p, unit);
        }
    }
    if let Some((u, p, page)) = data.strip_prefix("v:").and_then(view_parts)
        && let (Ok(u), Ok(p)) = (u.parse(), p.parse())
    {
        return ChoiceData::Progress(u, p, page);
    }
    if let Some((u, y, page)) = data.strip_prefix("k:").and_then(view_parts)
        && let (Ok(u), Ok(y)) = (u.parse(), y.parse())
    {
        return ChoiceData::Targets(u, y, page);
    }
    if let Some(Ok(page)) = data.strip_prefix("al:").map(str::parse) {
        return ChoiceData::Alerts(page);
    }
    if let Some(rest) = data.strip_prefix("g:") {
        return ChoiceData::Chart(rest);
    }
    if let Some((id, rest)) = data.strip_prefix("a:").and_then(|r| r.split_once(':')) {
        let (tok, seen) = match rest.split_once(':') {
            // Any status, "open" too (a move's token is never "open").
            Some((tok, seen)) => (
                tok,
                Some(match seen {
                    "open" => Ok(AlertStatus::Open),
                    t => AlertStatus::from_token(t).ok_or(()),
                }),
            ),
            None => (rest, None),
        };
        if let (Ok(id), Some(to), Ok(seen)) =
            (id.parse(), AlertStatus::from_token(tok), seen.transpose())
        {
            return ChoiceData::Alert { id, to, seen };
        }
    }
    if let Some((user, row)) = data.strip_prefix("ro:").and_then(|r| r.split_once(':'))
        && let (Ok(user_id), Ok(row)) = (user.parse::<i64>(), row.parse::<i64>())
        && user_id > 0
        && row >= 0
    {
        return ChoiceData::RosterMatch { user_id, row };
    }
    match data {
        "rs:away" => return ChoiceData::RosterStatus { away: true },
        "rs:home" => return ChoiceData::RosterStatus { away: false },
        _ => {}
    }
    if let Some((u, p, page)) = data.strip_prefix("th:").and_then(view_parts)
        && let (Ok(u), Ok(p)) = (u.parse(), p.parse())
    {
        return ChoiceData::Synthesis(u, p, page);
    }
    if let Some((u, p)) = data.strip_prefix("tw:").and_then(|r| r.split_once(':'))
        && let (Ok(u), Ok(p)) = (u.parse(), p.parse())
    {
        return ChoiceData::SynthesisWord(u, p);
    }
    if let Some((v, token)) = data.strip_prefix("d:").and_then(|r| r.split_once(':'))
        && let Ok(version) = v.parse()
        && !token.is_empty()
    {
        return ChoiceData::Step { version, token };
    }
    ChoiceData::Forged
}

/// The text and choices of a step, before the version is stamped on the choices.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prompt {
    pub text: String,
    /// Rows of (label, token).
    pub rows: Vec<Vec<(String, String)>>,
    /// The step takes a typed number as its answer (see [`Outbound::lettered`]).
    pub lettered: bool,
}

impl Prompt {
    pub fn new(text: String) -> Self {
        Self {
            text,
            rows: Vec::new(),
            lettered: false,
        }
    }

    /// Marks a step whose typed answer is a number (people, counts, dates).
    pub fn lettered(mut self) -> Self {
        self.lettered = true;
        self
    }

    pub fn row(mut self, row: Vec<(String, String)>) -> Self {
        if !row.is_empty() {
            self.rows.push(row);
        }
        self
    }

    /// One choice per row.
    pub fn column(mut self, items: Vec<(String, String)>) -> Self {
        self.rows.extend(items.into_iter().map(|i| vec![i]));
        self
    }

    /// The token of the n-th choice (1-based, reading order).
    fn token_at(&self, n: usize) -> Option<String> {
        self.rows
            .iter()
            .flatten()
            .nth(n.checked_sub(1)?)
            .map(|(_, t)| t.clone())
    }

    fn into_outbound(self, chat_id: String, version: i64) -> Outbound {
        Outbound {
            chat_id,
            text: self.text,
            choices: self
                .rows
                .into_iter()
                .map(|row| {
                    row.into_iter()
                        .map(|(label, token)| Choice {
                            label,
                            data: format!("d:{version}:{token}"),
                        })
                        .collect()
                })
                .collect(),
            lettered: self.lettered,
            ..Outbound::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_data_is_parsed_strictly() {
        assert_eq!(
            parse_choice("q:12:3"),
            ChoiceData::Poll {
                id: 12,
                choice: Some(3)
            }
        );
        assert_eq!(
            parse_choice("q:12:c"),
            ChoiceData::Poll {
                id: 12,
                choice: None
            }
        );
        assert_eq!(parse_choice("q:12:6"), ChoiceData::Forged);
        assert_eq!(parse_choice("q:12:0"), ChoiceData::Forged);
        assert_eq!(parse_choice("q:x:1"), ChoiceData::Forged);
        assert_eq!(parse_choice("c:baocao"), ChoiceData::Command("baocao"));
        assert_eq!(parse_choice("c:rm -rf"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("j:42:a"),
            ChoiceData::JoinDecision {
                request_id: 42,
                approve: true
            }
        );
        assert_eq!(parse_choice("j:42:x"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("lk:7:r"),
            ChoiceData::LinkDecision {
                request_id: 7,
                approve: false
            }
        );
        assert_eq!(parse_choice("lk:7:yes"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("n:9:r"),
            ChoiceData::Announcement { id: 9, stop: false }
        );
        assert_eq!(
            parse_choice("n:9:s"),
            ChoiceData::Announcement { id: 9, stop: true }
        );
        assert_eq!(parse_choice("n:9:x"), ChoiceData::Forged);
        assert_eq!(parse_choice("n:x:r"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("nk:policy"),
            ChoiceData::AnnounceResume(AnnouncementKind::Policy)
        );
        assert_eq!(parse_choice("nk:alerts"), ChoiceData::Forged);
        assert_eq!(parse_choice("lk:x:a"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("d:7:s:stable"),
            ChoiceData::Step {
                version: 7,
                token: "s:stable"
            }
        );
        assert_eq!(parse_choice("d:x:s"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("p:2026-10"),
            ChoiceData::OpenReport(Period::new(2026, 10).unwrap())
        );
        assert_eq!(parse_choice("p:2026-13"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("r:2026-10"),
            ChoiceData::RemindAll(Period::new(2026, 10).unwrap(), None)
        );
        assert_eq!(
            parse_choice("r:2026-10:7"),
            ChoiceData::RemindAll(Period::new(2026, 10).unwrap(), Some(7))
        );
        assert_eq!(
            parse_choice("v:7:2026-10"),
            ChoiceData::Progress(7, Period::new(2026, 10).unwrap(), None)
        );
        assert_eq!(
            parse_choice("v:7:2026-10:2"),
            ChoiceData::Progress(7, Period::new(2026, 10).unwrap(), Some(2))
        );
        assert_eq!(parse_choice("v:7:2026-10:x"), ChoiceData::Forged);
        assert_eq!(parse_choice("k:7:2026"), ChoiceData::Targets(7, 2026, None));
        assert_eq!(
            parse_choice("k:7:2026:1"),
            ChoiceData::Targets(7, 2026, Some(1))
        );
        assert_eq!(parse_choice("al:3"), ChoiceData::Alerts(3));
        assert_eq!(parse_choice("al:-1"), ChoiceData::Forged);
        assert_eq!(parse_choice("v:x:2026-10"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("a:12:ack"),
            ChoiceData::Alert {
                id: 12,
                to: AlertStatus::Acknowledged,
                seen: None
            }
        );
        assert_eq!(
            parse_choice("a:12:done:open"),
            ChoiceData::Alert {
                id: 12,
                to: AlertStatus::Resolved,
                seen: Some(AlertStatus::Open)
            }
        );
        assert_eq!(parse_choice("a:12:done:later"), ChoiceData::Forged);
        assert_eq!(parse_choice("a:12:open"), ChoiceData::Forged);
        assert_eq!(parse_choice("d:7:"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("ro:12:0"),
            ChoiceData::RosterMatch {
                user_id: 12,
                row: 0
            }
        );
        assert_eq!(parse_choice("ro:12:-1"), ChoiceData::Forged);
        assert_eq!(parse_choice("ro:x:3"), ChoiceData::Forged);
        assert_eq!(
            parse_choice("rs:away"),
            ChoiceData::RosterStatus { away: true }
        );
        assert_eq!(parse_choice("rs:gone"), ChoiceData::Forged);
        assert_eq!(parse_choice(""), ChoiceData::Forged);
    }

    #[test]
    fn typed_text_is_composed_and_loses_control_characters() {
        assert_eq!(typed("Phu\u{323} nu\u{31b}\u{303}"), "Phụ nữ");
        assert_eq!(typed("a\u{0}b\u{7}c\u{9b}d\r\n\te🌾"), "abcd\n\te🌾");
        // Marks a control character kept apart come out in canonical order (found by the
        // property test).
        let marks = typed(" \u{300}\u{7}\u{316}");
        assert_eq!(marks, " \u{316}\u{300}");
        assert!(unicode_normalization::is_nfc(&marks));
    }

    #[test]
    fn plain_replies_fold_into_the_next_step() {
        let own = ("telegram".to_owned(), "1".to_owned());
        let to = |chat: &str, text: &str| ("telegram".to_owned(), Outbound::text(chat, text));
        let mut step = to("1", "Câu 2?");
        step.1.choices = vec![vec![Choice {
            label: "Có".into(),
            data: "d:1:y".into(),
        }]];
        let out = fold_replies(
            vec![to("1", "Đã ghi."), to("9", "Cho chị trưởng"), step],
            &own,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].1.chat_id, "9");
        assert_eq!(out[1].1.text, "Đã ghi.\n\nCâu 2?");
        assert_eq!(out[1].1.choices.len(), 1);
        // Too long together: two messages.
        let long = "ệ".repeat(FOLD_CHARS);
        let out = fold_replies(vec![to("1", &long), to("1", "Câu 2?")], &own);
        assert_eq!(out.len(), 2);
        // A file is never folded into; a lone plain reply stays.
        let mut chart = to("1", "Biểu đồ");
        chart.1.attachment = Some(Attachment {
            kind: AttachmentKind::Photo,
            file_name: "c.png".into(),
            data: FileData::Bytes(vec![1]),
            url: None,
        });
        let out = fold_replies(vec![to("1", "Đang vẽ…"), chart], &own);
        assert_eq!(out.len(), 2);
        assert_eq!(fold_replies(vec![to("1", "Chào chị")], &own).len(), 1);
    }

    #[test]
    fn choices_are_counted_in_reading_order() {
        let prompt = Prompt::new("Chọn:".into())
            .row(vec![("A".into(), "a".into()), ("B".into(), "b".into())])
            .row(vec![("C".into(), "c".into())]);
        assert_eq!(prompt.token_at(3).as_deref(), Some("c"));
        assert_eq!(prompt.token_at(0), None);
        assert_eq!(prompt.token_at(4), None);
        let out = prompt.into_outbound("1".into(), 5);
        assert_eq!(out.choices[0][1].data, "d:5:b");
    }
}
