//! Operations: the health check and Prometheus metrics, `chihoi backup`, PostgreSQL over TLS,
//! passwords kept out of what the binary prints, and a demo whose story is not broken up by
//! log lines.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chihoi::app::http::ops_router;
use chihoi::config::DatabaseUrl;
use chihoi::storage::{Store, outbox};
use chihoi_fakes::telegram::{Failure, LocalBotApi, LocalBotApiOptions};
use tokio_util::sync::CancellationToken;

use crate::both_backends;
use crate::helpers::*;

fn chihoi(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chihoi"))
        .args(args)
        .current_dir(dir)
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("ZALO_BOT_TOKEN")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run chihoi")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `DATABASE_URL` with `?…` parameters added to the test database's.
fn with_params(db: &TestDb, params: &str) -> String {
    format!("{}?{params}", db.url.expose())
}

/// A server that answers PostgreSQL's TLS request with "no" (as one without TLS does) and
/// then hangs up.
async fn postgres_without_tls() -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 8];
            if socket.read_exact(&mut request).await.is_ok() {
                // Length 8, then the SSLRequest code 80877103.
                assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47]);
                let _ = socket.write_all(b"N").await;
            }
        }
    });
    addr
}

/// Managed databases require TLS: with `sslmode=require` a server that offers none is an error
/// that says so, never a fall back to plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_with_sslmode_require_refuses_a_server_without_tls() {
    let server = postgres_without_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://chihoi:Require-Pw-3@{server}/chihoi?sslmode=require");
    let o = tokio::task::block_in_place(|| chihoi(dir.path(), &url, &["migrate"]));
    assert!(!o.status.success());
    assert!(
        err(&o).contains(
            "error occurred while attempting to establish a TLS connection: server does not support TLS"
        ),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("Require-Pw-3"), "{}", err(&o));
}

/// Whether this connection of `store` is encrypted (`pg_stat_ssl`).
async fn encrypted(store: &Store) -> bool {
    let (ssl,): (i64,) = sqlx::query_as(
        "SELECT CASE WHEN ssl THEN 1 ELSE 0 END::BIGINT FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    ssl == 1
}

/// Against the local server: with TLS on there (Debian's default, a self-signed certificate),
/// `require` and `prefer` encrypt, `verify-full` checks the certificate and refuses one that is
/// not for the host, `disable` does not encrypt; with TLS off, `require` fails and `prefer`
/// falls back to plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_sessions_are_encrypted_as_sslmode_asks() {
    let db = TestDb::new(Backend::Postgres).await;
    let store = Store::connect(&db.url).await.unwrap();
    let (ssl,): (String,) = sqlx::query_as("SHOW ssl")
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    let connect = |params: &str| {
        let url = DatabaseUrl::parse(&with_params(&db, params)).unwrap();
        async move { Store::connect(&url).await }
    };
    let dir = tempfile::tempdir().unwrap();
    if ssl == "on" {
        for mode in ["sslmode=require", "sslmode=prefer"] {
            let store = connect(mode).await.expect(mode);
            assert!(encrypted(&store).await, "{mode}");
            store.close().await;
        }
        let plain = connect("sslmode=disable").await.unwrap();
        assert!(!encrypted(&plain).await);
        plain.close().await;
        // The certificate is checked: this one is not for 127.0.0.1 (or not from a known CA).
        let o = tokio::task::block_in_place(|| {
            chihoi(
                dir.path(),
                &with_params(&db, "sslmode=verify-full"),
                &["migrate"],
            )
        });
        assert!(!o.status.success());
        assert!(err(&o).contains("invalid peer certificate"), "{}", err(&o));
    } else {
        let o = tokio::task::block_in_place(|| {
            chihoi(
                dir.path(),
                &with_params(&db, "sslmode=require"),
                &["migrate"],
            )
        });
        assert!(!o.status.success());
        assert!(
            err(&o).contains("server does not support TLS"),
            "{}",
            err(&o)
        );
        let store = connect("sslmode=prefer").await.unwrap();
        assert!(!encrypted(&store).await);
        store.close().await;
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A password in `DATABASE_URL` (userinfo or `password=`) never appears in what the binary
/// prints: its output, its errors, its most verbose logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_passwords_never_reach_output_errors_or_logs() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    // Trust authentication takes any password, so these connect.
    let userinfo = db
        .url
        .expose()
        .replacen("postgres@", "postgres:Userinfo-Pw-1@", 1);
    assert_ne!(userinfo, db.url.expose(), "the test URL names its user");
    let param = with_params(&db, "password=Param-Pw-2&application_name=chihoi");
    let broken = format!("{userinfo}_missing?password=Param-Pw-2");
    let verbose = |url: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chihoi"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("TELOXIDE_TOKEN")
            .env_remove("ZALO_BOT_TOKEN")
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap()
    };
    for (url, ok) in [(&userinfo, true), (&param, true), (&broken, false)] {
        let o = tokio::task::block_in_place(|| verbose(url, &["migrate"]));
        assert_eq!(o.status.success(), ok, "{url}: {}", err(&o));
        let all = format!("{}{}", out(&o), err(&o));
        assert!(!all.contains("Userinfo-Pw-1"), "{all}");
        assert!(!all.contains("Param-Pw-2"), "{all}");
        if ok {
            assert!(out(&o).contains("***"), "{}", out(&o));
        }
    }
}

/// The copy is taken while the bot's pool is open, with the latest writes still in the WAL (a
/// plain file copy would miss them), opens on its own, and is never written over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_live_sqlite_database_and_never_overwrites_a_file() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    chihoi::app::import_org_bytes(&store, SAMPLE_ORG, mid_november())
        .await
        .unwrap();
    chihoi::app::create_invite(
        &store,
        BRANCH,
        chihoi::domain::role::Role::Member,
        1,
        Duration::from_secs(3600),
        mid_november(),
    )
    .await
    .unwrap();
    let source = db.url.sqlite_file().unwrap();
    let wal = source.with_extension("db-wal");
    assert!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0,
        "the latest writes are in the WAL"
    );
    // Someone is reading as the copy is taken.
    let mut reader = store.pool().begin().await.unwrap();
    let (units,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
        .fetch_one(&mut *reader)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let o =
        tokio::task::block_in_place(|| chihoi(dir.path(), db.url.expose(), &["backup", "copy.db"]));
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).starts_with("Backed up "), "{}", out(&o));
    let copy = dir.path().join("copy.db");
    let copied =
        Store::connect(&DatabaseUrl::parse(&format!("sqlite://{}", copy.display())).unwrap())
            .await
            .unwrap();
    let count = |sql: &'static str| {
        let pool = copied.pool().clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM units").await, units);
    assert_eq!(count("SELECT COUNT(*) FROM invites").await, 1);
    copied.close().await;
    reader.commit().await.unwrap();

    // A second backup to the same name is refused and leaves the first alone.
    let size = std::fs::metadata(&copy).unwrap().len();
    let o =
        tokio::task::block_in_place(|| chihoi(dir.path(), db.url.expose(), &["backup", "copy.db"]));
    assert!(!o.status.success());
    assert!(err(&o).contains("copy.db exists already"), "{}", err(&o));
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), size);
    // A database that is not there is not backed up as an empty one.
    let o = tokio::task::block_in_place(|| {
        chihoi(dir.path(), "sqlite://nowhere.db", &["backup", "other.db"])
    });
    assert!(!o.status.success());
    assert!(err(&o).contains("no database at nowhere.db"), "{}", err(&o));
    assert!(!dir.path().join("nowhere.db").exists() && !dir.path().join("other.db").exists());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_of_postgresql_points_to_pg_dump() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let url = db
        .url
        .expose()
        .replacen("postgres@", "postgres:Backup-Pw-4@", 1);
    let o = tokio::task::block_in_place(|| chihoi(dir.path(), &url, &["backup", "copy.db"]));
    assert!(!o.status.success());
    assert!(
        err(&o).contains("for PostgreSQL use pg_dump"),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains("Backup-Pw-4"), "{}", err(&o));
    assert!(!dir.path().join("copy.db").exists());
}

/// `chihoi demo` tells its story on stdout; no log line is woven into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_story_is_not_interleaved_with_log_lines() {
    let dir = tempfile::tempdir().unwrap();
    let o = tokio::task::block_in_place(|| {
        Command::new(env!("CARGO_BIN_EXE_chihoi"))
            .args(["demo", "--dir"])
            .arg(dir.path())
            .current_dir(dir.path())
            .env_remove("RUST_LOG")
            .env_remove("DATABASE_URL")
            .env_remove("TELOXIDE_TOKEN")
            .env_remove("ZALO_BOT_TOKEN")
            .output()
            .unwrap()
    });
    assert!(o.status.success(), "{}", err(&o));
    let story = out(&o);
    assert!(story.contains("== 1. Operator"), "{story}");
    // It ends with the officer's monthly synthesis, then the 6-month draft, both as Word files.
    let synthesis = story.find("/tonghop").expect("the synthesis step");
    assert!(
        story[synthesis..].contains("📊 Tổng hợp tình hình tháng"),
        "{story}"
    );
    assert!(
        story.find("6-month report").is_some_and(|d| d > synthesis),
        "{story}"
    );
    let words: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".docx"))
        .collect();
    assert!(
        words.iter().any(|n| n.starts_with("tong-hop-TB-DH-DHOP-")),
        "{words:?}"
    );
    assert!(
        words.iter().any(|n| n.starts_with("bao-cao-TB-DH-DHOP-")),
        "{words:?}"
    );
    assert!(
        err(&o).trim().is_empty(),
        "log lines during the demo:\n{}",
        err(&o)
    );
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let r = http()
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .expect(path);
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Serves `/healthz` and `/metrics` for `store` on a free port, as `serve` does.
async fn serve_ops(
    app_store: &Store,
    clock: chihoi::dialog::Clock,
) -> (SocketAddr, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stop = CancellationToken::new();
    let addr =
        chihoi::channel::serve_on(listener, ops_router(app_store.clone(), clock), stop.clone())
            .await
            .unwrap();
    (addr, stop)
}

/// The value of one series (`name{labels}`) in a Prometheus page; 0 when absent.
fn series(page: &str, name_and_labels: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect(v))
}

async fn health_check_is_ok_while_the_database_answers_and_503_when_it_does_not(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let (addr, stop) = serve_ops(&store, chihoi::dialog::system_clock()).await;
    assert_eq!(get(addr, "/healthz").await, (200, "ok\n".into()));
    store.close().await;
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, 503);
    assert_eq!(body, "database unavailable\n");
    // The process's own counters are still served without the database.
    let (status, page) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(!page.contains("chihoi_outbox_pending"), "{page}");
    stop.cancel();
}

/// Set in the process [`metrics_count_updates_sends_and_429s_and_show_the_outbox`] runs itself
/// in, alone.
const METRICS_ALONE: &str = "CHIHOI_TEST_METRICS_ALONE";

/// Counters live in one recorder per process, and other tests count into it beside this one:
/// so the test runs itself again, alone, in a process of its own (the test binary, with only
/// this test selected), where every delta is exact.
async fn metrics_count_updates_sends_and_429s_and_show_the_outbox(backend: Backend) {
    if std::env::var_os(METRICS_ALONE).is_none() {
        let name = format!(
            "ops::metrics_count_updates_sends_and_429s_and_show_the_outbox::{}",
            match backend {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgres",
            }
        );
        let out = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args([name.as_str(), "--exact", "--test-threads=1", "--nocapture"])
            .env(METRICS_ALONE, "1")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{stderr}"
        );
        return;
    }
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let (addr, stop) = serve_ops(&app.store, app.clock()).await;
    let (_, before) = get(addr, "/metrics").await;
    let delta = |after: &str, s: &str| series(after, s) - series(&before, s);

    let mut mai = app.person(601, "Phạm Thị Mai");
    assert_eq!(mai.send("/start").await.unwrap().len(), 1);
    app.api.fail_next(
        "sendMessage",
        Failure::TooManyRequests { retry_after: 300 },
        1,
    );
    assert!(mai.send("/trogiup").await.unwrap().is_empty());
    let mut lan = app.zalo_person("0084912345678601", "Nguyễn Thị Lan");
    assert!(!lan.send("Xin chào").await.unwrap().is_empty());
    app.advance(chrono::Duration::seconds(90));

    let (status, page) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    let handled = r#"chihoi_updates_handled_total{platform="telegram"}"#;
    assert_eq!(delta(&page, handled), 2.0, "{page}");
    let zalo_handled = r#"chihoi_updates_handled_total{platform="zalo"}"#;
    assert_eq!(delta(&page, zalo_handled), 1.0, "{page}");
    let timed = r#"chihoi_update_reply_seconds_count{platform="telegram"}"#;
    assert_eq!(delta(&page, timed), 2.0, "{page}");
    assert!(
        page.contains(r#"chihoi_update_reply_seconds_bucket{platform="telegram",le="0.1"}"#),
        "a histogram with buckets: {page}"
    );
    let sent = r#"chihoi_sends_total{platform="telegram",outcome="sent"}"#;
    assert_eq!(delta(&page, sent), 1.0, "{page}");
    let throttled = r#"chihoi_sends_total{platform="telegram",outcome="throttled"}"#;
    assert_eq!(delta(&page, throttled), 1.0, "{page}");
    let zalo_sent = r#"chihoi_sends_total{platform="zalo",outcome="sent"}"#;
    assert_eq!(delta(&page, zalo_sent), 1.0, "{page}");
    // The gauges are this database's: exact.
    assert_eq!(
        series(&page, r#"chihoi_outbox_pending{kind="reply"}"#),
        1.0,
        "{page}"
    );
    assert_eq!(
        series(
            &page,
            r#"chihoi_outbox_oldest_pending_seconds{kind="reply"}"#
        ),
        90.0,
        "{page}"
    );
    assert_eq!(
        series(&page, r#"chihoi_outbox_pending{kind="reminder"}"#),
        0.0
    );
    assert_eq!(
        series(&page, r#"chihoi_outbox_dead_letters{kind="reply"}"#),
        0.0
    );

    // The throttled reply is given up on: it leaves the queue for the dead letters.
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM outbox WHERE status = 'pending'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut conn = app.store.acquire().await.unwrap();
    outbox::finish(&mut conn, id, "dead", Some("given up"))
        .await
        .unwrap();
    drop(conn);
    let (_, page) = get(addr, "/metrics").await;
    assert_eq!(
        series(&page, r#"chihoi_outbox_pending{kind="reply"}"#),
        0.0,
        "{page}"
    );
    assert_eq!(
        series(
            &page,
            r#"chihoi_outbox_oldest_pending_seconds{kind="reply"}"#
        ),
        0.0
    );
    assert_eq!(
        series(&page, r#"chihoi_outbox_dead_letters{kind="reply"}"#),
        1.0,
        "{page}"
    );

    // An update that cannot be handled (the database is gone) is counted as failed. It is
    // kept and tried again for as long as the database is away, never set aside meanwhile:
    // she is told once that it will be handled.
    app.store.close().await;
    let seen = mai.inbox().len();
    app.api.push_text(&mai.user, "/trogiup");
    let sent = app
        .api
        .wait_for_sent(mai.id(), seen + 1, Duration::from_secs(15))
        .await
        .unwrap();
    assert!(
        text(&sent[seen]).contains("không cần gửi lại"),
        "she is told it failed: {}",
        text(&sent[seen])
    );
    // Each try while the database is away counts as a failure, and the tries go on.
    let failed = r#"chihoi_updates_failed_total{platform="telegram"}"#;
    let mut page = String::new();
    for _ in 0..100 {
        page = get(addr, "/metrics").await.1;
        if delta(&page, failed) >= 2.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delta(&page, failed) >= 2.0, "{page}");
    // Told once, and never asked to send it again.
    assert_eq!(mai.inbox().len(), seen + 1, "{:?}", mai.inbox());
    stop.cancel();
    app.shutdown().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Asks `addr` for `/healthz` until it answers, for up to 60 s (the binary migrates first).
async fn wait_healthy(addr: SocketAddr, child: &mut std::process::Child) -> (u16, String) {
    for _ in 0..240 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("chihoi serve exited early: {status}");
        }
        if let Ok(r) = http().get(format!("http://{addr}/healthz")).send().await {
            return (r.status().as_u16(), r.text().await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no /healthz on {addr}");
}

/// `chihoi serve` in webhook mode: `/healthz` and `/metrics` on CHIHOI_METRICS_LISTEN, never on
/// the webhook's public listener.
async fn serve_answers_health_and_metrics_on_their_listener_only(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let api = LocalBotApi::start(LocalBotApiOptions::default())
        .await
        .unwrap();
    let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let webhook: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chihoi"))
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("ZALO_BOT_TOKEN")
        .env_remove("CHIHOI_PUBLIC_URL")
        .env("DATABASE_URL", db.url.expose())
        .env("TELOXIDE_TOKEN", api.token())
        .env("TELOXIDE_API_URL", api.api_url().as_str())
        .env("CHIHOI_WEBHOOK_URL", format!("http://{webhook}/telegram"))
        .env("CHIHOI_WEBHOOK_LISTEN", webhook.to_string())
        .env("CHIHOI_WEBHOOK_SECRET", "a-webhook-secret-for-tests")
        .env("CHIHOI_METRICS_LISTEN", metrics.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let health = wait_healthy(metrics, &mut child).await;
    assert_eq!(health, (200, "ok\n".into()));
    let (status, page) = get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"chihoi_outbox_pending{kind="reply"} 0"#),
        "{page}"
    );
    // Counters are there from the start, so that their first rise shows.
    assert!(
        page.contains(r#"chihoi_updates_failed_total{platform="telegram"} 0"#),
        "{page}"
    );
    assert!(
        page.contains(r#"chihoi_sends_total{platform="telegram",outcome="throttled"} 0"#),
        "{page}"
    );
    // The webhook's listener is public: it serves neither (once it listens).
    let mut answer = None;
    for _ in 0..600 {
        if let Ok(r) = http().get(format!("http://{webhook}/healthz")).send().await {
            answer = Some(r.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answer, Some(404));
    assert_eq!(get(webhook, "/metrics").await.0, 404);
    // Ctrl-C stops it cleanly.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let stopped = tokio::task::block_in_place(|| {
        for _ in 0..100 {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    });
    if stopped.is_none() {
        let _ = child.kill();
    }
    let status = child.wait_with_output().unwrap();
    assert!(stopped.is_some_and(|s| s.success()), "{}", err(&status));
}

both_backends!(
    health_check_is_ok_while_the_database_answers_and_503_when_it_does_not,
    metrics_count_updates_sends_and_429s_and_show_the_outbox,
    serve_answers_health_and_metrics_on_their_listener_only,
);
