//! Platform adapters: they turn platform updates into [`crate::dialog`] events and the dialog's
//! replies into platform messages. They depend on the dialog core and delivery, never on each
//! other; adding a platform means adding a folder here.
//!
//! - [`telegram`]: buttons, edits, uploads; long polling or webhook.
//! - [`zalo`]: text only (choices as numbered lists), photos by URL; long polling or webhook.

pub mod telegram;
pub mod zalo;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

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

/// One lock per chat, so that a chat's updates are handled, and their replies sent, one at a
/// time and in order while other chats go side by side. A chat's lock is forgotten when nobody
/// holds or waits for it, so a province of chats costs nothing at rest.
#[derive(Clone, Default)]
pub(crate) struct ChatLocks {
    chats: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// A chat's turn: held while her update is handled and its replies are sent.
pub(crate) struct ChatTurn {
    locks: ChatLocks,
    chat: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl ChatLocks {
    /// Waits for the chat's turn.
    pub async fn turn(&self, chat: &str) -> ChatTurn {
        let lock = {
            let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
            chats.entry(chat.to_owned()).or_default().clone()
        };
        ChatTurn {
            locks: self.clone(),
            chat: chat.to_owned(),
            guard: Some(lock.lock_owned().await),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.chats.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for ChatTurn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut chats = self.locks.chats.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map's own reference left: nobody holds or awaits this chat's lock.
        if chats
            .get(&self.chat)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            chats.remove(&self.chat);
        }
    }
}

/// Replies still being sent for updates already committed (and acknowledged to the
/// platform): shutdown and tests wait for none.
#[derive(Clone, Default)]
pub struct InFlight {
    inner: Arc<(std::sync::atomic::AtomicUsize, tokio::sync::Notify)>,
}

/// One update's replies in flight; dropping it marks them done.
pub(crate) struct Sending(InFlight);

impl InFlight {
    pub(crate) fn start(&self) -> Sending {
        self.inner
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Sending(self.clone())
    }

    /// Waits until every reply that was being sent has been sent (or given to the courier).
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.1.notified();
            if self.inner.0.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        if self
            .0
            .inner
            .0
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            == 1
        {
            self.0.inner.1.notify_waiters();
        }
    }
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

    #[tokio::test]
    async fn chat_locks_keep_order_and_are_forgotten_when_free() {
        let locks = ChatLocks::default();
        let first = locks.turn("7").await;
        let other = locks.turn("8").await;
        assert_eq!(locks.len(), 2);
        let waiting = tokio::spawn({
            let locks = locks.clone();
            async move {
                let _second = locks.turn("7").await;
            }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(first);
        waiting.await.unwrap();
        drop(other);
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test]
    async fn in_flight_is_idle_when_every_sending_ends() {
        let flight = InFlight::default();
        flight.idle().await;
        let a = flight.start();
        let b = flight.start();
        let waiter = tokio::spawn({
            let flight = flight.clone();
            async move { flight.idle().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(b);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
    }
}
