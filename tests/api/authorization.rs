//! The authorization matrix (issue 10, "Evidence"): every command and every kind of choice
//! that reaches into someone's unit, for every role (none, member, branch head, grassroots
//! officer, district and province admin), aimed at her own subtree and at another one. The
//! expected outcome of each cell is written out below; a refused cell must also change
//! nothing. Removing any permission check in the engine turns some cell red.

use chihoi::dialog::Input;
use chihoi::domain::role::Role;
use chihoi::storage::users;

use crate::both_backends;
use crate::direct::{Desk, Step};
use crate::helpers::*;

/// A branch in another district: outside every subject's subtree but the province admin's.
pub(crate) const FAR_BRANCH: &str = "TB-TP-LHP-T1";

/// Who the subject is, one column of the matrix each.
pub(crate) const SUBJECTS: [(&str, Option<(&str, Role)>); 6] = [
    ("none", None),
    ("member", Some((BRANCH, Role::Member))),
    ("branch_head", Some((BRANCH, Role::BranchHead))),
    (
        "grassroots_officer",
        Some((GRASSROOTS, Role::GrassrootsOfficer)),
    ),
    ("district_admin", Some((DISTRICT, Role::DistrictAdmin))),
    ("province_admin", Some((PROVINCE, Role::ProvinceAdmin))),
];

/// What she gets: a message containing the start of a locale text (up to its first
/// placeable), or a notice on the tap containing it. `Refused*` cells must change nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    Says(&'static str),
    Notice(&'static str),
    RefusedSays(&'static str),
    RefusedNotice(&'static str),
    /// A message containing this very text.
    SaysText(&'static str),
}
use Expect::*;

/// Rows: what she does; columns: none, member, branch head, grassroots officer, district,
/// province. `{own}`/`{far}` are a unit in her subtree (the branch) and one outside it.
pub(crate) const COMMANDS: [(&str, [Expect; 6]); 23] = [
    (
        "baocao",
        [
            RefusedSays("join-how"),
            RefusedSays("report-not-allowed"),
            Says("report-intro"),
            Says("report-intro"),
            RefusedSays("report-not-allowed"),
            RefusedSays("report-not-allowed"),
        ],
    ),
    (
        "hoatdong",
        [
            RefusedSays("join-how"),
            RefusedSays("activity-not-allowed"),
            Says("activity-ask-group"),
            Says("activity-ask-group"),
            RefusedSays("activity-not-allowed"),
            RefusedSays("activity-not-allowed"),
        ],
    ),
    (
        "khancap",
        [
            RefusedSays("join-how"),
            Says("urgent-intro"),
            Says("urgent-intro"),
            Says("urgent-intro"),
            Says("urgent-intro"),
            Says("urgent-intro"),
        ],
    ),
    (
        "ykien",
        [
            RefusedSays("join-how"),
            Says("opinion-ask"),
            Says("opinion-ask"),
            Says("opinion-ask"),
            Says("opinion-ask"),
            Says("opinion-ask"),
        ],
    ),
    (
        "tiendo",
        [
            RefusedSays("view-not-allowed"),
            RefusedSays("view-not-allowed"),
            RefusedSays("view-not-allowed"),
            Says("progress-title"),
            Says("progress-title"),
            Says("progress-title"),
        ],
    ),
    (
        "chitieu",
        [
            RefusedSays("view-not-allowed"),
            RefusedSays("view-not-allowed"),
            RefusedSays("view-not-allowed"),
            Says("targets-title"),
            Says("targets-title"),
            Says("targets-title"),
        ],
    ),
    (
        "xuat",
        [
            RefusedSays("view-not-allowed"),
            RefusedSays("view-not-allowed"),
            RefusedSays("view-not-allowed"),
            Says("export-ask-range"),
            Says("export-ask-range"),
            Says("export-ask-range"),
        ],
    ),
    (
        "canhbao",
        [
            RefusedSays("join-how"),
            RefusedSays("alert-list-not-allowed"),
            RefusedSays("alert-list-not-allowed"),
            Says("alert-list-title"),
            Says("alert-list-title"),
            Says("alert-list-title"),
        ],
    ),
    (
        "trangthai",
        [
            RefusedSays("join-how"),
            RefusedSays("roster-status-no-row"),
            RefusedSays("roster-status-no-row"),
            RefusedSays("roster-status-no-row"),
            RefusedSays("roster-status-no-row"),
            RefusedSays("roster-status-no-row"),
        ],
    ),
    (
        "hoivien",
        [
            RefusedSays("join-how"),
            RefusedSays("members-not-allowed"),
            Says("members-title"),
            Says("roster-title"),
            Says("roster-title"),
            Says("roster-title"),
        ],
    ),
    (
        "moi",
        [
            RefusedSays("join-how"),
            RefusedSays("invite-not-allowed"),
            Says("invite-none"),
            Says("invite-none"),
            Says("invite-none"),
            Says("invite-none"),
        ],
    ),
    (
        "join",
        [
            SaysText("Hội LHPN tỉnh Thái Bình — chọn tiếp"),
            RefusedSays("join-already-joined"),
            RefusedSays("join-already-joined"),
            RefusedSays("join-already-joined"),
            RefusedSays("join-already-joined"),
            RefusedSays("join-already-joined"),
        ],
    ),
    (
        "menu",
        [
            Says("join-how"),
            Says("menu-title"),
            Says("menu-title"),
            Says("menu-title"),
            Says("menu-title"),
            Says("menu-title"),
        ],
    ),
    (
        "thongbao",
        [
            RefusedSays("join-how"),
            Says("announce-home-title"),
            Says("announce-home-title"),
            Says("announce-home-title"),
            Says("announce-home-title"),
            Says("announce-home-title"),
        ],
    ),
    ("trogiup", [Says("help-title"); 6]),
    ("ngonngu", [Says("language-ask"); 6]),
    ("huy", [Says("dialog-cancelled"); 6]),
    (
        "lienket",
        [
            Says("link-enter-code"),
            Says("link-code"),
            Says("link-code"),
            Says("link-code"),
            Says("link-code"),
            Says("link-code"),
        ],
    ),
    ("xoa_het", [RefusedSays("error-unknown-command"); 6]),
    (
        "kiennghi",
        [
            RefusedSays("join-how"),
            RefusedSays("proposals-not-allowed"),
            Says("proposals-head-title"),
            Says("proposals-list-title"),
            Says("proposals-list-title"),
            Says("proposals-list-title"),
        ],
    ),
    (
        "baocaoky",
        [
            RefusedSays("draft-not-allowed"),
            RefusedSays("draft-not-allowed"),
            RefusedSays("draft-not-allowed"),
            Says("draft-ask-range"),
            Says("draft-ask-range"),
            Says("draft-ask-range"),
        ],
    ),
    (
        "laykien",
        [
            RefusedSays("join-how"),
            Says("poll-home-title"),
            Says("poll-home-title"),
            Says("poll-home-title"),
            Says("poll-home-title"),
            Says("poll-home-title"),
        ],
    ),
    (
        "tonghop",
        [
            RefusedSays("synthesis-not-allowed"),
            RefusedSays("synthesis-not-allowed"),
            RefusedSays("synthesis-not-allowed"),
            Says("synthesis-ask-month"),
            Says("synthesis-ask-month"),
            Says("synthesis-ask-month"),
        ],
    ),
];

/// Choices aimed at her own subtree and at another: (data, [own, far] per column).
const CHOICES: [(&str, [[Expect; 2]; 6]); 11] = [
    (
        "v:{unit}:2026-11",
        [
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [Says("progress-title"), RefusedNotice("error-not-yours")],
            [Says("progress-title"), RefusedNotice("error-not-yours")],
            [Says("progress-title"), Says("progress-title")],
        ],
    ),
    (
        "k:{unit}:2026",
        [
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [Says("targets-title"), RefusedNotice("error-not-yours")],
            [Says("targets-title"), RefusedNotice("error-not-yours")],
            [Says("targets-title"), Says("targets-title")],
        ],
    ),
    (
        "g:c:{unit}:2026-11",
        [
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [Notice("chart-coming"), RefusedNotice("error-not-yours")],
            [Notice("chart-coming"), RefusedNotice("error-not-yours")],
            [Notice("chart-coming"), Notice("chart-coming")],
        ],
    ),
    (
        "r:2026-11:{unit}",
        [
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
            [SaysText("🔔"), RefusedNotice("error-not-yours")],
            [SaysText("🔔"), RefusedNotice("error-not-yours")],
            [SaysText("🔔"), SaysText("🔔")],
        ],
    ),
    (
        "a:{alert}:ack",
        [
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
            [Notice("alert-updated"), RefusedNotice("error-not-yours")],
            [Notice("alert-updated"), RefusedNotice("error-not-yours")],
            [Notice("alert-updated"), Notice("alert-updated")],
        ],
    ),
    (
        "j:{request}:a",
        [
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
            [Says("join-you-approved"), RefusedNotice("error-not-yours")],
            [Says("join-you-approved"), RefusedNotice("error-not-yours")],
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
        ],
    ),
    (
        // After /hoivien: pick a member to remove (a step of that dialog).
        "d:{version}:m:{member}",
        [
            [RefusedNotice("error-stale-button"); 2],
            [RefusedNotice("error-stale-button"); 2],
            [
                Says("members-remove-confirm"),
                RefusedNotice("error-not-yours"),
            ],
            // Officers' /hoivien is the roster's counts, where no member is picked.
            [RefusedNotice("error-bad-button"); 2],
            [RefusedNotice("error-bad-button"); 2],
            [RefusedNotice("error-bad-button"); 2],
        ],
    ),
    // The roster (issue 18 §4): a head or officer says which row a joiner is ("0": not on the
    // list, add her); a member sets her own status.
    (
        "ro:{member}:0",
        [
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
            [Says("roster-match-added"), RefusedNotice("error-not-yours")],
            [Says("roster-match-added"), RefusedNotice("error-not-yours")],
            [RefusedNotice("error-not-yours"); 2],
            [RefusedNotice("error-not-yours"); 2],
        ],
    ),
    (
        "rs:away",
        [
            [RefusedSays("roster-status-no-row"); 2],
            [RefusedSays("roster-status-no-row"); 2],
            [RefusedSays("roster-status-no-row"); 2],
            [RefusedSays("roster-status-no-row"); 2],
            [RefusedSays("roster-status-no-row"); 2],
            [RefusedSays("roster-status-no-row"); 2],
        ],
    ),
    // The monthly synthesis (October: the last month whose deadline has passed) and its Word
    // file: queued ("⏳ …", or "⏳ the file you asked for earlier…" once one is waiting).
    (
        "th:{unit}:2026-10",
        [
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [SaysText("⏳"), RefusedNotice("error-not-yours")],
            [SaysText("⏳"), RefusedNotice("error-not-yours")],
            [SaysText("⏳"), SaysText("⏳")],
        ],
    ),
    (
        "tw:{unit}:2026-10",
        [
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [RefusedSays("view-not-allowed"); 2],
            [SaysText("⏳"), RefusedNotice("error-not-yours")],
            [SaysText("⏳"), RefusedNotice("error-not-yours")],
            [SaysText("⏳"), SaysText("⏳")],
        ],
    ),
];

/// The start of a Vietnamese locale text, up to its first placeable, as `locales/vi` has it.
pub(crate) fn head(id: &str) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/locales/vi");
    for file in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(file.unwrap().path()).unwrap();
        for line in source.lines() {
            if let Some(text) = line.strip_prefix(&format!("{id} = ")) {
                return text.split('{').next().unwrap_or("").trim().to_owned();
            }
        }
    }
    panic!("no message {id} in locales/vi")
}

/// What a refused action must not change: everything anyone acts on, and every role, row by
/// row and column by column (a refused step that rewrote a row would change no count).
pub(crate) async fn fingerprint(desk: &Desk) -> Vec<String> {
    let mut f = Vec::new();
    for (table, columns, filter) in [
        (
            "reports",
            "id, unit_id, period, author_id, labour_level, labour_note, living_level, living_note, \
             thoughts_level, thoughts_note, proposals, submitted_at, updated_at, revision",
            "",
        ),
        (
            "roster_members",
            "id, unit_id, name, phone, status, honorary, user_id",
            "",
        ),
        (
            "report_drafts",
            "unit_id, period, body, updated_by, updated_at",
            "",
        ),
        (
            "opinions",
            "id, unit_id, author_id, anonymous, body, period",
            "",
        ),
        (
            "proposals",
            "id, unit_id, status, level, climb_at, body, reply",
            "",
        ),
        (
            "activities",
            "id, unit_id, type_code, happened_on, amount, description, author_id",
            "",
        ),
        (
            "urgent_reports",
            "id, unit_id, status, level, handled_by, description",
            "WHERE status <> 'open'",
        ),
        ("alert_events", "id, alert_id, status, level, by_user", ""),
        (
            "join_requests",
            "id, user_id, unit_id, status, decided_by",
            "WHERE status <> 'pending'",
        ),
        ("users", "id, unit_id, role", "WHERE role IS NOT NULL"),
        (
            "invites",
            "code, unit_id, role, revoked_at",
            "WHERE created_by IS NOT NULL",
        ),
        (
            "outbox",
            "id, kind, chat_id, user_id, unit_id, period",
            "WHERE kind IN ('made', 'reminder', 'notice')",
        ),
    ] {
        let row = columns
            .split(", ")
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '-')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT {row} FROM {table} {filter} ORDER BY 1");
        let rows: Vec<(String,)> = sqlx::query_as(&sql)
            .fetch_all(desk.store.pool())
            .await
            .expect(&sql);
        f.push(format!(
            "{table}: {}",
            rows.into_iter()
                .map(|(r,)| r)
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    f
}

pub(crate) async fn tap_token(desk: &Desk, who: i64, step: &Step, token: &str) -> Step {
    let data = step
        .keyboard_of(who)
        .and_then(|m| {
            m.choices
                .iter()
                .flatten()
                .find(|c| c.data.ends_with(&format!(":{token}")))
        })
        .map(|c| c.data.clone())
        .unwrap_or_else(|| panic!("no {token} for {who}: {step:?}"));
    desk.tap(who, &data).await
}

/// An urgent report raised by `who` (a member): its alert's id.
pub(crate) async fn raise_alert(desk: &Desk, who: i64) -> i64 {
    let mut step = desk.command(who, "khancap", "").await;
    for token in ["f:other", "v:minor", "p:5"] {
        step = tap_token(desk, who, &step, token).await;
    }
    let step = desk.text(who, "Cháy rơm ở đầu làng").await;
    tap_token(desk, who, &step, "send").await;
    desk.count("SELECT MAX(id) FROM urgent_reports").await
}

fn check(cell: &str, step: &Step, who: i64, expect: Expect) {
    let (wanted, in_notice) = match expect {
        Says(id) | RefusedSays(id) => (head(id), false),
        Notice(id) | RefusedNotice(id) => (head(id), true),
        SaysText(text) => (text.to_owned(), false),
    };
    assert!(
        !wanted.is_empty(),
        "{cell}: {expect:?} has no text to look for"
    );
    let got = if in_notice {
        step.handled.notice.clone().unwrap_or_default()
    } else {
        step.text_to(who)
    };
    assert!(
        got.contains(&wanted),
        "{cell}: expected {expect:?} ({wanted:?}), got notice {:?} and text {:?}",
        step.handled.notice,
        step.text_to(who)
    );
}

async fn every_command_and_choice_is_allowed_or_refused_as_the_matrix_says(backend: Backend) {
    let template = Desk::template(backend).await;
    for (column, (role_name, subject)) in SUBJECTS.iter().enumerate() {
        let desk = Desk::on(TestDb::copy_of(&template).await).await;
        let me = 9500;
        // The world she acts on: people and things in her branch and in a far one.
        let (mai, lien, cuc, dao) = (9501, 9502, 9503, 9504);
        desk.join(mai, "Phạm Thị Mai", BRANCH, Role::Member).await;
        desk.join(lien, "Mạc Thị Liên", FAR_BRANCH, Role::Member)
            .await;
        desk.command(cuc, "start", "").await;
        desk.command(dao, "start", "").await;
        match subject {
            Some((unit, role)) => {
                desk.join(me, "Chị Chủ Thể", unit, *role).await;
            }
            None => {
                desk.command(me, "start", "").await;
            }
        }
        let own_alert = raise_alert(&desk, mai).await;
        let far_alert = raise_alert(&desk, lien).await;
        let (own_unit, far_unit) = (desk.unit_id(BRANCH).await, desk.unit_id(FAR_BRANCH).await);
        let mut conn = desk.store.acquire().await.unwrap();
        let now = desk.now.timestamp();
        let own_request =
            users::create_join_request(&mut conn, desk.user_id(cuc).await, own_unit, now)
                .await
                .unwrap();
        let far_request =
            users::create_join_request(&mut conn, desk.user_id(dao).await, far_unit, now)
                .await
                .unwrap();
        drop(conn);
        let (own_member, far_member) = (desk.user_id(mai).await, desk.user_id(lien).await);

        for (command, expected) in COMMANDS {
            let before = fingerprint(&desk).await;
            let step = desk.command(me, command, "").await;
            let cell = format!("/{command} by {role_name}");
            check(&cell, &step, me, expected[column]);
            if matches!(expected[column], RefusedSays(_) | RefusedNotice(_)) {
                assert_eq!(fingerprint(&desk).await, before, "{cell} changed something");
            }
            // Back to no dialog for the next row.
            desk.command(me, "huy", "").await;
        }

        for (pattern, expected) in CHOICES {
            for (side, (unit, alert, request, member)) in [
                (own_unit, own_alert, own_request, own_member),
                (far_unit, far_alert, far_request, far_member),
            ]
            .into_iter()
            .enumerate()
            {
                if pattern.starts_with("d:") {
                    desk.command(me, "hoivien", "").await;
                }
                let version = desk
                    .count(&format!(
                        "SELECT COALESCE(MAX(version), 0) FROM dialog_states WHERE user_id = {}",
                        desk.user_id(me).await
                    ))
                    .await;
                let data = pattern
                    .replace("{unit}", &unit.to_string())
                    .replace("{alert}", &alert.to_string())
                    .replace("{request}", &request.to_string())
                    .replace("{member}", &member.to_string())
                    .replace("{version}", &version.to_string());
                let before = fingerprint(&desk).await;
                let step = desk
                    .send(me, "Chị Chủ Thể", Input::Choice(data.clone()))
                    .await;
                let side_name = ["own", "far"][side];
                let cell = format!("{data} ({side_name}) by {role_name}");
                let expect = expected[column][side];
                check(&cell, &step, me, expect);
                if matches!(expect, RefusedSays(_) | RefusedNotice(_)) {
                    assert_eq!(fingerprint(&desk).await, before, "{cell} changed something");
                }
                desk.command(me, "huy", "").await;
            }
        }
        desk.close().await;
    }
}

both_backends!(every_command_and_choice_is_allowed_or_refused_as_the_matrix_says);
