//! Polls and comments on drafts (`/laykien`, issue 18 §3): composed by an officer for her
//! subtree (or a branch head for her branch), sent in bulk like announcements, answered by a tap
//! (Telegram) or a typed number (Zalo) once per person; results per unit with a chart; closed
//! by the scheduler on time, late answers refused kindly, each participant told her area's
//! result; a round on a draft counting for target 7 of the union that ran it.

use chihoi::domain::role::Role;
use chihoi::storage::{org, views};
use chihoi_fakes::telegram::person::Person;
use chihoi_fakes::zalo::ZaloSent;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    members_answer_once_by_tap_and_by_number_and_the_results_per_unit_are_exact,
    a_poll_never_leaves_the_senders_subtree_and_forged_answers_change_nothing,
    a_poll_closes_on_time_refuses_late_answers_and_tells_each_area_its_result,
    a_poll_on_a_draft_counts_for_target_7_of_the_union_that_ran_it_and_no_other,
    a_districts_results_read_per_grassroots_union,
);

const WHOLE_UNION: &str = "Cả Hội LHPN xã Đông Hợp";
const MEMBERS: &str = "👩 Hội viên";
const AGREE_PRESET: &str = "Đồng ý / Không đồng ý / Ý kiến khác";

/// `officer` asks `question` of her whole union's members with the agree/disagree/other
/// preset, comments allowed, open `days`; returns the preview she saw.
async fn ask_union(officer: &mut Person<'_>, question: &str, days: &str) -> String {
    officer.send("/laykien").await.unwrap();
    officer.tap("➕ Lấy ý kiến mới").await.unwrap();
    officer.tap("❓ Hỏi ý kiến").await.unwrap();
    officer.send(question).await.unwrap();
    officer.tap(AGREE_PRESET).await.unwrap();
    officer.tap("💬 Có, nhận thêm góp ý").await.unwrap();
    officer.tap(days).await.unwrap();
    officer.tap(WHOLE_UNION).await.unwrap();
    let preview = texts(&officer.tap(MEMBERS).await.unwrap());
    let sent = texts(&officer.tap("📤 Gửi").await.unwrap());
    assert!(sent.contains("✅ Đã gửi tới"), "{sent}");
    preview
}

fn pick(m: &[ZaloSent], label: &str) -> String {
    m.iter()
        .rev()
        .find_map(|m| numbered(m, label))
        .unwrap_or_else(|| panic!("no {label:?} in {}", zalo_texts(m)))
        .to_string()
}

async fn answers(app: &TestApp, choice: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM poll_recipients WHERE choice = {choice}"
    ))
    .await
}

async fn members_answer_once_by_tap_and_by_number_and_the_results_per_unit_are_exact(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .joined(901, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(902, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let mut hue = app
        .joined(903, "Lê Thị Huệ", OTHER_BRANCH, Role::Member)
        .await;
    let mut thu = app
        .zalo_joined("0084900000000904", "Lê Thị Thu", BRANCH, Role::Member)
        .await;
    // A branch head is not a member; a member of another union is outside.
    let mut lan = app
        .joined(905, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let mut far = app
        .joined(906, "Vũ Thị Xa", "TB-TP-LHP-T1", Role::Member)
        .await;
    let question = "Họp tối thứ Bảy nhé?";
    let preview = ask_union(&mut hoa, question, "3 ngày").await;
    assert!(preview.contains(question), "{preview}");
    assert!(preview.contains("(3 người dùng bot)"), "{preview}");
    app.drain().await;
    for p in [&mut mai, &mut hue] {
        let got = p.unread();
        assert_eq!(got.len(), 1, "{}", texts(&got));
        assert!(text(&got[0]).contains(question), "{}", text(&got[0]));
        assert!(got[0].button("Đồng ý").is_some());
        assert!(got[0].button("💬 Gửi góp ý").is_some());
    }
    let on_zalo = thu.unread();
    assert_eq!(on_zalo.len(), 1, "{}", zalo_texts(&on_zalo));
    let agree = numbered(&on_zalo[0], "Đồng ý").expect("numbered on Zalo");
    assert!(lan.unread().is_empty());
    assert!(far.unread().is_empty());
    // Mai taps "Đồng ý" twice (counted once), then changes her mind.
    mai.tap("Đồng ý").await.unwrap();
    assert_eq!(
        last_notice(&app),
        "✅ Đã ghi ý kiến của chị: “Đồng ý”. Cảm ơn chị!"
    );
    mai.tap("Đồng ý").await.unwrap();
    assert_eq!(
        last_notice(&app),
        "Chị đã chọn “Đồng ý” rồi, bot chỉ tính một lần."
    );
    mai.tap("Không đồng ý").await.unwrap();
    assert_eq!(
        last_notice(&app),
        "✅ Đã đổi ý kiến của chị thành “Không đồng ý”."
    );
    // Thu types the number twice: once.
    let r = zalo_texts(&thu.send(&agree.to_string()).await.unwrap());
    assert!(r.contains("Đã ghi ý kiến của chị: “Đồng ý”"), "{r}");
    let r = zalo_texts(&thu.send(&agree.to_string()).await.unwrap());
    assert!(r.contains("bot chỉ tính một lần"), "{r}");
    // Huệ writes a comment.
    let ask = texts(&hue.tap("💬 Gửi góp ý").await.unwrap());
    assert!(ask.contains("Chị gõ góp ý của mình"), "{ask}");
    let done = texts(&hue.send("Tối thứ Bảy nhiều chị bận con nhỏ").await.unwrap());
    assert!(done.contains("Đã ghi góp ý của chị"), "{done}");
    assert_eq!(answers(&app, 1).await, 1);
    assert_eq!(answers(&app, 2).await, 1);
    assert_eq!(answers(&app, 3).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM poll_recipients WHERE answered_at IS NOT NULL")
            .await,
        3
    );
    // The sender's results, per unit, with the comment and its branch.
    let id = app.count("SELECT MAX(id) FROM polls").await;
    hoa.send("/laykien").await.unwrap();
    let results = texts(
        &hoa.tap(&format!("📊 Đợt {id} (15/11): {question}"))
            .await
            .unwrap(),
    );
    for line in [
        "Hội LHPN xã Đông Hợp: 3/3 người đã trả lời (100%).",
        "• Đồng ý: 1 người (50%)",
        "• Không đồng ý: 1 người (50%)",
        "• Ý kiến khác: 0 người (0%)",
        "• Chi hội phụ nữ thôn Đồng Thanh: trả lời 2/2 (100%) — Đồng ý 1 · Không đồng ý 1 · Ý kiến khác 0",
        "• Chi hội phụ nữ thôn Lạc Thành: trả lời 1/1 (100%) — Đồng ý 0 · Không đồng ý 0 · Ý kiến khác 0",
        "• Chi hội phụ nữ thôn Lạc Thành: Tối thứ Bảy nhiều chị bận con nhỏ",
    ] {
        assert!(results.contains(line), "{line:?} not in {results}");
    }
    // The chart comes as a picture.
    hoa.tap("📈 Xem biểu đồ").await.unwrap();
    assert_eq!(last_notice(&app), "Đang vẽ biểu đồ…");
    app.drain().await;
    let pictures: Vec<_> = hoa
        .unread()
        .into_iter()
        .filter(|m| m.photo.is_some())
        .collect();
    assert_eq!(pictures.len(), 1);
    // And the table by unit, for the export.
    hoa.tap("📥 Tải bảng kết quả").await.unwrap();
    app.drain().await;
    let doc = hoa
        .unread()
        .into_iter()
        .find_map(|m| m.document)
        .expect("the results table");
    assert_eq!(doc.file_name, format!("lay-y-kien-{id}.csv"));
    assert_eq!(
        String::from_utf8(doc.bytes).unwrap(),
        "\u{feff}Đơn vị,Số người được hỏi,Số người đã trả lời,Đồng ý,Không đồng ý,Ý kiến khác\n\
         Chi hội phụ nữ thôn Đồng Thanh,2,2,1,1,0\n\
         Chi hội phụ nữ thôn Lạc Thành,1,1,0,0,0\n\
         Tổng cộng,3,3,1,1,0\n"
    );
    app.shutdown().await;
}

async fn a_poll_never_leaves_the_senders_subtree_and_forged_answers_change_nothing(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut hoa = app
        .joined(911, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut far = app
        .joined(912, "Vũ Thị Xa", "TB-TP-LHP-T1", Role::Member)
        .await;
    let mut mai = app.joined(913, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let mut hue = app
        .joined(914, "Lê Thị Huệ", OTHER_BRANCH, Role::Member)
        .await;
    hoa.send("/laykien").await.unwrap();
    hoa.tap("➕ Lấy ý kiến mới").await.unwrap();
    hoa.tap("❓ Hỏi ý kiến").await.unwrap();
    hoa.send("Họp chi hội tối thứ Sáu được không?")
        .await
        .unwrap();
    hoa.tap("Có / Không").await.unwrap();
    hoa.tap("Không, chỉ chọn").await.unwrap();
    let units = hoa.tap("1 ngày").await.unwrap();
    let screen = units.last().unwrap();
    let some_button = screen.buttons[0][0].callback_data.clone().unwrap();
    let version = some_button.split(':').nth(1).unwrap();
    let outside = app
        .count("SELECT id FROM units WHERE code = 'TB-TP-LHP'")
        .await;
    hoa.tap_data(screen.message_id, &format!("d:{version}:unit:{outside}"))
        .await
        .unwrap();
    assert_eq!(last_notice(&app), "Việc này không thuộc quyền của chị.");
    hoa.tap(WHOLE_UNION).await.unwrap();
    hoa.tap(MEMBERS).await.unwrap();
    hoa.tap("📤 Gửi").await.unwrap();
    app.drain().await;
    assert_eq!(mai.unread().len(), 1);
    assert!(far.unread().is_empty());
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM poll_recipients r JOIN units u ON u.id = r.unit_id
             WHERE u.path NOT LIKE (SELECT path FROM units WHERE code = 'TB-DH-DHOP') || '%'"
        )
        .await,
        0
    );
    // Someone it was not sent to, an option it does not have: nothing is recorded.
    let id = app.count("SELECT MAX(id) FROM polls").await;
    let last = far.inbox().last().unwrap().message_id;
    far.tap_data(last, &format!("q:{id}:1")).await.unwrap();
    assert_eq!(
        last_notice(&app),
        "Bot không nhận ra lựa chọn này. Chị chọn lại trong danh sách mới nhất nhé."
    );
    let poll_message = mai.inbox().last().unwrap().message_id;
    mai.tap_data(poll_message, &format!("q:{id}:3"))
        .await
        .unwrap();
    assert_eq!(
        last_notice(&app),
        "Bot không nhận ra lựa chọn này. Chị chọn lại trong danh sách mới nhất nhé."
    );
    // No comments were asked for: a forged comment choice is refused too.
    mai.tap_data(poll_message, &format!("q:{id}:c"))
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM poll_recipients WHERE answered_at IS NOT NULL")
            .await,
        0
    );
    // A member cannot compose; a branch head asks her own branch's members only.
    let home = texts(&mai.send("/laykien").await.unwrap());
    assert!(!home.contains("Lấy ý kiến mới"), "{home}");
    let mut lan = app
        .joined(915, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/laykien").await.unwrap();
    lan.tap("➕ Lấy ý kiến mới").await.unwrap();
    lan.tap("❓ Hỏi ý kiến").await.unwrap();
    lan.send("Góp quỹ thăm hỏi hội viên ốm?").await.unwrap();
    lan.tap("Có / Không").await.unwrap();
    lan.tap("Không, chỉ chọn").await.unwrap();
    let preview = texts(&lan.tap("7 ngày").await.unwrap());
    assert!(
        preview.contains("👩 Hội viên của Chi hội phụ nữ thôn Đồng Thanh (1 người dùng bot)"),
        "{preview}"
    );
    lan.tap("📤 Gửi").await.unwrap();
    app.drain().await;
    assert_eq!(mai.unread().len(), 1);
    assert!(hue.unread().iter().all(|m| !text(m).contains("Góp quỹ")));
    app.shutdown().await;
}

async fn a_poll_closes_on_time_refuses_late_answers_and_tells_each_area_its_result(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .joined(921, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let mut mai = app.joined(922, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let mut hue = app
        .joined(923, "Lê Thị Huệ", OTHER_BRANCH, Role::Member)
        .await;
    let mut thu = app
        .zalo_joined("0084900000000924", "Lê Thị Thu", BRANCH, Role::Member)
        .await;
    ask_union(&mut hoa, "Mở lớp dạy nghề may vào tháng 12?", "1 ngày").await;
    app.drain().await;
    hoa.unread();
    hue.unread();
    let got = thu.unread();
    let disagree = numbered(&got[0], "Không đồng ý").expect("numbered");
    mai.tap("Đồng ý").await.unwrap();
    // A minute before closing: still counted, and nothing closes.
    app.advance(chrono::Duration::hours(24) - chrono::Duration::minutes(1));
    hue.tap("Không đồng ý").await.unwrap();
    assert_eq!(app.tick().await.polls_closed, 0);
    // On time it closes, once.
    app.advance(chrono::Duration::minutes(1));
    assert_eq!(app.tick().await.polls_closed, 1);
    assert_eq!(app.tick().await.polls_closed, 0);
    // Late answers: a tap and a typed number are refused kindly and change nothing.
    mai.tap("Ý kiến khác").await.unwrap();
    assert_eq!(
        last_notice(&app),
        "Đợt lấy ý kiến đã kết thúc lúc 10:00 ngày 16/11/2026, nên bot không ghi thêm ý kiến nữa. Cảm ơn chị đã quan tâm!"
    );
    let r = zalo_texts(&thu.send(&disagree.to_string()).await.unwrap());
    assert!(r.contains("Đợt lấy ý kiến đã kết thúc"), "{r}");
    assert_eq!(answers(&app, 1).await, 1);
    assert_eq!(answers(&app, 2).await, 1);
    assert_eq!(answers(&app, 3).await, 0);
    // Each participant gets her own branch's result; Thu did not answer and gets none; the
    // sender gets the whole union's.
    app.drain().await;
    let mine = texts(&mai.unread());
    assert!(
        mine.contains("Chi hội phụ nữ thôn Đồng Thanh: 1/2 người đã trả lời (50%)."),
        "{mine}"
    );
    assert!(mine.contains("• Đồng ý: 1 người (100%)"), "{mine}");
    assert!(!mine.contains("Lạc Thành"), "{mine}");
    let hers = texts(&hue.unread());
    assert!(
        hers.contains("Chi hội phụ nữ thôn Lạc Thành: 1/1 người đã trả lời (100%)."),
        "{hers}"
    );
    assert!(hers.contains("• Không đồng ý: 1 người (100%)"), "{hers}");
    assert!(thu.unread().is_empty());
    let whole = texts(&hoa.unread());
    assert!(
        whole.contains("Hội LHPN xã Đông Hợp: 2/3 người đã trả lời (67%)."),
        "{whole}"
    );
    assert!(
        whole.contains("Đã kết thúc lúc 10:00 ngày 16/11/2026."),
        "{whole}"
    );
    app.shutdown().await;
}

async fn a_poll_on_a_draft_counts_for_target_7_of_the_union_that_ran_it_and_no_other(
    backend: Backend,
) {
    let app = TestApp::spawn_with_zalo(backend, false).await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000931",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let mut mai = app.joined(932, "Phạm Thị Mai", BRANCH, Role::Member).await;
    // On Zalo, by numbers and words, with options of her own.
    let home = hoa.send("/laykien").await.unwrap();
    let kinds = hoa.send(&pick(&home, "➕ Lấy ý kiến mới")).await.unwrap();
    let ask = hoa
        .send(&pick(&kinds, "📄 Góp ý dự thảo văn bản"))
        .await
        .unwrap();
    assert!(
        zalo_texts(&ask).contains("tên dự thảo"),
        "{}",
        zalo_texts(&ask)
    );
    let options = hoa
        .send("Dự thảo Luật Đất đai (sửa đổi), góp ý về bồi thường")
        .await
        .unwrap();
    hoa.send(&pick(&options, "✏️ Tự gõ các lựa chọn"))
        .await
        .unwrap();
    // A number is an option here, not a pick from the list.
    let typed = hoa.send("1").await.unwrap();
    assert!(zalo_texts(&typed).contains("• 1"), "{}", zalo_texts(&typed));
    let typed = hoa.send("Tán thành").await.unwrap();
    let repeated = hoa.send("tán thành").await.unwrap();
    assert!(
        zalo_texts(&repeated).contains("Lựa chọn này đã có rồi"),
        "{}",
        zalo_texts(&repeated)
    );
    assert!(
        zalo_texts(&typed).contains("✅ Xong"),
        "{}",
        zalo_texts(&typed)
    );
    // The step takes text, so its list is lettered; the words pick too.
    let comments = hoa.send("xong").await.unwrap();
    let closing = hoa.send(&pick(&comments, "Không, chỉ chọn")).await.unwrap();
    let units = hoa.send(&pick(&closing, "7 ngày")).await.unwrap();
    let audience = hoa.send(&pick(&units, WHOLE_UNION)).await.unwrap();
    let preview = hoa.send(&pick(&audience, MEMBERS)).await.unwrap();
    assert!(
        zalo_texts(&preview).contains("tính vào chỉ tiêu 7"),
        "{}",
        zalo_texts(&preview)
    );
    let sent = hoa.send(&pick(&preview, "📤 Gửi")).await.unwrap();
    assert!(
        zalo_texts(&sent).contains("Đã gửi tới 1 người"),
        "{}",
        zalo_texts(&sent)
    );
    app.drain().await;
    let got = mai.unread();
    assert!(text(&got[0]).starts_with("📄 Hội LHPN xã Đông Hợp xin chị góp ý dự thảo"));
    mai.tap("Tán thành").await.unwrap();
    assert_eq!(answers(&app, 2).await, 1);
    // One draft_comment activity, for Đông Hợp; a question that is not a draft adds none.
    let mut lan = app
        .joined(933, "Nguyễn Thị Lan", "TB-DH-DLA", Role::GrassrootsOfficer)
        .await;
    let _hanh = app
        .joined(934, "Đào Thị Hạnh", "TB-DH-DLA-T1", Role::Member)
        .await;
    lan.send("/laykien").await.unwrap();
    lan.tap("➕ Lấy ý kiến mới").await.unwrap();
    lan.tap("❓ Hỏi ý kiến").await.unwrap();
    lan.send("Họp tổng kết năm vào ngày nào?").await.unwrap();
    lan.tap("💬 Chỉ nhận góp ý bằng chữ").await.unwrap();
    lan.tap("3 ngày").await.unwrap();
    lan.tap("Cả Hội LHPN xã Đông La").await.unwrap();
    lan.tap(MEMBERS).await.unwrap();
    lan.tap("📤 Gửi").await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM polls").await, 2);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM activities a JOIN units u ON u.id = a.grassroots_id
             WHERE a.type_code = 'draft_comment' AND u.code = 'TB-DH-DHOP'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM activities WHERE type_code = 'draft_comment'")
            .await,
        1
    );
    // Target 7 also asks for a policy supervised: given one to both unions, only the union
    // that ran the round on a draft meets it.
    let author = app.count("SELECT MIN(sender_id) FROM polls").await;
    let mut conn = app.store.acquire().await.unwrap();
    for code in [GRASSROOTS, "TB-DH-DLA"] {
        let unit = org::unit_by_code(&mut conn, code).await.unwrap().unwrap();
        chihoi::storage::activities::insert_activity(
            &mut conn,
            &chihoi::storage::activities::NewActivity {
                unit_id: unit.id,
                grassroots_id: Some(unit.id),
                type_code: "policy_supervision",
                date: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
                amount: 1,
                description: None,
                author_id: author,
                photos: &[],
                platform: "telegram",
            },
            app.now().timestamp(),
        )
        .await
        .unwrap();
    }
    let district = org::unit_by_code(&mut conn, DISTRICT)
        .await
        .unwrap()
        .unwrap();
    let t7 = views::targets(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.number == 7)
        .unwrap();
    let met = views::achieved_under(&mut conn, &district, &t7, 2026, &[])
        .await
        .unwrap();
    let dhop = org::unit_by_code(&mut conn, GRASSROOTS)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(met.into_iter().collect::<Vec<_>>(), vec![dhop.id]);
    drop(conn);
    app.shutdown().await;
}

async fn a_districts_results_read_per_grassroots_union(backend: Backend) {
    let app = TestApp::spawn_with(backend, false).await;
    let mut an = app
        .joined(941, "Phan Thị An", DISTRICT, Role::DistrictAdmin)
        .await;
    let _mai = app.joined(942, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let _group = app
        .joined(943, "Lý Thị Tổ", "TB-DH-DHOP-T1-G1", Role::Member)
        .await;
    let mut hanh = app
        .joined(944, "Đào Thị Hạnh", "TB-DH-DLA-T1", Role::Member)
        .await;
    an.send("/laykien").await.unwrap();
    an.tap("➕ Lấy ý kiến mới").await.unwrap();
    an.tap("❓ Hỏi ý kiến").await.unwrap();
    an.send("Họp sơ kết vào thứ Bảy?").await.unwrap();
    an.tap("Có / Không").await.unwrap();
    an.tap("Không, chỉ chọn").await.unwrap();
    an.tap("3 ngày").await.unwrap();
    an.tap("Cả Hội LHPN huyện Đông Hưng").await.unwrap();
    let preview = texts(&an.tap(MEMBERS).await.unwrap());
    assert!(preview.contains("(3 người dùng bot)"), "{preview}");
    an.tap("📤 Gửi").await.unwrap();
    app.drain().await;
    hanh.unread();
    hanh.tap("Có").await.unwrap();
    let id = app.count("SELECT MAX(id) FROM polls").await;
    an.send("/laykien").await.unwrap();
    let results = texts(
        &an.tap(&format!("📊 Đợt {id} (15/11): Họp sơ kết vào thứ …"))
            .await
            .unwrap(),
    );
    for line in [
        "• Hội LHPN xã Đông Hợp: trả lời 0/2 (0%) — Có 0 · Không 0",
        "• Hội LHPN xã Đông La: trả lời 1/1 (100%) — Có 1 · Không 0",
    ] {
        assert!(results.contains(line), "{line:?} not in {results}");
    }
    app.shutdown().await;
}
