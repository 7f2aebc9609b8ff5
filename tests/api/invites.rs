//! Invites down the tree, in chat (`/moi`): an officer invites the level right below her inside
//! her subtree, by taps on Telegram and by typed numbers on Zalo; she gets a link, a code and a
//! QR code picture that reads back as the link; the invite serves many people until she revokes
//! it or it expires; forged choices never make an invite outside her subtree or at her level.

use std::time::Duration;

use chihoi::config::HttpLimits;
use chihoi::domain::role::Role;
use chihoi_fakes::telegram::SentMessage;
use chihoi_fakes::zalo::ZaloSent;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    an_officer_invites_branch_heads_by_taps_two_join_and_a_third_is_refused_once_revoked,
    on_zalo_an_officer_invites_by_typed_numbers_and_her_qr_picture_reads_back_as_the_link,
    a_branch_head_invites_members_of_her_own_branch_only_and_a_member_invites_nobody,
    forged_choices_never_make_an_invite_outside_her_subtree_or_revoke_another_ones,
    an_invite_stops_working_when_it_expires,
    her_invites_end_when_her_role_changes,
    in_a_province_without_districts_its_admin_invites_grassroots_officers,
);

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    app.count(&format!("SELECT id FROM units WHERE code = '{code}'"))
        .await
}

/// Invites made in chat (the people of a test join with operators' invites).
async fn chat_invites(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM invites WHERE created_by IS NOT NULL")
        .await
}

/// The code in an invite's link (`…?start=<code>`) or after "mã " in its text.
fn code_in(text: &str) -> String {
    let start = match text.find("start=") {
        Some(at) => at + "start=".len(),
        None => text.find("mã ").expect("a code in the text") + "mã ".len(),
    };
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect()
}

/// What a QR code picture (PNG bytes) says.
fn qr_text(png_bytes: &[u8]) -> String {
    assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size().expect("size fits")];
    let frame = reader.next_frame(&mut buf).expect("PNG data decodes");
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    let (w, h) = (frame.width as usize, frame.height as usize);
    assert!(
        (200..=1000).contains(&w) && w == h,
        "a square picture of a sensible size, not {w}×{h}"
    );
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().expect("the QR code decodes").1
}

fn photo_of(ms: &[SentMessage]) -> Option<&SentMessage> {
    ms.iter().find(|m| m.photo.is_some())
}

/// She makes an invite by taps: new, the unit (when she picks one), how long. Returns the
/// message with the link and code, and the QR picture that follows.
async fn invite_by_taps(
    p: &mut chihoi_fakes::telegram::person::Person<'_>,
    unit: Option<&str>,
    days: &str,
) -> (SentMessage, SentMessage) {
    p.send("/moi").await.unwrap();
    p.tap("➕ Tạo lời mời mới").await.unwrap();
    if let Some(unit) = unit {
        p.tap(unit).await.unwrap();
    }
    let r = p.tap(days).await.unwrap();
    let made = r
        .iter()
        .find(|m| text(m).contains("Đã tạo lời mời"))
        .cloned()
        .unwrap_or_else(|| panic!("no invite made: {}", texts(&r)));
    let mut all = r;
    if photo_of(&all).is_none() {
        all.extend(
            p.wait_for("the QR code", |m| m.photo.is_some())
                .await
                .unwrap(),
        );
    }
    let qr = photo_of(&all).cloned().unwrap();
    (made, qr)
}

async fn an_officer_invites_branch_heads_by_taps_two_join_and_a_third_is_refused_once_revoked(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut hoa = app
        .joined(801, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    let r = hoa.send("/moi").await.unwrap();
    assert!(
        texts(&r).contains("Chị chưa có lời mời nào đang mở"),
        "{}",
        texts(&r)
    );
    let (made, qr) =
        invite_by_taps(&mut hoa, Some("Chi hội phụ nữ thôn Đồng Thanh"), "7 ngày").await;
    let made = text(&made).to_owned();
    assert!(
        made.contains("Chi hội phụ nữ thôn Đồng Thanh cho chi hội trưởng"),
        "{made}"
    );
    // 2026-11-15 10:00 in Hanoi, plus seven days.
    assert!(made.contains("10:00 ngày 22/11/2026"), "{made}");
    let code = code_in(&made);
    let link = format!("https://t.me/{}?start={code}", app.api.bot_username());
    assert!(made.contains(&link), "{made}");
    assert!(made.contains(&format!("nhắn mã {code} cho bot")), "{made}");
    // The picture is the link, with the code for Zalo in its caption.
    let photo = qr.photo.as_ref().unwrap();
    assert_eq!(qr_text(&photo.bytes), link);
    assert!(
        photo.caption.as_deref().unwrap_or("").contains(&code),
        "{:?}",
        photo.caption
    );

    // Two people join with the same link, as branch heads of that branch.
    for (id, name) in [(802, "Nguyễn Thị Lan"), (803, "Đỗ Thị Hạnh")] {
        let r = app
            .person(id, name)
            .send(&format!("/start {code}"))
            .await
            .unwrap();
        assert!(
            texts(&r).contains("Chi hội phụ nữ thôn Đồng Thanh với vai trò Chi hội trưởng"),
            "{}",
            texts(&r)
        );
    }
    let r = hoa.send("/moi").await.unwrap();
    let list = texts(&r);
    assert!(list.contains("Lời mời chị đang mở: 1"), "{list}");
    assert!(
        list.contains(
            "Lời mời 1 — Chi hội phụ nữ thôn Đồng Thanh (chi hội trưởng): 2 người đã vào"
        ),
        "{list}"
    );

    // She revokes it, after being asked.
    let r = hoa.tap("🚫 Thu hồi lời mời 1").await.unwrap();
    assert!(
        texts(&r).contains("2 người đã vào vẫn ở lại"),
        "{}",
        texts(&r)
    );
    let r = hoa.tap("🚫 Thu hồi").await.unwrap();
    assert!(
        texts(&r).contains("Đã thu hồi lời mời vào Chi hội phụ nữ thôn Đồng Thanh"),
        "{}",
        texts(&r)
    );
    assert!(
        texts(&r).contains("Chị chưa có lời mời nào đang mở"),
        "{}",
        texts(&r)
    );
    // A third is refused kindly, and gets no role.
    let mut mai = app.person(804, "Phạm Thị Mai");
    let r = mai.send(&format!("/start {code}")).await.unwrap();
    assert!(
        texts(&r).contains("Mã mời này đã bị thu hồi. Chị xin cán bộ Hội gửi mã mới nhé."),
        "{}",
        texts(&r)
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM users WHERE role = 'branch_head' AND unit_id = {}",
            unit_id(&app, BRANCH).await
        ))
        .await,
        2
    );
    app.shutdown().await;
}

/// Types the number of `label` in the last message with a list.
async fn pick(
    p: &mut chihoi_fakes::zalo::person::ZaloPerson<'_>,
    last: &[ZaloSent],
    label: &str,
) -> Vec<ZaloSent> {
    let n = last
        .iter()
        .rev()
        .find_map(|m| numbered(m, label))
        .unwrap_or_else(|| panic!("no {label:?} in {}", zalo_texts(last)));
    p.send(&n.to_string()).await.unwrap()
}

async fn on_zalo_an_officer_invites_by_typed_numbers_and_her_qr_picture_reads_back_as_the_link(
    backend: Backend,
) {
    let mut app = TestApp::spawn_with_zalo(backend, true).await;
    let server = FilesServer::start(&app, HttpLimits::default()).await;
    app.stop_bot().await;
    app.public_url = Some(format!("http://{}", server.addr).parse().unwrap());
    app.start_bot().await;
    let mut hoa = app
        .zalo_joined(
            "0084900000000801",
            "Trần Thị Hoa",
            GRASSROOTS,
            Role::GrassrootsOfficer,
        )
        .await;
    let r = hoa.send("/moi").await.unwrap();
    let r = pick(&mut hoa, &r, "➕ Tạo lời mời mới").await;
    let r = pick(&mut hoa, &r, "Chi hội phụ nữ thôn Lạc Thành").await;
    let r = pick(&mut hoa, &r, "30 ngày").await;
    let made = zalo_texts(&r);
    assert!(
        made.contains("Đã tạo lời mời vào Chi hội phụ nữ thôn Lạc Thành"),
        "{made}"
    );
    let code = code_in(&made);
    assert!(
        made.contains(&format!("Trên Zalo: nhắn mã {code} cho bot")),
        "{made}"
    );
    // The picture comes by its link (Zalo takes no uploads) and reads back as the link.
    let mut url = None;
    for _ in 0..200 {
        url = hoa.inbox().into_iter().find_map(|m| m.photo);
        if url.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = url.expect("the QR picture came");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let got = client.get(&url).send().await.unwrap();
    assert_eq!(got.status().as_u16(), 200);
    let bytes = got.bytes().await.unwrap();
    assert_eq!(
        qr_text(&bytes),
        format!("https://t.me/{}?start={code}", app.api.bot_username())
    );

    // Two people join on Zalo by sending the code, a third after she revoked it is refused.
    for (id, name) in [
        ("0084900000000802", "Nguyễn Thị Lan"),
        ("0084900000000803", "Đỗ Thị Hạnh"),
    ] {
        let r = app.zalo_person(id, name).send(&code).await.unwrap();
        assert!(
            zalo_texts(&r).contains("Chi hội phụ nữ thôn Lạc Thành với vai trò Chi hội trưởng"),
            "{}",
            zalo_texts(&r)
        );
    }
    let r = hoa.send("/moi").await.unwrap();
    assert!(
        zalo_texts(&r).contains("Chi hội phụ nữ thôn Lạc Thành (chi hội trưởng): 2 người đã vào"),
        "{}",
        zalo_texts(&r)
    );
    let r = pick(&mut hoa, &r, "🚫 Thu hồi lời mời 1").await;
    let r = pick(&mut hoa, &r, "🚫 Thu hồi").await;
    assert!(
        zalo_texts(&r).contains("Đã thu hồi lời mời vào Chi hội phụ nữ thôn Lạc Thành"),
        "{}",
        zalo_texts(&r)
    );
    let r = app
        .zalo_person("0084900000000804", "Phạm Thị Mai")
        .send(&code)
        .await
        .unwrap();
    assert!(
        zalo_texts(&r).contains("Mã mời này đã bị thu hồi"),
        "{}",
        zalo_texts(&r)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'branch_head'")
            .await,
        2
    );
    server.stop().await;
    app.shutdown().await;
}

async fn a_branch_head_invites_members_of_her_own_branch_only_and_a_member_invites_nobody(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(811, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    // Her own branch, with no unit to pick.
    lan.send("/moi").await.unwrap();
    let r = lan.tap("➕ Tạo lời mời mới").await.unwrap();
    assert!(
        texts(&r).contains("Lời mời vào Chi hội phụ nữ thôn Đồng Thanh (hội viên)"),
        "{}",
        texts(&r)
    );
    let r = lan.tap("1 ngày").await.unwrap();
    let code = code_in(&texts(&r));
    let mut mai = app.person(812, "Phạm Thị Mai");
    let r = mai.send(&format!("/start {code}")).await.unwrap();
    assert!(
        texts(&r).contains("Chi hội phụ nữ thôn Đồng Thanh với vai trò Hội viên"),
        "{}",
        texts(&r)
    );
    let branch = unit_id(&app, BRANCH).await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM users WHERE role = 'member' AND unit_id = {branch}"
        ))
        .await,
        1
    );
    // Every invite she made is for her branch, and for members.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invites WHERE created_by IS NOT NULL
             AND (unit_id <> {branch} OR role <> 'member')"
        ))
        .await,
        0
    );
    // A member invites nobody, whatever she types or taps.
    let r = mai.send("/moi").await.unwrap();
    assert!(
        texts(&r).contains("Hội viên chưa mời được người khác vào bot"),
        "{}",
        texts(&r)
    );
    assert!(
        r.last().unwrap().button("✉️ Mời vào bot").is_none(),
        "no invite in a member's menu"
    );
    mai.tap_data(r.last().unwrap().message_id, "d:1:new")
        .await
        .unwrap();
    assert_eq!(chat_invites(&app).await, 1);
    app.shutdown().await;
}

async fn forged_choices_never_make_an_invite_outside_her_subtree_or_revoke_another_ones(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut hoa = app
        .joined(821, "Trần Thị Hoa", GRASSROOTS, Role::GrassrootsOfficer)
        .await;
    hoa.send("/moi").await.unwrap();
    let r = hoa.tap("➕ Tạo lời mời mới").await.unwrap();
    let list = r.last().unwrap().clone();
    let data = list
        .button("Chi hội phụ nữ thôn Đồng Thanh")
        .and_then(|b| b.callback_data.clone())
        .expect("her branch on the list");
    let version = data.split(':').nth(1).unwrap().to_owned();
    // A branch of another commune, her own commune, her district, a group below a branch.
    let far_branch = app
        .count(&format!(
            "SELECT id FROM units WHERE level = 'branch' AND code NOT LIKE '{GRASSROOTS}-%' LIMIT 1"
        ))
        .await;
    for unit in [
        far_branch,
        unit_id(&app, GRASSROOTS).await,
        unit_id(&app, DISTRICT).await,
        unit_id(&app, &format!("{BRANCH}-G1")).await,
    ] {
        let forged = format!("d:{version}:u:{unit}");
        let got = hoa.tap_data(list.message_id, &forged).await.unwrap();
        assert_eq!(
            last_notice(&app),
            "Việc này không thuộc quyền của chị.",
            "{forged} showed {}",
            texts(&got)
        );
    }
    // Her real choice still works; a length not on the list does not.
    let r = hoa.tap("Chi hội phụ nữ thôn Đồng Thanh").await.unwrap();
    let step = r.last().unwrap().clone();
    let version = step.buttons[0][0]
        .callback_data
        .clone()
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .to_owned();
    hoa.tap_data(step.message_id, &format!("d:{version}:e:365"))
        .await
        .unwrap();
    assert_eq!(
        last_notice(&app),
        "Bot không nhận ra lựa chọn này. Chị chọn lại trong danh sách mới nhất nhé."
    );
    assert_eq!(chat_invites(&app).await, 0);

    // Another commune's officer cannot revoke her invite, even with its code.
    let (made, _) =
        invite_by_taps(&mut hoa, Some("Chi hội phụ nữ thôn Đồng Thanh"), "7 ngày").await;
    let code = code_in(text(&made));
    let far_commune: String = sqlx::query_as::<_, (String,)>(
        "SELECT code FROM units WHERE level = 'grassroots' AND code <> $1 ORDER BY code LIMIT 1",
    )
    .bind(GRASSROOTS)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
    .0;
    let mut nga = app
        .joined(822, "Lê Thị Nga", &far_commune, Role::GrassrootsOfficer)
        .await;
    let r = nga.send("/moi").await.unwrap();
    let mine = r.last().unwrap().clone();
    let version = mine.buttons[0][0]
        .callback_data
        .clone()
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .to_owned();
    nga.tap_data(mine.message_id, &format!("d:{version}:rv:{code}"))
        .await
        .unwrap();
    assert_eq!(last_notice(&app), "Việc này không thuộc quyền của chị.");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invites WHERE code = '{code}' AND revoked_at IS NULL"
        ))
        .await,
        1
    );
    let r = app
        .person(823, "Phạm Thị Mai")
        .send(&format!("/start {code}"))
        .await
        .unwrap();
    assert!(
        texts(&r).contains("với vai trò Chi hội trưởng"),
        "{}",
        texts(&r)
    );
    app.shutdown().await;
}

async fn an_invite_stops_working_when_it_expires(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(831, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let (made, _) = invite_by_taps(&mut lan, None, "1 ngày").await;
    let code = code_in(text(&made));
    app.advance(chrono::Duration::hours(23));
    let r = app
        .person(832, "Phạm Thị Mai")
        .send(&format!("/start {code}"))
        .await
        .unwrap();
    assert!(texts(&r).contains("với vai trò Hội viên"), "{}", texts(&r));
    app.advance(chrono::Duration::hours(2));
    let r = app
        .person(833, "Vũ Thị Thu")
        .send(&format!("/start {code}"))
        .await
        .unwrap();
    assert!(
        texts(&r).contains("Mã mời đã hết hạn. Chị xin cán bộ Hội gửi mã mới nhé."),
        "{}",
        texts(&r)
    );
    // It is no longer among her open invites, and nothing she taps revokes it now.
    let r = lan.send("/moi").await.unwrap();
    assert!(
        texts(&r).contains("Chị chưa có lời mời nào đang mở"),
        "{}",
        texts(&r)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'member'")
            .await,
        1
    );
    app.shutdown().await;
}

async fn her_invites_end_when_her_role_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(841, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    let (made, _) = invite_by_taps(&mut lan, None, "30 ngày").await;
    let code = code_in(text(&made));
    let r = app
        .person(842, "Phạm Thị Mai")
        .send(&format!("/start {code}"))
        .await
        .unwrap();
    assert!(texts(&r).contains("với vai trò Hội viên"), "{}", texts(&r));
    // An operator makes her a member: what she invited people to was hers to give as head.
    let id = app
        .count("SELECT user_id FROM identities WHERE platform_user_id = '841'")
        .await;
    chihoi::app::user_set_role(
        &app.store,
        &app.calendars(),
        id,
        Role::Member,
        None,
        app.now(),
    )
    .await
    .unwrap();
    let r = app
        .person(843, "Vũ Thị Thu")
        .send(&format!("/start {code}"))
        .await
        .unwrap();
    assert!(
        texts(&r).contains("Mã mời này đã bị thu hồi"),
        "{}",
        texts(&r)
    );
    // Who joined before keeps her place.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'member'")
            .await,
        2
    );
    app.shutdown().await;
}

async fn in_a_province_without_districts_its_admin_invites_grassroots_officers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Two tiers of local government since July 2025: province → commune → branch.
    chihoi::app::import_org_bytes(
        &app.store,
        "code,parent_code,level,name\n\
         HY,,province,Hội LHPN tỉnh Hưng Yên\n\
         HY-TL,HY,grassroots,Hội LHPN xã Tân Lập\n\
         HY-TL-T1,HY-TL,branch,Chi hội phụ nữ thôn Đông\n"
            .as_bytes(),
        app.now(),
    )
    .await
    .unwrap();
    let mut thu = app
        .joined(851, "Vũ Thị Thu", "HY", Role::ProvinceAdmin)
        .await;
    let r = thu.send("/moi").await.unwrap();
    assert!(
        texts(&r).contains("gửi cho cán bộ Hội cơ sở"),
        "{}",
        texts(&r)
    );
    let r = thu.tap("➕ Tạo lời mời mới").await.unwrap();
    let list = r.last().unwrap();
    assert_eq!(
        list.button_texts(),
        vec!["Hội LHPN xã Tân Lập", "⬆ Quay lại", "✖ Hủy"],
        "{}",
        text(list)
    );
    let (made, _) = invite_by_taps(&mut thu, Some("Hội LHPN xã Tân Lập"), "7 ngày").await;
    let code = code_in(text(&made));
    let r = app
        .person(852, "Lê Thị Nga")
        .send(&format!("/start {code}"))
        .await
        .unwrap();
    assert!(
        texts(&r).contains("Hội LHPN xã Tân Lập với vai trò Cán bộ Hội cơ sở"),
        "{}",
        texts(&r)
    );
    // The province with districts keeps inviting district admins.
    let mut van = app
        .joined(853, "Đỗ Thị Vân", PROVINCE, Role::ProvinceAdmin)
        .await;
    let r = van.send("/moi").await.unwrap();
    assert!(
        texts(&r).contains("gửi cho cán bộ Hội cấp huyện"),
        "{}",
        texts(&r)
    );
    app.shutdown().await;
}
