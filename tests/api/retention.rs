//! What we keep, and for how long (docs/RELIABILITY.md, "What we keep"): sent messages lose
//! their text after 30 days and their rows after 180; people who wrote and never joined are
//! forgotten after 30 days; an anonymous opinion keeps no link to its author; the month's
//! digest goes to no one for a month before she (or her branch) was there.

use chihoi::app;
use chihoi::config::Retention;
use chihoi::domain::role::Role;
use chihoi::scheduler::Scheduler;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

use crate::both_backends;
use crate::helpers::*;

fn hanoi(m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Ho_Chi_Minh
        .with_ymd_and_hms(2026, m, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

both_backends!(
    sent_messages_lose_their_text_after_30_days_and_their_rows_after_180,
    someone_who_wrote_and_never_joined_is_forgotten_after_30_days,
    an_anonymous_opinion_keeps_no_link_to_its_author,
    the_digest_of_a_month_goes_to_no_one_who_joined_after_it,
);

/// Sent rows whose body is still kept, and all sent rows, sent before `t`.
async fn sent_before(app: &TestApp, t: DateTime<Utc>) -> (i64, i64) {
    let with_body = app
        .count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND body IS NOT NULL AND sent_at < {}",
            t.timestamp()
        ))
        .await;
    let all = app
        .count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND sent_at < {}",
            t.timestamp()
        ))
        .await;
    (with_body, all)
}

async fn sent_messages_lose_their_text_after_30_days_and_their_rows_after_180(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let joined_at = app.now();
    let _lan = app
        .joined(801, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let soon = joined_at + chrono::Duration::minutes(1);
    let (with_body, all) = sent_before(&app, soon).await;
    assert!(with_body > 0, "her welcome is sent with its text");
    // 29 days on, the text is still there.
    app.set_now(joined_at + chrono::Duration::days(29));
    app.tick().await;
    assert_eq!(sent_before(&app, soon).await, (with_body, all));
    // After 30 days: the rows stay, their text is gone.
    app.set_now(joined_at + chrono::Duration::days(31));
    let report = app.tick().await;
    assert!(report.forgotten_bodies >= with_body as u64, "{report:?}");
    assert_eq!(sent_before(&app, soon).await, (0, all));
    // After 180 days the rows go too.
    app.set_now(joined_at + chrono::Duration::days(181));
    let report = app.tick().await;
    assert!(report.deleted_sent >= all as u64, "{report:?}");
    assert_eq!(sent_before(&app, soon).await, (0, 0));
    // Both are configurable (CHIHOI_KEEP_SENT_BODIES_DAYS, CHIHOI_KEEP_SENT_DAYS).
    let later = app.now();
    let mut hoa = app.person(802, "Trần Thị Hoa");
    hoa.send("/start").await.unwrap();
    let after = later + chrono::Duration::minutes(1);
    let (kept, rows) = sent_before(&app, after).await;
    assert!(kept > 0 && rows > 0);
    let week = Scheduler::new(app.store.clone(), app.calendars()).retention(Retention {
        sent_bodies_days: 7,
        sent_rows_days: 14,
        strangers_days: 30,
    });
    week.tick(later + chrono::Duration::days(8)).await.unwrap();
    assert_eq!(sent_before(&app, after).await, (0, rows));
    week.tick(later + chrono::Duration::days(15)).await.unwrap();
    assert_eq!(sent_before(&app, after).await, (0, 0));
    app.shutdown().await;
}

async fn someone_who_wrote_and_never_joined_is_forgotten_after_30_days(backend: Backend) {
    let app = TestApp::spawn_with(backend, true).await;
    let start = app.now();
    // Wrote once and went away.
    let mut stranger = app.person(811, "Người Lạ");
    let r = stranger.send("xin chào").await.unwrap();
    assert!(!r.is_empty());
    let _lan = app
        .joined(813, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let people = |id: &str| {
        format!(
            "SELECT COUNT(*) FROM users WHERE platform = 'telegram' AND platform_user_id = '{id}'"
        )
    };
    assert_eq!(app.count(&people("811")).await, 1);
    app.set_now(start + chrono::Duration::days(29));
    assert_eq!(app.tick().await.forgotten_people, 0);
    assert_eq!(app.count(&people("811")).await, 1);
    app.set_now(start + chrono::Duration::days(31));
    let report = app.tick().await;
    assert!(report.forgotten_people >= 1, "{report:?}");
    assert_eq!(
        app.count(&people("811")).await,
        0,
        "the stranger is forgotten"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM identities WHERE platform_user_id = '811'")
            .await,
        0
    );
    assert_eq!(app.count(&people("813")).await, 1, "who joined is kept");
    // If she writes again she is a newcomer, answered as one.
    let again = stranger.send("xin chào").await.unwrap();
    assert_eq!(texts(&again), texts(&r));
    assert_eq!(app.count(&people("811")).await, 1);
    app.shutdown().await;
}

async fn an_anonymous_opinion_keeps_no_link_to_its_author(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(821, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut mai = app.joined(822, "Lê Thị Mai", BRANCH, Role::Member).await;
    mai.send("/ykien").await.unwrap();
    mai.send("Đường làng tối quá").await.unwrap();
    let sent = mai.tap("Gửi ẩn danh").await.unwrap();
    assert!(texts(&sent).contains("Đã gửi ý kiến"), "{}", texts(&sent));
    mai.send("/ykien").await.unwrap();
    mai.send("Cảm ơn chi hội").await.unwrap();
    mai.tap("Gửi kèm tên").await.unwrap();
    let told = lan
        .wait_for("the named opinion", |m| text(m).contains("Cảm ơn chi hội"))
        .await
        .unwrap();
    assert!(texts(&told).contains("(ẩn danh)"), "{}", texts(&told));
    assert_eq!(app.count("SELECT COUNT(*) FROM opinions").await, 2);
    // Nothing stored leads from the anonymous one back to her.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM opinions WHERE anonymous = 1 AND author_id IS NULL")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM opinions WHERE anonymous = 0 AND author_id IS NOT NULL")
            .await,
        1
    );
    app.shutdown().await;
}

async fn the_digest_of_a_month_goes_to_no_one_who_joined_after_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    // Lan heads her branch since November; Hạnh took hers on the morning of 1 December.
    let mut lan = app
        .joined(831, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    app.set_now(hanoi(12, 1, 7, 0));
    let mut hanh = app
        .joined(832, "Đỗ Thị Hạnh", OTHER_BRANCH, Role::BranchHead)
        .await;
    // A branch added to the tree in December, with its head.
    app::import_org_bytes(
        &app.store,
        "code,parent_code,level,name\nTB-DH-DHOP-T9,TB-DH-DHOP,branch,Chi hội phụ nữ thôn Mới\n"
            .as_bytes(),
        app.now(),
    )
    .await
    .expect("a new branch");
    let mut thu = app
        .joined(833, "Phạm Thị Thu", "TB-DH-DHOP-T9", Role::BranchHead)
        .await;
    app.set_now(hanoi(12, 1, 8, 0));
    let tick = app.tick().await;
    assert_eq!(tick.digests, 1, "only Lan was there in November: {tick:?}");
    app.drain().await;
    let digest = lan.unread();
    assert!(
        texts(&digest).contains("Bản tin tháng 11/2026"),
        "{}",
        texts(&digest)
    );
    assert!(hanh.unread().is_empty());
    assert!(thu.unread().is_empty());
    app.shutdown().await;
}
