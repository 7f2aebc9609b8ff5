//! Polls and comments on drafts (`/laykien`): what a round of asking holds — its options, how
//! long it stays open — and who may run one. Plain types; the flow is `dialog::polls`, the rows
//! `storage::polls`. Who receives it is an announcement's [`Audience`](super::announcement::Audience).

use crate::domain::report::{TextRefusal, clean_text};
use crate::domain::role::Role;

/// Fewest and most options a poll offers (none at all: comments only).
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 5;
/// Longest option, in characters: one short line on a phone, and a button label.
pub const MAX_OPTION_CHARS: usize = 40;
/// Longest question (or draft's name and what to comment on).
pub const MAX_QUESTION_CHARS: usize = 500;
/// Longest comment a recipient writes.
pub const MAX_COMMENT_CHARS: usize = 1000;
/// How long a poll may stay open, in days: the short list she picks from.
pub const CLOSING_DAYS: [u32; 3] = [1, 3, 7];

/// The same officers as announcements: officers and above for their subtree, a branch head
/// for her branch.
pub fn may_run(role: Role) -> bool {
    super::announcement::may_send(role)
}

/// A ready-made set of options, so that most polls need no typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Đồng ý / Không đồng ý / Ý kiến khác.
    AgreeDisagreeOther,
    /// Có / Không.
    YesNo,
}

impl Preset {
    pub const ALL: [Preset; 2] = [Preset::AgreeDisagreeOther, Preset::YesNo];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::AgreeDisagreeOther => "agree",
            Preset::YesNo => "yesno",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Why a typed option is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionRefusal {
    /// Empty, or too long for a line (see [`clean_text`]).
    Text(TextRefusal),
    /// The same option (forgiving case and spaces) is in the list already.
    Repeated,
    /// The list is full.
    Full,
}

/// Adds `typed` to `options` when it makes a fair option.
pub fn add_option(options: &mut Vec<String>, typed: &str) -> Result<(), OptionRefusal> {
    if options.len() >= MAX_OPTIONS {
        return Err(OptionRefusal::Full);
    }
    let option = clean_text(typed, MAX_OPTION_CHARS).map_err(OptionRefusal::Text)?;
    // One line: a line break inside an option would break the numbered list.
    let option = option.split_whitespace().collect::<Vec<_>>().join(" ");
    let key = option.to_lowercase();
    if options.iter().any(|o| o.to_lowercase() == key) {
        return Err(OptionRefusal::Repeated);
    }
    options.push(option);
    Ok(())
}

/// The share of `part` in `whole`, in whole percent (0 when nobody).
pub fn pct(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * 100 + whole / 2) / whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_short_distinct_and_at_most_five() {
        let mut o = Vec::new();
        assert_eq!(add_option(&mut o, "  Đồng   ý "), Ok(()));
        assert_eq!(o, vec!["Đồng ý".to_owned()]);
        assert_eq!(add_option(&mut o, "đồng ý"), Err(OptionRefusal::Repeated));
        assert!(matches!(
            add_option(&mut o, &"x".repeat(MAX_OPTION_CHARS + 1)),
            Err(OptionRefusal::Text(_))
        ));
        assert!(matches!(
            add_option(&mut o, "   "),
            Err(OptionRefusal::Text(_))
        ));
        for s in ["B", "C", "D", "E"] {
            add_option(&mut o, s).unwrap();
        }
        assert_eq!(add_option(&mut o, "F"), Err(OptionRefusal::Full));
        assert_eq!(o.len(), MAX_OPTIONS);
    }

    #[test]
    fn shares_round_to_whole_percent_and_nobody_is_zero() {
        assert_eq!(pct(1, 3), 33);
        assert_eq!(pct(2, 3), 67);
        assert_eq!(pct(0, 0), 0);
        assert_eq!(pct(5, 5), 100);
    }

    #[test]
    fn presets_round_trip_and_members_run_no_poll() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.as_str()), Some(p));
        }
        assert_eq!(Preset::parse("maybe"), None);
        assert!(!may_run(Role::Member));
        assert!(may_run(Role::BranchHead));
        assert!(may_run(Role::ProvinceAdmin));
    }
}
