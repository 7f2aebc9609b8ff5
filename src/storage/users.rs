//! People and their access: platform identities, roles in units, invites, join requests, the
//! processed-update ledger and dialog state.

use super::org::Unit;
use super::sql::{self, Conn};
use super::{Backend, Result, StorageError, path_range_end};
use crate::collation;
use crate::domain::invite::{InviteCode, InviteRefusal};
use crate::domain::role::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub platform: String,
    pub platform_user_id: String,
    pub chat_id: String,
    pub display_name: String,
    pub lang: String,
    pub unit_id: Option<i64>,
    pub role: Option<Role>,
    pub reachable: bool,
}

impl User {
    /// Unit and role, once she has joined.
    pub fn membership(&self) -> Option<(i64, Role)> {
        Some((self.unit_id?, self.role?))
    }
}

type UserRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
);
const USER_COLUMNS: &str =
    "id, platform, platform_user_id, chat_id, display_name, lang, unit_id, role, reachable";

fn user_from_row(row: UserRow) -> Result<User> {
    let (id, platform, platform_user_id, chat_id, display_name, lang, unit_id, role, reachable) =
        row;
    let role = role
        .map(|r| {
            r.parse::<Role>()
                .map_err(|e| StorageError::Corrupt(e.to_string()))
        })
        .transpose()?;
    Ok(User {
        id,
        platform,
        platform_user_id,
        chat_id,
        display_name,
        lang,
        unit_id,
        role,
        reachable: reachable != 0,
    })
}

/// Who wrote to us, as the platform names her.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    pub platform: &'a str,
    pub platform_user_id: &'a str,
    pub chat_id: &'a str,
    pub display_name: &'a str,
    /// Language for a new user; an existing user keeps the one she chose.
    pub lang: &'a str,
}

/// Finds or creates the person behind a platform identity and makes this identity the app she
/// used last (where reminders and alerts go); refreshes her chat and name, and marks her
/// reachable again (she just wrote to us).
pub async fn upsert_user(conn: &mut Conn, who: &Identity<'_>, now: i64) -> Result<User> {
    let known: Option<UserRow> = sql::query_as(&format!(
        "UPDATE users SET platform = $1, platform_user_id = $2, chat_id = $3, display_name = $4,
                          reachable = 1, last_seen_at = $5
         WHERE id = (SELECT user_id FROM identities WHERE platform = $1 AND platform_user_id = $2)
         RETURNING {USER_COLUMNS}"
    ))
    .bind(who.platform)
    .bind(who.platform_user_id)
    .bind(who.chat_id)
    .bind(who.display_name)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = known {
        return user_from_row(row);
    }
    let row: UserRow = sql::query_as(&format!(
        "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (platform, platform_user_id) DO UPDATE
           SET chat_id = excluded.chat_id, display_name = excluded.display_name, reachable = 1,
               last_seen_at = excluded.last_seen_at
         RETURNING {USER_COLUMNS}"
    ))
    .bind(who.platform)
    .bind(who.platform_user_id)
    .bind(who.chat_id)
    .bind(who.display_name)
    .bind(who.lang)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let user = user_from_row(row)?;
    sql::query(
        "INSERT INTO identities (platform, platform_user_id, user_id, created_at, chat_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (platform, platform_user_id) DO NOTHING",
    )
    .bind(who.platform)
    .bind(who.platform_user_id)
    .bind(user.id)
    .bind(now)
    .bind(who.chat_id)
    .execute(conn)
    .await?;
    Ok(user)
}

/// How stale `users.last_seen_at` may get before an update writes it again.
const LAST_SEEN_GRAIN_SECS: i64 = 15 * 60;

/// Her account's columns (as `USER_COLUMNS`), then her dialog and when she was last seen.
macro_rules! arriving {
    () => {
        "SELECT u.id, u.platform, u.platform_user_id, u.chat_id, u.display_name, u.lang,
                u.unit_id, u.role, u.reachable, d.version, d.state, u.last_seen_at, i.chat_id
         FROM identities i JOIN users u ON u.id = i.user_id
         LEFT JOIN dialog_states d ON d.user_id = u.id
         WHERE i.platform = $1 AND i.platform_user_id = $2"
    };
}

/// As each update begins: claims it (as [`claim_update`]; `None` when it was processed
/// already), then reads her account and her dialog (version, state) in one read. The account is
/// written only when the platform tells something new (another app, chat or name, or she was
/// marked unreachable), and the account's own chat only when it is new. On PostgreSQL the claim and the read are one statement: a round trip
/// less on every update.
pub async fn arrive(
    conn: &mut Conn,
    update_key: &str,
    who: &Identity<'_>,
    now: i64,
) -> Result<Option<(User, Option<(i64, String)>)>> {
    let row = match conn.backend() {
        Backend::Sqlite => {
            if !claim_update(conn, update_key, now).await? {
                return Ok(None);
            }
            sql::query(arriving!())
                .bind(who.platform)
                .bind(who.platform_user_id)
                .fetch_optional(&mut *conn)
                .await?
        }
        Backend::Postgres => {
            // One row whether or not she is known: her columns (NULL if not), then whether the
            // claim took. Her account's row is locked until the step ends, so that her updates
            // handled at once by two instances take turns: each sees the other's dialog state,
            // and a per-person limit counts the other's use. (On SQLite one transaction writes
            // at a time.)
            let row = sql::query(concat!(
                "WITH claim AS (INSERT INTO processed_updates (update_key, processed_at)
                                VALUES ($3, $4) ON CONFLICT DO NOTHING RETURNING 1)
                 SELECT x.*, (SELECT COUNT(*) FROM claim) FROM (SELECT 1) AS one
                 LEFT JOIN (",
                arriving!(),
                " FOR UPDATE OF u) AS x ON TRUE"
            ))
            .bind(who.platform)
            .bind(who.platform_user_id)
            .bind(update_key)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            if row.try_get::<i64, _>(13)? == 0 {
                return Ok(None);
            }
            row.try_get::<Option<i64>, _>(0)?.is_some().then_some(row)
        }
    };
    let Some(row) = row else {
        let user = upsert_user(conn, who, now).await?;
        let dialog = load_dialog(conn, user.id).await?;
        return Ok(Some((user, dialog)));
    };
    let user = user_from_row((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
        row.try_get(7)?,
        row.try_get(8)?,
    ))?;
    let version: Option<i64> = row.try_get(9)?;
    let state: Option<String> = row.try_get(10)?;
    let last_seen: Option<i64> = row.try_get(11)?;
    let account_chat: Option<String> = row.try_get(12)?;
    let dialog = version.zip(state);
    if account_chat.as_deref() != Some(who.chat_id) {
        // This account's own chat, for when she is not reached on it (an account unlinked
        // from her is told there). Written once per account, and when the chat changes.
        sql::query(
            "UPDATE identities SET chat_id = $1 WHERE platform = $2 AND platform_user_id = $3",
        )
        .bind(who.chat_id)
        .bind(who.platform)
        .bind(who.platform_user_id)
        .execute(&mut *conn)
        .await?;
    }
    let unchanged = user.platform == who.platform
        && user.platform_user_id == who.platform_user_id
        && user.chat_id == who.chat_id
        && user.display_name == who.display_name
        && user.reachable
        // "Last seen" (for `chihoi user list`) is kept to the quarter hour, not written on
        // every tap.
        && last_seen.is_some_and(|t| now - t < LAST_SEEN_GRAIN_SECS);
    if unchanged {
        return Ok(Some((user, dialog)));
    }
    Ok(Some((upsert_user(conn, who, now).await?, dialog)))
}

pub async fn user_by_id(conn: &mut Conn, id: i64) -> Result<Option<User>> {
    let row: Option<UserRow> =
        sql::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(user_from_row).transpose()
}

pub async fn set_lang(conn: &mut Conn, user_id: i64, lang: &str) -> Result<()> {
    sql::query("UPDATE users SET lang = $1 WHERE id = $2")
        .bind(lang)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn bind_membership(
    conn: &mut Conn,
    user_id: i64,
    unit_id: i64,
    role: Role,
    now: i64,
) -> Result<()> {
    // Invites she made in chat were hers to give as she was: a new unit or role ends them
    // (opening her own invite link again changes nothing, and ends nothing).
    let same: Option<(i64,)> =
        sql::query_as("SELECT id FROM users WHERE id = $1 AND unit_id = $2 AND role = $3")
            .bind(user_id)
            .bind(unit_id)
            .bind(role.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    if same.is_none() {
        super::invites::revoke_all_made_by(conn, user_id, now).await?;
    }
    // `joined_at` is when she took this unit and role: no digest reaches her for a month before.
    sql::query("UPDATE users SET unit_id = $1, role = $2, joined_at = $3 WHERE id = $4")
        .bind(unit_id)
        .bind(role.as_str())
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    // Links to files made for her old role die at once.
    super::files::delete_of(conn, user_id).await?;
    Ok(())
}

/// A platform told us she blocked the bot or is gone.
pub async fn mark_unreachable(
    conn: &mut Conn,
    platform: &str,
    platform_user_id: &str,
) -> Result<()> {
    sql::query("UPDATE users SET reachable = 0 WHERE platform = $1 AND platform_user_id = $2")
        .bind(platform)
        .bind(platform_user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whoever is reached in this chat (the app she used last).
pub async fn user_in_chat(conn: &mut Conn, platform: &str, chat_id: &str) -> Result<Option<User>> {
    let row: Option<UserRow> = sql::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE platform = $1 AND chat_id = $2 ORDER BY id LIMIT 1"
    ))
    .bind(platform)
    .bind(chat_id)
    .fetch_optional(conn)
    .await?;
    row.map(user_from_row).transpose()
}

/// Sending to a chat failed for good: whoever is reached there is unreachable now.
pub async fn mark_chat_unreachable(conn: &mut Conn, platform: &str, chat_id: &str) -> Result<()> {
    sql::query("UPDATE users SET reachable = 0 WHERE platform = $1 AND chat_id = $2")
        .bind(platform)
        .bind(chat_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reachable users holding one of `roles` in one of `unit_ids`.
pub async fn users_in_units_with_roles(
    conn: &mut Conn,
    unit_ids: &[i64],
    roles: &[Role],
) -> Result<Vec<User>> {
    if unit_ids.is_empty() || roles.is_empty() {
        return Ok(Vec::new());
    }
    // Lists are short (a lineage is a handful of units), so inline placeholders are fine.
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE reachable = 1 AND unit_id IN ({}) AND role IN ({}) ORDER BY id",
        sql::placeholders(0, unit_ids.len()),
        sql::placeholders(unit_ids.len(), roles.len())
    );
    let mut q = sql::query_as::<UserRow>(&sql);
    for id in unit_ids {
        q = q.bind(*id);
    }
    for r in roles {
        q = q.bind(r.as_str());
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(user_from_row)
        .collect()
}

// ---- who has access, and taking it away -------------------------------------------------------

/// A person as `chihoi user list` shows her: no phone numbers, platform ids or chat ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub display_name: String,
    pub role: Option<Role>,
    pub unit_code: Option<String>,
    /// The apps she uses, the one she is reached on first.
    pub platforms: Vec<String>,
    pub last_seen_at: Option<i64>,
    pub reachable: bool,
}

/// People holding a role in the subtree of `root`; without it, everyone who ever wrote to the
/// bot (those without a role last). Ordered by unit, then rank, then name.
pub async fn list_people(conn: &mut Conn, root: Option<&Unit>) -> Result<Vec<Listed>> {
    let filter = if root.is_some() {
        "AND un.path >= $1 AND un.path < $2"
    } else {
        ""
    };
    type Row = (
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<i64>,
        i64,
    );
    let sql = format!(
        "SELECT u.id, u.display_name, u.role, un.code, un.path, u.platform, u.last_seen_at, u.reachable
         FROM users u LEFT JOIN units un ON un.id = u.unit_id
         WHERE u.platform <> 'merged' {filter}"
    );
    let mut q = sql::query_as::<Row>(&sql).persistent(false);
    if let Some(root) = root {
        q = q.bind(&root.path).bind(path_range_end(&root.path));
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let apps: Vec<(i64, String)> =
        sql::query_as("SELECT user_id, platform FROM identities ORDER BY user_id, platform")
            .fetch_all(&mut *conn)
            .await?;
    let mut by_user: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (id, platform) in apps {
        by_user.entry(id).or_default().push(platform);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (id, display_name, role, unit_code, path, platform, last_seen_at, reachable) in rows {
        let role = role
            .map(|r| {
                r.parse::<Role>()
                    .map_err(|e| StorageError::Corrupt(e.to_string()))
            })
            .transpose()?;
        let mut platforms = by_user.remove(&id).unwrap_or_default();
        platforms.retain(|p| *p != platform);
        platforms.insert(0, platform);
        out.push((
            path,
            Listed {
                id,
                display_name,
                role,
                unit_code,
                platforms,
                last_seen_at,
                reachable: reachable != 0,
            },
        ));
    }
    // No unit sorts last; above her unit's people, the higher role first; then names in
    // Vietnamese order (the database's collation is neither Vietnamese nor the same on both).
    out.sort_by(|(pa, a), (pb, b)| {
        (pa.is_none(), pa, std::cmp::Reverse(a.role))
            .cmp(&(pb.is_none(), pb, std::cmp::Reverse(b.role)))
            .then_with(|| collation::compare_people(&a.display_name, &b.display_name))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out.into_iter().map(|(_, l)| l).collect())
}

/// People holding one of `roles` in `unit` or below it, in Vietnamese order of their names
/// (given name first, see [`collation::compare_people`]).
pub async fn people_below(conn: &mut Conn, unit: &Unit, roles: &[Role]) -> Result<Vec<User>> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let role_params = sql::placeholders(2, roles.len());
    let columns = USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM users u JOIN units un ON un.id = u.unit_id
         WHERE un.path >= $1 AND un.path < $2 AND u.role IN ({})",
        role_params
    );
    let mut q = sql::query_as::<UserRow>(&sql)
        .persistent(false)
        .bind(&unit.path)
        .bind(path_range_end(&unit.path));
    for r in roles {
        q = q.bind(r.as_str());
    }
    let mut people = q
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(user_from_row)
        .collect::<Result<Vec<User>>>()?;
    people.sort_by(|a, b| {
        collation::compare_people(&a.display_name, &b.display_name).then_with(|| a.id.cmp(&b.id))
    });
    Ok(people)
}

/// The dialog state every reset leaves (`DialogState::Idle` as stored).
pub const IDLE_DIALOG: &str = "{\"flow\":\"idle\"}";

/// Ends whatever she was doing, everywhere she uses the bot, because her access changed: the
/// messages still queued for her are cancelled; her dialog goes back to idle under a new
/// version, so a button she still has on screen is stale; the list a text-only chat showed her
/// last is forgotten, so a typed number picks nothing; her unused link code is dropped.
/// Returns how many queued messages were cancelled.
pub async fn end_sessions(conn: &mut Conn, user_id: i64, now: i64) -> Result<u64> {
    // Her chats: the app she is reached on, and each app account of hers (its own chat as it
    // last wrote; before chats were kept per account, its id, which is its private chat's id
    // on Telegram but not on Zalo).
    const HER_CHAT: &str = "(EXISTS (SELECT 1 FROM users u WHERE u.id = $1
                                   AND u.platform = {t}.platform AND u.chat_id = {t}.chat_id)
         OR EXISTS (SELECT 1 FROM identities i WHERE i.user_id = $1
                    AND i.platform = {t}.platform
                    AND (i.chat_id = {t}.chat_id OR i.platform_user_id = {t}.chat_id)))";
    let cancelled = sql::query(&format!(
        "UPDATE outbox SET status = 'cancelled'
         WHERE status = 'pending' AND (user_id = $1 OR {})",
        HER_CHAT.replace("{t}", "outbox")
    ))
    .bind(user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sql::query(&format!(
        "DELETE FROM chat_choices WHERE {}",
        HER_CHAT.replace("{t}", "chat_choices")
    ))
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sql::query(
        "UPDATE dialog_states SET version = version + 1, state = $2, updated_at = $3 WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(IDLE_DIALOG)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sql::query("DELETE FROM link_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(cancelled)
}

/// Takes her role and unit away: she is no longer a member of anything; what she reported
/// stays (reports, opinions and alerts keep pointing at her); files shared with her by link are
/// deleted, and the invites she made in chat are revoked. Her pending join request is
/// withdrawn and her sessions end ([`end_sessions`]). Returns how many queued messages were
/// cancelled.
pub async fn take_away_access(conn: &mut Conn, user_id: i64, now: i64) -> Result<u64> {
    sql::query("UPDATE users SET unit_id = NULL, role = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    super::invites::revoke_all_made_by(conn, user_id, now).await?;
    // Links to files made for her die at once.
    super::files::delete_of(conn, user_id).await?;
    withdraw_join_requests(conn, user_id, now).await?;
    end_sessions(conn, user_id, now).await
}

// ---- invites ---------------------------------------------------------------------------------

pub async fn create_invite(
    conn: &mut Conn,
    code: &InviteCode,
    unit_id: i64,
    role: Role,
    max_uses: i64,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sql::query(
        "INSERT INTO invites (code, unit_id, role, max_uses, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(code.as_str())
    .bind(unit_id)
    .bind(role.as_str())
    .bind(max_uses)
    .bind(expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Redeems a code for a user: one use is consumed atomically, and a second `/start` with the
/// same code by the same user consumes nothing and changes nothing.
///
/// A revoked or expired invite is refused before anything else, so that re-opening a link she
/// used before cannot bring a role back after the invite was revoked or ran out; and a link she
/// used before restores nothing once her role has been changed or taken away. "She" is the
/// person, across every app account that is or was linked to her (`invite_history`).
pub async fn redeem_invite(
    conn: &mut Conn,
    code: &InviteCode,
    user_id: i64,
    now: i64,
) -> Result<Result<(i64, Role), InviteRefusal>> {
    let invite: Option<(i64, String, i64, Option<i64>)> =
        sql::query_as("SELECT unit_id, role, expires_at, revoked_at FROM invites WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((unit, role, expires_at, revoked_at)) = invite else {
        return Ok(Err(InviteRefusal::Unknown));
    };
    let role = role
        .parse::<Role>()
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    if let Some(why) = closed(expires_at, revoked_at, now) {
        return Ok(Err(why));
    }
    // Her history, not this account's: an invite used on any account that is or was hers
    // (see `invite_history`) counts, so another app of hers gets no second use of it.
    let again: Option<(i64,)> =
        sql::query_as("SELECT user_id FROM invite_history WHERE code = $1 AND user_id = $2")
            .bind(code.as_str())
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    if again.is_some() {
        let current: Option<(Option<i64>, Option<String>)> =
            sql::query_as("SELECT unit_id, role FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?;
        let unchanged = current == Some((Some(unit), Some(role.as_str().to_owned())));
        return Ok(if unchanged {
            Ok((unit, role))
        } else {
            Err(InviteRefusal::AlreadyUsed)
        });
    }
    let taken: Option<(i64,)> = sql::query_as(
        "UPDATE invites SET uses = uses + 1
         WHERE code = $1 AND uses < max_uses AND expires_at > $2 AND revoked_at IS NULL
         RETURNING unit_id",
    )
    .bind(code.as_str())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_none() {
        // Used up, or revoked a moment ago.
        let row: Option<(i64, Option<i64>)> =
            sql::query_as("SELECT expires_at, revoked_at FROM invites WHERE code = $1")
                .bind(code.as_str())
                .fetch_optional(&mut *conn)
                .await?;
        let why = row.and_then(|(expires_at, revoked_at)| closed(expires_at, revoked_at, now));
        return Ok(Err(why.unwrap_or(InviteRefusal::UsedUp)));
    }
    sql::query("INSERT INTO invite_redemptions (code, user_id, redeemed_at) VALUES ($1, $2, $3)")
        .bind(code.as_str())
        .bind(user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sql::query("INSERT INTO invite_history (code, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(code.as_str())
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(Ok((unit, role)))
}

/// Why an invite no longer works for anybody: revoked, or expired.
fn closed(expires_at: i64, revoked_at: Option<i64>, now: i64) -> Option<InviteRefusal> {
    if revoked_at.is_some() {
        Some(InviteRefusal::Revoked)
    } else if expires_at <= now {
        Some(InviteRefusal::Expired)
    } else {
        None
    }
}

/// An invite as `chihoi invite list` shows it (the code is printed by a prefix only).
#[derive(Debug, Clone)]
pub struct InviteListing {
    pub code: InviteCode,
    pub unit_code: String,
    pub role: Role,
    pub uses: i64,
    pub max_uses: i64,
    pub expires_at: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Invites for units in the subtree of `root` (every invite without it), newest first.
pub async fn invites_under(conn: &mut Conn, root: Option<&Unit>) -> Result<Vec<InviteListing>> {
    let sql = format!(
        "SELECT i.code, u.code, i.role, i.uses, i.max_uses, i.expires_at, i.created_at, i.revoked_at
         FROM invites i JOIN units u ON u.id = i.unit_id
         {}
         ORDER BY i.created_at DESC, u.path",
        if root.is_some() {
            "WHERE u.path >= $1 AND u.path < $2"
        } else {
            ""
        }
    );
    type Row = (String, String, String, i64, i64, i64, i64, Option<i64>);
    let mut q = sql::query_as::<Row>(&sql).persistent(false);
    if let Some(root) = root {
        q = q.bind(&root.path).bind(path_range_end(&root.path));
    }
    q.fetch_all(conn)
        .await?
        .into_iter()
        .map(
            |(code, unit_code, role, uses, max_uses, expires_at, created_at, revoked_at)| {
                Ok(InviteListing {
                    code: InviteCode::parse(&code)
                        .ok_or_else(|| StorageError::Corrupt("invite code".into()))?,
                    unit_code,
                    role: role
                        .parse()
                        .map_err(|e: crate::domain::role::UnknownRole| {
                            StorageError::Corrupt(e.to_string())
                        })?,
                    uses,
                    max_uses,
                    expires_at,
                    created_at,
                    revoked_at,
                })
            },
        )
        .collect()
}

/// Every invite code there is (to tell prefixes apart).
pub async fn invite_codes(conn: &mut Conn) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sql::query_as("SELECT code FROM invites")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// Revokes an invite; `false` when it was revoked already.
pub async fn revoke_invite(conn: &mut Conn, code: &InviteCode, now: i64) -> Result<bool> {
    let done =
        sql::query("UPDATE invites SET revoked_at = $1 WHERE code = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(code.as_str())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// How many people joined with an invite.
pub async fn invite_redemption_count(conn: &mut Conn, code: &InviteCode) -> Result<i64> {
    let (n,): (i64,) = sql::query_as("SELECT COUNT(*) FROM invite_redemptions WHERE code = $1")
        .bind(code.as_str())
        .fetch_one(conn)
        .await?;
    Ok(n)
}

// ---- join requests ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub id: i64,
    pub user_id: i64,
    pub unit_id: i64,
    pub status: String,
}

/// Files a request; an earlier pending request of hers is replaced (she changed her mind).
pub async fn create_join_request(
    conn: &mut Conn,
    user_id: i64,
    unit_id: i64,
    now: i64,
) -> Result<i64> {
    withdraw_join_requests(conn, user_id, now).await?;
    let (id,): (i64,) = sql::query_as(
        "INSERT INTO join_requests (user_id, unit_id, status, created_at) VALUES ($1, $2, 'pending', $3) RETURNING id",
    )
    .bind(user_id)
    .bind(unit_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Withdraws her pending request, if any (she changed her mind, or joined another way).
pub async fn withdraw_join_requests(conn: &mut Conn, user_id: i64, now: i64) -> Result<()> {
    sql::query(
        "UPDATE join_requests SET status = 'withdrawn', decided_at = $1 WHERE user_id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn join_request(conn: &mut Conn, id: i64) -> Result<Option<JoinRequest>> {
    let row: Option<(i64, i64, i64, String)> =
        sql::query_as("SELECT id, user_id, unit_id, status FROM join_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id, user_id, unit_id, status)| JoinRequest {
        id,
        user_id,
        unit_id,
        status,
    }))
}

/// Decides a pending request; `false` when it was no longer pending (a second tap, or another
/// head was quicker).
pub async fn decide_join_request(
    conn: &mut Conn,
    id: i64,
    approve: bool,
    decided_by: i64,
    now: i64,
) -> Result<bool> {
    let status = if approve { "approved" } else { "rejected" };
    let done = sql::query(
        "UPDATE join_requests SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(status)
    .bind(now)
    .bind(decided_by)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A pending join request as the list of requests names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJoin {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
}

/// Pending join requests for `unit` (`within`: or any unit below it), oldest first, at most
/// `limit`.
pub async fn pending_join_requests(
    conn: &mut Conn,
    unit: &Unit,
    within: bool,
    limit: i64,
) -> Result<Vec<PendingJoin>> {
    let rows: Vec<(i64, String, i64, String)> = sql::query_as(
        "SELECT j.id, u.display_name, un.id, un.name
         FROM join_requests j JOIN users u ON u.id = j.user_id JOIN units un ON un.id = j.unit_id
         WHERE j.status = 'pending' AND un.path >= $1 AND un.path < $2 AND (un.id = $3 OR $4 = 1)
         ORDER BY j.id LIMIT $5",
    )
    .bind(&unit.path)
    .bind(super::path_range_end(&unit.path))
    .bind(unit.id)
    .bind(i64::from(within))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, unit_id, unit_name)| PendingJoin {
            id,
            name,
            unit_id,
            unit_name,
        })
        .collect())
}

// ---- update ledger and dialog state ----------------------------------------------------------

/// Records that an update is being handled; `false` when it was handled before. Called inside
/// the transaction that applies the update, so a crash before commit leaves it unrecorded.
pub async fn claim_update(conn: &mut Conn, key: &str, now: i64) -> Result<bool> {
    let done = sql::query("INSERT INTO processed_updates (update_key, processed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(key)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets ledger entries processed before `before` (unix seconds); returns how many.
pub async fn forget_updates_before(conn: &mut Conn, before: i64) -> Result<u64> {
    let done = sql::query("DELETE FROM processed_updates WHERE processed_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Stored dialog: its version (bumped at every step, so buttons of older steps are recognised
/// as stale) and its state as JSON.
pub async fn load_dialog(conn: &mut Conn, user_id: i64) -> Result<Option<(i64, String)>> {
    Ok(
        sql::query_as("SELECT version, state FROM dialog_states WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn save_dialog(
    conn: &mut Conn,
    user_id: i64,
    version: i64,
    state: &str,
    now: i64,
) -> Result<()> {
    sql::query(
        "INSERT INTO dialog_states (user_id, version, state, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(version)
    .bind(state)
    .bind(now)
    .defer(conn)
    .await?;
    Ok(())
}
