//! Proposals (`/kiennghi`, issue 18 §6). An officer (grassroots and above, within her subtree)
//! sees the open proposals of her branches that her rung owns, a page at a time, opens one and
//! marks it received, forwards it up, or answers it with a short reply that reaches the branch
//! (and the member, for her own signed opinion). A branch head sees where her branch's
//! proposals stand and forwards a member's opinion up as a proposal. The ladder itself
//! (who is told, climbing) is `crate::proposals`.
//!
//! Every action names the proposal in the dialog's state and is checked again against her
//! unit, her rung and the proposal's status when done: a forged or stale choice changes
//! nothing.

use serde::{Deserialize, Serialize};

use super::paging::{self, Page};
use super::state::DialogState;
use super::{Ctx, DialogError, Next, Prompt, flows};
use crate::domain::period::Period;
use crate::domain::proposal::{self, MAX_REPLY_CHARS, ProposalSource, ProposalStatus};
use crate::domain::report::clean_text;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::labels;
use crate::message::Choice;
use crate::proposals::{self as ladder, Arrival};
use crate::storage::org::{self, Unit};
use crate::storage::proposals::{self as store, NewProposal, Proposal};
use crate::tr;

/// Where she is in `/kiennghi`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum ProposalStep {
    /// Officers: the open proposals she may act on; branch heads: her branch's.
    List { page: usize },
    /// One proposal and what she may do with it.
    Item { id: i64 },
    /// Typing the reply to proposal `id`.
    Reply { id: i64 },
}

/// Her branch's proposals and opinions shown at once (branch heads).
const LISTED: i64 = 5;
/// Earlier proposals recalled in a report's proposals step.
const RECALLED: i64 = 3;

pub(crate) fn accepts_text(step: &ProposalStep) -> bool {
    matches!(step, ProposalStep::Reply { .. })
}

fn step(step: ProposalStep) -> Next {
    Next::Go(DialogState::Proposals { step })
}

/// `/kiennghi`.
pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    match ctx.role() {
        None => flows::not_joined(ctx),
        Some(Role::Member) => {
            flows::menu(ctx, Some(tr!(ctx.lang, "proposals-not-allowed")));
            Ok(Next::Go(DialogState::Idle))
        }
        Some(_) => Ok(step(ProposalStep::List { page: 0 })),
    }
}

/// The menu's button, for those who use `/kiennghi` (added by `flows::menu_rows`).
pub(crate) fn menu_row(ctx: &Ctx<'_>) -> Option<Vec<Choice>> {
    let role = ctx.role()?;
    (role == Role::BranchHead || proposal::rung(role).is_some()).then(|| {
        vec![Choice {
            label: tr!(ctx.lang, "menu-proposals"),
            data: "c:kiennghi".to_owned(),
        }]
    })
}

/// The line of help about `/kiennghi` for her role, if she uses it.
pub(crate) fn help_line(lang: Lang, role: Option<Role>) -> Option<String> {
    match role? {
        Role::BranchHead => Some(tr!(lang, "proposals-help", who = "head")),
        r if proposal::rung(r).is_some() => Some(tr!(lang, "proposals-help", who = "officer")),
        _ => None,
    }
}

/// Her unit and rung, when she acts on proposals.
async fn officer_unit(ctx: &mut Ctx<'_>) -> Result<Option<(Unit, i64)>, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return Ok(None);
    };
    let Some(rung) = proposal::rung(role) else {
        return Ok(None);
    };
    Ok(org::unit_by_id(ctx.conn, unit_id).await?.map(|u| (u, rung)))
}

/// Whether she may act on `p` now.
enum Access {
    Yours(Box<Proposal>, Unit, i64),
    /// Outside her subtree, or no such proposal: refused as forged.
    NotYours,
    /// Hers to see no more: answered, or forwarded above her rung.
    Closed(Box<Proposal>),
}

async fn access(ctx: &mut Ctx<'_>, id: i64) -> Result<Access, DialogError> {
    let Some((mine, rung)) = officer_unit(ctx).await? else {
        return Ok(Access::NotYours);
    };
    let Some(p) = store::load(ctx.conn, id).await? else {
        return Ok(Access::NotYours);
    };
    if !p.unit_path.starts_with(&mine.path) {
        return Ok(Access::NotYours);
    }
    if !p.status.is_open() || p.level > rung {
        return Ok(Access::Closed(Box::new(p)));
    }
    Ok(Access::Yours(Box::new(p), mine, rung))
}

fn refuse(ctx: &mut Ctx<'_>) -> Next {
    tracing::warn!(
        user = ctx.user.id,
        "proposal choice outside her reach refused"
    );
    ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
    Next::Stay
}

fn bad(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

fn short_date(ctx: &Ctx<'_>, at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&ctx.tz)
        .format("%d/%m")
        .to_string()
}

pub(crate) fn status_label(lang: Lang, status: ProposalStatus) -> String {
    match status {
        ProposalStatus::New => tr!(lang, "proposals-status-new"),
        ProposalStatus::Received => tr!(lang, "proposals-status-received"),
        ProposalStatus::Forwarded => tr!(lang, "proposals-status-forwarded"),
        ProposalStatus::Answered => tr!(lang, "proposals-status-answered"),
    }
}

fn source_label(lang: Lang, p: &Proposal) -> String {
    let period = p
        .period
        .parse::<Period>()
        .map(labels::period)
        .unwrap_or_else(|_| p.period.clone());
    match p.source {
        ProposalSource::Report => tr!(lang, "proposals-from-report", period = period),
        ProposalSource::Opinion => tr!(lang, "proposals-from-opinion", period = period),
    }
}

// ---- prompts -----------------------------------------------------------------------------------

pub(crate) async fn prompt(ctx: &mut Ctx<'_>, at: &ProposalStep) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let close = || vec![(tr!(lang, "button-close"), "cancel".to_owned())];
    Ok(match at {
        ProposalStep::List { page } => {
            if ctx.role() == Some(Role::BranchHead) {
                head_prompt(ctx).await?
            } else {
                list_prompt(ctx, *page).await?
            }
        }
        ProposalStep::Item { id } => item_prompt(ctx, *id).await?,
        ProposalStep::Reply { id } => Prompt::new(tr!(lang, "proposals-ask-reply", n = *id))
            .row(vec![(
                tr!(lang, "button-proposals-back"),
                "back".to_owned(),
            )])
            .row(close()),
    })
}

async fn list_prompt(ctx: &mut Ctx<'_>, page: usize) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let close = (tr!(lang, "button-close"), "cancel".to_owned());
    let Some((mine, rung)) = officer_unit(ctx).await? else {
        return Ok(Prompt::new(tr!(lang, "proposals-not-allowed")).row(vec![close]));
    };
    let open = store::open_under(ctx.conn, &mine, rung).await?;
    let mut text = tr!(
        lang,
        "proposals-list-title",
        unit = mine.name.clone(),
        count = open.len() as i64
    );
    if open.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "proposals-list-empty"));
        return Ok(Prompt::new(text).row(vec![close]));
    }
    let shown = Page::of(&open, page);
    let mut items = Vec::new();
    for p in shown.shown {
        text.push_str("\n\n");
        text.push_str(&tr!(
            lang,
            "proposals-list-line",
            n = p.id,
            unit = p.unit_name.clone(),
            date = short_date(ctx, p.created_at),
            status = status_label(lang, p.status),
            text = labels::shorten(&p.body, 120)
        ));
        items.push((
            tr!(
                lang,
                "button-proposals-show",
                n = p.id,
                unit = p.unit_name.clone()
            ),
            format!("open:{}", p.id),
        ));
    }
    Ok(Prompt::new(text)
        .column(items)
        .row(shown.nav(lang, paging::step_token))
        .row(vec![close]))
}

/// A branch head's view: where her branch's proposals stand, and members' opinions she may
/// forward up as proposals.
async fn head_prompt(ctx: &mut Ctx<'_>) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let close = (tr!(lang, "button-close"), "cancel".to_owned());
    let Some(unit_id) = ctx.user.unit_id else {
        return Ok(Prompt::new(tr!(lang, "proposals-not-allowed")).row(vec![close]));
    };
    let mut text = tr!(lang, "proposals-head-title");
    let mine = store::of_unit(ctx.conn, unit_id, LISTED).await?;
    if mine.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "proposals-head-none"));
    }
    for p in &mine {
        text.push_str("\n\n");
        text.push_str(&proposal_line(lang, p));
    }
    let period = Period::containing(ctx.now, ctx.tz);
    let opinions =
        store::opinions_to_forward(ctx.conn, unit_id, [period, period.previous()], LISTED).await?;
    let mut items = Vec::new();
    if !opinions.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "proposals-opinions-title"));
    }
    for (i, o) in opinions.iter().enumerate() {
        let who = o
            .author_name
            .clone()
            .unwrap_or_else(|| tr!(lang, "opinion-anonymous-name"));
        text.push_str(&format!(
            "\n{}",
            tr!(
                lang,
                "proposals-opinion-line",
                k = (i + 1) as i64,
                who = who,
                text = labels::shorten(&o.body, 150)
            )
        ));
        items.push((
            tr!(lang, "button-proposals-forward-opinion", k = (i + 1) as i64),
            format!("fo:{}", o.id),
        ));
    }
    Ok(Prompt::new(text).column(items).row(vec![close]))
}

/// One proposal of her branch, where it stands (and its reply).
fn proposal_line(lang: Lang, p: &Proposal) -> String {
    let mut line = tr!(
        lang,
        "proposals-head-line",
        source = source_label(lang, p),
        text = labels::shorten(&p.body, 120),
        status = status_label(lang, p.status)
    );
    if let Some(reply) = &p.reply {
        line.push('\n');
        line.push_str(&tr!(lang, "proposals-reply-line", reply = reply.clone()));
    }
    line
}

async fn item_prompt(ctx: &mut Ctx<'_>, id: i64) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let back = (tr!(lang, "button-proposals-back"), "back".to_owned());
    let close = (tr!(lang, "button-close"), "cancel".to_owned());
    let (p, rung) = match access(ctx, id).await? {
        Access::Yours(p, _, rung) => (p, rung),
        Access::Closed(p) => {
            let text = tr!(
                lang,
                "proposals-not-open",
                n = p.id,
                status = status_label(lang, p.status)
            );
            return Ok(Prompt::new(text).row(vec![back, close]));
        }
        Access::NotYours => {
            return Ok(Prompt::new(tr!(lang, "error-not-yours")).row(vec![back, close]));
        }
    };
    let unit = org::unit_by_id(ctx.conn, p.unit_id).await?;
    let path = match &unit {
        Some(u) => org::path_names(ctx.conn, u).await?,
        None => p.unit_name.clone(),
    };
    let text = tr!(
        lang,
        "proposals-item",
        n = p.id,
        unit = path,
        source = source_label(lang, &p),
        date = short_date(ctx, p.created_at),
        text = p.body.clone(),
        status = status_label(lang, p.status)
    );
    let mut prompt = Prompt::new(text);
    if p.status == ProposalStatus::New {
        prompt = prompt.row(vec![(
            tr!(lang, "button-proposals-receive"),
            "ack".to_owned(),
        )]);
    }
    if let Some(u) = &unit
        && ladder::has_rung_above(ctx.conn, u, rung).await?
    {
        prompt = prompt.row(vec![(
            tr!(lang, "button-proposals-forward"),
            "fwd".to_owned(),
        )]);
    }
    Ok(prompt
        .row(vec![(
            tr!(lang, "button-proposals-answer"),
            "reply".to_owned(),
        )])
        .row(vec![back, close]))
}

// ---- answers -----------------------------------------------------------------------------------

pub(crate) async fn on_choice(
    ctx: &mut Ctx<'_>,
    at: &ProposalStep,
    token: &str,
) -> Result<Next, DialogError> {
    match at {
        ProposalStep::List { page } => list_choice(ctx, *page, token).await,
        ProposalStep::Item { id } => item_choice(ctx, *id, token).await,
        ProposalStep::Reply { id } => match token {
            "back" => Ok(step(ProposalStep::Item { id: *id })),
            _ => Ok(bad(ctx)),
        },
    }
}

async fn list_choice(ctx: &mut Ctx<'_>, page: usize, token: &str) -> Result<Next, DialogError> {
    if let Some(asked) = paging::asked_page(token) {
        return Ok(match asked {
            Some(page) => step(ProposalStep::List { page }),
            None => bad(ctx),
        });
    }
    if let Some(Ok(id)) = token.strip_prefix("open:").map(str::parse::<i64>) {
        return Ok(match access(ctx, id).await? {
            Access::NotYours => refuse(ctx),
            _ => step(ProposalStep::Item { id }),
        });
    }
    if let Some(Ok(opinion_id)) = token.strip_prefix("fo:").map(str::parse::<i64>) {
        return forward_opinion(ctx, page, opinion_id).await;
    }
    Ok(bad(ctx))
}

async fn item_choice(ctx: &mut Ctx<'_>, id: i64, token: &str) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    if token == "back" {
        return Ok(step(ProposalStep::List { page: 0 }));
    }
    if !matches!(token, "ack" | "fwd" | "reply") {
        return Ok(bad(ctx));
    }
    let (p, mine, rung) = match access(ctx, id).await? {
        Access::Yours(p, mine, rung) => (p, mine, rung),
        Access::NotYours => return Ok(refuse(ctx)),
        Access::Closed(p) => {
            ctx.say(tr!(
                lang,
                "proposals-not-open",
                n = p.id,
                status = status_label(lang, p.status)
            ));
            return Ok(step(ProposalStep::List { page: 0 }));
        }
    };
    match token {
        "ack" => {
            ctx.notice = Some(
                if store::mark_received(ctx.conn, id, ctx.now.timestamp()).await? {
                    tracing::info!(proposal = id, user = ctx.user.id, "proposal received");
                    tr!(lang, "proposals-received", n = id)
                } else {
                    tr!(lang, "proposals-received-already", n = id)
                },
            );
            Ok(step(ProposalStep::Item { id }))
        }
        "fwd" => {
            let Some(unit) = org::unit_by_id(ctx.conn, p.unit_id).await? else {
                return Ok(bad(ctx));
            };
            if !ladder::has_rung_above(ctx.conn, &unit, rung).await?
                || !store::mark_forwarded(ctx.conn, id, p.level, ctx.now.timestamp()).await?
            {
                ctx.say(tr!(lang, "proposals-forward-nobody"));
                return Ok(step(ProposalStep::Item { id }));
            }
            let (level, ids) = ladder::place(
                ctx.conn,
                ctx.calendars,
                &p,
                (rung + 1) as usize,
                Arrival::Forwarded,
                ctx.now,
            )
            .await?;
            ctx.queued.extend(ids);
            tracing::info!(
                proposal = id,
                from = mine.id,
                ?level,
                "proposal forwarded up"
            );
            ctx.say(tr!(lang, "proposals-forwarded", n = id));
            Ok(step(ProposalStep::List { page: 0 }))
        }
        _ => Ok(step(ProposalStep::Reply { id })),
    }
}

pub(crate) async fn on_text(
    ctx: &mut Ctx<'_>,
    at: &ProposalStep,
    text: &str,
) -> Result<Next, DialogError> {
    let ProposalStep::Reply { id } = at else {
        return Ok(Next::Stay);
    };
    let lang = ctx.lang;
    let reply = match clean_text(text, MAX_REPLY_CHARS) {
        Ok(reply) => reply,
        Err(why) => {
            ctx.say(super::report::refusal(lang, why));
            return Ok(Next::Stay);
        }
    };
    let (p, mine) = match access(ctx, *id).await? {
        Access::Yours(p, mine, _) => (p, mine),
        Access::NotYours => return Ok(refuse(ctx)),
        Access::Closed(p) => {
            ctx.say(tr!(
                lang,
                "proposals-not-open",
                n = p.id,
                status = status_label(lang, p.status)
            ));
            return Ok(step(ProposalStep::List { page: 0 }));
        }
    };
    if !store::answer(
        ctx.conn,
        p.id,
        &reply,
        ctx.user.id,
        mine.id,
        ctx.now.timestamp(),
    )
    .await?
    {
        ctx.say(tr!(
            lang,
            "proposals-not-open",
            n = p.id,
            status = status_label(lang, ProposalStatus::Answered)
        ));
        return Ok(step(ProposalStep::List { page: 0 }));
    }
    let ids = ladder::tell_answer(ctx.conn, ctx.calendars, &p, &reply, &mine.name, ctx.now).await?;
    ctx.queued.extend(ids);
    tracing::info!(proposal = p.id, user = ctx.user.id, "proposal answered");
    ctx.say(tr!(
        lang,
        "proposals-answered",
        n = p.id,
        unit = p.unit_name.clone()
    ));
    Ok(step(ProposalStep::List { page: 0 }))
}

/// A branch head forwards a member's opinion of her branch up as a proposal (once).
async fn forward_opinion(
    ctx: &mut Ctx<'_>,
    page: usize,
    opinion_id: i64,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let (Some((unit_id, Role::BranchHead)), Some(_)) = (ctx.user.membership(), ctx.user.unit_id)
    else {
        return Ok(refuse(ctx));
    };
    let Some((author_id, body, period)) =
        store::opinion_of_unit(ctx.conn, opinion_id, unit_id).await?
    else {
        return Ok(refuse(ctx));
    };
    let period = period
        .parse::<Period>()
        .unwrap_or_else(|_| Period::containing(ctx.now, ctx.tz));
    let new = NewProposal {
        unit_id,
        source: ProposalSource::Opinion,
        period,
        report_id: None,
        opinion_id: Some(opinion_id),
        author_id,
        raised_by: ctx.user.id,
        body: &body,
    };
    match store::insert(ctx.conn, &new, ctx.now.timestamp()).await? {
        Some(id) => {
            let ids = ladder::raise(ctx.conn, ctx.calendars, id, ctx.now).await?;
            ctx.queued.extend(ids);
            ctx.say(tr!(lang, "proposals-opinion-forwarded"));
        }
        None => ctx.notice = Some(tr!(lang, "proposals-opinion-forwarded-already")),
    }
    Ok(step(ProposalStep::List { page }))
}

// ---- in the monthly report ---------------------------------------------------------------------

/// What the report's proposals step recalls of her unit's earlier proposals: those still open
/// and those answered since last month began ("Kiến nghị tháng trước: đã trả lời: …"), or ""
/// when there are none.
pub(crate) async fn earlier_in_report(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<String, DialogError> {
    let lang = ctx.lang;
    let since = period.previous().starts_at(ctx.tz).timestamp();
    let earlier = store::earlier_for_report(ctx.conn, unit_id, period, since, RECALLED).await?;
    if earlier.is_empty() {
        return Ok(String::new());
    }
    let mut text = tr!(lang, "proposals-in-report-title");
    for p in &earlier {
        text.push('\n');
        text.push_str(&match &p.reply {
            Some(reply) => tr!(
                lang,
                "proposals-in-report-answered",
                source = source_label(lang, p),
                text = labels::shorten(&p.body, 80),
                reply = reply.clone()
            ),
            None => tr!(
                lang,
                "proposals-in-report-open",
                source = source_label(lang, p),
                text = labels::shorten(&p.body, 80),
                status = status_label(lang, p.status)
            ),
        });
    }
    text.push_str("\n\n");
    Ok(text)
}

/// Open proposals per child unit of `unit` for `/tiendo`: a total line and one per child that
/// has any, or "" when there are none.
pub(crate) async fn progress_lines(
    ctx: &mut Ctx<'_>,
    unit: &Unit,
    children: &[Unit],
) -> Result<String, DialogError> {
    let lang = ctx.lang;
    let paths = store::open_paths_under(ctx.conn, unit).await?;
    if paths.is_empty() {
        return Ok(String::new());
    }
    let mut text = format!(
        "\n\n{}",
        tr!(lang, "proposals-progress-total", count = paths.len() as i64)
    );
    for child in children {
        let count = paths.iter().filter(|p| p.starts_with(&child.path)).count();
        if count > 0 {
            text.push('\n');
            text.push_str(&tr!(
                lang,
                "proposals-progress-unit",
                unit = child.name.clone(),
                count = count as i64
            ));
        }
    }
    Ok(text)
}
