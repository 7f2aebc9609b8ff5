//! `/hoivien`: a branch head sees the members of her branch on the bot and may remove one,
//! after confirming. Only people ranked below her, in her unit or below it, never herself; the
//! check is made again when she confirms. The removed member is told; what she sent stays.

use super::paging::{self, Page};
use super::state::DialogState;
use super::{Ctx, DialogError, Next, Prompt, flows};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::storage::org::{self, Unit};
use crate::storage::users::{self, User};
use crate::tr;

/// Whether `me` (of `my_unit`) may take `target`'s access away: someone else, ranked below
/// her, in her unit or below it, and her role manages members.
pub(crate) fn may_remove(me: &User, my_unit: &Unit, target: &User, target_unit: &Unit) -> bool {
    let (Some((mine_at, mine)), Some((theirs_at, theirs))) = (me.membership(), target.membership())
    else {
        return false;
    };
    me.id != target.id
        && mine_at == my_unit.id
        && theirs_at == target_unit.id
        && mine.manages_members()
        && mine.outranks(theirs)
        && target_unit.is_within(my_unit)
}

pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    match ctx.user.membership() {
        None => flows::not_joined(ctx),
        Some((_, role)) if role.manages_members() => Ok(Next::Go(DialogState::Members { page: 0 })),
        // Officers above a branch: the roster's counts down their units (`roster`).
        Some((_, role)) if role > Role::BranchHead => super::roster::start(ctx).await,
        Some(_) => {
            ctx.say(tr!(ctx.lang, "members-not-allowed"));
            Ok(Next::Go(DialogState::Idle))
        }
    }
}

/// Her unit, if her role manages members.
async fn managed_unit(ctx: &mut Ctx<'_>) -> Result<Option<Unit>, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return Ok(None);
    };
    if !role.manages_members() {
        return Ok(None);
    }
    Ok(org::unit_by_id(ctx.conn, unit_id).await?)
}

/// The people she may remove, by name.
async fn removable(ctx: &mut Ctx<'_>, unit: &Unit) -> Result<Vec<User>, DialogError> {
    let Some((_, mine)) = ctx.user.membership() else {
        return Ok(Vec::new());
    };
    let below: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| mine.outranks(*r))
        .collect();
    let me = ctx.user.id;
    Ok(users::people_below(ctx.conn, unit, &below)
        .await?
        .into_iter()
        .filter(|u| u.id != me)
        .collect())
}

/// The person `id` with her unit and the head's, when the head may remove her now.
async fn removable_person(ctx: &mut Ctx<'_>, id: i64) -> Result<Option<(User, Unit)>, DialogError> {
    let Some(my_unit) = managed_unit(ctx).await? else {
        return Ok(None);
    };
    let Some(target) = users::user_by_id(ctx.conn, id).await? else {
        return Ok(None);
    };
    let Some((unit_id, _)) = target.membership() else {
        return Ok(None);
    };
    let Some(target_unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(None);
    };
    Ok(may_remove(&ctx.user, &my_unit, &target, &target_unit).then_some((target, my_unit)))
}

fn cancel_row(lang: Lang) -> Vec<(String, String)> {
    vec![(tr!(lang, "button-cancel"), "cancel".to_owned())]
}

pub(crate) async fn list_prompt(ctx: &mut Ctx<'_>, page: usize) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let Some(unit) = managed_unit(ctx).await? else {
        return Ok(Prompt::new(tr!(lang, "members-not-allowed")).row(cancel_row(lang)));
    };
    let people = removable(ctx, &unit).await?;
    // The branch's roster, when it keeps one on the bot (`roster`).
    let (on_roster, _) = crate::storage::roster::counts_under(ctx.conn, &unit).await?;
    let roster_row = if on_roster.total > 0 {
        vec![(tr!(lang, "button-roster-list"), "roster".to_owned())]
    } else {
        Vec::new()
    };
    if people.is_empty() {
        return Ok(Prompt::new(tr!(lang, "members-none", unit = unit.name))
            .row(roster_row)
            .row(cancel_row(lang)));
    }
    let page = Page::of(&people, page);
    let shown = page
        .shown
        .iter()
        .map(|u| (u.display_name.clone(), format!("m:{}", u.id)))
        .collect();
    let nav = page.nav(lang, paging::step_token);
    let title = tr!(
        lang,
        "members-title",
        unit = unit.name,
        count = people.len() as i64
    );
    Ok(Prompt::new(title)
        .column(shown)
        .row(nav)
        .row(roster_row)
        .row(cancel_row(lang)))
}

pub(crate) async fn list_choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    if let Some(asked) = paging::asked_page(token) {
        return Ok(match asked {
            Some(page) => Next::Go(DialogState::Members { page }),
            None => bad_button(ctx),
        });
    }
    if token == "roster" {
        return match managed_unit(ctx).await? {
            Some(unit) => super::roster::go_to(ctx, unit.id, 0).await,
            None => Ok(bad_button(ctx)),
        };
    }
    let Some(id) = token.strip_prefix("m:").and_then(|s| s.parse::<i64>().ok()) else {
        return Ok(bad_button(ctx));
    };
    if removable_person(ctx, id).await?.is_none() {
        refused(ctx, id);
        return Ok(Next::Stay);
    }
    Ok(Next::Go(DialogState::MemberRemove { user_id: id }))
}

pub(crate) async fn confirm_prompt(ctx: &mut Ctx<'_>, user_id: i64) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let back = vec![
        (tr!(lang, "button-up"), "back".to_owned()),
        (tr!(lang, "button-cancel"), "cancel".to_owned()),
    ];
    Ok(match removable_person(ctx, user_id).await? {
        Some((target, my_unit)) => Prompt::new(tr!(
            lang,
            "members-remove-confirm",
            name = target.display_name,
            unit = my_unit.name
        ))
        .row(vec![(tr!(lang, "button-remove-member"), "rm".to_owned())])
        .row(back),
        None => Prompt::new(tr!(lang, "members-gone")).row(back),
    })
}

pub(crate) async fn confirm_choice(
    ctx: &mut Ctx<'_>,
    user_id: i64,
    token: &str,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    match token {
        "back" => Ok(Next::Go(DialogState::Members { page: 0 })),
        "rm" => {
            let Some((target, my_unit)) = removable_person(ctx, user_id).await? else {
                let gone = users::user_by_id(ctx.conn, user_id)
                    .await?
                    .is_some_and(|u| u.membership().is_none());
                if gone {
                    ctx.say(tr!(lang, "members-gone"));
                } else {
                    refused(ctx, user_id);
                }
                return Ok(Next::Go(DialogState::Members { page: 0 }));
            };
            let cancelled =
                users::take_away_access(ctx.conn, target.id, ctx.now.timestamp()).await?;
            let theirs = Lang::parse(&target.lang).unwrap_or_default();
            ctx.send_to(
                &target,
                tr!(
                    theirs,
                    "access-removed",
                    unit = my_unit.name.clone(),
                    by = "head"
                ),
                Vec::new(),
            );
            tracing::info!(
                by = ctx.user.id,
                user = target.id,
                unit = my_unit.id,
                cancelled,
                "member removed by her branch head"
            );
            flows::menu(
                ctx,
                Some(tr!(lang, "members-removed", name = target.display_name)),
            );
            Ok(Next::Go(DialogState::Idle))
        }
        _ => Ok(bad_button(ctx)),
    }
}

/// Someone she may not remove (herself, a higher role, outside her branch): a made-up choice.
fn refused(ctx: &mut Ctx<'_>, id: i64) {
    tracing::warn!(
        user = ctx.user.id,
        target = id,
        "removal refused: not hers to remove"
    );
    ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
}

fn bad_button(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::org::Level;

    fn unit(id: i64, path: &str, level: Level) -> Unit {
        Unit {
            id,
            code: format!("U{id}"),
            parent_id: None,
            level,
            name: format!("Unit {id}"),
            path: path.to_owned(),
        }
    }

    fn person(id: i64, at: &Unit, role: Role) -> User {
        User {
            id,
            platform: "telegram".into(),
            platform_user_id: id.to_string(),
            chat_id: id.to_string(),
            display_name: format!("P{id}"),
            lang: "vi".into(),
            unit_id: Some(at.id),
            role: Some(role),
            reachable: true,
        }
    }

    #[test]
    fn a_head_removes_only_members_of_her_own_branch() {
        let branch = unit(3, "/1/2/3/", Level::Branch);
        let group = unit(4, "/1/2/3/4/", Level::Group);
        let other = unit(5, "/1/2/5/", Level::Branch);
        let commune = unit(2, "/1/2/", Level::Grassroots);
        let head = person(1, &branch, Role::BranchHead);
        let cases = [
            (person(2, &branch, Role::Member), &branch, true),
            (person(3, &group, Role::Member), &group, true),
            (person(4, &other, Role::Member), &other, false),
            (person(5, &branch, Role::BranchHead), &branch, false),
            (
                person(6, &commune, Role::GrassrootsOfficer),
                &commune,
                false,
            ),
            (head.clone(), &branch, false),
        ];
        for (target, at, allowed) in cases {
            assert_eq!(
                may_remove(&head, &branch, &target, at),
                allowed,
                "#{}",
                target.id
            );
        }
        // A member manages nobody, and a stale unit is not hers.
        let member = person(7, &branch, Role::Member);
        assert!(!may_remove(
            &member,
            &branch,
            &person(8, &group, Role::Member),
            &group
        ));
        assert!(!may_remove(
            &head,
            &other,
            &person(9, &other, Role::Member),
            &other
        ));
        let mut gone = person(10, &branch, Role::Member);
        gone.role = None;
        assert!(!may_remove(&head, &branch, &gone, &branch));
    }
}
