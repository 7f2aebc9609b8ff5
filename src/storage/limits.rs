//! The rows that per-person limits count ([`crate::domain::limits`]): when she last asked to
//! join, reported something urgent, or asked for a chart or an export.

use super::Result;
use super::sql::{self, Conn};

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    JoinRequests,
    /// Urgent reports she made with /khancap (not those her monthly report raised).
    UrgentReports,
    /// Charts and exports queued for her.
    Files,
}

/// The times (unix seconds) of her uses after `since`, newest first, at most `max` of them.
pub async fn recent_uses(
    conn: &mut Conn,
    counted: Counted,
    user_id: i64,
    since: i64,
    max: u32,
) -> Result<Vec<i64>> {
    let sql = match counted {
        Counted::JoinRequests => {
            "SELECT created_at FROM join_requests WHERE user_id = $1 AND created_at > $2
             ORDER BY created_at DESC LIMIT $3"
        }
        Counted::UrgentReports => {
            "SELECT created_at FROM urgent_reports
             WHERE reporter_id = $1 AND created_at > $2 AND source = 'adhoc'
             ORDER BY created_at DESC LIMIT $3"
        }
        Counted::Files => {
            "SELECT created_at FROM outbox WHERE user_id = $1 AND created_at > $2 AND kind = 'made'
             ORDER BY created_at DESC LIMIT $3"
        }
    };
    let rows: Vec<(i64,)> = sql::query_as(sql)
        .bind(user_id)
        .bind(since)
        .bind(i64::from(max))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}
