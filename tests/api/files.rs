//! Files shared by link (charts and exports on Zalo) and the public listener that serves them:
//! a link dies with her access or role, a file streams from the database a part at a time, a
//! retried send stores no second copy, the scheduler deletes expired files, and a flood of
//! downloads is refused past a limit while replies still go out.

use std::time::Duration;

use chihoi::config::HttpLimits;
use chihoi::domain::role::Role;
use chihoi::storage::files::{self, SharedFile};
use chihoi_fakes::zalo::ZaloFailure;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_shared_file_link_dies_when_her_role_changes_or_her_access_is_taken_away,
    a_retried_send_stores_one_copy_of_its_file,
    expired_files_are_deleted_by_the_scheduler,
    a_file_streams_from_the_database_a_part_at_a_time,
    a_flood_of_downloads_is_refused_past_the_limit_and_replies_still_go_out,
);

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A Zalo app whose files are shared under a public address served by [`FilesServer`].
async fn zalo_with_files(backend: Backend) -> (TestApp, FilesServer) {
    let mut app = TestApp::spawn_with_zalo(backend, true).await;
    let server = FilesServer::start(&app, HttpLimits::default()).await;
    app.stop_bot().await;
    app.public_url = Some(format!("http://{}", server.addr).parse().unwrap());
    app.start_bot().await;
    (app, server)
}

/// She asks for her union's progress chart and gets it as a photo by its link.
async fn chart_link(hoa: &mut chihoi_fakes::zalo::person::ZaloPerson<'_>) -> String {
    let before = hoa.inbox().iter().filter(|m| m.photo.is_some()).count();
    let r = hoa.send("/tiendo").await.unwrap();
    let chart = numbered(r.last().unwrap(), "📈 Biểu đồ").expect("a chart choice");
    hoa.send(&chart.to_string()).await.unwrap();
    for _ in 0..200 {
        let photos: Vec<String> = hoa.inbox().into_iter().filter_map(|m| m.photo).collect();
        if photos.len() > before {
            return photos.last().unwrap().clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no chart link came");
}

async fn user_id(app: &TestApp, zalo_id: &str) -> i64 {
    app.count(&format!(
        "SELECT id FROM users WHERE platform = 'zalo' AND platform_user_id = '{zalo_id}'"
    ))
    .await
}

async fn a_shared_file_link_dies_when_her_role_changes_or_her_access_is_taken_away(
    backend: Backend,
) {
    let (app, server) = zalo_with_files(backend).await;
    let zalo_id = "0084900000000021";
    let mut hoa = app
        .zalo_joined(zalo_id, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let first = chart_link(&mut hoa).await;
    let got = client().get(&first).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(
        got.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff"),
        "a browser must not guess the file's type"
    );
    assert_eq!(got.headers()["content-type"], "image/png");
    let len: usize = got.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = got.bytes().await.unwrap();
    assert_eq!(bytes.len(), len);
    assert!(bytes.starts_with(b"\x89PNG"));
    let id = user_id(&app, zalo_id).await;
    // Her role changes: the link she holds is dead at once, even once the role is back.
    chihoi::app::user_set_role(
        &app.store,
        &app.calendars(),
        id,
        Role::Member,
        None,
        app.now(),
    )
    .await
    .unwrap();
    assert_eq!(client().get(&first).send().await.unwrap().status(), 404);
    chihoi::app::user_set_role(
        &app.store,
        &app.calendars(),
        id,
        Role::GrassrootsOfficer,
        None,
        app.now(),
    )
    .await
    .unwrap();
    assert_eq!(client().get(&first).send().await.unwrap().status(), 404);
    // A new chart works; her access taken away, it is dead too.
    let second = chart_link(&mut hoa).await;
    assert_ne!(second, first);
    assert_eq!(client().get(&second).send().await.unwrap().status(), 200);
    chihoi::app::user_remove(&app.store, &app.calendars(), id, app.now())
        .await
        .unwrap();
    assert_eq!(client().get(&second).send().await.unwrap().status(), 404);
    server.stop().await;
    app.shutdown().await;
}

async fn a_retried_send_stores_one_copy_of_its_file(backend: Backend) {
    let (app, server) = zalo_with_files(backend).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000022",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let r = hoa.send("/tiendo").await.unwrap();
    let chart = numbered(r.last().unwrap(), "📈 Biểu đồ").expect("a chart choice");
    // Zalo's gateway fails the next two sends: the answer to her choice, then the chart (made
    // meanwhile, as the test's clock stands still until the answer's backoff is over). The
    // courier tries each again.
    app.zalo().fail_next(ZaloFailure::HttpStatus(502), 2);
    let _ = hoa.send(&chart.to_string()).await;
    for _ in 0..200 {
        if app.zalo().stats().calls_of("sendPhoto") >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        hoa.inbox().iter().all(|m| m.photo.is_none()),
        "the chart's first try failed"
    );
    let mut photo = None;
    for _ in 0..400 {
        photo = hoa.inbox().into_iter().find_map(|m| m.photo);
        if photo.is_some() {
            break;
        }
        // Past the courier's backoff on the test's clock.
        app.advance(chrono::Duration::seconds(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let photo = photo.expect("the chart arrives once the retry goes through");
    assert!(app.zalo().stats().calls_of("sendPhoto") >= 2);
    assert_eq!(client().get(&photo).send().await.unwrap().status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM shared_files").await,
        1,
        "one copy, however often its send is tried"
    );
    server.stop().await;
    app.shutdown().await;
}

async fn expired_files_are_deleted_by_the_scheduler(backend: Backend) {
    let (app, server) = zalo_with_files(backend).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000023",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let link = chart_link(&mut hoa).await;
    assert_eq!(client().get(&link).send().await.unwrap().status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM shared_files").await, 1);
    app.advance(chrono::Duration::hours(23));
    app.tick().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM shared_files").await, 1);
    // A day on, with no new file stored, the scheduler deletes it.
    app.advance(chrono::Duration::hours(2));
    app.tick().await;
    assert_eq!(client().get(&link).send().await.unwrap().status(), 404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM shared_files").await,
        0,
        "the expired file is deleted, not only hidden"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM shared_file_parts").await, 0);
    server.stop().await;
    app.shutdown().await;
}

/// Stores a file of `size` bytes for outbox row `outbox_id` (nobody's: no access to check).
async fn store_file(app: &TestApp, outbox_id: i64, size: usize) -> (String, Vec<u8>) {
    let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let token = format!("test-token-{outbox_id}");
    let now = app.now().timestamp();
    let mut tx = app.store.begin().await.unwrap();
    files::put(
        &mut tx,
        &token,
        outbox_id,
        None,
        &SharedFile {
            file_name: "file.bin".into(),
            content_type: "application/octet-stream".into(),
            bytes: bytes.clone(),
        },
        now + 3600,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (token, bytes)
}

async fn a_file_streams_from_the_database_a_part_at_a_time(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let server = FilesServer::start(&app, HttpLimits::default()).await;
    // 32 MB: far more than the sockets between us buffer (a few MB).
    let (token, bytes) = store_file(&app, 1, 32 * 1024 * 1024).await;
    let whole = client().get(server.url(&token)).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert!(
        whole.bytes().await.unwrap() == bytes,
        "a download is the file, byte for byte"
    );
    // The second half is deleted while a download is under way, before its body is read: a
    // server that read the file whole before answering would still send all of it; one that
    // reads a part at a time cannot.
    let mut partial = client().get(server.url(&token)).send().await.unwrap();
    assert_eq!(partial.status(), 200);
    let half = (bytes.len() / files::PART_BYTES / 2) as i64;
    let deleted = sqlx::query(&format!(
        "DELETE FROM shared_file_parts WHERE token = '{token}' AND part >= {half}"
    ))
    .execute(app.store.pool())
    .await
    .unwrap()
    .rows_affected();
    assert!(deleted > 0);
    let mut received = 0;
    let ended = loop {
        match partial.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(
        ended.is_err() && received < bytes.len(),
        "the download is cut off where the parts end ({received} of {} bytes)",
        bytes.len()
    );
    server.stop().await;
    app.shutdown().await;
}

async fn a_flood_of_downloads_is_refused_past_the_limit_and_replies_still_go_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let limits = HttpLimits {
        downloads: 4,
        db_readers: 2,
    };
    let server = FilesServer::start(&app, limits).await;
    let (token, bytes) = store_file(&app, 1, 32 * 1024 * 1024).await;
    // Four downloads under way, their bodies not read: each holds its place.
    let mut held = Vec::new();
    for _ in 0..limits.downloads {
        let r = client().get(server.url(&token)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        held.push(r);
    }
    // A flood on top, all at once: every one is refused at once, none queued behind.
    let flood = futures::future::join_all((0..40).map(|_| {
        let url = server.url(&token);
        async move { client().get(url).send().await.map(|r| r.status().as_u16()) }
    }));
    // Meanwhile someone writes to the bot: her reply comes as ever.
    let mut lan = app.person(851, "Nguyễn Thị Lan");
    let (flooded, reply) = tokio::join!(flood, lan.send("/trogiup"));
    let flooded: Vec<u16> = flooded.into_iter().map(Result::unwrap).collect();
    assert!(
        flooded.iter().all(|s| *s == 503),
        "past the limit every download is refused: {flooded:?}"
    );
    let reply = reply.unwrap();
    assert!(!texts(&reply).is_empty(), "her reply arrives");
    // The downloads under way complete, byte for byte, and free their places.
    for r in held {
        assert!(r.bytes().await.unwrap() == bytes);
    }
    // Their places are free again once the server has seen them end.
    let mut after = client().get(server.url(&token)).send().await.unwrap();
    for _ in 0..100 {
        if after.status() == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = client().get(server.url(&token)).send().await.unwrap();
    }
    assert_eq!(after.status(), 200);
    assert_eq!(after.bytes().await.unwrap().len(), bytes.len());
    server.stop().await;
    app.shutdown().await;
}
