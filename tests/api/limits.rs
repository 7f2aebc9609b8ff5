//! Limits (issue 10, item 8): long lists of choices come a page at a time on Telegram and on
//! Zalo; each person may ask to join, report something urgent and ask for charts and exports
//! only so often, and is told kindly when she may again, her step kept.

use std::collections::BTreeSet;

use chihoi::app;
use chihoi::channel::FloodLimit;
use chihoi::domain::role::Role;
use chrono::Duration;

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

/// With the join dialog open: from the districts to "Gửi yêu cầu".
async fn pick_branch(p: &mut chihoi_fakes::telegram::person::Person<'_>) {
    p.send("/join").await.unwrap();
    p.tap("Hội LHPN huyện Đông Hưng").await.unwrap();
    p.tap("Hội LHPN xã Đông Hợp").await.unwrap();
    p.tap("Chi hội phụ nữ thôn Đồng Thanh").await.unwrap();
}

async fn join_requests_are_limited_per_day_across_restarts_and_the_branch_stays_chosen(
    backend: Backend,
) {
    let mut app = TestApp::spawn(backend).await;
    app.joined(782_001, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut mai = app.person(782_002, "Phạm Thị Mai");
    for _ in 0..3 {
        pick_branch(&mut mai).await;
        let sent = mai.tap("Gửi yêu cầu").await.unwrap();
        assert!(texts(&sent).contains("Đã gửi yêu cầu"), "{}", texts(&sent));
        app.advance(Duration::minutes(10));
    }
    pick_branch(&mut mai).await;
    let refused = mai.tap("Gửi yêu cầu").await.unwrap();
    assert!(
        texts(&refused).contains(
            "Trong 24 giờ qua chị đã gửi 3 yêu cầu xin vào chi hội. Chị chờ chi hội trưởng trả lời, hoặc gửi lại sau 10:00 ngày 16/11 nhé."
        ),
        "{}",
        texts(&refused)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM join_requests").await, 3);

    // The count is in the database: a restart does not reset it.
    drop(mai);
    app.restart_bot().await;
    let mut mai = app.person(782_002, "Phạm Thị Mai");
    mai.unread();
    let handled = app.count("SELECT COUNT(*) FROM processed_updates").await;
    mai.tap("Gửi yêu cầu").await.unwrap();
    // Her tap was handled by the restarted bot, which counted her three requests from the
    // database: no fourth, and the same refusal on the same message.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM processed_updates").await,
        handled + 1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM join_requests").await, 3);
    let again = screen(&mai);
    assert!(
        text(&again).contains("sau 10:00 ngày 16/11"),
        "{}",
        text(&again)
    );

    // A day after her first request, the branch she chose is still on screen.
    app.set_now(mid_november() + Duration::hours(24));
    let sent = mai.tap("Gửi yêu cầu").await.unwrap();
    assert!(
        texts(&sent).contains("Đã gửi yêu cầu tới Chi hội phụ nữ thôn Đồng Thanh"),
        "{}",
        texts(&sent)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM join_requests").await, 4);
    app.shutdown().await;
}

/// /khancap up to the confirmation.
async fn describe_urgent(p: &mut chihoi_fakes::telegram::person::Person<'_>) -> String {
    p.send("/khancap").await.unwrap();
    p.tap("Lĩnh vực khác").await.unwrap();
    p.tap("Mức nhẹ").await.unwrap();
    p.send("3").await.unwrap();
    texts(&p.send("Cháy rơm ngoài đồng").await.unwrap())
}

async fn urgent_reports_are_limited_per_hour_and_a_described_one_waits_to_be_sent(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.joined(783_001, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app
        .joined(783_002, "Phạm Thị Mai", BRANCH, Role::Member)
        .await;
    for _ in 0..4 {
        describe_urgent(&mut mai).await;
        let sent = texts(&mai.tap("🚨 Gửi ngay").await.unwrap());
        assert!(!sent.contains("một giờ qua"), "{sent}");
        app.advance(Duration::minutes(5));
    }
    // She describes a fifth while a report of hers arrives from her other app (another
    // instance): the limit is reached when she sends, and what she typed stays.
    let confirm = describe_urgent(&mut mai).await;
    assert!(confirm.contains("Gửi báo cáo khẩn này?"), "{confirm}");
    let mai_id = app
        .count("SELECT user_id FROM identities WHERE platform_user_id = '783002'")
        .await;
    let unit = app
        .count(&format!("SELECT id FROM units WHERE code = '{BRANCH}'"))
        .await;
    sqlx::query(
        "INSERT INTO urgent_reports (unit_id, reporter_id, field, severity, people, description, status, created_at, updated_at, level, source)
         VALUES ($1, $2, 'other', 'minor', 1, 'Từ Zalo', 'open', $3, $3, 0, 'adhoc')",
    )
    .bind(unit)
    .bind(mai_id)
    .bind(app.now().timestamp())
    .execute(app.store.pool())
    .await
    .unwrap();
    let refused = texts(&mai.tap("🚨 Gửi ngay").await.unwrap());
    assert!(
        refused.contains(
            "Trong một giờ qua chị đã gửi 5 báo cáo khẩn. Chị gửi tiếp được sau 11:00 nhé."
        ),
        "{refused}"
    );
    assert!(
        refused.contains("Báo cáo chị vừa nhập vẫn được giữ"),
        "{refused}"
    );
    assert!(
        refused.contains("Cháy rơm ngoài đồng"),
        "the report is on screen: {refused}"
    );
    let adhoc = "SELECT COUNT(*) FROM urgent_reports WHERE source = 'adhoc'";
    assert_eq!(app.count(adhoc).await, 5);
    // A new one is refused at once, before she types anything.
    app.advance(Duration::minutes(1));
    let r = texts(&mai.send("/khancap").await.unwrap());
    assert!(r.contains("Chị gửi tiếp được sau 11:00"), "{r}");
    assert!(!r.contains("Lĩnh vực khác"), "{r}");
    // An hour after her first, the one she described goes.
    app.set_now(mid_november() + Duration::hours(1));
    describe_urgent(&mut mai).await;
    let sent = texts(&mai.tap("🚨 Gửi ngay").await.unwrap());
    assert!(!sent.contains("một giờ qua"), "{sent}");
    assert_eq!(app.count(adhoc).await, 6);
    app.shutdown().await;
}

async fn charts_and_exports_are_limited_per_hour_and_the_chosen_range_stays(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut hoa = app
        .joined(784_001, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    hoa.send("/tiendo").await.unwrap();
    let photos = |hoa: &chihoi_fakes::telegram::person::Person<'_>| {
        hoa.inbox().iter().filter(|m| m.photo.is_some()).count()
    };
    for i in 1..=10 {
        hoa.tap("📈 Biểu đồ").await.unwrap();
        // A chart is drawn in the background after the tap is answered; the next one may be
        // asked for once this one is recorded as sent (one file at a time).
        let made_pending = "SELECT COUNT(*) FROM outbox WHERE kind = 'made' AND status = 'pending'";
        for _ in 0..100 {
            if photos(&hoa) == i && app.count(made_pending).await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(photos(&hoa), i);
    }
    hoa.unread();
    let r = hoa.tap("📈 Biểu đồ").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(photos(&hoa), 10, "no eleventh chart");
    assert!(
        texts(&r).contains(
            "Trong một giờ qua chị đã yêu cầu 10 biểu đồ và tệp báo cáo. Chị yêu cầu tiếp được sau 11:00 nhé."
        ),
        "{}",
        texts(&r)
    );
    hoa.send("/xuat").await.unwrap();
    hoa.tap("Cả năm 2026").await.unwrap();
    let r = hoa.tap("Bảng tính Excel").await.unwrap();
    assert!(r.iter().all(|m| m.document.is_none()), "no file");
    assert!(texts(&r).contains("sau 11:00"), "{}", texts(&r));
    assert!(
        texts(&r).contains("Cả năm 2026 — chị muốn nhận tệp loại nào?"),
        "the range stays: {}",
        texts(&r)
    );
    app.advance(Duration::hours(1));
    hoa.tap("Tệp CSV (cho máy tính)").await.unwrap();
    for _ in 0..100 {
        if hoa.inbox().iter().any(|m| m.document.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        hoa.inbox().iter().any(|m| m.document.is_some()),
        "the export"
    );
    app.shutdown().await;
}

/// Messages a flood sends at once, more than three of Telegram's polled batches.
const FLOOD: usize = 300;

async fn a_flood_from_one_chat_is_cut_short_and_does_not_hold_up_another(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.stop_bot().await;
    app.flood = FloodLimit::default();
    app.start_bot().await;
    app.joined(786_001, "Lê Thị Nga", BRANCH, Role::Member)
        .await;
    let lan = app
        .joined(786_002, "Nguyễn Thị Lan", OTHER_BRANCH, Role::BranchHead)
        .await;
    let before = app.api.sent_to(786_001).len();
    let nga = chihoi_fakes::telegram::TestUser::new(786_001, "Lê Thị Nga");
    for i in 0..FLOOD {
        app.api.push_text(&nga, &format!("tin {i}"));
    }
    // Lan asks for her report behind the whole flood: she is answered before the flood could
    // have been.
    app.api.push_text(
        &chihoi_fakes::telegram::TestUser::new(lan.id(), "Nguyễn Thị Lan"),
        "/baocao",
    );
    let answer = app
        .api
        .wait_for_sent(
            lan.id(),
            lan.inbox().len() + 1,
            std::time::Duration::from_secs(20),
        )
        .await
        .expect("Lan is answered");
    assert!(
        texts(&answer).contains("Báo cáo tháng 11/2026"),
        "{}",
        texts(&answer)
    );
    let flood_replies = app.api.sent_to(786_001).len() - before;
    assert!(
        flood_replies <= 2 * chihoi::channel::FLOOD_BURST as usize,
        "{flood_replies} replies to the flood before Lan's"
    );
    app.api
        .wait_until_consumed(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let to_nga = app.api.sent_to(786_001);
    let to_nga = &to_nga[before..];
    assert!(
        to_nga.len() <= 2 * chihoi::channel::FLOOD_BURST as usize + 1,
        "{} replies to {FLOOD} messages",
        to_nga.len()
    );
    let told = to_nga
        .iter()
        .filter(|m| text(m).contains("Chị gửi nhiều tin liền quá"))
        .count();
    assert_eq!(told, 1, "told once: {}", texts(to_nga));
    app.shutdown().await;
}

async fn a_flood_on_zalo_is_cut_short_and_does_not_hold_up_another(backend: Backend) {
    let mut app = TestApp::spawn_with_zalo(backend, true).await;
    app.stop_bot().await;
    app.flood = FloodLimit::default();
    app.start_bot().await;
    app.zalo_joined("z-787-1", "Lê Thị Nga", BRANCH, Role::Member)
        .await;
    let mut lan = app
        .zalo_joined("z-787-2", "Nguyễn Thị Lan", OTHER_BRANCH, Role::BranchHead)
        .await;
    let nga = chihoi_fakes::zalo::ZaloUser::new("z-787-1", "Lê Thị Nga");
    let before = app.zalo().sent_to(&nga.chat_id()).len();
    for i in 0..FLOOD {
        app.zalo().push_text(&nga, &format!("tin {i}"));
    }
    let r = lan.send("/baocao").await.expect("Lan is answered");
    assert!(
        zalo_texts(&r).contains("Báo cáo tháng 11/2026"),
        "{}",
        zalo_texts(&r)
    );
    // Zalo's sends are paced (5 a second): the notice follows the replies of the burst.
    let told = |app: &TestApp| {
        app.zalo()
            .sent_to(&nga.chat_id())
            .iter()
            .any(|m| zalo_text(m).contains("Chị gửi nhiều tin liền quá"))
    };
    for _ in 0..200 {
        if told(&app) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let to_nga = app.zalo().sent_to(&nga.chat_id());
    let to_nga = &to_nga[before..];
    assert!(
        to_nga.len() <= 2 * chihoi::channel::FLOOD_BURST as usize + 1,
        "{} replies to {FLOOD} messages",
        to_nga.len()
    );
    let told = to_nga
        .iter()
        .filter(|m| zalo_text(m).contains("Chị gửi nhiều tin liền quá"))
        .count();
    assert_eq!(told, 1, "told once: {}", zalo_texts(to_nga));
    app.shutdown().await;
}

/// Two instances handling her updates at once take turns: while another instance's step holds
/// her account, her step waits, and it goes on when that one ends, reading what it wrote. Here
/// the other step (played by a transaction) queues her tenth export of the hour and moves her
/// dialog on; her own step, a tap on the export screen she saw before, then counts ten and is
/// refused, and writes nothing over the state the other step left. (On PostgreSQL the step
/// locks her row as it reads it; on SQLite one transaction writes at a time.)
async fn her_steps_on_two_instances_take_turns(backend: Backend) {
    use chihoi::dialog::Input;
    use chihoi::storage::sql;
    const HER: i64 = 424_242;
    let desk = std::sync::Arc::new(crate::direct::Desk::new(backend).await);
    // Her name as every step of hers gives it, so that no step writes her account.
    desk.join(HER, "Chị", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let her = desk.user_id(HER).await;
    let screen = desk.command(HER, "xuat", "").await;
    let range = screen
        .keyboard_of(HER)
        .and_then(|m| m.choices.iter().flatten().find(|c| c.data.contains(":x:")))
        .map(|c| c.data.clone())
        .expect("a range to export");
    let formats = desk.tap(HER, &range).await;
    let csv = formats
        .keyboard_of(HER)
        .and_then(|m| {
            m.choices
                .iter()
                .flatten()
                .find(|c| c.data.ends_with(":f:csv"))
        })
        .map(|c| c.data.clone())
        .expect("CSV offered");
    // Nine files this hour already.
    let now = desk.now.timestamp();
    let made = |n: i64| {
        format!(
            "INSERT INTO outbox (kind, platform, chat_id, user_id, not_before, status, created_at)
             SELECT 'made', 'telegram', '{HER}', {her}, {now}, 'sent', {now} - {n}"
        )
    };
    for n in 1..=9 {
        sqlx::query(&made(n))
            .execute(desk.store.pool())
            .await
            .unwrap();
    }
    let state = "SELECT state FROM dialog_states WHERE user_id = $1";
    let before: String = sqlx::query_scalar(state)
        .bind(her)
        .fetch_one(desk.store.pool())
        .await
        .unwrap();

    // The other instance's step: her tenth file, and her dialog moved on.
    let mut other = desk.store.begin().await.unwrap();
    sql::query("UPDATE users SET lang = lang WHERE id = $1")
        .bind(her)
        .execute(&mut other)
        .await
        .unwrap();
    sql::query(&made(0)).execute(&mut other).await.unwrap();
    let chosen = range_token(&range);
    let other_range = if chosen == "2025" { "2024" } else { "2025" };
    let moved_on = before.replace(&format!("\"{chosen}\""), &format!("\"{other_range}\""));
    assert_ne!(moved_on, before, "{before}");
    sql::query("UPDATE dialog_states SET state = $1 WHERE user_id = $2")
        .bind(&moved_on)
        .bind(her)
        .execute(&mut other)
        .await
        .unwrap();
    let step = {
        let desk = desk.clone();
        let inbound = desk.inbound(HER, "Chị", Input::Choice(csv));
        tokio::spawn(async move { desk.handle(&inbound).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !step.is_finished(),
        "her step went on while another held her account"
    );
    other.commit().await.unwrap();
    let step = tokio::time::timeout(std::time::Duration::from_secs(10), step)
        .await
        .expect("her step goes on once the other ends")
        .unwrap()
        .unwrap();
    let told = format!(
        "{}\n{}",
        step.text_to(HER),
        step.handled.notice.unwrap_or_default()
    );
    assert!(
        told.contains("10"),
        "the limit saw the other step's file: {told}"
    );
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM outbox WHERE kind = 'made'")
            .await,
        10,
        "no eleventh file"
    );
    let after: String = sqlx::query_scalar(state)
        .bind(her)
        .fetch_one(desk.store.pool())
        .await
        .unwrap();
    assert_eq!(
        after, moved_on,
        "her step wrote over the other's dialog state"
    );
}

/// The range of a range button's data (`d:<version>:x:<range>`).
fn range_token(data: &str) -> String {
    data[data.find(":x:").expect("a range") + 3..].to_owned()
}

both_backends!(
    her_steps_on_two_instances_take_turns,
    drill_downs_of_a_unit_with_many_children_come_a_page_at_a_time,
    zalo_numbers_one_page_of_a_long_list_and_more_on_request,
    join_requests_are_limited_per_day_across_restarts_and_the_branch_stays_chosen,
    urgent_reports_are_limited_per_hour_and_a_described_one_waits_to_be_sent,
    charts_and_exports_are_limited_per_hour_and_the_chosen_range_stays,
    a_flood_from_one_chat_is_cut_short_and_does_not_hold_up_another,
    a_flood_on_zalo_is_cut_short_and_does_not_hold_up_another,
);
