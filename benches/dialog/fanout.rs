//! A province-wide announcement while heads report (issue 18): `BENCH_SCENARIOS=fanout`.
//!
//! The real bot (`chihoi serve`, a child process) long-polls the local Bot API server, which
//! enforces Telegram's limits (30 sends/s per bot, 1/s per chat; edits are not sends). A
//! province of 1,000 branches (10 districts × 10 grassroots unions × 10 branches) has a branch
//! head in each, a grassroots officer in each union, a province admin, and 100,000 members
//! (`BENCH_MEMBERS`) spread over the branches. As the run starts:
//! - `BENCH_HEADS` heads (default 100) begin the "nothing new" report, each at a random moment
//!   of the first `BENCH_WAVE_S` seconds (default 30), thinking 3 s ±50% before each step
//!   (`BENCH_THINK_MS`);
//! - `BENCH_SEND_AT_S` seconds in (default 15), the province admin composes `/thongbao` by
//!   taps and sends it to every member of the province: the time from her "📤 Gửi" until she sees "✅ Đã gửi thông báo tới …" is the
//!   queueing of 100,000 messages, done by the dialog through the announcement storage;
//! - every `BENCH_ALERT_EVERY_S` seconds (default 10), another head files an urgent report
//!   (`/khancap`, taps, "🚨 Gửi ngay"); the time from her "Gửi ngay" until her grassroots
//!   officer receives the alert is measured (`BENCH_ALERTS`, default 5).
//!
//! The run lasts until every head and alert is done, and at least `BENCH_SECONDS` (default 60)
//! after the announcement was queued. The fan-out's rate is the server's accepted sends over
//! that window (announcement, replies and alerts together: the bot's whole budget), against
//! Telegram's 30/s; the announcement's own share is counted in the outbox.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chihoi::storage::Store;
use chihoi_fakes::telegram::script::{Act, NOTHING_NEW_REPORT, Sight, Step, Watcher, step};
use chihoi_fakes::telegram::{LocalBotApi, LocalBotApiOptions, RateLimits, TestUser};
use rand::Rng;

use super::common::{self, ms, percentile};
use super::{BotProcess, env, quiet_scheduler};

/// Telegram's overall limit, as the server enforces it.
const PLATFORM_RATE: f64 = 30.0;
const ADMIN: i64 = 900_000_001;
/// Grassroots officers' Telegram ids: this plus their union's id.
const OFFICERS_FROM: i64 = 800_000_000;

const COMPOSE: &[Step] = &[
    step(
        Act::Type("/thongbao"),
        Sight::Button("✏️ Soạn thông báo mới"),
    ),
    step(
        Act::Tap("✏️ Soạn thông báo mới"),
        Sight::Text("gõ nội dung thông báo"),
    ),
    step(
        Act::Type("Từ ngày 1/1, hội viên mang theo căn cước khi đến nhận hỗ trợ tại xã."),
        Sight::Button("Cả Hội LHPN tỉnh Mẫu"),
    ),
    step(
        Act::Tap("Cả Hội LHPN tỉnh Mẫu"),
        Sight::Button("👩 Hội viên"),
    ),
    step(
        Act::Tap("👩 Hội viên"),
        Sight::Button("Tuyên truyền chính sách, pháp luật"),
    ),
    step(
        Act::Tap("Tuyên truyền chính sách, pháp luật"),
        Sight::Button("📤 Gửi"),
    ),
];
const SEND: Step = step(Act::Tap("📤 Gửi"), Sight::Text("✅ Đã gửi thông báo tới"));

const URGENT: &[Step] = &[
    step(Act::Type("/khancap"), Sight::Button("An ninh trật tự")),
    step(Act::Tap("An ninh trật tự"), Sight::Button("Rất phức tạp")),
    step(Act::Tap("Rất phức tạp"), Sight::Text("bao nhiêu người")),
    step(Act::Type("12"), Sight::Text("mô tả ngắn gọn")),
    step(
        Act::Type("Xô xát ở chợ, có người bị thương"),
        Sight::Button("🚨 Gửi ngay"),
    ),
];

pub async fn run() -> bool {
    let heads = env("BENCH_HEADS", 100) as usize;
    let members = env("BENCH_MEMBERS", 100_000) as i64;
    let think = Duration::from_millis(env("BENCH_THINK_MS", 3000));
    let wave = Duration::from_secs(env("BENCH_WAVE_S", 30));
    let alerts = env("BENCH_ALERTS", 5) as usize;
    let alert_every = Duration::from_secs(env("BENCH_ALERT_EVERY_S", 10));
    let least = Duration::from_secs(env("BENCH_SECONDS", 60));
    let send_at = Duration::from_secs(env("BENCH_SEND_AT_S", 15));
    let timeout = Duration::from_secs(env("BENCH_TIMEOUT_S", 300));
    assert!(
        heads + alerts * 10 <= 1000,
        "1,000 branches: BENCH_HEADS + 10 × BENCH_ALERTS at most"
    );

    let setup = Instant::now();
    let db = common::database().await;
    let members = province(&db.store, members).await;
    quiet_scheduler(&db.store, false).await;
    let api = Arc::new(
        LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .unwrap(),
    );
    api.set_rate_limits(Some(RateLimits::default()));
    // The members were put in the database; none of them wrote to this server.
    api.set_strict_chats(false);
    let work = tempfile::tempdir().unwrap();
    let mut bot = BotProcess::spawn(&api, &db, true, work.path());
    bot.wait_until_polling(&api).await;
    let setup = setup.elapsed();
    eprintln!("fanout: chihoi serve polling as pid {}", bot.pid());

    let watcher = |id: i64| Watcher {
        api: api.clone(),
        user: TestUser::new(id, format!("Chị {id}")).with_language("vi"),
        timeout,
    };
    let started = Instant::now();
    let filing: Vec<_> = (0..heads as i64)
        .map(|i| tokio::spawn(file_report(watcher(1_000_000 + i), think, wave, started)))
        .collect();
    // Each alert from a head of another union (branches are ten to a union, from the last).
    let raising: Vec<_> = (0..alerts)
        .map(|k| {
            let branch = 1_000_999 - 10 * k as i64;
            let officer = OFFICERS_FROM + 1000 + (branch - 1_000_000) / 10;
            let (head, api) = (watcher(branch), api.clone());
            let at = alert_every * (k as u32 + 1);
            tokio::spawn(async move {
                tokio::time::sleep_until((started + at).into()).await;
                raise_alert(&head, &api, officer).await
            })
        })
        .collect();

    // The admin composes while the heads are at it.
    tokio::time::sleep_until((started + send_at).into()).await;
    let admin = watcher(ADMIN);
    for s in COMPOSE {
        admin.take(s).await.expect("the admin composes");
    }
    let sent_before = api.stats().sends_accepted;
    let tapped = Instant::now();
    admin.take(&SEND).await.expect("the admin sends");
    let queueing = tapped.elapsed();
    let queued_at = tapped.duration_since(started);
    // The rest of the audience is queued by the courier, a chunk at a time: until when.
    let wholly_queued = tokio::spawn({
        let store = db.store.clone();
        async move {
            loop {
                let (left,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM announcements WHERE queue_after IS NOT NULL",
                )
                .fetch_one(store.pool())
                .await
                .unwrap();
                if left == 0 {
                    return tapped.elapsed();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });
    let window_from = Instant::now();
    let stats_from = api.stats();
    let ann_from = announcements_sent(&db.store).await;

    let mut latencies = Vec::new();
    let mut during_queueing = Vec::new();
    let mut failures = Vec::new();
    for run in filing {
        match run.await.unwrap() {
            Ok(steps) => {
                for (at, took) in steps {
                    // Steps she took while the announcement was being queued.
                    if at + took >= tapped && at <= tapped + queueing {
                        during_queueing.push(took);
                    }
                    latencies.push(took);
                }
            }
            Err(e) => failures.push(e),
        }
    }
    let mut raised = Vec::new();
    for run in raising {
        match run.await.unwrap() {
            Ok(took) => raised.push(took),
            Err(e) => failures.push(format!("alert: {e}")),
        }
    }
    let left = least.saturating_sub(window_from.elapsed());
    tokio::time::sleep(left).await;
    let window = window_from.elapsed();
    let stats_to = api.stats();
    let ann_to = announcements_sent(&db.store).await;
    let queued_all = wholly_queued.await.unwrap();
    let (recipients,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM announcement_recipients")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let reports: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reports")
        .fetch_one(db.store.pool())
        .await
        .unwrap();
    let memory = bot.memory();
    let log = bot.stop(work.path()).await;

    println!();
    println!(
        "== {}, fan-out: one announcement to {members} members of the province while {heads} heads file reports and {alerts} urgent alerts are raised",
        db.label
    );
    println!(
        "   server: Telegram's limits (30 sends/s per bot, 1/s per chat, 429 beyond); bot: default send limits; setup (not measured) {:.1} s",
        setup.as_secs_f64()
    );
    println!(
        "   queueing: {recipients} recipients, from her \"📤 Gửi\" to her confirmation {}, to the last one queued {} (tapped {:.1} s into the run; {} sends before it)",
        ms(queueing),
        ms(queued_all),
        queued_at.as_secs_f64(),
        sent_before
    );
    latencies.sort();
    println!(
        "   heads' time to first reply over {} steps: p50 {}, p95 {}, p99 {}, max {}; reports filed {} of {heads}",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        reports.0
    );
    during_queueing.sort();
    println!(
        "   of them, the {} steps waiting while the announcement was queued: max {}",
        during_queueing.len(),
        ms(during_queueing.last().copied().unwrap_or_default())
    );
    raised.sort();
    println!(
        "   urgent alerts, from \"Gửi ngay\" to the officer's chat: {} of {alerts} arrived; {}",
        raised.len(),
        raised.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
    );
    let secs = window.as_secs_f64();
    let sends = stats_to.sends_accepted - stats_from.sends_accepted;
    let ann = ann_to - ann_from;
    println!(
        "   fan-out over {secs:.1} s after queueing: {sends} sends accepted = {:.2}/s = {:.1}% of 30/s ({ann} of them the announcement = {:.2}/s; the rest replies and alerts); {} × 429 ({} for a chat's limit)",
        sends as f64 / secs,
        sends as f64 / secs / PLATFORM_RATE * 100.0,
        ann as f64 / secs,
        stats_to.over_limits,
        stats_to.over_chat_limits
    );
    println!(
        "   announcement messages still queued at the end: {}; bot peak resident memory {:.1} MiB",
        recipients - ann_to,
        memory.peak
    );
    if !log.is_empty() {
        println!("   the bot logged {} line(s); first ones:", log.len());
        for line in log.iter().take(5) {
            println!("     {line}");
        }
    }
    for err in failures.iter().take(5) {
        println!("   FAILED: {err}");
    }
    db.drop_database().await;
    !failures.is_empty() || stats_to.over_limits > 0
}

/// 10 districts × 10 unions × 10 branches, a head in each branch, an officer in each union,
/// the province admin, and `members` members; all with their Telegram identities.
async fn province(store: &Store, members: i64) -> i64 {
    common::synthetic_province(store, 10, 10, 10).await;
    common::branch_heads(store).await;
    let members = common::members(store, members).await;
    sqlx::query(&format!(
        "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
         SELECT 'telegram', '' || ({OFFICERS_FROM} + id), '' || ({OFFICERS_FROM} + id), 'Cán bộ ' || id, 'vi',
                id, 'grassroots_officer', 0 FROM units WHERE level = 'grassroots'"
    ))
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
         VALUES ('telegram', '{ADMIN}', '{ADMIN}', 'Chị Thu', 'vi', 1, 'province_admin', 0)"
    ))
    .execute(store.pool())
    .await
    .unwrap();
    common::identities(store).await;
    members
}

async fn announcements_sent(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'announcement' AND status = 'sent'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    n
}

/// The "nothing new" report, starting at a random moment of the wave; each step's start and
/// time to first reply.
async fn file_report(
    head: Watcher,
    think: Duration,
    wave: Duration,
    started: Instant,
) -> Result<Vec<(Instant, Duration)>, String> {
    let start = wave.mul_f64(rand::thread_rng().r#gen::<f64>());
    tokio::time::sleep_until((started + start).into()).await;
    let mut steps = Vec::with_capacity(NOTHING_NEW_REPORT.len());
    for (i, s) in NOTHING_NEW_REPORT.iter().enumerate() {
        if i > 0 && !think.is_zero() {
            let pause = think.mul_f64(rand::thread_rng().gen_range(0.5..1.5));
            tokio::time::sleep(pause).await;
        }
        let at = Instant::now();
        let took = head
            .take(s)
            .await
            .map_err(|e| format!("head {} at step {}: {e}", head.user.id, i + 1))?;
        steps.push((at, took));
    }
    Ok(steps)
}

/// The head files an urgent report; the time from her "🚨 Gửi ngay" until the officer's chat
/// holds the alert.
async fn raise_alert(head: &Watcher, api: &LocalBotApi, officer: i64) -> Result<Duration, String> {
    for s in URGENT {
        head.take(s).await?;
    }
    let (message_id, data) = head.button("🚨 Gửi ngay")?;
    let before = api.chat_version(officer);
    let confirmed = Instant::now();
    api.push_callback(&head.user, message_id, &data);
    loop {
        let version = api.chat_version(officer);
        let changes = api.changed_since(officer, before);
        if changes
            .messages
            .iter()
            .any(|m| m.text.as_deref().is_some_and(|t| t.contains("KHẨN")))
        {
            return Ok(confirmed.elapsed());
        }
        let left = (confirmed + head.timeout).saturating_duration_since(Instant::now());
        api.wait_for_change(officer, version, left)
            .await
            .map_err(|e| format!("officer {officer} got no alert: {e}"))?;
    }
}
