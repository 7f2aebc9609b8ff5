//! Ad-hoc urgent reports reach the officers above the reporter at once — and nobody else.

use chihoi::domain::role::Role;

use crate::both_backends;
use crate::helpers::*;

async fn urgent_report_reaches_grassroots_officers_and_district_admins_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut officer = app
        .joined(401, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut district = app
        .joined(402, "Vũ Thị Hằng", DISTRICT, Role::DistrictAdmin)
        .await;
    let mut other_district = app
        .joined(403, "Bùi Thị Nga", "TB-TP", Role::DistrictAdmin)
        .await;
    let mut other_grassroots = app
        .joined(404, "Lý Thị Xuân", "TB-DH-DLA", Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(405, "Phạm Thị Mai", BRANCH, Role::Member).await;

    mai.send("/khancap").await.unwrap();
    mai.tap("An ninh trật tự").await.unwrap();
    mai.tap("Rất nghiêm trọng").await.unwrap();
    let r = mai.send("hai mươi").await.unwrap();
    assert!(texts(&r).contains("gõ một con số"), "{}", texts(&r));
    mai.tap("6–20").await.unwrap();
    let r = mai
        .send("Xô xát tại bãi cát ven sông, có người bị thương")
        .await
        .unwrap();
    assert!(texts(&r).contains("Gửi báo cáo khẩn này?"), "{}", texts(&r));
    let r = mai.tap("🚨 Gửi ngay").await.unwrap();
    assert!(
        texts(&r).contains("Đã gửi báo cáo khẩn tới 2 cán bộ"),
        "{}",
        texts(&r)
    );

    for person in [&mut officer, &mut district] {
        let alert = person.unread();
        assert_eq!(alert.len(), 1, "{}", texts(&alert));
        let t = text(&alert[0]);
        assert!(t.starts_with("🚨 KHẨN — "), "{t}");
        assert!(
            t.contains(
                "An ninh trật tự — Rất nghiêm trọng, khoảng 20 người: Xô xát tại bãi cát ven sông"
            ),
            "{t}"
        );
        assert!(t.contains("Người báo: Phạm Thị Mai"), "{t}");
    }
    assert!(
        other_district.unread().is_empty(),
        "another district saw it"
    );
    assert!(
        other_grassroots.unread().is_empty(),
        "another commune saw it"
    );
    let (status, people): (String, i64) =
        sqlx::query_as("SELECT status, people FROM urgent_reports")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!((status.as_str(), people), ("open", 20));
    app.shutdown().await;
}

async fn urgent_report_with_nobody_above_tells_her_to_call(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut mai = app.joined(406, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/khancap").await.unwrap();
    mai.tap("Lĩnh vực khác").await.unwrap();
    mai.tap("Ít nghiêm trọng").await.unwrap();
    mai.send("3").await.unwrap();
    mai.send("Cháy rơm ngoài đồng").await.unwrap();
    let r = mai.tap("🚨 Gửi ngay").await.unwrap();
    assert!(texts(&r).contains("gọi điện trực tiếp"), "{}", texts(&r));
    assert_eq!(app.count("SELECT COUNT(*) FROM urgent_reports").await, 1);
    app.shutdown().await;
}

both_backends!(
    urgent_report_reaches_grassroots_officers_and_district_admins_at_once,
    urgent_report_with_nobody_above_tells_her_to_call,
);
