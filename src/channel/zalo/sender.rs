//! Sends rendered messages to Zalo: choices become a list under the text ("1. Ổn định", or
//! "a) 1–5" where the step takes a number as its answer), texts over 2,000 characters go as
//! several messages cut at line or sentence ends, and a photo goes by its link. A message of
//! several parts that fails part-way goes on from the failed part when tried again.

use futures::future::BoxFuture;

use super::client::{ZaloClient, ZaloError};
use super::{MAX_TEXT_CHARS, PLATFORM, ZaloOptions};
use crate::delivery::split::split_text;
use crate::delivery::{Capabilities, Delivery, SendOutcome, Sender};
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

/// One of the platform's messages a message becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// `sendPhoto` by its link, with the text as caption when it fits.
    Photo {
        url: String,
        caption: Option<String>,
    },
    /// `sendMessage`.
    Text(String),
}

/// The messages `message` goes as, in order: a photo with its text as caption when the text
/// fits one, else the photo alone then the text cut in parts of at most 2,000 characters.
fn pieces(message: &Outbound) -> Vec<Piece> {
    let text = render(message);
    let photo = message
        .attachment
        .as_ref()
        .filter(|a| a.kind == AttachmentKind::Photo)
        .and_then(|a| a.url.clone());
    let mut out = Vec::new();
    if let Some(url) = photo {
        if chars(&text) <= MAX_TEXT_CHARS {
            let caption = (!text.is_empty()).then_some(text);
            return vec![Piece::Photo { url, caption }];
        }
        out.push(Piece::Photo { url, caption: None });
    }
    out.extend(
        split_text(&text, MAX_TEXT_CHARS, chars)
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .map(Piece::Text),
    );
    out
}

/// What a Zalo error means for the courier, from what Zalo documents (see the team's platform
/// notes, "Zalo Bot Platform"): errors come inside an HTTP 200 with `ok:false` and an
/// `error_code`, and a proxy or gateway in front of Zalo may answer a bare 5xx instead.
///
/// | Zalo says | documented as | the courier |
/// |---|---|---|
/// | 429 | quota exceeded (no `retry_after`) | [`SendOutcome::RetryAfter`] zero: the learned pace is cut and Zalo's sends pause |
/// | 403 | internal server error | [`SendOutcome::Transient`]: tried again with backoff — **not** a block |
/// | 408, 401, a bare 5xx, no answer | timeout, bad token, a fault on the way | [`SendOutcome::Transient`] |
/// | 404 | not found: the recipient is not one the bot can write to | [`SendOutcome::Refused`]: tried again; only when the same message meets it [`crate::delivery::REFUSALS_BEFORE_UNREACHABLE`] times is she unreachable (her queued messages dropped, her unit's head told once) |
/// | 400 | bad request (the message itself) | [`SendOutcome::Rejected`]: dead-lettered, she stays reachable |
///
/// Whether Zalo lets a bot write to someone who never wrote to it is not documented; a chat
/// the bot cannot write to is not found (404) as far as the bot can tell, so that is the
/// refusal this maps, never the 403 the docs call an internal error.
fn outcome_of(e: ZaloError) -> SendOutcome {
    match e.code() {
        Some(429) => SendOutcome::RetryAfter(std::time::Duration::ZERO),
        Some(404) => SendOutcome::Refused(e.to_string()),
        Some(400) => SendOutcome::Rejected(e.to_string()),
        _ => SendOutcome::Transient(e.to_string()),
    }
}

impl ZaloSender {
    async fn send_piece(&self, chat_id: &str, piece: &Piece) -> Result<(), ZaloError> {
        match piece {
            Piece::Photo { url, caption } => self
                .client
                .send_photo(chat_id, url, caption.as_deref())
                .await
                .map(|_| ()),
            Piece::Text(text) => self.client.send_message(chat_id, text).await.map(|_| ()),
        }
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
        u32::try_from(pieces(message).len())
            .unwrap_or(u32::MAX)
            .max(1)
    }

    fn send<'a>(&'a self, chat_id: &'a str, message: &'a Outbound) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move { self.send_from(chat_id, message, 0, false).await.outcome })
    }

    fn send_from<'a>(
        &'a self,
        chat_id: &'a str,
        message: &'a Outbound,
        from: u32,
        _paid: bool,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let mut parts = 0;
            for piece in pieces(message).iter().skip(from as usize) {
                if let Err(e) = self.send_piece(chat_id, piece).await {
                    return Delivery {
                        outcome: outcome_of(e),
                        parts,
                    };
                }
                parts += 1;
            }
            Delivery {
                outcome: SendOutcome::Sent,
                parts,
            }
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
    fn a_photo_with_a_long_text_goes_as_the_photo_then_the_text_in_parts() {
        let mut m = Outbound::text("c", "Tiến độ của xã.\n".repeat(300));
        m.attachment = Some(crate::dialog::Attachment {
            kind: AttachmentKind::Photo,
            file_name: "tien-do.png".into(),
            data: crate::dialog::FileData::Bytes(Vec::new()),
            url: Some("https://bot.example/files/t/tien-do.png".into()),
        });
        let parts = pieces(&m);
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert!(matches!(&parts[0], Piece::Photo { caption: None, .. }));
        let texts: String = parts[1..]
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Photo { .. } => panic!("one photo"),
            })
            .collect();
        assert_eq!(texts, m.text);
        // A short text is the photo's caption: one part.
        m.text = "Tiến độ của xã.".into();
        assert_eq!(pieces(&m).len(), 1);
    }

    #[test]
    fn zalo_errors_mean_what_zalo_documents() {
        let api = |code| ZaloError::Api {
            code,
            description: String::new(),
        };
        assert!(matches!(outcome_of(api(403)), SendOutcome::Transient(_)));
        assert!(matches!(outcome_of(api(404)), SendOutcome::Refused(_)));
        assert!(matches!(outcome_of(api(400)), SendOutcome::Rejected(_)));
        assert!(matches!(outcome_of(api(408)), SendOutcome::Transient(_)));
        assert_eq!(
            outcome_of(api(429)),
            SendOutcome::RetryAfter(std::time::Duration::ZERO)
        );
        let gateway = ZaloError::Transport("sendMessage: HTTP 502 Bad Gateway".into());
        assert!(matches!(outcome_of(gateway), SendOutcome::Transient(_)));
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
