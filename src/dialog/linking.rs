//! `/lienket`: one person on two apps. On the app she already uses she asks for a short code
//! (10 minutes, one use); she sends it from the other app, and from then on both app accounts
//! are one person: unit, role, drafts and history are shared, and reminders and alerts go to
//! the app she wrote from last.

use rand::Rng;

use super::{Ctx, DialogError, Next, flows, state};
use crate::dialog::DialogState;
use crate::i18n::Lang;
use crate::storage::{links, users};
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

/// `/lienket` gives a code; `/lienket CODE` uses one.
pub(crate) async fn command(ctx: &mut Ctx<'_>, arg: &str) -> Result<Next, DialogError> {
    if !arg.trim().is_empty() {
        return redeem(ctx, arg).await;
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
    Ok(Next::Quiet)
}

/// She sent a code from another app: the two accounts become one person. The account that has
/// joined a unit is kept; two accounts that have both joined are not merged (one membership
/// would be lost), and she is told to ask an officer.
pub(crate) async fn redeem(ctx: &mut Ctx<'_>, raw: &str) -> Result<Next, DialogError> {
    let now = ctx.now.timestamp();
    let owner = match parse_code(raw) {
        Some(code) => links::take_code(ctx.conn, &code, now).await?,
        None => None,
    };
    let Some(owner) = owner else {
        ctx.say(tr!(ctx.lang, "link-code-unknown"));
        return Ok(Next::Quiet);
    };
    if owner == ctx.user.id {
        ctx.say(tr!(ctx.lang, "link-same-account"));
        return Ok(Next::Quiet);
    }
    let Some(other) = users::user_by_id(ctx.conn, owner).await? else {
        ctx.say(tr!(ctx.lang, "link-code-unknown"));
        return Ok(Next::Quiet);
    };
    match (ctx.user.membership(), other.membership()) {
        (Some(_), Some(_)) => {
            ctx.say(tr!(ctx.lang, "link-both-joined"));
            return Ok(Next::Quiet);
        }
        (Some(_), None) => {
            // She has joined here: the other app's account joins her.
            links::merge(ctx.conn, &other, ctx.user.id, now).await?;
        }
        (None, _) => {
            // The other app's account is the one that counts: this one becomes it.
            let me = ctx.user.clone();
            links::merge(ctx.conn, &me, other.id, now).await?;
            ctx.user = links::reach_via(ctx.conn, other.id, &me).await?;
            ctx.lang = Lang::parse(&ctx.user.lang).unwrap_or_default();
        }
    }
    tracing::info!(user = ctx.user.id, "two app accounts linked");
    let apps = links::platforms_of(ctx.conn, ctx.user.id)
        .await?
        .into_iter()
        .map(|p| app_name(&p))
        .collect::<Vec<_>>()
        .join(" + ");
    let done = tr!(ctx.lang, "link-done", apps = apps);
    // Whatever she was doing on the other app goes on here.
    let current = users::load_dialog(ctx.conn, ctx.user.id)
        .await?
        .map(|(version, json)| (version, DialogState::from_json(&json)));
    match current {
        Some((version, state)) if state != DialogState::Idle => {
            ctx.say(done);
            if let Some(prompt) = state::prompt(ctx, &state).await? {
                let chat = ctx.user.chat_id.clone();
                let platform = ctx.user.platform.clone();
                ctx.out
                    .push((platform, prompt.into_outbound(chat, version)));
            }
        }
        _ => flows::menu(ctx, Some(done)),
    }
    Ok(Next::Quiet)
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
