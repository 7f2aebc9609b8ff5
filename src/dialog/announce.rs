//! Announcements (`/thongbao`). An officer (for her subtree) or a branch head (for her branch)
//! writes a short text, picks a unit and who in it receives it, and its kind, sees a preview and
//! sends it: one message per recipient, queued in bulk ([`announcements::create`]) and sent
//! after every reply, alert and other message. Each recipient confirms with "✅ Đã đọc" (a
//! number on Zalo) or stops that kind ("🔕 Dừng nhận tin này"); `/thongbao` shows her what she
//! has not confirmed and the kinds she stopped, and the sender her announcements' reach per
//! unit, from where she may remind the unread once.
//!
//! Outside a dialog the recipient's choices are `n:<id>:r` (read), `n:<id>:s` (stop) and
//! `nk:<kind>` (take the kind again); they name the announcement, and only a recipient of it
//! can act on them. Reminders to report and alerts are not announcements: stopping a kind
//! never touches them.

use serde::{Deserialize, Serialize};

use super::paging::{self, Page};
use super::state::DialogState;
use super::{Ctx, DialogError, Next, Prompt, flows};
use crate::domain::announcement::{self, AnnouncementKind, Audience};
use crate::domain::announcement_file::{AnnouncementFile, DOCUMENT_ENDINGS, FileKind, FileRefusal};
use crate::domain::report::{MAX_NOTE_CHARS, clean_text};
use crate::i18n::Lang;
use crate::labels;
use crate::message::{AttachmentKind, Choice};
use crate::storage::announcements::{self, Announcement, Read};
use crate::storage::org::{self, Unit};
use crate::tr;

/// Where she is in `/thongbao`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum AnnounceStep {
    /// What is unread for her, the kinds she stopped, and (for senders) her announcements.
    Home,
    /// Typing the text.
    Text,
    /// Picking the unit (her own or one just below it).
    Unit {
        text: String,
        page: usize,
        /// A photo or document sent with it (Telegram).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<AnnouncementFile>,
    },
    Audience {
        text: String,
        unit_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<AnnouncementFile>,
    },
    Kind {
        text: String,
        unit_id: i64,
        audience: Audience,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<AnnouncementFile>,
    },
    Preview {
        text: String,
        unit_id: i64,
        audience: Audience,
        kind: AnnouncementKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<AnnouncementFile>,
    },
    /// One of her announcements: who has it, who read it.
    Reach { id: i64 },
}

/// A file that came with the text (Telegram): a document, or a photo with its caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingFile {
    pub kind: AttachmentKind,
    pub file_id: String,
    pub file_name: Option<String>,
    /// Bytes, when the platform says.
    pub size: Option<i64>,
    pub caption: Option<String>,
}

/// Most of her own announcements listed at once, and of the unread ones to her.
const LISTED: i64 = 5;
/// Most units named in a reach view (small screens).
const REACH_UNITS: usize = 15;

pub(crate) fn accepts_text(step: &AnnounceStep) -> bool {
    *step == AnnounceStep::Text
}

fn step(step: AnnounceStep) -> Next {
    Next::Go(DialogState::Announce { step })
}

/// `/thongbao`.
pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    if ctx.user.membership().is_none() {
        return flows::not_joined(ctx);
    }
    Ok(step(AnnounceStep::Home))
}

/// Her unit, when she may send announcements.
async fn sender_unit(ctx: &mut Ctx<'_>) -> Result<Option<Unit>, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return Ok(None);
    };
    if !announcement::may_send(role) {
        return Ok(None);
    }
    Ok(org::unit_by_id(ctx.conn, unit_id).await?)
}

/// The unit `unit_id` if she may send to it: hers or one below it.
async fn unit_for_her(ctx: &mut Ctx<'_>, unit_id: i64) -> Result<Option<Unit>, DialogError> {
    let Some(mine) = sender_unit(ctx).await? else {
        return Ok(None);
    };
    Ok(org::unit_by_id(ctx.conn, unit_id)
        .await?
        .filter(|u| u.is_within(&mine)))
}

fn short_date(ctx: &Ctx<'_>, at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&ctx.tz)
        .format("%d/%m")
        .to_string()
}

pub(crate) fn kind_label(lang: Lang, kind: AnnouncementKind) -> String {
    match kind {
        AnnouncementKind::Policy => tr!(lang, "announce-kind-policy"),
        AnnouncementKind::Other => tr!(lang, "announce-kind-other"),
    }
}

fn audience_label(lang: Lang, audience: Audience) -> String {
    match audience {
        Audience::Members => tr!(lang, "announce-audience-members"),
        Audience::BranchHeads => tr!(lang, "announce-audience-heads"),
        Audience::Officers => tr!(lang, "announce-audience-officers"),
    }
}

/// The announcement as its recipients read it.
pub(crate) fn message_text(lang: Lang, from: &str, kind: AnnouncementKind, body: &str) -> String {
    tr!(
        lang,
        "announce-message",
        from = from.to_owned(),
        kind = kind_label(lang, kind),
        text = body.to_owned()
    )
}

/// Its choices for a recipient.
pub(crate) fn message_choices(lang: Lang, id: i64) -> Vec<Vec<Choice>> {
    vec![
        vec![Choice {
            label: tr!(lang, "button-announce-read"),
            data: format!("n:{id}:r"),
        }],
        vec![Choice {
            label: tr!(lang, "button-announce-stop"),
            data: format!("n:{id}:s"),
        }],
    ]
}

// ---- prompts -----------------------------------------------------------------------------------

pub(crate) async fn prompt(ctx: &mut Ctx<'_>, at: &AnnounceStep) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let cancel = || vec![(tr!(lang, "button-cancel"), "cancel".to_owned())];
    Ok(match at {
        AnnounceStep::Home => home_prompt(ctx).await?,
        AnnounceStep::Text if ctx.text_only => {
            Prompt::new(tr!(lang, "announce-ask-text")).row(cancel())
        }
        AnnounceStep::Text => Prompt::new(tr!(lang, "announce-ask-text-or-file")).row(cancel()),
        AnnounceStep::Unit { page, .. } => {
            let Some(mine) = sender_unit(ctx).await? else {
                return Ok(Prompt::new(tr!(lang, "announce-not-allowed")).row(cancel()));
            };
            let children: Vec<Unit> = org::children(ctx.conn, Some(mine.id)).await?;
            let shown = Page::of(&children, *page);
            let mut items = vec![(
                tr!(lang, "button-announce-whole", unit = mine.name.clone()),
                format!("unit:{}", mine.id),
            )];
            items.extend(
                shown
                    .shown
                    .iter()
                    .map(|u| (u.name.clone(), format!("unit:{}", u.id))),
            );
            Prompt::new(tr!(lang, "announce-ask-unit"))
                .column(items)
                .row(shown.nav(lang, paging::step_token))
                .row(cancel())
        }
        AnnounceStep::Audience { unit_id, .. } => {
            let role = ctx.role();
            let unit = org::unit_by_id(ctx.conn, *unit_id).await?;
            let (name, level) = unit
                .map(|u| (u.name, u.level))
                .unwrap_or((String::new(), crate::domain::org::Level::Branch));
            let items = Audience::ALL
                .into_iter()
                .filter(|a| a.fits(level) && role.is_some_and(|r| a.open_to(r)))
                .map(|a| (audience_label(lang, a), format!("aud:{}", a.as_str())))
                .collect();
            Prompt::new(tr!(lang, "announce-ask-audience", unit = name))
                .column(items)
                .row(cancel())
        }
        AnnounceStep::Kind { .. } => Prompt::new(tr!(lang, "announce-ask-kind"))
            .column(
                AnnouncementKind::ALL
                    .into_iter()
                    .map(|k| (kind_label(lang, k), format!("kind:{}", k.as_str())))
                    .collect(),
            )
            .row(cancel()),
        AnnounceStep::Preview {
            text,
            unit_id,
            audience,
            kind,
            file,
        } => {
            let Some(unit) = unit_for_her(ctx, *unit_id).await? else {
                return Ok(Prompt::new(tr!(lang, "announce-not-allowed")).row(cancel()));
            };
            let from = match ctx.user.unit_id {
                Some(id) => org::unit_by_id(ctx.conn, id)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            let count =
                announcements::audience_size(ctx.conn, &unit, *audience, *kind, ctx.user.id)
                    .await?;
            let mut message = message_text(lang, &from, *kind, text);
            if let Some(f) = file {
                message.push('\n');
                message.push_str(&file_line(lang, f));
            }
            let body = tr!(
                lang,
                "announce-preview",
                message = message,
                audience = audience_label(lang, *audience),
                unit = unit.name.clone(),
                count = count
            );
            let prompt = Prompt::new(body);
            if count == 0 {
                prompt.row(cancel())
            } else {
                prompt
                    .row(vec![(tr!(lang, "button-announce-send"), "send".to_owned())])
                    .row(cancel())
            }
        }
        AnnounceStep::Reach { id } => reach_prompt(ctx, *id).await?,
    })
}

async fn home_prompt(ctx: &mut Ctx<'_>) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let mut text = tr!(lang, "announce-home-title");
    let mut items = Vec::new();
    let unread = announcements::unread_for(ctx.conn, ctx.user.id, LISTED).await?;
    if !unread.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "announce-unread-title"));
        for a in &unread {
            text.push_str(&format!(
                "\n{}",
                tr!(
                    lang,
                    "announce-unread-line",
                    n = a.id,
                    date = short_date(ctx, a.created_at),
                    text = summary(a, 300)
                )
            ));
            items.push((
                tr!(lang, "button-announce-read-n", n = a.id),
                format!("read:{}", a.id),
            ));
        }
    }
    for kind in announcements::stopped(ctx.conn, ctx.user.id).await? {
        let label = kind_label(lang, kind);
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "announce-stopped-line", kind = label.clone()));
        items.push((
            tr!(lang, "button-announce-resume", kind = label),
            format!("on:{}", kind.as_str()),
        ));
    }
    if sender_unit(ctx).await?.is_some() {
        items.push((tr!(lang, "button-announce-new"), "new".to_owned()));
        let mine = announcements::sent_by(ctx.conn, ctx.user.id, LISTED).await?;
        if !mine.is_empty() {
            text.push_str("\n\n");
            text.push_str(&tr!(lang, "announce-sent-title"));
        }
        for a in &mine {
            items.push((
                tr!(
                    lang,
                    "button-announce-show",
                    n = a.id,
                    date = short_date(ctx, a.created_at),
                    text = summary(a, 20)
                ),
                format!("show:{}", a.id),
            ));
        }
    } else if items.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "announce-nothing"));
    }
    Ok(Prompt::new(text)
        .column(items)
        .row(vec![(tr!(lang, "button-close"), "cancel".to_owned())]))
}

async fn reach_prompt(ctx: &mut Ctx<'_>, id: i64) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let back = (tr!(lang, "button-announce-back"), "back".to_owned());
    let close = (tr!(lang, "button-close"), "cancel".to_owned());
    let Some(ann) = announcements::load(ctx.conn, id).await? else {
        return Ok(Prompt::new(tr!(lang, "error-bad-button")).row(vec![back, close]));
    };
    let units = announcements::reach(ctx.conn, id).await?;
    let unit = org::unit_by_id(ctx.conn, ann.unit_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let sum = |f: fn(&announcements::UnitReach) -> i64| units.iter().map(f).sum::<i64>();
    let (pending, unread) = (sum(|u| u.pending), sum(|u| u.unread()));
    let mut text = tr!(
        lang,
        "announce-reach",
        n = ann.id,
        date = short_date(ctx, ann.created_at),
        kind = kind_label(lang, ann.kind),
        text = summary(&ann, 300),
        audience = audience_label(lang, ann.audience),
        unit = unit,
        delivered = sum(|u| u.delivered),
        read = sum(|u| u.read),
        unread = unread,
        unreachable = sum(|u| u.unreachable)
    );
    if pending > 0 {
        text.push_str(&tr!(lang, "announce-reach-pending", pending = pending));
    }
    for u in units.iter().take(REACH_UNITS) {
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "announce-reach-unit",
            unit = u.unit_name.clone(),
            delivered = u.delivered,
            read = u.read,
            unread = u.unread(),
            unreachable = u.unreachable
        ));
    }
    if units.len() > REACH_UNITS {
        text.push_str(&tr!(
            lang,
            "overdue-more",
            count = (units.len() - REACH_UNITS) as i64
        ));
    }
    let mut prompt = match ann.reminded_at {
        Some(at) => {
            text.push_str("\n\n");
            text.push_str(&tr!(
                lang,
                "announce-reminded-on",
                date = short_date(ctx, at)
            ));
            Prompt::new(text)
        }
        None if unread > 0 => Prompt::new(text).row(vec![(
            tr!(lang, "button-announce-remind"),
            "remind".to_owned(),
        )]),
        None => Prompt::new(text),
    };
    prompt = prompt.row(vec![back, close]);
    Ok(prompt)
}

// ---- answers -----------------------------------------------------------------------------------

pub(crate) fn on_text(
    ctx: &mut Ctx<'_>,
    at: &AnnounceStep,
    text: &str,
) -> Result<Next, DialogError> {
    if *at != AnnounceStep::Text {
        return Ok(Next::Stay);
    }
    match clean_text(text, MAX_NOTE_CHARS) {
        Ok(text) => Ok(composed(ctx, text, None)),
        Err(why) => {
            ctx.say(super::report::refusal(ctx.lang, why));
            Ok(Next::Stay)
        }
    }
}

/// A photo or document at the text step, its caption the text: kept if it is of a kind and
/// size recipients can be sent, else refused kindly and nothing kept.
pub(crate) fn on_file(ctx: &mut Ctx<'_>, file: &IncomingFile) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    if ctx.text_only {
        // Zalo keeps no file the bot could send on to Telegram.
        ctx.say(tr!(lang, "announce-file-not-here"));
        return Ok(Next::Stay);
    }
    let checked = match file.kind {
        AttachmentKind::Photo => AnnouncementFile::photo(&file.file_id, file.size),
        AttachmentKind::Document => {
            AnnouncementFile::document(&file.file_id, file.file_name.as_deref(), file.size)
        }
    };
    let kept = match checked {
        Ok(kept) => kept,
        Err(FileRefusal::TooBig { max_mb }) => {
            ctx.say(tr!(lang, "announce-file-too-big", max = max_mb));
            return Ok(Next::Stay);
        }
        Err(FileRefusal::WrongType) => {
            ctx.say(tr!(
                lang,
                "announce-file-wrong-type",
                types = DOCUMENT_ENDINGS
            ));
            return Ok(Next::Stay);
        }
    };
    let text = match file.caption.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(caption) => match clean_text(caption, MAX_NOTE_CHARS) {
            Ok(text) => text,
            Err(why) => {
                ctx.say(super::report::refusal(lang, why));
                return Ok(Next::Stay);
            }
        },
    };
    Ok(composed(ctx, text, Some(kept)))
}

/// The text (and file) written: a branch head goes on to the kind (her branch's members, nothing
/// to pick), an officer to the unit.
fn composed(ctx: &mut Ctx<'_>, text: String, file: Option<AnnouncementFile>) -> Next {
    if ctx.role() == Some(crate::domain::role::Role::BranchHead) {
        let Some(unit_id) = ctx.user.unit_id else {
            return Next::Stay;
        };
        return step(AnnounceStep::Kind {
            text,
            unit_id,
            audience: Audience::Members,
            file,
        });
    }
    step(AnnounceStep::Unit {
        text,
        page: 0,
        file,
    })
}

/// What the preview says of the file.
fn file_line(lang: Lang, file: &AnnouncementFile) -> String {
    match file.kind {
        FileKind::Photo => tr!(lang, "announce-with-photo"),
        FileKind::Document => tr!(
            lang,
            "announce-with-document",
            name = file.file_name.clone()
        ),
    }
}

/// An announcement in a list: its text, or its file's name when it has no text.
fn summary(a: &Announcement, chars: usize) -> String {
    match (&a.file, a.body.is_empty()) {
        (Some(f), true) => format!("📎 {}", labels::shorten(&f.file_name, chars)),
        _ => labels::shorten(&a.body, chars),
    }
}

fn refuse(ctx: &mut Ctx<'_>) -> Next {
    tracing::warn!(
        user = ctx.user.id,
        "announcement choice outside her reach refused"
    );
    ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
    Next::Stay
}

fn bad(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

pub(crate) async fn on_choice(
    ctx: &mut Ctx<'_>,
    at: &AnnounceStep,
    token: &str,
) -> Result<Next, DialogError> {
    match at {
        AnnounceStep::Home => home_choice(ctx, token).await,
        AnnounceStep::Text => Ok(bad(ctx)),
        AnnounceStep::Unit { text, file, .. } => {
            if let Some(page) = paging::asked_page(token) {
                return Ok(match page {
                    Some(page) => step(AnnounceStep::Unit {
                        text: text.clone(),
                        page,
                        file: file.clone(),
                    }),
                    None => bad(ctx),
                });
            }
            let Some(Ok(unit_id)) = token.strip_prefix("unit:").map(str::parse::<i64>) else {
                return Ok(bad(ctx));
            };
            // Her unit or one below it, whatever the choice's data says.
            if unit_for_her(ctx, unit_id).await?.is_none() {
                return Ok(refuse(ctx));
            }
            Ok(step(AnnounceStep::Audience {
                text: text.clone(),
                unit_id,
                file: file.clone(),
            }))
        }
        AnnounceStep::Audience {
            text,
            unit_id,
            file,
        } => {
            let Some(audience) = token.strip_prefix("aud:").and_then(Audience::parse) else {
                return Ok(bad(ctx));
            };
            let Some(unit) = unit_for_her(ctx, *unit_id).await? else {
                return Ok(refuse(ctx));
            };
            if !audience.fits(unit.level) || !ctx.role().is_some_and(|r| audience.open_to(r)) {
                return Ok(refuse(ctx));
            }
            Ok(step(AnnounceStep::Kind {
                text: text.clone(),
                unit_id: *unit_id,
                audience,
                file: file.clone(),
            }))
        }
        AnnounceStep::Kind {
            text,
            unit_id,
            audience,
            file,
        } => {
            let Some(kind) = token
                .strip_prefix("kind:")
                .and_then(AnnouncementKind::parse)
            else {
                return Ok(bad(ctx));
            };
            Ok(step(AnnounceStep::Preview {
                text: text.clone(),
                unit_id: *unit_id,
                audience: *audience,
                kind,
                file: file.clone(),
            }))
        }
        AnnounceStep::Preview {
            text,
            unit_id,
            audience,
            kind,
            file,
        } => {
            if token != "send" {
                return Ok(bad(ctx));
            }
            send(ctx, text, *unit_id, *audience, *kind, file.as_ref()).await
        }
        AnnounceStep::Reach { id } => match token {
            "back" => Ok(step(AnnounceStep::Home)),
            "remind" => remind(ctx, *id).await,
            _ => Ok(bad(ctx)),
        },
    }
}

async fn home_choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    if token == "new" {
        if sender_unit(ctx).await?.is_none() {
            return Ok(refuse(ctx));
        }
        return Ok(step(AnnounceStep::Text));
    }
    if let Some(Ok(id)) = token.strip_prefix("read:").map(str::parse::<i64>) {
        read(ctx, id).await?;
        return Ok(step(AnnounceStep::Home));
    }
    if let Some(kind) = token.strip_prefix("on:").and_then(AnnouncementKind::parse) {
        resume(ctx, kind).await?;
        return Ok(step(AnnounceStep::Home));
    }
    if let Some(Ok(id)) = token.strip_prefix("show:").map(str::parse::<i64>) {
        return Ok(match announcements::load(ctx.conn, id).await? {
            Some(a) if a.sender_id == ctx.user.id => step(AnnounceStep::Reach { id }),
            _ => refuse(ctx),
        });
    }
    Ok(bad(ctx))
}

async fn send(
    ctx: &mut Ctx<'_>,
    text: &str,
    unit_id: i64,
    audience: Audience,
    kind: AnnouncementKind,
    file: Option<&AnnouncementFile>,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let Some(unit) = unit_for_her(ctx, unit_id).await? else {
        return Ok(refuse(ctx));
    };
    let Some((sender_unit_id, role)) = ctx.user.membership() else {
        return Ok(refuse(ctx));
    };
    if !audience.fits(unit.level) || !audience.open_to(role) {
        return Ok(refuse(ctx));
    }
    let calendar = org::calendar_for(ctx.conn, ctx.calendars, &unit).await?;
    let not_before = calendar.next_sendable(ctx.now).timestamp();
    let (id, count) = announcements::create(
        ctx.conn,
        &announcements::NewAnnouncement {
            sender_id: ctx.user.id,
            sender_unit_id,
            unit: &unit,
            audience,
            kind,
            body: text,
            file,
        },
        ctx.now.timestamp(),
        not_before,
    )
    .await?;
    tracing::info!(
        announcement = id,
        unit = unit.id,
        audience = audience.as_str(),
        recipients = count,
        "announcement queued"
    );
    let mut text = tr!(lang, "announce-sent", count = count);
    if not_before > ctx.now.timestamp() {
        // Quiet hours: it waits for the morning, and she is told so.
        let at = chrono::DateTime::from_timestamp(not_before, 0).unwrap_or_default();
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "announce-sent-later",
            time = labels::date_time(lang, &calendar.local(at))
        ));
    }
    flows::menu(ctx, Some(text));
    Ok(Next::Go(DialogState::Idle))
}

async fn remind(ctx: &mut Ctx<'_>, id: i64) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let Some(ann) = announcements::load(ctx.conn, id).await? else {
        return Ok(bad(ctx));
    };
    if ann.sender_id != ctx.user.id {
        return Ok(refuse(ctx));
    }
    let Some(unit) = org::unit_by_id(ctx.conn, ann.unit_id).await? else {
        return Ok(bad(ctx));
    };
    let calendar = org::calendar_for(ctx.conn, ctx.calendars, &unit).await?;
    let not_before = calendar.next_sendable(ctx.now).timestamp();
    match announcements::remind_unread(ctx.conn, &ann, ctx.now.timestamp(), not_before).await? {
        Some(count) => ctx.say(tr!(lang, "announce-reminded", count = count)),
        None => ctx.say(tr!(lang, "announce-remind-done-before")),
    }
    Ok(step(AnnounceStep::Reach { id }))
}

// ---- a recipient's choices outside a dialog -----------------------------------------------------

/// "✅ Đã đọc": recorded once.
pub(crate) async fn read(ctx: &mut Ctx<'_>, id: i64) -> Result<(), DialogError> {
    let lang = ctx.lang;
    ctx.notice = Some(
        match announcements::mark_read(ctx.conn, id, ctx.user.id, ctx.now.timestamp()).await? {
            Read::Recorded => tr!(lang, "announce-read-thanks"),
            Read::Already => tr!(lang, "announce-read-already"),
            Read::NotHers => {
                tracing::warn!(user = ctx.user.id, id, "read of an announcement not hers");
                tr!(lang, "error-bad-button")
            }
        },
    );
    Ok(())
}

/// "🔕 Dừng nhận tin này": she stops its kind (only an announcement sent to her says which).
pub(crate) async fn stop(ctx: &mut Ctx<'_>, id: i64) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let ann: Option<Announcement> =
        match announcements::recipient(ctx.conn, id, ctx.user.id).await? {
            Some(_) => announcements::load(ctx.conn, id).await?,
            None => None,
        };
    let Some(ann) = ann else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    announcements::stop(ctx.conn, ctx.user.id, ann.kind, ctx.now.timestamp()).await?;
    let label = kind_label(lang, ann.kind);
    ctx.say_with(
        tr!(lang, "announce-stopped", kind = label.clone()),
        vec![vec![Choice {
            label: tr!(lang, "button-announce-resume", kind = label),
            data: format!("nk:{}", ann.kind.as_str()),
        }]],
    );
    Ok(())
}

/// "🔔 Nhận lại": she takes the kind again.
pub(crate) async fn resume(ctx: &mut Ctx<'_>, kind: AnnouncementKind) -> Result<(), DialogError> {
    let lang = ctx.lang;
    announcements::resume(ctx.conn, ctx.user.id, kind).await?;
    ctx.say(tr!(lang, "announce-resumed", kind = kind_label(lang, kind)));
    Ok(())
}
