//! Long lists of choices, a page at a time: a keyboard whose size depends on data (branches to
//! join, members, child units in the admins' views, open alerts) shows at most one page of
//! entries plus "« Trước" / "Xem thêm »". Telegram then never gets a keyboard larger than it
//! takes, and a text-only platform (Zalo) numbers the same short list.
//!
//! Dialog steps keep their page in their state and move with the `pg:<n>` token
//! ([`step_token`], [`asked_page`]); the admins' views outside a dialog carry the page in their
//! own choice data (the caller says how, in [`Page::nav`]).

use super::PAGE_SIZE;
use crate::i18n::Lang;
use crate::tr;

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page<'a, T> {
    /// The entries on this page.
    pub shown: &'a [T],
    /// This page, from 0 (a page past the end is the last one: the list may have shrunk since
    /// the button was made).
    pub number: usize,
    /// How many pages there are (at least 1, even for an empty list).
    pub pages: usize,
}

impl<'a, T> Page<'a, T> {
    /// Page `number` of `items`, [`PAGE_SIZE`] at a time.
    pub fn of(items: &'a [T], number: usize) -> Self {
        Self::sized(items, number, PAGE_SIZE)
    }

    /// Page `number` of `items`, `size` at a time.
    pub fn sized(items: &'a [T], number: usize, size: usize) -> Self {
        let size = size.max(1);
        let pages = items.len().div_ceil(size).max(1);
        let number = number.min(pages - 1);
        let start = (number * size).min(items.len());
        let end = (start + size).min(items.len());
        Self {
            shown: &items[start..end],
            number,
            pages,
        }
    }

    /// Whether a page follows this one.
    pub fn has_more(&self) -> bool {
        self.number + 1 < self.pages
    }

    /// The buttons to the page before and the page after (those that exist), as (label, data)
    /// with `to(page)` making the data; empty when everything fits on one page.
    pub fn nav(&self, lang: Lang, to: impl Fn(usize) -> String) -> Vec<(String, String)> {
        let mut nav = Vec::new();
        if self.number > 0 {
            nav.push((tr!(lang, "button-prev"), to(self.number - 1)));
        }
        if self.has_more() {
            nav.push((tr!(lang, "button-more"), to(self.number + 1)));
        }
        nav
    }
}

/// The token of a dialog step's page button.
pub(crate) fn step_token(page: usize) -> String {
    format!("pg:{page}")
}

/// The page a step's token asks for: `None` when it is no page button, `Some(None)` when it
/// is one that does not parse (made up).
pub(crate) fn asked_page(token: &str) -> Option<Option<usize>> {
    token.strip_prefix("pg:").map(|p| p.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_shows_one_page_and_the_way_on_and_back() {
        let items: Vec<u32> = (0..20).collect();
        let first = Page::of(&items, 0);
        assert_eq!(first.shown, &items[..PAGE_SIZE]);
        assert_eq!(first.pages, 3);
        let nav = first.nav(Lang::Vi, step_token);
        assert_eq!(nav, vec![("Xem thêm »".to_owned(), "pg:1".to_owned())]);
        let middle = Page::of(&items, 1);
        let nav = middle.nav(Lang::Vi, |p| format!("v:7:2026-11:{p}"));
        assert_eq!(
            nav,
            vec![
                ("« Trước".to_owned(), "v:7:2026-11:0".to_owned()),
                ("Xem thêm »".to_owned(), "v:7:2026-11:2".to_owned())
            ]
        );
        // Past the end (the list shrank since): the last page.
        let last = Page::of(&items, 9);
        assert_eq!(last.number, 2);
        assert_eq!(last.shown, &items[16..]);
        assert!(!last.has_more());
        assert_eq!(last.nav(Lang::Vi, step_token).len(), 1);
    }

    #[test]
    fn a_short_or_empty_list_has_no_page_buttons() {
        let few = [1, 2, 3];
        assert!(Page::of(&few, 0).nav(Lang::Vi, step_token).is_empty());
        let none: [u8; 0] = [];
        let page = Page::of(&none, 3);
        assert!(page.shown.is_empty());
        assert_eq!((page.number, page.pages), (0, 1));
        assert_eq!(Page::sized(&few, 1, 2).shown, &[3]);
    }

    #[test]
    fn page_tokens_are_read_strictly() {
        assert_eq!(asked_page(&step_token(4)), Some(Some(4)));
        assert_eq!(asked_page("pg:x"), Some(None));
        assert_eq!(asked_page("u:4"), None);
    }
}
