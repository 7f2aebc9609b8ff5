//! Typed decisions are confirmed first. A tap lands on the button she read; a typed "1" is
//! read against a list, and a wrong list or a slip of the finger must not approve a stranger,
//! move an alert or wipe a draft. So a decision about someone else's state (approving or
//! refusing a join, moving an alert), or wiping her draft with "start over", that came as
//! typed text asks once, naming what it will do; "yes" does it, "no" leaves everything as it
//! was. Removing a member has a confirmation step of its own (`members`).

use super::state::{self, DialogState, ReportStep};
use super::{
    ChoiceData, Ctx, DialogError, Next, Prompt, alerts, flows, parse_choice, report, roster,
};
use crate::i18n::Lang;
use crate::storage::{org, users};
use crate::tr;

/// Whether the typed choice `data`, in `state` at `version`, is confirmed before it is done.
pub(crate) fn wanted(state: &DialogState, version: i64, data: &str) -> bool {
    match parse_choice(data) {
        ChoiceData::Alert { .. }
        | ChoiceData::JoinDecision { .. }
        | ChoiceData::RosterMatch { .. } => true,
        ChoiceData::Step { version: v, token } => {
            v == version
                && token == "restart"
                && matches!(
                    state,
                    DialogState::Report {
                        step: ReportStep::Start,
                        ..
                    }
                )
        }
        _ => false,
    }
}

/// Whether she may make the decision `data` at all: one she may not is refused at once, as a
/// tap would be, rather than asked about (the question would name someone outside her
/// subtree).
pub(crate) async fn allowed(ctx: &mut Ctx<'_>, data: &str) -> Result<bool, DialogError> {
    Ok(match parse_choice(data) {
        ChoiceData::Alert { id, .. } => match alerts::load(ctx.conn, id).await? {
            Some(alert) => match org::unit_by_id(ctx.conn, alert.unit_id).await? {
                Some(unit) => alerts::may_decide(&ctx.user, &alert, &unit),
                None => false,
            },
            None => false,
        },
        ChoiceData::JoinDecision { request_id, .. } => {
            match users::join_request(ctx.conn, request_id).await? {
                Some(req) => match org::unit_by_id(ctx.conn, req.unit_id).await? {
                    Some(unit) => flows::may_decide_join(&ctx.user, &unit),
                    None => false,
                },
                None => false,
            }
        }
        ChoiceData::RosterMatch { user_id, .. } => roster::may_decide(ctx, user_id).await?,
        _ => true,
    })
}

/// Asks whether to do `data`; `state` is where she goes back to (and where a step's choice is
/// done).
pub(crate) fn ask(state: &DialogState, data: &str) -> Next {
    Next::Go(DialogState::Confirm {
        data: data.to_owned(),
        resume: Box::new(state.clone()),
    })
}

pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    data: &str,
    resume: &DialogState,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let question = question(ctx, data, resume).await?;
    Ok(Prompt::new(question)
        .row(vec![(tr!(lang, "button-confirm-yes"), "yes".into())])
        .row(vec![(tr!(lang, "button-confirm-no"), "no".into())]))
}

/// What she is asked, naming what "yes" does.
async fn question(
    ctx: &mut Ctx<'_>,
    data: &str,
    resume: &DialogState,
) -> Result<String, DialogError> {
    let lang: Lang = ctx.lang;
    Ok(match parse_choice(data) {
        ChoiceData::Alert { id, to, seen } => {
            let alert = alerts::load(ctx.conn, id).await?;
            let unit = match &alert {
                Some(alert) => unit_name(ctx, alert.unit_id).await?,
                None => String::new(),
            };
            let question = tr!(
                lang,
                "confirm-alert",
                n = id,
                unit = unit,
                status = to.label(lang)
            );
            // The list she answered was made for another status: she is told where it
            // stands now before she confirms.
            match alert {
                Some(alert) if seen.is_some_and(|seen| seen != alert.status) => format!(
                    "{}\n{question}",
                    tr!(
                        lang,
                        "alert-changed",
                        n = id,
                        status = alert.status.label(lang)
                    )
                ),
                _ => question,
            }
        }
        ChoiceData::JoinDecision {
            request_id,
            approve,
        } => {
            let (name, unit) = match users::join_request(ctx.conn, request_id).await? {
                Some(req) => {
                    let name = users::user_by_id(ctx.conn, req.user_id)
                        .await?
                        .map(|u| u.display_name)
                        .unwrap_or_default();
                    (name, unit_name(ctx, req.unit_id).await?)
                }
                None => (String::new(), String::new()),
            };
            tr!(
                lang,
                "confirm-join",
                verdict = if approve { "approve" } else { "reject" },
                name = name,
                unit = unit
            )
        }
        ChoiceData::RosterMatch { user_id, row } => roster::question(ctx, user_id, row).await?,
        _ => match resume {
            DialogState::Report {
                unit_id, period, ..
            } => {
                let answered = report::draft_answered(ctx, *unit_id, *period).await?;
                tr!(lang, "confirm-start-over", answered = answered as i64)
            }
            _ => tr!(lang, "confirm-generic"),
        },
    })
}

async fn unit_name(ctx: &mut Ctx<'_>, unit_id: i64) -> Result<String, DialogError> {
    Ok(org::unit_by_id(ctx.conn, unit_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// "yes" does what she typed, as a tap would have; "no" goes back to where she was.
pub(crate) async fn choice(
    ctx: &mut Ctx<'_>,
    data: &str,
    resume: &DialogState,
    token: &str,
) -> Result<Next, DialogError> {
    match token {
        "yes" => match parse_choice(data) {
            ChoiceData::Alert { id, to, .. } => {
                alerts::decide(ctx, id, to).await?;
                Ok(Next::Go(resume.clone()))
            }
            ChoiceData::JoinDecision {
                request_id,
                approve,
            } => {
                flows::decide_join(ctx, request_id, approve).await?;
                Ok(Next::Go(resume.clone()))
            }
            ChoiceData::RosterMatch { user_id, row } => {
                roster::decide(ctx, user_id, row).await?;
                Ok(Next::Go(resume.clone()))
            }
            ChoiceData::Step { token, .. } => state::on_choice(ctx, resume, token).await,
            _ => Ok(Next::Go(resume.clone())),
        },
        "no" => {
            let text = tr!(ctx.lang, "confirm-dropped");
            if *resume == DialogState::Idle {
                flows::menu(ctx, Some(text));
            } else {
                ctx.say(text);
            }
            Ok(Next::Go(resume.clone()))
        }
        _ => {
            ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
            Ok(Next::Stay)
        }
    }
}
