//! Platform adapters: they turn platform updates into [`crate::dialog`] events and the dialog's
//! replies into platform messages. They depend on the dialog core and delivery, never on each
//! other; adding a platform means adding a folder here.
//!
//! - [`telegram`]: buttons, edits, uploads; long polling or webhook.
//! - [`zalo`]: text only (choices as numbered lists), photos by URL; long polling or webhook.

pub mod telegram;
pub mod zalo;

use std::net::SocketAddr;

use axum::http::HeaderMap;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::Secret;
use crate::dialog::Input;

/// `/baocao 2026-10` → a command; anything else is text.
pub fn command_or_text(text: &str) -> Input {
    if let Some(rest) = text.strip_prefix('/') {
        let (head, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = head.split('@').next().unwrap_or("").to_ascii_lowercase();
        if !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Input::Command {
                name,
                arg: arg.trim().to_owned(),
            };
        }
    }
    Input::Text(text.to_owned())
}

/// Whether a webhook call carries `secret` in `header`, compared in constant time (a timing
/// difference must not tell an attacker how much of a guess was right).
pub(crate) fn secret_matches(headers: &HeaderMap, header: &str, secret: &Secret) -> bool {
    let given = headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .as_bytes();
    let wanted = secret.expose().as_bytes();
    given.len() == wanted.len()
        && given
            .iter()
            .zip(wanted)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A server on this machine (the fakes, a local Bot API server) is never reached through a
/// proxy.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An error with its causes, for the log.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut chain = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    chain
}

/// Serves `app` on `listener` until `shutdown` (a channel's webhook, for tests and embedders).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: CancellationToken,
) -> std::io::Result<SocketAddr> {
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
    });
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_in_full() {
        let secret = Secret::new("abc");
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-secret", v.parse().unwrap());
            h
        };
        assert!(secret_matches(&with("abc"), "x-secret", &secret));
        assert!(!secret_matches(&with("abd"), "x-secret", &secret));
        assert!(!secret_matches(&with("abcd"), "x-secret", &secret));
        assert!(!secret_matches(&HeaderMap::new(), "x-secret", &secret));
    }
}
