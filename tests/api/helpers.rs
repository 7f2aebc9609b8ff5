//! Test harness: each test gets a fresh database (a SQLite file in a temp folder, or a
//! throwaway PostgreSQL database), its own local Bot API server on port 0, the sample province,
//! and the real Telegram channel polling that server — and, for Zalo tests, a fake Zalo server
//! of its own with the real Zalo channel polling it, both sharing one courier as in
//! `chihoi serve`. Time comes from a clock the test sets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chihoi::app;
use chihoi::channel::FloodLimit;
use chihoi::channel::telegram::{Telegram, TelegramOptions, TelegramSender};
use chihoi::channel::zalo::{Zalo, ZaloError, ZaloOptions, ZaloSender};
use chihoi::config::{DatabaseUrl, DeliveryConfig, Secret, ZaloConfig};
use chihoi::delivery::{Courier, DrainReport};
use chihoi::dialog::{Clock, Engine};
use chihoi::domain::calendar::Calendars;
use chihoi::domain::role::Role;
use chihoi::scheduler::{Scheduler, TickReport};
use chihoi::storage::Store;
use chihoi_fakes::telegram::person::Person;
use chihoi_fakes::telegram::{LocalBotApi, LocalBotApiOptions};
use chihoi_fakes::zalo::person::ZaloPerson;
use chihoi_fakes::zalo::{FakeZalo, FakeZaloOptions};
use chrono::{DateTime, TimeZone, Utc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const SAMPLE_ORG: &[u8] = include_bytes!("../../examples/org-thai-binh.csv");
/// A branch with groups below it, in a grassroots union of a district.
pub const BRANCH: &str = "TB-DH-DHOP-T1";
pub const OTHER_BRANCH: &str = "TB-DH-DHOP-T2";
pub const GRASSROOTS: &str = "TB-DH-DHOP";
pub const DISTRICT: &str = "TB-DH";
pub const PROVINCE: &str = "TB";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `both_backends!(name)` makes `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::helpers::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }
        }
    )+};
}

/// A database for one test, removed afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// The PostgreSQL server the tests make their databases on: `CHIHOI_TEST_PG_URL` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`) when it answers; otherwise a throwaway cluster
/// started once for this test binary with the local PostgreSQL binaries ([`throwaway_cluster`]),
/// so that a machine where PostgreSQL is installed but not running still runs every test.
pub fn admin_pg_url() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let wanted = std::env::var("CHIHOI_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        if pg_answers(&wanted) {
            return wanted;
        }
        match throwaway_cluster() {
            Ok(url) => {
                eprintln!(
                    "PostgreSQL does not answer at {}; the tests use a throwaway cluster at {url}",
                    DatabaseUrl::parse(&wanted).map_or_else(|_| wanted.clone(), |u| u.redacted())
                );
                url
            }
            Err(why) => panic!(
                "PostgreSQL does not answer at CHIHOI_TEST_PG_URL or 127.0.0.1:5432, and no \
                 throwaway cluster could be started ({why}): install PostgreSQL (its initdb), \
                 start it, or set CHIHOI_TEST_PG_URL"
            ),
        }
    })
    .clone()
}

/// Whether a PostgreSQL server answers at `url` within a few seconds (asked on a thread of its
/// own: this runs inside a test's runtime).
fn pg_answers(url: &str) -> bool {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            use sqlx::Connection;
            matches!(
                tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&url))
                    .await,
                Ok(Ok(_))
            )
        })
    })
    .join()
    .unwrap_or(false)
}

/// Starts a PostgreSQL cluster in a temporary folder with the local binaries (`initdb` on the
/// PATH, else the newest `/usr/lib/postgresql/*/bin`), on a free port of 127.0.0.1, and returns
/// its URL. A shell holds it: when this test binary exits, the shell's stdin closes, and it
/// stops the cluster and removes the folder. As root (containers, CI), it runs as `postgres`,
/// since PostgreSQL refuses to run as root.
fn throwaway_cluster() -> Result<String, String> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let bin = pg_bin_dir().ok_or("no initdb on the PATH or in /usr/lib/postgresql/*/bin")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let dir = tempfile::Builder::new()
        .prefix("chihoi-test-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    const SCRIPT: &str = r#"
        set -e
        dir=$1 bin=$2 port=$3
        if [ "$4" = root ]; then chown postgres "$dir"; as="runuser -u postgres --"; else as=""; fi
        $as "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
        $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -F" start
        echo ready
        cat >/dev/null || true
        $as "$bin/pg_ctl" -D "$dir/data" -m immediate -s stop || true
        rm -rf "$dir"
    "#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("chihoi-test-pg")
        .arg(&dir)
        .arg(&bin)
        .arg(port.to_string())
        .arg(if root { "root" } else { "user" })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("sh: {e}"))?;
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped");
    let _ = std::io::BufReader::new(stdout).read_line(&mut line);
    if line.trim() != "ready" {
        let _ = child.wait();
        let log = std::fs::read_to_string(dir.join("initdb.log")).unwrap_or_default()
            + &std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!("initdb or pg_ctl failed: {}", log.trim()));
    }
    // Its stdin stays open as long as this process lives; the child is never waited for.
    std::mem::forget(child);
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// The folder of `initdb`: on the PATH, else the newest installed version's.
fn pg_bin_dir() -> Option<std::path::PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut installed: Vec<(u32, std::path::PathBuf)> =
            std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .flatten()
                .filter_map(|e| {
                    let version = e.file_name().to_str()?.parse().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("initdb").is_file().then_some((version, bin))
                })
                .collect();
        installed.sort();
        installed.pop().map(|(_, bin)| bin)
    })
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = DatabaseUrl::parse(&format!(
                    "sqlite://{}",
                    dir.path().join("chihoi.db").display()
                ))
                .unwrap();
                Self {
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = admin_pg_url();
                let name = format!("chihoi_test_{}", uuid_like());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL (see README: Tests)");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin.clone());
                let url = DatabaseUrl::parse(&format!("{base}/{name}")).unwrap();
                Self {
                    url,
                    _dir: None,
                    pg: Some((admin, name)),
                }
            }
        }
    }
}

impl TestDb {
    /// A fresh database, migrated, holding the sample province (imported at `now`), and the
    /// store open on it.
    pub async fn with_sample_province(backend: Backend, now: DateTime<Utc>) -> (Self, Store) {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        app::import_org_bytes(&store, SAMPLE_ORG, now)
            .await
            .expect("import sample org");
        (db, store)
    }

    /// A new database holding a copy of `template`'s (which nobody may be connected to): far
    /// quicker than migrating and importing again, for tests that need hundreds of databases.
    pub async fn copy_of(template: &TestDb) -> Self {
        match &template.pg {
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let from = template.url.expose().trim_start_matches("sqlite://");
                let to = dir.path().join("chihoi.db");
                std::fs::copy(from, &to).expect("copy the template database");
                let wal = format!("{from}-wal");
                if std::path::Path::new(&wal).exists() {
                    std::fs::copy(&wal, dir.path().join("chihoi.db-wal")).expect("copy its WAL");
                }
                Self {
                    url: DatabaseUrl::parse(&format!("sqlite://{}", to.display())).unwrap(),
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Some((admin, template_name)) => {
                use sqlx::Connection;
                let name = format!("chihoi_test_{}", uuid_like());
                let mut conn = sqlx::PgConnection::connect(admin)
                    .await
                    .expect("PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template_name}"))
                    .execute(&mut conn)
                    .await
                    .expect("copy the template database");
                // A throwaway copy needs no durability: commits need not wait for the disk.
                sqlx::query(&format!(
                    "ALTER DATABASE {name} SET synchronous_commit = off"
                ))
                .execute(&mut conn)
                .await
                .expect("synchronous_commit");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin.clone());
                Self {
                    url: DatabaseUrl::parse(&format!("{base}/{name}")).unwrap(),
                    _dir: None,
                    pg: Some((admin.clone(), name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs outside async; a small runtime of its own removes the database.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

/// 2026-11-15 10:00 in Hanoi.
pub fn mid_november() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap()
}

pub struct TestApp {
    /// Shared so that a [`chihoi_fakes::telegram::script::Watcher`] can hold it too.
    pub api: Arc<LocalBotApi>,
    pub store: Store,
    pub db: TestDb,
    pub now: Arc<Mutex<DateTime<Utc>>>,
    /// Whether the bot's own courier loop runs (tests of scheduled messages step it themselves).
    pub run_courier: bool,
    /// Delivery limits for the next start of the bot.
    pub delivery: DeliveryConfig,
    /// The fake Zalo server, when the test runs the Zalo channel too.
    pub zalo: Option<FakeZalo>,
    /// Zalo's delivery limits for the next start of the bot.
    pub zalo_delivery: DeliveryConfig,
    /// `CHIHOI_PUBLIC_URL` for the next start (files shared by link on Zalo).
    pub public_url: Option<url::Url>,
    /// Each chat's flood limit for the next start: tests play people faster than anyone
    /// types, so it is out of their way unless a test sets the real one.
    pub flood: FloodLimit,
    /// Tries at a failing update (while the database works) before it is set aside, and the
    /// longest wait between tries, for the next start (both channels).
    pub update_attempts: u32,
    pub retry_cap: Duration,
    running: Option<(CancellationToken, JoinHandle<()>, Courier)>,
}

impl TestApp {
    /// Fresh database with the sample province, a local Bot API server, and the bot polling it.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, true).await
    }

    /// Like [`TestApp::spawn`], with the platforms' own pace in each chat (one message a
    /// second), for the tests that have the fake server enforce Telegram's limits.
    pub async fn spawn_paced(backend: Backend, run_courier: bool) -> Self {
        let mut app = Self::unstarted(backend, run_courier).await;
        app.delivery.per_chat_per_second = DeliveryConfig::default().per_chat_per_second;
        app.zalo_delivery.per_chat_per_second = ZaloConfig::default_delivery().per_chat_per_second;
        app.start_bot().await;
        app
    }

    /// Like [`TestApp::spawn`]; with `run_courier` false only replies go out by themselves and
    /// the test drains scheduled messages with [`TestApp::drain`].
    pub async fn spawn_with(backend: Backend, run_courier: bool) -> Self {
        let mut app = Self::unstarted(backend, run_courier).await;
        app.start_bot().await;
        app
    }

    /// Everything [`TestApp::spawn_with`] sets up but the bot.
    async fn unstarted(backend: Backend, run_courier: bool) -> Self {
        let (db, store) = TestDb::with_sample_province(backend, mid_november()).await;
        let api = Arc::new(
            LocalBotApi::start(LocalBotApiOptions::default())
                .await
                .expect("local Bot API"),
        );
        Self {
            api,
            store,
            db,
            now: Arc::new(Mutex::new(mid_november())),
            run_courier,
            delivery: unpaced(DeliveryConfig::default()),
            zalo: None,
            zalo_delivery: unpaced(ZaloConfig::default_delivery()),
            public_url: None,
            flood: FloodLimit {
                burst: 1_000_000,
                refill: Duration::from_micros(1),
            },
            update_attempts: chihoi::channel::UPDATE_ATTEMPTS,
            retry_cap: chihoi::channel::RETRY_CAP,
            running: None,
        }
    }

    /// Like [`TestApp::spawn_with`], with a fake Zalo server and the Zalo channel beside
    /// Telegram, one courier for both (as `chihoi serve` runs them).
    pub async fn spawn_with_zalo(backend: Backend, run_courier: bool) -> Self {
        let mut app = Self::unstarted(backend, run_courier).await;
        app.zalo = Some(
            FakeZalo::start(FakeZaloOptions::default())
                .await
                .expect("fake Zalo"),
        );
        app.start_bot().await;
        app
    }

    pub fn zalo(&self) -> &FakeZalo {
        self.zalo.as_ref().expect("spawned with Zalo")
    }

    pub fn zalo_options(&self) -> ZaloOptions {
        let zalo = self.zalo();
        let mut options = ZaloOptions::new(Secret::new(zalo.token()), zalo.api_url());
        options.poll_timeout = Duration::from_secs(1);
        options.retry_base = Duration::from_millis(100);
        options.retry_cap = self.retry_cap;
        options.update_attempts = self.update_attempts;
        options.delivery = self.zalo_delivery.clone();
        options.run_courier = false;
        options.flood = self.flood;
        options
    }

    /// Both channels' courier, as the app builds it.
    fn courier(&self, engine: &Engine) -> Courier {
        let mut builder = Courier::builder(
            self.store.clone(),
            self.calendars(),
            self.clock(),
            engine.instance().to_owned(),
        )
        .public_url(self.public_url.clone())
        .sender(
            Arc::new(TelegramSender::new(&self.telegram_options())),
            self.delivery.clone(),
        );
        if self.zalo.is_some() {
            builder = builder.sender(
                Arc::new(ZaloSender::new(&self.zalo_options()).expect("Zalo sender")),
                self.zalo_delivery.clone(),
            );
        }
        builder.build()
    }

    pub fn zalo_person(&self, id: &str, name: &str) -> ZaloPerson<'_> {
        ZaloPerson::new(self.zalo(), id, name)
    }

    /// A Zalo user who has joined `unit` with `role` by sending her invite code.
    pub async fn zalo_joined(
        &self,
        id: &str,
        name: &str,
        unit: &str,
        role: Role,
    ) -> ZaloPerson<'_> {
        let code = self.invite(unit, role, 1).await;
        let mut p = self.zalo_person(id, name);
        let replies = p.send(&code).await.expect("join on Zalo");
        assert!(
            zalo_texts(&replies).contains("Chào chị"),
            "no welcome: {}",
            zalo_texts(&replies)
        );
        p
    }

    pub fn calendars(&self) -> Calendars {
        Calendars::new(chrono_tz::Asia::Ho_Chi_Minh, Default::default()).unwrap()
    }

    pub fn clock(&self) -> Clock {
        let now = self.now.clone();
        Arc::new(move || *now.lock().unwrap())
    }

    /// From now on the test's clock moves with real time, from where it stands, until the
    /// returned guard is dropped: for tests in which the courier's pauses (after a 429) and
    /// backoffs (after a 5xx) must end by themselves.
    pub fn run_clock(&self) -> RunningClock {
        let now = self.now.clone();
        let from = self.now();
        let started = tokio::time::Instant::now();
        RunningClock(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let elapsed = chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
                *now.lock().unwrap() = from + elapsed;
            }
        }))
    }

    pub fn set_now(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap() = t;
    }

    pub fn telegram_options(&self) -> TelegramOptions {
        let mut options = TelegramOptions::new(Secret::new(self.api.token()));
        options.api_url = Some(self.api.api_url());
        options.poll_timeout = Duration::from_secs(1);
        // A failed update is tried again soon (tests of faults need not wait seconds).
        options.retry_base = Duration::from_millis(100);
        options.retry_cap = self.retry_cap;
        options.update_attempts = self.update_attempts;
        options.run_courier = self.run_courier;
        options.delivery = self.delivery.clone();
        options.flood = self.flood;
        options
    }

    pub fn telegram(&self) -> Telegram {
        let engine = Engine::new(self.store.clone(), self.calendars());
        let telegram = Telegram::new(engine, &self.telegram_options(), self.clock());
        chihoi::app::demo::settle_with(&self.api, &telegram);
        telegram
    }

    pub async fn start_bot(&mut self) {
        assert!(self.running.is_none(), "bot already running");
        let engine = Engine::new(self.store.clone(), self.calendars());
        let courier = self.courier(&engine);
        let mut options = self.telegram_options();
        options.run_courier = false;
        let telegram =
            Telegram::with_courier(engine.clone(), &options, self.clock(), courier.clone());
        chihoi::app::demo::settle_with(&self.api, &telegram);
        let zalo = self.zalo.as_ref().map(|_| {
            let options = self.zalo_options();
            let zalo = Zalo::with_courier(engine.clone(), &options, self.clock(), courier.clone())
                .expect("Zalo channel");
            chihoi::app::demo::settle_zalo_with(self.zalo(), &zalo);
            (zalo, options)
        });
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let run_courier = self.run_courier.then(|| courier.clone());
        let task = tokio::spawn(async move {
            let telegram_run =
                async { telegram.run(&options, stop.clone()).await.expect("bot run") };
            let zalo_run = async {
                if let Some((zalo, options)) = &zalo {
                    zalo.run(options, stop.clone()).await.expect("Zalo run");
                }
            };
            let courier_run = async {
                if let Some(courier) = &run_courier {
                    courier.run(stop.clone()).await;
                }
            };
            tokio::join!(telegram_run, zalo_run, courier_run);
        });
        self.running = Some((shutdown, task, courier));
    }

    pub async fn stop_bot(&mut self) {
        if let Some((shutdown, task, _)) = self.running.take() {
            shutdown.cancel();
            task.await.expect("bot task");
        }
    }

    /// Stops the bot and starts a new one on a new connection pool, as after a process restart.
    pub async fn restart_bot(&mut self) {
        self.stop_bot().await;
        self.store.close().await;
        self.store = Store::connect(&self.db.url).await.expect("reconnect");
        self.store.migrate().await.expect("migrate again");
        self.start_bot().await;
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.now.lock().unwrap();
        *now += by;
    }

    /// One scheduler pass at the test's clock.
    pub async fn tick(&self) -> TickReport {
        Scheduler::new(self.store.clone(), self.calendars())
            .tick(self.now())
            .await
            .expect("tick")
    }

    /// The running bot's courier (both channels'), e.g. to read the pace it learned.
    pub fn running_courier(&self) -> &Courier {
        let (_, _, courier) = self.running.as_ref().expect("bot running");
        courier
    }

    /// Sends everything due at the test's clock through the running bot's courier.
    pub async fn drain(&self) -> DrainReport {
        let (_, _, courier) = self.running.as_ref().expect("bot running");
        courier.drain_all(self.now()).await.expect("drain")
    }

    pub async fn invite(&self, unit: &str, role: Role, uses: u32) -> String {
        let now = *self.now.lock().unwrap();
        let week = Duration::from_secs(7 * 86400);
        let inv = app::create_invite(&self.store, unit, role, uses, week, now)
            .await
            .expect("invite");
        inv.code.as_str().to_owned()
    }

    pub fn person(&self, id: i64, name: &str) -> Person<'_> {
        Person::new(&self.api, id, name)
    }

    /// A person who has joined `unit` with `role` by invite, her welcome already read.
    pub async fn joined(&self, id: i64, name: &str, unit: &str, role: Role) -> Person<'_> {
        let code = self.invite(unit, role, 1).await;
        let mut p = self.person(id, name);
        let replies = p.send(&format!("/start {code}")).await.expect("join");
        assert!(
            replies
                .iter()
                .any(|m| m.text.as_deref().unwrap_or("").contains("Chào chị")),
            "no welcome: {replies:?}"
        );
        p
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(self.store.pool())
            .await
            .expect(sql);
        n
    }

    pub async fn shutdown(mut self) {
        self.stop_bot().await;
        self.store.close().await;
    }
}

/// The test's clock moving with real time; stops when dropped.
pub struct RunningClock(JoinHandle<()>);

impl Drop for RunningClock {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The text of a message, or "".
pub fn text(m: &chihoi_fakes::telegram::SentMessage) -> &str {
    m.text.as_deref().unwrap_or("")
}

/// All texts joined, for `contains` checks over several replies.
pub fn texts(ms: &[chihoi_fakes::telegram::SentMessage]) -> String {
    ms.iter().map(text).collect::<Vec<_>>().join("\n---\n")
}

/// With the report dialog at part 1: the shortest complete report, submitted.
pub async fn answer_and_submit(p: &mut Person<'_>) {
    for label in [
        "Ổn định",
        "Bỏ qua",
        "Ổn định",
        "Bỏ qua",
        "Phấn khởi, tin tưởng",
        "Bỏ qua",
        "Không có",
        "Không có đề xuất",
    ] {
        p.tap(label).await.unwrap();
    }
    let done = p.tap("✅ Gửi báo cáo").await.unwrap();
    assert!(
        texts(&done).contains("Đã gửi báo cáo tháng"),
        "{}",
        texts(&done)
    );
}

/// The text of a message on Zalo, or "".
pub fn zalo_text(m: &chihoi_fakes::zalo::ZaloSent) -> &str {
    m.text.as_deref().or(m.caption.as_deref()).unwrap_or("")
}

/// The number before `label` in a Zalo list ("2. ✅ Duyệt" → 2).
pub fn numbered(m: &chihoi_fakes::zalo::ZaloSent, label: &str) -> Option<usize> {
    zalo_text(m).lines().find_map(|l| {
        let (n, rest) = l.split_once(". ")?;
        (rest == label).then(|| n.parse().ok()).flatten()
    })
}

/// The text of the last notice shown on a tap (answerCallbackQuery), or "".
pub fn last_notice(app: &TestApp) -> String {
    app.api
        .calls("answerCallbackQuery")
        .last()
        .and_then(|c| c["text"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// All Zalo texts joined, for `contains` checks over several replies.
pub fn zalo_texts(ms: &[chihoi_fakes::zalo::ZaloSent]) -> String {
    ms.iter().map(zalo_text).collect::<Vec<_>>().join("\n---\n")
}

/// A Zalo bot in webhook mode against `fake`, on a listener of its own, without its courier
/// (the test drains or checks the outbox itself).
pub struct ZaloWebhook {
    pub zalo: Zalo,
    pub secret: Secret,
    pub shutdown: CancellationToken,
    pub run: JoinHandle<Result<(), ZaloError>>,
}

impl ZaloWebhook {
    /// Serves the webhook at `/zalo` with `secret` and runs the bot (which registers it).
    pub async fn start(app: &TestApp, fake: &FakeZalo, secret: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let secret = Secret::new(secret);
        let mut options = ZaloOptions::new(Secret::new(fake.token()), fake.api_url());
        options.webhook = Some((
            format!("http://{addr}/zalo").parse().unwrap(),
            secret.clone(),
        ));
        options.run_courier = false;
        let engine = Engine::new(app.store.clone(), app.calendars());
        let zalo = Zalo::new(engine, &options, app.clock()).unwrap();
        chihoi::app::demo::settle_zalo_with(fake, &zalo);
        let shutdown = CancellationToken::new();
        zalo.serve_webhook_on(listener, "/zalo", secret.clone(), shutdown.clone())
            .await
            .unwrap();
        let run = {
            let (zalo, options, stop) = (zalo.clone(), options.clone(), shutdown.clone());
            tokio::spawn(async move { zalo.run(&options, stop).await })
        };
        Self {
            zalo,
            secret,
            shutdown,
            run,
        }
    }
}

/// The bot's public files router (file links for Zalo) on a free port of 127.0.0.1, as
/// `chihoi serve` runs it.
pub struct FilesServer {
    pub addr: std::net::SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl FilesServer {
    pub async fn start(app: &TestApp, limits: chihoi::config::HttpLimits) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = chihoi::app::http::files_router(app.store.clone(), app.clock(), limits);
        let stop = CancellationToken::new();
        let task = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
            })
        };
        Self { addr, stop, task }
    }

    /// A link to the file shared under `token`.
    pub fn url(&self, token: &str) -> String {
        format!("http://{}/files/{token}/file.bin", self.addr)
    }

    pub async fn stop(self) {
        self.stop.cancel();
        self.task.abort();
        let _ = self.task.await;
    }
}

impl TestApp {
    /// File links served as `chihoi serve` serves them, and the bot restarted to know their
    /// address (`CHIHOI_PUBLIC_URL`).
    pub async fn serve_files(&mut self) -> FilesServer {
        let server = FilesServer::start(self, chihoi::config::HttpLimits::default()).await;
        self.stop_bot().await;
        self.public_url = Some(format!("http://{}", server.addr).parse().unwrap());
        self.start_bot().await;
        server
    }
}

/// The link of the file the bot shares with her on Zalo ("📎 Tải tệp: …"), waited for: files
/// are made in the background, after the answer to her choice.
pub async fn zalo_file_link(p: &ZaloPerson<'_>) -> Option<String> {
    for _ in 0..100 {
        let link = p.inbox().into_iter().find_map(|m| {
            zalo_text(&m)
                .split_once("📎 Tải tệp: ")
                .and_then(|(_, rest)| rest.lines().next())
                .map(|url| url.trim().to_owned())
        });
        if link.is_some() {
            return link;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// `config` without a person's pace in each chat: a test person answers in milliseconds, and
/// Telegram's one message a second in a chat would make every step of every test wait for it.
/// The fake servers enforce no limit unless a test sets one; the tests of the pacing itself
/// ([`TestApp::spawn_paced`]) keep the platform's.
fn unpaced(config: DeliveryConfig) -> DeliveryConfig {
    DeliveryConfig {
        per_chat_per_second: 50,
        ..config
    }
}
