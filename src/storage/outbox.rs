//! The durable outbox: rows written in the transaction that decided to send, claimed by a
//! courier with a lease, then marked sent, retried, dead-lettered or cancelled.
//!
//! Claiming is safe with several instances on PostgreSQL (`FOR UPDATE SKIP LOCKED` plus a
//! lease, so two couriers never hold the same row); on SQLite one instance is supported and
//! `BEGIN IMMEDIATE` serialises writers. A row is sent at least once and, unless an instance dies
//! between Telegram's answer and `mark_sent` and its lease runs out, exactly once; logical
//! duplicates are impossible because every scheduled message has a unique `dedupe_key`.

use super::sql::{self, Conn};
use super::{Backend, Result, StorageError};
use crate::domain::period::Period;

/// What a row is; scheduled kinds are rendered when sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A reply to the person who just wrote (pre-rendered).
    Reply,
    /// A message to someone else caused by an action (pre-rendered): join requests, opinions.
    Notice,
    /// The period's prompt or a reminder to a unit that has not reported (cancelled if it has).
    Reminder,
    /// An overdue summary to an officer or admin.
    Overdue,
    /// An urgent report to the officers of one level of the ladder.
    Alert,
    /// A status change of her urgent report, to the reporter.
    AlertStatus,
    /// "She has blocked the bot" to her unit's head.
    Unreachable,
    /// A chart or an export she asked for, made when sent (parameters in `body`).
    Made,
    /// The start-of-month digest to a branch.
    Digest,
    /// An announcement (`ref_id`) to one recipient, rendered when sent; bulk, claimed after
    /// every other message.
    Announcement,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Notice => "notice",
            Kind::Reminder => "reminder",
            Kind::Overdue => "overdue",
            Kind::Alert => "alert",
            Kind::AlertStatus => "alert_status",
            Kind::Unreachable => "unreachable",
            Kind::Made => "made",
            Kind::Digest => "digest",
            Kind::Announcement => "announcement",
        }
    }

    /// Every kind, in no particular order.
    pub const ALL: [Kind; 10] = [
        Kind::Reply,
        Kind::Notice,
        Kind::Reminder,
        Kind::Overdue,
        Kind::Alert,
        Kind::AlertStatus,
        Kind::Unreachable,
        Kind::Made,
        Kind::Digest,
        Kind::Announcement,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub key: Option<String>,
    pub kind: Kind,
    pub platform: String,
    pub chat_id: String,
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub period: Option<Period>,
    pub ref_id: Option<i64>,
    /// JSON of a rendered message (replies and notices).
    pub body: Option<String>,
    /// Goes out during quiet hours too.
    pub urgent: bool,
    pub not_before: i64,
    /// Held for this courier (the instance handling the update sends its replies itself);
    /// if it dies, the lease runs out and any courier takes the row.
    pub lease: Option<(String, i64)>,
}

impl NewMessage {
    /// The row as a claim would read it back, once queued as `id` (never tried yet).
    pub fn queued_as(self, id: i64) -> OutboxRow {
        OutboxRow {
            id,
            kind: self.kind,
            platform: self.platform,
            chat_id: self.chat_id,
            user_id: self.user_id,
            unit_id: self.unit_id,
            period: self.period,
            ref_id: self.ref_id,
            body: self.body,
            urgent: self.urgent,
            attempts: 0,
            parts_sent: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: Kind,
    pub platform: String,
    pub chat_id: String,
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub period: Option<Period>,
    pub ref_id: Option<i64>,
    pub body: Option<String>,
    pub urgent: bool,
    pub attempts: i64,
    /// Parts of a message sent in several (a long text, a photo then its text) that reached
    /// the platform in earlier tries: a retry starts after them.
    pub parts_sent: i64,
}

type Row = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    i64,
);
const COLUMNS: &str = "id, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent, attempts, parts_sent";

fn from_row(r: Row) -> Result<OutboxRow> {
    let (
        id,
        kind,
        platform,
        chat_id,
        user_id,
        unit_id,
        period,
        ref_id,
        body,
        urgent,
        attempts,
        parts_sent,
    ) = r;
    Ok(OutboxRow {
        id,
        kind: Kind::parse(&kind)
            .ok_or_else(|| StorageError::Corrupt(format!("outbox kind {kind:?}")))?,
        platform,
        chat_id,
        user_id,
        unit_id,
        period: period
            .map(|p| {
                p.parse().map_err(|e: crate::domain::period::BadPeriod| {
                    StorageError::Corrupt(e.to_string())
                })
            })
            .transpose()?,
        ref_id,
        body,
        urgent: urgent != 0,
        attempts,
        parts_sent,
    })
}

/// The claimed rows, urgent first and announcements last; a row that cannot be read (a kind or period this version
/// does not know) is dead-lettered on its own instead of failing every claim.
async fn sorted(conn: &mut Conn, rows: Vec<Row>) -> Result<Vec<OutboxRow>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.0;
        match from_row(row) {
            Ok(r) => out.push(r),
            Err(e) => {
                tracing::warn!(id, error = %e, "unreadable outbox row dead-lettered");
                finish(conn, id, "dead", Some(&e.to_string())).await?;
            }
        }
    }
    out.sort_by_key(|r| (!r.urgent, r.kind == Kind::Announcement, r.id));
    Ok(out)
}

/// Adds a message; `None` when a message with the same key exists already.
pub async fn enqueue(conn: &mut Conn, m: &NewMessage, now: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sql::query_as(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, period, ref_id, body, urgent,
                             not_before, status, attempts, created_at, lease_owner, lease_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', 0, $12, $13, $14)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(m.key.as_deref())
    .bind(m.kind.as_str())
    .bind(m.platform.as_str())
    .bind(m.chat_id.as_str())
    .bind(m.user_id)
    .bind(m.unit_id)
    .bind(m.period.map(|p| p.to_string()))
    .bind(m.ref_id)
    .bind(m.body.as_deref())
    .bind(i64::from(m.urgent))
    .bind(m.not_before)
    .bind(now)
    .bind(m.lease.as_ref().map(|(owner, _)| owner.as_str()))
    .bind(m.lease.as_ref().map(|(_, until)| *until))
    // Writes only its own new row, so a step's held-back writes (its dialog state, her report's
    // draft) go with it.
    .carrying()
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// A lease held by another instance (`$1` is this one) whose heartbeat stopped 15 s ago (`$3`
/// is now); instances beat
/// every few seconds ([`heartbeat`]).
const LEASE_OF_THE_GONE: &str =
    "(lease_owner <> $1 AND lease_owner IN (SELECT name FROM instances WHERE seen_at < $3 - 15))";

/// This instance is alive (its leases stay its own).
pub async fn heartbeat(conn: &mut Conn, owner: &str, now: i64) -> Result<()> {
    sql::query(
        "INSERT INTO instances (name, seen_at) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(owner)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    // Instances gone for a day are forgotten (their leases expired long ago).
    sql::query("DELETE FROM instances WHERE seen_at < $1")
        .bind(now - 86_400)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives up every lease but `owner`'s: at the start of the one instance a SQLite database
/// serves, whatever an earlier, killed run held is free at once.
pub async fn release_others(conn: &mut Conn, owner: &str) -> Result<u64> {
    Ok(sql::query(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL, attempts = attempts + 1
         WHERE status = 'pending' AND lease_owner IS NOT NULL AND lease_owner <> $1",
    )
    .bind(owner)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Who claims, for which platforms, and until when: what every claim of rows shares.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The claiming instance.
    pub owner: &'a str,
    /// The platforms it sends to.
    pub platforms: &'a [&'a str],
    pub now: i64,
    /// Its lease on what it claims ends then.
    pub lease_until: i64,
}

/// Claims up to `limit` due rows (charts and exports aside) as `claim` says. During quiet
/// hours only urgent rows are due. Announcements come last: an announcement to a whole
/// province queues its rows at once, and every other message (a join request, a reminder)
/// queued after them still goes first.
pub async fn claim_due(
    conn: &mut Conn,
    claim: &Claim<'_>,
    quiet: bool,
    limit: i64,
) -> Result<Vec<OutboxRow>> {
    // Urgent rows first, then the rest but announcements, then announcements, each in id
    // order along an index that holds only its rows (`outbox_claim`, `outbox_claim_not_bulk`,
    // `outbox_claim_bulk`: the partial indexes' conditions are repeated word for word, which
    // SQLite needs to use them).
    let mut claimed = Vec::new();
    for (urgent, filter) in [
        (true, "urgent = 1 AND kind <> 'made'"),
        (
            false,
            "urgent = 0 AND kind <> 'made' AND kind <> 'announcement'",
        ),
        (false, "kind = 'announcement' AND urgent = 0"),
    ] {
        let room = limit - claimed.len() as i64;
        if (!urgent && quiet) || room <= 0 {
            break;
        }
        claimed.extend(claim_where(conn, claim, filter, room).await?);
    }
    sorted(conn, claimed).await
}

/// Claims due charts and exports to make (see `Courier::run`), oldest first; the courier's
/// own claims leave them alone, as a file can take minutes to make and upload.
pub async fn claim_made(conn: &mut Conn, claim: &Claim<'_>, limit: i64) -> Result<Vec<OutboxRow>> {
    let rows = claim_where(conn, claim, "kind = 'made'", limit).await?;
    sorted(conn, rows).await
}

/// Leases up to `limit` pending, due rows matching `filter` (fixed SQL, never input) that
/// nobody alive holds.
async fn claim_where(
    conn: &mut Conn,
    claim: &Claim<'_>,
    filter: &str,
    limit: i64,
) -> Result<Vec<Row>> {
    let Claim {
        owner,
        platforms,
        now,
        lease_until,
    } = *claim;
    if platforms.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    // On PostgreSQL the picked ids are an array computed once: as a plain `IN (subquery)` the
    // planner may run the subquery again for each row it joins, and with SKIP LOCKED every run
    // picks other rows, so one claim took the whole queue (far past `limit`), leaving nothing
    // for the other instances while its leases ran out unsent.
    // On SQLite the outer `status` is `+status`, which no index serves: otherwise SQLite walks
    // every pending row along `outbox_claim` to find the few picked, instead of looking them up
    // by id — 100,000 queued announcement rows made each claim read them all.
    let (open, lock, close, status) = match conn.backend() {
        Backend::Postgres => ("= ANY(ARRAY(", "FOR UPDATE SKIP LOCKED", "))", "status"),
        Backend::Sqlite => ("IN (", "", ")", "+status"),
    };
    let platform_list = sql::placeholders(4, platforms.len());
    // The lease condition is repeated outside the subquery: under READ COMMITTED a row another
    // courier claimed meanwhile is re-checked against it and skipped.
    // A row still leased when claimed was held by a courier that stopped or died: it may have
    // been sent, so that try counts as an attempt (see `Courier::deliver_one` for edits).
    let sql = format!(
        "UPDATE outbox SET lease_owner = $1, lease_until = $2,
                           attempts = attempts + CASE WHEN lease_owner IS NULL THEN 0 ELSE 1 END
         WHERE id {open}SELECT id FROM outbox
                      WHERE status = 'pending' AND {filter} AND not_before <= $3
                        AND (lease_until IS NULL OR lease_until < $3 OR {LEASE_OF_THE_GONE})
                        AND platform IN ({platform_list})
                      ORDER BY id LIMIT $4 {lock}{close}
           AND {status} = 'pending' AND (lease_until IS NULL OR lease_until < $3 OR {LEASE_OF_THE_GONE})
         RETURNING {COLUMNS}"
    );
    let mut q = sql::query_as::<Row>(&sql)
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(limit);
    for p in platforms {
        q = q.bind(*p);
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

/// Leases the given rows to `owner` until `until` where nobody holds them (charts and exports
/// aside, which only the makers take): alerts an update raised go out with its replies.
pub async fn lease_unheld(conn: &mut Conn, ids: &[i64], owner: &str, until: i64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE outbox SET lease_owner = $1, lease_until = $2
         WHERE id IN ({}) AND lease_owner IS NULL AND kind <> 'made'",
        sql::placeholders(2, ids.len())
    );
    let mut q = sql::query(&sql).bind(owner).bind(until);
    for id in ids {
        q = q.bind(*id);
    }
    q.execute(conn).await?;
    Ok(())
}

/// Keeps a row being made ours until `until`; false if it is no longer ours.
pub async fn extend_lease(conn: &mut Conn, id: i64, owner: &str, until: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE outbox SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'pending'",
    )
    .bind(until)
    .bind(id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Keeps the rows `ids` this courier still holds (`owner`, pending) until `until`: a batch
/// being sent never outlives its lease, however slowly its platform lets it go. Returns how
/// many were still held.
pub async fn extend_leases(conn: &mut Conn, ids: &[i64], owner: &str, until: i64) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE outbox SET lease_until = $1
         WHERE id IN ({}) AND lease_owner = $2 AND status = 'pending' AND lease_until < $1",
        sql::placeholders(2, ids.len())
    );
    let mut q = sql::query(&sql).bind(until).bind(owner);
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// Records that the first `parts` parts of row `id` (held by `owner`) reached the platform, so
/// that its next try starts after them.
pub async fn record_parts_sent(conn: &mut Conn, id: i64, owner: &str, parts: i64) -> Result<()> {
    sql::query(
        "UPDATE outbox SET parts_sent = $1
         WHERE id = $2 AND lease_owner = $3 AND status = 'pending' AND parts_sent < $1",
    )
    .bind(parts)
    .bind(id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the database takes a write now: a transaction that takes the write lock (on SQLite
/// `BEGIN IMMEDIATE`) and touches this instance's heartbeat row. It tells a database that is
/// away (every update fails) from one update that fails on its own while others would succeed.
pub async fn takes_writes(store: &super::Store, owner: &str) -> bool {
    let probe = async {
        let mut tx = store.begin().await?;
        sql::query("UPDATE instances SET seen_at = seen_at WHERE name = $1")
            .bind(owner)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok::<_, StorageError>(())
    };
    match probe.await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "the database takes no writes");
            false
        }
    }
}

/// Whether a reply newer than row `id` has been sent to the chat (it has moved on).
pub async fn newer_reply_sent(
    conn: &mut Conn,
    platform: &str,
    chat_id: &str,
    id: i64,
) -> Result<bool> {
    let n: i64 = sql::query_scalar(
        "SELECT COUNT(*) FROM outbox
         WHERE chat_id = $1 AND status = 'sent' AND platform = $2 AND kind = 'reply' AND id > $3",
    )
    .bind(chat_id)
    .bind(platform)
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Whether a file she asked for is still to be made or sent.
pub async fn made_pending_for(conn: &mut Conn, user_id: i64) -> Result<bool> {
    let n: i64 = sql::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE user_id = $1 AND kind = 'made' AND status = 'pending'",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Claims the given rows (the replies an update just produced), if nobody else holds them.
/// Rows the engine leased to this instance (30 s) are ours; a row this instance's courier loop
/// has meanwhile claimed (120 s) is not taken a second time, or it would be sent twice.
pub async fn claim_ids(
    conn: &mut Conn,
    owner: &str,
    ids: &[i64],
    now: i64,
    lease_until: i64,
) -> Result<Vec<OutboxRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "UPDATE outbox SET lease_owner = $1, lease_until = $2
         WHERE id IN ({}) AND status = 'pending' AND kind <> 'made' AND not_before <= $3
           AND (lease_until IS NULL OR lease_until < $3
                OR (lease_owner = $1 AND lease_until <= $3 + 30))
         RETURNING {COLUMNS}",
        sql::placeholders(3, ids.len())
    );
    let mut q = sql::query_as::<Row>(&sql)
        .bind(owner)
        .bind(lease_until)
        .bind(now);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    sorted(conn, rows).await
}

/// Marks row `id`, leased by `owner`, as sent at `now`; whether it was.
pub async fn mark_sent(conn: &mut Conn, id: i64, owner: &str, now: i64) -> Result<bool> {
    Ok(mark_sent_many(conn, &[id], owner, now).await? == 1)
}

/// [`mark_sent`] for several rows sent at `now`, in one statement; how many it marked. The
/// list is padded to a power of two (repeating the last id), so that a few statements of a few
/// lengths stay prepared instead of one for every length.
pub async fn mark_sent_many(conn: &mut Conn, ids: &[i64], owner: &str, now: i64) -> Result<u64> {
    let Some(&last) = ids.last() else {
        return Ok(0);
    };
    let n = ids.len().next_power_of_two();
    let sql = format!(
        "UPDATE outbox SET status = 'sent', sent_at = $1, lease_owner = NULL, lease_until = NULL
         WHERE id IN ({}) AND lease_owner = $2 AND status = 'pending'",
        sql::placeholders(2, n)
    );
    let mut q = sql::query(&sql).bind(now).bind(owner);
    for id in ids.iter().chain(std::iter::repeat_n(&last, n - ids.len())) {
        q = q.bind(*id);
    }
    Ok(q.execute(conn).await?.rows_affected())
}

/// Gives the row back to be tried at `not_before`; a failed attempt is counted.
pub async fn retry_later(
    conn: &mut Conn,
    id: i64,
    owner: &str,
    not_before: i64,
    failed: bool,
    error: Option<&str>,
) -> Result<()> {
    sql::query(
        "UPDATE outbox SET not_before = $1, attempts = attempts + $2, last_error = COALESCE($3, last_error),
                           lease_owner = NULL, lease_until = NULL
         WHERE id = $4 AND lease_owner = $5",
    )
    .bind(not_before)
    .bind(i64::from(failed))
    .bind(error)
    .bind(id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a row without sending: `dead` (failed for good), `unreachable`, or `cancelled`.
pub async fn finish(conn: &mut Conn, id: i64, status: &str, error: Option<&str>) -> Result<()> {
    sql::query(
        "UPDATE outbox SET status = $1, last_error = COALESCE($2, last_error), attempts = attempts + $3,
                           lease_owner = NULL, lease_until = NULL
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(status)
    .bind(error)
    .bind(i64::from(status == "dead"))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stops everything still waiting for a chat that can no longer be reached.
pub async fn cancel_chat(conn: &mut Conn, platform: &str, chat_id: &str) -> Result<u64> {
    let done = sql::query(
        "UPDATE outbox SET status = 'unreachable', lease_owner = NULL, lease_until = NULL
         WHERE platform = $1 AND chat_id = $2 AND status = 'pending'",
    )
    .bind(platform)
    .bind(chat_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Reminders to units that have reported since they were queued are not sent.
pub async fn cancel_answered_reminders(conn: &mut Conn) -> Result<u64> {
    let done = sql::query(
        "UPDATE outbox SET status = 'cancelled'
         WHERE status = 'pending' AND kind = 'reminder' AND lease_owner IS NULL
           AND EXISTS (SELECT 1 FROM reports r WHERE r.unit_id = outbox.unit_id AND r.period = outbox.period)",
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The newest row's id (0 when empty).
pub async fn last_id(conn: &mut Conn) -> Result<i64> {
    let (max,): (Option<i64>,) = sql::query_as("SELECT MAX(id) FROM outbox")
        .fetch_one(conn)
        .await?;
    Ok(max.unwrap_or(0))
}

/// Ids of the rows queued after `id`, oldest first.
pub async fn ids_after(conn: &mut Conn, id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sql::query_as("SELECT id FROM outbox WHERE id > $1 ORDER BY id")
        .bind(id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Rows per status, for admins and benchmarks.
pub async fn status_counts(conn: &mut Conn) -> Result<Vec<(String, i64)>> {
    Ok(
        sql::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(conn)
            .await?,
    )
}

/// What is stuck or waiting in the outbox for one kind, for the metrics' gauges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub kind: String,
    /// Rows waiting to be sent (due or not yet).
    pub pending: i64,
    /// Creation time of the oldest of them.
    pub oldest_pending: Option<i64>,
    /// Rows dead-lettered.
    pub dead: i64,
}

/// Pending and dead rows per kind, in one grouped statement that reads only those rows
/// (through the `outbox_claim` index, which starts with `status`), never the sent history.
pub async fn backlog(conn: &mut Conn) -> Result<Vec<Backlog>> {
    let rows: Vec<(String, String, i64, i64)> = sql::query_as(
        "SELECT kind, status, COUNT(*), MIN(created_at) FROM outbox
         WHERE status IN ('pending', 'dead') GROUP BY kind, status",
    )
    .fetch_all(conn)
    .await?;
    let mut out: Vec<Backlog> = Vec::new();
    for (kind, status, n, oldest) in rows {
        let i = match out.iter().position(|b| b.kind == kind) {
            Some(i) => i,
            None => {
                out.push(Backlog {
                    kind,
                    pending: 0,
                    oldest_pending: None,
                    dead: 0,
                });
                out.len() - 1
            }
        };
        if status == "pending" {
            out[i].pending = n;
            out[i].oldest_pending = Some(oldest);
        } else {
            out[i].dead = n;
        }
    }
    Ok(out)
}

/// A dead-lettered message, for admins.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: i64,
    pub kind: String,
    pub chat_id: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

pub async fn dead_letters(conn: &mut Conn, limit: i64) -> Result<Vec<DeadLetter>> {
    let rows: Vec<(i64, String, String, i64, Option<String>, i64)> = sql::query_as(
        "SELECT id, kind, chat_id, attempts, last_error, created_at FROM outbox WHERE status = 'dead'
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, chat_id, attempts, last_error, created_at)| DeadLetter {
                id,
                kind,
                chat_id,
                attempts,
                last_error,
                created_at,
            },
        )
        .collect())
}
