//! Limits (issue 10, item 8): long lists of choices come a page at a time on Telegram and on
//! Zalo.

use std::collections::BTreeSet;

use chihoi::app;
use chihoi::domain::role::Role;

use crate::both_backends;
use crate::helpers::*;

/// A district of the sample province with many grassroots unions, each with one branch.
const BIG_DISTRICT: &str = "TB-TN";
const BIG_DISTRICT_NAME: &str = "Hội LHPN huyện Thử Nghiệm";
const UNIONS: usize = 20;

fn union_name(i: usize) -> String {
    format!("Hội LHPN xã Thử {i:02}")
}

async fn import_big_district(app: &TestApp) {
    let mut csv = String::from("code,parent_code,level,name\n");
    csv.push_str(&format!(
        "{BIG_DISTRICT},{PROVINCE},district,{BIG_DISTRICT_NAME}\n"
    ));
    for i in 1..=UNIONS {
        csv.push_str(&format!(
            "{BIG_DISTRICT}-X{i:02},{BIG_DISTRICT},grassroots,{}\n",
            union_name(i)
        ));
        csv.push_str(&format!(
            "{BIG_DISTRICT}-X{i:02}-T1,{BIG_DISTRICT}-X{i:02},branch,Chi hội thôn {i}\n"
        ));
    }
    app::import_org_bytes(&app.store, csv.as_bytes(), app.now())
        .await
        .expect("import the big district");
}

/// Labels of a message's buttons that name one of the big district's unions.
fn unions_on(m: &chihoi_fakes::telegram::SentMessage) -> BTreeSet<String> {
    m.button_texts()
        .into_iter()
        .filter(|l| l.starts_with("Hội LHPN xã Thử"))
        .map(str::to_owned)
        .collect()
}

/// Every callback_data of a message fits Telegram's 64 bytes, and the keyboard holds a page
/// and the view's own few buttons (pages, remind, chart, month, up).
fn assert_within_limits(m: &chihoi_fakes::telegram::SentMessage) {
    for b in m.buttons.iter().flatten() {
        let data = b.callback_data.as_deref().unwrap_or("");
        assert!(data.len() <= 64, "{data}");
    }
    assert!(
        m.buttons.iter().flatten().count() <= 8 + 6,
        "{:?}",
        m.button_texts()
    );
}

/// The newest message of hers that has buttons.
fn screen(p: &chihoi_fakes::telegram::person::Person<'_>) -> chihoi_fakes::telegram::SentMessage {
    p.last_with_buttons().expect("a message with buttons")
}

/// Pages through a view with "Xem thêm »", collecting the unions on each page.
async fn page_through(p: &mut chihoi_fakes::telegram::person::Person<'_>) -> Vec<BTreeSet<String>> {
    let mut pages = vec![unions_on(&screen(p))];
    assert_within_limits(&screen(p));
    while screen(p).button("Xem thêm »").is_some() {
        p.tap("Xem thêm »").await.unwrap();
        let now = screen(p);
        assert_within_limits(&now);
        assert!(now.button("« Trước").is_some(), "{:?}", now.button_texts());
        pages.push(unions_on(&now));
        assert!(pages.len() <= UNIONS, "no end to the pages");
    }
    pages
}

fn all_unions() -> BTreeSet<String> {
    (1..=UNIONS).map(union_name).collect()
}

async fn drill_downs_of_a_unit_with_many_children_come_a_page_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    import_big_district(&app).await;
    let mut thu = app
        .joined(781_001, "Vũ Thị Thu", BIG_DISTRICT, Role::DistrictAdmin)
        .await;

    // /tiendo: a page of unions, then the next ones on the same message, and back.
    thu.send("/tiendo").await.unwrap();
    let first = screen(&thu);
    assert_eq!(unions_on(&first).len(), 8, "{:?}", first.button_texts());
    assert!(first.button("« Trước").is_none());
    assert!(
        first.button("📈 Biểu đồ").is_some(),
        "{:?}",
        first.button_texts()
    );
    let pages = page_through(&mut thu).await;
    assert_eq!(pages.len(), 3);
    let seen: BTreeSet<String> = pages.iter().flatten().cloned().collect();
    assert_eq!(seen, all_unions());
    assert_eq!(pages.iter().map(BTreeSet::len).sum::<usize>(), UNIONS);
    // The page turned in place: one message, edited.
    assert!(
        screen(&thu).edited,
        "the page replaces the one she looked at"
    );
    thu.tap("« Trước").await.unwrap();
    assert_eq!(unions_on(&screen(&thu)), pages[1]);
    // A union on the second page still drills down.
    let union = pages[1].iter().next().unwrap().clone();
    let r = thu.tap(&union).await.unwrap();
    assert!(texts(&r).contains(&union), "{}", texts(&r));

    // /chitieu pages the same way.
    thu.send("/chitieu").await.unwrap();
    let pages = page_through(&mut thu).await;
    assert_eq!(pages.len(), 3);
    let seen: BTreeSet<String> = pages.iter().flatten().cloned().collect();
    assert_eq!(seen, all_unions());

    // Asking to join a branch there: the unions come a page at a time too.
    let mut lan = app.person(781_002, "Nguyễn Thị Lan");
    lan.send("/join").await.unwrap();
    while screen(&lan).button(BIG_DISTRICT_NAME).is_none() {
        lan.tap("Xem thêm »").await.unwrap();
    }
    lan.tap(BIG_DISTRICT_NAME).await.unwrap();
    let pages = page_through(&mut lan).await;
    let seen: BTreeSet<String> = pages.iter().flatten().cloned().collect();
    assert_eq!(seen, all_unions());
    app.shutdown().await;
}

async fn zalo_numbers_one_page_of_a_long_list_and_more_on_request(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    import_big_district(&app).await;
    let mut thu = app
        .zalo_joined("z-781", "Vũ Thị Thu", BIG_DISTRICT, Role::DistrictAdmin)
        .await;
    let r = thu.send("/tiendo").await.unwrap();
    let listed = |text: &str| -> BTreeSet<String> {
        text.lines()
            .filter_map(|l| l.split_once(". "))
            .filter(|(n, _)| n.parse::<usize>().is_ok())
            .map(|(_, label)| label.to_owned())
            .filter(|l| l.starts_with("Hội LHPN xã Thử"))
            .collect()
    };
    let first = listed(&zalo_texts(&r));
    assert_eq!(first.len(), 8, "{}", zalo_texts(&r));
    assert!(zalo_texts(&r).contains("Xem thêm »"), "{}", zalo_texts(&r));
    let r = thu.send("xem them").await.unwrap();
    let second = listed(&zalo_texts(&r));
    assert_eq!(second.len(), 8, "{}", zalo_texts(&r));
    assert!(first.is_disjoint(&second));
    assert!(zalo_texts(&r).contains("« Trước"), "{}", zalo_texts(&r));
    // A number picks from the page she sees.
    let r = thu.send("1").await.unwrap();
    let picked = second.iter().next().unwrap();
    assert!(
        zalo_texts(&r).contains(picked.as_str()),
        "{}",
        zalo_texts(&r)
    );
    app.shutdown().await;
}

both_backends!(
    drill_downs_of_a_unit_with_many_children_come_a_page_at_a_time,
    zalo_numbers_one_page_of_a_long_list_and_more_on_request,
);
