//! The fake Zalo server over real HTTP, as a Zalo client sees it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::person::ZaloPerson;
use super::*;

const WAIT: Duration = Duration::from_secs(5);

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// POSTs a JSON body to `method` with the server's token; returns the HTTP status and body.
async fn call(api: &FakeZalo, method: &str, body: Value) -> (StatusCode, Value) {
    call_with_token(api, api.token(), method, body).await
}

async fn call_with_token(
    api: &FakeZalo,
    token: &str,
    method: &str,
    body: Value,
) -> (StatusCode, Value) {
    let url = format!("{}bot{token}/{method}", api.api_url());
    let response = client().post(url).json(&body).send().await.expect("send");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// A server where [`lan`] has written to the bot (so sends to her chat are accepted).
async fn start() -> FakeZalo {
    let api = FakeZalo::start(FakeZaloOptions {
        long_poll_cap: Duration::from_millis(200),
        ..FakeZaloOptions::default()
    })
    .await
    .expect("fake Zalo");
    api.meet(&lan().chat_id());
    api
}

#[tokio::test]
async fn a_send_to_a_chat_that_never_wrote_is_not_found_until_she_writes() {
    let api = FakeZalo::start(FakeZaloOptions::default()).await.unwrap();
    let mai = ZaloUser::numbered(7, "Mai");
    let send = json!({"chat_id": mai.chat_id(), "text": "Chào chị"});
    let (status, refused) = call(&api, "sendMessage", send.clone()).await;
    assert_eq!(status, StatusCode::OK, "inside an HTTP 200");
    assert_eq!(refused["ok"], json!(false));
    assert_eq!(refused["error_code"], json!(404), "{refused}");
    assert!(api.sent_to(&mai.chat_id()).is_empty());
    api.push_text(&mai, "Xin chào");
    let (_, ok) = call(&api, "sendMessage", send).await;
    assert_eq!(ok["ok"], json!(true), "{ok}");
    assert_eq!(api.sent_to(&mai.chat_id()).len(), 1);
}

fn lan() -> ZaloUser {
    ZaloUser::numbered(1, "Lan")
}

/// A webhook receiver on port 0: hands each request's secret header and body to the test, and
/// answers the given statuses in turn, then 200.
struct Receiver {
    url: String,
    requests: mpsc::UnboundedReceiver<(Option<String>, Value)>,
    server: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type ReceiverState = (
    mpsc::UnboundedSender<(Option<String>, Value)>,
    Arc<Mutex<Vec<StatusCode>>>,
);

async fn receiver(statuses: Vec<StatusCode>) -> Receiver {
    async fn hook(
        State((tx, statuses)): State<ReceiverState>,
        headers: HeaderMap,
        body: String,
    ) -> StatusCode {
        let secret = headers
            .get(SECRET_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
        let _ = tx.send((secret, body));
        let mut statuses = statuses.lock().unwrap();
        if statuses.is_empty() {
            StatusCode::OK
        } else {
            statuses.remove(0)
        }
    }
    let (tx, requests) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/zalo", post(hook))
        .with_state((tx, Arc::new(Mutex::new(statuses))));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/zalo", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url,
        requests,
        server,
    }
}

impl Receiver {
    async fn next(&mut self) -> (Option<String>, Value) {
        tokio::time::timeout(WAIT, self.requests.recv())
            .await
            .expect("a webhook request in time")
            .expect("receiver running")
    }
}

#[tokio::test]
async fn idle_get_updates_answers_408_inside_an_http_200() {
    let api = start().await;
    let (status, body) = call(&api, "getUpdates", json!({"timeout": 30})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], json!(false));
    assert_eq!(body["error_code"], json!(408));
    assert_eq!(api.stats().rejected_with(408), 1);
}

#[tokio::test]
async fn a_pushed_text_comes_back_once_as_one_object_and_is_then_gone() {
    let api = start().await;
    let lan = lan();
    let message_id = api.push_text(&lan, "Chào chị");
    let (status, body) = call(&api, "getUpdates", json!({"timeout": 1})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], json!(true), "{body}");
    let update = &body["result"];
    assert!(
        update.is_object(),
        "one update object, not an array: {update}"
    );
    assert_eq!(update["event_name"], json!("message.text.received"));
    let message = &update["message"];
    assert_eq!(message["message_id"], json!(message_id));
    assert_eq!(message["text"], json!("Chào chị"));
    assert_eq!(message["from"]["id"], json!(lan.id));
    assert_eq!(message["from"]["display_name"], json!("Lan"));
    assert_eq!(message["from"]["is_bot"], json!(false));
    assert_eq!(message["chat"]["id"], json!(lan.chat_id()));
    assert_eq!(message["chat"]["chat_type"], json!("PRIVATE"));
    assert!(message["date"].as_i64().unwrap() > 1_600_000_000_000, "ms");
    api.wait_until_consumed(WAIT).await.unwrap();

    let (_, again) = call(&api, "getUpdates", json!({"timeout": 1})).await;
    assert_eq!(again["error_code"], json!(408), "consumed: {again}");
}

#[tokio::test]
async fn ids_are_opaque_strings_and_a_chat_is_not_its_user() {
    let (odd, even) = (ZaloUser::numbered(1, "A"), ZaloUser::numbered(2, "B"));
    assert_eq!(odd.id.len(), 20);
    assert!(odd.id.starts_with('0') && odd.id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(even.id.len(), 20);
    assert!(even.id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(odd.id, even.id);
    assert_ne!(odd.chat_id(), odd.id);
    assert_eq!(
        odd.chat_id(),
        ZaloUser::new(odd.id.clone(), "other").chat_id()
    );

    let api = start().await;
    let first = api.push_text(&odd, "1");
    let second = api.push_sticker(&odd);
    assert_ne!(first, second);
    let (_, body) = call(&api, "getUpdates", json!({})).await;
    assert!(body["result"]["message"]["message_id"].is_string());
    let (_, body) = call(&api, "getUpdates", json!({})).await;
    assert_eq!(
        body["result"]["event_name"],
        json!("message.sticker.received")
    );
}

#[tokio::test]
async fn send_message_counts_characters_and_rejects_2001_inside_an_http_200() {
    let api = start().await;
    let chat = lan().chat_id();
    // 2000 characters of 3 bytes each: fine.
    let (status, ok) = call(
        &api,
        "sendMessage",
        json!({"chat_id": chat, "text": "ữ".repeat(2000)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ok["ok"], json!(true), "{ok}");
    assert!(ok["result"]["message_id"].is_string());
    assert!(ok["result"]["date"].as_i64().unwrap() > 1_600_000_000_000);

    for text in ["a".repeat(2001), String::new()] {
        let (status, body) =
            call(&api, "sendMessage", json!({"chat_id": chat, "text": text})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["ok"], json!(false));
        assert_eq!(body["error_code"], json!(400));
    }
    let sent = api.sent_to(&chat);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].message_id,
        ok["result"]["message_id"].as_str().unwrap()
    );
    assert_eq!(api.stats().sends_accepted, 1);
    assert_eq!(api.stats().rejected_with(400), 2);
}

#[tokio::test]
async fn a_bad_token_answers_401_inside_an_http_200_and_methods_are_case_sensitive() {
    let api = start().await;
    let (status, body) = call_with_token(&api, "1:WRONG", "getMe", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ok"], json!(false));
    assert_eq!(body["error_code"], json!(401));
    assert_eq!(body["description"], json!("Unauthorized"));

    let (status, body) = call(&api, "sendmessage", json!({"chat_id": "x", "text": "hi"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error_code"], json!(404));

    let (_, me) = call(&api, "getMe", json!({})).await;
    assert_eq!(
        me["result"],
        json!({"id": api.bot_id(), "account_name": "Bot Chi Hoi",
               "account_type": "BASIC", "can_join_groups": false})
    );
    let stats = api.stats();
    assert_eq!(stats.calls_of("getMe"), 2);
    assert_eq!(stats.calls_of("sendmessage"), 1);
    assert_eq!(stats.calls_of("sendMessage"), 0);
}

#[tokio::test]
async fn query_and_form_parameters_work_like_json() {
    let api = start().await;
    let chat = lan().chat_id();
    let url = format!("{}bot{}/sendMessage", api.api_url(), api.token());
    let body: Value = client()
        .post(&url)
        .form(&[("chat_id", chat.as_str()), ("text", "từ form")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["ok"], json!(true), "{body}");
    let body: Value = client()
        .get(&url)
        .query(&[("chat_id", chat.as_str()), ("text", "từ query")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["ok"], json!(true), "{body}");
    let texts: Vec<_> = api
        .sent_to(&chat)
        .into_iter()
        .filter_map(|m| m.text)
        .collect();
    assert_eq!(texts, ["từ form", "từ query"]);
}

#[tokio::test]
async fn a_chat_id_sent_as_a_number_loses_its_leading_zero_and_reaches_nobody() {
    let api = start().await;
    let digits = ZaloUser::numbered(1, "Lan").id;
    let as_number: u64 = digits.parse().unwrap();
    let (_, body) = call(
        &api,
        "sendMessage",
        json!({"chat_id": as_number, "text": "hi"}),
    )
    .await;
    // The number is no chat that wrote to the bot: refused as not found.
    assert_eq!(body["error_code"], json!(404), "{body}");
    assert!(api.sent_to(&digits).is_empty());
}

#[tokio::test]
async fn send_photo_takes_a_url_and_a_caption_of_at_most_2000_characters() {
    let api = start().await;
    let chat = lan().chat_id();
    let photo = "https://example.org/chart.png";
    let (_, ok) = call(
        &api,
        "sendPhoto",
        json!({"chat_id": chat, "photo": photo, "caption": "Tiến độ"}),
    )
    .await;
    assert_eq!(ok["ok"], json!(true), "{ok}");
    let (_, long) = call(
        &api,
        "sendPhoto",
        json!({"chat_id": chat, "photo": photo, "caption": "x".repeat(2001)}),
    )
    .await;
    assert_eq!(long["error_code"], json!(400));
    let (_, upload) = call(
        &api,
        "sendPhoto",
        json!({"chat_id": chat, "photo": "chart.png"}),
    )
    .await;
    assert_eq!(upload["error_code"], json!(400), "a photo is a URL");
    let sent = api.sent_to(&chat);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].photo.as_deref(), Some(photo));
    assert_eq!(sent[0].caption.as_deref(), Some("Tiến độ"));
    assert_eq!(sent[0].text, None);

    let (_, typing) = call(
        &api,
        "sendChatAction",
        json!({"chat_id": chat, "action": "typing"}),
    )
    .await;
    assert_eq!(typing["ok"], json!(true));
    assert_eq!(api.stats().chat_actions, 1);
}

#[tokio::test]
async fn webhook_delivery_carries_the_secret_header_and_polling_then_fails() {
    let api = start().await;
    let mut hook = receiver(vec![]).await;
    let secret = "s3cret-s3cret";
    let (_, set) = call(
        &api,
        "setWebhook",
        json!({"url": hook.url, "secret_token": secret}),
    )
    .await;
    assert_eq!(set["ok"], json!(true), "{set}");
    let (_, info) = call(&api, "getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], json!(hook.url));
    assert!(info["result"]["updated_at"].as_i64().unwrap() > 1_600_000_000_000);

    let message_id = api.push_text(&lan(), "qua webhook");
    let (header, body) = hook.next().await;
    assert_eq!(header.as_deref(), Some(secret));
    assert_eq!(body["ok"], json!(true));
    assert_eq!(body["result"]["event_name"], json!("message.text.received"));
    assert_eq!(body["result"]["message"]["message_id"], json!(message_id));
    api.wait_until_consumed(WAIT).await.unwrap();
    assert_eq!(api.stats().webhook_deliveries, 1);

    let (status, poll) = call(&api, "getUpdates", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(poll["ok"], json!(false));
    assert_eq!(poll["error_code"], json!(400));

    let (_, short) = call(
        &api,
        "setWebhook",
        json!({"url": hook.url, "secret_token": "short"}),
    )
    .await;
    assert_eq!(short["error_code"], json!(400), "secret of 5 characters");

    let (_, deleted) = call(&api, "deleteWebhook", json!({})).await;
    assert_eq!(deleted["ok"], json!(true));
    assert_eq!(api.webhook_url(), None);
    api.push_text(&lan(), "polled again");
    let (_, poll) = call(&api, "getUpdates", json!({})).await;
    assert_eq!(poll["result"]["message"]["text"], json!("polled again"));
}

#[tokio::test]
async fn a_failed_webhook_delivery_is_retried_a_bounded_number_of_times() {
    let api = start().await;
    let mut hook = receiver(vec![StatusCode::INTERNAL_SERVER_ERROR; 4]).await;
    call(
        &api,
        "setWebhook",
        json!({"url": hook.url, "secret_token": "0123456789"}),
    )
    .await;
    let message_id = api.push_text(&lan(), "lost");
    let attempts = api.wait_for_deliveries(4, WAIT).await.unwrap();
    api.wait_until_consumed(WAIT).await.unwrap();
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    for (i, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt.message_id, message_id);
        assert_eq!(attempt.attempt as usize, i + 1);
        assert_eq!(attempt.status, Some(500));
    }
    for _ in 0..4 {
        let (_, body) = hook.next().await;
        assert_eq!(body["result"]["message"]["message_id"], json!(message_id));
    }
    assert_eq!(api.stats().webhook_failures, 4);

    // A redelivery carries the same message id; this time the receiver takes it.
    assert!(api.redeliver(&message_id));
    let (_, body) = hook.next().await;
    assert_eq!(body["result"]["message"]["message_id"], json!(message_id));
    let attempts = api.wait_for_deliveries(5, WAIT).await.unwrap();
    assert_eq!((attempts[4].attempt, attempts[4].status), (1, Some(200)));
    assert_eq!(api.stats().webhook_deliveries, 1);
}

#[tokio::test]
async fn deliver_raw_posts_forged_calls_with_any_secret() {
    let api = start().await;
    assert!(matches!(
        api.deliver_raw("{}", None).await,
        Err(DeliverError::NoWebhook)
    ));
    let mut hook = receiver(vec![StatusCode::FORBIDDEN]).await;
    call(
        &api,
        "setWebhook",
        json!({"url": hook.url, "secret_token": "right-secret"}),
    )
    .await;
    let status = api
        .deliver_raw(r#"{"ok":true,"result":{}}"#, Some("wrong-secret"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (header, _) = hook.next().await;
    assert_eq!(header.as_deref(), Some("wrong-secret"));
    let status = api.deliver_raw("{}", None).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hook.next().await.0, None);
    assert!(api.webhook_deliveries().is_empty());
}

#[tokio::test]
async fn failures_and_the_send_limit_answer_like_zalo() {
    let api = start().await;
    let chat = lan().chat_id();
    let send = json!({"chat_id": chat, "text": "nhắc"});
    api.fail_next(ZaloFailure::Quota, 1);
    api.fail_next(ZaloFailure::HttpStatus(502), 1);
    let (status, quota) = call(&api, "sendMessage", send.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(quota["error_code"], json!(429));
    assert!(quota.get("parameters").is_none(), "no retry_after on Zalo");
    let (status, _) = call(&api, "sendMessage", send.clone()).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);

    api.set_failure(Some(ZaloFailure::Forbidden));
    for _ in 0..2 {
        let (_, refused) = call(&api, "sendMessage", send.clone()).await;
        assert_eq!(refused["error_code"], json!(403));
    }
    api.set_failure(None);

    api.set_sends_per_second(Some(2));
    let mut codes = Vec::new();
    for _ in 0..3 {
        let (_, body) = call(&api, "sendMessage", send.clone()).await;
        codes.push(body["error_code"].as_u64());
    }
    assert_eq!(codes, [None, None, Some(429)]);
    let stats = api.stats();
    assert_eq!(stats.sends_accepted, 2);
    assert_eq!(stats.quota_exceeded, 2);
    assert_eq!(stats.http_failures, 1);
    assert_eq!(stats.rejected_with(403), 2);
}

#[tokio::test]
async fn wait_for_messages_times_out_saying_what_was_sent() {
    let api = start().await;
    let err = api
        .wait_for_messages("nobody", 1, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("0 sent to it"), "{err}");
}

/// A bot that answers every text with two messages, over `getUpdates`.
async fn echo_bot(api_url: String, token: String) {
    let base = format!("{api_url}bot{token}");
    let http = client();
    loop {
        let Ok(response) = http
            .post(format!("{base}/getUpdates"))
            .json(&json!({"timeout": 30}))
            .send()
            .await
        else {
            return;
        };
        let Ok(body) = response.json::<Value>().await else {
            return;
        };
        if body["ok"] != json!(true) {
            continue;
        }
        let message = &body["result"]["message"];
        let chat_id = message["chat"]["id"].clone();
        let text = message["text"].as_str().unwrap_or_default();
        for reply in [format!("Đã nhận: {text}"), "Cảm ơn chị".to_owned()] {
            let _ = http
                .post(format!("{base}/sendMessage"))
                .json(&json!({"chat_id": chat_id, "text": reply}))
                .send()
                .await;
        }
    }
}

#[tokio::test]
async fn a_zalo_person_gets_all_the_replies_to_what_she_typed() {
    let api = start().await;
    let bot = tokio::spawn(echo_bot(api.api_url().to_string(), api.token().to_owned()));
    let mut lan = ZaloPerson::from_user(&api, lan());
    lan.settle = Duration::from_millis(150);
    let replies = lan.send("xin chào").await.unwrap();
    let texts: Vec<_> = replies.iter().filter_map(|m| m.text.as_deref()).collect();
    assert_eq!(texts, ["Đã nhận: xin chào", "Cảm ơn chị"]);
    let replies = lan.send("lần hai").await.unwrap();
    assert_eq!(replies.len(), 2);
    assert_eq!(lan.inbox().len(), 4);
    assert!(lan.unread().is_empty());
    bot.abort();
}
