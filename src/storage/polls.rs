//! Polls (`/laykien`) and their answers: what a sender asked and of whom, the message queued to
//! each recipient (in bulk, a few statements for the whole audience), each person's one answer
//! (a changed answer replaces the old one), and the results per unit.
//!
//! The messages are outbox rows of kind `announcement` whose body is [`QUESTION`] or
//! [`RESULT`]: the courier claims that kind after every other message, along indexes that hold
//! only its rows (`outbox_claim_bulk`, migration 0017). A kind of their own would have needed
//! the claim's statements and partial indexes changed; riding the announcements' lane keeps a
//! poll to a whole province behind every reply and alert with no change to the outbox.

use super::org::Unit;
use super::sql::{self, Conn, FromRow, Row};
use super::{Result, path_range_end};
use crate::domain::announcement::Audience;
use crate::storage::outbox::Kind;

/// The `body` of a poll's question to one recipient.
pub const QUESTION: &str = "poll";
/// The `body` of the result of her area, sent when the poll closes.
pub const RESULT: &str = "poll-result";

/// A poll as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    pub id: i64,
    pub sender_id: i64,
    pub sender_unit_id: i64,
    /// The unit whose subtree it went to.
    pub unit_id: i64,
    pub audience: Audience,
    /// Comments on a draft document (target 7).
    pub on_draft: bool,
    pub question: String,
    /// Empty: comments only.
    pub options: Vec<String>,
    /// Recipients may write a comment.
    pub comments: bool,
    pub created_at: i64,
    pub closes_at: i64,
    pub closed_at: Option<i64>,
}

impl Poll {
    /// Whether an answer at `now` still counts.
    pub fn open_at(&self, now: i64) -> bool {
        self.closed_at.is_none() && now < self.closes_at
    }
}

const COLUMNS: &str = "p.id, p.sender_id, p.sender_unit_id, p.unit_id, p.audience, p.on_draft, p.question, p.options, p.comments, p.created_at, p.closes_at, p.closed_at";

impl FromRow for Poll {
    fn from_row(row: &Row) -> std::result::Result<Self, sqlx::Error> {
        let corrupt = |what: &str| sqlx::Error::Decode(format!("poll {what}").into());
        let audience: String = row.try_get(4usize)?;
        let options: String = row.try_get(7usize)?;
        Ok(Self {
            id: row.try_get(0usize)?,
            sender_id: row.try_get(1usize)?,
            sender_unit_id: row.try_get(2usize)?,
            unit_id: row.try_get(3usize)?,
            audience: Audience::parse(&audience).ok_or_else(|| corrupt("audience"))?,
            on_draft: row.try_get::<i64, _>(5usize)? != 0,
            question: row.try_get(6usize)?,
            options: serde_json::from_str(&options).map_err(|_| corrupt("options"))?,
            comments: row.try_get::<i64, _>(8usize)? != 0,
            created_at: row.try_get(9usize)?,
            closes_at: row.try_get(10usize)?,
            closed_at: row.try_get(11usize)?,
        })
    }
}

/// What a sender has chosen to ask.
#[derive(Debug, Clone)]
pub struct NewPoll<'a> {
    pub sender_id: i64,
    pub sender_unit_id: i64,
    pub unit: &'a Unit,
    pub audience: Audience,
    pub on_draft: bool,
    pub question: &'a str,
    pub options: &'a [String],
    pub comments: bool,
    pub closes_at: i64,
}

/// Who of `audience` in `unit`'s subtree is asked: everyone holding the role there but her.
const AUDIENCE_FILTER: &str = "FROM users u JOIN units un ON un.id = u.unit_id
     WHERE un.path >= $1 AND un.path < $2 AND u.platform <> 'merged' AND u.id <> $3";

fn role_filter(after: usize, audience: Audience) -> String {
    format!(
        "AND u.role IN ({})",
        sql::placeholders(after, audience.roles().len())
    )
}

/// How many people a poll would ask now (the preview says it).
pub async fn audience_size(
    conn: &mut Conn,
    unit: &Unit,
    audience: Audience,
    sender_id: i64,
) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) {AUDIENCE_FILTER} {}",
        role_filter(3, audience)
    );
    let mut q = sql::query_scalar::<i64>(&sql)
        .persistent(false)
        .bind(&unit.path)
        .bind(path_range_end(&unit.path))
        .bind(sender_id);
    for r in audience.roles() {
        q = q.bind(r.as_str());
    }
    Ok(q.fetch_one(conn).await?)
}

/// Stores the poll, its recipients, and its question to each recipient who can be reached, to
/// go out from `not_before` in the bulk lane. Returns its id and how many recipients it has.
pub async fn create(
    conn: &mut Conn,
    new: &NewPoll<'_>,
    now: i64,
    not_before: i64,
) -> Result<(i64, i64)> {
    let options = serde_json::to_string(new.options)
        .map_err(|e| super::StorageError::Corrupt(e.to_string()))?;
    let id: i64 = sql::query_scalar(
        "INSERT INTO polls (sender_id, sender_unit_id, unit_id, audience, on_draft, question,
                            options, comments, created_at, closes_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.sender_id)
    .bind(new.sender_unit_id)
    .bind(new.unit.id)
    .bind(new.audience.as_str())
    .bind(i64::from(new.on_draft))
    .bind(new.question)
    .bind(options)
    .bind(i64::from(new.comments))
    .bind(now)
    .bind(new.closes_at)
    .fetch_one(&mut *conn)
    .await?;
    let sql = format!(
        "INSERT INTO poll_recipients (poll_id, user_id, unit_id)
         SELECT $4, u.id, u.unit_id {AUDIENCE_FILTER} {}",
        role_filter(4, new.audience)
    );
    let mut q = sql::query(&sql)
        .persistent(false)
        .bind(&new.unit.path)
        .bind(path_range_end(&new.unit.path))
        .bind(new.sender_id)
        .bind(id);
    for r in new.audience.roles() {
        q = q.bind(r.as_str());
    }
    let recipients = q.execute(&mut *conn).await?.rows_affected() as i64;
    sql::query(&format!(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, ref_id, body,
                             urgent, not_before, status, attempts, created_at)
         SELECT 'poll:' || r.poll_id || ':' || r.user_id, '{kind}', u.platform, u.chat_id,
                u.id, r.unit_id, r.poll_id, '{QUESTION}', 0, $2, 'pending', 0, $3
         FROM poll_recipients r JOIN users u ON u.id = r.user_id
         WHERE r.poll_id = $1 AND u.reachable = 1
         ORDER BY u.id",
        kind = Kind::Announcement.as_str()
    ))
    .bind(id)
    .bind(not_before)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sql::query(
        "UPDATE poll_recipients SET outbox_id = (
             SELECT o.id FROM outbox o
             WHERE o.dedupe_key = 'poll:' || poll_recipients.poll_id || ':' || poll_recipients.user_id)
         WHERE poll_id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok((id, recipients))
}

/// Notes the target-7 activity a poll on a draft recorded.
pub async fn set_activity(conn: &mut Conn, id: i64, activity_id: i64) -> Result<()> {
    sql::query("UPDATE polls SET activity_id = $1 WHERE id = $2")
        .bind(activity_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn load(conn: &mut Conn, id: i64) -> Result<Option<Poll>> {
    Ok(
        sql::query_as::<Poll>(&format!("SELECT {COLUMNS} FROM polls p WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Her latest polls, newest first.
pub async fn sent_by(conn: &mut Conn, sender_id: i64, limit: i64) -> Result<Vec<Poll>> {
    Ok(sql::query_as::<Poll>(&format!(
        "SELECT {COLUMNS} FROM polls p WHERE p.sender_id = $1 ORDER BY p.id DESC LIMIT $2"
    ))
    .bind(sender_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Open polls to her she has not answered yet, newest first.
pub async fn unanswered_for(
    conn: &mut Conn,
    user_id: i64,
    now: i64,
    limit: i64,
) -> Result<Vec<Poll>> {
    Ok(sql::query_as::<Poll>(&format!(
        "SELECT {COLUMNS} FROM poll_recipients r JOIN polls p ON p.id = r.poll_id
         WHERE r.user_id = $1 AND r.answered_at IS NULL AND p.closed_at IS NULL AND p.closes_at > $2
         ORDER BY p.id DESC LIMIT $3"
    ))
    .bind(user_id)
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Her row of poll `id`: her unit, option and comment; `None` when it was not sent to her.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mine {
    pub unit_id: i64,
    pub choice: Option<i64>,
    pub comment: Option<String>,
}

pub async fn mine(conn: &mut Conn, id: i64, user_id: i64) -> Result<Option<Mine>> {
    let row: Option<(i64, Option<i64>, Option<String>)> = sql::query_as(
        "SELECT unit_id, choice, comment FROM poll_recipients WHERE poll_id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(unit_id, choice, comment)| Mine {
        unit_id,
        choice,
        comment,
    }))
}

/// Records her option (1-based) — replacing an earlier one — while the poll is open at
/// `now`; false when it is not (closed meanwhile).
pub async fn set_choice(
    conn: &mut Conn,
    id: i64,
    user_id: i64,
    choice: i64,
    now: i64,
) -> Result<bool> {
    answer_while_open(conn, id, user_id, Answer::Choice(choice), now).await
}

/// Records her comment (replacing an earlier one) while the poll is open at `now`.
pub async fn set_comment(
    conn: &mut Conn,
    id: i64,
    user_id: i64,
    comment: &str,
    now: i64,
) -> Result<bool> {
    answer_while_open(conn, id, user_id, Answer::Comment(comment), now).await
}

/// One part of her answer.
enum Answer<'a> {
    Choice(i64),
    Comment(&'a str),
}

/// Records `answer` (replacing the same part of an earlier one) while the poll is open.
async fn answer_while_open(
    conn: &mut Conn,
    id: i64,
    user_id: i64,
    answer: Answer<'_>,
    now: i64,
) -> Result<bool> {
    let column = match answer {
        Answer::Choice(_) => "choice",
        Answer::Comment(_) => "comment",
    };
    let statement = format!(
        "UPDATE poll_recipients SET {column} = $1, answered_at = $2
         WHERE poll_id = $3 AND user_id = $4
           AND EXISTS (SELECT 1 FROM polls p WHERE p.id = $3 AND p.closed_at IS NULL AND p.closes_at > $2)"
    );
    let q = sql::query(&statement);
    let q = match answer {
        Answer::Choice(choice) => q.bind(choice),
        Answer::Comment(comment) => q.bind(comment),
    };
    let done = q.bind(now).bind(id).bind(user_id).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

/// How a poll fared in one unit (the recipients' own units).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitResult {
    pub unit_id: i64,
    pub unit_name: String,
    /// The unit's place in the tree (to roll units up into the ones above them).
    pub unit_path: String,
    pub recipients: i64,
    /// Chose an option or wrote a comment.
    pub answered: i64,
    /// People per option, in the poll's order.
    pub counts: Vec<i64>,
}

impl UnitResult {
    /// Adds another unit's figures (a total).
    pub fn add(&mut self, o: &UnitResult) {
        self.recipients += o.recipients;
        self.answered += o.answered;
        if self.counts.len() < o.counts.len() {
            self.counts.resize(o.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
    }
}

/// Results of `poll` per unit, in the order of the tree; only units within `area` when given.
pub async fn results(conn: &mut Conn, poll: &Poll, area: Option<&Unit>) -> Result<Vec<UnitResult>> {
    type ResultRow = (i64, String, String, Option<i64>, i64, i64);
    let within = if area.is_some() {
        "AND un.path >= $2 AND un.path < $3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT r.unit_id, un.name, un.path, r.choice, COUNT(*),
                SUM(CASE WHEN r.answered_at IS NOT NULL THEN 1 ELSE 0 END)
         FROM poll_recipients r JOIN units un ON un.id = r.unit_id
         WHERE r.poll_id = $1 {within}
         GROUP BY r.unit_id, un.name, un.path, r.choice ORDER BY un.path, r.choice"
    );
    let mut q = sql::query_as::<ResultRow>(&sql)
        .persistent(false)
        .bind(poll.id);
    if let Some(u) = area {
        q = q.bind(&u.path).bind(path_range_end(&u.path));
    }
    let rows = q.fetch_all(conn).await?;
    let mut out: Vec<UnitResult> = Vec::new();
    for (unit_id, unit_name, unit_path, choice, count, answered) in rows {
        if out.last().is_none_or(|u| u.unit_id != unit_id) {
            out.push(UnitResult {
                unit_id,
                unit_name,
                unit_path,
                counts: vec![0; poll.options.len()],
                ..UnitResult::default()
            });
        }
        let Some(u) = out.last_mut() else { continue };
        u.recipients += count;
        u.answered += answered;
        if let Some(slot) = choice
            .and_then(|c| usize::try_from(c - 1).ok())
            .and_then(|i| u.counts.get_mut(i))
        {
            *slot += count;
        }
    }
    Ok(out)
}

/// The comments written on `poll`, with the writer's unit, oldest answer first; `limit` at most.
pub async fn comments(conn: &mut Conn, id: i64, limit: i64) -> Result<Vec<(String, String)>> {
    Ok(sql::query_as(
        "SELECT un.name, r.comment FROM poll_recipients r JOIN units un ON un.id = r.unit_id
         WHERE r.poll_id = $1 AND r.comment IS NOT NULL
         ORDER BY un.path, r.answered_at, r.user_id LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Open polls whose closing time has come, oldest first.
pub async fn due(conn: &mut Conn, now: i64) -> Result<Vec<Poll>> {
    Ok(sql::query_as::<Poll>(&format!(
        "SELECT {COLUMNS} FROM polls p WHERE p.closed_at IS NULL AND p.closes_at <= $1 ORDER BY p.id"
    ))
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Closes `poll` at `now`, once: queues her area's result to everyone who answered (and the
/// whole result to the sender), from `not_before`. `None` when it was closed before, else how
/// many results were queued.
pub async fn close(conn: &mut Conn, poll: &Poll, now: i64, not_before: i64) -> Result<Option<i64>> {
    let first = sql::query("UPDATE polls SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL")
        .bind(now)
        .bind(poll.id)
        .execute(&mut *conn)
        .await?;
    if first.rows_affected() == 0 {
        return Ok(None);
    }
    let kind = Kind::Announcement.as_str();
    let to_answered = sql::query(&format!(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, ref_id, body,
                             urgent, not_before, status, attempts, created_at)
         SELECT 'poll:' || r.poll_id || ':' || r.user_id || ':result', '{kind}', u.platform,
                u.chat_id, u.id, r.unit_id, r.poll_id, '{RESULT}', 0, $2, 'pending', 0, $3
         FROM poll_recipients r JOIN users u ON u.id = r.user_id
         WHERE r.poll_id = $1 AND r.answered_at IS NOT NULL AND u.reachable = 1
         ORDER BY u.id
         ON CONFLICT (dedupe_key) DO NOTHING"
    ))
    .bind(poll.id)
    .bind(not_before)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    let to_sender = sql::query(&format!(
        "INSERT INTO outbox (dedupe_key, kind, platform, chat_id, user_id, unit_id, ref_id, body,
                             urgent, not_before, status, attempts, created_at)
         SELECT 'poll:' || $1 || ':sender:result', '{kind}', u.platform, u.chat_id, u.id, $4, $1,
                '{RESULT}', 0, $2, 'pending', 0, $3
         FROM users u WHERE u.id = $5 AND u.reachable = 1 AND u.platform <> 'merged'
         ON CONFLICT (dedupe_key) DO NOTHING"
    ))
    .bind(poll.id)
    .bind(not_before)
    .bind(now)
    .bind(poll.unit_id)
    .bind(poll.sender_id)
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    Ok(Some(to_answered + to_sender))
}
