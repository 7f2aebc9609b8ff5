//! Platform adapters: they turn platform updates into [`crate::dialog`] events and the dialog's
//! replies into platform messages. They depend on the dialog core and delivery, never on each
//! other; adding a platform means adding a folder here.
//!
//! - [`telegram`]: buttons, edits, uploads; long polling or webhook.
//! - [`zalo`]: text only (choices as numbered lists), photos by URL; long polling or webhook.

pub mod telegram;
pub mod zalo;

use crate::dialog::Input;

/// `/baocao 2026-10` → a command; anything else is text.
pub fn command_or_text(text: &str) -> Input {
    if let Some(rest) = text.strip_prefix('/') {
        let (head, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = head.split('@').next().unwrap_or("").to_ascii_lowercase();
        if !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Input::Command {
                name,
                arg: arg.trim().to_owned(),
            };
        }
    }
    Input::Text(text.to_owned())
}
