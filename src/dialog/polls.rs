//! Polls and comments on drafts (`/laykien`). An officer (for her subtree) or a branch head
//! (for her branch) says whether it is about a draft document, types the question (or the
//! draft's name and what to comment on), picks options (a preset, or 2–5 typed one per message)
//! and/or free-text comments, a closing time and an audience, sees a preview with the head
//! count and sends it: one message per recipient, queued in bulk like announcements
//! ([`polls::create`]). A round on a draft records a `draft_comment` activity for the union that
//! ran it (target 7).
//!
//! Outside a dialog a recipient's choices are `q:<id>:<n>` (option `n`, 1-based) and `q:<id>:c`
//! (write a comment); only a recipient of that poll can act on them, and only while it is open.
//! A changed answer replaces the earlier one: each person counts once. When it closes (the
//! scheduler, [`close_due`]) each person who answered gets the result of her own area, and the
//! sender the whole result; `/laykien` shows the sender her polls' results per unit, with a
//! chart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::paging::{self, Page};
use super::state::DialogState;
use super::{Ctx, DialogError, Next, Prompt, flows};
use crate::domain::announcement::Audience;
use crate::domain::calendar::Calendars;
use crate::domain::org::Level;
use crate::domain::poll::{self, OptionRefusal, Preset};
use crate::domain::report::clean_text;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::labels;
use crate::message::{Choice, Outbound};
use crate::storage::org::Unit;
use crate::storage::outbox::OutboxRow;
use crate::storage::polls::{self, Poll, UnitResult};
use crate::storage::users::User;
use crate::storage::{Conn, StorageError, activities, org};
use crate::tr;

/// What she has chosen so far for a new poll.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollDraft {
    #[serde(default)]
    pub on_draft: bool,
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub comments: bool,
    #[serde(default)]
    pub days: u32,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub audience: Option<Audience>,
}

/// Where she is in `/laykien`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum PollStep {
    /// Open polls she has not answered, and (for senders) her polls and "new poll".
    Home,
    /// A draft document, or a question.
    Kind,
    /// Typing the question (or the draft's name and what to comment on).
    Question,
    /// A preset, typed options, or comments only.
    Options,
    /// Typing options one per message.
    TypeOptions,
    /// Whether recipients may also write a comment.
    Comments,
    /// How long it stays open.
    Closing,
    Unit {
        page: usize,
    },
    Audience,
    Preview,
    /// One of her polls: results per unit.
    Results {
        id: i64,
    },
    /// A recipient writing her comment on poll `id`.
    Comment {
        id: i64,
    },
}

/// Most polls listed at once (hers, and open ones to her).
const LISTED: i64 = 5;
/// Most units named in a results view (small screens).
const RESULT_UNITS: usize = 15;
/// Most comments listed in a results view.
const LISTED_COMMENTS: i64 = 10;

pub(crate) fn accepts_text(step: &PollStep) -> bool {
    matches!(
        step,
        PollStep::Question | PollStep::TypeOptions | PollStep::Comment { .. }
    )
}

fn go(step: PollStep, draft: PollDraft) -> Next {
    Next::Go(DialogState::Poll { step, draft })
}

/// `/laykien`.
pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    if ctx.user.membership().is_none() {
        return flows::not_joined(ctx);
    }
    Ok(go(PollStep::Home, PollDraft::default()))
}

/// Her unit, when she may run polls.
async fn sender_unit(ctx: &mut Ctx<'_>) -> Result<Option<Unit>, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return Ok(None);
    };
    if !poll::may_run(role) {
        return Ok(None);
    }
    Ok(org::unit_by_id(ctx.conn, unit_id).await?)
}

/// The unit `unit_id` if she may ask it: hers or one below it.
async fn unit_for_her(ctx: &mut Ctx<'_>, unit_id: i64) -> Result<Option<Unit>, DialogError> {
    let Some(mine) = sender_unit(ctx).await? else {
        return Ok(None);
    };
    Ok(org::unit_by_id(ctx.conn, unit_id)
        .await?
        .filter(|u| u.is_within(&mine)))
}

fn short_date(tz: chrono_tz::Tz, at: i64) -> String {
    DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%d/%m")
        .to_string()
}

fn date_time(lang: Lang, tz: chrono_tz::Tz, at: i64) -> String {
    labels::date_time(
        lang,
        &DateTime::<Utc>::from_timestamp(at, 0)
            .unwrap_or_default()
            .with_timezone(&tz),
    )
}

fn audience_label(lang: Lang, audience: Audience) -> String {
    match audience {
        Audience::Members => tr!(lang, "announce-audience-members"),
        Audience::BranchHeads => tr!(lang, "announce-audience-heads"),
        Audience::Officers => tr!(lang, "announce-audience-officers"),
    }
}

fn preset_options(lang: Lang, preset: Preset) -> Vec<String> {
    match preset {
        Preset::AgreeDisagreeOther => vec![
            tr!(lang, "poll-option-agree"),
            tr!(lang, "poll-option-disagree"),
            tr!(lang, "poll-option-other"),
        ],
        Preset::YesNo => vec![tr!(lang, "poll-option-yes"), tr!(lang, "poll-option-no")],
    }
}

/// The poll as its recipients read it.
pub(crate) fn message_text(
    lang: Lang,
    from: &str,
    on_draft: bool,
    question: &str,
    deadline: &str,
    has_options: bool,
    comments: bool,
) -> String {
    let mut text = if on_draft {
        tr!(
            lang,
            "poll-message-draft",
            from = from.to_owned(),
            question = question.to_owned()
        )
    } else {
        tr!(
            lang,
            "poll-message",
            from = from.to_owned(),
            question = question.to_owned()
        )
    };
    text.push('\n');
    text.push_str(&tr!(lang, "poll-deadline", time = deadline.to_owned()));
    text.push('\n');
    text.push_str(&match (has_options, comments) {
        (true, true) => tr!(lang, "poll-how-both"),
        (true, false) => tr!(lang, "poll-how-options"),
        _ => tr!(lang, "poll-how-comment"),
    });
    text
}

/// Its choices for a recipient.
pub(crate) fn message_choices(
    lang: Lang,
    id: i64,
    options: &[String],
    comments: bool,
) -> Vec<Vec<Choice>> {
    let mut rows: Vec<Vec<Choice>> = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            vec![Choice {
                label: o.clone(),
                data: format!("q:{id}:{}", i + 1),
            }]
        })
        .collect();
    if comments {
        rows.push(vec![Choice {
            label: tr!(lang, "button-poll-comment"),
            data: format!("q:{id}:c"),
        }]);
    }
    rows
}

async fn unit_name(conn: &mut Conn, id: i64) -> Result<String, StorageError> {
    Ok(org::unit_by_id(conn, id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// Poll `poll`'s question to `lang`'s reader, with its choices.
async fn poll_message(
    conn: &mut Conn,
    calendars: &Calendars,
    lang: Lang,
    poll: &Poll,
    chat_id: &str,
) -> Result<Outbound, StorageError> {
    let from = unit_name(conn, poll.sender_unit_id).await?;
    let text = message_text(
        lang,
        &from,
        poll.on_draft,
        &poll.question,
        &date_time(lang, calendars.tz, poll.closes_at),
        !poll.options.is_empty(),
        poll.comments,
    );
    Ok(Outbound {
        chat_id: chat_id.to_owned(),
        text,
        choices: message_choices(lang, poll.id, &poll.options, poll.comments),
        ..Outbound::default()
    })
}

/// Renders a poll's outbox row (its question, or her area's result at close) for `recipient`.
pub(crate) async fn render_row(
    conn: &mut Conn,
    calendars: &Calendars,
    recipient: &User,
    row: &OutboxRow,
    now: DateTime<Utc>,
) -> Result<Option<Outbound>, StorageError> {
    let Some(poll) = polls::load(conn, row.ref_id.unwrap_or_default()).await? else {
        return Ok(None);
    };
    let lang = Lang::parse(&recipient.lang).unwrap_or_default();
    if row.body.as_deref() == Some(polls::QUESTION) {
        // Closed before its turn came (quiet hours, a long queue): a question nobody can answer
        // any more is not sent.
        if !poll.open_at(now.timestamp()) {
            return Ok(None);
        }
        return Ok(Some(
            poll_message(conn, calendars, lang, &poll, &row.chat_id).await?,
        ));
    }
    let area = match row.unit_id {
        Some(id) => org::unit_by_id(conn, id).await?,
        None => None,
    };
    let Some(area) = area else {
        return Ok(None);
    };
    let whole = recipient.id == poll.sender_id;
    let text = results_text(conn, calendars.tz, lang, &poll, &area, whole).await?;
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: Vec::new(),
        ..Outbound::default()
    }))
}

/// The results of `poll` in `area`: participation, each option's count and share; with
/// `per_unit`, a line per unit and the comments with their branch's name.
async fn results_text(
    conn: &mut Conn,
    tz: chrono_tz::Tz,
    lang: Lang,
    poll: &Poll,
    area: &Unit,
    per_unit: bool,
) -> Result<String, StorageError> {
    let units = polls::results(conn, poll, Some(area)).await?;
    let mut total = UnitResult {
        counts: vec![0; poll.options.len()],
        ..UnitResult::default()
    };
    for u in &units {
        total.add(u);
    }
    let from = unit_name(conn, poll.sender_unit_id).await?;
    let mut text = tr!(
        lang,
        "poll-result-title",
        n = poll.id,
        from = from,
        question = labels::shorten(&poll.question, 300)
    );
    text.push('\n');
    text.push_str(&match poll.closed_at {
        Some(at) => tr!(lang, "poll-closed-on", time = date_time(lang, tz, at)),
        None => tr!(
            lang,
            "poll-deadline",
            time = date_time(lang, tz, poll.closes_at)
        ),
    });
    text.push('\n');
    text.push_str(&tr!(
        lang,
        "poll-result-area",
        area = area.name.clone(),
        answered = total.answered,
        total = total.recipients,
        pct = poll::pct(total.answered, total.recipients)
    ));
    let chosen: i64 = total.counts.iter().sum();
    for (option, count) in poll.options.iter().zip(&total.counts) {
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "poll-result-option",
            option = option.clone(),
            count = *count,
            pct = poll::pct(*count, chosen)
        ));
    }
    let units = if per_unit {
        by_child(conn, area, units).await?
    } else {
        units
    };
    if per_unit && !units.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "poll-result-units-title"));
        for u in units.iter().take(RESULT_UNITS) {
            let counts = poll
                .options
                .iter()
                .zip(&u.counts)
                .map(|(o, c)| format!("{} {c}", labels::shorten(o, 20)))
                .collect::<Vec<_>>()
                .join(" · ");
            text.push('\n');
            text.push_str(&tr!(
                lang,
                "poll-result-unit",
                unit = u.unit_name.clone(),
                answered = u.answered,
                total = u.recipients,
                pct = poll::pct(u.answered, u.recipients)
            ));
            if !counts.is_empty() {
                text.push_str(&format!(" — {counts}"));
            }
        }
        if units.len() > RESULT_UNITS {
            text.push_str(&tr!(
                lang,
                "overdue-more",
                count = (units.len() - RESULT_UNITS) as i64
            ));
        }
    }
    if per_unit && poll.comments {
        let comments = polls::comments(conn, poll.id, LISTED_COMMENTS).await?;
        if !comments.is_empty() {
            text.push_str("\n\n");
            text.push_str(&tr!(lang, "poll-result-comments-title"));
            for (unit, comment) in comments {
                text.push('\n');
                text.push_str(&tr!(
                    lang,
                    "poll-result-comment",
                    unit = unit,
                    text = labels::shorten(&comment, 200)
                ));
            }
        }
    }
    Ok(text)
}

// ---- prompts -----------------------------------------------------------------------------------

pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    at: &PollStep,
    draft: &PollDraft,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let cancel = || vec![(tr!(lang, "button-cancel"), "cancel".to_owned())];
    Ok(match at {
        PollStep::Home => home_prompt(ctx).await?,
        PollStep::Kind => Prompt::new(tr!(lang, "poll-ask-kind"))
            .column(vec![
                (tr!(lang, "button-poll-draft"), "kind:draft".to_owned()),
                (
                    tr!(lang, "button-poll-question"),
                    "kind:question".to_owned(),
                ),
            ])
            .row(cancel()),
        PollStep::Question => Prompt::new(if draft.on_draft {
            tr!(lang, "poll-ask-draft")
        } else {
            tr!(lang, "poll-ask-question")
        })
        .row(cancel()),
        PollStep::Options => {
            let mut items: Vec<(String, String)> = Preset::ALL
                .into_iter()
                .map(|p| {
                    (
                        preset_options(lang, p).join(" / "),
                        format!("opt:{}", p.as_str()),
                    )
                })
                .collect();
            items.push((tr!(lang, "button-poll-type-options"), "opt:type".to_owned()));
            items.push((
                tr!(lang, "button-poll-comments-only"),
                "opt:none".to_owned(),
            ));
            Prompt::new(tr!(lang, "poll-ask-options"))
                .column(items)
                .row(cancel())
        }
        PollStep::TypeOptions => {
            let mut text = tr!(
                lang,
                "poll-ask-type-options",
                min = poll::MIN_OPTIONS as i64,
                max = poll::MAX_OPTIONS as i64
            );
            if !draft.options.is_empty() {
                text.push_str("\n\n");
                text.push_str(&tr!(lang, "poll-options-so-far"));
                for o in &draft.options {
                    text.push_str(&format!("\n• {o}"));
                }
            }
            let mut prompt = Prompt::new(text).lettered();
            if draft.options.len() >= poll::MIN_OPTIONS {
                prompt = prompt.row(vec![(
                    tr!(lang, "button-poll-options-done"),
                    "done".to_owned(),
                )]);
            }
            prompt.row(cancel())
        }
        PollStep::Comments => Prompt::new(tr!(lang, "poll-ask-comments"))
            .column(vec![
                (tr!(lang, "button-poll-comments-yes"), "com:yes".to_owned()),
                (tr!(lang, "button-poll-comments-no"), "com:no".to_owned()),
            ])
            .row(cancel()),
        PollStep::Closing => Prompt::new(tr!(lang, "poll-ask-closing"))
            .row(
                poll::CLOSING_DAYS
                    .into_iter()
                    .map(|d| {
                        (
                            tr!(lang, "button-poll-days", days = i64::from(d)),
                            format!("days:{d}"),
                        )
                    })
                    .collect(),
            )
            .row(cancel()),
        PollStep::Unit { page } => {
            let Some(mine) = sender_unit(ctx).await? else {
                return Ok(Prompt::new(tr!(lang, "poll-not-allowed")).row(cancel()));
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
            Prompt::new(tr!(lang, "poll-ask-unit"))
                .column(items)
                .row(shown.nav(lang, paging::step_token))
                .row(cancel())
        }
        PollStep::Audience => {
            let role = ctx.role();
            let unit = match draft.unit_id {
                Some(id) => org::unit_by_id(ctx.conn, id).await?,
                None => None,
            };
            let (name, level) = unit
                .map(|u| (u.name, u.level))
                .unwrap_or((String::new(), Level::Branch));
            let items = Audience::ALL
                .into_iter()
                .filter(|a| a.fits(level) && role.is_some_and(|r| a.open_to(r)))
                .map(|a| (audience_label(lang, a), format!("aud:{}", a.as_str())))
                .collect();
            Prompt::new(tr!(lang, "announce-ask-audience", unit = name))
                .column(items)
                .row(cancel())
        }
        PollStep::Preview => preview_prompt(ctx, draft).await?,
        PollStep::Results { id } => results_prompt(ctx, *id).await?,
        PollStep::Comment { id } => {
            let question = polls::load(ctx.conn, *id)
                .await?
                .map(|p| labels::shorten(&p.question, 200))
                .unwrap_or_default();
            Prompt::new(tr!(lang, "poll-ask-comment", question = question)).row(cancel())
        }
    })
}

async fn home_prompt(ctx: &mut Ctx<'_>) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let mut text = tr!(lang, "poll-home-title");
    let mut items = Vec::new();
    let open = polls::unanswered_for(ctx.conn, ctx.user.id, ctx.now.timestamp(), LISTED).await?;
    if !open.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "poll-open-title"));
        for p in &open {
            text.push_str(&format!(
                "\n{}",
                tr!(
                    lang,
                    "poll-open-line",
                    n = p.id,
                    date = short_date(ctx.tz, p.closes_at),
                    text = labels::shorten(&p.question, 200)
                )
            ));
            items.push((
                tr!(lang, "button-poll-answer", n = p.id),
                format!("ask:{}", p.id),
            ));
        }
    }
    if sender_unit(ctx).await?.is_some() {
        items.push((tr!(lang, "button-poll-new"), "new".to_owned()));
        let mine = polls::sent_by(ctx.conn, ctx.user.id, LISTED).await?;
        if !mine.is_empty() {
            text.push_str("\n\n");
            text.push_str(&tr!(lang, "poll-sent-title"));
        }
        for p in &mine {
            items.push((
                tr!(
                    lang,
                    "button-poll-show",
                    n = p.id,
                    date = short_date(ctx.tz, p.created_at),
                    text = labels::shorten(&p.question, 20)
                ),
                format!("show:{}", p.id),
            ));
        }
    } else if items.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "poll-nothing"));
    }
    Ok(Prompt::new(text)
        .column(items)
        .row(vec![(tr!(lang, "button-close"), "cancel".to_owned())]))
}

async fn preview_prompt(ctx: &mut Ctx<'_>, draft: &PollDraft) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let cancel = || vec![(tr!(lang, "button-cancel"), "cancel".to_owned())];
    let (Some(unit_id), Some(audience)) = (draft.unit_id, draft.audience) else {
        return Ok(Prompt::new(tr!(lang, "error-bad-button")).row(cancel()));
    };
    let Some(unit) = unit_for_her(ctx, unit_id).await? else {
        return Ok(Prompt::new(tr!(lang, "poll-not-allowed")).row(cancel()));
    };
    let from = match ctx.user.unit_id {
        Some(id) => unit_name(ctx.conn, id).await?,
        None => String::new(),
    };
    let count = polls::audience_size(ctx.conn, &unit, audience, ctx.user.id).await?;
    let closes_at = ctx.now.timestamp() + i64::from(draft.days) * 86_400;
    let mut message = message_text(
        lang,
        &from,
        draft.on_draft,
        &draft.question,
        &date_time(lang, ctx.tz, closes_at),
        !draft.options.is_empty(),
        draft.comments,
    );
    for (i, o) in draft.options.iter().enumerate() {
        message.push_str(&format!("\n{}. {o}", i + 1));
    }
    if draft.comments {
        message.push_str(&format!("\n💬 {}", tr!(lang, "button-poll-comment")));
    }
    let mut body = tr!(
        lang,
        "poll-preview",
        message = message,
        audience = audience_label(lang, audience),
        unit = unit.name.clone(),
        count = count
    );
    if draft.on_draft {
        body.push('\n');
        body.push_str(&tr!(lang, "poll-preview-target"));
    }
    let prompt = Prompt::new(body);
    Ok(if count == 0 {
        prompt.row(cancel())
    } else {
        prompt
            .row(vec![(tr!(lang, "button-poll-send"), "send".to_owned())])
            .row(cancel())
    })
}

async fn results_prompt(ctx: &mut Ctx<'_>, id: i64) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let back = (tr!(lang, "button-announce-back"), "back".to_owned());
    let close = (tr!(lang, "button-close"), "cancel".to_owned());
    let poll = polls::load(ctx.conn, id).await?;
    let Some(poll) = poll.filter(|p| p.sender_id == ctx.user.id) else {
        return Ok(Prompt::new(tr!(lang, "error-bad-button")).row(vec![back, close]));
    };
    let Some(area) = org::unit_by_id(ctx.conn, poll.unit_id).await? else {
        return Ok(Prompt::new(tr!(lang, "error-bad-button")).row(vec![back, close]));
    };
    let text = results_text(ctx.conn, ctx.tz, lang, &poll, &area, true).await?;
    let prompt = Prompt::new(text);
    let mut files = vec![(tr!(lang, "button-poll-table"), "table".to_owned())];
    if !poll.options.is_empty() {
        files.insert(0, (tr!(lang, "button-poll-chart"), "chart".to_owned()));
    }
    Ok(prompt.row(files).row(vec![back, close]))
}

// ---- answers -----------------------------------------------------------------------------------

pub(crate) async fn on_text(
    ctx: &mut Ctx<'_>,
    at: &PollStep,
    draft: &PollDraft,
    text: &str,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    match at {
        PollStep::Question => match clean_text(text, poll::MAX_QUESTION_CHARS) {
            Ok(question) => Ok(go(
                PollStep::Options,
                PollDraft {
                    question,
                    ..draft.clone()
                },
            )),
            Err(why) => {
                ctx.say(super::report::refusal(lang, why));
                Ok(Next::Stay)
            }
        },
        PollStep::TypeOptions => {
            let mut options = draft.options.clone();
            match poll::add_option(&mut options, text) {
                Ok(()) => {
                    let next = if options.len() >= poll::MAX_OPTIONS {
                        PollStep::Comments
                    } else {
                        PollStep::TypeOptions
                    };
                    Ok(go(
                        next,
                        PollDraft {
                            options,
                            ..draft.clone()
                        },
                    ))
                }
                Err(OptionRefusal::Text(why)) => {
                    ctx.say(super::report::refusal(lang, why));
                    Ok(Next::Stay)
                }
                Err(OptionRefusal::Repeated) => {
                    ctx.say(tr!(lang, "poll-option-repeated"));
                    Ok(Next::Stay)
                }
                Err(OptionRefusal::Full) => Ok(go(PollStep::Comments, draft.clone())),
            }
        }
        PollStep::Comment { id } => comment(ctx, *id, text).await,
        _ => Ok(Next::Stay),
    }
}

fn refuse(ctx: &mut Ctx<'_>) -> Next {
    tracing::warn!(user = ctx.user.id, "poll choice outside her reach refused");
    ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
    Next::Stay
}

fn bad(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

/// After the closing time: a branch head asks her branch's members, others pick a unit.
fn after_closing(ctx: &Ctx<'_>, draft: PollDraft) -> Next {
    if ctx.role() == Some(Role::BranchHead) {
        return go(
            PollStep::Preview,
            PollDraft {
                unit_id: ctx.user.unit_id,
                audience: Some(Audience::Members),
                ..draft
            },
        );
    }
    go(PollStep::Unit { page: 0 }, draft)
}

pub(crate) async fn on_choice(
    ctx: &mut Ctx<'_>,
    at: &PollStep,
    draft: &PollDraft,
    token: &str,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    match at {
        PollStep::Home => home_choice(ctx, token).await,
        PollStep::Kind => {
            let on_draft = match token {
                "kind:draft" => true,
                "kind:question" => false,
                _ => return Ok(bad(ctx)),
            };
            Ok(go(
                PollStep::Question,
                PollDraft {
                    on_draft,
                    ..PollDraft::default()
                },
            ))
        }
        PollStep::Question | PollStep::Comment { .. } => Ok(bad(ctx)),
        PollStep::Options => {
            let Some(opt) = token.strip_prefix("opt:") else {
                return Ok(bad(ctx));
            };
            Ok(match (opt, Preset::parse(opt)) {
                (_, Some(p)) => go(
                    PollStep::Comments,
                    PollDraft {
                        options: preset_options(lang, p),
                        ..draft.clone()
                    },
                ),
                ("type", None) => go(
                    PollStep::TypeOptions,
                    PollDraft {
                        options: Vec::new(),
                        ..draft.clone()
                    },
                ),
                ("none", None) => go(
                    PollStep::Closing,
                    PollDraft {
                        options: Vec::new(),
                        comments: true,
                        ..draft.clone()
                    },
                ),
                _ => bad(ctx),
            })
        }
        PollStep::TypeOptions => {
            if token == "done" && draft.options.len() >= poll::MIN_OPTIONS {
                Ok(go(PollStep::Comments, draft.clone()))
            } else {
                Ok(bad(ctx))
            }
        }
        PollStep::Comments => {
            let comments = match token {
                "com:yes" => true,
                "com:no" => false,
                _ => return Ok(bad(ctx)),
            };
            Ok(go(
                PollStep::Closing,
                PollDraft {
                    comments,
                    ..draft.clone()
                },
            ))
        }
        PollStep::Closing => {
            let Some(days) = token
                .strip_prefix("days:")
                .and_then(|d| d.parse::<u32>().ok())
                .filter(|d| poll::CLOSING_DAYS.contains(d))
            else {
                return Ok(bad(ctx));
            };
            Ok(after_closing(
                ctx,
                PollDraft {
                    days,
                    ..draft.clone()
                },
            ))
        }
        PollStep::Unit { .. } => {
            if let Some(page) = paging::asked_page(token) {
                return Ok(match page {
                    Some(page) => go(PollStep::Unit { page }, draft.clone()),
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
            Ok(go(
                PollStep::Audience,
                PollDraft {
                    unit_id: Some(unit_id),
                    ..draft.clone()
                },
            ))
        }
        PollStep::Audience => {
            let Some(audience) = token.strip_prefix("aud:").and_then(Audience::parse) else {
                return Ok(bad(ctx));
            };
            let unit = match draft.unit_id {
                Some(id) => unit_for_her(ctx, id).await?,
                None => None,
            };
            let Some(unit) = unit else {
                return Ok(refuse(ctx));
            };
            if !audience.fits(unit.level) || !ctx.role().is_some_and(|r| audience.open_to(r)) {
                return Ok(refuse(ctx));
            }
            Ok(go(
                PollStep::Preview,
                PollDraft {
                    audience: Some(audience),
                    ..draft.clone()
                },
            ))
        }
        PollStep::Preview => {
            if token != "send" {
                return Ok(bad(ctx));
            }
            send(ctx, draft).await
        }
        PollStep::Results { id } => match token {
            "back" => Ok(go(PollStep::Home, PollDraft::default())),
            "chart" => {
                make(ctx, *id, super::admin::Made::PollChart { poll: *id }).await?;
                Ok(Next::Stay)
            }
            "table" => {
                make(ctx, *id, super::admin::Made::PollTable { poll: *id }).await?;
                Ok(Next::Stay)
            }
            _ => Ok(bad(ctx)),
        },
    }
}

async fn home_choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    if token == "new" {
        if sender_unit(ctx).await?.is_none() {
            return Ok(refuse(ctx));
        }
        return Ok(go(PollStep::Kind, PollDraft::default()));
    }
    if let Some(Ok(id)) = token.strip_prefix("ask:").map(str::parse::<i64>) {
        // Her poll's question again, with its choices, outside the dialog.
        let open = match polls::mine(ctx.conn, id, ctx.user.id).await? {
            Some(_) => polls::load(ctx.conn, id).await?,
            None => None,
        };
        let Some(poll) = open else {
            return Ok(refuse(ctx));
        };
        let out = poll_message(ctx.conn, ctx.calendars, ctx.lang, &poll, &ctx.user.chat_id).await?;
        ctx.say_with(out.text, out.choices);
        return Ok(Next::Go(DialogState::Idle));
    }
    if let Some(Ok(id)) = token.strip_prefix("show:").map(str::parse::<i64>) {
        return Ok(match polls::load(ctx.conn, id).await? {
            Some(p) if p.sender_id == ctx.user.id => {
                go(PollStep::Results { id }, PollDraft::default())
            }
            _ => refuse(ctx),
        });
    }
    Ok(bad(ctx))
}

async fn send(ctx: &mut Ctx<'_>, draft: &PollDraft) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let (Some(unit_id), Some(audience)) = (draft.unit_id, draft.audience) else {
        return Ok(bad(ctx));
    };
    let Some(unit) = unit_for_her(ctx, unit_id).await? else {
        return Ok(refuse(ctx));
    };
    let Some((sender_unit_id, role)) = ctx.user.membership() else {
        return Ok(refuse(ctx));
    };
    let options_ok = draft.options.is_empty() && draft.comments
        || (poll::MIN_OPTIONS..=poll::MAX_OPTIONS).contains(&draft.options.len());
    if !audience.fits(unit.level)
        || !audience.open_to(role)
        || !options_ok
        || draft.question.is_empty()
        || !poll::CLOSING_DAYS.contains(&draft.days)
    {
        return Ok(refuse(ctx));
    }
    let calendar = org::calendar_for(ctx.conn, ctx.calendars, &unit).await?;
    let not_before = calendar.next_sendable(ctx.now).timestamp();
    let closes_at = ctx.now.timestamp() + i64::from(draft.days) * 86_400;
    let (id, count) = polls::create(
        ctx.conn,
        &polls::NewPoll {
            sender_id: ctx.user.id,
            sender_unit_id,
            unit: &unit,
            audience,
            on_draft: draft.on_draft,
            question: &draft.question,
            options: &draft.options,
            comments: draft.comments,
            closes_at,
        },
        ctx.now.timestamp(),
        not_before,
    )
    .await?;
    if draft.on_draft {
        record_draft_comment(ctx, id, sender_unit_id, &draft.question).await?;
    }
    tracing::info!(
        poll = id,
        unit = unit.id,
        audience = audience.as_str(),
        recipients = count,
        on_draft = draft.on_draft,
        "poll queued"
    );
    let mut text = tr!(
        lang,
        "poll-sent",
        count = count,
        time = date_time(lang, ctx.tz, closes_at)
    );
    if not_before > ctx.now.timestamp() {
        let at = DateTime::from_timestamp(not_before, 0).unwrap_or_default();
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

/// Target 7 ("góp ý ít nhất 1 dự thảo"): a round of comments on a draft is a `draft_comment`
/// activity of the sender's unit, counted for the grassroots union it belongs to (itself for an
/// officer of a grassroots union, hers for a branch head). A district's or province's round
/// belongs to no grassroots union and counts for none.
async fn record_draft_comment(
    ctx: &mut Ctx<'_>,
    poll_id: i64,
    unit_id: i64,
    question: &str,
) -> Result<(), DialogError> {
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(());
    };
    let grassroots_id = org::lineage(ctx.conn, &unit)
        .await?
        .iter()
        .rev()
        .find(|u| u.level == Level::Grassroots)
        .map(|u| u.id);
    let description = tr!(
        ctx.lang,
        "poll-activity-description",
        n = poll_id,
        text = labels::shorten(question, 200)
    );
    let activity = activities::insert_activity(
        ctx.conn,
        &activities::NewActivity {
            unit_id,
            grassroots_id,
            type_code: DRAFT_COMMENT,
            date: ctx.now.with_timezone(&ctx.tz).date_naive(),
            amount: 1,
            description: Some(&description),
            author_id: ctx.user.id,
            photos: &[],
            platform: &ctx.user.platform,
        },
        ctx.now.timestamp(),
    )
    .await?;
    polls::set_activity(ctx.conn, poll_id, activity).await?;
    crate::targets::queue_around(ctx.conn, unit_id, ctx.now).await?;
    Ok(())
}

/// The catalogue's activity for comments on a draft document (migration 0003), which target 7
/// counts.
pub const DRAFT_COMMENT: &str = "draft_comment";

/// Her poll's chart or table, made by the courier like every chart and export.
async fn make(ctx: &mut Ctx<'_>, id: i64, made: super::admin::Made) -> Result<(), DialogError> {
    let lang = ctx.lang;
    match polls::load(ctx.conn, id).await? {
        Some(p) if p.sender_id == ctx.user.id => {}
        _ => {
            ctx.notice = Some(tr!(lang, "error-not-yours"));
            return Ok(());
        }
    }
    if crate::storage::outbox::made_pending_for(ctx.conn, ctx.user.id).await? {
        ctx.notice = Some(tr!(lang, "file-busy"));
        return Ok(());
    }
    super::admin::queue_made_now(ctx, made).await?;
    ctx.notice = Some(tr!(lang, "chart-coming"));
    Ok(())
}

// ---- a recipient's choices outside a dialog -----------------------------------------------------

/// The poll `id` if it was sent to her and is open; otherwise she is told why not (`None`).
async fn open_for_her(
    ctx: &mut Ctx<'_>,
    id: i64,
) -> Result<Option<(Poll, polls::Mine)>, DialogError> {
    let lang = ctx.lang;
    let mine = polls::mine(ctx.conn, id, ctx.user.id).await?;
    let poll = match mine {
        Some(_) => polls::load(ctx.conn, id).await?,
        None => None,
    };
    let (Some(poll), Some(mine)) = (poll, mine) else {
        tracing::warn!(user = ctx.user.id, id, "answer to a poll not hers");
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(None);
    };
    if !poll.open_at(ctx.now.timestamp()) {
        ctx.notice = Some(closed_text(ctx, &poll));
        return Ok(None);
    }
    Ok(Some((poll, mine)))
}

fn closed_text(ctx: &Ctx<'_>, poll: &Poll) -> String {
    tr!(
        ctx.lang,
        "poll-closed-refused",
        time = date_time(ctx.lang, ctx.tz, poll.closes_at)
    )
}

/// Option `choice` (1-based) of poll `id`: recorded, changed, or already hers.
pub(crate) async fn answer(ctx: &mut Ctx<'_>, id: i64, choice: i64) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some((poll, mine)) = open_for_her(ctx, id).await? else {
        return Ok(());
    };
    let Some(option) = usize::try_from(choice - 1)
        .ok()
        .and_then(|i| poll.options.get(i))
        .cloned()
    else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    if mine.choice == Some(choice) {
        ctx.notice = Some(tr!(lang, "poll-answer-same", option = option));
        return Ok(());
    }
    if !polls::set_choice(ctx.conn, id, ctx.user.id, choice, ctx.now.timestamp()).await? {
        ctx.notice = Some(closed_text(ctx, &poll));
        return Ok(());
    }
    ctx.notice = Some(match mine.choice {
        None => tr!(lang, "poll-answer-recorded", option = option),
        Some(_) => tr!(lang, "poll-answer-changed", option = option),
    });
    Ok(())
}

/// "💬 Gửi góp ý": she is asked for her comment (a step of its own, so that what she types is
/// the comment).
pub(crate) async fn ask_comment(ctx: &mut Ctx<'_>, id: i64) -> Result<Next, DialogError> {
    let Some((poll, _)) = open_for_her(ctx, id).await? else {
        return Ok(Next::Quiet);
    };
    if !poll.comments {
        ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
        return Ok(Next::Quiet);
    }
    Ok(go(PollStep::Comment { id }, PollDraft::default()))
}

async fn comment(ctx: &mut Ctx<'_>, id: i64, text: &str) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let text = match clean_text(text, poll::MAX_COMMENT_CHARS) {
        Ok(t) => t,
        Err(why) => {
            ctx.say(super::report::refusal(lang, why));
            return Ok(Next::Stay);
        }
    };
    let Some((poll, mine)) = open_for_her(ctx, id).await? else {
        // Closed while she was writing: told kindly, and back to the menu.
        if let Some(n) = ctx.notice.take() {
            flows::menu(ctx, Some(n));
        }
        return Ok(Next::Go(DialogState::Idle));
    };
    if !polls::set_comment(ctx.conn, id, ctx.user.id, &text, ctx.now.timestamp()).await? {
        flows::menu(ctx, Some(closed_text(ctx, &poll)));
        return Ok(Next::Go(DialogState::Idle));
    }
    let said = match mine.comment {
        None => tr!(lang, "poll-comment-recorded"),
        Some(_) => tr!(lang, "poll-comment-changed"),
    };
    flows::menu(ctx, Some(said));
    Ok(Next::Go(DialogState::Idle))
}

// ---- closing -----------------------------------------------------------------------------------

/// Closes every poll whose time has come at `now` (the scheduler's tick), each once: its
/// participants get their area's result and the sender the whole one, in the bulk lane after
/// quiet hours. Returns how many polls were closed.
pub async fn close_due(
    conn: &mut Conn,
    calendars: &Calendars,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let mut closed = 0;
    for poll in polls::due(conn, now.timestamp()).await? {
        let Some(unit) = org::unit_by_id(conn, poll.unit_id).await? else {
            continue;
        };
        let calendar = org::calendar_for(conn, calendars, &unit).await?;
        let not_before = calendar.next_sendable(now).timestamp();
        if let Some(results) = polls::close(conn, &poll, now.timestamp(), not_before).await? {
            tracing::info!(poll = poll.id, results, "poll closed");
            closed += 1;
        }
    }
    Ok(closed)
}

/// The bars of a poll's chart: each option, how many chose it and its share.
pub(crate) async fn chart_bars(
    conn: &mut Conn,
    poll: &Poll,
) -> Result<Vec<crate::chart::PollBar>, StorageError> {
    let mut total = UnitResult {
        counts: vec![0; poll.options.len()],
        ..UnitResult::default()
    };
    for u in polls::results(conn, poll, None).await? {
        total.add(&u);
    }
    let chosen: i64 = total.counts.iter().sum();
    Ok(poll
        .options
        .iter()
        .zip(&total.counts)
        .map(|(o, c)| crate::chart::PollBar {
            label: o.clone(),
            count: u32::try_from(*c).unwrap_or(u32::MAX),
            pct: if chosen == 0 {
                0.0
            } else {
                *c as f64 * 100.0 / chosen as f64
            },
        })
        .collect())
}

/// A poll's results by unit as CSV bytes (see [`crate::export::poll_results_csv`]).
pub(crate) async fn results_table(
    conn: &mut Conn,
    lang: Lang,
    poll: &Poll,
) -> Result<Vec<u8>, StorageError> {
    let units = polls::results(conn, poll, None).await?;
    let row = |u: &UnitResult| crate::export::PollRow {
        unit: u.unit_name.clone(),
        asked: u.recipients,
        answered: u.answered,
        counts: u.counts.clone(),
    };
    let mut total = UnitResult {
        unit_name: tr!(lang, "poll-table-total"),
        counts: vec![0; poll.options.len()],
        ..UnitResult::default()
    };
    for u in &units {
        total.add(u);
    }
    let mut headers = vec![
        tr!(lang, "poll-table-unit"),
        tr!(lang, "poll-table-asked"),
        tr!(lang, "poll-table-answered"),
    ];
    headers.extend(poll.options.iter().cloned());
    let rows: Vec<_> = units.iter().map(row).collect();
    crate::export::poll_results_csv(&headers, &rows, &row(&total))
        .map_err(|e| StorageError::Corrupt(format!("poll table: {e}")))
}

/// `units` rolled up into the units right below `area` (a district's poll reads per
/// grassroots union, a union's per branch, with its groups in their branch); left as they are
/// when `area` has nothing below it that holds them (a branch head's poll of her branch).
async fn by_child(
    conn: &mut Conn,
    area: &Unit,
    units: Vec<UnitResult>,
) -> Result<Vec<UnitResult>, StorageError> {
    let children = org::children(conn, Some(area.id)).await?;
    let mut out: Vec<UnitResult> = Vec::new();
    for u in units {
        let Some(child) = children.iter().find(|c| u.unit_path.starts_with(&c.path)) else {
            out.push(u);
            continue;
        };
        match out.iter_mut().find(|o| o.unit_id == child.id) {
            Some(o) => o.add(&u),
            None => out.push(UnitResult {
                unit_id: child.id,
                unit_name: child.name.clone(),
                unit_path: child.path.clone(),
                ..u
            }),
        }
    }
    out.sort_by(|a, b| a.unit_path.cmp(&b.unit_path));
    Ok(out)
}
