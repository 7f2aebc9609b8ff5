//! `/tonghop`: the monthly synthesis of her unit or of a unit below it (issue 19 §1). She
//! picks the month (the last one whose deadline has passed, or the one before); the synthesis
//! is made in the background by the courier, like exports, and comes as one message with a
//! "📄 Tệp Word" choice and buttons for the units right below. Every choice names its unit and
//! month, and both are checked again: a unit outside her subtree or another month is refused
//! and queues nothing.

use super::admin::{self, Made};
use super::paging::Page;
use super::state::DialogState;
use super::{Choice, Ctx, DialogError, Next, Prompt};
use crate::domain::period::Period;
use crate::storage::limits::Counted;
use crate::storage::org;
use crate::tr;

/// The months she may ask for now, under her unit's calendar.
async fn allowed_periods(ctx: &mut Ctx<'_>, unit: &org::Unit) -> Result<[Period; 2], DialogError> {
    let calendar = org::calendar_for(ctx.conn, ctx.calendars, unit).await?;
    Ok(crate::synthesis::periods(&calendar, ctx.now))
}

pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    if admin::viewer_root(ctx).await?.is_none() {
        ctx.say(tr!(ctx.lang, "synthesis-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    }
    Ok(Next::Go(DialogState::Synthesis))
}

pub(crate) async fn prompt(ctx: &mut Ctx<'_>) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let months = match admin::viewer_root(ctx).await? {
        Some(root) => allowed_periods(ctx, &root).await?.to_vec(),
        None => Vec::new(),
    };
    let rows = months
        .into_iter()
        .map(|p| {
            (
                tr!(lang, "synthesis-month", month = crate::labels::period(p)),
                format!("m:{p}"),
            )
        })
        .collect();
    Ok(Prompt::new(tr!(lang, "synthesis-ask-month"))
        .column(rows)
        .row(vec![(tr!(lang, "button-cancel"), "cancel".to_owned())]))
}

pub(crate) async fn choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    let Some(period) = token.strip_prefix("m:").and_then(|p| p.parse().ok()) else {
        ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
        return Ok(Next::Stay);
    };
    if open(ctx, None, period, 0, false).await? {
        Ok(Next::Go(DialogState::Idle))
    } else {
        Ok(Next::Stay)
    }
}

/// Queues the synthesis (or its Word file) of `unit` (hers when `None`) for `period`, after
/// checking both. Whether it was queued or she was told why not (false: refused).
pub(crate) async fn open(
    ctx: &mut Ctx<'_>,
    unit: Option<i64>,
    period: Period,
    page: usize,
    word: bool,
) -> Result<bool, DialogError> {
    let Some((_, unit)) = admin::unit_in_view(ctx, unit).await? else {
        return Ok(false);
    };
    if !allowed_periods(ctx, &unit).await?.contains(&period) {
        tracing::warn!(user = ctx.user.id, %period, "synthesis of a month not offered refused");
        ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
        return Ok(false);
    }
    if word && let Some(wait) = super::limits::reached(ctx, Counted::Files).await? {
        ctx.say(wait);
        return Ok(true);
    }
    let queued = admin::queue_made(
        ctx,
        Made::Synthesis {
            unit: unit.id,
            period,
            word,
            scheduled: false,
            page,
        },
    )
    .await?;
    let said = match (queued, word) {
        (false, _) => tr!(ctx.lang, "file-busy"),
        (true, false) => tr!(ctx.lang, "synthesis-coming"),
        (true, true) => tr!(ctx.lang, "synthesis-word-coming"),
    };
    ctx.say(said);
    Ok(true)
}

/// The choices under a synthesis of `unit`: the Word file, then the units right below
/// (`children` as (name, choice data)), page `page` of them, with the way to the other pages.
pub(crate) fn choices(
    lang: crate::i18n::Lang,
    unit: i64,
    period: Period,
    children: &[(String, String)],
    page: usize,
) -> Vec<Vec<Choice>> {
    let choice = |(label, data): &(String, String)| Choice {
        label: label.clone(),
        data: data.clone(),
    };
    let mut rows = vec![vec![Choice {
        label: tr!(lang, "button-synthesis-word"),
        data: format!("tw:{unit}:{period}"),
    }]];
    let page = Page::of(children, page);
    rows.extend(
        page.shown
            .chunks(2)
            .map(|pair| pair.iter().map(choice).collect()),
    );
    let nav = page.nav(lang, |p| format!("th:{unit}:{period}:{p}"));
    if !nav.is_empty() {
        rows.push(nav.iter().map(choice).collect());
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::super::{ChoiceData, parse_choice};
    use crate::domain::period::Period;

    #[test]
    fn synthesis_choices_name_a_unit_and_a_month_strictly() {
        let nov = Period::new(2026, 11).unwrap();
        assert_eq!(
            parse_choice("th:7:2026-11"),
            ChoiceData::Synthesis(7, nov, None)
        );
        assert_eq!(
            parse_choice("th:7:2026-11:2"),
            ChoiceData::Synthesis(7, nov, Some(2))
        );
        assert_eq!(
            parse_choice("tw:7:2026-11"),
            ChoiceData::SynthesisWord(7, nov)
        );
        for forged in [
            "th:x:2026-11",
            "th:7:2026-13",
            "tw:7",
            "tw:7:2026-11:1",
            "th:7:2026-11:x",
        ] {
            assert_eq!(parse_choice(forged), ChoiceData::Forged, "{forged}");
        }
    }
}
