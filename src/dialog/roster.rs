//! The roster in chat (issue 18 §4, §7).
//!
//! - Matching: a member who joins a branch that keeps a roster is asked for her phone number
//!   (shared as a Telegram contact, or typed on either app) and matched to her row by it; her
//!   branch head is sent the branch's unmatched names at once, to pick which row she is or
//!   "not on the list" (which adds her). Whichever comes first wins; the other is told.
//! - `/hoivien` for officers: counts per unit (on the bot, not on it, unreachable, honorary,
//!   far from home) down her subtree, and at a branch the names and phones, a page at a time.
//!   Names are shown only to the branch's own officers and those above; every page of names
//!   shown is written to the access log.
//! - A member sets her own status ("đi làm ăn xa" / back home) from her menu.

use super::paging::{self, Page};
use super::state::DialogState;
use super::{Choice, Ctx, DialogError, Next, Prompt, flows};
use crate::domain::org::Level;
use crate::domain::role::Role;
use crate::domain::roster::{self, MemberStatus, Phone};
use crate::i18n::Lang;
use crate::storage::org::{self, Unit};
use crate::storage::roster::{self as store, Access, Counts, NewMember, RosterMember};
use crate::storage::users::{self, User};
use crate::storage::views;
use crate::tr;

/// Names offered to a head for one joiner (the closest to her display name first).
const CANDIDATES: usize = 6;

/// Names per page of a branch's list (one message, short enough for a phone).
const NAMES_PER_PAGE: usize = 15;

// ---- matching ---------------------------------------------------------------------------------

/// Who confirms a joiner's row: the branch's heads, or if it has none, the grassroots officers
/// above it (as for join requests).
async fn confirmers(ctx: &mut Ctx<'_>, unit: &Unit) -> Result<Vec<User>, DialogError> {
    let heads = users::users_in_units_with_roles(ctx.conn, &[unit.id], &[Role::BranchHead]).await?;
    if !heads.is_empty() {
        return Ok(heads);
    }
    Ok(
        users::users_in_units_with_roles(ctx.conn, &unit.lineage_ids(), &[Role::GrassrootsOfficer])
            .await?,
    )
}

/// `member` has just joined `unit` as a member. When the branch keeps a roster and she is not
/// matched yet, her heads get the names to pick from, and the line returned asks her for her
/// phone number (for her welcome).
pub(crate) async fn on_member_joined(
    ctx: &mut Ctx<'_>,
    member: &User,
    unit: &Unit,
) -> Result<Option<String>, DialogError> {
    if member.role != Some(Role::Member) || unit.level < Level::Branch {
        return Ok(None);
    }
    if store::by_user(ctx.conn, member.id).await?.is_some() {
        return Ok(None);
    }
    let rows = store::under(ctx.conn, unit).await?;
    if rows.is_empty() {
        // This branch keeps no roster on the bot.
        return Ok(None);
    }
    let mut open: Vec<&RosterMember> = rows
        .iter()
        .filter(|m| m.user_id.is_none() && m.name.is_some())
        .collect();
    let hers = roster::fold(&member.display_name);
    let words: Vec<&str> = hers.split(' ').collect();
    // Most words in common with her name first; then by name.
    open.sort_by_key(|m| {
        let name = roster::fold(m.name.as_deref().unwrap_or(""));
        let common = name.split(' ').filter(|w| words.contains(w)).count();
        std::cmp::Reverse(common)
    });
    open.truncate(CANDIDATES);
    for head in confirmers(ctx, unit).await? {
        let hl = Lang::parse(&head.lang).unwrap_or_default();
        let mut choices: Vec<Vec<Choice>> = open
            .iter()
            .map(|m| {
                vec![Choice {
                    label: tr!(
                        hl,
                        "roster-match-choice",
                        name = m.name.clone().unwrap_or_default(),
                        tail = phone_tail(m.phone.as_ref())
                    ),
                    data: format!("ro:{}:{}", member.id, m.id),
                }]
            })
            .collect();
        choices.push(vec![Choice {
            label: tr!(hl, "roster-match-new"),
            data: format!("ro:{}:0", member.id),
        }]);
        let text = tr!(
            hl,
            "roster-match-ask",
            name = member.display_name.clone(),
            unit = unit.name.clone()
        );
        ctx.send_to(&head, text, choices);
    }
    let ml = Lang::parse(&member.lang).unwrap_or_default();
    Ok(Some(tr!(ml, "roster-ask-phone")))
}

/// The last three digits, to tell two women of the same name apart ("none" without a phone,
/// for the message's selector).
fn phone_tail(phone: Option<&Phone>) -> String {
    phone.map_or_else(|| "none".to_owned(), |p| p.as_str()[7..].to_owned())
}

/// Text outside a dialog that is a phone number, from a member: her roster row is looked up by
/// it. `None` when the text is no phone number (the caller goes on as before).
pub(crate) async fn typed_phone(
    ctx: &mut Ctx<'_>,
    text: &str,
) -> Result<Option<Next>, DialogError> {
    let Some(phone) = Phone::parse(text) else {
        return Ok(None);
    };
    let lang = ctx.lang;
    let Some((unit_id, Role::Member)) = ctx.user.membership() else {
        flows::menu(ctx, Some(tr!(lang, "roster-phone-not-member")));
        return Ok(Some(Next::Quiet));
    };
    if let Some(mine) = store::by_user(ctx.conn, ctx.user.id).await? {
        let name = mine.name.unwrap_or_default();
        flows::menu(ctx, Some(tr!(lang, "roster-already-you", name = name)));
        return Ok(Some(Next::Quiet));
    }
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(None);
    };
    let row = store::by_phone(ctx.conn, &phone).await?;
    let row_unit = match &row {
        Some(r) => org::unit_by_id(ctx.conn, r.unit_id).await?,
        None => None,
    };
    let text = match (row, row_unit) {
        (Some(r), Some(ru)) if ru.is_within(&unit) && r.user_id.is_none() => {
            if store::link(ctx.conn, r.id, ctx.user.id, ctx.now.timestamp()).await? {
                crate::targets::queue_around(ctx.conn, unit.id, ctx.now).await?;
                let name = r.name.clone().unwrap_or_default();
                // Her heads see the match: a number typed by someone else is noticed.
                for head in confirmers(ctx, &unit).await? {
                    let hl = Lang::parse(&head.lang).unwrap_or_default();
                    let told = tr!(
                        hl,
                        "roster-matched-by-phone-to-head",
                        joiner = ctx.user.display_name.clone(),
                        name = name.clone()
                    );
                    ctx.send_to(&head, told, Vec::new());
                }
                tracing::info!(
                    user = ctx.user.id,
                    row = r.id,
                    "roster row matched by phone"
                );
                tr!(lang, "roster-matched-by-phone", name = name)
            } else {
                tr!(lang, "roster-phone-taken")
            }
        }
        (Some(_), Some(_)) => tr!(lang, "roster-phone-taken"),
        _ => tr!(lang, "roster-phone-unknown"),
    };
    flows::menu(ctx, Some(text));
    Ok(Some(Next::Quiet))
}

/// Whether she decides which row the joiner `user_id` is (her branch's head, or an officer
/// above it): a typed pick she may not make is refused at once rather than asked about.
pub(crate) async fn may_decide(ctx: &mut Ctx<'_>, user_id: i64) -> Result<bool, DialogError> {
    let Some((unit_id, Role::Member)) = users::user_by_id(ctx.conn, user_id)
        .await?
        .and_then(|u| u.membership())
    else {
        return Ok(false);
    };
    Ok(match org::unit_by_id(ctx.conn, unit_id).await? {
        Some(unit) => flows::may_decide_join(&ctx.user, &unit),
        None => false,
    })
}

/// What a typed pick will do, asked before it is done (see `confirm`).
pub(crate) async fn question(
    ctx: &mut Ctx<'_>,
    user_id: i64,
    row: i64,
) -> Result<String, DialogError> {
    let joiner = users::user_by_id(ctx.conn, user_id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    let name = match row {
        0 => None,
        id => store::by_id(ctx.conn, id).await?.and_then(|r| r.name),
    };
    Ok(match name {
        Some(name) => tr!(
            ctx.lang,
            "roster-confirm-match",
            joiner = joiner,
            name = name
        ),
        None => tr!(ctx.lang, "roster-confirm-add", joiner = joiner),
    })
}

/// A head picks which row the joiner `user_id` is (`row` 0: not on the list, add her).
pub(crate) async fn decide(ctx: &mut Ctx<'_>, user_id: i64, row: i64) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some(member) = users::user_by_id(ctx.conn, user_id).await? else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    let Some((unit_id, Role::Member)) = member.membership() else {
        ctx.notice = Some(tr!(
            lang,
            "roster-match-moot",
            name = member.display_name.clone()
        ));
        return Ok(());
    };
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    if !flows::may_decide_join(&ctx.user, &unit) {
        tracing::warn!(
            user = ctx.user.id,
            joiner = user_id,
            "roster match refused: not hers"
        );
        ctx.notice = Some(tr!(lang, "error-not-yours"));
        return Ok(());
    }
    if let Some(mine) = store::by_user(ctx.conn, member.id).await? {
        ctx.say(tr!(
            lang,
            "roster-match-already",
            joiner = member.display_name.clone(),
            name = mine.name.unwrap_or_default()
        ));
        return Ok(());
    }
    let now = ctx.now.timestamp();
    let name = if row == 0 {
        let name = member.display_name.clone();
        store::insert(
            ctx.conn,
            &NewMember {
                unit_id: unit.id,
                name: &name,
                phone: None,
                status: MemberStatus::Active,
                honorary: false,
                user_id: Some(member.id),
            },
            now,
        )
        .await?;
        name
    } else {
        let picked = store::by_id(ctx.conn, row).await?;
        let picked_unit = match &picked {
            Some(r) => org::unit_by_id(ctx.conn, r.unit_id).await?,
            None => None,
        };
        match (picked, picked_unit) {
            (Some(r), Some(ru)) if ru.is_within(&unit) => {
                if !store::link(ctx.conn, r.id, member.id, now).await? {
                    // Matched to someone else meanwhile, or forgotten.
                    ctx.say(tr!(lang, "roster-match-row-taken"));
                    return Ok(());
                }
                r.name.unwrap_or_default()
            }
            (Some(_), Some(_)) => {
                tracing::warn!(
                    user = ctx.user.id,
                    row,
                    "roster match refused: row elsewhere"
                );
                ctx.notice = Some(tr!(lang, "error-not-yours"));
                return Ok(());
            }
            _ => {
                ctx.notice = Some(tr!(lang, "error-bad-button"));
                return Ok(());
            }
        }
    };
    crate::targets::queue_around(ctx.conn, unit.id, ctx.now).await?;
    tracing::info!(
        by = ctx.user.id,
        joiner = member.id,
        added = row == 0,
        "roster row matched by head"
    );
    let key = if row == 0 {
        "roster-match-added"
    } else {
        "roster-match-done"
    };
    ctx.say(tr!(
        lang,
        key,
        joiner = member.display_name.clone(),
        name = name.clone()
    ));
    Ok(())
}

// ---- officers' view ---------------------------------------------------------------------------

/// Her unit, when her role may see members (branch heads and everyone above).
async fn viewer_unit(ctx: &mut Ctx<'_>) -> Result<Option<Unit>, DialogError> {
    match ctx.user.membership() {
        Some((unit_id, role)) if role >= Role::BranchHead => {
            Ok(org::unit_by_id(ctx.conn, unit_id).await?)
        }
        _ => Ok(None),
    }
}

/// `/hoivien` for officers above a branch: her unit's counts.
pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    let Some(unit) = viewer_unit(ctx).await? else {
        ctx.say(tr!(ctx.lang, "members-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    };
    go_to(ctx, unit.id, 0).await
}

/// Moves to the view of `unit_id` (page `page`), if it is in her subtree; a page of names
/// shown is logged.
pub(crate) async fn go_to(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    page: usize,
) -> Result<Next, DialogError> {
    let (Some(mine), Some(unit)) = (
        viewer_unit(ctx).await?,
        org::unit_by_id(ctx.conn, unit_id).await?,
    ) else {
        ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
        return Ok(Next::Quiet);
    };
    if !unit.is_within(&mine) {
        tracing::warn!(
            user = ctx.user.id,
            unit = unit.id,
            "roster view refused: outside her units"
        );
        ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
        return Ok(Next::Quiet);
    }
    if unit.level >= Level::Branch {
        let rows = store::under(ctx.conn, &unit).await?;
        let shown = Page::sized(&rows, page, NAMES_PER_PAGE).shown.len();
        store::log_access(
            ctx.conn,
            &Access {
                at: ctx.now.timestamp(),
                actor_id: Some(ctx.user.id),
                actor: ctx.user.display_name.clone(),
                what: "roster list in chat".into(),
                unit_id: Some(unit.id),
                rows: shown as i64,
            },
        )
        .await?;
    }
    Ok(Next::Go(DialogState::Roster { unit_id, page }))
}

/// An export she asked for in chat holds names (authors, signed opinions): logged (§7).
pub(crate) async fn log_export(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    what: &str,
) -> Result<(), DialogError> {
    store::log_access(
        ctx.conn,
        &Access {
            at: ctx.now.timestamp(),
            actor_id: Some(ctx.user.id),
            actor: ctx.user.display_name.clone(),
            what: what.to_owned(),
            unit_id: Some(unit_id),
            rows: 0,
        },
    )
    .await?;
    Ok(())
}

fn counts_text(lang: Lang, c: &Counts) -> String {
    tr!(
        lang,
        "roster-counts",
        total = c.total,
        on_bot = c.on_bot,
        off_bot = c.not_on_bot(),
        unreachable = c.unreachable,
        honorary = c.honorary,
        away = c.away
    )
}

fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        "0".into()
    } else {
        format!("{:.0}", part as f64 * 100.0 / whole as f64)
    }
}

pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    page: usize,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let cancel = vec![(tr!(lang, "button-cancel"), "cancel".to_owned())];
    let (Some(mine), Some(unit)) = (
        viewer_unit(ctx).await?,
        org::unit_by_id(ctx.conn, unit_id).await?,
    ) else {
        return Ok(Prompt::new(tr!(lang, "members-not-allowed")).row(cancel));
    };
    if !unit.is_within(&mine) {
        return Ok(Prompt::new(tr!(lang, "members-not-allowed")).row(cancel));
    }
    let (total, per_child) = store::counts_under(ctx.conn, &unit).await?;
    let mut text = tr!(lang, "roster-title", unit = unit.name.clone());
    text.push('\n');
    if total.total == 0 {
        text.push_str(&tr!(lang, "roster-empty"));
    } else {
        text.push_str(&counts_text(lang, &total));
    }
    if unit.level == Level::Grassroots {
        let year = crate::domain::period::Period::containing(ctx.now, ctx.tz).year();
        let f = views::roster_figures(ctx.conn, &unit, year).await?;
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "roster-figure-reached",
            year = year,
            reached = f.reached,
            members = f.members,
            pct = pct(f.reached, f.members)
        ));
        text.push('\n');
        text.push_str(&if f.women_18plus > 0 {
            tr!(
                lang,
                "roster-figure-gathered",
                gathered = f.gathered(),
                women = f.women_18plus,
                pct = pct(f.gathered(), f.women_18plus)
            )
        } else {
            tr!(lang, "roster-figure-no-women")
        });
    }
    let mut prompt;
    if unit.level >= Level::Branch {
        let rows = store::under(ctx.conn, &unit).await?;
        let page = Page::sized(&rows, page, NAMES_PER_PAGE);
        for (i, m) in page.shown.iter().enumerate() {
            text.push('\n');
            text.push_str(&name_line(lang, page.number * NAMES_PER_PAGE + i + 1, m));
        }
        prompt = Prompt::new(text).row(page.nav(lang, paging::step_token));
    } else {
        let mut children = org::children(ctx.conn, Some(unit.id)).await?;
        org::sort_by_name(&mut children);
        let page = Page::of(&children, page);
        let buttons = page
            .shown
            .iter()
            .map(|c| {
                let n = per_child
                    .iter()
                    .find(|(id, _)| *id == c.id)
                    .map(|(_, n)| *n)
                    .unwrap_or_default();
                (
                    tr!(
                        lang,
                        "roster-child",
                        unit = c.name.clone(),
                        total = n.total,
                        on_bot = n.on_bot
                    ),
                    format!("u:{}", c.id),
                )
            })
            .collect();
        prompt = Prompt::new(text)
            .column(buttons)
            .row(page.nav(lang, paging::step_token));
    }
    if unit.id != mine.id {
        prompt = prompt.row(vec![(tr!(lang, "button-up"), "up".to_owned())]);
    }
    Ok(prompt.row(cancel))
}

fn name_line(lang: Lang, n: usize, m: &RosterMember) -> String {
    let mut marks = Vec::new();
    if m.user_id.is_some() {
        marks.push(tr!(lang, "roster-mark-on-bot"));
    }
    match m.status {
        MemberStatus::Away => marks.push(tr!(lang, "roster-mark-away")),
        MemberStatus::Unreachable => marks.push(tr!(lang, "roster-mark-unreachable")),
        MemberStatus::Active => {}
    }
    if m.honorary {
        marks.push(tr!(lang, "roster-mark-honorary"));
    }
    tr!(
        lang,
        "roster-name-line",
        n = n as i64,
        name = m
            .name
            .clone()
            .unwrap_or_else(|| tr!(lang, "roster-forgotten")),
        phone = m
            .phone
            .as_ref()
            .map_or_else(|| "none".to_owned(), Phone::pretty),
        marks = if marks.is_empty() {
            "none".to_owned()
        } else {
            marks.join(" · ")
        }
    )
}

pub(crate) async fn choice(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    token: &str,
) -> Result<Next, DialogError> {
    if let Some(asked) = paging::asked_page(token) {
        return match asked {
            Some(page) => go_to(ctx, unit_id, page).await,
            None => Ok(bad_button(ctx)),
        };
    }
    if token == "up" {
        let parent = org::unit_by_id(ctx.conn, unit_id)
            .await?
            .and_then(|u| u.parent_id);
        return match parent {
            Some(p) => go_to(ctx, p, 0).await,
            None => Ok(bad_button(ctx)),
        };
    }
    match token.strip_prefix("u:").and_then(|s| s.parse::<i64>().ok()) {
        Some(child) => {
            // Only a child of the unit on screen (and so in her subtree).
            let is_child = org::unit_by_id(ctx.conn, child)
                .await?
                .is_some_and(|c| c.parent_id == Some(unit_id));
            if !is_child {
                return Ok(bad_button(ctx));
            }
            go_to(ctx, child, 0).await
        }
        None => Ok(bad_button(ctx)),
    }
}

/// A choice no button of this view carries: a notice, and the page she has stays as it is
/// (not shown again: a list of names is shown, and logged, only when she asks for it).
fn bad_button(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Quiet
}

// ---- her own status ---------------------------------------------------------------------------

/// `/trangthai`: her status on the roster and the choice to change it.
pub(crate) async fn status_command(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    if ctx.user.membership().is_none() {
        return flows::not_joined(ctx);
    }
    let Some(mine) = store::by_user(ctx.conn, ctx.user.id).await? else {
        flows::menu(ctx, Some(tr!(lang, "roster-status-no-row")));
        return Ok(Next::Go(DialogState::Idle));
    };
    let (text, label, data) = match mine.status {
        MemberStatus::Away => (
            tr!(lang, "roster-status-away"),
            tr!(lang, "button-roster-home"),
            "rs:home",
        ),
        _ => (
            tr!(lang, "roster-status-home"),
            tr!(lang, "button-roster-away"),
            "rs:away",
        ),
    };
    ctx.say_with(
        text,
        vec![vec![Choice {
            label,
            data: data.into(),
        }]],
    );
    Ok(Next::Go(DialogState::Idle))
}

/// `rs:away` / `rs:home`: she sets her status.
pub(crate) async fn set_status(ctx: &mut Ctx<'_>, away: bool) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some(mine) = store::by_user(ctx.conn, ctx.user.id).await? else {
        flows::menu(ctx, Some(tr!(lang, "roster-status-no-row")));
        return Ok(());
    };
    let wanted = if away {
        MemberStatus::Away
    } else {
        MemberStatus::Active
    };
    let text = if mine.status == wanted {
        tr!(
            lang,
            "roster-status-unchanged",
            away = if away { "yes" } else { "no" }
        )
    } else {
        store::set_status_of(ctx.conn, ctx.user.id, wanted, ctx.now.timestamp()).await?;
        crate::targets::queue_around(ctx.conn, mine.unit_id, ctx.now).await?;
        tracing::info!(
            user = ctx.user.id,
            status = wanted.as_str(),
            "member set her status"
        );
        tr!(
            lang,
            "roster-status-saved",
            away = if away { "yes" } else { "no" }
        )
    };
    flows::menu(ctx, Some(text));
    Ok(())
}
