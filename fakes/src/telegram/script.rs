//! A person who acts and then waits until she *sees* the bot's answer in her chat (a new or
//! changed message with a given button or text), for a bot running as a process of its own,
//! whose replies [`super::person::Person`] cannot wait for (no in-process hook says when they
//! are sent). The dialog benchmark and the crash tests drive `chihoi serve` with it.
//! [`NOTHING_NEW_REPORT`] is the shortest complete monthly report.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{ChatChanges, LocalBotApi, SentMessage, TestUser};

/// One step: what she does, then what she waits to see before the next one.
pub struct Step {
    pub act: Act,
    pub until: Sight,
}

pub enum Act {
    Type(&'static str),
    Tap(&'static str),
}

pub enum Sight {
    /// A message with this button, sent or changed since she acted.
    Button(&'static str),
    /// A message with this text in it, sent or changed since she acted.
    Text(&'static str),
}

pub const fn step(act: Act, until: Sight) -> Step {
    Step { act, until }
}

/// `/baocao`, every part answered with its calm option and no note, no incident, no proposal,
/// then submit.
pub const NOTHING_NEW_REPORT: &[Step] = &[
    step(Act::Type("/baocao"), Sight::Button("Ổn định")),
    // Labour and production, then its note.
    step(Act::Tap("Ổn định"), Sight::Button("Bỏ qua")),
    step(Act::Tap("Bỏ qua"), Sight::Button("Ổn định")),
    // Cultural and spiritual life, then its note.
    step(Act::Tap("Ổn định"), Sight::Button("Bỏ qua")),
    step(Act::Tap("Bỏ qua"), Sight::Button("Phấn khởi, tin tưởng")),
    // Members' thoughts, then its note.
    step(Act::Tap("Phấn khởi, tin tưởng"), Sight::Button("Bỏ qua")),
    step(Act::Tap("Bỏ qua"), Sight::Button("Không có")),
    // No incident, no proposal: the summary.
    step(Act::Tap("Không có"), Sight::Button("Không có đề xuất")),
    step(
        Act::Tap("Không có đề xuất"),
        Sight::Button("✅ Gửi báo cáo"),
    ),
    step(Act::Tap("✅ Gửi báo cáo"), Sight::Text("Đã gửi báo cáo")),
];

/// The reminder's button that opens the report.
pub const FROM_REMINDER_LABEL: &str = "📋 Làm báo cáo";
/// The report's first step when opened from the reminder instead of typing `/baocao`.
pub const FROM_REMINDER: Step = step(Act::Tap(FROM_REMINDER_LABEL), Sight::Button("Ổn định"));

/// A person acting by sight.
#[derive(Clone)]
pub struct Watcher {
    pub api: Arc<LocalBotApi>,
    pub user: TestUser,
    /// The longest wait for one step's answer.
    pub timeout: Duration,
}

impl Watcher {
    /// Acts, then waits until she sees what the step leads to; returns the time to the bot's
    /// first visible answer.
    pub async fn take(&self, step: &Step) -> Result<Duration, String> {
        let push = match step.act {
            Act::Type(text) => Push::Text(text.to_owned()),
            Act::Tap(label) => {
                let (message_id, data) = self.button(label)?;
                Push::Callback(message_id, data)
            }
        };
        self.act(push, &step.until).await
    }

    /// Types `text`, then waits until she sees `until`; as [`Self::take`].
    pub async fn type_until(&self, text: &str, until: &Sight) -> Result<Duration, String> {
        self.act(Push::Text(text.to_owned()), until).await
    }

    async fn act(&self, push: Push, until: &Sight) -> Result<Duration, String> {
        let chat = self.user.id;
        let before = self.api.chat_version(chat);
        let started = Instant::now();
        let deadline = started + self.timeout;
        match &push {
            Push::Text(text) => self.api.push_text(&self.user, text),
            Push::Callback(message_id, data) => {
                self.api.push_callback(&self.user, *message_id, data)
            }
        };
        let mut seen = self
            .api
            .wait_for_change(chat, before, self.timeout)
            .await
            .map_err(|e| e.to_string())?;
        let first_reply = started.elapsed();
        while !until.is_in(&seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            self.api
                .wait_for_change(chat, seen.version, left)
                .await
                .map_err(|e| format!("{until} not seen: {e}"))?;
            seen = self.api.changed_since(chat, before);
        }
        Ok(first_reply)
    }

    /// Waits until a message with the button `label` reaches her.
    pub async fn wait_for_button(&self, label: &str) -> Result<(), String> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let version = self.api.chat_version(self.user.id);
            if self.button(label).is_ok() {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            self.api
                .wait_for_change(self.user.id, version, left)
                .await
                .map_err(|e| format!("no button {label:?}: {e}"))?;
        }
    }

    /// The callback of the most recently changed message that has a button `label`.
    pub fn button(&self, label: &str) -> Result<(i64, String), String> {
        let all = self.api.changed_since(self.user.id, 0);
        all.messages
            .iter()
            .rev()
            .find_map(|m| {
                let data = m.button(label)?.callback_data.clone()?;
                Some((m.message_id, data))
            })
            .ok_or_else(|| format!("no button {label:?}; last messages: {}", last_texts(&all)))
    }
}

enum Push {
    Text(String),
    Callback(i64, String),
}

impl Sight {
    fn is_in(&self, changes: &ChatChanges) -> bool {
        let shows = |m: &SentMessage| match self {
            Sight::Button(label) => m.button(label).is_some(),
            Sight::Text(text) => m.text.as_deref().is_some_and(|t| t.contains(text)),
        };
        changes.messages.iter().any(|m| !m.deleted && shows(m))
    }
}

impl std::fmt::Display for Sight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sight::Button(label) => write!(f, "button {label:?}"),
            Sight::Text(text) => write!(f, "text {text:?}"),
        }
    }
}

/// The last few messages of a chat, for error messages.
pub fn last_texts(changes: &ChatChanges) -> String {
    let texts: Vec<&str> = changes
        .messages
        .iter()
        .rev()
        .take(2)
        .map(|m| m.text.as_deref().unwrap_or("[no text]"))
        .collect();
    format!("{texts:?}")
}
