//! Ranges of reporting periods for exports and views: a month (`2026-11`), a half-year
//! (`2026-H1`), or a year (`2026`).

use std::fmt;
use std::str::FromStr;

use super::period::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodRange {
    Month(Period),
    Half { year: i32, second: bool },
    Year(i32),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a period: use 2026-11, 2026-H1, 2026-H2 or 2026")]
pub struct BadRange(pub String);

impl PeriodRange {
    /// The months it covers, in order.
    pub fn months(self) -> Vec<Period> {
        let (year, from, to) = match self {
            PeriodRange::Month(p) => return vec![p],
            PeriodRange::Half { year, second } => (
                year,
                if second { 7 } else { 1 },
                if second { 12 } else { 6 },
            ),
            PeriodRange::Year(year) => (year, 1, 12),
        };
        (from..=to).filter_map(|m| Period::new(year, m)).collect()
    }

    pub fn year(self) -> i32 {
        match self {
            PeriodRange::Month(p) => p.year(),
            PeriodRange::Half { year, .. } | PeriodRange::Year(year) => year,
        }
    }
}

impl fmt::Display for PeriodRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeriodRange::Month(p) => write!(f, "{p}"),
            PeriodRange::Half { year, second } => {
                write!(f, "{year}-H{}", if *second { 2 } else { 1 })
            }
            PeriodRange::Year(year) => write!(f, "{year}"),
        }
    }
}

impl FromStr for PeriodRange {
    type Err = BadRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || BadRange(s.to_owned());
        if let Some((y, h)) = t.split_once("-H").or_else(|| t.split_once("-h")) {
            let year: i32 = y.parse().map_err(|_| bad())?;
            return match (Period::new(year, 1), h) {
                (Some(_), "1") => Ok(PeriodRange::Half {
                    year,
                    second: false,
                }),
                (Some(_), "2") => Ok(PeriodRange::Half { year, second: true }),
                _ => Err(bad()),
            };
        }
        if t.len() == 4 {
            let year: i32 = t.parse().map_err(|_| bad())?;
            return Period::new(year, 1)
                .map(|_| PeriodRange::Year(year))
                .ok_or_else(bad);
        }
        t.parse::<Period>()
            .map(PeriodRange::Month)
            .map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_halves_and_years_parse_and_expand() {
        let m: PeriodRange = "2026-11".parse().unwrap();
        assert_eq!(m.months().len(), 1);
        let h2: PeriodRange = "2026-H2".parse().unwrap();
        assert_eq!(h2.months().first().unwrap().to_string(), "2026-07");
        assert_eq!(h2.months().len(), 6);
        let y: PeriodRange = "2026".parse().unwrap();
        assert_eq!(y.months().len(), 12);
        assert_eq!(y.to_string(), "2026");
        assert_eq!(h2.to_string(), "2026-H2");
        for bad in ["2026-H3", "26", "2026-13", "H1", ""] {
            assert!(bad.parse::<PeriodRange>().is_err(), "{bad}");
        }
    }
}
