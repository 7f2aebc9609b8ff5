//! chihoi: a chat bot that carries the monthly work of the Vietnam Women's Union from its
//! branches (chi hội) up to grassroots, district and province.
//!
//! # Layout
//! - [`config`]: typed configuration read once from the environment; secrets redacted.
//! - [`domain`]: the organisation tree, roles, periods, reports, invites — plain types.
//! - [`message`]: the platform-neutral message model (text, choices, attachments).
//! - [`labels`]: localised names of domain values (sections, situations, roles, …).
//! - [`collation`]: Vietnamese order of unit and person names, for every list people read.
//! - [`alerts`]: the escalation ladder of urgent reports (raise, climb, render).
//! - [`proposals`]: the ladder of branches' proposals (kiến nghị): raised, climbed, answered.
//! - [`targets`]: target (chỉ tiêu) evaluation, a snapshot kept current per grassroots union.
//! - [`dialog`]: the guided conversations, as a state machine over platform-neutral events.
//! - [`storage`]: the one storage seam, on SQLite (embedded default) or PostgreSQL.
//! - [`channel`]: platform adapters (Telegram, Zalo); each turns its updates into events and
//!   sends what delivery hands it. The fake Telegram and Zalo servers the demo and the tests
//!   talk to live in the `chihoi-fakes` workspace crate.
//! - [`i18n`]: Fluent messages from `locales/`, looked up per user's language.
//! - [`export`]: CSV and XLSX exports of submitted reports.
//! - [`chart`]: PNG charts of completeness and target progress.
//! - [`qr`]: QR code pictures (PNG) of invites, to print or post in a branch's Zalo group.
//! - [`scheduler`]: due work (prompts, reminders, overdue summaries, escalations) from data,
//!   and forgetting what is kept no longer (retention).
//! - [`delivery`]: the courier draining the durable outbox, a sender per platform, each within
//!   its own limits.
//! - [`metrics`]: the Prometheus metrics' names and recorder; one-line calls from the channels
//!   and the courier.
//! - [`supervisor`]: keeps the long-running loops alive through a panic; a panicking update
//!   fails like any other.
//! - [`synthesis`]: the monthly synthesis of one level (`/tonghop`), as a message and a
//!   Word document.
//! - [`app`]: wiring for the `chihoi` binary's commands (serve, demo, ...) and its HTTP servers
//!   (the public one for the Zalo webhook and shared files; the operators' `/healthz`, `/metrics`).

pub mod alerts;
pub mod app;
pub mod channel;
pub mod chart;
pub mod collation;
pub mod config;
pub mod delivery;
pub mod dialog;
pub mod domain;
pub mod draft;
pub mod export;
pub mod i18n;
pub mod labels;
pub mod message;
pub mod metrics;
pub mod proposals;
pub mod qr;
pub mod scheduler;
pub mod storage;
pub mod supervisor;
pub mod synthesis;
pub mod targets;
