//! Driving the real engine without a platform in between: a fresh database (SQLite or
//! PostgreSQL) with the sample province, the engine, and the real courier whose only sender
//! records what it would hand to Telegram. For tests that send hundreds of events (the
//! property test, the authorization matrix), where the HTTP fakes would cost more than the bot.
//! [`Desk::on_zalo`] is the same desk as Zalo has it: typed text only, lists numbered by the
//! courier and remembered per chat, no buttons and no uploads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chihoi::app;
use chihoi::config::DeliveryConfig;
use chihoi::delivery::{Capabilities, Courier, SendOutcome, Sender};
use chihoi::dialog::{DialogError, Engine, Handled, Inbound, Input, Outbound};
use chihoi::domain::calendar::Calendars;
use chihoi::domain::role::Role;
use chihoi::storage::Store;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::helpers::{Backend, TestDb, mid_november};

/// One message as the Telegram sender would receive it, rendered (files made) by the courier.
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat_id: String,
    pub message: Outbound,
}

/// A sender that records instead of sending; every message "arrives". On Zalo it has what
/// the Zalo sender has: no buttons, no uploads, no edits.
struct Recorder {
    sent: Arc<Mutex<Vec<Sent>>>,
    platform: &'static str,
}

impl Sender for Recorder {
    fn platform(&self) -> &'static str {
        self.platform
    }
    fn capabilities(&self) -> Capabilities {
        let telegram = self.platform == "telegram";
        Capabilities {
            buttons: telegram,
            uploads: telegram,
            edits: telegram,
        }
    }
    fn send<'a>(&'a self, chat_id: &'a str, message: &'a Outbound) -> BoxFuture<'a, SendOutcome> {
        self.sent.lock().unwrap().push(Sent {
            chat_id: chat_id.to_owned(),
            message: message.clone(),
        });
        Box::pin(async { SendOutcome::Sent })
    }
}

/// What one event produced: the engine's answer and everything delivered because of it.
#[derive(Debug, Clone, Default)]
pub struct Step {
    pub handled: Handled,
    pub sent: Vec<Sent>,
}

impl Step {
    /// Messages to `chat`.
    pub fn to(&self, chat: i64) -> Vec<&Outbound> {
        let chat = chat.to_string();
        self.sent
            .iter()
            .filter(|s| s.chat_id == chat)
            .map(|s| &s.message)
            .collect()
    }

    /// All texts to `chat`, joined.
    pub fn text_to(&self, chat: i64) -> String {
        self.to(chat)
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }

    /// The last keyboard sent to `chat`.
    pub fn keyboard_of(&self, chat: i64) -> Option<&Outbound> {
        self.to(chat)
            .into_iter()
            .rev()
            .find(|m| !m.choices.is_empty())
    }
}

/// The engine on a fresh database, its clock fixed at 10:00 on 15 November 2026 in Hanoi.
pub struct Desk {
    pub store: Store,
    /// "telegram", or "zalo" ([`Desk::on_zalo`]).
    pub platform: &'static str,
    pub engine: Engine,
    pub now: DateTime<Utc>,
    courier: Courier,
    sent: Arc<Mutex<Vec<Sent>>>,
    updates: AtomicU64,
    _db: TestDb,
}

impl Desk {
    pub async fn new(backend: Backend) -> Self {
        Self::on(Self::template(backend).await).await
    }

    /// A database migrated and holding the sample province, closed: copy it with
    /// [`TestDb::copy_of`] for each run of a test that needs many.
    pub async fn template(backend: Backend) -> TestDb {
        let (db, store) = TestDb::with_sample_province(backend, mid_november()).await;
        store.close().await;
        db
    }

    /// The engine on `db`, which holds the sample province, as Telegram reaches it.
    pub async fn on(db: TestDb) -> Self {
        Self::on_platform(db, "telegram").await
    }

    /// The engine on `db` as Zalo reaches it: everything is typed text.
    pub async fn on_zalo(db: TestDb) -> Self {
        Self::on_platform(db, "zalo").await
    }

    async fn on_platform(db: TestDb, platform: &'static str) -> Self {
        let store = Store::connect(&db.url).await.expect("connect");
        let now = mid_november();
        let calendars = Calendars::new(chrono_tz::Asia::Ho_Chi_Minh, Default::default()).unwrap();
        let engine = Engine::new(store.clone(), calendars.clone());
        let sent = Arc::new(Mutex::new(Vec::new()));
        // No budget waits: limits of the platform are what is checked, not its pace.
        let delivery = DeliveryConfig {
            per_second: 1.0e6,
            per_chat_per_second: 1_000_000,
            per_group_per_minute: 1_000_000,
            ..DeliveryConfig::default()
        };
        let courier = Courier::builder(
            store.clone(),
            calendars,
            Arc::new(move || now),
            engine.instance().to_owned(),
        )
        .sender(
            Arc::new(Recorder {
                sent: sent.clone(),
                platform,
            }),
            delivery,
        )
        .build();
        Self {
            store,
            platform,
            engine,
            now,
            courier,
            sent,
            updates: AtomicU64::new(1),
            _db: db,
        }
    }

    /// An inbound from user `who` of the desk's platform (her chat has the same id).
    pub fn inbound(&self, who: i64, name: &str, input: Input) -> Inbound {
        let n = self.updates.fetch_add(1, Ordering::Relaxed);
        let zalo = self.platform == "zalo";
        let origin = (!zalo && matches!(input, Input::Choice(_))).then(|| format!("{n}"));
        Inbound {
            update_key: format!("{}:{n}", self.platform),
            platform: self.platform.into(),
            user_id: who.to_string(),
            chat_id: who.to_string(),
            display_name: name.to_owned(),
            language_hint: (!zalo).then(|| "vi".into()),
            text_only: zalo,
            origin,
            input,
        }
    }

    /// Handles `inbound` and delivers what it queued, as the Telegram channel does.
    pub async fn handle(&self, inbound: &Inbound) -> Result<Step, DialogError> {
        let handled = self.engine.handle(inbound, self.now).await?;
        Ok(self.deliver(handled).await)
    }

    /// Delivers the rows an update queued, and returns what was "sent"; charts and exports,
    /// which the running bot makes in the background, are made here before returning.
    pub async fn deliver(&self, handled: Handled) -> Step {
        self.courier
            .deliver_now(handled.ready.clone(), &handled.outbox_ids)
            .await
            .expect("deliver");
        self.courier.drain_all(self.now).await.expect("make files");
        let sent = std::mem::take(&mut *self.sent.lock().unwrap());
        Step { handled, sent }
    }

    pub async fn send(&self, who: i64, name: &str, input: Input) -> Step {
        let inbound = self.inbound(who, name, input);
        self.handle(&inbound).await.expect("handled")
    }

    pub async fn text(&self, who: i64, text: &str) -> Step {
        self.send(who, "Chị", Input::Text(text.to_owned())).await
    }

    pub async fn command(&self, who: i64, name: &str, arg: &str) -> Step {
        let input = Input::Command {
            name: name.to_owned(),
            arg: arg.to_owned(),
        };
        self.send(who, "Chị", input).await
    }

    pub async fn tap(&self, who: i64, data: &str) -> Step {
        self.send(who, "Chị", Input::Choice(data.to_owned())).await
    }

    /// `who` joins `unit` as `role` with an invite, through the engine.
    pub async fn join(&self, who: i64, name: &str, unit: &str, role: Role) -> Step {
        let week = Duration::from_secs(7 * 86400);
        let code = app::create_invite(&self.store, unit, role, 1, week, self.now)
            .await
            .expect("invite");
        let input = Input::Command {
            name: "start".into(),
            arg: code.code.as_str().to_owned(),
        };
        let step = self.send(who, name, input).await;
        assert!(
            step.text_to(who).contains("Chào chị"),
            "{name} did not join: {}",
            step.text_to(who)
        );
        step
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(self.store.pool())
            .await
            .expect(sql);
        n
    }

    /// The engine's id of Telegram user `who`.
    pub async fn user_id(&self, who: i64) -> i64 {
        self.count(&format!(
            "SELECT user_id FROM identities WHERE platform_user_id = '{who}'"
        ))
        .await
    }

    pub async fn unit_id(&self, code: &str) -> i64 {
        self.count(&format!("SELECT id FROM units WHERE code = '{code}'"))
            .await
    }

    pub async fn close(self) {
        self.store.close().await;
    }
}
