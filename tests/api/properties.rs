//! A property test of the dialog engine (issue 10, "Evidence"): random sequences of events from
//! twelve people of every role in different subtrees of the sample province — hostile text up
//! to 10,000 characters (emoji, decomposed Vietnamese, control characters), photos where text
//! is expected, every command, forged, copied, stale and doubled choices, redelivered updates,
//! and two branch heads racing on one report — run against the real engine on a real database.
//!
//! After every event: the engine answered (never an error), every message fits Telegram, no
//! choice points outside the recipient's subtree, and no one's typed text reaches someone who
//! may not see it. After every sequence: what is stored is valid and was written by someone
//! entitled to write it.

use chihoi::channel::telegram::split_message;
use chihoi::dialog::{FileData, Inbound, Input, Outbound};
use chihoi::domain::period::Period;
use chihoi::domain::report::{
    MAX_INCIDENTS, MAX_NOTE_CHARS, MAX_PEOPLE, MonthlyReport, ReportDraft,
};
use chihoi::domain::role::Role;
use chihoi::storage::org::{self, Unit};
use chihoi::storage::reports;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use unicode_normalization::is_nfc;

use crate::direct::{Desk, Step};
use crate::helpers::{BRANCH, Backend, DISTRICT, GRASSROOTS, OTHER_BRANCH, PROVINCE, TestDb};

/// Who takes part: Telegram id, name, unit, role (`None`: has not joined).
const PEOPLE: [(i64, &str, Option<(&str, Role)>); 12] = [
    (9001, "Nguyễn Thị Lan", Some((BRANCH, Role::BranchHead))),
    (9002, "Lê Thị Huệ", Some((BRANCH, Role::BranchHead))),
    (9003, "Phạm Thị Mai", Some((BRANCH, Role::Member))),
    (9004, "Trần Thị Hoa", Some((OTHER_BRANCH, Role::BranchHead))),
    (
        9005,
        "Vũ Thị Thu",
        Some((GRASSROOTS, Role::GrassrootsOfficer)),
    ),
    (
        9006,
        "Đỗ Thị Hạnh",
        Some(("TB-DH-DLA", Role::GrassrootsOfficer)),
    ),
    (9007, "Bùi Thị Nga", Some((DISTRICT, Role::DistrictAdmin))),
    (9008, "Hoàng Thị Vân", Some(("TB-TP", Role::DistrictAdmin))),
    (9009, "Ngô Thị Xuân", Some((PROVINCE, Role::ProvinceAdmin))),
    (9010, "Đinh Thị Cúc", None),
    (9011, "Lý Thị Đào", Some(("TB-DH-DHOP-T1-G1", Role::Member))),
    (
        9012,
        "Mạc Thị Liên",
        Some(("TB-TP-LHP-T1", Role::BranchHead)),
    ),
];
/// The two heads of one branch who race on its report.
const RACERS: (usize, usize) = (0, 1);

const COMMAND_NAMES: [&str; 31] = [
    "start", "menu", "join", "canhbao", "alerts", "hoatdong", "activity", "tiendo", "progress",
    "chitieu", "targets", "xuat", "export", "baocao", "khancap", "ykien", "ngonngu", "trogiup",
    "huy", "help", "report", "urgent", "opinion", "language", "cancel", "lienket", "link",
    "hoivien", "members", "xoa_het", "START",
];

/// Dialog tokens worth forging with a current version (each a step of some flow).
const TOKENS: [&str; 24] = [
    "submit",
    "correct",
    "restart",
    "continue",
    "s:serious",
    "skip",
    "none",
    "add",
    "del:0",
    "del:99",
    "edit:labour",
    "named",
    "anon",
    "send",
    "f:csv",
    "f:xlsx",
    "x:2026",
    "rm",
    "back",
    "lang:en",
    "save",
    "done",
    "pg:18446744073709551615",
    "cancel",
];

/// Choices that carry a flow to its end, most wanted first (`a|b`: either); a token is what
/// follows `d:<version>:` in a step's data, or the whole data of any other choice.
const PATHS: [&str; 26] = [
    "submit",
    "send",
    "req",
    "named|anon",
    "rm",
    "save",
    "done",
    "f:csv|f:xlsx",
    "restart",
    "j:",
    "a:",
    "s:",
    "f:",
    "v:",
    "p:",
    "none|add",
    "next",
    "keep",
    "skip",
    "g:",
    "t:",
    "d:",
    "x:",
    "u:",
    "m:",
    "continue",
];

/// The flows a person may set out on (commands).
const FLOWS: [&str; 10] = [
    "baocao", "khancap", "ykien", "hoatdong", "join", "hoivien", "xuat", "canhbao", "tiendo",
    "chitieu",
];

#[derive(Debug, Clone)]
enum Action {
    Text {
        who: usize,
        canary: bool,
        body: String,
    },
    Command {
        who: usize,
        name: usize,
        arg: String,
    },
    Photo {
        who: usize,
        size: Option<i64>,
    },
    Unsupported {
        who: usize,
    },
    /// A choice of her latest keyboard (`goal`: one that carries her flow on).
    Tap {
        who: usize,
        pick: usize,
        goal: bool,
    },
    /// She starts a flow and follows it to its end, typing `typed` where text is asked for
    /// (`typing`: even where the step could be skipped).
    Flow {
        who: usize,
        flow: usize,
        pick: usize,
        typing: bool,
        typed: Vec<String>,
    },
    /// A choice of one of her older keyboards.
    TapOld {
        who: usize,
        back: usize,
        pick: usize,
    },
    /// Data copied from someone else's latest keyboard.
    TapOthers {
        who: usize,
        whose: usize,
        pick: usize,
    },
    /// Made-up data, in the shapes the engine knows, pointing anywhere.
    Forged {
        who: usize,
        shape: usize,
        target: usize,
        n: i64,
    },
    /// Anything at all as callback data.
    Garbage {
        who: usize,
        data: String,
    },
    /// Her latest choice tapped twice before the first is answered.
    DoubleTap {
        who: usize,
        pick: usize,
    },
    /// Her last update delivered again.
    Redeliver {
        who: usize,
    },
    /// She blocks the bot.
    Block {
        who: usize,
    },
    /// Both heads of one branch tap at once (each her own latest choice).
    Race {
        pick: usize,
    },
}

fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 .,!?]{1,24}",
        2 => "[0-9]{1,7}",
        1 => "[0-3]?[0-9]/1[0-2](/20[0-9]{2})?",
        2 => prop::sample::select(vec![
            "Ổn định", "Bỏ qua", "phụ nữ", "Chợ thiếu chỗ để xe", "cảm ơn", "menu", "1", "2",
            "=HYPERLINK(\"x\")", "<b>đậm</b>", "@everyone", "/baocao", "ABCD-EFGH",
            "https://t.me/bot?start=XYZ",
        ])
        .prop_map(str::to_owned),
        // Unikey "Unicode tổ hợp": decomposed Vietnamese.
        1 => Just("Phu\u{31b}\u{323} nu\u{31b}\u{303} Vie\u{302}\u{323}t Nam".to_owned()),
        2 => prop::sample::select(vec!["🌾", "👩‍👩‍👧", "🇻🇳", "🙂", "🚨", "\u{1F9D5}\u{1F3FD}"])
            .prop_map(str::to_owned),
        1 => "[\u{300}-\u{36f}]{1,6}",
        1 => "[\u{0}-\u{1f}\u{7f}\u{200b}\u{200e}\u{202e}\u{feff}\u{fffd}]{1,4}",
        1 => "[ \t\n\r]{1,6}",
        1 => (prop::sample::select(vec!["x", "ệ", "🌾", "ab\n"]), 1..10_000usize)
            .prop_map(|(s, n)| s.repeat(n)),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| {
        let text: String = pieces.concat();
        text.chars().take(10_000).collect()
    })
}

fn action() -> impl Strategy<Value = Action> {
    let who = 0..PEOPLE.len();
    prop_oneof![
        6 => (who.clone(), prop::bool::weighted(0.5), hostile_text())
            .prop_map(|(who, canary, body)| Action::Text { who, canary, body }),
        5 => (who.clone(), 0..COMMAND_NAMES.len(), prop_oneof![
                3 => Just(String::new()),
                1 => "[0-9]{1,2}/20[0-9]{2}",
                1 => "[A-Za-z0-9]{1,12}",
                1 => hostile_text(),
            ])
            .prop_map(|(who, name, arg)| Action::Command { who, name, arg }),
        1 => (who.clone(), prop::option::of(prop_oneof![0..20_000_000i64, Just(i64::MAX)]))
            .prop_map(|(who, size)| Action::Photo { who, size }),
        1 => who.clone().prop_map(|who| Action::Unsupported { who }),
        14 => (who.clone(), 0..64usize, prop::bool::weighted(0.6))
            .prop_map(|(who, pick, goal)| Action::Tap { who, pick, goal }),
        2 => (who.clone(), 1..6usize, 0..64usize)
            .prop_map(|(who, back, pick)| Action::TapOld { who, back, pick }),
        3 => (who.clone(), who.clone(), 0..64usize)
            .prop_map(|(who, whose, pick)| Action::TapOthers { who, whose, pick }),
        4 => (who.clone(), 0..14usize, 0..64usize, -2..40i64)
            .prop_map(|(who, shape, target, n)| Action::Forged { who, shape, target, n }),
        1 => (who.clone(), "\\PC{0,80}").prop_map(|(who, data)| Action::Garbage { who, data }),
        2 => (who.clone(), 0..64usize).prop_map(|(who, pick)| Action::DoubleTap { who, pick }),
        1 => who.clone().prop_map(|who| Action::Redeliver { who }),
        1 => who.clone().prop_map(|who| Action::Block { who }),
        2 => (0..64usize).prop_map(|pick| Action::Race { pick }),
        8 => (
            who,
            0..FLOWS.len(),
            0..64usize,
            prop::bool::ANY,
            prop::collection::vec(hostile_text(), 0..4)
        )
            .prop_map(|(who, flow, pick, typing, typed)| Action::Flow {
                who,
                flow,
                pick,
                typing,
                typed
            }),
    ]
}

/// Someone's text, marked so that it can be followed wherever the bot shows it.
struct Canary {
    mark: String,
    author: usize,
    /// Her unit when she typed it.
    unit: Option<i64>,
}

/// Membership of everyone, as the database has it now.
type Roles = Vec<Option<(i64, Role)>>;

/// One run: the desk, the people's engine ids, units, what each was shown, and the canaries.
struct World {
    desk: Desk,
    user_ids: Vec<i64>,
    units: Vec<Unit>,
    keyboards: Vec<Vec<Vec<String>>>,
    /// The choices of the latest message to each (empty when it had none).
    latest: Vec<Vec<String>>,
    /// Whether that list was lettered (a, b…) rather than numbered, as Zalo shows it.
    lettered: Vec<bool>,
    /// Everyone is on Zalo: choices are typed ([`World::choose`]).
    zalo: bool,
    last: Vec<Option<Inbound>>,
    canaries: Vec<Canary>,
    roles: Roles,
}

fn fail(what: String) -> TestCaseError {
    TestCaseError::fail(what)
}

impl World {
    async fn new(template: &TestDb, zalo: bool) -> Self {
        let db = TestDb::copy_of(template).await;
        let desk = match zalo {
            true => Desk::on_zalo(db).await,
            false => Desk::on(db).await,
        };
        let mut conn = desk.store.acquire().await.unwrap();
        let units = org::all_units(&mut conn).await.unwrap();
        drop(conn);
        for (id, name, joined) in PEOPLE {
            match joined {
                Some((unit, role)) => {
                    desk.join(id, name, unit, role).await;
                }
                None => {
                    desk.command(id, "start", "").await;
                }
            }
        }
        let mut user_ids = Vec::new();
        for (id, _, _) in PEOPLE {
            user_ids.push(desk.user_id(id).await);
        }
        let mut world = Self {
            desk,
            user_ids,
            units,
            keyboards: vec![Vec::new(); PEOPLE.len()],
            latest: vec![Vec::new(); PEOPLE.len()],
            lettered: vec![false; PEOPLE.len()],
            zalo,
            last: vec![None; PEOPLE.len()],
            canaries: Vec::new(),
            roles: Vec::new(),
        };
        world.roles = world.load_roles().await;
        // Typed text already stored before the events begin, so that every view and export
        // made during them has someone's words to leak: Mai's signed opinion in her branch.
        let (mai, name, _) = PEOPLE[2];
        world.desk.command(mai, "ykien", "").await;
        let opinion = world.mark(2, "Chợ thiếu chỗ để xe");
        world.desk.text(mai, &opinion).await;
        let signed = world.desk.tap(mai, "d:3:named").await;
        assert!(
            signed.text_to(mai).contains("Đã gửi ý kiến"),
            "{name}: {signed:?}"
        );
        world
    }

    async fn load_roles(&self) -> Roles {
        let mut roles = Vec::new();
        for id in &self.user_ids {
            let (unit, role): (Option<i64>, Option<String>) =
                sqlx::query_as("SELECT unit_id, role FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_one(self.desk.store.pool())
                    .await
                    .unwrap();
            roles.push(unit.zip(role.and_then(|r| r.parse().ok())));
        }
        roles
    }

    fn unit(&self, id: i64) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    fn within(&self, inner: i64, outer: i64) -> bool {
        match (self.unit(inner), self.unit(outer)) {
            (Some(i), Some(o)) => i.is_within(o),
            _ => false,
        }
    }

    fn person_of_chat(&self, chat: &str) -> Option<usize> {
        PEOPLE.iter().position(|(id, _, _)| id.to_string() == chat)
    }

    fn data_at(&self, who: usize, back: usize, pick: usize) -> Option<String> {
        let boards = &self.keyboards[who];
        let board = boards.get(boards.len().checked_sub(1 + back)?)?;
        board.get(pick % board.len().max(1)).cloned()
    }

    /// The choice of her latest message that carries her flow on (see [`PATHS`]).
    fn goal_data(&self, who: usize, pick: usize, typing: bool) -> Option<String> {
        let token = |d: &str| -> String {
            match d.strip_prefix("d:").and_then(|r| r.split_once(':')) {
                Some((_, token)) => token.to_owned(),
                None => d.to_owned(),
            }
        };
        PATHS.iter().find_map(|path| {
            if typing && *path == "skip" {
                return None;
            }
            let wanted: Vec<&String> = self.latest[who]
                .iter()
                .filter(|d| path.split('|').any(|p| token(d).starts_with(p)))
                .collect();
            (!wanted.is_empty()).then(|| wanted[pick % wanted.len()].clone())
        })
    }

    /// The version of her current dialog step, as her latest keyboard shows it.
    fn version(&self, who: usize) -> i64 {
        self.keyboards[who]
            .iter()
            .rev()
            .flatten()
            .find_map(|d| d.strip_prefix("d:")?.split(':').next()?.parse().ok())
            .unwrap_or(0)
    }

    fn forged(&self, who: usize, shape: usize, target: usize, n: i64) -> String {
        let unit = self.units[target % self.units.len()].id;
        let user = self.user_ids[target % self.user_ids.len()];
        let v = self.version(who);
        match shape {
            0 => format!("v:{unit}:2026-11"),
            1 => format!("k:{unit}:2026"),
            2 => format!("g:c:{unit}:2026-11"),
            3 => format!("g:t:{unit}:2026"),
            4 => format!("r:2026-11:{unit}"),
            5 => format!("r:20{}-11", 26 + n),
            6 => format!("a:{n}:{}", ["ack", "prog", "done"][target % 3]),
            7 => format!("j:{n}:{}", ["a", "r"][target % 2]),
            8 => format!("d:{v}:m:{user}"),
            9 => format!("d:{v}:u:{unit}"),
            10 => format!("d:{}:{}", v + n % 3 - 1, TOKENS[target % TOKENS.len()]),
            11 => format!("p:2026-{:02}", 1 + n.rem_euclid(12)),
            12 => format!("c:{}", COMMAND_NAMES[target % COMMAND_NAMES.len()]),
            _ => format!("d:{v}:{}", TOKENS[target % TOKENS.len()]),
        }
    }

    async fn run(&mut self, action: &Action) -> Result<(), TestCaseError> {
        let person = |who: usize| (PEOPLE[who].0, PEOPLE[who].1);
        match action {
            Action::Text { who, canary, body } => {
                let body = if *canary {
                    self.mark(*who, body)
                } else {
                    body.clone()
                };
                self.event(*who, Input::Text(body)).await
            }
            Action::Command { who, name, arg } => {
                let input = Input::Command {
                    name: COMMAND_NAMES[*name].to_owned(),
                    arg: arg.clone(),
                };
                self.event(*who, input).await
            }
            Action::Photo { who, size } => {
                let input = Input::Photo {
                    file_id: format!("photo-{who}-{}", size.unwrap_or(0)),
                    size: *size,
                };
                self.event(*who, input).await
            }
            Action::Unsupported { who } => self.event(*who, Input::Unsupported).await,
            Action::Tap { who, pick, goal } => {
                let data = goal
                    .then(|| self.goal_data(*who, *pick, false))
                    .flatten()
                    .or_else(|| self.data_at(*who, 0, *pick));
                match data {
                    Some(data) => self.event(*who, self.choose(*who, data)).await,
                    None => Ok(()),
                }
            }
            Action::TapOld { who, back, pick } => match self.data_at(*who, *back, *pick) {
                Some(data) => self.event(*who, self.choose(*who, data)).await,
                None => Ok(()),
            },
            Action::TapOthers { who, whose, pick } => match self.data_at(*whose, 0, *pick) {
                Some(data) => self.event(*who, self.choose(*who, data)).await,
                None => Ok(()),
            },
            Action::Forged {
                who,
                shape,
                target,
                n,
            } => {
                let data = self.forged(*who, *shape, *target, *n);
                self.event(*who, self.choose(*who, data)).await
            }
            Action::Garbage { who, data } => {
                self.event(*who, self.choose(*who, data.clone())).await
            }
            Action::DoubleTap { who, pick } => {
                let Some(data) = self.data_at(*who, 0, *pick) else {
                    return Ok(());
                };
                let (id, name) = person(*who);
                let first = self.desk.inbound(id, name, self.choose(*who, data.clone()));
                let second = self.desk.inbound(id, name, self.choose(*who, data));
                // Both arrive before either is answered: the second sees the first's state.
                let a = self.handle(*who, &first).await?;
                let b = self.handle(*who, &second).await?;
                self.observe(&a).await?;
                self.observe(&b).await
            }
            Action::Redeliver { who } => {
                let Some(inbound) = self.last[*who].clone() else {
                    return Ok(());
                };
                let step = self.handle(*who, &inbound).await?;
                if !step.handled.duplicate || !step.sent.is_empty() {
                    return Err(fail(format!(
                        "a redelivered update was handled again: {step:?}"
                    )));
                }
                Ok(())
            }
            Action::Block { who } => self.event(*who, Input::Blocked).await,
            Action::Race { pick } => {
                let (a, b) = RACERS;
                let data = |who| {
                    self.goal_data(who, *pick, false)
                        .or_else(|| self.data_at(who, 0, *pick))
                };
                let (Some(da), Some(db)) = (data(a), data(b)) else {
                    return Ok(());
                };
                let ia = self
                    .desk
                    .inbound(person(a).0, person(a).1, self.choose(a, da));
                let ib = self
                    .desk
                    .inbound(person(b).0, person(b).1, self.choose(b, db));
                let (ra, rb) = tokio::join!(self.desk.engine.handle(&ia, self.desk.now), async {
                    self.desk.engine.handle(&ib, self.desk.now).await
                });
                // A transaction that lost the race is retried by the channel, as here.
                for (who, inbound, result) in [(a, &ia, ra), (b, &ib, rb)] {
                    let step = match result {
                        Ok(h) => self.desk.deliver(h).await,
                        Err(_) => self.handle(who, inbound).await?,
                    };
                    self.last[who] = Some(inbound.clone());
                    self.observe(&step).await?;
                }
                Ok(())
            }
            Action::Flow {
                who,
                flow,
                pick,
                typing,
                typed,
            } => {
                let start = Input::Command {
                    name: FLOWS[*flow].to_owned(),
                    arg: String::new(),
                };
                self.event(*who, start).await?;
                let mut typed = typed.clone();
                for _ in 0..16 {
                    let typing = *typing && !typed.is_empty();
                    if let Some(data) = self.goal_data(*who, *pick, typing) {
                        self.event(*who, self.choose(*who, data)).await?;
                    } else if let Some(text) = typed.pop() {
                        let text = self.mark(*who, &text);
                        self.event(*who, Input::Text(text)).await?;
                    } else {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    /// What she sends to make the choice `data`: the data itself on Telegram. On Zalo what she
    /// types for it: its number (or letter) in the latest list she was shown, else in an older
    /// one of hers; for a choice she was never shown (someone else's, a forged one, garbage),
    /// a number she might type anyway.
    fn choose(&self, who: usize, data: String) -> Input {
        if !self.zalo {
            return Input::Choice(data);
        }
        let (at, lettered) = match self.latest[who].iter().position(|d| *d == data) {
            Some(at) => (at, self.lettered[who]),
            None => {
                let older = self.keyboards[who]
                    .iter()
                    .rev()
                    .find_map(|board| board.iter().position(|d| *d == data));
                let made_up = data.bytes().map(usize::from).sum::<usize>() % 12;
                (older.unwrap_or(made_up), false)
            }
        };
        Input::Text(match lettered {
            true => char::from(b'a' + (at % 26) as u8).to_string(),
            false => (at + 1).to_string(),
        })
    }

    /// Her text with a mark of its own at the front, to follow it wherever it goes.
    fn mark(&mut self, who: usize, body: &str) -> String {
        let mark = format!("ZQ{who}X{}QZ", self.canaries.len());
        self.canaries.push(Canary {
            mark: mark.clone(),
            author: who,
            unit: self.roles[who].map(|(u, _)| u),
        });
        format!("{mark} {body}")
    }

    async fn event(&mut self, who: usize, input: Input) -> Result<(), TestCaseError> {
        let (id, name, _) = PEOPLE[who];
        let blocked = input == Input::Blocked;
        let inbound = self.desk.inbound(id, name, input);
        let step = self.handle(who, &inbound).await?;
        // She is answered: a message to her chat, or a notice on the button she tapped. (A
        // person who blocked the bot is not.)
        let answered =
            step.handled.notice.is_some() || step.sent.iter().any(|s| s.chat_id == id.to_string());
        if !blocked && !answered {
            return Err(fail(format!(
                "{name} got no answer to {:?}: {step:?}",
                inbound.input
            )));
        }
        self.last[who] = Some(inbound);
        self.observe(&step).await
    }

    /// The engine must answer every event: an error is what she would see as an apology.
    async fn handle(&self, who: usize, inbound: &Inbound) -> Result<Step, TestCaseError> {
        self.desk.handle(inbound).await.map_err(|e| {
            fail(format!(
                "{} got an error for {:?}: {:#}",
                PEOPLE[who].1,
                inbound.input,
                anyhow::Error::from(e)
            ))
        })
    }

    /// Checks what one event sent, and remembers the keyboards shown.
    async fn observe(&mut self, step: &Step) -> Result<(), TestCaseError> {
        if let Some(notice) = &step.handled.notice {
            // answerCallbackQuery takes 0–200 characters.
            prop_assert!(notice.chars().count() <= 200, "notice too long: {notice}");
            prop_assert!(!notice.trim().is_empty(), "empty notice");
        }
        self.roles = self.load_roles().await;
        for sent in &step.sent {
            let Some(to) = self.person_of_chat(&sent.chat_id) else {
                return Err(fail(format!("a message to a stranger: {sent:?}")));
            };
            self.check_limits(&sent.message)?;
            self.check_scope(to, &sent.message).await?;
            self.check_canaries(to, &sent.message)?;
            let board: Vec<String> = sent
                .message
                .choices
                .iter()
                .flatten()
                .map(|c| c.data.clone())
                .collect();
            if !board.is_empty() {
                self.keyboards[to].push(board.clone());
            }
            self.latest[to] = board;
            self.lettered[to] = sent.message.lettered;
        }
        Ok(())
    }

    fn check_limits(&self, m: &Outbound) -> Result<(), TestCaseError> {
        prop_assert!(
            !m.text.trim().is_empty() || m.attachment.is_some(),
            "an empty message: {m:?}"
        );
        // The delivery layer splits long texts; every part must fit and none may be lost.
        let parts = split_message(&m.text);
        prop_assert_eq!(parts.concat(), m.text.clone());
        for part in &parts {
            prop_assert!(part.encode_utf16().count() <= 4096, "part too long");
        }
        let buttons: usize = m.choices.iter().map(Vec::len).sum();
        prop_assert!(buttons <= 100, "{buttons} buttons");
        for row in &m.choices {
            prop_assert!(!row.is_empty() && row.len() <= 8, "a row of {}", row.len());
            for c in row {
                prop_assert!(
                    !c.data.is_empty() && c.data.len() <= 64,
                    "callback data of {} bytes: {:?}",
                    c.data.len(),
                    c.data
                );
                prop_assert!(!c.label.trim().is_empty(), "a button without a label");
            }
        }
        Ok(())
    }

    /// No choice she is shown points outside what she may see or act on.
    async fn check_scope(&self, to: usize, m: &Outbound) -> Result<(), TestCaseError> {
        let mine = self.roles[to];
        let officer = |mine: Option<(i64, Role)>| {
            mine.filter(|(_, r)| {
                matches!(
                    r,
                    Role::GrassrootsOfficer | Role::DistrictAdmin | Role::ProvinceAdmin
                )
            })
        };
        let in_view = |unit: Option<&str>| -> bool {
            let Some((root, _)) = officer(mine) else {
                return false;
            };
            unit.and_then(|u| u.parse().ok())
                .is_some_and(|u| self.within(u, root))
        };
        let mut shows_view = false;
        for c in m.choices.iter().flatten() {
            let parts: Vec<&str> = c.data.split(':').collect();
            let ok = match parts.as_slice() {
                ["v", u, _] | ["k", u, _] | ["g", "c" | "t", u, _] | ["r", _, u] => {
                    shows_view = true;
                    in_view(Some(u))
                }
                ["r", _] => officer(mine).is_some(),
                ["a", id, _] => {
                    let unit: Option<(i64,)> =
                        sqlx::query_as("SELECT unit_id FROM urgent_reports WHERE id = $1")
                            .bind(id.parse::<i64>().unwrap_or(-1))
                            .fetch_optional(self.desk.store.pool())
                            .await
                            .unwrap();
                    unit.is_some_and(|(u,)| in_view(Some(&u.to_string())))
                }
                ["j", id, _] => {
                    let unit: Option<(i64,)> =
                        sqlx::query_as("SELECT unit_id FROM join_requests WHERE id = $1")
                            .bind(id.parse::<i64>().unwrap_or(-1))
                            .fetch_optional(self.desk.store.pool())
                            .await
                            .unwrap();
                    match (unit, mine) {
                        (Some((u,)), Some((at, Role::BranchHead))) => u == at,
                        (Some((u,)), Some((at, Role::GrassrootsOfficer))) => self.within(u, at),
                        _ => false,
                    }
                }
                ["p", _] => mine.is_some_and(|(_, r)| r.files_monthly_report()),
                // The month of the synthesis (`/tonghop`), for officers and admins.
                ["d", _, "m", month] if month.contains('-') => mine.is_some_and(|(_, r)| {
                    matches!(
                        r,
                        Role::GrassrootsOfficer | Role::DistrictAdmin | Role::ProvinceAdmin
                    )
                }),
                ["d", _, "m", id] => {
                    let target = self
                        .user_ids
                        .iter()
                        .position(|u| u.to_string() == *id)
                        .and_then(|i| self.roles[i]);
                    match (mine, target) {
                        (Some((at, mine)), Some((theirs_at, theirs))) => {
                            mine == Role::BranchHead
                                && mine.outranks(theirs)
                                && self.within(theirs_at, at)
                        }
                        _ => false,
                    }
                }
                _ => true,
            };
            prop_assert!(
                ok,
                "{} ({:?}) was shown {:?}: {}",
                PEOPLE[to].1,
                mine,
                c.data,
                m.text
            );
        }
        if shows_view && let Some((root, _)) = officer(mine) {
            // A view names only units of her subtree, and those above her.
            let allowed: Vec<&Unit> = self
                .units
                .iter()
                .filter(|u| self.within(u.id, root) || self.within(root, u.id))
                .collect();
            for u in &self.units {
                let hidden = !allowed.iter().any(|a| a.name.contains(&u.name));
                prop_assert!(
                    !(hidden && m.text.contains(&u.name)),
                    "{} saw {} in a view: {}",
                    PEOPLE[to].1,
                    u.name,
                    m.text
                );
            }
        }
        Ok(())
    }

    /// Her typed text reaches only herself and the heads and officers at or above her unit.
    fn check_canaries(&self, to: usize, m: &Outbound) -> Result<(), TestCaseError> {
        let file = match &m.attachment {
            Some(a) => file_text(a)?,
            None => String::new(),
        };
        for c in &self.canaries {
            if file.contains(&c.mark) {
                MARKS_IN_FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if !m.text.contains(&c.mark) && !file.contains(&c.mark) {
                continue;
            }
            let may = to == c.author
                || match (self.roles[to], c.unit) {
                    (Some((at, role)), Some(unit)) => {
                        role >= Role::BranchHead && self.within(unit, at)
                    }
                    _ => false,
                };
            prop_assert!(
                may,
                "{} ({:?}) saw what {} typed: {}",
                PEOPLE[to].1,
                self.roles[to],
                PEOPLE[c.author].1,
                m.text
            );
        }
        Ok(())
    }

    /// What is stored is valid, and was written by someone entitled to.
    async fn check_store(&self) -> Result<(), TestCaseError> {
        let pool = self.desk.store.pool();
        let person = |id: i64| self.user_ids.iter().position(|u| *u == id);
        let initial = |who: usize| -> Option<(i64, Role)> {
            let (unit, role) = PEOPLE[who].2?;
            let unit = self.units.iter().find(|u| u.code == unit)?.id;
            Some((unit, role))
        };
        // Roles: heads and officers keep theirs; members may lose theirs; a newcomer joins as
        // a member at most.
        for (who, now) in self.roles.iter().enumerate() {
            match initial(who) {
                Some((_, Role::Member)) => {
                    prop_assert!(now.is_none() || *now == initial(who), "{who}: {now:?}")
                }
                Some(was) => prop_assert_eq!(*now, Some(was)),
                None => prop_assert!(now.is_none_or(|(_, r)| r == Role::Member), "{now:?}"),
            }
        }
        let current = Period::containing(self.desk.now, chrono_tz::Asia::Ho_Chi_Minh);
        let files_for = |author: i64, unit: i64| {
            person(author)
                .and_then(initial)
                .is_some_and(|(at, role)| at == unit && role.files_monthly_report())
        };
        let rows: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT unit_id, period, author_id FROM reports")
                .fetch_all(pool)
                .await
                .unwrap();
        let mut conn = self.desk.store.acquire().await.unwrap();
        for (unit, period, author) in rows {
            prop_assert!(files_for(author, unit), "report of {unit} by {author}");
            let period: Period = period.parse().unwrap();
            prop_assert!(period <= current);
            let stored = reports::load_report(&mut conn, unit, period)
                .await
                .map_err(|e| fail(format!("report unreadable: {e}")))?
                .unwrap();
            prop_assert!(stored.revision >= 1);
            check_report(&stored.report)?;
        }
        let rows: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT unit_id, period, updated_by FROM report_drafts")
                .fetch_all(pool)
                .await
                .unwrap();
        for (unit, period, by) in rows {
            prop_assert!(files_for(by, unit), "draft of {unit} by {by}");
            let draft = reports::load_draft(&mut conn, unit, period.parse().unwrap())
                .await
                .map_err(|e| fail(format!("draft unreadable: {e}")))?
                .unwrap();
            check_draft(&draft)?;
        }
        let rows: Vec<(i64, Option<i64>, i64, String)> =
            sqlx::query_as("SELECT unit_id, author_id, anonymous, body FROM opinions")
                .fetch_all(pool)
                .await
                .unwrap();
        for (unit, author, anonymous, body) in rows {
            // An anonymous opinion keeps no author; a named one keeps hers.
            prop_assert_eq!(author.is_none(), anonymous != 0);
            if let Some(author) = author {
                let at = person(author).and_then(initial).map(|(u, _)| u);
                // Her branch: her unit, or the branch above her group.
                prop_assert!(
                    at.is_some_and(|at| self.within(at, unit)),
                    "opinion of {author} in {unit}"
                );
            }
            check_text(&body, MAX_NOTE_CHARS)?;
        }
        let rows: Vec<(i64, i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT unit_id, author_id, description, \
             (SELECT COUNT(*) FROM activity_photos p WHERE p.activity_id = a.id) FROM activities a",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for (unit, author, description, photos) in rows {
            prop_assert!(files_for(author, unit), "activity of {unit} by {author}");
            if let Some(d) = description {
                check_text(&d, 500)?;
            }
            prop_assert!(photos <= 5);
        }
        let rows: Vec<(i64, i64, i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT unit_id, reporter_id, people, description, handled_by FROM urgent_reports",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for (unit, reporter, people, description, handled_by) in rows {
            let at = person(reporter).and_then(initial).map(|(u, _)| u);
            prop_assert_eq!(at, Some(unit), "urgent report of {} in {}", reporter, unit);
            prop_assert!((0..=i64::from(MAX_PEOPLE)).contains(&people));
            check_text(&description, MAX_NOTE_CHARS)?;
            if let Some(by) = handled_by {
                prop_assert!(by != reporter, "she moved her own alert");
                let officer = person(by).and_then(initial);
                prop_assert!(
                    officer.is_some_and(
                        |(at, r)| r >= Role::GrassrootsOfficer && self.within(unit, at)
                    ),
                    "alert of {unit} moved by {by}"
                );
            }
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT j.unit_id, j.decided_by FROM join_requests j WHERE j.decided_by IS NOT NULL",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for (unit, by) in rows {
            let ok = match person(by).and_then(initial) {
                Some((at, Role::BranchHead)) => at == unit,
                Some((at, Role::GrassrootsOfficer)) => self.within(unit, at),
                _ => false,
            };
            prop_assert!(ok, "join request for {unit} decided by {by}");
        }
        Ok(())
    }
}

/// Files whose text [`file_text`] read (for the summary a run prints).
static FILES_READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static CSVS_READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static XLSXS_READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Marks of typed text found inside files.
static MARKS_IN_FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// What a file says: an XLSX export unzipped and every cell of every sheet read (its
/// text is compressed, so a mark in it cannot be seen in its bytes), any other file as text.
fn file_text(a: &chihoi::message::Attachment) -> Result<String, TestCaseError> {
    FILES_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let bytes = match &a.data {
        FileData::Bytes(bytes) => bytes.clone(),
        // Kept on disk while the recorded message holds it.
        FileData::Temp(path) => std::fs::read(&**path).expect("the made file is still there"),
        // A file the platform keeps (an announcement's): its id.
        FileData::Platform(id) => id.clone().into_bytes(),
    };
    if !a.file_name.ends_with(".xlsx") {
        if a.file_name.ends_with(".csv") {
            CSVS_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    use calamine::{Reader, Xlsx};
    XLSXS_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut book = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| fail(format!("{} does not open: {e}", a.file_name)))?;
    let mut cells = String::new();
    for sheet in book.sheet_names() {
        let range = book
            .worksheet_range(&sheet)
            .map_err(|e| fail(format!("sheet {sheet} of {} unreadable: {e}", a.file_name)))?;
        for row in range.rows() {
            for cell in row {
                cells.push_str(&cell.to_string());
                cells.push('\t');
            }
            cells.push('\n');
        }
    }
    Ok(cells)
}

fn check_text(text: &str, max: usize) -> Result<(), TestCaseError> {
    prop_assert!(!text.trim().is_empty(), "empty text stored");
    prop_assert_eq!(text.trim(), text, "untrimmed text stored");
    prop_assert!(
        text.chars().count() <= max,
        "{} chars stored",
        text.chars().count()
    );
    prop_assert!(is_nfc(text), "decomposed text stored: {text:?}");
    Ok(())
}

fn check_draft(d: &ReportDraft) -> Result<(), TestCaseError> {
    for s in [&d.labour, &d.living, &d.thoughts].into_iter().flatten() {
        if let Some(note) = &s.note {
            check_text(note, MAX_NOTE_CHARS)?;
        }
    }
    prop_assert!(d.incidents.len() <= MAX_INCIDENTS);
    for i in &d.incidents {
        prop_assert!(i.people <= MAX_PEOPLE);
        check_text(&i.description, MAX_NOTE_CHARS)?;
    }
    if let Some(p) = &d.proposals {
        check_text(p, MAX_NOTE_CHARS)?;
        prop_assert!(d.proposals_answered);
    }
    Ok(())
}

fn check_report(r: &MonthlyReport) -> Result<(), TestCaseError> {
    let draft = ReportDraft::from(r.clone());
    check_draft(&draft)?;
    prop_assert_eq!(draft.complete(), Some(r.clone()));
    Ok(())
}

/// The seed of the sequences tried by default.
const FIXED_SEED: u64 = 20_261_130;

fn run_properties(backend: Backend, cases: u32, zalo: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // A fixed seed, so that the suite gives the same verdict on every run (CI must not pass
    // or fail by luck); `PROPTEST_RNG_SEED=<n>` explores other sequences.
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(FIXED_SEED);
    let on = if zalo { "Zalo" } else { "Telegram" };
    eprintln!("property test on {on}, {backend:?}: {cases} sequences from seed {seed}");
    let config = Config {
        cases,
        max_shrink_iters: 200,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let template = rt.block_on(Desk::template(backend));
    let mut runner = TestRunner::new(config);
    let events = prop::collection::vec(action(), 10..60);
    // Reports, activities and urgent reports stored by the sequences: flows carried to their
    // end, by taps or by typed numbers (a run that never got there would prove little).
    let flows_done = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&events, |actions| {
        rt.block_on(async {
            let mut world = World::new(&template, zalo).await;
            let mut outcome = Ok(());
            for a in &actions {
                outcome = world.run(a).await;
                if outcome.is_err() {
                    break;
                }
            }
            if outcome.is_ok() {
                outcome = world.check_store().await;
            }
            let done = world
                .desk
                .count(
                    "SELECT (SELECT COUNT(*) FROM reports) + (SELECT COUNT(*) FROM activities)
                          + (SELECT COUNT(*) FROM urgent_reports)",
                )
                .await;
            flows_done.fetch_add(done as u64, std::sync::atomic::Ordering::Relaxed);
            world.desk.close().await;
            outcome
        })
    });
    use std::sync::atomic::Ordering::Relaxed;
    eprintln!(
        "property test on {backend:?}: {} files read ({} CSV, {} XLSX), {} marks of typed text found in them",
        FILES_READ.load(Relaxed),
        CSVS_READ.load(Relaxed),
        XLSXS_READ.load(Relaxed),
        MARKS_IN_FILES.load(Relaxed)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let done = flows_done.load(Relaxed);
    eprintln!(
        "property test on {on}, {backend:?}: {done} reports, activities and urgent reports stored"
    );
    assert!(done > 0, "no flow was carried to its end on {on}");
}

mod random_events_from_everyone_keep_every_promise {
    use super::*;

    #[test]
    fn sqlite() {
        run_properties(Backend::Sqlite, 48, false);
    }

    #[test]
    fn postgres() {
        run_properties(Backend::Postgres, 24, false);
    }
}

/// The same sequences with everyone on Zalo: every choice typed as a number or a letter,
/// including numbers from old lists, someone else's and made-up ones.
mod random_events_typed_on_zalo_keep_every_promise {
    use super::*;

    #[test]
    fn sqlite() {
        run_properties(Backend::Sqlite, 24, true);
    }

    #[test]
    fn postgres() {
        run_properties(Backend::Postgres, 12, true);
    }
}
