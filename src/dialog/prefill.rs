//! The grassroots union's own monthly report starts from its branches (issue 19 §2): when a
//! grassroots officer opens a report with nothing in it yet and some of her branches have
//! reported that month, the draft is filled from their reports at once and she sees it on one
//! screen, with the choice to submit it as is or to go through the parts as usual.
//!
//! Per section: the most serious situation any branch chose, and the branches' notes as a short
//! list "• <branch>: <note>" (most serious first). Incidents are copied with the branch's name
//! before the description; a copied incident never raises a second alert when her report is
//! submitted (see [`copied_alerts`]). Proposals: the branches' proposals as a list, like notes.
//! What is stored is an ordinary report of her unit. Called by the report dialog (`report`),
//! whose draft helpers it uses.

use std::collections::HashSet;

use super::labels;
use super::report::{incident_line, report_state, save, stored_draft};
use super::state::ReportStep;
use super::{Ctx, DialogError, Next, Prompt};
use crate::domain::org::Level;
use crate::domain::period::Period;
use crate::domain::report::{
    Incident, MAX_INCIDENTS, MAX_NOTE_CHARS, MonthlyReport, ReportDraft, Section, SectionAnswer,
    Severity, Situation,
};
use crate::i18n::Lang;
use crate::labels::shorten;
use crate::storage::{Conn, StorageError, org, reports};
use crate::tr;

/// Longest note (or proposal) of one branch in a prefilled list, in characters: the list of a
/// section must fit the report's note limit ([`MAX_NOTE_CHARS`]) with several branches in it.
pub(crate) const LINE_CHARS: usize = 200;
/// Shown per part on the prefilled screen, which must fit one screen.
const SCREEN_NOTE_CHARS: usize = 180;
/// Shown per incident description on the prefilled screen.
const SCREEN_INCIDENT_CHARS: usize = 90;
/// Incidents listed on the prefilled screen (the rest are counted).
const SCREEN_INCIDENTS: usize = 3;

/// How a report with nothing in it yet begins for her unit.
pub(crate) enum Start {
    /// Not a grassroots union, or one without branches: as before.
    Usual,
    /// A grassroots union none of whose `branches` has reported yet: empty, as before.
    NoneYet { branches: usize },
    /// The draft was filled from `reported` of `branches` and saved; `left_out` incidents did
    /// not fit the report's limit.
    Prefilled {
        reported: usize,
        branches: usize,
        left_out: usize,
    },
}

/// The branches of `unit_id` (when it is a grassroots union), in name order, each with its
/// report of `period` if it has one.
async fn branch_reports(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
) -> Result<Vec<(String, Option<MonthlyReport>)>, StorageError> {
    match org::unit_by_id(conn, unit_id).await? {
        Some(unit) if unit.level == Level::Grassroots => {}
        _ => return Ok(Vec::new()),
    }
    let mut out = Vec::new();
    for branch in org::children(conn, Some(unit_id)).await? {
        if branch.level != Level::Branch {
            continue;
        }
        let report = reports::load_report(conn, branch.id, period).await?;
        out.push((branch.name, report.map(|r| r.report)));
    }
    Ok(out)
}

/// Fills and saves the draft of a report with nothing in it yet, when her unit is a
/// grassroots union some of whose branches have reported `period`.
pub(crate) async fn begin(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<Start, DialogError> {
    let branches = branch_reports(ctx.conn, unit_id, period).await?;
    if branches.is_empty() {
        return Ok(Start::Usual);
    }
    let reported: Vec<(String, MonthlyReport)> = branches
        .iter()
        .filter_map(|(name, r)| r.clone().map(|r| (name.clone(), r)))
        .collect();
    if reported.is_empty() {
        return Ok(Start::NoneYet {
            branches: branches.len(),
        });
    }
    let (draft, left_out) = prefilled(ctx.lang, &reported);
    save(ctx, unit_id, period, &draft).await?;
    Ok(Start::Prefilled {
        reported: reported.len(),
        branches: branches.len(),
        left_out,
    })
}

/// Where a report with nothing in it yet begins, and a line to add to the intro: prefilled
/// from the branches, or as before (last month's answers, or part 1).
pub(crate) async fn first_step(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<(ReportStep, Option<String>), DialogError> {
    Ok(match begin(ctx, unit_id, period).await? {
        Start::Prefilled {
            reported,
            branches,
            left_out,
        } => (
            ReportStep::Prefilled {
                reported: reported as u32,
                branches: branches as u32,
                left_out: left_out as u32,
            },
            None,
        ),
        Start::NoneYet { branches } => (
            super::same_month::first_step(ctx, unit_id, period).await?,
            Some(tr!(
                ctx.lang,
                "prefill-none-yet",
                period = labels::period(period),
                branches = branches as i64
            )),
        ),
        Start::Usual => (
            super::same_month::first_step(ctx, unit_id, period).await?,
            None,
        ),
    })
}

fn rank(s: Situation) -> usize {
    Situation::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// A note as one line of a list: line breaks and runs of spaces become one space, and it is
/// shortened to [`LINE_CHARS`].
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    shorten(&joined, LINE_CHARS)
}

/// "• <branch>: <text>" lines, as many as fit [`MAX_NOTE_CHARS`] with a last line counting
/// the branches left out. `None` when no branch wrote anything.
fn list(lang: Lang, items: &[(&str, &str)]) -> Option<String> {
    let lines: Vec<String> = items
        .iter()
        .map(|(name, text)| format!("• {name}: {}", one_line(text)))
        .collect();
    if lines.is_empty() {
        return None;
    }
    for kept in (0..=lines.len()).rev() {
        let mut text = lines[..kept].join("\n");
        if kept < lines.len() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&tr!(
                lang,
                "prefill-more-branches",
                count = (lines.len() - kept) as i64
            ));
        }
        if text.chars().count() <= MAX_NOTE_CHARS {
            return Some(text);
        }
    }
    None
}

/// The description of an incident copied from `branch`: her name first, within the limit.
pub(crate) fn copied_description(branch: &str, description: &str) -> String {
    shorten(&format!("{branch}: {description}"), MAX_NOTE_CHARS)
}

/// The draft filled from the branches' reports (name, report; in name order), and how many
/// incidents did not fit the report's limit (the most serious are kept).
pub(crate) fn prefilled(lang: Lang, reported: &[(String, MonthlyReport)]) -> (ReportDraft, usize) {
    let mut draft = ReportDraft {
        incidents_answered: true,
        proposals_answered: true,
        ..ReportDraft::default()
    };
    for section in Section::ALL {
        let answers: Vec<(&str, &SectionAnswer)> = reported
            .iter()
            .map(|(name, r)| {
                let a = match section {
                    Section::Labour => &r.labour,
                    Section::Living => &r.living,
                    Section::Thoughts => &r.thoughts,
                };
                (name.as_str(), a)
            })
            .collect();
        let situation = answers
            .iter()
            .map(|(_, a)| a.situation)
            .max_by_key(|s| rank(*s))
            .unwrap_or(Situation::Stable);
        // The most serious first; in name order within a situation (the sort is stable).
        let mut noted: Vec<(&str, &SectionAnswer)> = answers
            .into_iter()
            .filter(|(_, a)| a.note.is_some())
            .collect();
        noted.sort_by_key(|(_, a)| std::cmp::Reverse(rank(a.situation)));
        let items: Vec<(&str, &str)> = noted
            .iter()
            .filter_map(|(name, a)| a.note.as_deref().map(|n| (*name, n)))
            .collect();
        *draft.section_mut(section) = Some(SectionAnswer {
            situation,
            note: list(lang, &items),
        });
    }
    let mut incidents: Vec<Incident> = reported
        .iter()
        .flat_map(|(name, r)| {
            r.incidents.iter().map(move |inc| Incident {
                description: copied_description(name, &inc.description),
                ..inc.clone()
            })
        })
        .collect();
    incidents
        .sort_by_key(|i| std::cmp::Reverse(Severity::ALL.iter().position(|s| *s == i.severity)));
    let left_out = incidents.len().saturating_sub(MAX_INCIDENTS);
    incidents.truncate(MAX_INCIDENTS);
    draft.incidents = incidents;
    let proposals: Vec<(&str, &str)> = reported
        .iter()
        .filter_map(|(name, r)| r.proposals.as_deref().map(|p| (name.as_str(), p)))
        .collect();
    draft.proposals = list(lang, &proposals);
    (draft, left_out)
}

/// The very serious incidents of her report that were copied from her branches' reports of
/// `period` (field and description as copied): each already raised its alert when its branch
/// submitted, so submitting her report must not raise it again. Found from the branches'
/// reports themselves, so a correction of her report (which is stored without any mark) is
/// recognised as well as the first submission.
pub(crate) async fn copied_alerts(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
) -> Result<HashSet<(&'static str, String)>, StorageError> {
    let mut copied = HashSet::new();
    for (name, report) in branch_reports(conn, unit_id, period).await? {
        for inc in report.iter().flat_map(|r| r.incidents.iter()) {
            if inc.severity == Severity::Critical {
                copied.insert((
                    inc.field.as_str(),
                    copied_description(&name, &inc.description),
                ));
            }
        }
    }
    Ok(copied)
}

/// The prefilled screen: what the bot filled in, and the choice to submit or go through it.
pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
    counts: (u32, u32, u32),
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let draft = stored_draft(ctx, unit_id, period)
        .await?
        .unwrap_or_default();
    Ok(Prompt::new(screen_text(lang, period, counts, &draft))
        .row(vec![(tr!(lang, "button-prefill-submit"), "submit".into())])
        .row(vec![(
            tr!(lang, "button-prefill-sections"),
            "sections".into(),
        )])
        .row(vec![(tr!(lang, "button-save-later"), "cancel".into())]))
}

/// "Go through the parts": the walk goes on to the proposals after the incidents (they are
/// answered already, so it would skip to the summary otherwise); the text stays.
pub(crate) async fn go_through(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<Next, DialogError> {
    let mut draft = stored_draft(ctx, unit_id, period)
        .await?
        .unwrap_or_default();
    draft.proposals_answered = false;
    save(ctx, unit_id, period, &draft).await?;
    Ok(report_state(
        unit_id,
        period,
        ReportStep::Level {
            section: Section::Labour,
        },
        false,
    ))
}

fn screen_text(
    lang: Lang,
    period: Period,
    (reported, branches, left_out): (u32, u32, u32),
    d: &ReportDraft,
) -> String {
    let mut text = tr!(
        lang,
        "prefill-title",
        reported = i64::from(reported),
        branches = i64::from(branches)
    );
    for section in Section::ALL {
        text.push_str(&format!("\n\n▪ {}: ", labels::section(lang, section)));
        if let Some(a) = d.section(section) {
            text.push_str(&labels::situation(lang, section, a.situation));
            if let Some(note) = &a.note {
                text.push('\n');
                text.push_str(&shorten(note, SCREEN_NOTE_CHARS));
            }
        }
    }
    text.push_str(&format!(
        "\n\n▪ {}: ",
        tr!(lang, "report-section-incidents")
    ));
    if d.incidents.is_empty() {
        text.push_str(&tr!(lang, "report-no-incidents"));
    } else {
        text.push_str(&tr!(
            lang,
            "prefill-incidents",
            count = d.incidents.len() as i64
        ));
        for (i, inc) in d.incidents.iter().take(SCREEN_INCIDENTS).enumerate() {
            let short = Incident {
                description: shorten(&inc.description, SCREEN_INCIDENT_CHARS),
                ..inc.clone()
            };
            text.push('\n');
            text.push_str(&tr!(
                lang,
                "report-incident-item",
                n = (i + 1) as i64,
                line = incident_line(lang, &short)
            ));
        }
        if d.incidents.len() > SCREEN_INCIDENTS {
            text.push('\n');
            text.push_str(&tr!(
                lang,
                "prefill-incidents-more",
                count = (d.incidents.len() - SCREEN_INCIDENTS) as i64
            ));
        }
        if left_out > 0 {
            text.push('\n');
            text.push_str(&tr!(
                lang,
                "prefill-incidents-left-out",
                count = i64::from(left_out),
                max = MAX_INCIDENTS as i64
            ));
        }
    }
    text.push_str(&format!("\n\n▪ {}:", tr!(lang, "report-section-proposals")));
    match &d.proposals {
        Some(p) => {
            text.push('\n');
            text.push_str(&shorten(p, SCREEN_NOTE_CHARS));
        }
        None => {
            text.push(' ');
            text.push_str(&tr!(lang, "report-no-proposals"));
        }
    }
    text.push_str(&format!(
        "\n\n{}",
        tr!(lang, "prefill-ask", period = labels::period(period))
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::IncidentField;

    fn answer(situation: Situation, note: Option<&str>) -> SectionAnswer {
        SectionAnswer {
            situation,
            note: note.map(str::to_owned),
        }
    }

    fn report(labour: Situation, note: Option<&str>) -> MonthlyReport {
        MonthlyReport {
            labour: answer(labour, note),
            living: answer(Situation::Stable, None),
            thoughts: answer(Situation::Stable, None),
            incidents: Vec::new(),
            proposals: None,
        }
    }

    #[test]
    fn the_most_serious_situation_wins_and_its_note_comes_first() {
        let reported = vec![
            ("Thôn A".to_owned(), report(Situation::Stable, Some("Ổn"))),
            (
                "Thôn B".to_owned(),
                report(Situation::Serious, Some("Mất mùa\n\nnặng")),
            ),
            ("Thôn C".to_owned(), report(Situation::Concerns, None)),
        ];
        let (d, left_out) = prefilled(Lang::Vi, &reported);
        assert_eq!(left_out, 0);
        assert_eq!(
            d.labour,
            Some(answer(
                Situation::Serious,
                Some("• Thôn B: Mất mùa nặng\n• Thôn A: Ổn")
            ))
        );
        assert_eq!(d.living, Some(answer(Situation::Stable, None)));
        assert!(d.complete().is_some());
    }

    #[test]
    fn a_long_list_fits_the_note_limit_and_counts_the_branches_left_out() {
        let reported: Vec<_> = (0..20)
            .map(|i| {
                (
                    format!("Chi hội phụ nữ thôn số {i}"),
                    report(Situation::Concerns, Some(&"ệ".repeat(500))),
                )
            })
            .collect();
        let (d, _) = prefilled(Lang::Vi, &reported);
        let note = d.labour.unwrap().note.unwrap();
        assert!(note.chars().count() <= MAX_NOTE_CHARS, "{note}");
        let lines: Vec<_> = note.lines().collect();
        assert_eq!(lines.len(), 5, "{note}");
        assert!(lines[0].starts_with("• Chi hội phụ nữ thôn số 0: ệệ"));
        assert!(lines[0].ends_with('…'));
        assert_eq!(lines[4], "• … và 16 chi hội khác");
    }

    #[test]
    fn incidents_keep_the_most_serious_within_the_limit_with_the_branch_name() {
        let inc = |severity, d: &str| Incident {
            field: IncidentField::Other,
            severity,
            people: 3,
            people_from: Some(1),
            description: d.into(),
        };
        let mut r = report(Situation::Stable, None);
        r.incidents = (0..11)
            .map(|i| inc(Severity::Minor, &i.to_string()))
            .collect();
        r.incidents.push(inc(Severity::Critical, "Cháy chợ"));
        let (d, left_out) = prefilled(Lang::Vi, &[("Thôn A".to_owned(), r)]);
        assert_eq!(left_out, 2);
        assert_eq!(d.incidents.len(), MAX_INCIDENTS);
        assert_eq!(d.incidents[0], inc(Severity::Critical, "Thôn A: Cháy chợ"));
        assert_eq!(d.incidents[1].description, "Thôn A: 0");
    }

    #[test]
    fn the_screen_fits_one_zalo_message_however_long_the_branches_wrote() {
        let long = "ệ".repeat(1000);
        let inc = Incident {
            field: IncidentField::MeritPolicy,
            severity: Severity::Critical,
            people: 50,
            people_from: Some(21),
            description: long.clone(),
        };
        let reported: Vec<_> = (0..30)
            .map(|i| {
                let mut r = report(Situation::Serious, Some(&long));
                r.living.note = Some(long.clone());
                r.thoughts.note = Some(long.clone());
                r.proposals = Some(long.clone());
                r.incidents = vec![inc.clone(); 3];
                (
                    format!("Chi hội phụ nữ tổ dân phố số {i} phường Tiền Phong"),
                    r,
                )
            })
            .collect();
        let (d, left_out) = prefilled(Lang::Vi, &reported);
        assert_eq!(left_out, 80);
        let november = Period::new(2026, 11).unwrap();
        for lang in [Lang::Vi, Lang::En] {
            let text = screen_text(lang, november, (30, 31, 80), &d);
            assert!(
                text.chars().count() < 1800,
                "{}: {text}",
                text.chars().count()
            );
        }
        let text = screen_text(Lang::Vi, november, (30, 31, 80), &d);
        assert!(text.starts_with("🧩 Bot đã điền sẵn từ báo cáo của 30/31 chi hội:"));
        assert!(text.contains("(80 vụ nhẹ hơn không chép được vì báo cáo có tối đa 10 vụ.)"));
    }
}
