//! The reporting calendar: when a monthly period's prompt goes out, when reminders fall, the
//! deadline, what counts as on time, when the period locks, quiet hours, and how often overdue
//! summaries repeat. Deployment defaults come from the environment; a top unit (province) may
//! override any of them. Every instant is computed in the calendar's time zone
//! (Asia/Ho_Chi_Minh by default) and returned in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::period::Period;

/// A reminder day: a day of the month, or a number of days before the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderDay {
    DayOfMonth(u32),
    BeforeDeadline(u32),
}

/// Settings as written in config or an override; `None` keeps the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    pub prompt_day: Option<u32>,
    pub prompt_time: Option<NaiveTime>,
    pub reminders: Option<Vec<ReminderDay>>,
    pub reminder_time: Option<NaiveTime>,
    /// Day of the month of the deadline; `None` (default) is the last day.
    pub deadline_day: Option<u32>,
    pub deadline_time: Option<NaiveTime>,
    /// Hours after the deadline a report still counts as on time.
    pub on_time_grace_hours: Option<u32>,
    pub lock_after_days: Option<u32>,
    /// Quiet hours `[start, end)` in local time; only urgent alerts go out then.
    pub quiet_start: Option<NaiveTime>,
    pub quiet_end: Option<NaiveTime>,
    pub overdue_time: Option<NaiveTime>,
    /// Days between overdue summaries; never less than 1.
    pub overdue_every_days: Option<u32>,
    /// Hours without acknowledgement before an urgent report climbs to the district.
    pub escalate_district_hours: Option<u32>,
    /// Hours after reaching the district before it climbs to the province.
    pub escalate_province_hours: Option<u32>,
}

impl CalendarSettings {
    /// `self` with every field `other` sets replaced.
    pub fn overlaid(&self, other: &CalendarSettings) -> CalendarSettings {
        macro_rules! pick {
            ($($f:ident),*) => { CalendarSettings { $($f: other.$f.clone().or_else(|| self.$f.clone())),* } };
        }
        pick!(
            prompt_day,
            prompt_time,
            reminders,
            reminder_time,
            deadline_day,
            deadline_time,
            on_time_grace_hours,
            lock_after_days,
            quiet_start,
            quiet_end,
            overdue_time,
            overdue_every_days,
            escalate_district_hours,
            escalate_province_hours
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("{0} must be a day from 1 to 28 (29–31 do not exist every month)")]
    Day(&'static str),
    #[error("{0} must be at least {1}")]
    TooSmall(&'static str, u32),
    #[error("{0} must be at most {1}")]
    TooLarge(&'static str, u32),
}

/// A resolved calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub tz: Tz,
    pub prompt_day: u32,
    pub prompt_time: NaiveTime,
    pub reminders: Vec<ReminderDay>,
    pub reminder_time: NaiveTime,
    pub deadline_day: Option<u32>,
    pub deadline_time: NaiveTime,
    pub on_time_grace: Duration,
    pub lock_after: Duration,
    pub quiet: Option<(NaiveTime, NaiveTime)>,
    pub overdue_time: NaiveTime,
    pub overdue_every: Duration,
    pub escalate_district_after: Duration,
    pub escalate_province_after: Duration,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

impl Calendar {
    /// The plan's defaults: prompt on the 20th at 08:00, reminders on the 25th and the day
    /// before the deadline at 08:00, deadline the last day at 23:59, lock 10 days later, quiet
    /// 21:00–07:00, overdue summaries daily at 08:00, escalation after 4 h and 24 h.
    pub fn new(tz: Tz, settings: &CalendarSettings) -> Result<Self, CalendarError> {
        let s = settings;
        let day = |v: Option<u32>, default: u32, name| match v.unwrap_or(default) {
            d @ 1..=28 => Ok(d),
            _ => Err(CalendarError::Day(name)),
        };
        let prompt_day = day(s.prompt_day, 20, "prompt_day")?;
        if let Some(d) = s.deadline_day {
            day(Some(d), d, "deadline_day")?;
        }
        // Beyond these the dates make no sense for a monthly report (and absurd values would
        // overflow date arithmetic).
        let at_most = |v: Option<u32>, max: u32, name| match v {
            Some(v) if v > max => Err(CalendarError::TooLarge(name, max)),
            _ => Ok(()),
        };
        for r in s.reminders.iter().flatten() {
            match r {
                ReminderDay::DayOfMonth(d) => {
                    day(Some(*d), *d, "reminder day")?;
                }
                ReminderDay::BeforeDeadline(n) => {
                    at_most(Some(*n), 27, "days before the deadline")?
                }
            }
        }
        at_most(s.on_time_grace_hours, 31 * 24, "on_time_grace_hours")?;
        at_most(s.lock_after_days, 366, "lock_after_days")?;
        at_most(s.overdue_every_days, 31, "overdue_every_days")?;
        at_most(
            s.escalate_district_hours,
            31 * 24,
            "escalate_district_hours",
        )?;
        at_most(
            s.escalate_province_hours,
            31 * 24,
            "escalate_province_hours",
        )?;
        let every = s.overdue_every_days.unwrap_or(1);
        if every < 1 {
            return Err(CalendarError::TooSmall("overdue_every_days", 1));
        }
        let quiet = match (s.quiet_start, s.quiet_end) {
            (Some(a), Some(b)) if a == b => None,
            (a, b) => Some((a.unwrap_or(hm(21, 0)), b.unwrap_or(hm(7, 0)))),
        };
        Ok(Self {
            tz,
            prompt_day,
            prompt_time: s.prompt_time.unwrap_or(hm(8, 0)),
            reminders: s.reminders.clone().unwrap_or(vec![
                ReminderDay::DayOfMonth(25),
                ReminderDay::BeforeDeadline(1),
            ]),
            reminder_time: s.reminder_time.unwrap_or(hm(8, 0)),
            deadline_day: s.deadline_day,
            deadline_time: s.deadline_time.unwrap_or(hm(23, 59)),
            on_time_grace: Duration::hours(i64::from(s.on_time_grace_hours.unwrap_or(0))),
            lock_after: Duration::days(i64::from(s.lock_after_days.unwrap_or(10))),
            quiet,
            overdue_time: s.overdue_time.unwrap_or(hm(8, 0)),
            overdue_every: Duration::days(i64::from(every)),
            escalate_district_after: Duration::hours(i64::from(
                s.escalate_district_hours.unwrap_or(4).max(1),
            )),
            escalate_province_after: Duration::hours(i64::from(
                s.escalate_province_hours.unwrap_or(24).max(1),
            )),
        })
    }

    pub fn default_for(tz: Tz) -> Self {
        // The defaults are valid by construction.
        Self::new(tz, &CalendarSettings::default()).unwrap_or_else(|_| unreachable_default(tz))
    }

    fn at(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = date.and_time(time);
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            // A time skipped by a DST change: an hour later exists.
            .unwrap_or_else(|| Utc.from_utc_datetime(&(local + Duration::hours(1))))
    }

    fn day_of(period: Period, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(period.year(), period.month(), day).unwrap_or_default()
    }

    fn last_day(period: Period) -> NaiveDate {
        let next = period.next();
        NaiveDate::from_ymd_opt(next.year(), next.month(), 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or_default()
    }

    fn deadline_date(&self, period: Period) -> NaiveDate {
        match self.deadline_day {
            Some(d) => Self::day_of(period, d),
            None => Self::last_day(period),
        }
    }

    /// When the period's prompt goes out.
    pub fn prompt_at(&self, period: Period) -> DateTime<Utc> {
        self.at(Self::day_of(period, self.prompt_day), self.prompt_time)
    }

    /// The last instant a report is due (the end of the deadline minute).
    pub fn deadline(&self, period: Period) -> DateTime<Utc> {
        self.at(self.deadline_date(period), self.deadline_time) + Duration::seconds(59)
    }

    pub fn is_on_time(&self, period: Period, submitted_at: DateTime<Utc>) -> bool {
        submitted_at <= self.deadline(period) + self.on_time_grace
    }

    /// From this instant the period can no longer be edited.
    pub fn locks_at(&self, period: Period) -> DateTime<Utc> {
        self.deadline(period) + self.lock_after
    }

    /// The prompt (index 0) and reminders (1…), in time order.
    pub fn chase_events(&self, period: Period) -> Vec<DateTime<Utc>> {
        let deadline_date = self.deadline_date(period);
        let mut events = vec![self.prompt_at(period)];
        for r in &self.reminders {
            let date = match r {
                ReminderDay::DayOfMonth(d) => Self::day_of(period, *d),
                ReminderDay::BeforeDeadline(n) => deadline_date - Duration::days(i64::from(*n)),
            };
            events.push(self.at(date, self.reminder_time));
        }
        events.sort();
        events.dedup();
        events
    }

    /// The latest prompt or reminder that has fallen due by `now`, as (index, instant) — only
    /// before the deadline. After downtime this is the one to send: the missed earlier ones are
    /// not sent late.
    pub fn due_chase(&self, period: Period, now: DateTime<Utc>) -> Option<(usize, DateTime<Utc>)> {
        if now > self.deadline(period) {
            return None;
        }
        self.chase_events(period)
            .into_iter()
            .enumerate()
            .rfind(|(_, t)| *t <= now)
    }

    /// The overdue round due by `now` (0 the day after the deadline, then one per interval),
    /// until the period locks.
    pub fn due_overdue_round(&self, period: Period, now: DateTime<Utc>) -> Option<u32> {
        let first = self.at(
            self.deadline_date(period) + Duration::days(1),
            self.overdue_time,
        );
        if now < first || now >= self.locks_at(period) {
            return None;
        }
        let n = (now - first).num_seconds() / self.overdue_every.num_seconds().max(1);
        u32::try_from(n).ok()
    }

    /// The month whose digest goes out at `now`: from the first of the next month at the
    /// overdue-summary time, for a week (so that a bot down on the 1st still sends it, once).
    pub fn due_digest(&self, now: DateTime<Utc>) -> Option<Period> {
        let current = Period::containing(now, self.tz);
        let first = self.at(Self::day_of(current, 1), self.overdue_time);
        (now >= first && now < first + Duration::days(7)).then(|| self.previous_period(now))
    }

    /// The 6-month or yearly report that falls due at `now` (plan §IV.2): the first half's
    /// from the 5th of July, the past year's from the 5th of January, at the overdue-summary
    /// time, for a week (so that a bot down on the 5th still drafts it, once).
    pub fn due_period_report(
        &self,
        now: DateTime<Utc>,
    ) -> Option<crate::domain::range::PeriodRange> {
        use crate::domain::range::PeriodRange;
        let current = Period::containing(now, self.tz);
        let range = match current.month() {
            7 => PeriodRange::Half {
                year: current.year(),
                second: false,
            },
            1 => PeriodRange::Year(current.year() - 1),
            _ => return None,
        };
        let first = self.at(Self::day_of(current, 5), self.overdue_time);
        (now >= first && now < first + Duration::days(7)).then_some(range)
    }

    /// The month whose synthesis (`/tonghop`) is sent at `now`: from the morning after its
    /// deadline (day after, at the overdue-summary time), for a week, so that a bot down that
    /// morning still sends it, once.
    pub fn due_synthesis(&self, now: DateTime<Utc>) -> Option<Period> {
        let current = Period::containing(now, self.tz);
        [current.previous(), current].into_iter().find(|p| {
            let first = self.synthesis_at(*p);
            now >= first && now < first + Duration::days(7)
        })
    }

    /// When the synthesis of `period` is first sent: the morning after its deadline, at the
    /// overdue-summary time.
    pub fn synthesis_at(&self, period: Period) -> DateTime<Utc> {
        self.at(
            self.deadline_date(period) + Duration::days(1),
            self.overdue_time,
        )
    }

    pub fn in_quiet_hours(&self, now: DateTime<Utc>) -> bool {
        let Some((start, end)) = self.quiet else {
            return false;
        };
        let t = now.with_timezone(&self.tz).time();
        if start <= end {
            t >= start && t < end
        } else {
            t >= start || t < end
        }
    }

    /// `now`, or the end of the quiet hours it falls in.
    pub fn next_sendable(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let Some((_, end)) = self.quiet else {
            return now;
        };
        if !self.in_quiet_hours(now) {
            return now;
        }
        let local = now.with_timezone(&self.tz);
        let today = local.date_naive();
        let candidate = self.at(today, end);
        if candidate > now {
            candidate
        } else {
            self.at(today + Duration::days(1), end)
        }
    }

    /// The period whose overdue summaries may run at `now` (the month before `now`'s).
    pub fn previous_period(&self, now: DateTime<Utc>) -> Period {
        let current = Period::containing(now, self.tz);
        let first = NaiveDate::from_ymd_opt(current.year(), current.month(), 1);
        match first.and_then(|d| d.pred_opt()) {
            Some(d) => Period::new(d.year(), d.month()).unwrap_or(current),
            None => current,
        }
    }

    /// `HH:MM dd/mm/yyyy` in the calendar's zone.
    /// `at` in the calendar's time zone.
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Tz> {
        at.with_timezone(&self.tz)
    }

    /// `at` in the calendar's time zone as operators read it ("23:59 30/11/2026"); messages
    /// to people use [`crate::labels::date_time`].
    pub fn local_text(&self, at: DateTime<Utc>) -> String {
        let l = at.with_timezone(&self.tz);
        format!(
            "{:02}:{:02} {:02}/{:02}/{}",
            l.hour(),
            l.minute(),
            l.day(),
            l.month(),
            l.year()
        )
    }
}

/// The deployment's calendar settings and zone; a top unit's override is laid over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendars {
    pub tz: Tz,
    pub base: CalendarSettings,
}

impl Calendars {
    pub fn new(tz: Tz, base: CalendarSettings) -> Result<Self, CalendarError> {
        Calendar::new(tz, &base)?;
        Ok(Self { tz, base })
    }

    pub fn deployment(&self) -> Calendar {
        Calendar::new(self.tz, &self.base).unwrap_or_else(|_| Calendar::default_for(self.tz))
    }

    /// The calendar with a top unit's override; an invalid override is ignored (and logged).
    pub fn with_override(&self, over: Option<&CalendarSettings>) -> Calendar {
        match over {
            None => self.deployment(),
            Some(o) => Calendar::new(self.tz, &self.base.overlaid(o)).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "ignoring an invalid calendar override");
                self.deployment()
            }),
        }
    }
}

fn unreachable_default(tz: Tz) -> Calendar {
    Calendar {
        tz,
        prompt_day: 20,
        prompt_time: hm(8, 0),
        reminders: vec![ReminderDay::DayOfMonth(25), ReminderDay::BeforeDeadline(1)],
        reminder_time: hm(8, 0),
        deadline_day: None,
        deadline_time: hm(23, 59),
        on_time_grace: Duration::zero(),
        lock_after: Duration::days(10),
        quiet: Some((hm(21, 0), hm(7, 0))),
        overdue_time: hm(8, 0),
        overdue_every: Duration::days(1),
        escalate_district_after: Duration::hours(4),
        escalate_province_after: Duration::hours(24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Ho_Chi_Minh;

    fn hanoi(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Ho_Chi_Minh
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn nov() -> Period {
        Period::new(2026, 11).unwrap()
    }

    #[test]
    fn defaults_follow_the_plan() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert_eq!(c, unreachable_default(Ho_Chi_Minh));
        assert_eq!(
            c.chase_events(nov()),
            vec![
                hanoi(2026, 11, 20, 8, 0),
                hanoi(2026, 11, 25, 8, 0),
                hanoi(2026, 11, 29, 8, 0)
            ]
        );
        assert_eq!(
            c.deadline(nov()),
            hanoi(2026, 11, 30, 23, 59) + Duration::seconds(59)
        );
        assert_eq!(
            c.locks_at(nov()),
            hanoi(2026, 12, 10, 23, 59) + Duration::seconds(59)
        );
    }

    #[test]
    fn only_the_latest_due_chase_counts_after_downtime() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert_eq!(c.due_chase(nov(), hanoi(2026, 11, 19, 23, 0)), None);
        assert_eq!(
            c.due_chase(nov(), hanoi(2026, 11, 20, 8, 0)).map(|e| e.0),
            Some(0)
        );
        // Down from the 19th to the 27th: only the 25th's reminder is due.
        assert_eq!(
            c.due_chase(nov(), hanoi(2026, 11, 27, 9, 0)).map(|e| e.0),
            Some(1)
        );
        assert_eq!(
            c.due_chase(nov(), hanoi(2026, 12, 1, 9, 0)),
            None,
            "after the deadline"
        );
    }

    #[test]
    fn overdue_rounds_repeat_daily_until_the_lock() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert_eq!(c.due_overdue_round(nov(), hanoi(2026, 12, 1, 7, 59)), None);
        assert_eq!(
            c.due_overdue_round(nov(), hanoi(2026, 12, 1, 8, 0)),
            Some(0)
        );
        assert_eq!(
            c.due_overdue_round(nov(), hanoi(2026, 12, 3, 7, 0)),
            Some(1)
        );
        assert_eq!(
            c.due_overdue_round(nov(), hanoi(2026, 12, 11, 0, 0)),
            None,
            "locked"
        );
        let every3 = Calendar::new(
            Ho_Chi_Minh,
            &CalendarSettings {
                overdue_every_days: Some(3),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            every3.due_overdue_round(nov(), hanoi(2026, 12, 3, 9, 0)),
            Some(0)
        );
        assert_eq!(
            every3.due_overdue_round(nov(), hanoi(2026, 12, 4, 9, 0)),
            Some(1)
        );
    }

    #[test]
    fn quiet_hours_wrap_midnight_and_hold_until_seven() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert!(!c.in_quiet_hours(hanoi(2026, 11, 20, 20, 59)));
        assert!(c.in_quiet_hours(hanoi(2026, 11, 20, 21, 0)));
        assert!(c.in_quiet_hours(hanoi(2026, 11, 21, 6, 59)));
        assert_eq!(
            c.next_sendable(hanoi(2026, 11, 20, 22, 30)),
            hanoi(2026, 11, 21, 7, 0)
        );
        assert_eq!(
            c.next_sendable(hanoi(2026, 11, 21, 3, 0)),
            hanoi(2026, 11, 21, 7, 0)
        );
        assert_eq!(
            c.next_sendable(hanoi(2026, 11, 21, 9, 0)),
            hanoi(2026, 11, 21, 9, 0)
        );
    }

    #[test]
    fn absurd_operator_values_are_refused_not_overflowed() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let too_long = CalendarSettings {
            lock_after_days: Some(u32::MAX),
            ..CalendarSettings::default()
        };
        assert_eq!(
            Calendar::new(tz, &too_long).unwrap_err().to_string(),
            "lock_after_days must be at most 366"
        );
        let too_late = CalendarSettings {
            escalate_province_hours: Some(u32::MAX),
            ..CalendarSettings::default()
        };
        assert!(Calendar::new(tz, &too_late).is_err());
        let before = CalendarSettings {
            reminders: Some(vec![ReminderDay::BeforeDeadline(u32::MAX)]),
            ..CalendarSettings::default()
        };
        assert!(Calendar::new(tz, &before).is_err());
        let fine = CalendarSettings {
            lock_after_days: Some(366),
            on_time_grace_hours: Some(744),
            ..CalendarSettings::default()
        };
        assert!(Calendar::new(tz, &fine).is_ok());
    }

    #[test]
    fn on_time_means_by_the_deadline_plus_grace() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert!(c.is_on_time(nov(), hanoi(2026, 11, 30, 23, 59)));
        assert!(!c.is_on_time(nov(), hanoi(2026, 12, 1, 0, 1)));
        let graced = Calendar::new(
            Ho_Chi_Minh,
            &CalendarSettings {
                on_time_grace_hours: Some(12),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(graced.is_on_time(nov(), hanoi(2026, 12, 1, 9, 0)));
    }

    #[test]
    fn overrides_replace_only_what_they_set_and_bad_days_are_refused() {
        let base = CalendarSettings {
            prompt_day: Some(18),
            ..Default::default()
        };
        let over = CalendarSettings {
            deadline_day: Some(5),
            ..Default::default()
        };
        let merged = base.overlaid(&over);
        assert_eq!(
            (merged.prompt_day, merged.deadline_day),
            (Some(18), Some(5))
        );
        let bad = CalendarSettings {
            prompt_day: Some(31),
            ..Default::default()
        };
        assert_eq!(
            Calendar::new(Ho_Chi_Minh, &bad),
            Err(CalendarError::Day("prompt_day"))
        );
        let json: CalendarSettings =
            serde_json::from_str(r#"{"prompt_day":15,"reminders":[{"day_of_month":22}]}"#).unwrap();
        assert_eq!(json.reminders, Some(vec![ReminderDay::DayOfMonth(22)]));
        assert!(
            serde_json::from_str::<CalendarSettings>(r#"{"promt_day":15}"#).is_err(),
            "typos are refused"
        );
    }

    #[test]
    fn period_reports_fall_due_on_the_fifth_of_july_and_of_january() {
        use crate::domain::range::PeriodRange;
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert_eq!(c.due_period_report(hanoi(2026, 7, 5, 7, 59)), None);
        assert_eq!(
            c.due_period_report(hanoi(2026, 7, 5, 8, 0)),
            Some(PeriodRange::Half {
                year: 2026,
                second: false
            })
        );
        assert_eq!(
            c.due_period_report(hanoi(2027, 1, 11, 23, 0)),
            Some(PeriodRange::Year(2026))
        );
        assert_eq!(c.due_period_report(hanoi(2027, 1, 12, 8, 0)), None);
        assert_eq!(c.due_period_report(hanoi(2026, 12, 5, 8, 0)), None);
    }

    #[test]
    fn the_digest_goes_out_in_the_first_week_of_the_next_month() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert_eq!(c.due_digest(hanoi(2026, 12, 1, 7, 59)), None);
        assert_eq!(
            c.due_digest(hanoi(2026, 12, 1, 8, 0))
                .map(|p| p.to_string()),
            Some("2026-11".into())
        );
        assert_eq!(
            c.due_digest(hanoi(2026, 12, 7, 23, 0))
                .map(|p| p.to_string()),
            Some("2026-11".into())
        );
        assert_eq!(c.due_digest(hanoi(2026, 12, 8, 9, 0)), None);
    }

    #[test]
    fn the_synthesis_goes_out_the_morning_after_the_deadline() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert_eq!(c.due_synthesis(hanoi(2026, 12, 1, 7, 59)), None);
        assert_eq!(
            c.due_synthesis(hanoi(2026, 12, 1, 8, 0))
                .map(|p| p.to_string()),
            Some("2026-11".into())
        );
        assert_eq!(c.due_synthesis(hanoi(2026, 12, 8, 8, 0)), None);
        let mid = Calendar::new(
            Ho_Chi_Minh,
            &CalendarSettings {
                deadline_day: Some(25),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            mid.due_synthesis(hanoi(2026, 11, 26, 8, 0))
                .map(|p| p.to_string()),
            Some("2026-11".into())
        );
    }

    #[test]
    fn previous_period_is_the_month_before() {
        let c = Calendar::default_for(Ho_Chi_Minh);
        assert_eq!(
            c.previous_period(hanoi(2027, 1, 3, 9, 0)).to_string(),
            "2026-12"
        );
    }
}
