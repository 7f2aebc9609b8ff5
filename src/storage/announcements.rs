//! Announcements and their reads: what a sender wrote and to whom, the message queued to each
//! recipient (in bulk, one statement for the whole audience), who confirmed reading it, and the
//! kinds each person has stopped.
//!
//! The reach of an announcement is read from its recipients' rows and their outbox rows: a
//! message still pending is on its way, one the platform took (or whose sent row the retention
//! sweep has since deleted) reached her, one that ended otherwise did not.

use super::org::Unit;
use super::sql::{self, Conn, FromRow, Row};
use super::{Backend, Result, path_range_end};
use crate::domain::announcement::{AnnouncementKind, Audience};
use crate::domain::announcement_file::{AnnouncementFile, FileKind};
use crate::storage::outbox::Kind;

/// An announcement as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub id: i64,
    pub sender_id: i64,
    pub sender_unit_id: i64,
    /// The unit whose subtree it went to.
    pub unit_id: i64,
    pub audience: Audience,
    pub kind: AnnouncementKind,
    pub body: String,
    pub created_at: i64,
    pub reminded_at: Option<i64>,
    /// The photo or document sent with it.
    pub file: Option<AnnouncementFile>,
}

const COLUMNS: &str = "a.id, a.sender_id, a.sender_unit_id, a.unit_id, a.audience, a.kind, a.body, a.created_at, a.reminded_at,
     a.file_kind, a.file_id, a.file_name, a.file_type, a.file_size";

impl FromRow for Announcement {
    fn from_row(row: &Row) -> std::result::Result<Self, sqlx::Error> {
        let audience: String = row.try_get(4usize)?;
        let kind: String = row.try_get(5usize)?;
        let corrupt = |what: &str| sqlx::Error::Decode(format!("announcement {what}").into());
        Ok(Self {
            id: row.try_get(0usize)?,
            sender_id: row.try_get(1usize)?,
            sender_unit_id: row.try_get(2usize)?,
            unit_id: row.try_get(3usize)?,
            audience: Audience::parse(&audience).ok_or_else(|| corrupt("audience"))?,
            kind: AnnouncementKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
            body: row.try_get(6usize)?,
            created_at: row.try_get(7usize)?,
            reminded_at: row.try_get(8usize)?,
            file: match row.try_get::<Option<String>, _>(9usize)? {
                None => None,
                Some(kind) => Some(AnnouncementFile {
                    kind: FileKind::parse(&kind).ok_or_else(|| corrupt("file kind"))?,
                    file_id: row.try_get(10usize)?,
                    file_name: row.try_get(11usize)?,
                    content_type: row.try_get(12usize)?,
                    size: row.try_get(13usize)?,
                }),
            },
        })
    }
}

/// What a sender has chosen to send.
#[derive(Debug, Clone)]
pub struct NewAnnouncement<'a> {
    pub sender_id: i64,
    pub sender_unit_id: i64,
    pub unit: &'a Unit,
    pub audience: Audience,
    pub kind: AnnouncementKind,
    pub body: &'a str,
    pub file: Option<&'a AnnouncementFile>,
}

/// Who of `audience` in `unit`'s subtree would receive an announcement of `kind` from
/// `sender_id`: everyone holding the role there but her and those who stopped the kind.
const AUDIENCE_FILTER: &str = "FROM users u JOIN units un ON un.id = u.unit_id
     WHERE un.path >= $1 AND un.path < $2 AND u.platform <> 'merged' AND u.id <> $3
       AND NOT EXISTS (SELECT 1 FROM announcement_stops s WHERE s.user_id = u.id AND s.kind = $4)";

fn role_filter(after: usize, audience: Audience) -> String {
    format!(
        "AND u.role IN ({})",
        sql::placeholders(after, audience.roles().len())
    )
}

/// How many people an announcement would reach now (the preview says it).
pub async fn audience_size(
    conn: &mut Conn,
    unit: &Unit,
    audience: Audience,
    kind: AnnouncementKind,
    sender_id: i64,
) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) {AUDIENCE_FILTER} {}",
        role_filter(4, audience)
    );
    let mut q = sql::query_scalar::<i64>(&sql)
        .persistent(false)
        .bind(&unit.path)
        .bind(path_range_end(&unit.path))
        .bind(sender_id)
        .bind(kind.as_str());
    for r in audience.roles() {
        q = q.bind(r.as_str());
    }
    Ok(q.fetch_one(conn).await?)
}

/// Stores the announcement, its recipients, and a message to each recipient who can be reached,
/// to go out from `not_before` as bulk (after replies, alerts and every other message). Whole
/// audiences go in a few statements, however large. Returns its id and how many recipients it
/// has.
pub async fn create(
    conn: &mut Conn,
    new: &NewAnnouncement<'_>,
    now: i64,
    not_before: i64,
) -> Result<(i64, i64)> {
    let id: i64 = sql::query_scalar(
        "INSERT INTO announcements (sender_id, sender_unit_id, unit_id, audience, kind, body, created_at,
                                    file_kind, file_id, file_name, file_type, file_size)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(new.sender_id)
    .bind(new.sender_unit_id)
    .bind(new.unit.id)
    .bind(new.audience.as_str())
    .bind(new.kind.as_str())
    .bind(new.body)
    .bind(now)
    .bind(new.file.map(|f| f.kind.as_str()))
    .bind(new.file.map(|f| f.file_id.as_str()))
    .bind(new.file.map(|f| f.file_name.as_str()))
    .bind(new.file.map(|f| f.content_type.as_str()))
    .bind(new.file.map(|f| f.size))
    .fetch_one(&mut *conn)
    .await?;
    // The audience is queued a chunk at a time, the first here (so that small audiences are
    // done at once), the rest each in a transaction of its own ([`queue_more`], by the
    // courier): in one transaction, 100,000 recipients held SQLite's one writer for 1.5 s, and
    // on PostgreSQL took 9 s of a loaded machine's CPU while every reply waited.
    sql::query("UPDATE announcements SET queue_after = 0, queue_not_before = $1 WHERE id = $2")
        .bind(not_before)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let first = queue_chunk(conn, id).await?;
    if first < QUEUE_CHUNK {
        return Ok((id, first));
    }
    let all = audience_size(conn, new.unit, new.audience, new.kind, new.sender_id).await?;
    Ok((id, all))
}

/// How many recipients are queued in one transaction: about 50 ms of SQLite's writer.
pub const QUEUE_CHUNK: i64 = 2000;

/// Queues the next chunk of the oldest announcement not wholly queued (see [`create`]);
/// whether any announcement is left to queue after it. Call inside a transaction (on
/// PostgreSQL it locks the announcement, and another instance skips to the next).
pub async fn queue_more(conn: &mut Conn) -> Result<bool> {
    let lock = match conn.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let Some(id) = sql::query_scalar::<i64>(&format!(
        "SELECT id FROM announcements WHERE queue_after IS NOT NULL ORDER BY id LIMIT 1 {lock}"
    ))
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(false);
    };
    queue_chunk(conn, id).await?;
    Ok(sql::query_scalar::<i64>(
        "SELECT 1 FROM announcements WHERE queue_after IS NOT NULL LIMIT 1",
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Whether an announcement waits for [`queue_more`] (a cheap read before taking the write lock).
pub async fn queue_waiting(conn: &mut Conn) -> Result<bool> {
    Ok(sql::query_scalar::<i64>(
        "SELECT 1 FROM announcements WHERE queue_after IS NOT NULL LIMIT 1",
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// The next [`QUEUE_CHUNK`] recipients of announcement `id` after the last one queued, in the
/// order of their ids, with a message to each who can be reached; how many. When fewer are
/// left, the announcement is wholly queued.
async fn queue_chunk(conn: &mut Conn, id: i64) -> Result<i64> {
    let row: Option<(i64, String, String, i64, String, i64, i64, i64)> = sql::query_as(
        "SELECT a.queue_after, un.path, a.audience, a.sender_id, a.kind, a.queue_not_before, a.created_at, a.unit_id
         FROM announcements a JOIN units un ON un.id = a.unit_id
         WHERE a.id = $1 AND a.queue_after IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((after, path, audience, sender_id, kind, not_before, created_at, _)) = row else {
        return Ok(0);
    };
    let audience = Audience::parse(&audience)
        .ok_or_else(|| super::StorageError::Corrupt("announcement audience".into()))?;
    let roles = audience.roles();
    let sql = format!(
        "INSERT INTO announcement_recipients (announcement_id, user_id, unit_id, kind)
         SELECT $5, u.id, u.unit_id, $4 {AUDIENCE_FILTER} {} AND u.id > ${} ORDER BY u.id LIMIT ${}",
        role_filter(5, audience),
        6 + roles.len(),
        7 + roles.len()
    );
    let mut q = sql::query(&sql)
        .persistent(false)
        .bind(&path)
        .bind(path_range_end(&path))
        .bind(sender_id)
        .bind(&kind)
        .bind(id);
    for r in roles {
        q = q.bind(r.as_str());
    }
    let queued = q
        .bind(after)
        .bind(QUEUE_CHUNK)
        .execute(&mut *conn)
        .await?
        .rows_affected() as i64;
    sql::query(&format!(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, ref_id, urgent,
                             not_before, status, attempts, created_at)
         SELECT 'ann:' || r.announcement_id || ':' || r.user_id, '{kind}', u.platform, u.chat_id,
                u.id, r.unit_id, r.announcement_id, 0, $2, 'pending', 0, $3
         FROM announcement_recipients r JOIN users u ON u.id = r.user_id
         WHERE r.announcement_id = $1 AND r.user_id > $4 AND u.reachable = 1
         ORDER BY u.id",
        kind = Kind::Announcement.as_str()
    ))
    // A chunk's statements hold the write lock for tens of milliseconds: on SQLite they run
    // off the runtime's threads, as its reads over a subtree do, so that the sends going out
    // meanwhile keep their slots (measured: 1.24 s of Telegram's budget lost in the 3.6 s a
    // province's 100,000 recipients took to queue, docs/BENCHMARKS.md §8).
    .persistent(false)
    .bind(id)
    .bind(not_before)
    .bind(created_at)
    .bind(after)
    .execute(&mut *conn)
    .await?;
    sql::query(
        "UPDATE announcement_recipients SET outbox_id = (
             SELECT o.id FROM outbox o
             WHERE o.dedupe_key = 'ann:' || announcement_recipients.announcement_id || ':'
                                  || announcement_recipients.user_id)
         WHERE announcement_id = $1 AND user_id > $2",
    )
    .persistent(false)
    .bind(id)
    .bind(after)
    .execute(&mut *conn)
    .await?;
    if queued < QUEUE_CHUNK {
        sql::query("UPDATE announcements SET queue_after = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    } else {
        sql::query(
            "UPDATE announcements SET queue_after =
                 (SELECT MAX(user_id) FROM announcement_recipients WHERE announcement_id = $1)
             WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(queued)
}

pub async fn load(conn: &mut Conn, id: i64) -> Result<Option<Announcement>> {
    Ok(sql::query_as::<Announcement>(&format!(
        "SELECT {COLUMNS} FROM announcements a WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Her latest announcements, newest first.
pub async fn sent_by(conn: &mut Conn, sender_id: i64, limit: i64) -> Result<Vec<Announcement>> {
    Ok(sql::query_as::<Announcement>(&format!(
        "SELECT {COLUMNS} FROM announcements a WHERE a.sender_id = $1 ORDER BY a.id DESC LIMIT $2"
    ))
    .bind(sender_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Announcements to her she has not confirmed reading, newest first.
pub async fn unread_for(conn: &mut Conn, user_id: i64, limit: i64) -> Result<Vec<Announcement>> {
    Ok(sql::query_as::<Announcement>(&format!(
        "SELECT {COLUMNS} FROM announcement_recipients r JOIN announcements a ON a.id = r.announcement_id
         WHERE r.user_id = $1 AND r.read_at IS NULL ORDER BY a.id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// What a "✅ Đã đọc" came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Recorded now.
    Recorded,
    /// She had confirmed it before: nothing changes.
    Already,
    /// It was not sent to her (stale or made-up data).
    NotHers,
}

/// Records that `user_id` read announcement `id`, once.
pub async fn mark_read(conn: &mut Conn, id: i64, user_id: i64, now: i64) -> Result<Read> {
    let done = sql::query(
        "UPDATE announcement_recipients SET read_at = $1
         WHERE announcement_id = $2 AND user_id = $3 AND read_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Read::Recorded);
    }
    let known: Option<i64> = sql::query_scalar(
        "SELECT 1 FROM announcement_recipients WHERE announcement_id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(if known.is_some() {
        Read::Already
    } else {
        Read::NotHers
    })
}

/// Whether announcement `id` went to `user_id`, and whether she read it.
pub async fn recipient(conn: &mut Conn, id: i64, user_id: i64) -> Result<Option<Option<i64>>> {
    let row: Option<(Option<i64>,)> = sql::query_as(
        "SELECT read_at FROM announcement_recipients WHERE announcement_id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(r,)| r))
}

/// She stops announcements of `kind`.
pub async fn stop(conn: &mut Conn, user_id: i64, kind: AnnouncementKind, now: i64) -> Result<()> {
    sql::query(
        "INSERT INTO announcement_stops (user_id, kind, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, kind) DO NOTHING",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// She takes announcements of `kind` again; whether she had stopped them.
pub async fn resume(conn: &mut Conn, user_id: i64, kind: AnnouncementKind) -> Result<bool> {
    let done = sql::query("DELETE FROM announcement_stops WHERE user_id = $1 AND kind = $2")
        .bind(user_id)
        .bind(kind.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The kinds she has stopped.
pub async fn stopped(conn: &mut Conn, user_id: i64) -> Result<Vec<AnnouncementKind>> {
    let rows: Vec<(String,)> =
        sql::query_as("SELECT kind FROM announcement_stops WHERE user_id = $1 ORDER BY kind")
            .bind(user_id)
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k,)| AnnouncementKind::parse(&k))
        .collect())
}

/// How an announcement fared in one unit (the recipients' own units).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitReach {
    pub unit_id: i64,
    pub unit_name: String,
    pub recipients: i64,
    /// The platform took it (read ones included).
    pub delivered: i64,
    pub read: i64,
    /// Still queued.
    pub pending: i64,
    /// Blocked, gone, or never reachable.
    pub unreachable: i64,
}

impl UnitReach {
    pub fn unread(&self) -> i64 {
        self.delivered - self.read
    }
}

/// Reach of announcement `id` per unit, in the order of the tree.
pub async fn reach(conn: &mut Conn, id: i64) -> Result<Vec<UnitReach>> {
    type ReachRow = (i64, String, i64, i64, i64, i64, i64);
    let rows: Vec<ReachRow> = sql::query_as(
        "SELECT r.unit_id, un.name, COUNT(*),
                SUM(CASE WHEN r.read_at IS NOT NULL OR (r.outbox_id IS NOT NULL
                              AND (o.id IS NULL OR o.status = 'sent')) THEN 1 ELSE 0 END),
                SUM(CASE WHEN r.read_at IS NOT NULL THEN 1 ELSE 0 END),
                SUM(CASE WHEN r.read_at IS NULL AND o.status = 'pending' THEN 1 ELSE 0 END),
                SUM(CASE WHEN r.read_at IS NULL AND (r.outbox_id IS NULL
                              OR o.status NOT IN ('sent', 'pending')) THEN 1 ELSE 0 END)
         FROM announcement_recipients r
         JOIN units un ON un.id = r.unit_id
         LEFT JOIN outbox o ON o.id = r.outbox_id
         WHERE r.announcement_id = $1
         GROUP BY r.unit_id, un.name, un.path ORDER BY un.path",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(unit_id, unit_name, recipients, delivered, read, pending, unreachable)| UnitReach {
                unit_id,
                unit_name,
                recipients,
                delivered,
                read,
                pending,
                unreachable,
            },
        )
        .collect())
}

/// Queues the announcement again to each recipient it reached who has not read it (and has
/// not stopped its kind since), once per announcement: `None` when it was done before,
/// else how many were reminded.
pub async fn remind_unread(
    conn: &mut Conn,
    announcement: &Announcement,
    now: i64,
    not_before: i64,
) -> Result<Option<i64>> {
    let first = sql::query(
        "UPDATE announcements SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL",
    )
    .bind(now)
    .bind(announcement.id)
    .execute(&mut *conn)
    .await?;
    if first.rows_affected() == 0 {
        return Ok(None);
    }
    let done = sql::query(&format!(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, ref_id, body,
                             urgent, not_before, status, attempts, created_at)
         SELECT 'ann:' || r.announcement_id || ':' || r.user_id || ':again', '{kind}', u.platform,
                u.chat_id, u.id, r.unit_id, r.announcement_id, '{REMINDER}', 0, $2, 'pending', 0, $3
         FROM announcement_recipients r
         JOIN users u ON u.id = r.user_id
         LEFT JOIN outbox o ON o.id = r.outbox_id
         WHERE r.announcement_id = $1 AND r.read_at IS NULL AND u.reachable = 1
           AND r.outbox_id IS NOT NULL AND (o.id IS NULL OR o.status = 'sent')
           AND NOT EXISTS (SELECT 1 FROM announcement_stops s WHERE s.user_id = u.id AND s.kind = r.kind)
         ORDER BY u.id
         ON CONFLICT (dedupe_key) DO NOTHING",
        kind = Kind::Announcement.as_str()
    ))
    .bind(announcement.id)
    .bind(not_before)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(Some(done.rows_affected() as i64))
}

/// The `body` of an announcement's outbox row that reminds her of it.
pub const REMINDER: &str = "again";

/// Target 3's count under `root`: people who confirmed reading a policy announcement at a
/// time in `[from, until)`, counted once each, by the unit they were in when it was sent.
/// (The roster, when it comes, narrows this to roster members by joining on the person.)
pub async fn policy_readers(conn: &mut Conn, root: &Unit, from: i64, until: i64) -> Result<i64> {
    Ok(sql::query_scalar(
        "SELECT COUNT(DISTINCT r.user_id) FROM announcement_recipients r
         JOIN units un ON un.id = r.unit_id
         WHERE r.kind = $1 AND r.read_at >= $2 AND r.read_at < $3
           AND un.path >= $4 AND un.path < $5",
    )
    .persistent(false)
    .bind(AnnouncementKind::Policy.as_str())
    .bind(from)
    .bind(until)
    .bind(&root.path)
    .bind(path_range_end(&root.path))
    .fetch_one(conn)
    .await?)
}

/// The token of the copy of announcement `id`'s file kept for links (Zalo), if one was made.
pub async fn file_token(conn: &mut Conn, id: i64) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sql::query_as("SELECT file_token FROM announcements WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(t,)| t))
}

/// Records `token` as the copy of announcement `id`'s file, in place of `was` (none, or one
/// that expired); returns the token in use: `token`, or the one another send recorded first.
pub async fn set_file_token(
    conn: &mut Conn,
    id: i64,
    token: &str,
    was: Option<&str>,
) -> Result<String> {
    let done = match was {
        Some(was) => {
            sql::query("UPDATE announcements SET file_token = $1 WHERE id = $2 AND file_token = $3")
                .bind(token)
                .bind(id)
                .bind(was)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sql::query(
                "UPDATE announcements SET file_token = $1 WHERE id = $2 AND file_token IS NULL",
            )
            .bind(token)
            .bind(id)
            .execute(&mut *conn)
            .await?
        }
    };
    if done.rows_affected() == 1 {
        return Ok(token.to_owned());
    }
    Ok(file_token(conn, id)
        .await?
        .unwrap_or_else(|| token.to_owned()))
}
