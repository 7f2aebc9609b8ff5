//! The one storage seam. The same SQL runs on SQLite (the embedded default, one instance) and
//! on PostgreSQL (several instances): queries are checked at run time, use `$N` placeholders,
//! keep times as unix seconds and flags as integers, and avoid dialect features except where a
//! backend is named. Each backend has its own migrations folder with the same file names.
//! Statements go through [`sql`]: sqlx's `Any` driver on PostgreSQL, rusqlite in place on
//! SQLite (why: see there).
//!
//! Functions take a `&mut Conn` so that callers compose them inside one transaction (see
//! [`Store::begin`]); row ↔ domain mapping lives here and nowhere else.

pub mod activities;
pub mod alerts;
pub mod announcements;
pub mod choices;
pub mod files;
pub mod invites;
pub mod limits;
pub mod links;
pub mod org;
pub mod outbox;
pub mod polls;
pub mod proposals;
pub mod reports;
pub mod retention;
pub mod roster;
pub mod schedule;
pub mod sql;
pub mod synthesis;
pub mod users;
pub mod views;

use std::str::FromStr;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

pub use sql::{Conn, Tx};

use crate::config::DatabaseUrl;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("not supported: {0}")]
    Unsupported(&'static str),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// SQLite connections the app's statements use at once (readers beside the one writer).
const SQLITE_CONNECTIONS: usize = 8;

/// A pool on either backend.
#[derive(Clone, Debug)]
pub struct Store {
    /// sqlx's pool: every statement on PostgreSQL; on SQLite the migrations, `VACUUM INTO`, the
    /// exports' streamed reads and the tests' own checks.
    pool: AnyPool,
    /// On SQLite (and only there), the connections of [`sql`] that every other statement runs
    /// on.
    lite: Option<std::sync::Arc<sql::LitePool>>,
}

impl Store {
    /// Connects; a SQLite file is created if missing and put in WAL mode with a busy timeout.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, raw) = if url.is_postgres() {
            (Backend::Postgres, url.expose().to_owned())
        } else {
            (Backend::Sqlite, sqlite_url_with_create(url.expose()))
        };
        let options = AnyConnectOptions::from_str(&raw)?;
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        pool = match backend {
            Backend::Sqlite => pool.max_connections(4).after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run beside the writer; the busy timeout makes a second
                    // writer wait instead of failing.
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    // Read pages through a memory map instead of a read() call and a copy each:
                    // exports and views read hundreds of megabytes (docs/BENCHMARKS.md).
                    sqlx::query("PRAGMA mmap_size = 268435456")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            }),
            // Subtree statements (views, exports) filter on ancestor columns whose selectivity
            // depends on the unit (a province or a commune): a generic plan, which PostgreSQL
            // may settle on after five runs of a prepared statement, picks a full scan for all
            // of them. They are planned for their own arguments each time
            // (`persistent(false)`); every other statement keeps its prepared plan. Forcing
            // custom plans for every statement (`plan_cache_mode`) cost the dialog bench a
            // quarter of its rate (docs/BENCHMARKS.md §3).
            Backend::Postgres => pool.max_connections(10).after_connect(|conn, _meta| {
                Box::pin(async move {
                    // The views' grouped statements cost enough to trigger JIT compilation,
                    // which takes longer than the queries themselves.
                    sqlx::query("SET jit = off").execute(&mut *conn).await?;
                    Ok(())
                })
            }),
        };
        let pool = pool.connect_with(options).await?;
        let lite = match backend {
            Backend::Sqlite => {
                let file = url.sqlite_file().ok_or(StorageError::Unsupported(
                    "a SQLite database in memory (give it a file: sqlite://chihoi.db)",
                ))?;
                Some(sql::LitePool::open(&file, SQLITE_CONNECTIONS)?)
            }
            Backend::Postgres => None,
        };
        Ok(Self { pool, lite })
    }

    pub fn backend(&self) -> Backend {
        match self.lite {
            Some(_) => Backend::Sqlite,
            None => Backend::Postgres,
        }
    }

    /// sqlx's pool, for what reads or writes beside the app's own statements (streamed export
    /// reads, tests). The app's statements go through [`Store::acquire`] and [`Store::begin`].
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for statements outside a transaction (each its own on SQLite).
    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        match &self.lite {
            Some(lite) => lite.acquire().await,
            None => Ok(Conn::pooled(self.pool.acquire().await?)),
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend() {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        let mut conn = self.acquire().await?;
        org::backfill_ancestors(&mut conn).await?;
        Ok(())
    }

    /// A write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`), so
    /// two writers queue behind the busy timeout instead of one failing when it upgrades.
    /// On SQLite the writers of this process also queue for their turn before it ([`sql`]).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.lite {
            Some(lite) => lite.begin().await?,
            None => Conn::transaction(self.pool.begin().await?),
        })
    }

    /// Writes a consistent copy of a SQLite database to `file` while others keep reading and
    /// writing it (`VACUUM INTO`: one read transaction, so the copy includes what is still in the
    /// WAL and nothing half-written). SQLite itself refuses a file that exists and is not empty.
    pub async fn vacuum_into(&self, file: &std::path::Path) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Err(StorageError::Unsupported("VACUUM INTO is SQLite's"));
        }
        let file = file
            .to_str()
            .ok_or(StorageError::Unsupported("a backup path that is not UTF-8"))?;
        let mut conn = self.pool.acquire().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(file)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Whether the database answers (`SELECT 1`), for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(lite) = &self.lite {
            lite.close();
        }
        self.pool.close().await;
    }
}

/// `sqlite://chihoi.db` → `sqlite://chihoi.db?mode=rwc`, so a newcomer needs no setup.
fn sqlite_url_with_create(raw: &str) -> String {
    if raw.contains("mode=") || raw.contains(":memory:") {
        raw.to_owned()
    } else if raw.contains('?') {
        format!("{raw}&mode=rwc")
    } else {
        format!("{raw}?mode=rwc")
    }
}

/// Upper bound of a materialized-path prefix range: every path starting with `prefix` sorts in
/// `[prefix, next_prefix(prefix))`, which both backends answer from the `units_path` index.
pub fn path_range_end(prefix: &str) -> String {
    // Paths are ASCII digits and '/'; the character after '/' is '0'.
    let mut end = prefix.to_owned();
    end.pop();
    end.push('0');
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file_unless_told_otherwise() {
        assert_eq!(
            sqlite_url_with_create("sqlite://chihoi.db"),
            "sqlite://chihoi.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite://x.db?mode=ro"),
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(sqlite_url_with_create("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn path_range_covers_exactly_the_subtree() {
        let end = path_range_end("/1/4/");
        assert_eq!(end, "/1/40");
        for inside in ["/1/4/", "/1/4/17/", "/1/4/9/"] {
            assert!(inside >= "/1/4/" && inside < end.as_str(), "{inside}");
        }
        for outside in ["/1/41/", "/1/5/", "/1/"] {
            assert!(!(outside >= "/1/4/" && outside < end.as_str()), "{outside}");
        }
    }
}
