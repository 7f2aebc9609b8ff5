//! Typed configuration, read once from the environment (and `.env`, loaded by `main`) and
//! passed down. Every variable is documented in `.env.example`. Secrets are redacted in `Debug`.

use std::fmt;
use std::net::SocketAddr;

use chrono::NaiveTime;
use chrono_tz::Tz;
use url::Url;

use crate::domain::calendar::{CalendarSettings, Calendars, ReminderDay};

/// Where the data lives: the embedded SQLite file by default, PostgreSQL for a province-wide
/// deployment with several bot instances.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://chihoi.db";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {why}")]
    Invalid { name: &'static str, why: String },
    #[error("{0} must be set for this command")]
    Missing(&'static str),
}

/// A string that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Database location; `Debug` hides a password in the URL.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        if raw.starts_with("sqlite:")
            || raw.starts_with("postgres://")
            || raw.starts_with("postgresql://")
        {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                why: "expected sqlite://FILE or postgres://…".into(),
            })
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres")
    }
    /// The file of a SQLite database (`sqlite://chihoi.db` → `chihoi.db`); `None` for
    /// PostgreSQL and in-memory databases.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        let rest = self.0.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or("");
        (!path.is_empty() && !path.contains(":memory:")).then(|| path.into())
    }

    /// The URL with its passwords replaced by `***` — the one in the userinfo
    /// (`postgres://user:PASSWORD@host`) and `password=` / `sslpassword=` query parameters —
    /// for logs and messages. A URL that does not parse is not shown beyond its scheme.
    pub fn redacted(&self) -> String {
        const HIDDEN: &str = "***";
        let Ok(mut url) = Url::parse(&self.0) else {
            let scheme = self.0.split(':').next().unwrap_or("");
            return format!("{scheme}:{HIDDEN} (not a valid URL)");
        };
        let secret_param =
            |k: &str| k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword");
        let has_param = url.query_pairs().any(|(k, _)| secret_param(&k));
        if url.password().is_none() && !has_param {
            return self.0.clone();
        }
        if url.password().is_some() {
            let _ = url.set_password(Some(HIDDEN));
        }
        if has_param {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if secret_param(&k) {
                        HIDDEN.into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

/// Webhook mode: Telegram POSTs updates to `url`; we listen on `listen` and check `secret`.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: Url,
    pub listen: SocketAddr,
    pub secret: Secret,
}

/// The Zalo channel: on when `ZALO_BOT_TOKEN` is set.
#[derive(Debug, Clone)]
pub struct ZaloConfig {
    pub token: Secret,
    /// `ZALO_API_URL`, default `https://bot-api.zaloplatforms.com`.
    pub api_url: Url,
    /// `ZALO_WEBHOOK_URL` + `ZALO_WEBHOOK_SECRET`: webhook mode (production); otherwise polling.
    pub webhook: Option<(Url, Secret)>,
    /// Zalo's own limits: Zalo publishes none, so the pace starts low
    /// (`CHIHOI_ZALO_SEND_PER_SECOND`) and is learned from its answers, between
    /// `CHIHOI_ZALO_SEND_MIN_PER_SECOND` and `CHIHOI_ZALO_SEND_MAX_PER_SECOND`.
    pub delivery: DeliveryConfig,
}

impl ZaloConfig {
    /// Zalo publishes no rate limits. The pace starts at 5 messages a second and is learned
    /// (see `delivery::pace`) between 1 and 100 a second; 1 per second per chat for alerts and
    /// bulk. The ceiling is a guard, not a guess of Zalo's limit: a deadline evening of 200
    /// heads on Zalo asks for about 60 a second (docs/BENCHMARKS.md, section 6).
    pub fn default_delivery() -> DeliveryConfig {
        DeliveryConfig {
            per_second: 5.0,
            learned: Some(PaceBounds {
                floor: 1.0,
                ceiling: 100.0,
            }),
            ..DeliveryConfig::default()
        }
    }
}

/// The bounds of a pace learned from the platform's answers, messages a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceBounds {
    pub floor: f64,
    pub ceiling: f64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub telegram_token: Option<Secret>,
    pub telegram_api_url: Option<Url>,
    pub bot_username: Option<String>,
    pub webhook: Option<WebhookConfig>,
    pub zalo: Option<ZaloConfig>,
    /// `CHIHOI_PUBLIC_URL`: where this bot's HTTP server is reached from outside; files for
    /// platforms without uploads are shared under it.
    pub public_url: Option<Url>,
    /// `CHIHOI_HTTP_LISTEN` (default `0.0.0.0:8080`): the HTTP server for the Zalo webhook and
    /// shared files.
    pub http_listen: SocketAddr,
    /// `CHIHOI_METRICS_LISTEN` (default `127.0.0.1:9464`; `off` for none): the only place
    /// `/healthz` and `/metrics` are served, for the operators' probes and Prometheus.
    pub metrics_listen: Option<SocketAddr>,
    /// How much the public listener (`CHIHOI_HTTP_LISTEN`) takes on at once.
    pub http_limits: HttpLimits,
    /// How long what is kept is kept.
    pub retention: Retention,
    pub timezone: Tz,
    /// The reporting calendar (defaults from the plan; each `CHIHOI_…` variable overrides one part).
    pub calendars: Calendars,
    pub delivery: DeliveryConfig,
}

/// What the public listener takes on at once: a flood of downloads is refused (503) past a
/// limit, and never takes the database connections the bot's replies need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// `CHIHOI_HTTP_MAX_DOWNLOADS`: shared files being downloaded at once (default 8).
    pub downloads: usize,
    /// `CHIHOI_HTTP_DB_READERS`: database connections all downloads together use at a time
    /// (default 2, of the pool's 10 on PostgreSQL and 8 on SQLite).
    pub db_readers: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            downloads: 8,
            db_readers: 2,
        }
    }
}

/// What is kept, and for how long (the scheduler forgets the rest; docs/RELIABILITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// `CHIHOI_KEEP_SENT_BODIES_DAYS`: a sent message keeps its text this long (default 30).
    pub sent_bodies_days: u32,
    /// `CHIHOI_KEEP_SENT_DAYS`: a sent message's row is kept this long (default 180).
    pub sent_rows_days: u32,
    /// `CHIHOI_KEEP_STRANGERS_DAYS`: someone who wrote and never joined is forgotten after this
    /// long without writing (default 30).
    pub strangers_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            sent_bodies_days: 30,
            sent_rows_days: 180,
            strangers_days: 30,
        }
    }
}

/// Where `/healthz` and `/metrics` are served unless `CHIHOI_METRICS_LISTEN` says otherwise.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

/// How the courier sends: Telegram allows about 30 messages a second per bot.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// Messages per second this instance sends at most (all instances together must stay under
    /// Telegram's ~30/s); where the pace is `learned`, the pace it starts at.
    pub per_second: f64,
    /// Learn the pace from the platform's answers (Zalo, which publishes no limit) within
    /// these bounds; `None`: `per_second` is fixed (Telegram, whose limits are known).
    pub learned: Option<PaceBounds>,
    pub per_chat_per_second: u32,
    pub per_group_per_minute: u32,
    /// Failed attempts (5xx, timeouts) before a message is dead-lettered.
    pub max_attempts: u32,
    /// The largest file the bot may send. Telegram's Bot API takes 50 MB from bots; a
    /// self-hosted Bot API server takes up to 2,000 MB. A larger export is not sent: she is told
    /// to pick a shorter period or a smaller unit.
    pub max_upload_bytes: usize,
    /// Bulk (prompts, reminders, overdue summaries, digests) sent as Telegram's paid broadcasts
    /// (`allow_paid_broadcast`, charged to the bot's Stars balance), at most this many a
    /// second, on a budget of their own; replies and alerts keep `per_second`. `None`, the
    /// default: off, and bulk shares `per_second`.
    pub paid_broadcast_per_second: Option<f64>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            per_second: 29.5,
            per_chat_per_second: 1,
            per_group_per_minute: 20,
            max_attempts: 8,
            max_upload_bytes: 50 * 1000 * 1000,
            paid_broadcast_per_second: None,
            learned: None,
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests pass their own values without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let database_url = DatabaseUrl::parse(
            &get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
        )?;
        let telegram_api_url = get("TELOXIDE_API_URL")
            .map(|raw| {
                Url::parse(&raw).map_err(|e| ConfigError::Invalid {
                    name: "TELOXIDE_API_URL",
                    why: e.to_string(),
                })
            })
            .transpose()?;
        let webhook = match get("CHIHOI_WEBHOOK_URL") {
            None => None,
            Some(raw) => {
                let url = Url::parse(&raw).map_err(|e| ConfigError::Invalid {
                    name: "CHIHOI_WEBHOOK_URL",
                    why: e.to_string(),
                })?;
                let listen = get("CHIHOI_WEBHOOK_LISTEN")
                    .unwrap_or_else(|| "0.0.0.0:8443".into())
                    .parse()
                    .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                        name: "CHIHOI_WEBHOOK_LISTEN",
                        why: e.to_string(),
                    })?;
                let secret = get("CHIHOI_WEBHOOK_SECRET")
                    .ok_or(ConfigError::Missing("CHIHOI_WEBHOOK_SECRET"))?;
                // Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -.
                if secret.len() < 16
                    || secret.len() > 256
                    || !secret
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    return Err(ConfigError::Invalid {
                        name: "CHIHOI_WEBHOOK_SECRET",
                        why: "use 16-256 characters of A-Z a-z 0-9 _ -".into(),
                    });
                }
                Some(WebhookConfig {
                    url,
                    listen,
                    secret: Secret::new(secret),
                })
            }
        };
        let timezone = match get("CHIHOI_TIMEZONE") {
            None => chrono_tz::Asia::Ho_Chi_Minh,
            Some(raw) => raw.parse().map_err(|_| ConfigError::Invalid {
                name: "CHIHOI_TIMEZONE",
                why: format!("unknown time zone {raw:?}"),
            })?,
        };
        let calendars = Calendars::new(timezone, calendar_settings(&get)?).map_err(|e| {
            ConfigError::Invalid {
                name: "CHIHOI_* calendar",
                why: e.to_string(),
            }
        })?;
        let defaults = DeliveryConfig::default();
        let delivery = DeliveryConfig {
            per_second: number(&get, "CHIHOI_SEND_PER_SECOND")?.unwrap_or(defaults.per_second),
            per_chat_per_second: number(&get, "CHIHOI_SEND_PER_CHAT_PER_SECOND")?
                .unwrap_or(defaults.per_chat_per_second),
            per_group_per_minute: number(&get, "CHIHOI_SEND_PER_GROUP_PER_MINUTE")?
                .unwrap_or(defaults.per_group_per_minute),
            max_attempts: number(&get, "CHIHOI_SEND_MAX_ATTEMPTS")?
                .unwrap_or(defaults.max_attempts),
            max_upload_bytes: number::<usize>(&get, "CHIHOI_MAX_UPLOAD_MB")?
                .map_or(defaults.max_upload_bytes, |mb| {
                    mb.saturating_mul(1000 * 1000)
                }),
            paid_broadcast_per_second: paid_broadcast(&get)?,
            learned: None,
        };
        if delivery.per_second.is_nan()
            || delivery.per_second <= 0.0
            || delivery.per_chat_per_second == 0
            || delivery.per_group_per_minute == 0
        {
            return Err(ConfigError::Invalid {
                name: "CHIHOI_SEND_*",
                why: "rates must be positive".into(),
            });
        }
        let zalo = match get("ZALO_BOT_TOKEN") {
            None => None,
            Some(token) => Some(zalo_config(&get, token)?),
        };
        let public_url = get("CHIHOI_PUBLIC_URL")
            .map(|raw| {
                Url::parse(&raw).map_err(|e| ConfigError::Invalid {
                    name: "CHIHOI_PUBLIC_URL",
                    why: e.to_string(),
                })
            })
            .transpose()?;
        let http_listen = get("CHIHOI_HTTP_LISTEN")
            .unwrap_or_else(|| "0.0.0.0:8080".into())
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                name: "CHIHOI_HTTP_LISTEN",
                why: e.to_string(),
            })?;
        let metrics_listen = match get("CHIHOI_METRICS_LISTEN") {
            Some(raw) if raw.trim().eq_ignore_ascii_case("off") => None,
            raw => Some(
                raw.as_deref()
                    .unwrap_or(DEFAULT_METRICS_LISTEN)
                    .trim()
                    .parse()
                    .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                        name: "CHIHOI_METRICS_LISTEN",
                        why: e.to_string(),
                    })?,
            ),
        };
        let http_defaults = HttpLimits::default();
        let http_limits = HttpLimits {
            downloads: positive(&get, "CHIHOI_HTTP_MAX_DOWNLOADS")?
                .unwrap_or(http_defaults.downloads),
            db_readers: positive(&get, "CHIHOI_HTTP_DB_READERS")?
                .unwrap_or(http_defaults.db_readers),
        };
        let keep = Retention::default();
        let retention = Retention {
            sent_bodies_days: positive(&get, "CHIHOI_KEEP_SENT_BODIES_DAYS")?
                .unwrap_or(keep.sent_bodies_days),
            sent_rows_days: positive(&get, "CHIHOI_KEEP_SENT_DAYS")?.unwrap_or(keep.sent_rows_days),
            strangers_days: positive(&get, "CHIHOI_KEEP_STRANGERS_DAYS")?
                .unwrap_or(keep.strangers_days),
        };
        if retention.sent_rows_days < retention.sent_bodies_days {
            return Err(ConfigError::Invalid {
                name: "CHIHOI_KEEP_SENT_DAYS",
                why:
                    "a sent message's row cannot go before its text (CHIHOI_KEEP_SENT_BODIES_DAYS)"
                        .into(),
            });
        }
        Ok(Self {
            calendars,
            metrics_listen,
            http_limits,
            retention,
            delivery,
            zalo,
            public_url,
            http_listen,
            database_url,
            telegram_token: get("TELOXIDE_TOKEN").map(Secret::new),
            telegram_api_url,
            bot_username: get("CHIHOI_BOT_USERNAME").map(|u| u.trim_start_matches('@').to_owned()),
            webhook,
            timezone,
        })
    }
}

fn zalo_config(
    get: &impl Fn(&str) -> Option<String>,
    token: String,
) -> Result<ZaloConfig, ConfigError> {
    let url = |name: &'static str, raw: String| {
        Url::parse(&raw).map_err(|e| ConfigError::Invalid {
            name,
            why: e.to_string(),
        })
    };
    let api_url = url(
        "ZALO_API_URL",
        get("ZALO_API_URL").unwrap_or_else(|| crate::channel::zalo::client::DEFAULT_API_URL.into()),
    )?;
    let webhook = match get("ZALO_WEBHOOK_URL") {
        None => None,
        Some(raw) => {
            let hook = url("ZALO_WEBHOOK_URL", raw)?;
            let secret =
                get("ZALO_WEBHOOK_SECRET").ok_or(ConfigError::Missing("ZALO_WEBHOOK_SECRET"))?;
            // Zalo takes 8-256 characters; we ask for 16 so that it cannot be guessed.
            if !(16..=256).contains(&secret.len()) || secret.chars().any(char::is_whitespace) {
                return Err(ConfigError::Invalid {
                    name: "ZALO_WEBHOOK_SECRET",
                    why: "use 16-256 characters without spaces".into(),
                });
            }
            Some((hook, Secret::new(secret)))
        }
    };
    let defaults = ZaloConfig::default_delivery();
    let bounds = defaults.learned.unwrap_or(PaceBounds {
        floor: defaults.per_second,
        ceiling: defaults.per_second,
    });
    let start: f64 = number(get, "CHIHOI_ZALO_SEND_PER_SECOND")?.unwrap_or(defaults.per_second);
    let floor: f64 = number(get, "CHIHOI_ZALO_SEND_MIN_PER_SECOND")?.unwrap_or(bounds.floor);
    let ceiling: f64 = number(get, "CHIHOI_ZALO_SEND_MAX_PER_SECOND")?.unwrap_or(bounds.ceiling);
    for (name, rate) in [
        ("CHIHOI_ZALO_SEND_PER_SECOND", start),
        ("CHIHOI_ZALO_SEND_MIN_PER_SECOND", floor),
        ("CHIHOI_ZALO_SEND_MAX_PER_SECOND", ceiling),
    ] {
        if rate.is_nan() || rate <= 0.0 || rate.is_infinite() {
            return Err(ConfigError::Invalid {
                name,
                why: "the rate must be positive".into(),
            });
        }
    }
    if !(floor <= start && start <= ceiling) {
        return Err(ConfigError::Invalid {
            name: "CHIHOI_ZALO_SEND_PER_SECOND",
            why: format!(
                "the pace starts at {start}/s, which must lie between \
                 CHIHOI_ZALO_SEND_MIN_PER_SECOND ({floor}) and CHIHOI_ZALO_SEND_MAX_PER_SECOND ({ceiling})"
            ),
        });
    }
    let delivery = DeliveryConfig {
        per_second: start,
        learned: Some(PaceBounds { floor, ceiling }),
        ..defaults
    };
    Ok(ZaloConfig {
        token: Secret::new(token),
        api_url,
        webhook,
        delivery,
    })
}

/// `CHIHOI_PAID_BROADCAST_PER_SECOND`: unset or `off` for none; else a rate up to Telegram's
/// 1,000 paid messages a second.
fn paid_broadcast(get: &impl Fn(&str) -> Option<String>) -> Result<Option<f64>, ConfigError> {
    const NAME: &str = "CHIHOI_PAID_BROADCAST_PER_SECOND";
    if get(NAME).is_some_and(|raw| raw.trim().eq_ignore_ascii_case("off")) {
        return Ok(None);
    }
    match number::<f64>(get, NAME)? {
        Some(rate) if !(rate > 0.0 && rate <= 1000.0) => Err(ConfigError::Invalid {
            name: NAME,
            why: format!("{rate} is not a rate between 0 and Telegram's 1000 a second (or off)"),
        }),
        rate => Ok(rate),
    }
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<T>, ConfigError> {
    get(name)
        .map(|raw| {
            raw.trim().parse::<T>().map_err(|_| ConfigError::Invalid {
                name,
                why: format!("{raw:?} is not a number"),
            })
        })
        .transpose()
}

/// A whole number above zero (a count, a number of days).
fn positive<T: std::str::FromStr + PartialOrd + Default>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<T>, ConfigError> {
    match number::<T>(get, name)? {
        Some(n) if n <= T::default() => Err(ConfigError::Invalid {
            name,
            why: "must be at least 1".into(),
        }),
        n => Ok(n),
    }
}

fn time(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<NaiveTime>, ConfigError> {
    get(name)
        .map(|raw| {
            NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| ConfigError::Invalid {
                name,
                why: format!("{raw:?} is not a time like 08:00"),
            })
        })
        .transpose()
}

/// The calendar variables; see `.env.example`.
fn calendar_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<CalendarSettings, ConfigError> {
    let reminders = get("CHIHOI_REMINDERS")
        .map(|raw| {
            raw.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| match p.trim().parse::<i32>() {
                    Ok(d) if d > 0 => Ok(ReminderDay::DayOfMonth(d as u32)),
                    Ok(d) if d < 0 => Ok(ReminderDay::BeforeDeadline(d.unsigned_abs())),
                    _ => Err(ConfigError::Invalid {
                        name: "CHIHOI_REMINDERS",
                        why: format!(
                            "{p:?}: use days of the month (25) or days before the deadline (-1)"
                        ),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let deadline_day = match get("CHIHOI_DEADLINE_DAY") {
        Some(raw) if raw.trim() == "last" => None,
        Some(_) => number(get, "CHIHOI_DEADLINE_DAY")?,
        None => None,
    };
    let (quiet_start, quiet_end) = match get("CHIHOI_QUIET_HOURS") {
        None => (None, None),
        Some(raw) if raw.trim() == "off" => {
            let midnight = NaiveTime::MIN;
            (Some(midnight), Some(midnight))
        }
        Some(raw) => {
            let bad = || ConfigError::Invalid {
                name: "CHIHOI_QUIET_HOURS",
                why: format!("{raw:?}: use 21:00-07:00 or off"),
            };
            let (a, b) = raw.trim().split_once('-').ok_or_else(bad)?;
            let parse = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
            (Some(parse(a)?), Some(parse(b)?))
        }
    };
    Ok(CalendarSettings {
        prompt_day: number(get, "CHIHOI_PROMPT_DAY")?,
        prompt_time: time(get, "CHIHOI_PROMPT_TIME")?,
        reminders,
        reminder_time: time(get, "CHIHOI_REMINDER_TIME")?,
        deadline_day,
        deadline_time: time(get, "CHIHOI_DEADLINE_TIME")?,
        on_time_grace_hours: number(get, "CHIHOI_ON_TIME_GRACE_HOURS")?,
        lock_after_days: number(get, "CHIHOI_LOCK_AFTER_DAYS")?,
        quiet_start,
        quiet_end,
        overdue_time: time(get, "CHIHOI_OVERDUE_TIME")?,
        overdue_every_days: number(get, "CHIHOI_OVERDUE_EVERY_DAYS")?,
        escalate_district_hours: number(get, "CHIHOI_ESCALATE_DISTRICT_HOURS")?,
        escalate_province_hours: number(get, "CHIHOI_ESCALATE_PROVINCE_HOURS")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_embedded_sqlite_and_vietnam_time() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(c.timezone, chrono_tz::Asia::Ho_Chi_Minh);
        assert!(c.telegram_token.is_none() && c.webhook.is_none());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let c = config(&[
            ("TELOXIDE_TOKEN", "123:SECRET-TOKEN"),
            ("DATABASE_URL", "postgres://chihoi:hunter2@db/chihoi"),
            ("CHIHOI_WEBHOOK_URL", "https://bot.example/hook"),
            ("CHIHOI_WEBHOOK_SECRET", "a-very-long-webhook-secret"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("a-very-long-webhook-secret"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn webhook_without_secret_is_refused() {
        let err = config(&[("CHIHOI_WEBHOOK_URL", "https://bot.example/hook")]).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("CHIHOI_WEBHOOK_SECRET")));
        let err = config(&[
            ("CHIHOI_WEBHOOK_URL", "https://bot.example/hook"),
            ("CHIHOI_WEBHOOK_SECRET", "short"),
        ])
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "CHIHOI_WEBHOOK_SECRET",
                ..
            }
        ));
    }

    #[test]
    fn calendar_variables_override_the_plan_defaults() {
        let c = config(&[
            ("CHIHOI_PROMPT_DAY", "18"),
            ("CHIHOI_REMINDERS", "24, -2"),
            ("CHIHOI_QUIET_HOURS", "22:00-06:30"),
            ("CHIHOI_OVERDUE_EVERY_DAYS", "2"),
        ])
        .unwrap();
        let cal = c.calendars.deployment();
        assert_eq!(cal.prompt_day, 18);
        assert_eq!(
            cal.reminders,
            vec![ReminderDay::DayOfMonth(24), ReminderDay::BeforeDeadline(2)]
        );
        assert_eq!(
            cal.quiet,
            Some((
                NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(6, 30, 0).unwrap()
            ))
        );
        assert_eq!(cal.overdue_every, chrono::Duration::days(2));
        assert!(config(&[("CHIHOI_PROMPT_DAY", "31")]).is_err());
        assert!(config(&[("CHIHOI_QUIET_HOURS", "late")]).is_err());
        assert!(
            config(&[("CHIHOI_QUIET_HOURS", "off")])
                .unwrap()
                .calendars
                .deployment()
                .quiet
                .is_none()
        );
    }

    #[test]
    fn paid_broadcasts_are_off_unless_a_rate_up_to_a_thousand_is_given() {
        let rate = |v: &str| config(&[("CHIHOI_PAID_BROADCAST_PER_SECOND", v)]);
        assert_eq!(
            config(&[]).unwrap().delivery.paid_broadcast_per_second,
            None
        );
        assert_eq!(
            rate("off").unwrap().delivery.paid_broadcast_per_second,
            None
        );
        assert_eq!(
            rate(" 500 ").unwrap().delivery.paid_broadcast_per_second,
            Some(500.0)
        );
        for wrong in ["0", "-5", "1001", "NaN", "lots"] {
            assert!(rate(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn zalo_is_on_with_its_token_and_polls_unless_a_webhook_is_given() {
        assert!(config(&[]).unwrap().zalo.is_none());
        let c = config(&[("ZALO_BOT_TOKEN", "1234:ZALO-SECRET")]).unwrap();
        let zalo = c.zalo.as_ref().unwrap();
        assert_eq!(zalo.api_url.as_str(), "https://bot-api.zaloplatforms.com/");
        assert!(zalo.webhook.is_none());
        assert_eq!(zalo.delivery.per_second, 5.0);
        assert_eq!(
            zalo.delivery.learned,
            Some(PaceBounds {
                floor: 1.0,
                ceiling: 100.0
            })
        );
        assert!(!format!("{c:?}").contains("ZALO-SECRET"));
        let c = config(&[
            ("ZALO_BOT_TOKEN", "1234:x"),
            ("ZALO_WEBHOOK_URL", "https://bot.example/zalo"),
            ("ZALO_WEBHOOK_SECRET", "zalo-webhook-secret-1"),
            ("CHIHOI_ZALO_SEND_PER_SECOND", "2"),
        ])
        .unwrap();
        let zalo = c.zalo.unwrap();
        assert_eq!(zalo.webhook.unwrap().0.path(), "/zalo");
        assert_eq!(zalo.delivery.per_second, 2.0);
        let missing = config(&[
            ("ZALO_BOT_TOKEN", "1234:x"),
            ("ZALO_WEBHOOK_URL", "https://bot.example/zalo"),
        ]);
        assert!(matches!(
            missing,
            Err(ConfigError::Missing("ZALO_WEBHOOK_SECRET"))
        ));
        assert!(
            config(&[
                ("ZALO_BOT_TOKEN", "1:x"),
                ("CHIHOI_ZALO_SEND_PER_SECOND", "0")
            ])
            .is_err()
        );
        assert!(config(&[("CHIHOI_PUBLIC_URL", "not a url")]).is_err());
    }

    #[test]
    fn the_zalo_pace_is_learned_within_bounds_that_hold_its_start() {
        let zalo = |vars: &[(&str, &str)]| {
            let mut all = vec![("ZALO_BOT_TOKEN", "1:x")];
            all.extend_from_slice(vars);
            config(&all).map(|c| c.zalo.unwrap().delivery)
        };
        let d = zalo(&[
            ("CHIHOI_ZALO_SEND_PER_SECOND", "10"),
            ("CHIHOI_ZALO_SEND_MIN_PER_SECOND", "2"),
            ("CHIHOI_ZALO_SEND_MAX_PER_SECOND", "40"),
        ])
        .unwrap();
        assert_eq!(d.per_second, 10.0);
        assert_eq!(
            d.learned,
            Some(PaceBounds {
                floor: 2.0,
                ceiling: 40.0
            })
        );
        // A fixed pace: the ceiling at the start.
        let fixed = zalo(&[("CHIHOI_ZALO_SEND_MAX_PER_SECOND", "5")]).unwrap();
        assert_eq!(fixed.learned.unwrap().ceiling, 5.0);
        assert!(zalo(&[("CHIHOI_ZALO_SEND_MAX_PER_SECOND", "4")]).is_err());
        assert!(zalo(&[("CHIHOI_ZALO_SEND_MIN_PER_SECOND", "6")]).is_err());
        assert!(zalo(&[("CHIHOI_ZALO_SEND_MAX_PER_SECOND", "0")]).is_err());
        assert!(zalo(&[("CHIHOI_ZALO_SEND_MIN_PER_SECOND", "inf")]).is_err());
        // Telegram's limits are known: its pace is fixed.
        assert_eq!(config(&[]).unwrap().delivery.learned, None);
    }

    #[test]
    fn database_passwords_are_hidden_wherever_they_are_written() {
        let shown = |raw: &str| DatabaseUrl::parse(raw).unwrap().redacted();
        assert_eq!(
            shown("postgres://chihoi:hunter2@db:5432/chihoi?sslmode=require"),
            "postgres://chihoi:***@db:5432/chihoi?sslmode=require"
        );
        assert_eq!(
            shown("postgres://chihoi@db/chihoi?sslmode=verify-full&password=hunter2"),
            "postgres://chihoi@db/chihoi?sslmode=verify-full&password=***"
        );
        assert_eq!(
            shown("postgresql://db/chihoi?user=chihoi&PASSWORD=hunter2&sslpassword=keypw"),
            "postgresql://db/chihoi?user=chihoi&PASSWORD=***&sslpassword=***"
        );
        assert_eq!(
            shown("postgres://db:99999/x?password=hunter2"),
            "postgres:*** (not a valid URL)"
        );
        // Nothing to hide: shown as given.
        assert_eq!(shown("sqlite://chihoi.db"), "sqlite://chihoi.db");
        assert_eq!(
            shown("postgres://chihoi@db/chihoi?sslmode=prefer"),
            "postgres://chihoi@db/chihoi?sslmode=prefer"
        );
        let url = DatabaseUrl::parse("postgres://u@db/x?password=hunter2").unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn the_sqlite_file_is_read_from_the_url() {
        let file = |raw: &str| DatabaseUrl::parse(raw).unwrap().sqlite_file();
        assert_eq!(file("sqlite://chihoi.db"), Some("chihoi.db".into()));
        assert_eq!(
            file("sqlite:///var/lib/chihoi/c.db?mode=rwc"),
            Some("/var/lib/chihoi/c.db".into())
        );
        assert_eq!(file("sqlite:data.db"), Some("data.db".into()));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("postgres://db/x"), None);
    }

    #[test]
    fn metrics_listen_is_an_address_on_loopback_unless_told_otherwise() {
        assert_eq!(
            config(&[]).unwrap().metrics_listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(
            config(&[("CHIHOI_METRICS_LISTEN", "off")])
                .unwrap()
                .metrics_listen,
            None
        );
        let c = config(&[("CHIHOI_METRICS_LISTEN", "127.0.0.1:9464")]).unwrap();
        assert_eq!(c.metrics_listen, Some("127.0.0.1:9464".parse().unwrap()));
        assert!(config(&[("CHIHOI_METRICS_LISTEN", "9464")]).is_err());
    }

    #[test]
    fn retention_and_listener_limits_have_defaults_and_take_whole_positive_numbers() {
        let c = config(&[]).unwrap();
        assert_eq!(c.retention, Retention::default());
        assert_eq!(c.retention.sent_bodies_days, 30);
        assert_eq!(c.retention.sent_rows_days, 180);
        assert_eq!(c.retention.strangers_days, 30);
        assert_eq!(c.http_limits, HttpLimits::default());
        let c = config(&[
            ("CHIHOI_KEEP_SENT_BODIES_DAYS", "7"),
            ("CHIHOI_KEEP_SENT_DAYS", "90"),
            ("CHIHOI_KEEP_STRANGERS_DAYS", "14"),
            ("CHIHOI_HTTP_MAX_DOWNLOADS", "3"),
        ])
        .unwrap();
        assert_eq!(
            c.retention,
            Retention {
                sent_bodies_days: 7,
                sent_rows_days: 90,
                strangers_days: 14
            }
        );
        assert_eq!(c.http_limits.downloads, 3);
        assert!(config(&[("CHIHOI_KEEP_SENT_DAYS", "0")]).is_err());
        assert!(config(&[("CHIHOI_KEEP_SENT_DAYS", "10")]).is_err());
        assert!(config(&[("CHIHOI_HTTP_DB_READERS", "-1")]).is_err());
    }

    #[test]
    fn unknown_database_scheme_is_refused() {
        assert!(config(&[("DATABASE_URL", "mysql://x")]).is_err());
    }

    #[test]
    fn upload_limit_is_telegrams_unless_a_self_hosted_server_allows_more() {
        assert_eq!(config(&[]).unwrap().delivery.max_upload_bytes, 50_000_000);
        let c = config(&[("CHIHOI_MAX_UPLOAD_MB", "2000")]).unwrap();
        assert_eq!(c.delivery.max_upload_bytes, 2_000_000_000);
        assert!(config(&[("CHIHOI_MAX_UPLOAD_MB", "lots")]).is_err());
    }
}
