//! Invite codes: unguessable (128 random bits), URL-safe, short enough for a Telegram deep link
//! (`/start <code>`, at most 64 characters of `A-Za-z0-9_-`).

use std::fmt;

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

/// Why a code could not be redeemed; each has its own message for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteRefusal {
    Unknown,
    Expired,
    UsedUp,
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
    fn debug_output_hides_the_code() {
        let code = InviteCode::generate();
        assert!(!format!("{code:?}").contains(code.as_str()));
    }
}
