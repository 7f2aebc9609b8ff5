//! End-to-end and storage tests, one binary: every test gets its own database (SQLite file or
//! throwaway PostgreSQL database) and its own local Bot API server; the bot under test is the
//! real engine and Telegram channel.

mod direct;
mod helpers;

mod access;
mod announce;
mod answers;
mod authorization;
mod calendar;
mod channel;
mod chaos;
mod cli;
mod crash;
mod draft;
mod faults;
mod files;
mod invites;
mod joining;
mod limits;
mod linking;
mod ops;
mod polls;
mod prefill;
mod properties;
mod proposals;
mod report;
mod retention;
mod roster;
mod safety;
mod same_month;
mod storage;
mod synthesis;
mod typed_matrix;
mod urgent;
mod views;
mod zalo;
