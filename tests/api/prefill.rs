//! The grassroots union's own monthly report starts from its branches (issue 19 §2): the most
//! serious situation per section, the notes and proposals as lists with branch names, the
//! incidents with the branch's name; she submits it as is or goes through the parts. A copied
//! incident never raises a second alert.

use chihoi::domain::period::Period;
use chihoi::domain::report::{
    Incident, IncidentField, MonthlyReport, SectionAnswer, Severity, Situation,
};
use chihoi::domain::role::Role;
use chihoi::storage::org;
use chihoi::storage::reports::{self, StoredReport};
use chihoi_fakes::zalo::ZaloSent;

use crate::both_backends;
use crate::helpers::*;

const SUBMIT_AS_IS: &str = "✅ Gửi luôn";
const SECTIONS: &str = "✏️ Sửa từng phần";
const DONG_THANH: &str = "Chi hội phụ nữ thôn Đồng Thanh";
const LAC_THANH: &str = "Chi hội phụ nữ thôn Lạc Thành";

fn november() -> Period {
    Period::new(2026, 11).unwrap()
}

fn answer(situation: Situation, note: Option<&str>) -> SectionAnswer {
    SectionAnswer {
        situation,
        note: note.map(str::to_owned),
    }
}

/// Lạc Thành's November: worse on labour, a note on living, no incident, no proposal.
fn lac_thanh() -> MonthlyReport {
    MonthlyReport {
        labour: answer(Situation::Serious, Some("Ba hộ thiếu việc làm")),
        living: answer(Situation::Concerns, Some("Nhà văn hóa xuống cấp")),
        thoughts: answer(Situation::Stable, None),
        incidents: Vec::new(),
        proposals: None,
    }
}

/// Đồng Thanh's very serious incident, as copied into the grassroots report.
fn copied_incident() -> Incident {
    Incident {
        field: IncidentField::SecurityOrder,
        severity: Severity::Critical,
        people: 5,
        people_from: Some(1),
        description: format!("{DONG_THANH}: Xô xát ở chợ"),
    }
}

/// What the bot fills in from both branches.
fn prefilled() -> MonthlyReport {
    MonthlyReport {
        labour: answer(
            Situation::Serious,
            Some(&format!(
                "• {LAC_THANH}: Ba hộ thiếu việc làm\n• {DONG_THANH}: Lúa mất mùa do mưa"
            )),
        ),
        living: answer(
            Situation::Concerns,
            Some(&format!("• {LAC_THANH}: Nhà văn hóa xuống cấp")),
        ),
        thoughts: answer(Situation::Stable, None),
        incidents: vec![copied_incident()],
        proposals: Some(format!("• {DONG_THANH}: Đề nghị hỗ trợ giống lúa")),
    }
}

/// Stores `report` as the unit's November report (by the first user who joined).
async fn file(app: &TestApp, unit: &str, report: &MonthlyReport) {
    let (author,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM users")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let mut conn = app.store.acquire().await.unwrap();
    let unit = org::unit_by_code(&mut conn, unit).await.unwrap().unwrap();
    reports::upsert_report(
        &mut conn,
        unit.id,
        november(),
        author,
        report,
        app.now().timestamp(),
    )
    .await
    .unwrap();
}

async fn stored(app: &TestApp, unit: &str) -> Option<StoredReport> {
    let mut conn = app.store.acquire().await.unwrap();
    let unit = org::unit_by_code(&mut conn, unit).await.unwrap().unwrap();
    reports::load_report(&mut conn, unit.id, november())
        .await
        .unwrap()
}

async fn alerts(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM urgent_reports").await
}

/// Đồng Thanh's head files November in the bot: labour with a note, a very serious incident
/// (its alert goes out) and a proposal.
async fn dong_thanh_reports(app: &TestApp) {
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    lan.tap("Có khó khăn").await.unwrap();
    lan.send("Lúa mất mùa do mưa").await.unwrap();
    for label in [
        "Ổn định",
        "Bỏ qua",
        "Phấn khởi, tin tưởng",
        "Bỏ qua",
        "Có",
        "An ninh trật tự",
        "Rất phức tạp",
        "1–5",
    ] {
        lan.tap(label).await.unwrap();
    }
    lan.send("Xô xát ở chợ").await.unwrap();
    lan.tap("Tiếp tục ➡").await.unwrap();
    lan.send("Đề nghị hỗ trợ giống lúa").await.unwrap();
    let done = texts(&lan.tap("✅ Gửi báo cáo").await.unwrap());
    assert!(done.contains("Đã gửi báo cáo tháng 11/2026"), "{done}");
}

async fn the_grassroots_report_starts_from_her_branches_and_keeps_her_edit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut hoa = app
        .joined(201, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    dong_thanh_reports(&app).await;
    file(&app, OTHER_BRANCH, &lac_thanh()).await;
    assert_eq!(
        alerts(&app).await,
        1,
        "the branch's incident raised its alert"
    );

    let screen = texts(&hoa.send("/baocao").await.unwrap());
    for part in [
        "🧩 Bot đã điền sẵn từ báo cáo của 2/4 chi hội:",
        &format!(
            "▪ Tình hình lao động, sản xuất: Rất khó khăn\n• {LAC_THANH}: Ba hộ thiếu việc làm\n• {DONG_THANH}: Lúa mất mùa do mưa\n"
        ),
        &format!(
            "▪ Đời sống văn hóa, tinh thần: Có khó khăn\n• {LAC_THANH}: Nhà văn hóa xuống cấp\n"
        ),
        "▪ Tâm tư, nguyện vọng: Phấn khởi, tin tưởng\n",
        &format!(
            "▪ Vụ việc phát sinh, nổi cộm: 1 vụ, chép từ báo cáo chi hội\nVụ 1: An ninh trật tự — Rất phức tạp, từ 1 đến 5 người: {DONG_THANH}: Xô xát ở chợ\n"
        ),
        &format!("▪ Đề xuất, kiến nghị:\n• {DONG_THANH}: Đề nghị hỗ trợ giống lúa\n"),
        "Nếu đã đúng tình hình tháng 11/2026, chị chọn “Gửi luôn”.",
    ] {
        assert!(screen.contains(part), "{part:?} in {screen}");
    }
    assert!(!screen.contains("Gồm 5 phần"), "{screen}");
    // The draft is saved as shown: what "submit as is" would store.
    let draft = {
        let mut conn = app.store.acquire().await.unwrap();
        let unit = org::unit_by_code(&mut conn, GRASSROOTS)
            .await
            .unwrap()
            .unwrap();
        reports::load_draft(&mut conn, unit.id, november())
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(draft.complete(), Some(prefilled()));

    let old = hoa.last_with_buttons().unwrap();
    let submit_as_is = old
        .button(SUBMIT_AS_IS)
        .unwrap()
        .callback_data
        .clone()
        .unwrap();
    // She goes through the parts: a note of her own on labour, the rest kept.
    let r = texts(&hoa.tap(SECTIONS).await.unwrap());
    assert!(
        r.contains("Phần 1/5") && r.contains("(Đang chọn: Rất khó khăn)"),
        "{r}"
    );
    hoa.tap("Rất khó khăn").await.unwrap();
    hoa.send("Xã đã hỗ trợ 20 hộ vay vốn").await.unwrap();
    for label in [
        "Có khó khăn",
        "Giữ nguyên",
        "Phấn khởi, tin tưởng",
        "Bỏ qua",
        "Tiếp tục ➡",
        "Giữ nguyên",
    ] {
        hoa.tap(label).await.unwrap();
    }
    let done = texts(&hoa.tap("✅ Gửi báo cáo").await.unwrap());
    assert!(done.contains("Đã gửi báo cáo tháng 11/2026"), "{done}");
    assert!(!done.contains("khẩn"), "{done}");
    let mine = stored(&app, GRASSROOTS).await.unwrap();
    assert_eq!(
        mine.report,
        MonthlyReport {
            labour: answer(Situation::Serious, Some("Xã đã hỗ trợ 20 hộ vay vốn")),
            ..prefilled()
        }
    );
    assert_eq!(
        alerts(&app).await,
        1,
        "no second alert for the copied incident"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    // The prefilled screen's "submit as is", tapped now, changes nothing.
    let r = hoa.tap_data(old.message_id, &submit_as_is).await.unwrap();
    assert!(r.is_empty(), "{}", texts(&r));
    assert!(last_notice(&app).contains("đã cũ"), "{}", last_notice(&app));
    assert_eq!(stored(&app, GRASSROOTS).await.unwrap(), mine);

    // Corrected and submitted again: still no second alert.
    hoa.send("/baocao").await.unwrap();
    hoa.tap("✏️ Sửa báo cáo").await.unwrap();
    let done = texts(&hoa.tap("✅ Gửi báo cáo").await.unwrap());
    assert!(done.contains("(lần 2)"), "{done}");
    assert_eq!(stored(&app, GRASSROOTS).await.unwrap().report, mine.report);
    assert_eq!(alerts(&app).await, 1);
    app.shutdown().await;
}

async fn with_no_branch_report_yet_it_starts_empty_and_says_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut hoa = app
        .joined(201, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    // Another grassroots union's branch reported: not hers.
    file(&app, "TB-TP-LHP-T1", &lac_thanh()).await;
    let r = texts(&hoa.send("/baocao").await.unwrap());
    assert!(
        r.contains("Chưa chi hội nào gửi báo cáo tháng 11/2026 (0/4), nên báo cáo bắt đầu trống.")
            && r.contains("Phần 1/5")
            && !r.contains("Ba hộ"),
        "{r}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM report_drafts").await, 0);
    answer_and_submit(&mut hoa).await;
    assert_eq!(
        stored(&app, GRASSROOTS).await.unwrap().report,
        MonthlyReport {
            labour: answer(Situation::Stable, None),
            living: answer(Situation::Stable, None),
            thoughts: answer(Situation::Stable, None),
            incidents: Vec::new(),
            proposals: None,
        }
    );
    // A branch head's report is never prefilled.
    let mut lan = app
        .joined(101, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let r = texts(&lan.send("/baocao").await.unwrap());
    assert!(r.contains("Phần 1/5") && !r.contains("chi hội nào"), "{r}");
    app.shutdown().await;
}

/// The number before `label` in a Zalo list; it must be there.
fn number_of(m: &ZaloSent, label: &str) -> String {
    numbered(m, label)
        .unwrap_or_else(|| panic!("{label:?} in {}", zalo_text(m)))
        .to_string()
}

async fn on_zalo_the_prefilled_report_is_submitted_as_is_with_typed_numbers(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000301",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let mut dong_thanh = prefilled();
    dong_thanh.labour = answer(Situation::Concerns, Some("Lúa mất mùa do mưa"));
    dong_thanh.living = answer(Situation::Stable, None);
    dong_thanh.incidents = vec![Incident {
        description: "Xô xát ở chợ".into(),
        ..copied_incident()
    }];
    dong_thanh.proposals = Some("Đề nghị hỗ trợ giống lúa".into());
    file(&app, BRANCH, &dong_thanh).await;
    file(&app, OTHER_BRANCH, &lac_thanh()).await;
    let menu = hoa.inbox().last().unwrap().clone();
    let r = hoa
        .send(&number_of(&menu, "📋 Báo cáo tháng"))
        .await
        .unwrap();
    let screen = r.last().unwrap();
    assert!(
        zalo_text(screen).contains("🧩 Bot đã điền sẵn từ báo cáo của 2/4 chi hội:"),
        "{}",
        zalo_texts(&r)
    );
    let r = hoa.send(&number_of(screen, SUBMIT_AS_IS)).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Đã gửi báo cáo tháng 11/2026"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(stored(&app, GRASSROOTS).await.unwrap().report, prefilled());
    assert_eq!(alerts(&app).await, 0, "a copied incident raises no alert");
    assert_eq!(app.zalo().stats().rejected_with(400), 0);
    app.shutdown().await;
}

both_backends!(
    the_grassroots_report_starts_from_her_branches_and_keeps_her_edit,
    with_no_branch_report_yet_it_starts_empty_and_says_so,
    on_zalo_the_prefilled_report_is_submitted_as_is_with_typed_numbers,
);
