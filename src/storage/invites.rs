//! Invites made in chat (`/moi`): made by an officer for a unit below her, multi-use until they
//! expire; she lists her open ones with how many joined by each, and revokes her own. Redeeming
//! a code is the same for every invite (`users::redeem_invite`), an operator's or hers.

use super::sql::{self, Conn};
use super::{Result, StorageError};
use crate::domain::invite::{InviteCode, OPEN_USES};
use crate::domain::role::Role;

/// Stores an invite `by` made for `unit_id`, open to any number of people until `expires_at`.
pub async fn create_by(
    conn: &mut Conn,
    code: &InviteCode,
    unit_id: i64,
    role: Role,
    by: i64,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    sql::query(
        "INSERT INTO invites (code, unit_id, role, max_uses, expires_at, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(code.as_str())
    .bind(unit_id)
    .bind(role.as_str())
    .bind(OPEN_USES)
    .bind(expires_at)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// One of her invites, as `/moi` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnInvite {
    pub code: InviteCode,
    pub unit_id: i64,
    pub unit_name: String,
    pub role: Role,
    /// How many people joined with it.
    pub joined: i64,
    pub expires_at: i64,
}

type Row = (String, i64, String, String, i64, i64);

fn own_from_row((code, unit_id, unit_name, role, joined, expires_at): Row) -> Result<OwnInvite> {
    Ok(OwnInvite {
        code: InviteCode::parse(&code)
            .ok_or_else(|| StorageError::Corrupt("invite code".into()))?,
        unit_id,
        unit_name,
        role: role
            .parse()
            .map_err(|e: crate::domain::role::UnknownRole| StorageError::Corrupt(e.to_string()))?,
        joined,
        expires_at,
    })
}

const OWN_COLUMNS: &str = "i.code, i.unit_id, u.name, i.role, i.uses, i.expires_at";

/// The invites `by` made that still work at `now` (neither revoked nor expired), newest first.
pub async fn open_made_by(conn: &mut Conn, by: i64, now: i64) -> Result<Vec<OwnInvite>> {
    let rows: Vec<Row> = sql::query_as(&format!(
        "SELECT {OWN_COLUMNS} FROM invites i JOIN units u ON u.id = i.unit_id
         WHERE i.created_by = $1 AND i.revoked_at IS NULL AND i.expires_at > $2
         ORDER BY i.created_at DESC, i.code"
    ))
    .bind(by)
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(own_from_row).collect()
}

/// Her invite `code`, if `by` made it and it still works at `now`: what she may revoke.
pub async fn open_one_made_by(
    conn: &mut Conn,
    code: &InviteCode,
    by: i64,
    now: i64,
) -> Result<Option<OwnInvite>> {
    let row: Option<Row> = sql::query_as(&format!(
        "SELECT {OWN_COLUMNS} FROM invites i JOIN units u ON u.id = i.unit_id
         WHERE i.code = $1 AND i.created_by = $2 AND i.revoked_at IS NULL AND i.expires_at > $3"
    ))
    .bind(code.as_str())
    .bind(by)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(own_from_row).transpose()
}

/// Revokes her invite `code`; `false` when it is not hers or was revoked already.
pub async fn revoke_made_by(conn: &mut Conn, code: &InviteCode, by: i64, now: i64) -> Result<bool> {
    let done = sql::query(
        "UPDATE invites SET revoked_at = $1
         WHERE code = $2 AND created_by = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(code.as_str())
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An invite's unit name, role and expiry, if it still works at `now` (its QR picture is made
/// only then).
pub async fn open_invite_unit(
    conn: &mut Conn,
    code: &InviteCode,
    now: i64,
) -> Result<Option<(String, Role, i64)>> {
    let row: Option<(String, String, i64)> = sql::query_as(
        "SELECT u.name, i.role, i.expires_at FROM invites i JOIN units u ON u.id = i.unit_id
         WHERE i.code = $1 AND i.revoked_at IS NULL AND i.expires_at > $2",
    )
    .bind(code.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await?;
    row.map(|(name, role, expires_at)| {
        let role = role
            .parse()
            .map_err(|e: crate::domain::role::UnknownRole| StorageError::Corrupt(e.to_string()))?;
        Ok((name, role, expires_at))
    })
    .transpose()
}

/// Whether `by` made the invite `code` (whatever became of it).
pub async fn was_made_by(conn: &mut Conn, code: &InviteCode, by: i64) -> Result<bool> {
    let row: Option<(i64,)> =
        sql::query_as("SELECT created_by FROM invites WHERE code = $1 AND created_by = $2")
            .bind(code.as_str())
            .bind(by)
            .fetch_optional(conn)
            .await?;
    Ok(row.is_some())
}

/// Revokes every invite `by` made that is still open: her unit or role changed, or her access
/// was taken away, and what she invited people to was hers to give only as she was.
pub async fn revoke_all_made_by(conn: &mut Conn, by: i64, now: i64) -> Result<u64> {
    let done = sql::query(
        "UPDATE invites SET revoked_at = $1
         WHERE created_by = $2 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
