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
//!   and answer 200 as soon as the engine has committed: the replies go out through the
//!   courier afterwards (in her chat's turn), so a slow send never holds Zalo's call. An event
//!   that fails is answered 500 (Zalo may bring it again) *and* kept and tried again here, as
//!   a polled one is, since Zalo does not document that it retries: whichever comes first is
//!   applied, the update ledger drops the other, and while it is being tried here a
//!   redelivery is answered 500 at once.
//! - **Long polling** (development): `getUpdates` hands out one event per call and forgets it
//!   as it answers; there is no offset to confirm. An event that arrives while this process
//!   dies before it commits is lost — the person sees no answer and sends again. Polling cannot
//!   promise more than that; the webhook can.
//!
//! An event that fails is tried again after `retry_base`, doubling up to `retry_cap`. While
//! the database itself takes no writes (an outage, a restart), it is tried again for as long
//! as that lasts, and she is told once that it will be handled. Only an event that keeps
//! failing (`update_attempts` times) while the database works is set aside: recorded in the
//! update ledger as handled, so that a redelivery is not applied after she has sent it again,
//! and she is asked to send it again. She is never both asked to resend and left to a
//! redelivery.

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
    /// The first pause before an event that failed is tried again (doubling up to
    /// `retry_cap`).
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Tries at an event that fails while the database works before it is set aside.
    pub update_attempts: u32,
    /// How much one chat may send at once before a flood of it is dropped.
    pub flood: super::FloodLimit,
}

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
            retry_cap: super::RETRY_CAP,
            update_attempts: super::UPDATE_ATTEMPTS,
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
            retry_cap: super::RETRY_CAP,
            update_attempts: super::UPDATE_ATTEMPTS,
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
    retry: super::UpdateRetry,
    /// Events failed once and being tried again here (their update keys): a webhook
    /// redelivery of one is answered 500 at once instead of waiting for her chat's turn.
    retrying: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// Replies being sent for events already committed.
    in_flight: super::InFlight,
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
            retry: super::UpdateRetry {
                base: options.retry_base,
                cap: options.retry_cap,
                attempts: options.update_attempts.max(1),
            },
            retrying: Arc::default(),
            in_flight: super::InFlight::default(),
        })
    }

    pub fn courier(&self) -> &Courier {
        &self.courier
    }

    /// Replies being sent for events already committed.
    pub fn in_flight(&self) -> &super::InFlight {
        &self.in_flight
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
            // The update loop ended: let the replies of what was handled go out, then stop
            // the courier too.
            let _ = tokio::time::timeout(Duration::from_secs(10), self.in_flight.idle()).await;
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
                    let Some(inbound) = to_inbound(&update) else {
                        continue;
                    };
                    let place = self.chats.reserve(&inbound.chat_id);
                    let this = self.clone();
                    let stop = shutdown.clone();
                    tasks.spawn(async move {
                        let turn = place.wait().await;
                        if let Err(turn) = this.try_once(&inbound, turn).await {
                            // Kept in memory only (polling has no offset): a shutdown during
                            // an outage ends it, as a kill would.
                            tokio::select! {
                                () = this.keep_trying(inbound, turn) => {}
                                () = stop.cancelled() => {}
                            }
                        }
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

    /// Handles one event: engine first (one transaction), then its replies through the
    /// courier, in the background and in her chat's turn. An error means nothing was
    /// committed; the event is then tried again here in the background, as a webhook call's is.
    /// Returns whether it is done with (committed, or ignored); `false`: it is being tried again.
    pub async fn handle_update(&self, update: ZaloUpdate) -> bool {
        let Some(inbound) = to_inbound(&update) else {
            return true;
        };
        let turn = self.chats.turn(&inbound.chat_id).await;
        self.handle_in_turn(inbound, turn).await
    }

    async fn handle_in_turn(&self, inbound: Inbound, turn: super::ChatTurn) -> bool {
        match self.try_once(&inbound, turn).await {
            Ok(()) => true,
            Err(turn) => {
                self.retrying_set().insert(inbound.update_key.clone());
                let this = self.clone();
                tokio::spawn(async move { this.keep_trying(inbound, turn).await });
                false
            }
        }
    }

    fn retrying_set(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.retrying.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One try at `inbound` in its chat's `turn`: committed, then its replies are handed to the
    /// courier in the background, still in the turn (so her next event waits for them). The
    /// turn comes back when nothing was committed.
    async fn try_once(
        &self,
        inbound: &Inbound,
        turn: super::ChatTurn,
    ) -> Result<(), super::ChatTurn> {
        let timer = crate::metrics::UpdateTimer::start(PLATFORM);
        let now = (self.clock)();
        match self.engine.handle(inbound, now).await {
            Ok(h) => {
                let sending = self.in_flight.start();
                let courier = self.courier.clone();
                tokio::spawn(async move {
                    if let Err(e) = courier.deliver_now(h.ready, &h.outbox_ids).await {
                        tracing::warn!(error = %e, "immediate delivery failed; the courier will retry");
                    }
                    timer.handled();
                    drop(turn);
                    drop(sending);
                });
                Ok(())
            }
            Err(e) => {
                timer.failed();
                tracing::error!(error = %super::error_chain(&e), "handling a Zalo event failed");
                Err(turn)
            }
        }
    }

    /// Tries a failed event again, in its chat's turn, until it commits, or until it is set
    /// aside (see the module's text). She is told once that it will be handled.
    async fn keep_trying(&self, inbound: Inbound, mut turn: super::ChatTurn) {
        let lang = Lang::default();
        self.tell(&inbound.chat_id, DialogError::apology(lang))
            .await;
        let mut tries = super::Tries::default();
        loop {
            let next = self
                .retry
                .after_failure(self.engine.store(), self.engine.instance(), &mut tries)
                .await;
            match next {
                super::Next::RetryIn(wait) => {
                    tokio::time::sleep(wait).await;
                }
                super::Next::SetAside => {
                    tracing::error!(key = %inbound.update_key, attempts = tries.failures, "Zalo event set aside after repeated failures");
                    // Recorded as handled: a redelivery after she has sent it again must not
                    // apply it a second time.
                    let recorded = async {
                        let mut conn = self.engine.store().acquire().await?;
                        crate::storage::users::claim_update(
                            &mut conn,
                            &inbound.update_key,
                            (self.clock)().timestamp(),
                        )
                        .await
                    };
                    if let Err(e) = recorded.await {
                        tracing::warn!(error = %e, "could not record a set-aside event in the ledger");
                    }
                    self.tell(&inbound.chat_id, tr!(lang, "error-set-aside"))
                        .await;
                    break;
                }
            }
            match self.try_once(&inbound, turn).await {
                Ok(()) => break,
                Err(back) => turn = back,
            }
        }
        self.retrying_set().remove(&inbound.update_key);
    }

    /// A word to her outside the outbox (the database may be what failed), within Zalo's
    /// send budget.
    async fn tell(&self, chat_id: &str, text: String) {
        let message = Outbound::text(chat_id.to_owned(), text);
        match self.courier.send_now(PLATFORM, &message).await {
            Some(_) => {}
            None => {
                let _ = ZaloSender::from_client(self.client.clone())
                    .send(chat_id, &message)
                    .await;
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
            let this = self.clone();
            tokio::spawn(async move {
                let _turn = place.wait().await;
                this.tell(&chat, tr!(Lang::default(), "flood-slow-down"))
                    .await;
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
    let Some(inbound) = to_inbound(&update) else {
        return StatusCode::OK;
    };
    if state.zalo.retrying_set().contains(&inbound.update_key) {
        // Failed once and being tried again here: not committed yet.
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    // In a task of its own: if Zalo hangs up (its call timed out), the event is still
    // committed, or tried again here, rather than cancelled half-way.
    let zalo = state.zalo.clone();
    let handled = tokio::spawn(async move {
        let turn = zalo.chats.turn(&inbound.chat_id).await;
        zalo.handle_in_turn(inbound, turn).await
    });
    match handled.await {
        Ok(true) => StatusCode::OK,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
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
