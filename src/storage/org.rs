//! Units of the organisation tree: import, lookup, subtree and ancestor queries.

use std::collections::HashMap;

use super::sql::{self, Conn};
use super::{Result, StorageError, path_range_end};
use crate::collation;
use crate::domain::calendar::{Calendar, CalendarSettings, Calendars};
use crate::domain::org::{ExistingUnit, ImportPlan, Level, UnitCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub parent_id: Option<i64>,
    pub level: Level,
    pub name: String,
    /// Ids from the root down to this unit, as `/1/4/17/`.
    pub path: String,
}

impl Unit {
    /// Whether `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &Unit) -> bool {
        self.path.starts_with(&ancestor.path)
    }

    /// Ids on the path from the root to this unit, root first.
    pub fn lineage_ids(&self) -> Vec<i64> {
        self.path
            .split('/')
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

type UnitRow = (i64, String, Option<i64>, String, String, String);

const UNIT_COLUMNS: &str = "id, code, parent_id, level, name, path";

fn unit_from_row(row: UnitRow) -> Result<Unit> {
    let (id, code, parent_id, level, name, path) = row;
    let level = level
        .parse::<Level>()
        .map_err(|_| StorageError::Corrupt(format!("unit {code} has level {level:?}")))?;
    Ok(Unit {
        id,
        code,
        parent_id,
        level,
        name,
        path,
    })
}

fn units_from_rows(rows: Vec<UnitRow>) -> Result<Vec<Unit>> {
    rows.into_iter().map(unit_from_row).collect()
}

pub async fn all_units(conn: &mut Conn) -> Result<Vec<Unit>> {
    let rows: Vec<UnitRow> =
        sql::query_as(&format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY path"))
            .fetch_all(conn)
            .await?;
    units_from_rows(rows)
}

/// The tree as the import planner sees it.
pub async fn existing_units(conn: &mut Conn) -> Result<Vec<ExistingUnit>> {
    let units = all_units(conn).await?;
    let codes: HashMap<i64, String> = units.iter().map(|u| (u.id, u.code.clone())).collect();
    units
        .into_iter()
        .map(|u| {
            let parse = |c: &str| {
                c.parse::<UnitCode>()
                    .map_err(|_| StorageError::Corrupt(format!("unit code {c:?}")))
            };
            Ok(ExistingUnit {
                code: parse(&u.code)?,
                parent: u
                    .parent_id
                    .and_then(|p| codes.get(&p))
                    .map(|c| parse(c))
                    .transpose()?,
                level: u.level,
                name: u.name,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub inserted: usize,
    pub renamed: usize,
    pub unchanged: usize,
}

/// Applies a validated plan. Inserts come parents first, so each parent's id is known.
pub async fn apply_import(conn: &mut Conn, plan: &ImportPlan, now: i64) -> Result<ImportSummary> {
    let mut ids: HashMap<String, (i64, String)> = all_units(conn)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.id, u.path)))
        .collect();
    for rec in &plan.inserts {
        let parent = match &rec.parent {
            None => None,
            Some(p) => Some(ids.get(p.as_str()).cloned().ok_or_else(|| {
                StorageError::Corrupt(format!("parent {p} of {} not stored", rec.code))
            })?),
        };
        let (id,): (i64,) = sql::query_as(
            "INSERT INTO units (code, parent_id, level, name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(rec.code.as_str())
        .bind(parent.as_ref().map(|(id, _)| *id))
        .bind(rec.level.as_str())
        .bind(rec.name.as_str())
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        let parent_path = parent
            .map(|(_, path)| path)
            .unwrap_or_else(|| "/".to_owned());
        let path = format!("{parent_path}{id}/");
        set_path(conn, id, &path).await?;
        ids.insert(rec.code.as_str().to_owned(), (id, path));
    }
    for rec in &plan.renames {
        sql::query("UPDATE units SET name = $1 WHERE code = $2")
            .bind(rec.name.as_str())
            .bind(rec.code.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(ImportSummary {
        inserted: plan.inserts.len(),
        renamed: plan.renames.len(),
        unchanged: plan.unchanged,
    })
}

/// Stores a unit's path, depth and ancestor columns (`a0`..`a4`).
async fn set_path(conn: &mut Conn, id: i64, path: &str) -> Result<()> {
    let ids: Vec<i64> = path.split('/').filter_map(|s| s.parse().ok()).collect();
    let depth = ids.len() as i64 - 1;
    let a = |k: usize| ids.get(k).copied();
    sql::query("UPDATE units SET path = $1, depth = $2, a0 = $3, a1 = $4, a2 = $5, a3 = $6, a4 = $7 WHERE id = $8")
        .bind(path)
        .bind(depth)
        .bind(a(0))
        .bind(a(1))
        .bind(a(2))
        .bind(a(3))
        .bind(a(4))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Fills the ancestor columns of units stored before they existed.
pub async fn backfill_ancestors(conn: &mut Conn) -> Result<u64> {
    let rows: Vec<(i64, String)> =
        sql::query_as("SELECT id, path FROM units WHERE a0 IS NULL AND path <> ''")
            .fetch_all(&mut *conn)
            .await?;
    for (id, path) in &rows {
        set_path(conn, *id, path).await?;
    }
    Ok(rows.len() as u64)
}

/// Deepest level the ancestor columns cover: five levels, each strictly below its parent
/// (the import refuses anything else), make depth 4 at most.
pub const MAX_DEPTH: i64 = 4;

impl Unit {
    /// Depth in the tree (the root is 0).
    pub fn depth(&self) -> i64 {
        self.lineage_ids().len() as i64 - 1
    }
}

pub async fn unit_by_code(conn: &mut Conn, code: &str) -> Result<Option<Unit>> {
    let row: Option<UnitRow> =
        sql::query_as(&format!("SELECT {UNIT_COLUMNS} FROM units WHERE code = $1"))
            .bind(code)
            .fetch_optional(conn)
            .await?;
    row.map(unit_from_row).transpose()
}

pub async fn unit_by_id(conn: &mut Conn, id: i64) -> Result<Option<Unit>> {
    let row: Option<UnitRow> =
        sql::query_as(&format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(unit_from_row).transpose()
}

/// Direct children, in Vietnamese order of their names (as people look for them), then by code.
pub async fn children(conn: &mut Conn, parent: Option<i64>) -> Result<Vec<Unit>> {
    let rows: Vec<UnitRow> = match parent {
        Some(id) => {
            sql::query_as(&format!(
                "SELECT {UNIT_COLUMNS} FROM units WHERE parent_id = $1"
            ))
            .bind(id)
            .fetch_all(conn)
            .await?
        }
        None => {
            sql::query_as(&format!(
                "SELECT {UNIT_COLUMNS} FROM units WHERE parent_id IS NULL"
            ))
            .fetch_all(conn)
            .await?
        }
    };
    let mut units = units_from_rows(rows)?;
    sort_by_name(&mut units);
    Ok(units)
}

/// Sorts units in Vietnamese order of their names, then by code (names may repeat).
pub fn sort_by_name(units: &mut [Unit]) {
    units.sort_by(|a, b| collation::compare(&a.name, &b.name).then_with(|| a.code.cmp(&b.code)));
}

/// Positions of `units` (id, path, name, code) in tree order for lists people read: each unit
/// right before the units below it, siblings in Vietnamese order of their names, then by code.
/// A unit whose parent is not among `units` ranks with the top ones. Ids are not an order
/// anybody can follow, and neither is a byte order of names (see [`collation`]).
pub fn tree_order<'a>(
    units: impl IntoIterator<Item = (i64, &'a str, &'a str, &'a str)>,
) -> HashMap<i64, usize> {
    let units: Vec<(i64, &str, &str, &str)> = units.into_iter().collect();
    let known: std::collections::HashSet<i64> = units.iter().map(|u| u.0).collect();
    let mut below: HashMap<Option<i64>, Vec<(i64, &str, &str)>> = HashMap::new();
    for &(id, path, name, code) in &units {
        // The parent is the id before the unit's own in its path (`/1/4/17/`).
        let parent = path
            .trim_end_matches('/')
            .rsplit('/')
            .nth(1)
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| known.contains(p));
        below.entry(parent).or_default().push((id, name, code));
    }
    for kids in below.values_mut() {
        kids.sort_by(|a, b| collation::compare(a.1, b.1).then_with(|| a.2.cmp(b.2)));
    }
    let mut order = HashMap::with_capacity(units.len());
    // Depth first, without recursion: the stack holds what is still to visit, last on top.
    let mut stack: Vec<i64> = below
        .get(&None)
        .map(|tops| tops.iter().rev().map(|u| u.0).collect())
        .unwrap_or_default();
    while let Some(id) = stack.pop() {
        order.insert(id, order.len());
        if let Some(kids) = below.get(&Some(id)) {
            stack.extend(kids.iter().rev().map(|u| u.0));
        }
    }
    order
}

/// The unit and every unit above it, root first.
pub async fn lineage(conn: &mut Conn, unit: &Unit) -> Result<Vec<Unit>> {
    let ids = unit.lineage_ids();
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM units WHERE id IN ({}) ORDER BY depth",
        sql::placeholders(0, ids.len())
    );
    let mut q = sql::query_as::<UnitRow>(&sql);
    for id in &ids {
        q = q.bind(*id);
    }
    units_from_rows(q.fetch_all(conn).await?)
}

/// Every unit in the subtree rooted at `root`, the root included, in path order.
pub async fn subtree(conn: &mut Conn, root: &Unit) -> Result<Vec<Unit>> {
    let rows: Vec<UnitRow> = sql::query_as(&format!(
        "SELECT {UNIT_COLUMNS} FROM units WHERE path >= $1 AND path < $2 ORDER BY path"
    ))
    .persistent(false)
    .bind(&root.path)
    .bind(path_range_end(&root.path))
    .fetch_all(conn)
    .await?;
    units_from_rows(rows)
}

/// Units at `level` strictly below the unit at `path`, in Vietnamese order of their names.
pub async fn at_level_below(conn: &mut Conn, path: &str, level: Level) -> Result<Vec<Unit>> {
    let rows: Vec<UnitRow> = sql::query_as(&format!(
        "SELECT {UNIT_COLUMNS} FROM units WHERE path > $1 AND path < $2 AND level = $3"
    ))
    .persistent(false)
    .bind(path)
    .bind(path_range_end(path))
    .bind(level.as_str())
    .fetch_all(conn)
    .await?;
    let mut units = units_from_rows(rows)?;
    sort_by_name(&mut units);
    Ok(units)
}

/// `Tỉnh … › Huyện … › Xã … › Chi hội …`, for exports and summaries.
pub async fn path_names(conn: &mut Conn, unit: &Unit) -> Result<String> {
    Ok(lineage(conn, unit)
        .await?
        .iter()
        .map(|u| u.name.as_str())
        .collect::<Vec<_>>()
        .join(" › "))
}

/// A top unit's calendar override, if any.
pub async fn calendar_override(conn: &mut Conn, root_id: i64) -> Result<Option<CalendarSettings>> {
    let row: Option<(String,)> =
        sql::query_as("SELECT settings FROM calendar_overrides WHERE unit_id = $1")
            .bind(root_id)
            .fetch_optional(conn)
            .await?;
    row.map(|(json,)| serde_json::from_str(&json).map_err(|e| StorageError::Corrupt(e.to_string())))
        .transpose()
}

pub async fn set_calendar_override(
    conn: &mut Conn,
    root_id: i64,
    settings: &CalendarSettings,
    now: i64,
) -> Result<()> {
    let json = serde_json::to_string(settings).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    sql::query(
        "INSERT INTO calendar_overrides (unit_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (unit_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
    )
    .bind(root_id)
    .bind(json)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The calendar that applies to `unit`: the deployment's, with its top unit's override.
pub async fn calendar_for(conn: &mut Conn, calendars: &Calendars, unit: &Unit) -> Result<Calendar> {
    let root = unit.lineage_ids().first().copied().unwrap_or(unit.id);
    let over = calendar_override(conn, root).await?;
    Ok(calendars.with_override(over.as_ref()))
}

/// Ids of every unit at `level`, in id order.
pub async fn ids_at_level(conn: &mut Conn, level: Level) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sql::query_as("SELECT id FROM units WHERE level = $1 ORDER BY id")
        .bind(level.as_str())
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Tells the planner the tree's new shape (after a large import).
pub async fn analyze(conn: &mut Conn) -> Result<()> {
    sql::query("ANALYZE units").execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_order_lists_each_unit_before_its_subtree_and_siblings_in_vietnamese_order() {
        let units = [
            (2, "/1/2/", "Xã Đông Hợp", "DH"),
            (3, "/1/3/", "Xã Dương Xá", "DX"),
            (4, "/1/2/4/", "Chi hội Ấp Bắc", "DH-AB"),
            (5, "/1/2/5/", "Chi hội An Lạc", "DH-AL"),
            (6, "/1/3/6/", "Chi hội Bến", "DX-B"),
            (1, "/1/", "Huyện Gia Lâm", "GL"),
            // Its parent is not listed: it ranks with the top ones.
            (9, "/8/9/", "Xã Ân Thi", "AT"),
        ];
        let order = tree_order(units);
        let mut ids: Vec<i64> = units.iter().map(|u| u.0).collect();
        ids.sort_by_key(|id| order[id]);
        assert_eq!(ids, [1, 3, 6, 2, 5, 4, 9]);
    }
}
