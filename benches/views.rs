//! The admins' views and the province-year export at scale: a synthetic province of 100,000
//! branches (10 districts × 100 communes × 100 branches), twelve months of reports (about 90%
//! filed, one in seven late), one activity per branch per month, incidents on 5% of reports.
//!
//! `cargo bench --bench views` (SQLite) or `BENCH_BACKEND=postgres cargo bench --bench views`.
//! `BENCH_UNITS` sets the number of branches (default 100000). `BENCH_SQLITE_FILE=/tmp/p.db`
//! keeps the SQLite database for the next run, and `BENCH_ONLY=export` times only the export.
//!
//! A quick check of the export against the README's promise (a province-year of 100,000
//! branches in under 30 s, the heap under 90 MiB), in seconds:
//! `BENCH_UNITS=20000 BENCH_ONLY=export cargo bench --bench views`. It prints the time per
//! 100,000 branches (the export's time grows with the branches) and the heap beside the promise.

mod common;

use std::time::{Duration, Instant};

use chihoi::domain::calendar::{Calendar, Calendars};
use chihoi::domain::period::Period;
use chihoi::domain::range::PeriodRange;
use chihoi::export::{self, ExportFormat, Sheet};
use chihoi::i18n::Lang;
use chihoi::storage::{Store, org, views};
use chrono::{TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

fn main() {
    // `RUST_LOG=chihoi=debug` shows the export's phases.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

/// What README.md promises of a province-year export (100,000 branches).
const PROMISED_SECS: f64 = 30.0;
const PROMISED_HEAP_MIB: f64 = 90.0;

fn median(mut d: Vec<Duration>) -> f64 {
    d.sort();
    d[d.len() / 2].as_secs_f64() * 1000.0
}

async fn run() {
    let units = std::env::var("BENCH_UNITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000i64);
    let db = common::database().await;
    let store = db.store.clone();
    let started = Instant::now();
    let reused = db.reused().await;
    if reused {
        println!(
            "backend: {}; reusing the database of an earlier run",
            db.label
        );
    } else {
        let branches = common::synthetic_province(&store, 10, (units / 1000).max(1), 100).await;
        common::branch_heads(&store).await;
        let rows = fill_year(&store).await;
        // Statistics as a deployment that grew over a year would have them (autovacuum has not
        // run on a table loaded a second ago).
        sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
        println!(
            "backend: {}; branches: {branches}; setup ({} reports, {} activities, {} incidents): {:.0} s",
            db.label,
            rows.0,
            rows.1,
            rows.2,
            started.elapsed().as_secs_f64()
        );
    }

    let calendars = Calendars::new(Ho_Chi_Minh, Default::default()).unwrap();
    let calendar = Calendar::default_for(Ho_Chi_Minh);
    let now = Ho_Chi_Minh
        .with_ymd_and_hms(2026, 12, 15, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let export_only = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "export" || v == "draft");
    if !(export_only && reused) {
        let t = Instant::now();
        let unions = chihoi::targets::refresh_all(&store, &calendars, 2026, now)
            .await
            .unwrap();
        println!(
            "full target refresh (daily job; {unions} grassroots unions, one transaction each): {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    if !export_only {
        let nov = Period::new(2026, 11).unwrap();
        let until = calendar.deadline(nov).timestamp();
        let mut conn = store.acquire().await.unwrap();
        let province = org::unit_by_code(&mut conn, "P").await.unwrap().unwrap();
        let district = org::unit_by_code(&mut conn, "D0").await.unwrap().unwrap();
        let commune = org::unit_by_code(&mut conn, "G0").await.unwrap().unwrap();

        for (label, unit) in [
            ("province", &province),
            ("district", &district),
            ("commune", &commune),
        ] {
            let mut times = Vec::new();
            for _ in 0..15 {
                let t = Instant::now();
                views::completeness_by_child_and_level(&mut conn, unit, nov, until)
                    .await
                    .unwrap();
                times.push(t.elapsed());
            }
            println!(
                "/tiendo queries for a {label}: median {:.1} ms",
                median(times)
            );
        }
        for (label, unit) in [
            ("province", &province),
            ("district", &district),
            ("commune", &commune),
        ] {
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                let list = chihoi::targets::under(&mut conn, &calendars, unit, 2026, now)
                    .await
                    .unwrap();
                assert!(list.len() >= 11, "{} targets", list.len());
                times.push(t.elapsed());
            }
            println!(
                "/chitieu queries (every target) for a {label}: median {:.1} ms",
                median(times)
            );
        }
        drop(conn);
    }

    if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "draft") {
        draft(&store, &calendars, now).await;
        db.drop_database().await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("province-2026.xlsx");
    let before = common::peak_memory_mib();
    let anon_before = common::anon_memory_mib();
    common::reset_peak_memory();
    let anon = common::AnonPeak::start();
    let own_cpu = common::process_cpu(std::process::id()).unwrap_or_default();
    let server_cpu = common::database_backends_cpu(&db).await;
    let t = Instant::now();
    let scope = export::Scope::new(
        &store,
        &calendars,
        Some("P"),
        PeriodRange::Year(2026),
        Lang::Vi,
        now,
    )
    .await
    .unwrap();
    let n = export::export_to_file(&scope, ExportFormat::Xlsx, Sheet::Reports, &out)
        .await
        .unwrap();
    let took = t.elapsed().as_secs_f64();
    // CPU beside the wall time: less swayed by whatever else the machine is doing.
    let own_cpu = common::process_cpu(std::process::id())
        .unwrap_or_default()
        .saturating_sub(own_cpu)
        .as_secs_f64();
    let server_cpu = match (server_cpu, common::database_backends_cpu(&db).await) {
        (Some(before), Some(after)) => format!(
            ", the database's backends {:.1} s",
            after.saturating_sub(before).as_secs_f64()
        ),
        _ => String::new(),
    };
    let size = std::fs::metadata(&out).unwrap().len() as f64 / 1024.0 / 1024.0;
    println!(
        "province-year XLSX export: {n} reports (+ every other sheet) in {took:.1} s, {size:.0} MiB file"
    );
    println!("  CPU: the bench's process {own_cpu:.1} s{server_cpu}");
    let heap = anon.peak_mib();
    println!(
        "  peak resident memory during the export {:.0} MiB (before: {before:.0} MiB), of which anonymous (heap, sampled every 20 ms) {heap:.0} MiB (before: {anon_before:.0} MiB); the rest is file pages, chiefly the SQLite database mapped into memory",
        common::peak_memory_mib(),
    );
    let (branches,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units WHERE level = 'branch'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let per_100k = took * 100_000.0 / branches.max(1) as f64;
    let verdict = |met: bool| if met { "met" } else { "NOT MET" };
    println!(
        "  against the README ({branches} branches): {:.0} reports/s; {per_100k:.1} s per 100,000 branches (promised: under {PROMISED_SECS} s, {}); heap {heap:.0} MiB (promised: under {PROMISED_HEAP_MIB} MiB, {})",
        n as f64 / took,
        verdict(per_100k < PROMISED_SECS),
        verdict(heap < PROMISED_HEAP_MIB),
    );
    db.drop_database().await;
}

/// The province's yearly report drafted as a Word document (issue 19: under 30 s for 100,000
/// branches, memory bounded): `BENCH_ONLY=draft`.
async fn draft(
    store: &Store,
    calendars: &chihoi::domain::calendar::Calendars,
    now: chrono::DateTime<chrono::Utc>,
) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("province-2026.docx");
    common::reset_peak_memory();
    let anon_before = common::anon_memory_mib();
    let anon = common::AnonPeak::start();
    let t = Instant::now();
    let figures = chihoi::draft::draft_to_file(
        store,
        calendars,
        "P",
        PeriodRange::Year(2026),
        Lang::Vi,
        now,
        &out,
    )
    .await
    .unwrap();
    let took = t.elapsed().as_secs_f64();
    let (branches,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units WHERE level = 'branch'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let heap = anon.peak_mib();
    println!(
        "province-year report draft (.docx): {} activities, {} reports due, in {took:.1} s ({:.1} s per 100,000 branches; promised under 30 s); heap peak {heap:.0} MiB (before: {anon_before:.0} MiB); file {} KiB",
        figures.activities.iter().map(|a| a.count).sum::<i64>(),
        figures.expected(),
        took * 100_000.0 / branches.max(1) as f64,
        std::fs::metadata(&out).unwrap().len() / 1024,
    );
    // The province's monthly synthesis (issue 19 §1), its Word file included.
    let mut conn = store.acquire().await.unwrap();
    let province = org::unit_by_code(&mut conn, "P").await.unwrap().unwrap();
    drop(conn);
    let out = dir.path().join("province-2026-11.docx");
    common::reset_peak_memory();
    let anon = common::AnonPeak::start();
    let t = Instant::now();
    let synthesis = chihoi::synthesis::gather(
        store,
        calendars,
        &province,
        Period::new(2026, 11).unwrap(),
        Lang::Vi,
        now,
    )
    .await
    .unwrap();
    chihoi::synthesis::write_document(Lang::Vi, &synthesis, &out)
        .await
        .unwrap();
    let took = t.elapsed().as_secs_f64();
    let heap = anon.peak_mib();
    println!(
        "province monthly synthesis (11/2026 and the month before, message and .docx): in {took:.1} s ({:.1} s per 100,000 branches; promised under 30 s); heap peak {heap:.0} MiB; file {} KiB",
        took * 100_000.0 / branches.max(1) as f64,
        std::fs::metadata(&out).unwrap().len() / 1024,
    );
}

/// Twelve months of reports, activities and incidents, one statement per month and kind.
async fn fill_year(store: &Store) -> (i64, i64, i64) {
    let pool = store.pool();
    let (author,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM users")
        .fetch_one(pool)
        .await
        .unwrap();
    let calendar = Calendar::default_for(Ho_Chi_Minh);
    for month in 1..=12u32 {
        let period = Period::new(2026, month).unwrap();
        let deadline = calendar.deadline(period).timestamp();
        // Nine in ten units report; one in seven of those a day late.
        sqlx::query(
            "INSERT INTO reports (unit_id, period, author_id, labour_level, labour_note, living_level, living_note,
                                  thoughts_level, thoughts_note, proposals, submitted_at, updated_at, revision)
             SELECT u.id, $1, $2, 'stable', 'Sản xuất ổn định, được mùa', 'concerns', NULL, 'stable', NULL,
                    CASE WHEN u.id % 3 = 0 THEN 'Đề nghị hỗ trợ vốn vay' ELSE NULL END,
                    $3 - 86400 + 86400 * 2 * (CASE WHEN u.id % 7 = 0 THEN 1 ELSE 0 END), $3, 1
             FROM units u WHERE u.level IN ('branch', 'grassroots') AND (u.id + $4) % 10 <> 0",
        )
        .bind(period.to_string())
        .bind(author)
        .bind(deadline)
        .bind(i64::from(month))
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO activities (unit_id, grassroots_id, type_code, happened_on, year, period, amount, description,
                                     author_id, created_at)
             SELECT u.id, u.parent_id,
                    CASE (u.id + $3) % 4 WHEN 0 THEN 'households_5k3s' WHEN 1 THEN 'branch_meeting'
                                         WHEN 2 THEN 'policy_education' ELSE 'model_1plus1' END,
                    $1 || '-15', 2026, $1, 1 + u.id % 3, 'Hoạt động của chi hội', $2, 0
             FROM units u WHERE u.level = 'branch'",
        )
        .bind(period.to_string())
        .bind(author)
        .bind(i64::from(month))
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO incidents (report_id, position, field, severity, people, description)
         SELECT r.id, 0, 'land_clearance', 'serious', 12, 'Tranh chấp mức đền bù giải phóng mặt bằng'
         FROM reports r WHERE r.unit_id % 20 = 0",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO unit_stats (unit_id, year, women_18plus, members, updated_at)
         SELECT id, 2026, 1000, 500 + id % 300, 0 FROM units WHERE level = 'grassroots'",
    )
    .execute(pool)
    .await
    .unwrap();
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
        n
    };
    (
        count("SELECT COUNT(*) FROM reports").await,
        count("SELECT COUNT(*) FROM activities").await,
        count("SELECT COUNT(*) FROM incidents").await,
    )
}
