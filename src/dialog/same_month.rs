//! "Như tháng trước" (same as last month): a report with nothing in it yet opens on last
//! month's answers, one short line a part, when her unit has last month's report. She keeps
//! them or answers each part as usual. Keeping copies the sections and proposals into this
//! month's draft and never the incidents: she is asked about this month's at once, then gets
//! the summary to submit, so what is stored is an ordinary report of this month. Called by the
//! report dialog (`report`), whose draft helpers it uses.

use super::labels;
use super::report::{report_state, save, stored_draft};
use super::state::ReportStep;
use super::{Ctx, DialogError, Next, Prompt};
use crate::domain::period::Period;
use crate::domain::report::{MonthlyReport, ReportDraft, Section};
use crate::i18n::Lang;
use crate::labels::shorten;
use crate::storage::reports;
use crate::tr;

/// Where a report with nothing in it yet begins: last month's answers to keep, when her unit
/// has last month's report; otherwise part 1.
pub(crate) async fn first_step(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<ReportStep, DialogError> {
    Ok(
        if reports::load_report(ctx.conn, unit_id, period.previous())
            .await?
            .is_some()
        {
            ReportStep::Same
        } else {
            ReportStep::Level {
                section: Section::Labour,
            }
        },
    )
}

/// The step: last month's answers and the choice to keep them. The keep choice carries the
/// revision of last month shown, so that a choice made on an older version copies nothing.
pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let previous = period.previous();
    let Some(last) = reports::load_report(ctx.conn, unit_id, previous).await? else {
        // Gone since the step began (it never is in practice): the sections remain.
        return Ok(Prompt::new(tr!(lang, "report-same-gone"))
            .row(vec![(tr!(lang, "button-same-sections"), "sections".into())])
            .row(vec![(tr!(lang, "button-close"), "cancel".into())]));
    };
    let opinions = reports::opinions_for(ctx.conn, unit_id, period)
        .await?
        .len();
    Ok(
        Prompt::new(same_text(lang, period, previous, &last.report, opinions))
            .row(vec![(
                tr!(lang, "button-same-keep"),
                format!("keep:{}", last.revision),
            )])
            .row(vec![(tr!(lang, "button-same-sections"), "sections".into())])
            .row(vec![(tr!(lang, "button-close"), "cancel".into())]),
    )
}

/// "Như tháng trước": the draft takes last month's sections and proposals as they were
/// stored, never its incidents; she is asked about this month's incidents next, then shown
/// the summary to submit as any report. `revision` is the one of last month's report she was
/// shown: a report corrected since, or a report of this month begun meanwhile (by another head
/// of her unit, or on her other app), is not copied over.
pub(crate) async fn keep(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
    revision: i64,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let previous = period.previous();
    if stored_draft(ctx, unit_id, period).await?.is_some()
        || reports::load_report(ctx.conn, unit_id, period)
            .await?
            .is_some()
    {
        ctx.say(tr!(
            lang,
            "report-same-taken",
            period = labels::period(period)
        ));
        return Ok(report_state(unit_id, period, ReportStep::Start, false));
    }
    let last = match reports::load_report(ctx.conn, unit_id, previous).await? {
        Some(last) if last.revision == revision => last,
        // She was shown another version of it: show her this one (a new step, so the old
        // choice is stale from now on).
        _ => {
            ctx.say(tr!(
                lang,
                "report-same-changed",
                previous = labels::period(previous)
            ));
            return Ok(report_state(unit_id, period, ReportStep::Same, false));
        }
    };
    let draft = ReportDraft {
        incidents: Vec::new(),
        incidents_answered: false,
        ..ReportDraft::from(last.report)
    };
    save(ctx, unit_id, period, &draft).await?;
    ctx.say(tr!(
        lang,
        "report-same-kept",
        previous = labels::period(previous)
    ));
    // Back to the summary once this month's incidents are answered.
    Ok(report_state(unit_id, period, ReportStep::Incidents, true))
}

/// Shown per note on the "same as last month" screen, which must fit one screen.
const SAME_NOTE_CHARS: usize = 80;

/// Last month's answers, one short line a part, and the choice to keep them.
/// `opinions` members sent this month are named too: they show in part 3, which keeping skips,
/// and a month with new opinions may not be like the last.
fn same_text(
    lang: Lang,
    period: Period,
    previous: Period,
    last: &MonthlyReport,
    opinions: usize,
) -> String {
    let mut text = tr!(
        lang,
        "report-same-title",
        previous = labels::period(previous)
    );
    for section in Section::ALL {
        let answer = match section {
            Section::Labour => &last.labour,
            Section::Living => &last.living,
            Section::Thoughts => &last.thoughts,
        };
        text.push_str(&format!(
            "\n▪ {}: {}",
            labels::section(lang, section),
            labels::situation(lang, section, answer.situation)
        ));
        if let Some(note) = &answer.note {
            text.push_str(&format!(" — {}", shorten(note, SAME_NOTE_CHARS)));
        }
    }
    text.push_str(&format!(
        "\n▪ {}: {}",
        tr!(lang, "report-section-proposals"),
        match &last.proposals {
            Some(p) => shorten(p, SAME_NOTE_CHARS),
            None => tr!(lang, "report-no-proposals"),
        }
    ));
    text.push_str(&format!(
        "\n▪ {}: {}",
        tr!(lang, "report-section-incidents"),
        tr!(lang, "report-same-incidents")
    ));
    if opinions > 0 {
        text.push_str(&format!(
            "\n\n{}",
            tr!(
                lang,
                "report-same-opinions",
                count = opinions as i64,
                period = labels::period(period)
            )
        ));
    }
    text.push_str(&format!(
        "\n\n{}",
        tr!(lang, "report-same-ask", period = labels::period(period))
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::{Incident, IncidentField, SectionAnswer, Severity, Situation};

    #[test]
    fn last_month_fits_one_screen_however_long_its_notes() {
        let long = |c: &str| Some(c.repeat(1000));
        let answer = |note| SectionAnswer {
            situation: Situation::Concerns,
            note,
        };
        let last = MonthlyReport {
            labour: answer(long("ệ")),
            living: answer(None),
            thoughts: answer(long("a")),
            incidents: vec![Incident {
                field: IncidentField::Other,
                severity: Severity::Minor,
                people: 3,
                people_from: None,
                description: "Vụ tháng trước".into(),
            }],
            proposals: long("đ"),
        };
        let november = Period::new(2026, 11).unwrap();
        let text = same_text(Lang::Vi, november, november.previous(), &last, 3);
        assert!(text.chars().count() < 900, "{text}");
        assert!(text.contains("chi hội nhận 3 ý kiến"), "{text}");
        assert!(text.starts_with("Báo cáo tháng 10/2026 đã gửi:"), "{text}");
        assert!(
            !text.contains("Vụ tháng trước"),
            "incidents are not shown as kept"
        );
    }
}
