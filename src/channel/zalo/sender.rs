//! Sends rendered messages to Zalo: choices become a list under the text ("1. Ổn định", or
//! "a) 1–5" where the step takes a number as its answer), texts over 2,000 characters go as
//! several messages cut at line or sentence ends, and a photo goes by its link.

use futures::future::BoxFuture;

use super::client::{ZaloClient, ZaloError};
use super::{MAX_TEXT_CHARS, PLATFORM, ZaloOptions};
use crate::delivery::split::split_text;
use crate::delivery::{Capabilities, SendOutcome, Sender};
use crate::dialog::picking::marker;
use crate::dialog::{AttachmentKind, Outbound};

pub struct ZaloSender {
    client: ZaloClient,
}

impl ZaloSender {
    pub fn new(options: &ZaloOptions) -> Result<Self, ZaloError> {
        Ok(Self {
            client: options.client()?,
        })
    }

    pub(super) fn from_client(client: ZaloClient) -> Self {
        Self { client }
    }
}

/// The text as Zalo shows it: the message, then its choices one per line, then how to answer
/// them.
pub fn render(message: &Outbound) -> String {
    let mut text = message.text.clone();
    let choices: Vec<_> = message.choices.iter().flatten().collect();
    if !choices.is_empty() {
        text.push('\n');
        for (i, choice) in choices.into_iter().enumerate() {
            text.push('\n');
            text.push_str(&marker(i, message.lettered));
            text.push(' ');
            text.push_str(&choice.label);
        }
        if let Some(hint) = &message.hint {
            text.push('\n');
            text.push_str(hint);
        }
    }
    text
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// What a Zalo error means for the courier. Zalo publishes no quota and sends no
/// `retry_after`: the courier pauses Zalo (only Zalo) for a while of its own.
fn outcome_of(e: ZaloError) -> SendOutcome {
    match e.code() {
        Some(429) => SendOutcome::RetryAfter(std::time::Duration::ZERO),
        // Documented as "internal server error", but what a person who cannot be written to
        // (blocked the bot, never wrote to it) gets: handled like Telegram's 403.
        Some(403) => SendOutcome::Unreachable(e.to_string()),
        Some(400 | 404) => SendOutcome::Rejected(e.to_string()),
        _ => SendOutcome::Transient(e.to_string()),
    }
}

impl Sender for ZaloSender {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            buttons: false,
            uploads: false,
            edits: false,
        }
    }

    fn parts(&self, message: &Outbound) -> u32 {
        let text = render(message);
        let photo = message
            .attachment
            .as_ref()
            .is_some_and(|a| a.kind == AttachmentKind::Photo && a.url.is_some());
        if photo && chars(&text) <= MAX_TEXT_CHARS {
            return 1;
        }
        let texts = split_text(&text, MAX_TEXT_CHARS, chars)
            .iter()
            .filter(|p| !p.trim().is_empty())
            .count();
        u32::try_from(texts + usize::from(photo))
            .unwrap_or(u32::MAX)
            .max(1)
    }

    fn send<'a>(&'a self, chat_id: &'a str, message: &'a Outbound) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            let text = render(message);
            let photo = message
                .attachment
                .as_ref()
                .filter(|a| a.kind == AttachmentKind::Photo)
                .and_then(|a| a.url.clone());
            if let Some(url) = photo {
                if chars(&text) <= MAX_TEXT_CHARS {
                    let caption = (!text.is_empty()).then_some(text.as_str());
                    return match self.client.send_photo(chat_id, &url, caption).await {
                        Ok(_) => SendOutcome::Sent,
                        Err(e) => outcome_of(e),
                    };
                }
                if let Err(e) = self.client.send_photo(chat_id, &url, None).await {
                    return outcome_of(e);
                }
            }
            for part in split_text(&text, MAX_TEXT_CHARS, chars) {
                if part.trim().is_empty() {
                    continue;
                }
                if let Err(e) = self.client.send_message(chat_id, &part).await {
                    return outcome_of(e);
                }
            }
            SendOutcome::Sent
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialog::Choice;

    fn choice(label: &str) -> Choice {
        Choice {
            label: label.into(),
            data: format!("d:1:{label}"),
        }
    }

    #[test]
    fn choices_are_listed_with_numbers_or_letters() {
        let mut m = Outbound::text("c", "Tình hình lao động, sản xuất?");
        m.choices = vec![
            vec![choice("Ổn định"), choice("Khó khăn")],
            vec![choice("✖ Hủy")],
        ];
        assert_eq!(
            render(&m),
            "Tình hình lao động, sản xuất?\n\n1. Ổn định\n2. Khó khăn\n3. ✖ Hủy"
        );
        m.lettered = true;
        assert!(render(&m).ends_with("\na) Ổn định\nb) Khó khăn\nc) ✖ Hủy"));
        // The hint on how to answer comes last, under the list.
        m.hint = Some("(Chị gõ a, b… để chọn)".into());
        assert!(render(&m).ends_with("\nc) ✖ Hủy\n(Chị gõ a, b… để chọn)"));
        assert_eq!(render(&Outbound::text("c", "Đã lưu.")), "Đã lưu.");
    }
}
