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

mod answers;
mod prompts;
mod results;

use answers::comment;
pub(crate) use answers::{answer, ask_comment};
pub(crate) use prompts::prompt;
pub use results::close_due;
pub(crate) use results::{chart_bars, render_row, results_table};
use results::{message_text, poll_message, results_text, unit_name};

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
