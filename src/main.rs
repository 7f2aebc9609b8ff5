//! `chihoi`: loads `.env`, parses the command line, runs the command.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use clap::{Parser, Subcommand};

use chihoi::app::{self, AppError};
use chihoi::config::Config;
use chihoi::domain::range::PeriodRange;
use chihoi::domain::role::Role;
use chihoi::export::{ExportFormat, Sheet};
use chihoi::i18n::Lang;

/// mimalloc rather than glibc's malloc: rows, messages and batches are allocated on one thread
/// and freed on another, where glibc contends on its arenas (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "chihoi",
    version,
    about = "Monthly reports of the Women's Union, from branches to province, by chat bot"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The organisation tree.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Creates an invite (`invite --unit CODE --role ROLE`) and prints its Telegram deep link
    /// and bare code; `invite list` and `invite revoke` manage those handed out.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Invite {
        #[command(subcommand)]
        command: Option<InviteCommand>,
        /// Unit code, e.g. TB-DH-DHOP-T1.
        #[arg(long, required = true)]
        unit: Option<String>,
        /// member, branch_head, grassroots_officer, district_admin or province_admin.
        #[arg(long, required = true)]
        role: Option<Role>,
        /// How many people may use it.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// How long it stays valid (e.g. 7d, 12h, 30m).
        #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
        expires: Duration,
    },
    /// People on the bot: who holds which role where; change a role, or take access away.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Applies database migrations.
    Migrate,
    /// Runs the bot (migrating first). Needs TELOXIDE_TOKEN.
    Serve,
    /// Exports submitted monthly reports.
    Export {
        /// A month (2026-11), a half-year (2026-H1, 2026-H2) or a year (2026).
        #[arg(long)]
        period: PeriodRange,
        /// Only this unit and the units below it.
        #[arg(long)]
        unit: Option<String>,
        /// XLSX holds every sheet; CSV holds one (see --sheet).
        #[arg(long, value_enum, default_value_t = ExportFormat::Xlsx)]
        format: ExportFormat,
        /// The sheet a CSV export holds.
        #[arg(long, value_enum, default_value_t = Sheet::Reports)]
        sheet: Sheet,
        /// Language of the column headers and answers (vi or en).
        #[arg(long, default_value = "vi", value_parser = parse_lang)]
        lang: Lang,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Reports drafted from the data.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Runs one scheduler pass: queues what is due (prompts, reminders, overdue summaries,
    /// escalations). With --dry-run, prints what it would send and changes nothing.
    Tick {
        /// The instant to run at (RFC 3339, e.g. 2026-11-20T08:00:00+07:00); default now.
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::FixedOffset>>,
        #[arg(long)]
        dry_run: bool,
    },
    /// The outbox: messages per status, and the dead letters admins should look at.
    Outbox {
        /// List the latest dead-lettered messages.
        #[arg(long)]
        dead: bool,
    },
    /// The reporting calendar: show it, or override it for a top unit (province).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Figures admins enter per grassroots union: `stats import FILE.csv` with the header
    /// code,year,women_18plus[,members] (members: for a union with no roster yet; target 9
    /// counts the roster's members once there is one). Every wrong line is listed; then
    /// nothing is imported.
    Stats {
        #[command(subcommand)]
        command: FileCommand,
    },
    /// The activity catalogue: `catalog import FILE.csv` with the header
    /// code,group,name_vi,name_en,measure (measure: participants, households or count).
    Catalog {
        #[command(subcommand)]
        command: FileCommand,
    },
    /// The targets (chỉ tiêu) snapshot: `targets refresh [--year Y]` re-evaluates the whole tree
    /// (the running bot does it daily and after every change for the union concerned).
    Targets {
        #[command(subcommand)]
        command: TargetsCommand,
    },
    /// Copies the SQLite database to FILE while the bot keeps running (a consistent snapshot,
    /// `VACUUM INTO`); never overwrites FILE. For PostgreSQL use pg_dump.
    Backup { file: PathBuf },
    /// Shows the bot at work with no token or network: a local Telegram-compatible server,
    /// a sample province, and a branch head filing her monthly report.
    Demo {
        /// Keep the demo's files here instead of a temporary folder.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// The roster of members per branch: `members import FILE.csv` (header
    /// name,phone,unit,status,honorary), `members list`, `members forget '#ID'`.
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
    /// The access log: who saw or took lists of people (roster lists in chat, `members list`),
    /// when and what.
    Audit {
        /// How many days back.
        #[arg(long, default_value_t = 31)]
        days: u32,
    },
}

#[derive(Subcommand)]
enum MembersCommand {
    /// Loads the file: all of it, or nothing when a line is wrong (every problem is listed with
    /// its line). Someone already on the roster (same phone; with no phone, same name in the
    /// same unit) is refused unless --update, which updates her row.
    Import {
        file: PathBuf,
        #[arg(long)]
        update: bool,
    },
    /// The roster with names and phones (of the unit and below, with --unit); logged.
    List {
        #[arg(long)]
        unit: Option<String>,
    },
    /// Erases her name, phone and link to the bot; she still counts in her unit.
    Forget {
        /// #ID from `members list`.
        #[arg(value_parser = app::parse_user_id)]
        id: i64,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The 6-month or yearly report of a union as a Word document (.docx) to edit and send.
    Draft {
        /// The union the report is from (its code, see `chihoi org tree`).
        #[arg(long)]
        unit: String,
        /// A half-year (2026-H1, 2026-H2) or a year (2026); a month (2026-11) works too.
        #[arg(long)]
        period: PeriodRange,
        /// Language of the document (vi or en).
        #[arg(long, default_value = "vi", value_parser = parse_lang)]
        lang: Lang,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum InviteCommand {
    /// Invites (of the unit and below, with --unit): open, used, expired or revoked, each named
    /// by the start of its code.
    List {
        #[arg(long)]
        unit: Option<String>,
    },
    /// Revokes an invite: it stops working at once, even for someone re-opening a link she used.
    Revoke {
        /// The code, or enough of its start to name one invite (as `invite list` prints it).
        /// Codes may start with "-": that is part of the code, not an option.
        #[arg(allow_hyphen_values = true)]
        code: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Who holds which role in which unit (the unit and below, with --unit), the apps she uses
    /// and when she last wrote; #ID names her for set-role and remove.
    List {
        #[arg(long)]
        unit: Option<String>,
    },
    /// Gives her a role, in her unit or in --unit. Her open dialog and queued messages end;
    /// she is told.
    SetRole {
        /// #ID from `user list`.
        #[arg(value_parser = app::parse_user_id)]
        id: i64,
        #[arg(long)]
        role: Role,
        #[arg(long)]
        unit: Option<String>,
    },
    /// Takes her role and unit away. Her reports stay; queued messages to her are cancelled;
    /// her open dialog ends; she is told.
    Remove {
        /// #ID from `user list`.
        #[arg(value_parser = app::parse_user_id)]
        id: i64,
    },
    /// Takes her account on --app out of her linked accounts (someone else's account linked
    /// to hers, a phone given away): it becomes a new account that has joined nothing. She
    /// keeps her unit and role on her other app; both are told.
    Unlink {
        /// #ID from `user list`.
        #[arg(value_parser = app::parse_user_id)]
        id: i64,
        #[arg(long, value_enum)]
        app: app::App,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// The calendar in force (for a top unit, with its override) and this month's dates.
    Show {
        #[arg(long)]
        unit: Option<String>,
    },
    /// Overrides settings for a top unit, as JSON, e.g. '{"prompt_day":18,"lock_after_days":5}'.
    /// Keys: prompt_day, prompt_time, reminders, reminder_time, deadline_day, deadline_time,
    /// on_time_grace_hours, lock_after_days, quiet_start, quiet_end, overdue_time,
    /// overdue_every_days, escalate_district_hours, escalate_province_hours.
    Set {
        #[arg(long)]
        unit: String,
        json: String,
    },
}

#[derive(Subcommand)]
enum TargetsCommand {
    Refresh {
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Subcommand)]
enum FileCommand {
    /// Loads the file (all of it, or nothing when a line is wrong).
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Loads units from a CSV file with the header code,parent_code,level,name.
    Import { file: PathBuf },
    /// Prints the tree, or the subtree of CODE.
    Tree { code: Option<String> },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language {s:?}; use vi or en"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // The demo tells its story on stdout; the engine's routine log lines would be woven into
    // it, so the demo logs only warnings (RUST_LOG still decides when set).
    let default_filter = match cli.command {
        Command::Demo { .. } => "warn",
        _ => "info,sqlx=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cause_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once (a wrapper that prints its source already is not
/// repeated): "storage: database error: … server does not support TLS" rather than a bare
/// "database error" an operator cannot act on.
fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

async fn run(cli: Cli) -> Result<(), AppError> {
    let config = Config::from_env()?;
    let now = Utc::now();
    match cli.command {
        Command::Org { command } => {
            let store = app::open_store(&config).await?;
            match command {
                OrgCommand::Import { file } => {
                    let s = app::import_org(&store, &file, now).await?;
                    println!(
                        "Imported {}: {} new, {} renamed, {} unchanged.",
                        file.display(),
                        s.inserted,
                        s.renamed,
                        s.unchanged
                    );
                }
                OrgCommand::Tree { code } => {
                    print!("{}", app::org_tree(&store, code.as_deref()).await?)
                }
            }
        }
        Command::Invite {
            command: Some(command),
            ..
        } => {
            let store = app::open_store(&config).await?;
            match command {
                InviteCommand::List { unit } => {
                    print!(
                        "{}",
                        app::invite_list(&store, &config.calendars, unit.as_deref(), now).await?
                    )
                }
                InviteCommand::Revoke { code } => {
                    print!("{}", app::invite_revoke(&store, &code, now).await?)
                }
            }
        }
        Command::Invite {
            command: None,
            unit,
            role,
            uses,
            expires,
        } => {
            let (Some(unit), Some(role)) = (unit, role) else {
                return Err(AppError::Usage("invite needs --unit and --role".into()));
            };
            let store = app::open_store(&config).await?;
            let invite = app::create_invite(&store, &unit, role, uses, expires, now).await?;
            let local = invite.expires_at.with_timezone(&config.timezone);
            println!(
                "Invite for {} ({role}), {uses} use(s), valid until {}",
                invite.unit_name,
                local.format("%Y-%m-%d %H:%M %Z")
            );
            match app::bot_username(&config).await {
                Some(bot) => println!("Telegram: {}", invite.code.deep_link(&bot)),
                None => println!("Telegram: (set CHIHOI_BOT_USERNAME to print the t.me link)"),
            }
            if config.zalo.is_some() {
                // Zalo has no deep links: she sends the code (or the whole link) as a message.
                let bot = app::zalo_bot_name(&config)
                    .await
                    .unwrap_or_else(|| "the bot".into());
                println!(
                    "Zalo: send the code below as a message to {bot} (open it from the bot's QR code or share link)"
                );
            }
            println!("{}", invite.code.as_str());
        }
        Command::User { command } => {
            let store = app::open_store(&config).await?;
            let out = match command {
                UserCommand::List { unit } => {
                    app::user_list(&store, &config.calendars, unit.as_deref()).await?
                }
                UserCommand::SetRole { id, role, unit } => {
                    app::user_set_role(&store, &config.calendars, id, role, unit.as_deref(), now)
                        .await?
                }
                UserCommand::Remove { id } => {
                    app::user_remove(&store, &config.calendars, id, now).await?
                }
                UserCommand::Unlink { id, app } => {
                    app::user_unlink(&store, &config.calendars, id, app, now).await?
                }
            };
            print!("{out}");
        }
        Command::Migrate => {
            app::open_store(&config).await?;
            println!(
                "Database is up to date ({}).",
                config.database_url.redacted()
            );
        }
        Command::Serve => app::serve(&config).await?,
        Command::Export {
            period,
            unit,
            format,
            sheet,
            lang,
            output,
        } => {
            let store = app::open_store(&config).await?;
            let n = app::export_reports(
                &store,
                &config,
                period,
                unit.as_deref(),
                format,
                sheet,
                lang,
                &output,
            )
            .await?;
            let what = match format {
                ExportFormat::Xlsx => "report(s)",
                ExportFormat::Csv => "row(s)",
            };
            println!("Wrote {n} {what} to {}.", output.display());
        }
        Command::Report {
            command:
                ReportCommand::Draft {
                    unit,
                    period,
                    lang,
                    output,
                },
        } => {
            let store = app::open_store(&config).await?;
            let figures = app::draft_report(&store, &config, period, &unit, lang, &output).await?;
            println!(
                "Wrote the {period} report of {unit} to {} ({} target(s), {} monthly report(s) due, {} activit(ies)).",
                output.display(),
                figures.targets.len(),
                figures.expected(),
                figures.activities.iter().map(|a| a.count).sum::<i64>()
            );
        }
        Command::Tick { now: at, dry_run } => {
            let store = app::open_store(&config).await?;
            let at = at.map(|t| t.with_timezone(&Utc)).unwrap_or(now);
            print!("{}", app::tick(&store, &config, at, dry_run).await?);
        }
        Command::Outbox { dead } => {
            let store = app::open_store(&config).await?;
            print!("{}", app::outbox_status(&store, dead).await?);
        }
        Command::Calendar { command } => {
            let store = app::open_store(&config).await?;
            match command {
                CalendarCommand::Show { unit } => {
                    print!(
                        "{}",
                        app::calendar_show(&store, &config, unit.as_deref(), now).await?
                    )
                }
                CalendarCommand::Set { unit, json } => {
                    app::calendar_set(&store, &config, &unit, &json, now).await?;
                    print!(
                        "{}",
                        app::calendar_show(&store, &config, Some(&unit), now).await?
                    );
                }
            }
        }
        Command::Stats {
            command: FileCommand::Import { file },
        } => {
            let store = app::open_store(&config).await?;
            let n = app::import_stats(&store, &config, &file, now).await?;
            println!("Imported figures for {n} unit-year(s).");
        }
        Command::Catalog {
            command: FileCommand::Import { file },
        } => {
            let store = app::open_store(&config).await?;
            let n = app::import_catalog(&store, &file).await?;
            println!("Imported {n} activity type(s).");
        }
        Command::Targets {
            command: TargetsCommand::Refresh { year },
        } => {
            let store = app::open_store(&config).await?;
            let n = app::refresh_targets(&store, &config, year, now).await?;
            println!("Targets re-evaluated for {n} grassroots union(s).");
        }
        Command::Backup { file } => {
            let size = app::backup(&config, &file).await?;
            println!(
                "Backed up {} to {} ({size} bytes).",
                config.database_url.redacted(),
                file.display()
            );
        }
        Command::Demo { dir } => app::demo::run(dir).await?,
        Command::Members { command } => {
            let store = app::open_store(&config).await?;
            match command {
                MembersCommand::Import { file, update } => {
                    let done = app::roster::import_members(&store, &file, update, now).await?;
                    println!(
                        "Imported {}: {} new, {} updated.",
                        file.display(),
                        done.added,
                        done.updated
                    );
                }
                MembersCommand::List { unit } => {
                    print!(
                        "{}",
                        app::roster::members_list(&store, unit.as_deref(), now).await?
                    )
                }
                MembersCommand::Forget { id } => {
                    print!("{}", app::roster::forget_member(&store, id, now).await?)
                }
            }
        }
        Command::Audit { days } => {
            let store = app::open_store(&config).await?;
            print!("{}", app::roster::audit(&store, &config, days, now).await?);
        }
    }
    Ok(())
}
