//! What a poll says to its readers: the question as recipients get it, the results (per area
//! for participants, per unit with comments for the sender), and closing on time with the
//! results queued; the chart's bars and the CSV table.

use super::*;

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

pub(super) async fn unit_name(conn: &mut Conn, id: i64) -> Result<String, StorageError> {
    Ok(org::unit_by_id(conn, id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// Poll `poll`'s question to `lang`'s reader, with its choices.
pub(super) async fn poll_message(
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
pub(super) async fn results_text(
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
