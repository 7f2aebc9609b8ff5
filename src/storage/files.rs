//! Files shared by link (charts and exports on platforms that take no uploads): kept with an
//! unguessable token until they expire.

use super::Result;
use super::sql::{self, Conn};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

pub async fn put(
    conn: &mut Conn,
    token: &str,
    user_id: Option<i64>,
    file: &SharedFile,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    // Expired files go whenever a new one comes.
    sql::query("DELETE FROM shared_files WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sql::query(
        "INSERT INTO shared_files (token, user_id, file_name, content_type, bytes, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token)
    .bind(user_id)
    .bind(&file.file_name)
    .bind(&file.content_type)
    .bind(&file.bytes)
    .bind(expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The file behind `token`, unless it has expired.
pub async fn get(conn: &mut Conn, token: &str, now: i64) -> Result<Option<SharedFile>> {
    let row: Option<(String, String, Vec<u8>)> = sql::query_as(
        "SELECT file_name, content_type, bytes FROM shared_files WHERE token = $1 AND expires_at > $2",
    )
    .bind(token)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(file_name, content_type, bytes)| SharedFile {
        file_name,
        content_type,
        bytes,
    }))
}
