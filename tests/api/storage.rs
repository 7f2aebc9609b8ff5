//! The storage seam on both backends, below the dialogs.

use chihoi::domain::invite::InviteCode;
use chihoi::domain::role::Role;
use chihoi::storage::{org, users};

use crate::both_backends;
use crate::helpers::*;

async fn subtrees_and_lineages_follow_the_imported_tree(backend: Backend) {
    let (_db, store) = TestDb::with_sample_province(backend, mid_november()).await;
    let mut conn = store.acquire().await.unwrap();
    let csv = std::str::from_utf8(SAMPLE_ORG).unwrap();
    for root in [PROVINCE, DISTRICT, GRASSROOTS, BRANCH, "TB-TP", "TB-VT"] {
        let unit = org::unit_by_code(&mut conn, root).await.unwrap().unwrap();
        let got: Vec<String> = org::subtree(&mut conn, &unit)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.code)
            .collect();
        // Codes are hierarchical in the sample, so the expected subtree is a prefix match.
        let expected = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .filter(|c| *c == root || c.starts_with(&format!("{root}-")) || root == PROVINCE)
            .count();
        assert_eq!(got.len(), expected, "subtree of {root}: {got:?}");
        assert!(
            got.iter()
                .all(|c| c == root || c.starts_with(&format!("{root}-")) || root == PROVINCE)
        );
    }
    let branch = org::unit_by_code(&mut conn, "TB-DH-DHOP-T1-G2")
        .await
        .unwrap()
        .unwrap();
    let names: Vec<String> = org::lineage(&mut conn, &branch)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.code)
        .collect();
    assert_eq!(
        names,
        [PROVINCE, DISTRICT, GRASSROOTS, BRANCH, "TB-DH-DHOP-T1-G2"]
    );
    drop(conn);
    store.close().await;
}

async fn a_single_use_invite_redeemed_by_two_people_at_once_binds_only_one(backend: Backend) {
    let (_db, store) = TestDb::with_sample_province(backend, mid_november()).await;
    let invite = chihoi::app::create_invite(
        &store,
        BRANCH,
        Role::BranchHead,
        1,
        std::time::Duration::from_secs(3600),
        mid_november(),
    )
    .await
    .unwrap();
    let now = mid_november().timestamp();
    let mut ids = Vec::new();
    for n in 0..8 {
        let mut conn = store.acquire().await.unwrap();
        let pid = format!("{}", 900 + n);
        let who = users::Identity {
            platform: "telegram",
            platform_user_id: &pid,
            chat_id: &pid,
            display_name: "Chị",
            lang: "vi",
        };
        ids.push(users::upsert_user(&mut conn, &who, now).await.unwrap().id);
    }
    let tasks = ids.into_iter().map(|id| {
        let store = store.clone();
        let code = InviteCode::parse(invite.code.as_str()).unwrap();
        tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let r = users::redeem_invite(&mut tx, &code, id, now + 1)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            r.is_ok()
        })
    });
    let wins = futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(wins, 1);
    let (uses,): (i64,) = sqlx::query_as("SELECT uses FROM invites")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(uses, 1);
    store.close().await;
}

/// The deepest units (groups below a branch) have no children: their completeness is one
/// statement like any other's, not a syntax error (found by the property test).
async fn completeness_of_a_unit_at_the_deepest_level_is_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut conn = app.store.acquire().await.unwrap();
    let group = org::unit_by_code(&mut conn, "TB-DH-DHOP-T1-G1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.depth(), org::MAX_DEPTH);
    let period = chihoi::domain::period::Period::new(2026, 11).unwrap();
    let rows = chihoi::storage::views::completeness_by_child_and_level(
        &mut conn,
        &group,
        period,
        app.now().timestamp(),
    )
    .await
    .unwrap();
    // A group is neither a branch nor a grassroots union: nothing is expected of it.
    assert!(rows.is_empty(), "{rows:?}");
    drop(conn);
    app.shutdown().await;
}

/// Subtree statements are planned for their own arguments each time on PostgreSQL (never kept
/// as a prepared statement that may settle on one generic plan); the others stay prepared.
/// On SQLite both run, and read the same.
async fn subtree_statements_are_not_kept_prepared_on_postgres(backend: Backend) {
    use chihoi::storage::sql;
    let (_db, store) = TestDb::with_sample_province(backend, mid_november()).await;
    let mut conn = store.acquire().await.unwrap();
    let kept = "SELECT COUNT(*) FROM units WHERE path >= $1";
    let planned_each_time = "SELECT COUNT(*) FROM units WHERE path >= $1 AND depth >= 0";
    for _ in 0..7 {
        let a: i64 = sql::query_scalar(kept)
            .bind("")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let b: i64 = sql::query_scalar(planned_each_time)
            .bind("")
            .persistent(false)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(a, b);
        assert!(a > 10, "{a}");
    }
    if backend == Backend::Postgres {
        let prepared: Vec<String> =
            sql::query_scalar("SELECT statement FROM pg_prepared_statements")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert!(prepared.iter().any(|s| s == kept), "{prepared:?}");
        assert!(
            !prepared.iter().any(|s| s == planned_each_time),
            "{prepared:?}"
        );
    }
    // The statements of a real view (`/tiendo` of the province, its units and their subtrees),
    // run as often as a busy evening would, on this one session.
    use chihoi::storage::views;
    let province = org::unit_by_code(&mut conn, PROVINCE)
        .await
        .unwrap()
        .unwrap();
    let period: chihoi::domain::period::Period = "2026-11".parse().unwrap();
    for _ in 0..7 {
        let lines = views::completeness_by_child_and_level(&mut conn, &province, period, i64::MAX)
            .await
            .unwrap();
        assert!(!lines.is_empty());
        let by_district = views::completeness_by_depth(&mut conn, &province, 2, period, 0)
            .await
            .unwrap();
        assert!(!by_district.is_empty());
        assert!(org::subtree(&mut conn, &province).await.unwrap().len() > 10);
    }
    if backend == Backend::Postgres {
        let prepared: Vec<String> =
            sql::query_scalar("SELECT statement FROM pg_prepared_statements")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert!(
            prepared
                .iter()
                .any(|s| s.contains("FROM units WHERE code = $1")),
            "the unit's own lookup stays prepared: {prepared:?}"
        );
        let subtree_statements: Vec<&String> = prepared
            .iter()
            .filter(|s| {
                s.contains("LEFT JOIN reports r") || s.contains("WHERE path >= $1 AND path < $2")
            })
            .collect();
        assert!(subtree_statements.is_empty(), "{subtree_statements:?}");
    }
}

/// A sender that takes every message, after a moment, as a platform over HTTP would.
struct Slow;

impl chihoi::delivery::Sender for Slow {
    fn platform(&self) -> &'static str {
        "telegram"
    }
    fn capabilities(&self) -> chihoi::delivery::Capabilities {
        chihoi::delivery::Capabilities {
            buttons: true,
            uploads: true,
            edits: true,
        }
    }
    fn send<'a>(
        &'a self,
        _chat_id: &'a str,
        _message: &'a chihoi::dialog::Outbound,
    ) -> futures::future::BoxFuture<'a, chihoi::delivery::SendOutcome> {
        Box::pin(async {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            chihoi::delivery::SendOutcome::Sent
        })
    }
}

/// Messages sent side by side are recorded as sent several to a statement, each once, and only
/// the courier's own: a row another courier holds is left alone.
async fn messages_sent_side_by_side_are_recorded_together(backend: Backend) {
    use chihoi::delivery::Courier;
    use chihoi::storage::outbox::{self, Kind, NewMessage};
    use chihoi::storage::sql;
    const N: usize = 48;
    let (_db, store) = TestDb::with_sample_province(backend, mid_november()).await;
    let now = mid_november();
    let mut conn = store.acquire().await.unwrap();
    if backend == Backend::Postgres {
        // Counts the statements that set a status on the outbox.
        for ddl in [
            "CREATE TABLE status_statements (n INT)",
            "CREATE FUNCTION count_status() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN INSERT INTO status_statements VALUES (1); RETURN NULL; END $$",
            "CREATE TRIGGER count_status AFTER UPDATE OF status ON outbox
             FOR EACH STATEMENT EXECUTE FUNCTION count_status()",
        ] {
            sql::query(ddl).execute(&mut conn).await.unwrap();
        }
    }
    let mut ids = Vec::new();
    for i in 0..=N {
        let chat = (900_000 + i).to_string();
        let body = serde_json::to_string(&chihoi::dialog::Outbound::text(chat.clone(), "Dạ"));
        let message = NewMessage {
            key: None,
            kind: Kind::Reply,
            platform: "telegram".into(),
            chat_id: chat,
            user_id: None,
            unit_id: None,
            period: None,
            ref_id: None,
            body: Some(body.unwrap()),
            urgent: false,
            not_before: now.timestamp(),
            lease: None,
        };
        let id = outbox::enqueue(&mut conn, &message, now.timestamp()).await;
        ids.push(id.unwrap().unwrap());
    }
    // The last is another courier's.
    let theirs = ids.pop().unwrap();
    outbox::lease_unheld(&mut conn, &[theirs], "other", now.timestamp() + 120)
        .await
        .unwrap();
    let calendars =
        chihoi::domain::calendar::Calendars::new(chrono_tz::Asia::Ho_Chi_Minh, Default::default())
            .unwrap();
    let courier = Courier::builder(
        store.clone(),
        calendars,
        std::sync::Arc::new(move || now),
        "us".into(),
    )
    .sender(
        std::sync::Arc::new(Slow),
        chihoi::config::DeliveryConfig {
            per_second: 1.0e6,
            ..Default::default()
        },
    )
    .build();
    let mut all = ids.clone();
    all.push(theirs);
    let report = courier.deliver_now(Vec::new(), &all).await.unwrap();
    assert_eq!(report.sent, N, "{report:?}");
    let (sent, stamped): (i64, i64) = sql::query_as(
        "SELECT COUNT(*), COUNT(sent_at) FROM outbox WHERE status = 'sent' AND lease_owner IS NULL",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((sent, stamped), (N as i64, N as i64));
    let (status, owner): (String, Option<String>) =
        sql::query_as("SELECT status, lease_owner FROM outbox WHERE id = $1")
            .bind(theirs)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), owner.as_deref()),
        ("pending", Some("other"))
    );
    // Neither another courier's row nor one already sent is marked again.
    let marked = outbox::mark_sent_many(&mut conn, &[theirs, ids[0], ids[1]], "us", 0).await;
    assert_eq!(marked.unwrap(), 0);
    if backend == Backend::Postgres {
        // One each would be 49 (with the check just above); 10 were seen.
        let statements: i64 = sql::query_scalar("SELECT COUNT(*) FROM status_statements")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(
            (1..=N as i64 / 2).contains(&statements),
            "{N} messages recorded in {statements} statements"
        );
        eprintln!("STATEMENTS {statements}");
    }
}

/// A write held back (`defer`) is seen by every later statement of its transaction, goes out
/// once, inside the next statement that may carry it (on PostgreSQL: one statement, one
/// statement time), and not at all if the transaction rolls back.
async fn held_back_writes_go_out_once_with_the_next_statement(backend: Backend) {
    use chihoi::storage::sql;
    let (_db, store) = TestDb::with_sample_province(backend, mid_november()).await;
    let mut conn = store.acquire().await.unwrap();
    let at = match backend {
        // The time of the statement that wrote the row, the same for all its parts.
        Backend::Postgres => "TEXT DEFAULT statement_timestamp()::text",
        Backend::Sqlite => "TEXT",
    };
    sql::query(&format!(
        "CREATE TABLE held (k INT NOT NULL, note TEXT, at {at})"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let one = "INSERT INTO held (k) VALUES ($1)";
    let with_note = "INSERT INTO held (note, k) VALUES ($2, $1)";
    let count = |k: i64| sql::query_scalar::<i64>("SELECT COUNT(*) FROM held WHERE k = $1").bind(k);

    let mut tx = store.begin().await.unwrap();
    sql::query(one).bind(1).defer(&mut tx).await.unwrap();
    // The same statement again: the first goes out on its own before it is held.
    sql::query(one).bind(2).defer(&mut tx).await.unwrap();
    // A later read sees both.
    assert_eq!(count(1).fetch_one(&mut tx).await.unwrap(), 1);
    assert_eq!(count(2).fetch_one(&mut tx).await.unwrap(), 1);
    sql::query(one).bind(3).defer(&mut tx).await.unwrap();
    sql::query(with_note)
        .bind(4)
        .bind("ghi chú")
        .defer(&mut tx)
        .await
        .unwrap();
    let carried: i64 = sql::query_scalar(
        "WITH v AS (SELECT CAST($1 AS INTEGER) AS k) INSERT INTO held (k) SELECT k FROM v RETURNING k",
    )
    .bind(5)
    .carrying()
    .fetch_one(&mut tx)
    .await
    .unwrap();
    assert_eq!(carried, 5);
    sql::query(one).bind(6).defer(&mut tx).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    sql::query(one).bind(7).defer(&mut tx).await.unwrap();
    tx.rollback().await.unwrap();

    for (k, n) in [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 0)] {
        assert_eq!(
            count(k).fetch_one(&mut conn).await.unwrap(),
            n,
            "rows of k = {k}"
        );
    }
    let note: Option<String> = sql::query_scalar("SELECT note FROM held WHERE k = 4")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(note.as_deref(), Some("ghi chú"));
    if backend == Backend::Postgres {
        let times: Vec<(i64, String)> = sql::query_as("SELECT k, at FROM held ORDER BY k")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let time = |k: i64| &times.iter().find(|(j, _)| *j == k).unwrap().1;
        // 3 and 4 went inside 5's statement; 1 and 2 each on its own, 6 before the commit.
        assert_eq!(time(3), time(5));
        assert_eq!(time(4), time(5));
        assert_ne!(time(1), time(2));
        assert_ne!(time(2), time(5));
        assert_ne!(time(6), time(5));
    }
}

/// Seeded activity names are buttons on a phone: short, and named as the plan names them.
async fn seeded_activity_names_fit_a_phone_button(backend: Backend) {
    let (_db, store) = TestDb::with_sample_province(backend, mid_november()).await;
    let mut conn = store.acquire().await.unwrap();
    let names: Vec<(String, String)> = chihoi::storage::sql::query_as(
        "SELECT code, name_vi FROM activity_types ORDER BY position",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(names.len() >= 20, "{names:?}");
    for (code, name) in &names {
        assert!(name.chars().count() <= 44, "{code}: {name}");
    }
    let rural = names
        .iter()
        .find(|(c, _)| c == "new_rural_campaign")
        .unwrap();
    assert!(rural.1.starts_with("Thi đua"), "{}", rural.1);
}

both_backends!(
    seeded_activity_names_fit_a_phone_button,
    held_back_writes_go_out_once_with_the_next_statement,
    messages_sent_side_by_side_are_recorded_together,
    completeness_of_a_unit_at_the_deepest_level_is_read,
    subtree_statements_are_not_kept_prepared_on_postgres,
    subtrees_and_lineages_follow_the_imported_tree,
    a_single_use_invite_redeemed_by_two_people_at_once_binds_only_one,
);
