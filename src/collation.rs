//! Vietnamese order of names, for every list people read: units in the views, pickers, charts
//! and exports, people in the member list and `chihoi user list`.
//!
//! Byte order gets Vietnamese wrong: it puts "Đông" after "Zô" and "Ân" after "Bình". The
//! databases cannot be asked either: SQLite's and PostgreSQL's collations differ, and
//! PostgreSQL's depends on how the server was installed. So lists are read in no order (or in a
//! domain order) and sorted here, with ICU4X's collator and CLDR's `vi` tailoring:
//! a ă â b c d đ e ê … o ô ơ … u ư …, tones as secondary differences ("Ha" < "Hà" < "Hạ", all
//! before "Hai").

use std::cmp::Ordering;
use std::sync::LazyLock;

use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed};
use icu_locale_core::locale;

/// Built once: the data is compiled into the binary, so building cannot fail for `vi`
/// (`the_vietnamese_collator_is_built` proves it).
static VIETNAMESE: LazyLock<CollatorBorrowed<'static>> = LazyLock::new(|| {
    Collator::try_new(locale!("vi").into(), CollatorOptions::default())
        .expect("compiled collation data covers vi")
});

/// Two names (of units, or any text shown in a list) in Vietnamese order. Names the collator
/// holds equal (only ever identical ones at its default strength) fall back to byte order, so
/// that sorting is a total order and stable across runs.
pub fn compare(a: &str, b: &str) -> Ordering {
    VIETNAMESE.compare(a, b).then_with(|| a.cmp(b))
}

/// Two people's names in the order of a Vietnamese list (danh sách): by given name, then by
/// the whole name.
///
/// A Vietnamese name is family, middle, given ("Nguyễn Thị Lan"), and the people in a branch
/// mostly share a handful of family names (Nguyễn, Trần, Lê …), so sorting by the whole name
/// puts half the list under "N". Lists at school, at work and in the Union's own registers go
/// by the given name, the last word, and so do we. A name typed the Western way round
/// ("Lan Nguyen") then sorts under its last word too; chat names are mostly Vietnamese, and a
/// list that is occasionally off for those beats one that is always off for everyone else.
pub fn compare_people(a: &str, b: &str) -> Ordering {
    compare(given_name(a), given_name(b)).then_with(|| compare(a, b))
}

/// The last word of a name (the whole name when it has one word).
fn given_name(name: &str) -> &str {
    name.split_whitespace().next_back().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str], by: fn(&str, &str) -> Ordering) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| by(a, b));
        v
    }

    #[test]
    fn the_vietnamese_collator_is_built() {
        LazyLock::force(&VIETNAMESE);
    }

    #[test]
    fn d_with_stroke_sorts_after_every_d() {
        // Byte order puts "Đ" (U+0110) after "Z"; Vietnamese puts it right after "D".
        assert_eq!(
            sorted(&["Đông Hợp", "Dương Xá", "Em", "Dịch Vọng", "Zô"], compare),
            ["Dịch Vọng", "Dương Xá", "Đông Hợp", "Em", "Zô"]
        );
    }

    #[test]
    fn breve_and_circumflex_letters_follow_their_base_letter() {
        // a < ă < â < b, whatever follows: "Ân" comes after every "An…", byte order puts it
        // after "B".
        assert_eq!(
            sorted(&["Bình", "Ân", "Anh", "Ăn", "An", "Ất"], compare),
            ["An", "Anh", "Ăn", "Ân", "Ất", "Bình"]
        );
        assert_eq!(
            sorted(&["Ơn", "Ôn", "On", "Pha"], compare),
            ["On", "Ôn", "Ơn", "Pha"]
        );
    }

    #[test]
    fn u_with_horn_follows_every_u() {
        assert_eq!(
            sorted(&["Ưng", "Uyên", "Út", "Vân"], compare),
            ["Út", "Uyên", "Ưng", "Vân"]
        );
    }

    #[test]
    fn tones_are_secondary_differences() {
        // The tone decides only between otherwise equal letters: no tone, huyền, …, nặng; a
        // following letter outweighs any tone.
        assert_eq!(
            sorted(&["Hai", "Hạ", "Hà", "Ha"], compare),
            ["Ha", "Hà", "Hạ", "Hai"]
        );
        assert_eq!(compare("Hà", "Hà"), Ordering::Equal);
    }

    #[test]
    fn people_sort_by_given_name_then_whole_name() {
        assert_eq!(
            sorted(
                &[
                    "Nguyễn Thị Lan",
                    "Trần Thị Ánh",
                    "Lê Thị Lan",
                    "Nguyễn Thị Đào",
                    "Hoa",
                ],
                compare_people
            ),
            [
                "Trần Thị Ánh",
                "Nguyễn Thị Đào",
                "Hoa",
                "Lê Thị Lan",
                "Nguyễn Thị Lan"
            ]
        );
    }
}
