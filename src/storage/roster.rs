//! The roster (`roster_members`): each branch's members as the union keeps them, matched to
//! their accounts on the bot; and the access log (`access_log`) of who saw lists of people.
//! Phone numbers are read and written here and never put in a log line.

use super::org::Unit;
use super::sql::{self, Conn};
use super::{Result, path_range_end};
use crate::domain::announcement::AnnouncementKind;
use crate::domain::roster::{MemberStatus, Phone};

/// A roster row as stored. A forgotten row has no name, phone or account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterMember {
    pub id: i64,
    pub unit_id: i64,
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub status: MemberStatus,
    pub honorary: bool,
    pub user_id: Option<i64>,
}

type RawRow = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<i64>,
);

const COLUMNS: &str = "m.id, m.unit_id, m.name, m.phone, m.status, m.honorary, m.user_id";

fn member((id, unit_id, name, phone, status, honorary, user_id): RawRow) -> RosterMember {
    RosterMember {
        id,
        unit_id,
        name,
        phone: phone.map(Phone::from_stored),
        // An unknown word (a later release's) reads as active rather than failing the view.
        status: MemberStatus::parse(&status).unwrap_or(MemberStatus::Active),
        honorary: honorary != 0,
        user_id,
    }
}

/// A row to add.
#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    pub unit_id: i64,
    pub name: &'a str,
    pub phone: Option<&'a Phone>,
    pub status: MemberStatus,
    pub honorary: bool,
    pub user_id: Option<i64>,
}

pub async fn insert(conn: &mut Conn, m: &NewMember<'_>, now: i64) -> Result<i64> {
    Ok(sql::query_scalar(
        "INSERT INTO roster_members (unit_id, name, phone, status, honorary, user_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(m.unit_id)
    .bind(m.name)
    .bind(m.phone.map(Phone::as_str))
    .bind(m.status.as_str())
    .bind(i64::from(m.honorary))
    .bind(m.user_id)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Re-import: the row `id` takes the file's unit, name, status and honorary flag (her phone
/// and her account stay).
pub async fn update(conn: &mut Conn, id: i64, m: &NewMember<'_>, now: i64) -> Result<()> {
    sql::query(
        "UPDATE roster_members SET unit_id = $2, name = $3, status = $4, honorary = $5, updated_at = $6
         WHERE id = $1",
    )
    .bind(id)
    .bind(m.unit_id)
    .bind(m.name)
    .bind(m.status.as_str())
    .bind(i64::from(m.honorary))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every row that is not forgotten, for checking a file against (a province's roster is a few
/// hundred thousand short rows).
pub async fn all_kept(conn: &mut Conn) -> Result<Vec<RosterMember>> {
    let rows: Vec<RawRow> = sql::query_as(&format!(
        "SELECT {COLUMNS} FROM roster_members m WHERE m.forgotten_at IS NULL ORDER BY m.id"
    ))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(member).collect())
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<RosterMember>> {
    let row: Option<RawRow> = sql::query_as(&format!(
        "SELECT {COLUMNS} FROM roster_members m WHERE m.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(member))
}

/// Her row, once she is matched.
pub async fn by_user(conn: &mut Conn, user_id: i64) -> Result<Option<RosterMember>> {
    let row: Option<RawRow> = sql::query_as(&format!(
        "SELECT {COLUMNS} FROM roster_members m WHERE m.user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(member))
}

/// The row holding `phone`, if any.
pub async fn by_phone(conn: &mut Conn, phone: &Phone) -> Result<Option<RosterMember>> {
    let row: Option<RawRow> = sql::query_as(&format!(
        "SELECT {COLUMNS} FROM roster_members m WHERE m.phone = $1"
    ))
    .bind(phone.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(member))
}

/// The rows of `unit` and the units below it, by name (forgotten rows last).
pub async fn under(conn: &mut Conn, unit: &Unit) -> Result<Vec<RosterMember>> {
    let rows: Vec<RawRow> = sql::query_as(&format!(
        "SELECT {COLUMNS} FROM roster_members m JOIN units u ON u.id = m.unit_id
         WHERE u.path >= $1 AND u.path < $2
         ORDER BY CASE WHEN m.name IS NULL THEN 1 ELSE 0 END, m.name, m.id"
    ))
    .persistent(false)
    .bind(&unit.path)
    .bind(path_range_end(&unit.path))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(member).collect())
}

/// Links row `id` to `user_id` if neither is matched yet and the row is not forgotten.
pub async fn link(conn: &mut Conn, id: i64, user_id: i64, now: i64) -> Result<bool> {
    let taken: Option<i64> = sql::query_scalar("SELECT id FROM roster_members WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Ok(false);
    }
    let done = sql::query(
        "UPDATE roster_members SET user_id = $2, updated_at = $3
         WHERE id = $1 AND user_id IS NULL AND forgotten_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Her own status, from the bot. False when she has no row.
pub async fn set_status_of(
    conn: &mut Conn,
    user_id: i64,
    status: MemberStatus,
    now: i64,
) -> Result<bool> {
    let done =
        sql::query("UPDATE roster_members SET status = $2, updated_at = $3 WHERE user_id = $1")
            .bind(user_id)
            .bind(status.as_str())
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Erases row `id`'s name, phone and account; its unit, status and flag stay for the counts.
/// False when there is no such row or it was forgotten already.
pub async fn forget(conn: &mut Conn, id: i64, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE roster_members SET name = NULL, phone = NULL, user_id = NULL, forgotten_at = $2, updated_at = $2
         WHERE id = $1 AND forgotten_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How the members of a unit stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: i64,
    pub on_bot: i64,
    /// Marked unreachable, or her account on the bot cannot be reached.
    pub unreachable: i64,
    pub honorary: i64,
    pub away: i64,
}

impl Counts {
    pub fn not_on_bot(&self) -> i64 {
        self.total - self.on_bot
    }

    fn add(&mut self, o: Counts) {
        self.total += o.total;
        self.on_bot += o.on_bot;
        self.unreachable += o.unreachable;
        self.honorary += o.honorary;
        self.away += o.away;
    }
}

/// The counts under `root`, in total and per child of `root` (child id → counts), in one
/// grouped statement.
pub async fn counts_under(conn: &mut Conn, root: &Unit) -> Result<(Counts, Vec<(i64, Counts)>)> {
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sql::query_as(
        "SELECT u.path, COUNT(*),
                CAST(SUM(CASE WHEN m.user_id IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN m.status = 'unreachable' OR (m.user_id IS NOT NULL AND COALESCE(p.reachable, 1) = 0) THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(m.honorary) AS BIGINT),
                CAST(SUM(CASE WHEN m.status = 'away' THEN 1 ELSE 0 END) AS BIGINT)
         FROM roster_members m JOIN units u ON u.id = m.unit_id
         LEFT JOIN users p ON p.id = m.user_id
         WHERE u.path >= $1 AND u.path < $2
         GROUP BY u.path",
    )
    .persistent(false)
    .bind(&root.path)
    .bind(path_range_end(&root.path))
    .fetch_all(conn)
    .await?;
    let mut total = Counts::default();
    let mut per: Vec<(i64, Counts)> = Vec::new();
    for (path, n, on_bot, unreachable, honorary, away) in rows {
        let c = Counts {
            total: n,
            on_bot,
            unreachable,
            honorary,
            away,
        };
        total.add(c);
        // The child of `root` this unit is in: the next id on its path.
        let child = path[root.path.len()..]
            .split('/')
            .next()
            .and_then(|s| s.parse::<i64>().ok());
        if let Some(child) = child {
            match per.iter_mut().find(|(id, _)| *id == child) {
                Some((_, sum)) => sum.add(c),
                None => per.push((child, c)),
            }
        }
    }
    Ok((total, per))
}

/// The figures of targets 3 and 9 under a union, for a year: roster members, those who
/// confirmed reading a policy announcement in `[from, until)`, ordinary (not honorary)
/// members, and women aged 18+ as entered by `stats import` (0 when not entered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub members: i64,
    pub reached: i64,
    pub ordinary: i64,
    pub honorary: i64,
    pub women_18plus: i64,
    /// The members figure `stats import` entered, for a union with no roster yet.
    pub stats_members: i64,
}

impl Figures {
    /// Target 9's numerator: the roster's ordinary members once a roster exists, else the
    /// figure entered by `stats import` (what the target counted before the roster).
    pub fn gathered(&self) -> i64 {
        if self.members > 0 {
            self.ordinary
        } else {
            self.stats_members
        }
    }
}

pub async fn figures(
    conn: &mut Conn,
    union: &Unit,
    year: i32,
    from: i64,
    until: i64,
) -> Result<Figures> {
    let end = path_range_end(&union.path);
    let (members, ordinary): (i64, i64) = sql::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(1 - m.honorary), 0) AS BIGINT)
         FROM roster_members m JOIN units u ON u.id = m.unit_id
         WHERE u.path >= $1 AND u.path < $2",
    )
    .persistent(false)
    .bind(&union.path)
    .bind(&end)
    .fetch_one(&mut *conn)
    .await?;
    let reached: i64 = sql::query_scalar(
        "SELECT COUNT(*) FROM roster_members m JOIN units u ON u.id = m.unit_id
         WHERE u.path >= $1 AND u.path < $2 AND m.user_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM announcement_recipients r
                       WHERE r.user_id = m.user_id AND r.kind = $3 AND r.read_at >= $4 AND r.read_at < $5)",
    )
    .persistent(false)
    .bind(&union.path)
    .bind(&end)
    .bind(AnnouncementKind::Policy.as_str())
    .bind(from)
    .bind(until)
    .fetch_one(&mut *conn)
    .await?;
    let stats: Option<(i64, i64)> = sql::query_as(
        "SELECT women_18plus, members FROM unit_stats WHERE unit_id = $1 AND year = $2",
    )
    .bind(union.id)
    .bind(i64::from(year))
    .fetch_optional(conn)
    .await?;
    let (women_18plus, stats_members) = stats.unwrap_or((0, 0));
    Ok(Figures {
        members,
        reached,
        ordinary,
        honorary: members - ordinary,
        women_18plus,
        stats_members,
    })
}

// ---- the access log --------------------------------------------------------------------------

/// One look at a list of people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub at: i64,
    /// Her account on the bot; `None` for the operator's command line.
    pub actor_id: Option<i64>,
    pub actor: String,
    pub what: String,
    pub unit_id: Option<i64>,
    pub rows: i64,
}

pub async fn log_access(conn: &mut Conn, a: &Access) -> Result<()> {
    sql::query(
        "INSERT INTO access_log (at, actor_id, actor, what, unit_id, row_count) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.at)
    .bind(a.actor_id)
    .bind(a.actor.as_str())
    .bind(a.what.as_str())
    .bind(a.unit_id)
    .bind(a.rows)
    .execute(conn)
    .await?;
    Ok(())
}

/// The log since `since`, oldest first, with each unit's code.
pub async fn access_log(conn: &mut Conn, since: i64) -> Result<Vec<(Access, Option<String>)>> {
    let rows: Vec<(
        i64,
        Option<i64>,
        String,
        String,
        Option<i64>,
        i64,
        Option<String>,
    )> = sql::query_as(
        "SELECT l.at, l.actor_id, l.actor, l.what, l.unit_id, l.row_count, u.code
             FROM access_log l LEFT JOIN units u ON u.id = l.unit_id
             WHERE l.at >= $1 ORDER BY l.at, l.id",
    )
    .bind(since)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, actor_id, actor, what, unit_id, rows, code)| {
            (
                Access {
                    at,
                    actor_id,
                    actor,
                    what,
                    unit_id,
                    rows,
                },
                code,
            )
        })
        .collect())
}
