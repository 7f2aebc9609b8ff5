//! Urgent reports as the escalation ladder sees them: their status, which only moves forward,
//! and the level of the ladder they have reached.

use super::report::Incident;

/// Status of an urgent report, in the order it may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertStatus {
    Open,
    Acknowledged,
    InProgress,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::InProgress => "in_progress",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AlertStatus::Open,
            AlertStatus::Acknowledged,
            AlertStatus::InProgress,
            AlertStatus::Resolved,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// The token on its button.
    pub fn token(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "ack",
            AlertStatus::InProgress => "prog",
            AlertStatus::Resolved => "done",
        }
    }

    pub fn from_token(t: &str) -> Option<Self> {
        match t {
            "ack" => Some(AlertStatus::Acknowledged),
            "prog" => Some(AlertStatus::InProgress),
            "done" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }
}

/// An urgent report as the ladder sees it.
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: i64,
    pub unit_id: i64,
    pub reporter_id: i64,
    pub incident: Incident,
    pub status: AlertStatus,
    pub level: i64,
    pub created_at: i64,
}
