//! chihoi-fakes: local stand-ins for the chat platforms chihoi talks to, each a real HTTP
//! server on `127.0.0.1:0` that behaves like the platform where bots commonly go wrong. One
//! server per test (or per `chihoi demo` run), injected through the API URL: no global state,
//! no environment variables, no global lock.
//!
//! # Layout
//! - [`telegram`]: a Telegram-compatible Bot API server ([`telegram::LocalBotApi`]) that an
//!   unmodified `teloxide::Bot` works against, and [`telegram::person::Person`], a simulated
//!   Telegram user who types, taps buttons and reads the bot's answers.
//! - [`zalo`]: a fake Zalo Bot Platform ([`zalo::FakeZalo`]): one-update long polling,
//!   errors as `ok:false` inside HTTP 200, opaque string ids, webhook delivery with the secret
//!   header and redelivery; and [`zalo::person::ZaloPerson`], a simulated Zalo user.
//! - [`WaitTimeout`]: the error every `wait_*` helper returns, saying what the server held.
//!
//! Nothing here depends on the `chihoi` crate: the fakes model the platforms, not the bot.

use std::time::Duration;

pub mod telegram;
pub mod zalo;

/// A future the bot under test gives: done when it has sent everything it owes.
pub type SettleHook =
    std::sync::Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A wait on a fake server ran out of time.
#[derive(Clone, Debug, thiserror::Error)]
#[error("timed out after {timeout:?} waiting for {what}; {state}")]
pub struct WaitTimeout {
    /// What was waited for.
    pub what: String,
    /// How long it was waited for.
    pub timeout: Duration,
    /// What the server had at the deadline, to make the failure readable.
    pub state: String,
}

/// The parameters of a request body that is not multipart: form fields, or a JSON object
/// (both platforms take either). An empty body has none.
pub(crate) fn fields_of_body(
    content_type: &str,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    use serde_json::{Map, Value};
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the request body must be a JSON object".to_owned()),
        Err(e) => Err(format!("cannot parse the JSON body: {e}")),
    }
}
