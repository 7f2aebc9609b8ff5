//! The monthly public-opinion report dialog: three sections answered with a situation and an
//! optional note, the month's incidents, proposals, then a summary to review, correct and
//! submit. Every answer is saved to the draft at once, so nothing is lost if she stops half-way
//! or the bot restarts.

use chrono::TimeZone;

use super::labels;
use super::state::{DialogState, IncidentStep, ReportStep};
use super::{Ctx, DialogError, Next, Prompt, flows};
use crate::domain::calendar::Calendar;
use crate::domain::period::Period;
use crate::domain::report::{
    Incident, IncidentField, MAX_INCIDENTS, MAX_NOTE_CHARS, ReportDraft, Section, SectionAnswer,
    Severity, Situation, TextRefusal, clean_text, parse_people,
};
use crate::labels::shorten;
use crate::storage::{org, reports};
use crate::{i18n::Lang, tr};

/// Shown in the summary per note, so that a long report still fits a few messages.
const SUMMARY_NOTE_CHARS: usize = 300;

pub(super) fn report_state(
    unit_id: i64,
    period: Period,
    step: ReportStep,
    from_summary: bool,
) -> Next {
    Next::Go(DialogState::Report {
        unit_id,
        period,
        step,
        from_summary,
    })
}

/// `/baocao [MM/YYYY | YYYY-MM]`: opens the report of her unit for the current month (or an
/// earlier month that is still open).
pub(crate) async fn start(ctx: &mut Ctx<'_>, arg: &str) -> Result<Next, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return flows::not_joined(ctx);
    };
    if !role.files_monthly_report() {
        ctx.say(tr!(ctx.lang, "report-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    }
    let current = Period::containing(ctx.now, ctx.tz);
    let period = if arg.trim().is_empty() {
        current
    } else {
        match Period::parse_typed(arg) {
            Ok(p) if p <= current => p,
            _ => {
                ctx.say(tr!(
                    ctx.lang,
                    "report-bad-period",
                    current = labels::period(current),
                    previous = labels::period(current.previous())
                ));
                return Ok(Next::Go(DialogState::Idle));
            }
        }
    };
    let calendar = calendar_of(ctx, unit_id).await?;
    if calendar.locks_at(period) <= ctx.now {
        ctx.say(tr!(
            ctx.lang,
            "report-period-locked",
            period = labels::period(period)
        ));
        return Ok(Next::Go(DialogState::Idle));
    }
    let unit_name = unit_name(ctx, unit_id).await?;
    let draft = stored_draft(ctx, unit_id, period).await?;
    let submitted = reports::load_report(ctx.conn, unit_id, period).await?;
    let (step, prefill_note) = if draft.is_some() || submitted.is_some() {
        (ReportStep::Start, None)
    } else {
        super::prefill::first_step(ctx, unit_id, period).await?
    };
    let mut intro = tr!(
        ctx.lang,
        "report-intro",
        period = labels::period(period),
        unit = unit_name,
        deadline = labels::date_time(ctx.lang, &calendar.local(calendar.deadline(period)))
    );
    // Last month's screen says itself what to do: the intro stays one line above it.
    if step != ReportStep::Same && !matches!(step, ReportStep::Prefilled { .. }) {
        intro.push('\n');
        intro.push_str(&tr!(ctx.lang, "report-intro-parts"));
    }
    if let Some(note) = prefill_note {
        intro.push('\n');
        intro.push_str(&note);
    }
    ctx.say(intro);
    Ok(report_state(unit_id, period, step, false))
}

/// The unit's reporting calendar (its top unit's): deadlines and when periods lock.
async fn calendar_of(ctx: &mut Ctx<'_>, unit_id: i64) -> Result<Calendar, DialogError> {
    Ok(match org::unit_by_id(ctx.conn, unit_id).await? {
        Some(unit) => org::calendar_for(ctx.conn, ctx.calendars, &unit).await?,
        None => ctx.calendars.deployment(),
    })
}

async fn unit_name(ctx: &mut Ctx<'_>, unit_id: i64) -> Result<String, DialogError> {
    Ok(org::unit_by_id(ctx.conn, unit_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// She must still hold a reporting role in this unit: roles can change mid-dialog.
fn still_allowed(ctx: &Ctx<'_>, unit_id: i64) -> bool {
    matches!(ctx.user.membership(), Some((u, role)) if u == unit_id && role.files_monthly_report())
}

/// The stored draft, if any (read once per update: see [`Ctx::draft`]).
pub(super) async fn stored_draft(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<Option<ReportDraft>, DialogError> {
    if let Some((u, p, draft)) = &ctx.draft
        && (*u, *p) == (unit_id, period)
    {
        return Ok(draft.clone());
    }
    let draft = reports::load_draft(ctx.conn, unit_id, period).await?;
    ctx.draft = Some((unit_id, period, draft.clone()));
    Ok(draft)
}

async fn draft_of(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<ReportDraft, DialogError> {
    Ok(stored_draft(ctx, unit_id, period)
        .await?
        .unwrap_or_default())
}

async fn delete_draft(ctx: &mut Ctx<'_>, unit_id: i64, period: Period) -> Result<(), DialogError> {
    reports::delete_draft(ctx.conn, unit_id, period).await?;
    ctx.draft = Some((unit_id, period, None));
    Ok(())
}

pub(super) async fn save(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
    draft: &ReportDraft,
) -> Result<(), DialogError> {
    reports::save_draft(
        ctx.conn,
        unit_id,
        period,
        draft,
        ctx.user.id,
        ctx.now.timestamp(),
    )
    .await?;
    ctx.draft = Some((unit_id, period, Some(draft.clone())));
    Ok(())
}

/// The first step she has not answered yet.
fn first_unanswered(d: &ReportDraft) -> ReportStep {
    for section in Section::ALL {
        if d.section(section).is_none() {
            return ReportStep::Level { section };
        }
    }
    if !d.incidents_answered {
        ReportStep::Incidents
    } else if !d.proposals_answered {
        ReportStep::Proposals
    } else {
        ReportStep::Summary
    }
}

/// The step after finishing a section's note.
fn after_note(section: Section, from_summary: bool) -> ReportStep {
    if from_summary {
        return ReportStep::Summary;
    }
    match section {
        Section::Labour => ReportStep::Level {
            section: Section::Living,
        },
        Section::Living => ReportStep::Level {
            section: Section::Thoughts,
        },
        Section::Thoughts => ReportStep::Incidents,
    }
}

fn part_number(section: Section) -> i64 {
    match section {
        Section::Labour => 1,
        Section::Living => 2,
        Section::Thoughts => 3,
    }
}

fn cancel_row(lang: Lang) -> Vec<(String, String)> {
    vec![(tr!(lang, "button-save-later"), "cancel".into())]
}

/// How many of the five parts a draft answers.
fn answered_parts(draft: &ReportDraft) -> usize {
    Section::ALL
        .iter()
        .filter(|s| draft.section(**s).is_some())
        .count()
        + usize::from(draft.incidents_answered)
        + usize::from(draft.proposals_answered)
}

/// How many of the five parts her draft of `unit_id` for `period` answers (what "start over"
/// would wipe).
pub(crate) async fn draft_answered(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<usize, DialogError> {
    Ok(answered_parts(&draft_of(ctx, unit_id, period).await?))
}

pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
    step: &ReportStep,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let draft = draft_of(ctx, unit_id, period).await?;
    Ok(match step {
        ReportStep::Start => {
            let submitted = reports::load_report(ctx.conn, unit_id, period).await?;
            match submitted {
                Some(r) => {
                    let at = ctx
                        .tz
                        .timestamp_opt(r.updated_at, 0)
                        .single()
                        .map(|t| labels::date_time(lang, &t))
                        .unwrap_or_default();
                    let text = tr!(
                        lang,
                        "report-already-submitted",
                        period = labels::period(period),
                        time = at,
                        revision = r.revision
                    );
                    let mut p = Prompt::new(text)
                        .row(vec![(tr!(lang, "button-correct-report"), "correct".into())]);
                    if stored_draft(ctx, unit_id, period).await?.is_some() {
                        p = p.row(vec![(
                            tr!(lang, "button-continue-correction"),
                            "continue".into(),
                        )]);
                    }
                    p.row(vec![(tr!(lang, "button-close"), "cancel".into())])
                }
                None => {
                    let answered = answered_parts(&draft);
                    Prompt::new(tr!(lang, "report-draft-found", answered = answered as i64))
                        .row(vec![(tr!(lang, "button-continue"), "continue".into())])
                        .row(vec![(tr!(lang, "button-start-over"), "restart".into())])
                        .row(vec![(tr!(lang, "button-close"), "cancel".into())])
                }
            }
        }
        ReportStep::Same => super::same_month::prompt(ctx, unit_id, period).await?,
        ReportStep::Prefilled {
            reported,
            branches,
            left_out,
        } => {
            super::prefill::prompt(ctx, unit_id, period, (*reported, *branches, *left_out)).await?
        }
        ReportStep::Level { section } => {
            // Members' opinions of the month come first, so that the question stays in view.
            let mut text = String::new();
            if *section == Section::Thoughts {
                let opinions = opinions_digest(ctx, unit_id, period).await?;
                if !opinions.is_empty() {
                    text.push_str(&opinions);
                    text.push_str("\n\n");
                }
            }
            text.push_str(&tr!(
                lang,
                "report-ask-level",
                part = part_number(*section),
                section = labels::section(lang, *section),
                period = labels::period(period)
            ));
            if let Some(current) = draft.section(*section) {
                text.push_str(&tr!(
                    lang,
                    "report-current-answer",
                    answer = labels::situation(lang, *section, current.situation)
                ));
            }
            let choices = Situation::ALL
                .iter()
                .map(|s| {
                    (
                        labels::situation(lang, *section, *s),
                        format!("s:{}", s.as_str()),
                    )
                })
                .collect();
            Prompt::new(text).column(choices).row(cancel_row(lang))
        }
        ReportStep::Note { section } => {
            let note = draft.section(*section).and_then(|a| a.note.clone());
            let mut p = Prompt::new(tr!(
                lang,
                "report-ask-note",
                section = labels::section(lang, *section),
                has_note = if note.is_some() { "yes" } else { "no" }
            ));
            match note {
                Some(note) => {
                    p.text.push_str(&tr!(
                        lang,
                        "report-current-note",
                        note = shorten(&note, SUMMARY_NOTE_CHARS)
                    ));
                    p = p.row(vec![
                        (tr!(lang, "button-keep-note"), "keep".into()),
                        (tr!(lang, "button-clear-note"), "clear".into()),
                    ]);
                }
                None => p = p.row(vec![(tr!(lang, "button-skip"), "skip".into())]),
            }
            p.row(cancel_row(lang))
        }
        ReportStep::Incidents => {
            if draft.incidents.is_empty() {
                Prompt::new(tr!(lang, "report-ask-incidents"))
                    .row(vec![
                        (tr!(lang, "button-yes-incident"), "add".into()),
                        (tr!(lang, "button-no-incident"), "none".into()),
                    ])
                    .row(cancel_row(lang))
            } else {
                let mut text = tr!(
                    lang,
                    "report-incident-list",
                    count = draft.incidents.len() as i64
                );
                // "Vụ 1: …", never "1. …": on Zalo the choices below are numbered too.
                for (i, inc) in draft.incidents.iter().enumerate() {
                    text.push('\n');
                    text.push_str(&tr!(
                        lang,
                        "report-incident-item",
                        n = (i + 1) as i64,
                        line = incident_line(lang, inc)
                    ));
                }
                let mut p = Prompt::new(text);
                if draft.incidents.len() < MAX_INCIDENTS {
                    p = p.row(vec![(tr!(lang, "button-add-incident"), "add".into())]);
                }
                let deletes: Vec<_> = (0..draft.incidents.len())
                    .map(|i| {
                        (
                            tr!(lang, "button-delete-incident", n = (i + 1) as i64),
                            format!("del:{i}"),
                        )
                    })
                    .collect();
                for chunk in deletes.chunks(3) {
                    p = p.row(chunk.to_vec());
                }
                p.row(vec![(tr!(lang, "button-next"), "next".into())])
                    .row(cancel_row(lang))
            }
        }
        ReportStep::Incident { incident } => incident_prompt(lang, incident).row(cancel_row(lang)),
        ReportStep::Proposals => {
            // Her earlier proposals and their answers come first (issue 18 §6).
            let earlier = super::proposals::earlier_in_report(ctx, unit_id, period).await?;
            let mut p = Prompt::new(
                earlier
                    + &tr!(
                        lang,
                        "report-ask-proposals",
                        has_text = if draft.proposals.is_some() {
                            "yes"
                        } else {
                            "no"
                        }
                    ),
            );
            match &draft.proposals {
                Some(text) => {
                    p.text.push_str(&tr!(
                        lang,
                        "report-current-note",
                        note = shorten(text, SUMMARY_NOTE_CHARS)
                    ));
                    p = p.row(vec![
                        (tr!(lang, "button-keep-note"), "keep".into()),
                        (tr!(lang, "button-clear-note"), "clear".into()),
                    ]);
                }
                None => p = p.row(vec![(tr!(lang, "button-no-proposals"), "skip".into())]),
            }
            p.row(cancel_row(lang))
        }
        ReportStep::Summary => {
            let unit = unit_name(ctx, unit_id).await?;
            let text = summary_text(lang, &unit, period, &draft);
            let mut p = Prompt::new(text);
            if draft.complete().is_some() {
                p = p.row(vec![(tr!(lang, "button-submit"), "submit".into())]);
            }
            p.row(vec![
                (tr!(lang, "button-edit-labour"), "edit:labour".into()),
                (tr!(lang, "button-edit-living"), "edit:living".into()),
            ])
            .row(vec![
                (tr!(lang, "button-edit-thoughts"), "edit:thoughts".into()),
                (tr!(lang, "button-edit-incidents"), "edit:incidents".into()),
            ])
            .row(vec![(
                tr!(lang, "button-edit-proposals"),
                "edit:proposals".into(),
            )])
            .row(cancel_row(lang))
        }
    })
}

/// Prompts of the incident sub-dialog, shared with the urgent report.
pub(crate) fn incident_prompt(lang: Lang, step: &IncidentStep) -> Prompt {
    match step {
        IncidentStep::Field => Prompt::new(tr!(lang, "incident-ask-field")).column(
            IncidentField::ALL
                .iter()
                .map(|f| (labels::field(lang, *f), format!("f:{}", f.as_str())))
                .collect(),
        ),
        IncidentStep::Severity { field } => Prompt::new(tr!(
            lang,
            "incident-ask-severity",
            field = labels::field(lang, *field)
        ))
        .column(
            Severity::ALL
                .iter()
                .map(|s| (labels::severity(lang, *s), format!("v:{}", s.as_str())))
                .collect(),
        ),
        IncidentStep::People { .. } => Prompt::new(tr!(lang, "incident-ask-people"))
            .row(vec![
                ("1–5".into(), "p:5".into()),
                ("6–20".into(), "p:20".into()),
                ("21–50".into(), "p:50".into()),
            ])
            .lettered(),
        IncidentStep::Description { .. } => Prompt::new(tr!(lang, "incident-ask-description")),
        IncidentStep::Confirm {
            field,
            severity,
            people,
            people_from,
            description,
        } => {
            let line = incident_line(
                lang,
                &Incident {
                    field: *field,
                    severity: *severity,
                    people: *people,
                    people_from: *people_from,
                    description: description.clone(),
                },
            );
            Prompt::new(tr!(lang, "urgent-confirm", incident = line))
                .row(vec![(tr!(lang, "button-send-now"), "send".into())])
        }
    }
}

/// Advances the incident sub-dialog with a choice. `Ok(None)` means the token does not belong
/// to this step.
pub(crate) fn incident_choice(step: &IncidentStep, token: &str) -> Option<IncidentStep> {
    match step {
        IncidentStep::Field => {
            let field = IncidentField::parse(token.strip_prefix("f:")?)?;
            Some(IncidentStep::Severity { field })
        }
        IncidentStep::Severity { field } => {
            let severity = Severity::parse(token.strip_prefix("v:")?)?;
            Some(IncidentStep::People {
                field: *field,
                severity,
            })
        }
        IncidentStep::People { field, severity } => {
            // A range chosen stays a range: "21–50" is never read back as "about 50".
            let (people_from, people) = match token.strip_prefix("p:")? {
                "5" => (1, 5),
                "20" => (6, 20),
                "50" => (21, 50),
                _ => return None,
            };
            Some(IncidentStep::Description {
                field: *field,
                severity: *severity,
                people,
                people_from: Some(people_from),
            })
        }
        _ => None,
    }
}

/// What a typed answer in the incident sub-dialog means: the next step, or why it was refused.
pub(crate) enum IncidentText {
    Next(IncidentStep),
    Done(Incident),
    Refused(String),
}

pub(crate) fn incident_text(lang: Lang, step: &IncidentStep, text: &str) -> IncidentText {
    match step {
        IncidentStep::People { field, severity } => match parse_people(text) {
            Some(people) => IncidentText::Next(IncidentStep::Description {
                field: *field,
                severity: *severity,
                people,
                people_from: None,
            }),
            None => IncidentText::Refused(tr!(lang, "incident-bad-people")),
        },
        IncidentStep::Description {
            field,
            severity,
            people,
            people_from,
        } => match clean_text(text, MAX_NOTE_CHARS) {
            Ok(description) => IncidentText::Done(Incident {
                field: *field,
                severity: *severity,
                people: *people,
                people_from: *people_from,
                description,
            }),
            Err(why) => IncidentText::Refused(refusal(lang, why)),
        },
        _ => IncidentText::Refused(tr!(lang, "error-use-buttons")),
    }
}

pub(crate) fn refusal(lang: Lang, why: TextRefusal) -> String {
    match why {
        TextRefusal::Empty => tr!(lang, "error-empty-text"),
        TextRefusal::TooLong { chars, max } => tr!(
            lang,
            "error-text-too-long",
            chars = chars as i64,
            max = max as i64
        ),
    }
}

pub(crate) async fn on_choice(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
    step: &ReportStep,
    from_summary: bool,
    token: &str,
) -> Result<Next, DialogError> {
    if !still_allowed(ctx, unit_id) {
        ctx.say(tr!(ctx.lang, "report-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    }
    let mut draft = draft_of(ctx, unit_id, period).await?;
    let go = |step| Ok(report_state(unit_id, period, step, from_summary));
    match (step, token) {
        (ReportStep::Start, "continue") => go(first_unanswered(&draft)),
        (ReportStep::Start, "restart") => {
            delete_draft(ctx, unit_id, period).await?;
            let (step, note) = super::prefill::first_step(ctx, unit_id, period).await?;
            if note.is_some() {
                ctx.notice = note;
            }
            Ok(report_state(unit_id, period, step, false))
        }
        (ReportStep::Same, "sections") => go(ReportStep::Level {
            section: Section::Labour,
        }),
        (ReportStep::Same, t) if t.starts_with("keep:") => match t[5..].parse::<i64>() {
            Ok(revision) => super::same_month::keep(ctx, unit_id, period, revision).await,
            Err(_) => forged(ctx),
        },
        (ReportStep::Start, "correct") => {
            // Start the correction from what was submitted.
            if let Some(stored) = reports::load_report(ctx.conn, unit_id, period).await? {
                save(ctx, unit_id, period, &ReportDraft::from(stored.report)).await?;
            }
            Ok(report_state(unit_id, period, ReportStep::Summary, false))
        }
        (ReportStep::Level { section }, t) if t.starts_with("s:") => {
            let Some(situation) = Situation::parse(&t[2..]) else {
                return forged(ctx);
            };
            let slot = draft.section_mut(*section);
            let note = slot.take().and_then(|a| a.note);
            *slot = Some(SectionAnswer { situation, note });
            save(ctx, unit_id, period, &draft).await?;
            go(ReportStep::Note { section: *section })
        }
        (ReportStep::Note { section }, "skip" | "keep" | "clear") => {
            if token == "clear" {
                if let Some(answer) = draft.section_mut(*section).as_mut() {
                    answer.note = None;
                }
                save(ctx, unit_id, period, &draft).await?;
            }
            go(after_note(*section, from_summary))
        }
        (ReportStep::Incidents, "none") => {
            draft.incidents_answered = true;
            save(ctx, unit_id, period, &draft).await?;
            go(if from_summary {
                ReportStep::Summary
            } else {
                first_unanswered(&draft)
            })
        }
        (ReportStep::Incidents, "next") => {
            draft.incidents_answered = true;
            save(ctx, unit_id, period, &draft).await?;
            go(if from_summary {
                ReportStep::Summary
            } else {
                first_unanswered(&draft)
            })
        }
        (ReportStep::Incidents, "add") if draft.incidents.len() < MAX_INCIDENTS => {
            go(ReportStep::Incident {
                incident: IncidentStep::Field,
            })
        }
        (ReportStep::Incidents, t) if t.starts_with("del:") => match t[4..].parse::<usize>() {
            Ok(i) if i < draft.incidents.len() => {
                draft.incidents.remove(i);
                save(ctx, unit_id, period, &draft).await?;
                ctx.notice = Some(tr!(ctx.lang, "report-incident-deleted"));
                go(ReportStep::Incidents)
            }
            _ => forged(ctx),
        },
        (ReportStep::Incident { incident }, t) => match incident_choice(incident, t) {
            Some(next) => go(ReportStep::Incident { incident: next }),
            None => forged(ctx),
        },
        (ReportStep::Proposals, "skip" | "keep" | "clear") => {
            if token != "keep" {
                draft.proposals = None;
            }
            draft.proposals_answered = true;
            save(ctx, unit_id, period, &draft).await?;
            Ok(report_state(unit_id, period, ReportStep::Summary, false))
        }
        (ReportStep::Summary, "submit") => submit(ctx, unit_id, period, &draft).await,
        (ReportStep::Prefilled { .. }, "submit") => submit(ctx, unit_id, period, &draft).await,
        (ReportStep::Prefilled { .. }, "sections") => {
            super::prefill::go_through(ctx, unit_id, period).await
        }
        (ReportStep::Summary, t) if t.starts_with("edit:") => {
            let step = match &t[5..] {
                "labour" => ReportStep::Level {
                    section: Section::Labour,
                },
                "living" => ReportStep::Level {
                    section: Section::Living,
                },
                "thoughts" => ReportStep::Level {
                    section: Section::Thoughts,
                },
                "incidents" => ReportStep::Incidents,
                "proposals" => ReportStep::Proposals,
                _ => return forged(ctx),
            };
            Ok(report_state(unit_id, period, step, true))
        }
        _ => forged(ctx),
    }
}

fn forged(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Ok(Next::Stay)
}

pub(crate) async fn on_text(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
    step: &ReportStep,
    from_summary: bool,
    text: &str,
) -> Result<Next, DialogError> {
    if !still_allowed(ctx, unit_id) {
        ctx.say(tr!(ctx.lang, "report-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    }
    let lang = ctx.lang;
    let mut draft = draft_of(ctx, unit_id, period).await?;
    match step {
        ReportStep::Note { section } => match clean_text(text, MAX_NOTE_CHARS) {
            Ok(note) => {
                if let Some(answer) = draft.section_mut(*section).as_mut() {
                    answer.note = Some(note);
                }
                save(ctx, unit_id, period, &draft).await?;
                Ok(report_state(
                    unit_id,
                    period,
                    after_note(*section, from_summary),
                    from_summary,
                ))
            }
            Err(why) => {
                ctx.say(refusal(lang, why));
                Ok(Next::Stay)
            }
        },
        ReportStep::Proposals => match clean_text(text, MAX_NOTE_CHARS) {
            Ok(p) => {
                draft.proposals = Some(p);
                draft.proposals_answered = true;
                save(ctx, unit_id, period, &draft).await?;
                Ok(report_state(unit_id, period, ReportStep::Summary, false))
            }
            Err(why) => {
                ctx.say(refusal(lang, why));
                Ok(Next::Stay)
            }
        },
        ReportStep::Incident { incident } => match incident_text(lang, incident, text) {
            IncidentText::Next(next) => Ok(report_state(
                unit_id,
                period,
                ReportStep::Incident { incident: next },
                from_summary,
            )),
            IncidentText::Done(inc) => {
                draft.incidents.push(inc);
                save(ctx, unit_id, period, &draft).await?;
                ctx.say(tr!(
                    lang,
                    "report-incident-added",
                    n = draft.incidents.len() as i64
                ));
                Ok(report_state(
                    unit_id,
                    period,
                    ReportStep::Incidents,
                    from_summary,
                ))
            }
            IncidentText::Refused(msg) => {
                ctx.say(msg);
                Ok(Next::Stay)
            }
        },
        _ => Ok(Next::Stay),
    }
}

async fn submit(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
    draft: &ReportDraft,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let calendar = calendar_of(ctx, unit_id).await?;
    if calendar.locks_at(period) <= ctx.now {
        ctx.say(tr!(
            lang,
            "report-period-locked",
            period = labels::period(period)
        ));
        return Ok(Next::Go(DialogState::Idle));
    }
    let Some(report) = draft.complete() else {
        ctx.say(tr!(lang, "report-incomplete"));
        return Ok(Next::Stay);
    };
    let (report_id, revision) = reports::upsert_report(
        ctx.conn,
        unit_id,
        period,
        ctx.user.id,
        &report,
        ctx.now.timestamp(),
    )
    .await?;
    delete_draft(ctx, unit_id, period).await?;
    // Its kiến nghị becomes a tracked proposal (once: see `crate::proposals::from_report`).
    let raised_from = crate::proposals::SubmittedReport {
        unit_id,
        period,
        report_id,
        raised_by: ctx.user.id,
        proposals: report.proposals.as_deref(),
    };
    let (_, ids) =
        crate::proposals::from_report(ctx.conn, ctx.calendars, &raised_from, ctx.now).await?;
    ctx.queued.extend(ids);
    // Very serious incidents climb the urgent ladder too (once each, however often corrected).
    let mut raised = 0;
    if let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? {
        crate::targets::queue_around(ctx.conn, unit.id, ctx.now).await?;
        let reporter = ctx.user.clone();
        // Incidents copied from her branches' reports raised their alerts there already.
        let copied = super::prefill::copied_alerts(ctx.conn, unit_id, period).await?;
        for inc in report.incidents.iter().filter(|i| {
            i.severity == Severity::Critical
                && !copied.contains(&(i.field.as_str(), i.description.clone()))
        }) {
            let origin = super::alerts::incident_origin(report_id, inc);
            let alert = super::alerts::raise(
                ctx.conn,
                ctx.calendars,
                &unit,
                &reporter,
                inc,
                Some(&origin),
                ctx.now,
            );
            if let Some((_, ids, _)) = alert.await? {
                ctx.queued.extend(ids);
                raised += 1;
            }
        }
    }
    let unit = unit_name(ctx, unit_id).await?;
    let text = if revision == 1 {
        tr!(
            lang,
            "report-submitted",
            period = labels::period(period),
            unit = unit,
            deadline = labels::date_time(lang, &calendar.local(calendar.deadline(period)))
        )
    } else {
        tr!(
            lang,
            "report-corrected",
            period = labels::period(period),
            unit = unit,
            revision = revision
        )
    };
    tracing::info!(unit_id, %period, revision, raised, "monthly report stored");
    let text = if raised > 0 {
        format!(
            "{text}\n{}",
            tr!(lang, "report-urgent-raised", count = raised as i64)
        )
    } else {
        text
    };
    flows::menu(ctx, Some(text));
    Ok(Next::Go(DialogState::Idle))
}

/// The month's opinions sent to the unit, briefly, before she sums up members' thoughts.
async fn opinions_digest(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    period: Period,
) -> Result<String, DialogError> {
    let lang = ctx.lang;
    let opinions = reports::opinions_for(ctx.conn, unit_id, period).await?;
    if opinions.is_empty() {
        return Ok(String::new());
    }
    let mut text = tr!(
        lang,
        "report-opinions-header",
        count = opinions.len() as i64,
        period = labels::period(period)
    );
    const SHOWN: usize = 5;
    for o in opinions.iter().take(SHOWN) {
        let who = o
            .author_name
            .clone()
            .unwrap_or_else(|| tr!(lang, "opinion-anonymous-name"));
        text.push_str(&format!("\n• {} — {}", shorten(&o.body, 120), who));
    }
    if opinions.len() > SHOWN {
        text.push_str(&tr!(
            lang,
            "report-opinions-more",
            count = (opinions.len() - SHOWN) as i64
        ));
    }
    Ok(text)
}

pub(crate) fn incident_line(lang: Lang, inc: &Incident) -> String {
    let short = Incident {
        description: shorten(&inc.description, SUMMARY_NOTE_CHARS),
        ..inc.clone()
    };
    labels::incident(lang, &short)
}

/// The review screen: every answer, so she can check before submitting.
pub(crate) fn summary_text(lang: Lang, unit: &str, period: Period, d: &ReportDraft) -> String {
    let mut text = tr!(
        lang,
        "report-summary-title",
        period = labels::period(period),
        unit = unit.to_owned()
    );
    let missing = tr!(lang, "report-missing");
    for section in Section::ALL {
        text.push_str(&format!("\n\n▪ {}: ", labels::section(lang, section)));
        match d.section(section) {
            Some(a) => {
                text.push_str(&labels::situation(lang, section, a.situation));
                if let Some(note) = &a.note {
                    text.push_str(&format!("\n{}", shorten(note, SUMMARY_NOTE_CHARS)));
                }
            }
            None => text.push_str(&missing),
        }
    }
    text.push_str(&format!(
        "\n\n▪ {}: ",
        tr!(lang, "report-section-incidents")
    ));
    if !d.incidents_answered {
        text.push_str(&missing);
    } else if d.incidents.is_empty() {
        text.push_str(&tr!(lang, "report-no-incidents"));
    } else {
        for (i, inc) in d.incidents.iter().enumerate() {
            text.push_str(&format!("\n{}. {}", i + 1, incident_line(lang, inc)));
        }
    }
    text.push_str(&format!(
        "\n\n▪ {}: ",
        tr!(lang, "report-section-proposals")
    ));
    match (&d.proposals, d.proposals_answered) {
        (_, false) => text.push_str(&missing),
        (None, true) => text.push_str(&tr!(lang, "report-no-proposals")),
        (Some(p), true) => text.push_str(&shorten(p, SUMMARY_NOTE_CHARS)),
    }
    if d.complete().is_some() {
        text.push_str(&format!("\n\n{}", tr!(lang, "report-summary-ready")));
    } else {
        text.push_str(&format!("\n\n{}", tr!(lang, "report-summary-incomplete")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_draft_starts_with_labour_and_ends_at_the_summary() {
        let mut d = ReportDraft::default();
        assert_eq!(
            first_unanswered(&d),
            ReportStep::Level {
                section: Section::Labour
            }
        );
        for s in Section::ALL {
            *d.section_mut(s) = Some(SectionAnswer {
                situation: Situation::Stable,
                note: None,
            });
        }
        assert_eq!(first_unanswered(&d), ReportStep::Incidents);
        d.incidents_answered = true;
        assert_eq!(first_unanswered(&d), ReportStep::Proposals);
        d.proposals_answered = true;
        assert_eq!(first_unanswered(&d), ReportStep::Summary);
    }

    #[test]
    fn incident_choices_accept_only_their_own_step() {
        assert!(incident_choice(&IncidentStep::Field, "f:land_clearance").is_some());
        assert!(incident_choice(&IncidentStep::Field, "v:minor").is_none());
        assert!(incident_choice(&IncidentStep::Field, "f:nuclear").is_none());
        let sev = IncidentStep::Severity {
            field: IncidentField::Other,
        };
        assert!(matches!(
            incident_choice(&sev, "v:critical"),
            Some(IncidentStep::People {
                severity: Severity::Critical,
                ..
            })
        ));
    }

    #[test]
    fn summary_marks_missing_parts() {
        let d = ReportDraft::default();
        let text = summary_text(
            Lang::Vi,
            "Chi hội thôn Đông",
            Period::new(2026, 11).unwrap(),
            &d,
        );
        assert!(text.contains("11/2026"), "{text}");
        assert!(text.contains(&tr!(Lang::Vi, "report-missing")));
        assert!(text.contains(&tr!(Lang::Vi, "report-summary-incomplete")));
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("Phụ nữ", 10), "Phụ nữ");
        assert_eq!(shorten("Phụ nữ Việt Nam", 6), "Phụ n…");
    }
}
