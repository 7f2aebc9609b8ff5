//! Bad input and repeated input: forged or stale buttons, redelivered updates, double taps,
//! oversized text, a restart mid-dialog.

use chihoi::domain::role::Role;
use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

async fn forged_and_stale_callbacks_are_refused_politely(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(201, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    let step1 = lan.last_with_buttons().unwrap();
    lan.tap("Ổn định").await.unwrap();

    // The step-1 button again: stale. The dialog stays where it is.
    let data = step1
        .button("Rất khó khăn")
        .unwrap()
        .callback_data
        .clone()
        .unwrap();
    let again = lan.tap_data(step1.message_id, &data).await.unwrap();
    let notice = app
        .api
        .calls("answerCallbackQuery")
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        notice["text"],
        "Lựa chọn này đã cũ. Chị chọn trong tin nhắn mới nhất nhé."
    );
    assert!(
        texts(&again).contains("Tình hình lao động, sản xuất: chị có ghi chú gì thêm"),
        "{}",
        texts(&again)
    );

    // Made-up data: a version far ahead, unknown prefixes, someone else's join request. Each
    // is refused with a notice on the tap, and nothing is sent or edited anywhere; one shaped
    // like an older step's button is answered as a stale tap (her current step shown again).
    let stale = "Lựa chọn này đã cũ. Chị chọn trong tin nhắn mới nhất nhé.";
    let bad = "Bot không nhận ra lựa chọn này. Chị chọn lại trong danh sách mới nhất nhé.";
    let current = text(again.last().unwrap()).to_owned();
    for (forged, refusal) in [
        ("d:99999:s:serious", bad),
        ("x:1", bad),
        ("c:drop_tables", bad),
        ("j:424242:a", bad),
        ("", bad),
        ("d:1:🙂", stale),
    ] {
        let sent = app.api.sent();
        let edits =
            app.api.calls("editMessageText").len() + app.api.calls("editMessageReplyMarkup").len();
        let r = lan.tap_data(step1.message_id, forged).await.unwrap();
        let answer = app
            .api
            .calls("answerCallbackQuery")
            .last()
            .cloned()
            .unwrap();
        assert_eq!(answer["text"], refusal, "{forged:?}");
        let now_sent = app.api.sent();
        if refusal == stale {
            assert_eq!(texts(&r), current, "{forged:?}");
            assert_eq!(
                now_sent[..sent.len()],
                sent[..],
                "{forged:?} changed a message"
            );
            assert_eq!(now_sent.len(), sent.len() + 1, "{forged:?}");
        } else {
            assert!(r.is_empty(), "{forged:?}: {}", texts(&r));
            assert_eq!(now_sent, sent, "{forged:?} sent or changed a message");
        }
        assert_eq!(
            app.api.calls("editMessageText").len() + app.api.calls("editMessageReplyMarkup").len(),
            edits,
            "{forged:?}"
        );
    }
    let (labour,): (String,) = sqlx::query_as("SELECT body FROM report_drafts")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert!(
        labour.contains("\"situation\":\"stable\""),
        "draft changed by a forged tap: {labour}"
    );
    // Every callback query was answered, so no client shows a spinner.
    let callbacks = app.api.stats().calls_of("answerCallbackQuery");
    assert_eq!(callbacks, 1 + 1 + 6, "one answer per tap");
    app.shutdown().await;
}

/// Found by `properties`: a NUL typed in an opinion failed on PostgreSQL ("invalid byte
/// sequence for encoding UTF8: 0x00") at every retry, and her message was set aside.
async fn control_characters_typed_are_dropped_and_the_text_is_kept(backend: Backend) {
    use crate::direct::Desk;
    let desk = Desk::new(backend).await;
    let mai = 9301;
    desk.join(mai, "Phạm\u{0} Thị Mai", BRANCH, Role::Member)
        .await;
    desk.command(mai, "ykien", "").await;
    desk.text(mai, "Chợ\u{0} thiếu\u{7} chỗ\r\nđể xe").await;
    let step = desk.tap(mai, "d:3:named").await;
    assert!(step.text_to(mai).contains("Đã gửi ý kiến"), "{step:?}");
    let (body,): (String,) = sqlx::query_as("SELECT body FROM opinions")
        .fetch_one(desk.store.pool())
        .await
        .unwrap();
    assert_eq!(body, "Chợ thiếu chỗ\nđể xe");
    desk.close().await;
}

async fn redelivered_update_changes_nothing_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut mai = app.joined(202, "Phạm Thị Mai", BRANCH, Role::Member).await;
    mai.send("/ykien").await.unwrap();
    mai.send("Chợ thiếu chỗ để xe").await.unwrap();
    let choice = mai.last_with_buttons().unwrap();
    let data = choice
        .button("Gửi kèm tên")
        .unwrap()
        .callback_data
        .clone()
        .unwrap();
    let update_id = app.api.push_callback(&mai.user, choice.message_id, &data);
    mai.replies().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM opinions").await, 1);
    let inbox = mai.inbox().len();
    let processed = app.count("SELECT COUNT(*) FROM processed_updates").await;
    // Telegram delivers the same update again (same update_id).
    app.api.redeliver(update_id);
    mai.replies().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM opinions").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM processed_updates").await,
        processed
    );
    assert_eq!(mai.inbox().len(), inbox, "no second confirmation was sent");
    app.shutdown().await;
}

async fn double_tap_on_submit_stores_one_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(203, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    for label in [
        "Ổn định",
        "Bỏ qua",
        "Ổn định",
        "Bỏ qua",
        "Phấn khởi, tin tưởng",
        "Bỏ qua",
        "Không có",
        "Không có đề xuất",
    ] {
        lan.tap(label).await.unwrap();
    }
    let summary = lan.last_with_buttons().unwrap();
    let data = summary
        .button("✅ Gửi báo cáo")
        .unwrap()
        .callback_data
        .clone()
        .unwrap();
    // Two taps arrive before the bot answers either.
    app.api.push_callback(&lan.user, summary.message_id, &data);
    app.api.push_callback(&lan.user, summary.message_id, &data);
    let replies = lan.replies().await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM reports").await, 1);
    assert_eq!(app.count("SELECT MAX(revision) FROM reports").await, 1);
    let confirmations = replies
        .iter()
        .filter(|m| text(m).contains("Đã gửi báo cáo"))
        .count();
    assert_eq!(confirmations, 1, "{}", texts(&replies));
    app.shutdown().await;
}

async fn draft_survives_a_restart_of_the_bot(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let code = app.invite(BRANCH, Role::BranchHead, 1).await;
    {
        let mut lan = app.person(204, "Nguyễn Thị Lan");
        lan.send(&format!("/start {code}")).await.unwrap();
        lan.send("/baocao").await.unwrap();
        lan.tap("Có khó khăn").await.unwrap();
        lan.send("Mất mùa do bão số 3").await.unwrap();
    }
    app.restart_bot().await;
    let mut lan = app.person(204, "Nguyễn Thị Lan");
    lan.unread();
    // She goes on typing where she was: the dialog is at part 2.
    let r = lan.tap("Rất khó khăn").await.unwrap();
    assert!(
        texts(&r).contains("Đời sống văn hóa, tinh thần: chị có ghi chú gì thêm"),
        "{}",
        texts(&r)
    );
    // And /baocao offers the draft.
    let r = lan.send("/baocao").await.unwrap();
    assert!(
        texts(&r).contains("bản nháp đã trả lời 2/5 phần"),
        "{}",
        texts(&r)
    );
    let r = lan.tap("Tiếp tục bản nháp").await.unwrap();
    assert!(texts(&r).contains("Phần 3/5"), "{}", texts(&r));
    let (body,): (String,) = sqlx::query_as("SELECT body FROM report_drafts")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert!(body.contains("Mất mùa do bão số 3"), "{body}");
    app.shutdown().await;
}

async fn oversized_text_is_refused_and_emoji_are_kept_exactly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(205, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    lan.tap("Ổn định").await.unwrap();
    let long = "ệ".repeat(1001);
    let r = lan.send(&long).await.unwrap();
    assert!(
        texts(&r).contains("Nội dung dài 1001 ký tự, tối đa 1000"),
        "{}",
        texts(&r)
    );
    assert!(
        texts(&r).contains("Tình hình lao động, sản xuất: chị có ghi chú gì thêm"),
        "the step is shown again"
    );
    let emoji = "Được mùa 🌾👩‍🌾 — “vui” <b>&amp;";
    let r = lan.send(emoji).await.unwrap();
    assert!(texts(&r).contains("Phần 2/5"), "{}", texts(&r));
    let (body,): (String,) = sqlx::query_as("SELECT body FROM report_drafts")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let draft: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(draft["labour"]["note"], json!(emoji));
    // Blank text is refused too.
    lan.tap("Ổn định").await.unwrap();
    let r = lan.send("   ").await.unwrap();
    assert!(texts(&r).contains("Nội dung đang trống"), "{}", texts(&r));
    app.shutdown().await;
}

async fn numbered_replies_pick_choices_for_text_only_platforms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(206, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    // "2" is the second choice: "Có khó khăn".
    let r = lan.send("2").await.unwrap();
    assert!(
        texts(&r).contains("Tình hình lao động, sản xuất: chị có ghi chú gì thêm"),
        "{}",
        texts(&r)
    );
    let (body,): (String,) = sqlx::query_as("SELECT body FROM report_drafts")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert!(body.contains("\"situation\":\"concerns\""), "{body}");
    // Words where a choice is expected get a hint, and nothing changes.
    lan.tap("Bỏ qua").await.unwrap();
    let r = lan.send("ổn").await.unwrap();
    assert!(
        texts(&r).contains("Chị chọn một mục trong danh sách bên dưới nhé."),
        "{}",
        texts(&r)
    );
    let r = lan.send("9").await.unwrap();
    assert!(
        texts(&r).contains("Chị chọn một mục trong danh sách bên dưới nhé."),
        "{}",
        texts(&r)
    );
    app.shutdown().await;
}

async fn out_of_turn_messages_get_a_friendly_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut mai = app.joined(207, "Phạm Thị Mai", BRANCH, Role::Member).await;
    let r = mai.send("/khongcolenhnay").await.unwrap();
    assert!(
        texts(&r).contains("Bot chưa hiểu lệnh này"),
        "{}",
        texts(&r)
    );
    app.api.push_photo(&mai.user, "photo-file-1", None);
    let r = mai.replies().await.unwrap();
    assert!(texts(&r).contains("Bước này chưa cần ảnh"), "{}", texts(&r));
    let r = mai.send("tuần sau họp?").await.unwrap();
    assert!(texts(&r).contains("Bot chưa hiểu ý chị"), "{}", texts(&r));
    // A greeting or a thank-you brings the menu, without a "not understood".
    let r = mai.send("Cảm ơn bot!").await.unwrap();
    assert!(!texts(&r).contains("chưa hiểu"), "{}", texts(&r));
    assert!(texts(&r).contains("không có gì ạ"), "{}", texts(&r));
    let r = mai.send("xin chao").await.unwrap();
    assert!(texts(&r).contains("Chị muốn làm gì?"), "{}", texts(&r));
    // /huy in the middle of a dialog stops it.
    mai.send("/ykien").await.unwrap();
    let r = mai.send("/huy").await.unwrap();
    assert!(texts(&r).contains("Đã hủy."), "{}", texts(&r));
    let r = mai.send("Nội dung gửi nhầm").await.unwrap();
    assert!(texts(&r).contains("Bot chưa hiểu ý chị"), "{}", texts(&r));
    // A thank-you is not "not understood"; help names how to stop and how to get help.
    let r = mai.send("Cảm ơn bot nhé!").await.unwrap();
    assert!(
        texts(&r).contains("Dạ, không có gì ạ!") && !texts(&r).contains("chưa hiểu"),
        "{}",
        texts(&r)
    );
    let r = mai.send("/trogiup").await.unwrap();
    let help = texts(&r);
    assert!(
        help.contains("/huy — dừng việc đang làm")
            && help.contains("/trogiup — xem trợ giúp")
            && help.contains("chị liên hệ chi hội trưởng của mình"),
        "{help}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM opinions").await, 0);
    app.shutdown().await;
}

both_backends!(
    control_characters_typed_are_dropped_and_the_text_is_kept,
    forged_and_stale_callbacks_are_refused_politely,
    redelivered_update_changes_nothing_twice,
    double_tap_on_submit_stores_one_report,
    draft_survives_a_restart_of_the_bot,
    oversized_text_is_refused_and_emoji_are_kept_exactly,
    numbered_replies_pick_choices_for_text_only_platforms,
    out_of_turn_messages_get_a_friendly_answer,
);
