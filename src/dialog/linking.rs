//! `/lienket`: one person on two apps, without handing her account to anyone else.
//!
//! On the app where she has joined she asks for a short code (10 minutes, one use); she types
//! it on the new app's account (`/lienket CODE`, or in the step `/lienket` opens there). The
//! joined account is then asked — "Telegram account “Hoa” wants to share this account" — and
//! only her "Agree" links them; both accounts are told. From then on both app accounts are one
//! person: unit, role, drafts and history are shared, and reminders and alerts go to the app
//! she wrote from last. `/lienket` lists the accounts linked to hers and unlinks one.
//!
//! A code is never read from text typed outside these two places, a code typed on an account
//! that has joined is refused unread, and wrong codes are limited per account and overall
//! ([`crate::domain::limits::LINK_FAILURES`]).

use rand::Rng;

use super::{Choice, Ctx, DialogError, Next, Prompt, flows, state};
use crate::dialog::DialogState;
use crate::domain::limits::{self, Limit};
use crate::i18n::Lang;
use crate::storage::links::{self, Account};
use crate::storage::users;
use crate::tr;

/// No 0/O or 1/I: the code is read off one screen and typed on another.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 8;
const VALID_MINUTES: i64 = 10;

fn generate() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `ABCD-EFGH` as she may type it ("abcd efgh", "/lienket ABCDEFGH"); `None` if it cannot be
/// a link code.
pub(crate) fn parse_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

fn shown(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

/// `/lienket` on an account that has joined gives a code and lists the accounts linked to
/// hers; on one that has not, it asks for the code made on the other app. `/lienket CODE`
/// uses one.
pub(crate) async fn command(ctx: &mut Ctx<'_>, arg: &str) -> Result<Next, DialogError> {
    if !arg.trim().is_empty() {
        return redeem(ctx, arg).await;
    }
    let accounts = other_accounts(ctx).await?;
    if ctx.user.membership().is_none() {
        return Ok(Next::Go(DialogState::Link {
            accounts,
            enter: true,
        }));
    }
    let code = generate();
    let now = ctx.now.timestamp();
    links::create_code(ctx.conn, &code, ctx.user.id, now + VALID_MINUTES * 60, now).await?;
    ctx.say(tr!(
        ctx.lang,
        "link-code",
        code = shown(&code),
        minutes = VALID_MINUTES
    ));
    if accounts.is_empty() {
        // Nothing to choose: whatever she was doing stays open (it goes on on the new app).
        return Ok(Next::Quiet);
    }
    Ok(Next::Go(DialogState::Link {
        accounts,
        enter: false,
    }))
}

/// Her accounts other than the one she writes from.
async fn other_accounts(ctx: &mut Ctx<'_>) -> Result<Vec<Account>, DialogError> {
    let mut accounts = links::accounts_of(ctx.conn, ctx.user.id).await?;
    accounts.retain(|a| {
        !(a.platform == ctx.user.platform && a.platform_user_id == ctx.user.platform_user_id)
    });
    Ok(accounts)
}

/// The step `/lienket` opens: the code to type (on an account that has not joined), the
/// accounts linked to hers, one choice to unlink each.
pub(crate) fn prompt(ctx: &mut Ctx<'_>, accounts: &[Account], enter: bool) -> Prompt {
    let lang = ctx.lang;
    let mut text = Vec::new();
    if enter {
        text.push(tr!(lang, "link-enter-code"));
    }
    if !accounts.is_empty() {
        let apps = accounts
            .iter()
            .map(|a| app_name(&a.platform))
            .collect::<Vec<_>>()
            .join(", ");
        text.push(tr!(lang, "link-linked-list", apps = apps));
    }
    let unlink = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            (
                tr!(lang, "link-button-unlink", app = app_name(&a.platform)),
                format!("u:{i}"),
            )
        })
        .collect();
    Prompt::new(text.join("\n\n"))
        .column(unlink)
        .row(vec![(tr!(lang, "button-cancel"), "cancel".into())])
}

pub(crate) fn choice(
    ctx: &mut Ctx<'_>,
    accounts: &[Account],
    token: &str,
) -> Result<Next, DialogError> {
    let picked = token
        .strip_prefix("u:")
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| accounts.get(i));
    Ok(match picked {
        Some(account) => Next::Go(DialogState::LinkUnlink {
            account: account.clone(),
        }),
        None => bad_button(ctx),
    })
}

pub(crate) fn unlink_prompt(ctx: &mut Ctx<'_>, account: &Account) -> Prompt {
    let lang = ctx.lang;
    Prompt::new(tr!(
        lang,
        "link-unlink-confirm",
        app = app_name(&account.platform)
    ))
    .row(vec![(
        tr!(lang, "link-button-unlink-confirm"),
        "yes".into(),
    )])
    .row(vec![(tr!(lang, "button-cancel"), "cancel".into())])
}

/// She confirmed: `account` is no longer hers. Both accounts are told.
pub(crate) async fn unlink_choice(
    ctx: &mut Ctx<'_>,
    account: &Account,
    token: &str,
) -> Result<Next, DialogError> {
    if token != "yes" {
        return Ok(bad_button(ctx));
    }
    let lang = ctx.lang;
    let app = app_name(&account.platform);
    let person = ctx.user.clone();
    let Some(detached) = links::unlink(ctx.conn, &person, account, ctx.now.timestamp()).await?
    else {
        // Unlinked meanwhile (by an operator, or from her other app).
        done(ctx, tr!(lang, "link-unlink-gone", app = app));
        return Ok(Next::Go(DialogState::Idle));
    };
    tracing::info!(
        user = person.id,
        detached = detached.id,
        "an app account unlinked by its owner"
    );
    let dl = Lang::parse(&detached.lang).unwrap_or_default();
    let here = app_name(&ctx.user.platform);
    ctx.tell_at_once(
        &detached,
        tr!(dl, "link-unlinked-other", app = here),
        Vec::new(),
    );
    done(ctx, tr!(lang, "link-unlinked", app = app));
    Ok(Next::Go(DialogState::Idle))
}

/// The menu under `text` for someone who has joined; the text alone otherwise.
fn done(ctx: &mut Ctx<'_>, text: String) {
    if ctx.user.membership().is_some() {
        flows::menu(ctx, Some(text));
    } else {
        ctx.say(text);
    }
}

fn bad_button(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

/// She typed a code on this account (`/lienket CODE`, or in the step asking for it). An account
/// that has joined takes no code: its own is given here, never typed. Over a limit on wrong
/// codes nothing is looked up. A good code asks the account that made it, which confirms.
pub(crate) async fn redeem(ctx: &mut Ctx<'_>, raw: &str) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    if ctx.user.membership().is_some() {
        tracing::info!(
            user = ctx.user.id,
            "a link code typed on an account that has joined"
        );
        flows::menu(ctx, Some(tr!(lang, "link-typed-on-joined")));
        return Ok(Next::Go(DialogState::Idle));
    }
    let now = ctx.now.timestamp();
    if let Some(wait) = limit_reached(ctx).await? {
        ctx.say(wait);
        return Ok(Next::Go(DialogState::Idle));
    }
    let owner = match parse_code(raw) {
        Some(code) => links::take_code(ctx.conn, &code, now).await?,
        None => None,
    };
    let owner = match owner {
        Some(id) if id == ctx.user.id => {
            ctx.say(tr!(lang, "link-same-account"));
            return Ok(Next::Go(DialogState::Idle));
        }
        Some(id) => users::user_by_id(ctx.conn, id)
            .await?
            .filter(|o| o.membership().is_some()),
        None => None,
    };
    let Some(owner) = owner else {
        failed(ctx).await?;
        ctx.say(tr!(lang, "link-code-unknown"));
        return Ok(Next::Stay);
    };
    let requester = ctx.user.clone();
    let id = links::create_request(ctx.conn, owner.id, &requester, now).await?;
    tracing::info!(
        owner = owner.id,
        requester = requester.id,
        request = id,
        "link code typed: the account that made it is asked"
    );
    let ol = Lang::parse(&owner.lang).unwrap_or_default();
    let text = tr!(
        ol,
        "link-confirm-ask",
        app = app_name(&requester.platform),
        name = requester.display_name.clone(),
        minutes = VALID_MINUTES
    );
    let rows = vec![
        vec![Choice {
            label: tr!(ol, "link-button-agree"),
            data: format!("lk:{id}:a"),
        }],
        vec![Choice {
            label: tr!(ol, "link-button-not-me"),
            data: format!("lk:{id}:r"),
        }],
    ];
    ctx.tell_at_once(&owner, text, rows);
    ctx.say(tr!(lang, "link-asked", minutes = VALID_MINUTES));
    Ok(Next::Go(DialogState::Idle))
}

/// The message telling her when she may type a code again, if wrong codes have reached a
/// limit: on this account, or from everyone (a guessing wave).
async fn limit_reached(ctx: &mut Ctx<'_>) -> Result<Option<String>, DialogError> {
    let now = ctx.now.timestamp();
    let mine = limits::LINK_FAILURES;
    if let Some(at) = free_at(ctx.conn, Some(ctx.user.id), mine, now).await? {
        crate::metrics::link_code_refused("account");
        tracing::info!(user = ctx.user.id, "link code refused: too many wrong ones");
        let at = super::limits::when(ctx, at);
        let max = i64::from(mine.max);
        return Ok(Some(tr!(ctx.lang, "limit-link-codes", max = max, at = at)));
    }
    if let Some(at) = free_at(ctx.conn, None, limits::LINK_FAILURES_OVERALL, now).await? {
        crate::metrics::link_code_refused("overall");
        tracing::warn!(
            user = ctx.user.id,
            "link code refused: linking paused after a wave of wrong codes"
        );
        let at = super::limits::when(ctx, at);
        return Ok(Some(tr!(ctx.lang, "limit-link-paused", at = at)));
    }
    Ok(None)
}

/// When wrong codes (on `user`'s account, or everyone's) fall back under `limit`, if they
/// are over it now.
async fn free_at(
    conn: &mut crate::storage::Conn,
    user: Option<i64>,
    limit: Limit,
    now: i64,
) -> Result<Option<i64>, DialogError> {
    let recent = links::recent_failures(conn, user, now - limit.window_secs, limit.max).await?;
    Ok(limit.free_at(&recent, now))
}

/// Counts a wrong code; says in the log when it is the one that stops a guessing wave.
async fn failed(ctx: &mut Ctx<'_>) -> Result<(), DialogError> {
    let now = ctx.now.timestamp();
    links::record_failure(ctx.conn, ctx.user.id, now).await?;
    crate::metrics::link_code_failed();
    let wave = limits::LINK_FAILURES_OVERALL;
    let recent = links::recent_failures(ctx.conn, None, now - wave.window_secs, wave.max).await?;
    if recent.len() == wave.max as usize && wave.free_at(&recent, now).is_some() {
        tracing::warn!(
            failures = wave.max,
            window_secs = wave.window_secs,
            "a wave of wrong link codes: linking paused for everyone"
        );
    }
    Ok(())
}

/// The account that made the code answers a request: "Agree" links the two accounts, "Not
/// me" refuses. Both accounts are told either way.
pub(crate) async fn decide(
    ctx: &mut Ctx<'_>,
    request_id: i64,
    approve: bool,
) -> Result<(), DialogError> {
    let lang = ctx.lang;
    let now = ctx.now.timestamp();
    let request = links::request(ctx.conn, request_id).await?;
    let Some(request) = request.filter(|r| r.owner_id == ctx.user.id) else {
        tracing::warn!(
            user = ctx.user.id,
            request_id,
            "link decision refused: not hers"
        );
        ctx.notice = Some(tr!(lang, "error-not-yours"));
        return Ok(());
    };
    if request.status != "pending" {
        ctx.notice = Some(tr!(lang, "link-request-already-decided"));
        return Ok(());
    }
    let requester = users::user_by_id(ctx.conn, request.requester_id)
        .await?
        .filter(|u| u.platform != "merged");
    let expired = request.created_at + VALID_MINUTES * 60 <= now;
    let moot = ctx.user.membership().is_none()
        || requester.as_ref().is_none_or(|r| r.membership().is_some());
    let Some(requester) = requester.filter(|_| approve && !expired && !moot) else {
        if !approve {
            if !links::settle_request(ctx.conn, request.id, "refused", now).await? {
                ctx.notice = Some(tr!(lang, "link-request-already-decided"));
                return Ok(());
            }
            tracing::warn!(
                owner = ctx.user.id,
                requester = request.requester_id,
                "a link request refused by the account that made the code"
            );
            if let Some(r) = users::user_by_id(ctx.conn, request.requester_id)
                .await?
                .filter(|u| u.platform != "merged")
            {
                let rl = Lang::parse(&r.lang).unwrap_or_default();
                ctx.tell_at_once(&r, tr!(rl, "link-refused"), Vec::new());
            }
            done(ctx, tr!(lang, "link-you-refused"));
        } else {
            let (status, text) = if expired {
                ("expired", tr!(lang, "link-request-expired"))
            } else {
                ("withdrawn", tr!(lang, "link-request-moot"))
            };
            links::settle_request(ctx.conn, request.id, status, now).await?;
            done(ctx, text);
        }
        return Ok(());
    };
    if !links::settle_request(ctx.conn, request.id, "linked", now).await? {
        // Answered meanwhile (her other tap, handled beside this one).
        ctx.notice = Some(tr!(lang, "link-request-already-decided"));
        return Ok(());
    }
    // Where to tell the new account: its chat, before its row is retired by the merge.
    let new_account = requester.clone();
    links::merge(ctx.conn, &requester, ctx.user.id, now).await?;
    tracing::info!(
        user = ctx.user.id,
        merged = requester.id,
        "two app accounts linked"
    );
    let apps = links::platforms_of(ctx.conn, ctx.user.id)
        .await?
        .into_iter()
        .map(|p| app_name(&p))
        .collect::<Vec<_>>()
        .join(" + ");
    // The new account speaks her language now: the person's.
    let done = tr!(lang, "link-done", apps = apps.clone());
    // Whatever she was doing goes on on the new account too.
    let current = users::load_dialog(ctx.conn, ctx.user.id)
        .await?
        .map(|(version, json)| (version, DialogState::from_json(&json)));
    let mut told = false;
    if let Some((version, state)) = current
        && state != DialogState::Idle
        && let Some(prompt) = state::prompt(ctx, &state).await?
    {
        let mut out = prompt.into_outbound(new_account.chat_id.clone(), version);
        out.text = format!("{done}\n\n{}", out.text);
        ctx.tell_at_once_outbound(&new_account.platform, out);
        told = true;
    }
    if !told {
        let rows = flows::menu_rows(ctx);
        ctx.tell_at_once(&new_account, done.clone(), rows);
    }
    flows::menu(ctx, Some(done));
    Ok(())
}

fn app_name(platform: &str) -> String {
    match platform {
        "telegram" => "Telegram".into(),
        "zalo" => "Zalo".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_typed_and_never_confused_with_invites() {
        let code = generate();
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(parse_code(&shown(&code)), Some(code.clone()));
        assert_eq!(parse_code(&code.to_lowercase()), Some(code.clone()));
        assert_eq!(parse_code("abcd efgh"), Some("ABCDEFGH".into()));
        assert_eq!(parse_code("ABCD-EFG0"), None, "0 is not in the alphabet");
        assert_eq!(parse_code("ABCDEFGHJ"), None);
        assert_eq!(parse_code("2"), None);
        assert_ne!(generate(), generate());
    }
}
