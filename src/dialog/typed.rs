//! What a typed answer means on a platform without buttons (Zalo): the list it picks from, and
//! what happens when that list is too old.
//!
//! In a dialog she answers its current step, whatever reached her chat meanwhile (delivery
//! keeps numbers off notices that arrive then). Outside a dialog she answers the list she was
//! shown last. A list shown more than [`LIST_LIFETIME_SECS`] ago is not answered from: she is
//! told so and shown the current one.

use super::state::{self, DialogState};
use super::{Ctx, DialogError, Next, Prompt, alerts, flows, joins, picking};
use crate::storage::choices::{self, ShownChoices};
use crate::tr;

/// How long a list shown on a text-only platform may be answered: a day.
pub(crate) const LIST_LIFETIME_SECS: i64 = 24 * 3600;

/// What her typed text picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Typed {
    /// The data of the choice it picks.
    Choice(String),
    /// It picks from a list shown too long ago (that list).
    Expired(ShownChoices),
}

/// The choice `text` picks in this chat, if any.
pub(crate) async fn typed_choice(
    ctx: &mut Ctx<'_>,
    platform: &str,
    chat_id: &str,
    state: &DialogState,
    version: i64,
    text: &str,
) -> Result<Option<Typed>, DialogError> {
    let remembered = choices::last_shown(ctx.conn, platform, chat_id).await?;
    let list = if *state == DialogState::Idle {
        match &remembered {
            Some((shown, _)) => shown.clone(),
            None => return Ok(None),
        }
    } else {
        // Her dialog's step as it stands: a notice shown since never takes its place.
        match state::prompt(ctx, state).await? {
            Some(prompt) => shown(&prompt, version),
            None => return Ok(None),
        }
    };
    let Some(data) = picking::pick(&list, text, state::accepts_text(state)) else {
        return Ok(None);
    };
    match remembered {
        Some((old, at)) if ctx.now.timestamp() - at > LIST_LIFETIME_SECS => {
            Ok(Some(Typed::Expired(old)))
        }
        _ => Ok(Some(Typed::Choice(data.to_owned()))),
    }
}

/// A step's choices as a text-only platform shows them.
fn shown(prompt: &Prompt, version: i64) -> ShownChoices {
    ShownChoices {
        items: prompt
            .rows
            .iter()
            .flatten()
            .map(|(label, token)| (label.clone(), format!("d:{version}:{token}")))
            .collect(),
        lettered: prompt.lettered,
    }
}

/// She answered a list too old to trust: she is told so, and shown the list as it is now (her
/// dialog's step, the open alerts, the join requests, or the menu).
pub(crate) async fn list_expired(
    ctx: &mut Ctx<'_>,
    state: &DialogState,
    old: &ShownChoices,
) -> Result<Next, DialogError> {
    let text = tr!(ctx.lang, "error-list-expired");
    if *state != DialogState::Idle {
        ctx.say(text);
        return Ok(Next::Stay);
    }
    let kind = |prefix: &str| {
        old.items
            .iter()
            .any(|(_, data)| data.split(':').next() == Some(prefix))
    };
    if kind("a") {
        ctx.say(text);
        alerts::list_open(ctx, 0).await?;
    } else if kind("j") {
        ctx.say(text);
        joins::list_pending(ctx).await?;
    } else {
        flows::menu(ctx, Some(text));
    }
    Ok(Next::Quiet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steps_list_carries_its_version() {
        let prompt = Prompt::new("Chọn".into())
            .row(vec![("Ổn định".into(), "s:stable".into())])
            .row(vec![("✖ Hủy".into(), "cancel".into())]);
        let list = shown(&prompt, 7);
        assert_eq!(
            list.items,
            vec![
                ("Ổn định".to_owned(), "d:7:s:stable".to_owned()),
                ("✖ Hủy".to_owned(), "d:7:cancel".to_owned())
            ]
        );
        assert!(!list.lettered);
    }
}
