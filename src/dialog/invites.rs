//! `/moi`: invites down the tree, in chat. Each officer invites the level right below her,
//! inside her subtree (a province admin district admins, a district admin grassroots officers,
//! a grassroots officer branch heads, a branch head the members of her own branch; see
//! [`invite::grant`]). She picks the unit (a page at a time) and how long the invite stays
//! open; she gets the Telegram link and the code to send on Zalo, then a QR code picture made
//! in the background like a chart (`admin::Made::InviteQr`). An invite serves any number of
//! people until it expires. `/moi` lists her open invites with how many joined by each, and
//! revokes one after asking. Every unit and invite a choice names is checked again when it is
//! acted on: a forged or stale choice changes nothing.

use super::admin::Made;
use super::paging::{self, Page};
use super::state::DialogState;
use super::{Ctx, DialogError, Next, PAGE_SIZE, Prompt, flows, labels};
use crate::domain::invite::{self, InviteCode, VALID_DAYS};
use crate::domain::org::Level;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::storage::invites::{self, OwnInvite};
use crate::storage::limits::Counted;
use crate::storage::org::{self, Unit};
use crate::tr;

/// Longest unit name on a choice (small screens).
const LABEL_CHARS: usize = 32;

pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    match ctx.user.membership() {
        None => flows::not_joined(ctx),
        // Whether a province has districts changes whom she invites, not whether she does.
        Some((_, role)) if invite::invites(role, true).is_some() => {
            Ok(Next::Go(DialogState::Invites))
        }
        Some(_) => {
            flows::menu(ctx, Some(tr!(ctx.lang, "invite-not-allowed")));
            Ok(Next::Go(DialogState::Idle))
        }
    }
}

/// Who she is as an inviter: her unit, her role, and whom she invites where.
struct Inviter {
    unit: Unit,
    role: Role,
    /// Whether there are districts below her (see [`invite::invites`]).
    district_tier: bool,
    /// The role she invites people to…
    invited: Role,
    /// …at units of this level below her (`None`: her own branch).
    level: Option<Level>,
}

/// Her as an inviter, if she may invite at all.
async fn inviter(ctx: &mut Ctx<'_>) -> Result<Option<Inviter>, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return Ok(None);
    };
    if invite::invites(role, true).is_none() {
        return Ok(None);
    }
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(None);
    };
    let district_tier = role != Role::ProvinceAdmin
        || !org::at_level_below(ctx.conn, &unit.path, Level::District)
            .await?
            .is_empty();
    Ok(
        invite::invites(role, district_tier).map(|(invited, level)| Inviter {
            unit,
            role,
            district_tier,
            invited,
            level,
        }),
    )
}

/// The unit `id` and the role an invite into it grants, if she may invite into it now.
async fn invitable(ctx: &mut Ctx<'_>, id: i64) -> Result<Option<(Unit, Role)>, DialogError> {
    let Some(me) = inviter(ctx).await? else {
        return Ok(None);
    };
    let Some(unit) = org::unit_by_id(ctx.conn, id).await? else {
        return Ok(None);
    };
    Ok(invite::grant(
        me.role,
        me.district_tier,
        &me.unit.path,
        &unit.path,
        unit.level,
    )
    .map(|granted| (unit, granted)))
}

/// Who an invite for `role` brings, as a sentence names them ("chi hội trưởng").
fn whom(lang: Lang, role: Role) -> String {
    tr!(lang, "invite-whom", role = role.as_str())
}

/// A moment in her time zone, as messages read it.
fn until(ctx: &Ctx<'_>, at: i64) -> String {
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp(at, 0)
        .unwrap_or(ctx.now)
        .with_timezone(&ctx.tz);
    labels::date_time(ctx.lang, &at)
}

fn cancel(lang: Lang) -> (String, String) {
    (tr!(lang, "button-cancel"), "cancel".to_owned())
}

fn back(lang: Lang) -> (String, String) {
    (tr!(lang, "button-up"), "back".to_owned())
}

fn bad_button(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

/// A unit or invite she may not act on (outside her subtree, at her level or above, someone
/// else's): a made-up choice.
fn refused(ctx: &mut Ctx<'_>, what: &str) -> Next {
    tracing::warn!(user = ctx.user.id, what, "invite choice refused: not hers");
    ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
    Next::Stay
}

// ---- her open invites ------------------------------------------------------------------------

pub(crate) async fn list_prompt(ctx: &mut Ctx<'_>) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let Some(Inviter { invited, .. }) = inviter(ctx).await? else {
        return Ok(Prompt::new(tr!(lang, "invite-not-allowed")).row(vec![cancel(lang)]));
    };
    let open = invites::open_made_by(ctx.conn, ctx.user.id, ctx.now.timestamp()).await?;
    let new = (tr!(lang, "button-invite-new"), "new".to_owned());
    if open.is_empty() {
        return Ok(
            Prompt::new(tr!(lang, "invite-none", whom = whom(lang, invited)))
                .row(vec![new])
                .row(vec![cancel(lang)]),
        );
    }
    // The newest, a screenful; older ones are still listed once these are revoked or expire.
    let shown = &open[..open.len().min(PAGE_SIZE - 1)];
    let mut text = tr!(lang, "invite-title", count = open.len() as i64);
    let mut revoke = Vec::new();
    for (i, inv) in shown.iter().enumerate() {
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "invite-line",
            n = (i + 1) as i64,
            unit = inv.unit_name.clone(),
            whom = whom(lang, inv.role),
            joined = inv.joined,
            until = until(ctx, inv.expires_at)
        ));
        revoke.push((
            tr!(lang, "button-invite-revoke", n = (i + 1) as i64),
            format!("rv:{}", inv.code.as_str()),
        ));
    }
    if open.len() > shown.len() {
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "invite-more",
            count = (open.len() - shown.len()) as i64
        ));
    }
    Ok(Prompt::new(text)
        .row(vec![new])
        .column(revoke)
        .row(vec![cancel(lang)]))
}

pub(crate) async fn list_choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    if token == "new" {
        let Some(me) = inviter(ctx).await? else {
            return Ok(refused(ctx, "new invite"));
        };
        return Ok(match me.level {
            // A branch head invites into her own branch: nothing to pick.
            None => Next::Go(DialogState::InviteExpiry {
                unit_id: me.unit.id,
            }),
            Some(_) => Next::Go(DialogState::InviteUnit { page: 0 }),
        });
    }
    let Some(code) = token.strip_prefix("rv:").and_then(InviteCode::parse) else {
        return Ok(bad_button(ctx));
    };
    match own_open(ctx, &code).await? {
        Some(_) => Ok(Next::Go(DialogState::InviteRevoke {
            code: code.as_str().to_owned(),
        })),
        None => Ok(gone_or_refused(ctx, &code).await?),
    }
}

/// Her invite `code`, while it still works.
async fn own_open(ctx: &mut Ctx<'_>, code: &InviteCode) -> Result<Option<OwnInvite>, DialogError> {
    Ok(invites::open_one_made_by(ctx.conn, code, ctx.user.id, ctx.now.timestamp()).await?)
}

/// An invite she cannot act on: hers that has just expired or been revoked (she is told so),
/// or not hers at all (refused).
async fn gone_or_refused(ctx: &mut Ctx<'_>, code: &InviteCode) -> Result<Next, DialogError> {
    if invites::was_made_by(ctx.conn, code, ctx.user.id).await? {
        ctx.say(tr!(ctx.lang, "invite-gone"));
        Ok(Next::Go(DialogState::Invites))
    } else {
        Ok(refused(ctx, "revoke"))
    }
}

// ---- the unit ----------------------------------------------------------------------------------

pub(crate) async fn unit_prompt(ctx: &mut Ctx<'_>, page: usize) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let nav_back = vec![back(lang), cancel(lang)];
    let Some(Inviter {
        unit: mine,
        invited,
        level: Some(level),
        ..
    }) = inviter(ctx).await?
    else {
        return Ok(Prompt::new(tr!(lang, "invite-not-allowed")).row(vec![cancel(lang)]));
    };
    let units = org::at_level_below(ctx.conn, &mine.path, level).await?;
    if units.is_empty() {
        return Ok(
            Prompt::new(tr!(lang, "invite-pick-empty", whom = whom(lang, invited))).row(nav_back),
        );
    }
    let page = Page::of(&units, page);
    let shown = page
        .shown
        .iter()
        .map(|u| (labels::shorten(&u.name, LABEL_CHARS), format!("u:{}", u.id)))
        .collect();
    Ok(
        Prompt::new(tr!(lang, "invite-pick-unit", whom = whom(lang, invited)))
            .column(shown)
            .row(page.nav(lang, paging::step_token))
            .row(nav_back),
    )
}

pub(crate) async fn unit_choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    if let Some(asked) = paging::asked_page(token) {
        return Ok(match asked {
            Some(page) => Next::Go(DialogState::InviteUnit { page }),
            None => bad_button(ctx),
        });
    }
    if token == "back" {
        return Ok(Next::Go(DialogState::Invites));
    }
    let Some(id) = token.strip_prefix("u:").and_then(|s| s.parse::<i64>().ok()) else {
        return Ok(bad_button(ctx));
    };
    Ok(match invitable(ctx, id).await? {
        Some(_) => Next::Go(DialogState::InviteExpiry { unit_id: id }),
        None => refused(ctx, "unit"),
    })
}

// ---- how long ----------------------------------------------------------------------------------

pub(crate) async fn expiry_prompt(ctx: &mut Ctx<'_>, unit_id: i64) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let Some((unit, role)) = invitable(ctx, unit_id).await? else {
        return Ok(Prompt::new(tr!(lang, "error-not-yours")).row(vec![cancel(lang)]));
    };
    let days = VALID_DAYS
        .iter()
        .map(|d| {
            (
                tr!(lang, "button-invite-days", days = i64::from(*d)),
                format!("e:{d}"),
            )
        })
        .collect();
    Ok(Prompt::new(tr!(
        lang,
        "invite-pick-expiry",
        unit = unit.name,
        whom = whom(lang, role)
    ))
    .row(days)
    .row(vec![back(lang), cancel(lang)]))
}

pub(crate) async fn expiry_choice(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    token: &str,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    if token == "back" {
        let picks_unit = inviter(ctx).await?.is_some_and(|me| me.level.is_some());
        return Ok(Next::Go(if picks_unit {
            DialogState::InviteUnit { page: 0 }
        } else {
            DialogState::Invites
        }));
    }
    let Some(days) = token
        .strip_prefix("e:")
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|d| VALID_DAYS.contains(d))
    else {
        return Ok(bad_button(ctx));
    };
    let Some((unit, role)) = invitable(ctx, unit_id).await? else {
        return Ok(refused(ctx, "unit"));
    };
    // Each invite brings a picture made in the background: the limit on files holds.
    if let Some(wait) = super::limits::reached(ctx, Counted::Files).await? {
        ctx.say(wait);
        return Ok(Next::Stay);
    }
    let code = InviteCode::generate();
    let now = ctx.now.timestamp();
    let expires_at = now + i64::from(days) * 86_400;
    invites::create_by(ctx.conn, &code, unit.id, role, ctx.user.id, expires_at, now).await?;
    tracing::info!(
        user = ctx.user.id,
        unit = unit.id,
        %role,
        days,
        "invite made in chat"
    );
    let link = ctx.bot_username.as_deref().map(|bot| code.deep_link(bot));
    let mut text = tr!(
        lang,
        "invite-created",
        unit = unit.name.clone(),
        whom = whom(lang, role),
        until = until(ctx, expires_at)
    );
    text.push('\n');
    match &link {
        Some(link) => {
            text.push_str(&tr!(lang, "invite-how-link", link = link.clone()));
            text.push('\n');
            text.push_str(&tr!(
                lang,
                "invite-how-code",
                code = code.as_str().to_owned()
            ));
        }
        None => text.push_str(&tr!(
            lang,
            "invite-how-code-only",
            code = code.as_str().to_owned()
        )),
    }
    text.push_str("\n\n");
    text.push_str(&tr!(lang, "invite-qr-coming"));
    ctx.say(text);
    queue_qr(ctx, &code, link.unwrap_or_else(|| code.as_str().to_owned())).await?;
    Ok(Next::Go(DialogState::Idle))
}

/// Queues the invite's QR code picture for her, made and sent like a chart.
async fn queue_qr(
    ctx: &mut Ctx<'_>,
    code: &InviteCode,
    content: String,
) -> Result<(), DialogError> {
    let made = Made::InviteQr {
        code: code.as_str().to_owned(),
        content,
    };
    super::admin::queue_made_now(ctx, made).await
}

// ---- revoking ----------------------------------------------------------------------------------

pub(crate) async fn revoke_prompt(ctx: &mut Ctx<'_>, code: &str) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let nav = vec![back(lang), cancel(lang)];
    let own = match InviteCode::parse(code) {
        Some(code) => own_open(ctx, &code).await?,
        None => None,
    };
    Ok(match own {
        Some(inv) => Prompt::new(tr!(
            lang,
            "invite-revoke-confirm",
            unit = inv.unit_name,
            whom = whom(lang, inv.role),
            joined = inv.joined
        ))
        .row(vec![(
            tr!(lang, "button-invite-revoke-confirm"),
            "rv".into(),
        )])
        .row(nav),
        None => Prompt::new(tr!(lang, "invite-gone")).row(nav),
    })
}

pub(crate) async fn revoke_choice(
    ctx: &mut Ctx<'_>,
    code: &str,
    token: &str,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    match token {
        "back" => Ok(Next::Go(DialogState::Invites)),
        "rv" => {
            let Some(code) = InviteCode::parse(code) else {
                return Ok(bad_button(ctx));
            };
            let Some(inv) = own_open(ctx, &code).await? else {
                return gone_or_refused(ctx, &code).await;
            };
            if invites::revoke_made_by(ctx.conn, &code, ctx.user.id, ctx.now.timestamp()).await? {
                tracing::info!(
                    user = ctx.user.id,
                    unit = inv.unit_id,
                    "invite revoked in chat"
                );
                ctx.say(tr!(lang, "invite-revoked", unit = inv.unit_name));
            } else {
                ctx.say(tr!(lang, "invite-gone"));
            }
            Ok(Next::Go(DialogState::Invites))
        }
        _ => Ok(bad_button(ctx)),
    }
}
