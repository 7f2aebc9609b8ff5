//! The monthly synthesis of one level (issue 19 §1, `/tonghop`): units on time, late and
//! missing (named), situations counted per section with notes quoted worst first, incidents,
//! proposals, and the month before; by taps on Telegram and by typed numbers on Zalo, as a
//! message and as a Word file; refused outside her subtree; sent once the morning after the
//! deadline.

use chihoi::domain::period::Period;
use chihoi::domain::report::{
    Incident, IncidentField, MonthlyReport, SectionAnswer, Severity, Situation,
};
use chihoi::domain::role::Role;
use chihoi::storage::{org, reports};
use chrono::TimeZone;

use crate::both_backends;
use crate::draft::docx_lines;
use crate::helpers::*;

both_backends!(
    an_officer_gets_her_unions_synthesis_and_its_word_file_by_taps,
    on_zalo_she_chooses_the_month_by_number_and_gets_the_word_file_as_a_link,
    an_officer_of_another_union_cannot_get_this_unions_synthesis,
    the_synthesis_is_sent_once_the_morning_after_the_deadline,
    on_zalo_a_synthesis_arriving_mid_dialog_leaves_her_typed_number_to_the_dialog,
);

/// The grassroots union of [`crate::authorization::FAR_BRANCH`].
const FAR_GRASSROOTS: &str = "TB-TP-LHP";
const LAN_BRANCH: &str = "Chi hội phụ nữ thôn Đồng Thanh";
const MAI_BRANCH: &str = "Chi hội phụ nữ thôn Lạc Thành";

fn hanoi(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn answer(situation: Situation, note: Option<&str>) -> SectionAnswer {
    SectionAnswer {
        situation,
        note: note.map(str::to_owned),
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

/// Files `unit`'s report of `period` by `author` at `at`, as a submitted report is stored
/// (with its tracked proposal).
async fn filed(
    app: &TestApp,
    unit: &str,
    period: &str,
    author: &str,
    report: MonthlyReport,
    at: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let period: Period = period.parse().unwrap();
    let author = user_id(app, author).await;
    let mut conn = app.store.acquire().await.unwrap();
    let unit = org::unit_by_code(&mut conn, unit).await.unwrap().unwrap();
    let (report_id, _) =
        reports::upsert_report(&mut conn, unit.id, period, author, &report, at.timestamp())
            .await
            .unwrap();
    let submitted = chihoi::proposals::SubmittedReport {
        unit_id: unit.id,
        period,
        report_id,
        raised_by: author,
        proposals: report.proposals.as_deref(),
    };
    chihoi::proposals::from_report(&mut conn, &app.calendars(), &submitted, at)
        .await
        .unwrap();
    // A very serious incident climbs the urgent ladder, as the dialog raises it.
    for inc in report
        .incidents
        .iter()
        .filter(|i| i.severity == Severity::Critical)
    {
        let origin = chihoi::alerts::incident_origin(report_id, inc);
        chihoi::storage::alerts::insert(&mut conn, unit.id, author, inc, Some(&origin), at)
            .await
            .unwrap();
    }
    report_id
}

/// October: one branch has difficulties with labour. November: Lan's branch on time (labour
/// difficult, one incident, one proposal, a member's opinion), Mai's late (labour very
/// difficult); the other two branches and the union itself missing. The clock ends on 2
/// December.
async fn a_month_of_reports(app: &TestApp) {
    app.joined(901, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    app.joined(904, "Phạm Thị Hằng", BRANCH, Role::Member).await;
    {
        let member = user_id(app, "904").await;
        let mut conn = app.store.acquire().await.unwrap();
        let unit = org::unit_by_code(&mut conn, BRANCH).await.unwrap().unwrap();
        reports::insert_opinion(
            &mut conn,
            unit.id,
            member,
            true,
            "Mong chi hội mở lớp dạy nghề",
            "2026-11".parse().unwrap(),
            hanoi(2026, 11, 10, 9).timestamp(),
        )
        .await
        .unwrap();
    }
    app.joined(902, "Trần Thị Mai", OTHER_BRANCH, Role::BranchHead)
        .await;
    let stable = answer(Situation::Stable, None);
    filed(
        app,
        "TB-DH-DHOP-T3",
        "2026-10",
        "901",
        MonthlyReport {
            labour: answer(Situation::Concerns, Some("Thiếu việc làm mùa khô")),
            living: stable.clone(),
            thoughts: stable.clone(),
            incidents: Vec::new(),
            proposals: None,
        },
        hanoi(2026, 10, 20, 9),
    )
    .await;
    filed(
        app,
        BRANCH,
        "2026-11",
        "901",
        MonthlyReport {
            labour: answer(
                Situation::Concerns,
                Some("Giá phân bón tăng, nhiều hộ bỏ ruộng"),
            ),
            living: stable.clone(),
            thoughts: stable.clone(),
            incidents: vec![Incident {
                field: IncidentField::SecurityOrder,
                severity: Severity::Serious,
                people: 3,
                people_from: None,
                description: "Trộm cắp vặt ở xóm Bắc".into(),
            }],
            proposals: Some("Đề nghị hỗ trợ vốn vay chăn nuôi".into()),
        },
        hanoi(2026, 11, 25, 9),
    )
    .await;
    filed(
        app,
        OTHER_BRANCH,
        "2026-11",
        "902",
        MonthlyReport {
            labour: answer(Situation::Serious, Some("Mất mùa do lũ")),
            living: stable.clone(),
            thoughts: stable,
            incidents: vec![Incident {
                field: IncidentField::Other,
                severity: Severity::Critical,
                people: 12,
                people_from: None,
                description: "Sạt lở bờ sông, 3 hộ phải di dời".into(),
            }],
            proposals: None,
        },
        hanoi(2026, 12, 1, 10),
    )
    .await;
    app.set_now(hanoi(2026, 12, 2, 9));
}

/// The key lines of the November synthesis of Đông Hợp, in order.
const KEY_LINES: [&str; 16] = [
    "📊 Tổng hợp tình hình tháng 11/2026 — Hội LHPN xã Đông Hợp",
    "📋 Báo cáo của các đơn vị: 5 đơn vị phải nộp",
    "✅ Đúng hạn: 1 (tháng trước 1)",
    "⏰ Nộp muộn: 1 (tháng trước 0)",
    "❌ Chưa nộp: 3 (tháng trước 4)",
    "Chưa nộp: Hội LHPN xã Đông Hợp, Chi hội phụ nữ thôn Hợp Long, Chi hội phụ nữ thôn Phú Lâm",
    "1. Tình hình lao động, sản xuất",
    "Rất khó khăn: 1 đơn vị (tháng trước 0)",
    "Có khó khăn: 1 đơn vị (tháng trước 1)",
    "Ổn định: 0 đơn vị (tháng trước 0)",
    "💬 Chi hội phụ nữ thôn Lạc Thành (Rất khó khăn): “Mất mùa do lũ”",
    "💬 Chi hội phụ nữ thôn Đồng Thanh (Có khó khăn): “Giá phân bón tăng, nhiều hộ bỏ ruộng”",
    "4. Vụ việc phát sinh, nổi cộm: 2 vụ (tháng trước 0)",
    "⚠️ Rất phức tạp · Lĩnh vực khác — Chi hội phụ nữ thôn Lạc Thành: Sạt lở bờ sông, 3 hộ phải di dời (cảnh báo: Chưa có ai nhận)",
    "⚠️ Phức tạp · An ninh trật tự — Chi hội phụ nữ thôn Đồng Thanh: Trộm cắp vặt ở xóm Bắc",
    "5. Đề xuất, kiến nghị: 1 (tháng trước 0)",
];

/// A situation's line as the Word file's table row has it ("Có khó khăn | 1 | 0"); other
/// lines as they are.
fn as_table_row(line: &str) -> String {
    let row = line.strip_suffix(')').and_then(|l| {
        let (situation, rest) = l.split_once(": ")?;
        let (count, before) = rest.split_once(" đơn vị (tháng trước ")?;
        Some(format!("{situation} | {count} | {before}"))
    });
    row.unwrap_or_else(|| line.to_owned())
}

/// The key lines in order; in the Word file (`word`) the situations are table rows.
fn assert_key_lines(text: &str, word: bool) {
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    for want in KEY_LINES {
        let want = if word {
            as_table_row(want)
        } else {
            want.to_owned()
        };
        let found = lines[at..]
            .iter()
            .position(|l| *l == want)
            .unwrap_or_else(|| panic!("no line {want:?} (in order) in:\n{text}"));
        at += found + 1;
    }
    assert!(
        lines.contains(
            &"📌 Chi hội phụ nữ thôn Đồng Thanh: “Đề nghị hỗ trợ vốn vay chăn nuôi” — mới"
        ),
        "{text}"
    );
    // Members' opinions come under their thoughts, the section the report shows them with.
    let at = |want: &str| {
        lines
            .iter()
            .position(|l| *l == want)
            .unwrap_or_else(|| panic!("no line {want:?} in:\n{text}"))
    };
    let opinions = at("🗣 Ý kiến hội viên gửi lên: 1 (tháng trước 0)");
    assert!(
        at("3. Tâm tư, nguyện vọng") < opinions && opinions < at(KEY_LINES[12]),
        "{text}"
    );
}

/// Taps `label` and returns the answer with what it has made in the background (`wanted`),
/// which comes with the answer or after it (the maker waits for the answer to go first).
async fn tap_for(
    p: &mut chihoi_fakes::telegram::person::Person<'_>,
    label: &str,
    what: &str,
    wanted: impl Fn(&chihoi_fakes::telegram::SentMessage) -> bool,
) -> Vec<chihoi_fakes::telegram::SentMessage> {
    let mut r = p.tap(label).await.unwrap();
    if !r.iter().any(&wanted) {
        r.extend(p.wait_for(what, &wanted).await.unwrap());
    }
    r
}

async fn an_officer_gets_her_unions_synthesis_and_its_word_file_by_taps(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    a_month_of_reports(&app).await;
    // A branch head gets no synthesis.
    let mut lan = app.person(901, "Nguyễn Thị Lan");
    let r = lan.send("/tonghop").await.unwrap();
    assert!(
        texts(&r).contains("Chỉ cán bộ Hội cơ sở và Hội cấp trên xem được bản tổng hợp tháng."),
        "{}",
        texts(&r)
    );
    let mut hoa = app
        .joined(903, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let r = hoa.send("/tonghop").await.unwrap();
    let list = r.last().unwrap();
    assert!(text(list).starts_with("📊 Bot tổng hợp"), "{}", text(list));
    // November (its deadline has passed) and October.
    assert_eq!(
        list.button_texts(),
        ["Tháng 11/2026", "Tháng 10/2026", "✖ Hủy"],
        "{:?}",
        list.button_texts()
    );
    let r = tap_for(&mut hoa, "Tháng 11/2026", "the synthesis", |m| {
        text(m).starts_with("📊 Tổng hợp")
    })
    .await;
    assert!(texts(&r).contains("⏳ Bot đang tổng hợp"), "{}", texts(&r));
    let all: String = r
        .iter()
        .map(|m| text(m).to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert_key_lines(&all, false);
    // The message is out before its row is marked sent: until then a file is "on its way".
    for _ in 0..100 {
        let waiting = "SELECT COUNT(*) FROM outbox WHERE kind = 'made' AND status = 'pending'";
        if app.count(waiting).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = tap_for(&mut hoa, "📄 Tệp Word", "the Word file", |m| {
        m.document.is_some()
    })
    .await;
    assert!(
        texts(&r).contains("⏳ Bot đang làm tệp Word"),
        "{}",
        texts(&r)
    );
    let doc = r.iter().find_map(|m| m.document.clone()).unwrap();
    assert_eq!(doc.file_name, "tong-hop-TB-DH-DHOP-2026-11.docx");
    let lines = docx_lines(&doc.bytes);
    assert_eq!(lines[0], "HỘI LHPN XÃ ĐÔNG HỢP", "{lines:?}");
    assert_key_lines(&lines.join("\n"), true);
    // One table of situations per section, each under its heading.
    let header = "Tình hình | Số đơn vị | Tháng trước";
    assert_eq!(
        lines.iter().filter(|l| *l == header).count(),
        3,
        "{lines:?}"
    );
    let labour = lines.iter().position(|l| l == KEY_LINES[6]).unwrap();
    assert_eq!(lines[labour + 1], header, "{lines:?}");
    app.shutdown().await;
}

async fn on_zalo_she_chooses_the_month_by_number_and_gets_the_word_file_as_a_link(
    backend: Backend,
) {
    let mut app = TestApp::spawn_with_zalo(backend, true).await;
    let files = app.serve_files().await;
    a_month_of_reports(&app).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000041",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let r = hoa.send("/tonghop").await.unwrap();
    let n = numbered(r.last().unwrap(), "Tháng 11/2026").expect("November on her list");
    let r = hoa.send(&n.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("⏳ Bot đang tổng hợp"),
        "{}",
        zalo_texts(&r)
    );
    let mut synthesis = Vec::new();
    for _ in 0..100 {
        synthesis = hoa.inbox();
        if synthesis
            .iter()
            .any(|m| numbered(m, "📄 Tệp Word").is_some())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let all = synthesis
        .iter()
        .map(|m| zalo_text(m).to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains(KEY_LINES[0]), "{all}");
    assert!(all.contains(KEY_LINES[4]), "{all}");
    assert!(all.contains(KEY_LINES[10]), "{all}");
    let word = synthesis
        .iter()
        .find_map(|m| numbered(m, "📄 Tệp Word"))
        .expect("the Word file on the list under the synthesis");
    hoa.unread();
    let r = hoa.send(&word.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("⏳ Bot đang làm tệp Word"),
        "{}",
        zalo_texts(&r)
    );
    let link = zalo_file_link(&hoa).await;
    let link = link.expect("the Word file's link");
    assert!(
        link.ends_with("/tong-hop-TB-DH-DHOP-2026-11.docx"),
        "{link}"
    );
    let bytes = reqwest::get(&link).await.unwrap().bytes().await.unwrap();
    let lines = docx_lines(&bytes);
    assert!(lines.iter().any(|l| l == KEY_LINES[0]), "{lines:?}");
    files.stop().await;
    app.shutdown().await;
}

async fn an_officer_of_another_union_cannot_get_this_unions_synthesis(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    a_month_of_reports(&app).await;
    let dhop = {
        let mut conn = app.store.acquire().await.unwrap();
        org::unit_by_code(&mut conn, GRASSROOTS)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let mut thu = app
        .joined(911, "Lê Thị Thu", FAR_GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let r = thu.send("/tonghop").await.unwrap();
    let list = r.last().unwrap().message_id;
    let made = "SELECT COUNT(*) FROM outbox WHERE kind = 'made'";
    // Đông Hợp's synthesis and its Word file, forged: refused, nothing queued.
    for data in [format!("th:{dhop}:2026-11"), format!("tw:{dhop}:2026-11")] {
        thu.tap_data(list, &data).await.unwrap();
        assert_eq!(
            last_notice(&app),
            "Việc này không thuộc quyền của chị.",
            "{data}"
        );
        assert_eq!(app.count(made).await, 0, "{data}");
    }
    // Her own union, but a month she was not offered: refused too.
    let own = {
        let mut conn = app.store.acquire().await.unwrap();
        org::unit_by_code(&mut conn, FAR_GRASSROOTS)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    thu.tap_data(list, &format!("th:{own}:2019-01"))
        .await
        .unwrap();
    assert_eq!(app.count(made).await, 0);
    // Her own union's November is hers: the message has none of Đông Hợp's branches.
    let r = tap_for(&mut thu, "Tháng 11/2026", "her synthesis", |m| {
        text(m).starts_with("📊 Tổng hợp")
    })
    .await;
    let all = texts(&r);
    assert!(
        all.contains("📊 Tổng hợp tình hình tháng 11/2026 — Hội LHPN phường Lê Hồng Phong"),
        "{all}"
    );
    assert!(
        !all.contains(LAN_BRANCH) && !all.contains(MAI_BRANCH),
        "{all}"
    );
    app.shutdown().await;
}

async fn the_synthesis_is_sent_once_the_morning_after_the_deadline(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.joined(921, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    app.joined(922, "Lê Thị Thu", DISTRICT, Role::DistrictAdmin)
        .await;
    app.joined(923, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let keyed = "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'synthesis:%'";
    // The last evening of November: the deadline has not passed.
    app.set_now(hanoi(2026, 11, 30, 22));
    assert_eq!(app.tick().await.syntheses, 0);
    app.set_now(hanoi(2026, 12, 1, 7));
    assert_eq!(app.tick().await.syntheses, 0);
    // The morning after: the grassroots officer and the district admin, not the branch head.
    app.set_now(hanoi(2026, 12, 1, 8));
    assert_eq!(app.tick().await.syntheses, 2);
    assert_eq!(app.count(keyed).await, 2);
    // A second tick, and a restart, queue nothing more.
    app.set_now(hanoi(2026, 12, 1, 9));
    assert_eq!(app.tick().await.syntheses, 0);
    app.restart_bot().await;
    assert_eq!(app.tick().await.syntheses, 0);
    assert_eq!(app.count(keyed).await, 2);
    let mut hoa = app.person(921, "Trần Thị Hoa");
    let r = hoa
        .wait_for("the scheduled synthesis", |m| {
            text(m).starts_with("Đã hết hạn nộp báo cáo tháng 11/2026")
        })
        .await
        .unwrap();
    let all = texts(&r);
    assert!(
        all.contains("📊 Tổng hợp tình hình tháng 11/2026 — Hội LHPN xã Đông Hợp"),
        "{all}"
    );
    assert!(all.contains("❌ Chưa nộp: 5 (tháng trước 5)"), "{all}");
    app.shutdown().await;
}

/// On Zalo a typed number answers the list she was shown last. The scheduled synthesis comes
/// with a numbered choice of its own ("📄 Tệp Word"); arriving while she is in the middle of
/// her monthly report, it must not take over her "1": it comes without numbers and tells her
/// where to get the Word file once she is done, and the number picks from the report's step.
async fn on_zalo_a_synthesis_arriving_mid_dialog_leaves_her_typed_number_to_the_dialog(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    app.set_now(hanoi(2026, 12, 1, 7));
    let mut hoa = app
        .zalo_joined(
            "0084900000000042",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let r = hoa.send("/baocao").await.unwrap();
    let step = r.last().unwrap().clone();
    assert!(zalo_text(&step).contains("Phần 1/5"), "{}", zalo_texts(&r));
    // "1" is both the step's first option and, on the synthesis's own list, the Word file.
    assert_eq!(numbered(&step, "Ổn định"), Some(1), "{}", zalo_text(&step));
    hoa.unread();

    app.set_now(hanoi(2026, 12, 1, 8));
    assert_eq!(app.tick().await.syntheses, 1);
    app.drain().await;
    let got = hoa.unread();
    let synthesis = got
        .iter()
        .find(|m| zalo_text(m).contains("📊 Tổng hợp tình hình tháng 11/2026"))
        .unwrap_or_else(|| panic!("no synthesis in: {}", zalo_texts(&got)));
    assert_eq!(
        numbered(synthesis, "📄 Tệp Word"),
        None,
        "{}",
        zalo_text(synthesis)
    );
    assert!(
        zalo_text(synthesis).contains("/tonghop"),
        "it says where to get the Word file: {}",
        zalo_text(synthesis)
    );

    let made = "SELECT COUNT(*) FROM outbox WHERE kind = 'made' AND body LIKE '%\"word\":true%'";
    let r = hoa.send("1").await.unwrap();
    let all = zalo_texts(&r);
    assert!(
        all.contains("Tình hình lao động, sản xuất: chị có ghi chú gì thêm không?"),
        "her 1 answers the report's step: {all}"
    );
    assert!(!all.contains("tệp Word"), "{all}");
    assert_eq!(app.count(made).await, 0, "no Word file was asked for");

    // Once she is done, /tonghop gives the Word file, by number.
    hoa.send("/huy").await.unwrap();
    let r = hoa.send("/tonghop").await.unwrap();
    let n = numbered(r.last().unwrap(), "Tháng 11/2026").expect("November on her list");
    hoa.send(&n.to_string()).await.unwrap();
    app.drain().await;
    let got = hoa.unread();
    let word = got
        .iter()
        .find_map(|m| numbered(m, "📄 Tệp Word"))
        .unwrap_or_else(|| panic!("the Word file on the list: {}", zalo_texts(&got)));
    let r = hoa.send(&word.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("⏳ Bot đang làm tệp Word"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(app.count(made).await, 1);
    app.shutdown().await;
}
