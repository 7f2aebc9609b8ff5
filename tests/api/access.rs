//! Access that can be taken away (issue 10, item 7): an operator lists people, changes a role
//! or removes someone; invites are listed by a prefix and revoked; a branch head removes a
//! member of her branch in chat; an old invite link never brings a role back.

use chihoi::app;
use chihoi::domain::role::Role;
use chrono::Duration;

use crate::both_backends;
use crate::helpers::*;

async fn user_id(app: &TestApp, platform_user_id: &str) -> i64 {
    app.count(&format!(
        "SELECT user_id FROM identities WHERE platform_user_id = '{platform_user_id}'"
    ))
    .await
}

async fn role_of(app: &TestApp, id: i64) -> (Option<i64>, Option<String>) {
    sqlx::query_as("SELECT unit_id, role FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    app.count(&format!("SELECT id FROM units WHERE code = '{code}'"))
        .await
}

/// The version stamped on a dialog message's choices (`d:<version>:…`).
fn version_of(m: &chihoi_fakes::telegram::SentMessage) -> String {
    let data = m.buttons[0][0].callback_data.clone().unwrap();
    data.split(':').nth(1).unwrap().to_owned()
}

async fn an_operator_takes_access_away_and_her_old_buttons_and_queued_messages_die(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, false).await;
    let calendars = app.calendars();
    let mut lan = app
        .joined(711_001, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut mai = app
        .joined(711_002, "Phạm Thị Mai", BRANCH, Role::Member)
        .await;
    app.joined(711_003, "Trần Thị Hoa", OTHER_BRANCH, Role::BranchHead)
        .await;
    app.joined(711_004, "Đỗ Thị Hạnh", "TB-TP-LHP-T1", Role::BranchHead)
        .await;
    let lan_id = user_id(&app, "711001").await;

    // She has filed November's report: it stays whatever happens to her access.
    lan.send("/baocao").await.unwrap();
    answer_and_submit(&mut lan).await;

    // At 22:00 a member writes to her; the notice waits for the end of quiet hours.
    app.set_now(mid_november() + Duration::hours(12));
    mai.send("/ykien").await.unwrap();
    mai.send("Đường làng ngập nước").await.unwrap();
    let sent = mai.tap("Gửi kèm tên").await.unwrap();
    assert!(texts(&sent).contains("Đã gửi ý kiến"), "{}", texts(&sent));
    assert!(lan.unread().is_empty(), "quiet hours");
    // She opens her report again: its buttons are on her screen.
    let r = lan.send("/baocao").await.unwrap();
    let screen = r.last().unwrap().clone();
    assert!(screen.button("✏️ Sửa báo cáo").is_some(), "{}", texts(&r));

    // Who has which role where, and when they last wrote; nothing that reaches them.
    let list = app::user_list(&app.store, &calendars, Some(GRASSROOTS))
        .await
        .unwrap();
    let line = list
        .lines()
        .find(|l| l.contains("Nguyễn Thị Lan"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.starts_with(&format!("#{lan_id} ")), "{line}");
    for part in ["branch_head", BRANCH, "telegram", "2026-11-15 22:00"] {
        assert!(line.contains(part), "{part}: {line}");
    }
    assert!(
        list.contains("Phạm Thị Mai") && list.contains("Trần Thị Hoa"),
        "{list}"
    );
    assert!(!list.contains("Đỗ Thị Hạnh"), "outside the unit: {list}");
    assert!(
        !list.contains("711001") && !list.contains("711002"),
        "{list}"
    );
    let branch_only = app::user_list(&app.store, &calendars, Some(BRANCH))
        .await
        .unwrap();
    assert!(!branch_only.contains("Trần Thị Hoa"), "{branch_only}");

    let out = app::user_remove(&app.store, &calendars, lan_id, app.now())
        .await
        .unwrap();
    assert!(out.contains("1 queued message(s) cancelled"), "{out}");
    assert_eq!(role_of(&app, lan_id).await, (None, None));

    // Next morning she hears, politely, that she was removed — and nothing else.
    app.set_now(mid_november() + Duration::hours(22));
    app.drain().await;
    let told = lan.unread();
    assert_eq!(told.len(), 1, "{}", texts(&told));
    assert!(
        text(&told[0])
            .contains("Chị không còn trong danh sách Chi hội phụ nữ thôn Đồng Thanh trên bot nữa"),
        "{}",
        text(&told[0])
    );
    assert!(
        text(&told[0]).contains("vẫn được giữ"),
        "{}",
        text(&told[0])
    );
    // A button still on her screen is out of date.
    let data = screen
        .button("✏️ Sửa báo cáo")
        .unwrap()
        .callback_data
        .clone()
        .unwrap();
    lan.tap_data(screen.message_id, &data).await.unwrap();
    assert_eq!(
        last_notice(&app),
        "Lựa chọn này đã cũ. Chị chọn trong tin nhắn mới nhất nhé."
    );
    // Her old role's commands are gone; she is told how to join.
    let r = lan.send("/baocao").await.unwrap();
    assert!(
        texts(&r).contains("Để bắt đầu, chị gửi mã mời"),
        "{}",
        texts(&r)
    );
    // What she reported stays.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM reports WHERE author_id = {lan_id}"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM opinions").await,
        1,
        "the member's opinion stays too"
    );
    // Removing her again changes nothing; an unknown person is an error.
    let again = app::user_remove(&app.store, &calendars, lan_id, app.now())
        .await
        .unwrap();
    assert!(again.contains("holds no role"), "{again}");
    assert!(
        app::user_remove(&app.store, &calendars, 999_999, app.now())
            .await
            .is_err()
    );
    app.shutdown().await;
}

async fn an_operator_changes_a_role_and_she_is_told_in_her_language(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let calendars = app.calendars();
    let code = app.invite(BRANCH, Role::Member, 1).await;
    let mut mai = app.person(712_001, "Mai").speaking("en");
    let r = mai.send(&format!("/start {code}")).await.unwrap();
    assert!(texts(&r).contains("as Member"), "{}", texts(&r));
    let mai_id = user_id(&app, "712001").await;
    // Mid-opinion, her role changes: the open dialog ends.
    let r = mai.send("/ykien").await.unwrap();
    let screen = r.last().unwrap().clone();

    let out = app::user_set_role(
        &app.store,
        &calendars,
        mai_id,
        Role::BranchHead,
        Some(OTHER_BRANCH),
        app.now(),
    )
    .await
    .unwrap();
    assert!(
        out.contains(&format!(
            "is now branch_head of {OTHER_BRANCH} (was member of {BRANCH})"
        )),
        "{out}"
    );
    assert_eq!(
        role_of(&app, mai_id).await,
        (
            Some(unit_id(&app, OTHER_BRANCH).await),
            Some("branch_head".into())
        )
    );
    app.drain().await;
    let told = mai.unread();
    assert!(
        texts(&told).contains("Your role in Chi hội phụ nữ thôn Lạc Thành is now Branch head"),
        "{}",
        texts(&told)
    );
    let data = screen.buttons[0][0].callback_data.clone().unwrap();
    mai.tap_data(screen.message_id, &data).await.unwrap();
    assert!(
        last_notice(&app).contains("out of date"),
        "{}",
        last_notice(&app)
    );
    // Her menu fits her new role.
    let r = mai.send("menu").await.unwrap();
    assert!(
        r.last().unwrap().button("📋 Monthly report").is_some(),
        "{}",
        texts(&r)
    );
    // The same role again changes nothing; someone with no unit needs --unit.
    let same = app::user_set_role(
        &app.store,
        &calendars,
        mai_id,
        Role::BranchHead,
        None,
        app.now(),
    )
    .await
    .unwrap();
    assert!(same.contains("nothing changed"), "{same}");
    app.person(712_002, "Hoa").send("xin chào").await.unwrap();
    let hoa_id = user_id(&app, "712002").await;
    let refused = app::user_set_role(
        &app.store,
        &calendars,
        hoa_id,
        Role::Member,
        None,
        app.now(),
    )
    .await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("--unit")),
        "needs a unit"
    );
    app.shutdown().await;
}

async fn invites_are_listed_by_a_prefix_and_a_revoked_one_no_longer_works(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let calendars = app.calendars();
    let used = app.invite(BRANCH, Role::BranchHead, 1).await;
    app.joined(713_001, "Nguyễn Thị Lan", BRANCH, Role::Member)
        .await;
    let mut lan = app.person(713_002, "Lê Thị Lan");
    lan.send(&format!("/start {used}")).await.unwrap();
    let open = app.invite(BRANCH, Role::Member, 5).await;
    let elsewhere = app.invite("TB-TP-LHP-T1", Role::Member, 1).await;

    let list = app::invite_list(&app.store, &calendars, Some(GRASSROOTS), app.now())
        .await
        .unwrap();
    for code in [&used, &open] {
        let line = list
            .lines()
            .find(|l| l.starts_with(&code[..6]))
            .unwrap_or_else(|| panic!("{list}"));
        assert!(!line.contains(code.as_str()), "whole code printed: {line}");
        assert!(line.contains(BRANCH), "{line}");
    }
    assert!(!list.contains(&elsewhere[..6]), "outside the unit: {list}");
    let status = |list: &str, code: &str| {
        list.lines()
            .find(|l| l.starts_with(&code[..6]))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .unwrap_or_default()
    };
    assert_eq!(status(&list, &used), "used");
    assert_eq!(status(&list, &open), "open");

    // Revoked by a prefix: the code stops working at once, with a clear word in her language.
    let out = app::invite_revoke(&app.store, &open[..8], app.now())
        .await
        .unwrap();
    assert!(out.contains("Revoked invite"), "{out}");
    let mut hoa = app.person(713_003, "Trần Thị Hoa");
    let r = hoa.send(&format!("/start {open}")).await.unwrap();
    assert!(
        texts(&r).contains("Mã mời này đã bị thu hồi. Chị xin cán bộ Hội gửi mã mới nhé."),
        "{}",
        texts(&r)
    );
    let mut anna = app.person(713_004, "Anna").speaking("en");
    let r = anna.send(&open).await.unwrap();
    assert!(
        texts(&r).contains("This invite code has been withdrawn"),
        "{}",
        texts(&r)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role IS NOT NULL")
            .await,
        2
    );
    let list = app::invite_list(&app.store, &calendars, None, app.now())
        .await
        .unwrap();
    assert_eq!(status(&list, &open), "revoked");
    assert_eq!(status(&list, &elsewhere), "open");
    let later = app::invite_list(&app.store, &calendars, None, app.now() + Duration::days(8))
        .await
        .unwrap();
    assert_eq!(status(&later, &elsewhere), "expired");
    // Too short, unknown or already revoked: said plainly.
    assert!(
        app::invite_revoke(&app.store, "ab", app.now())
            .await
            .is_err()
    );
    assert!(
        app::invite_revoke(&app.store, "zzzzzzzzzzzz", app.now())
            .await
            .is_err()
    );
    let again = app::invite_revoke(&app.store, &open, app.now())
        .await
        .unwrap();
    assert!(again.contains("revoked already"), "{again}");
    app.shutdown().await;
}

async fn an_old_invite_link_never_brings_a_role_back(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let calendars = app.calendars();
    let head_code = app.invite(BRANCH, Role::BranchHead, 1).await;
    let member_code = app.invite(BRANCH, Role::Member, 1).await;
    let mut lan = app.person(714_001, "Nguyễn Thị Lan");
    lan.send(&format!("/start {head_code}")).await.unwrap();
    let mut mai = app.person(714_002, "Phạm Thị Mai");
    mai.send(&format!("/start {member_code}")).await.unwrap();
    let lan_id = user_id(&app, "714001").await;
    let mai_id = user_id(&app, "714002").await;
    let branch = Some(unit_id(&app, BRANCH).await);

    // Her role was lowered: opening her old link again does not raise it back.
    app::user_set_role(
        &app.store,
        &calendars,
        lan_id,
        Role::Member,
        None,
        app.now(),
    )
    .await
    .unwrap();
    let r = lan.send(&format!("/start {head_code}")).await.unwrap();
    assert!(
        texts(&r).contains("Chị đã dùng mã mời này rồi"),
        "{}",
        texts(&r)
    );
    assert_eq!(role_of(&app, lan_id).await, (branch, Some("member".into())));
    // Removed: the old link, still valid, gives nothing back.
    app::user_remove(&app.store, &calendars, lan_id, app.now())
        .await
        .unwrap();
    let r = lan.send(&format!("/start {head_code}")).await.unwrap();
    assert!(
        texts(&r).contains("Chị đã dùng mã mời này rồi"),
        "{}",
        texts(&r)
    );
    assert_eq!(role_of(&app, lan_id).await, (None, None));
    // Revoked: she is told so, and still gets nothing.
    app::invite_revoke(&app.store, &head_code, app.now())
        .await
        .unwrap();
    let r = lan.send(&head_code).await.unwrap();
    assert!(texts(&r).contains("đã bị thu hồi"), "{}", texts(&r));
    assert_eq!(role_of(&app, lan_id).await, (None, None));

    // Expired: a removed member re-opening her link after it ran out gets nothing back.
    app::user_remove(&app.store, &calendars, mai_id, app.now())
        .await
        .unwrap();
    app.set_now(mid_november() + Duration::days(8));
    let r = mai.send(&format!("/start {member_code}")).await.unwrap();
    assert!(texts(&r).contains("Mã mời đã hết hạn"), "{}", texts(&r));
    assert_eq!(role_of(&app, mai_id).await, (None, None));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invite_redemptions").await,
        2,
        "nothing was redeemed again"
    );
    app.shutdown().await;
}

async fn a_branch_head_removes_a_member_of_her_branch_after_confirming(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(715_001, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut mai = app
        .joined(715_002, "Phạm Thị Mai", BRANCH, Role::Member)
        .await;
    app.joined(715_003, "Vũ Thị Thu", "TB-DH-DHOP-T1-G1", Role::Member)
        .await;
    app.joined(715_004, "Trần Thị Hoa", OTHER_BRANCH, Role::Member)
        .await;
    app.joined(715_005, "Đỗ Thị Hạnh", BRANCH, Role::BranchHead)
        .await;
    app.joined(715_006, "Bùi Thị Yến", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let lan_id = user_id(&app, "715001").await;
    let mai_id = user_id(&app, "715002").await;

    let r = lan.send("/start").await.unwrap();
    assert!(
        r.last().unwrap().button("👥 Hội viên").is_some(),
        "{}",
        texts(&r)
    );
    let r = lan.tap("👥 Hội viên").await.unwrap();
    let list = r.last().unwrap().clone();
    assert!(
        text(&list).contains("Chi hội phụ nữ thôn Đồng Thanh: 2 hội viên dùng bot"),
        "{}",
        text(&list)
    );
    // Her branch's members, groups included; not herself, not her equal, not those above
    // her, nobody from another branch.
    assert_eq!(
        list.button_texts(),
        vec!["Phạm Thị Mai", "Vũ Thị Thu", "✖ Hủy"],
        "{}",
        text(&list)
    );

    // Made-up choices for people she may not remove are refused, and change nothing.
    let version = version_of(&list);
    for outsider in ["715001", "715004", "715005", "715006"] {
        let id = user_id(&app, outsider).await;
        lan.tap_data(list.message_id, &format!("d:{version}:m:{id}"))
            .await
            .unwrap();
        assert_eq!(
            last_notice(&app),
            "Việc này không thuộc quyền của chị.",
            "{outsider}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role IS NULL")
            .await,
        0
    );

    let confirm = lan.tap("Phạm Thị Mai").await.unwrap();
    assert!(
        texts(&confirm).contains("Xóa Phạm Thị Mai khỏi danh sách Chi hội phụ nữ thôn Đồng Thanh?"),
        "{}",
        texts(&confirm)
    );
    // Back to the list, and again: nothing happens until she confirms.
    lan.tap("⬆ Quay lại").await.unwrap();
    assert_eq!(role_of(&app, mai_id).await.1.as_deref(), Some("member"));
    let confirm = lan.tap("Phạm Thị Mai").await.unwrap();
    let stale = confirm
        .iter()
        .find_map(|m| {
            m.button("🗑 Xóa khỏi chi hội")
                .and_then(|b| b.callback_data.clone())
                .map(|data| (m.message_id, data))
        })
        .expect("a confirm button");
    let done = lan.tap("🗑 Xóa khỏi chi hội").await.unwrap();
    assert!(
        texts(&done).contains("Đã xóa Phạm Thị Mai khỏi danh sách chi hội"),
        "{}",
        texts(&done)
    );
    assert_eq!(role_of(&app, mai_id).await, (None, None));
    let told = mai.unread();
    assert!(
        texts(&told)
            .contains("Chị không còn trong danh sách Chi hội phụ nữ thôn Đồng Thanh trên bot nữa")
            && texts(&told).contains("chi hội trưởng"),
        "{}",
        texts(&told)
    );
    // A second tap on the old confirm button does nothing more.
    lan.tap_data(stale.0, &stale.1).await.unwrap();
    assert!(last_notice(&app).contains("đã cũ"), "{}", last_notice(&app));
    assert!(mai.unread().is_empty());
    // She is no longer a member; the head's list has one member left.
    let r = mai.send("/khancap").await.unwrap();
    assert!(texts(&r).contains("Để bắt đầu"), "{}", texts(&r));
    let r = lan.send("/hoivien").await.unwrap();
    assert_eq!(
        r.last().unwrap().button_texts(),
        vec!["Vũ Thị Thu", "✖ Hủy"],
        "{}",
        texts(&r)
    );
    // A member has no such list.
    let thu_id = user_id(&app, "715003").await;
    let mut thu = app.person(715_003, "Vũ Thị Thu");
    let r = thu.send("/hoivien").await.unwrap();
    assert!(
        texts(&r).contains("Chỉ chi hội trưởng xem được danh sách hội viên"),
        "{}",
        texts(&r)
    );
    assert_eq!(role_of(&app, thu_id).await.1.as_deref(), Some("member"));
    assert_eq!(
        role_of(&app, lan_id).await.1.as_deref(),
        Some("branch_head")
    );
    app.shutdown().await;
}

async fn on_zalo_a_branch_head_removes_a_member_by_typing_numbers(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut lan = app
        .zalo_joined("0084900716001", "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut mai = app
        .zalo_joined("0084900716002", "Phạm Thị Mai", BRANCH, Role::Member)
        .await;
    let r = lan.send("hoi vien").await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("1 hội viên dùng bot"), "{t}");
    assert!(t.contains("\n1. Phạm Thị Mai\n2. ✖ Hủy"), "{t}");
    let r = lan.send("1").await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("Xóa Phạm Thị Mai khỏi danh sách"), "{t}");
    assert!(t.contains("\n1. 🗑 Xóa khỏi chi hội"), "{t}");
    let r = lan.send("1").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Đã xóa Phạm Thị Mai"),
        "{}",
        zalo_texts(&r)
    );
    let told = mai.replies().await.unwrap();
    assert!(
        zalo_texts(&told).contains("Chị không còn trong danh sách Chi hội phụ nữ thôn Đồng Thanh"),
        "{}",
        zalo_texts(&told)
    );
    // The numbered menu she was shown before picks nothing now.
    let r = mai.send("1").await.unwrap();
    assert!(zalo_texts(&r).contains("Để bắt đầu"), "{}", zalo_texts(&r));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role IS NULL")
            .await,
        1
    );
    app.shutdown().await;
}

both_backends!(
    an_operator_takes_access_away_and_her_old_buttons_and_queued_messages_die,
    an_operator_changes_a_role_and_she_is_told_in_her_language,
    invites_are_listed_by_a_prefix_and_a_revoked_one_no_longer_works,
    an_old_invite_link_never_brings_a_role_back,
    a_branch_head_removes_a_member_of_her_branch_after_confirming,
    on_zalo_a_branch_head_removes_a_member_by_typing_numbers,
);
