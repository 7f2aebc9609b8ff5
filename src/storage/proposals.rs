//! Proposals (kiến nghị) and where each stands: raised from a report or a forwarded opinion,
//! received, forwarded up a rung, answered. Every move is one conditional `UPDATE` whose
//! condition is the state it moves from, so a second tap, or two officers at once, move it
//! once.

use super::org::Unit;
use super::reports::Opinion;
use super::sql::{self, Conn, FromRow, Row};
use super::{Result, path_range_end};
use crate::domain::period::Period;
use crate::domain::proposal::{ProposalSource, ProposalStatus};

/// A proposal as stored, with the name of the unit that raised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: i64,
    pub unit_id: i64,
    pub source: ProposalSource,
    /// The month it was raised in.
    pub period: String,
    pub opinion_id: Option<i64>,
    /// The member whose opinion it is (never for an anonymous one).
    pub author_id: Option<i64>,
    pub raised_by: i64,
    pub body: String,
    pub status: ProposalStatus,
    /// The rung that owns it (0 grassroots, 1 district, 2 province).
    pub level: i64,
    pub climb_at: Option<i64>,
    pub repeated_period: Option<String>,
    pub reply: Option<String>,
    pub answered_at: Option<i64>,
    pub created_at: i64,
    pub unit_name: String,
    pub unit_path: String,
}

const COLUMNS: &str = "p.id, p.unit_id, p.source, p.period, p.opinion_id, p.author_id, p.raised_by, p.body, \
     p.status, p.level, p.climb_at, p.repeated_period, p.reply, p.answered_at, p.created_at, un.name, un.path";
const FROM: &str = "FROM proposals p JOIN units un ON un.id = p.unit_id";

impl FromRow for Proposal {
    fn from_row(row: &Row) -> std::result::Result<Self, sqlx::Error> {
        let source: String = row.try_get(2usize)?;
        let status: String = row.try_get(8usize)?;
        let corrupt = |what: &str| sqlx::Error::Decode(format!("proposal {what}").into());
        Ok(Self {
            id: row.try_get(0usize)?,
            unit_id: row.try_get(1usize)?,
            source: ProposalSource::parse(&source).ok_or_else(|| corrupt("source"))?,
            period: row.try_get(3usize)?,
            opinion_id: row.try_get(4usize)?,
            author_id: row.try_get(5usize)?,
            raised_by: row.try_get(6usize)?,
            body: row.try_get(7usize)?,
            status: ProposalStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
            level: row.try_get(9usize)?,
            climb_at: row.try_get(10usize)?,
            repeated_period: row.try_get(11usize)?,
            reply: row.try_get(12usize)?,
            answered_at: row.try_get(13usize)?,
            created_at: row.try_get(14usize)?,
            unit_name: row.try_get(15usize)?,
            unit_path: row.try_get(16usize)?,
        })
    }
}

/// A proposal being raised.
#[derive(Debug, Clone)]
pub struct NewProposal<'a> {
    pub unit_id: i64,
    pub source: ProposalSource,
    pub period: Period,
    pub report_id: Option<i64>,
    pub opinion_id: Option<i64>,
    pub author_id: Option<i64>,
    pub raised_by: i64,
    pub body: &'a str,
}

/// Stores a new proposal at rung 0 ("mới"); `None` when its opinion was forwarded already.
pub async fn insert(conn: &mut Conn, new: &NewProposal<'_>, now: i64) -> Result<Option<i64>> {
    if let Some(opinion_id) = new.opinion_id
        && opinion_forwarded(conn, opinion_id).await?
    {
        return Ok(None);
    }
    let id: i64 = sql::query_scalar(
        "INSERT INTO proposals (unit_id, source, period, report_id, opinion_id, author_id, raised_by, body, status, level, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', 0, $9, $9) RETURNING id",
    )
    .bind(new.unit_id)
    .bind(new.source.as_str())
    .bind(new.period.to_string())
    .bind(new.report_id)
    .bind(new.opinion_id)
    .bind(new.author_id)
    .bind(new.raised_by)
    .bind(new.body)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(Some(id))
}

pub async fn load(conn: &mut Conn, id: i64) -> Result<Option<Proposal>> {
    Ok(
        sql::query_as::<Proposal>(&format!("SELECT {COLUMNS} {FROM} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The proposal a unit's report of `period` raised, if any.
pub async fn of_report(conn: &mut Conn, unit_id: i64, period: Period) -> Result<Option<Proposal>> {
    Ok(sql::query_as::<Proposal>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE p.unit_id = $1 AND p.period = $2 AND p.source = 'report'"
    ))
    .bind(unit_id)
    .bind(period.to_string())
    .fetch_optional(conn)
    .await?)
}

/// The unit's latest proposal from a report of a month before `period`.
pub async fn latest_from_reports_before(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
) -> Result<Option<Proposal>> {
    Ok(sql::query_as::<Proposal>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE p.unit_id = $1 AND p.period < $2 AND p.source = 'report'
         ORDER BY p.period DESC LIMIT 1"
    ))
    .bind(unit_id)
    .bind(period.to_string())
    .fetch_optional(conn)
    .await?)
}

/// A corrected report's new text, while the proposal is unanswered.
pub async fn update_body(conn: &mut Conn, id: i64, body: &str, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE proposals SET body = $2, updated_at = $3 WHERE id = $1 AND status <> 'answered'",
    )
    .bind(id)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A later report raised it again word for word: it is linked, not raised twice.
pub async fn mark_repeated(conn: &mut Conn, id: i64, period: Period, now: i64) -> Result<()> {
    sql::query("UPDATE proposals SET repeated_period = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(period.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The rung that owns it from now on, and when it climbs next (never: `None`).
pub async fn set_level(
    conn: &mut Conn,
    id: i64,
    level: i64,
    climb_at: Option<i64>,
    now: i64,
) -> Result<()> {
    sql::query("UPDATE proposals SET level = $2, climb_at = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(level)
        .bind(climb_at)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// "Đã tiếp nhận": only from "mới".
pub async fn mark_received(conn: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE proposals SET status = 'received', updated_at = $2 WHERE id = $1 AND status = 'new'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// "Đã chuyển lên": from rung `from` (as she saw it), while unanswered. The caller then
/// places it on the rung above ([`set_level`]).
pub async fn mark_forwarded(conn: &mut Conn, id: i64, from: i64, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE proposals SET status = 'forwarded', climb_at = NULL, updated_at = $3
         WHERE id = $1 AND level = $2 AND status <> 'answered'",
    )
    .bind(id)
    .bind(from)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// "Đã trả lời": once; it stops climbing.
pub async fn answer(
    conn: &mut Conn,
    id: i64,
    reply: &str,
    by: i64,
    by_unit: i64,
    now: i64,
) -> Result<bool> {
    let done = sql::query(
        "UPDATE proposals SET status = 'answered', reply = $2, answered_by = $3, answered_unit_id = $4,
                answered_at = $5, climb_at = NULL, updated_at = $5
         WHERE id = $1 AND status <> 'answered'",
    )
    .bind(id)
    .bind(reply)
    .bind(by)
    .bind(by_unit)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Open proposals raised in `unit`'s subtree and owned by rung `max_level` or below, oldest
/// first.
pub async fn open_under(conn: &mut Conn, unit: &Unit, max_level: i64) -> Result<Vec<Proposal>> {
    Ok(sql::query_as::<Proposal>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE un.path >= $1 AND un.path < $2
           AND p.status <> 'answered' AND p.level <= $3 ORDER BY p.created_at, p.id"
    ))
    .persistent(false)
    .bind(&unit.path)
    .bind(path_range_end(&unit.path))
    .bind(max_level)
    .fetch_all(conn)
    .await?)
}

/// The paths of the units whose open proposals lie in `unit`'s subtree (one per proposal), for
/// counts per child unit.
pub async fn open_paths_under(conn: &mut Conn, unit: &Unit) -> Result<Vec<String>> {
    Ok(sql::query_scalar::<String>(
        "SELECT un.path FROM proposals p JOIN units un ON un.id = p.unit_id
         WHERE un.path >= $1 AND un.path < $2 AND p.status <> 'answered'",
    )
    .persistent(false)
    .bind(&unit.path)
    .bind(path_range_end(&unit.path))
    .fetch_all(conn)
    .await?)
}

/// A unit's latest proposals, newest first.
pub async fn of_unit(conn: &mut Conn, unit_id: i64, limit: i64) -> Result<Vec<Proposal>> {
    Ok(sql::query_as::<Proposal>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE p.unit_id = $1 ORDER BY p.id DESC LIMIT $2"
    ))
    .bind(unit_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// What a unit's report of `period` recalls of its earlier proposals: those raised before
/// `period` still open, and those answered since `answered_since`; newest first.
pub async fn earlier_for_report(
    conn: &mut Conn,
    unit_id: i64,
    period: Period,
    answered_since: i64,
    limit: i64,
) -> Result<Vec<Proposal>> {
    Ok(sql::query_as::<Proposal>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE p.unit_id = $1 AND p.period < $2
           AND (p.status <> 'answered' OR p.answered_at >= $3) ORDER BY p.id DESC LIMIT $4"
    ))
    .bind(unit_id)
    .bind(period.to_string())
    .bind(answered_since)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn opinion_forwarded(conn: &mut Conn, opinion_id: i64) -> Result<bool> {
    Ok(
        sql::query_scalar::<i64>("SELECT COUNT(*) FROM proposals WHERE opinion_id = $1")
            .bind(opinion_id)
            .fetch_one(conn)
            .await?
            > 0,
    )
}

/// A unit's opinions of `periods` not forwarded yet, newest first; anonymous ones carry no
/// name.
pub async fn opinions_to_forward(
    conn: &mut Conn,
    unit_id: i64,
    periods: [Period; 2],
    limit: i64,
) -> Result<Vec<Opinion>> {
    let rows: Vec<(i64, Option<i64>, Option<String>, String, i64)> = sql::query_as(
        "SELECT o.id, o.author_id, u.display_name, o.body, o.created_at
         FROM opinions o LEFT JOIN users u ON u.id = o.author_id
         WHERE o.unit_id = $1 AND o.period IN ($2, $3)
           AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.opinion_id = o.id)
         ORDER BY o.id DESC LIMIT $4",
    )
    .bind(unit_id)
    .bind(periods[0].to_string())
    .bind(periods[1].to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, author_id, author_name, body, created_at)| Opinion {
            id,
            author_id,
            author_name,
            body,
            created_at,
        })
        .collect())
}

/// One opinion sent to `unit_id`: (author, body, period); `None` if no such opinion of hers.
pub async fn opinion_of_unit(
    conn: &mut Conn,
    opinion_id: i64,
    unit_id: i64,
) -> Result<Option<(Option<i64>, String, String)>> {
    Ok(sql::query_as::<(Option<i64>, String, String)>(
        "SELECT author_id, body, period FROM opinions WHERE id = $1 AND unit_id = $2",
    )
    .bind(opinion_id)
    .bind(unit_id)
    .fetch_optional(conn)
    .await?)
}

/// Unanswered proposals whose time at their rung has run out: (id, climb_at).
pub async fn due_to_climb(conn: &mut Conn, now: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sql::query_as::<(i64, i64)>(
        "SELECT id, climb_at FROM proposals WHERE status <> 'answered' AND climb_at IS NOT NULL
           AND climb_at <= $1 ORDER BY climb_at, id",
    )
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Takes a due climb for this tick: only one of two ticks at once gets it.
pub async fn claim_climb(conn: &mut Conn, id: i64, at: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE proposals SET climb_at = NULL WHERE id = $1 AND climb_at = $2 AND status <> 'answered'",
    )
    .bind(id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// After a climb: "đã chuyển lên".
pub async fn mark_climbed(conn: &mut Conn, id: i64, now: i64) -> Result<()> {
    sql::query(
        "UPDATE proposals SET status = 'forwarded', updated_at = $2 WHERE id = $1 AND status <> 'answered'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
