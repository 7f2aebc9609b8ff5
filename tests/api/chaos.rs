//! Random platform faults under load: while branch heads file their monthly report at once,
//! the fake Telegram keeps its flood limits and answers the sending methods at random with
//! 429, 5xx or late, and one head has blocked the bot (403) without the bot being told. Every
//! other head sees her report confirmed; every report is stored once; the bot never sends past
//! the limits; the blocked head is marked unreachable and sent nothing more; nothing is left
//! pending.

use std::sync::Arc;
use std::time::Duration;

use chihoi::domain::role::Role;
use chihoi_fakes::telegram::script::{Act, NOTHING_NEW_REPORT, Watcher};
use chihoi_fakes::telegram::{Chaos, Failure, LocalBotApi, RateLimits, TestUser};
use rand::Rng;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{BRANCH, Backend, GRASSROOTS, TestApp, text};

/// Branch heads filing at once, besides the one who blocked the bot.
const HEADS: usize = 10;

/// The faults. Each head's report is about 21 calls of the sending methods (one
/// `sendMessage`, ten edits, ten `answerCallbackQuery`), so ten heads make some 210:
/// - 429 (retry after 1 s) on 5 % of calls, about ten in a run: each pauses the bot's whole
///   Telegram lane for a second, so they overlap with everyone's steps;
/// - 502 on 1 %, two or three in a run: teloxide sleeps 10 s after any 5xx before it returns
///   the error, and a failed send then waits 5 s of backoff, so each costs its head 10–15 s;
///   more would push the test past a minute;
/// - a quarter of the calls answered up to 400 ms late.
///
/// The n-th call meets the same fate in every run (the seed); which call is the n-th depends
/// on how the heads' steps interleave. Seed 22 puts 502s at the 49th, 88th and 177th call,
/// so at least two land in every run, and seven 429s among the first 150.
fn chaos() -> Chaos {
    Chaos {
        seed: 22,
        too_many_requests: 0.05,
        retry_after: 1,
        server_error: 0.01,
        server_error_code: 502,
        slow: 0.25,
        slow_by: Duration::from_millis(400),
        ..Chaos::default()
    }
}

/// The longest wait for one step's answer: two 5xx on one step (its tap's answer, then its
/// edit) cost 20 s, and a 429 pause on top a second or two.
const STEP_TIMEOUT: Duration = Duration::from_secs(45);

/// Files the "nothing new" report, thinking a little before each step: more than a second
/// before typing (a person reads the welcome first, and Telegram allows one message a second
/// in a chat), up to 300 ms before a tap.
async fn file_report(head: Watcher) -> Result<(), String> {
    for (i, step) in NOTHING_NEW_REPORT.iter().enumerate() {
        let think = match step.act {
            Act::Type(_) => rand::thread_rng().gen_range(1_100..1_600),
            Act::Tap(_) => rand::thread_rng().gen_range(0..300),
        };
        tokio::time::sleep(Duration::from_millis(think)).await;
        head.take(step)
            .await
            .map_err(|e| format!("head {} at step {}: {e}", head.user.id, i + 1))?;
    }
    Ok(())
}

/// Every head files her report at once; what went wrong for those who could not.
async fn all_file_reports(app: &TestApp, heads: &[TestUser]) -> Vec<String> {
    let filing: Vec<_> = heads
        .iter()
        .map(|user| {
            tokio::spawn(file_report(Watcher {
                api: Arc::clone(&app.api),
                user: user.clone(),
                timeout: STEP_TIMEOUT,
            }))
        })
        .collect();
    let mut failures = Vec::new();
    for head in filing {
        if let Err(e) = head.await.unwrap() {
            failures.push(e);
        }
    }
    failures
}

/// Each head saw "report sent" once, in one message still in her chat.
fn each_saw_her_confirmation_once(app: &TestApp, heads: &[TestUser]) {
    for head in heads {
        let confirmed = app
            .api
            .sent_to(head.id)
            .iter()
            .filter(|m| !m.deleted && text(m).contains("Đã gửi báo cáo"))
            .count();
        assert_eq!(confirmed, 1, "head {}", head.id);
    }
}

/// Calls of the methods that reach a chat (sent, edited, deleted, "typing…") naming `chat_id`.
fn calls_naming(api: &LocalBotApi, chat_id: i64) -> usize {
    [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "deleteMessage",
        "sendDocument",
        "sendPhoto",
        "sendChatAction",
    ]
    .iter()
    .flat_map(|m| api.calls(m))
    .filter(|p| p["chat_id"] == json!(chat_id) || p["chat_id"] == json!(chat_id.to_string()))
    .count()
}

async fn random_platform_faults_while_heads_file_lose_and_double_nothing(backend: Backend) {
    let app = TestApp::spawn_paced(backend, true).await;
    // 429 pauses and 5xx backoffs are measured on the bot's clock: it must move.
    let _clock = app.run_clock();

    // Everyone joins before the faults start: joining is tested elsewhere.
    let branches: Vec<(String,)> = sqlx::query_as(
        "SELECT code FROM units WHERE level = 'branch' AND code <> $1 ORDER BY code LIMIT $2",
    )
    .bind(BRANCH)
    .bind(HEADS as i64)
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    assert_eq!(branches.len(), HEADS);
    let mut heads: Vec<TestUser> = Vec::new();
    for (i, (code,)) in branches.iter().enumerate() {
        let name = format!("Nguyễn Thị {i}");
        let head = app
            .joined(7_000 + i as i64, &name, code, Role::BranchHead)
            .await;
        heads.push(head.user.clone());
    }
    let officer = app
        .joined(7_100, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await
        .user
        .clone();
    let gone = app
        .joined(7_101, "Phạm Thị Mai", BRANCH, Role::BranchHead)
        .await
        .user
        .clone();
    let officer_had = app.api.sent_to(officer.id).len();

    app.api.set_rate_limits(Some(RateLimits::default()));
    app.api.set_chaos(Some(chaos()));

    // She has blocked the bot, and the update saying so never came; she had just typed
    // /baocao. (Blocked first, then the text, only to take the race out of the test.)
    let gone_calls_before = calls_naming(&app.api, gone.id);
    app.api.fail_chat(
        gone.id,
        Some(Failure::Forbidden(
            "Forbidden: bot was blocked by the user".into(),
        )),
    );
    app.api.push_text(&gone, "/baocao");

    let started = std::time::Instant::now();
    let failures = all_file_reports(&app, &heads).await;
    let stats = app.api.stats();
    assert!(failures.is_empty(), "{failures:#?}\n{stats:#?}");
    let filed_in = started.elapsed();

    // Settled: nothing pending any more (a 502's backoff may still be running).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app
        .count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .await
        > 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "outbox rows still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = app.api.stats();
    eprintln!("{backend:?}: filed in {filed_in:?}, faults: {stats:#?}");

    // The faults did happen.
    assert!(stats.injected.too_many_requests >= 2, "{stats:#?}");
    assert!(stats.injected.server_errors >= 2, "{stats:#?}");
    assert!(stats.injected.slow >= 20, "{stats:#?}");
    // Within the limits: every 429 was injected, none earned.
    assert_eq!(stats.over_limits, 0, "{stats:#?}");

    // Nothing lost, nothing twice: one report per branch, first revision; each head saw her
    // confirmation once, in one message.
    let per_unit: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT u.code, COUNT(*), MAX(r.revision) FROM reports r JOIN units u ON u.id = r.unit_id \
         GROUP BY u.code ORDER BY u.code",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    let codes: Vec<&str> = per_unit.iter().map(|(c, _, _)| c.as_str()).collect();
    let expected: Vec<&str> = branches.iter().map(|(c,)| c.as_str()).collect();
    assert_eq!(codes, expected, "{per_unit:?}");
    // One row per branch and month is the table's own constraint; a report stored twice
    // shows as a second revision.
    assert!(per_unit.iter().all(|&(_, _, rev)| rev == 1), "{per_unit:?}");
    each_saw_her_confirmation_once(&app, &heads);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_drafts").await,
        0,
        "a dialog was left half-way"
    );

    // Every message to the others went out; none was dead-lettered.
    let others: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT status, kind, attempts FROM outbox WHERE chat_id <> $1 AND status <> 'sent'",
    )
    .bind(gone.id.to_string())
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    assert!(others.is_empty(), "{others:?}");

    // The blocked head: one call answered 403, then nothing; marked unreachable, her reply
    // dropped, and her officer told once.
    assert_eq!(stats.injected.forbidden, 1, "{stats:#?}");
    assert_eq!(calls_naming(&app.api, gone.id) - gone_calls_before, 1);
    let theirs: Vec<(String,)> =
        sqlx::query_as("SELECT status FROM outbox WHERE chat_id = $1 AND status <> 'sent'")
            .bind(gone.id.to_string())
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert_eq!(theirs, [("unreachable".to_owned(),)]);
    let reachable: Vec<(String, i64)> =
        sqlx::query_as("SELECT platform_user_id, reachable FROM users ORDER BY platform_user_id")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert!(
        reachable
            .iter()
            .all(|(id, ok)| (*ok == 0) == (*id == gone.id.to_string())),
        "{reachable:?}"
    );
    let told = app.api.sent_to(officer.id)[officer_had..].to_vec();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        text(&told[0]).contains("chưa nhận được tin của bot"),
        "{}",
        text(&told[0])
    );

    app.shutdown().await;
}

/// Faults on `getUpdates` itself, where the bot learns of every step: 429s, 5xx and late
/// answers while the heads file. A failed poll has taken nothing (Telegram keeps the updates
/// until a later call's offset confirms them), so the bot asks again: every head still sees her
/// report confirmed once, and every report is stored once.
async fn faults_on_getting_updates_lose_and_double_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _clock = app.run_clock();
    let branches: Vec<(String,)> =
        sqlx::query_as("SELECT code FROM units WHERE level = 'branch' ORDER BY code LIMIT $1")
            .bind(HEADS as i64 / 2)
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    let mut heads: Vec<TestUser> = Vec::new();
    for (i, (code,)) in branches.iter().enumerate() {
        let name = format!("Lê Thị {i}");
        let head = app
            .joined(7_200 + i as i64, &name, code, Role::BranchHead)
            .await;
        heads.push(head.user.clone());
    }
    app.api.set_chaos(Some(Chaos {
        seed: 5,
        too_many_requests: 0.15,
        retry_after: 1,
        server_error: 0.03,
        server_error_code: 502,
        slow: 0.3,
        slow_by: Duration::from_millis(400),
        methods: vec!["getUpdates".into()],
    }));
    let failures = all_file_reports(&app, &heads).await;
    let stats = app.api.stats();
    assert!(failures.is_empty(), "{failures:#?}\n{stats:#?}");
    eprintln!("{backend:?}: getUpdates faults: {:?}", stats.injected);
    assert!(stats.injected.too_many_requests >= 2, "{stats:#?}");
    assert!(stats.injected.server_errors >= 1, "{stats:#?}");
    let per_unit: Vec<(i64, i64)> =
        sqlx::query_as("SELECT COUNT(*), MAX(revision) FROM reports GROUP BY unit_id")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert_eq!(per_unit.len(), heads.len(), "{per_unit:?}");
    // One row per branch and month is the table's own constraint; a report stored twice
    // shows as a second revision.
    assert!(per_unit.iter().all(|&(_, rev)| rev == 1), "{per_unit:?}");
    each_saw_her_confirmation_once(&app, &heads);
    app.shutdown().await;
}

both_backends!(
    random_platform_faults_while_heads_file_lose_and_double_nothing,
    faults_on_getting_updates_lose_and_double_nothing,
);
