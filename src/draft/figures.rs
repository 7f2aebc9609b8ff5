//! The figures of a period's report, folded from the export's own rows ([`export::fold`]):
//! whatever the document says, the workbook for the same unit and period says too.

use std::collections::BTreeMap;

use crate::export::{self, Cell, ExportError, RowSink, Scope, Sheet};

/// Reporting completeness of one month, for the unit the report is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Month {
    /// `2026-03`, as the export writes it.
    pub period: String,
    pub expected: i64,
    pub on_time: i64,
    pub late: i64,
    pub missing: i64,
}

/// One target (chỉ tiêu) for the unit, and the units below it that are behind on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub number: i64,
    pub title: String,
    /// The level it is counted at (chi hội, cơ sở), as the export names it.
    pub level: String,
    pub goal_pct: i64,
    pub achieved: i64,
    pub total: i64,
    pub pct: f64,
    /// Names of the units right below that are short of the goal, in the export's order.
    pub behind: Vec<String>,
}

impl Target {
    pub fn met(&self) -> bool {
        self.total > 0 && self.pct >= self.goal_pct as f64
    }
}

/// Activities of one kind: how many were logged and the sum of their amounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityKind {
    pub name: String,
    pub count: i64,
    pub amount: i64,
}

/// Everything the period's report counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub months: Vec<Month>,
    pub targets: Vec<Target>,
    /// By kind, the most logged first.
    pub activities: Vec<ActivityKind>,
    /// (field, seriousness) → number of incidents, monthly and urgent together.
    pub incidents: BTreeMap<(String, String), i64>,
    /// Urgent reports' alerts by their state ("đã xử lý", …).
    pub handled: BTreeMap<String, i64>,
    /// Units right below with monthly reports missing in the period, and how many reports
    /// (a grassroots union's own and its branches').
    pub missing_by_unit: Vec<(String, i64)>,
    pub proposals: i64,
    pub opinions: i64,
    /// Proposals tracked on the bot (from reports and forwarded opinions) raised in the
    /// period: answered, and not yet answered.
    pub proposals_answered: i64,
    pub proposals_open: i64,
}

impl Figures {
    pub fn incident_total(&self) -> i64 {
        self.incidents.values().sum()
    }

    pub fn expected(&self) -> i64 {
        self.months.iter().map(|m| m.expected).sum()
    }

    pub fn on_time(&self) -> i64 {
        self.months.iter().map(|m| m.on_time).sum()
    }

    pub fn late(&self) -> i64 {
        self.months.iter().map(|m| m.late).sum()
    }

    pub fn missing(&self) -> i64 {
        self.months.iter().map(|m| m.missing).sum()
    }
}

/// The sheets a report is folded from: every one but the reports themselves, whose answers a
/// period's report does not quote.
const SHEETS: [Sheet; 6] = [
    Sheet::Activities,
    Sheet::Completeness,
    Sheet::Proposals,
    Sheet::Incidents,
    Sheet::Opinions,
    Sheet::Targets,
];

/// One sheet's rows, folded as they arrive. Every row starts with the unit's code and path.
struct Tally {
    sheet: Sheet,
    root: String,
    /// The depth of the units right below the root, in path segments.
    child_depth: usize,
    figures: Figures,
    activities: BTreeMap<String, ActivityKind>,
    missing: BTreeMap<String, (usize, i64)>,
}

fn text(cell: Option<&Cell>) -> String {
    cell.map(|c| c.text().into_owned()).unwrap_or_default()
}

fn int(cell: Option<&Cell>) -> i64 {
    match cell {
        Some(Cell::Int(n)) => *n,
        Some(c) => c.text().parse().unwrap_or(0),
        None => 0,
    }
}

/// The last name of a unit's path (`… › Hội LHPN xã Đông Hợp`).
fn last_name(path: &str) -> String {
    path.rsplit(" › ").next().unwrap_or(path).to_owned()
}

fn depth(path: &str) -> usize {
    path.split(" › ").count()
}

impl RowSink for Tally {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        let code = text(cells.first());
        let is_root = code == self.root;
        let path = text(cells.get(1));
        let f = &mut self.figures;
        match self.sheet {
            Sheet::Completeness if is_root => f.months.push(Month {
                period: text(cells.get(2)),
                expected: int(cells.get(3)),
                on_time: int(cells.get(4)),
                late: int(cells.get(5)),
                missing: int(cells.get(6)),
            }),
            Sheet::Completeness => {
                let missing = int(cells.get(6));
                if missing > 0 && depth(&path) == self.child_depth {
                    let order = self.missing.len();
                    self.missing.entry(last_name(&path)).or_insert((order, 0)).1 += missing;
                }
            }
            Sheet::Targets if is_root => f.targets.push(Target {
                number: int(cells.get(2)),
                title: text(cells.get(3)),
                level: text(cells.get(4)),
                goal_pct: int(cells.get(5)),
                achieved: int(cells.get(6)),
                total: int(cells.get(7)),
                pct: match cells.get(8) {
                    Some(Cell::Pct(p)) => *p,
                    _ => 0.0,
                },
                behind: Vec::new(),
            }),
            Sheet::Targets => {
                let pct = match cells.get(8) {
                    Some(Cell::Pct(p)) => *p,
                    _ => 0.0,
                };
                if let Some(t) = f.targets.last_mut()
                    && (int(cells.get(7)) == 0 || pct < t.goal_pct as f64)
                {
                    t.behind.push(last_name(&path));
                }
            }
            Sheet::Activities => {
                let name = text(cells.get(3));
                let kind = self
                    .activities
                    .entry(name.clone())
                    .or_insert_with(|| ActivityKind {
                        name,
                        ..Default::default()
                    });
                kind.count += 1;
                kind.amount += int(cells.get(4));
            }
            Sheet::Incidents => {
                *f.incidents
                    .entry((text(cells.get(4)), text(cells.get(5))))
                    .or_default() += 1;
                let status = text(cells.get(8));
                if !status.is_empty() {
                    *f.handled.entry(status).or_default() += 1;
                }
            }
            Sheet::Proposals => f.proposals += 1,
            Sheet::Opinions => f.opinions += 1,
            Sheet::Reports => {}
        }
        Ok(())
    }
}

/// The figures of `scope` (one root unit over its range), read as the workbook reads them.
pub async fn gather(scope: &Scope) -> Result<Figures, ExportError> {
    let root = scope
        .roots
        .first()
        .ok_or_else(|| ExportError::UnknownUnit(String::new()))?;
    let root_code = root.code.clone();
    // The root's own path has as many names as it has units above it, plus its own.
    let child_depth = root.path.split('/').filter(|s| !s.is_empty()).count() + 1;
    let tallies = export::fold(scope, &SHEETS, |sheet| Tally {
        sheet,
        root: root_code.clone(),
        child_depth,
        figures: Figures::default(),
        activities: BTreeMap::new(),
        missing: BTreeMap::new(),
    })
    .await?;
    let mut out = Figures::default();
    for t in tallies {
        let f = t.figures;
        out.months.extend(f.months);
        out.targets.extend(f.targets);
        for (k, v) in f.incidents {
            *out.incidents.entry(k).or_default() += v;
        }
        for (k, v) in f.handled {
            *out.handled.entry(k).or_default() += v;
        }
        out.proposals += f.proposals;
        out.opinions += f.opinions;
        out.activities.extend(t.activities.into_values());
        let mut missing: Vec<_> = t.missing.into_iter().collect();
        missing.sort_by_key(|(_, (order, _))| *order);
        out.missing_by_unit
            .extend(missing.into_iter().map(|(name, (_, n))| (name, n)));
    }
    // The document lists targets by number, as the plan does (the export, worst first).
    out.targets.sort_by_key(|t| t.number);
    out.activities
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}
