//! chihoi-fakes: local stand-ins for the chat platforms chihoi talks to, each a real HTTP
//! server on `127.0.0.1:0` that behaves like the platform where bots commonly go wrong. One
//! server per test (or per `chihoi demo` run), injected through the API URL: no global state,
//! no environment variables, no global lock.
//!
//! # Layout
//! - [`telegram`]: a Telegram-compatible Bot API server ([`telegram::LocalBotApi`]) that an
//!   unmodified `teloxide::Bot` works against, and [`telegram::person::Person`], a simulated
//!   Telegram user who types, taps buttons and reads the bot's answers.
//!
//! Nothing here depends on the `chihoi` crate: the fakes model the platforms, not the bot.

pub mod telegram;
