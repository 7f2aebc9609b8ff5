//! Roles a person holds in her unit. The names are the CLI's (operators script them); the bot
//! shows Vietnamese labels from `locales/`.

use std::fmt;
use std::str::FromStr;

/// Declared lowest first: the derived order is the hierarchy (see [`Role::outranks`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    BranchHead,
    GrassrootsOfficer,
    DistrictAdmin,
    ProvinceAdmin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Member,
        Role::BranchHead,
        Role::GrassrootsOfficer,
        Role::DistrictAdmin,
        Role::ProvinceAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::BranchHead => "branch_head",
            Role::GrassrootsOfficer => "grassroots_officer",
            Role::DistrictAdmin => "district_admin",
            Role::ProvinceAdmin => "province_admin",
        }
    }

    /// Branch heads and grassroots officers file the monthly public-opinion report for their unit.
    pub fn files_monthly_report(self) -> bool {
        matches!(self, Role::BranchHead | Role::GrassrootsOfficer)
    }

    /// Roles that receive urgent reports raised at or below their unit.
    pub fn receives_urgent_reports(self) -> bool {
        matches!(
            self,
            Role::GrassrootsOfficer | Role::DistrictAdmin | Role::ProvinceAdmin
        )
    }

    /// Roles that decide on members' requests to join their unit.
    pub fn approves_joins(self) -> bool {
        matches!(self, Role::BranchHead | Role::GrassrootsOfficer)
    }

    /// Whether `self` stands strictly above `other`: one may take access away only from people
    /// below her, never from her equals or those above.
    pub fn outranks(self, other: Role) -> bool {
        self > other
    }

    /// Roles that see their branch's people in chat (`/hoivien`) and may remove a member.
    pub fn manages_members(self) -> bool {
        matches!(self, Role::BranchHead)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unknown role {0:?}; expected one of member, branch_head, grassroots_officer, district_admin, province_admin"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_cli_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn only_heads_and_officers_file_the_monthly_report() {
        let filers: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.files_monthly_report())
            .collect();
        assert_eq!(filers, vec![Role::BranchHead, Role::GrassrootsOfficer]);
    }

    #[test]
    fn nobody_outranks_her_equals_or_those_above() {
        for (i, a) in Role::ALL.into_iter().enumerate() {
            for (j, b) in Role::ALL.into_iter().enumerate() {
                assert_eq!(a.outranks(b), i > j, "{a} over {b}");
            }
        }
        assert!(Role::BranchHead.outranks(Role::Member));
        assert!(!Role::BranchHead.outranks(Role::BranchHead));
    }
}
