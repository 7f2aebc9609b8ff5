//! Prompting 100,000 branch heads through the outbox against the local Bot API server
//! enforcing Telegram's limits (30 messages/s per bot, 1/s per chat).
//!
//! `cargo bench --bench outbox` (SQLite) or `BENCH_BACKEND=postgres cargo bench --bench outbox`.
//! Knobs: `BENCH_UNITS` (branches, default 100000), `BENCH_SECONDS` (the window drained at
//! Telegram's real limits, default 60), `BENCH_SCALED_RATE` (then drain the rest with both the
//! server's and the courier's global limit at this rate, default 1000; 0 skips it).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chihoi::channel::telegram::{Telegram, TelegramOptions};
use chihoi::config::{DeliveryConfig, Secret};
use chihoi::dialog::Engine;
use chihoi::domain::calendar::Calendars;
use chihoi::scheduler::Scheduler;
use chihoi_fakes::telegram::{LocalBotApi, LocalBotApiOptions, RateLimits};
use chrono::{TimeZone, Utc};

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

    let api = LocalBotApi::start(LocalBotApiOptions::default())
        .await
        .unwrap();
    api.set_rate_limits(Some(RateLimits::default()));
    let telegram = channel(&api, &store, &calendars, DeliveryConfig::default());
    let started = Instant::now();
    while started.elapsed() < window {
        telegram.courier().drain_once(now).await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
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
    println!(
        "Telegram limits (30/s per bot, 1/s per chat), {elapsed:.0} s window: {} sent, {rate:.2} msg/s = {:.1}% of 30/s, {} × 429",
        stats.sends_accepted,
        rate / 30.0 * 100.0,
        stats.too_many_requests
    );

    if scaled > 0 {
        let api = LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .unwrap();
        api.set_rate_limits(Some(RateLimits {
            global_per_second: scaled,
            ..RateLimits::default()
        }));
        let delivery = DeliveryConfig {
            per_second: f64::from(scaled) * 0.98,
            ..DeliveryConfig::default()
        };
        let telegram = channel(&api, &store, &calendars, delivery);
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
    }
    println!(
        "peak memory (VmHWM, bot + local server in one process): {:.0} MiB",
        common::peak_memory_mib()
    );
    db.drop_database().await;
}

fn channel(
    api: &LocalBotApi,
    store: &chihoi::storage::Store,
    calendars: &Calendars,
    delivery: DeliveryConfig,
) -> Telegram {
    let mut options = TelegramOptions::new(Secret::new(api.token()));
    options.api_url = Some(api.api_url());
    options.delivery = delivery;
    let engine = Engine::new(store.clone(), calendars.clone());
    Telegram::new(engine, &options, Arc::new(Utc::now))
}
