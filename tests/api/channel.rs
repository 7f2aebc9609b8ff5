//! The Telegram channel itself: webhook secret, flood control, blocked users, server errors,
//! command menus and languages.

use std::time::Duration;

use chihoi::config::Secret;
use chihoi::domain::role::Role;
use chihoi_fakes::telegram::{Failure, RateLimits};
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::Requester;
use tokio_util::sync::CancellationToken;

use crate::both_backends;
use crate::helpers::*;

async fn webhook_refuses_a_wrong_secret_and_handles_updates_with_the_right_one(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.stop_bot().await;
    let telegram = app.telegram();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = CancellationToken::new();
    let secret = "the-right-secret-0123456789";
    let addr = telegram
        .serve_webhook_on(
            listener,
            "/telegram/hook",
            Secret::new(secret),
            shutdown.clone(),
        )
        .await
        .unwrap();
    let url: url::Url = format!("http://{addr}/telegram/hook").parse().unwrap();

    // Someone who does not know the secret: every delivery is refused and nothing is handled.
    app.api
        .bot()
        .set_webhook(url.clone())
        .secret_token("a-wrong-secret-0123456789".to_owned())
        .await
        .unwrap();
    let mut lan = app.person(501, "Nguyễn Thị Lan");
    app.api.push_text(&lan.user, "/start");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.api.stats().webhook_failures < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "webhook was never refused"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(lan.inbox().is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);

    // With the right secret the pending update is delivered, handled once, and answered.
    app.api
        .bot()
        .set_webhook(url)
        .secret_token(secret.to_owned())
        .await
        .unwrap();
    let r = lan.replies().await.unwrap();
    assert_eq!(r.len(), 1, "{}", texts(&r));
    assert!(
        text(&r[0]).contains("trợ lý tự động (bot) của Hội LHPN"),
        "{}",
        texts(&r)
    );
    let code = app.invite(BRANCH, Role::BranchHead, 1).await;
    let r = lan.send(&format!("/start {code}")).await.unwrap();
    assert!(texts(&r).contains("Chi hội trưởng"), "{}", texts(&r));
    shutdown.cancel();
    app.shutdown().await;
}

async fn flood_control_is_waited_out_and_the_reply_arrives_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut mai = app.person(502, "Phạm Thị Mai");
    app.api.fail_next(
        "sendMessage",
        Failure::TooManyRequests { retry_after: 3 },
        1,
    );
    let r = mai.send("/start").await.unwrap();
    assert!(r.is_empty(), "Telegram refused it: {}", texts(&r));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            .await,
        1
    );
    // Not before retry_after…
    app.advance(chrono::Duration::seconds(2));
    assert_eq!(app.drain().await.sent, 0);
    // …and then exactly once, with no failure counted.
    app.advance(chrono::Duration::seconds(1));
    let report = app.drain().await;
    assert_eq!(report.sent, 1);
    assert_eq!(mai.replies().await.unwrap().len(), 1);
    assert_eq!(app.api.stats().calls_of("sendMessage"), 2);
    assert_eq!(app.count("SELECT attempts FROM outbox").await, 0);
    app.shutdown().await;
}

async fn a_user_who_blocked_the_bot_is_marked_unreachable_and_skipped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut officer = app
        .joined(503, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(504, "Phạm Thị Mai", BRANCH, Role::Member).await;
    // The officer blocks the bot.
    app.api.push_blocked(&officer.user);
    officer.replies().await.unwrap();
    assert_eq!(
        app.count("SELECT reachable FROM users WHERE platform_user_id = '503'")
            .await,
        0
    );

    mai.send("/khancap").await.unwrap();
    mai.tap("Lĩnh vực khác").await.unwrap();
    mai.tap("Phức tạp").await.unwrap();
    mai.send("4").await.unwrap();
    mai.send("Sạt lở bờ kênh").await.unwrap();
    let r = mai.tap("🚨 Gửi ngay").await.unwrap();
    assert!(
        texts(&r).contains("gọi điện trực tiếp"),
        "an unreachable officer is not counted: {}",
        texts(&r)
    );

    // A send refused with 403 marks the recipient unreachable as well.
    app.api.fail_next(
        "sendMessage",
        Failure::Forbidden("Forbidden: bot was blocked by the user".into()),
        1,
    );
    mai.send("/trogiup").await.unwrap();
    assert_eq!(
        app.count("SELECT reachable FROM users WHERE platform_user_id = '504'")
            .await,
        0
    );
    // Writing again makes her reachable again.
    let r = mai.send("/start").await.unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(
        app.count("SELECT reachable FROM users WHERE platform_user_id = '504'")
            .await,
        1
    );
    app.shutdown().await;
}

async fn a_server_error_from_telegram_is_retried_with_backoff(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut mai = app.person(505, "Phạm Thị Mai");
    app.api
        .fail_next("sendMessage", Failure::ServerError(502), 1);
    let r = mai.send("/start").await.unwrap();
    assert!(r.is_empty());
    let (attempts, error): (i64, String) =
        sqlx::query_as("SELECT attempts, last_error FROM outbox")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.contains("Bad Gateway"), "{error}");
    app.advance(chrono::Duration::seconds(4));
    assert_eq!(
        app.drain().await.sent,
        0,
        "backoff is 5 s after the first failure"
    );
    app.advance(chrono::Duration::seconds(1));
    assert_eq!(app.drain().await.sent, 1);
    assert_eq!(mai.replies().await.unwrap().len(), 1);
    app.shutdown().await;
}

async fn command_menus_are_set_in_vietnamese_and_english_and_she_can_switch(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(506, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let calls = app.api.calls("setMyCommands");
    let find = |lang: Option<&str>| {
        calls
            .iter()
            .find(|c| c.get("language_code").and_then(|l| l.as_str()) == lang)
            .unwrap_or_else(|| panic!("no setMyCommands for {lang:?}: {calls:?}"))
            .clone()
    };
    let vi = find(Some("vi"));
    let en = find(Some("en"));
    find(None);
    let desc = |c: &serde_json::Value, name: &str| {
        c["commands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["command"] == name)
            .map(|x| x["description"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(desc(&vi, "baocao"), "Báo cáo tình hình hằng tháng");
    assert_eq!(desc(&en, "baocao"), "Monthly report");

    lan.send("/ngonngu").await.unwrap();
    let r = lan.tap("English").await.unwrap();
    assert!(texts(&r).contains("Switched to English."), "{}", texts(&r));
    assert!(r.last().unwrap().button("📋 Monthly report").is_some());
    let r = lan.send("/baocao").await.unwrap();
    assert!(
        texts(&r).contains("Part 1/5 — Labour and production"),
        "{}",
        texts(&r)
    );
    // Someone whose phone is in English is greeted in English from the start.
    let mut anna = app.person(507, "Anna").speaking("en");
    let r = anna.send("/start").await.unwrap();
    assert!(
        texts(&r).contains("This is the automated assistant (bot) of the Women's Union."),
        "{}",
        texts(&r)
    );
    app.shutdown().await;
}

/// Found by `chaos::random_platform_faults_while_heads_file_lose_and_double_nothing`: a reply
/// did not take its chat's second (and alerts waited for none), so a notice went out right
/// behind the officer's welcome — past Telegram's one message a second in a chat, and each
/// 429 pauses every chat's messages. Two notices for her go a second apart too.
async fn notices_to_one_person_at_once_go_a_second_apart(backend: Backend) {
    let app = TestApp::spawn_paced(backend, true).await;
    let _clock = app.run_clock();
    let officer = app
        .joined(505, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let lan = app
        .joined(506, "Lê Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mai = app
        .joined(507, "Phạm Thị Mai", OTHER_BRANCH, Role::BranchHead)
        .await;
    let had = app.api.sent_to(officer.user.id).len();
    app.api.set_rate_limits(Some(RateLimits::default()));
    // Both heads of her branches blocked the bot; a reply to each tells the officer twice.
    for head in [&lan, &mai] {
        app.api.fail_chat(
            head.user.id,
            Some(Failure::Forbidden(
                "Forbidden: bot was blocked by the user".into(),
            )),
        );
        app.api.push_text(&head.user, "/trogiup");
    }
    let told = app
        .api
        .wait_for_sent(officer.user.id, had + 2, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        told[had..]
            .iter()
            .all(|m| text(m).contains("chưa nhận được tin của bot")),
        "{}",
        texts(&told[had..])
    );
    assert_eq!(app.api.stats().over_limits, 0, "{:#?}", app.api.stats());
    app.shutdown().await;
}

both_backends!(
    webhook_refuses_a_wrong_secret_and_handles_updates_with_the_right_one,
    flood_control_is_waited_out_and_the_reply_arrives_once,
    a_user_who_blocked_the_bot_is_marked_unreachable_and_skipped,
    a_server_error_from_telegram_is_retried_with_backoff,
    command_menus_are_set_in_vietnamese_and_english_and_she_can_switch,
    notices_to_one_person_at_once_go_a_second_apart,
);
