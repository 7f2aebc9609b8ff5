//! What the `chihoi` binary's commands do: operator set-up (org import, tree, invites,
//! export), running the bot, and the offline demo. `main.rs` only parses arguments.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::channel::telegram::{Telegram, TelegramOptions, TelegramSender};
use crate::channel::zalo::{Zalo, ZaloError, ZaloOptions, ZaloSender};
use crate::config::{Config, ConfigError};
use crate::delivery::Courier;
use crate::dialog::{Engine, system_clock};
use crate::domain::calendar::{Calendar, CalendarSettings, Calendars};
use crate::domain::invite::InviteCode;
use crate::domain::org::{self as orgfile, OrgFileError, UnitCode};
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::domain::role::Role;
use crate::export::{self, ExportError, ExportFormat, Sheet};
use crate::i18n::Lang;
use crate::scheduler::Scheduler;
use crate::storage::org::{self, ImportSummary};
use crate::storage::{Conn, StorageError, Store, users};
use crate::supervisor::supervise;
use crate::tr;

pub mod demo;
pub mod http;
pub mod roster;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    OrgFile(#[from] OrgFileError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("no unit with code {0:?} (see `chihoi org tree`)")]
    UnknownUnit(String),
    #[error("no person #{0} (see `chihoi user list`)")]
    UnknownUser(i64),
    #[error("no invite starts with {0:?} (see `chihoi invite list`)")]
    UnknownInvite(String),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Draft(#[from] crate::draft::DraftError),
    #[error("Telegram: {0}")]
    Telegram(#[from] crate::channel::telegram::TelegramError),
    #[error("Zalo: {0}")]
    Zalo(#[from] ZaloError),
    #[error("HTTP server on {addr}: {source}")]
    Http {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
}

/// Connects to the configured database and applies pending migrations.
pub async fn open_store(config: &Config) -> Result<Store, AppError> {
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

/// `chihoi backup FILE`: a consistent copy of the SQLite database, taken while the bot runs;
/// returns its size in bytes. An existing file is never overwritten. PostgreSQL has its own
/// tool. The database is not migrated first: a backup taken before an upgrade must be of the
/// data as it was.
pub async fn backup(config: &Config, file: &Path) -> Result<u64, AppError> {
    if config.database_url.is_postgres() {
        return Err(AppError::Usage(
            "`chihoi backup` copies the SQLite database; for PostgreSQL use pg_dump, e.g. \
             pg_dump --format=custom --file=chihoi.dump \"$DATABASE_URL\" (see README: Backups)"
                .into(),
        ));
    }
    let source = config
        .database_url
        .sqlite_file()
        .ok_or_else(|| AppError::Usage("an in-memory database has nothing to back up".into()))?;
    if !source.exists() {
        return Err(AppError::Usage(format!(
            "no database at {} (DATABASE_URL)",
            source.display()
        )));
    }
    if file.exists() {
        return Err(AppError::Usage(format!(
            "{} exists already; a backup never overwrites a file (choose a new name)",
            file.display()
        )));
    }
    let store = Store::connect(&config.database_url).await?;
    let copied = store.vacuum_into(file).await;
    store.close().await;
    copied?;
    let size = std::fs::metadata(file)
        .map_err(|source| AppError::Read {
            path: file.display().to_string(),
            source,
        })?
        .len();
    tracing::info!(file = %file.display(), size, "backup written");
    Ok(size)
}

/// `chihoi org import FILE.csv`: validates the whole file, then applies it in one
/// transaction — a bad file changes nothing.
pub async fn import_org(
    store: &Store,
    file: &Path,
    now: DateTime<Utc>,
) -> Result<ImportSummary, AppError> {
    let bytes = std::fs::read(file).map_err(|source| AppError::Read {
        path: file.display().to_string(),
        source,
    })?;
    import_org_bytes(store, &bytes, now).await
}

pub async fn import_org_bytes(
    store: &Store,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<ImportSummary, AppError> {
    let records = orgfile::parse_org_csv(bytes)?;
    let mut tx = store.begin().await?;
    let existing = org::existing_units(&mut tx).await?;
    let plan = orgfile::plan_import(records, &existing)?;
    let summary = org::apply_import(&mut tx, &plan, now.timestamp()).await?;
    tx.commit().await?;
    if summary.inserted > 1000 {
        // A large import changes the tree's shape: let the planner know.
        let mut conn = store.acquire().await?;
        org::analyze(&mut conn).await?;
    }
    Ok(summary)
}

/// `chihoi org tree [CODE]`.
pub async fn org_tree(store: &Store, root: Option<&str>) -> Result<String, AppError> {
    let mut conn = store.acquire().await?;
    let units = org::existing_units(&mut conn).await?;
    let root = root
        .map(|c| {
            c.parse::<UnitCode>()
                .map_err(|_| AppError::UnknownUnit(c.to_owned()))
        })
        .transpose()?;
    orgfile::render_tree(&units, root.as_ref()).map_err(|e| AppError::UnknownUnit(e.0.to_string()))
}

/// A new invite, ready to hand out.
#[derive(Debug)]
pub struct IssuedInvite {
    pub code: InviteCode,
    pub unit_name: String,
    pub expires_at: DateTime<Utc>,
}

/// `chihoi invite --unit CODE --role ROLE [--uses N] [--expires 7d]`.
pub async fn create_invite(
    store: &Store,
    unit_code: &str,
    role: Role,
    uses: u32,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<IssuedInvite, AppError> {
    if uses == 0 {
        return Err(AppError::Usage("--uses must be at least 1".into()));
    }
    let valid_for = chrono::Duration::from_std(valid_for)
        .map_err(|_| AppError::Usage("--expires is too long".into()))?;
    if valid_for > chrono::Duration::days(366) || valid_for < chrono::Duration::minutes(1) {
        return Err(AppError::Usage(
            "--expires must be between 1 minute and 366 days".into(),
        ));
    }
    let mut tx = store.begin().await?;
    let unit = unit_named(&mut tx, unit_code).await?;
    let code = InviteCode::generate();
    let expires_at = now + valid_for;
    users::create_invite(
        &mut tx,
        &code,
        unit.id,
        role,
        i64::from(uses),
        expires_at.timestamp(),
        now.timestamp(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(unit = unit_code, %role, uses, "invite created");
    Ok(IssuedInvite {
        code,
        unit_name: unit.name,
        expires_at,
    })
}

/// The unit an operator named by its code, or the error naming the code.
async fn unit_named(conn: &mut Conn, code: &str) -> Result<org::Unit, AppError> {
    org::unit_by_code(conn, code)
        .await?
        .ok_or_else(|| AppError::UnknownUnit(code.to_owned()))
}

// ---- people: who has access, changing and taking it away ------------------------------------

/// `chihoi user list [--unit CODE]`: who holds which role in which unit, the apps she uses and
/// when she last wrote. Nothing that reaches her (phone numbers, platform or chat ids) is
/// printed; `#ID` names her for `user set-role` and `user remove`.
pub async fn user_list(
    store: &Store,
    calendars: &Calendars,
    unit: Option<&str>,
) -> Result<String, AppError> {
    use std::fmt::Write as _;
    let mut conn = store.acquire().await?;
    let root = match unit {
        Some(code) => Some(unit_named(&mut conn, code).await?),
        None => None,
    };
    let people = users::list_people(&mut conn, root.as_ref()).await?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<6} {:<24} {:<19} {:<18} {:<14} LAST SEEN",
        "ID", "NAME", "ROLE", "UNIT", "APPS"
    );
    for p in &people {
        let seen = p
            .last_seen_at
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map_or_else(
                || "-".to_owned(),
                |t| {
                    t.with_timezone(&calendars.tz)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                },
            );
        let _ = writeln!(
            out,
            "{:<6} {:<24} {:<19} {:<18} {:<14} {seen}{}",
            format!("#{}", p.id),
            crate::labels::shorten(&p.display_name, 24),
            p.role.map_or("-", Role::as_str),
            p.unit_code.as_deref().unwrap_or("-"),
            p.platforms.join("+"),
            if p.reachable { "" } else { " (unreachable)" }
        );
    }
    let _ = writeln!(out, "{} person(s).", people.len());
    Ok(out)
}

/// `#12` or `12`, as `user list` prints it.
pub fn parse_user_id(raw: &str) -> Result<i64, String> {
    raw.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            format!("{raw:?} is not a person's id; use the #ID `chihoi user list` shows")
        })
}

/// The person behind `#id`, who must be someone people can reach (not an account merged into
/// another).
async fn person(conn: &mut Conn, id: i64) -> Result<users::User, AppError> {
    users::user_by_id(conn, id)
        .await?
        .filter(|u| u.platform != "merged")
        .ok_or(AppError::UnknownUser(id))
}

/// Queues a message to her, on the app she used last, in her language (sent by the running
/// bot, after quiet hours).
async fn tell(
    conn: &mut Conn,
    calendars: &Calendars,
    to: &users::User,
    text: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let body = serde_json::to_string(&crate::message::Outbound::text(to.chat_id.clone(), text))
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let message = crate::storage::outbox::NewMessage {
        key: None,
        kind: crate::storage::outbox::Kind::Notice,
        platform: to.platform.clone(),
        chat_id: to.chat_id.clone(),
        user_id: Some(to.id),
        unit_id: None,
        period: None,
        ref_id: None,
        body: Some(body),
        urgent: false,
        not_before: calendars.deployment().next_sendable(now).timestamp(),
        lease: None,
    };
    crate::storage::outbox::enqueue(conn, &message, now.timestamp()).await?;
    Ok(())
}

fn lang_of(user: &users::User) -> Lang {
    Lang::parse(&user.lang).unwrap_or_default()
}

/// `chihoi user set-role ID --role ROLE [--unit CODE]`: her role (and unit) from now on. What
/// she was doing ends (queued messages, open dialog), and she is told.
pub async fn user_set_role(
    store: &Store,
    calendars: &Calendars,
    id: i64,
    role: Role,
    unit: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut tx = store.begin().await?;
    let user = person(&mut tx, id).await?;
    let unit = match (unit, user.unit_id) {
        (Some(code), _) => unit_named(&mut tx, code).await?,
        (None, Some(current)) => org::unit_by_id(&mut tx, current)
            .await?
            .ok_or(AppError::UnknownUser(id))?,
        (None, None) => {
            return Err(AppError::Usage(format!(
                "#{id} belongs to no unit yet; give --unit CODE"
            )));
        }
    };
    let was = match user.membership() {
        Some((unit_id, r)) => {
            let code = org::unit_by_id(&mut tx, unit_id)
                .await?
                .map_or_else(|| "?".to_owned(), |u| u.code);
            if unit_id == unit.id && r == role {
                return Ok(format!(
                    "#{id} {} is already {role} of {}; nothing changed.\n",
                    user.display_name, unit.code
                ));
            }
            format!("{r} of {code}")
        }
        None => "no role".to_owned(),
    };
    users::bind_membership(&mut tx, id, unit.id, role, now.timestamp()).await?;
    users::withdraw_join_requests(&mut tx, id, now.timestamp()).await?;
    let cancelled = users::end_sessions(&mut tx, id, now.timestamp()).await?;
    let lang = lang_of(&user);
    let text = tr!(
        lang,
        "access-role-changed",
        unit = unit.name.clone(),
        role = crate::labels::role(lang, role)
    );
    tell(&mut tx, calendars, &user, text, now).await?;
    tx.commit().await?;
    tracing::info!(user = id, unit = unit.code, %role, "role set by operator");
    Ok(format!(
        "#{id} {} is now {role} of {} (was {was}); {cancelled} queued message(s) cancelled; she will be told.\n",
        user.display_name, unit.code
    ))
}

/// `chihoi user remove ID`: takes her role and unit away. Her reports, opinions and alerts
/// stay; messages queued for her are cancelled; her open dialog ends, so a button still on her
/// screen does nothing; she is told.
pub async fn user_remove(
    store: &Store,
    calendars: &Calendars,
    id: i64,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut tx = store.begin().await?;
    let user = person(&mut tx, id).await?;
    let Some((unit_id, role)) = user.membership() else {
        return Ok(format!(
            "#{id} {} holds no role; nothing to remove.\n",
            user.display_name
        ));
    };
    let unit = org::unit_by_id(&mut tx, unit_id)
        .await?
        .ok_or(AppError::UnknownUser(id))?;
    let cancelled = users::take_away_access(&mut tx, id, now.timestamp()).await?;
    let lang = lang_of(&user);
    let text = tr!(
        lang,
        "access-removed",
        unit = unit.name.clone(),
        by = "officer"
    );
    tell(&mut tx, calendars, &user, text, now).await?;
    tx.commit().await?;
    tracing::info!(user = id, unit = unit.code, %role, "access taken away by operator");
    Ok(format!(
        "Removed #{id} {} ({role} of {}): her reports stay; {cancelled} queued message(s) cancelled; she will be told.\n",
        user.display_name, unit.code
    ))
}

/// The apps `chihoi user unlink --app` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum App {
    Telegram,
    Zalo,
}

impl App {
    pub fn platform(self) -> &'static str {
        match self {
            App::Telegram => "telegram",
            App::Zalo => "zalo",
        }
    }

    fn name(self) -> &'static str {
        match self {
            App::Telegram => "Telegram",
            App::Zalo => "Zalo",
        }
    }
}

/// `chihoi user unlink ID --app APP`: her account(s) on that app no longer share her person
/// (someone else's account linked to hers, or a phone she gave away). Each becomes an account
/// of its own that has joined nothing and keeps her invite history, so no old invite gives it
/// a role. She keeps her unit, role and history on her other app; both are told.
pub async fn user_unlink(
    store: &Store,
    calendars: &Calendars,
    id: i64,
    app: App,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut tx = store.begin().await?;
    let user = person(&mut tx, id).await?;
    let accounts = crate::storage::links::accounts_of(&mut tx, id).await?;
    let (on_app, others): (Vec<_>, Vec<_>) = accounts
        .into_iter()
        .partition(|a| a.platform == app.platform());
    if on_app.is_empty() {
        return Err(AppError::Usage(format!(
            "#{id} {} has no {} account",
            user.display_name,
            app.platform()
        )));
    }
    if others.is_empty() {
        return Err(AppError::Usage(format!(
            "#{id} {} uses no other app: unlinking would leave her none (`chihoi user remove` takes her access away)",
            user.display_name
        )));
    }
    let mut detached = Vec::new();
    for account in &on_app {
        // Re-read: unlinking the account she is reached on moves her to another one.
        let current = person(&mut tx, id).await?;
        if let Some(new) =
            crate::storage::links::unlink(&mut tx, &current, account, now.timestamp()).await?
        {
            detached.push(new);
        }
    }
    let user = person(&mut tx, id).await?;
    let lang = lang_of(&user);
    tell(
        &mut tx,
        calendars,
        &user,
        tr!(lang, "link-unlinked", app = app.name()),
        now,
    )
    .await?;
    let here = match user.platform.as_str() {
        "zalo" => "Zalo",
        _ => "Telegram",
    };
    for new in &detached {
        let text = tr!(lang_of(new), "link-unlinked-other", app = here);
        tell(&mut tx, calendars, new, text, now).await?;
    }
    tx.commit().await?;
    tracing::info!(
        user = id,
        app = app.platform(),
        "app account unlinked by operator"
    );
    let ids = detached
        .iter()
        .map(|u| format!("#{}", u.id))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(format!(
        "Unlinked {} from #{id} {}: now {ids}, without a unit; both are told.\n",
        app.name(),
        user.display_name
    ))
}

// ---- invites: which are out there, and revoking one ------------------------------------------

/// The shortest prefix shown for an invite; longer when two codes share it.
const INVITE_PREFIX: usize = 6;

/// `chihoi invite list [--unit CODE]`: every invite for the unit and below (all without
/// `--unit`), newest first, each named by a prefix of its code that no other invite shares —
/// whole codes are credentials and are printed only when created.
pub async fn invite_list(
    store: &Store,
    calendars: &Calendars,
    unit: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    use crate::domain::invite::{InviteStatus, unique_prefix_lengths};
    use std::fmt::Write as _;
    let mut conn = store.acquire().await?;
    let root = match unit {
        Some(code) => Some(unit_named(&mut conn, code).await?),
        None => None,
    };
    let invites = users::invites_under(&mut conn, root.as_ref()).await?;
    let all = users::invite_codes(&mut conn).await?;
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let prefix: std::collections::HashMap<&str, usize> = refs
        .iter()
        .copied()
        .zip(unique_prefix_lengths(&refs, INVITE_PREFIX))
        .collect();
    let local = |t: i64| {
        DateTime::from_timestamp(t, 0).map_or_else(String::new, |t| {
            t.with_timezone(&calendars.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:<8} {:<18} {:<19} {:<6} {:<16} CREATED",
        "CODE", "STATUS", "UNIT", "ROLE", "USES", "EXPIRES"
    );
    for i in &invites {
        let code = i.code.as_str();
        let shown = &code[..prefix.get(code).copied().unwrap_or(code.len())];
        let status = InviteStatus::of(
            i.uses,
            i.max_uses,
            i.expires_at,
            i.revoked_at.is_some(),
            now.timestamp(),
        );
        let _ = writeln!(
            out,
            "{:<12} {:<8} {:<18} {:<19} {:<6} {:<16} {}",
            format!("{shown}…"),
            status.as_str(),
            i.unit_code,
            i.role.as_str(),
            // Invites made in chat serve anyone until they expire.
            if i.max_uses == crate::domain::invite::OPEN_USES {
                format!("{}/∞", i.uses)
            } else {
                format!("{}/{}", i.uses, i.max_uses)
            },
            local(i.expires_at),
            local(i.created_at)
        );
    }
    let _ = writeln!(out, "{} invite(s).", invites.len());
    Ok(out)
}

/// `chihoi invite revoke CODE-or-prefix`: the invite stops working at once, for newcomers and
/// for anyone re-opening it. People who joined with it keep their role (`chihoi user remove`).
pub async fn invite_revoke(
    store: &Store,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let wanted = raw.trim();
    if wanted.len() < 4 {
        return Err(AppError::Usage(
            "give at least 4 characters of the code (see `chihoi invite list`)".into(),
        ));
    }
    let mut tx = store.begin().await?;
    let matching: Vec<String> = users::invite_codes(&mut tx)
        .await?
        .into_iter()
        .filter(|c| c.starts_with(wanted))
        .collect();
    let code = match matching.as_slice() {
        [] => return Err(AppError::UnknownInvite(wanted.to_owned())),
        [one] => {
            InviteCode::parse(one).ok_or_else(|| AppError::UnknownInvite(wanted.to_owned()))?
        }
        many => {
            return Err(AppError::Usage(format!(
                "{} invites start with {wanted:?}; give more of the code",
                many.len()
            )));
        }
    };
    let shown = &code.as_str()[..wanted.len().max(INVITE_PREFIX).min(code.as_str().len())];
    let revoked = users::revoke_invite(&mut tx, &code, now.timestamp()).await?;
    let used = users::invite_redemption_count(&mut tx, &code).await?;
    tx.commit().await?;
    if !revoked {
        return Ok(format!("Invite {shown}… was revoked already.\n"));
    }
    tracing::info!(invite = ?code, "invite revoked");
    Ok(format!(
        "Revoked invite {shown}…: it no longer works. {used} person(s) joined with it and keep their role (see `chihoi user list`, `chihoi user remove`).\n"
    ))
}

/// `chihoi export`: writes the file and returns how many rows it holds (reports for XLSX, the
/// sheet's rows for CSV).
#[allow(clippy::too_many_arguments)] // each is one CLI option
pub async fn export_reports(
    store: &Store,
    config: &Config,
    range: PeriodRange,
    unit: Option<&str>,
    format: ExportFormat,
    sheet: Sheet,
    lang: Lang,
    out: &Path,
) -> Result<usize, AppError> {
    let scope = export::Scope::new(store, &config.calendars, unit, range, lang, Utc::now()).await?;
    let n = export::export_to_file(&scope, format, sheet, out)
        .await
        .map_err(|e| match e {
            ExportError::Io(source) => AppError::Write {
                path: out.display().to_string(),
                source,
            },
            other => AppError::Export(other),
        })?;
    roster::log_export(
        store,
        unit,
        &format!("report export {range}"),
        n,
        Utc::now(),
    )
    .await?;
    Ok(n)
}

/// `chihoi report draft`: the 6-month or yearly report of `unit` as a Word document at `out`.
pub async fn draft_report(
    store: &Store,
    config: &Config,
    range: PeriodRange,
    unit: &str,
    lang: Lang,
    out: &Path,
) -> Result<crate::draft::Figures, AppError> {
    crate::draft::draft_to_file(store, &config.calendars, unit, range, lang, Utc::now(), out)
        .await
        .map_err(|e| match e {
            crate::draft::DraftError::Export(ExportError::UnknownUnit(code)) => {
                AppError::UnknownUnit(code)
            }
            crate::draft::DraftError::Io(source) => AppError::Write {
                path: out.display().to_string(),
                source,
            },
            other => AppError::Draft(other),
        })
}

/// `chihoi serve`: migrates, then runs every configured channel (Telegram, Zalo or both) with
/// one courier and the scheduler until Ctrl-C. A channel that cannot start (a refused token)
/// stops the rest and is the error.
pub async fn serve(config: &Config) -> Result<(), AppError> {
    if config.telegram_token.is_none() && config.zalo.is_none() {
        return Err(ConfigError::Missing("TELOXIDE_TOKEN or ZALO_BOT_TOKEN").into());
    }
    // First, so that nothing recorded from here on is lost.
    crate::metrics::install();
    let store = open_store(config).await?;
    tracing::info!(database = %config.database_url.redacted(), "database ready");
    let engine = Engine::new(store.clone(), config.calendars.clone());
    // Known before Telegram answers (or on a Zalo-only bot, where invites made in chat show
    // the link only when it is configured).
    if let Some(name) = &config.bot_username {
        engine.set_bot_username(name);
    }
    let clock = system_clock();
    // `/healthz` and `/metrics`: on CHIHOI_METRICS_LISTEN only, never on a public listener.
    let ops = http::ops_router(store.clone(), clock.clone());
    let telegram_options = config.telegram_token.clone().map(|token| {
        let mut options = TelegramOptions::new(token);
        options.api_url = config.telegram_api_url.clone();
        options.webhook = config.webhook.clone();
        options.delivery = config.delivery.clone();
        options.run_courier = false;
        options
    });
    let zalo_options = config.zalo.as_ref().map(|z| {
        let mut options = ZaloOptions::from_config(z);
        options.run_courier = false;
        options
    });
    let mut courier = Courier::builder(
        store.clone(),
        config.calendars.clone(),
        clock.clone(),
        engine.instance().to_owned(),
    )
    .public_url(config.public_url.clone());
    if let Some(options) = &telegram_options {
        courier = courier.sender(
            std::sync::Arc::new(TelegramSender::new(options)),
            options.delivery.clone(),
        );
    }
    if let Some(options) = &zalo_options {
        courier = courier.sender(
            std::sync::Arc::new(ZaloSender::new(options)?),
            options.delivery.clone(),
        );
    }
    let courier = courier.build();
    for platform in courier.platforms() {
        crate::metrics::show_platform(platform);
    }
    let telegram = telegram_options.as_ref().map(|options| {
        Telegram::with_courier(engine.clone(), options, clock.clone(), courier.clone())
    });
    let zalo = match &zalo_options {
        Some(options) => Some(Zalo::with_courier(
            engine.clone(),
            options,
            clock.clone(),
            courier.clone(),
        )?),
        None => None,
    };
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("shutting down");
            on_signal.cancel();
        }
    });
    // The public HTTP server, when something needs it: the Zalo webhook and shared files (a
    // bounded number of downloads at a time).
    let mut router = None::<axum::Router>;
    if config.public_url.is_some() {
        router = Some(http::files_router(
            store.clone(),
            clock.clone(),
            config.http_limits,
        ));
    }
    if let (Some(zalo), Some(options)) = (&zalo, &zalo_options)
        && let Some((url, secret)) = &options.webhook
    {
        let hook = zalo.webhook_router(url.path(), secret.clone());
        router = Some(router.map_or(hook.clone(), |r| r.merge(hook)));
    }
    let http = async {
        match router {
            Some(router) => serve_http(config.http_listen, router, shutdown.clone()).await,
            None => Ok(()),
        }
    };
    // The operators' listener. Its address taken (a second instance on the same machine with
    // the default) costs the probes, not the bot: a warning, and the bot goes on.
    let ops_http = async {
        if let Some(addr) = config.metrics_listen
            && let Err(e) = serve_http(addr, ops.clone(), shutdown.clone()).await
        {
            tracing::warn!(error = %e, "no /healthz or /metrics (set CHIHOI_METRICS_LISTEN, or off)");
        }
        Ok(())
    };
    let stop_all = |r: Result<(), AppError>| {
        if r.is_err() {
            shutdown.cancel();
        }
        r
    };
    let scheduler =
        Scheduler::new(store.clone(), config.calendars.clone()).retention(config.retention);
    // Every loop is supervised: a panic restarts it (see `supervisor`), it never ends the bot.
    let (t, z, h, o, _, _, _) = tokio::join!(
        supervise("telegram", &shutdown, || async {
            match (&telegram, &telegram_options) {
                (Some(t), Some(o)) => {
                    stop_all(t.run(o, shutdown.clone()).await.map_err(Into::into))
                }
                _ => Ok(()),
            }
        }),
        supervise("zalo", &shutdown, || async {
            match (&zalo, &zalo_options) {
                (Some(z), Some(o)) => {
                    stop_all(z.run(o, shutdown.clone()).await.map_err(Into::into))
                }
                _ => Ok(()),
            }
        }),
        async { stop_all(http.await) },
        async { stop_all(ops_http.await) },
        supervise("courier", &shutdown, || courier.run(shutdown.clone())),
        supervise("scheduler", &shutdown, || scheduler.run(
            clock.clone(),
            Duration::from_secs(60),
            shutdown.clone()
        )),
        supervise("metrics", &shutdown, || crate::metrics::upkeep(
            shutdown.clone()
        )),
    );
    store.close().await;
    t.unwrap_or(Ok(()))?;
    z.unwrap_or(Ok(()))?;
    h?;
    o
}

/// Serves `router` on `addr` until `shutdown`.
async fn serve_http(
    addr: std::net::SocketAddr,
    router: axum::Router,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Http { addr, source })?;
    tracing::info!(listen = %addr, "HTTP server ready");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|source| AppError::Http { addr, source })
}

/// The Zalo bot's name as people see it in Zalo, asked of Zalo (for `chihoi invite`).
pub async fn zalo_bot_name(config: &Config) -> Option<String> {
    let zalo = config.zalo.as_ref()?;
    let client = ZaloOptions::from_config(zalo).client().ok()?;
    let me = tokio::time::timeout(Duration::from_secs(10), client.get_me())
        .await
        .ok()?
        .ok()?;
    Some(me.account_name).filter(|n| !n.is_empty())
}

/// The bot's username for deep links: configured, or asked of Telegram when a token is set.
pub async fn bot_username(config: &Config) -> Option<String> {
    if let Some(name) = &config.bot_username {
        return Some(name.clone());
    }
    let token = config.telegram_token.as_ref()?;
    let mut options = TelegramOptions::new(token.clone());
    options.api_url = config.telegram_api_url.clone();
    let store = Store::connect(&config.database_url).await.ok()?;
    let telegram = Telegram::new(
        Engine::new(store, config.calendars.clone()),
        &options,
        system_clock(),
    );
    use teloxide::prelude::Requester;
    let me = tokio::time::timeout(Duration::from_secs(10), telegram.bot().get_me())
        .await
        .ok()?
        .ok()?;
    Some(me.username().to_owned())
}

/// `chihoi tick`: one scheduler pass at `now`; the report (and, dry, what would be sent).
pub async fn tick(
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<String, AppError> {
    use std::fmt::Write as _;
    let scheduler =
        Scheduler::new(store.clone(), config.calendars.clone()).retention(config.retention);
    let mut out = String::new();
    let local = now
        .with_timezone(&config.timezone)
        .format("%Y-%m-%d %H:%M %Z");
    if dry_run {
        let (r, planned) = scheduler.preview(now).await?;
        let _ = writeln!(
            out,
            "At {local} (dry run, nothing written): {} reminder(s), {} overdue summary(ies), {} escalation(s) due.",
            r.reminders, r.overdue, r.escalated
        );
        for p in planned {
            let first = p.text.lines().next().unwrap_or("");
            let _ = writeln!(out, "  {:<12} → {:<24} {first}", p.kind, p.recipient);
        }
    } else {
        let r = scheduler.tick(now).await?;
        let _ = writeln!(
            out,
            "At {local}: queued {} reminder(s), {} overdue summary(ies); {} escalation(s); {} reminder(s) dropped (reported).",
            r.reminders, r.overdue, r.escalated, r.cancelled
        );
        let _ = writeln!(
            out,
            "The running bot sends them (or they wait out the quiet hours)."
        );
    }
    Ok(out)
}

/// `chihoi outbox [--dead]`.
pub async fn outbox_status(store: &Store, dead: bool) -> Result<String, AppError> {
    use std::fmt::Write as _;
    let mut conn = store.acquire().await?;
    let counts = crate::storage::outbox::status_counts(&mut conn).await?;
    let mut out = String::from("Outbox:");
    if counts.is_empty() {
        out.push_str(" empty.");
    }
    for (status, n) in counts {
        let _ = write!(out, " {status} {n};");
    }
    out.push('\n');
    if dead {
        for d in crate::storage::outbox::dead_letters(&mut conn, 50).await? {
            let _ = writeln!(
                out,
                "  #{} {} to chat {} after {} attempt(s): {}",
                d.id,
                d.kind,
                d.chat_id,
                d.attempts,
                d.last_error.unwrap_or_default()
            );
        }
    }
    Ok(out)
}

/// `chihoi calendar show [--unit CODE]`.
pub async fn calendar_show(
    store: &Store,
    config: &Config,
    unit: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    use std::fmt::Write as _;
    let mut conn = store.acquire().await?;
    let calendar = match unit {
        None => config.calendars.deployment(),
        Some(code) => {
            let u = unit_named(&mut conn, code).await?;
            org::calendar_for(&mut conn, &config.calendars, &u).await?
        }
    };
    let period = Period::containing(now, calendar.tz);
    let t = |at| calendar.local_text(at);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Calendar for {} ({}):",
        unit.unwrap_or("the deployment"),
        calendar.tz
    );
    let chases: Vec<String> = calendar.chase_events(period).into_iter().map(t).collect();
    let _ = writeln!(
        out,
        "  {period}: prompt and reminders {}",
        chases.join(", ")
    );
    let _ = writeln!(
        out,
        "  deadline {}, locks {}",
        t(calendar.deadline(period)),
        t(calendar.locks_at(period))
    );
    match calendar.quiet {
        Some((a, b)) => {
            let _ = writeln!(
                out,
                "  quiet hours {}–{}",
                a.format("%H:%M"),
                b.format("%H:%M")
            );
        }
        None => {
            let _ = writeln!(out, "  no quiet hours");
        }
    }
    let _ = writeln!(
        out,
        "  overdue summaries every {} day(s) at {}; urgent reports climb after {} h, then {} h",
        calendar.overdue_every.num_days(),
        calendar.overdue_time.format("%H:%M"),
        calendar.escalate_district_after.num_hours(),
        calendar.escalate_province_after.num_hours()
    );
    Ok(out)
}

/// `chihoi calendar set --unit CODE JSON`: only top units carry overrides.
pub async fn calendar_set(
    store: &Store,
    config: &Config,
    unit: &str,
    json: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let settings: CalendarSettings = serde_json::from_str(json)
        .map_err(|e| AppError::Usage(format!("calendar settings: {e}")))?;
    Calendar::new(config.timezone, &config.calendars.base.overlaid(&settings))
        .map_err(|e| AppError::Usage(format!("calendar settings: {e}")))?;
    let mut tx = store.begin().await?;
    let u = unit_named(&mut tx, unit).await?;
    if u.parent_id.is_some() {
        return Err(AppError::Usage(format!(
            "{unit} is not a top unit; calendars are set per province (a top unit of the tree)"
        )));
    }
    org::set_calendar_override(&mut tx, u.id, &settings, now.timestamp()).await?;
    tx.commit().await?;
    Ok(())
}

/// Reads a whole CSV file of `T` rows (a UTF-8 byte-order mark is fine), with line numbers.
fn read_csv<T: serde::de::DeserializeOwned>(file: &Path) -> Result<Vec<(usize, T)>, AppError> {
    let bytes = std::fs::read(file).map_err(|source| AppError::Read {
        path: file.display().to_string(),
        source,
    })?;
    let mut reader =
        csv::Reader::from_reader(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes));
    reader
        .deserialize::<T>()
        .enumerate()
        .map(|(i, rec)| {
            rec.map(|r| (i + 2, r))
                .map_err(|e| AppError::Usage(format!("line {}: {e}", i + 2)))
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct StatsRow {
    code: String,
    year: i32,
    women_18plus: i64,
    /// Optional since the roster counts members (target 9 reads the roster once a union has
    /// one); kept for unions without a roster yet.
    #[serde(default)]
    members: Option<i64>,
}

/// `chihoi stats import FILE.csv` (`code,year,women_18plus[,members]`): the figures the
/// membership target needs. The whole file is checked before anything is written, and every
/// problem is listed with its line; then nothing is imported.
pub async fn import_stats(
    store: &Store,
    config: &Config,
    file: &Path,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let rows = read_csv::<StatsRow>(file)?;
    let mut tx = store.begin().await?;
    let mut problems = Vec::new();
    let mut seen: std::collections::HashMap<(String, i32), usize> = Default::default();
    let mut checked = Vec::new();
    for (line, row) in &rows {
        if row.women_18plus < 0
            || row.members.is_some_and(|m| m < 0)
            || !(2000..=2200).contains(&row.year)
        {
            problems.push(format!(
                "line {line}: figures must be positive and the year real"
            ));
        }
        if let Some(first) = seen.insert((row.code.clone(), row.year), *line) {
            problems.push(format!(
                "line {line}: {} {} is already on line {first}",
                row.code, row.year
            ));
        }
        match org::unit_by_code(&mut tx, &row.code).await? {
            None => problems.push(format!("line {line}: no unit with code {:?}", row.code)),
            Some(unit) => checked.push((unit, row)),
        }
    }
    if !problems.is_empty() {
        tx.rollback().await?;
        return Err(AppError::Usage(format!(
            "{} refused, nothing imported ({} problem(s)):\n{}",
            file.display(),
            problems.len(),
            problems.join("\n")
        )));
    }
    for (unit, row) in &checked {
        crate::storage::activities::set_unit_stats(
            &mut tx,
            unit.id,
            row.year,
            row.women_18plus,
            row.members,
            now.timestamp(),
        )
        .await?;
        crate::targets::refresh_around(&mut tx, &config.calendars, unit, now).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

#[derive(serde::Deserialize)]
struct CatalogRow {
    code: String,
    group: String,
    name_vi: String,
    name_en: String,
    measure: String,
}

/// `chihoi catalog import FILE.csv` (`code,group,name_vi,name_en,measure`): adds or renames
/// activity types, so a province extends the catalogue without code.
pub async fn import_catalog(store: &Store, file: &Path) -> Result<usize, AppError> {
    let mut rows = Vec::new();
    for (line, row) in read_csv::<CatalogRow>(file)? {
        let code_ok = !row.code.is_empty()
            && row.code.len() <= 40
            && row
                .code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !code_ok || row.name_vi.trim().is_empty() || row.name_en.trim().is_empty() {
            return Err(AppError::Usage(format!(
                "line {line}: code must be a-z0-9_ and names not empty"
            )));
        }
        if !["participants", "households", "count"].contains(&row.measure.as_str()) {
            return Err(AppError::Usage(format!(
                "line {line}: measure must be participants, households or count"
            )));
        }
        rows.push(row);
    }
    let mut tx = store.begin().await?;
    let max = crate::storage::activities::last_type_position(&mut tx).await?;
    for (i, row) in rows.iter().enumerate() {
        let t = crate::storage::activities::ActivityType {
            code: row.code.clone(),
            group: row.group.clone(),
            name_vi: row.name_vi.trim().to_owned(),
            name_en: row.name_en.trim().to_owned(),
            measure: row.measure.clone(),
        };
        crate::storage::activities::upsert_activity_type(
            &mut tx,
            &t,
            max.unwrap_or(0) + 1 + i as i64,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// `chihoi targets refresh [--year]`: re-evaluates every target over the whole tree.
pub async fn refresh_targets(
    store: &Store,
    config: &Config,
    year: Option<i32>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let year = year.unwrap_or_else(|| Period::containing(now, config.timezone).year());
    Ok(crate::targets::refresh_all(store, &config.calendars, year, now).await?)
}
