//! User-visible text. Every string a user sees lives in `locales/<lang>/<area>.ftl` (Fluent),
//! Vietnamese first, English beside it with the same ids; ids are prefixed by area
//! (`report-…`, `join-…`). Every lookup names its language explicitly: each user has her own.

use std::borrow::Cow;
use std::collections::HashMap;

pub use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "vi",
        // Unicode isolation marks around arguments show up as boxes in some Telegram clients.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static VI: LanguageIdentifier = langid!("vi");
static EN: LanguageIdentifier = langid!("en");

/// The languages the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Vietnamese unless the platform says her phone is set to English.
    pub fn from_platform_hint(hint: Option<&str>) -> Self {
        match hint {
            Some(code) if code.starts_with("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }
}

/// The message `id` in `lang`.
pub fn t(lang: Lang, id: &str) -> String {
    t_args(lang, id, &[])
}

/// The message `id` in `lang` with Fluent arguments. A missing id is a bug: it is logged and the
/// id itself is shown rather than nothing.
pub fn t_args(lang: Lang, id: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
        .collect();
    let found = if map.is_empty() {
        LOCALES.try_lookup(lang.id(), id)
    } else {
        LOCALES.try_lookup_with_args(lang.id(), id, &map)
    };
    found.unwrap_or_else(|| {
        tracing::error!(id, lang = lang.code(), "missing message id");
        id.to_owned()
    })
}

/// `tr!(lang, "report-period-title", period = p.to_string())`.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $id:expr $(,)?) => {
        $crate::i18n::t($lang, $id)
    };
    ($lang:expr, $id:expr, $($key:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::t_args($lang, $id, &[$((stringify!($key), $crate::i18n::FluentValue::from($value))),+])
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn ids_in(lang: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut ids = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ftl") {
                let src = std::fs::read_to_string(&path).unwrap();
                let res = fluent_templates::fluent_bundle::FluentResource::try_new(src)
                    .unwrap_or_else(|(_, errs)| panic!("{}: {errs:?}", path.display()));
                for entry in res.entries() {
                    if let fluent_syntax::ast::Entry::Message(m) = entry {
                        assert!(
                            ids.insert(m.id.name.to_owned()),
                            "duplicate id {} in {lang}",
                            m.id.name
                        );
                    }
                }
            }
        }
        ids
    }

    #[test]
    fn vietnamese_and_english_define_the_same_message_ids() {
        let vi = ids_in("vi");
        let en = ids_in("en");
        assert!(vi.len() > 50, "only {} ids", vi.len());
        let only_vi: Vec<_> = vi.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&vi).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "only vi: {only_vi:?}; only en: {only_en:?}"
        );
    }

    #[test]
    fn every_message_id_used_in_the_code_exists() {
        let vi = ids_in("vi");
        let mut missing = Vec::new();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let code = std::fs::read_to_string(&path).unwrap();
                    for id in used_ids(&code) {
                        if !vi.contains(&id) {
                            missing.push(format!("{}: {id}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "ids used but not defined: {missing:?}");
    }

    /// Ids passed as literals to the `tr!` macro, e.g. `tr!(lang, "menu-title")`.
    fn used_ids(code: &str) -> Vec<String> {
        code.match_indices("tr!(")
            .filter_map(|(pos, m)| {
                let rest = &code[pos + m.len()..];
                let after_lang = &rest[rest.find(',')? + 1..];
                let lit = after_lang.trim_start().strip_prefix('"')?;
                let id = &lit[..lit.find('"')?];
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                    .then(|| id.to_owned())
            })
            .collect()
    }

    #[test]
    fn lookups_fill_arguments_without_isolation_marks() {
        let text = crate::tr!(Lang::Vi, "report-period-title", period = "11/2026");
        assert!(text.contains("11/2026"), "{text}");
        assert!(!text.contains('\u{2068}'));
        assert_ne!(t(Lang::En, "help-title"), t(Lang::Vi, "help-title"));
    }

    /// Texts read the same on Telegram (buttons) and on Zalo (a numbered list, answered by
    /// number or words): nobody is told to tap a button, and no platform is named.
    #[test]
    fn no_text_assumes_buttons_or_a_platform() {
        let banned: &[(&str, &[&str])] = &[
            (
                "vi",
                &["bấm", "nút", "telegram", "zalo", "hệ thống", "\"", "«", "»"],
            ),
            ("en", &["tap", "button", "telegram", "zalo", "system", "\""]),
        ];
        let mut found = Vec::new();
        for (lang, words) in banned {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("locales")
                .join(lang);
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                // Export column headers are not read in a chat.
                if path.file_name().is_some_and(|n| n == "export.ftl") {
                    continue;
                }
                // Linking the two apps (`/lienket`), where to get a file and how an invite is
                // used (a link on one, a code on the other) are about the apps by name; nothing
                // else may name them.
                let names_apps = path
                    .file_name()
                    .is_some_and(|n| n == "channels.ftl" || n == "invites.ftl");
                for line in std::fs::read_to_string(&path).unwrap().lines() {
                    if line.starts_with('#') {
                        continue;
                    }
                    // The value only: ids such as `button-skip` are not shown.
                    let value = match line.split_once(" = ") {
                        Some((id, v)) if !id.starts_with(' ') => v,
                        _ => line,
                    };
                    // Fluent's own quoting of literals (`{"\u000A"}`, `{ "{" }`) is not text.
                    let value = value
                        .replace("{ \"{\" }", "")
                        .replace("{ \"}\" }", "")
                        .replace("{\"", "")
                        .replace("\"}", "");
                    let lower = value.to_lowercase();
                    for w in *words {
                        if names_apps && matches!(*w, "telegram" | "zalo") {
                            continue;
                        }
                        // « » are page arrows on buttons, never quotes in a sentence.
                        let is_arrow = matches!(*w, "«" | "»") && line.starts_with("button-");
                        if lower.contains(w) && !is_arrow {
                            found.push(format!("{}: {w}: {line}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn zero_and_one_read_naturally() {
        let vi = crate::tr!(
            Lang::Vi,
            "remind-all-summary",
            people = 2,
            units = 4,
            nobody = 0
        );
        assert_eq!(vi, "🔔 Đã gửi nhắc nhở tới 2 người ở 4 đơn vị chưa nộp.");
        let vi = crate::tr!(
            Lang::Vi,
            "remind-all-summary",
            people = 2,
            units = 4,
            nobody = 2
        );
        assert_eq!(
            vi,
            "🔔 Đã gửi nhắc nhở tới 2 người ở 4 đơn vị chưa nộp. 2 đơn vị chưa có ai dùng bot."
        );
        let vi = crate::tr!(
            Lang::Vi,
            "remind-all-summary",
            people = 0,
            units = 4,
            nobody = 2
        );
        assert!(!vi.contains(" 0 "), "{vi}");
        let en = crate::tr!(Lang::En, "urgent-sent", count = 1);
        assert!(
            en.starts_with("✅ Urgent report sent to 1 officer."),
            "{en}"
        );
        for lang in Lang::ALL {
            let confirm = |measure: &str, photos: i64| {
                crate::tr!(
                    lang,
                    "activity-confirm",
                    kind = "K",
                    date = "15/11/2026",
                    amount = 3,
                    unit = "U",
                    measure = measure.to_owned(),
                    description = "D",
                    photos = photos
                )
            };
            let counted = confirm("count", 0);
            assert!(
                !counted.contains("3 U") && counted.contains(": 3"),
                "{counted}"
            );
            assert!(!counted.contains("• 0"), "{counted}");
            let people = confirm("participants", 2);
            assert!(
                people.contains("• 3 U") && people.contains("• 2 "),
                "{people}"
            );
        }
    }

    #[test]
    fn platform_hint_picks_english_only_when_asked() {
        assert_eq!(Lang::from_platform_hint(Some("en-US")), Lang::En);
        assert_eq!(Lang::from_platform_hint(Some("vi")), Lang::Vi);
        assert_eq!(Lang::from_platform_hint(None), Lang::Vi);
    }
}
