//! The scheduler's set-based statements: each queues one kind of scheduled message for every
//! person concerned below a root unit, once (the dedupe key names the logical message).

use chrono::{DateTime, Utc};

use super::sql::{self, Conn};
use super::{Result, path_range_end};
use crate::domain::period::Period;

/// The prompt (event 0) or a reminder to every reporting person of a unit below `root_path`
/// that has not reported — one set-based statement, however many units.
pub async fn queue_reminders(
    conn: &mut Conn,
    root_path: &str,
    period: Period,
    event: usize,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sql::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'remind:' || $1 || ':' || $2 || ':' || u.unit_id || ':' || u.id, 'reminder', u.platform, u.chat_id,
                u.id, u.unit_id, $1, $2, NULL, 0, $3, 'pending', 0, $4
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1 AND u.role IN ('branch_head', 'grassroots_officer')
           AND n.level IN ('branch', 'grassroots') AND n.path >= $5 AND n.path < $6
           AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.unit_id = u.unit_id AND r.period = $1)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .persistent(false)
    .bind(period.to_string())
    .bind(event as i64)
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The digest of `period` to every branch head below `root_path`, once each; never for a month
/// that ended (at `period_end`) before her branch was in the tree or she took her role.
pub async fn queue_digests(
    conn: &mut Conn,
    root_path: &str,
    period: Period,
    period_end: i64,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sql::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'digest:' || $1 || ':' || u.id, 'digest', u.platform, u.chat_id, u.id, u.unit_id, $1, NULL, NULL, 0,
                $2, 'pending', 0, $3
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1 AND u.role = 'branch_head' AND n.level = 'branch' AND n.path >= $4 AND n.path < $5
           AND n.created_at < $6 AND COALESCE(u.joined_at, u.created_at) < $6
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .persistent(false)
    .bind(period.to_string())
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .bind(period_end)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The draft of the period's report (`range`, as `2026-H1` or `2026`) for each district admin
/// below `root_path`, once: its key names the range and the person.
pub async fn queue_period_drafts(
    conn: &mut Conn,
    root_path: &str,
    range: &str,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sql::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'draft:' || $1 || ':' || u.id, 'made', u.platform, u.chat_id, u.id, u.unit_id, NULL, NULL,
                '{\"what\":\"draft\",\"unit\":' || u.unit_id || ',\"range\":\"' || $1 || '\",\"scheduled\":true}', 0,
                $2, 'pending', 0, $3
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1 AND u.role = 'district_admin' AND n.level = 'district'
           AND n.path >= $4 AND n.path < $5
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .persistent(false)
    .bind(range)
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// One overdue summary per grassroots officer and district admin below `root_path` for this
/// round; a summary with nothing pending is dropped when it would be sent.
pub async fn queue_overdue(
    conn: &mut Conn,
    root_path: &str,
    period: Period,
    round: u32,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sql::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'overdue:' || $1 || ':' || $2 || ':' || u.id, 'overdue', u.platform, u.chat_id, u.id, u.unit_id,
                $1, $2, NULL, 0, $3, 'pending', 0, $4
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1 AND u.role IN ('grassroots_officer', 'district_admin')
           AND n.path >= $5 AND n.path < $6
           AND EXISTS (SELECT 1 FROM units e LEFT JOIN reports r ON r.unit_id = e.id AND r.period = $1
                       WHERE e.level IN ('branch', 'grassroots') AND r.id IS NULL
                         AND e.path LIKE n.path || '%')
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .persistent(false)
    .bind(period.to_string())
    .bind(i64::from(round))
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The monthly synthesis of `period` (`/tonghop`) to each grassroots officer, district admin
/// and province admin below `root_path`, for her own unit, once: its key names the month and
/// the person.
pub async fn queue_syntheses(
    conn: &mut Conn,
    root_path: &str,
    period: Period,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sql::query(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'synthesis:' || $1 || ':' || u.id, 'made', u.platform, u.chat_id, u.id, u.unit_id, NULL, NULL,
                '{\"what\":\"synthesis\",\"unit\":' || u.unit_id || ',\"period\":\"' || $1 || '\",\"scheduled\":true}', 0,
                $2, 'pending', 0, $3
         FROM users u JOIN units n ON n.id = u.unit_id
         WHERE u.reachable = 1
           AND ((u.role = 'grassroots_officer' AND n.level = 'grassroots')
             OR (u.role = 'district_admin' AND n.level = 'district')
             OR (u.role = 'province_admin' AND n.level = 'province'))
           AND n.path >= $4 AND n.path < $5
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .persistent(false)
    .bind(period.to_string())
    .bind(not_before)
    .bind(now.timestamp())
    .bind(root_path)
    .bind(path_range_end(root_path))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
