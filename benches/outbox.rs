//! Prompting 100,000 branch heads through the outbox against the local Bot API server
//! enforcing Telegram's limits (30 messages/s per bot, 1/s per chat).
//!
//! `cargo bench --bench outbox` (SQLite) or `BENCH_BACKEND=postgres cargo bench --bench outbox`.
//! Knobs: `BENCH_UNITS` (branches, default 100000), `BENCH_SECONDS` (the window drained at
//! Telegram's real limits, default 60), `BENCH_SCALED_RATE` (then drain the rest with both the
//! server's and the courier's global limit at this rate, default 1000; 0 skips it),
//! `BENCH_PAID` (in the window, bulk goes as paid broadcasts at this rate,
//! `CHIHOI_PAID_BROADCAST_PER_SECOND`; default 0, off).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chihoi::channel::telegram::{Telegram, TelegramOptions};
use chihoi::config::{DeliveryConfig, Secret};
use chihoi::dialog::Engine;
use chihoi::domain::calendar::Calendars;
use chihoi::scheduler::Scheduler;
use chihoi_fakes::telegram::{LocalBotApi, LocalBotApiOptions, RateLimits, TestUser};
use chrono::{TimeZone, Utc};
use tokio_util::sync::CancellationToken;

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
    rt.block_on(run());
}

async fn run() {
    let units = env("BENCH_UNITS", 100_000) as i64;
    let window = Duration::from_secs(env("BENCH_SECONDS", 60));
    let scaled = env("BENCH_SCALED_RATE", 1000) as u32;
    let paid = env("BENCH_PAID", 0);
    let db = common::database().await;
    let store = db.store.clone();

    // 10 districts × (units / 1000) communes × 100 branches.
    let communes = (units / 1000).max(1);
    let branches = common::synthetic_province(&store, 10, communes, 100).await;
    let heads = common::branch_heads(&store).await;
    let calendars = Calendars::new(chrono_tz::Asia::Ho_Chi_Minh, Default::default()).unwrap();
    // The 20th, 08:00 in Hanoi: the prompt is due.
    let now = chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 20, 8, 0, 0)
        .unwrap()
        .with_timezone(&Utc);

    let started = Instant::now();
    let tick = Scheduler::new(store.clone(), calendars.clone())
        .tick(now)
        .await
        .unwrap();
    let scheduling = started.elapsed();
    assert_eq!(tick.reminders as i64, heads);

    let api = Arc::new(
        LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .unwrap(),
    );
    api.set_rate_limits(Some(RateLimits::default()));
    // The prompted heads are put straight into the database: none of them wrote to this server.
    api.set_strict_chats(false);
    // Branch heads write to the bot while the prompts go out: the bot polls as it does in
    // production (its courier loop off, the bench drives the courier itself), and her reply
    // shares the budget with the prompts, ahead of them.
    common::identities(&store).await;
    let mut polling_options = options(
        &api,
        DeliveryConfig {
            paid_broadcast_per_second: (paid > 0).then_some(paid as f64),
            ..DeliveryConfig::default()
        },
    );
    polling_options.run_courier = false;
    let telegram = Telegram::new(
        Engine::new(store.clone(), calendars.clone()),
        &polling_options,
        Arc::new(Utc::now),
    );
    let shutdown = CancellationToken::new();
    let polling = tokio::spawn({
        let (telegram, shutdown) = (telegram.clone(), shutdown.clone());
        async move { telegram.run(&polling_options, shutdown).await }
    });
    let replies = tokio::spawn(heads_writing(api.clone(), units, window));
    let started = Instant::now();
    while started.elapsed() < window {
        telegram.courier().drain_once(now).await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let waits = replies.await.unwrap();
    shutdown.cancel();
    polling.await.unwrap().unwrap();
    let stats = api.stats();
    let rate = stats.sends_accepted as f64 / elapsed;

    println!(
        "backend: {}; branches: {branches}; branch heads prompted: {heads}",
        db.label
    );
    println!(
        "scheduling pass (tick queuing {} prompts): {:.2} s",
        tick.reminders,
        scheduling.as_secs_f64()
    );
    if paid > 0 {
        println!(
            "Telegram limits (30/s per bot, 1/s per chat, 1,000/s paid), bulk as paid broadcasts at up to {paid}/s, {elapsed:.0} s window: {} sent ({} paid), {rate:.1} msg/s, {} × 429",
            stats.sends_accepted, stats.paid_broadcasts, stats.too_many_requests
        );
    } else {
        println!(
            "Telegram limits (30/s per bot, 1/s per chat), {elapsed:.0} s window: {} sent, {rate:.2} msg/s = {:.1}% of 30/s, {} × 429",
            stats.sends_accepted,
            rate / 30.0 * 100.0,
            stats.too_many_requests
        );
    }
    // The bench exists to show the budget holds: a 429 earned is a failure, not a figure.
    assert_eq!(
        stats.over_limits, 0,
        "Telegram's limits were exceeded: {stats:#?}"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| waits[((waits.len() - 1) as f64 * q).round() as usize];
    println!(
        "meanwhile {} branch heads wrote /baocao, one every {} ms: {} answered, time to first reply p50 {:.0} ms, max {:.0} ms",
        waits.len(),
        WRITE_EVERY.as_millis(),
        waits.iter().filter(|w| w.is_some()).count(),
        at(0.5).map_or(f64::NAN, ms),
        waits.iter().flatten().max().copied().map_or(f64::NAN, ms),
    );

    if scaled > 0 {
        let api = LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .unwrap();
        api.set_strict_chats(false);
        api.set_rate_limits(Some(RateLimits {
            global_per_second: scaled,
            ..RateLimits::default()
        }));
        let delivery = DeliveryConfig {
            per_second: f64::from(scaled) * 0.98,
            ..DeliveryConfig::default()
        };
        let telegram = Telegram::new(
            Engine::new(store.clone(), calendars.clone()),
            &options(&api, delivery),
            Arc::new(Utc::now),
        );
        let started = Instant::now();
        let report = telegram.courier().drain_all(now).await.unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        let stats = api.stats();
        println!(
            "scaled limits ({scaled}/s per bot): the remaining {} drained in {elapsed:.1} s = {:.1} msg/s ({:.1}% of {scaled}/s), {} × 429",
            report.sent,
            stats.sends_accepted as f64 / elapsed,
            stats.sends_accepted as f64 / elapsed / f64::from(scaled) * 100.0,
            stats.too_many_requests
        );
        let (pending,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        println!("rows not sent after the drain: {pending}");
        assert_eq!(
            stats.over_limits, 0,
            "the scaled limit was exceeded: {stats:#?}"
        );
    }
    println!(
        "peak memory (VmHWM, bot + local server in one process): {:.0} MiB",
        common::peak_memory_mib()
    );
    db.drop_database().await;
}

fn options(api: &LocalBotApi, delivery: DeliveryConfig) -> TelegramOptions {
    let mut options = TelegramOptions::new(Secret::new(api.token()));
    options.api_url = Some(api.api_url());
    options.delivery = delivery;
    options
}

/// How often one of the branch heads writes to the bot during the window.
const WRITE_EVERY: Duration = Duration::from_millis(500);

/// Branch heads, one every [`WRITE_EVERY`], each opening her report with `/baocao` during the
/// window; how long each waited for the bot's first answer (`None`: not within 5 s). They are
/// the last of the province's branches, whose prompts are far back in the queue, so a
/// prompt never takes their chat's second.
async fn heads_writing(
    api: Arc<LocalBotApi>,
    units: i64,
    window: Duration,
) -> Vec<Option<Duration>> {
    let mut waits = Vec::new();
    let mut tick = tokio::time::interval(WRITE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let mut head = 1_000_000 + units;
    while started.elapsed() + Duration::from_secs(5) < window {
        tick.tick().await;
        head -= 1;
        let user = TestUser::new(head, "Chi hội trưởng");
        let asked = Instant::now();
        api.push_text(&user, "/baocao");
        let answered = api.wait_for_sent(head, 1, Duration::from_secs(5)).await;
        waits.push(answered.ok().map(|_| asked.elapsed()));
    }
    // Not answered within 5 s counts as the longest wait.
    waits.sort_by_key(|w| w.unwrap_or(Duration::MAX));
    waits
}
