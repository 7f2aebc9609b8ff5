//! Set-based queries behind the admins' views: reporting completeness of a subtree grouped by
//! its children or by level, and the plan's targets (chỉ tiêu) computed from reports,
//! activities and unit statistics. Each answer is a handful of statements whatever the size of
//! the subtree; the ancestor columns `a0`..`a4` make "under X, by X's children" one indexed
//! GROUP BY.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use super::org::{MAX_DEPTH, Unit};
use super::sql::{self, Conn};
use super::{Result, StorageError};
use crate::domain::org::Level;
use crate::domain::period::Period;

/// Reporting status counts of a group of expected units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub on_time: i64,
    pub late: i64,
    pub missing: i64,
}

impl Counts {
    pub fn expected(&self) -> i64 {
        self.on_time + self.late + self.missing
    }
    pub fn submitted(&self) -> i64 {
        self.on_time + self.late
    }
    /// On-time reports as a share of expected ones, in percent.
    pub fn on_time_pct(&self) -> f64 {
        if self.expected() == 0 {
            0.0
        } else {
            self.on_time as f64 * 100.0 / self.expected() as f64
        }
    }
    pub fn add(&mut self, o: Counts) {
        self.on_time += o.on_time;
        self.late += o.late;
        self.missing += o.missing;
    }
}

fn depth_column(depth: i64) -> Result<String> {
    if (0..=MAX_DEPTH).contains(&depth) {
        Ok(format!("a{depth}"))
    } else {
        Err(StorageError::Corrupt(format!(
            "tree deeper than {MAX_DEPTH}"
        )))
    }
}

const STATUS_SUMS: &str =
    "CAST(SUM(CASE WHEN r.id IS NOT NULL AND r.submitted_at <= $3 THEN 1 ELSE 0 END) AS BIGINT),
       CAST(SUM(CASE WHEN r.id IS NOT NULL AND r.submitted_at > $3 THEN 1 ELSE 0 END) AS BIGINT),
       CAST(SUM(CASE WHEN r.id IS NULL THEN 1 ELSE 0 END) AS BIGINT)";

/// Completeness of `period` under `root`, per child of `root` (`None`: `root` itself, when it is
/// expected to report). `on_time_until` is the deadline plus grace, as unix seconds.
pub async fn completeness_by_child(
    conn: &mut Conn,
    root: &Unit,
    period: Period,
    on_time_until: i64,
) -> Result<Vec<(Option<i64>, Counts)>> {
    let mut out: Vec<(Option<i64>, Counts)> = Vec::new();
    for (child, _, c) in completeness_by_child_and_level(conn, root, period, on_time_until).await? {
        match out.iter_mut().find(|(id, _)| *id == child) {
            Some((_, t)) => t.add(c),
            None => out.push((child, c)),
        }
    }
    Ok(out)
}

/// Completeness of `period` under `root` per level of the expected units.
pub async fn completeness_by_level(
    conn: &mut Conn,
    root: &Unit,
    period: Period,
    on_time_until: i64,
) -> Result<BTreeMap<Level, Counts>> {
    let mut out = BTreeMap::new();
    for (_, level, c) in completeness_by_child_and_level(conn, root, period, on_time_until).await? {
        out.entry(level).or_insert_with(Counts::default).add(c);
    }
    Ok(out)
}

/// Completeness of `period` under `root` per child of `root` and level, in one statement (the
/// `/tiendo` view derives both its per-level and per-child lines from it).
pub async fn completeness_by_child_and_level(
    conn: &mut Conn,
    root: &Unit,
    period: Period,
    on_time_until: i64,
) -> Result<Vec<(Option<i64>, Level, Counts)>> {
    let d = root.depth();
    let here = depth_column(d)?;
    // A unit at the deepest level has no children to group by: its own line only.
    let child = if d < MAX_DEPTH {
        format!("u.{}", depth_column(d + 1)?)
    } else {
        "NULL".to_owned()
    };
    let group = if d < MAX_DEPTH {
        format!("{child}, u.level")
    } else {
        "u.level".to_owned()
    };
    let sql = format!(
        "SELECT {child}, u.level, {STATUS_SUMS}
         FROM units u LEFT JOIN reports r ON r.unit_id = u.id AND r.period = $2
         WHERE u.{here} = $1 AND u.level IN ('branch', 'grassroots')
         GROUP BY {group}"
    );
    let rows: Vec<(Option<i64>, String, i64, i64, i64)> = sql::query_as(&sql)
        .persistent(false)
        .bind(root.id)
        .bind(period.to_string())
        .bind(on_time_until)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|(c, level, on_time, late, missing)| {
            Ok((
                c,
                level
                    .parse::<Level>()
                    .map_err(|e| StorageError::Corrupt(e.to_string()))?,
                Counts {
                    on_time,
                    late,
                    missing,
                },
            ))
        })
        .collect()
}

/// Completeness of `period` under `root`, grouped by each unit's ancestor at `depth` (deeper
/// than `root`): e.g. per grassroots union of a province, in one statement.
pub async fn completeness_by_depth(
    conn: &mut Conn,
    root: &Unit,
    depth: i64,
    period: Period,
    on_time_until: i64,
) -> Result<Vec<(Option<i64>, Counts)>> {
    let here = depth_column(root.depth())?;
    let group = depth_column(depth)?;
    let sql = format!(
        "SELECT u.{group}, {STATUS_SUMS}
         FROM units u LEFT JOIN reports r ON r.unit_id = u.id AND r.period = $2
         WHERE u.{here} = $1 AND u.level IN ('branch', 'grassroots')
         GROUP BY u.{group}"
    );
    let rows: Vec<(Option<i64>, i64, i64, i64)> = sql::query_as(&sql)
        .persistent(false)
        .bind(root.id)
        .bind(period.to_string())
        .bind(on_time_until)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(c, on_time, late, missing)| {
            (
                c,
                Counts {
                    on_time,
                    late,
                    missing,
                },
            )
        })
        .collect())
}

// ---- targets ---------------------------------------------------------------------------------

/// How a target is computed (the `rule` and `params` of a `targets` row).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Every condition holds for the unit: activities of any of its types, at least `min`
    /// (counted, or summed by their number), in the year or ever.
    Activities {
        year_only: bool,
        sum: bool,
        all: Vec<Condition>,
    },
    /// The grassroots union reported every month whose deadline has passed this year.
    MonthlyReports,
    /// The unit filed a report or logged an activity through the bot this year.
    UsesBot,
    /// Members are at least `min_pct` percent of women aged 18+ (figures admins enter): the
    /// roster's ordinary members once the union has a roster, else the members figure entered.
    MemberRatio { min_pct: i64 },
    /// Over `min_pct` percent of the roster's members confirmed reading a policy announcement
    /// in the year (target 3's "over 90% of members reached").
    MembersReached { min_pct: i64 },
    /// An honorary member on the roster, or honorary members recruited (the activity), ever.
    HonoraryMembers,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Condition {
    pub any: Vec<String>,
    #[serde(default = "one")]
    pub min: i64,
}

fn one() -> i64 {
    1
}

#[derive(Deserialize)]
struct ActivityParams {
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    measure: Option<String>,
    all: Vec<Condition>,
}

#[derive(Deserialize)]
struct RatioParams {
    min_pct: i64,
}

impl Rule {
    pub fn parse(rule: &str, params: &str) -> Result<Self> {
        let bad = |e: serde_json::Error| StorageError::Corrupt(format!("target rule {rule}: {e}"));
        Ok(match rule {
            "activities" => {
                let p: ActivityParams = serde_json::from_str(params).map_err(bad)?;
                Rule::Activities {
                    year_only: p.scope.as_deref() != Some("ever"),
                    sum: p.measure.as_deref() == Some("amount"),
                    all: p.all,
                }
            }
            "monthly_reports" => Rule::MonthlyReports,
            "uses_bot" => Rule::UsesBot,
            "member_ratio" => Rule::MemberRatio {
                min_pct: serde_json::from_str::<RatioParams>(params)
                    .map_err(bad)?
                    .min_pct,
            },
            "members_reached" => Rule::MembersReached {
                min_pct: serde_json::from_str::<RatioParams>(params)
                    .map_err(bad)?
                    .min_pct,
            },
            "honorary_members" => Rule::HonoraryMembers,
            other => {
                return Err(StorageError::Corrupt(format!(
                    "unknown target rule {other:?}"
                )));
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub code: String,
    pub number: i64,
    pub level: Level,
    pub goal_pct: i64,
    pub rule: Rule,
    pub title_vi: String,
    pub title_en: String,
}

pub async fn targets(conn: &mut Conn) -> Result<Vec<Target>> {
    let rows: Vec<(String, i64, String, i64, String, String, String, String)> = sql::query_as(
        "SELECT code, number, level, goal_pct, rule, params, title_vi, title_en FROM targets WHERE active = 1 ORDER BY number, code",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(
            |(code, number, level, goal_pct, rule, params, title_vi, title_en)| {
                Ok(Target {
                    level: level
                        .parse()
                        .map_err(|_| StorageError::Corrupt(format!("target {code} level")))?,
                    rule: Rule::parse(&rule, &params)?,
                    code,
                    number,
                    goal_pct,
                    title_vi,
                    title_en,
                })
            },
        )
        .collect()
}

/// How far a target stands under one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Units at the target's level that meet it.
    pub achieved: i64,
    /// Units at the target's level under the root.
    pub total: i64,
}

impl Progress {
    pub fn pct(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.achieved as f64 * 100.0 / self.total as f64
        }
    }
}

/// The units at `target`'s level under `root` that meet it in `year`, by evaluating its rule.
/// `months_due` are the months of the year whose deadline has passed (monthly-report target).
pub async fn achieved_under(
    conn: &mut Conn,
    root: &Unit,
    target: &Target,
    year: i32,
    months_due: &[Period],
) -> Result<HashSet<i64>> {
    let here = depth_column(root.depth())?;
    let level = target.level.as_str();
    Ok(match &target.rule {
        Rule::Activities {
            year_only,
            sum,
            all: conds,
        } => {
            // Grassroots targets count everything logged below the union; branch targets count
            // the branch's own.
            let join_col = if target.level == Level::Grassroots {
                "grassroots_id"
            } else {
                "unit_id"
            };
            let measure = if *sum { "SUM(a.amount)" } else { "COUNT(*)" };
            let mut met: Option<HashSet<i64>> = None;
            for cond in conds {
                let types = sql::placeholders(4, cond.any.len());
                let sql = format!(
                    "SELECT x.id FROM activities a JOIN units x ON x.id = a.{join_col}
                     WHERE x.{here} = $1 AND x.level = $2 AND ($3 = 0 OR a.year = $4) AND a.type_code IN ({})
                     GROUP BY x.id HAVING {measure} >= {}",
                    types,
                    cond.min.max(1)
                );
                let mut q = sql::query_as::<(i64,)>(&sql)
                    .persistent(false)
                    .bind(root.id)
                    .bind(level)
                    .bind(i64::from(*year_only))
                    .bind(i64::from(year));
                for t in &cond.any {
                    q = q.bind(t.as_str());
                }
                let ids: HashSet<i64> = q
                    .fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .map(|(id,)| id)
                    .collect();
                met = Some(match met {
                    None => ids,
                    Some(prev) => prev.intersection(&ids).copied().collect(),
                });
            }
            met.unwrap_or_default()
        }
        Rule::MonthlyReports => {
            if months_due.is_empty() {
                HashSet::new()
            } else {
                let ps = sql::placeholders(3, months_due.len());
                let sql = format!(
                    "SELECT r.unit_id FROM reports r JOIN units x ON x.id = r.unit_id
                     WHERE x.{here} = $1 AND x.level = $2 AND r.period IN ({})
                     GROUP BY r.unit_id HAVING COUNT(*) = $3",
                    ps
                );
                let mut q = sql::query_as::<(i64,)>(&sql)
                    .persistent(false)
                    .bind(root.id)
                    .bind(level)
                    .bind(months_due.len() as i64);
                for p in months_due {
                    q = q.bind(p.to_string());
                }
                q.fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .map(|(id,)| id)
                    .collect()
            }
        }
        Rule::UsesBot => {
            let sql = format!(
                "SELECT x.id FROM units x
                 WHERE x.{here} = $1 AND x.level = $2
                   AND (EXISTS (SELECT 1 FROM reports r WHERE r.unit_id = x.id AND r.period >= $3 AND r.period <= $4)
                        OR EXISTS (SELECT 1 FROM activities a WHERE a.unit_id = x.id AND a.year = $5))"
            );
            sql::query_as::<(i64,)>(&sql)
                .persistent(false)
                .bind(root.id)
                .bind(level)
                .bind(format!("{year:04}-01"))
                .bind(format!("{year:04}-12"))
                .bind(i64::from(year))
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(id,)| id)
                .collect()
        }
        Rule::MemberRatio { min_pct } => {
            let mut met = HashSet::new();
            for x in units_at(conn, root, target.level).await? {
                let f = roster_figures(conn, &x, year).await?;
                if f.women_18plus > 0 && f.gathered() * 100 >= f.women_18plus * min_pct {
                    met.insert(x.id);
                }
            }
            met
        }
        Rule::MembersReached { min_pct } => {
            let mut met = HashSet::new();
            for x in units_at(conn, root, target.level).await? {
                let f = roster_figures(conn, &x, year).await?;
                // "Over" the share: strictly more.
                if f.members > 0 && f.reached * 100 > f.members * min_pct {
                    met.insert(x.id);
                }
            }
            met
        }
        Rule::HonoraryMembers => {
            let recruited = Target {
                rule: Rule::Activities {
                    year_only: false,
                    sum: true,
                    all: vec![Condition {
                        any: vec!["honorary_members".into()],
                        min: 1,
                    }],
                },
                ..target.clone()
            };
            let mut met =
                Box::pin(achieved_under(conn, root, &recruited, year, months_due)).await?;
            for x in units_at(conn, root, target.level).await? {
                if !met.contains(&x.id) && roster_figures(conn, &x, year).await?.honorary > 0 {
                    met.insert(x.id);
                }
            }
            met
        }
    })
}

/// The units at `level` at or under `root` (a union refreshing its own targets: itself).
async fn units_at(conn: &mut Conn, root: &Unit, level: Level) -> Result<Vec<Unit>> {
    let here = depth_column(root.depth())?;
    let ids: Vec<(i64,)> = sql::query_as(&format!(
        "SELECT id FROM units WHERE {here} = $1 AND level = $2 ORDER BY id"
    ))
    .persistent(false)
    .bind(root.id)
    .bind(level.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut units = Vec::with_capacity(ids.len());
    for (id,) in ids {
        if let Some(u) = super::org::unit_by_id(conn, id).await? {
            units.push(u);
        }
    }
    Ok(units)
}

/// The roster's figures of a unit for `year` (Vietnam's calendar year: UTC+7, no daylight
/// saving).
pub async fn roster_figures(
    conn: &mut Conn,
    unit: &Unit,
    year: i32,
) -> Result<super::roster::Figures> {
    let (from, until) = year_bounds(year);
    super::roster::figures(conn, unit, year, from, until).await
}

/// `[1 January, 1 January next)` of `year` in Vietnam, as unix seconds.
pub fn year_bounds(year: i32) -> (i64, i64) {
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp() - 7 * 3600)
            .unwrap_or(0)
    };
    (start(year), start(year + 1))
}

/// Re-evaluates every target for a grassroots union and stores how far it stands (see the
/// `target_counts` table). A handful of statements; the scheduler does every union this way.
/// Notes that the targets around `unit_id` need re-evaluating.
pub async fn queue_target_refresh(conn: &mut Conn, unit_id: i64, now: i64) -> Result<()> {
    sql::query("INSERT INTO target_refresh (unit_id, queued_at) VALUES ($1, $2)")
        .bind(unit_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// What is queued: the newest row's id and the distinct units up to it.
pub async fn queued_target_refreshes(conn: &mut Conn) -> Result<Option<(i64, Vec<i64>)>> {
    let rows: Vec<(i64, i64)> = sql::query_as(
        "SELECT MAX(id), unit_id FROM target_refresh GROUP BY unit_id ORDER BY MIN(id)",
    )
    .fetch_all(conn)
    .await?;
    let Some(upto) = rows.iter().map(|(id, _)| *id).max() else {
        return Ok(None);
    };
    Ok(Some((upto, rows.into_iter().map(|(_, u)| u).collect())))
}

/// Forgets the queued rows up to `upto` (done); rows queued since stay.
pub async fn forget_target_refreshes(conn: &mut Conn, upto: i64) -> Result<()> {
    sql::query("DELETE FROM target_refresh WHERE id <= $1")
        .bind(upto)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn refresh_targets(
    conn: &mut Conn,
    union: &Unit,
    year: i32,
    months_due: &[Period],
) -> Result<()> {
    let here = depth_column(union.depth())?;
    let targets = targets(conn).await?;
    if targets.is_empty() {
        return Ok(());
    }
    // The units of each level under the union, in one statement for every target.
    let totals: HashMap<String, i64> = sql::query_as::<(String, i64)>(&format!(
        "SELECT level, COUNT(*) FROM units WHERE {here} = $1 GROUP BY level"
    ))
    .persistent(false)
    .bind(union.id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut counts = Vec::with_capacity(targets.len());
    for target in &targets {
        let achieved = achieved_under(conn, union, target, year, months_due)
            .await?
            .len() as i64;
        let total = totals.get(target.level.as_str()).copied().unwrap_or(0);
        counts.push((&target.code, achieved, total));
    }
    // Every target's row in one statement.
    let rows = (0..counts.len())
        .map(|i| {
            let n = 3 + i * 3;
            format!("($1, $2, ${}, ${}, ${})", n, n + 1, n + 2)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let statement = format!(
        "INSERT INTO target_counts (unit_id, year, target_code, achieved, total) VALUES {rows}
         ON CONFLICT (unit_id, year, target_code) DO UPDATE SET achieved = excluded.achieved, total = excluded.total"
    );
    let mut upsert = sql::query(&statement).bind(union.id).bind(i64::from(year));
    for (code, achieved, total) in counts {
        upsert = upsert.bind(code).bind(achieved).bind(total);
    }
    upsert.execute(&mut *conn).await?;
    Ok(())
}

/// Progress of every target under `root` from the snapshot, in total and per child of `root`:
/// one grouped statement over the unions below it, however large the subtree.
pub async fn target_snapshot(
    conn: &mut Conn,
    root: &Unit,
    year: i32,
) -> Result<HashMap<String, (Progress, Vec<(i64, Progress)>)>> {
    let d = root.depth();
    let here = depth_column(d)?;
    let child = if d < MAX_DEPTH {
        depth_column(d + 1)?
    } else {
        "id".to_owned()
    };
    let rows: Vec<(String, Option<i64>, i64, i64)> = sql::query_as(&format!(
        "SELECT c.target_code, g.{child}, CAST(SUM(c.achieved) AS BIGINT), CAST(SUM(c.total) AS BIGINT)
         FROM target_counts c JOIN units g ON g.id = c.unit_id
         WHERE g.{here} = $1 AND c.year = $2 GROUP BY c.target_code, g.{child}"
    ))
    .persistent(false)
    .bind(root.id)
    .bind(i64::from(year))
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<String, (Progress, BTreeMap<i64, Progress>)> = HashMap::new();
    for (code, c, achieved, total) in rows {
        let entry = out.entry(code).or_default();
        entry.0.achieved += achieved;
        entry.0.total += total;
        let per = entry.1.entry(c.unwrap_or(root.id)).or_default();
        per.achieved += achieved;
        per.total += total;
    }
    Ok(out
        .into_iter()
        .map(|(k, (t, m))| (k, (t, m.into_iter().collect())))
        .collect())
}
