//! Lists of choices on a platform without buttons (Zalo), as the courier sends them: each ends
//! with one short line on how to answer it, in the recipient's language; and a notice that
//! reaches a chat in the middle of a dialog (an alert, a join request, a reminder, an overdue
//! summary) offers no numbers, which would be read as answers to her dialog's step, but says
//! how to act on it once she is done. Her typed answers then always mean what her dialog asks
//! (see `dialog::Engine::handle`).

use crate::dialog::{DialogState, Outbound};
use crate::i18n::Lang;
use crate::storage::outbox::{Kind, OutboxRow};
use crate::storage::{Conn, StorageError, users};
use crate::tr;

/// Makes `message`, which has choices, ready to be read as a numbered list in `row`'s chat.
pub(super) async fn prepare(
    conn: &mut Conn,
    row: &OutboxRow,
    message: &mut Outbound,
) -> Result<(), StorageError> {
    let recipient = users::user_in_chat(conn, &row.platform, &row.chat_id).await?;
    let lang = recipient
        .as_ref()
        .and_then(|u| Lang::parse(&u.lang))
        .unwrap_or_default();
    let in_dialog = match (&recipient, row.kind) {
        // Her own replies are the dialog's steps, or what she just asked for.
        (_, Kind::Reply) | (None, _) => false,
        (Some(user), _) => users::load_dialog(conn, user.id)
            .await?
            .is_some_and(|(_, json)| DialogState::from_json(&json) != DialogState::Idle),
    };
    if in_dialog {
        hold_back(lang, message);
    }
    if !message.choices.is_empty() {
        message.hint = Some(if message.lettered {
            tr!(lang, "list-hint-letters")
        } else {
            tr!(lang, "list-hint-numbers")
        });
    }
    Ok(())
}

/// Takes the choices that are not her dialog's own off a notice, and says where to act on it.
fn hold_back(lang: Lang, message: &mut Outbound) {
    let Some(first) = message
        .choices
        .iter()
        .flatten()
        .find(|c| !is_step(&c.data))
        .map(|c| c.data.clone())
    else {
        return;
    };
    for row in &mut message.choices {
        row.retain(|c| is_step(&c.data));
    }
    message.choices.retain(|row| !row.is_empty());
    let later = match first.split(':').next().unwrap_or_default() {
        "a" => tr!(lang, "notice-later-alert"),
        "j" => tr!(lang, "notice-later-join"),
        "p" => tr!(lang, "notice-later-report"),
        "r" => tr!(lang, "notice-later-progress"),
        "lk" => tr!(lang, "notice-later-link"),
        "n" | "nk" => tr!(lang, "notice-later-announcement"),
        "q" => tr!(lang, "notice-later-poll"),
        "tw" | "th" => tr!(lang, "notice-later-synthesis"),
        _ => tr!(lang, "notice-later-menu"),
    };
    message.text.push_str("\n\n");
    message.text.push_str(&later);
}

/// A choice of her current dialog's step (`d:<version>:<token>`): sent to her other app's
/// chat when a link is made, it is the list her typed answers pick from anyway.
fn is_step(data: &str) -> bool {
    data.starts_with("d:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialog::Choice;

    fn choice(label: &str, data: &str) -> Choice {
        Choice {
            label: label.into(),
            data: data.into(),
        }
    }

    #[test]
    fn a_notice_in_a_dialog_keeps_only_the_dialogs_own_choices() {
        let mut m = Outbound::text("c", "🙋 Hoa xin tham gia Chi hội Tây.");
        m.choices = vec![vec![
            choice("✅ Duyệt", "j:4:a"),
            choice("✖ Từ chối", "j:4:r"),
        ]];
        hold_back(Lang::Vi, &mut m);
        assert!(m.choices.is_empty());
        assert!(m.text.contains("/duyet"), "{}", m.text);
        let mut step = Outbound::text("c", "Phần 2/5");
        step.choices = vec![vec![choice("Ổn định", "d:7:s:stable")]];
        hold_back(Lang::Vi, &mut step);
        assert_eq!(step.choices.len(), 1);
        assert_eq!(step.text, "Phần 2/5");
    }
}
