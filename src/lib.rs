//! chihoi: a chat bot that carries the monthly work of the Vietnam Women's Union from its
//! branches (chi hội) up to grassroots, district and province.
//!
//! # Layout
//! - [`config`]: typed configuration read once from the environment; secrets redacted.
//! - [`domain`]: the organisation tree, roles, periods, reports, invites — plain types.
//! - [`dialog`]: the guided conversations, as a state machine over platform-neutral events.
//! - [`storage`]: the one storage seam, on SQLite (embedded default) or PostgreSQL.
//! - [`channel`]: platform adapters (Telegram today). The local Bot API server the demo and
//!   the tests talk to lives in the `chihoi-fakes` workspace crate.
//! - [`i18n`]: Fluent messages from `locales/`, looked up per user's language.
//! - [`export`]: CSV and XLSX exports of submitted reports.
//! - [`chart`]: PNG charts of completeness and target progress.
//! - [`scheduler`]: due work (prompts, reminders, overdue summaries, escalations) from data.
//! - [`delivery`]: the courier draining the durable outbox within Telegram's limits.
//! - [`app`]: wiring for the `chihoi` binary's commands (serve, demo, ...).

pub mod app;
pub mod channel;
pub mod chart;
pub mod config;
pub mod delivery;
pub mod dialog;
pub mod domain;
pub mod export;
pub mod i18n;
pub mod scheduler;
pub mod storage;
