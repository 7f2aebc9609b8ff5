//! Proposals (kiến nghị, issue 18 §6): a branch's proposal, from its monthly report or from a
//! member's opinion its branch head forwarded up, tracked from "mới" to "đã trả lời". Plain
//! types and rules; the flow is `dialog::proposals`, the ladder `crate::proposals`, the rows
//! `storage::proposals`.

use crate::domain::role::Role;

/// How long a proposal waits at one rung of the ladder, unanswered, before it climbs to the
/// next: half a month, so that it is answered before the branch files its next report.
pub const CLIMB_AFTER_DAYS: i64 = 15;

/// The longest reply an officer may write (one short message on a phone).
pub const MAX_REPLY_CHARS: usize = 500;

/// Where a proposal stands. Only forward moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProposalStatus {
    /// Mới: raised, nobody has looked at it yet.
    New,
    /// Đã tiếp nhận: an officer has taken it.
    Received,
    /// Đã chuyển lên: sent to the level above (by an officer, or by the ladder), which owns it.
    Forwarded,
    /// Đã trả lời: answered; the branch has the reply.
    Answered,
}

impl ProposalStatus {
    pub const ALL: [ProposalStatus; 4] = [
        ProposalStatus::New,
        ProposalStatus::Received,
        ProposalStatus::Forwarded,
        ProposalStatus::Answered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::New => "new",
            ProposalStatus::Received => "received",
            ProposalStatus::Forwarded => "forwarded",
            ProposalStatus::Answered => "answered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        self != ProposalStatus::Answered
    }
}

/// Where a proposal came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProposalSource {
    /// The kiến nghị part of a monthly report.
    Report,
    /// A member's opinion her branch head forwarded up.
    Opinion,
}

impl ProposalSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalSource::Report => "report",
            ProposalSource::Opinion => "opinion",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ProposalSource::Report, ProposalSource::Opinion]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Her rung of the ladder (as `crate::alerts::LEVEL_ROLES`): 0 grassroots officers, 1 district
/// admins, 2 province admins; `None` for those who act on no proposal.
pub fn rung(role: Role) -> Option<i64> {
    match role {
        Role::GrassrootsOfficer => Some(0),
        Role::DistrictAdmin => Some(1),
        Role::ProvinceAdmin => Some(2),
        Role::Member | Role::BranchHead => None,
    }
}

/// Whether someone of `role` may act on an open proposal owned by rung `level` (in her
/// subtree: the caller checks that): her rung or one below it. A proposal forwarded above her
/// belongs to the level above.
pub fn may_act(role: Role, level: i64) -> bool {
    rung(role).is_some_and(|mine| level <= mine)
}

/// How a proposal's text is compared when a report raises it again: spaces at the ends and
/// runs of spaces do not make it another proposal.
pub fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_and_only_the_answered_is_closed() {
        for s in ProposalStatus::ALL {
            assert_eq!(ProposalStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ProposalStatus::parse("done"), None);
        assert!(ProposalStatus::Forwarded.is_open());
        assert!(!ProposalStatus::Answered.is_open());
    }

    #[test]
    fn officers_act_at_their_rung_and_below_only() {
        assert!(may_act(Role::GrassrootsOfficer, 0));
        assert!(!may_act(Role::GrassrootsOfficer, 1));
        assert!(may_act(Role::DistrictAdmin, 0));
        assert!(may_act(Role::ProvinceAdmin, 2));
        assert!(!may_act(Role::BranchHead, 0));
        assert!(!may_act(Role::Member, 0));
    }

    #[test]
    fn a_copied_proposal_is_the_same_text_whatever_its_spacing() {
        assert!(same_text("Xin hỗ trợ  vốn ", "Xin hỗ trợ vốn"));
        assert!(!same_text("Xin hỗ trợ vốn", "Xin hỗ trợ giống"));
    }
}
