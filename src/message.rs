//! The platform-neutral message model: what the dialog engine, the ladder of alerts and the
//! scheduler produce, and what delivery renders for each platform (buttons on Telegram, a
//! numbered list on Zalo). Nothing here knows a platform.

/// A message to send: text and rows of choices.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outbound {
    pub chat_id: String,
    pub text: String,
    pub choices: Vec<Vec<Choice>>,
    /// The step takes a typed number as its answer: a text-only platform marks the choices
    /// a), b), c)… so that a number is never read as a choice.
    #[serde(default)]
    pub lettered: bool,
    /// How to answer the list, shown after it on a platform without buttons ("Chị gõ số thứ
    /// tự…"); set by delivery in the recipient's language, never shown beside buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The message (its platform id) this one replaces: a tapped step turns into the next one
    /// instead of a new message. Platforms without edits send it as a new message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<String>,
    /// A picture or file made when the message is sent (charts, exports); never stored.
    #[serde(skip)]
    pub attachment: Option<Attachment>,
}

/// A file sent with a message; the text becomes its caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub kind: AttachmentKind,
    pub file_name: String,
    pub data: FileData,
    /// Where the file can be fetched, once delivery has shared it by link (platforms that
    /// take no uploads).
    pub url: Option<String>,
}

/// A file's content: small ones (charts) in memory, exports in a temporary file on disk, so
/// that a province's year never sits in memory while it is uploaded.
#[derive(Debug, Clone)]
pub enum FileData {
    Bytes(Vec<u8>),
    /// Removed from disk when the last copy is dropped.
    Temp(std::sync::Arc<tempfile::TempPath>),
    /// Kept by the platform the bot sends it on, by its id there (an announcement's photo on
    /// Telegram): sent by that id, never uploaded again.
    Platform(String),
}

impl FileData {
    /// The whole content in memory (platforms that keep a shared file in the database).
    pub async fn read(&self) -> std::io::Result<Vec<u8>> {
        match self {
            FileData::Bytes(b) => Ok(b.clone()),
            FileData::Temp(path) => tokio::fs::read(path.to_path_buf()).await,
            FileData::Platform(_) => Err(std::io::Error::other(
                "a file kept by the platform is fetched from it, not read here",
            )),
        }
    }
}

impl PartialEq for FileData {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (FileData::Bytes(a), FileData::Bytes(b)) => a == b,
            (FileData::Temp(a), FileData::Temp(b)) => {
                let (a, b): (&std::path::Path, &std::path::Path) = (a, b);
                a == b
            }
            (FileData::Platform(a), FileData::Platform(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for FileData {}

impl Outbound {
    /// Plain text to a chat.
    pub fn text(chat_id: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            chat_id: chat_id.into(),
            text: text.into(),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Photo,
    Document,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Choice {
    pub label: String,
    pub data: String,
}
