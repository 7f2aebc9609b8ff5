//! What the scheduler forgets (docs/RELIABILITY.md, "What we keep"): the text of messages
//! sent long ago, then their rows, and the people who wrote to the bot but never joined.
//! Expired shared files go in [`super::files::delete_expired`].

use super::Result;
use super::sql::{self, Conn};

/// Sent messages sent before `before` lose their text; how many.
pub async fn forget_sent_bodies(conn: &mut Conn, before: i64) -> Result<u64> {
    let done = sql::query(
        "UPDATE outbox SET body = NULL WHERE status = 'sent' AND body IS NOT NULL AND sent_at < $1",
    )
    .bind(before)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Sent messages sent before `before` are deleted; how many.
pub async fn delete_sent(conn: &mut Conn, before: i64) -> Result<u64> {
    let done = sql::query("DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// How many people one pass forgets at most (the next tick goes on).
const STRANGERS_PER_PASS: i64 = 200;

/// Forgets the people who last wrote before `before` and never joined: no unit now, no invite
/// ever used, no join request pending or approved, nothing written that others keep (reports,
/// drafts, alerts, activities, named opinions), no other app linked. Their accounts, dialogs,
/// queued messages, refused requests and link codes go with them; if one writes again she is
/// a newcomer. Returns how many.
pub async fn forget_strangers(conn: &mut Conn, before: i64) -> Result<u64> {
    let ids: Vec<(i64, String, String)> = sql::query_as(
        "SELECT u.id, u.platform, u.chat_id FROM users u
         WHERE u.unit_id IS NULL AND u.role IS NULL AND u.platform <> 'merged'
           AND COALESCE(u.last_seen_at, u.created_at) < $1
           AND NOT EXISTS (SELECT 1 FROM invite_history h WHERE h.user_id = u.id)
           AND NOT EXISTS (SELECT 1 FROM invite_redemptions r WHERE r.user_id = u.id)
           AND NOT EXISTS (SELECT 1 FROM invites m WHERE m.created_by = u.id)
           AND NOT EXISTS (SELECT 1 FROM join_requests j
                           WHERE (j.user_id = u.id AND j.status IN ('pending', 'approved'))
                              OR j.decided_by = u.id)
           AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id
                           AND (i.platform <> u.platform OR i.platform_user_id <> u.platform_user_id))
           AND NOT EXISTS (SELECT 1 FROM users m WHERE m.platform = 'merged'
                           AND m.platform_user_id LIKE '%>' || CAST(u.id AS TEXT))
           AND NOT EXISTS (SELECT 1 FROM reports x WHERE x.author_id = u.id)
           AND NOT EXISTS (SELECT 1 FROM report_drafts x WHERE x.updated_by = u.id)
           AND NOT EXISTS (SELECT 1 FROM urgent_reports x WHERE x.reporter_id = u.id OR x.handled_by = u.id)
           AND NOT EXISTS (SELECT 1 FROM alert_events x WHERE x.by_user = u.id)
           AND NOT EXISTS (SELECT 1 FROM activities x WHERE x.author_id = u.id)
           AND NOT EXISTS (SELECT 1 FROM opinions x WHERE x.author_id = u.id)
         ORDER BY u.id LIMIT $2",
    )
    .bind(before)
    .bind(STRANGERS_PER_PASS)
    .fetch_all(&mut *conn)
    .await?;
    for (id, platform, chat_id) in &ids {
        for statement in [
            "DELETE FROM identities WHERE user_id = $1",
            "DELETE FROM link_codes WHERE user_id = $1",
            "DELETE FROM link_requests WHERE requester_id = $1 OR owner_id = $1",
            "DELETE FROM link_failures WHERE user_id = $1",
            "DELETE FROM join_requests WHERE user_id = $1",
            "DELETE FROM dialog_states WHERE user_id = $1",
            "DELETE FROM outbox WHERE user_id = $1",
            "DELETE FROM shared_file_parts
             WHERE token IN (SELECT token FROM shared_files WHERE user_id = $1)",
            "DELETE FROM shared_files WHERE user_id = $1",
        ] {
            sql::query(statement).bind(*id).execute(&mut *conn).await?;
        }
        // Her private chat's last list of choices (and what was queued to it).
        sql::query(
            "DELETE FROM chat_choices WHERE platform = $1 AND chat_id = $2
             AND NOT EXISTS (SELECT 1 FROM users o WHERE o.platform = $1 AND o.chat_id = $2 AND o.id <> $3)",
        )
        .bind(platform)
        .bind(chat_id)
        .bind(*id)
        .execute(&mut *conn)
        .await?;
        sql::query("DELETE FROM users WHERE id = $1")
            .bind(*id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(ids.len() as u64)
}
