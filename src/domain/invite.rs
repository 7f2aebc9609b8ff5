//! Invite codes: unguessable (128 random bits), URL-safe, short enough for a Telegram deep link
//! (`/start <code>`, at most 64 characters of `A-Za-z0-9_-`); and who may invite whom in chat
//! (`/moi`): each officer the level right below her, inside her own subtree.

use std::fmt;

use super::org::Level;
use super::role::Role;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

/// 16 random bytes → 22 base64url characters.
const CODE_BYTES: usize = 16;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InviteCode(String);

impl InviteCode {
    pub fn generate() -> Self {
        let mut bytes = [0u8; CODE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts what a user may paste or a deep link may carry; anything else is not a code.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let ok = (16..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `https://t.me/<bot>?start=<code>`.
    pub fn deep_link(&self, bot_username: &str) -> String {
        format!("https://t.me/{bot_username}?start={}", self.0)
    }
}

/// Codes are credentials: never print them whole in logs.
impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteCode({}…)", &self.0[..4.min(self.0.len())])
    }
}

/// Uses of an invite made in chat: as many people as come before it expires (or is revoked).
pub const OPEN_USES: i64 = i64::MAX;

/// How long an invite made in chat stays open, in days: the short list she picks from.
pub const VALID_DAYS: [u32; 3] = [1, 7, 30];

/// Whom `inviter` invites in chat: the role right below hers, at units of which level (`None`:
/// her own unit, the branch a branch head invites her members into). A member invites nobody.
/// `district_tier` says whether her tree has districts below her: since July 2025 many
/// provinces have none, and a province admin then invites the grassroots officers right below.
pub fn invites(inviter: Role, district_tier: bool) -> Option<(Role, Option<Level>)> {
    match inviter {
        Role::ProvinceAdmin if !district_tier => {
            Some((Role::GrassrootsOfficer, Some(Level::Grassroots)))
        }
        Role::ProvinceAdmin => Some((Role::DistrictAdmin, Some(Level::District))),
        Role::DistrictAdmin => Some((Role::GrassrootsOfficer, Some(Level::Grassroots))),
        Role::GrassrootsOfficer => Some((Role::BranchHead, Some(Level::Branch))),
        Role::BranchHead => Some((Role::Member, None)),
        Role::Member => None,
    }
}

/// The role an invite made by `inviter` (of the unit at `her_path`; see [`invites`] for
/// `district_tier`) into the unit at
/// `target_path` (of `target_level`) may grant, if she may make it at all: only inside her
/// subtree, only the role right below hers, and below her own unit — but for a branch head,
/// whose members join her own branch. Paths are the tree's `/1/4/17/`.
pub fn grant(
    inviter: Role,
    district_tier: bool,
    her_path: &str,
    target_path: &str,
    target_level: Level,
) -> Option<Role> {
    let (role, level) = invites(inviter, district_tier)?;
    let allowed = match level {
        None => target_path == her_path,
        Some(level) => {
            target_level == level
                && target_path.len() > her_path.len()
                && target_path.starts_with(her_path)
        }
    };
    allowed.then_some(role)
}

/// Why a code could not be redeemed; each has its own message for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteRefusal {
    Unknown,
    /// An operator revoked it (`chihoi invite revoke`).
    Revoked,
    Expired,
    UsedUp,
    /// She used it before, and the role it gave her has since been changed or taken away: an
    /// old link does not give it back.
    AlreadyUsed,
}

/// Where an invite stands, as `chihoi invite list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteStatus {
    Open,
    Used,
    Expired,
    Revoked,
}

impl InviteStatus {
    /// Revoked first (an operator's decision), then used up, then expired.
    pub fn of(uses: i64, max_uses: i64, expires_at: i64, revoked: bool, now: i64) -> Self {
        if revoked {
            InviteStatus::Revoked
        } else if uses >= max_uses {
            InviteStatus::Used
        } else if expires_at <= now {
            InviteStatus::Expired
        } else {
            InviteStatus::Open
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InviteStatus::Open => "open",
            InviteStatus::Used => "used",
            InviteStatus::Expired => "expired",
            InviteStatus::Revoked => "revoked",
        }
    }
}

/// For each code, the length of its shortest prefix (at least `min` characters) that no other
/// code shares: enough for an operator to name an invite without the whole code being printed.
pub fn unique_prefix_lengths(codes: &[&str], min: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..codes.len()).collect();
    order.sort_by_key(|&i| codes[i]);
    let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let mut lengths = vec![min; codes.len()];
    for (k, &i) in order.iter().enumerate() {
        let before = k
            .checked_sub(1)
            .map_or(0, |p| common(codes[order[p]], codes[i]));
        let after = order.get(k + 1).map_or(0, |&n| common(codes[n], codes[i]));
        lengths[i] = (before.max(after) + 1).max(min).min(codes[i].len());
    }
    lengths
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_codes_fit_a_deep_link_and_carry_128_bits() {
        let code = InviteCode::generate();
        assert_eq!(code.as_str().len(), 22);
        assert!(InviteCode::parse(code.as_str()).is_some());
        assert_eq!(
            code.deep_link("chihoi_bot"),
            format!("https://t.me/chihoi_bot?start={}", code.as_str())
        );
    }

    #[test]
    fn generated_codes_do_not_repeat() {
        let codes: HashSet<String> = (0..10_000).map(|_| InviteCode::generate().0).collect();
        assert_eq!(codes.len(), 10_000);
    }

    #[test]
    fn pasted_junk_is_not_a_code() {
        for junk in [
            "",
            "short",
            "has space in it here",
            "ký-tự-tiếng-việt-không-hợp-lệ",
            &"x".repeat(65),
        ] {
            assert!(InviteCode::parse(junk).is_none(), "{junk}");
        }
    }

    #[test]
    fn prefixes_are_as_short_as_allowed_and_never_shared() {
        let codes = ["abcdefgh1", "abcdefgh2", "zzzzzzzzz", "abcdxxxxx"];
        assert_eq!(unique_prefix_lengths(&codes, 6), vec![9, 9, 6, 6]);
        let many: Vec<String> = (0..2000).map(|_| InviteCode::generate().0).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let lengths = unique_prefix_lengths(&refs, 6);
        for (i, code) in refs.iter().enumerate() {
            let prefix = &code[..lengths[i]];
            assert!(lengths[i] >= 6 && lengths[i] < code.len());
            assert_eq!(refs.iter().filter(|c| c.starts_with(prefix)).count(), 1);
        }
    }

    #[test]
    fn a_revoked_invite_reads_revoked_whatever_else_holds() {
        assert_eq!(InviteStatus::of(0, 1, 100, false, 50), InviteStatus::Open);
        assert_eq!(InviteStatus::of(1, 1, 100, false, 50), InviteStatus::Used);
        assert_eq!(
            InviteStatus::of(0, 1, 100, false, 100),
            InviteStatus::Expired
        );
        assert_eq!(InviteStatus::of(1, 1, 10, true, 50), InviteStatus::Revoked);
    }

    #[test]
    fn each_officer_invites_only_the_level_right_below_her_inside_her_subtree() {
        let province = "/1/";
        let district = "/1/2/";
        let commune = "/1/2/3/";
        let branch = "/1/2/3/4/";
        let other_branch = "/1/2/3/5/";
        let far_branch = "/1/9/10/11/";
        use Level::*;
        let cases = [
            (
                Role::ProvinceAdmin,
                province,
                district,
                District,
                Some(Role::DistrictAdmin),
            ),
            (Role::ProvinceAdmin, province, commune, Grassroots, None),
            (
                Role::DistrictAdmin,
                district,
                commune,
                Grassroots,
                Some(Role::GrassrootsOfficer),
            ),
            (Role::DistrictAdmin, district, "/1/9/10/", Grassroots, None),
            (Role::DistrictAdmin, district, district, District, None),
            (
                Role::GrassrootsOfficer,
                commune,
                branch,
                Branch,
                Some(Role::BranchHead),
            ),
            (Role::GrassrootsOfficer, commune, far_branch, Branch, None),
            (Role::GrassrootsOfficer, commune, commune, Grassroots, None),
            (Role::BranchHead, branch, branch, Branch, Some(Role::Member)),
            (Role::BranchHead, branch, other_branch, Branch, None),
            (Role::BranchHead, branch, "/1/2/3/4/6/", Group, None),
            (Role::Member, branch, branch, Branch, None),
        ];
        for (inviter, hers, target, level, granted) in cases {
            assert_eq!(
                grant(inviter, true, hers, target, level),
                granted,
                "{inviter} → {target}"
            );
        }
        // A path that merely shares a prefix of digits is not below her.
        assert_eq!(
            grant(Role::DistrictAdmin, true, "/1/2/", "/1/23/4/", Grassroots),
            None
        );
        // A province without districts: her admins invite the grassroots officers below.
        assert_eq!(
            grant(Role::ProvinceAdmin, false, province, "/1/3/", Grassroots),
            Some(Role::GrassrootsOfficer)
        );
        assert_eq!(
            grant(Role::ProvinceAdmin, false, province, "/1/3/4/", Branch),
            None
        );
        // Never a role at or above her own.
        for inviter in Role::ALL {
            for tier in [true, false] {
                if let Some((role, _)) = invites(inviter, tier) {
                    assert!(inviter.outranks(role));
                }
            }
        }
    }

    #[test]
    fn debug_output_hides_the_code() {
        let code = InviteCode::generate();
        assert!(!format!("{code:?}").contains(code.as_str()));
    }
}
