//! Set-based queries behind the admins' views: reporting completeness of a subtree grouped by
//! its children or by level, and the plan's targets (chỉ tiêu) computed from reports,
//! activities and unit statistics. Each answer is a handful of statements whatever the size of
//! the subtree; the ancestor columns `a0`..`a4` make "under X, by X's children" one indexed
//! GROUP BY.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use sqlx::AnyConnection;

use super::org::{MAX_DEPTH, Unit};
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
    fn add(&mut self, o: Counts) {
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
    conn: &mut AnyConnection,
    root: &Unit,
    period: Period,
    on_time_until: i64,
) -> Result<Vec<(Option<i64>, Counts)>> {
    let d = root.depth();
    let here = depth_column(d)?;
    // Below the deepest level there are no children to group by.
    let child = if d < MAX_DEPTH {
        depth_column(d + 1)?
    } else {
        "NULL".to_owned()
    };
    let sql = format!(
        "SELECT u.{child}, {STATUS_SUMS}
         FROM units u LEFT JOIN reports r ON r.unit_id = u.id AND r.period = $2
         WHERE u.{here} = $1 AND u.level IN ('branch', 'grassroots')
         GROUP BY u.{child}"
    );
    let rows: Vec<(Option<i64>, i64, i64, i64)> = sqlx::query_as(&sql)
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

/// Completeness of `period` under `root` per level of the expected units.
pub async fn completeness_by_level(
    conn: &mut AnyConnection,
    root: &Unit,
    period: Period,
    on_time_until: i64,
) -> Result<BTreeMap<Level, Counts>> {
    let here = depth_column(root.depth())?;
    let sql = format!(
        "SELECT u.level, {STATUS_SUMS}
         FROM units u LEFT JOIN reports r ON r.unit_id = u.id AND r.period = $2
         WHERE u.{here} = $1 AND u.level IN ('branch', 'grassroots')
         GROUP BY u.level"
    );
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(&sql)
        .bind(root.id)
        .bind(period.to_string())
        .bind(on_time_until)
        .fetch_all(conn)
        .await?;
    let mut out = BTreeMap::new();
    for (level, on_time, late, missing) in rows {
        let level = level
            .parse::<Level>()
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        out.entry(level)
            .or_insert_with(Counts::default)
            .add(Counts {
                on_time,
                late,
                missing,
            });
    }
    Ok(out)
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
    /// Members are at least `min_pct` percent of women aged 18+ (figures admins enter).
    MemberRatio { min_pct: i64 },
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

pub async fn targets(conn: &mut AnyConnection) -> Result<Vec<Target>> {
    let rows: Vec<(String, i64, String, i64, String, String, String, String)> = sqlx::query_as(
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

/// Progress of `target` for `year` under `root`, per child of `root` and in total. `months_due`
/// are the months of the year whose deadline has passed (for the monthly-report target).
pub async fn target_progress(
    conn: &mut AnyConnection,
    root: &Unit,
    target: &Target,
    year: i32,
    months_due: &[Period],
) -> Result<(Progress, Vec<(i64, Progress)>)> {
    let d = root.depth();
    let here = depth_column(d)?;
    let child = if d < MAX_DEPTH {
        depth_column(d + 1)?
    } else {
        "id".to_owned()
    };
    let level = target.level.as_str();
    // Every unit at the target's level under the root, with the child of the root it is under.
    let all: Vec<(i64, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT id, {child} FROM units WHERE {here} = $1 AND level = $2"
    ))
    .bind(root.id)
    .bind(level)
    .fetch_all(&mut *conn)
    .await?;
    let achieved: HashSet<i64> = match &target.rule {
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
                let types: Vec<String> =
                    (0..cond.any.len()).map(|i| format!("${}", i + 5)).collect();
                let sql = format!(
                    "SELECT x.id FROM activities a JOIN units x ON x.id = a.{join_col}
                     WHERE x.{here} = $1 AND x.level = $2 AND ($3 = 0 OR a.year = $4) AND a.type_code IN ({})
                     GROUP BY x.id HAVING {measure} >= {}",
                    types.join(", "),
                    cond.min.max(1)
                );
                let mut q = sqlx::query_as::<_, (i64,)>(&sql)
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
                let ps: Vec<String> = (0..months_due.len())
                    .map(|i| format!("${}", i + 4))
                    .collect();
                let sql = format!(
                    "SELECT r.unit_id FROM reports r JOIN units x ON x.id = r.unit_id
                     WHERE x.{here} = $1 AND x.level = $2 AND r.period IN ({})
                     GROUP BY r.unit_id HAVING COUNT(*) = $3",
                    ps.join(", ")
                );
                let mut q = sqlx::query_as::<_, (i64,)>(&sql)
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
            sqlx::query_as::<_, (i64,)>(&sql)
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
            let sql = format!(
                "SELECT x.id FROM unit_stats s JOIN units x ON x.id = s.unit_id
                 WHERE x.{here} = $1 AND x.level = $2 AND s.year = $3 AND s.women_18plus > 0
                   AND s.members * 100 >= s.women_18plus * $4"
            );
            sqlx::query_as::<_, (i64,)>(&sql)
                .bind(root.id)
                .bind(level)
                .bind(i64::from(year))
                .bind(*min_pct)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(id,)| id)
                .collect()
        }
    };
    let mut total = Progress::default();
    let mut by_child: BTreeMap<i64, Progress> = BTreeMap::new();
    for (id, c) in all {
        let hit = achieved.contains(&id);
        total.total += 1;
        total.achieved += i64::from(hit);
        let entry = by_child.entry(c.unwrap_or(id)).or_default();
        entry.total += 1;
        entry.achieved += i64::from(hit);
    }
    Ok((total, by_child.into_iter().collect()))
}
