//! The last list of choices a text-only chat was shown (written by the courier when it sends
//! one), so that a typed number, letter or the option's words pick from it, and when it was
//! shown (a list too old to answer is refused kindly). Notices that reach a chat in the middle
//! of a dialog carry no list (see `delivery`), so they never replace it.

use super::sql::{self, Conn};
use super::{Result, StorageError};

/// Choices as shown: labels and their data in reading order; `lettered` when they were
/// marked a, b, c… because the step takes a number as its answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShownChoices {
    pub items: Vec<(String, String)>,
    pub lettered: bool,
}

pub async fn remember(
    conn: &mut Conn,
    platform: &str,
    chat_id: &str,
    shown: &ShownChoices,
    now: i64,
) -> Result<()> {
    let json =
        serde_json::to_string(&shown.items).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    sql::query(
        "INSERT INTO chat_choices (platform, chat_id, choices, lettered, shown_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (platform, chat_id) DO UPDATE
           SET choices = excluded.choices, lettered = excluded.lettered, shown_at = excluded.shown_at",
    )
    .bind(platform)
    .bind(chat_id)
    .bind(json)
    .bind(i64::from(shown.lettered))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The list the chat was shown last, and when (Unix seconds).
pub async fn last_shown(
    conn: &mut Conn,
    platform: &str,
    chat_id: &str,
) -> Result<Option<(ShownChoices, i64)>> {
    let row: Option<(String, i64, i64)> = sql::query_as(
        "SELECT choices, lettered, shown_at FROM chat_choices WHERE platform = $1 AND chat_id = $2",
    )
    .bind(platform)
    .bind(chat_id)
    .fetch_optional(conn)
    .await?;
    row.map(|(json, lettered, shown_at)| {
        let items =
            serde_json::from_str(&json).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        Ok((
            ShownChoices {
                items,
                lettered: lettered != 0,
            },
            shown_at,
        ))
    })
    .transpose()
}
