//! The 6-month and yearly report drafted as a Word document: read back from the file, laid out
//! as the union's documents are, and agreeing with the export for the same unit and period.

use chihoi::domain::role::Role;
use chihoi::export::{self, Scope, Sheet};
use chihoi::i18n::Lang;
use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};

use crate::both_backends;
use crate::helpers::*;

/// The document's text: one line per paragraph, and one line per table row with its cells
/// joined by " | ".
pub fn docx_lines(bytes: &[u8]) -> Vec<String> {
    let doc = docx_rs::read_docx(bytes).expect("a document Word can open");
    let mut out = Vec::new();
    for child in &doc.document.children {
        match child {
            DocumentChild::Paragraph(p) => out.push(p.raw_text()),
            DocumentChild::Table(t) => {
                for TableChild::TableRow(row) in &t.rows {
                    let cells: Vec<String> = row
                        .cells
                        .iter()
                        .map(|TableRowChild::TableCell(c)| {
                            c.children
                                .iter()
                                .filter_map(|c| match c {
                                    TableCellContent::Paragraph(p) => Some(p.raw_text()),
                                    _ => None,
                                })
                                .collect::<Vec<_>>()
                                .join(" / ")
                        })
                        .collect();
                    out.push(cells.join(" | "));
                }
            }
            _ => {}
        }
    }
    out
}

async fn scope(app: &TestApp, unit: &str, period: &str, lang: Lang) -> Scope {
    Scope::new(
        &app.store,
        &app.calendars(),
        Some(unit),
        period.parse().unwrap(),
        lang,
        app.now(),
    )
    .await
    .unwrap()
}

async fn draft(app: &TestApp, unit: &str, period: &str, lang: Lang) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bao-cao.docx");
    chihoi::draft::draft_to_file(
        &app.store,
        &app.calendars(),
        unit,
        period.parse().unwrap(),
        lang,
        app.now(),
        &out,
    )
    .await
    .unwrap();
    docx_lines(&std::fs::read(&out).unwrap())
}

async fn a_districts_yearly_draft_reads_as_a_union_report_and_agrees_with_the_export(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    // A branch reports its month and helps two households; the commune supervises a policy.
    let mut lan = app
        .joined(811, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    answer_and_submit(&mut lan).await;
    lan.send("/hoatdong").await.unwrap();
    lan.tap("Giúp hộ gia đình").await.unwrap();
    lan.tap("Giúp hộ đạt tiêu chí 5 không, 3 sạch")
        .await
        .unwrap();
    lan.tap("Hôm nay").await.unwrap();
    lan.send("2").await.unwrap();
    lan.tap("Bỏ qua").await.unwrap();
    lan.tap("✅ Xong").await.unwrap();
    lan.tap("✅ Lưu hoạt động").await.unwrap();
    let mut hoa = app
        .joined(812, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    hoa.send("/hoatdong").await.unwrap();
    hoa.tap("Giám sát, góp ý, đối thoại").await.unwrap();
    hoa.tap("Giám sát thực hiện chính sách").await.unwrap();
    hoa.tap("Hôm qua").await.unwrap();
    hoa.send("1").await.unwrap();
    hoa.tap("Bỏ qua").await.unwrap();
    hoa.tap("✅ Xong").await.unwrap();
    hoa.tap("✅ Lưu hoạt động").await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM activities").await, 2);

    let lines = draft(&app, DISTRICT, "2026", Lang::Vi).await;
    let all = lines.join("\n");
    // The heading as the union writes it: issuing body and number on the left, the union's
    // name and the place and date on the right; then the title, the subject and the parts.
    assert!(
        lines[0].starts_with("HỘI LHPN HUYỆN ĐÔNG HƯNG / BAN THƯỜNG VỤ / *** / Số:"),
        "{all}"
    );
    assert!(
        lines[0]
            .ends_with("| HỘI LIÊN HIỆP PHỤ NỮ VIỆT NAM /  / Đông Hưng, ngày 15 tháng 11 năm 2026"),
        "{all}"
    );
    let pos = |needle: &str| {
        lines
            .iter()
            .position(|l| l == needle)
            .unwrap_or_else(|| panic!("no line {needle:?} in:\n{all}"))
    };
    let title = pos("BÁO CÁO");
    assert_eq!(
        lines[title + 1],
        "Kết quả thực hiện Đề án đổi mới, nâng cao chất lượng, hiệu quả hoạt động của Hội LHPN cơ sở năm 2026"
    );
    assert!(pos("I. KẾT QUẢ THỰC HIỆN") < pos("II. TỒN TẠI, HẠN CHẾ"));
    assert!(pos("II. TỒN TẠI, HẠN CHẾ") < pos("III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2027"));
    assert!(
        all.contains("Nơi nhận: / - Thường trực Hội LHPN tỉnh Thái Bình; / - Lưu: VT. | TM. BAN THƯỜNG VỤ / CHỦ TỊCH"),
        "{all}"
    );

    // The workbook for the same unit and period, as the officer would export it.
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("bao-cao.xlsx");
    let s = scope(&app, DISTRICT, "2026", Lang::Vi).await;
    export::export_to_file(&s, export::ExportFormat::Xlsx, Sheet::Reports, &xlsx)
        .await
        .unwrap();
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let sheet = |book: &mut Xlsx<_>, name: &str| -> Vec<Vec<String>> {
        book.worksheet_range(name)
            .unwrap()
            .rows()
            .skip(1)
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    // Every target row of the workbook's targets sheet, for the district itself, is a row of
    // the document's table with the same figures.
    let targets = sheet(&mut book, "Chỉ tiêu");
    let own: Vec<&Vec<String>> = targets.iter().filter(|r| r[0] == DISTRICT).collect();
    let seeded = app.count("SELECT COUNT(*) FROM targets").await as usize;
    assert!(seeded >= 11);
    assert_eq!(own.len(), seeded, "{targets:?}");
    for r in &own {
        let (number, title, goal, achieved, total) = (&r[2], &r[3], &r[5], &r[6], &r[7]);
        let pct: f64 = r[8].parse().unwrap();
        let pct = format!("{pct:.1}").replace('.', ",");
        let row = format!("{number} | {title} | {achieved}/{total} ({pct}%) | {goal}%");
        assert!(
            lines.iter().any(|l| l.starts_with(&row)),
            "no row {row:?} in:\n{all}"
        );
    }
    // One of the district's branches helped two households to 5K3S / 5C3S: target 4 has data.
    let households = own
        .iter()
        .find(|r| r[3].starts_with("Mỗi chi hội giúp 2 hộ"))
        .unwrap();
    assert_eq!(households[6], "1", "{households:?}");

    // Reporting completeness, month by month, as the workbook's completeness sheet has it.
    let completeness = sheet(&mut book, "Tiến độ báo cáo");
    let months: Vec<&Vec<String>> = completeness.iter().filter(|r| r[0] == DISTRICT).collect();
    assert_eq!(months.len(), 12);
    let november = months.iter().find(|r| r[2] == "2026-11").unwrap();
    assert_eq!(november[4], "1", "her report is on time: {november:?}");
    let row = format!(
        "11/2026 | {} | {} | {} | {} |",
        november[3], november[4], november[5], november[6]
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&row)),
        "no row {row:?} in:\n{all}"
    );
    let due: i64 = months.iter().map(|r| r[3].parse::<i64>().unwrap()).sum();
    assert!(
        all.contains(&format!(
            "Trong kỳ có {} lượt báo cáo phải nộp: 1 lượt đúng hạn",
            chihoi::draft::number(Lang::Vi, due)
        )),
        "{all}"
    );

    // Activities by kind, as many as the workbook's activities sheet lists.
    let activities = sheet(&mut book, "Hoạt động");
    assert_eq!(activities.len(), 2);
    assert!(
        all.contains("Trong kỳ, các cấp Hội ghi nhận 2 hoạt động, trong đó:"),
        "{all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "Giúp hộ đạt tiêu chí 5 không, 3 sạch | 1 | 2"),
        "{all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "Giám sát thực hiện chính sách | 1 | 1"),
        "{all}"
    );
    // Shortcomings name the units behind, from the data: the grassroots unions that are
    // missing monthly reports, and a target not met.
    assert!(all.contains("Đơn vị còn thiếu báo cáo tháng: "), "{all}");
    assert!(all.contains("Hội LHPN xã Đông La ("), "{all}");
    assert!(
        all.contains(
            "Chỉ tiêu 7 – Giám sát ít nhất 1 chính sách và góp ý ít nhất 1 dự thảo: đạt 0,0%, mục tiêu 100%."
        ),
        "{all}"
    );
    // Part III is left for her to fill in.
    assert!(all.contains("(Đơn vị bổ sung nội dung.)"), "{all}");
    app.shutdown().await;
}

async fn a_six_month_draft_in_english_covers_its_half_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(821, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    answer_and_submit(&mut lan).await;
    let lines = draft(&app, GRASSROOTS, "2026-H1", Lang::En).await;
    let all = lines.join("\n");
    assert!(lines.iter().any(|l| l == "REPORT"), "{all}");
    assert!(
        all.contains("Results of the plan to renew and improve grassroots Women's Union work, first half of 2026"),
        "{all}"
    );
    // January to June only; her November report is not in it.
    let month_rows: Vec<&String> = lines
        .iter()
        .filter(|l| {
            l.split(" | ")
                .next()
                .is_some_and(|c| c.len() <= 7 && c.ends_with("/2026"))
        })
        .collect();
    assert_eq!(month_rows.len(), 6, "{all}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("1/2026 | 5 | 0 | 0 | 5 |")),
        "{all}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("11/2026 |")), "{all}");
    assert!(all.contains("III. TASKS FOR SECOND HALF OF 2026"), "{all}");
    app.shutdown().await;
}

async fn an_officer_asks_for_the_half_years_draft_in_chat_and_gets_it_as_a_word_file(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(831, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    // A branch head drafts no union's report.
    let r = lan.send("/baocaoky").await.unwrap();
    assert!(
        texts(&r).contains("Chỉ cán bộ Hội cơ sở và Hội cấp trên soạn được báo cáo 6 tháng, năm."),
        "{}",
        texts(&r)
    );
    let mut thu = app
        .joined(832, "Lê Thị Thu", DISTRICT, Role::DistrictAdmin)
        .await;
    let r = thu.send("/baocaoky").await.unwrap();
    let list = r.last().unwrap();
    assert!(
        text(list).starts_with("📝 Bot soạn sẵn bản thảo báo cáo (tệp Word)"),
        "{}",
        text(list)
    );
    // In November: this year's halves and the year so far.
    let labels = list.button_texts();
    assert_eq!(
        labels,
        [
            "6 tháng đầu năm 2026",
            "6 tháng cuối năm 2026",
            "Cả năm 2026",
            "✖ Hủy"
        ],
        "{labels:?}"
    );
    // A forged period (not on her list) is refused and queues nothing.
    let data = list
        .button("Cả năm 2026")
        .unwrap()
        .callback_data
        .clone()
        .unwrap()
        .replace("2026", "2019");
    thu.tap_data(list.message_id, &data).await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'made'")
            .await,
        0
    );
    let r = thu.tap("6 tháng đầu năm 2026").await.unwrap();
    assert!(
        texts(&r).contains("⏳ Bot đang soạn báo cáo"),
        "{}",
        texts(&r)
    );
    let r = thu
        .wait_for("the draft", |m| m.document.is_some())
        .await
        .unwrap();
    let doc = r.iter().find_map(|m| m.document.clone()).unwrap();
    assert_eq!(doc.file_name, "bao-cao-TB-DH-2026-H1.docx");
    assert!(
        doc.caption
            .clone()
            .unwrap_or_default()
            .starts_with("📝 Bản thảo báo cáo 6 tháng đầu năm 2026 — Hội LHPN huyện Đông Hưng."),
        "{:?}",
        doc.caption
    );
    let lines = docx_lines(&doc.bytes);
    assert!(lines.iter().any(|l| l == "BÁO CÁO"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.ends_with("6 tháng đầu năm 2026")),
        "{lines:?}"
    );
    app.shutdown().await;
}

async fn on_zalo_the_draft_comes_as_a_link_to_the_word_file(backend: Backend) {
    let mut app = TestApp::spawn_with_zalo(backend, true).await;
    let files = app.serve_files().await;
    let mut thu = app
        .zalo_joined(
            "0084900000000031",
            "Lê Thị Thu",
            DISTRICT,
            Role::DistrictAdmin,
        )
        .await;
    let r = thu.send("/baocaoky").await.unwrap();
    let year = numbered(r.last().unwrap(), "Cả năm 2026").expect("the year on her list");
    let r = thu.send(&year.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("⏳ Bot đang soạn báo cáo"),
        "{}",
        zalo_texts(&r)
    );
    let link = zalo_file_link(&thu).await;
    let link = link.expect("the draft's link");
    assert!(link.ends_with("/bao-cao-TB-DH-2026.docx"), "{link}");
    let got = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(
        got.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let lines = docx_lines(&got.bytes().await.unwrap());
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("HỘI LHPN HUYỆN ĐÔNG HƯNG / BAN THƯỜNG VỤ")),
        "{lines:?}"
    );
    files.stop().await;
    app.shutdown().await;
}

async fn each_district_admin_gets_the_first_halfs_draft_on_the_fifth_of_july_once(
    backend: Backend,
) {
    use chrono::TimeZone;
    let app = TestApp::spawn(backend).await;
    let mut thu = app
        .joined(841, "Lê Thị Thu", DISTRICT, Role::DistrictAdmin)
        .await;
    let mut hoa = app
        .joined(842, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let at = |d: u32, h: u32| {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2027, 7, d, h, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    app.set_now(at(5, 7));
    assert_eq!(app.tick().await.drafts, 0, "not before 08:00");
    app.set_now(at(5, 8));
    assert_eq!(app.tick().await.drafts, 1, "one district admin");
    // Later ticks that week, or a restart, never queue it twice.
    app.set_now(at(6, 9));
    assert_eq!(app.tick().await.drafts, 0);
    let r = thu
        .wait_for("the draft", |m| m.document.is_some())
        .await
        .unwrap();
    let doc = r.iter().find_map(|m| m.document.clone()).unwrap();
    assert_eq!(doc.file_name, "bao-cao-TB-DH-2027-H1.docx");
    assert!(
        doc.caption
            .clone()
            .unwrap_or_default()
            .starts_with("📝 Đã đến kỳ báo cáo 6 tháng đầu năm 2027."),
        "{:?}",
        doc.caption
    );
    // The grassroots officer reports monthly; the 6-month report is the district's.
    assert!(
        hoa.unread().iter().all(|m| m.document.is_none()),
        "no draft for the grassroots officer"
    );
    app.shutdown().await;
}

both_backends!(
    a_districts_yearly_draft_reads_as_a_union_report_and_agrees_with_the_export,
    a_six_month_draft_in_english_covers_its_half_only,
    an_officer_asks_for_the_half_years_draft_in_chat_and_gets_it_as_a_word_file,
    on_zalo_the_draft_comes_as_a_link_to_the_word_file,
    each_district_admin_gets_the_first_halfs_draft_on_the_fifth_of_july_once,
);
