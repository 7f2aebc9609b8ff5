//! Files shared by link (charts and exports on platforms that take no uploads): kept with an
//! unguessable token until they expire, in parts of [`PART_BYTES`] so that serving one never
//! loads it whole. A link serves only while its person keeps the unit and role she had when it
//! was made; one outbox row shares one file however often its send is tried.

use super::Result;
use super::sql::{self, Conn};

/// The size of a stored part: what one read of a download holds in memory.
pub const PART_BYTES: usize = 256 * 1024;

/// A file to share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What a download needs to know before it reads the parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub parts: i64,
}

/// The token of the file already shared for outbox row `outbox_id` (a send tried again), if
/// it has not expired.
pub async fn token_for(conn: &mut Conn, outbox_id: i64, now: i64) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sql::query_as("SELECT token FROM shared_files WHERE outbox_id = $1 AND expires_at > $2")
            .bind(outbox_id)
            .bind(now)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(t,)| t))
}

/// Stores `file` under `token` for outbox row `outbox_id`, for person `user_id` with the unit
/// and role she holds now, in parts. Call inside a transaction, so that no half-stored file is
/// ever served. Returns the token the row's file is served under: `token`, or the one stored
/// by an earlier try of the same row.
pub async fn put(
    conn: &mut Conn,
    token: &str,
    outbox_id: i64,
    user_id: Option<i64>,
    file: &SharedFile,
    expires_at: i64,
    now: i64,
) -> Result<String> {
    // An expired copy of this row's file (a retry more than a day later) makes way.
    sql::query(
        "DELETE FROM shared_file_parts WHERE token IN
         (SELECT token FROM shared_files WHERE outbox_id = $1 AND expires_at <= $2)",
    )
    .bind(outbox_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sql::query("DELETE FROM shared_files WHERE outbox_id = $1 AND expires_at <= $2")
        .bind(outbox_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let parts = file.bytes.chunks(PART_BYTES).len().max(1);
    let inserted = sql::query(
        "INSERT INTO shared_files (token, user_id, unit_id, role, outbox_id, file_name,
                                   content_type, size, parts, expires_at, created_at)
         VALUES ($1, $2, (SELECT unit_id FROM users WHERE id = $2), (SELECT role FROM users WHERE id = $2),
                 $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (outbox_id) DO NOTHING",
    )
    .bind(token)
    .bind(user_id)
    .bind(outbox_id)
    .bind(&file.file_name)
    .bind(&file.content_type)
    .bind(file.bytes.len() as i64)
    .bind(parts as i64)
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return token_for(conn, outbox_id, now)
            .await?
            .ok_or_else(|| super::StorageError::Corrupt("a shared file vanished".into()));
    }
    for (part, bytes) in file.bytes.chunks(PART_BYTES).enumerate() {
        sql::query("INSERT INTO shared_file_parts (token, part, bytes) VALUES ($1, $2, $3)")
            .bind(token)
            .bind(part as i64)
            .bind(bytes.to_vec())
            .execute(&mut *conn)
            .await?;
    }
    if file.bytes.is_empty() {
        sql::query("INSERT INTO shared_file_parts (token, part, bytes) VALUES ($1, 0, $2)")
            .bind(token)
            .bind(Vec::<u8>::new())
            .execute(&mut *conn)
            .await?;
    }
    Ok(token.to_owned())
}

/// The file behind `token`, unless it has expired or its person no longer holds the unit and
/// role she had when it was made (her access taken away, her role changed: [`delete_of`]
/// deletes them then, this guards any other path).
pub async fn get(conn: &mut Conn, token: &str, now: i64) -> Result<Option<StoredFile>> {
    let row: Option<(String, String, i64, i64)> = sql::query_as(
        "SELECT f.file_name, f.content_type, f.size, f.parts
         FROM shared_files f LEFT JOIN users u ON u.id = f.user_id
         WHERE f.token = $1 AND f.expires_at > $2
           AND (f.user_id IS NULL
                OR (u.unit_id IS NOT DISTINCT FROM f.unit_id AND u.role IS NOT DISTINCT FROM f.role))",
    )
    .bind(token)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(
        row.map(|(file_name, content_type, size, parts)| StoredFile {
            file_name,
            content_type,
            size,
            parts,
        }),
    )
}

/// Part `part` of the file behind `token`; `None` once the file is gone.
pub async fn part(conn: &mut Conn, token: &str, part: i64) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sql::query_as("SELECT bytes FROM shared_file_parts WHERE token = $1 AND part = $2")
            .bind(token)
            .bind(part)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(b,)| b))
}

/// Deletes every file shared with person `user_id` (her access or role changes); how many.
pub async fn delete_of(conn: &mut Conn, user_id: i64) -> Result<u64> {
    sql::query(
        "DELETE FROM shared_file_parts
         WHERE token IN (SELECT token FROM shared_files WHERE user_id = $1)",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    let done = sql::query("DELETE FROM shared_files WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes the files that expired by `now` (the scheduler, every tick); how many.
pub async fn delete_expired(conn: &mut Conn, now: i64) -> Result<u64> {
    sql::query(
        "DELETE FROM shared_file_parts
         WHERE token IN (SELECT token FROM shared_files WHERE expires_at <= $1)",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let done = sql::query("DELETE FROM shared_files WHERE expires_at <= $1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
