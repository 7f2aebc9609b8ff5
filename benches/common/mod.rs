//! Shared by the benchmarks: a throwaway database on either backend and a synthetic province
//! built with a few set-based statements (ids and paths computed, not looked up).

#![allow(dead_code)] // each benchmark uses part of this

use chihoi::config::DatabaseUrl;

/// The allocator of the `chihoi` binary, so that benchmarks measure what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use chihoi::storage::Store;

pub struct BenchDb {
    pub store: Store,
    pub label: &'static str,
    /// Where it is, for a bot process of its own (`DATABASE_URL`).
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// `BENCH_BACKEND=postgres` (server at `CHIHOI_TEST_PG_URL` or 127.0.0.1:5432) or sqlite.
pub async fn database() -> BenchDb {
    let backend = std::env::var("BENCH_BACKEND").unwrap_or_else(|_| "sqlite".into());
    if backend == "postgres" {
        use sqlx::Connection;
        let admin = std::env::var("CHIHOI_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        // `BENCH_PG_DB=name` keeps the database after the run and reuses it next time, as
        // `BENCH_SQLITE_FILE` does for SQLite.
        let kept = std::env::var("BENCH_PG_DB").ok();
        let name = kept
            .clone()
            .unwrap_or_else(|| format!("chihoi_bench_{}", std::process::id()));
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL");
        let (exists,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        if kept.is_none() || !exists {
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        // The bench's database on the same server, with the same parameters (`?sslmode=…`).
        let (path, params) = admin.split_once('?').unwrap_or((&admin, ""));
        let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
        let params = if params.is_empty() {
            String::new()
        } else {
            format!("?{params}")
        };
        let url = DatabaseUrl::parse(&format!("{base}/{name}{params}")).unwrap();
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        BenchDb {
            store,
            label: "PostgreSQL",
            url,
            _dir: None,
            pg: if kept.is_some() {
                None
            } else {
                Some((admin, name))
            },
        }
    } else {
        // `BENCH_SQLITE_FILE=/tmp/x.db` keeps the database after the run, and a later run with
        // the same file reuses it (see `BenchDb::reused`), to iterate on one part quickly.
        let (dir, file) = match std::env::var("BENCH_SQLITE_FILE") {
            Ok(file) => (None, std::path::PathBuf::from(file)),
            Err(_) => {
                let dir = tempfile::tempdir().unwrap();
                let file = dir.path().join("bench.db");
                (Some(dir), file)
            }
        };
        let url = DatabaseUrl::parse(&format!("sqlite://{}", file.display())).unwrap();
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        BenchDb {
            store,
            label: "SQLite",
            url,
            _dir: dir,
            pg: None,
        }
    }
}

impl BenchDb {
    /// Whether this database was filled by an earlier run (`BENCH_SQLITE_FILE`).
    pub async fn reused(&self) -> bool {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units")
            .fetch_one(self.store.pool())
            .await
            .unwrap();
        n > 0
    }

    pub async fn drop_database(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.pg {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Province 1 → `districts` districts → `communes` grassroots unions each → `branches` branches
/// each. Returns the number of branches.
pub async fn synthetic_province(
    store: &Store,
    districts: i64,
    communes: i64,
    branches: i64,
) -> i64 {
    let pool = store.pool();
    let total_g = districts * communes;
    let total_b = total_g * branches;
    sqlx::query(
        "INSERT INTO units (id, code, parent_id, level, name, path, depth, created_at)
         VALUES (1, 'P', NULL, 'province', 'Hội LHPN tỉnh Mẫu', '/1/', 0, 0)",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
         INSERT INTO units (id, code, parent_id, level, name, path, depth, created_at, a0, a1)
         SELECT 2 + i, 'D' || i, 1, 'district', 'Hội LHPN huyện ' || i, '/1/' || (2 + i) || '/', 1, 0, 1, 2 + i FROM n",
    )
    .bind(districts)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
         INSERT INTO units (id, code, parent_id, level, name, path, depth, created_at, a0, a1, a2)
         SELECT 1000 + i, 'G' || i, 2 + i / $2, 'grassroots', 'Hội LHPN xã ' || i,
                '/1/' || (2 + i / $2) || '/' || (1000 + i) || '/', 2, 0, 1, 2 + i / $2, 1000 + i FROM n",
    )
    .bind(total_g)
    .bind(communes)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
         INSERT INTO units (id, code, parent_id, level, name, path, depth, created_at, a0, a1, a2, a3)
         SELECT 1000000 + i, 'B' || i, 1000 + i / $2, 'branch', 'Chi hội phụ nữ thôn ' || i,
                '/1/' || (2 + i / $2 / $3) || '/' || (1000 + i / $2) || '/' || (1000000 + i) || '/', 3, 0,
                1, 2 + i / $2 / $3, 1000 + i / $2, 1000000 + i FROM n",
    )
    .bind(total_b)
    .bind(branches)
    .bind(communes)
    .execute(pool)
    .await
    .unwrap();
    total_b
}

/// One branch head per branch, reachable, on Telegram (chat id = unit id).
pub async fn branch_heads(store: &Store) -> i64 {
    let done = sqlx::query(
        "INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
         SELECT 'telegram', '' || id, '' || id, 'Chị ' || id, 'vi', id, 'branch_head', 0 FROM units WHERE level = 'branch'",
    )
    .execute(store.pool())
    .await
    .unwrap();
    done.rows_affected() as i64
}

/// `count` members (role `member`, on Telegram, chat id = user id from 2,000,000,000 up),
/// spread evenly over the branches made by [`synthetic_province`]. Returns how many were added.
pub async fn members(store: &Store, count: i64) -> i64 {
    if count <= 0 {
        return 0;
    }
    let (branches,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units WHERE level = 'branch'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let done = sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
         INSERT INTO users (platform, platform_user_id, chat_id, display_name, lang, unit_id, role, created_at)
         SELECT 'telegram', '' || (2000000000 + i), '' || (2000000000 + i), 'Hội viên ' || i, 'vi',
                1000000 + i % $2, 'member', 0 FROM n",
    )
    .bind(count)
    .bind(branches)
    .execute(store.pool())
    .await
    .unwrap();
    done.rows_affected() as i64
}

/// The platform identity (`identities` row) of every user inserted directly, as the bot makes
/// one when a person first writes: the bot finds the person behind a Telegram account through it.
pub async fn identities(store: &Store) {
    sqlx::query(
        "INSERT INTO identities (platform, platform_user_id, user_id, created_at)
         SELECT platform, platform_user_id, id, created_at FROM users u
         WHERE NOT EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id)",
    )
    .execute(store.pool())
    .await
    .unwrap();
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
pub fn peak_memory_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The process's anonymous resident memory (heap and stacks), without file pages such as the
/// SQLite database mapped into memory.
pub fn anon_memory_mib() -> f64 {
    status_mib("RssAnon:")
}

fn status_mib(field: &str) -> f64 {
    process_status_mib("self", field)
}

/// A memory field of `/proc/<process>/status` (`VmHWM:`, `VmRSS:`, `RssAnon:`…) in MiB, for
/// `process` "self" or a process id; NaN when it cannot be read.
pub fn process_status_mib(process: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Samples [`anon_memory_mib`] every 20 ms until dropped; `peak()` is the highest sample.
pub struct AnonPeak {
    peak_kib: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AnonPeak {
    pub fn start() -> Self {
        use std::sync::atomic::Ordering;
        let peak_kib = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, s) = (peak_kib.clone(), stop.clone());
        // `BENCH_HEAP_TRACE=1` prints each rise of the peak by 4 MiB or more, with its time,
        // to find the phase it belongs to (beside the `RUST_LOG=chihoi::export=debug` events).
        let trace = std::env::var_os("BENCH_HEAP_TRACE").is_some();
        let started = std::time::Instant::now();
        std::thread::spawn(move || {
            let mut shown = 0;
            while !s.load(Ordering::Relaxed) {
                let now = (anon_memory_mib() * 1024.0) as u64;
                p.fetch_max(now, Ordering::Relaxed);
                if trace && now >= shown + 4096 {
                    shown = now;
                    eprintln!(
                        "heap {:.0} MiB at {:.2} s",
                        now as f64 / 1024.0,
                        started.elapsed().as_secs_f64()
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        Self { peak_kib, stop }
    }

    pub fn peak_mib(&self) -> f64 {
        self.peak_kib.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for AnonPeak {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// CPU time (user + system, all threads) a process has used so far, from `/proc/<pid>/stat`;
/// `None` once it is gone. Counted in clock ticks of 10 ms (Linux's USER_HZ is 100).
pub fn process_cpu(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of proc(5); `rest` starts at field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// CPU time of a PostgreSQL server on this machine, all its processes together: the live ones
/// and those it has reaped (a backend's time is added to the postmaster's children's time when
/// it exits). `None` on SQLite, or when the server is not a local process this one can read.
pub async fn postgres_server_cpu(db: &BenchDb) -> Option<std::time::Duration> {
    db.pg.as_ref()?;
    let backend: (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
        .fetch_one(db.store.pool())
        .await
        .ok()?;
    let fields = |pid: u32| -> Option<Vec<u64>> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (_, rest) = stat.rsplit_once(')')?;
        // From field 3 on (proc(5)), as numbers; the state (field 3) reads as 0.
        Some(
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect(),
        )
    };
    // Field 4 is the parent; 14 and 15 its own time, 16 and 17 its reaped children's.
    let postmaster = u32::try_from(*fields(backend.0 as u32)?.get(1)?).ok()?;
    let own = fields(postmaster)?;
    let mut ticks = own.get(13)? + own.get(14)?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(f) = fields(pid)
            && f.get(1) == Some(&u64::from(postmaster))
        {
            ticks += f.get(11).unwrap_or(&0) + f.get(12).unwrap_or(&0);
        }
    }
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// CPU time of the PostgreSQL backends serving this bench's own database (those connected now,
/// so call it while the pool's connections are still open): unlike the whole server's, it
/// leaves out what other databases on the machine cost. `None` on SQLite or a remote server.
pub async fn database_backends_cpu(db: &BenchDb) -> Option<std::time::Duration> {
    if db.store.backend() != chihoi::storage::Backend::Postgres {
        return None;
    }
    let pids: Vec<(i32,)> =
        sqlx::query_as("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(db.store.pool())
            .await
            .ok()?;
    let total = pids
        .iter()
        .filter_map(|(pid,)| process_cpu(*pid as u32))
        .sum();
    Some(total)
}

/// Resets the peak-memory mark (Linux: writing 5 to clear_refs), to measure one phase.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    if sorted.is_empty() {
        return std::time::Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A duration as whole milliseconds.
pub fn ms(d: std::time::Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}
