//! The ladder of proposals (kiến nghị, issue 18 §6), on the rungs of urgent reports
//! ([`crate::alerts::LEVEL_ROLES`]): a proposal reaches the grassroots officers of the branch
//! that raised it; an officer marks it received, forwards it up or answers it; one left
//! unanswered for [`CLIMB_AFTER_DAYS`] at a rung climbs to the next rung that has anyone, and
//! stops once answered. The answer goes to the branch's heads (and to the member whose signed
//! opinion it was). Used by the proposals dialog (`dialog::proposals`), the report dialog (a
//! submitted report raises its proposal) and the scheduler (climbs).

use chrono::{DateTime, Duration, Utc};

use crate::alerts::LEVEL_ROLES;
use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
pub use crate::domain::proposal::CLIMB_AFTER_DAYS;
use crate::domain::proposal::{ProposalSource, same_text};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::labels;
use crate::message::{Choice, Outbound};
use crate::storage::org::{self, Unit};
use crate::storage::outbox::{self, Kind, NewMessage};
use crate::storage::proposals::{self as store, NewProposal, Proposal};
use crate::storage::users::{self, User};
use crate::storage::{Conn, StorageError};
use crate::tr;

/// Why a proposal reaches a rung, as its officers are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Just raised.
    New,
    /// An officer below sent it up.
    Forwarded,
    /// Nobody answered it in time below.
    Climbed,
}

/// What a submitted report did with its proposals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromReport {
    /// No proposals in it.
    None,
    /// A new proposal to track.
    Raised(i64),
    /// The same proposal as an earlier report's, word for word ("Như tháng trước"): linked to
    /// that one, not raised again.
    Repeated(i64),
    /// A corrected report: its proposal's text was updated (or it was answered already).
    Corrected(i64),
}

/// The people of the first rung from `from` up, on `unit`'s path, who have anyone.
async fn rung_with_people(
    conn: &mut Conn,
    unit: &Unit,
    from: usize,
) -> Result<Option<(usize, Vec<User>)>, StorageError> {
    let lineage = unit.lineage_ids();
    for (level, role) in LEVEL_ROLES.iter().enumerate().skip(from) {
        let people = users::users_in_units_with_roles(conn, &lineage, &[*role]).await?;
        if !people.is_empty() {
            return Ok(Some((level, people)));
        }
    }
    Ok(None)
}

/// Whether anyone above rung `level` could take a proposal of `unit`.
pub async fn has_rung_above(
    conn: &mut Conn,
    unit: &Unit,
    level: i64,
) -> Result<bool, StorageError> {
    Ok(rung_with_people(conn, unit, (level + 1) as usize)
        .await?
        .is_some())
}

/// Puts proposal `p` on the first rung from `from` up that has anyone, tells its people, and
/// sets when it climbs next. Returns the rung (`None`: nobody from `from` up; it stays where it
/// is and does not climb) and the outbox rows queued.
pub async fn place(
    conn: &mut Conn,
    calendars: &Calendars,
    p: &Proposal,
    from: usize,
    why: Arrival,
    now: DateTime<Utc>,
) -> Result<(Option<i64>, Vec<i64>), StorageError> {
    let Some(unit) = org::unit_by_id(conn, p.unit_id).await? else {
        return Ok((None, Vec::new()));
    };
    let Some((level, people)) = rung_with_people(conn, &unit, from).await? else {
        store::set_level(conn, p.id, p.level, None, now.timestamp()).await?;
        return Ok((None, Vec::new()));
    };
    let climb_at = (level + 1 < LEVEL_ROLES.len())
        .then(|| (now + Duration::days(CLIMB_AFTER_DAYS)).timestamp());
    store::set_level(conn, p.id, level as i64, climb_at, now.timestamp()).await?;
    let calendar = org::calendar_for(conn, calendars, &unit).await?;
    let not_before = calendar.next_sendable(now).timestamp();
    let path = org::path_names(conn, &unit).await?;
    let mut ids = Vec::new();
    for person in &people {
        let lang = Lang::parse(&person.lang).unwrap_or_default();
        let text = officer_text(lang, p, &path, why);
        let out = Outbound {
            choices: vec![vec![Choice {
                label: tr!(lang, "button-proposals-open"),
                data: "c:kiennghi".to_owned(),
            }]],
            ..Outbound::text(person.chat_id.clone(), text)
        };
        let key = format!("proposal:{}:{level}:{}", p.id, person.id);
        if let Some(id) = enqueue(conn, person, &out, key, p.unit_id, not_before, now).await? {
            ids.push(id);
        }
    }
    Ok((Some(level as i64), ids))
}

fn officer_text(lang: Lang, p: &Proposal, path: &str, why: Arrival) -> String {
    let why = match why {
        Arrival::New => "new",
        Arrival::Forwarded => "forwarded",
        Arrival::Climbed => "climbed",
    };
    tr!(
        lang,
        "proposals-to-officer",
        n = p.id,
        unit = path.to_owned(),
        text = labels::shorten(&p.body, 300),
        why = why,
        days = CLIMB_AFTER_DAYS
    )
}

async fn enqueue(
    conn: &mut Conn,
    to: &User,
    out: &Outbound,
    key: String,
    unit_id: i64,
    not_before: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StorageError> {
    let body = serde_json::to_string(out).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let m = NewMessage {
        key: Some(key),
        kind: Kind::Notice,
        platform: to.platform.clone(),
        chat_id: to.chat_id.clone(),
        user_id: Some(to.id),
        unit_id: Some(unit_id),
        period: None,
        ref_id: None,
        body: Some(body),
        urgent: false,
        not_before,
        lease: None,
    };
    outbox::enqueue(conn, &m, now.timestamp()).await
}

/// A monthly report just stored, as a proposal is raised from it.
#[derive(Debug, Clone, Copy)]
pub struct SubmittedReport<'a> {
    pub unit_id: i64,
    pub period: Period,
    pub report_id: i64,
    /// Who submitted it.
    pub raised_by: i64,
    /// Its kiến nghị part.
    pub proposals: Option<&'a str>,
}

/// A submitted report's kiến nghị becomes a tracked proposal: one per unit and month (a
/// corrected report updates it while unanswered), and none when it repeats, word for word, the
/// unit's latest earlier one (what "Như tháng trước" copies): that one is marked as raised
/// again instead. Returns what was done and the outbox rows queued to the officers.
pub async fn from_report(
    conn: &mut Conn,
    calendars: &Calendars,
    report: &SubmittedReport<'_>,
    now: DateTime<Utc>,
) -> Result<(FromReport, Vec<i64>), StorageError> {
    let SubmittedReport {
        unit_id,
        period,
        report_id,
        raised_by,
        proposals: text,
    } = *report;
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok((FromReport::None, Vec::new()));
    };
    if let Some(mine) = store::of_report(conn, unit_id, period).await? {
        if !same_text(&mine.body, text) {
            store::update_body(conn, mine.id, text, now.timestamp()).await?;
        }
        return Ok((FromReport::Corrected(mine.id), Vec::new()));
    }
    if let Some(earlier) = store::latest_from_reports_before(conn, unit_id, period).await?
        && same_text(&earlier.body, text)
    {
        store::mark_repeated(conn, earlier.id, period, now.timestamp()).await?;
        return Ok((FromReport::Repeated(earlier.id), Vec::new()));
    }
    let new = NewProposal {
        unit_id,
        source: ProposalSource::Report,
        period,
        report_id: Some(report_id),
        opinion_id: None,
        author_id: None,
        raised_by,
        body: text,
    };
    let Some(id) = store::insert(conn, &new, now.timestamp()).await? else {
        return Ok((FromReport::None, Vec::new()));
    };
    let ids = raise(conn, calendars, id, now).await?;
    Ok((FromReport::Raised(id), ids))
}

/// A new proposal reaches the first rung that has anyone.
pub async fn raise(
    conn: &mut Conn,
    calendars: &Calendars,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StorageError> {
    let Some(p) = store::load(conn, id).await? else {
        return Ok(Vec::new());
    };
    let (_, ids) = place(conn, calendars, &p, 0, Arrival::New, now).await?;
    tracing::info!(proposal = id, unit = p.unit_id, "proposal raised");
    Ok(ids)
}

/// Climbs every unanswered proposal whose time at its rung has run out. Safe to run twice at
/// once: each climb first claims its proposal by clearing `climb_at`.
pub async fn escalate_due(
    conn: &mut Conn,
    calendars: &Calendars,
    now: DateTime<Utc>,
) -> Result<usize, StorageError> {
    let mut climbed = 0;
    for (id, at) in store::due_to_climb(conn, now.timestamp()).await? {
        if !store::claim_climb(conn, id, at).await? {
            continue;
        }
        let Some(p) = store::load(conn, id).await? else {
            continue;
        };
        let (level, _) = place(
            conn,
            calendars,
            &p,
            (p.level + 1) as usize,
            Arrival::Climbed,
            now,
        )
        .await?;
        if let Some(level) = level {
            store::mark_climbed(conn, id, now.timestamp()).await?;
            climbed += 1;
            tracing::info!(proposal = id, level, "unanswered proposal climbed");
        }
    }
    Ok(climbed)
}

/// The answer reaches the heads of the branch that raised it, and the member whose signed
/// opinion it was; nobody else.
pub async fn tell_answer(
    conn: &mut Conn,
    calendars: &Calendars,
    p: &Proposal,
    reply: &str,
    from_unit: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StorageError> {
    let Some(unit) = org::unit_by_id(conn, p.unit_id).await? else {
        return Ok(Vec::new());
    };
    let calendar = org::calendar_for(conn, calendars, &unit).await?;
    let not_before = calendar.next_sendable(now).timestamp();
    let mut to: Vec<(User, bool)> =
        users::users_in_units_with_roles(conn, &[p.unit_id], &[Role::BranchHead])
            .await?
            .into_iter()
            .map(|u| (u, false))
            .collect();
    if let Some(author) = p.author_id
        && !to.iter().any(|(u, _)| u.id == author)
        && let Some(member) = users::user_by_id(conn, author).await?
        && member.reachable
        && member.platform != "merged"
    {
        to.push((member, true));
    }
    let mut ids = Vec::new();
    for (person, is_author) in &to {
        let lang = Lang::parse(&person.lang).unwrap_or_default();
        let text = tr!(
            lang,
            "proposals-answer-to-branch",
            whose = if *is_author { "member" } else { "branch" },
            from = from_unit.to_owned(),
            text = labels::shorten(&p.body, 300),
            reply = reply.to_owned()
        );
        let out = Outbound::text(person.chat_id.clone(), text);
        let key = format!("proposal-answer:{}:{}", p.id, person.id);
        if let Some(id) = enqueue(conn, person, &out, key, p.unit_id, not_before, now).await? {
            ids.push(id);
        }
    }
    Ok(ids)
}
