//! Zalo: the same bot on a platform without buttons, against a fake Zalo server over HTTP that
//! behaves as the real one (string ids, 408 on an idle poll, errors inside HTTP 200). Choices
//! come as numbered lists answered by number or by words; the core is shared with Telegram.

use std::time::Duration;

use chihoi::channel::zalo::{Zalo, ZaloOptions};
use chihoi::config::Secret;
use chihoi::dialog::Engine;
use chihoi::domain::role::Role;
use chihoi_fakes::telegram::Failure;
use chihoi_fakes::zalo::{SECRET_HEADER, ZaloUser};
use tokio_util::sync::CancellationToken;

use crate::both_backends;
use crate::helpers::*;

fn hanoi(m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, m, d, h, mi, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

async fn a_branch_head_joins_by_code_and_reports_by_numbers_and_words(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let code = app.invite(BRANCH, Role::BranchHead, 1).await;
    let mut lan = app.zalo_person("0084912345678001", "Nguyễn Thị Lan");
    // A first message: she is told it is an automated assistant and how to join.
    let r = lan.send("Xin chào").await.unwrap();
    assert!(zalo_texts(&r).contains("Chào chị"), "{}", zalo_texts(&r));
    // No deep links on Zalo: she pastes the whole invite link she was sent.
    let r = lan
        .send(&format!("https://t.me/chihoi_bot?start={code}"))
        .await
        .unwrap();
    assert!(
        zalo_texts(&r).contains("Chào chị Nguyễn Thị Lan"),
        "{}",
        zalo_texts(&r)
    );
    // The menu is a numbered list.
    let menu = r.last().unwrap();
    let report = numbered(menu, "📋 Báo cáo tháng").expect("menu lists the report");
    let r = lan.send(&format!(" {report} ")).await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("Tình hình lao động, sản xuất"), "{t}");
    assert!(t.contains("\n1. Ổn định\n2. Có khó khăn"), "{t}");
    // By number with stray spaces, by words without diacritics, in any case.
    lan.send("  2 ").await.unwrap();
    lan.send("Giá phân bón tăng, chị em lo").await.unwrap();
    lan.send("on dinh").await.unwrap();
    lan.send("1").await.unwrap(); // "Bỏ qua": a note step takes "1" as its first choice
    lan.send("PHAN KHOI, tin tuong").await.unwrap();
    lan.send("bo qua").await.unwrap();
    let r = lan.send("Không Có").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Không có đề xuất"),
        "{}",
        zalo_texts(&r)
    );
    let r = lan.send("khong co de xuat").await.unwrap();
    let summary = zalo_texts(&r);
    assert!(summary.contains("Giá phân bón tăng"), "{summary}");
    // An answer that matches nothing gets the list again.
    let r = lan.send("gửi đi").await.unwrap();
    assert!(
        zalo_texts(&r).contains("✅ Gửi báo cáo"),
        "{}",
        zalo_texts(&r)
    );
    let r = lan.send("gui bao cao").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Đã gửi báo cáo tháng"),
        "{}",
        zalo_texts(&r)
    );
    // Every message Zalo accepted was within its limit (the fake refuses longer ones).
    assert_eq!(app.zalo().stats().rejected_with(400), 0);
    let row: (String, Option<String>, String, String) = sqlx::query_as(
        "SELECT labour_level, labour_note, living_level, thoughts_level FROM reports",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "concerns".into(),
            Some("Giá phân bón tăng, chị em lo".into()),
            "stable".into(),
            "stable".into()
        )
    );
    // The export holds it once.
    let period =
        chihoi::domain::period::Period::containing(app.now(), chrono_tz::Asia::Ho_Chi_Minh);
    let table = chihoi::export::reports_table(
        &app.store,
        period,
        None,
        chihoi::i18n::Lang::Vi,
        chrono_tz::Asia::Ho_Chi_Minh,
    )
    .await
    .unwrap();
    assert_eq!(table.rows.len(), 1);
    assert!(
        table.rows[0].iter().any(|c| c == "Nguyễn Thị Lan"),
        "{:?}",
        table.rows[0]
    );
    app.shutdown().await;
}

async fn a_reminder_reaches_a_zalo_branch_head_and_an_alert_is_acknowledged_by_number(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut lan = app
        .zalo_joined(
            "0084900000000002",
            "Nguyễn Thị Lan",
            BRANCH,
            Role::BranchHead,
        )
        .await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000003",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    // The 25th: a reminder to the branch that has not reported, on Zalo.
    app.set_now(hanoi(11, 25, 8, 0));
    app.tick().await;
    app.drain().await;
    let reminder = lan.unread();
    assert_eq!(reminder.len(), 1, "{}", zalo_texts(&reminder));
    let open = numbered(&reminder[0], "📋 Làm báo cáo").expect("the reminder's choice");
    let r = lan.send(&open.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Tình hình lao động, sản xuất"),
        "{}",
        zalo_texts(&r)
    );
    // A member on Telegram sends an urgent report; the officer on Zalo gets it at once.
    hoa.unread();
    let before = hoa.inbox().len();
    let mut mai = app.joined(601, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/khancap").await.unwrap();
    mai.tap("An ninh trật tự").await.unwrap();
    mai.tap("Rất phức tạp").await.unwrap();
    mai.send("12").await.unwrap();
    mai.send("Xô xát ở chợ, có người bị thương").await.unwrap();
    mai.tap("🚨 Gửi ngay").await.unwrap();
    app.zalo()
        .wait_for_messages(&hoa.chat_id(), before + 1, Duration::from_secs(10))
        .await
        .unwrap();
    let alert = hoa.unread();
    assert_eq!(alert.len(), 1, "{}", zalo_texts(&alert));
    let t = zalo_text(&alert[0]).to_owned();
    assert!(t.starts_with("🚨 KHẨN"), "{t}");
    let ack = numbered(&alert[0], "👀 Đã nhận").expect("alert statuses are numbered");
    // Typed, it is confirmed first (issue 17).
    let r = hoa.send(&ack.to_string()).await.unwrap();
    assert!(zalo_texts(&r).contains("“Đã nhận”?"), "{}", zalo_texts(&r));
    hoa.send("1").await.unwrap();
    let (status,): (String,) = sqlx::query_as("SELECT status FROM urgent_reports")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(status, "acknowledged");
    // The reporter on Telegram hears of it.
    app.drain().await;
    let told = mai.unread();
    assert!(texts(&told).contains("Trần Thị Hoa"), "{}", texts(&told));
    app.shutdown().await;
}

async fn a_long_summary_reaches_zalo_in_parts_under_2000_characters(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut lan = app
        .zalo_joined(
            "0084900000000004",
            "Nguyễn Thị Lan",
            BRANCH,
            Role::BranchHead,
        )
        .await;
    let note = |what: &str| format!("{what}: {}", "Bà con phấn khởi, mùa màng khá. ".repeat(25));
    lan.send("/baocao").await.unwrap();
    lan.send("1").await.unwrap();
    lan.send(&note("Lao động")).await.unwrap();
    lan.send("1").await.unwrap();
    lan.send(&note("Đời sống")).await.unwrap();
    lan.send("1").await.unwrap();
    lan.send(&note("Tâm tư")).await.unwrap();
    // Four incidents with long descriptions: field 1, seriousness 1, 12 people (a number: the
    // people step letters its ranges), then the description.
    for i in 1..=4 {
        lan.send("1").await.unwrap();
        lan.send("1").await.unwrap();
        let r = lan.send("1").await.unwrap();
        assert!(
            zalo_texts(&r).contains("\na) 1–5"),
            "ranges are lettered: {}",
            zalo_texts(&r)
        );
        lan.send("12").await.unwrap();
        lan.send(&note(&format!("Vụ việc {i}"))).await.unwrap();
    }
    lan.send("tiep tuc").await.unwrap();
    let r = lan.send(&note("Đề xuất")).await.unwrap();
    let total: usize = r.iter().map(|m| zalo_text(m).chars().count()).sum();
    assert!(total > 2500, "the summary is long: {total}");
    assert!(r.len() >= 2, "{} message(s)", r.len());
    assert!(r.iter().all(|m| zalo_text(m).chars().count() <= 2000));
    // The list of choices comes last, after the whole summary.
    assert!(zalo_text(r.last().unwrap()).contains("✅ Gửi báo cáo"));
    assert_eq!(app.zalo().stats().rejected_with(400), 0);
    app.shutdown().await;
}

async fn linked_accounts_continue_a_telegram_draft_on_zalo(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut tg = app
        .joined(602, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    tg.send("/baocao").await.unwrap();
    tg.tap("Có khó khăn").await.unwrap();
    tg.send("Mưa lớn, lúa đổ").await.unwrap();
    let r = tg.send("/lienket").await.unwrap();
    let code = texts(&r)
        .split_whitespace()
        .find(|w| w.len() == 9 && w.as_bytes()[4] == b'-')
        .expect("a code like ABCD-EFGH")
        .to_owned();
    let mut zl = app.zalo_person("0084900000000005", "Lan Nguyễn");
    let r = zl
        .send(&format!("/lienket {}", code.to_lowercase()))
        .await
        .unwrap();
    assert!(zalo_texts(&r).contains("Bot đã hỏi"), "{}", zalo_texts(&r));
    // Her Telegram account, which has joined, confirms.
    tg.wait_for("the link request", |m| {
        text(m).contains("Tài khoản Zalo “Lan Nguyễn” muốn dùng chung")
    })
    .await
    .unwrap();
    let r = tg.tap("✅ Đồng ý").await.unwrap();
    assert!(texts(&r).contains("Đã liên kết"), "{}", texts(&r));
    let r = zl.replies().await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("Đã liên kết"), "{t}");
    // She is where she left off on Telegram: part 2.
    assert!(t.contains("Đời sống văn hóa, tinh thần"), "{t}");
    zl.send("on dinh").await.unwrap();
    zl.send("1").await.unwrap();
    zl.send("1").await.unwrap();
    zl.send("1").await.unwrap();
    zl.send("khong co").await.unwrap();
    zl.send("khong co de xuat").await.unwrap();
    let r = zl.send("gui bao cao").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Đã gửi báo cáo tháng"),
        "{}",
        zalo_texts(&r)
    );
    let (n, note, people): (i64, Option<String>, i64) = sqlx::query_as(
        "SELECT COUNT(*), MAX(labour_note), (SELECT COUNT(*) FROM users WHERE unit_id IS NOT NULL)
         FROM reports",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(
        (n, note.as_deref(), people),
        (1, Some("Mưa lớn, lúa đổ"), 1)
    );
    // Reminders now go to the app she used last: Zalo.
    let (platform,): (String,) =
        sqlx::query_as("SELECT platform FROM users WHERE unit_id IS NOT NULL")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(platform, "zalo");
    // A used code does not work twice.
    let mut other = app.zalo_person("0084900000000006", "Người khác");
    let r = other.send(&format!("/lienket {code}")).await.unwrap();
    assert!(
        zalo_texts(&r).contains("chưa đúng hoặc đã hết hạn"),
        "{}",
        zalo_texts(&r)
    );
    app.shutdown().await;
}

async fn a_telegram_429_does_not_delay_a_zalo_reply(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut tg = app.joined(603, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let mut zl = app
        .zalo_joined(
            "0084900000000007",
            "Nguyễn Thị Lan",
            BRANCH,
            Role::BranchHead,
        )
        .await;
    // Telegram asks us to wait a minute.
    app.api.fail_next(
        "sendMessage",
        Failure::TooManyRequests { retry_after: 60 },
        100,
    );
    app.api.push_text(&tg.user, "/trogiup");
    // Only once Telegram has answered 429 (the pause is on) does she write on Zalo.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.api.stats().too_many_requests == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Telegram was never asked"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t0 = std::time::Instant::now();
    let r = zl.send("/trogiup").await.unwrap();
    assert!(!r.is_empty());
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "the Zalo reply waited {:?}",
        t0.elapsed()
    );
    // Telegram's reply is held back, not lost.
    let (pending,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM outbox WHERE platform = 'telegram' AND status = 'pending'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert!(pending >= 1);
    assert!(tg.unread().is_empty());
    app.shutdown().await;
}

/// Notices to `chats` Zalo chats (`pace-<first>`, `pace-<first + 1>`…), queued at once.
async fn queue_zalo_notices(app: &TestApp, first: usize, chats: usize) {
    use chihoi::storage::outbox::{self, Kind, NewMessage};
    let mut conn = app.store.acquire().await.unwrap();
    for i in first..first + chats {
        // Each has written to the bot before (Zalo refuses a chat that never did).
        app.zalo().meet(&format!("pace-{i}"));
        let out = chihoi::message::Outbound::text(format!("pace-{i}"), format!("Thông báo {i}"));
        outbox::enqueue(
            &mut conn,
            &NewMessage {
                key: None,
                kind: Kind::Notice,
                platform: "zalo".into(),
                chat_id: out.chat_id.clone(),
                user_id: None,
                unit_id: None,
                period: None,
                ref_id: None,
                body: Some(serde_json::to_string(&out).unwrap()),
                urgent: false,
                not_before: app.now().timestamp(),
                lease: None,
            },
            app.now().timestamp(),
        )
        .await
        .unwrap()
        .unwrap();
    }
    drop(conn);
    app.running_courier().nudge();
}

/// Waits until the fake Zalo has accepted `count` sends in all.
async fn wait_for_zalo_sends(app: &TestApp, count: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while app.zalo().stats().sends_accepted < count {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {count} sends accepted",
            app.zalo().stats().sends_accepted
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn the_zalo_pace_backs_off_on_a_quota_error_and_climbs_again(backend: Backend) {
    let mut app = TestApp::spawn_with_zalo(backend, true).await;
    app.stop_bot().await;
    // Zalo's default: start at 5 a second, learn up to 100.
    app.zalo_delivery = chihoi::config::ZaloConfig::default_delivery();
    app.start_bot().await;
    let pace = |app: &TestApp| app.running_courier().pace("zalo").unwrap();
    assert_eq!(pace(&app), 5.0);
    // Thirty notices at once: the pace holds them back, so it climbs.
    queue_zalo_notices(&app, 0, 30).await;
    wait_for_zalo_sends(&app, 30).await;
    let climbed = pace(&app);
    assert!(climbed > 5.0, "the pace stayed at {climbed}");
    // Zalo says "quota exceeded" to the next one: the pace falls, and the notice goes after a
    // short pause instead of Zalo's being shut for 5 s.
    app.zalo()
        .fail_next(chihoi_fakes::zalo::ZaloFailure::Quota, 1);
    let t0 = std::time::Instant::now();
    queue_zalo_notices(&app, 30, 1).await;
    wait_for_zalo_sends(&app, 31).await;
    let waited = t0.elapsed();
    let cut = pace(&app);
    assert_eq!(app.zalo().stats().quota_exceeded, 1);
    assert!(
        cut < climbed * 0.85,
        "the pace went from {climbed} to {cut} after a quota error"
    );
    assert!(
        waited < Duration::from_secs(4),
        "the notice that met the quota waited {waited:?}"
    );
    // More at once: it climbs again from there.
    queue_zalo_notices(&app, 31, 100).await;
    wait_for_zalo_sends(&app, 131).await;
    let recovered = pace(&app);
    assert!(
        recovered > cut,
        "the pace stayed at {recovered} after {cut}"
    );
    // Every notice arrived once, the one refused included.
    let sent = app.zalo().sent();
    assert_eq!(sent.len(), 131);
    for i in 0..131 {
        let chat = format!("pace-{i}");
        assert_eq!(
            sent.iter().filter(|m| m.chat_id == chat).count(),
            1,
            "chat {chat}"
        );
    }
    assert_eq!(app.zalo().stats().quota_exceeded, 1);
    app.shutdown().await;
}

async fn zalo_webhook_checks_its_secret_and_handles_a_redelivery_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let fake = chihoi_fakes::zalo::FakeZalo::start(Default::default())
        .await
        .unwrap();
    let ZaloWebhook {
        secret,
        shutdown,
        run,
        ..
    } = ZaloWebhook::start(&app, &fake, "zalo-webhook-secret-for-tests").await;
    // Registered: events now arrive by webhook, and the reply comes back.
    let lan = ZaloUser::new("0084900000000008", "Nguyễn Thị Lan");
    for _ in 0..50 {
        if fake.webhook_url().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = fake.push_text(&lan, "Xin chào");
    fake.wait_for_messages(&lan.chat_id(), 1, Duration::from_secs(10))
        .await
        .unwrap();
    let updates = "SELECT COUNT(*) FROM processed_updates";
    assert_eq!(app.count(updates).await, 1);
    // The same event again (Zalo retries): handled once, nothing new sent.
    let body = format!(
        r#"{{"ok":true,"result":{{"event_name":"message.text.received","message":{{"message_id":"{id}","from":{{"id":"{}","display_name":"Lan"}},"chat":{{"id":"{}","chat_type":"PRIVATE"}},"date":1,"text":"Xin chào"}}}}}}"#,
        lan.id,
        lan.chat_id()
    );
    let status = fake
        .deliver_raw(&body, Some(secret.expose()))
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);
    assert_eq!(app.count(updates).await, 1);
    assert_eq!(fake.sent_to(&lan.chat_id()).len(), 1);
    // A wrong or missing secret: 401, and nothing changes.
    let forged = body.replace(&id, "forged-1");
    for header in [Some("not-the-secret"), None] {
        let status = fake.deliver_raw(&forged, header).await.unwrap();
        assert_eq!(status.as_u16(), 401, "{header:?}");
    }
    assert_eq!(app.count(updates).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    let _ = SECRET_HEADER;
    shutdown.cancel();
    run.await.unwrap().unwrap();
    app.shutdown().await;
}

async fn a_refused_zalo_token_is_a_clear_error_at_start(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let fake = chihoi_fakes::zalo::FakeZalo::start(Default::default())
        .await
        .unwrap();
    let options = ZaloOptions::new(Secret::new("1:not-the-token"), fake.api_url());
    let engine = Engine::new(app.store.clone(), app.calendars());
    let zalo = Zalo::new(engine, &options, app.clock()).unwrap();
    let err = zalo
        .run(&options, CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(401), "{err}");
    assert!(err.to_string().contains("ZALO_BOT_TOKEN"), "{err}");
    assert!(!err.to_string().contains("not-the-token"), "{err}");
    app.shutdown().await;
}

async fn charts_reach_zalo_as_expiring_links(backend: Backend) {
    let mut app = TestApp::spawn_with_zalo(backend, true).await;
    // A public address for the files: the bot's HTTP server on a free port.
    let files = app.serve_files().await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000009",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let r = hoa.send("/tiendo").await.unwrap();
    let chart = numbered(r.last().unwrap(), "📈 Biểu đồ").expect("a chart choice");
    hoa.send(&chart.to_string()).await.unwrap();
    // Made in the background, after the answer to her choice.
    let mut photo = None;
    for _ in 0..100 {
        photo = hoa.inbox().into_iter().find_map(|m| m.photo);
        if photo.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let photo = photo.expect("the chart is sent as a photo by its link");
    let client = reqwest_client();
    let got = client.get(&photo).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    let bytes = got.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    // 24 hours later the link is dead.
    app.advance(chrono::Duration::hours(25));
    assert_eq!(
        client.get(&photo).send().await.unwrap().status().as_u16(),
        404
    );
    files.stop().await;
    app.shutdown().await;
}

fn reqwest_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `text` queued for the Zalo chat `chat` (which has written to the bot) as an urgent notice.
async fn queue_zalo_text(app: &TestApp, chat: &str, text: &str) -> i64 {
    use chihoi::storage::outbox::{self, Kind, NewMessage};
    app.zalo().meet(chat);
    let out = chihoi::message::Outbound::text(chat, text);
    let mut conn = app.store.acquire().await.unwrap();
    outbox::enqueue(
        &mut conn,
        &NewMessage {
            key: None,
            kind: Kind::Notice,
            platform: "zalo".into(),
            chat_id: chat.into(),
            user_id: None,
            unit_id: None,
            period: None,
            ref_id: None,
            body: Some(serde_json::to_string(&out).unwrap()),
            urgent: true,
            not_before: app.now().timestamp(),
            lease: None,
        },
        app.now().timestamp(),
    )
    .await
    .unwrap()
    .unwrap()
}

/// A long text goes to Zalo in three parts; when the second fails, the next try sends the
/// second and third only: the first never arrives twice. Zalo's two ways to fail are both
/// met: a gateway's bare 502 between two tries, and a quota error inside an HTTP 200 within
/// one try.
async fn a_long_text_that_fails_part_way_goes_on_from_the_failed_part(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let line = "Chi hội thôn Tây đã họp bàn việc giải phóng mặt bằng với bà con trong xóm.\n";
    let text = line.repeat(70);
    assert!(text.chars().count() > 4000);
    let id = queue_zalo_text(&app, "resume-1", &text).await;
    // Zalo takes the first part; then a proxy in front of it answers 502.
    app.zalo()
        .fail_after(1, chihoi_fakes::zalo::ZaloFailure::HttpStatus(502), 1);
    let r = app.drain().await;
    assert_eq!((r.sent, r.retried), (0, 1), "{r:?}");
    assert_eq!(app.zalo().sent_to("resume-1").len(), 1);
    let parts = format!("SELECT parts_sent FROM outbox WHERE id = {id}");
    assert_eq!(app.count(&parts).await, 1);
    // After the backoff: the second and third parts, not the first again.
    app.advance(chrono::Duration::seconds(10));
    let r = app.drain().await;
    assert_eq!(r.sent, 1, "{r:?}");
    let sent = app.zalo().sent_to("resume-1");
    let got: Vec<&str> = sent.iter().map(zalo_text).collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got.concat(), text);
    assert_eq!(app.zalo().stats().http_failures, 1);

    // The same within one try: the second part meets Zalo's quota (inside an HTTP 200); the
    // pace pauses, and the try goes on from the second part.
    let id = queue_zalo_text(&app, "resume-2", &text).await;
    app.zalo()
        .fail_after(1, chihoi_fakes::zalo::ZaloFailure::Quota, 1);
    let r = app.drain().await;
    assert_eq!(r.sent, 1, "{r:?}");
    let got: Vec<String> = app
        .zalo()
        .sent_to("resume-2")
        .iter()
        .map(|m| zalo_text(m).to_owned())
        .collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got.concat(), text);
    assert_eq!(app.zalo().stats().quota_exceeded, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE id = {id} AND status = 'sent'"
        ))
        .await,
        1
    );
    app.shutdown().await;
}

/// Zalo documents its 403 as an internal error: a prompt that meets it is tried again and she
/// stays reachable. Only a documented refusal (404, not found), met again and again by the same
/// message, makes her unreachable: her queued messages stop and the officer above is told once.
async fn a_zalo_403_is_not_a_block_and_only_a_repeated_refusal_makes_her_unreachable(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let hanh = app
        .zalo_joined(
            "0084900000000010",
            "Đỗ Thị Hạnh",
            OTHER_BRANCH,
            Role::BranchHead,
        )
        .await;
    let mut hoa = app
        .joined(604, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let reachable = "SELECT reachable FROM users WHERE platform = 'zalo'";
    app.set_now(hanoi(11, 20, 8, 0));
    app.tick().await;
    app.zalo()
        .fail_next(chihoi_fakes::zalo::ZaloFailure::Forbidden, 1);
    let report = app.drain().await;
    assert_eq!((report.unreachable, report.retried), (0, 1), "{report:?}");
    assert_eq!(app.count(reachable).await, 1);
    app.advance(chrono::Duration::seconds(10));
    let report = app.drain().await;
    assert_eq!(report.sent, 1, "{report:?}");
    assert!(!texts(&hoa.unread()).contains("Đỗ Thị Hạnh"));

    // From now on Zalo refuses her chat. A notice and then an alert queued for her.
    app.zalo()
        .set_failure(Some(chihoi_fakes::zalo::ZaloFailure::NotFound));
    let chat = hanh.chat_id();
    let first = queue_zalo_text(&app, &chat, "Thông báo thứ nhất").await;
    let second = queue_zalo_text(&app, &chat, "Thông báo thứ hai").await;
    let pending = format!(
        "SELECT COUNT(*) FROM outbox WHERE id IN ({first}, {second}) AND status = 'pending'"
    );
    for round in 1..chihoi::delivery::REFUSALS_BEFORE_UNREACHABLE {
        let report = app.drain().await;
        assert_eq!(report.unreachable, 0, "refusal {round}: {report:?}");
        assert_eq!(app.count(reachable).await, 1, "refusal {round}");
        assert_eq!(app.count(&pending).await, 2, "refusal {round}");
        app.advance(chrono::Duration::seconds(60));
    }
    let report = app.drain().await;
    assert!(report.unreachable >= 1, "{report:?}");
    assert_eq!(app.count(reachable).await, 0);
    assert_eq!(app.count(&pending).await, 0);
    let told = texts(&hoa.unread());
    assert_eq!(told.matches("Đỗ Thị Hạnh").count(), 1, "{told}");
    app.advance(chrono::Duration::seconds(60));
    app.drain().await;
    assert!(!texts(&hoa.unread()).contains("Đỗ Thị Hạnh"), "told once");
    app.shutdown().await;
}

/// The webhook answers Zalo as soon as the event is committed: a reply that takes Zalo three
/// seconds to take does not hold the call.
async fn the_zalo_webhook_answers_once_committed_however_slow_the_reply(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let fake = chihoi_fakes::zalo::FakeZalo::start(Default::default())
        .await
        .unwrap();
    let ZaloWebhook {
        zalo,
        secret,
        shutdown,
        run,
    } = ZaloWebhook::start(&app, &fake, "zalo-webhook-secret-for-tests").await;
    for _ in 0..100 {
        if fake.webhook_url().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lan = ZaloUser::new("0084900000000018", "Nguyễn Thị Lan");
    fake.meet(&lan.chat_id());
    fake.set_send_delay(Duration::from_secs(3));
    let body = format!(
        r#"{{"ok":true,"result":{{"event_name":"message.text.received","message":{{"message_id":"slow-1","from":{{"id":"{}","display_name":"Lan"}},"chat":{{"id":"{}","chat_type":"PRIVATE"}},"date":1,"text":"Xin chào"}}}}}}"#,
        lan.id,
        lan.chat_id()
    );
    let started = std::time::Instant::now();
    let status = fake
        .deliver_raw(&body, Some(secret.expose()))
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(status.as_u16(), 200);
    assert!(
        took < Duration::from_millis(1500),
        "the call was held {took:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM processed_updates").await, 1);
    // The reply still comes, once.
    let sent = fake
        .wait_for_messages(&lan.chat_id(), 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        zalo_text(&sent[0]).contains("trợ lý tự động"),
        "{}",
        zalo_text(&sent[0])
    );
    zalo.in_flight().idle().await;
    assert_eq!(fake.sent_to(&lan.chat_id()).len(), 1);
    shutdown.cancel();
    run.await.unwrap().unwrap();
    app.shutdown().await;
}

both_backends!(
    a_long_text_that_fails_part_way_goes_on_from_the_failed_part,
    a_zalo_403_is_not_a_block_and_only_a_repeated_refusal_makes_her_unreachable,
    the_zalo_webhook_answers_once_committed_however_slow_the_reply,
    a_branch_head_joins_by_code_and_reports_by_numbers_and_words,
    a_reminder_reaches_a_zalo_branch_head_and_an_alert_is_acknowledged_by_number,
    a_long_summary_reaches_zalo_in_parts_under_2000_characters,
    linked_accounts_continue_a_telegram_draft_on_zalo,
    a_telegram_429_does_not_delay_a_zalo_reply,
    zalo_webhook_checks_its_secret_and_handles_a_redelivery_once,
    a_refused_zalo_token_is_a_clear_error_at_start,
    charts_reach_zalo_as_expiring_links,
    the_zalo_pace_backs_off_on_a_quota_error_and_climbs_again,
);
