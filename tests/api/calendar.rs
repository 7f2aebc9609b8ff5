//! A simulated reporting month, with time injected: prompts, reminders, quiet hours, downtime,
//! overdue summaries, "remind them all", the lock — and the outbox under restarts and two
//! instances.

use chihoi::domain::role::Role;
use chihoi::scheduler::Scheduler;
use chihoi::storage::outbox;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

use crate::both_backends;
use crate::helpers::*;

fn hanoi(m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    let y = if m == 1 { 2027 } else { 2026 };
    Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn unit_name(code: &str) -> String {
    let csv = std::str::from_utf8(SAMPLE_ORG).unwrap();
    csv.lines()
        .find(|l| l.starts_with(&format!("{code},")))
        .and_then(|l| l.rsplit(',').next())
        .unwrap()
        .to_owned()
}

async fn a_simulated_month_chases_only_the_units_that_have_not_reported(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut lan = app
        .joined(601, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut hanh = app
        .joined(602, "Đỗ Thị Hạnh", OTHER_BRANCH, Role::BranchHead)
        .await;
    let mut hoa = app
        .joined(603, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut hang = app
        .joined(604, "Vũ Thị Hằng", DISTRICT, Role::DistrictAdmin)
        .await;

    app.set_now(hanoi(11, 19, 10, 0));
    assert_eq!(app.tick().await.reminders, 0, "nothing before the 20th");

    // The 20th, 08:00: the prompt reaches the three people who report, once.
    app.set_now(hanoi(11, 20, 8, 0));
    assert_eq!(app.tick().await.reminders, 3);
    assert_eq!(
        app.tick().await.reminders,
        0,
        "a second tick queues nothing"
    );
    assert_eq!(app.drain().await.sent, 3);
    let prompt = lan.unread();
    assert_eq!(prompt.len(), 1);
    assert_eq!(
        text(&prompt[0]),
        "📋 Kỳ báo cáo tháng 11/2026 của Chi hội phụ nữ thôn Đồng Thanh đã mở. Hạn nộp: 23:59 ngày 30/11/2026."
    );
    assert!(
        hang.unread().is_empty(),
        "district admins do not file the report"
    );
    assert_eq!((hanh.unread().len(), hoa.unread().len()), (1, 1));

    // The 22nd: one tap from the prompt opens the report; she submits.
    app.set_now(hanoi(11, 22, 9, 0));
    let opened = lan.tap("📋 Làm báo cáo").await.unwrap();
    assert!(texts(&opened).contains("Phần 1/5"), "{}", texts(&opened));
    answer_and_submit(&mut lan).await;

    // The 25th: reminders go to the two who have not reported — not to her.
    app.set_now(hanoi(11, 25, 8, 0));
    assert_eq!(app.tick().await.reminders, 2);
    app.drain().await;
    assert!(
        lan.unread().is_empty(),
        "a unit that reported gets no reminder"
    );
    let r = hanh.unread();
    assert!(
        text(&r[0]).starts_with(
            "⏰ Chị ơi, báo cáo tháng 11/2026 của Chi hội phụ nữ thôn Lạc Thành chưa gửi. Hạn nộp: 23:59 ngày 30/11/2026."
        )
    );
    hoa.unread();

    // Down from the 26th until 21:30 on the 29th: the reminder of the 29th goes out once, but
    // only after the quiet hours.
    app.set_now(hanoi(11, 29, 21, 30));
    assert_eq!(app.tick().await.reminders, 2);
    assert_eq!(app.tick().await.reminders, 0);
    assert_eq!(app.drain().await.sent, 0, "quiet hours");
    app.set_now(hanoi(11, 30, 7, 0));
    assert_eq!(app.tick().await.reminders, 0);
    assert_eq!(app.drain().await.sent, 2);
    let r = hanh.unread();
    assert_eq!(r.len(), 1, "{}", texts(&r));
    assert_eq!(hoa.unread().len(), 1);

    // The day after the deadline: one summary each to the officer and the district admin,
    // listing exactly the pending units.
    app.set_now(hanoi(12, 1, 8, 0));
    let tick = app.tick().await;
    assert_eq!((tick.overdue, tick.reminders, tick.digests), (2, 0, 2));
    let again = app.tick().await;
    assert_eq!((again.overdue, again.digests), (0, 0));
    app.drain().await;
    // Every branch gets the digest of the month, once: hers says she reported on time.
    let digest = lan.unread();
    assert_eq!(digest.len(), 1, "{}", texts(&digest));
    let d = text(&digest[0]);
    assert!(
        d.starts_with("📬 Bản tin tháng 11/2026 — Chi hội phụ nữ thôn Đồng Thanh"),
        "{d}"
    );
    assert!(d.contains("Chi hội đã gửi báo cáo lúc 09:"), "{d}");
    assert!(d.contains("(đúng hạn)"), "{d}");
    assert!(d.contains("Hội LHPN xã Đông Hợp: 1/5 đơn vị đã nộp"), "{d}");
    let digest = hanh.unread();
    assert!(
        text(&digest[0]).contains("Chi hội chưa gửi báo cáo tháng 11/2026."),
        "{}",
        texts(&digest)
    );
    let summary = hoa.unread();
    // The same morning her monthly synthesis comes too (issue 19 §1, tests/api/synthesis.rs).
    assert_eq!(summary.len(), 2, "{}", texts(&summary));
    assert!(
        summary
            .iter()
            .any(|m| text(m).starts_with("Đã hết hạn nộp báo cáo tháng 11/2026")),
        "{}",
        texts(&summary)
    );
    let s = summary
        .iter()
        .map(text)
        .find(|t| t.starts_with("⚠️"))
        .unwrap_or_default();
    assert!(
        s.starts_with("⚠️ Báo cáo tháng 11/2026 đã quá hạn, 4/5 đơn vị chưa nộp:"),
        "{s}"
    );
    for pending in [GRASSROOTS, OTHER_BRANCH, "TB-DH-DHOP-T3", "TB-DH-DHOP-T4"] {
        assert!(
            s.contains(&format!("• {}", unit_name(pending))),
            "{pending} missing: {s}"
        );
    }
    assert!(
        !s.contains(&unit_name(BRANCH)),
        "a unit that reported is listed: {s}"
    );
    assert!(
        hang.unread()
            .iter()
            .any(|m| text(m).contains("đơn vị chưa nộp"))
    );

    // "Remind them all now": the pending units' people get a reminder, once a day.
    let r = hoa.tap("🔔 Nhắc tất cả ngay").await.unwrap();
    assert!(
        texts(&r).contains(
            "Đã gửi nhắc nhở tới 2 người ở 4 đơn vị chưa nộp. 2 đơn vị chưa có ai dùng bot."
        ),
        "{}",
        texts(&r)
    );
    hoa.tap("🔔 Nhắc tất cả ngay").await.unwrap();
    assert_eq!(
        app.drain().await.sent,
        2,
        "the second tap the same day adds nothing"
    );
    let late = hanh.unread();
    assert!(
        late.iter().any(|m| text(m).contains("đã quá hạn")),
        "{}",
        texts(&late)
    );
    assert!(lan.unread().is_empty());

    // Repeated daily until done.
    app.set_now(hanoi(12, 2, 8, 0));
    assert_eq!(app.tick().await.overdue, 2);
    app.drain().await;
    assert!(text(&hoa.unread().last().unwrap().clone()).contains("4/5"));

    // The lock: ten days after the deadline nothing is chased and nothing can be edited.
    app.set_now(hanoi(12, 11, 0, 0));
    let t = app.tick().await;
    assert_eq!((t.overdue, t.reminders), (0, 0));
    let r = hanh.tap("📋 Làm báo cáo").await.unwrap();
    assert!(
        texts(&r).contains("Kỳ báo cáo tháng 11/2026 đã khóa"),
        "{}",
        texts(&r)
    );
    let r = lan.send("/baocao 2026-11").await.unwrap();
    assert!(texts(&r).contains("đã khóa"), "{}", texts(&r));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder' AND user_id = (SELECT id FROM users WHERE platform_user_id = '601')")
            .await,
        1,
        "she got the prompt and nothing else"
    );
    app.shutdown().await;
}

/// `n` branch heads spread over the sample's branches, added straight to the database.
async fn many_branch_heads(app: &TestApp, n: i64) {
    let branches: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM units WHERE level = 'branch' ORDER BY id")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    for i in 0..n {
        let unit = branches[(i as usize) % branches.len()].0;
        sqlx::query(
            "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
             VALUES ('telegram', $1, $1, $2, 'vi', $3, 'branch_head', 0)",
        )
        .bind(format!("{}", 70_000 + i))
        .bind(format!("Chị {i}"))
        .bind(unit)
        .execute(app.store.pool())
        .await
        .unwrap();
        // Each wrote to the bot once (a bot cannot start a conversation).
        app.api
            .know(&chihoi_fakes::telegram::TestUser::new(70_000 + i, "Chị"));
    }
}

async fn rows_a_crashed_instance_claimed_go_out_once_its_lease_ends(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    many_branch_heads(&app, 40).await;
    app.set_now(hanoi(11, 20, 8, 0));
    assert_eq!(app.tick().await.reminders, 40);
    let now = app.now().timestamp();
    // An instance claims everything, sends five, and dies.
    let mut conn = app.store.acquire().await.unwrap();
    let claim = outbox::Claim {
        owner: "crashed",
        platforms: &["telegram"],
        now,
        lease_until: now + 120,
    };
    let claimed = outbox::claim_due(&mut conn, &claim, false, 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 40);
    for row in &claimed[..5] {
        assert!(
            outbox::mark_sent(&mut conn, row.id, "crashed", now)
                .await
                .unwrap()
        );
    }
    drop(conn);
    // While its lease holds, nobody else touches those rows…
    assert_eq!(app.drain().await.sent, 0);
    // …and once it has run out, the rest go out exactly once.
    app.advance(Duration::seconds(121));
    assert_eq!(app.drain().await.sent, 35);
    assert_eq!(app.drain().await.sent, 0);
    let sent = app.api.sent();
    assert_eq!(sent.len(), 35);
    let mut chats: Vec<i64> = sent.iter().map(|m| m.chat_id).collect();
    chats.sort();
    chats.dedup();
    assert_eq!(chats.len(), 35, "no chat got two");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
            .await,
        40
    );
    app.shutdown().await;
}

async fn a_blocked_recipient_is_dropped_and_her_head_told_once(backend: Backend) {
    use chihoi_fakes::telegram::Failure;
    let app = TestApp::spawn_with(backend, false).await;
    let mut hanh = app
        .joined(613, "Đỗ Thị Hạnh", OTHER_BRANCH, Role::BranchHead)
        .await;
    app.set_now(hanoi(11, 20, 8, 0));
    assert_eq!(app.tick().await.reminders, 1);
    let mut lan = app
        .joined(611, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut hoa = app
        .joined(612, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;

    // Hạnh's prompt is refused with 403: she is unreachable, and the officer above is told.
    app.api.fail_next(
        "sendMessage",
        Failure::Forbidden("Forbidden: bot was blocked by the user".into()),
        1,
    );
    let report = app.drain().await;
    assert_eq!(
        (report.unreachable, report.sent),
        (1, 1),
        "one refused, then the notice about it: {report:?}"
    );
    assert_eq!(
        app.count("SELECT reachable FROM users WHERE platform_user_id = '613'")
            .await,
        0
    );
    let told = hoa.unread();
    assert_eq!(told.len(), 1, "{}", texts(&told));
    assert!(
        text(&told[0]).starts_with(
            "⚠️ Đỗ Thị Hạnh (Chi hội phụ nữ thôn Lạc Thành) chưa nhận được tin của bot"
        )
    );

    // Lan has a reminder queued, then blocks the bot (my_chat_member): it is dropped.
    app.set_now(hanoi(11, 25, 8, 0));
    assert_eq!(
        app.tick().await.reminders,
        2,
        "Lan and the officer; not Hạnh, who is unreachable"
    );
    app.api.push_blocked(&lan.user);
    lan.replies().await.unwrap();
    app.drain().await;
    assert!(lan.unread().is_empty());
    assert!(hanh.unread().is_empty());
    let told = hoa.unread();
    let about_lan: Vec<_> = told
        .iter()
        .filter(|m| text(m).contains("Nguyễn Thị Lan"))
        .collect();
    assert_eq!(about_lan.len(), 1, "{}", texts(&told));
    // Blocking again the same day does not tell anyone twice.
    app.api.push_blocked(&lan.user);
    lan.replies().await.unwrap();
    app.drain().await;
    assert!(
        hoa.unread()
            .iter()
            .all(|m| !text(m).contains("chưa nhận được tin của bot"))
    );
    app.shutdown().await;
}

async fn a_message_that_keeps_failing_is_dead_lettered(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, false).await;
    app.delivery.max_attempts = 2;
    app.restart_bot().await;
    let mut lan = app
        .joined(621, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    app.set_now(hanoi(11, 20, 8, 0));
    app.tick().await;
    app.api.fail_next(
        "sendMessage",
        chihoi_fakes::telegram::Failure::ServerError(500),
        2,
    );
    assert_eq!(app.drain().await.retried, 1);
    app.advance(Duration::seconds(5));
    assert_eq!(app.drain().await.dead, 1);
    app.advance(Duration::hours(2));
    assert_eq!(app.drain().await.claimed, 0);
    assert!(lan.unread().is_empty());
    let dead = outbox::dead_letters(&mut app.store.acquire().await.unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].kind, "reminder");
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("Internal Server Error")
    );
    app.shutdown().await;
}

async fn the_update_ledger_forgets_after_two_days(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut mai = app.joined(623, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/trogiup").await.unwrap();
    let kept = app.count("SELECT COUNT(*) FROM processed_updates").await;
    assert!(kept >= 2, "{kept}");
    app.advance(chrono::Duration::hours(47));
    assert_eq!(app.tick().await.forgotten_updates, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM processed_updates").await,
        kept
    );
    app.advance(chrono::Duration::hours(2));
    assert_eq!(app.tick().await.forgotten_updates as i64, kept);
    assert_eq!(app.count("SELECT COUNT(*) FROM processed_updates").await, 0);
    app.shutdown().await;
}

async fn remind_all_is_refused_for_a_month_to_come(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _hanh = app
        .joined(621, "Đỗ Thị Hạnh", OTHER_BRANCH, Role::BranchHead)
        .await;
    let mut hoa = app
        .joined(622, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let last = hoa.inbox().last().unwrap().message_id;
    // A forged "remind them all" for May 2027.
    app.api.push_callback(&hoa.user, last, "r:2027-05");
    hoa.replies().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'")
            .await,
        0
    );
    // This month's works: Hạnh's branch and Hoa's own union have not reported.
    app.api.push_callback(&hoa.user, last, "r:2026-11");
    hoa.replies().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder'")
            .await,
        2
    );
    app.shutdown().await;
}

/// With paid broadcasts allowed, the prompts go as Telegram's paid broadcasts on a budget of
/// their own (past the free 30 a second, never past the paid 1,000), and a reply to a person
/// is never paid for.
async fn bulk_goes_as_paid_broadcasts_when_allowed_and_replies_are_never_paid(backend: Backend) {
    use chihoi_fakes::telegram::RateLimits;
    const HEADS: i64 = 90;
    let mut app = TestApp::spawn_paced(backend, false).await;
    app.delivery.paid_broadcast_per_second = Some(300.0);
    app.restart_bot().await;
    app.api.set_rate_limits(Some(RateLimits::default()));
    many_branch_heads(&app, HEADS).await;
    app.set_now(hanoi(11, 20, 8, 0));
    assert_eq!(app.tick().await.reminders, HEADS as u64);
    let mut sent = 0;
    while sent < HEADS as usize {
        let drained = app.drain().await;
        assert!(drained.sent > 0, "{drained:?}");
        sent += drained.sent;
    }
    let stats = app.api.stats();
    assert_eq!(stats.paid_broadcasts, HEADS as u64, "{stats:#?}");
    // Faster than the free 30 a second could go, yet within the limits: they went as paid.
    assert_eq!(stats.over_limits, 0, "{stats:#?}");
    let prompts = app.api.calls("sendMessage");
    assert_eq!(prompts.len(), HEADS as usize);
    assert!(
        prompts
            .iter()
            .all(|p| p["allow_paid_broadcast"] == serde_json::json!(true)),
        "{prompts:?}"
    );

    // Someone writing gets her answer on the common budget, unpaid.
    let mut her = app.person(9_001, "Chị Hạnh");
    let answers = her.send("/start").await.unwrap();
    assert!(!answers.is_empty());
    let calls = app.api.calls("sendMessage");
    let to_her: Vec<_> = calls
        .iter()
        .filter(|p| p["chat_id"] == serde_json::json!(9_001))
        .collect();
    assert!(!to_her.is_empty());
    assert!(
        to_her
            .iter()
            .all(|p| p.get("allow_paid_broadcast").is_none()
                || p["allow_paid_broadcast"] == serde_json::json!(false)),
        "{to_her:?}"
    );
    assert_eq!(app.api.stats().paid_broadcasts, HEADS as u64);
    app.shutdown().await;
}

both_backends!(
    bulk_goes_as_paid_broadcasts_when_allowed_and_replies_are_never_paid,
    the_update_ledger_forgets_after_two_days,
    remind_all_is_refused_for_a_month_to_come,
    a_simulated_month_chases_only_the_units_that_have_not_reported,
    rows_a_crashed_instance_claimed_go_out_once_its_lease_ends,
    a_blocked_recipient_is_dropped_and_her_head_told_once,
    a_message_that_keeps_failing_is_dead_lettered,
);

/// Two `serve` instances on one PostgreSQL: ticks and couriers side by side, each message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_postgres_send_each_message_exactly_once() {
    let mut app = TestApp::spawn_with(Backend::Postgres, false).await;
    // At 100/s an instance keeps 20 sends in flight and claims 80 rows at a time (a fifth of a
    // second's worth, and four times that).
    app.delivery.per_second = 100.0;
    app.restart_bot().await;
    many_branch_heads(&app, 150).await;
    app.set_now(hanoi(11, 20, 8, 0));
    let (a, b) = (
        Scheduler::new(app.store.clone(), app.calendars()),
        Scheduler::new(app.store.clone(), app.calendars()),
    );
    let (ra, rb) = tokio::join!(a.tick(app.now()), b.tick(app.now()));
    assert_eq!(ra.unwrap().reminders + rb.unwrap().reminders, 150);
    let (one, two) = (app.telegram(), app.telegram());
    let (one, two) = (one.courier().clone(), two.courier().clone());
    let now = app.now();
    // The first instance claims a batch and is stuck sending it; the second drains meanwhile
    // and must take only the rest. Then both finish.
    app.api.hold("sendMessage");
    let first = tokio::spawn(async move { one.drain_all(now).await });
    app.api
        .wait_for_calls("sendMessage", 1, std::time::Duration::from_secs(15))
        .await
        .unwrap();
    let second = tokio::spawn(async move { two.drain_all(now).await });
    // More sends under way than one instance has in flight: the second one is sending too.
    app.api
        .wait_for_calls("sendMessage", 21, std::time::Duration::from_secs(15))
        .await
        .unwrap();
    app.api.release("sendMessage");
    let (r1, r2) = (
        first.await.unwrap().unwrap(),
        second.await.unwrap().unwrap(),
    );
    assert_eq!(r1.sent + r2.sent, 150, "{r1:?} {r2:?}");
    // A claim takes one batch (80), never the whole queue.
    assert!(r1.claimed < 150 && r2.claimed < 150, "{r1:?} {r2:?}");
    assert!(
        r1.sent > 0 && r2.sent > 0,
        "both instances worked: {r1:?} {r2:?}"
    );
    let sent = app.api.sent();
    assert_eq!(sent.len(), 150);
    let mut chats: Vec<i64> = sent.iter().map(|m| m.chat_id).collect();
    chats.sort();
    chats.dedup();
    assert_eq!(chats.len(), 150, "each chat exactly once");
    app.shutdown().await;
}
