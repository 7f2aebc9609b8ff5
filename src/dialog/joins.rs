//! `/duyet`: the join requests waiting for her (a branch head: her branch's; a grassroots
//! officer: those of the branches below her), as one message whose one list names each
//! request in each choice ("✅ Duyệt chị Hoa — Chi hội thôn Tây"). It is where a request that
//! reached her in the middle of a dialog is answered on Zalo, and what an out-of-date list of
//! requests is replaced with. The decision itself is `flows::decide_join`.

use super::{Choice, Ctx, DialogError};
use crate::domain::role::Role;
use crate::storage::{org, users};
use crate::tr;

/// Requests shown at once: two choices each, a screenful.
const SHOWN: usize = 5;

pub(crate) async fn list_pending(ctx: &mut Ctx<'_>) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let within = match ctx.user.membership() {
        Some((_, Role::BranchHead)) => false,
        Some((_, Role::GrassrootsOfficer)) => true,
        _ => {
            ctx.say(tr!(lang, "join-list-not-allowed"));
            return Ok(());
        }
    };
    let Some(unit) = ctx.user.unit_id else {
        return Ok(());
    };
    let Some(unit) = org::unit_by_id(ctx.conn, unit).await? else {
        return Ok(());
    };
    let pending = users::pending_join_requests(ctx.conn, &unit, within, (SHOWN + 1) as i64).await?;
    if pending.is_empty() {
        ctx.say(tr!(lang, "join-list-empty"));
        return Ok(());
    }
    let shown = &pending[..pending.len().min(SHOWN)];
    let mut text = tr!(lang, "join-list-title", count = shown.len() as i64);
    let mut rows = Vec::new();
    for request in shown {
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "join-list-item",
            name = request.name.clone(),
            unit = request.unit_name.clone()
        ));
        for (approve, verdict) in [(true, "a"), (false, "r")] {
            rows.push(vec![Choice {
                label: tr!(
                    lang,
                    "join-list-choice",
                    verdict = if approve { "approve" } else { "reject" },
                    name = request.name.clone(),
                    unit = request.unit_name.clone()
                ),
                data: format!("j:{}:{verdict}", request.id),
            }]);
        }
    }
    if pending.len() > SHOWN {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "join-list-more"));
    }
    ctx.say_with(text, rows);
    Ok(())
}
