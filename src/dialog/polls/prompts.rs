//! The steps of `/laykien` as she sees them: her home (polls to answer, polls she sent), the
//! composing steps, the preview with its head count, and a poll's results.

use super::*;

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
