//! A simulated Zalo user talking to the bot through a [`FakeZalo`]: types text, sends photos,
//! and reads what the bot answered. The Zalo channel's tests drive conversations with it.
//!
//! Telegram's [`Person`](crate::telegram::person::Person) knows the bot is done with an update
//! when the bot confirms it (its polling offset moves on only after handling). Zalo has no
//! such signal — `getUpdates` consumes an update the moment it returns it — so a `ZaloPerson`
//! waits until her update has left the server, then for at least one new message to her, then
//! for the bot to say its replies are all sent ([`FakeZalo::on_settled`], when it was given),
//! then until no further message arrives for [`ZaloPerson::settle`].

use std::time::Duration;

use super::{FakeZalo, WaitTimeout, ZaloSent, ZaloUser};

/// A Zalo user in a private chat with the bot.
pub struct ZaloPerson<'a> {
    api: &'a FakeZalo,
    /// Who she is; her chat with the bot is [`ZaloUser::chat_id`].
    pub user: ZaloUser,
    /// Messages to her already returned by an earlier call.
    seen: usize,
    /// Longest wait for her update to be taken and for the first answer.
    pub timeout: Duration,
    /// Quiet time after the latest answer before the answers count as complete.
    pub settle: Duration,
}

impl<'a> ZaloPerson<'a> {
    /// A person with this user id and display name, waiting up to 15 s for answers and
    /// treating 300 ms without a new message as "the bot has finished answering".
    pub fn new(api: &'a FakeZalo, id: &str, display_name: &str) -> Self {
        Self::from_user(api, ZaloUser::new(id, display_name))
    }

    /// A person for an existing [`ZaloUser`].
    pub fn from_user(api: &'a FakeZalo, user: ZaloUser) -> Self {
        Self {
            api,
            user,
            seen: 0,
            timeout: Duration::from_secs(15),
            settle: Duration::from_millis(300),
        }
    }

    /// Her user id.
    pub fn id(&self) -> &str {
        &self.user.id
    }

    /// Her private chat's id, where the bot's answers go.
    pub fn chat_id(&self) -> String {
        self.user.chat_id()
    }

    /// Types `text` and returns the bot's answers to her (at least one).
    pub async fn send(&mut self, text: &str) -> Result<Vec<ZaloSent>, WaitTimeout> {
        let had = self.inbox().len();
        self.api.push_text(&self.user, text);
        self.replies_after(had).await
    }

    /// Sends a photo (Zalo passes photos to bots as URLs) and returns the bot's answers.
    pub async fn send_photo(
        &mut self,
        photo_url: &str,
        caption: Option<&str>,
    ) -> Result<Vec<ZaloSent>, WaitTimeout> {
        let had = self.inbox().len();
        self.api.push_photo(&self.user, photo_url, caption);
        self.replies_after(had).await
    }

    /// Waits until everything pushed has left the server, then for at least one message to
    /// her not returned before, then for the bot's replies in flight (if it said how to know,
    /// [`FakeZalo::on_settled`]), then until [`Self::settle`] passes without another; returns
    /// the messages new since the last call.
    pub async fn replies(&mut self) -> Result<Vec<ZaloSent>, WaitTimeout> {
        self.replies_after(self.seen).await
    }

    /// As [`Self::replies`], but the first answer awaited is one after the first `had`
    /// messages to her: what came before she wrote (a file made for an earlier step, not yet
    /// read) is not the answer to what she wrote, and the bot may still be handling it.
    async fn replies_after(&mut self, had: usize) -> Result<Vec<ZaloSent>, WaitTimeout> {
        let chat_id = self.chat_id();
        self.api.wait_until_consumed(self.timeout).await?;
        let mut count = self
            .api
            .wait_for_messages(&chat_id, had.max(self.seen) + 1, self.timeout)
            .await?
            .len();
        // The first answer went inside the bot's handling of her update, so it is under way:
        // a second answer held for her chat's second is still in flight, not missed.
        if let Some(settled) = self.api.settle_hook() {
            tokio::time::timeout(self.timeout, settled())
                .await
                .map_err(|_| WaitTimeout {
                    what: format!("the bot's replies to chat {chat_id} to be sent"),
                    timeout: self.timeout,
                    state: "the bot still had replies in flight".to_owned(),
                })?;
            count = self.api.sent_to(&chat_id).len();
        }
        // Settled once a whole `settle` passes with no new message.
        while let Ok(all) = self
            .api
            .wait_for_messages(&chat_id, count + 1, self.settle)
            .await
        {
            count = all.len();
        }
        Ok(self.unread())
    }

    /// Messages to her not returned yet (e.g. sent because of someone else's action).
    pub fn unread(&mut self) -> Vec<ZaloSent> {
        let inbox = self.inbox();
        let new = inbox.get(self.seen..).map(<[ZaloSent]>::to_vec);
        self.seen = inbox.len();
        new.unwrap_or_default()
    }

    /// Everything the bot has sent her.
    pub fn inbox(&self) -> Vec<ZaloSent> {
        self.api.sent_to(&self.user.chat_id())
    }
}
