//! The operator's roster commands: `members import`, `members list`, `members forget` and
//! `audit` (the access log). A file is checked whole before anything is written: every problem
//! is listed with its line, and then nothing is imported; or all of it is, in one transaction.
//!
//! Re-import: a person already on the roster (the same phone, or with no phone the same name in
//! the same unit) is refused by default, since an operator importing a list twice by mistake
//! should not silently overwrite what officers corrected in the meantime. With `--update`,
//! such rows update the stored one (name, unit, status, honorary) and keep her link to the bot.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{AppError, unit_named};
use crate::config::Config;
use crate::domain::org::Level;
use crate::domain::roster::{self, MemberStatus, Phone};
use crate::storage::roster::{self as store_roster, Access, NewMember};
use crate::storage::{Store, org};

/// What `members import` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembersImported {
    pub added: usize,
    pub updated: usize,
}

/// One checked line of the file.
struct Line {
    name: String,
    phone: Option<Phone>,
    unit_id: i64,
    status: MemberStatus,
    honorary: bool,
    /// The stored row it updates (`--update`).
    existing: Option<i64>,
}

/// The CSV's records with their line numbers and the column of each header name (lower case,
/// spaces as `_`).
fn read_records(
    file: &Path,
) -> Result<(HashMap<String, usize>, Vec<(usize, csv::StringRecord)>), AppError> {
    let bytes = std::fs::read(file).map_err(|source| AppError::Read {
        path: file.display().to_string(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes));
    let headers = reader
        .headers()
        .map_err(|e| AppError::Usage(format!("line 1: {e}")))?
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_lowercase().replace(' ', "_"), i))
        .collect();
    let mut records = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| AppError::Usage(format!("line {}: {e}", i + 2)))?;
        records.push((i + 2, rec));
    }
    Ok((headers, records))
}

/// A name as stored: composed (NFC), single spaces, no control characters.
pub(crate) fn tidy_name(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .nfc()
        .collect()
}

fn column(headers: &HashMap<String, usize>, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| headers.get(*n).copied())
}

fn refused(file: &Path, problems: &[String]) -> AppError {
    AppError::Usage(format!(
        "{} refused, nothing imported ({} problem(s)):\n{}",
        file.display(),
        problems.len(),
        problems.join("\n")
    ))
}

/// `chihoi members import FILE.csv [--update]` (header `name,phone,unit,status,honorary`).
pub async fn import_members(
    store: &Store,
    file: &Path,
    update: bool,
    now: DateTime<Utc>,
) -> Result<MembersImported, AppError> {
    let (headers, records) = read_records(file)?;
    let (Some(c_name), Some(c_phone), Some(c_unit)) = (
        column(&headers, &["name", "ho_ten"]),
        column(&headers, &["phone", "so_dien_thoai"]),
        column(&headers, &["unit", "unit_code", "code"]),
    ) else {
        return Err(AppError::Usage(format!(
            "{}: the header must name the columns name,phone,unit,status,honorary",
            file.display()
        )));
    };
    let c_status = column(&headers, &["status"]);
    let c_honorary = column(&headers, &["honorary"]);

    let mut tx = store.begin().await?;
    let kept = store_roster::all_kept(&mut tx).await?;
    let by_phone: HashMap<&str, &store_roster::RosterMember> = kept
        .iter()
        .filter_map(|m| m.phone.as_ref().map(|p| (p.as_str(), m)))
        .collect();
    let by_name: HashMap<(i64, String), &store_roster::RosterMember> = kept
        .iter()
        .filter(|m| m.phone.is_none())
        .filter_map(|m| m.name.as_ref().map(|n| ((m.unit_id, roster::fold(n)), m)))
        .collect();
    let mut units: HashMap<String, Option<org::Unit>> = HashMap::new();
    let mut seen_phone: HashMap<String, usize> = HashMap::new();
    let mut seen_name: HashMap<(i64, String), usize> = HashMap::new();
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for (line, rec) in &records {
        let field = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
        let mut wrong = |what: String| problems.push(format!("line {line}: {what}"));
        let name = tidy_name(field(Some(c_name)));
        if name.is_empty() {
            wrong("the name is empty".into());
        } else if name.chars().count() > 100 {
            wrong("the name is longer than 100 characters".into());
        }
        let raw_phone = field(Some(c_phone));
        let phone = if raw_phone.is_empty() {
            None
        } else {
            let p = Phone::parse(raw_phone);
            if p.is_none() {
                // The number itself is not repeated: phone numbers stay out of logs.
                wrong(
                    "the phone is not a Vietnamese mobile number (10 digits: 03…, 05…, 07…, 08…, 09…)"
                        .into(),
                );
            }
            p
        };
        let code = field(Some(c_unit)).to_owned();
        if let std::collections::hash_map::Entry::Vacant(e) = units.entry(code.clone()) {
            e.insert(org::unit_by_code(&mut tx, &code).await?);
        }
        let unit = match units.get(&code).and_then(Option::as_ref) {
            None => {
                wrong(format!("no unit with code {code:?}"));
                None
            }
            Some(u) if u.level < Level::Branch => {
                wrong(format!(
                    "{code} is a {}, not a branch: members belong to a branch",
                    u.level.as_str()
                ));
                None
            }
            Some(u) => Some(u.id),
        };
        let status = MemberStatus::parse(field(c_status));
        if status.is_none() {
            wrong(format!(
                "status {:?} is not active, unreachable or away (đi làm ăn xa)",
                field(c_status)
            ));
        }
        let honorary = roster::parse_honorary(field(c_honorary));
        if honorary.is_none() {
            wrong(format!(
                "honorary {:?} is not yes or no (có / không)",
                field(c_honorary)
            ));
        }
        // The same person twice: in the file, or already on the roster.
        let mut existing = None;
        if let Some(p) = &phone {
            if let Some(first) = seen_phone.insert(p.as_str().to_owned(), *line) {
                wrong(format!("the same phone as line {first}"));
            }
            existing = by_phone.get(p.as_str()).map(|m| m.id);
        } else if let Some(unit_id) = unit
            && !name.is_empty()
        {
            let key = (unit_id, roster::fold(&name));
            if let Some(first) = seen_name.insert(key.clone(), *line) {
                wrong(format!("the same name in the same unit as line {first}"));
            }
            existing = by_name.get(&key).map(|m| m.id);
        }
        if let Some(id) = existing
            && !update
        {
            wrong(format!(
                "already on the roster as #{id} (use --update to update it)"
            ));
        }
        if let (Some(unit_id), Some(status), Some(honorary)) = (unit, status, honorary) {
            lines.push(Line {
                name,
                phone,
                unit_id,
                status,
                honorary,
                existing,
            });
        }
    }
    if records.is_empty() {
        problems.push(format!("{}: no members in the file", file.display()));
    }
    if !problems.is_empty() {
        tx.rollback().await?;
        return Err(refused(file, &problems));
    }
    let mut done = MembersImported {
        added: 0,
        updated: 0,
    };
    let mut touched: Vec<i64> = Vec::new();
    for l in &lines {
        let m = NewMember {
            unit_id: l.unit_id,
            name: &l.name,
            phone: l.phone.as_ref(),
            status: l.status,
            honorary: l.honorary,
            user_id: None,
        };
        match l.existing {
            Some(id) => {
                if let Some(old) = store_roster::by_id(&mut tx, id).await?
                    && !touched.contains(&old.unit_id)
                {
                    touched.push(old.unit_id);
                }
                store_roster::update(&mut tx, id, &m, now.timestamp()).await?;
                done.updated += 1;
            }
            None => {
                store_roster::insert(&mut tx, &m, now.timestamp()).await?;
                done.added += 1;
            }
        }
        if !touched.contains(&l.unit_id) {
            touched.push(l.unit_id);
        }
    }
    for unit_id in touched {
        crate::targets::queue_around(&mut tx, unit_id, now).await?;
    }
    tx.commit().await?;
    tracing::info!(
        added = done.added,
        updated = done.updated,
        "roster imported"
    );
    Ok(done)
}

/// `chihoi members list [--unit CODE]`: the roster with names and phones, for the operator.
/// Logged in the access log.
pub async fn members_list(
    store: &Store,
    unit: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut tx = store.begin().await?;
    let root = match unit {
        Some(code) => unit_named(&mut tx, code).await?,
        None => {
            let tops = org::children(&mut tx, None).await?;
            match tops.into_iter().next() {
                Some(top) => top,
                None => return Ok("0 member(s).\n".into()),
            }
        }
    };
    let rows = store_roster::under(&mut tx, &root).await?;
    let mut codes: HashMap<i64, String> = HashMap::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<7} {:<26} {:<13} {:<18} {:<12} {:<9} BOT",
        "ID", "NAME", "PHONE", "UNIT", "STATUS", "HONORARY"
    );
    for m in &rows {
        if let std::collections::hash_map::Entry::Vacant(e) = codes.entry(m.unit_id) {
            let code = org::unit_by_id(&mut tx, m.unit_id)
                .await?
                .map(|u| u.code)
                .unwrap_or_default();
            e.insert(code);
        }
        let _ = writeln!(
            out,
            "{:<7} {:<26} {:<13} {:<18} {:<12} {:<9} {}",
            format!("#{}", m.id),
            crate::labels::shorten(m.name.as_deref().unwrap_or("(forgotten)"), 26),
            m.phone.as_ref().map_or("-", Phone::as_str),
            codes.get(&m.unit_id).map_or("-", String::as_str),
            m.status.as_str(),
            if m.honorary { "yes" } else { "no" },
            m.user_id.map_or("-".to_owned(), |u| format!("#{u}")),
        );
    }
    let _ = writeln!(out, "{} member(s).", rows.len());
    store_roster::log_access(
        &mut tx,
        &Access {
            at: now.timestamp(),
            actor_id: None,
            actor: "operator (command line)".into(),
            what: "members list".into(),
            unit_id: Some(root.id),
            rows: rows.len() as i64,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// An export holds names (authors, signed opinions): it goes in the access log (§7).
pub(crate) async fn log_export(
    store: &Store,
    unit: Option<&str>,
    what: &str,
    rows: usize,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut conn = store.acquire().await?;
    let unit_id = match unit {
        Some(code) => org::unit_by_code(&mut conn, code).await?.map(|u| u.id),
        None => None,
    };
    store_roster::log_access(
        &mut conn,
        &Access {
            at: now.timestamp(),
            actor_id: None,
            actor: "operator (command line)".into(),
            what: what.to_owned(),
            unit_id,
            rows: rows as i64,
        },
    )
    .await?;
    Ok(())
}

/// `chihoi members forget '#ID'`: erases her name, phone and link to the bot; her row stays,
/// nameless, in the counts and targets.
pub async fn forget_member(store: &Store, id: i64, now: DateTime<Utc>) -> Result<String, AppError> {
    let mut tx = store.begin().await?;
    let Some(m) = store_roster::by_id(&mut tx, id).await? else {
        return Err(AppError::Usage(format!(
            "no roster member #{id} (see `chihoi members list`)"
        )));
    };
    if !store_roster::forget(&mut tx, id, now.timestamp()).await? {
        return Ok(format!(
            "Roster member #{id} was forgotten already; nothing changed.\n"
        ));
    }
    crate::targets::queue_around(&mut tx, m.unit_id, now).await?;
    store_roster::log_access(
        &mut tx,
        &Access {
            at: now.timestamp(),
            actor_id: None,
            actor: "operator (command line)".into(),
            what: format!("members forget #{id}"),
            unit_id: Some(m.unit_id),
            rows: 1,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(member = id, "roster member forgotten");
    Ok(format!(
        "Roster member #{id}: name, phone and link to the bot erased; she still counts in her unit.\n"
    ))
}

/// `chihoi audit [--days N]`: who saw or took lists of people, when and what.
pub async fn audit(
    store: &Store,
    config: &Config,
    days: u32,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut conn = store.acquire().await?;
    let since = now.timestamp() - i64::from(days) * 86_400;
    let rows = store_roster::access_log(&mut conn, since).await?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<17} {:<30} {:<22} {:<18} ROWS",
        "WHEN", "WHO", "WHAT", "UNIT"
    );
    for (a, code) in &rows {
        let when = DateTime::from_timestamp(a.at, 0)
            .map(|t| {
                t.with_timezone(&config.calendars.tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let who = match a.actor_id {
            Some(id) => format!("{} (#{id})", a.actor),
            None => a.actor.clone(),
        };
        let _ = writeln!(
            out,
            "{:<17} {:<30} {:<22} {:<18} {}",
            when,
            crate::labels::shorten(&who, 30),
            a.what,
            code.as_deref().unwrap_or("-"),
            a.rows
        );
    }
    let _ = writeln!(out, "{} access(es) in the last {days} day(s).", rows.len());
    Ok(out)
}
