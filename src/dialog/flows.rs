//! The short flows around the report: joining (by invite or by asking a branch), the main menu
//! and help, urgent reports, members' opinions and the language choice.

use super::labels;
use super::paging::{self, Page};
use super::report::{self, IncidentText};
use super::state::{DialogState, IncidentStep, ReportStep};
use super::{Choice, Ctx, DialogError, Next, Prompt};
use crate::domain::invite::{InviteCode, InviteRefusal};
use crate::domain::org::Level;
use crate::domain::period::Period;
use crate::domain::report::{Incident, MAX_NOTE_CHARS, clean_text};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::storage::limits::Counted;
use crate::storage::org::{self, Unit};
use crate::storage::outbox::{self, Kind, NewMessage};
use crate::storage::reports;
use crate::storage::users::{self, User};
use crate::tr;

/// Commands the bot knows (Vietnamese names first; English aliases for those who type them).
pub(crate) const COMMANDS: [&str; 45] = [
    "start",
    "menu",
    "join",
    "canhbao",
    "alerts",
    "hoatdong",
    "activity",
    "tiendo",
    "progress",
    "chitieu",
    "targets",
    "xuat",
    "export",
    "baocao",
    "khancap",
    "ykien",
    "ngonngu",
    "trogiup",
    "huy",
    "help",
    "report",
    "urgent",
    "opinion",
    "language",
    "cancel",
    "lienket",
    "link",
    "hoivien",
    "members",
    "duyet",
    "requests",
    "moi",
    "invite",
    "thongbao",
    "announce",
    "kiennghi",
    "proposal",
    "baocaoky",
    "draft",
    "trangthai",
    "status",
    "laykien",
    "poll",
    "tonghop",
    "synthesis",
];

pub(crate) async fn command(ctx: &mut Ctx<'_>, name: &str, arg: &str) -> Result<Next, DialogError> {
    match name {
        "start" if !arg.trim().is_empty() => join_with_code(ctx, arg.trim()).await,
        "start" | "menu" => {
            if ctx.user.membership().is_some() {
                menu(ctx, None);
            } else {
                not_joined(ctx)?;
            }
            Ok(Next::Go(DialogState::Idle))
        }
        "baocao" | "report" => report::start(ctx, arg).await,
        "khancap" | "urgent" => {
            if ctx.user.membership().is_none() {
                return not_joined(ctx);
            }
            if let Some(wait) = super::limits::reached(ctx, Counted::UrgentReports).await? {
                menu(ctx, Some(wait));
                return Ok(Next::Go(DialogState::Idle));
            }
            ctx.say(tr!(ctx.lang, "urgent-intro"));
            Ok(Next::Go(DialogState::Urgent {
                step: IncidentStep::Field,
            }))
        }
        "ykien" | "opinion" => {
            if ctx.user.membership().is_none() {
                return not_joined(ctx);
            }
            Ok(Next::Go(DialogState::Opinion { text: None }))
        }
        "ngonngu" | "language" => Ok(Next::Go(DialogState::Language)),
        "lienket" | "link" => super::linking::command(ctx, arg).await,
        "hoatdong" | "activity" => super::activity::start(ctx).await,
        "tiendo" | "progress" => super::admin::progress(ctx, None, None, 0).await,
        "chitieu" | "targets" => super::admin::targets(ctx, None, None, 0).await,
        "xuat" | "export" => super::admin::export_start(ctx).await,
        "hoivien" | "members" => super::members::start(ctx).await,
        "moi" | "invite" => super::invites::start(ctx).await,
        "thongbao" | "announce" => super::announce::start(ctx).await,
        "kiennghi" | "proposal" => super::proposals::start(ctx).await,
        "baocaoky" | "draft" => super::admin::draft_start(ctx).await,
        "trangthai" | "status" => super::roster::status_command(ctx).await,
        "laykien" | "poll" => super::polls::start(ctx).await,
        "tonghop" | "synthesis" => super::synthesis::start(ctx).await,
        "canhbao" | "alerts" => {
            super::alerts::list_open(ctx, 0).await?;
            Ok(Next::Go(DialogState::Idle))
        }
        "duyet" | "requests" => {
            super::joins::list_pending(ctx).await?;
            Ok(Next::Go(DialogState::Idle))
        }
        "trogiup" | "help" => {
            help(ctx);
            Ok(Next::Go(DialogState::Idle))
        }
        "huy" | "cancel" => {
            menu(ctx, Some(tr!(ctx.lang, "dialog-cancelled")));
            Ok(Next::Go(DialogState::Idle))
        }
        "join" => {
            if already_joined(ctx).await? {
                return Ok(Next::Go(DialogState::Idle));
            }
            // Skip levels with a single choice (one province, say): fewer taps.
            let mut parent = None;
            loop {
                let children = org::children(ctx.conn, parent).await?;
                match children.as_slice() {
                    [only] if browsable(only) => parent = Some(only.id),
                    _ => break,
                }
            }
            Ok(Next::Go(DialogState::JoinPick { parent, page: 0 }))
        }
        _ => {
            ctx.say(tr!(ctx.lang, "error-unknown-command"));
            Ok(Next::Quiet)
        }
    }
}

/// The "Save and close" / "Cancel" choice of any dialog.
pub(crate) fn cancel(ctx: &mut Ctx<'_>, state: &DialogState) -> Result<Next, DialogError> {
    let text = match state {
        // Nothing is written before she keeps last month's answers or answers a part.
        DialogState::Report {
            step: ReportStep::Same,
            ..
        } => tr!(ctx.lang, "report-same-closed"),
        DialogState::Report { .. } => tr!(ctx.lang, "report-saved-for-later"),
        _ => tr!(ctx.lang, "dialog-cancelled"),
    };
    if ctx.user.membership().is_some() {
        menu(ctx, Some(text));
    } else {
        ctx.say(text);
    }
    Ok(Next::Go(DialogState::Idle))
}

/// Buttons that fit her role, under `text` (or a greeting).
pub(crate) fn menu(ctx: &mut Ctx<'_>, text: Option<String>) {
    let text = text.unwrap_or_else(|| tr!(ctx.lang, "menu-title"));
    let rows = menu_rows(ctx);
    ctx.say_with(text, rows);
}

/// The menu's choices for her role.
pub(crate) fn menu_rows(ctx: &Ctx<'_>) -> Vec<Vec<Choice>> {
    let lang = ctx.lang;
    let b = |id: &str, cmd: &str| Choice {
        label: button_label(lang, id),
        data: format!("c:{cmd}"),
    };
    let mut rows = Vec::new();
    match ctx.role() {
        Some(Role::GrassrootsOfficer) => {
            rows.push(vec![
                b("menu-report", "baocao"),
                b("menu-activity", "hoatdong"),
            ]);
            rows.push(vec![
                b("menu-progress", "tiendo"),
                b("menu-targets", "chitieu"),
            ]);
            rows.push(vec![b("menu-alerts", "canhbao"), b("menu-export", "xuat")]);
            rows.push(vec![b("menu-urgent", "khancap"), b("menu-invite", "moi")]);
            rows.push(vec![
                b("menu-announce", "thongbao"),
                b("menu-draft", "baocaoky"),
            ]);
            rows.push(vec![b("menu-synthesis", "tonghop")]);
        }
        Some(Role::DistrictAdmin | Role::ProvinceAdmin) => {
            rows.push(vec![
                b("menu-progress", "tiendo"),
                b("menu-targets", "chitieu"),
            ]);
            rows.push(vec![b("menu-alerts", "canhbao"), b("menu-export", "xuat")]);
            rows.push(vec![b("menu-urgent", "khancap"), b("menu-invite", "moi")]);
            rows.push(vec![
                b("menu-announce", "thongbao"),
                b("menu-draft", "baocaoky"),
            ]);
            rows.push(vec![b("menu-synthesis", "tonghop")]);
        }
        Some(role) if role.files_monthly_report() => {
            rows.push(vec![
                b("menu-report", "baocao"),
                b("menu-activity", "hoatdong"),
            ]);
            // Not "send an opinion": hers would go to her own branch, that is to herself
            // (COPY_REVIEW_vi.md, second part); members' opinions reach her in her report.
            rows.push(vec![
                b("menu-urgent", "khancap"),
                b("menu-announce", "thongbao"),
            ]);
            if role.manages_members() {
                rows.push(vec![b("menu-members", "hoivien"), b("menu-invite", "moi")]);
            }
        }
        Some(_) => {
            rows.push(vec![
                b("menu-urgent", "khancap"),
                b("menu-opinion", "ykien"),
            ]);
            rows.push(vec![b("menu-announce", "thongbao")]);
        }
        None => rows.push(vec![b("menu-join", "join")]),
    }
    rows.extend(super::proposals::menu_row(ctx));
    // The roster (issue 18 §4): officers see their units' members; a member keeps her status.
    match ctx.role() {
        Some(Role::GrassrootsOfficer | Role::DistrictAdmin | Role::ProvinceAdmin) => {
            rows.push(vec![b("menu-members", "hoivien")])
        }
        Some(Role::Member) => rows.push(vec![b("menu-roster-status", "trangthai")]),
        _ => {}
    }
    // Polls (/laykien): whoever may ask one sees it; members answer in the poll's message.
    if ctx.role().is_some_and(crate::domain::poll::may_run) {
        rows.push(vec![b("menu-polls", "laykien")]);
    }
    rows.push(vec![
        b("menu-language", "ngonngu"),
        b("menu-help", "trogiup"),
    ]);
    rows
}

fn button_label(lang: Lang, id: &str) -> String {
    match id {
        "menu-report" => tr!(lang, "menu-report"),
        "menu-urgent" => tr!(lang, "menu-urgent"),
        "menu-opinion" => tr!(lang, "menu-opinion"),
        "menu-join" => tr!(lang, "menu-join"),
        "menu-language" => tr!(lang, "menu-language"),
        "menu-alerts" => tr!(lang, "menu-alerts"),
        "menu-activity" => tr!(lang, "menu-activity"),
        "menu-progress" => tr!(lang, "menu-progress"),
        "menu-targets" => tr!(lang, "menu-targets"),
        "menu-export" => tr!(lang, "menu-export"),
        "menu-members" => tr!(lang, "menu-members"),
        "menu-invite" => tr!(lang, "menu-invite"),
        "menu-announce" => tr!(lang, "menu-announce"),
        "menu-draft" => tr!(lang, "menu-draft"),
        "menu-roster-status" => tr!(lang, "menu-roster-status"),
        "menu-polls" => tr!(lang, "menu-polls"),
        _ => tr!(lang, "menu-help"),
    }
}

fn help(ctx: &mut Ctx<'_>) {
    let lang = ctx.lang;
    let mut text = tr!(lang, "help-title");
    text.push('\n');
    text.push_str(&match ctx.role() {
        None => tr!(lang, "help-not-joined"),
        Some(Role::Member) => tr!(lang, "help-member"),
        Some(Role::BranchHead) => format!(
            "{}\n{}",
            tr!(lang, "help-reporter"),
            tr!(lang, "help-branch-head")
        ),
        Some(Role::GrassrootsOfficer) => format!(
            "{}\n{}",
            tr!(lang, "help-reporter"),
            tr!(lang, "help-officer")
        ),
        Some(Role::DistrictAdmin | Role::ProvinceAdmin) => tr!(lang, "help-admin"),
    });
    if let Some(line) = super::proposals::help_line(lang, ctx.role()) {
        text.push('\n');
        text.push_str(&line);
    }
    // Someone to ask in person: her branch head, or the union above her.
    match ctx.role() {
        Some(Role::Member) => {
            text.push_str("\n\n");
            text.push_str(&tr!(lang, "help-contact", who = "member"));
        }
        Some(Role::BranchHead | Role::GrassrootsOfficer | Role::DistrictAdmin) => {
            text.push_str("\n\n");
            text.push_str(&tr!(lang, "help-contact", who = "officer"));
        }
        _ => {}
    }
    if ctx.role().is_some() {
        text.push('\n');
        text.push_str(&tr!(lang, "help-polls"));
    }
    menu(ctx, Some(text));
}

/// Someone without a unit: how to join.
pub(crate) fn not_joined(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    menu(ctx, Some(tr!(ctx.lang, "join-how")));
    Ok(Next::Go(DialogState::Idle))
}

/// Text outside any dialog: a pasted invite code or link, a greeting, a thank-you or "menu",
/// or she needs the menu. Something shaped like a link code is never redeemed here (a code
/// passed on by someone else would link an account unasked): she is told where a code goes.
pub(crate) async fn idle_text(ctx: &mut Ctx<'_>, text: &str) -> Result<Next, DialogError> {
    let link_code = super::linking::parse_code(text);
    if ctx.user.membership().is_none() {
        if let Some(code) = invite_code_in(text) {
            return join_with_code(ctx, code.as_str()).await;
        }
        if link_code.is_some() {
            menu(ctx, Some(tr!(ctx.lang, "link-code-typed-idle")));
            return Ok(Next::Go(DialogState::Idle));
        }
        return not_joined(ctx);
    }
    if link_code.is_some() {
        menu(ctx, Some(tr!(ctx.lang, "link-typed-on-joined")));
        return Ok(Next::Quiet);
    }
    if let Some(next) = super::roster::typed_phone(ctx, text).await? {
        return Ok(next);
    }
    let text = match small_talk(text) {
        Some(SmallTalk::Menu) => None,
        Some(SmallTalk::Thanks) => Some(tr!(ctx.lang, "menu-thanks")),
        None => Some(tr!(ctx.lang, "menu-not-understood")),
    };
    menu(ctx, text);
    Ok(Next::Quiet)
}

#[derive(Debug, PartialEq, Eq)]
enum SmallTalk {
    Menu,
    Thanks,
}

/// Greetings, "menu" and thank-yous, which deserve the menu rather than "not understood";
/// read without diacritics or case (Zalo users type either way).
fn small_talk(text: &str) -> Option<SmallTalk> {
    const MENU: [&str; 11] = [
        "menu",
        "bat dau",
        "xin chao",
        "xin chao bot",
        "chao",
        "chao bot",
        "hi",
        "hello",
        "alo",
        "tro giup",
        "help",
    ];
    let t = super::picking::fold(text);
    if MENU.contains(&t.as_str()) {
        return Some(SmallTalk::Menu);
    }
    ["cam on", "camon", "thank"]
        .iter()
        .any(|w| t.starts_with(w))
        .then_some(SmallTalk::Thanks)
}

/// An invite code as she may paste it: the code alone, or the whole invite link
/// (`https://t.me/<bot>?start=<code>`), which is all a Zalo user can do with it.
fn invite_code_in(text: &str) -> Option<InviteCode> {
    let text = text.trim();
    if let Some((_, rest)) = text.split_once("start=") {
        let code: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            .collect();
        return InviteCode::parse(&code);
    }
    InviteCode::parse(text)
}

async fn join_with_code(ctx: &mut Ctx<'_>, raw: &str) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let refusal = match InviteCode::parse(raw) {
        None => InviteRefusal::Unknown,
        Some(code) => {
            match users::redeem_invite(ctx.conn, &code, ctx.user.id, ctx.now.timestamp()).await? {
                Ok((unit_id, role)) => {
                    users::bind_membership(
                        ctx.conn,
                        ctx.user.id,
                        unit_id,
                        role,
                        ctx.now.timestamp(),
                    )
                    .await?;
                    // Joined another way: a request she left pending is no longer hers to decide.
                    users::withdraw_join_requests(ctx.conn, ctx.user.id, ctx.now.timestamp())
                        .await?;
                    ctx.user.unit_id = Some(unit_id);
                    ctx.user.role = Some(role);
                    let joined = org::unit_by_id(ctx.conn, unit_id).await?;
                    let me = ctx.user.clone();
                    let ask_phone = match &joined {
                        Some(u) => super::roster::on_member_joined(ctx, &me, u).await?,
                        None => None,
                    };
                    let unit = joined.map(|u| u.name).unwrap_or_default();
                    tracing::info!(user = ctx.user.id, unit_id, %role, "joined by invite");
                    let greeting = tr!(
                        lang,
                        "join-welcome",
                        name = ctx.user.display_name.clone(),
                        unit = unit,
                        role = labels::role(lang, role)
                    );
                    let what = match role {
                        Role::Member => tr!(lang, "help-member"),
                        Role::BranchHead | Role::GrassrootsOfficer => tr!(lang, "help-reporter"),
                        Role::DistrictAdmin | Role::ProvinceAdmin => tr!(lang, "help-admin"),
                    };
                    let what = match ask_phone {
                        Some(ask) => format!("{what}\n\n{ask}"),
                        None => what,
                    };
                    menu(ctx, Some(format!("{greeting}\n\n{what}")));
                    return Ok(Next::Go(DialogState::Idle));
                }
                Err(why) => why,
            }
        }
    };
    let text = match refusal {
        InviteRefusal::Unknown => tr!(lang, "join-code-unknown"),
        InviteRefusal::Expired => tr!(lang, "join-code-expired"),
        InviteRefusal::UsedUp => tr!(lang, "join-code-used-up"),
        InviteRefusal::Revoked => tr!(lang, "join-code-revoked"),
        InviteRefusal::AlreadyUsed => tr!(lang, "join-code-already-used"),
    };
    if ctx.user.membership().is_some() {
        menu(ctx, Some(text));
    } else {
        menu(ctx, Some(format!("{text}\n\n{}", tr!(lang, "join-how"))));
    }
    Ok(Next::Go(DialogState::Idle))
}

// ---- joining by picking a branch -------------------------------------------------------------

/// Units one can browse into: everything above the branch level.
fn browsable(unit: &Unit) -> bool {
    unit.level < Level::Branch
}

pub(crate) async fn join_pick_prompt(
    ctx: &mut Ctx<'_>,
    parent: Option<i64>,
    page: usize,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let units: Vec<Unit> = org::children(ctx.conn, parent)
        .await?
        .into_iter()
        .filter(|u| u.level <= Level::Branch)
        .collect();
    let title = match parent {
        None => tr!(lang, "join-pick-top"),
        Some(id) => {
            let name = org::unit_by_id(ctx.conn, id)
                .await?
                .map(|u| u.name)
                .unwrap_or_default();
            tr!(lang, "join-pick-inside", unit = name)
        }
    };
    if units.is_empty() {
        let mut p = Prompt::new(tr!(lang, "join-pick-empty"));
        if parent.is_some() {
            p = p.row(vec![(tr!(lang, "button-up"), "up".into())]);
        }
        return Ok(p.row(vec![(tr!(lang, "button-cancel"), "cancel".into())]));
    }
    let page = Page::of(&units, page);
    let shown = page
        .shown
        .iter()
        .map(|u| (u.name.clone(), format!("u:{}", u.id)))
        .collect();
    let nav = page.nav(lang, paging::step_token);
    let mut p = Prompt::new(title).column(shown).row(nav);
    if parent.is_some() {
        p = p.row(vec![(tr!(lang, "button-up"), "up".into())]);
    }
    Ok(p.row(vec![(tr!(lang, "button-cancel"), "cancel".into())]))
}

pub(crate) async fn join_pick_choice(
    ctx: &mut Ctx<'_>,
    parent: Option<i64>,
    page: usize,
    token: &str,
) -> Result<Next, DialogError> {
    if let Some(asked) = paging::asked_page(token) {
        return Ok(match asked {
            Some(page) => Next::Go(DialogState::JoinPick { parent, page }),
            None => bad_button(ctx),
        });
    }
    if token == "up" {
        let grandparent = match parent {
            Some(id) => org::unit_by_id(ctx.conn, id)
                .await?
                .and_then(|u| u.parent_id),
            None => None,
        };
        return Ok(Next::Go(DialogState::JoinPick {
            parent: grandparent,
            page: 0,
        }));
    }
    let Some(id) = token.strip_prefix("u:").and_then(|s| s.parse::<i64>().ok()) else {
        return Ok(bad_button(ctx));
    };
    // Only a unit listed on this screen may be picked.
    let Some(unit) = org::unit_by_id(ctx.conn, id)
        .await?
        .filter(|u| u.parent_id == parent)
    else {
        return Ok(bad_button(ctx));
    };
    let _ = page;
    if unit.level == Level::Branch {
        Ok(Next::Go(DialogState::JoinConfirm { unit_id: unit.id }))
    } else if browsable(&unit) {
        Ok(Next::Go(DialogState::JoinPick {
            parent: Some(unit.id),
            page: 0,
        }))
    } else {
        Ok(bad_button(ctx))
    }
}

pub(crate) async fn join_confirm_prompt(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let unit = org::unit_by_id(ctx.conn, unit_id).await?;
    let path = match &unit {
        Some(u) => org::path_names(ctx.conn, u).await?,
        None => String::new(),
    };
    Ok(Prompt::new(tr!(lang, "join-confirm", unit = path))
        .row(vec![(tr!(lang, "button-send-request"), "req".into())])
        .row(vec![
            (tr!(lang, "button-up"), "up".into()),
            (tr!(lang, "button-cancel"), "cancel".into()),
        ]))
}

pub(crate) async fn join_confirm_choice(
    ctx: &mut Ctx<'_>,
    unit_id: i64,
    token: &str,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(Next::Go(DialogState::Idle));
    };
    match token {
        "up" => Ok(Next::Go(DialogState::JoinPick {
            parent: unit.parent_id,
            page: 0,
        })),
        "req" => {
            if already_joined(ctx).await? {
                return Ok(Next::Go(DialogState::Idle));
            }
            if let Some(wait) = super::limits::reached(ctx, Counted::JoinRequests).await? {
                // The branch she chose stays on screen for when she may ask again.
                ctx.say(wait);
                return Ok(Next::Stay);
            }
            let request =
                users::create_join_request(ctx.conn, ctx.user.id, unit.id, ctx.now.timestamp())
                    .await?;
            let approvers = join_approvers(ctx, &unit).await?;
            let path = org::path_names(ctx.conn, &unit).await?;
            for head in &approvers {
                let hl = Lang::parse(&head.lang).unwrap_or_default();
                let text = tr!(
                    hl,
                    "join-request-to-head",
                    name = ctx.user.display_name.clone(),
                    unit = path.clone()
                );
                let choices = vec![vec![
                    Choice {
                        label: tr!(hl, "button-approve"),
                        data: format!("j:{request}:a"),
                    },
                    Choice {
                        label: tr!(hl, "button-reject"),
                        data: format!("j:{request}:r"),
                    },
                ]];
                ctx.send_to(head, text, choices);
            }
            if approvers.is_empty() {
                ctx.say(tr!(lang, "join-request-no-head"));
            } else {
                ctx.say(tr!(lang, "join-request-sent", unit = unit.name.clone()));
            }
            Ok(Next::Go(DialogState::Idle))
        }
        _ => Ok(bad_button(ctx)),
    }
}

/// Someone who has joined asks to join elsewhere: she is told to ask for an invite instead.
/// An approval would move her, and drop a head's or officer's role, at the word of a head of
/// another unit — only an operator or an invite chosen for her may do that.
async fn already_joined(ctx: &mut Ctx<'_>) -> Result<bool, DialogError> {
    let Some((unit_id, role)) = ctx.user.membership() else {
        return Ok(false);
    };
    let lang = ctx.lang;
    let unit = org::unit_by_id(ctx.conn, unit_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let text = tr!(
        lang,
        "join-already-joined",
        unit = unit,
        role = labels::role(lang, role)
    );
    menu(ctx, Some(text));
    Ok(true)
}

/// Who decides on joining `unit`: its branch heads, or if it has none, the grassroots officers
/// above it.
async fn join_approvers(ctx: &mut Ctx<'_>, unit: &Unit) -> Result<Vec<User>, DialogError> {
    let heads = users::users_in_units_with_roles(ctx.conn, &[unit.id], &[Role::BranchHead]).await?;
    if !heads.is_empty() {
        return Ok(heads);
    }
    let lineage = unit.lineage_ids();
    Ok(users::users_in_units_with_roles(ctx.conn, &lineage, &[Role::GrassrootsOfficer]).await?)
}

/// Whether `user` decides on joining `unit`: a branch head of that unit, or a grassroots
/// officer above it.
pub(crate) fn may_decide_join(user: &User, unit: &Unit) -> bool {
    match user.membership() {
        Some((mine, Role::BranchHead)) => mine == unit.id,
        Some((mine, Role::GrassrootsOfficer)) => unit.lineage_ids().contains(&mine),
        _ => false,
    }
}

/// A head taps Approve / Reject on a join request.
pub(crate) async fn decide_join(
    ctx: &mut Ctx<'_>,
    request_id: i64,
    approve: bool,
) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some(req) = users::join_request(ctx.conn, request_id).await? else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    let Some(unit) = org::unit_by_id(ctx.conn, req.unit_id).await? else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    if !may_decide_join(&ctx.user, &unit) {
        tracing::warn!(
            user = ctx.user.id,
            request_id,
            "join decision refused: not an approver"
        );
        ctx.notice = Some(tr!(lang, "error-not-yours"));
        return Ok(());
    }
    let Some(member) = users::user_by_id(ctx.conn, req.user_id).await? else {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    };
    // She has joined since she asked (or asked while in a unit, before that was refused): an
    // approval would move her out of her unit, and a head's role with her.
    if req.status == "pending" && member.membership().is_some() {
        users::withdraw_join_requests(ctx.conn, member.id, ctx.now.timestamp()).await?;
        ctx.notice = Some(tr!(
            lang,
            "join-request-moot",
            name = member.display_name.clone()
        ));
        return Ok(());
    }
    if !users::decide_join_request(
        ctx.conn,
        request_id,
        approve,
        ctx.user.id,
        ctx.now.timestamp(),
    )
    .await?
    {
        ctx.notice = Some(tr!(lang, "join-request-already-decided"));
        return Ok(());
    }
    let ml = Lang::parse(&member.lang).unwrap_or_default();
    if approve {
        users::bind_membership(
            ctx.conn,
            member.id,
            unit.id,
            Role::Member,
            ctx.now.timestamp(),
        )
        .await?;
        let mut joined = member.clone();
        joined.unit_id = Some(unit.id);
        joined.role = Some(Role::Member);
        let ask_phone = super::roster::on_member_joined(ctx, &joined, &unit).await?;
        let mut text = tr!(ml, "join-approved", unit = unit.name.clone());
        if let Some(ask) = ask_phone {
            text = format!("{text}\n\n{ask}");
        }
        let rows = vec![
            vec![
                Choice {
                    label: tr!(ml, "menu-urgent"),
                    data: "c:khancap".into(),
                },
                Choice {
                    label: tr!(ml, "menu-opinion"),
                    data: "c:ykien".into(),
                },
            ],
            vec![Choice {
                label: tr!(ml, "menu-help"),
                data: "c:trogiup".into(),
            }],
        ];
        ctx.send_to(&member, text, rows);
        ctx.say(tr!(
            lang,
            "join-you-approved",
            name = member.display_name.clone()
        ));
    } else {
        ctx.send_to(
            &member,
            tr!(ml, "join-rejected", unit = unit.name.clone()),
            Vec::new(),
        );
        ctx.say(tr!(
            lang,
            "join-you-rejected",
            name = member.display_name.clone()
        ));
    }
    Ok(())
}

fn bad_button(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

// ---- urgent reports --------------------------------------------------------------------------

pub(crate) fn urgent_prompt(ctx: &mut Ctx<'_>, step: &IncidentStep) -> Prompt {
    report::incident_prompt(ctx.lang, step)
        .row(vec![(tr!(ctx.lang, "button-cancel"), "cancel".into())])
}

pub(crate) async fn urgent_choice(
    ctx: &mut Ctx<'_>,
    step: &IncidentStep,
    token: &str,
) -> Result<Next, DialogError> {
    if let IncidentStep::Confirm {
        field,
        severity,
        people,
        people_from,
        description,
    } = step
    {
        if token != "send" {
            return Ok(bad_button(ctx));
        }
        if let Some(wait) = super::limits::reached(ctx, Counted::UrgentReports).await? {
            // What she entered stays, ready to send when she may.
            ctx.say(format!("{wait}\n{}", tr!(ctx.lang, "limit-urgent-kept")));
            return Ok(Next::Stay);
        }
        let incident = Incident {
            field: *field,
            severity: *severity,
            people: *people,
            people_from: *people_from,
            description: description.clone(),
        };
        send_urgent(ctx, &incident).await?;
        return Ok(Next::Go(DialogState::Idle));
    }
    Ok(match report::incident_choice(step, token) {
        Some(next) => Next::Go(DialogState::Urgent { step: next }),
        None => bad_button(ctx),
    })
}

pub(crate) fn urgent_text(
    ctx: &mut Ctx<'_>,
    step: &IncidentStep,
    text: &str,
) -> Result<Next, DialogError> {
    Ok(match report::incident_text(ctx.lang, step, text) {
        IncidentText::Next(next) => Next::Go(DialogState::Urgent { step: next }),
        IncidentText::Done(inc) => Next::Go(DialogState::Urgent {
            step: IncidentStep::Confirm {
                field: inc.field,
                severity: inc.severity,
                people: inc.people,
                people_from: inc.people_from,
                description: inc.description,
            },
        }),
        IncidentText::Refused(msg) => {
            ctx.say(msg);
            Next::Stay
        }
    })
}

/// Stores the urgent report and sends it at once to the grassroots officers and district
/// admins above her unit.
async fn send_urgent(ctx: &mut Ctx<'_>, incident: &Incident) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some((unit_id, _)) = ctx.user.membership() else {
        not_joined(ctx)?;
        return Ok(());
    };
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(());
    };
    let reporter = ctx.user.clone();
    let raised = super::alerts::raise(
        ctx.conn,
        ctx.calendars,
        &unit,
        &reporter,
        incident,
        None,
        ctx.now,
    )
    .await?;
    let alerted = match raised {
        Some((id, ids, count)) => {
            ctx.queued.extend(ids);
            tracing::info!(
                urgent_id = id,
                unit_id,
                alerted = count,
                "urgent report stored"
            );
            count
        }
        None => 0,
    };
    let text = if alerted == 0 {
        tr!(lang, "urgent-sent-nobody")
    } else {
        tr!(lang, "urgent-sent", count = alerted as i64)
    };
    menu(ctx, Some(text));
    Ok(())
}

// ---- members' opinions -----------------------------------------------------------------------

pub(crate) fn opinion_prompt(ctx: &mut Ctx<'_>, text: Option<&str>) -> Prompt {
    let lang = ctx.lang;
    match text {
        None => Prompt::new(tr!(lang, "opinion-ask"))
            .row(vec![(tr!(lang, "button-cancel"), "cancel".into())]),
        Some(t) => Prompt::new(tr!(
            lang,
            "opinion-ask-signature",
            text = labels::shorten(t, 300)
        ))
        .row(vec![(tr!(lang, "button-send-named"), "named".into())])
        .row(vec![(tr!(lang, "button-send-anonymous"), "anon".into())])
        .row(vec![(tr!(lang, "button-cancel"), "cancel".into())]),
    }
}

pub(crate) fn opinion_text(ctx: &mut Ctx<'_>, text: &str) -> Result<Next, DialogError> {
    Ok(match clean_text(text, MAX_NOTE_CHARS) {
        Ok(t) => Next::Go(DialogState::Opinion { text: Some(t) }),
        Err(why) => {
            ctx.say(report::refusal(ctx.lang, why));
            Next::Stay
        }
    })
}

pub(crate) async fn opinion_choice(
    ctx: &mut Ctx<'_>,
    text: Option<&str>,
    token: &str,
) -> Result<Next, DialogError> {
    let (Some(body), "named" | "anon") = (text, token) else {
        return Ok(bad_button(ctx));
    };
    let Some((unit_id, _)) = ctx.user.membership() else {
        return not_joined(ctx);
    };
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(Next::Go(DialogState::Idle));
    };
    // Opinions go to her branch: the nearest unit at branch level on her path, else her unit.
    let mut branch = unit.clone();
    for u in org::lineage(ctx.conn, &unit).await?.into_iter().rev() {
        if u.level == Level::Branch {
            branch = u;
            break;
        }
    }
    let anonymous = token == "anon";
    let period = Period::containing(ctx.now, ctx.tz);
    reports::insert_opinion(
        ctx.conn,
        branch.id,
        ctx.user.id,
        anonymous,
        body,
        period,
        ctx.now.timestamp(),
    )
    .await?;
    let heads =
        users::users_in_units_with_roles(ctx.conn, &[branch.id], &[Role::BranchHead]).await?;
    let me = ctx.user.id;
    for head in heads.iter().filter(|h| h.id != me) {
        let hl = Lang::parse(&head.lang).unwrap_or_default();
        let who = if anonymous {
            tr!(hl, "opinion-anonymous-name")
        } else {
            ctx.user.display_name.clone()
        };
        let text = tr!(
            hl,
            "opinion-to-head",
            who = who,
            text = labels::shorten(body, 300)
        );
        ctx.send_to(head, text, Vec::new());
    }
    menu(ctx, Some(tr!(ctx.lang, "opinion-sent", unit = branch.name)));
    Ok(Next::Go(DialogState::Idle))
}

// ---- language --------------------------------------------------------------------------------

pub(crate) fn language_prompt(ctx: &mut Ctx<'_>) -> Prompt {
    Prompt::new(tr!(ctx.lang, "language-ask"))
        .row(vec![
            ("Tiếng Việt".into(), "lang:vi".into()),
            ("English".into(), "lang:en".into()),
        ])
        .row(vec![(tr!(ctx.lang, "button-cancel"), "cancel".into())])
}

pub(crate) async fn language_choice(ctx: &mut Ctx<'_>, token: &str) -> Result<Next, DialogError> {
    let Some(lang) = token.strip_prefix("lang:").and_then(Lang::parse) else {
        return Ok(bad_button(ctx));
    };
    users::set_lang(ctx.conn, ctx.user.id, lang.code()).await?;
    ctx.user.lang = lang.code().to_owned();
    ctx.lang = lang;
    menu(ctx, Some(tr!(lang, "language-set")));
    Ok(Next::Go(DialogState::Idle))
}

// ---- reminders on demand ---------------------------------------------------------------------

/// "Remind them all now" under an overdue summary: a reminder to every reporting person of the
/// pending units in her subtree, at most once a day per unit.
pub(crate) async fn remind_all(
    ctx: &mut Ctx<'_>,
    period: Period,
    below: Option<i64>,
) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let Some((unit_id, role)) = ctx.user.membership() else {
        ctx.notice = Some(tr!(lang, "error-not-yours"));
        return Ok(());
    };
    if !super::alerts::LEVEL_ROLES.contains(&role) {
        ctx.notice = Some(tr!(lang, "error-not-yours"));
        return Ok(());
    }
    let Some(mut unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(());
    };
    if let Some(id) = below {
        match org::unit_by_id(ctx.conn, id).await? {
            Some(u) if u.is_within(&unit) => unit = u,
            _ => {
                ctx.notice = Some(tr!(lang, "error-not-yours"));
                return Ok(());
            }
        }
    }
    let calendar = org::calendar_for(ctx.conn, ctx.calendars, &unit).await?;
    // Only the current period or an open past one: a month to come has nothing to remind of
    // (a forged choice could otherwise queue reminders for any month).
    if period > Period::containing(ctx.now, calendar.tz) {
        ctx.notice = Some(tr!(lang, "error-bad-button"));
        return Ok(());
    }
    if ctx.now >= calendar.locks_at(period) {
        ctx.say(tr!(
            lang,
            "report-period-locked",
            period = labels::period(period)
        ));
        return Ok(());
    }
    let pending: Vec<_> = reports::expected_units(ctx.conn, &unit.path, period)
        .await?
        .into_iter()
        .filter(|e| e.submitted_at.is_none())
        .collect();
    let day = ctx
        .now
        .with_timezone(&calendar.tz)
        .format("%Y-%m-%d")
        .to_string();
    let not_before = calendar.next_sendable(ctx.now).timestamp();
    let (mut people, mut nobody) = (0i64, 0i64);
    // Everyone who reports for the pending units, fetched in a few statements, not one per unit.
    let mut by_unit: std::collections::HashMap<i64, Vec<User>> = std::collections::HashMap::new();
    let ids: Vec<i64> = pending.iter().map(|e| e.unit_id).collect();
    for chunk in ids.chunks(500) {
        let roles = [Role::BranchHead, Role::GrassrootsOfficer];
        for u in users::users_in_units_with_roles(ctx.conn, chunk, &roles).await? {
            by_unit
                .entry(u.unit_id.unwrap_or_default())
                .or_default()
                .push(u);
        }
    }
    for e in &pending {
        let reporters = by_unit.remove(&e.unit_id).unwrap_or_default();
        if reporters.is_empty() {
            nobody += 1;
        }
        for r in reporters {
            let m = NewMessage {
                key: Some(format!("manual:{period}:{}:{}:{day}", e.unit_id, r.id)),
                kind: Kind::Reminder,
                platform: r.platform.clone(),
                chat_id: r.chat_id.clone(),
                user_id: Some(r.id),
                unit_id: Some(e.unit_id),
                period: Some(period),
                ref_id: Some(-1),
                body: None,
                urgent: false,
                not_before,
                lease: None,
            };
            if outbox::enqueue(ctx.conn, &m, ctx.now.timestamp())
                .await?
                .is_some()
            {
                people += 1;
            }
        }
    }
    ctx.notice = Some(tr!(lang, "remind-all-done", people = people));
    ctx.say(tr!(
        lang,
        "remind-all-summary",
        people = people,
        units = pending.len() as i64,
        nobody = nobody
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanks_and_menu_are_recognised_in_the_words_people_use() {
        for t in [
            "Cảm ơn!",
            "cảm ơn chị ạ",
            "Cám ơn nhé",
            "cam on",
            "Thanks",
            "thank you",
        ] {
            assert_eq!(small_talk(t), Some(SmallTalk::Thanks), "{t}");
        }
        for t in [
            "menu",
            " Menu ",
            "MENU.",
            "hello?",
            "Xin chào",
            "xin chao bot",
        ] {
            assert_eq!(small_talk(t), Some(SmallTalk::Menu), "{t}");
        }
        for t in ["ổn", "1", "Nội dung gửi nhầm", "chào hỏi thăm bà con"] {
            assert_eq!(small_talk(t), None, "{t}");
        }
    }
}
