//! Killed under load: `chihoi serve` itself, run as a child process against the test's fake
//! Telegram, is killed with SIGKILL while branch heads file their monthly report at once, and
//! started again. Every head finishes, seeing her report confirmed; every report is stored once
//! (first revision), and no dialog is left half-way.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chihoi::app;
use chihoi::domain::role::Role;
use chihoi_fakes::telegram::script::{NOTHING_NEW_REPORT, Sight, Watcher};
use chihoi_fakes::telegram::{LocalBotApi, LocalBotApiOptions, TestUser};
use rand::Rng;

use crate::both_backends;
use crate::helpers::{Backend, TestDb};

/// Branch heads filing at once.
const HEADS: usize = 12;

/// `chihoi serve` as a child process, killed when dropped.
struct BotProcess(Child);

impl BotProcess {
    fn start(api: &LocalBotApi, db: &TestDb, dir: &Path, run: usize) -> Self {
        let log = std::fs::File::create(dir.join(format!("bot-{run}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_chihoi"))
            .arg("serve")
            // Nothing from this environment or a `.env` file but what is set here.
            .env_clear()
            .current_dir(dir)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TELOXIDE_TOKEN", api.token())
            .env("TELOXIDE_API_URL", api.api_url().as_str())
            .env("DATABASE_URL", db.url.expose())
            .env("CHIHOI_BOT_USERNAME", api.bot_username())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start chihoi serve");
        Self(child)
    }

    /// SIGKILL: no shutdown, no last writes.
    fn kill_9(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Joins by her invite, then files the "nothing new" report, pausing up to 150 ms before
/// each step so that the heads are at different steps when the bot is killed.
async fn file_report(head: Watcher, code: String) -> Result<(), String> {
    head.type_until(&format!("/start {code}"), &Sight::Text("Chào chị"))
        .await
        .map_err(|e| format!("head {} joining: {e}", head.user.id))?;
    for (i, step) in NOTHING_NEW_REPORT.iter().enumerate() {
        let pause = rand::thread_rng().gen_range(0..150);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        head.take(step)
            .await
            .map_err(|e| format!("head {} at step {}: {e}", head.user.id, i + 1))?;
    }
    Ok(())
}

async fn a_bot_killed_while_heads_file_loses_and_doubles_no_report(backend: Backend) {
    // The bot runs on the wall clock, as a process of its own.
    let now = chrono::Utc::now();
    let (db, store) = TestDb::with_sample_province(backend, now).await;
    let branches: Vec<(String,)> =
        sqlx::query_as("SELECT code FROM units WHERE level = 'branch' ORDER BY code LIMIT $1")
            .bind(HEADS as i64)
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(branches.len(), HEADS);
    let api = Arc::new(
        LocalBotApi::start(LocalBotApiOptions::default())
            .await
            .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut bot = BotProcess::start(&api, &db, dir.path(), 1);

    let mut heads = Vec::new();
    for (i, (code,)) in branches.iter().enumerate() {
        let invite = app::create_invite(
            &store,
            code,
            Role::BranchHead,
            1,
            Duration::from_secs(86_400),
            now,
        )
        .await
        .unwrap();
        let id = 5_000 + i as i64;
        let head = Watcher {
            api: api.clone(),
            user: TestUser::new(id, format!("Chị {i}")).with_language("vi"),
            // Replies held by the killed instance wait for its heartbeat to go stale (15 s)
            // on PostgreSQL.
            timeout: Duration::from_secs(90),
        };
        heads.push(tokio::spawn(file_report(
            head,
            invite.code.as_str().to_owned(),
        )));
    }

    // Killed once the first reports are in: most heads are half-way through theirs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reports")
            .fetch_one(store.pool())
            .await
            .unwrap();
        if n >= 2 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bot.kill_9();
    let (before_restart,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reports")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(
        before_restart < HEADS as i64,
        "killed too late: {before_restart} reports in"
    );
    let _bot = BotProcess::start(&api, &db, dir.path(), 2);

    let mut failures = Vec::new();
    for head in heads {
        if let Err(e) = head.await.unwrap() {
            failures.push(e);
        }
    }
    let log = |run: usize| std::fs::read_to_string(dir.path().join(format!("bot-{run}.log")));
    assert!(
        failures.is_empty(),
        "{failures:#?}\nfirst run's log:\n{:?}\nsecond run's log:\n{:?}",
        log(1),
        log(2)
    );
    // One report per branch, each stored once.
    let per_unit: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT unit_id, COUNT(*), MAX(revision) FROM reports GROUP BY unit_id ORDER BY unit_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(per_unit.len(), HEADS, "{per_unit:?}");
    assert!(
        per_unit.iter().all(|&(_, n, rev)| n == 1 && rev == 1),
        "{per_unit:?}"
    );
    // No dialog left half-way, no draft left behind.
    let (drafts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM report_drafts")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(drafts, 0);
    let states: Vec<(String,)> = sqlx::query_as("SELECT state FROM dialog_states")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(states.len(), HEADS);
    assert!(
        states
            .iter()
            .all(|(s,)| s.contains("Idle") || s.contains("idle")),
        "{states:?}"
    );
    store.close().await;
}

both_backends!(a_bot_killed_while_heads_file_loses_and_doubles_no_report);
