//! Typed answers to a list of choices, for platforms without buttons (Zalo): she answers with
//! the number shown before an option (or its letter, when the step takes a number as its
//! answer) or with the option's words, forgiving case, missing diacritics, emoji and extra
//! spaces — "on dinh", " 2 " and "Ổn Định" all pick "Ổn định".

use unicode_normalization::UnicodeNormalization;

use crate::storage::choices::ShownChoices;

/// Letters marking choices in a step whose typed answer is a number.
pub const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// The marker shown before the `i`-th choice (0-based): `1.` or `a)`.
pub fn marker(i: usize, lettered: bool) -> String {
    if lettered {
        match LETTERS.get(i) {
            Some(&c) => format!("{})", c as char),
            None => format!("{})", i + 1),
        }
    } else {
        format!("{}.", i + 1)
    }
}

/// Lower case, no diacritics (đ → d), no emoji or punctuation, single spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The data of the choice her text picks, if any. `takes_text`: the current step also takes
/// free text, so only an exact marker or the option's full words count (a note that merely
/// contains an option's words is a note).
pub fn pick<'a>(shown: &'a ShownChoices, text: &str, takes_text: bool) -> Option<&'a str> {
    let trimmed = text
        .trim()
        .trim_end_matches(['.', ')', ':'])
        .trim_start_matches('(')
        .trim();
    let index = if shown.lettered {
        let mut chars = trimmed.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => LETTERS
                .iter()
                .position(|&l| l == c.to_ascii_lowercase() as u8),
            _ => None,
        }
    } else {
        trimmed.parse::<usize>().ok().and_then(|n| n.checked_sub(1))
    };
    if let Some(i) = index {
        return shown.items.get(i).map(|(_, data)| data.as_str());
    }
    let wanted = fold(text);
    if wanted.is_empty() {
        return None;
    }
    let folded: Vec<String> = shown.items.iter().map(|(label, _)| fold(label)).collect();
    if let Some(i) = folded.iter().position(|f| *f == wanted) {
        return Some(shown.items[i].1.as_str());
    }
    if takes_text || wanted.chars().count() < 3 {
        return None;
    }
    // One option whose words contain hers ("bao cao" for "📋 Báo cáo tháng").
    let padded = format!(" {wanted} ");
    let mut hits = folded
        .iter()
        .enumerate()
        .filter(|(_, f)| format!(" {f} ").contains(&padded));
    match (hits.next(), hits.next()) {
        (Some((i, _)), None) => Some(shown.items[i].1.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(labels: &[&str], lettered: bool) -> ShownChoices {
        ShownChoices {
            items: labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.to_string(), format!("d:1:{i}")))
                .collect(),
            lettered,
        }
    }

    #[test]
    fn folding_forgets_case_diacritics_emoji_and_spacing() {
        assert_eq!(fold("  Ổn Định "), "on dinh");
        assert_eq!(fold("📋 Báo cáo tháng"), "bao cao thang");
        assert_eq!(
            fold("Đời sống  văn hóa, tinh thần"),
            "doi song van hoa tinh than"
        );
        // Decomposed input (Unikey's "Unicode tổ hợp") folds the same way.
        assert_eq!(fold("O\u{302}\u{309}n đi\u{323}nh"), "on dinh");
    }

    #[test]
    fn a_number_or_the_words_pick_the_option() {
        let list = shown(&["Ổn định", "Khó khăn", "Rất khó khăn"], false);
        assert_eq!(pick(&list, " 2 ", false), Some("d:1:1"));
        assert_eq!(pick(&list, "2.", false), Some("d:1:1"));
        assert_eq!(pick(&list, "on dinh", false), Some("d:1:0"));
        assert_eq!(pick(&list, "Ổn Định", false), Some("d:1:0"));
        assert_eq!(pick(&list, "RẤT KHO KHAN", false), Some("d:1:2"));
        assert_eq!(pick(&list, "4", false), None);
        assert_eq!(pick(&list, "0", false), None);
        // "khó khăn" names one option exactly, though another contains it.
        assert_eq!(pick(&list, "kho khan", false), Some("d:1:1"));
        assert_eq!(pick(&list, "xin chào", false), None);
    }

    #[test]
    fn part_of_a_label_picks_only_when_unique_and_the_step_takes_no_text() {
        let list = shown(
            &["📋 Báo cáo tháng", "🚨 Báo cáo khẩn", "📝 Ghi hoạt động"],
            false,
        );
        assert_eq!(pick(&list, "hoat dong", false), Some("d:1:2"));
        assert_eq!(
            pick(&list, "bao cao", false),
            None,
            "two options contain it"
        );
        assert_eq!(pick(&list, "hoat dong", true), None, "a note, not a choice");
        assert_eq!(pick(&list, "ba", false), None, "too short to mean anything");
    }

    #[test]
    fn lettered_lists_leave_numbers_to_the_answer() {
        let list = shown(&["1–5 người", "6–20 người", "Trên 20 người"], true);
        assert_eq!(pick(&list, "2", true), None, "2 is a number of people");
        assert_eq!(pick(&list, "b", true), Some("d:1:1"));
        assert_eq!(pick(&list, "B)", true), Some("d:1:1"));
        assert_eq!(pick(&list, "6–20 người", true), Some("d:1:1"));
        assert_eq!(marker(1, true), "b)");
        assert_eq!(marker(1, false), "2.");
    }
}
