//! Proposals get an answer (issue 18 §6, `/kiennghi`): a branch's kiến nghị from its monthly
//! report, or a member's opinion its head forwards, reaches the grassroots officers, who mark
//! it received, forward it up or answer it; the answer reaches that branch (and the member)
//! and no other, and shows in the branch's next report; an unanswered proposal climbs like an
//! overdue report and stops once answered; "Như tháng trước" never raises it twice.

use chihoi::domain::period::Period;
use chihoi::domain::report::{MonthlyReport, SectionAnswer, Situation};
use chihoi::domain::role::Role;
use chihoi::storage::{org, proposals, reports};
use chrono::TimeZone;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    an_answer_reaches_the_branch_that_raised_it_and_no_other_and_a_second_tap_answers_once,
    on_zalo_an_opinion_forwarded_by_its_head_is_answered_by_typed_numbers,
    an_officer_of_another_union_cannot_see_or_act_on_a_proposal,
    an_unanswered_proposal_climbs_after_fifteen_days_and_stops_once_answered,
    a_same_as_last_month_copy_does_not_raise_the_proposal_again,
    the_answer_shows_in_the_next_reports_proposals_step_on_zalo,
    progress_shows_open_proposals_per_unit_by_tap_and_on_zalo,
);

const ROAD: &str = "Đề nghị xã sửa đường liên thôn";
const REPLY: &str = "Xã sẽ sửa đường trong tháng 12.";
const LAN_BRANCH: &str = "Chi hội phụ nữ thôn Đồng Thanh";
/// The grassroots union of [`crate::authorization::FAR_BRANCH`].
const FAR_GRASSROOTS: &str = "TB-TP-LHP";

fn month(m: u32) -> Period {
    Period::new(2026, m).unwrap()
}

fn hanoi(m: u32, d: u32, h: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn report_with(proposal: &str) -> MonthlyReport {
    let stable = SectionAnswer {
        situation: Situation::Stable,
        note: None,
    };
    MonthlyReport {
        labour: stable.clone(),
        living: stable.clone(),
        thoughts: stable,
        incidents: Vec::new(),
        proposals: Some(proposal.into()),
    }
}

/// Stores `unit`'s report of `period` by `author` with `proposal`, as a submitted report does
/// (the report and its tracked proposal); returns the proposal's id.
async fn filed(app: &TestApp, unit: &str, period: Period, author: &str, proposal: &str) -> i64 {
    let author = user_id(app, author).await;
    let mut conn = app.store.acquire().await.unwrap();
    let unit = org::unit_by_code(&mut conn, unit).await.unwrap().unwrap();
    let report = report_with(proposal);
    let (report_id, _) = reports::upsert_report(
        &mut conn,
        unit.id,
        period,
        author,
        &report,
        app.now().timestamp(),
    )
    .await
    .unwrap();
    let submitted = chihoi::proposals::SubmittedReport {
        unit_id: unit.id,
        period,
        report_id,
        raised_by: author,
        proposals: report.proposals.as_deref(),
    };
    let (done, _) =
        chihoi::proposals::from_report(&mut conn, &app.calendars(), &submitted, app.now())
            .await
            .unwrap();
    match done {
        chihoi::proposals::FromReport::Raised(id) => id,
        other => panic!("not raised: {other:?}"),
    }
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

async fn load(app: &TestApp, id: i64) -> proposals::Proposal {
    let mut conn = app.store.acquire().await.unwrap();
    proposals::load(&mut conn, id).await.unwrap().unwrap()
}

async fn an_answer_reaches_the_branch_that_raised_it_and_no_other_and_a_second_tap_answers_once(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .joined(801, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(802, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut mai = app.joined(803, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let mut thu = app
        .zalo_joined(
            "0084900000000801",
            "Lê Thị Thu",
            OTHER_BRANCH,
            Role::BranchHead,
        )
        .await;
    // Lan files her report with a proposal, in the dialog.
    lan.send("/baocao").await.unwrap();
    for label in [
        "Ổn định",
        "Bỏ qua",
        "Ổn định",
        "Bỏ qua",
        "Phấn khởi, tin tưởng",
        "Bỏ qua",
        "Không có",
    ] {
        lan.tap(label).await.unwrap();
    }
    lan.send(ROAD).await.unwrap();
    lan.tap("✅ Gửi báo cáo").await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM proposals").await, 1);
    let id = app.count("SELECT MAX(id) FROM proposals").await;
    app.drain().await;
    // The officer is told; nobody else.
    let told = texts(&hoa.unread());
    assert!(told.contains(&format!("📨 Kiến nghị {id} của")), "{told}");
    assert!(told.contains(ROAD), "{told}");
    assert!(lan.unread().is_empty());
    assert!(thu.unread().is_empty());
    // Her list, the proposal, "received".
    let list = texts(&hoa.send("/kiennghi").await.unwrap());
    assert!(
        list.contains("📨 Kiến nghị đang chờ — Hội LHPN xã Đông Hợp: 1"),
        "{list}"
    );
    assert!(list.contains(&format!("“{ROAD}”")), "{list}");
    let item = texts(
        &hoa.tap(&format!("📨 Kiến nghị {id} · {LAN_BRANCH}"))
            .await
            .unwrap(),
    );
    assert!(item.contains("Tình trạng: mới"), "{item}");
    let received = hoa.last_with_buttons().unwrap();
    let ack = received
        .button("👀 Đã tiếp nhận")
        .and_then(|b| b.callback_data.clone())
        .unwrap();
    hoa.tap("👀 Đã tiếp nhận").await.unwrap();
    assert_eq!(
        last_notice(&app),
        format!("Đã ghi nhận: Hội đã tiếp nhận kiến nghị {id}.")
    );
    // The same button again: stale, nothing moves.
    hoa.tap_data(received.message_id, &ack).await.unwrap();
    assert_eq!(
        last_notice(&app),
        "Lựa chọn này đã cũ. Chị chọn trong tin nhắn mới nhất nhé."
    );
    assert_eq!(load(&app, id).await.status.as_str(), "received");
    // The answer.
    let before_answer = hoa.last_with_buttons().unwrap();
    let answer_data = before_answer
        .button("✍️ Trả lời")
        .and_then(|b| b.callback_data.clone())
        .unwrap();
    hoa.tap("✍️ Trả lời").await.unwrap();
    let done = texts(&hoa.send(REPLY).await.unwrap());
    assert!(
        done.contains(&format!(
            "✅ Đã gửi câu trả lời kiến nghị {id} tới {LAN_BRANCH}."
        )),
        "{done}"
    );
    // A second tap on "Answer", and a second reply typed: answered once.
    hoa.tap_data(before_answer.message_id, &answer_data)
        .await
        .unwrap();
    hoa.send("Trả lời lần hai").await.unwrap();
    let p = load(&app, id).await;
    assert_eq!(
        (p.status.as_str(), p.reply.as_deref()),
        ("answered", Some(REPLY))
    );
    app.drain().await;
    // It reaches Lan's branch, and no other branch nor the member (not her opinion).
    let got = lan.unread();
    assert_eq!(got.len(), 1, "{}", texts(&got));
    assert_eq!(
        text(&got[0]),
        format!(
            "💬 Kiến nghị của chi hội đã được Hội LHPN xã Đông Hợp trả lời.\nKiến nghị: “{ROAD}”\nTrả lời: {REPLY}"
        )
    );
    assert!(thu.unread().is_empty());
    assert!(mai.unread().is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'proposal-answer:%'")
            .await,
        1
    );
    // Her list is empty now.
    let list = texts(&hoa.send("/kiennghi").await.unwrap());
    assert!(
        list.contains("Không có kiến nghị nào đang chờ trả lời."),
        "{list}"
    );
    app.shutdown().await;
}

async fn on_zalo_an_opinion_forwarded_by_its_head_is_answered_by_typed_numbers(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000811",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let mut lan = app
        .joined(812, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut mai = app.joined(813, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let mut ngoc = app.joined(814, "Đỗ Thị Ngọc", BRANCH, Role::Member).await;
    mai.send("/ykien").await.unwrap();
    mai.send("Xin mở lớp dạy nghề may").await.unwrap();
    mai.tap("Gửi kèm tên").await.unwrap();
    app.drain().await;
    lan.unread();
    // Lan forwards it (once: the choice is gone afterwards).
    let home = texts(&lan.send("/kiennghi").await.unwrap());
    assert!(
        home.contains("1) Phạm Thị Mai: “Xin mở lớp dạy nghề may”"),
        "{home}"
    );
    let forwarded = texts(&lan.tap("⬆ Chuyển ý kiến 1").await.unwrap());
    assert!(
        forwarded.contains("⬆ Đã chuyển ý kiến lên Hội cơ sở"),
        "{forwarded}"
    );
    assert!(!forwarded.contains("⬆ Chuyển ý kiến 1"), "{forwarded}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM proposals WHERE source = 'opinion'")
            .await,
        1
    );
    let id = app.count("SELECT MAX(id) FROM proposals").await;
    app.drain().await;
    let told = zalo_texts(&hoa.unread());
    assert!(told.contains("Xin mở lớp dạy nghề may"), "{told}");
    // Hoa, on Zalo: the list, the proposal, "answer", all by numbers.
    let r = hoa.send("/kiennghi").await.unwrap();
    let list = r.last().unwrap().clone();
    let n = numbered(&list, &format!("📨 Kiến nghị {id} · {LAN_BRANCH}")).expect("numbered");
    let r = hoa.send(&n.to_string()).await.unwrap();
    let item = r.last().unwrap().clone();
    assert!(
        zalo_text(&item).contains("Ý kiến hội viên tháng 11/2026"),
        "{}",
        zalo_text(&item)
    );
    let answer = numbered(&item, "✍️ Trả lời").expect("numbered");
    hoa.send(&answer.to_string()).await.unwrap();
    // Too long: told kindly, nothing stored.
    let r = hoa.send(&"a".repeat(600)).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Nội dung dài 600 ký tự, tối đa 500."),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(load(&app, id).await.status.as_str(), "new");
    let r = hoa.send(REPLY).await.unwrap();
    assert!(
        zalo_texts(&r).contains("✅ Đã gửi câu trả lời"),
        "{}",
        zalo_texts(&r)
    );
    // The same number typed again: nothing more is answered.
    hoa.send(&answer.to_string()).await.unwrap();
    app.drain().await;
    // Lan and Mai hear the answer; Ngọc (another member) does not.
    let to_lan = texts(&lan.unread());
    assert!(
        to_lan.contains("💬 Kiến nghị của chi hội đã được Hội LHPN xã Đông Hợp trả lời."),
        "{to_lan}"
    );
    let to_mai = texts(&mai.unread());
    assert!(
        to_mai.contains("💬 Ý kiến chị gửi đã được Hội LHPN xã Đông Hợp trả lời."),
        "{to_mai}"
    );
    assert!(to_mai.contains(REPLY), "{to_mai}");
    assert!(ngoc.unread().is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'proposal-answer:%'")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM proposals WHERE status = 'answered'")
            .await,
        1
    );
    app.shutdown().await;
}

async fn an_officer_of_another_union_cannot_see_or_act_on_a_proposal(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let _hoa = app
        .joined(821, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let _lan = app
        .joined(822, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut xa = app
        .joined(823, "Vũ Thị Xa", FAR_GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut xuan = app
        .zalo_joined(
            "0084900000000824",
            "Hà Thị Xuân",
            FAR_GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let id = filed(&app, BRANCH, month(11), "822", ROAD).await;
    app.drain().await;
    assert!(xa.unread().is_empty());
    assert!(xuan.unread().is_empty());
    let before = app
        .count(
            "SELECT COUNT(*) FROM proposals WHERE status = 'new' AND level = 0 AND reply IS NULL",
        )
        .await;
    assert_eq!(before, 1);
    // She does not see it.
    let list = texts(&xa.send("/kiennghi").await.unwrap());
    assert!(
        list.contains("Không có kiến nghị nào đang chờ trả lời."),
        "{list}"
    );
    assert!(!list.contains(ROAD), "{list}");
    let r = xuan.send("/kiennghi").await.unwrap();
    assert!(!zalo_texts(&r).contains(ROAD), "{}", zalo_texts(&r));
    // A forged choice naming it is refused and changes nothing.
    let shown = xa.last_with_buttons().unwrap();
    let close = shown
        .buttons
        .iter()
        .flatten()
        .find_map(|b| b.callback_data.clone())
        .unwrap();
    let version = close.strip_prefix("d:").unwrap().split(':').next().unwrap();
    xa.tap_data(shown.message_id, &format!("d:{version}:open:{id}"))
        .await
        .unwrap();
    assert_eq!(last_notice(&app), "Việc này không thuộc quyền của chị.");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM proposals WHERE status = 'new' AND level = 0 AND reply IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'proposal-answer:%'")
            .await,
        0
    );
    app.shutdown().await;
}

async fn an_unanswered_proposal_climbs_after_fifteen_days_and_stops_once_answered(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .joined(831, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let _lan = app
        .joined(832, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut dung = app
        .joined(833, "Lê Thị Dung", DISTRICT, Role::DistrictAdmin)
        .await;
    let mut phuong = app
        .zalo_joined(
            "0084900000000834",
            "Ngô Thị Phương",
            PROVINCE,
            Role::ProvinceAdmin,
        )
        .await;
    let id = filed(&app, BRANCH, month(11), "832", ROAD).await;
    let raised = app.now();
    assert_eq!(load(&app, id).await.level, 0);
    // Fourteen days on: still hers.
    app.set_now(raised + chrono::Duration::days(14));
    assert_eq!(app.tick().await.proposals_climbed, 0);
    // Fifteen days on: the district's, once however often the scheduler ticks.
    app.set_now(raised + chrono::Duration::days(15) + chrono::Duration::minutes(1));
    assert_eq!(app.tick().await.proposals_climbed, 1);
    assert_eq!(app.tick().await.proposals_climbed, 0);
    let p = load(&app, id).await;
    assert_eq!((p.level, p.status.as_str()), (1, "forwarded"));
    app.drain().await;
    let told = texts(&dung.unread());
    assert!(
        told.contains("Kiến nghị chưa được trả lời sau 15 ngày nên chuyển lên chị."),
        "{told}"
    );
    assert!(phuong.unread().is_empty());
    // The grassroots officer no longer owns it.
    let list = texts(&hoa.send("/kiennghi").await.unwrap());
    assert!(
        list.contains("Không có kiến nghị nào đang chờ trả lời."),
        "{list}"
    );
    // The district answers it; it never climbs again.
    dung.send("/kiennghi").await.unwrap();
    dung.tap(&format!("📨 Kiến nghị {id} · {LAN_BRANCH}"))
        .await
        .unwrap();
    dung.tap("✍️ Trả lời").await.unwrap();
    dung.send(REPLY).await.unwrap();
    app.set_now(raised + chrono::Duration::days(40));
    assert_eq!(app.tick().await.proposals_climbed, 0);
    let p = load(&app, id).await;
    assert_eq!(
        (p.level, p.status.as_str(), p.climb_at),
        (1, "answered", None)
    );
    app.drain().await;
    assert!(
        !zalo_texts(&phuong.unread()).contains(ROAD),
        "the province never gets it"
    );
    app.shutdown().await;
}

async fn a_same_as_last_month_copy_does_not_raise_the_proposal_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(841, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    app.set_now(hanoi(10, 20, 9));
    let id = filed(&app, BRANCH, month(10), "841", ROAD).await;
    app.set_now(hanoi(11, 20, 9));
    lan.send("/baocao").await.unwrap();
    lan.tap("✅ Giữ như tháng trước").await.unwrap();
    lan.tap("Không có").await.unwrap();
    let done = texts(&lan.tap("✅ Gửi báo cáo").await.unwrap());
    assert!(done.contains("Đã gửi báo cáo tháng 11/2026"), "{done}");
    // One proposal, still open, linked to November; none raised twice.
    assert_eq!(app.count("SELECT COUNT(*) FROM proposals").await, 1);
    let p = load(&app, id).await;
    assert_eq!(
        (
            p.status.as_str(),
            p.period.as_str(),
            p.repeated_period.as_deref()
        ),
        ("new", "2026-10", Some("2026-11"))
    );
    // A correction of November with the same text does not raise it either.
    lan.send("/baocao").await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM proposals").await, 1);
    app.shutdown().await;
}

async fn the_answer_shows_in_the_next_reports_proposals_step_on_zalo(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let _hoa = app
        .joined(851, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut thu = app
        .zalo_joined("0084900000000852", "Lê Thị Thu", BRANCH, Role::BranchHead)
        .await;
    app.set_now(hanoi(10, 20, 9));
    let id = filed(&app, BRANCH, month(10), "0084900000000852", ROAD).await;
    {
        let officer = user_id(&app, "851").await;
        let mut conn = app.store.acquire().await.unwrap();
        let unit = org::unit_by_code(&mut conn, GRASSROOTS)
            .await
            .unwrap()
            .unwrap();
        assert!(
            proposals::answer(
                &mut conn,
                id,
                REPLY,
                officer,
                unit.id,
                app.now().timestamp()
            )
            .await
            .unwrap()
        );
    }
    app.set_now(hanoi(11, 20, 9));
    let r = thu.send("/baocao").await.unwrap();
    let mut last = r.last().unwrap().clone();
    for label in [
        "✏️ Trả lời từng phần",
        "Ổn định",
        "Bỏ qua",
        "Ổn định",
        "Bỏ qua",
        "Phấn khởi, tin tưởng",
        "Bỏ qua",
        "Không có",
    ] {
        let n = numbered(&last, label).unwrap_or_else(|| panic!("{label} in {}", zalo_text(&last)));
        let r = thu.send(&n.to_string()).await.unwrap();
        last = r.last().unwrap().clone();
    }
    let step = zalo_text(&last);
    assert!(
        step.starts_with(&format!(
            "📨 Kiến nghị các tháng trước:\n• Báo cáo tháng 10/2026 “{ROAD}” — đã trả lời: {REPLY}\n\n"
        )),
        "{step}"
    );
    app.shutdown().await;
}

async fn progress_shows_open_proposals_per_unit_by_tap_and_on_zalo(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .joined(861, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let _lan = app
        .joined(862, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let _thu = app
        .joined(863, "Lê Thị Thu", OTHER_BRANCH, Role::BranchHead)
        .await;
    let mut dung = app
        .zalo_joined(
            "0084900000000864",
            "Lê Thị Dung",
            DISTRICT,
            Role::DistrictAdmin,
        )
        .await;
    filed(&app, BRANCH, month(10), "862", ROAD).await;
    filed(&app, BRANCH, month(11), "862", "Xin thêm đèn đường").await;
    let answered = filed(&app, OTHER_BRANCH, month(11), "863", "Xin hỗ trợ vốn").await;
    {
        let officer = user_id(&app, "861").await;
        let mut conn = app.store.acquire().await.unwrap();
        let unit = org::unit_by_code(&mut conn, GRASSROOTS)
            .await
            .unwrap()
            .unwrap();
        proposals::answer(
            &mut conn,
            answered,
            REPLY,
            officer,
            unit.id,
            app.now().timestamp(),
        )
        .await
        .unwrap();
    }
    let view = texts(&hoa.send("/tiendo").await.unwrap());
    assert!(
        view.contains(&format!(
            "📨 Kiến nghị chưa trả lời: 2\n• {LAN_BRANCH}: 2 kiến nghị"
        )),
        "{view}"
    );
    assert!(
        !view.contains("• Chi hội phụ nữ thôn Lạc Thành: "),
        "answered ones are not counted: {view}"
    );
    let r = dung.send("/tiendo").await.unwrap();
    let view = zalo_texts(&r);
    assert!(
        view.contains("📨 Kiến nghị chưa trả lời: 2\n• Hội LHPN xã Đông Hợp: 2 kiến nghị"),
        "{view}"
    );
    app.shutdown().await;
}
