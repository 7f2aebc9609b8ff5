//! "Như tháng trước" (issue 18 §5): a month like the last is filed in at most four taps or
//! typed answers, from last month's report shown on one screen. What is stored is an ordinary
//! report of this month, with last month's answers exactly and never its incidents.

use chihoi::domain::period::Period;
use chihoi::domain::report::{
    Incident, IncidentField, MonthlyReport, SectionAnswer, Severity, Situation,
};
use chihoi::domain::role::Role;
use chihoi::storage::org;
use chihoi::storage::reports::{self, StoredReport};
use chihoi_fakes::zalo::ZaloSent;
use chrono::TimeZone;

use crate::both_backends;
use crate::helpers::*;

const KEEP: &str = "✅ Giữ như tháng trước";
const SECTIONS: &str = "✏️ Trả lời từng phần";

fn month(m: u32) -> Period {
    Period::new(2026, m).unwrap()
}

fn hanoi(m: u32, d: u32, h: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// October as a branch head might have filed it: notes, a proposal and an incident.
fn october() -> MonthlyReport {
    MonthlyReport {
        labour: SectionAnswer {
            situation: Situation::Stable,
            note: Some("Lúa mùa được giá 🌾".into()),
        },
        living: SectionAnswer {
            situation: Situation::Concerns,
            note: None,
        },
        thoughts: SectionAnswer {
            situation: Situation::Stable,
            note: Some("Chị em tin tưởng vào chủ trương mới".into()),
        },
        incidents: vec![Incident {
            field: IncidentField::LandClearance,
            severity: Severity::Serious,
            people: 12,
            people_from: None,
            description: "Ba hộ chưa đồng ý mức đền bù".into(),
        }],
        proposals: Some("Đề nghị xã sửa đường liên thôn".into()),
    }
}

/// Stores `report` as the unit's report of `period`, by the first user who joined (a report
/// needs an author); a second call is a correction (the next revision).
async fn file(app: &TestApp, unit: &str, period: Period, report: &MonthlyReport) {
    let (author,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM users")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut conn = app.store.acquire().await.unwrap();
    let unit = org::unit_by_code(&mut conn, unit).await.unwrap().unwrap();
    let at = app.now().timestamp() - 86_400;
    reports::upsert_report(&mut conn, unit.id, period, author, report, at)
        .await
        .unwrap();
}

async fn stored(app: &TestApp, unit: &str, period: Period) -> Option<StoredReport> {
    let mut conn = app.store.acquire().await.unwrap();
    let unit = org::unit_by_code(&mut conn, unit).await.unwrap().unwrap();
    reports::load_report(&mut conn, unit.id, period)
        .await
        .unwrap()
}

async fn user_id(app: &TestApp, platform_user_id: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as(&format!(
        "SELECT id FROM users WHERE platform_user_id = '{platform_user_id}'"
    ))
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    id
}

/// The report of this month holds last month's answers exactly, and no incident.
fn assert_kept(now: &StoredReport, last: &MonthlyReport) {
    assert_eq!(
        now.report,
        MonthlyReport {
            incidents: Vec::new(),
            ..last.clone()
        }
    );
}

async fn a_month_like_the_last_is_filed_in_four_taps_from_the_reminder_without_its_incidents(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    file(&app, BRANCH, month(10), &october()).await;
    app.set_now(hanoi(11, 20, 8));
    app.tick().await;
    assert_eq!(app.drain().await.sent, 1);
    lan.unread();
    let taps = app.api.calls("answerCallbackQuery").len();
    let sends = app.api.calls("sendMessage").len();

    // 1. The reminder's button: last month on one screen.
    let screen = texts(&lan.tap("📋 Làm báo cáo").await.unwrap());
    assert!(
        screen.starts_with(
            "📋 Báo cáo tháng 11/2026 — Chi hội phụ nữ thôn Đồng Thanh. Hạn nộp: 23:59 ngày 30/11/2026.\n\nBáo cáo tháng 10/2026 đã gửi:"
        ),
        "{screen}"
    );
    for line in [
        "Báo cáo tháng 10/2026 đã gửi:",
        "▪ Tình hình lao động, sản xuất: Ổn định — Lúa mùa được giá 🌾\n",
        "▪ Đời sống văn hóa, tinh thần: Có khó khăn\n",
        "▪ Tâm tư, nguyện vọng: Phấn khởi, tin tưởng — Chị em tin tưởng vào chủ trương mới\n",
        "▪ Đề xuất, kiến nghị: Đề nghị xã sửa đường liên thôn\n",
        "▪ Vụ việc phát sinh, nổi cộm: không chép sang, bot sẽ hỏi lại",
        "Tháng 11/2026 vẫn như vậy thì chị chọn “Giữ như tháng trước”",
    ] {
        assert!(screen.contains(line), "{line:?} in {screen}");
    }
    assert!(!screen.contains("Ba hộ"), "no incident shown as kept");
    assert!(
        !screen.contains("ý kiến"),
        "no opinion this month: {screen}"
    );
    // 2. Keep: she is asked about this month's incidents.
    let asked = texts(&lan.tap(KEEP).await.unwrap());
    assert!(
        asked.contains("Đã giữ các phần như tháng 10/2026 (riêng vụ việc thì không chép).")
            && asked.contains("Trong tháng có vụ việc phát sinh, nổi cộm không?"),
        "{asked}"
    );
    // 3. None: the summary of this month.
    let summary = texts(&lan.tap("Không có").await.unwrap());
    assert!(
        summary.contains("📋 Báo cáo tháng 11/2026")
            && summary.contains("Lúa mùa được giá 🌾")
            && !summary.contains("Ba hộ"),
        "{summary}"
    );
    // 4. Submit.
    let done = texts(&lan.tap("✅ Gửi báo cáo").await.unwrap());
    assert!(done.contains("Đã gửi báo cáo tháng 11/2026"), "{done}");
    assert_eq!(app.api.calls("answerCallbackQuery").len() - taps, 4);
    assert_eq!(
        app.api.calls("sendMessage").len(),
        sends,
        "each step turned the tapped message into the next"
    );

    // An ordinary report of November: last month's answers, no incident, revision 1, hers.
    let november = stored(&app, BRANCH, month(11)).await.unwrap();
    assert_kept(&november, &october());
    assert_eq!(
        (november.revision, november.submitted_at, november.author_id),
        (1, app.now().timestamp(), user_id(&app, "101").await)
    );
    let last = stored(&app, BRANCH, month(10)).await.unwrap();
    assert_eq!(last.report, october(), "October keeps its incident");
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    // The calendar counts it: no reminder on the 25th.
    app.set_now(hanoi(11, 25, 8));
    assert_eq!(app.tick().await.reminders, 0);
    app.drain().await;
    assert!(lan.unread().is_empty());
    app.shutdown().await;
}

async fn keeping_then_naming_an_incident_stores_only_this_months(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    file(&app, BRANCH, month(10), &october()).await;
    // A member's opinion this month: the screen says so, as part 3 is skipped by keeping.
    let mut mai = app.joined(106, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/ykien").await.unwrap();
    mai.send("Đường làng ngập nước sau mưa").await.unwrap();
    mai.tap("Gửi ẩn danh").await.unwrap();
    let screen = texts(&lan.send("/baocao").await.unwrap());
    assert!(
        screen.contains("💬 Trong tháng 11/2026, chi hội nhận 1 ý kiến của hội viên; chị xem ở phần 3 khi chọn “Trả lời từng phần”.\n\nTháng 11/2026 vẫn như vậy"),
        "{screen}"
    );
    lan.tap(KEEP).await.unwrap();
    // She stops there and comes back: the draft holds the kept parts, not the incidents.
    lan.tap("💾 Lưu, làm tiếp sau").await.unwrap();
    let r = texts(&lan.send("/baocao").await.unwrap());
    assert!(r.contains("bản nháp đã trả lời 4/5 phần"), "{r}");
    let r = texts(&lan.tap("Tiếp tục bản nháp").await.unwrap());
    assert!(r.contains("Trong tháng có vụ việc phát sinh"), "{r}");
    lan.tap("Có").await.unwrap();
    lan.tap("An ninh trật tự").await.unwrap();
    lan.tap("Mức nhẹ").await.unwrap();
    lan.tap("1–5").await.unwrap();
    lan.send("Trộm gà ở xóm Đông").await.unwrap();
    let summary = texts(&lan.tap("Tiếp tục ➡").await.unwrap());
    assert!(
        summary.contains("Trộm gà ở xóm Đông") && !summary.contains("Ba hộ"),
        "{summary}"
    );
    lan.tap("✅ Gửi báo cáo").await.unwrap();
    let november = stored(&app, BRANCH, month(11)).await.unwrap();
    let incidents: Vec<_> = november
        .report
        .incidents
        .iter()
        .map(|i| i.description.as_str())
        .collect();
    assert_eq!(incidents, ["Trộm gà ở xóm Đông"]);
    assert_eq!(november.report.labour, october().labour);
    assert_eq!(november.report.proposals, october().proposals);
    app.shutdown().await;
}

async fn going_through_the_sections_instead_stores_this_months_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    file(&app, BRANCH, month(10), &october()).await;
    let screen = lan.send("/baocao").await.unwrap();
    let old = lan.last_with_buttons().unwrap();
    assert!(old.button(KEEP).is_some(), "{}", texts(&screen));
    let keep = old.button(KEEP).unwrap().callback_data.clone().unwrap();
    let r = lan.tap(SECTIONS).await.unwrap();
    assert!(texts(&r).contains("Phần 1/5"), "{}", texts(&r));
    answer_and_submit(&mut lan).await;
    let november = stored(&app, BRANCH, month(11)).await.unwrap();
    let answer = |situation| SectionAnswer {
        situation,
        note: None,
    };
    assert_eq!(
        november.report,
        MonthlyReport {
            labour: answer(Situation::Stable),
            living: answer(Situation::Stable),
            thoughts: answer(Situation::Stable),
            incidents: Vec::new(),
            proposals: None,
        }
    );

    // The old screen's "keep", tapped now, changes nothing.
    let r = lan.tap_data(old.message_id, &keep).await.unwrap();
    assert!(r.is_empty(), "{}", texts(&r));
    let notice = app.api.calls("answerCallbackQuery");
    assert!(
        notice.last().unwrap()["text"]
            .as_str()
            .unwrap()
            .contains("đã cũ"),
        "{:?}",
        notice.last()
    );
    assert_eq!(stored(&app, BRANCH, month(11)).await.unwrap(), november);
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    // Submitted: opening it again offers the correction, not last month.
    let r = lan.send("/baocao").await.unwrap();
    assert!(texts(&r).contains("đã gửi lúc"), "{}", texts(&r));
    assert!(lan.last_with_buttons().unwrap().button(KEEP).is_none());
    app.shutdown().await;
}

async fn without_last_months_report_of_her_own_unit_the_report_opens_at_part_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    // Two months ago, and another branch's October: neither is hers to keep.
    file(&app, BRANCH, month(9), &october()).await;
    file(&app, OTHER_BRANCH, month(10), &october()).await;
    let r = lan.send("/baocao").await.unwrap();
    let t = texts(&r);
    assert!(t.contains("Phần 1/5") && !t.contains("Lúa mùa"), "{t}");
    assert!(lan.last_with_buttons().unwrap().button(KEEP).is_none());
    answer_and_submit(&mut lan).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 3);
    app.shutdown().await;
}

async fn a_keep_from_an_old_screen_or_over_a_report_begun_meanwhile_copies_nothing(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut thu = app
        .joined(102, "Lê Thị Thu", BRANCH, Role::BranchHead)
        .await;
    file(&app, BRANCH, month(10), &october()).await;
    // A screen, then the same screen again: the first one's "keep" is stale.
    lan.send("/baocao").await.unwrap();
    let first = lan.last_with_buttons().unwrap();
    lan.send("/baocao").await.unwrap();
    let keep = first.button(KEEP).unwrap().callback_data.clone().unwrap();
    lan.tap_data(first.message_id, &keep).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);

    // The other head of the branch files November her own way meanwhile.
    thu.send("/baocao").await.unwrap();
    thu.tap(SECTIONS).await.unwrap();
    answer_and_submit(&mut thu).await;
    let hers = stored(&app, BRANCH, month(11)).await.unwrap();
    // Lan's screen is current for her, but November is no longer empty: nothing is copied.
    let r = texts(&lan.tap(KEEP).await.unwrap());
    assert!(
        r.contains("Báo cáo tháng 11/2026 đã được làm") && r.contains("đã gửi lúc"),
        "{r}"
    );
    assert_eq!(stored(&app, BRANCH, month(11)).await.unwrap(), hers);
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    app.shutdown().await;
}

async fn a_keep_of_last_month_as_it_was_before_a_correction_shows_the_corrected_one_first(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    file(&app, BRANCH, month(10), &october()).await;
    lan.send("/baocao").await.unwrap();
    // October is corrected (by her other head, say) while she looks at it.
    let mut corrected = october();
    corrected.labour = SectionAnswer {
        situation: Situation::Serious,
        note: Some("Mưa bão làm đổ lúa".into()),
    };
    file(&app, BRANCH, month(10), &corrected).await;
    let r = texts(&lan.tap(KEEP).await.unwrap());
    assert!(
        r.contains("Báo cáo tháng 10/2026 vừa được sửa") && r.contains("Mưa bão làm đổ lúa"),
        "{r}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    // Keeping what she now sees stores the corrected answers.
    lan.tap(KEEP).await.unwrap();
    lan.tap("Không có").await.unwrap();
    lan.tap("✅ Gửi báo cáo").await.unwrap();
    assert_kept(&stored(&app, BRANCH, month(11)).await.unwrap(), &corrected);
    app.shutdown().await;
}

/// The number before `label` in a Zalo list; it must be there.
fn number_of(m: &ZaloSent, label: &str) -> usize {
    numbered(m, label).unwrap_or_else(|| panic!("{label:?} in {}", zalo_text(m)))
}

async fn on_zalo_a_month_like_the_last_is_filed_with_four_typed_answers(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut lan = app
        .zalo_joined(
            "0084900000000201",
            "Nguyễn Thị Lan",
            BRANCH,
            Role::BranchHead,
        )
        .await;
    file(&app, BRANCH, month(10), &october()).await;
    let menu = lan.inbox().last().unwrap().clone();
    // 1. The menu's "report".
    let r = lan
        .send(&number_of(&menu, "📋 Báo cáo tháng").to_string())
        .await
        .unwrap();
    let screen = r.last().unwrap();
    assert!(
        zalo_text(screen).contains("▪ Tình hình lao động, sản xuất: Ổn định — Lúa mùa được giá 🌾"),
        "{}",
        zalo_texts(&r)
    );
    let keep = number_of(screen, KEEP).to_string();
    // A day later that screen is too old to answer from: nothing is copied, and the screen
    // comes again.
    app.advance(chrono::Duration::hours(25));
    let again = lan.send(&keep).await.unwrap();
    assert!(
        zalo_texts(&again).contains("đã cũ"),
        "{}",
        zalo_texts(&again)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    let screen = again.last().unwrap();
    // 2. Keep, 3. no incident, 4. submit.
    let r = lan
        .send(&number_of(screen, KEEP).to_string())
        .await
        .unwrap();
    let r = lan
        .send(&number_of(r.last().unwrap(), "Không có").to_string())
        .await
        .unwrap();
    let r = lan
        .send(&number_of(r.last().unwrap(), "✅ Gửi báo cáo").to_string())
        .await
        .unwrap();
    assert!(
        zalo_texts(&r).contains("Đã gửi báo cáo tháng 11/2026"),
        "{}",
        zalo_texts(&r)
    );
    let november = stored(&app, BRANCH, month(11)).await.unwrap();
    assert_kept(&november, &october());
    assert_eq!(november.revision, 1);
    assert_eq!(app.zalo().stats().rejected_with(400), 0);
    app.shutdown().await;
}

both_backends!(
    a_month_like_the_last_is_filed_in_four_taps_from_the_reminder_without_its_incidents,
    keeping_then_naming_an_incident_stores_only_this_months,
    going_through_the_sections_instead_stores_this_months_answers,
    without_last_months_report_of_her_own_unit_the_report_opens_at_part_one,
    a_keep_from_an_old_screen_or_over_a_report_begun_meanwhile_copies_nothing,
    a_keep_of_last_month_as_it_was_before_a_correction_shows_the_corrected_one_first,
    on_zalo_a_month_like_the_last_is_filed_with_four_typed_answers,
);
