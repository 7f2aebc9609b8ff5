//! Reporting periods. A monthly period is a calendar month in the deployment's time zone
//! (Asia/Ho_Chi_Minh by default).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    year: i32,
    month: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("period {0:?} is not of the form YYYY-MM")]
pub struct BadPeriod(pub String);

impl Period {
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (2000..=2200).contains(&year)).then_some(Self { year, month })
    }

    /// The month that contains `now` in zone `tz`.
    pub fn containing(now: DateTime<Utc>, tz: Tz) -> Self {
        let local = now.with_timezone(&tz);
        Self {
            year: local.year(),
            month: local.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month
    }

    /// A month as she types it after `/baocao`: `10/2026` (as Vietnamese write it, and as the
    /// bot shows it) or `2026-10`.
    pub fn parse_typed(s: &str) -> Result<Self, BadPeriod> {
        let t = s.trim();
        let Some((m, y)) = t.split_once('/') else {
            return t.parse();
        };
        let bad = || BadPeriod(s.to_owned());
        if !(1..=2).contains(&m.len()) || y.len() != 4 {
            return Err(bad());
        }
        Period::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?).ok_or_else(bad)
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// First instant of the period in `tz`.
    pub fn starts_at(self, tz: Tz) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default();
        tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = BadPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadPeriod(s.to_owned());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        Period::new(y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?).ok_or_else(bad)
    }
}

impl TryFrom<String> for Period {
    type Error = BadPeriod;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Ho_Chi_Minh;

    #[test]
    fn late_evening_utc_is_already_next_month_in_vietnam() {
        // 2026-11-30 18:30 UTC is 2026-12-01 01:30 in Hanoi.
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 18, 30, 0).unwrap();
        assert_eq!(Period::containing(now, Ho_Chi_Minh).to_string(), "2026-12");
    }

    #[test]
    fn parses_only_well_formed_months() {
        assert_eq!(
            "2026-11".parse::<Period>().unwrap(),
            Period::new(2026, 11).unwrap()
        );
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "abcd-ef"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_typed_month_may_be_written_as_the_bot_shows_it() {
        let oct = Period::new(2026, 10).unwrap();
        for typed in ["10/2026", " 10/2026 ", "2026-10"] {
            assert_eq!(Period::parse_typed(typed), Ok(oct), "{typed}");
        }
        assert_eq!(
            Period::parse_typed("3/2026"),
            Ok(Period::new(2026, 3).unwrap())
        );
        for bad in [
            "13/2026",
            "10/26",
            "/2026",
            "10/",
            "2026/10",
            "10-2026",
            "tháng 10",
            "",
        ] {
            assert!(Period::parse_typed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn december_rolls_over_into_january() {
        let dec = Period::new(2026, 12).unwrap();
        assert_eq!(dec.next().to_string(), "2027-01");
        assert_eq!(dec.next().previous(), dec);
        assert_eq!(
            Period::new(2026, 11).unwrap().previous().to_string(),
            "2026-10"
        );
        assert_eq!(
            dec.starts_at(Ho_Chi_Minh),
            Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap()
        );
    }
}
