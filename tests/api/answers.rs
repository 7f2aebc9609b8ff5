//! Typed answers on Zalo mean what she was looking at (issue 17 §1): in a dialog a number
//! answers its step, whatever arrived meanwhile; a screen of decisions is one list naming each;
//! a typed decision about someone else is confirmed; a list older than a day is refused kindly.

use std::time::Duration;

use chihoi::domain::role::Role;
use chihoi_fakes::zalo::ZaloSent;

use crate::both_backends;
use crate::helpers::*;

/// Whether a Zalo message offers a numbered choice.
fn has_numbers(m: &ZaloSent) -> bool {
    zalo_text(m).lines().any(|l| {
        l.split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

const NUMBERS_HINT: &str = "(Chị gõ số thứ tự để chọn, ví dụ: 1)";

/// A Telegram member of `BRANCH` sends an urgent report described by `what`.
async fn urgent(mai: &mut chihoi_fakes::telegram::person::Person<'_>, what: &str) {
    mai.send("/khancap").await.unwrap();
    mai.tap("An ninh trật tự").await.unwrap();
    mai.tap("Phức tạp").await.unwrap();
    mai.send("4").await.unwrap();
    mai.send(what).await.unwrap();
    let r = mai.tap("🚨 Gửi ngay").await.unwrap();
    assert!(texts(&r).contains("Đã gửi"), "{}", texts(&r));
}

/// A Telegram stranger asks to join "Chi hội phụ nữ thôn Lạc Thành" (which has no head, so
/// the grassroots officers decide) or "…Đồng Thanh".
async fn ask_to_join(p: &mut chihoi_fakes::telegram::person::Person<'_>, branch: &str) {
    p.send("xin chào").await.unwrap();
    p.tap("🙋 Xin vào chi hội").await.unwrap();
    p.tap("Hội LHPN huyện Đông Hưng").await.unwrap();
    p.tap("Hội LHPN xã Đông Hợp").await.unwrap();
    p.tap(branch).await.unwrap();
    let sent = p.tap("Gửi yêu cầu").await.unwrap();
    assert!(texts(&sent).contains("Đã gửi yêu cầu"), "{}", texts(&sent));
}

async fn wait_for(app: &TestApp, chat: &str, count: usize) {
    app.zalo()
        .wait_for_messages(chat, count, Duration::from_secs(15))
        .await
        .unwrap();
}

async fn alert_statuses(app: &TestApp) -> Vec<String> {
    sqlx::query_as::<_, (String,)>("SELECT status FROM urgent_reports ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(s,)| s)
        .collect()
}

async fn join_statuses(app: &TestApp) -> Vec<String> {
    sqlx::query_as::<_, (String,)>("SELECT status FROM join_requests ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(s,)| s)
        .collect()
}

async fn draft(app: &TestApp) -> String {
    let (body,): (String,) = sqlx::query_as("SELECT body FROM report_drafts")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    body
}

async fn a_join_request_and_an_alert_mid_report_leave_her_numbers_to_the_report(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000101",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let r = hoa.send("/baocao").await.unwrap();
    let step = r.last().unwrap();
    assert_eq!(numbered(step, "Ổn định"), Some(1), "{}", zalo_text(step));
    assert!(
        zalo_text(step).ends_with(NUMBERS_HINT),
        "{}",
        zalo_text(step)
    );
    // A stranger asks to join a branch without a head (Hoa decides), then a member sends an
    // urgent report (Hoa is alerted): both reach her in the middle of her report.
    let seen = hoa.inbox().len();
    let mut thu = app.person(1101, "Đỗ Thị Thu");
    ask_to_join(&mut thu, "Chi hội phụ nữ thôn Lạc Thành").await;
    wait_for(&app, &hoa.chat_id(), seen + 1).await;
    let mut mai = app.joined(1102, "Phạm Thị Mai", BRANCH, Role::Member).await;
    urgent(&mut mai, "Tranh chấp đất ở xóm Đông").await;
    wait_for(&app, &hoa.chat_id(), seen + 2).await;
    let notices = hoa.unread();
    assert_eq!(notices.len(), 2, "{}", zalo_texts(&notices));
    // Neither offers numbers that would collide with her report's; each says where to act.
    assert!(
        notices.iter().all(|m| !has_numbers(m)),
        "{}",
        zalo_texts(&notices)
    );
    let t = zalo_texts(&notices);
    assert!(t.contains("Đỗ Thị Thu") && t.contains("/duyet"), "{t}");
    assert!(t.contains("KHẨN") && t.contains("/canhbao"), "{t}");
    // "1" and "3" answer the report: labour "Ổn định", (skip the note), living the third.
    let r = hoa.send("1").await.unwrap();
    assert!(zalo_texts(&r).contains("ghi chú"), "{}", zalo_texts(&r));
    hoa.send("1").await.unwrap();
    let r = hoa.send("3").await.unwrap();
    assert!(zalo_texts(&r).contains("Đời sống"), "{}", zalo_texts(&r));
    let body = draft(&app).await;
    assert!(
        body.contains(r#""labour":{"situation":"stable""#)
            && body.contains(r#""living":{"situation":"serious""#),
        "{body}"
    );
    // Even a list that reached her chat last (a notice sent at the very moment she opened
    // the report, say) does not take the step's place while the report is open.
    let (alert,): (i64,) = sqlx::query_as("SELECT id FROM urgent_reports")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut conn = app.store.acquire().await.unwrap();
    chihoi::storage::choices::remember(
        &mut conn,
        "zalo",
        &hoa.chat_id(),
        &chihoi::storage::choices::ShownChoices {
            items: vec![("👀 Đã nhận".into(), format!("a:{alert}:ack:open"))],
            lettered: false,
        },
        app.now().timestamp(),
    )
    .await
    .unwrap();
    drop(conn);
    let r = hoa.send("1").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Tâm tư, nguyện vọng"),
        "the note is skipped: {}",
        zalo_texts(&r)
    );
    // Nothing else changed.
    assert_eq!(alert_statuses(&app).await, ["open"]);
    assert_eq!(join_statuses(&app).await, ["pending"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE unit_id IS NOT NULL")
            .await,
        2,
        "Hoa and Mai only"
    );
    app.shutdown().await;
}

async fn canhbao_with_three_alerts_acts_on_the_one_named(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000102",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    // Another officer of the commune, on Telegram, gets the alerts too.
    let mut binh = app
        .joined(1106, "Lê Thị Bình", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(1103, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let seen = hoa.inbox().len();
    for (i, what) in ["Cháy rơm", "Xô xát ở chợ", "Mất trộm trâu"]
        .iter()
        .enumerate()
    {
        urgent(&mut mai, what).await;
        wait_for(&app, &hoa.chat_id(), seen + i + 1).await;
    }
    hoa.unread();
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM urgent_reports ORDER BY id")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    let middle = ids[1].0;
    // One message, one list naming each alert.
    let r = hoa.send("/canhbao").await.unwrap();
    assert_eq!(r.len(), 1, "{}", zalo_texts(&r));
    let list = &r[0];
    let t = zalo_text(list);
    assert!(t.contains("3 cảnh báo đang mở"), "{t}");
    assert!(t.ends_with(NUMBERS_HINT), "{t}");
    let label = format!("👀 Nhận vụ #{middle} — Chi hội phụ nữ thôn Đồng Thanh");
    let n = numbered(list, &label).unwrap_or_else(|| panic!("{label} in {t}"));
    assert_ne!(n, 3, "not simply the last one");
    // Typed: she is asked first, the alert named.
    let r = hoa.send(&n.to_string()).await.unwrap();
    let asked = zalo_texts(&r);
    assert!(asked.contains(&format!("vụ #{middle}")), "{asked}");
    assert_eq!(alert_statuses(&app).await, ["open", "open", "open"]);
    hoa.send("1").await.unwrap();
    assert_eq!(alert_statuses(&app).await, ["open", "acknowledged", "open"]);
    // A list made before another officer acted is recognised: she is told where the alert
    // stands before she confirms, and a move no longer forward changes nothing.
    let r = hoa.send("/canhbao").await.unwrap();
    let first = ids[0].0;
    let label = format!("👀 Nhận vụ #{first} — Chi hội phụ nữ thôn Đồng Thanh");
    let n = numbered(&r[0], &label).unwrap_or_else(|| panic!("{label}"));
    let on_telegram = binh
        .wait_for("Bình's alert", |m| text(m).contains("Cháy rơm"))
        .await
        .unwrap()
        .into_iter()
        .find(|m| text(m).contains("Cháy rơm"))
        .unwrap();
    let ack = on_telegram
        .button("👀 Đã nhận")
        .and_then(|b| b.callback_data.clone())
        .unwrap();
    binh.tap_data(on_telegram.message_id, &ack).await.unwrap();
    assert_eq!(
        alert_statuses(&app).await,
        ["acknowledged", "acknowledged", "open"]
    );
    let r = hoa.send(&n.to_string()).await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains(&format!("vụ #{first} vừa được cập nhật")), "{t}");
    let r = hoa.send("1").await.unwrap();
    assert!(
        zalo_texts(&r).contains("đã ở trạng thái"),
        "{}",
        zalo_texts(&r)
    );
    let (events,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM alert_events WHERE status = 'acknowledged'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(events, 2, "one acknowledgement each, none twice");
    app.shutdown().await;
}

async fn a_typed_decision_asks_for_confirmation(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut lan = app
        .zalo_joined(
            "0084900000000103",
            "Nguyễn Thị Lan",
            BRANCH,
            Role::BranchHead,
        )
        .await;
    let seen = lan.inbox().len();
    let mut thu = app.person(1104, "Đỗ Thị Thu");
    ask_to_join(&mut thu, "Chi hội phụ nữ thôn Đồng Thanh").await;
    wait_for(&app, &lan.chat_id(), seen + 1).await;
    let ask = lan.unread();
    let approve = numbered(&ask[0], "✅ Đồng ý").expect("the request's choices");
    assert!(zalo_text(&ask[0]).ends_with(NUMBERS_HINT));
    // Typed "approve": a question naming her, nothing decided yet.
    let r = lan.send(&approve.to_string()).await.unwrap();
    let t = zalo_texts(&r);
    assert!(
        t.contains("duyệt Đỗ Thị Thu vào Chi hội phụ nữ thôn Đồng Thanh"),
        "{t}"
    );
    assert_eq!(join_statuses(&app).await, ["pending"]);
    // "No": nothing changes.
    let no = numbered(r.last().unwrap(), "↩ Không, quay lại").unwrap();
    let r = lan.send(&no.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("chưa thay đổi gì"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(join_statuses(&app).await, ["pending"]);
    // The join list names her; approving from it, then "yes", decides.
    let r = lan.send("/duyet").await.unwrap();
    let label = "✅ Duyệt Đỗ Thị Thu — Chi hội phụ nữ thôn Đồng Thanh";
    let n = numbered(r.last().unwrap(), label).expect(label);
    lan.send(&n.to_string()).await.unwrap();
    assert_eq!(join_statuses(&app).await, ["pending"]);
    let r = lan.send("1").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Đã nhận Đỗ Thị Thu"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(join_statuses(&app).await, ["approved"]);
    // Wiping her draft with "start over" is asked too.
    lan.send("/baocao").await.unwrap();
    lan.send("1").await.unwrap();
    lan.send("/huy").await.unwrap();
    let r = lan.send("/baocao").await.unwrap();
    let restart = numbered(r.last().unwrap(), "🗑 Xóa nháp, làm lại").expect("start over");
    let r = lan.send(&restart.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Xóa bản nháp đã trả lời 1/5 phần"),
        "{}",
        zalo_texts(&r)
    );
    lan.send("2").await.unwrap();
    assert!(draft(&app).await.contains("stable"), "the draft is kept");
    app.shutdown().await;
}

async fn a_number_typed_at_a_list_older_than_a_day_is_refused_kindly(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000104",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let mut mai = app.joined(1105, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let seen = hoa.inbox().len();
    urgent(&mut mai, "Cháy rơm").await;
    wait_for(&app, &hoa.chat_id(), seen + 1).await;
    let alert = hoa.unread();
    let ack = numbered(&alert[0], "👀 Đã nhận").expect("the alert's choices");
    // 25 hours later she answers it.
    app.advance(chrono::Duration::hours(25));
    let r = hoa.send(&ack.to_string()).await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("đã cũ"), "{t}");
    // With the list as it is now.
    assert!(t.contains("1 cảnh báo đang mở"), "{t}");
    assert_eq!(alert_statuses(&app).await, ["open"]);
    // In a dialog too: the step is shown again, and the draft is untouched.
    hoa.send("/baocao").await.unwrap();
    app.advance(chrono::Duration::hours(25));
    let r = hoa.send("1").await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("đã cũ") && t.contains("Ổn định"), "{t}");
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    // The list just shown is fresh: "1" now answers it.
    hoa.send("1").await.unwrap();
    assert!(draft(&app).await.contains("stable"));
    app.shutdown().await;
}

both_backends!(
    a_join_request_and_an_alert_mid_report_leave_her_numbers_to_the_report,
    canhbao_with_three_alerts_acts_on_the_one_named,
    a_typed_decision_asks_for_confirmation,
    a_number_typed_at_a_list_older_than_a_day_is_refused_kindly,
);
