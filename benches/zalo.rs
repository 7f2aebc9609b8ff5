//! Deadline evening on Zalo (issue 22): the real bot — `chihoi serve`, the binary itself, as a
//! child process, in webhook mode — against the fake Zalo server over HTTP, while N branch heads
//! on Zalo file a "nothing new" monthly report, each in her own task, typing her answers.
//!
//! ```sh
//! cargo bench --bench zalo                                      # 200 heads, no limit at Zalo
//! BENCH_HEADS=100 BENCH_ZALO_LIMIT=20 cargo bench --bench zalo  # Zalo allows 20/s; the bot is not told
//! BENCH_HEADS=100 BENCH_ZALO_LIMIT=20 BENCH_ALERT=1 cargo bench --bench zalo   # and an urgent alert mid-wave
//! CHIHOI_ZALO_SEND_MAX_PER_SECOND=5 cargo bench --bench zalo    # the bot held to a fixed 5/s, as before
//! ```
//!
//! On Zalo there are no edits: every step's answer is a new message, and every message waits
//! for the bot's Zalo pace. Each head starts at a random moment within the first wave
//! (`BENCH_WAVE_S`, default 20 s) and thinks 3 s ±50% before each step (`BENCH_THINK_MS`),
//! answering each numbered list with the option's words.
//!
//! Knobs: `BENCH_HEADS` (default 200), `BENCH_ZALO_LIMIT` (sends a second the fake Zalo accepts
//! in any one-second window, answering "quota exceeded" beyond; unset: no limit), `BENCH_ALERT`
//! (`1`: a member on Zalo files an urgent report halfway through the wave, and the time until
//! her grassroots officer, on Zalo, receives the alert is measured), `BENCH_TIMEOUT_S`
//! (longest wait for one step's answer, default 300), `BENCH_BOT_LOG` (the bot's `RUST_LOG`,
//! default `warn,chihoi::delivery=info`), `BENCH_BACKEND=postgres`. `CHIHOI_ZALO_SEND_*`
//! variables set for the bench are passed to the bot.
//!
//! Time to the bot's answer runs from pushing her message to the fake Zalo (which POSTs it to
//! the bot's webhook) until the first new message in her chat.

mod common;

use common::{ms, percentile};

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chihoi::domain::calendar::Calendars;
use chihoi::scheduler::Scheduler;
use chihoi::storage::Store;
use chihoi_fakes::zalo::{FakeZalo, FakeZaloOptions, ZaloSent, ZaloUser};
use rand::Rng;

/// What she types at each step, and what she waits to see before the next one.
const REPORT: &[(&str, &str)] = &[
    ("/baocao", "Ổn định"),
    // Labour and production, then its note.
    ("Ổn định", "Bỏ qua"),
    ("Bỏ qua", "Ổn định"),
    // Cultural and spiritual life, then its note.
    ("Ổn định", "Bỏ qua"),
    ("Bỏ qua", "Phấn khởi, tin tưởng"),
    // Members' thoughts, then its note.
    ("Phấn khởi, tin tưởng", "Bỏ qua"),
    ("Bỏ qua", "Không có"),
    // No incident, no proposal: the summary.
    ("Không có", "Không có đề xuất"),
    ("Không có đề xuất", "Gửi báo cáo"),
    ("gui bao cao", "Đã gửi báo cáo"),
];

/// A member's urgent report, step by step: what she types and what she waits to see.
const URGENT: &[(&str, &str)] = &[
    ("/khancap", "An ninh trật tự"),
    ("An ninh trật tự", "Rất phức tạp"),
    ("Rất phức tạp", ""),
    ("12", ""),
    ("Xô xát ở chợ, có người bị thương", "Gửi ngay"),
];

const WEBHOOK_SECRET: &str = "bench-zalo-webhook-secret";

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
    if rt.block_on(run()) {
        std::process::exit(1);
    }
}

/// Returns whether any head failed to file her report.
async fn run() -> bool {
    let heads = env("BENCH_HEADS", 200) as usize;
    let limit = std::env::var("BENCH_ZALO_LIMIT")
        .ok()
        .and_then(|v| v.parse::<u32>().ok());
    let think = Duration::from_millis(env("BENCH_THINK_MS", 3000));
    let wave = Duration::from_secs(env("BENCH_WAVE_S", 20));
    let timeout = Duration::from_secs(env("BENCH_TIMEOUT_S", 300));
    let alert = std::env::var("BENCH_ALERT").is_ok_and(|v| v == "1");
    println!(
        "bot binary: {} (built by cargo with the bench profile)",
        env!("CARGO_BIN_EXE_chihoi")
    );

    let setup = Instant::now();
    let db = common::database().await;
    let people = org_on_zalo(&db.store, heads).await;
    quiet_scheduler(&db.store).await;
    let zalo = Arc::new(
        FakeZalo::start(FakeZaloOptions {
            sends_per_second: limit,
            ..FakeZaloOptions::default()
        })
        .await
        .unwrap(),
    );
    // Inserted as having joined, so they have written to the bot before: Zalo lets it answer.
    for user in people.heads.iter().chain([&people.member, &people.officer]) {
        zalo.meet(&user.chat_id());
    }
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut bot = BotProcess::spawn(&zalo, &db, port, work.path());
    bot.wait_until_registered(&zalo).await;
    let setup = setup.elapsed();

    let before = zalo.stats();
    let started = Instant::now();
    let runs: Vec<_> = people
        .heads
        .iter()
        .map(|user| {
            let (zalo, user) = (zalo.clone(), user.clone());
            tokio::spawn(file_report(zalo, user, think, wave, timeout))
        })
        .collect();
    let alert_run = alert.then(|| {
        let zalo = zalo.clone();
        let (member, officer) = (people.member.clone(), people.officer.clone());
        tokio::spawn(async move {
            tokio::time::sleep(wave / 2).await;
            raise_alert(&zalo, &member, &officer, timeout).await
        })
    });
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
    let alert_result = match alert_run {
        Some(run) => Some(run.await.unwrap()),
        None => None,
    };
    let after = zalo.stats();
    let metrics = scrape_metrics(port + 1).await;
    let submitted: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reports")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let log = bot.stop(work.path()).await;

    let reports = heads - failures.len();
    println!();
    println!(
        "== {}, Zalo, webhook: {heads} branch heads, first wave over {} s, think {} ms ±50% per step",
        db.label,
        wave.as_secs(),
        think.as_millis()
    );
    let bot_pace: Vec<String> = ["PER_SECOND", "MIN_PER_SECOND", "MAX_PER_SECOND"]
        .iter()
        .filter_map(|v| {
            let name = format!("CHIHOI_ZALO_SEND_{v}");
            std::env::var(&name)
                .ok()
                .map(|value| format!("{name}={value}"))
        })
        .collect();
    println!(
        "   Zalo's own limit: {}; the bot: {}",
        limit.map_or("none".to_owned(), |l| format!(
            "{l} sends/s (the bot is not told)"
        )),
        if bot_pace.is_empty() {
            "default Zalo pace settings".to_owned()
        } else {
            bot_pace.join(", ")
        }
    );
    println!(
        "   setup (not measured): {:.1} s; reports filed: {reports} of {heads} (reports in the database: {})",
        setup.as_secs_f64(),
        submitted.0
    );
    latencies.sort();
    println!(
        "   time to the bot's answer over {} steps: p50 {}, p95 {}, p99 {}, max {}",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    let sends = after.sends_accepted - before.sends_accepted;
    let refused = after.quota_exceeded - before.quota_exceeded;
    println!(
        "   Zalo took {sends} sends in {:.1} s = {:.1}/s; refused {refused} for its quota = {:.2}% of send attempts",
        wall.as_secs_f64(),
        sends as f64 / wall.as_secs_f64(),
        100.0 * refused as f64 / (sends + refused).max(1) as f64
    );
    if let Some(m) = metrics {
        println!(
            "   the bot's /metrics at the end: pace {} sends/s; {} pause(s) after quota errors, {:.2} s in all",
            m.pace.map_or("?".to_owned(), |p| format!("{p:.1}")),
            m.pauses,
            m.paused_seconds
        );
    }
    if let Some(result) = alert_result {
        match result {
            Ok(took) => println!(
                "   urgent alert raised mid-wave: reached the officer {} after she confirmed it",
                ms(took)
            ),
            Err(e) => println!("   urgent alert FAILED: {e}"),
        }
    }
    let cuts = log
        .iter()
        .filter(|l| l.contains("quota exceeded: send pace cut"))
        .count();
    println!(
        "   the bot logged {} line(s), {cuts} of them pace cuts",
        log.len()
    );
    for line in log
        .iter()
        .filter(|l| !l.contains("send pace"))
        .take(5)
        .chain(log.iter().rev().find(|l| l.contains("send pace")))
    {
        println!("     {line}");
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

/// The people of the run, all on Zalo.
struct People {
    heads: Vec<ZaloUser>,
    /// A member of the first branch, who files the urgent report.
    member: ZaloUser,
    /// The grassroots officer above that branch, who receives the alert.
    officer: ZaloUser,
}

/// A province with `heads` branches (one district, communes of up to 100 branches), a branch
/// head on Zalo in each, a member of the first branch and the grassroots officer above it.
async fn org_on_zalo(store: &Store, heads: usize) -> People {
    let heads = heads.max(1) as i64;
    let communes = (heads + 99) / 100;
    let per_commune = (heads + communes - 1) / communes;
    common::synthetic_province(store, 1, communes, per_commune).await;
    let insert = |user: &ZaloUser, unit: i64, role: &'static str| {
        sqlx::query(
            "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
             VALUES ('zalo', $1, $2, $3, 'vi', $4, $5, 0)",
        )
        .bind(user.id.clone())
        .bind(user.chat_id())
        .bind(user.display_name.clone())
        .bind(unit)
        .bind(role)
    };
    let mut people = People {
        heads: Vec::new(),
        member: ZaloUser::numbered(1, "Lê Thị Nga"),
        officer: ZaloUser::numbered(2, "Trần Thị Hoa"),
    };
    for i in 0..heads {
        let user = ZaloUser::numbered(100 + i as u64, format!("Chị {i}"));
        insert(&user, 1_000_000 + i, "branch_head")
            .execute(store.pool())
            .await
            .unwrap();
        people.heads.push(user);
    }
    insert(&people.member, 1_000_000, "member")
        .execute(store.pool())
        .await
        .unwrap();
    // `synthetic_province` numbers communes from 1,000: the first branch's is 1,000.
    insert(&people.officer, 1_000, "grassroots_officer")
        .execute(store.pool())
        .await
        .unwrap();
    common::identities(store).await;
    people
}

/// Queues what the scheduler finds due now and cancels it, so that the run carries dialogs
/// only (quiet hours off, as the bot runs).
async fn quiet_scheduler(store: &Store) {
    let midnight = chrono::NaiveTime::MIN;
    let settings = chihoi::domain::calendar::CalendarSettings {
        quiet_start: Some(midnight),
        quiet_end: Some(midnight),
        ..Default::default()
    };
    let calendars = Calendars::new(chrono_tz::Asia::Ho_Chi_Minh, settings).unwrap();
    Scheduler::new(store.clone(), calendars)
        .tick(chrono::Utc::now())
        .await
        .unwrap();
    sqlx::query("UPDATE outbox SET status = 'cancelled' WHERE status = 'pending'")
        .execute(store.pool())
        .await
        .unwrap();
}

struct HeadRun {
    latencies: Vec<Duration>,
    failure: Option<String>,
}

/// Files the report: starts within `wave`, thinks `think` ±50% before each step.
async fn file_report(
    zalo: Arc<FakeZalo>,
    user: ZaloUser,
    think: Duration,
    wave: Duration,
    timeout: Duration,
) -> HeadRun {
    let mut latencies = Vec::with_capacity(REPORT.len());
    let first = wave.mul_f64(rand::thread_rng().r#gen::<f64>());
    tokio::time::sleep(first).await;
    for (i, (text, sight)) in REPORT.iter().enumerate() {
        if i > 0 {
            let pause = think.mul_f64(rand::thread_rng().gen_range(0.5..1.5));
            tokio::time::sleep(pause).await;
        }
        match step(&zalo, &user, text, sight, timeout).await {
            Ok(latency) => latencies.push(latency),
            Err(e) => {
                return HeadRun {
                    latencies,
                    failure: Some(format!("{} at step {}: {e}", user.display_name, i + 1)),
                };
            }
        }
    }
    HeadRun {
        latencies,
        failure: None,
    }
}

/// Types `text`, waits for the bot's first answer (its time is returned), then until an answer
/// shows `sight` (any answer when `sight` is empty).
async fn step(
    zalo: &FakeZalo,
    user: &ZaloUser,
    text: &str,
    sight: &str,
    timeout: Duration,
) -> Result<Duration, String> {
    let chat = user.chat_id();
    let seen = zalo.sent_to(&chat).len();
    let pushed = Instant::now();
    zalo.push_text(user, text);
    let mut answers = zalo
        .wait_for_messages(&chat, seen + 1, timeout)
        .await
        .map_err(|e| e.to_string())?;
    let latency = pushed.elapsed();
    let shows = |m: &ZaloSent| m.text.as_deref().is_some_and(|t| t.contains(sight));
    while !answers[seen..].iter().any(shows) {
        let left = timeout.saturating_sub(pushed.elapsed());
        answers = zalo
            .wait_for_messages(&chat, answers.len() + 1, left)
            .await
            .map_err(|e| format!("no answer showing {sight:?}: {e}"))?;
    }
    Ok(latency)
}

/// The member files an urgent report; returns the time from her confirming it until the
/// officer receives the alert.
async fn raise_alert(
    zalo: &FakeZalo,
    member: &ZaloUser,
    officer: &ZaloUser,
    timeout: Duration,
) -> Result<Duration, String> {
    for (text, sight) in URGENT {
        step(zalo, member, text, sight, timeout).await?;
    }
    let chat = officer.chat_id();
    let seen = zalo.sent_to(&chat).len();
    let confirmed = Instant::now();
    zalo.push_text(member, "gui ngay");
    zalo.wait_for_messages(&chat, seen + 1, timeout)
        .await
        .map_err(|e| format!("the officer got no alert: {e}"))?;
    let took = confirmed.elapsed();
    let alert = zalo.sent_to(&chat);
    let text = alert
        .last()
        .and_then(|m| m.text.clone())
        .unwrap_or_default();
    if !text.contains("KHẨN") {
        return Err(format!("the officer got {text:?}, not the alert"));
    }
    Ok(took)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the bot's `/metrics` said about its Zalo pace.
struct PaceMetrics {
    pace: Option<f64>,
    pauses: u64,
    paused_seconds: f64,
}

async fn scrape_metrics(port: u16) -> Option<PaceMetrics> {
    let body = reqwest::Client::builder()
        .no_proxy()
        .build()
        .ok()?
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |prefix: &str| {
        body.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some(PaceMetrics {
        pace: value("chihoi_send_pace_per_second{platform=\"zalo\"}"),
        pauses: value("chihoi_send_pause_seconds_count{platform=\"zalo\"}").unwrap_or(0.0) as u64,
        paused_seconds: value("chihoi_send_pause_seconds_sum{platform=\"zalo\"}").unwrap_or(0.0),
    })
}

/// `chihoi serve` as a child process, Zalo only, in webhook mode.
struct BotProcess {
    child: Child,
}

impl BotProcess {
    fn spawn(zalo: &FakeZalo, db: &common::BenchDb, port: u16, work: &Path) -> Self {
        let log = std::fs::File::create(work.join("bot.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_chihoi"));
        command
            .arg("serve")
            .env_clear()
            .current_dir(work)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", db.url.expose())
            .env("ZALO_BOT_TOKEN", zalo.token())
            .env("ZALO_API_URL", zalo.api_url().as_str())
            .env("ZALO_WEBHOOK_URL", format!("http://127.0.0.1:{port}/zalo"))
            .env("ZALO_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("CHIHOI_HTTP_LISTEN", format!("127.0.0.1:{port}"))
            // `/metrics` is served on the operators' listener only.
            .env("CHIHOI_METRICS_LISTEN", format!("127.0.0.1:{}", port + 1))
            .env("CHIHOI_QUIET_HOURS", "off")
            .env("NO_COLOR", "1")
            .env(
                "RUST_LOG",
                std::env::var("BENCH_BOT_LOG")
                    .unwrap_or_else(|_| "warn,chihoi::delivery=info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (name, value) in std::env::vars() {
            if name.starts_with("CHIHOI_ZALO_SEND_") {
                command.env(name, value);
            }
        }
        Self {
            child: command.spawn().expect("start chihoi serve"),
        }
    }

    /// Waits until the bot has registered its webhook; panics if it exits instead.
    async fn wait_until_registered(&mut self, zalo: &FakeZalo) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while zalo.webhook_url().is_none() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("chihoi serve exited before registering its webhook: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chihoi serve did not register its webhook within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The webhook is set before the HTTP server may listen: wait until it answers.
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = zalo.webhook_url().unwrap();
        let healthz = url.replace("/zalo", "/healthz");
        while client.get(&healthz).send().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "the bot's HTTP server never answered"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the bot as Ctrl-C does, killing it after 10 s; returns the lines it logged.
    async fn stop(mut self, work: &Path) -> Vec<String> {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        std::fs::read_to_string(work.join("bot.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
