//! The admins' views in chat, each limited to her own subtree: `/tiendo` (this period's
//! completeness as a compact tree with drill-down), `/chitieu` (the plan's targets, worst
//! first), charts, and `/xuat` (exports sent as a document). Charts and exports are queued as
//! outbox rows and made in the background by the courier (one file at a time per person),
//! never on the reply path.

use serde::{Deserialize, Serialize};

use super::paging::Page;
use super::state::DialogState;
use super::{Choice, Ctx, DialogError, Next, Prompt, alerts, labels};
use crate::domain::calendar::Calendar;
use crate::domain::org::Level;
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::i18n::Lang;
use crate::storage::StorageError;
use crate::storage::limits::Counted;
use crate::storage::org::{self, Unit};
use crate::storage::outbox::{self, Kind, NewMessage};
use crate::storage::views::{self, Counts, Target};
use crate::tr;

/// The unit whose subtree she may look at, if her role has views.
pub(crate) async fn viewer_root(ctx: &mut Ctx<'_>) -> Result<Option<Unit>, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return Ok(None);
    };
    if !alerts::LEVEL_ROLES.contains(&role) {
        return Ok(None);
    }
    Ok(org::unit_by_id(ctx.conn, unit_id).await?)
}

/// `unit_id` if it lies in her subtree; otherwise she is told politely.
pub(crate) async fn unit_in_view(
    ctx: &mut Ctx<'_>,
    unit_id: Option<i64>,
) -> Result<Option<(Unit, Unit)>, DialogError> {
    let Some(root) = viewer_root(ctx).await? else {
        ctx.say(tr!(ctx.lang, "view-not-allowed"));
        return Ok(None);
    };
    let unit = match unit_id {
        None => root.clone(),
        Some(id) => match org::unit_by_id(ctx.conn, id).await? {
            Some(u) if u.is_within(&root) => u,
            _ => {
                tracing::warn!(
                    user = ctx.user.id,
                    unit = id,
                    "view outside her subtree refused"
                );
                ctx.notice = Some(tr!(ctx.lang, "error-not-yours"));
                return Ok(None);
            }
        },
    };
    Ok(Some((root, unit)))
}

fn on_time_until(calendar: &Calendar, period: Period) -> i64 {
    (calendar.deadline(period) + calendar.on_time_grace).timestamp()
}

fn counts_line(lang: Lang, c: &Counts) -> String {
    tr!(
        lang,
        "progress-counts",
        on_time = c.on_time,
        late = c.late,
        missing = c.missing,
        pct = format!("{:.0}", c.on_time_pct())
    )
}

/// `/tiendo`, and its drill-down buttons (`v:<unit>:<period>`), `page` of them.
pub(crate) async fn progress(
    ctx: &mut Ctx<'_>,
    unit_id: Option<i64>,
    period: Option<Period>,
    page: usize,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let Some((root, unit)) = unit_in_view(ctx, unit_id).await? else {
        return Ok(Next::Quiet);
    };
    let calendar = org::calendar_for(ctx.conn, ctx.calendars, &unit).await?;
    let period = period.unwrap_or_else(|| Period::containing(ctx.now, calendar.tz));
    let until = on_time_until(&calendar, period);
    let rows = views::completeness_by_child_and_level(ctx.conn, &unit, period, until).await?;
    let mut by_level: std::collections::BTreeMap<Level, Counts> = Default::default();
    let mut by_child: Vec<(Option<i64>, Counts)> = Vec::new();
    for (child, level, c) in rows {
        by_level.entry(level).or_default().add(c);
        match by_child.iter_mut().find(|(id, _)| *id == child) {
            Some((_, t)) => t.add(c),
            None => by_child.push((child, c)),
        }
    }
    let children = org::children(ctx.conn, Some(unit.id)).await?;
    let mut text = tr!(
        lang,
        "progress-title",
        period = labels::period(period),
        unit = unit.name.clone()
    );
    for (level, c) in by_level.iter().rev() {
        text.push_str(&format!(
            "\n{}",
            tr!(
                lang,
                "progress-level-line",
                level = labels::level(lang, *level),
                counts = counts_line(lang, c)
            )
        ));
    }
    if by_level.is_empty() {
        text.push_str(&format!("\n{}", tr!(lang, "progress-nothing-expected")));
    }
    let mut buttons: Vec<(String, String)> = Vec::new();
    let mut lines = Vec::new();
    for child in &children {
        let Some((_, c)) = by_child.iter().find(|(id, _)| *id == Some(child.id)) else {
            continue;
        };
        if c.expected() == 1 && child.level >= Level::Branch {
            let id = if c.on_time == 1 {
                "progress-branch-on-time"
            } else if c.late == 1 {
                "progress-branch-late"
            } else {
                "progress-branch-missing"
            };
            lines.push(tr!(lang, id, unit = child.name.clone()));
        } else {
            lines.push(tr!(
                lang,
                "progress-unit-line",
                unit = child.name.clone(),
                on_time = c.on_time,
                late = c.late,
                missing = c.missing
            ));
            if child.level < Level::Branch {
                buttons.push((child.name.clone(), format!("v:{}:{period}", child.id)));
            }
        }
    }
    const LISTED: usize = 40;
    if !lines.is_empty() {
        text.push('\n');
    }
    for l in lines.iter().take(LISTED) {
        text.push_str(&format!("\n{l}"));
    }
    if lines.len() > LISTED {
        text.push_str(&tr!(
            lang,
            "overdue-more",
            count = (lines.len() - LISTED) as i64
        ));
    }
    text.push_str(&super::proposals::progress_lines(ctx, &unit, &children).await?);
    let missing: i64 = by_level.values().map(|c| c.missing).sum();
    let page = Page::of(&buttons, page);
    let mut rows = pairs(page.shown);
    let more = page.nav(lang, |p| format!("v:{}:{period}:{p}", unit.id));
    rows.extend(pairs(&more).into_iter().take(1));
    if missing > 0 && ctx.now < calendar.locks_at(period) {
        rows.push(vec![choice(
            tr!(lang, "button-remind-pending"),
            format!("r:{period}:{}", unit.id),
        )]);
    }
    let prev = calendar.previous_period(period.starts_at(calendar.tz) + chrono::Duration::days(1));
    let mut nav = vec![
        choice(
            tr!(lang, "button-chart"),
            format!("g:c:{}:{period}", unit.id),
        ),
        choice(
            tr!(lang, "button-previous-month"),
            format!("v:{}:{prev}", unit.id),
        ),
    ];
    if unit.id != root.id
        && let Some(parent) = unit.parent_id
    {
        nav.push(choice(
            tr!(lang, "button-up"),
            format!("v:{parent}:{period}"),
        ));
    }
    rows.push(nav);
    ctx.say_with(text, rows);
    Ok(Next::Go(DialogState::Idle))
}

fn choice(label: String, data: String) -> Choice {
    Choice { label, data }
}

/// Choices two to a row (unit names are short enough side by side).
fn pairs(items: &[(String, String)]) -> Vec<Vec<Choice>> {
    items
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|(l, d)| choice(l.clone(), d.clone()))
                .collect()
        })
        .collect()
}

/// A target's title in her language.
pub(crate) fn target_title(lang: Lang, t: &Target) -> String {
    match lang {
        Lang::Vi => t.title_vi.clone(),
        Lang::En => t.title_en.clone(),
    }
}

/// `/chitieu`, and its drill-down (`k:<unit>:<year>`), `page` of its buttons.
pub(crate) async fn targets(
    ctx: &mut Ctx<'_>,
    unit_id: Option<i64>,
    year: Option<i32>,
    page: usize,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let Some((root, unit)) = unit_in_view(ctx, unit_id).await? else {
        return Ok(Next::Quiet);
    };
    let year = year.unwrap_or_else(|| Period::containing(ctx.now, ctx.tz).year());
    let list = crate::targets::under(ctx.conn, ctx.calendars, &unit, year, ctx.now).await?;
    let mut text = tr!(
        lang,
        "targets-title",
        year = i64::from(year),
        unit = unit.name.clone()
    );
    for (t, p, _) in &list {
        let pct = p.pct();
        let state = if p.total == 0 {
            "none"
        } else if pct + 1e-9 >= t.goal_pct as f64 {
            "met"
        } else if pct >= t.goal_pct as f64 * 0.7 {
            "near"
        } else {
            "far"
        };
        text.push_str(&format!(
            "\n{}",
            tr!(
                lang,
                "targets-line",
                state = state,
                number = t.number,
                title = target_title(lang, t),
                pct = format!("{pct:.0}"),
                goal = t.goal_pct,
                achieved = p.achieved,
                total = p.total,
                level = labels::level(lang, t.level).to_lowercase()
            )
        ));
    }
    if !list.is_empty() {
        // The icons say how near each target is; once, under the list.
        text.push_str(&format!("\n\n{}", tr!(lang, "targets-legend")));
    }
    let children = org::children(ctx.conn, Some(unit.id)).await?;
    let buttons: Vec<(String, String)> = children
        .iter()
        .filter(|c| c.level < Level::Branch)
        .map(|c| (c.name.clone(), format!("k:{}:{year}", c.id)))
        .collect();
    let page = Page::of(&buttons, page);
    let mut rows = pairs(page.shown);
    let more = page.nav(lang, |p| format!("k:{}:{year}:{p}", unit.id));
    rows.extend(pairs(&more).into_iter().take(1));
    let mut nav = vec![choice(
        tr!(lang, "button-chart"),
        format!("g:t:{}:{year}", unit.id),
    )];
    if unit.id != root.id
        && let Some(parent) = unit.parent_id
    {
        nav.push(choice(tr!(lang, "button-up"), format!("k:{parent}:{year}")));
    }
    rows.push(nav);
    ctx.say_with(text, rows);
    Ok(Next::Go(DialogState::Idle))
}

/// Parameters of a chart or export row, kept in the outbox row's body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Made {
    CompletenessChart {
        unit: i64,
        period: Period,
    },
    TargetsChart {
        unit: i64,
        year: i32,
    },
    Export {
        unit: i64,
        range: String,
        xlsx: bool,
    },
    /// The 6-month or yearly report of `unit` as a Word document (`/baocaoky`, and on the
    /// 5th of July and of January for each district admin).
    Draft {
        unit: i64,
        range: String,
        /// Queued by the scheduler when the period's report fell due, not asked for.
        #[serde(default)]
        scheduled: bool,
    },
    /// The QR code picture of an invite made in chat (`/moi`): `content` is what it encodes
    /// (the Telegram link, or the code when the bot's username is not known).
    InviteQr {
        code: String,
        content: String,
    },
    /// The bar chart of a poll's answers (`/laykien`), for its sender.
    PollChart {
        poll: i64,
    },
    /// A poll's results by unit as a CSV table (`/laykien`), for its sender.
    PollTable {
        poll: i64,
    },
    /// The monthly synthesis of `unit` for `period` (`/tonghop`): the message, or with `word`
    /// the same as a Word document; `page` is the page of child units' buttons under it.
    Synthesis {
        unit: i64,
        period: Period,
        #[serde(default)]
        word: bool,
        /// Queued by the scheduler the morning after the deadline, not asked for.
        #[serde(default)]
        scheduled: bool,
        #[serde(default)]
        page: usize,
    },
}

/// Queues a chart or an export for her, made in the background (`Courier::run`). One at a
/// time: while a file she asked for is still on its way nothing more is queued (false), so a
/// repeated tap never builds a province's year twice.
pub(crate) async fn queue_made(ctx: &mut Ctx<'_>, made: Made) -> Result<bool, DialogError> {
    if outbox::made_pending_for(ctx.conn, ctx.user.id).await? {
        return Ok(false);
    }
    queue_made_now(ctx, made).await?;
    Ok(true)
}

/// Queues `made` for her at once, ahead of bulk, whatever else she has waiting (an invite's
/// QR picture comes with the invite it belongs to).
pub(crate) async fn queue_made_now(ctx: &mut Ctx<'_>, made: Made) -> Result<(), DialogError> {
    let body = serde_json::to_string(&made).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let m = NewMessage {
        key: None,
        kind: Kind::Made,
        platform: ctx.user.platform.clone(),
        chat_id: ctx.user.chat_id.clone(),
        user_id: Some(ctx.user.id),
        unit_id: None,
        period: None,
        ref_id: None,
        body: Some(body),
        urgent: true,
        not_before: ctx.now.timestamp(),
        lease: None,
    };
    if let Some(id) = outbox::enqueue(ctx.conn, &m, ctx.now.timestamp()).await? {
        ctx.queued.push(id);
    }
    Ok(())
}

/// A chart button (`g:c:<unit>:<period>` or `g:t:<unit>:<year>`).
pub(crate) async fn chart(ctx: &mut Ctx<'_>, data: &str) -> Result<(), DialogError> {
    let parts: Vec<&str> = data.split(':').collect();
    let made = match parts.as_slice() {
        ["c", unit, period] => unit
            .parse()
            .ok()
            .zip(period.parse().ok())
            .map(|(unit, period)| Made::CompletenessChart { unit, period }),
        ["t", unit, year] => unit
            .parse()
            .ok()
            .zip(year.parse().ok())
            .map(|(unit, year)| Made::TargetsChart { unit, year }),
        _ => None,
    };
    let Some(made) = made else {
        ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
        return Ok(());
    };
    let unit = match &made {
        Made::CompletenessChart { unit, .. }
        | Made::TargetsChart { unit, .. }
        | Made::Export { unit, .. }
        | Made::Draft { unit, .. }
        | Made::Synthesis { unit, .. } => *unit,
        Made::InviteQr { .. } | Made::PollChart { .. } | Made::PollTable { .. } => {
            return Ok(());
        }
    };
    if unit_in_view(ctx, Some(unit)).await?.is_none() {
        return Ok(());
    }
    if let Some(wait) = super::limits::reached(ctx, Counted::Files).await? {
        ctx.say(wait);
        return Ok(());
    }
    let queued = queue_made(ctx, made).await?;
    ctx.notice = Some(if queued {
        tr!(ctx.lang, "chart-coming")
    } else {
        tr!(ctx.lang, "file-busy")
    });
    Ok(())
}

// ---- /xuat -------------------------------------------------------------------------------------

pub(crate) async fn export_start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    if viewer_root(ctx).await?.is_none() {
        ctx.say(tr!(ctx.lang, "view-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    }
    Ok(Next::Go(DialogState::Export { range: None }))
}

pub(crate) fn export_prompt(ctx: &mut Ctx<'_>, range: Option<&str>) -> Prompt {
    let lang = ctx.lang;
    let now = Period::containing(ctx.now, ctx.tz);
    let year = now.year();
    let cancel = vec![(tr!(lang, "button-cancel"), "cancel".to_owned())];
    match range {
        None => {
            let prev = if now.month() == 1 {
                Period::new(year - 1, 12)
            } else {
                Period::new(year, now.month() - 1)
            };
            let mut ranges = vec![PeriodRange::Month(now)];
            ranges.extend(prev.map(PeriodRange::Month));
            ranges.extend([
                PeriodRange::Half {
                    year,
                    second: false,
                },
                PeriodRange::Half { year, second: true },
                PeriodRange::Year(year),
            ]);
            let rows = ranges
                .into_iter()
                .map(|r| (labels::range(lang, r), format!("x:{r}")))
                .collect();
            Prompt::new(tr!(lang, "export-ask-range"))
                .column(rows)
                .row(cancel)
        }
        Some(r) => Prompt::new(tr!(
            lang,
            "export-ask-format",
            range = r
                .parse::<PeriodRange>()
                .map_or_else(|_| r.to_owned(), |r| labels::range(lang, r))
        ))
        .row(vec![
            (tr!(lang, "button-format-xlsx"), "f:xlsx".into()),
            (tr!(lang, "button-format-csv"), "f:csv".into()),
        ])
        .row(cancel),
    }
}

pub(crate) async fn export_choice(
    ctx: &mut Ctx<'_>,
    range: Option<&str>,
    token: &str,
) -> Result<Next, DialogError> {
    match (range, token) {
        (None, t) if t.starts_with("x:") => match t[2..].parse::<PeriodRange>() {
            Ok(r) => Ok(Next::Go(DialogState::Export {
                range: Some(r.to_string()),
            })),
            Err(_) => Ok(bad(ctx)),
        },
        (Some(r), "f:xlsx" | "f:csv") => {
            let Some(root) = viewer_root(ctx).await? else {
                return Ok(Next::Go(DialogState::Idle));
            };
            if let Some(wait) = super::limits::reached(ctx, Counted::Files).await? {
                // The range she chose stays; she picks the format again when she may.
                ctx.say(wait);
                return Ok(Next::Stay);
            }
            let queued = queue_made(
                ctx,
                Made::Export {
                    unit: root.id,
                    range: r.to_owned(),
                    xlsx: token == "f:xlsx",
                },
            )
            .await?;
            if queued {
                super::roster::log_export(ctx, root.id, &format!("report export {r}")).await?;
            }
            ctx.say(if queued {
                tr!(ctx.lang, "export-coming")
            } else {
                tr!(ctx.lang, "file-busy")
            });
            Ok(Next::Go(DialogState::Idle))
        }
        _ => Ok(bad(ctx)),
    }
}

// ---- /baocaoky ----------------------------------------------------------------------------------

/// The periods a 6-month or yearly report can be drafted for at `now`: this year's halves up
/// to the current one and the year so far, and in the first half the last year's second half
/// and whole year (the yearly report is written in January).
pub(crate) fn draft_ranges(now: Period) -> Vec<PeriodRange> {
    let year = now.year();
    let mut out = Vec::new();
    if now.month() <= 6 {
        out.push(PeriodRange::Half {
            year: year - 1,
            second: true,
        });
        out.push(PeriodRange::Year(year - 1));
        out.push(PeriodRange::Half {
            year,
            second: false,
        });
    } else {
        out.push(PeriodRange::Half {
            year,
            second: false,
        });
        out.push(PeriodRange::Half { year, second: true });
        out.push(PeriodRange::Year(year));
    }
    out
}

pub(crate) async fn draft_start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    if viewer_root(ctx).await?.is_none() {
        ctx.say(tr!(ctx.lang, "draft-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    }
    Ok(Next::Go(DialogState::Draft))
}

pub(crate) fn draft_prompt(ctx: &mut Ctx<'_>) -> Prompt {
    let lang = ctx.lang;
    let now = Period::containing(ctx.now, ctx.tz);
    let rows = draft_ranges(now)
        .into_iter()
        .map(|r| (labels::range(lang, r), format!("k:{r}")))
        .collect();
    Prompt::new(tr!(lang, "draft-ask-range"))
        .column(rows)
        .row(vec![(tr!(lang, "button-cancel"), "cancel".to_owned())])
}

pub(crate) async fn draft_choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    let now = Period::containing(ctx.now, ctx.tz);
    let Some(range) = token
        .strip_prefix("k:")
        .and_then(|r| r.parse::<PeriodRange>().ok())
        .filter(|r| draft_ranges(now).contains(r))
    else {
        return Ok(bad(ctx));
    };
    let Some(root) = viewer_root(ctx).await? else {
        return Ok(Next::Go(DialogState::Idle));
    };
    if let Some(wait) = super::limits::reached(ctx, Counted::Files).await? {
        ctx.say(wait);
        return Ok(Next::Stay);
    }
    let queued = queue_made(
        ctx,
        Made::Draft {
            unit: root.id,
            range: range.to_string(),
            scheduled: false,
        },
    )
    .await?;
    ctx.say(if queued {
        tr!(ctx.lang, "draft-coming")
    } else {
        tr!(ctx.lang, "file-busy")
    });
    Ok(Next::Go(DialogState::Idle))
}

fn bad(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}
