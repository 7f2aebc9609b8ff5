//! Localised names of domain values (roles, sections, situations, incident fields, …), shared
//! by the dialogs and the exports. Each arm names its message id literally, so the locale test
//! can check that every id exists.

use crate::domain::org::Level;
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::domain::report::{Incident, IncidentField, Section, Severity, Situation};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::tr;

/// At most `max` characters, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

pub fn role(lang: Lang, role: Role) -> String {
    match role {
        Role::Member => tr!(lang, "role-member"),
        Role::BranchHead => tr!(lang, "role-branch-head"),
        Role::GrassrootsOfficer => tr!(lang, "role-grassroots-officer"),
        Role::DistrictAdmin => tr!(lang, "role-district-admin"),
        Role::ProvinceAdmin => tr!(lang, "role-province-admin"),
    }
}

pub fn level(lang: Lang, level: Level) -> String {
    match level {
        Level::Province => tr!(lang, "level-province"),
        Level::District => tr!(lang, "level-district"),
        Level::Grassroots => tr!(lang, "level-grassroots"),
        Level::Branch => tr!(lang, "level-branch"),
        Level::Group => tr!(lang, "level-group"),
    }
}

pub fn section(lang: Lang, section: Section) -> String {
    match section {
        Section::Labour => tr!(lang, "report-section-labour"),
        Section::Living => tr!(lang, "report-section-living"),
        Section::Thoughts => tr!(lang, "report-section-thoughts"),
    }
}

pub fn situation(lang: Lang, section: Section, situation: Situation) -> String {
    match (section, situation) {
        (Section::Thoughts, Situation::Stable) => tr!(lang, "report-thoughts-stable"),
        (Section::Thoughts, Situation::Concerns) => tr!(lang, "report-thoughts-concerns"),
        (Section::Thoughts, Situation::Serious) => tr!(lang, "report-thoughts-serious"),
        (_, Situation::Stable) => tr!(lang, "report-situation-stable"),
        (_, Situation::Concerns) => tr!(lang, "report-situation-concerns"),
        (_, Situation::Serious) => tr!(lang, "report-situation-serious"),
    }
}

pub fn field(lang: Lang, field: IncidentField) -> String {
    match field {
        IncidentField::LandClearance => tr!(lang, "incident-field-land-clearance"),
        IncidentField::Contributions => tr!(lang, "incident-field-contributions"),
        IncidentField::MeritPolicy => tr!(lang, "incident-field-merit-policy"),
        IncidentField::SecurityOrder => tr!(lang, "incident-field-security-order"),
        IncidentField::Other => tr!(lang, "incident-field-other"),
    }
}

pub fn severity(lang: Lang, severity: Severity) -> String {
    match severity {
        Severity::Minor => tr!(lang, "incident-severity-minor"),
        Severity::Serious => tr!(lang, "incident-severity-serious"),
        Severity::Critical => tr!(lang, "incident-severity-critical"),
    }
}

/// `11/2026`, as Vietnamese write a month.
pub fn period(period: Period) -> String {
    format!("{:02}/{}", period.month(), period.year())
}

/// An export's range as the choice that asked for it reads: `Tháng 11/2026`, `6 tháng đầu năm
/// 2026`, `Cả năm 2026`.
pub fn range(lang: Lang, range: PeriodRange) -> String {
    match range {
        PeriodRange::Month(p) => tr!(lang, "export-this-month", period = period(p)),
        PeriodRange::Half { year, second } => tr!(
            lang,
            "export-half",
            half = if second { 2 } else { 1 },
            year = i64::from(year)
        ),
        PeriodRange::Year(year) => tr!(lang, "export-year", year = i64::from(year)),
    }
}

/// A moment as people read it in messages: "23:59 ngày 30/11/2026" (`at` already local).
pub fn date_time<T: chrono::TimeZone>(lang: Lang, at: &chrono::DateTime<T>) -> String
where
    T::Offset: std::fmt::Display,
{
    tr!(
        lang,
        "date-time",
        time = at.format("%H:%M").to_string(),
        date = at.format("%d/%m/%Y").to_string()
    )
}

/// How many people an incident concerns, as she gave it: "từ 21 đến 50 người" for a range
/// she chose, "khoảng 12 người" for a number she typed.
pub fn people(lang: Lang, inc: &Incident) -> String {
    match inc.people_from {
        Some(from) if from < inc.people => tr!(
            lang,
            "incident-people-range",
            from = i64::from(from),
            to = i64::from(inc.people)
        ),
        _ => tr!(lang, "incident-people-about", count = i64::from(inc.people)),
    }
}

/// One incident on one line: field, seriousness, people and the description as given.
pub fn incident(lang: Lang, inc: &Incident) -> String {
    tr!(
        lang,
        "incident-line",
        field = field(lang, inc.field),
        severity = severity(lang, inc.severity),
        people = people(lang, inc),
        description = inc.description.clone()
    )
}
