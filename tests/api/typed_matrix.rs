//! The decisions of the authorization matrix (`authorization.rs`) made as typed text on Zalo:
//! for every role, an alert move and a join approval aimed at her own subtree and at another
//! one, answered with "1" from a list in her chat. An allowed one is confirmed first, naming
//! it, and done on "1"; a refused one is refused at once (never asked about, which would name
//! someone outside her subtree) and changes nothing. The list is planted as the chat's last
//! (the courier only ever shows her what is hers, so this stands for a bug that would not).
//!
//! The matrix's command rows are typed too: each command as text on Zalo, read by the Zalo
//! channel's own parser, allowed or refused for every role as on Telegram.

use std::sync::atomic::{AtomicU64, Ordering};

use chihoi::dialog::{Inbound, Input, Outbound};
use chihoi::domain::role::Role;
use chihoi::storage::choices::{self, ShownChoices};
use chihoi::storage::users;

use crate::authorization::{self, COMMANDS, Expect, FAR_BRANCH, SUBJECTS, head, raise_alert};
use crate::both_backends;
use crate::direct::Desk;
use crate::helpers::*;

const ME: &str = "zalo-subject-9600";

/// (data pattern, allowed [own, far] per column, what "yes" answers).
const DECISIONS: [(&str, [[bool; 2]; 6], &str); 2] = [
    (
        "a:{alert}:ack:open",
        [
            [false, false],
            [false, false],
            [false, false],
            [true, false],
            [true, false],
            [true, true],
        ],
        "Đã cập nhật: Đã nhận",
    ),
    (
        "j:{request}:a",
        [
            [false, false],
            [false, false],
            [true, false],
            [true, false],
            [false, false],
            [false, false],
        ],
        "Đã nhận Người Xin",
    ),
];

static UPDATES: AtomicU64 = AtomicU64::new(1);

/// She types (or sends a command) on Zalo; the texts of her replies, joined.
async fn on_zalo(desk: &Desk, input: Input) -> String {
    let n = UPDATES.fetch_add(1, Ordering::Relaxed);
    let inbound = Inbound {
        update_key: format!("zalo:typed-matrix-{n}"),
        platform: "zalo".into(),
        user_id: ME.into(),
        chat_id: ME.into(),
        display_name: "Chị Chủ Thể".into(),
        language_hint: None,
        text_only: true,
        origin: None,
        input,
    };
    let handled = desk
        .engine
        .handle(&inbound, desk.now)
        .await
        .expect("handled");
    handled
        .ready
        .iter()
        .filter_map(|r| r.body.as_deref())
        .map(|b| serde_json::from_str::<Outbound>(b).unwrap().text)
        .collect::<Vec<_>>()
        .join("\n---\n")
}

async fn fingerprint(desk: &Desk) -> Vec<i64> {
    let mut f = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM urgent_reports WHERE status <> 'open'",
        "SELECT COUNT(*) FROM alert_events",
        "SELECT COUNT(*) FROM join_requests WHERE status <> 'pending'",
        "SELECT COUNT(*) FROM users WHERE role IS NOT NULL",
    ] {
        f.push(desk.count(sql).await);
    }
    f
}

async fn typed_decisions_are_confirmed_when_hers_and_refused_at_once_when_not(backend: Backend) {
    let template = Desk::template(backend).await;
    for (column, (role_name, subject)) in SUBJECTS.iter().enumerate() {
        let desk = Desk::on(TestDb::copy_of(&template).await).await;
        let (mai, lien, cuc, dao) = (9601, 9602, 9603, 9604);
        desk.join(mai, "Phạm Thị Mai", BRANCH, Role::Member).await;
        desk.join(lien, "Mạc Thị Liên", FAR_BRANCH, Role::Member)
            .await;
        desk.send(
            cuc,
            "Người Xin",
            Input::Command {
                name: "start".into(),
                arg: String::new(),
            },
        )
        .await;
        desk.send(
            dao,
            "Người Xa",
            Input::Command {
                name: "start".into(),
                arg: String::new(),
            },
        )
        .await;
        match subject {
            Some((unit, role)) => {
                let code = chihoi::app::create_invite(
                    &desk.store,
                    unit,
                    *role,
                    1,
                    std::time::Duration::from_secs(86400),
                    desk.now,
                )
                .await
                .unwrap();
                let t = on_zalo(&desk, Input::Text(code.code.as_str().to_owned())).await;
                assert!(t.contains("Chào chị"), "{role_name}: {t}");
            }
            None => {
                on_zalo(&desk, Input::Text("xin chào".into())).await;
            }
        }
        let alerts = [
            raise_alert(&desk, mai).await,
            raise_alert(&desk, lien).await,
        ];
        let units = [desk.unit_id(BRANCH).await, desk.unit_id(FAR_BRANCH).await];
        let mut conn = desk.store.acquire().await.unwrap();
        let now = desk.now.timestamp();
        let requests = [
            users::create_join_request(&mut conn, desk.user_id(cuc).await, units[0], now)
                .await
                .unwrap(),
            users::create_join_request(&mut conn, desk.user_id(dao).await, units[1], now)
                .await
                .unwrap(),
        ];
        drop(conn);
        for (pattern, allowed, done) in DECISIONS {
            for side in 0..2 {
                let data = pattern
                    .replace("{alert}", &alerts[side].to_string())
                    .replace("{request}", &requests[side].to_string());
                let cell = format!("{data} ({}) typed by {role_name}", ["own", "far"][side]);
                let mut conn = desk.store.acquire().await.unwrap();
                choices::remember(
                    &mut conn,
                    "zalo",
                    ME,
                    &ShownChoices {
                        items: vec![("Lựa chọn".into(), data.clone())],
                        lettered: false,
                    },
                    desk.now.timestamp(),
                )
                .await
                .unwrap();
                drop(conn);
                let before = fingerprint(&desk).await;
                let asked = on_zalo(&desk, Input::Text("1".into())).await;
                assert_eq!(fingerprint(&desk).await, before, "{cell}: changed unasked");
                if allowed[column][side] {
                    assert!(asked.contains("Chị xác nhận"), "{cell}: {asked}");
                    let t = on_zalo(&desk, Input::Text("1".into())).await;
                    assert!(t.contains(done), "{cell}: {t}");
                    assert_ne!(fingerprint(&desk).await, before, "{cell}: not done");
                } else {
                    assert!(
                        asked.contains("Việc này không thuộc quyền của chị"),
                        "{cell}: {asked}"
                    );
                    assert!(!asked.contains("xác nhận"), "{cell} was asked: {asked}");
                }
                on_zalo(
                    &desk,
                    Input::Command {
                        name: "huy".into(),
                        arg: String::new(),
                    },
                )
                .await;
            }
        }
        desk.close().await;
    }
}

/// She joins on Zalo as the column's role (by typing her invite code), or only says hello.
async fn subject_on_zalo(desk: &Desk, subject: Option<(&str, Role)>, role_name: &str) {
    match subject {
        Some((unit, role)) => {
            let code = chihoi::app::create_invite(
                &desk.store,
                unit,
                role,
                1,
                std::time::Duration::from_secs(86400),
                desk.now,
            )
            .await
            .unwrap();
            let t = on_zalo(desk, Input::Text(code.code.as_str().to_owned())).await;
            assert!(t.contains("Chào chị"), "{role_name}: {t}");
        }
        None => {
            on_zalo(desk, Input::Text("xin chào".into())).await;
        }
    }
}

async fn every_command_typed_on_zalo_is_allowed_or_refused_as_the_matrix_says(backend: Backend) {
    let template = Desk::template(backend).await;
    for (column, (role_name, subject)) in SUBJECTS.iter().enumerate() {
        let desk = Desk::on(TestDb::copy_of(&template).await).await;
        // The matrix's world: an open alert in her branch and one in a far branch.
        let (mai, lien) = (9611, 9612);
        desk.join(mai, "Phạm Thị Mai", BRANCH, Role::Member).await;
        desk.join(lien, "Mạc Thị Liên", FAR_BRANCH, Role::Member)
            .await;
        subject_on_zalo(&desk, *subject, role_name).await;
        raise_alert(&desk, mai).await;
        raise_alert(&desk, lien).await;
        for (command, expected) in COMMANDS {
            // Typed as she types it, and read as the Zalo channel reads it.
            let typed = chihoi::channel::command_or_text(&format!("/{command}"));
            let before = authorization::fingerprint(&desk).await;
            let got = on_zalo(&desk, typed).await;
            let cell = format!("/{command} typed on Zalo by {role_name}");
            let (wanted, refused) = match expected[column] {
                Expect::Says(id) => (head(id), false),
                Expect::RefusedSays(id) => (head(id), true),
                Expect::SaysText(text) => (text.to_owned(), false),
                other => panic!("{cell}: a command row expects a message, not {other:?}"),
            };
            assert!(!wanted.is_empty(), "{cell}: nothing to look for");
            assert!(
                got.contains(&wanted),
                "{cell}: expected {wanted:?}, got {got:?}"
            );
            if refused {
                assert_eq!(
                    authorization::fingerprint(&desk).await,
                    before,
                    "{cell} changed something"
                );
            }
            on_zalo(
                &desk,
                Input::Command {
                    name: "huy".into(),
                    arg: String::new(),
                },
            )
            .await;
        }
        desk.close().await;
    }
}

both_backends!(
    typed_decisions_are_confirmed_when_hers_and_refused_at_once_when_not,
    every_command_typed_on_zalo_is_allowed_or_refused_as_the_matrix_says,
);
