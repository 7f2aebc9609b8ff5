//! Announcements (`/thongbao`, issue 18): composed by an officer for her subtree, sent in bulk
//! through the outbox, confirmed read by a tap (Telegram) or a number (Zalo); the sender's reach
//! per unit; reminding the unread once; stopping a kind; and a big announcement never holding up
//! an urgent alert.

use std::time::Duration;

use chihoi::domain::role::Role;
use chihoi::storage::outbox::{self, Claim, Kind, NewMessage};
use chihoi::storage::{announcements, org};
use chihoi_fakes::telegram::person::Person;
use chihoi_fakes::zalo::ZaloSent;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    an_officer_announces_to_a_unions_branch_heads_who_confirm_by_tap_and_by_number,
    an_announcement_cannot_reach_outside_the_senders_subtree,
    a_stopped_kind_is_not_sent_but_report_reminders_still_are,
    an_announcement_arriving_mid_dialog_never_changes_what_a_typed_number_means,
    an_urgent_alert_goes_before_the_rest_of_a_big_announcement,
    a_notice_queued_after_a_big_announcement_is_claimed_before_it,
    policy_reads_are_counted_once_per_person_for_target_3,
    an_officer_on_zalo_composes_by_numbers_and_words_and_sees_the_reach,
    an_announcement_sent_in_quiet_hours_waits_for_the_morning_and_says_so,
    a_photo_announcement_reaches_telegram_as_a_photo_and_zalo_as_a_link,
    a_document_announcement_reaches_zalo_as_a_link_to_the_same_bytes,
    an_oversized_or_wrong_type_file_is_refused_kindly,
    a_large_audience_is_queued_in_chunks_one_message_each,
);

/// The toast the bot answered the latest tap with.
fn last_toast(app: &TestApp) -> String {
    app.api
        .calls("answerCallbackQuery")
        .last()
        .and_then(|a| a["text"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `officer` writes `text` and sends it, of `kind`, `to` a unit (a button label: "Cả …" for her
/// own unit, or a unit's name) and an audience; returns the preview she saw.
async fn announce(
    officer: &mut Person<'_>,
    text: &str,
    to: Option<(&str, &str)>,
    kind: &str,
) -> String {
    officer.send("/thongbao").await.unwrap();
    officer.tap("✏️ Soạn thông báo mới").await.unwrap();
    officer.send(text).await.unwrap();
    // A branch head writes to her branch's members: nothing to pick.
    if let Some((unit, audience)) = to {
        officer.tap(unit).await.unwrap();
        officer.tap(audience).await.unwrap();
    }
    let preview = texts(&officer.tap(kind).await.unwrap());
    let sent = officer.tap("📤 Gửi").await.unwrap();
    assert!(
        texts(&sent).contains("✅ Đã gửi thông báo tới"),
        "{}",
        texts(&sent)
    );
    preview
}

const POLICY: &str = "Tuyên truyền chính sách, pháp luật";
const WHOLE_UNION: &str = "Cả Hội LHPN xã Đông Hợp";
const HEADS: &str = "👩‍💼 Chi hội trưởng";
const MEMBERS: &str = "👩 Hội viên";

async fn an_officer_announces_to_a_unions_branch_heads_who_confirm_by_tap_and_by_number(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .joined(701, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(702, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut thu = app
        .zalo_joined(
            "0084900000000701",
            "Lê Thị Thu",
            OTHER_BRANCH,
            Role::BranchHead,
        )
        .await;
    let mut ngoc = app
        .joined(703, "Đỗ Thị Ngọc", "TB-DH-DHOP-T3", Role::BranchHead)
        .await;
    // Neither a member of the union nor a branch head of another union is in the audience.
    let mut mai = app.joined(704, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let mut far = app
        .joined(705, "Vũ Thị Xa", "TB-TP-LHP-T1", Role::BranchHead)
        .await;
    let text = "Luật Đất đai 2024";
    let preview = announce(&mut hoa, text, Some((WHOLE_UNION, HEADS)), POLICY).await;
    assert!(preview.contains(text), "{preview}");
    assert!(preview.contains("(3 người dùng bot)"), "{preview}");
    app.drain().await;
    for p in [&mut lan, &mut ngoc] {
        let got = p.unread();
        assert_eq!(got.len(), 1, "{}", texts(&got));
        assert!(text_of(&got[0]).contains(text), "{}", text_of(&got[0]));
        assert!(
            text_of(&got[0]).contains("Hội LHPN xã Đông Hợp"),
            "{}",
            text_of(&got[0])
        );
        assert!(got[0].button("✅ Đã đọc").is_some());
    }
    let on_zalo = thu.unread();
    assert_eq!(on_zalo.len(), 1, "{}", zalo_texts(&on_zalo));
    assert!(zalo_text(&on_zalo[0]).contains(text));
    let read_number = numbered(&on_zalo[0], "✅ Đã đọc").expect("numbered on Zalo");
    assert!(mai.unread().is_empty());
    assert!(far.unread().is_empty());
    // Lan taps, twice: one read.
    lan.tap("✅ Đã đọc").await.unwrap();
    assert_eq!(last_toast(&app), "Cảm ơn chị đã đọc thông báo.");
    lan.tap("✅ Đã đọc").await.unwrap();
    assert_eq!(last_toast(&app), "Chị đã xác nhận đọc thông báo này rồi.");
    // Thu types the number, twice: one read.
    let r = thu.send(&read_number.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Cảm ơn chị đã đọc thông báo."),
        "{}",
        zalo_texts(&r)
    );
    let r = thu.send(&read_number.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("đã xác nhận đọc thông báo này rồi"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcement_recipients WHERE read_at IS NOT NULL")
            .await,
        2
    );
    // The sender sees the reach per branch.
    let id = app.count("SELECT MAX(id) FROM announcements").await;
    hoa.send("/thongbao").await.unwrap();
    let reach = texts(
        &hoa.tap(&format!("📊 Tin {id} (15/11): {text}"))
            .await
            .unwrap(),
    );
    assert!(
        reach.contains("Đã nhận 3 · đã đọc 2 · chưa đọc 1 · không gửi được 0"),
        "{reach}"
    );
    assert!(
        reach.contains(
            "• Chi hội phụ nữ thôn Đồng Thanh: nhận 1 · đọc 1 · chưa đọc 0 · không gửi được 0"
        ),
        "{reach}"
    );
    assert!(
        reach.contains(
            "• Chi hội phụ nữ thôn Hợp Long: nhận 1 · đọc 0 · chưa đọc 1 · không gửi được 0"
        ),
        "{reach}"
    );
    // Reminding goes to the one who has not read it, once.
    let remind_button = hoa.last_with_buttons().unwrap();
    let remind_data = remind_button
        .button("🔔 Nhắc người chưa đọc")
        .and_then(|b| b.callback_data.clone())
        .expect("a remind button");
    let r = texts(&hoa.tap("🔔 Nhắc người chưa đọc").await.unwrap());
    assert!(r.contains("Đã nhắc 1 người chưa đọc."), "{r}");
    assert!(!r.contains("🔔 Nhắc người chưa đọc"), "{r}");
    assert!(
        hoa.last_with_buttons()
            .unwrap()
            .button("🔔 Nhắc người chưa đọc")
            .is_none()
    );
    // The old button again: nothing more is queued.
    hoa.tap_data(remind_button.message_id, &remind_data)
        .await
        .unwrap();
    app.drain().await;
    let again = ngoc.unread();
    assert_eq!(again.len(), 1, "{}", texts(&again));
    assert!(
        text_of(&again[0]).starts_with("🔔 Nhắc lại"),
        "{}",
        text_of(&again[0])
    );
    assert!(lan.unread().is_empty());
    assert!(thu.unread().is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'announcement'")
            .await,
        4
    );
    // Ngọc reads the reminder; the reach says so.
    ngoc.tap("✅ Đã đọc").await.unwrap();
    hoa.send("/thongbao").await.unwrap();
    let reach = texts(
        &hoa.tap(&format!("📊 Tin {id} (15/11): {text}"))
            .await
            .unwrap(),
    );
    assert!(reach.contains("đã đọc 3 · chưa đọc 0"), "{reach}");
    assert!(
        reach.contains("Đã nhắc người chưa đọc ngày 15/11."),
        "{reach}"
    );
    app.shutdown().await;
}

fn text_of(m: &chihoi_fakes::telegram::SentMessage) -> &str {
    text(m)
}

async fn an_announcement_cannot_reach_outside_the_senders_subtree(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut hoa = app
        .joined(711, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut far = app
        .joined(712, "Vũ Thị Xa", "TB-TP-LHP-T1", Role::BranchHead)
        .await;
    let mut lan = app
        .joined(714, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    hoa.send("/thongbao").await.unwrap();
    hoa.tap("✏️ Soạn thông báo mới").await.unwrap();
    let units = hoa.send("Họp chi hội tối thứ Sáu").await.unwrap();
    let screen = units.last().unwrap();
    let some_button = screen.buttons[0][0].callback_data.clone().unwrap();
    let version = some_button.split(':').nth(1).unwrap();
    let (outside,): (i64,) = sqlx::query_as("SELECT id FROM units WHERE code = 'TB-TP-LHP'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    hoa.tap_data(screen.message_id, &format!("d:{version}:unit:{outside}"))
        .await
        .unwrap();
    assert_eq!(last_toast(&app), "Việc này không thuộc quyền của chị.");
    // Still at the unit step: her own union is offered, the forged one went nowhere.
    hoa.tap(WHOLE_UNION).await.unwrap();
    hoa.tap(HEADS).await.unwrap();
    hoa.tap(POLICY).await.unwrap();
    hoa.tap("📤 Gửi").await.unwrap();
    app.drain().await;
    assert_eq!(lan.unread().len(), 1);
    assert!(far.unread().is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcements a JOIN units u ON u.id = a.unit_id WHERE u.code <> 'TB-DH-DHOP'")
            .await,
        0
    );
    // A member cannot compose, and her forged read of an announcement not sent to her counts
    // nothing.
    let mut mai = app.joined(713, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let home = texts(&mai.send("/thongbao").await.unwrap());
    assert!(!home.contains("Soạn thông báo mới"), "{home}");
    let id = app.count("SELECT MAX(id) FROM announcements").await;
    let last = mai.inbox().last().unwrap().message_id;
    mai.tap_data(last, &format!("n:{id}:r")).await.unwrap();
    assert_eq!(
        last_toast(&app),
        "Bot không nhận ra lựa chọn này. Chị chọn lại trong danh sách mới nhất nhé."
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcement_recipients WHERE read_at IS NOT NULL")
            .await,
        0
    );
    app.shutdown().await;
}

async fn a_stopped_kind_is_not_sent_but_report_reminders_still_are(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut hoa = app
        .joined(721, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(722, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut ngoc = app
        .joined(723, "Đỗ Thị Ngọc", OTHER_BRANCH, Role::BranchHead)
        .await;
    announce(
        &mut hoa,
        "Luật Hôn nhân và gia đình",
        Some((WHOLE_UNION, HEADS)),
        POLICY,
    )
    .await;
    app.drain().await;
    assert_eq!(lan.unread().len(), 1);
    ngoc.unread();
    let r = texts(&lan.tap("🔕 Dừng nhận tin này").await.unwrap());
    assert!(
        r.contains("Đã dừng nhận tin “Tuyên truyền chính sách, pháp luật”"),
        "{r}"
    );
    // The next policy announcement skips her; the other kind does not.
    let preview = announce(
        &mut hoa,
        "Luật Phòng chống bạo lực",
        Some((WHOLE_UNION, HEADS)),
        POLICY,
    )
    .await;
    assert!(preview.contains("(1 người dùng bot)"), "{preview}");
    app.drain().await;
    assert!(lan.unread().is_empty());
    assert_eq!(ngoc.unread().len(), 1);
    announce(
        &mut hoa,
        "Họp tổng kết năm",
        Some((WHOLE_UNION, HEADS)),
        "Khác",
    )
    .await;
    app.drain().await;
    assert_eq!(lan.unread().len(), 1);
    ngoc.unread();
    // Duties cannot be stopped: the report reminder on the 25th reaches her.
    app.set_now(
        chrono::TimeZone::with_ymd_and_hms(&chrono_tz::Asia::Ho_Chi_Minh, 2026, 11, 25, 8, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    app.tick().await;
    app.drain().await;
    let reminder = lan.unread();
    assert!(
        reminder
            .iter()
            .any(|m| m.button("📋 Làm báo cáo").is_some()),
        "{}",
        texts(&reminder)
    );
    // She takes policy announcements again, from /thongbao, and gets the next one.
    let home = texts(&lan.send("/thongbao").await.unwrap());
    assert!(home.contains("Chị đang dừng nhận tin"), "{home}");
    let r = texts(
        &lan.tap("🔔 Nhận lại tin “Tuyên truyền chính sách, pháp luật”")
            .await
            .unwrap(),
    );
    assert!(r.contains("Chị sẽ nhận lại tin"), "{r}");
    lan.send("/huy").await.unwrap();
    announce(&mut hoa, "Luật Cư trú", Some((WHOLE_UNION, HEADS)), POLICY).await;
    app.drain().await;
    let got = lan.unread();
    assert!(texts(&got).contains("Luật Cư trú"), "{}", texts(&got));
    app.shutdown().await;
}

async fn an_announcement_arriving_mid_dialog_never_changes_what_a_typed_number_means(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut lan = app
        .joined(731, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut thu = app
        .zalo_joined("0084900000000731", "Lê Thị Thu", BRANCH, Role::Member)
        .await;
    // Thu is choosing whether to sign her opinion: "1" is "send with my name".
    thu.send("/ykien").await.unwrap();
    let ask = thu.send("Đường làng ngập nước").await.unwrap();
    let named = numbered(ask.last().unwrap(), "Gửi kèm tên").expect("signature choice");
    announce(&mut lan, "Tối nay họp chi hội", None, POLICY).await;
    app.drain().await;
    let notice = thu.unread();
    assert_eq!(notice.len(), 1, "{}", zalo_texts(&notice));
    let t = zalo_text(&notice[0]);
    assert!(t.contains("Tối nay họp chi hội"), "{t}");
    assert!(numbered(&notice[0], "✅ Đã đọc").is_none(), "{t}");
    assert!(t.contains("/thongbao"), "{t}");
    // Her number answers her dialog, not the announcement.
    let r = thu.send(&named.to_string()).await.unwrap();
    assert!(
        zalo_texts(&r).contains("Đã gửi ý kiến"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcement_recipients WHERE read_at IS NOT NULL")
            .await,
        0
    );
    // Once done, /thongbao lists it and a number confirms it.
    let home = thu.send("/thongbao").await.unwrap();
    let id = app.count("SELECT MAX(id) FROM announcements").await;
    let n = numbered(home.last().unwrap(), &format!("✅ Đã đọc tin {id}"))
        .expect("the unread announcement is numbered");
    thu.send(&n.to_string()).await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcement_recipients WHERE read_at IS NOT NULL")
            .await,
        1
    );
    app.shutdown().await;
}

async fn an_urgent_alert_goes_before_the_rest_of_a_big_announcement(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, true).await;
    app.stop_bot().await;
    // 5 messages a second: 60 recipients take twelve seconds, and the 16 sends a courier keeps
    // in flight wait up to three seconds for their turn.
    app.delivery.per_second = 5.0;
    app.start_bot().await;
    let mut hoa = app
        .joined(741, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(742, "Phạm Thị Mai", BRANCH, Role::Member).await;
    members_on_the_bot(&app, 60).await;
    announce(
        &mut hoa,
        "Luật Đất đai 2024",
        Some((WHOLE_UNION, MEMBERS)),
        POLICY,
    )
    .await;
    let sent = || async {
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'announcement' AND status = 'sent'")
            .await
    };
    let started = tokio::time::Instant::now();
    while sent().await < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the announcement is not going out"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Mai reports an urgent incident while most of the announcement is still queued.
    mai.unread();
    mai.send("/khancap").await.unwrap();
    mai.tap("An ninh trật tự").await.unwrap();
    mai.tap("Rất phức tạp").await.unwrap();
    mai.send("12").await.unwrap();
    mai.send("Xô xát ở chợ, có người bị thương").await.unwrap();
    mai.tap("🚨 Gửi ngay").await.unwrap();
    let raised = tokio::time::Instant::now();
    let got = hoa
        .wait_for("the alert", |m| text(m).starts_with("🚨 KHẨN"))
        .await
        .unwrap();
    let waited = raised.elapsed();
    // Alerts go before bulk in the platform's budget: the next slot or the one after, not
    // behind the announcement's sends already waiting.
    assert!(
        waited < Duration::from_millis(1500),
        "the alert waited {waited:?}"
    );
    let alert = got
        .iter()
        .find(|m| text(m).starts_with("🚨 KHẨN"))
        .unwrap()
        .revision;
    // Everything goes out in the end; what was left went after the alert.
    let started = tokio::time::Instant::now();
    while sent().await < 61 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the announcement stalled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let announced: Vec<_> = app
        .api
        .sent()
        .into_iter()
        .filter(|m| text(m).contains("Luật Đất đai 2024") && !m.buttons.is_empty())
        .collect();
    assert_eq!(announced.len(), 61);
    let after = announced.iter().filter(|m| m.revision > alert).count();
    // About five went out before Mai began; her five steps took a moment more.
    assert!(
        after > 40,
        "only {after} announcement messages went after the alert"
    );
    app.shutdown().await;
}

/// `count` members of the branch who joined before (the fake lets the bot write to them), on
/// chats from 900,000 up.
async fn members_on_the_bot(app: &TestApp, count: usize) {
    app.api.set_strict_chats(false);
    let (branch,): (i64,) = sqlx::query_as("SELECT id FROM units WHERE code = $1")
        .bind(BRANCH)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    for i in 0..count {
        sqlx::query(
            "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
             VALUES ('telegram', $1, $1, $2, 'vi', $3, 'member', 0)",
        )
        .bind(format!("{}", 900_000 + i))
        .bind(format!("Hội viên {i}"))
        .bind(branch)
        .execute(app.store.pool())
        .await
        .unwrap();
    }
}

async fn a_notice_queued_after_a_big_announcement_is_claimed_before_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut hoa = app
        .joined(751, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    members_on_the_bot(&app, 100).await;
    announce(
        &mut hoa,
        "Luật Đất đai 2024",
        Some((WHOLE_UNION, MEMBERS)),
        POLICY,
    )
    .await;
    let now = app.now().timestamp();
    let mut conn = app.store.acquire().await.unwrap();
    // A join request to a branch head, say: queued after the announcement's 100 rows.
    let notice = outbox::enqueue(
        &mut conn,
        &NewMessage {
            key: Some("test:notice".into()),
            kind: Kind::Notice,
            platform: "telegram".into(),
            chat_id: "751".into(),
            user_id: None,
            unit_id: None,
            period: None,
            ref_id: None,
            body: Some(r#"{"chat_id":"751","text":"🙋 Hoa xin vào chi hội","choices":[]}"#.into()),
            urgent: false,
            not_before: now,
            lease: None,
        },
        now,
    )
    .await
    .unwrap()
    .unwrap();
    let claim = Claim {
        owner: "test",
        platforms: &["telegram"],
        now,
        lease_until: now + 60,
    };
    let first = outbox::claim_due(&mut conn, &claim, false, 5)
        .await
        .unwrap();
    assert_eq!(first.len(), 5);
    assert_eq!(first[0].id, notice);
    assert!(first[1..].iter().all(|r| r.kind == Kind::Announcement));
    // The announcement's own rows come in the order they were queued.
    assert!(first[1..].windows(2).all(|w| w[0].id < w[1].id));
    drop(conn);
    app.shutdown().await;
}

async fn policy_reads_are_counted_once_per_person_for_target_3(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut hoa = app
        .joined(761, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(762, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut ngoc = app
        .joined(763, "Đỗ Thị Ngọc", OTHER_BRANCH, Role::BranchHead)
        .await;
    for (text, kind) in [
        ("Luật Đất đai 2024", POLICY),
        ("Luật Cư trú", POLICY),
        ("Họp tổng kết năm", "Khác"),
    ] {
        announce(&mut hoa, text, Some((WHOLE_UNION, HEADS)), kind).await;
    }
    app.drain().await;
    // Lan reads both policy announcements (one of them twice); Ngọc only the other kind.
    for m in lan.unread() {
        lan.tap_data(
            m.message_id,
            &m.button("✅ Đã đọc")
                .unwrap()
                .callback_data
                .clone()
                .unwrap(),
        )
        .await
        .unwrap();
    }
    let first = lan.inbox()[lan.inbox().len() - 3].clone();
    lan.tap_data(
        first.message_id,
        &first
            .button("✅ Đã đọc")
            .unwrap()
            .callback_data
            .clone()
            .unwrap(),
    )
    .await
    .unwrap();
    let other = ngoc
        .unread()
        .into_iter()
        .find(|m| text(m).contains("Họp tổng kết năm"))
        .unwrap();
    ngoc.tap_data(
        other.message_id,
        &other
            .button("✅ Đã đọc")
            .unwrap()
            .callback_data
            .clone()
            .unwrap(),
    )
    .await
    .unwrap();
    let mut conn = app.store.acquire().await.unwrap();
    let year = |y: i32| {
        use chrono::TimeZone;
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp()
    };
    let mut count = async |code: &str, y: i32| {
        let unit = org::unit_by_code(&mut conn, code).await.unwrap().unwrap();
        announcements::policy_readers(&mut conn, &unit, year(y), year(y + 1))
            .await
            .unwrap()
    };
    assert_eq!(count(GRASSROOTS, 2026).await, 1);
    assert_eq!(count(DISTRICT, 2026).await, 1);
    assert_eq!(count(OTHER_BRANCH, 2026).await, 0);
    assert_eq!(count("TB-TP", 2026).await, 0);
    assert_eq!(count(GRASSROOTS, 2027).await, 0);
    drop(conn);
    app.shutdown().await;
}

async fn an_officer_on_zalo_composes_by_numbers_and_words_and_sees_the_reach(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000771",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let mut lan = app
        .joined(772, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let pick = |m: &[ZaloSent], label: &str| {
        m.iter()
            .rev()
            .find_map(|m| numbered(m, label))
            .unwrap_or_else(|| panic!("no {label:?} in {}", zalo_texts(m)))
            .to_string()
    };
    let home = hoa.send("/thongbao").await.unwrap();
    let units = hoa
        .send(&pick(&home, "✏️ Soạn thông báo mới"))
        .await
        .unwrap();
    assert!(
        zalo_texts(&units).contains("nội dung thông báo"),
        "{}",
        zalo_texts(&units)
    );
    let units = hoa.send("Luật Đất đai 2024").await.unwrap();
    let audience = hoa.send(&pick(&units, WHOLE_UNION)).await.unwrap();
    assert!(
        zalo_texts(&audience).contains("chị gửi cho ai"),
        "{}",
        zalo_texts(&audience)
    );
    // Words work as well as numbers.
    let kinds = hoa.send("chi hoi truong").await.unwrap();
    let preview = hoa.send(&pick(&kinds, POLICY)).await.unwrap();
    assert!(
        zalo_texts(&preview).contains("(1 người dùng bot)"),
        "{}",
        zalo_texts(&preview)
    );
    let sent = hoa.send(&pick(&preview, "📤 Gửi")).await.unwrap();
    assert!(
        zalo_texts(&sent).contains("Đã gửi thông báo tới 1 người"),
        "{}",
        zalo_texts(&sent)
    );
    app.drain().await;
    let got = lan.unread();
    assert_eq!(got.len(), 1, "{}", texts(&got));
    lan.tap("✅ Đã đọc").await.unwrap();
    let id = app.count("SELECT MAX(id) FROM announcements").await;
    let home = hoa.send("/thongbao").await.unwrap();
    let reach = hoa
        .send(&pick(
            &home,
            &format!("📊 Tin {id} (15/11): Luật Đất đai 2024"),
        ))
        .await
        .unwrap();
    assert!(
        zalo_texts(&reach).contains("Đã nhận 1 · đã đọc 1 · chưa đọc 0 · không gửi được 0"),
        "{}",
        zalo_texts(&reach)
    );
    app.shutdown().await;
}

async fn an_announcement_sent_in_quiet_hours_waits_for_the_morning_and_says_so(backend: Backend) {
    use chrono::TimeZone;
    let app = TestApp::spawn_with(backend, false).await;
    let mut hoa = app
        .joined(791, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(792, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let hanoi = |d: u32, h: u32| {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    app.set_now(hanoi(15, 22));
    hoa.send("/thongbao").await.unwrap();
    hoa.tap("✏️ Soạn thông báo mới").await.unwrap();
    hoa.send("Họp chi hội sáng mai").await.unwrap();
    hoa.tap(WHOLE_UNION).await.unwrap();
    hoa.tap(HEADS).await.unwrap();
    hoa.tap("Khác").await.unwrap();
    let sent = texts(&hoa.tap("📤 Gửi").await.unwrap());
    assert!(
        sent.contains("bot sẽ gửi từ 07:00 ngày 16/11/2026"),
        "{sent}"
    );
    app.drain().await;
    assert!(lan.unread().is_empty());
    app.set_now(hanoi(16, 7));
    app.drain().await;
    assert_eq!(lan.unread().len(), 1);
    app.shutdown().await;
}

// ---- photos and documents (issue 18: "a short text, optionally a photo or a document") -------

async fn download(url: &str) -> (u16, Vec<u8>) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let got = client.get(url).send().await.unwrap();
    let status = got.status().as_u16();
    (status, got.bytes().await.unwrap().to_vec())
}

/// Hoa opens a new announcement; `attach` sends her file; she picks her whole union's members
/// and "Khác", and sends. Returns the preview she saw.
async fn announce_with_file(hoa: &mut Person<'_>, attach: impl FnOnce()) -> String {
    hoa.send("/thongbao").await.unwrap();
    let ask = hoa.tap("✏️ Soạn thông báo mới").await.unwrap();
    assert!(
        texts(&ask).contains("chị gửi ảnh hay tệp ấy, lời nhắn ghi ở phần chú thích"),
        "{}",
        texts(&ask)
    );
    attach();
    hoa.replies().await.unwrap();
    hoa.tap(WHOLE_UNION).await.unwrap();
    hoa.tap(MEMBERS).await.unwrap();
    let preview = texts(&hoa.tap("Khác").await.unwrap());
    let sent = hoa.tap("📤 Gửi").await.unwrap();
    assert!(
        texts(&sent).contains("✅ Đã gửi thông báo tới 2 người"),
        "{}",
        texts(&sent)
    );
    preview
}

async fn a_photo_announcement_reaches_telegram_as_a_photo_and_zalo_as_a_link(backend: Backend) {
    let mut app = TestApp::spawn_with_zalo(backend, false).await;
    let files = app.serve_files().await;
    let mut hoa = app
        .joined(781, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(782, "Nguyễn Thị Lan", BRANCH, Role::Member)
        .await;
    let mut thu = app
        .zalo_joined("0084900000000783", "Lê Thị Thu", OTHER_BRANCH, Role::Member)
        .await;
    let photo = b"\xFF\xD8\xFF\xE0 anh buoi hop chi hoi".to_vec();
    app.api.add_file("PHOTO-HOP", "hop.jpg", photo.clone());
    let sender = chihoi_fakes::telegram::TestUser::new(781, "Trần Thị Hoa");
    let preview = announce_with_file(&mut hoa, || {
        app.api
            .push_photo(&sender, "PHOTO-HOP", Some("Họp chi hội tối thứ Sáu"));
    })
    .await;
    assert!(preview.contains("Họp chi hội tối thứ Sáu"), "{preview}");
    assert!(preview.contains("📎 Kèm một ảnh."), "{preview}");
    app.drain().await;

    // On Telegram: the photo itself, the text its caption, the read button under it.
    let got = lan.unread();
    assert_eq!(got.len(), 1, "{}", texts(&got));
    let sent = got[0].photo.as_ref().expect("sent as a photo");
    assert_eq!(sent.bytes, photo);
    let caption = sent.caption.clone().unwrap_or_default();
    assert!(caption.contains("Họp chi hội tối thứ Sáu"), "{caption}");
    assert!(caption.contains("Hội LHPN xã Đông Hợp"), "{caption}");
    assert!(got[0].button("✅ Đã đọc").is_some());
    lan.tap("✅ Đã đọc").await.unwrap();
    assert_eq!(last_toast(&app), "Cảm ơn chị đã đọc thông báo.");

    // On Zalo: the photo by its link, which serves the same bytes, and a number to read it.
    let on_zalo = thu.unread();
    let url = on_zalo
        .iter()
        .find_map(|m| m.photo.clone())
        .expect("the photo by its link");
    assert_eq!(download(&url).await, (200, photo));
    let all = zalo_texts(&on_zalo);
    assert!(all.contains("Họp chi hội tối thứ Sáu"), "{all}");
    let read = on_zalo
        .iter()
        .find_map(|m| numbered(m, "✅ Đã đọc"))
        .expect("numbered on Zalo");
    thu.send(&read.to_string()).await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcement_recipients WHERE read_at IS NOT NULL")
            .await,
        2
    );
    // One copy for all the links, one announcement.
    assert_eq!(app.count("SELECT COUNT(*) FROM shared_files").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM announcements").await, 1);
    files.stop().await;
    app.shutdown().await;
}

async fn a_document_announcement_reaches_zalo_as_a_link_to_the_same_bytes(backend: Backend) {
    let mut app = TestApp::spawn_with_zalo(backend, false).await;
    let files = app.serve_files().await;
    let mut hoa = app
        .joined(791, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut lan = app
        .joined(792, "Nguyễn Thị Lan", BRANCH, Role::Member)
        .await;
    let mut thu = app
        .zalo_joined("0084900000000793", "Lê Thị Thu", OTHER_BRANCH, Role::Member)
        .await;
    let pdf = b"%PDF-1.4 ke hoach thang 12".to_vec();
    let sender = chihoi_fakes::telegram::TestUser::new(791, "Trần Thị Hoa");
    let preview = announce_with_file(&mut hoa, || {
        app.api
            .push_document(&sender, "Ke hoach thang 12.pdf", pdf.clone(), None);
    })
    .await;
    assert!(
        preview.contains("📎 Kèm tệp: Ke_hoach_thang_12.pdf"),
        "{preview}"
    );
    app.drain().await;
    let got = lan.unread();
    assert_eq!(got.len(), 1, "{}", texts(&got));
    let doc = got[0].document.as_ref().expect("sent as a document");
    assert_eq!(doc.bytes, pdf);
    assert!(got[0].button("✅ Đã đọc").is_some());
    let on_zalo = thu.unread();
    let all = zalo_texts(&on_zalo);
    let url = all
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.contains("/files/"))
        .unwrap_or_else(|| panic!("a link in {all}"))
        .to_owned();
    assert!(all.contains("Liên kết dùng được 30 ngày."), "{all}");
    assert_eq!(download(&url).await, (200, pdf));
    // The link outlives a day (it serves every recipient of a long send), not a month.
    app.advance(chrono::Duration::days(2));
    assert_eq!(download(&url).await.0, 200);
    app.advance(chrono::Duration::days(29));
    assert_eq!(download(&url).await.0, 404);
    files.stop().await;
    app.shutdown().await;
}

async fn an_oversized_or_wrong_type_file_is_refused_kindly(backend: Backend) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .joined(801, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let sender = chihoi_fakes::telegram::TestUser::new(801, "Trần Thị Hoa");
    hoa.send("/thongbao").await.unwrap();
    hoa.tap("✏️ Soạn thông báo mới").await.unwrap();
    app.api
        .push_document(&sender, "cai-dat.exe", b"MZ".to_vec(), Some("Cài cái này"));
    let r = hoa.replies().await.unwrap();
    assert!(
        texts(&r)
            .contains("Bot chưa gửi được loại tệp này. Chị gửi ảnh, hoặc tệp PDF, Word, Excel"),
        "{}",
        texts(&r)
    );
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    app.api
        .push_document(&sender, "bao-cao.pdf", big, Some("Báo cáo năm"));
    let r = hoa.replies().await.unwrap();
    assert!(
        texts(&r).contains("Tệp này lớn quá, bot chỉ nhận đến 10 MB."),
        "{}",
        texts(&r)
    );
    // Still at the text: what she types now is the announcement, and nothing was kept.
    let r = hoa.send("Họp chi hội tối thứ Sáu").await.unwrap();
    assert!(
        texts(&r).contains("Chị gửi tới đơn vị nào?"),
        "{}",
        texts(&r)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM announcements").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM shared_files").await, 0);

    // On Zalo she composes in words: a photo there is refused kindly.
    let mut mai = app
        .zalo_joined(
            "0084900000000802",
            "Lê Thị Mai",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let r = mai.send("/thongbao").await.unwrap();
    let new = numbered(r.last().unwrap(), "✏️ Soạn thông báo mới").expect("numbered");
    let r = mai.send(&new.to_string()).await.unwrap();
    assert!(!zalo_texts(&r).contains("chú thích"), "{}", zalo_texts(&r));
    let r = mai
        .send_photo("https://zalo.example/p.jpg", None)
        .await
        .unwrap();
    assert!(
        zalo_texts(&r)
            .contains("Thông báo soạn ở đây chỉ gửi được bằng chữ, chưa kèm được ảnh hay tệp."),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM announcements").await, 0);
    app.shutdown().await;
}

// ---- a large audience (issue 18's benchmark: SQLite queues it a chunk at a time) -------------

async fn a_large_audience_is_queued_in_chunks_one_message_each(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut hoa = app
        .joined(811, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    // More members than two chunks, one of them unreachable.
    let many = 2 * announcements::QUEUE_CHUNK + 100;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
         INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
         SELECT 'telegram', '' || (3000000000 + i), '' || (3000000000 + i), 'Hội viên ' || i, 'vi',
                (SELECT id FROM units WHERE code = $2), 'member', 0 FROM n",
    )
    .bind(many)
    .bind(BRANCH)
    .execute(app.store.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE users SET reachable = 0 WHERE platform_user_id = '3000000007'")
        .execute(app.store.pool())
        .await
        .unwrap();
    let preview = announce(
        &mut hoa,
        "Họp toàn xã",
        Some((WHOLE_UNION, MEMBERS)),
        POLICY,
    )
    .await;
    assert!(
        preview.contains(&format!("({many} người dùng bot)")),
        "{preview}"
    );
    let confirmed = texts(&hoa.inbox());
    assert!(
        confirmed.contains(&format!("✅ Đã gửi thông báo tới {many} người")),
        "{confirmed}"
    );
    app.running_courier()
        .queue_all_announcements()
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcement_recipients")
            .await,
        many
    );
    // One message to each reachable recipient, each named beside her, none twice.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'announcement'")
            .await,
        many - 1
    );
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT user_id) FROM outbox WHERE kind = 'announcement'")
            .await,
        many - 1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM announcement_recipients r JOIN outbox o ON o.id = r.outbox_id
             WHERE o.user_id = r.user_id"
        )
        .await,
        many - 1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM announcements WHERE queue_after IS NOT NULL")
            .await,
        0
    );
    // Queueing again finds nothing left.
    app.running_courier()
        .queue_all_announcements()
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'announcement'")
            .await,
        many - 1
    );
    app.shutdown().await;
}
