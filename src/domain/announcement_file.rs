//! A photo or document sent with an announcement (issue 18): what is accepted, and why not.
//! It arrives on Telegram (the platform keeps the file; the bot keeps its id), goes to Telegram
//! recipients by that id, and to Zalo recipients as a link to one copy the bot keeps.

use serde::{Deserialize, Serialize};

use crate::message::AttachmentKind;

/// The largest photo accepted (Telegram's own photos are a few hundred kilobytes).
pub const MAX_PHOTO_BYTES: i64 = 5 * 1024 * 1024;
/// The largest document accepted: a bot downloads up to 20 MB from Telegram, and one copy is
/// kept in the database for Zalo's links.
pub const MAX_DOCUMENT_BYTES: i64 = 10 * 1024 * 1024;

/// Documents accepted, by the ending of their name, with the type they are served as.
const DOCUMENT_TYPES: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
];

/// The kinds of document named to a sender whose file was refused.
pub const DOCUMENT_ENDINGS: &str = "PDF, Word, Excel, PowerPoint, JPG, PNG";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Photo,
    Document,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Photo => "photo",
            FileKind::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "photo" => Some(FileKind::Photo),
            "document" => Some(FileKind::Document),
            _ => None,
        }
    }

    pub fn attachment(self) -> AttachmentKind {
        match self {
            FileKind::Photo => AttachmentKind::Photo,
            FileKind::Document => AttachmentKind::Document,
        }
    }

    pub fn max_bytes(self) -> i64 {
        match self {
            FileKind::Photo => MAX_PHOTO_BYTES,
            FileKind::Document => MAX_DOCUMENT_BYTES,
        }
    }
}

/// The file an announcement carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementFile {
    pub kind: FileKind,
    /// The platform's id of the file (Telegram's `file_id`).
    pub file_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

/// Why a file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRefusal {
    /// Over [`FileKind::max_bytes`] (or of a size the platform did not say).
    TooBig { max_mb: i64 },
    /// Not a photo nor one of the documents accepted.
    WrongType,
}

impl AnnouncementFile {
    /// A photo as the platform sent it.
    pub fn photo(file_id: &str, size: Option<i64>) -> Result<Self, FileRefusal> {
        let size = checked_size(FileKind::Photo, size)?;
        Ok(Self {
            kind: FileKind::Photo,
            file_id: file_id.to_owned(),
            file_name: "anh.jpg".into(),
            content_type: "image/jpeg".into(),
            size,
        })
    }

    /// A document as the platform sent it: accepted by the ending of its name.
    pub fn document(
        file_id: &str,
        file_name: Option<&str>,
        size: Option<i64>,
    ) -> Result<Self, FileRefusal> {
        let name = file_name.unwrap_or_default().trim();
        let ending = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_lowercase())
            .unwrap_or_default();
        let Some((_, content_type)) = DOCUMENT_TYPES.iter().find(|(e, _)| *e == ending) else {
            return Err(FileRefusal::WrongType);
        };
        let size = checked_size(FileKind::Document, size)?;
        Ok(Self {
            kind: FileKind::Document,
            file_id: file_id.to_owned(),
            file_name: safe_name(name),
            content_type: (*content_type).to_owned(),
            size,
        })
    }
}

fn checked_size(kind: FileKind, size: Option<i64>) -> Result<i64, FileRefusal> {
    let max = kind.max_bytes();
    match size {
        Some(s) if (0..=max).contains(&s) => Ok(s),
        _ => Err(FileRefusal::TooBig {
            max_mb: max / (1024 * 1024),
        }),
    }
}

/// The name as part of a link: letters, digits, `.`, `-` and `_` kept, the rest `_`.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    let cut: String = cleaned
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if cut.is_empty() { "tep".into() } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_taken_by_their_ending_and_size() {
        let ok = AnnouncementFile::document("f1", Some("Kế hoạch 2027.PDF"), Some(1000)).unwrap();
        assert_eq!(ok.content_type, "application/pdf");
        assert_eq!(ok.file_name, "K__ho_ch_2027.PDF");
        assert_eq!(
            AnnouncementFile::document("f2", Some("setup.exe"), Some(10)),
            Err(FileRefusal::WrongType)
        );
        assert_eq!(
            AnnouncementFile::document("f3", None, Some(10)),
            Err(FileRefusal::WrongType)
        );
        assert_eq!(
            AnnouncementFile::document("f4", Some("a.docx"), Some(MAX_DOCUMENT_BYTES + 1)),
            Err(FileRefusal::TooBig { max_mb: 10 })
        );
        assert_eq!(
            AnnouncementFile::photo("p", None),
            Err(FileRefusal::TooBig { max_mb: 5 })
        );
        assert!(AnnouncementFile::photo("p", Some(MAX_PHOTO_BYTES)).is_ok());
    }
}
