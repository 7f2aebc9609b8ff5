//! Urgent reports and the escalation ladder: grassroots officers at once, the district after the
//! SLA, then the province; an acknowledgement stops the climb; the reporter sees every change.

use chihoi::domain::role::Role;
use chrono::Duration;

use crate::both_backends;
use crate::helpers::*;

async fn send_urgent(mai: &mut chihoi_fakes::telegram::person::Person<'_>, people: &str) -> String {
    mai.send("/khancap").await.unwrap();
    mai.tap("An ninh trật tự").await.unwrap();
    mai.tap("Rất phức tạp").await.unwrap();
    let r = mai.send("hai mươi").await.unwrap();
    assert!(texts(&r).contains("gõ một con số"), "{}", texts(&r));
    mai.send(people).await.unwrap();
    let r = mai
        .send("Xô xát tại bãi cát ven sông, có người bị thương")
        .await
        .unwrap();
    assert!(texts(&r).contains("Gửi báo cáo khẩn này?"), "{}", texts(&r));
    texts(&mai.tap("🚨 Gửi ngay").await.unwrap())
}

async fn urgent_report_climbs_the_ladder_until_someone_acknowledges(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut officer = app
        .joined(401, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut district = app
        .joined(402, "Vũ Thị Hằng", DISTRICT, Role::DistrictAdmin)
        .await;
    let mut province = app
        .joined(407, "Đặng Thị Thu", PROVINCE, Role::ProvinceAdmin)
        .await;
    let mut other_district = app
        .joined(403, "Bùi Thị Nga", "TB-TP", Role::DistrictAdmin)
        .await;
    let mut other_grassroots = app
        .joined(404, "Lý Thị Xuân", "TB-DH-DLA", Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(405, "Phạm Thị Mai", BRANCH, Role::Member).await;

    let sent = send_urgent(&mut mai, "20").await;
    assert!(
        sent.contains("Đã gửi báo cáo khẩn tới 1 cán bộ. Khi có cán bộ nhận, bot sẽ báo chị."),
        "{sent}"
    );

    // The grassroots officer has it at once, with buttons; nobody else yet.
    let alert = officer.unread();
    assert_eq!(alert.len(), 1, "{}", texts(&alert));
    let t = text(&alert[0]);
    assert!(t.starts_with("🚨 KHẨN — "), "{t}");
    assert!(
        t.contains("An ninh trật tự — Rất phức tạp, khoảng 20 người: Xô xát"),
        "{t}"
    );
    assert!(t.contains("Người báo: Phạm Thị Mai"), "{t}");
    assert!(t.contains("Trạng thái: Chưa có ai nhận"), "{t}");
    assert_eq!(
        alert[0].button_texts(),
        ["👀 Đã nhận", "🛠 Đang xử lý", "✅ Đã giải quyết"]
    );
    for p in [
        &mut district,
        &mut province,
        &mut other_district,
        &mut other_grassroots,
    ] {
        assert!(
            p.unread().is_empty(),
            "{} saw it too early",
            p.user.first_name
        );
    }

    // Not acknowledged within 4 hours: it climbs to the district, and the reporter is told.
    app.advance(Duration::minutes(239));
    assert_eq!(app.tick().await.escalated, 0);
    app.drain().await;
    assert!(district.unread().is_empty());
    app.advance(Duration::minutes(1));
    assert_eq!(app.tick().await.escalated, 1);
    assert_eq!(
        app.tick().await.escalated,
        0,
        "a second tick does not climb again"
    );
    app.drain().await;
    let up = district.unread();
    assert_eq!(up.len(), 1, "{}", texts(&up));
    assert!(
        text(&up[0]).contains("Chuyển lên vì cấp dưới chưa có ai nhận"),
        "{}",
        text(&up[0])
    );
    let told = mai.unread();
    assert!(
        texts(&told).contains("chưa có cán bộ nào nhận, bot đã chuyển lên Hội cấp trên"),
        "{}",
        texts(&told)
    );
    assert!(
        other_district.unread().is_empty(),
        "another district saw it"
    );
    assert!(province.unread().is_empty());

    // Someone outside the subtree cannot act on it, even with the right data.
    let ack = up[0]
        .button("👀 Đã nhận")
        .unwrap()
        .callback_data
        .clone()
        .unwrap();
    other_district
        .tap_data(up[0].message_id, &ack)
        .await
        .unwrap();
    assert_eq!(
        app.api.calls("answerCallbackQuery").last().unwrap()["text"],
        "Việc này không thuộc quyền của chị."
    );

    // The district admin acknowledges: the reporter sees it, and the climb stops.
    let r = district.tap("👀 Đã nhận").await.unwrap();
    assert!(texts(&r).contains("Trạng thái: Đã nhận"), "{}", texts(&r));
    let told = mai.unread();
    assert!(
        texts(&told).contains("Đã nhận — Vũ Thị Hằng, Cán bộ Hội huyện"),
        "{}",
        texts(&told)
    );
    app.advance(Duration::hours(30));
    assert_eq!(app.tick().await.escalated, 0);
    app.drain().await;
    assert!(
        province.unread().is_empty(),
        "acknowledged alerts do not climb"
    );

    // The grassroots officer resolves it from her own message; older buttons are answered.
    officer.tap("✅ Đã giải quyết").await.unwrap();
    assert!(texts(&mai.unread()).contains("Đã giải quyết — Trần Thị Hoa"));
    district.tap_data(up[0].message_id, &ack).await.unwrap();
    assert_eq!(
        app.api.calls("answerCallbackQuery").last().unwrap()["text"],
        "Cảnh báo này đã ở trạng thái: Đã giải quyết."
    );
    let r = officer.send("/canhbao").await.unwrap();
    assert!(
        texts(&r).contains("Không có cảnh báo nào đang mở"),
        "{}",
        texts(&r)
    );
    let events = app.count("SELECT COUNT(*) FROM alert_events").await;
    assert_eq!(events, 4, "open, escalated, acknowledged, resolved");
    app.shutdown().await;
}

async fn with_nobody_at_the_grassroots_it_goes_to_the_district_then_the_province(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut district = app
        .joined(411, "Vũ Thị Hằng", DISTRICT, Role::DistrictAdmin)
        .await;
    let mut province = app
        .joined(412, "Đặng Thị Thu", PROVINCE, Role::ProvinceAdmin)
        .await;
    let mut mai = app.joined(413, "Phạm Thị Mai", BRANCH, Role::Member).await;
    send_urgent(&mut mai, "5").await;
    assert_eq!(district.unread().len(), 1, "straight to the district");
    let r = district.send("/canhbao").await.unwrap();
    assert!(texts(&r).contains("1 cảnh báo đang mở"), "{}", texts(&r));
    app.advance(Duration::hours(24));
    assert_eq!(app.tick().await.escalated, 1);
    app.drain().await;
    assert_eq!(province.unread().len(), 1);
    let told = mai.unread();
    assert_eq!(told.len(), 1, "{}", texts(&told));
    assert!(texts(&told).contains("bot đã chuyển lên Hội cấp trên"));
    // At the top it stays.
    app.advance(Duration::hours(48));
    assert_eq!(app.tick().await.escalated, 0);
    app.shutdown().await;
}

async fn urgent_report_with_nobody_above_tells_her_to_call(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut mai = app.joined(406, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/khancap").await.unwrap();
    mai.tap("Lĩnh vực khác").await.unwrap();
    mai.tap("Mức nhẹ").await.unwrap();
    mai.send("3").await.unwrap();
    mai.send("Cháy rơm ngoài đồng").await.unwrap();
    let r = mai.tap("🚨 Gửi ngay").await.unwrap();
    assert!(
        texts(&r).contains("⚠️ Đã lưu báo cáo khẩn") && texts(&r).contains("gọi điện trực tiếp"),
        "{}",
        texts(&r)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM urgent_reports").await, 1);
    app.shutdown().await;
}

async fn a_very_serious_incident_in_the_monthly_report_raises_one_alert(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut officer = app
        .joined(421, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(422, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    for label in [
        "Ổn định",
        "Bỏ qua",
        "Ổn định",
        "Bỏ qua",
        "Có băn khoăn",
        "Bỏ qua",
        "Có",
    ] {
        lan.tap(label).await.unwrap();
    }
    lan.tap("Các khoản đóng góp").await.unwrap();
    lan.tap("Rất phức tạp").await.unwrap();
    lan.tap("21–50").await.unwrap();
    let listed = lan
        .send("Thu tiền làm đường vượt mức quy định")
        .await
        .unwrap();
    // The range she chose stays a range, never "about 50".
    assert!(
        texts(&listed).contains("Các khoản đóng góp — Rất phức tạp, từ 21 đến 50 người"),
        "{}",
        texts(&listed)
    );
    lan.tap("Tiếp tục ➡").await.unwrap();
    lan.tap("Không có đề xuất").await.unwrap();
    let done = lan.tap("✅ Gửi báo cáo").await.unwrap();
    assert!(texts(&done).contains("bot đã báo khẩn"), "{}", texts(&done));
    let alert = officer.unread();
    assert_eq!(alert.len(), 1);
    assert!(
        text(&alert[0]).contains("Các khoản đóng góp — Rất phức tạp, từ 21 đến 50 người"),
        "{}",
        text(&alert[0])
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM incidents WHERE people_from = 21 AND people = 50")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM urgent_reports WHERE people_from = 21 AND people = 50")
            .await,
        1
    );
    // Correcting the report does not raise it again.
    lan.send("/baocao").await.unwrap();
    lan.tap("✏️ Sửa báo cáo").await.unwrap();
    lan.tap("✏️ Đề xuất").await.unwrap();
    lan.send("Đề nghị thanh tra các khoản thu").await.unwrap();
    let again = lan.tap("✅ Gửi báo cáo").await.unwrap();
    assert!(
        !texts(&again).contains("bot đã báo khẩn"),
        "{}",
        texts(&again)
    );
    // The officer hears of the new proposal (issue 18 §6), not of the incident again.
    let after = texts(&officer.unread());
    assert!(!after.contains("Thu tiền làm đường"), "{after}");
    assert!(after.contains("Đề nghị thanh tra các khoản thu"), "{after}");
    assert_eq!(app.count("SELECT COUNT(*) FROM urgent_reports").await, 1);
    app.shutdown().await;
}

async fn a_reporter_cannot_acknowledge_her_own_alert(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut hoa = app
        .joined(421, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut xuan = app
        .joined(422, "Lý Thị Xuân", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let sent = send_urgent(&mut hoa, "20").await;
    assert!(sent.contains("Đã gửi báo cáo khẩn tới 1 cán bộ"), "{sent}");
    let id = app.count("SELECT id FROM urgent_reports").await;
    // Hoa forges the "acknowledged" choice of her own alert: refused, nothing changes.
    let last = hoa.inbox().last().unwrap().message_id;
    app.api
        .push_callback(&hoa.user, last, &format!("a:{id}:ack"));
    hoa.replies().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM urgent_reports WHERE status = 'open'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM alert_events").await, 1);
    // The other officer can.
    let alert = xuan.unread();
    assert_eq!(alert.len(), 1, "{}", texts(&alert));
    xuan.tap("👀 Đã nhận").await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM urgent_reports WHERE status = 'acknowledged'")
            .await,
        1
    );
    app.shutdown().await;
}

/// On Zalo the ranges are lettered; "c" is "21–50", and the alert and the stored report keep
/// the range, while a typed number stays "about" that number.
async fn a_range_chosen_on_zalo_is_kept_as_a_range_and_a_typed_number_as_a_number(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut officer = app
        .joined(431, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app
        .zalo_joined("0084900000000431", "Phạm Thị Mai", BRANCH, Role::Member)
        .await;
    mai.send("/khancap").await.unwrap();
    let severity = mai.send("4").await.unwrap(); // An ninh trật tự
    assert!(
        zalo_texts(&severity).contains("Rất phức tạp"),
        "{}",
        zalo_texts(&severity)
    );
    let people = mai.send("3").await.unwrap(); // Rất phức tạp
    let t = zalo_texts(&people);
    assert!(t.contains("c) 21–50"), "{t}");
    mai.send("c").await.unwrap();
    let confirm = mai.send("Xô xát ở chợ").await.unwrap();
    let t = zalo_texts(&confirm);
    assert!(t.contains("từ 21 đến 50 người"), "{t}");
    let sent = mai.send("1").await.unwrap();
    assert!(
        zalo_texts(&sent).contains("Đã gửi"),
        "{}",
        zalo_texts(&sent)
    );
    let alert = officer.unread();
    assert!(
        texts(&alert).contains("An ninh trật tự — Rất phức tạp, từ 21 đến 50 người: Xô xát ở chợ"),
        "{}",
        texts(&alert)
    );
    // A number she types is hers: "about 12", no range.
    mai.send("/khancap").await.unwrap();
    mai.send("4").await.unwrap();
    mai.send("2").await.unwrap();
    mai.send("12").await.unwrap();
    let confirm = mai.send("Cãi nhau ở bến xe").await.unwrap();
    assert!(
        zalo_texts(&confirm).contains("khoảng 12 người"),
        "{}",
        zalo_texts(&confirm)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM urgent_reports WHERE people_from = 21 AND people = 50")
            .await,
        1
    );
    app.shutdown().await;
}

/// Found by the fan-out bench of issue 18: a head filing an urgent report answers each step
/// the moment she sees it, and the bot's answers to her typed steps, new messages, left within
/// a second of each other (replies took their chat's second without waiting for it): two 429s
/// per urgent report, each pausing every chat's messages, the announcement's included. Now the
/// courier holds a message to a chat until a second has passed since the last, whatever it is.
async fn an_urgent_report_answered_at_once_earns_no_429(backend: Backend) {
    let app = TestApp::spawn_paced(backend, true).await;
    let _clock = app.run_clock();
    let officer = app
        .joined(401, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(405, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let had = app.api.sent_to(officer.user.id).len();
    // Telegram's limits, from the moment she was welcomed: her first answer too must wait
    // for the second after the welcome.
    app.api
        .set_rate_limits(Some(chihoi_fakes::telegram::RateLimits::default()));
    // Each step the moment the answer to the last is in: the 429s came at her typed steps
    // (a new message each), named here when one comes back.
    let steps: [(&str, bool); 7] = [
        ("/khancap", false),
        ("An ninh trật tự", true),
        ("Rất phức tạp", true),
        ("20", false),
        ("Xô xát tại bãi cát ven sông, có người bị thương", false),
        ("🚨 Gửi ngay", true),
        ("/trogiup", false),
    ];
    let mut seen = String::new();
    for (step, tap) in steps {
        let r = if tap {
            mai.tap(step).await.unwrap()
        } else {
            mai.send(step).await.unwrap()
        };
        // Her answer is there, however long it was held for her chat's second.
        let r = if r.is_empty() {
            mai.wait_for(step, |_| true).await.unwrap()
        } else {
            r
        };
        seen = texts(&r);
        let stats = app.api.stats();
        assert_eq!(stats.over_limits, 0, "429 at her step {step:?}: {stats:#?}");
        if step == "🚨 Gửi ngay" {
            assert!(seen.contains("Đã gửi báo cáo khẩn tới 1 cán bộ."), "{seen}");
        }
    }
    assert!(!seen.is_empty());
    let alert = app
        .api
        .wait_for_sent(officer.user.id, had + 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert!(
        text(&alert[had]).starts_with("🚨 KHẨN — "),
        "{}",
        texts(&alert)
    );
    let stats = app.api.stats();
    assert_eq!(stats.over_limits, 0, "{stats:#?}");
    assert_eq!(stats.too_many_requests, 0, "{stats:#?}");
    app.shutdown().await;
}

both_backends!(
    an_urgent_report_answered_at_once_earns_no_429,
    a_range_chosen_on_zalo_is_kept_as_a_range_and_a_typed_number_as_a_number,
    a_reporter_cannot_acknowledge_her_own_alert,
    urgent_report_climbs_the_ladder_until_someone_acknowledges,
    with_nobody_at_the_grassroots_it_goes_to_the_district_then_the_province,
    urgent_report_with_nobody_above_tells_her_to_call,
    a_very_serious_incident_in_the_monthly_report_raises_one_alert,
);
