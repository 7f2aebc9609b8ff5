//! A simulated Telegram user talking to the bot through the [`LocalBotApi`]: types text, taps
//! buttons by their label, and reads what the bot answered. The demo and the end-to-end tests
//! drive conversations with it.

use std::time::Duration;

use super::{LocalBotApi, SentMessage, TestUser, WaitTimeout};

#[derive(Debug, thiserror::Error)]
pub enum PersonError {
    #[error(transparent)]
    Timeout(#[from] WaitTimeout),
    #[error("no button {wanted:?} in the latest messages; buttons seen: {seen:?}")]
    NoSuchButton { wanted: String, seen: Vec<String> },
}

pub struct Person<'a> {
    api: &'a LocalBotApi,
    pub user: TestUser,
    /// The highest [`SentMessage::revision`] already returned by an earlier call.
    seen: u64,
    pub timeout: Duration,
}

impl<'a> Person<'a> {
    pub fn new(api: &'a LocalBotApi, id: i64, name: &str) -> Self {
        Self {
            api,
            user: TestUser::new(id, name),
            seen: 0,
            timeout: Duration::from_secs(15),
        }
    }

    pub fn speaking(mut self, language_code: &str) -> Self {
        self.user = self.user.with_language(language_code);
        self
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// Types `text` and returns the bot's answers to her.
    pub async fn send(&mut self, text: &str) -> Result<Vec<SentMessage>, PersonError> {
        self.api.push_text(&self.user, text);
        self.replies().await
    }

    /// Shares a contact (`own`: her own phone number) and returns the bot's answers.
    pub async fn share_contact(
        &mut self,
        phone: &str,
        own: bool,
    ) -> Result<Vec<SentMessage>, PersonError> {
        self.api.push_contact(&self.user, phone, own);
        self.replies().await
    }

    /// Taps the newest button labelled `label` and returns the bot's answers.
    pub async fn tap(&mut self, label: &str) -> Result<Vec<SentMessage>, PersonError> {
        let inbox = self.newest_first();
        let found = inbox.iter().find_map(|m| {
            m.button(label)
                .and_then(|b| b.callback_data.clone())
                .map(|data| (m.message_id, data))
        });
        let Some((message_id, data)) = found else {
            let seen = inbox
                .iter()
                .take(3)
                .flat_map(|m| {
                    m.button_texts()
                        .into_iter()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect();
            return Err(PersonError::NoSuchButton {
                wanted: label.to_owned(),
                seen,
            });
        };
        self.api.push_callback(&self.user, message_id, &data);
        self.replies().await
    }

    /// Sends raw callback data as if from a button of `message_id` (forged or stale taps).
    pub async fn tap_data(
        &mut self,
        message_id: i64,
        data: &str,
    ) -> Result<Vec<SentMessage>, PersonError> {
        self.api.push_callback(&self.user, message_id, data);
        self.replies().await
    }

    /// Waits until the bot has handled everything pushed so far, then returns the messages to
    /// her that are new since the last call.
    pub async fn replies(&mut self) -> Result<Vec<SentMessage>, PersonError> {
        self.api.wait_until_consumed(self.timeout).await?;
        Ok(self.unread())
    }

    /// Waits until a message to her that `wanted` accepts has come (a chart or an export is
    /// made in the background and comes after the answer to her tap), then returns what is
    /// new since the last call, as [`Self::replies`].
    pub async fn wait_for(
        &mut self,
        what: &str,
        wanted: impl Fn(&SentMessage) -> bool,
    ) -> Result<Vec<SentMessage>, PersonError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut new = self.replies().await?;
        loop {
            if new.iter().any(&wanted) {
                return Ok(new);
            }
            let version = self.api.chat_version(self.user.id);
            let more = self.unread();
            if !more.is_empty() {
                new.extend(more);
                continue;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self
                .api
                .wait_for_change(self.user.id, version, left)
                .await
                .is_err()
            {
                return Err(PersonError::Timeout(WaitTimeout {
                    what: what.to_owned(),
                    timeout: self.timeout,
                    state: format!("{} new message(s), none of them it", new.len()),
                }));
            }
            new.extend(self.unread());
        }
    }

    /// Messages to her not returned yet (e.g. sent because of someone else's action), and
    /// those edited since (a tapped step turned into the next), in the order they appear.
    pub fn unread(&mut self) -> Vec<SentMessage> {
        let new: Vec<SentMessage> = self
            .api
            .sent_to(self.user.id)
            .into_iter()
            .filter(|m| m.revision > self.seen)
            .collect();
        self.seen = new.iter().map(|m| m.revision).max().unwrap_or(self.seen);
        new
    }

    /// Everything the bot has sent her.
    pub fn inbox(&self) -> Vec<SentMessage> {
        self.api.sent_to(self.user.id)
    }

    /// The newest message to her that has buttons (the last sent or edited).
    pub fn last_with_buttons(&self) -> Option<SentMessage> {
        self.newest_first()
            .into_iter()
            .find(|m| !m.buttons.is_empty())
    }

    /// Her messages, the last sent or edited first.
    fn newest_first(&self) -> Vec<SentMessage> {
        let mut inbox = self.inbox();
        inbox.sort_by_key(|m| std::cmp::Reverse(m.revision));
        inbox
    }
}
