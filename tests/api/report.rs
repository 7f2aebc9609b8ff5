//! The monthly report, end to end through the Telegram channel, on both backends.

use chihoi::app;
use chihoi::domain::period::Period;
use chihoi::domain::role::Role;
use chihoi::export::{self, ExportFormat};
use chihoi::i18n::Lang;
use chrono::TimeZone;

use crate::both_backends;
use crate::helpers::*;

/// Answers the whole report with one incident and a proposal, landing on the summary.
async fn fill_report(lan: &mut chihoi_fakes::telegram::person::Person<'_>) {
    let intro = texts(&lan.send("/baocao").await.unwrap());
    assert!(
        intro.contains(
            "Báo cáo tháng 11/2026 — Chi hội phụ nữ thôn Đồng Thanh. Hạn nộp: 23:59 ngày 30/11/2026."
        ),
        "{intro}"
    );
    let note = texts(&lan.tap("Ổn định").await.unwrap());
    assert!(
        note.contains("Tình hình lao động, sản xuất: chị có ghi chú gì thêm không? Gõ ngắn gọn, hoặc chọn “Bỏ qua”."),
        "{note}"
    );
    lan.send("Lúa mùa được giá 🌾").await.unwrap();
    lan.tap("Có khó khăn").await.unwrap();
    lan.tap("Bỏ qua").await.unwrap();
    lan.tap("Có băn khoăn").await.unwrap();
    lan.tap("Bỏ qua").await.unwrap();
    lan.tap("Có").await.unwrap();
    lan.tap("Giải phóng mặt bằng").await.unwrap();
    lan.tap("Phức tạp").await.unwrap();
    lan.send("1.200").await.unwrap();
    lan.send("Ba hộ chưa đồng ý mức đền bù").await.unwrap();
    lan.tap("Tiếp tục ➡").await.unwrap();
    let summary = lan.send("Đề nghị xã đối thoại với các hộ").await.unwrap();
    let s = texts(&summary);
    assert!(s.contains("Báo cáo tháng 11/2026"), "{s}");
    assert!(s.contains("Lúa mùa được giá 🌾"), "{s}");
    assert!(
        s.contains("khoảng 1200 người: Ba hộ chưa đồng ý mức đền bù"),
        "{s}"
    );
}

async fn invite_join_report_with_incident_edit_submit_then_export_contains_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    fill_report(&mut lan).await;

    // A section with a note offers to keep it, and keeping it goes back to the summary.
    lan.tap("✏️ Lao động").await.unwrap();
    let r = lan.tap("Ổn định").await.unwrap();
    let t = texts(&r);
    assert!(
        t.contains("Gõ ghi chú mới nếu muốn thay; không thì chọn “Giữ nguyên” hoặc “Xóa ghi chú”.")
            && t.contains("Ghi chú hiện tại: Lúa mùa được giá 🌾"),
        "{t}"
    );
    let r = lan.tap("Giữ nguyên").await.unwrap();
    assert!(texts(&r).contains("Lúa mùa được giá 🌾"), "{}", texts(&r));

    // Edit one section from the summary, then submit.
    lan.tap("✏️ Tâm tư").await.unwrap();
    lan.tap("Phấn khởi, tin tưởng").await.unwrap();
    let back = lan
        .send("Chị em tin tưởng vào chủ trương mới")
        .await
        .unwrap();
    assert!(
        texts(&back).contains("Phấn khởi, tin tưởng"),
        "{}",
        texts(&back)
    );
    let done = lan.tap("✅ Gửi báo cáo").await.unwrap();
    assert!(
        texts(&done).contains("Đã gửi báo cáo tháng 11/2026 của Chi hội phụ nữ thôn Đồng Thanh (hạn nộp 23:59 ngày 30/11/2026)"),
        "{}",
        texts(&done)
    );

    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM incidents").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM report_drafts").await,
        0,
        "draft removed on submit"
    );

    // The export holds the report with every answer, under Vietnamese headers.
    let period = Period::new(2026, 11).unwrap();
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let table = export::reports_table(&app.store, period, Some(GRASSROOTS), Lang::Vi, tz)
        .await
        .unwrap();
    assert_eq!(table.rows.len(), 1);
    let row: std::collections::HashMap<_, _> = table
        .headers
        .iter()
        .cloned()
        .zip(table.rows[0].clone())
        .collect();
    assert_eq!(row["Mã đơn vị"], BRANCH);
    assert_eq!(
        row["Đơn vị"],
        "Hội LHPN tỉnh Thái Bình › Hội LHPN huyện Đông Hưng › Hội LHPN xã Đông Hợp › Chi hội phụ nữ thôn Đồng Thanh"
    );
    assert_eq!(row["Người gửi"], "Nguyễn Thị Lan");
    assert_eq!(row["Lao động, sản xuất"], "Ổn định");
    assert_eq!(row["Ghi chú lao động, sản xuất"], "Lúa mùa được giá 🌾");
    assert_eq!(row["Đời sống văn hóa, tinh thần"], "Có khó khăn");
    assert_eq!(row["Tâm tư, nguyện vọng"], "Phấn khởi, tin tưởng");
    assert_eq!(
        row["Ghi chú tâm tư, nguyện vọng"],
        "Chị em tin tưởng vào chủ trương mới"
    );
    assert_eq!(row["Số vụ việc"], "1");
    assert_eq!(
        row["Vụ việc phát sinh, nổi cộm"],
        "1. Giải phóng mặt bằng — Phức tạp, khoảng 1200 người: Ba hộ chưa đồng ý mức đền bù"
    );
    assert_eq!(row["Đề xuất, kiến nghị"], "Đề nghị xã đối thoại với các hộ");
    assert_eq!(row["Gửi lúc"], "2026-11-15 10:00");

    // Another district's export does not hold it.
    let other = export::reports_table(&app.store, period, Some("TB-TP"), Lang::Vi, tz)
        .await
        .unwrap();
    assert!(other.rows.is_empty());

    // The XLSX file opens and holds the same row.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    let config = chihoi::config::Config::from_lookup(|_| None).unwrap();
    let range = chihoi::domain::range::PeriodRange::Month(period);
    let sheet = chihoi::export::Sheet::Reports;
    let n = app::export_reports(
        &app.store,
        &config,
        range,
        None,
        ExportFormat::Xlsx,
        sheet,
        Lang::Vi,
        &path,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    use calamine::{Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let range = book.worksheet_range("Báo cáo tháng").unwrap();
    assert_eq!(range.height(), 2);
    assert_eq!(range.get_value((1, 0)).unwrap().to_string(), BRANCH);
    assert_eq!(
        range.get_value((1, 8)).unwrap().to_string(),
        "Lúa mùa được giá 🌾"
    );
    app.shutdown().await;
}

async fn submitted_report_can_be_corrected_until_the_period_locks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(102, "Lê Thị Thu", BRANCH, Role::BranchHead)
        .await;
    fill_report(&mut lan).await;
    lan.tap("✅ Gửi báo cáo").await.unwrap();

    // Later in the month: correct the proposals.
    app.set_now(chrono::Utc.with_ymd_and_hms(2026, 11, 29, 2, 0, 0).unwrap());
    let start = lan.send("/baocao").await.unwrap();
    assert!(
        texts(&start).contains("đã gửi lúc 10:00 ngày 15/11/2026 (lần 1)"),
        "{}",
        texts(&start)
    );
    lan.tap("✏️ Sửa báo cáo").await.unwrap();
    lan.tap("✏️ Đề xuất").await.unwrap();
    lan.send("Đề nghị hỗ trợ giống lúa mới").await.unwrap();
    let done = lan.tap("✅ Gửi báo cáo").await.unwrap();
    assert!(texts(&done).contains("(lần 2)"), "{}", texts(&done));
    let (proposals, revision): (String, i64) =
        sqlx::query_as("SELECT proposals, revision FROM reports")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(
        (proposals.as_str(), revision),
        ("Đề nghị hỗ trợ giống lúa mới", 2)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM incidents").await,
        1,
        "incidents replaced, not added"
    );

    // After the end of December (Hanoi time) November is locked.
    app.set_now(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 31, 17, 0, 0)
            .unwrap(),
    );
    let locked = lan.send("/baocao 2026-11").await.unwrap();
    assert!(texts(&locked).contains("đã khóa"), "{}", texts(&locked));
    // A month may be typed as the bot writes it, and a wrong one names the months she can use.
    let locked = lan.send("/baocao 11/2026").await.unwrap();
    assert!(
        texts(&locked).contains("Kỳ báo cáo tháng 11/2026 đã khóa"),
        "{}",
        texts(&locked)
    );
    let future = lan.send("/baocao 2/2027").await.unwrap();
    assert!(
        texts(&future).contains(
            "Tháng chưa đúng. Gõ /baocao để làm báo cáo tháng 01/2027; tháng trước còn mở thì gõ /baocao 12/2026."
        ),
        "{}",
        texts(&future)
    );
    let december = lan.send("/baocao 12/2026").await.unwrap();
    assert!(
        texts(&december)
            .contains("Báo cáo tháng 12/2026 — Chi hội phụ nữ thôn Đồng Thanh. Hạn nộp:"),
        "{}",
        texts(&december)
    );
    app.shutdown().await;
}

async fn members_and_people_without_a_role_cannot_file_the_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut stranger = app.person(103, "Hà");
    let r = stranger.send("/baocao").await.unwrap();
    assert!(
        texts(&r).contains("Đây là trợ lý tự động (bot) của Hội LHPN"),
        "{}",
        texts(&r)
    );
    let r = stranger.send("chào bot").await.unwrap();
    assert!(texts(&r).contains("mã mời"), "{}", texts(&r));

    let mut mai = app.joined(104, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let r = mai.send("/baocao").await.unwrap();
    assert!(
        texts(&r).contains("Chỉ chi hội trưởng và cán bộ Hội cơ sở"),
        "{}",
        texts(&r)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    app.shutdown().await;
}

async fn opinions_of_the_month_show_in_the_report_and_anonymous_ones_carry_no_name(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(105, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    // A member of a group (tổ) below the branch: her opinion goes to the branch.
    let mut mai = app
        .joined(106, "Phạm Thị Mai", "TB-DH-DHOP-T1-G1", Role::Member)
        .await;
    mai.send("/ykien").await.unwrap();
    mai.send("Đường làng ngập nước sau mưa").await.unwrap();
    let sent = mai.tap("Gửi ẩn danh").await.unwrap();
    assert!(
        texts(&sent).contains("Chi hội phụ nữ thôn Đồng Thanh"),
        "{}",
        texts(&sent)
    );
    let note = lan.unread();
    assert!(texts(&note).contains("ẩn danh"), "{}", texts(&note));
    assert!(
        !texts(&note).contains("Phạm Thị Mai"),
        "anonymous opinion leaked the name"
    );

    lan.send("/baocao").await.unwrap();
    lan.tap("Ổn định").await.unwrap();
    lan.tap("Bỏ qua").await.unwrap();
    lan.tap("Ổn định").await.unwrap();
    let thoughts = lan.tap("Bỏ qua").await.unwrap();
    let t = texts(&thoughts);
    assert!(t.contains("nhận 1 ý kiến"), "{t}");
    assert!(t.contains("Đường làng ngập nước sau mưa — ẩn danh"), "{t}");
    // The opinions come first, so that the question stays on screen below them.
    let (opinion, question) = (
        t.find("Đường làng ngập nước").unwrap(),
        t.find("Phần 3/5").unwrap(),
    );
    assert!(opinion < question, "{t}");
    app.shutdown().await;
}

/// A "nothing new" month, as most branches file it on deadline evening: from the reminder's
/// button to the thank-you, every step turns the tapped message into the next one. No new
/// message is sent (edits cost nothing of the bot's 30 messages a second) and the chat holds
/// the one message.
async fn a_nothing_new_report_from_the_reminder_sends_no_new_message(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    app.set_now(
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 20, 8, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    app.tick().await;
    assert_eq!(app.drain().await.sent, 1);
    let reminder = lan.unread();
    assert_eq!(reminder.len(), 1);
    let sends_before = app.api.calls("sendMessage").len();
    let chat_before = lan.inbox().len();

    let mut steps = vec![lan.tap("📋 Làm báo cáo").await.unwrap()];
    for level in ["Ổn định", "Ổn định", "Phấn khởi, tin tưởng"] {
        steps.push(lan.tap(level).await.unwrap());
        steps.push(lan.tap("Bỏ qua").await.unwrap());
    }
    steps.push(lan.tap("Không có").await.unwrap());
    steps.push(lan.tap("Không có đề xuất").await.unwrap());
    let done = lan.tap("✅ Gửi báo cáo").await.unwrap();
    assert!(
        texts(&done).contains("Đã gửi báo cáo tháng 11/2026"),
        "{}",
        texts(&done)
    );
    steps.push(done);

    // Each step was answered by changing the one message she tapped.
    for step in &steps {
        assert_eq!(step.len(), 1, "{}", texts(step));
        assert_eq!(step[0].message_id, reminder[0].message_id);
        assert!(step[0].edited);
    }
    assert_eq!(
        app.api.calls("sendMessage").len(),
        sends_before,
        "no new message"
    );
    assert_eq!(app.api.calls("editMessageText").len(), steps.len());
    assert_eq!(lan.inbox().len(), chat_before, "the chat grew by nothing");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reports").await,
        1,
        "the report is stored"
    );

    // Typed, a step is one new message (its intro folded in), not two.
    let r = lan.send("/baocao").await.unwrap();
    assert_eq!(r.len(), 1, "{}", texts(&r));

    // A message that can no longer be changed (here: gone) gets the step as a new message.
    let data = r[0].buttons[0][0].callback_data.clone().unwrap();
    let sends = app.api.calls("sendMessage").len();
    let next = lan.tap_data(987_654, &data).await.unwrap();
    assert_eq!(next.len(), 1, "{}", texts(&next));
    assert!(!next[0].edited);
    assert_eq!(app.api.calls("sendMessage").len(), sends + 1);
    app.shutdown().await;
}

both_backends!(
    a_nothing_new_report_from_the_reminder_sends_no_new_message,
    invite_join_report_with_incident_edit_submit_then_export_contains_it,
    submitted_report_can_be_corrected_until_the_period_locks,
    members_and_people_without_a_role_cannot_file_the_report,
    opinions_of_the_month_show_in_the_report_and_anonymous_ones_carry_no_name,
);
