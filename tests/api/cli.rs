//! The operator's command line, run as a real process against a real database.

use std::process::{Command, Output};

use crate::both_backends;
use crate::helpers::*;

fn chihoi(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chihoi"))
        .args(args)
        .current_dir(dir)
        .env_remove("TELOXIDE_TOKEN")
        .env("DATABASE_URL", db.url.expose())
        .env("CHIHOI_BOT_USERNAME", "chihoi_test_bot")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run chihoi")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn operator_sets_up_the_tree_and_invites_from_the_command_line(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org-thai-binh.csv");

    let o = chihoi(&db, dir.path(), &["migrate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = chihoi(&db, dir.path(), &["org", "import", sample]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("104 new, 0 renamed, 0 unchanged"),
        "{}",
        stdout(&o)
    );
    // Importing again is idempotent.
    let o = chihoi(&db, dir.path(), &["org", "import", sample]);
    assert!(
        stdout(&o).contains("0 new, 0 renamed, 104 unchanged"),
        "{}",
        stdout(&o)
    );

    // A bad file is refused with its line and changes nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,parent_code,level,name\nTB-NEW,TB,district,Hội LHPN huyện Mới\nTB-NEW-X,TB-NOPE,grassroots,Hội LHPN xã X\n",
    )
    .unwrap();
    let o = chihoi(&db, dir.path(), &["org", "import", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("line 3"), "{}", stderr(&o));
    assert!(stderr(&o).contains("TB-NOPE"), "{}", stderr(&o));
    let o = chihoi(&db, dir.path(), &["org", "tree", "TB"]);
    assert!(
        !stdout(&o).contains("TB-NEW"),
        "a refused file left units behind"
    );

    // Renaming a unit through re-import.
    let rename = dir.path().join("rename.csv");
    std::fs::write(
        &rename,
        "code,parent_code,level,name\nTB-DH-DHOP,TB-DH,grassroots,Hội LHPN xã Đông Hợp (mới)\n",
    )
    .unwrap();
    let o = chihoi(
        &db,
        dir.path(),
        &["org", "import", rename.to_str().unwrap()],
    );
    assert!(
        stdout(&o).contains("0 new, 1 renamed, 0 unchanged"),
        "{} {}",
        stdout(&o),
        stderr(&o)
    );

    let o = chihoi(&db, dir.path(), &["org", "tree", "TB-DH-DHOP"]);
    let tree = stdout(&o);
    assert!(
        tree.starts_with("TB-DH-DHOP  Hội LHPN xã Đông Hợp (mới)  (grassroots)"),
        "{tree}"
    );
    assert!(
        tree.contains("\n    TB-DH-DHOP-T1-G1  Tổ phụ nữ số 1 thôn Đồng Thanh  (group)"),
        "{tree}"
    );
    assert!(!tree.contains("TB-TP"), "{tree}");

    let o = chihoi(
        &db,
        dir.path(),
        &[
            "invite",
            "--unit",
            "TB-DH-DHOP-T1",
            "--role",
            "branch_head",
            "--uses",
            "3",
            "--expires",
            "2d",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let link = out
        .lines()
        .find_map(|l| l.strip_prefix("Telegram: "))
        .filter(|l| l.starts_with("https://t.me/chihoi_test_bot?start="))
        .expect(&out);
    let code = out.lines().last().unwrap();
    assert_eq!(link, format!("https://t.me/chihoi_test_bot?start={code}"));
    assert!(code.len() >= 22 && code.len() <= 64);
    let store = chihoi::storage::Store::connect(&db.url).await.unwrap();
    let (uses, expires, created): (i64, i64, i64) =
        sqlx::query_as("SELECT max_uses, expires_at, created_at FROM invites WHERE code = $1")
            .bind(code)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(uses, 3);
    assert_eq!(expires - created, 2 * 86400);
    store.close().await;

    let o = chihoi(
        &db,
        dir.path(),
        &["invite", "--unit", "TB-DH-DHOP-T1", "--role", "admin"],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("branch_head"), "{}", stderr(&o));
    let o = chihoi(
        &db,
        dir.path(),
        &["invite", "--unit", "NO-SUCH", "--role", "member"],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no unit with code \"NO-SUCH\""),
        "{}",
        stderr(&o)
    );

    let csv = dir.path().join("r.csv");
    let o = chihoi(
        &db,
        dir.path(),
        &[
            "export",
            "--period",
            "2026-11",
            "--format",
            "csv",
            "-o",
            csv.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Wrote 0 row(s)"), "{}", stdout(&o));
    let content = std::fs::read_to_string(&csv).unwrap();
    assert!(
        content.starts_with("\u{feff}Mã đơn vị,Đơn vị,Kỳ báo cáo"),
        "{content}"
    );
    let o = chihoi(
        &db,
        dir.path(),
        &["export", "--period", "2026-13", "-o", "x.xlsx"],
    );
    assert!(!o.status.success());
}

both_backends!(operator_sets_up_the_tree_and_invites_from_the_command_line);

/// `chihoi user …` and `chihoi invite list|revoke` as processes, beside the running bot (its
/// clock set to the wall clock the processes use).
async fn operator_manages_people_and_invites_from_the_command_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.set_now(chrono::Utc::now());
    let code = app
        .invite(BRANCH, chihoi::domain::role::Role::Member, 3)
        .await;
    app.joined(
        716_001,
        "Nguyễn Thị Lan",
        BRANCH,
        chihoi::domain::role::Role::BranchHead,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| tokio::task::block_in_place(|| chihoi(&app.db, dir.path(), args));

    let o = run(&["user", "list", "--unit", GRASSROOTS]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("Nguyễn Thị Lan"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("branch_head") && line.contains(BRANCH),
        "{line}"
    );
    assert!(
        !out.contains("716001"),
        "platform ids are not printed: {out}"
    );
    let id = line.split_whitespace().next().unwrap().to_owned();
    assert!(id.starts_with('#'), "{line}");

    let o = run(&["user", "set-role", &id, "--role", "member"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "is now member of {BRANCH} (was branch_head of {BRANCH})"
        )),
        "{}",
        stdout(&o)
    );
    let o = run(&["user", "remove", &id]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with(&format!("Removed {id} Nguyễn Thị Lan")),
        "{}",
        stdout(&o)
    );
    // She uses Telegram only: there is no Zalo account of hers to unlink.
    let o = run(&["user", "unlink", &id, "--app", "zalo"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("has no zalo account"), "{}", stderr(&o));
    let o = run(&["user", "remove", "#99999"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no person #99999"), "{}", stderr(&o));

    let o = run(&["invite", "list", "--unit", BRANCH]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with(&code[..6]))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" open "), "{line}");
    assert!(
        !out.contains(code.as_str()),
        "whole codes are not printed: {out}"
    );
    let o = run(&["invite", "revoke", &code[..6]]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Revoked invite"), "{}", stdout(&o));
    // A code may start with "-": it is read as the code, not as an option.
    let o = run(&["invite", "revoke", "-Zq9x"]);
    assert!(
        stderr(&o).contains("no invite starts with \"-Zq9x\""),
        "{}",
        stderr(&o)
    );
    let o = run(&["invite", "list"]);
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with(&code[..6])).unwrap();
    assert!(line.contains(" revoked "), "{line}");
    // The bot refuses it at once.
    let mut hoa = app.person(716_002, "Trần Thị Hoa");
    let r = hoa.send(&format!("/start {code}")).await.unwrap();
    assert!(texts(&r).contains("đã bị thu hồi"), "{}", texts(&r));
    // Creating invites reads as before.
    let o = run(&["invite", "--unit", BRANCH, "--role", "member"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["invite", "--unit", BRANCH]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--role"), "{}", stderr(&o));
    app.shutdown().await;
}

both_backends!(operator_manages_people_and_invites_from_the_command_line);

#[test]
fn serve_without_a_token_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_chihoi"))
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("TELOXIDE_TOKEN or ZALO_BOT_TOKEN must be set"),
        "{}",
        stderr(&o)
    );
}

/// `chihoi serve` with only a Zalo token that Zalo refuses: it stops at once, non-zero, and
/// says which variable to check; `chihoi invite` tells how Zalo users join.
async fn zalo_only_serve_with_a_refused_token_exits_with_a_clear_error(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let fake = chihoi_fakes::zalo::FakeZalo::start(Default::default())
        .await
        .unwrap();
    let api = fake.api_url().to_string();
    let run = |args: &[&str], token: &str| {
        Command::new(env!("CARGO_BIN_EXE_chihoi"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("TELOXIDE_TOKEN")
            .env("DATABASE_URL", db.url.expose())
            .env("ZALO_BOT_TOKEN", token)
            .env("ZALO_API_URL", &api)
            .env("CHIHOI_BOT_USERNAME", "chihoi_test_bot")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run chihoi")
    };
    let o = tokio::task::block_in_place(|| run(&["serve"], "1:refused"));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("ZALO_BOT_TOKEN"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("1:refused"),
        "the token is never printed"
    );
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/org-thai-binh.csv");
    let token = fake.token().to_owned();
    let o =
        tokio::task::block_in_place(|| run(&["org", "import", sample.to_str().unwrap()], &token));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = tokio::task::block_in_place(|| {
        run(&["invite", "--unit", BRANCH, "--role", "member"], &token)
    });
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("Zalo: send the code below as a message to Bot Chi Hoi")),
        "{out}"
    );
}

/// Telegram out of reach when the bot starts: `serve` keeps trying and says so in the log
/// (instead of running on silently); a revoked token stops it at once with a clear error.
async fn serve_retries_an_unreachable_telegram_and_stops_on_a_revoked_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let serve = |api: &str, token: &str| {
        Command::new(env!("CARGO_BIN_EXE_chihoi"))
            .arg("serve")
            .current_dir(dir.path())
            .env("DATABASE_URL", db.url.expose())
            .env("TELOXIDE_TOKEN", token)
            .env("TELOXIDE_API_URL", api)
            .env_remove("ZALO_BOT_TOKEN")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run chihoi")
    };
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let mut child = serve(&url, "123456:unreachable-secret");
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "still running, still trying"
    );
    child.kill().unwrap();
    let o = child.wait_with_output().unwrap();
    let log = stderr(&o);
    assert!(log.matches("cannot reach Telegram").count() >= 2, "{log}");
    assert!(
        !log.contains("unreachable-secret"),
        "the token is never printed"
    );

    let api = chihoi_fakes::telegram::LocalBotApi::start(Default::default())
        .await
        .unwrap();
    let child = serve(api.api_url().as_str(), "123456:revoked-secret");
    let o = tokio::task::block_in_place(|| child.wait_with_output()).unwrap();
    assert!(!o.status.success());
    let log = stderr(&o);
    assert!(
        log.contains("Telegram refused the bot token (TELOXIDE_TOKEN)"),
        "{log}"
    );
    assert!(
        !log.contains("revoked-secret"),
        "the token is never printed"
    );
}

both_backends!(
    zalo_only_serve_with_a_refused_token_exits_with_a_clear_error,
    serve_retries_an_unreachable_telegram_and_stops_on_a_revoked_token,
);
