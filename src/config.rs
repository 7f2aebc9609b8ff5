//! Typed configuration, read once from the environment (and `.env`, loaded by `main`) and
//! passed down. Every variable is documented in `.env.example`. Secrets are redacted in `Debug`.

use std::fmt;
use std::net::SocketAddr;

use chrono_tz::Tz;
use url::Url;

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
    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.0.clone(),
        }
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

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub telegram_token: Option<Secret>,
    pub telegram_api_url: Option<Url>,
    pub bot_username: Option<String>,
    pub webhook: Option<WebhookConfig>,
    pub timezone: Tz,
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
        Ok(Self {
            database_url,
            telegram_token: get("TELOXIDE_TOKEN").map(Secret::new),
            telegram_api_url,
            bot_username: get("CHIHOI_BOT_USERNAME").map(|u| u.trim_start_matches('@').to_owned()),
            webhook,
            timezone,
        })
    }
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
    fn unknown_database_scheme_is_refused() {
        assert!(config(&[("DATABASE_URL", "mysql://x")]).is_err());
    }
}
