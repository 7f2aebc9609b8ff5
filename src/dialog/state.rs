//! Where each person is in a conversation. Stored as JSON in `dialog_states`, so a dialog
//! survives a restart; variants carry the data their step needs.

use serde::{Deserialize, Serialize};

use super::activity::{self, ActivityDraft, ActivityStep};
use super::announce::{self, AnnounceStep};
use super::polls::{self, PollDraft, PollStep};
use super::proposals::{self, ProposalStep};
use super::{
    Ctx, DialogError, Next, Prompt, confirm, flows, invites, linking, members, report, roster,
};
use crate::domain::period::Period;
use crate::domain::report::{IncidentField, Section, Severity};
use crate::storage::links::Account;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "flow", rename_all = "snake_case")]
pub enum DialogState {
    #[default]
    Idle,
    /// The monthly report of `unit_id` for `period`; the answers live in `report_drafts`.
    Report {
        unit_id: i64,
        period: Period,
        step: ReportStep,
        /// Editing one part from the summary: go back to the summary after it.
        #[serde(default)]
        from_summary: bool,
    },
    /// An ad-hoc urgent report being described.
    Urgent {
        step: IncidentStep,
    },
    /// An opinion for her branch: first the text, then whether to sign it.
    Opinion {
        text: Option<String>,
    },
    /// Picking a branch to ask to join: browsing the children of `parent`.
    JoinPick {
        parent: Option<i64>,
        page: usize,
    },
    /// Confirming the request to join `unit_id`.
    JoinConfirm {
        unit_id: i64,
    },
    Language,
    /// Logging an activity.
    Activity {
        step: ActivityStep,
        draft: ActivityDraft,
    },
    /// Choosing what to export: the range, then the format.
    Export {
        range: Option<String>,
    },
    /// Choosing the period of a 6-month or yearly report to draft (`/baocaoky`).
    Draft,
    /// A branch head's members (`/hoivien`), one page of them.
    Members {
        page: usize,
    },
    /// A branch head confirming that `user_id` is to be removed from her branch.
    MemberRemove {
        user_id: i64,
    },
    /// `/lienket`: the accounts linked to hers (other than this one), each of which she may
    /// unlink; with `enter`, this account has not joined and is asked for the code made on
    /// the other app.
    Link {
        accounts: Vec<Account>,
        enter: bool,
    },
    /// Confirming that `account` is to be unlinked from her.
    LinkUnlink {
        account: Account,
    },
    /// `/moi`: her open invites, each revocable, and "new invite".
    Invites,
    /// Picking the unit a new invite is for, a page of them.
    InviteUnit {
        page: usize,
    },
    /// Picking how long the new invite for `unit_id` stays open.
    InviteExpiry {
        unit_id: i64,
    },
    /// Confirming that her invite `code` is to be revoked.
    InviteRevoke {
        code: String,
    },
    /// `/thongbao`: announcements to her, and (for senders) writing one and its reach.
    Announce {
        step: AnnounceStep,
    },
    /// Confirming a decision she typed (see `confirm`): `data` is the choice it picked, done
    /// on "yes" in `resume`, where she goes back to either way.
    Confirm {
        data: String,
        resume: Box<DialogState>,
    },
    /// `/kiennghi`: proposals of her branches (officers) or of her branch (branch heads).
    Proposals {
        step: ProposalStep,
    },
    /// `/hoivien` for officers: the roster of `unit_id` (counts, or a branch's names), a page.
    Roster {
        unit_id: i64,
        page: usize,
    },
    /// `/laykien`: polls to her, and (for senders) asking one and its results.
    Poll {
        step: PollStep,
        #[serde(default)]
        draft: PollDraft,
    },
    /// Choosing the month of the monthly synthesis (`/tonghop`).
    Synthesis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ReportStep {
    /// A draft or a submitted report exists: continue, start over or correct.
    Start,
    /// Nothing yet this month, and last month's report exists: keep its answers ("như tháng
    /// trước"; incidents are asked again, never copied) or go through the sections.
    Same,
    Level {
        section: Section,
    },
    Note {
        section: Section,
    },
    /// Whether there were incidents, and the list of those entered.
    Incidents,
    Incident {
        incident: IncidentStep,
    },
    Proposals,
    Summary,
    /// A grassroots union's report with nothing in it yet, filled from `reported` of its
    /// `branches`' reports (issue 19 §2; `left_out` incidents did not fit): submit as is or go
    /// through the parts.
    Prefilled {
        reported: u32,
        branches: u32,
        left_out: u32,
    },
}

/// Describing one incident: field, seriousness, number of people, then a description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum IncidentStep {
    Field,
    Severity {
        field: IncidentField,
    },
    People {
        field: IncidentField,
        severity: Severity,
    },
    Description {
        field: IncidentField,
        severity: Severity,
        people: u32,
        /// The bottom of a chosen range ([`crate::domain::report::Incident::people_from`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        people_from: Option<u32>,
    },
    /// Urgent reports only: review and send.
    Confirm {
        field: IncidentField,
        severity: Severity,
        people: u32,
        /// The bottom of a chosen range ([`crate::domain::report::Incident::people_from`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        people_from: Option<u32>,
        description: String,
    },
}

impl DialogState {
    /// A state that no longer parses (an older release wrote it) starts over rather than
    /// failing her every message.
    pub fn from_json(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "dropping unreadable dialog state");
            DialogState::Idle
        })
    }

    pub fn to_json(&self) -> String {
        // Serialising plain enums and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{\"flow\":\"idle\"}".into())
    }
}

/// Whether the current step takes typed text (otherwise she must pick a choice).
pub(crate) fn accepts_text(state: &DialogState) -> bool {
    match state {
        DialogState::Report { step, .. } => matches!(
            step,
            ReportStep::Note { .. }
                | ReportStep::Proposals
                | ReportStep::Incident {
                    incident: IncidentStep::People { .. } | IncidentStep::Description { .. }
                }
        ),
        DialogState::Urgent { step } => matches!(
            step,
            IncidentStep::People { .. } | IncidentStep::Description { .. }
        ),
        DialogState::Opinion { text } => text.is_none(),
        DialogState::Activity { step, .. } => activity::accepts_text(*step),
        DialogState::Link { enter, .. } => *enter,
        DialogState::Announce { step } => announce::accepts_text(step),
        DialogState::Proposals { step } => proposals::accepts_text(step),
        DialogState::Poll { step, .. } => polls::accepts_text(step),
        _ => false,
    }
}

pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    state: &DialogState,
) -> Result<Option<Prompt>, DialogError> {
    Ok(match state {
        DialogState::Idle => None,
        DialogState::Report {
            unit_id,
            period,
            step,
            ..
        } => Some(report::prompt(ctx, *unit_id, *period, step).await?),
        DialogState::Urgent { step } => Some(flows::urgent_prompt(ctx, step)),
        DialogState::Opinion { text } => Some(flows::opinion_prompt(ctx, text.as_deref())),
        DialogState::JoinPick { parent, page } => {
            Some(flows::join_pick_prompt(ctx, *parent, *page).await?)
        }
        DialogState::JoinConfirm { unit_id } => {
            Some(flows::join_confirm_prompt(ctx, *unit_id).await?)
        }
        DialogState::Language => Some(flows::language_prompt(ctx)),
        DialogState::Activity { step, draft } => Some(activity::prompt(ctx, *step, draft).await?),
        DialogState::Export { range } => Some(super::admin::export_prompt(ctx, range.as_deref())),
        DialogState::Draft => Some(super::admin::draft_prompt(ctx)),
        DialogState::Members { page } => Some(members::list_prompt(ctx, *page).await?),
        DialogState::MemberRemove { user_id } => {
            Some(members::confirm_prompt(ctx, *user_id).await?)
        }
        DialogState::Link { accounts, enter } => Some(linking::prompt(ctx, accounts, *enter)),
        DialogState::LinkUnlink { account } => Some(linking::unlink_prompt(ctx, account)),
        DialogState::Invites => Some(invites::list_prompt(ctx).await?),
        DialogState::InviteUnit { page } => Some(invites::unit_prompt(ctx, *page).await?),
        DialogState::InviteExpiry { unit_id } => Some(invites::expiry_prompt(ctx, *unit_id).await?),
        DialogState::InviteRevoke { code } => Some(invites::revoke_prompt(ctx, code).await?),
        DialogState::Announce { step } => Some(announce::prompt(ctx, step).await?),
        DialogState::Confirm { data, resume } => Some(confirm::prompt(ctx, data, resume).await?),
        DialogState::Proposals { step } => Some(proposals::prompt(ctx, step).await?),
        DialogState::Roster { unit_id, page } => Some(roster::prompt(ctx, *unit_id, *page).await?),
        DialogState::Poll { step, draft } => Some(polls::prompt(ctx, step, draft).await?),
        DialogState::Synthesis => Some(super::synthesis::prompt(ctx).await?),
    })
}

pub(crate) async fn on_choice(
    ctx: &mut Ctx<'_>,
    state: &DialogState,
    token: &str,
) -> Result<Next, DialogError> {
    match state {
        DialogState::Idle => Ok(Next::Quiet),
        DialogState::Report {
            unit_id,
            period,
            step,
            from_summary,
        } => report::on_choice(ctx, *unit_id, *period, step, *from_summary, token).await,
        DialogState::Urgent { step } => flows::urgent_choice(ctx, step, token).await,
        DialogState::Opinion { text } => flows::opinion_choice(ctx, text.as_deref(), token).await,
        DialogState::JoinPick { parent, page } => {
            flows::join_pick_choice(ctx, *parent, *page, token).await
        }
        DialogState::JoinConfirm { unit_id } => {
            flows::join_confirm_choice(ctx, *unit_id, token).await
        }
        DialogState::Language => flows::language_choice(ctx, token).await,
        DialogState::Activity { step, draft } => {
            activity::on_choice(ctx, *step, draft, token).await
        }
        DialogState::Export { range } => {
            super::admin::export_choice(ctx, range.as_deref(), token).await
        }
        DialogState::Draft => super::admin::draft_choice(ctx, token).await,
        DialogState::Members { .. } => members::list_choice(ctx, token).await,
        DialogState::MemberRemove { user_id } => {
            members::confirm_choice(ctx, *user_id, token).await
        }
        DialogState::Link { accounts, .. } => linking::choice(ctx, accounts, token),
        DialogState::LinkUnlink { account } => linking::unlink_choice(ctx, account, token).await,
        DialogState::Invites => invites::list_choice(ctx, token).await,
        DialogState::InviteUnit { .. } => invites::unit_choice(ctx, token).await,
        DialogState::InviteExpiry { unit_id } => invites::expiry_choice(ctx, *unit_id, token).await,
        DialogState::InviteRevoke { code } => invites::revoke_choice(ctx, code, token).await,
        DialogState::Announce { step } => announce::on_choice(ctx, step, token).await,
        DialogState::Confirm { data, resume } => {
            Box::pin(confirm::choice(ctx, data, resume, token)).await
        }
        DialogState::Proposals { step } => proposals::on_choice(ctx, step, token).await,
        DialogState::Roster { unit_id, .. } => roster::choice(ctx, *unit_id, token).await,
        DialogState::Poll { step, draft } => polls::on_choice(ctx, step, draft, token).await,
        DialogState::Synthesis => super::synthesis::choice(ctx, token).await,
    }
}

pub(crate) async fn on_text(
    ctx: &mut Ctx<'_>,
    state: &DialogState,
    text: &str,
) -> Result<Next, DialogError> {
    match state {
        DialogState::Report {
            unit_id,
            period,
            step,
            from_summary,
        } => report::on_text(ctx, *unit_id, *period, step, *from_summary, text).await,
        DialogState::Urgent { step } => flows::urgent_text(ctx, step, text),
        DialogState::Opinion { .. } => flows::opinion_text(ctx, text),
        DialogState::Activity { step, draft } => activity::on_text(ctx, *step, draft, text),
        DialogState::Link { enter: true, .. } => linking::redeem(ctx, text).await,
        DialogState::Announce { step } => announce::on_text(ctx, step, text),
        DialogState::Proposals { step } => proposals::on_text(ctx, step, text).await,
        DialogState::Poll { step, draft } => polls::on_text(ctx, step, draft, text).await,
        _ => Ok(Next::Stay),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_json() {
        let states = [
            DialogState::Idle,
            DialogState::Report {
                unit_id: 7,
                period: "2026-11".parse().unwrap(),
                step: ReportStep::Incident {
                    incident: IncidentStep::Description {
                        field: IncidentField::LandClearance,
                        severity: Severity::Serious,
                        people: 12,
                        people_from: None,
                    },
                },
                from_summary: true,
            },
            DialogState::Report {
                unit_id: 7,
                period: "2026-12".parse().unwrap(),
                step: ReportStep::Same,
                from_summary: false,
            },
            DialogState::Urgent {
                step: IncidentStep::Confirm {
                    field: IncidentField::SecurityOrder,
                    severity: Severity::Critical,
                    people: 5,
                    people_from: Some(1),
                    description: "Đánh nhau ở chợ 🚨".into(),
                },
            },
            DialogState::JoinPick {
                parent: Some(3),
                page: 1,
            },
            DialogState::Members { page: 2 },
            DialogState::Invites,
            DialogState::InviteUnit { page: 1 },
            DialogState::InviteExpiry { unit_id: 9 },
            DialogState::InviteRevoke {
                code: "Zm9vYmFyYmF6cXV4MTIzNDU2".into(),
            },
            DialogState::Announce {
                step: AnnounceStep::Preview {
                    text: "Họp chi hội tối thứ Sáu 📣".into(),
                    unit_id: 7,
                    audience: crate::domain::announcement::Audience::BranchHeads,
                    kind: crate::domain::announcement::AnnouncementKind::Policy,
                    file: None,
                },
            },
            DialogState::MemberRemove { user_id: 42 },
            DialogState::Roster {
                unit_id: 7,
                page: 2,
            },
            DialogState::Link {
                accounts: vec![Account {
                    platform: "zalo".into(),
                    platform_user_id: "0084900000000005".into(),
                }],
                enter: true,
            },
            DialogState::LinkUnlink {
                account: Account {
                    platform: "telegram".into(),
                    platform_user_id: "602".into(),
                },
            },
            DialogState::Confirm {
                data: "d:4:restart".into(),
                resume: Box::new(DialogState::Report {
                    unit_id: 7,
                    period: "2026-11".parse().unwrap(),
                    step: ReportStep::Start,
                    from_summary: false,
                }),
            },
            DialogState::Poll {
                step: PollStep::Preview,
                draft: PollDraft {
                    on_draft: true,
                    question: "Dự thảo Luật Đất đai 📄".into(),
                    options: vec!["Đồng ý".into(), "Không đồng ý".into()],
                    comments: true,
                    days: 3,
                    unit_id: Some(7),
                    audience: Some(crate::domain::announcement::Audience::Members),
                },
            },
            DialogState::Poll {
                step: PollStep::Comment { id: 4 },
                draft: PollDraft::default(),
            },
        ];
        for s in states {
            assert_eq!(DialogState::from_json(&s.to_json()), s);
        }
    }

    #[test]
    fn a_step_stored_before_ranges_were_kept_still_reads_as_a_number() {
        let old = r#"{"flow":"urgent","step":{"ask":"description","field":"land_clearance","severity":"serious","people":50}}"#;
        assert_eq!(
            DialogState::from_json(old),
            DialogState::Urgent {
                step: IncidentStep::Description {
                    field: IncidentField::LandClearance,
                    severity: Severity::Serious,
                    people: 50,
                    people_from: None,
                }
            }
        );
    }

    #[test]
    fn a_reset_by_storage_stores_exactly_idle() {
        assert_eq!(
            DialogState::Idle.to_json(),
            crate::storage::users::IDLE_DIALOG
        );
    }

    #[test]
    fn unreadable_state_starts_over() {
        assert_eq!(
            DialogState::from_json("{\"flow\":\"time_travel\"}"),
            DialogState::Idle
        );
        assert_eq!(DialogState::from_json("not json"), DialogState::Idle);
    }
}
