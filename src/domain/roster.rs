//! The roster's values: a Vietnamese phone number in one stored form, a member's status, the
//! honorary flag as an operator writes it in a spreadsheet.

use std::fmt;

/// A Vietnamese mobile number, stored as ten digits starting with 0 (`0912345678`). Typed or
/// imported as `+84 912 345 678`, `84912345678`, `0912.345.678` or `(091) 234-5678`, it is the
/// same number. Its `Debug` hides the digits: a phone number is never written to the log.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// The number in `text`, if it is a Vietnamese mobile number (prefixes 03, 05, 07, 08, 09).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 24 {
            return None;
        }
        let mut digits = String::new();
        for (i, c) in text.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return None,
            }
        }
        let national = if let Some(rest) = digits.strip_prefix("84")
            && rest.len() == 9
        {
            format!("0{rest}")
        } else {
            digits
        };
        let ok = national.len() == 10
            && national.starts_with('0')
            && matches!(national.as_bytes()[1], b'3' | b'5' | b'7' | b'8' | b'9');
        ok.then_some(Self(national))
    }

    /// The stored form, `0912345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As a reader expects it: `0912 345 678`.
    pub fn pretty(&self) -> String {
        format!("{} {} {}", &self.0[..4], &self.0[4..7], &self.0[7..])
    }

    /// A stored number, as it was stored.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(…)")
    }
}

/// Where a member stands, as her officers keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    Active,
    /// Nobody can reach her (no phone answers, not on the bot).
    Unreachable,
    /// Working far from home (đi làm ăn xa).
    Away,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 3] = [
        MemberStatus::Active,
        MemberStatus::Unreachable,
        MemberStatus::Away,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Unreachable => "unreachable",
            MemberStatus::Away => "away",
        }
    }

    /// The stored word, or what an operator writes in the file: English or Vietnamese, with or
    /// without diacritics ("đi làm ăn xa", "di lam an xa"); empty means active.
    pub fn parse(text: &str) -> Option<Self> {
        let t = fold(text);
        Some(match t.as_str() {
            "" | "active" | "hoat dong" | "binh thuong" | "o nha" => MemberStatus::Active,
            "unreachable" | "khong lien lac duoc" | "mat lien lac" => MemberStatus::Unreachable,
            "away" | "far" | "di lam an xa" | "lam an xa" => MemberStatus::Away,
            _ => return None,
        })
    }
}

/// The honorary column: yes/no, 1/0, có/không, x or empty.
pub fn parse_honorary(text: &str) -> Option<bool> {
    match fold(text).as_str() {
        "" | "0" | "no" | "n" | "false" | "khong" => Some(false),
        "1" | "yes" | "y" | "true" | "x" | "co" | "danh du" => Some(true),
        _ => None,
    }
}

/// A name as compared: lower case, no diacritics, single spaces ("Nguyễn  Thị Hoa" and
/// "nguyen thi hoa" are one name).
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            c => c,
        };
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_however_it_is_written() {
        for written in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "+84 912 345 678",
            "84912345678",
            "(091) 234-5678",
        ] {
            assert_eq!(
                Phone::parse(written).map(|p| p.as_str().to_owned()),
                Some("0912345678".to_owned()),
                "{written}"
            );
        }
        assert_eq!(Phone::parse("0912345678").unwrap().pretty(), "0912 345 678");
    }

    #[test]
    fn what_is_not_a_vietnamese_mobile_is_refused() {
        for bad in [
            "",
            "091234567",
            "09123456789",
            "0212345678",
            "1912345678",
            "0912-345-67a",
            "091234567８",
            "+1 912 345 678",
            "số 0912345678",
            "0912345678 ☎",
        ] {
            assert_eq!(Phone::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_phone_never_shows_in_debug_output() {
        let p = Phone::parse("0912345678").unwrap();
        assert!(!format!("{p:?}").contains("345"));
    }

    #[test]
    fn statuses_and_honorary_read_as_operators_write_them() {
        assert_eq!(
            MemberStatus::parse("Đi làm ăn xa"),
            Some(MemberStatus::Away)
        );
        assert_eq!(
            MemberStatus::parse("di lam an xa"),
            Some(MemberStatus::Away)
        );
        assert_eq!(MemberStatus::parse(""), Some(MemberStatus::Active));
        assert_eq!(
            MemberStatus::parse("unreachable"),
            Some(MemberStatus::Unreachable)
        );
        assert_eq!(MemberStatus::parse("gone"), None);
        for s in MemberStatus::ALL {
            assert_eq!(MemberStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(parse_honorary("Có"), Some(true));
        assert_eq!(parse_honorary("x"), Some(true));
        assert_eq!(parse_honorary(""), Some(false));
        assert_eq!(parse_honorary("không"), Some(false));
        assert_eq!(parse_honorary("maybe"), None);
        assert_eq!(fold("  Nguyễn  Thị Hoa "), "nguyen thi hoa");
    }
}
