//! Announcements (`/thongbao`): who may send one, to whom, and of which kind. Plain types; the
//! flow is `dialog::announce`, the rows `storage::announcements`.

use crate::domain::org::Level;
use crate::domain::role::Role;

/// What an announcement is about. Members can stop each kind; a policy one counts towards
/// target 3 when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementKind {
    /// Tuyên truyền chính sách, pháp luật.
    Policy,
    /// Anything else.
    Other,
}

impl AnnouncementKind {
    pub const ALL: [AnnouncementKind; 2] = [AnnouncementKind::Policy, AnnouncementKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementKind::Policy => "policy",
            AnnouncementKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who in the chosen unit's subtree receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Members,
    BranchHeads,
    Officers,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Members, Audience::BranchHeads, Audience::Officers];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Members => "members",
            Audience::BranchHeads => "heads",
            Audience::Officers => "officers",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The roles it reaches.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Audience::Members => &[Role::Member],
            Audience::BranchHeads => &[Role::BranchHead],
            Audience::Officers => &[Role::GrassrootsOfficer, Role::DistrictAdmin],
        }
    }

    /// Whether a unit at `level` can hold this audience below it: branch heads live in
    /// branches under a grassroots union or higher, officers at the grassroots or higher.
    pub fn fits(self, level: Level) -> bool {
        match self {
            Audience::Members => true,
            Audience::BranchHeads => level < Level::Branch,
            Audience::Officers => level <= Level::Grassroots,
        }
    }

    /// What a sender of `role` may choose: a branch head writes to her branch's members only.
    pub fn open_to(self, role: Role) -> bool {
        match role {
            Role::BranchHead => self == Audience::Members,
            r => may_send(r),
        }
    }
}

/// Officers and above send to their subtree; branch heads to their branch.
pub fn may_send(role: Role) -> bool {
    matches!(
        role,
        Role::BranchHead | Role::GrassrootsOfficer | Role::DistrictAdmin | Role::ProvinceAdmin
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_audiences_round_trip_and_refuse_the_unknown() {
        for k in AnnouncementKind::ALL {
            assert_eq!(AnnouncementKind::parse(k.as_str()), Some(k));
        }
        for a in Audience::ALL {
            assert_eq!(Audience::parse(a.as_str()), Some(a));
        }
        assert_eq!(AnnouncementKind::parse("alert"), None);
        assert_eq!(Audience::parse("everyone"), None);
    }

    #[test]
    fn members_and_branch_heads_cannot_reach_past_their_place() {
        assert!(!may_send(Role::Member));
        assert!(Audience::Members.open_to(Role::BranchHead));
        assert!(!Audience::Officers.open_to(Role::BranchHead));
        assert!(!Audience::Members.open_to(Role::Member));
        assert!(Audience::Officers.open_to(Role::DistrictAdmin));
        // A branch has no branch heads below it, a branch no officers.
        assert!(!Audience::BranchHeads.fits(Level::Branch));
        assert!(Audience::BranchHeads.fits(Level::Grassroots));
        assert!(!Audience::Officers.fits(Level::Branch));
        assert!(Audience::Officers.fits(Level::District));
    }
}
