//! One person, several apps: `/lienket` codes, the requests they make of the account that
//! made them, wrong codes counted, the merge of two app accounts into one person and an
//! account taken back out of it. Called by the linking dialog and by `chihoi user unlink`.

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

// ---- requests to the account that made the code ----------------------------------------------

/// A code typed on a new app's account, waiting for the owner's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    pub id: i64,
    pub owner_id: i64,
    pub requester_id: i64,
    pub platform: String,
    pub display_name: String,
    pub status: String,
    pub created_at: i64,
}

/// Files a request from `requester` (an account that has not joined) to `owner_id`; an
/// earlier pending request of hers is withdrawn (she typed a newer code).
pub async fn create_request(
    conn: &mut Conn,
    owner_id: i64,
    requester: &User,
    now: i64,
) -> Result<i64> {
    sql::query(
        "UPDATE link_requests SET status = 'withdrawn', decided_at = $1
         WHERE requester_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(requester.id)
    .execute(&mut *conn)
    .await?;
    let (id,): (i64,) = sql::query_as(
        "INSERT INTO link_requests (owner_id, requester_id, platform, display_name, status, created_at)
         VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
    )
    .bind(owner_id)
    .bind(requester.id)
    .bind(&requester.platform)
    .bind(&requester.display_name)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn request(conn: &mut Conn, id: i64) -> Result<Option<LinkRequest>> {
    type Row = (i64, i64, i64, String, String, String, i64);
    let row: Option<Row> = sql::query_as(
        "SELECT id, owner_id, requester_id, platform, display_name, status, created_at
         FROM link_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(id, owner_id, requester_id, platform, display_name, status, created_at)| LinkRequest {
            id,
            owner_id,
            requester_id,
            platform,
            display_name,
            status,
            created_at,
        },
    ))
}

/// Settles a pending request as `status` (`linked`, `refused`, `expired`); `false` when it was
/// no longer pending (a second tap).
pub async fn settle_request(conn: &mut Conn, id: i64, status: &str, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE link_requests SET status = $1, decided_at = $2 WHERE id = $3 AND status = 'pending'",
    )
    .bind(status)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- wrong codes -------------------------------------------------------------------------------

/// How long a wrong code is remembered: longer than any limit's window.
const FAILURES_KEPT_SECS: i64 = 24 * 3600;

/// Records a code typed on `user_id`'s account that matched nothing; forgets those older than
/// a day.
pub async fn record_failure(conn: &mut Conn, user_id: i64, now: i64) -> Result<()> {
    sql::query("DELETE FROM link_failures WHERE created_at < $1")
        .bind(now - FAILURES_KEPT_SECS)
        .execute(&mut *conn)
        .await?;
    sql::query("INSERT INTO link_failures (user_id, created_at) VALUES ($1, $2)")
        .bind(user_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The times of wrong codes after `since`, newest first, at most `max`: typed on `user_id`'s
/// account, or on anyone's with `None`.
pub async fn recent_failures(
    conn: &mut Conn,
    user_id: Option<i64>,
    since: i64,
    max: u32,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = match user_id {
        Some(id) => sql::query_as(
            "SELECT created_at FROM link_failures WHERE user_id = $1 AND created_at > $2
             ORDER BY created_at DESC LIMIT $3",
        )
        .bind(id)
        .bind(since)
        .bind(i64::from(max)),
        None => sql::query_as(
            "SELECT created_at FROM link_failures WHERE created_at > $1
             ORDER BY created_at DESC LIMIT $2",
        )
        .bind(since)
        .bind(i64::from(max)),
    }
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

// ---- merging and unlinking ---------------------------------------------------------------------

/// Moves every app account of `from` to `into` and retires `from`: its dialog ends, its
/// pending join and link requests are withdrawn, the invites it used count for `into`, and its
/// row stays (history may point at it) under an identity nobody can write from. Callers make
/// sure `from` holds no membership that would be lost, and choose which app `into` is reached
/// on ([`reach_via`]).
pub async fn merge(conn: &mut Conn, from: &User, into: i64, now: i64) -> Result<()> {
    sql::query("UPDATE identities SET user_id = $1 WHERE user_id = $2")
        .bind(into)
        .bind(from.id)
        .execute(&mut *conn)
        .await?;
    copy_invite_history(conn, from.id, into).await?;
    sql::query("DELETE FROM dialog_states WHERE user_id = $1")
        .bind(from.id)
        .execute(&mut *conn)
        .await?;
    sql::query("DELETE FROM link_codes WHERE user_id = $1")
        .bind(from.id)
        .execute(&mut *conn)
        .await?;
    sql::query(
        "UPDATE link_requests SET status = 'withdrawn', decided_at = $1
         WHERE requester_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(from.id)
    .execute(&mut *conn)
    .await?;
    users::withdraw_join_requests(conn, from.id, now).await?;
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

/// One app account of a person: the platform and its id there (in a private chat, also the
/// chat's id).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub platform: String,
    pub platform_user_id: String,
}

/// Her app accounts, the oldest first.
pub async fn accounts_of(conn: &mut Conn, user_id: i64) -> Result<Vec<Account>> {
    let rows: Vec<(String, String)> = sql::query_as(
        "SELECT platform, platform_user_id FROM identities WHERE user_id = $1
         ORDER BY created_at, platform, platform_user_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(platform, platform_user_id)| Account {
            platform,
            platform_user_id,
        })
        .collect())
}

/// Takes `account` out of `person`: it becomes a person of its own, who has joined nothing,
/// keeps the invites the person used (an old invite brings no role back on it either), and
/// loses whatever was queued for or last shown in its chat. The person keeps her unit, role,
/// drafts and history, reached on another of her accounts if she was reached on this one.
/// Returns the new person, or `None` when the account is not hers or is her only one.
pub async fn unlink(
    conn: &mut Conn,
    person: &User,
    account: &Account,
    now: i64,
) -> Result<Option<User>> {
    let accounts = accounts_of(conn, person.id).await?;
    if !accounts.contains(account) || accounts.len() < 2 {
        return Ok(None);
    }
    if person.platform == account.platform && person.platform_user_id == account.platform_user_id {
        // She is reached on this account: from now on on her newest other one.
        if let Some(other) = accounts.iter().rev().find(|a| *a != account) {
            let chat = chat_of(conn, other).await?;
            sql::query(
                "UPDATE users SET platform = $1, platform_user_id = $2, chat_id = $3 WHERE id = $4",
            )
            .bind(&other.platform)
            .bind(&other.platform_user_id)
            .bind(&chat)
            .bind(person.id)
            .execute(&mut *conn)
            .await?;
        }
    }
    let chat = chat_of(conn, account).await?;
    let (id,): (i64,) = sql::query_as(
        "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(&account.platform)
    .bind(&account.platform_user_id)
    .bind(&chat)
    .bind(&person.display_name)
    .bind(&person.lang)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sql::query("UPDATE identities SET user_id = $1 WHERE platform = $2 AND platform_user_id = $3")
        .bind(id)
        .bind(&account.platform)
        .bind(&account.platform_user_id)
        .execute(&mut *conn)
        .await?;
    copy_invite_history(conn, person.id, id).await?;
    // Nothing of hers reaches the account any more, and a number typed there picks nothing
    // from a list she was shown.
    sql::query(
        "UPDATE outbox SET status = 'cancelled' WHERE platform = $1 AND chat_id = $2 AND status = 'pending'",
    )
    .bind(&account.platform)
    .bind(&chat)
    .execute(&mut *conn)
    .await?;
    sql::query("DELETE FROM chat_choices WHERE platform = $1 AND chat_id = $2")
        .bind(&account.platform)
        .bind(&chat)
        .execute(&mut *conn)
        .await?;
    users::user_by_id(conn, id).await
}

/// The chat of an app account: as it last wrote, or (an account that has not written since
/// chats were kept per account) its id, which is its private chat's id on Telegram.
async fn chat_of(conn: &mut Conn, account: &Account) -> Result<String> {
    let row: Option<(Option<String>,)> = sql::query_as(
        "SELECT chat_id FROM identities WHERE platform = $1 AND platform_user_id = $2",
    )
    .bind(&account.platform)
    .bind(&account.platform_user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row
        .and_then(|(chat,)| chat)
        .unwrap_or_else(|| account.platform_user_id.clone()))
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

/// The invites person `from` used count as used by `to` too (an old invite never brings a role
/// back, on any account that is or was hers).
async fn copy_invite_history(conn: &mut Conn, from: i64, to: i64) -> Result<()> {
    sql::query(
        "INSERT INTO invite_history (code, user_id)
         SELECT code, $1 FROM invite_history WHERE user_id = $2
         ON CONFLICT DO NOTHING",
    )
    .bind(to)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(())
}
