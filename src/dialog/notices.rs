//! Notices the engine and the courier queue about someone: that a person can no longer be
//! reached, told to her unit's head.

use chrono::{DateTime, Utc};

use crate::domain::calendar::Calendars;
use crate::domain::role::Role;
use crate::storage::Conn;
use crate::storage::outbox::{self, Kind, NewMessage};
use crate::storage::users::{self, User};
use crate::storage::{StorageError, org};

/// Someone blocked the bot: her unit's head (or the grassroots officers above) hears of it
/// once a day at most.
pub async fn tell_head_unreachable(
    conn: &mut Conn,
    calendars: &Calendars,
    platform: &str,
    chat_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let gone = users::user_in_chat(conn, platform, chat_id).await?;
    let Some((gone_id, Some(unit_id))) = gone.map(|u| (u.id, u.unit_id)) else {
        return Ok(());
    };
    let Some(unit) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(());
    };
    let mut heads: Vec<User> =
        users::users_in_units_with_roles(conn, &[unit.id], &[Role::BranchHead])
            .await?
            .into_iter()
            .filter(|u| u.id != gone_id)
            .collect();
    if heads.is_empty() {
        heads =
            users::users_in_units_with_roles(conn, &unit.lineage_ids(), &[Role::GrassrootsOfficer])
                .await?
                .into_iter()
                .filter(|u| u.id != gone_id)
                .collect();
    }
    let calendar = org::calendar_for(conn, calendars, &unit).await?;
    let day = now.with_timezone(&calendar.tz).format("%Y-%m-%d");
    for head in heads {
        let m = NewMessage {
            key: Some(format!("unreachable:{gone_id}:{}:{day}", head.id)),
            kind: Kind::Unreachable,
            platform: head.platform.clone(),
            chat_id: head.chat_id.clone(),
            user_id: Some(head.id),
            unit_id: Some(unit.id),
            period: None,
            ref_id: Some(gone_id),
            body: None,
            urgent: false,
            not_before: calendar.next_sendable(now).timestamp(),
            lease: None,
        };
        outbox::enqueue(conn, &m, now.timestamp()).await?;
    }
    Ok(())
}
