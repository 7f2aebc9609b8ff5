//! The monthly report dialog under load (issue 9): the real bot — `chihoi serve`, the binary
//! itself, run as a child process — long-polls the local Bot API server over HTTP while N
//! simulated branch heads file a "nothing new" monthly report at the same time, each in her own
//! task, typing `/baocao` and tapping buttons as a person does.
//!
//! ```sh
//! cargo bench --bench dialog                            # SQLite
//! BENCH_BACKEND=postgres cargo bench --bench dialog     # PostgreSQL (127.0.0.1:5432)
//! BENCH_MEMBERS=100000 cargo bench --bench dialog       # with 100,000 members registered
//! ```
//!
//! `BENCH_SCENARIOS=fanout` runs instead a province-wide announcement to 100,000 members while
//! heads report and urgent alerts are raised (issue 18; see `dialog/fanout.rs`).
//!
//! Two scenarios, each on a fresh database and a fresh bot process:
//! - **limits on**: the server enforces Telegram's documented limits (30 messages/s per bot,
//!   1/s per chat) and the bot runs with its default send limits; each head thinks about 3 s
//!   before each step.
//! - **limits off**: the server enforces nothing and the bot's own limits are raised to
//!   1,000 messages/s overall and per chat (`CHIHOI_SEND_PER_SECOND`,
//!   `CHIHOI_SEND_PER_CHAT_PER_SECOND`); nobody thinks: this is the engine's capacity.
//!
//! Knobs: `BENCH_HEADS` (branch heads filing at once, default 200), `BENCH_THINK_MS` (mean think
//! time before each step, ±50% at random; default 3000 with limits on, 0 with limits off),
//! `BENCH_SCENARIOS` (`on,off` by default; `on` or `off` runs one), `BENCH_START` (`typed`, the
//! default: she types `/baocao`; `reminder`: the bot sends every branch its reminder as the
//! run starts, and she opens the report from its button), `BENCH_MEMBERS` (members
//! registered besides the heads, default 0), `BENCH_TIMEOUT_S` (longest wait for one step's
//! answer, default 300), `BENCH_BOT_LOG` (the bot's `RUST_LOG`, default `warn`),
//! `BENCH_BOT_LOG_FILE` (where to keep the bot's whole log; it is printed in part otherwise).
//!
//! Time to first reply runs from pushing an update to the server until the bot's first visible
//! answer in that chat — a new message or an edit of one, whichever comes first (the server's
//! per-chat versions, [`LocalBotApi::wait_for_change`]); answering the callback query does not
//! count. The bot's CPU time and memory are read from `/proc/<pid>` of its process, so neither
//! the server nor the simulated people are in them (nor PostgreSQL's own processes).

mod common;
#[path = "dialog/fanout.rs"]
mod fanout;

use common::{ms, percentile};

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chihoi::domain::calendar::Calendars;
use chihoi::scheduler::Scheduler;
use chihoi::storage::Store;
use chihoi_fakes::telegram::script::{
    FROM_REMINDER, FROM_REMINDER_LABEL, NOTHING_NEW_REPORT, Watcher,
};
use chihoi_fakes::telegram::{LocalBotApi, LocalBotApiOptions, RateLimits, Stats, TestUser};
use rand::Rng;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let failed = rt.block_on(run());
    if failed {
        std::process::exit(1);
    }
}

struct Scenario {
    name: &'static str,
    /// Telegram's limits enforced by the server; otherwise none, and the bot's raised.
    limits: bool,
    think: Duration,
}

/// Runs the chosen scenarios; returns whether any head failed to finish her report.
async fn run() -> bool {
    let heads = env("BENCH_HEADS", 200) as usize;
    let members = env("BENCH_MEMBERS", 0) as i64;
    let timeout = Duration::from_secs(env("BENCH_TIMEOUT_S", 300));
    let chosen = std::env::var("BENCH_SCENARIOS").unwrap_or_else(|_| "on,off".into());
    if chosen == "fanout" {
        return fanout::run().await;
    }
    let think = |default| Duration::from_millis(env("BENCH_THINK_MS", default));
    let scenarios: Vec<Scenario> = chosen
        .split(',')
        .map(str::trim)
        .filter_map(|name| match name {
            "on" => Some(Scenario {
                name: "limits on",
                limits: true,
                think: think(3000),
            }),
            "off" => Some(Scenario {
                name: "limits off",
                limits: false,
                think: think(0),
            }),
            other => {
                eprintln!("BENCH_SCENARIOS: unknown scenario {other:?} (use on, off)");
                None
            }
        })
        .collect();
    println!(
        "bot binary: {} (built by cargo with the bench profile)",
        env!("CARGO_BIN_EXE_chihoi")
    );
    let mut failed = false;
    for scenario in &scenarios {
        failed |= run_scenario(scenario, heads, members, timeout).await;
    }
    failed
}

async fn run_scenario(scenario: &Scenario, heads: usize, members: i64, timeout: Duration) -> bool {
    let from_reminder = std::env::var("BENCH_START").is_ok_and(|s| s == "reminder");
    let setup = Instant::now();
    let db = common::database().await;
    let (ids, members) = org_with_heads(&db.store, heads, members).await;
    quiet_scheduler(&db.store, from_reminder).await;
    let api = Arc::new(
        LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .unwrap(),
    );
    if scenario.limits {
        api.set_rate_limits(Some(RateLimits::default()));
    }
    let work = tempfile::tempdir().unwrap();
    let mut bot = BotProcess::spawn(&api, &db, scenario.limits, work.path());
    bot.wait_until_polling(&api).await;
    let setup = setup.elapsed();
    // For attaching a profiler (`perf record -g -p PID`) while the heads run.
    eprintln!(
        "{}: chihoi serve polling as pid {}",
        scenario.name,
        bot.pid()
    );

    let before = api.stats();
    let cpu_before = bot.cpu();
    let own_cpu_before = common::process_cpu(std::process::id()).unwrap_or_default();
    let server_cpu_before = common::postgres_server_cpu(&db).await;
    let started = Instant::now();
    let runs: Vec<_> = ids
        .iter()
        .map(|&id| {
            let head = Head(Watcher {
                api: api.clone(),
                user: TestUser::new(id, format!("Chị {id}")).with_language("vi"),
                timeout,
            });
            tokio::spawn(head.file_report(scenario.think, from_reminder))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for run in runs {
        let run = run.await.unwrap();
        latencies.extend(run.latencies);
        if let Some(err) = run.failure {
            failures.push(err);
        }
    }
    let wall = started.elapsed();
    let cpu = bot.cpu().saturating_sub(cpu_before);
    let own_cpu = common::process_cpu(std::process::id())
        .unwrap_or_default()
        .saturating_sub(own_cpu_before);
    let server_cpu = common::postgres_server_cpu(&db)
        .await
        .zip(server_cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let memory = bot.memory();
    let after = quiescent_stats(&api).await;
    let submitted: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reports")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let pid = bot.pid();
    let log = bot.stop(work.path()).await;

    let updates = latencies.len();
    let reports = heads - failures.len();
    println!();
    println!(
        "== {}, {}: {heads} branch heads filing at once, {members} members registered, think {} ms ±50% per step",
        db.label,
        scenario.name,
        scenario.think.as_millis()
    );
    println!(
        "   server: {}; bot: {}",
        if scenario.limits {
            "Telegram's limits enforced (30 msg/s per bot, 1/s per chat, 429 beyond)"
        } else {
            "no limits"
        },
        if scenario.limits {
            "default send limits (29.5 msg/s, 1/s per chat)"
        } else {
            "send limits raised to 1000 msg/s overall and per chat"
        }
    );
    println!(
        "   setup (not measured): {:.1} s; reports submitted: {} of {heads} (reports in the database: {})",
        setup.as_secs_f64(),
        reports,
        submitted.0
    );
    let per_second = updates as f64 / wall.as_secs_f64();
    println!(
        "   dialog updates: {updates} in {:.1} s = {per_second:.1} updates/s",
        wall.as_secs_f64()
    );
    latencies.sort();
    println!(
        "   time to first reply: p50 {}, p95 {}, p99 {}, max {}",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    println!(
        "   bot CPU (pid {pid}): {:.2} s user+system = {:.2} ms per update; this process (server and heads) {:.2} s",
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1000.0 / updates.max(1) as f64,
        own_cpu.as_secs_f64()
    );
    if let Some(server) = server_cpu {
        println!(
            "   PostgreSQL server CPU (all its processes): {:.2} s = {:.2} ms per update",
            server.as_secs_f64(),
            server.as_secs_f64() * 1000.0 / updates.max(1) as f64
        );
    }
    println!(
        "   bot memory: peak resident (VmHWM) {:.1} MiB; at the end resident {:.1} MiB, of which anonymous {:.1} MiB",
        memory.peak, memory.resident, memory.anonymous
    );
    let delta = |f: fn(&Stats) -> u64| f(&after).saturating_sub(f(&before));
    let calls = |method: &'static str| after.calls_of(method) - before.calls_of(method);
    let per_report = |n: u64| n as f64 / reports.max(1) as f64;
    let sends = delta(|s| s.sends_accepted);
    let edits = delta(|s| s.edits_accepted);
    println!(
        "   per report: {:.1} new messages (sendMessage calls {:.1}), {:.1} edits (editMessageText calls {:.1}), {:.1} answerCallbackQuery",
        per_report(sends),
        per_report(calls("sendMessage")),
        per_report(edits),
        per_report(calls("editMessageText")),
        per_report(calls("answerCallbackQuery")),
    );
    println!(
        "   messages sent and edited: {:.1}/s over the run; 429 answers from the server: {}",
        (sends + edits) as f64 / wall.as_secs_f64(),
        delta(|s| s.too_many_requests)
    );
    if !log.is_empty() {
        println!("   the bot logged {} line(s); first ones:", log.len());
        for line in log.iter().take(5) {
            println!("     {line}");
        }
    }
    for err in failures.iter().take(3) {
        println!("   FAILED: {err}");
    }
    if failures.len() > 3 {
        println!("   … and {} more failures", failures.len() - 3);
    }
    db.drop_database().await;
    !failures.is_empty()
}

/// A province with at least `heads` branches (one district, communes of up to 100 branches),
/// a branch head in each, and `members` members spread over them, all with their Telegram
/// identities. Returns the Telegram ids of the first `heads` heads (each her branch's id) and
/// how many members were registered.
async fn org_with_heads(store: &Store, heads: usize, members: i64) -> (Vec<i64>, i64) {
    let heads = heads.max(1) as u64;
    let communes = heads.div_ceil(100);
    let per_commune = heads.div_ceil(communes);
    let branches = common::synthetic_province(store, 1, communes as i64, per_commune as i64).await;
    assert!(branches as u64 >= heads);
    common::branch_heads(store).await;
    let members = common::members(store, members).await;
    common::identities(store).await;
    // `synthetic_province` numbers branches from 1,000,000; `branch_heads` gives each head
    // her branch's id as Telegram user and chat id.
    ((0..heads as i64).map(|i| 1_000_000 + i).collect(), members)
}

/// No quiet hours (as `CHIHOI_QUIET_HOURS=off`): the bench runs at any hour.
fn quiet_hours_off() -> chihoi::domain::calendar::CalendarSettings {
    let midnight = chrono::NaiveTime::MIN;
    chihoi::domain::calendar::CalendarSettings {
        quiet_start: Some(midnight),
        quiet_end: Some(midnight),
        ..Default::default()
    }
}

/// Queues what the scheduler finds due now (the period's prompt or latest reminder to every
/// branch, a digest at the start of a month…) and cancels it, so the bot's own scheduler has
/// nothing to send during the run: the run measures dialogs only.
/// With `keep_reminders` the reminders stay, for the bot to send as the run starts (heads open
/// their report from them).
async fn quiet_scheduler(store: &Store, keep_reminders: bool) {
    let calendars = Calendars::new(chrono_tz::Asia::Ho_Chi_Minh, quiet_hours_off()).unwrap();
    Scheduler::new(store.clone(), calendars)
        .tick(chrono::Utc::now())
        .await
        .unwrap();
    if keep_reminders {
        return;
    }
    sqlx::query("UPDATE outbox SET status = 'cancelled' WHERE status = 'pending'")
        .execute(store.pool())
        .await
        .unwrap();
}

/// The server's counters once the bot has been quiet (no send, edit or call) for a second, or
/// after 30 s.
async fn quiescent_stats(api: &LocalBotApi) -> Stats {
    let activity = |s: &Stats| {
        s.sends_accepted + s.edits_accepted + s.calls.values().sum::<u64>()
            - s.calls_of("getUpdates")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = api.stats();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = api.stats();
        if activity(&now) == activity(&last) || Instant::now() >= deadline {
            return now;
        }
        last = now;
    }
}

/// A simulated branch head.
struct Head(Watcher);

/// What one head's report gave: the time to first reply of each step she completed, and why
/// she stopped early, if she did.
struct HeadRun {
    latencies: Vec<Duration>,
    failure: Option<String>,
}

impl Head {
    /// Files the report, thinking `think` ±50% before each step (the first one at a random
    /// moment within `think`, so that heads do not move in lockstep).
    async fn file_report(self, think: Duration, from_reminder: bool) -> HeadRun {
        let mut latencies = Vec::with_capacity(NOTHING_NEW_REPORT.len());
        if from_reminder && let Err(err) = self.0.wait_for_button(FROM_REMINDER_LABEL).await {
            return HeadRun {
                latencies,
                failure: Some(format!("head {}: {err}", self.0.user.id)),
            };
        }
        let first_pause = think.mul_f64(rand::thread_rng().r#gen::<f64>());
        tokio::time::sleep(first_pause).await;
        let first = if from_reminder {
            &FROM_REMINDER
        } else {
            &NOTHING_NEW_REPORT[0]
        };
        for (i, step) in std::iter::once(first)
            .chain(&NOTHING_NEW_REPORT[1..])
            .enumerate()
        {
            if i > 0 && !think.is_zero() {
                let pause = think.mul_f64(rand::thread_rng().gen_range(0.5..1.5));
                tokio::time::sleep(pause).await;
            }
            match self.0.take(step).await {
                Ok(latency) => latencies.push(latency),
                Err(err) => {
                    return HeadRun {
                        latencies,
                        failure: Some(format!("head {} at step {}: {err}", self.0.user.id, i + 1)),
                    };
                }
            }
        }
        HeadRun {
            latencies,
            failure: None,
        }
    }
}

/// `chihoi serve` as a child process, polling `api`.
struct BotProcess {
    child: Child,
}

struct Memory {
    peak: f64,
    resident: f64,
    anonymous: f64,
}

impl BotProcess {
    fn spawn(api: &LocalBotApi, db: &common::BenchDb, limits: bool, work: &Path) -> Self {
        let log = std::fs::File::create(work.join("bot.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_chihoi"));
        // Nothing from this environment or a `.env` file (it runs in an empty folder) but what
        // is set here.
        command
            .arg("serve")
            .env_clear()
            .current_dir(work)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TELOXIDE_TOKEN", api.token())
            .env("TELOXIDE_API_URL", api.api_url().as_str())
            .env("DATABASE_URL", db.url.expose())
            .env("CHIHOI_BOT_USERNAME", api.bot_username())
            // A run after 21:00 in Hanoi must not find the reminders held until morning.
            .env("CHIHOI_QUIET_HOURS", "off")
            .env(
                "RUST_LOG",
                std::env::var("BENCH_BOT_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if !limits {
            command
                .env("CHIHOI_SEND_PER_SECOND", "1000")
                .env("CHIHOI_SEND_PER_CHAT_PER_SECOND", "1000");
        }
        Self {
            child: command.spawn().expect("start chihoi serve"),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the bot polls for updates (it has migrated, checked the token and set its
    /// commands); panics with its log if it exits instead.
    async fn wait_until_polling(&mut self, api: &LocalBotApi) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while api.stats().calls_of("getUpdates") == 0 {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("chihoi serve exited before polling: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chihoi serve did not poll within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn cpu(&self) -> Duration {
        common::process_cpu(self.pid()).unwrap_or_default()
    }

    fn memory(&self) -> Memory {
        let pid = self.pid().to_string();
        Memory {
            peak: common::process_status_mib(&pid, "VmHWM:"),
            resident: common::process_status_mib(&pid, "VmRSS:"),
            anonymous: common::process_status_mib(&pid, "RssAnon:"),
        }
    }

    /// Stops the bot as Ctrl-C does (SIGINT), killing it if it has not exited within 10 s;
    /// returns the lines it logged.
    async fn stop(mut self, work: &Path) -> Vec<String> {
        let _ = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                eprintln!("chihoi serve did not stop within 10 s of SIGINT; killing it");
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Ok(keep) = std::env::var("BENCH_BOT_LOG_FILE") {
            std::fs::copy(work.join("bot.log"), &keep).expect("keep the bot's log");
        }
        std::fs::read_to_string(work.join("bot.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for BotProcess {
    /// A benchmark that panics leaves no bot running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
