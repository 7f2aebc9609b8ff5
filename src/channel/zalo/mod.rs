//! Zalo (Zalo Bot Platform): turns Zalo's message events into [`Inbound`] events for the
//! [`Engine`], and its replies into plain-text messages (no buttons: the choices become a
//! numbered list, and a typed number or the option's words answer it — see
//! [`crate::dialog::picking`]).
//!
//! Zalo has no update ids: an event is known by its message id (`zalo:<message_id>` in the
//! update ledger), so a redelivered webhook call changes nothing twice.
//!
//! - **Webhook** (production): Zalo POSTs each event with the secret in
//!   `X-Bot-Api-Secret-Token`; we compare it in constant time, refuse anything else with 401,
//!   and answer 200 only after the engine has committed (a failure answers 500, so a retry can
//!   bring it again).
//! - **Long polling** (development): `getUpdates` hands out one event per call and forgets it
//!   as it answers; there is no offset to confirm. An event that arrives while this process
//!   dies before it commits is lost — the person sees no answer and sends again. Polling cannot
//!   promise more than that; the webhook can.

pub mod client;
mod sender;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use url::Url;

pub use client::{ZaloClient, ZaloError, ZaloUpdate};
pub use sender::ZaloSender;

use super::command_or_text;
use crate::config::{DeliveryConfig, Secret, ZaloConfig};
use crate::delivery::{Courier, Sender};
use crate::dialog::{Clock, DialogError, Engine, Inbound, Input, Outbound};
use crate::i18n::Lang;
use crate::tr;

pub const PLATFORM: &str = "zalo";

/// Zalo's limit for a message text, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// How to reach Zalo.
#[derive(Debug, Clone)]
pub struct ZaloOptions {
    pub token: Secret,
    pub api_url: Url,
    /// Webhook mode: the public URL Zalo posts to, and the secret it sends.
    pub webhook: Option<(Url, Secret)>,
    pub delivery: DeliveryConfig,
    /// Run a courier loop beside the update loop (off when the app runs a shared courier,
    /// or when tests step it themselves; replies still go out at once).
    pub run_courier: bool,
    /// How long one `getUpdates` waits for an event.
    pub poll_timeout: Duration,
    /// The first pause before a polled event that failed is tried again (doubling).
    pub retry_base: Duration,
    /// How much one chat may send at once before a flood of it is dropped.
    pub flood: super::FloodLimit,
}

/// Tries at a polled event before it is given up (she is asked to send it again).
const POLLED_ATTEMPTS: u32 = 5;

impl ZaloOptions {
    pub fn new(token: Secret, api_url: Url) -> Self {
        Self {
            token,
            api_url,
            webhook: None,
            delivery: ZaloConfig::default_delivery(),
            run_courier: true,
            poll_timeout: Duration::from_secs(30),
            retry_base: Duration::from_secs(1),
            flood: super::FloodLimit::default(),
        }
    }

    pub fn from_config(config: &ZaloConfig) -> Self {
        Self {
            token: config.token.clone(),
            api_url: config.api_url.clone(),
            webhook: config.webhook.clone(),
            delivery: config.delivery.clone(),
            run_courier: true,
            poll_timeout: Duration::from_secs(30),
            retry_base: Duration::from_secs(1),
            flood: super::FloodLimit::default(),
        }
    }

    pub fn client(&self) -> Result<ZaloClient, ZaloError> {
        ZaloClient::new(&self.api_url, &self.token, Duration::from_secs(20))
    }
}

/// The Zalo channel.
#[derive(Clone)]
pub struct Zalo {
    client: ZaloClient,
    engine: Engine,
    clock: Clock,
    courier: Courier,
    /// One lock per chat: one chat's events are handled one at a time, in order.
    chats: super::ChatLocks,
    /// Drops a flood from one chat, so that it cannot hold the others up.
    flood: super::FloodGate,
    retry_base: Duration,
}

impl Zalo {
    /// Zalo alone, with a courier of its own.
    pub fn new(engine: Engine, options: &ZaloOptions, clock: Clock) -> Result<Self, ZaloError> {
        let courier = Courier::builder(
            engine.store().clone(),
            engine.calendars().clone(),
            clock.clone(),
            engine.instance().to_owned(),
        )
        .sender(
            Arc::new(ZaloSender::new(options)?),
            options.delivery.clone(),
        )
        .build();
        Self::with_courier(engine, options, clock, courier)
    }

    /// Zalo beside other channels, sharing their courier (which has a [`ZaloSender`]).
    pub fn with_courier(
        engine: Engine,
        options: &ZaloOptions,
        clock: Clock,
        courier: Courier,
    ) -> Result<Self, ZaloError> {
        Ok(Self {
            client: options.client()?,
            engine,
            clock,
            courier,
            chats: super::ChatLocks::default(),
            flood: super::FloodGate::new(options.flood),
            retry_base: options.retry_base,
        })
    }

    pub fn courier(&self) -> &Courier {
        &self.courier
    }

    /// Runs until `shutdown`: checks the token (a bad one is an error at once), then long-polls,
    /// or registers the webhook and waits (its endpoint is served by [`Zalo::webhook_router`]).
    pub async fn run(
        &self,
        options: &ZaloOptions,
        shutdown: CancellationToken,
    ) -> Result<(), ZaloError> {
        let me = self.client.get_me().await.map_err(|e| match e.code() {
            Some(401) => ZaloError::Api {
                code: 401,
                description: "Zalo refused the token: check ZALO_BOT_TOKEN (Zalo Bot Creator)"
                    .into(),
            },
            _ => e,
        })?;
        tracing::info!(bot = %me.account_name, "connected to Zalo");
        let courier = async {
            if options.run_courier {
                self.courier.run(shutdown.clone()).await;
            }
        };
        let updates = async {
            let r = match &options.webhook {
                None => self.poll(options.poll_timeout, shutdown.clone()).await,
                Some((url, secret)) => {
                    self.client.set_webhook(url, secret).await?;
                    tracing::info!("Zalo webhook registered");
                    shutdown.cancelled().await;
                    Ok(())
                }
            };
            shutdown.cancel();
            r
        };
        let (result, ()) = tokio::join!(updates, courier);
        result
    }

    /// Long polling: one event per call; each chat's events in order, chats side by side.
    async fn poll(&self, timeout: Duration, shutdown: CancellationToken) -> Result<(), ZaloError> {
        // getUpdates fails while a webhook is set (left over from another mode).
        if let Err(e) = self.client.delete_webhook().await {
            tracing::warn!(error = %e, "deleteWebhook failed");
        }
        let tasks = TaskTracker::new();
        let mut backoff = Duration::from_millis(500);
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = self.client.get_update(timeout) => r,
            };
            match next {
                Ok(Some(update)) => {
                    backoff = Duration::from_millis(500);
                    if self.flooded(&update) {
                        continue;
                    }
                    // A place in the chat's line taken here, before the next poll, keeps its
                    // order; waiting for it in the task keeps a busy chat from holding the
                    // poll (and every other chat) up.
                    let place = self.chats.reserve(&update.message.chat.id);
                    let this = self.clone();
                    tasks.spawn(async move {
                        let turn = place.wait().await;
                        let _ = this.handle_with_retries(update, POLLED_ATTEMPTS).await;
                        drop(turn);
                    });
                }
                Ok(None) => {}
                Err(ZaloError::Api { code: 401, .. }) => {
                    return Err(ZaloError::Api {
                        code: 401,
                        description: "the token was refused (ZALO_BOT_TOKEN)".into(),
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "Zalo getUpdates failed");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
        tasks.close();
        tasks.wait().await;
        Ok(())
    }

    /// Handles one event: engine first (one transaction), then the replies. Polled events
    /// cannot be fetched again (Zalo's API has no offset), so a failing one is tried again here,
    /// in its chat's turn, up to [`POLLED_ATTEMPTS`] times; a webhook call is tried once and
    /// answered 500. An error means nothing was committed.
    pub async fn handle_update(&self, update: ZaloUpdate) -> Result<(), DialogError> {
        self.handle_with_retries(update, 1).await
    }

    async fn handle_with_retries(
        &self,
        update: ZaloUpdate,
        attempts: u32,
    ) -> Result<(), DialogError> {
        let Some(inbound) = to_inbound(&update) else {
            return Ok(());
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let timer = crate::metrics::UpdateTimer::start(PLATFORM);
            let now = (self.clock)();
            match self.engine.handle(&inbound, now).await {
                Ok(h) => {
                    if let Err(e) = self.courier.deliver_now(h.ready, &h.outbox_ids).await {
                        tracing::warn!(error = %e, "immediate delivery failed; the courier will retry");
                    }
                    timer.handled();
                    return Ok(());
                }
                Err(e) => {
                    timer.failed();
                    tracing::error!(error = %super::error_chain(&e), attempt, "handling a Zalo event failed");
                    // Told once that it will be handled, or that she must send it again.
                    let last = attempt >= attempts;
                    let text = match (attempt, last) {
                        (_, true) => tr!(Lang::default(), "error-set-aside"),
                        (1, false) => DialogError::apology(Lang::default()),
                        _ => String::new(),
                    };
                    if !text.is_empty() {
                        // Not through the outbox: the database may be what failed.
                        let apology = Outbound::text(inbound.chat_id.clone(), text);
                        let sender = ZaloSender::from_client(self.client.clone());
                        let _ = sender.send(&inbound.chat_id, &apology).await;
                    }
                    if last {
                        return Err(e);
                    }
                    tokio::time::sleep(self.retry_base * (1u32 << (attempt - 1).min(5))).await;
                }
            }
        }
    }

    /// Whether `update` belongs to a flood from its chat, and is dropped; at the flood's first
    /// dropped event she is told to slow down (in her chat's turn, in the background).
    fn flooded(&self, update: &ZaloUpdate) -> bool {
        let chat = update.message.chat.id.clone();
        let super::Gate::Drop { tell } = self.flood.check(&chat) else {
            return false;
        };
        if tell {
            tracing::info!(chat = %chat, "flood from one Zalo chat: dropping its events");
            let place = self.chats.reserve(&chat);
            let client = self.client.clone();
            tokio::spawn(async move {
                let _turn = place.wait().await;
                let notice = Outbound::text(chat.clone(), tr!(Lang::default(), "flood-slow-down"));
                let _ = ZaloSender::from_client(client).send(&chat, &notice).await;
            });
        }
        true
    }

    /// The webhook endpoint at `path`, for the app's HTTP server.
    pub fn webhook_router(&self, path: &str, secret: Secret) -> axum::Router {
        axum::Router::new()
            .route(path, axum::routing::post(webhook_event))
            .with_state(WebhookState {
                zalo: self.clone(),
                secret,
            })
    }

    /// Serves the webhook router on `listener` until `shutdown` (tests and embedders).
    pub async fn serve_webhook_on(
        &self,
        listener: tokio::net::TcpListener,
        path: &str,
        secret: Secret,
        shutdown: CancellationToken,
    ) -> std::io::Result<SocketAddr> {
        super::serve_on(listener, self.webhook_router(path, secret), shutdown).await
    }
}

#[derive(Clone)]
struct WebhookState {
    zalo: Zalo,
    secret: Secret,
}

async fn webhook_event(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    if !super::secret_matches(&headers, "x-bot-api-secret-token", &state.secret) {
        tracing::warn!("Zalo webhook call with a wrong secret refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update = match client::parse_webhook_body(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "Zalo webhook body is not an event");
            return StatusCode::BAD_REQUEST;
        }
    };
    if state.zalo.flooded(&update) {
        // Answered, so that Zalo does not bring the flood again.
        return StatusCode::OK;
    }
    let _turn = state.zalo.chats.turn(&update.message.chat.id).await;
    match state.zalo.handle_update(update).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A Zalo event as a platform-neutral one; `None` for what the bot ignores (groups, bots).
pub fn to_inbound(update: &ZaloUpdate) -> Option<Inbound> {
    let m = &update.message;
    if m.from.is_bot || m.chat.chat_type.as_deref().is_some_and(|t| t != "PRIVATE") {
        return None;
    }
    let input = match update.event_name.as_str() {
        "message.text.received" => command_or_text(m.text.as_deref().unwrap_or("").trim()),
        "message.image.received" => Input::Photo {
            file_id: m
                .photo_url
                .clone()
                .or_else(|| m.photo.clone())
                .unwrap_or_default(),
            size: None,
        },
        _ => Input::Unsupported,
    };
    Some(Inbound {
        update_key: format!("{PLATFORM}:{}", m.message_id),
        platform: PLATFORM.to_owned(),
        user_id: m.from.id.clone(),
        chat_id: m.chat.id.clone(),
        display_name: m.from.display_name.clone().unwrap_or_default(),
        language_hint: None,
        text_only: true,
        origin: None,
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, extra: serde_json::Value, chat_type: &str) -> ZaloUpdate {
        let mut message = serde_json::json!({
            "message_id": "m1", "from": {"id": "u1", "display_name": "Chị Hoa", "is_bot": false},
            "chat": {"id": "c1", "chat_type": chat_type}, "date": 1
        });
        if let (Some(m), Some(e)) = (message.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        serde_json::from_value(serde_json::json!({"event_name": name, "message": message})).unwrap()
    }

    #[test]
    fn events_become_inbound_keyed_by_message_id() {
        let text = event(
            "message.text.received",
            serde_json::json!({"text": " /baocao 10/2026"}),
            "PRIVATE",
        );
        let inbound = to_inbound(&text).unwrap();
        assert_eq!(inbound.update_key, "zalo:m1");
        assert!(inbound.text_only);
        assert_eq!(
            inbound.input,
            Input::Command {
                name: "baocao".into(),
                arg: "10/2026".into()
            }
        );
        let photo = event(
            "message.image.received",
            serde_json::json!({"photo_url": "https://z/p.jpg"}),
            "PRIVATE",
        );
        assert!(matches!(
            to_inbound(&photo).unwrap().input,
            Input::Photo { .. }
        ));
        let sticker = event("message.sticker.received", serde_json::json!({}), "PRIVATE");
        assert_eq!(to_inbound(&sticker).unwrap().input, Input::Unsupported);
        let group = event(
            "message.text.received",
            serde_json::json!({"text": "hi"}),
            "GROUP",
        );
        assert!(to_inbound(&group).is_none());
    }
}
