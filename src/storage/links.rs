//! One person, several apps: `/lienket` codes and the merge of two app accounts into one
//! person. Called by the linking dialog.

use super::Result;
use super::sql::{self, Conn};
use super::users::{self, User};

/// Stores a one-time code for `user_id` until `expires_at`; her older codes are dropped.
pub async fn create_code(
    conn: &mut Conn,
    code: &str,
    user_id: i64,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sql::query("DELETE FROM link_codes WHERE user_id = $1 OR expires_at <= $2")
        .bind(user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sql::query("INSERT INTO link_codes (code, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(code)
        .bind(user_id)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a code: the person who asked for it, if it exists and has not expired. A code works
/// once: taking it deletes it.
pub async fn take_code(conn: &mut Conn, code: &str, now: i64) -> Result<Option<i64>> {
    let row: Option<(i64, i64)> =
        sql::query_as("DELETE FROM link_codes WHERE code = $1 RETURNING user_id, expires_at")
            .bind(code)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(user, expires_at)| (expires_at > now).then_some(user)))
}

/// Moves every app account of `from` to `into` and retires `from`: its dialog ends, its
/// pending join request is withdrawn, and its row stays (history may point at it) under an
/// identity nobody can write from. Callers make sure `from` holds no membership that would be
/// lost, and choose which app `into` is reached on ([`reach_via`]).
pub async fn merge(conn: &mut Conn, from: &User, into: i64, now: i64) -> Result<()> {
    sql::query("UPDATE identities SET user_id = $1 WHERE user_id = $2")
        .bind(into)
        .bind(from.id)
        .execute(&mut *conn)
        .await?;
    sql::query("DELETE FROM dialog_states WHERE user_id = $1")
        .bind(from.id)
        .execute(&mut *conn)
        .await?;
    sql::query("DELETE FROM link_codes WHERE user_id = $1")
        .bind(from.id)
        .execute(&mut *conn)
        .await?;
    sql::query(
        "UPDATE join_requests SET status = 'withdrawn', decided_at = $1 WHERE user_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(from.id)
    .execute(&mut *conn)
    .await?;
    sql::query(
        "UPDATE users SET platform = 'merged', platform_user_id = $1, chat_id = '', reachable = 0,
                          unit_id = NULL, role = NULL
         WHERE id = $2",
    )
    .bind(format!("{}>{}", from.id, into))
    .bind(from.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes `user_id` reached on the app account `via` used (she writes from it now).
pub async fn reach_via(conn: &mut Conn, user_id: i64, via: &User) -> Result<User> {
    sql::query(
        "UPDATE users SET platform = $1, platform_user_id = $2, chat_id = $3, reachable = 1 WHERE id = $4",
    )
    .bind(&via.platform)
    .bind(&via.platform_user_id)
    .bind(&via.chat_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    users::user_by_id(conn, user_id).await?.ok_or_else(|| {
        super::StorageError::Corrupt(format!("user {user_id} vanished while linking"))
    })
}

/// The apps a person can be reached on, e.g. `["telegram", "zalo"]`.
pub async fn platforms_of(conn: &mut Conn, user_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sql::query_as(
        "SELECT DISTINCT platform FROM identities WHERE user_id = $1 ORDER BY platform",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}
