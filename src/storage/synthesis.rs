//! The few reads of the monthly synthesis (`crate::synthesis`) that the export's sheets do not
//! carry: which units are still missing (named), the month's proposals with where each stands,
//! and the state of the alert a monthly report's incident raised.

use super::org::Unit;
use super::sql::{self, Conn};
use super::{Result, path_range_end};
use crate::domain::period::Period;

/// Names of the units at or under `root` expected to report `period` (branches and grassroots
/// unions) that have not, in tree order, at most `limit`.
pub async fn missing_names(
    conn: &mut Conn,
    root: &Unit,
    period: Period,
    limit: i64,
) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sql::query_as(
        "SELECT u.name FROM units u
         WHERE u.path >= $1 AND u.path < $2 AND u.level IN ('branch', 'grassroots')
           AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.unit_id = u.id AND r.period = $3)
         ORDER BY u.path LIMIT $4",
    )
    .persistent(false)
    .bind(&root.path)
    .bind(path_range_end(&root.path))
    .bind(period.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

/// The proposals raised in `period` at or under `root`: (unit name, body, status as stored,
/// source as stored), oldest first.
pub async fn proposals(
    conn: &mut Conn,
    root: &Unit,
    period: Period,
) -> Result<Vec<(String, String, String, String)>> {
    Ok(sql::query_as(
        "SELECT un.name, p.body, p.status, p.source FROM proposals p JOIN units un ON un.id = p.unit_id
         WHERE un.path >= $1 AND un.path < $2 AND p.period = $3 ORDER BY p.id",
    )
    .persistent(false)
    .bind(&root.path)
    .bind(path_range_end(&root.path))
    .bind(period.to_string())
    .fetch_all(conn)
    .await?)
}

/// The status of the alert raised by a monthly report's incident of unit `code` with this
/// description (a very serious one climbs the urgent ladder), if one was raised.
pub async fn report_alert_status(
    conn: &mut Conn,
    code: &str,
    description: &str,
) -> Result<Option<String>> {
    let row: Option<(String,)> = sql::query_as(
        "SELECT a.status FROM urgent_reports a JOIN units u ON u.id = a.unit_id
         WHERE u.code = $1 AND a.description = $2 AND a.origin LIKE 'report:%'
         ORDER BY a.id DESC LIMIT 1",
    )
    .persistent(false)
    .bind(code)
    .bind(description)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(s,)| s))
}
