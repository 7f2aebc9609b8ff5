//! Operational metrics: their names, the Prometheus recorder, and the one-line calls the
//! channels and the courier make. `GET /metrics` ([`crate::app::http::ops_router`]) renders
//! them, followed by the outbox gauges read from the database at scrape time
//! ([`render_outbox`]).
//!
//! Counters and the histogram live in this process (the `metrics` facade, recorded by
//! `metrics-exporter-prometheus`, whose own HTTP server is left out: axum serves the page). The
//! outbox gauges are not kept in the recorder: they describe the shared database, not this
//! process, so each scrape reads them afresh and a failed read shows nothing rather than old
//! values.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::formatting::{
    write_help_line, write_metric_line, write_type_line,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

use crate::storage::outbox::{Backlog, Kind};

/// Updates (Telegram updates, Zalo events) handled and committed, by `platform`.
pub const UPDATES_HANDLED: &str = "chihoi_updates_handled_total";
/// Updates whose handling failed (nothing committed; she got an apology), by `platform`.
pub const UPDATES_FAILED: &str = "chihoi_updates_failed_total";
/// Seconds from the moment the channel takes an update until its replies are sent (the
/// engine's transaction plus the immediate delivery), by `platform`.
pub const UPDATE_SECONDS: &str = "chihoi_update_reply_seconds";
/// Send attempts by `platform` and `outcome`: `sent`, `throttled` (429), `transient` (5xx,
/// timeouts), `rejected`, `unreachable` (403).
pub const SENDS: &str = "chihoi_sends_total";
/// The pace a platform's sends keep now, messages a second, by `platform`: fixed on Telegram,
/// learned from Zalo's answers (`delivery::pace`).
pub const SEND_PACE: &str = "chihoi_send_pace_per_second";
/// Pauses of a platform's sends after a quota error, by `platform`: the count is the number of
/// pauses, the sum the seconds paused.
pub const SEND_PAUSES: &str = "chihoi_send_pause_seconds";
/// Outbox rows waiting to be sent, by `kind` (read from the database at scrape time).
pub const OUTBOX_PENDING: &str = "chihoi_outbox_pending";
/// Age in seconds of the oldest waiting row, by `kind` (0 when none waits).
pub const OUTBOX_OLDEST_SECONDS: &str = "chihoi_outbox_oldest_pending_seconds";
/// Dead-lettered rows (`chihoi outbox --dead`), by `kind`.
pub const OUTBOX_DEAD: &str = "chihoi_outbox_dead_letters";

/// Messages sent whose "sent" mark matched no row held by this courier (its lease was lost to
/// another instance, or the row was finished meanwhile): each may have gone out twice.
pub const OUTBOX_MARKS_MISSED: &str = "chihoi_outbox_sent_marks_missed_total";

/// Link codes (`/lienket`) typed that matched nothing: wrong, used or expired.
pub const LINK_CODE_FAILURES: &str = "chihoi_link_code_failures_total";
/// Link codes not even looked up because a limit on wrong codes was reached, by `scope`:
/// `account` (too many on one app account) or `overall` (a guessing wave: linking paused).
pub const LINK_CODE_REFUSED: &str = "chihoi_link_code_refused_total";

/// Buckets of the reply-time histogram: a reply normally takes tens of milliseconds; seconds
/// mean a slow database or platform.
const REPLY_BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Buckets of the pause histogram: from the first pause (a quarter second) to the longest (30 s).
const PAUSE_BUCKETS: &[f64] = &[0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder (once per process) and returns its handle. Metrics recorded
/// before the first call are not kept, so `serve` calls it first.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(UPDATE_SECONDS.into()), REPLY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(SEND_PAUSES.into()), PAUSE_BUCKETS)
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_err() {
            // An embedder installed its own recorder: ours then renders only the outbox.
            tracing::warn!(
                "a metrics recorder was installed already; /metrics shows the outbox only"
            );
        }
        describe();
        handle
    })
}

fn describe() {
    ::metrics::describe_counter!(UPDATES_HANDLED, "Updates handled and committed");
    ::metrics::describe_counter!(UPDATES_FAILED, "Updates whose handling failed");
    ::metrics::describe_histogram!(
        UPDATE_SECONDS,
        ::metrics::Unit::Seconds,
        "Time from taking an update to having sent its replies"
    );
    ::metrics::describe_counter!(SENDS, "Send attempts by outcome (throttled = 429)");
    ::metrics::describe_gauge!(SEND_PACE, "Messages a second a platform's sends keep now");
    ::metrics::describe_histogram!(
        SEND_PAUSES,
        ::metrics::Unit::Seconds,
        "Pauses of a platform's sends after a quota error"
    );
    ::metrics::describe_counter!(
        OUTBOX_MARKS_MISSED,
        "Sent messages whose sent mark matched no row this courier held"
    );
    ::metrics::counter!(OUTBOX_MARKS_MISSED).increment(0);
    ::metrics::describe_counter!(LINK_CODE_FAILURES, "Link codes typed that matched nothing");
    ::metrics::describe_counter!(
        LINK_CODE_REFUSED,
        "Link codes refused unread because too many wrong ones were typed"
    );
    // At 0 from the start, so that the first wave after a restart shows as an increase.
    ::metrics::counter!(LINK_CODE_FAILURES).increment(0);
    for scope in ["account", "overall"] {
        ::metrics::counter!(LINK_CODE_REFUSED, "scope" => scope).increment(0);
    }
}

/// Drains the histogram into its buckets every few seconds until `shutdown`, so that it does
/// not grow between scrapes (the exporter does it only when it runs its own HTTP listener).
pub async fn upkeep(shutdown: CancellationToken) {
    let handle = install();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => handle.run_upkeep(),
        }
    }
}

/// Times one update; [`UpdateTimer::handled`] or [`UpdateTimer::failed`] records it. An update
/// the bot ignores is dropped unrecorded.
#[must_use]
pub struct UpdateTimer {
    platform: &'static str,
    started: Instant,
}

impl UpdateTimer {
    pub fn start(platform: &'static str) -> Self {
        Self {
            platform,
            started: Instant::now(),
        }
    }

    /// Committed and its replies sent (or left to the courier).
    pub fn handled(self) {
        ::metrics::counter!(UPDATES_HANDLED, "platform" => self.platform).increment(1);
        ::metrics::histogram!(UPDATE_SECONDS, "platform" => self.platform)
            .record(self.started.elapsed().as_secs_f64());
    }

    /// Nothing committed.
    pub fn failed(self) {
        ::metrics::counter!(UPDATES_FAILED, "platform" => self.platform).increment(1);
    }
}

/// The outcomes [`SENDS`] counts (`crate::delivery::SendOutcome::label`).
const OUTCOMES: [&str; 5] = ["sent", "throttled", "transient", "rejected", "unreachable"];

/// Shows `platform`'s counters at 0 from the start: Prometheus sees no increase in a series
/// that first appears at 1, so the first failure after a restart would go unnoticed.
pub fn show_platform(platform: &'static str) {
    ::metrics::counter!(UPDATES_HANDLED, "platform" => platform).increment(0);
    ::metrics::counter!(UPDATES_FAILED, "platform" => platform).increment(0);
    for outcome in OUTCOMES {
        sends(platform, outcome).increment(0);
    }
}

/// One send attempt to `platform` ended with `outcome` (see [`SENDS`]).
pub fn send_outcome(platform: &str, outcome: &'static str) {
    sends(platform, outcome).increment(1);
}

/// The pace `platform`'s sends keep now (see [`SEND_PACE`]).
pub fn send_pace(platform: &'static str, per_second: f64) {
    ::metrics::gauge!(SEND_PACE, "platform" => platform).set(per_second);
}

/// `platform`'s sends paused this long after a quota error (see [`SEND_PAUSES`]).
pub fn send_pause(platform: &'static str, pause: Duration) {
    ::metrics::histogram!(SEND_PAUSES, "platform" => platform).record(pause.as_secs_f64());
}

fn sends(platform: &str, outcome: &'static str) -> ::metrics::Counter {
    ::metrics::counter!(SENDS, "platform" => platform.to_owned(), "outcome" => outcome)
}

/// `n` sent messages' marks matched no row (see [`OUTBOX_MARKS_MISSED`]).
pub fn sent_marks_missed(n: u64) {
    ::metrics::counter!(OUTBOX_MARKS_MISSED).increment(n);
}

/// A link code typed matched nothing.
pub fn link_code_failed() {
    ::metrics::counter!(LINK_CODE_FAILURES).increment(1);
}

/// A link code was refused unread: too many wrong ones on her account (`account`) or from
/// everyone (`overall`).
pub fn link_code_refused(scope: &'static str) {
    ::metrics::counter!(LINK_CODE_REFUSED, "scope" => scope).increment(1);
}

/// The outbox gauges in the Prometheus text format, ages measured at `now` (unix seconds).
/// Every kind is listed, so that a kind whose queue emptied shows 0 rather than vanishing.
pub fn render_outbox(backlog: &[Backlog], now: i64) -> String {
    let find = |kind: Kind| backlog.iter().find(|b| b.kind == kind.as_str());
    let pending = |b: Option<&Backlog>| b.map_or(0, |b| b.pending);
    let oldest = |b: Option<&Backlog>| {
        b.and_then(|b| b.oldest_pending)
            .map_or(0, |t| (now - t).max(0))
    };
    let dead = |b: Option<&Backlog>| b.map_or(0, |b| b.dead);
    let families: [(&str, &str, &dyn Fn(Option<&Backlog>) -> i64); 3] = [
        (OUTBOX_PENDING, "Outbox rows waiting to be sent", &pending),
        (
            OUTBOX_OLDEST_SECONDS,
            "Age in seconds of the oldest waiting outbox row",
            &oldest,
        ),
        (OUTBOX_DEAD, "Dead-lettered outbox rows", &dead),
    ];
    let mut out = String::new();
    for (name, help, value) in families {
        write_help_line(&mut out, name, help);
        write_type_line(&mut out, name, "gauge");
        for kind in Kind::ALL {
            let label = format!("kind=\"{}\"", kind.as_str());
            write_metric_line::<&str, i64>(
                &mut out,
                name,
                None,
                &[label],
                None,
                value(find(kind)),
                None,
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_gauges_show_every_kind_and_the_oldest_age() {
        let backlog = [Backlog {
            kind: "reminder".into(),
            pending: 3,
            oldest_pending: Some(1_000),
            dead: 1,
        }];
        let text = render_outbox(&backlog, 1_090);
        let has = |line: &str| assert!(text.contains(line), "no {line:?} in\n{text}");
        has("# TYPE chihoi_outbox_pending gauge\n");
        has("chihoi_outbox_pending{kind=\"reminder\"} 3\n");
        has("chihoi_outbox_pending{kind=\"reply\"} 0\n");
        has("chihoi_outbox_oldest_pending_seconds{kind=\"reminder\"} 90\n");
        has("chihoi_outbox_oldest_pending_seconds{kind=\"reply\"} 0\n");
        has("chihoi_outbox_dead_letters{kind=\"reminder\"} 1\n");
        has("chihoi_outbox_dead_letters{kind=\"digest\"} 0\n");
    }
}
