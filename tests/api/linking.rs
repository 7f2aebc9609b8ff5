//! Linking two apps (issue 17, part 2): a code is made on the account that has joined and
//! typed on the new app's account, which the joined account must then confirm; both are told.
//! Neither direction of the old takeover works; `/lienket` and the operator unlink; wrong codes
//! are limited per account and overall; an old invite brings no role back on any app of hers.
//! On Telegram (taps) and Zalo (typed numbers), both backends.

use chihoi::app;
use chihoi::domain::role::Role;
use chihoi_fakes::telegram::SentMessage;
use chihoi_fakes::telegram::person::Person;
use chrono::Duration;

use crate::both_backends;
use crate::helpers::*;

/// The `ABCD-EFGH` code in a reply.
fn code_in(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.len() == 9 && w.as_bytes()[4] == b'-')
        .map(str::to_owned)
}

async fn person_of(app: &TestApp, platform_user_id: &str) -> i64 {
    app.count(&format!(
        "SELECT user_id FROM identities WHERE platform_user_id = '{platform_user_id}'"
    ))
    .await
}

async fn accounts_of(app: &TestApp, person: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM identities WHERE user_id = {person}"
    ))
    .await
}

async fn role_of(app: &TestApp, person: i64) -> (Option<i64>, Option<String>) {
    sqlx::query_as("SELECT unit_id, role FROM users WHERE id = $1")
        .bind(person)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

/// Waits for a message to her containing `wanted` (sent because of someone else's step).
async fn told(p: &mut Person<'_>, wanted: &str) -> Vec<SentMessage> {
    p.wait_for(wanted, |m| text(m).contains(wanted))
        .await
        .unwrap_or_else(|e| panic!("never told {wanted:?}: {e}"))
}

/// `/lienket` on her joined Telegram account: the code it gives.
async fn code_from(p: &mut Person<'_>) -> String {
    let r = p.send("/lienket").await.unwrap();
    code_in(&texts(&r)).unwrap_or_else(|| panic!("no code: {}", texts(&r)))
}

/// One series (`name{labels}`) of this process's metrics; 0 when absent.
fn metric(name_and_labels: &str) -> f64 {
    let page = chihoi::metrics::install().render();
    page.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// The old attack, first direction: a stranger makes a code on her own account and gets a
/// district admin to "send this code to the bot". Now a code is only made on an account that
/// has joined, and a code typed on one that has joined is refused unread.
async fn a_code_typed_on_an_account_that_has_joined_is_refused_and_links_nothing(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut hoa = app
        .joined(17_201, "Trần Thị Hoa", DISTRICT, Role::DistrictAdmin)
        .await;
    let mut lan = app
        .joined(17_202, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let hoa_id = person_of(&app, "17201").await;

    // The stranger, on Zalo, gets no code to pass on: she is asked for one.
    let mut stranger = app.zalo_person("0084900000017203", "Người lạ");
    let r = stranger.send("/lienket").await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("Chị gõ mã liên kết vào đây"), "{t}");
    assert_eq!(code_in(&t), None, "{t}");
    assert_eq!(app.count("SELECT COUNT(*) FROM link_codes").await, 0);

    // A real code (another joined person's), typed by the admin: refused, on Telegram…
    let code = code_from(&mut lan).await;
    let r = hoa.send(&format!("/lienket {code}")).await.unwrap();
    assert!(
        texts(&r).contains("Tài khoản này đã tham gia Hội nên không nhận mã liên kết"),
        "{}",
        texts(&r)
    );
    // …as text typed while idle…
    let r = hoa.send(&code).await.unwrap();
    assert!(
        texts(&r).contains("không nhận mã liên kết"),
        "{}",
        texts(&r)
    );
    // …and on Zalo by someone who has joined there.
    let mut mai = app
        .zalo_joined("0084900000017204", "Phạm Thị Mai", BRANCH, Role::Member)
        .await;
    let r = mai.send(&format!("/lienket {code}")).await.unwrap();
    assert!(
        zalo_texts(&r).contains("không nhận mã liên kết"),
        "{}",
        zalo_texts(&r)
    );
    // Nothing was linked, nobody was asked, and the code was not even used up.
    assert_eq!(accounts_of(&app, hoa_id).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM link_requests").await, 0);
    assert!(
        !texts(&lan.unread()).contains("muốn dùng chung"),
        "the code's owner was asked nothing"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM link_codes").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM link_failures").await, 0);
    app.shutdown().await;
}

/// The old attack, second direction: the admin is talked into giving her own code away. Typed
/// while idle it does nothing; with `/lienket` it only asks her, and "Not me" ends it.
async fn a_code_given_away_links_nothing_until_the_joined_account_agrees(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut hoa = app
        .joined(17_301, "Trần Thị Hoa", DISTRICT, Role::DistrictAdmin)
        .await;
    let hoa_id = person_of(&app, "17301").await;
    let code = code_from(&mut hoa).await;

    let mut stranger = app.zalo_person("0084900000017302", "Người lạ");
    // Typed while idle: never redeemed; she is told where a code goes.
    let r = stranger.send(&code).await.unwrap();
    let t = zalo_texts(&r);
    assert!(t.contains("Nếu đây là mã liên kết"), "{t}");
    assert_eq!(app.count("SELECT COUNT(*) FROM link_requests").await, 0);
    assert!(hoa.unread().is_empty(), "the admin was asked nothing");

    // With /lienket: the admin is asked, and nothing is shared yet.
    let r = stranger
        .send(&format!("/lienket {}", code.to_lowercase()))
        .await
        .unwrap();
    assert!(
        zalo_texts(&r).contains("Bot đã hỏi tài khoản đã tham gia Hội"),
        "{}",
        zalo_texts(&r)
    );
    let asked = told(&mut hoa, "muốn dùng chung").await;
    let ask = asked
        .iter()
        .find(|m| text(m).contains("muốn dùng chung"))
        .unwrap();
    assert!(
        text(ask).contains("Tài khoản Zalo “Người lạ” muốn dùng chung với tài khoản này"),
        "{}",
        text(ask)
    );
    assert!(ask.button("✅ Đồng ý").is_some() && ask.button("✖ Không phải tôi").is_some());
    assert_eq!(accounts_of(&app, hoa_id).await, 1);
    let r = stranger.send("/baocao").await.unwrap();
    assert!(zalo_texts(&r).contains("Để bắt đầu"), "{}", zalo_texts(&r));

    // Someone else answering it (forged data) does nothing.
    let mut lan = app
        .joined(17_303, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM link_requests")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let message = lan.inbox().last().unwrap().message_id;
    lan.tap_data(message, &format!("lk:{id}:a")).await.unwrap();
    assert_eq!(accounts_of(&app, hoa_id).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM link_requests WHERE status = 'pending'")
            .await,
        1
    );

    // "Not me": both are told; nothing is shared.
    let r = hoa.tap("✖ Không phải tôi").await.unwrap();
    assert!(texts(&r).contains("Đã từ chối"), "{}", texts(&r));
    let r = stranger.replies().await.unwrap();
    assert!(
        zalo_texts(&r).contains("không đồng ý"),
        "{}",
        zalo_texts(&r)
    );
    // A second tap, on "Agree" this time, changes nothing.
    let r = hoa.tap("✅ Đồng ý").await.unwrap();
    assert!(!texts(&r).contains("Đã liên kết"), "{}", texts(&r));
    let notice = app
        .api
        .calls("answerCallbackQuery")
        .last()
        .and_then(|c| c["text"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(notice.contains("đã được trả lời rồi"), "{notice}");
    assert_eq!(accounts_of(&app, hoa_id).await, 1);
    let stranger_id = person_of(&app, "0084900000017302").await;
    assert_eq!(role_of(&app, stranger_id).await, (None, None));
    // The code was used up by the refused request.
    let r = stranger.send(&format!("/lienket {code}")).await.unwrap();
    assert!(
        zalo_texts(&r).contains("chưa đúng hoặc đã hết hạn"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM link_requests WHERE status = 'refused'")
            .await,
        1
    );
    app.shutdown().await;
}

/// She has joined on Zalo and adds Telegram: the code typed in Telegram's step is confirmed by
/// typing "1" on Zalo; both are told, and Telegram is hers from then on.
async fn linking_is_confirmed_on_the_joined_account_and_both_are_told(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut zl = app
        .zalo_joined(
            "0084900000017401",
            "Nguyễn Thị Lan",
            BRANCH,
            Role::BranchHead,
        )
        .await;
    let r = zl.send("/lienket").await.unwrap();
    let code = code_in(&zalo_texts(&r)).expect("a code");
    let lan_id = person_of(&app, "0084900000017401").await;

    let mut tg = app.person(17_402, "Lan Telegram");
    let r = tg.send("/lienket").await.unwrap();
    assert!(
        texts(&r).contains("Chị gõ mã liên kết vào đây"),
        "{}",
        texts(&r)
    );
    // A typo first: told, and asked again.
    let r = tg.send("ABCD-EFGH").await.unwrap();
    assert!(texts(&r).contains("chưa đúng"), "{}", texts(&r));
    let r = tg.send(&code).await.unwrap();
    assert!(
        texts(&r).contains("Bot đã hỏi tài khoản đã tham gia Hội"),
        "{}",
        texts(&r)
    );
    let asked = zl.replies().await.unwrap();
    let t = zalo_texts(&asked);
    assert!(
        t.contains("Tài khoản Telegram “Lan Telegram” muốn dùng chung"),
        "{t}"
    );
    assert!(
        t.contains("1. ✅ Đồng ý") && t.contains("2. ✖ Không phải tôi"),
        "{t}"
    );
    let r = zl.send("1").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Đã liên kết Telegram + Zalo"),
        "{}",
        zalo_texts(&r)
    );
    let done = told(&mut tg, "Đã liên kết").await;
    assert!(
        done.iter().any(|m| m.button("📋 Báo cáo tháng").is_some()),
        "her menu on Telegram: {}",
        texts(&done)
    );
    assert_eq!(person_of(&app, "17402").await, lan_id);
    assert_eq!(accounts_of(&app, lan_id).await, 2);
    let r = tg.send("/baocao").await.unwrap();
    assert!(
        texts(&r).contains("Tình hình lao động, sản xuất"),
        "{}",
        texts(&r)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE platform <> 'merged'")
            .await,
        1
    );
    app.shutdown().await;
}

/// A request left unanswered past the code's ten minutes links nothing when she agrees late.
async fn a_link_request_left_unanswered_expires(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut lan = app
        .joined(17_451, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let lan_id = person_of(&app, "17451").await;
    let code = code_from(&mut lan).await;
    let mut zl = app.zalo_person("0084900000017452", "Lan Zalo");
    zl.send(&format!("/lienket {code}")).await.unwrap();
    told(&mut lan, "muốn dùng chung").await;
    app.advance(Duration::minutes(10));
    let r = lan.tap("✅ Đồng ý").await.unwrap();
    assert!(texts(&r).contains("đã hết hạn"), "{}", texts(&r));
    assert_eq!(accounts_of(&app, lan_id).await, 1);
    assert_ne!(person_of(&app, "0084900000017452").await, lan_id);
    app.shutdown().await;
}

/// Access taken away from a person ends it on every app of hers: the list her Zalo chat was
/// shown last is forgotten even while she is reached on Telegram (a Zalo chat's id is not her
/// account's id).
async fn access_taken_away_ends_it_on_her_linked_zalo_chat_too(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let calendars = app.calendars();
    let mut tg = app
        .joined(17_471, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let lan_id = person_of(&app, "17471").await;
    let code = code_from(&mut tg).await;
    let mut zl = app.zalo_person("0084900000017472", "Lan Zalo");
    zl.send(&format!("/lienket {code}")).await.unwrap();
    told(&mut tg, "muốn dùng chung").await;
    tg.tap("✅ Đồng ý").await.unwrap();
    let r = zl.replies().await.unwrap();
    assert!(
        zalo_texts(&r).contains("1. 📋 Báo cáo tháng"),
        "{}",
        zalo_texts(&r)
    );
    let zalo_lists = "SELECT COUNT(*) FROM chat_choices WHERE platform = 'zalo'";
    assert_eq!(app.count(zalo_lists).await, 1);
    // She writes from Telegram last, then is removed.
    tg.send("/trogiup").await.unwrap();
    app::user_remove(&app.store, &calendars, lan_id, app.now())
        .await
        .unwrap();
    assert_eq!(
        app.count(zalo_lists).await,
        0,
        "her Zalo chat's list is forgotten"
    );
    app.shutdown().await;
}

/// `/lienket` lists the linked app and unlinks it after a confirmation; an operator can too.
/// The account taken out is a new one that has joined nothing, and both are told.
async fn an_account_is_unlinked_in_chat_or_by_an_operator(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let calendars = app.calendars();
    let mut tg = app
        .joined(17_501, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let lan_id = person_of(&app, "17501").await;
    let branch = Some(
        app.count(&format!("SELECT id FROM units WHERE code = '{BRANCH}'"))
            .await,
    );
    let mut zl = app.zalo_person("0084900000017502", "Lan Zalo");
    let link = async |tg: &mut Person<'_>, zl: &mut chihoi_fakes::zalo::person::ZaloPerson<'_>| {
        let code = code_from(tg).await;
        zl.send(&format!("/lienket {code}")).await.unwrap();
        told(tg, "muốn dùng chung").await;
        tg.tap("✅ Đồng ý").await.unwrap();
        let r = zl.replies().await.unwrap();
        assert!(zalo_texts(&r).contains("Đã liên kết"), "{}", zalo_texts(&r));
    };
    link(&mut tg, &mut zl).await;
    assert_eq!(accounts_of(&app, lan_id).await, 2);

    // In chat: the linked app is listed with a choice to unlink it, which asks first.
    let r = tg.send("/lienket").await.unwrap();
    assert!(
        texts(&r).contains("Đang dùng chung với tài khoản này: Zalo"),
        "{}",
        texts(&r)
    );
    let r = tg.tap("✂ Bỏ liên kết Zalo").await.unwrap();
    assert!(
        texts(&r).contains("Bỏ liên kết tài khoản Zalo?"),
        "{}",
        texts(&r)
    );
    assert_eq!(
        accounts_of(&app, lan_id).await,
        2,
        "not before she confirms"
    );
    let r = tg.tap("✂ Bỏ liên kết").await.unwrap();
    assert!(
        texts(&r).contains("Đã bỏ liên kết tài khoản Zalo"),
        "{}",
        texts(&r)
    );
    let r = zl.replies().await.unwrap();
    assert!(
        zalo_texts(&r).contains("không còn dùng chung với tài khoản Telegram"),
        "{}",
        zalo_texts(&r)
    );
    let zalo_id = person_of(&app, "0084900000017502").await;
    assert_ne!(zalo_id, lan_id);
    assert_eq!(role_of(&app, zalo_id).await, (None, None));
    assert_eq!(
        role_of(&app, lan_id).await,
        (branch, Some("branch_head".into()))
    );
    // The Zalo account has joined nothing now: a number picks nothing of hers.
    let r = zl.send("1").await.unwrap();
    assert!(zalo_texts(&r).contains("Để bắt đầu"), "{}", zalo_texts(&r));

    // Linked again, then unlinked by an operator.
    link(&mut tg, &mut zl).await;
    assert_eq!(accounts_of(&app, lan_id).await, 2);
    let out = app::user_unlink(&app.store, &calendars, lan_id, app::App::Zalo, app.now())
        .await
        .unwrap();
    assert!(out.contains("Unlinked Zalo from"), "{out}");
    assert_eq!(accounts_of(&app, lan_id).await, 1);
    assert_ne!(person_of(&app, "0084900000017502").await, lan_id);
    let r = zl.replies().await.unwrap();
    assert!(
        zalo_texts(&r).contains("không còn dùng chung"),
        "{}",
        zalo_texts(&r)
    );
    told(&mut tg, "Đã bỏ liên kết tài khoản Zalo").await;
    let list = app::user_list(&app.store, &calendars, Some(BRANCH))
        .await
        .unwrap();
    let line = list.lines().find(|l| l.contains("Nguyễn Thị Lan")).unwrap();
    assert!(
        line.contains(" telegram ") && !line.contains("zalo"),
        "{list}"
    );
    // Her only app cannot be unlinked.
    let refused = app::user_unlink(
        &app.store,
        &calendars,
        lan_id,
        app::App::Telegram,
        app.now(),
    )
    .await;
    assert!(refused.is_err(), "{refused:?}");
    app.shutdown().await;
}

/// Five wrong codes on one account stop that account for an hour (even with a good code); 60
/// wrong codes from everyone in ten minutes stop all linking until they leave the window.
async fn wrong_codes_are_limited_per_account_and_a_guessing_wave_is_stopped(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let mut lan = app
        .joined(17_601, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let code = code_from(&mut lan).await;
    let failures = "chihoi_link_code_failures_total";
    let by_account = r#"chihoi_link_code_refused_total{scope="account"}"#;
    let overall = r#"chihoi_link_code_refused_total{scope="overall"}"#;
    let before = (metric(failures), metric(by_account), metric(overall));

    let mut guesser = app.person(17_602, "Kẻ đoán mã");
    for _ in 0..5 {
        let r = guesser.send("/lienket ZZZZ-ZZZZ").await.unwrap();
        assert!(texts(&r).contains("chưa đúng"), "{}", texts(&r));
    }
    // The sixth, even the right code, is not looked at.
    let r = guesser.send(&format!("/lienket {code}")).await.unwrap();
    assert!(
        texts(&r).contains("Chị đã gõ sai mã liên kết 5 lần"),
        "{}",
        texts(&r)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM link_requests").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM link_codes").await, 1);
    assert!(metric(failures) - before.0 >= 5.0);
    assert!(metric(by_account) - before.1 >= 1.0);

    // A wave from many accounts, on both apps: 55 more wrong codes make 60.
    for i in 0..11 {
        if i % 2 == 0 {
            let mut p = app.person(17_610 + i, "Kẻ đoán mã");
            for _ in 0..5 {
                p.send("/lienket YYYY-YYYY").await.unwrap();
            }
        } else {
            let mut p = app.zalo_person(&format!("00849000000176{i:02}"), "Kẻ đoán mã");
            for _ in 0..5 {
                p.send("/lienket YYYY-YYYY").await.unwrap();
            }
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM link_failures").await, 60);
    // Now nobody's code is taken, not even the right one from a fresh account.
    let mut zl = app.zalo_person("0084900000017699", "Lan Zalo");
    let r = zl.send(&format!("/lienket {code}")).await.unwrap();
    assert!(
        zalo_texts(&r).contains("bot tạm ngừng nhận mã"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM link_requests").await, 0);
    assert!(metric(overall) - before.2 >= 1.0);
    assert!(lan.unread().is_empty(), "she was asked nothing");

    // Ten minutes later the wave has left the window: linking works again (with a new code,
    // the old one has expired), but the guesser's own hour is not over.
    app.advance(Duration::minutes(10) + Duration::seconds(1));
    let code = code_from(&mut lan).await;
    let r = guesser.send(&format!("/lienket {code}")).await.unwrap();
    assert!(texts(&r).contains("gõ sai mã liên kết"), "{}", texts(&r));
    let r = zl.send(&format!("/lienket {code}")).await.unwrap();
    assert!(zalo_texts(&r).contains("Bot đã hỏi"), "{}", zalo_texts(&r));
    told(&mut lan, "muốn dùng chung").await;
    app.shutdown().await;
}

/// An invite she used on one app gives no role back on any account that is or was hers: not
/// on the account she linked, nor on one unlinked afterwards.
async fn an_old_invite_brings_no_role_back_on_any_app_of_hers(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, true).await;
    let calendars = app.calendars();
    // A branch-wide member invite, many uses.
    let shared = app.invite(BRANCH, Role::Member, 20).await;
    let mut zl = app.zalo_person("0084900000017701", "Phạm Thị Mai");
    let r = zl.send(&shared).await.unwrap();
    assert!(zalo_texts(&r).contains("Chào chị"), "{}", zalo_texts(&r));
    let zalo_id = person_of(&app, "0084900000017701").await;
    // She is removed from the branch.
    app::user_remove(&app.store, &calendars, zalo_id, app.now())
        .await
        .unwrap();
    // Later she joins again on Telegram with an invite of her own, and links her Zalo to it.
    let mut tg = app
        .joined(17_702, "Phạm Thị Mai", OTHER_BRANCH, Role::Member)
        .await;
    let mai_id = person_of(&app, "17702").await;
    let code = code_from(&mut tg).await;
    zl.send(&format!("/lienket {code}")).await.unwrap();
    told(&mut tg, "muốn dùng chung").await;
    tg.tap("✅ Đồng ý").await.unwrap();
    zl.replies().await.unwrap();
    assert_eq!(person_of(&app, "0084900000017701").await, mai_id);
    // Removed again: the branch-wide invite her Zalo account used gives nothing back, from
    // Telegram or from Zalo.
    app::user_remove(&app.store, &calendars, mai_id, app.now())
        .await
        .unwrap();
    let r = tg.send(&format!("/start {shared}")).await.unwrap();
    assert!(
        texts(&r).contains("Chị đã dùng mã mời này rồi"),
        "{}",
        texts(&r)
    );
    let r = zl.send(&shared).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Chị đã dùng mã mời này rồi"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(role_of(&app, mai_id).await, (None, None));
    // Nor once her Zalo account is unlinked and stands alone.
    app::user_unlink(&app.store, &calendars, mai_id, app::App::Zalo, app.now())
        .await
        .unwrap();
    let alone = person_of(&app, "0084900000017701").await;
    assert_ne!(alone, mai_id);
    zl.replies().await.unwrap();
    let r = zl.send(&shared).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Chị đã dùng mã mời này rồi"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(role_of(&app, alone).await, (None, None));
    // One use of the shared invite, ever; redemptions are counted per redeeming, not copied.
    assert_eq!(
        app.count("SELECT uses FROM invites WHERE max_uses = 20")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invite_redemptions").await,
        2
    );
    app.shutdown().await;
}

both_backends!(
    a_code_typed_on_an_account_that_has_joined_is_refused_and_links_nothing,
    a_code_given_away_links_nothing_until_the_joined_account_agrees,
    linking_is_confirmed_on_the_joined_account_and_both_are_told,
    a_link_request_left_unanswered_expires,
    access_taken_away_ends_it_on_her_linked_zalo_chat_too,
    an_account_is_unlinked_in_chat_or_by_an_operator,
    wrong_codes_are_limited_per_account_and_a_guessing_wave_is_stopped,
    an_old_invite_brings_no_role_back_on_any_app_of_hers,
);
