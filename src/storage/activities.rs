//! Activities units log (campaigns, models, households helped, supervision, meetings…), their
//! catalogue, photos, and the statistics admins enter per grassroots union.

use chrono::NaiveDate;

use super::sql::{self, Conn};
use super::{Result, StorageError};
use crate::domain::period::Period;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityType {
    pub code: String,
    pub group: String,
    pub name_vi: String,
    pub name_en: String,
    /// `participants`, `households` or `count`.
    pub measure: String,
}

impl ActivityType {
    pub fn name(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Vi => &self.name_vi,
            crate::i18n::Lang::En => &self.name_en,
        }
    }
}

pub async fn activity_types(conn: &mut Conn) -> Result<Vec<ActivityType>> {
    let rows: Vec<(String, String, String, String, String)> = sql::query_as(
        "SELECT code, grp, name_vi, name_en, measure FROM activity_types WHERE active = 1 ORDER BY position, code",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(code, group, name_vi, name_en, measure)| ActivityType {
            code,
            group,
            name_vi,
            name_en,
            measure,
        })
        .collect())
}

pub async fn activity_type(conn: &mut Conn, code: &str) -> Result<Option<ActivityType>> {
    Ok(activity_types(conn)
        .await?
        .into_iter()
        .find(|t| t.code == code))
}

/// Adds or updates a catalogue entry (`chihoi catalog import`).
pub async fn upsert_activity_type(conn: &mut Conn, t: &ActivityType, position: i64) -> Result<()> {
    sql::query(
        "INSERT INTO activity_types (code, grp, name_vi, name_en, measure, position, active) VALUES ($1, $2, $3, $4, $5, $6, 1)
         ON CONFLICT (code) DO UPDATE SET grp = excluded.grp, name_vi = excluded.name_vi, name_en = excluded.name_en,
                                          measure = excluded.measure, position = excluded.position, active = 1",
    )
    .bind(&t.code)
    .bind(&t.group)
    .bind(&t.name_vi)
    .bind(&t.name_en)
    .bind(&t.measure)
    .bind(position)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NewActivity<'a> {
    pub unit_id: i64,
    pub grassroots_id: Option<i64>,
    pub type_code: &'a str,
    pub date: NaiveDate,
    pub amount: i64,
    pub description: Option<&'a str>,
    pub author_id: i64,
    pub photos: &'a [(String, Option<i64>)],
    pub platform: &'a str,
}

pub async fn insert_activity(conn: &mut Conn, a: &NewActivity<'_>, now: i64) -> Result<i64> {
    use chrono::Datelike;
    let period = Period::new(a.date.year(), a.date.month())
        .ok_or_else(|| StorageError::Corrupt(format!("activity date {}", a.date)))?;
    let (id,): (i64,) = sql::query_as(
        "INSERT INTO activities (unit_id, grassroots_id, type_code, happened_on, year, period, amount, description,
                                 author_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(a.unit_id)
    .bind(a.grassroots_id)
    .bind(a.type_code)
    .bind(a.date.format("%Y-%m-%d").to_string())
    .bind(i64::from(a.date.year()))
    .bind(period.to_string())
    .bind(a.amount)
    .bind(a.description)
    .bind(a.author_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for (file_id, size) in a.photos {
        sql::query("INSERT INTO activity_photos (activity_id, platform, file_id, size_bytes) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(a.platform)
            .bind(file_id)
            .bind(*size)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// Sets the figures of a grassroots union for a year (`chihoi stats set`).
pub async fn set_unit_stats(
    conn: &mut Conn,
    unit_id: i64,
    year: i32,
    women_18plus: i64,
    // `None` keeps the members figure stored before (0 for a new row).
    members: Option<i64>,
    now: i64,
) -> Result<()> {
    sql::query(
        "INSERT INTO unit_stats (unit_id, year, women_18plus, members, updated_at) VALUES ($1, $2, $3, COALESCE($4, 0), $5)
         ON CONFLICT (unit_id, year) DO UPDATE SET women_18plus = excluded.women_18plus,
                                                  members = COALESCE($4, unit_stats.members),
                                                  updated_at = excluded.updated_at",
    )
    .bind(unit_id)
    .bind(i64::from(year))
    .bind(women_18plus)
    .bind(members)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many activities a unit logged for a period (the monthly digest).
pub async fn count_in_period(conn: &mut Conn, unit_id: i64, period: Period) -> Result<i64> {
    let (n,): (i64,) =
        sql::query_as("SELECT COUNT(*) FROM activities WHERE unit_id = $1 AND period = $2")
            .bind(unit_id)
            .bind(period.to_string())
            .fetch_one(conn)
            .await?;
    Ok(n)
}

/// The highest catalogue position so far (new types go after it).
pub async fn last_type_position(conn: &mut Conn) -> Result<Option<i64>> {
    let (max,): (Option<i64>,) = sql::query_as("SELECT MAX(position) FROM activity_types")
        .fetch_one(conn)
        .await?;
    Ok(max)
}
