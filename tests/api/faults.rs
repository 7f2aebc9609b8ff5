//! Faults: the database failing under the bot. An update that cannot be committed is not
//! acknowledged; it is given again until it succeeds, and what she typed is not lost.

use std::time::Duration;

use chihoi::domain::role::Role;
use sqlx::Connection;

use crate::both_backends;
use crate::helpers::*;

/// Holds the database so that the bot's next write fails, until the returned guard is dropped.
enum Outage {
    /// SQLite: another connection holds the write lock past the bot's busy timeout.
    Sqlite(sqlx::AnyConnection),
    /// PostgreSQL: a lock makes the bot's write wait, then its connection is killed (as when
    /// the server restarts); the lock is held until the guard is dropped.
    Postgres(sqlx::AnyConnection),
}

impl Outage {
    async fn begin(app: &TestApp) -> Self {
        let mut conn = sqlx::AnyConnection::connect(app.db.url.expose())
            .await
            .unwrap();
        if app.db.url.is_postgres() {
            sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
            sqlx::query("LOCK TABLE processed_updates IN ACCESS EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .unwrap();
            Outage::Postgres(conn)
        } else {
            sqlx::query("BEGIN EXCLUSIVE")
                .execute(&mut conn)
                .await
                .unwrap();
            Outage::Sqlite(conn)
        }
    }

    /// PostgreSQL: waits until the bot is stuck behind the lock, then kills its connection.
    async fn strike(&mut self) {
        let Outage::Postgres(conn) = self else {
            return;
        };
        for _ in 0..200 {
            let (killed,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND wait_event_type = 'Lock') AS k",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            if killed > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the bot never waited on the lock");
    }

    async fn end(self) {
        let (Outage::Sqlite(mut conn) | Outage::Postgres(mut conn)) = self;
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
    }
}

async fn a_note_typed_while_the_database_fails_is_kept_and_handled_once_it_recovers(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(131, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.timeout = Duration::from_secs(60);
    lan.send("/baocao").await.unwrap();
    lan.tap("Ổn định").await.unwrap();

    let seen = lan.inbox().len();
    let mut outage = Outage::begin(&app).await;
    app.api
        .push_text(&lan.user, "Lúa mùa mất giá, bà con lo lắng");
    outage.strike().await;
    // She is told the truth: it will be handled, no need to send it again.
    let sent = app
        .api
        .wait_for_sent(lan.id(), seen + 1, Duration::from_secs(30))
        .await
        .unwrap();
    let apology = &sent[seen];
    assert!(
        text(apology).starts_with("Xin lỗi, bot đang gặp sự cố.")
            && text(apology).contains("không cần gửi lại"),
        "{}",
        text(apology)
    );
    // Still failing a while longer: not acknowledged, not told twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.api.pending_updates().len(), 1, "kept for a retry");
    outage.end().await;

    let r = lan.replies().await.unwrap();
    let t = texts(&r);
    assert_eq!(
        t.matches("không cần gửi lại").count(),
        1,
        "one apology: {t}"
    );
    assert!(t.contains("Phần 2/5"), "the note was taken: {t}");
    let (body,): (String,) = sqlx::query_as("SELECT body FROM report_drafts")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(
        body.matches("Lúa mùa mất giá, bà con lo lắng").count(),
        1,
        "{body}"
    );
    app.shutdown().await;
}

/// An update that fails every time (here: a table the step needs is gone) is set aside after a
/// few tries: she is asked to send it again, and the chats behind it are not held up.
async fn an_update_that_keeps_failing_is_set_aside_and_others_go_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut lan = app
        .joined(132, "Nguyễn Thị Lan", BRANCH, Role::BranchHead)
        .await;
    lan.send("/baocao").await.unwrap();
    sqlx::query("DROP TABLE report_drafts")
        .execute(app.store.pool())
        .await
        .unwrap();
    let r = lan.tap("Ổn định").await.unwrap();
    let t = texts(&r);
    assert_eq!(t.matches("không cần gửi lại").count(), 1, "{t}");
    assert!(
        t.contains("bot chưa xử lý được tin nhắn vừa rồi. Chị vui lòng gửi lại sau ít phút."),
        "{t}"
    );
    assert!(
        app.api.pending_updates().is_empty(),
        "acknowledged once set aside"
    );
    let mut mai = app.person(133, "Phạm Thị Mai");
    let r = mai.send("/start").await.unwrap();
    assert!(texts(&r).contains("trợ lý tự động (bot)"), "{}", texts(&r));
    app.shutdown().await;
}

both_backends!(
    a_note_typed_while_the_database_fails_is_kept_and_handled_once_it_recovers,
    an_update_that_keeps_failing_is_set_aside_and_others_go_on,
);
