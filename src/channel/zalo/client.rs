//! A small client for the Zalo Bot Platform's HTTP API (`{base}/bot{TOKEN}/{method}`), on the
//! reqwest that teloxide already brings (the `zalo-bot` crate would add a second major version
//! of reqwest to the tree for the eleven calls we need).
//!
//! Zalo answers errors with HTTP 200 and `{ok: false, error_code, description}`: every call
//! branches on `ok`, not on the status. An idle long poll answers `error_code` 408, which
//! [`ZaloClient::get_update`] turns into `None`. Ids are opaque strings (some look numeric;
//! they are never parsed as numbers).

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use url::Url;

use crate::config::Secret;

pub const DEFAULT_API_URL: &str = "https://bot-api.zaloplatforms.com";

#[derive(Debug, thiserror::Error)]
pub enum ZaloError {
    /// Zalo said no: 400 bad request, 401 bad token, 403, 404, 408 timeout, 429 quota.
    #[error("Zalo answered error {code}: {description}")]
    Api { code: i64, description: String },
    /// No answer, or not the API's envelope (a proxy's error page, say).
    #[error("Zalo could not be reached: {0}")]
    Transport(String),
    #[error("Zalo's answer could not be read: {0}")]
    Decode(String),
}

impl ZaloError {
    pub fn code(&self) -> Option<i64> {
        match self {
            ZaloError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// `getMe`.
#[derive(Debug, Clone, Deserialize)]
pub struct BotInfo {
    #[serde(deserialize_with = "opaque_id")]
    pub id: String,
    #[serde(default)]
    pub account_name: String,
}

/// What a send returns.
#[derive(Debug, Clone, Deserialize)]
pub struct Sent {
    #[serde(deserialize_with = "opaque_id")]
    pub message_id: String,
}

/// One update: a message event.
#[derive(Debug, Clone, Deserialize)]
pub struct ZaloUpdate {
    pub event_name: String,
    pub message: ZaloMessage,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ZaloMessage {
    #[serde(deserialize_with = "opaque_id")]
    pub message_id: String,
    pub from: ZaloUser,
    pub chat: ZaloChat,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub photo_url: Option<String>,
    #[serde(default)]
    pub photo: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ZaloUser {
    #[serde(deserialize_with = "opaque_id")]
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_bot: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ZaloChat {
    #[serde(deserialize_with = "opaque_id")]
    pub id: String,
    #[serde(default)]
    pub chat_type: Option<String>,
}

/// Ids are strings; accept a number too, but keep it as text.
fn opaque_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("not an id: {other}"))),
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
}

/// The update a webhook call carries: `{ok, result: update}` or a bare update.
pub fn parse_webhook_body(body: &str) -> Result<ZaloUpdate, ZaloError> {
    let value: Value = serde_json::from_str(body).map_err(|e| ZaloError::Decode(e.to_string()))?;
    let update = match value.get("result") {
        Some(inner) if value.get("message").is_none() => inner.clone(),
        _ => value,
    };
    serde_json::from_value(update).map_err(|e| ZaloError::Decode(e.to_string()))
}

#[derive(Clone)]
pub struct ZaloClient {
    http: reqwest::Client,
    /// `{base}/bot{TOKEN}/`: holds the token, so it is never logged or shown.
    base: Url,
}

impl std::fmt::Debug for ZaloClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZaloClient(***)")
    }
}

impl ZaloClient {
    /// `timeout` bounds each request; long polls add their own wait to it.
    pub fn new(api_url: &Url, token: &Secret, timeout: Duration) -> Result<Self, ZaloError> {
        let mut builder = reqwest::Client::builder().timeout(timeout);
        if super::super::is_loopback(api_url) {
            // A server on this machine (tests, the demo) must not be reached through a proxy.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| ZaloError::Transport(e.without_url().to_string()))?;
        let base = Url::parse(&format!(
            "{}/bot{}/",
            api_url.as_str().trim_end_matches('/'),
            token.expose()
        ))
        .map_err(|e| ZaloError::Transport(format!("bad Zalo API address: {e}")))?;
        Ok(Self { http, base })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        body: Value,
        wait: Option<Duration>,
    ) -> Result<T, ZaloError> {
        let url = self
            .base
            .join(method)
            .map_err(|e| ZaloError::Transport(e.to_string()))?;
        let mut request = self.http.post(url).json(&body);
        if let Some(wait) = wait {
            request = request.timeout(wait + Duration::from_secs(10));
        }
        // `without_url`: the URL holds the token.
        let response = request
            .send()
            .await
            .map_err(|e| ZaloError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| ZaloError::Transport(e.without_url().to_string()))?;
        let envelope: Envelope = serde_json::from_str(&text).map_err(|_| {
            if status.is_success() {
                ZaloError::Decode(format!("{method}: not the API's envelope"))
            } else {
                ZaloError::Transport(format!("{method}: HTTP {status}"))
            }
        })?;
        if !envelope.ok {
            return Err(ZaloError::Api {
                code: envelope.error_code.unwrap_or(i64::from(status.as_u16())),
                description: envelope.description.unwrap_or_default(),
            });
        }
        serde_json::from_value(envelope.result.unwrap_or(Value::Null))
            .map_err(|e| ZaloError::Decode(format!("{method}: {e}")))
    }

    pub async fn get_me(&self) -> Result<BotInfo, ZaloError> {
        self.call("getMe", json!({}), None).await
    }

    /// One update, or `None` when the poll ran idle (Zalo's 408). A returned update is gone
    /// from Zalo's side: it cannot be fetched again.
    pub async fn get_update(&self, timeout: Duration) -> Result<Option<ZaloUpdate>, ZaloError> {
        let secs = timeout.as_secs().max(1);
        match self
            .call::<Option<ZaloUpdate>>("getUpdates", json!({ "timeout": secs }), Some(timeout))
            .await
        {
            Ok(update) => Ok(update),
            Err(ZaloError::Api { code: 408, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn send_message(&self, chat_id: &str, text: &str) -> Result<Sent, ZaloError> {
        self.call(
            "sendMessage",
            json!({ "chat_id": chat_id, "text": text }),
            None,
        )
        .await
    }

    /// A photo by its URL (Zalo takes no uploads).
    pub async fn send_photo(
        &self,
        chat_id: &str,
        photo_url: &str,
        caption: Option<&str>,
    ) -> Result<Sent, ZaloError> {
        let mut body = json!({ "chat_id": chat_id, "photo": photo_url });
        if let Some(caption) = caption {
            body["caption"] = json!(caption);
        }
        self.call("sendPhoto", body, None).await
    }

    pub async fn set_webhook(&self, url: &Url, secret: &Secret) -> Result<(), ZaloError> {
        self.call::<Value>(
            "setWebhook",
            json!({ "url": url.as_str(), "secret_token": secret.expose() }),
            None,
        )
        .await
        .map(|_| ())
    }

    pub async fn delete_webhook(&self) -> Result<(), ZaloError> {
        self.call::<Value>("deleteWebhook", json!({}), None)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_bodies_are_read_with_or_without_the_envelope_and_ids_stay_text() {
        let inner = r#"{"event_name":"message.text.received","message":{"message_id":"7f3a",
            "from":{"id":"0012345","display_name":"Chị Lan","is_bot":false},
            "chat":{"id":"0012345","chat_type":"PRIVATE"},"date":1764460800000,"text":"2"}}"#;
        let wrapped = format!(r#"{{"ok":true,"result":{inner}}}"#);
        for body in [inner.to_owned(), wrapped] {
            let u = parse_webhook_body(&body).unwrap();
            assert_eq!(u.event_name, "message.text.received");
            assert_eq!(
                u.message.from.id, "0012345",
                "leading zeros kept: not a number"
            );
            assert_eq!(u.message.text.as_deref(), Some("2"));
        }
        let numeric = r#"{"event_name":"message.text.received","message":{"message_id":42,
            "from":{"id":9},"chat":{"id":9},"text":"hi"}}"#;
        assert_eq!(
            parse_webhook_body(numeric).unwrap().message.message_id,
            "42"
        );
        assert!(parse_webhook_body("{}").is_err());
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let c = ZaloClient::new(
            &Url::parse(DEFAULT_API_URL).unwrap(),
            &Secret::new("123:SECRET"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("SECRET"));
    }
}
