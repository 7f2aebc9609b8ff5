//! The monthly public-opinion report (báo cáo tình hình dư luận xã hội) and its parts, as the
//! plan §III.2 lists them, plus ad-hoc urgent reports and members' opinions.

use serde::{Deserialize, Serialize};

/// Longest free text we accept in one answer. Telegram allows 4096 characters per message and
/// the summary repeats every answer, so answers stay well below that.
pub const MAX_NOTE_CHARS: usize = 1000;
/// Most incidents one monthly report may carry.
pub const MAX_INCIDENTS: usize = 10;
/// Largest plausible number of people involved in one incident.
pub const MAX_PEOPLE: u32 = 100_000;

/// The three sections answered with a situation level and an optional note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// tình hình lao động, sản xuất
    Labour,
    /// đời sống văn hóa, tinh thần
    Living,
    /// tâm tư, nguyện vọng
    Thoughts,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Labour, Section::Living, Section::Thoughts];
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Labour => "labour",
            Section::Living => "living",
            Section::Thoughts => "thoughts",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Situation {
    Stable,
    Concerns,
    Serious,
}

impl Situation {
    pub const ALL: [Situation; 3] = [Situation::Stable, Situation::Concerns, Situation::Serious];
    pub fn as_str(self) -> &'static str {
        match self {
            Situation::Stable => "stable",
            Situation::Concerns => "concerns",
            Situation::Serious => "serious",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionAnswer {
    pub situation: Situation,
    pub note: Option<String>,
}

/// Fields of emerging incidents named by the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentField {
    /// giải phóng mặt bằng
    LandClearance,
    /// các khoản đóng góp
    Contributions,
    /// chính sách với người có công
    MeritPolicy,
    /// an ninh trật tự
    SecurityOrder,
    Other,
}

impl IncidentField {
    pub const ALL: [IncidentField; 5] = [
        IncidentField::LandClearance,
        IncidentField::Contributions,
        IncidentField::MeritPolicy,
        IncidentField::SecurityOrder,
        IncidentField::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentField::LandClearance => "land_clearance",
            IncidentField::Contributions => "contributions",
            IncidentField::MeritPolicy => "merit_policy",
            IncidentField::SecurityOrder => "security_order",
            IncidentField::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Serious,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Minor, Severity::Serious, Severity::Critical];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Serious => "serious",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub field: IncidentField,
    pub severity: Severity,
    /// How many people: the number she typed, or the top of the range she chose.
    pub people: u32,
    /// The bottom of the range she chose ("21–50": 21); none when she typed a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_from: Option<u32>,
    pub description: String,
}

/// A report being written: every part optional until submitted. Kept in the database, so it
/// survives a restart of the bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDraft {
    pub labour: Option<SectionAnswer>,
    pub living: Option<SectionAnswer>,
    pub thoughts: Option<SectionAnswer>,
    pub incidents: Vec<Incident>,
    /// `None` until she has answered whether there were incidents.
    pub incidents_answered: bool,
    pub proposals: Option<String>,
    pub proposals_answered: bool,
}

/// A complete report, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyReport {
    pub labour: SectionAnswer,
    pub living: SectionAnswer,
    pub thoughts: SectionAnswer,
    pub incidents: Vec<Incident>,
    pub proposals: Option<String>,
}

impl ReportDraft {
    pub fn section(&self, s: Section) -> Option<&SectionAnswer> {
        match s {
            Section::Labour => self.labour.as_ref(),
            Section::Living => self.living.as_ref(),
            Section::Thoughts => self.thoughts.as_ref(),
        }
    }

    pub fn section_mut(&mut self, s: Section) -> &mut Option<SectionAnswer> {
        match s {
            Section::Labour => &mut self.labour,
            Section::Living => &mut self.living,
            Section::Thoughts => &mut self.thoughts,
        }
    }

    /// The report, when every required part is answered.
    pub fn complete(&self) -> Option<MonthlyReport> {
        if !self.incidents_answered || !self.proposals_answered {
            return None;
        }
        Some(MonthlyReport {
            labour: self.labour.clone()?,
            living: self.living.clone()?,
            thoughts: self.thoughts.clone()?,
            incidents: self.incidents.clone(),
            proposals: self.proposals.clone(),
        })
    }
}

impl From<MonthlyReport> for ReportDraft {
    fn from(r: MonthlyReport) -> Self {
        Self {
            labour: Some(r.labour),
            living: Some(r.living),
            thoughts: Some(r.thoughts),
            incidents: r.incidents,
            incidents_answered: true,
            proposals: r.proposals,
            proposals_answered: true,
        }
    }
}

/// Why a typed answer was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRefusal {
    Empty,
    TooLong { chars: usize, max: usize },
}

/// Trims a free-text answer and checks its length in characters (not bytes: Vietnamese
/// diacritics and emoji are several bytes each).
pub fn clean_text(raw: &str, max: usize) -> Result<String, TextRefusal> {
    let text = raw.trim();
    let chars = text.chars().count();
    if chars == 0 {
        Err(TextRefusal::Empty)
    } else if chars > max {
        Err(TextRefusal::TooLong { chars, max })
    } else {
        Ok(text.to_owned())
    }
}

/// Parses a number of people as people type it ("12", " 1.200 ", "1 200").
pub fn parse_people(raw: &str) -> Option<u32> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | ','))
        .collect();
    let n: u32 = digits.parse().ok()?;
    (n <= MAX_PEOPLE).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(s: Situation) -> Option<SectionAnswer> {
        Some(SectionAnswer {
            situation: s,
            note: None,
        })
    }

    #[test]
    fn draft_is_complete_only_when_every_step_is_answered() {
        let mut d = ReportDraft {
            labour: answer(Situation::Stable),
            living: answer(Situation::Concerns),
            thoughts: answer(Situation::Stable),
            ..Default::default()
        };
        assert!(d.complete().is_none());
        d.incidents_answered = true;
        assert!(d.complete().is_none());
        d.proposals_answered = true;
        let r = d.complete().unwrap();
        assert_eq!(r.living.situation, Situation::Concerns);
        assert_eq!(ReportDraft::from(r), d);
    }

    #[test]
    fn text_length_counts_characters_not_bytes() {
        let vi = "Bà con phấn khởi 🌾".repeat(10);
        assert_eq!(clean_text(&vi, 1000).unwrap(), vi);
        assert_eq!(
            clean_text(&"ệ".repeat(1001), 1000),
            Err(TextRefusal::TooLong {
                chars: 1001,
                max: 1000
            })
        );
        assert_eq!(clean_text("   ", 10), Err(TextRefusal::Empty));
    }

    #[test]
    fn people_counts_accept_thousands_separators_and_refuse_nonsense() {
        assert_eq!(parse_people("12"), Some(12));
        assert_eq!(parse_people(" 1.200 "), Some(1200));
        assert_eq!(parse_people("1 200"), Some(1200));
        assert_eq!(parse_people("mười"), None);
        assert_eq!(parse_people("-3"), None);
        assert_eq!(parse_people("999999999"), None);
    }
}
