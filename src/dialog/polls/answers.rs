//! A recipient's answers outside the dialog: an option (`q:<id>:<n>`), counted once however
//! often she taps or types it and replaced when she changes her mind, and a written comment
//! (`q:<id>:c`, then a step of its own); refused kindly once the poll has closed.

use super::*;

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

pub(super) async fn comment(ctx: &mut Ctx<'_>, id: i64, text: &str) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let text = match clean_text(text, poll::MAX_COMMENT_CHARS) {
        Ok(t) => t,
        Err(why) => {
            ctx.say(crate::dialog::report::refusal(lang, why));
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
