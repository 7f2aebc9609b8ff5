//! `/hoatdong`: branch heads and grassroots officers log what they did — type (from the
//! catalogue, by group), date, how many people or households, a short description and optional
//! photos — counted towards the plan's targets.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::paging::{self, Page};
use super::state::DialogState;
use super::{Ctx, DialogError, Next, Prompt, flows};
use crate::domain::org::Level;
use crate::domain::report::{TextRefusal, clean_text, parse_people};
use crate::i18n::Lang;
use crate::storage::activities::{self, NewActivity};
use crate::storage::org;
use crate::tr;

/// Most photos one activity keeps, and the largest accepted (Telegram's photo limit is 10 MB).
pub const MAX_PHOTOS: usize = 5;
pub const MAX_PHOTO_BYTES: i64 = 10 * 1024 * 1024;
const MAX_DESCRIPTION: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ActivityDraft {
    pub group: Option<String>,
    pub type_code: Option<String>,
    pub date: Option<NaiveDate>,
    pub amount: Option<i64>,
    pub description: Option<String>,
    #[serde(default)]
    pub photos: Vec<(String, Option<i64>)>,
    /// The page of the list on screen (groups or types: operators may add types).
    #[serde(default, skip_serializing_if = "is_first")]
    pub page: usize,
}

fn is_first(page: &usize) -> bool {
    *page == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStep {
    Group,
    Type,
    Date,
    Amount,
    Description,
    Photos,
    Confirm,
}

fn go(step: ActivityStep, draft: ActivityDraft) -> Next {
    Next::Go(DialogState::Activity { step, draft })
}

pub(crate) async fn start(ctx: &mut Ctx<'_>) -> Result<Next, DialogError> {
    match ctx.user.membership() {
        None => flows::not_joined(ctx),
        Some((_, role)) if role.files_monthly_report() => {
            Ok(go(ActivityStep::Group, ActivityDraft::default()))
        }
        Some(_) => {
            ctx.say(tr!(ctx.lang, "activity-not-allowed"));
            Ok(Next::Go(DialogState::Idle))
        }
    }
}

fn group_label(lang: Lang, group: &str) -> String {
    match group {
        "movement" => tr!(lang, "activity-group-movement"),
        "households" => tr!(lang, "activity-group-households"),
        "rural" => tr!(lang, "activity-group-rural"),
        "oversight" => tr!(lang, "activity-group-oversight"),
        "model" => tr!(lang, "activity-group-model"),
        "meeting" => tr!(lang, "activity-group-meeting"),
        "digital" => tr!(lang, "activity-group-digital"),
        "members" => tr!(lang, "activity-group-members"),
        other => other.to_owned(),
    }
}

fn amount_question(lang: Lang, measure: &str, kind: String) -> String {
    match measure {
        "households" => tr!(lang, "activity-ask-households"),
        "count" => tr!(lang, "activity-ask-count", kind = kind),
        _ => tr!(lang, "activity-ask-participants"),
    }
}

fn amount_unit(lang: Lang, measure: &str) -> String {
    match measure {
        "households" => tr!(lang, "activity-unit-households"),
        "count" => tr!(lang, "activity-unit-count"),
        _ => tr!(lang, "activity-unit-participants"),
    }
}

pub(crate) async fn prompt(
    ctx: &mut Ctx<'_>,
    step: ActivityStep,
    draft: &ActivityDraft,
) -> Result<Prompt, DialogError> {
    let lang = ctx.lang;
    let cancel = vec![(tr!(lang, "button-cancel"), "cancel".to_owned())];
    let types = activities::activity_types(ctx.conn).await?;
    Ok(match step {
        ActivityStep::Group => {
            let mut groups: Vec<String> = Vec::new();
            for t in &types {
                if !groups.contains(&t.group) {
                    groups.push(t.group.clone());
                }
            }
            let page = Page::of(&groups, draft.page);
            Prompt::new(tr!(lang, "activity-ask-group"))
                .column(
                    page.shown
                        .iter()
                        .map(|g| (group_label(lang, g), format!("g:{g}")))
                        .collect(),
                )
                .row(page.nav(lang, paging::step_token))
                .row(cancel)
        }
        ActivityStep::Type => {
            let group = draft.group.clone().unwrap_or_default();
            let listed: Vec<(String, String)> = types
                .iter()
                .filter(|t| t.group == group)
                .map(|t| (t.name(lang).to_owned(), format!("t:{}", t.code)))
                .collect();
            let page = Page::of(&listed, draft.page);
            Prompt::new(tr!(
                lang,
                "activity-ask-type",
                group = group_label(lang, &group)
            ))
            .column(page.shown.to_vec())
            .row(page.nav(lang, paging::step_token))
            .row(vec![(tr!(lang, "button-up"), "up".into())])
            .row(cancel)
        }
        ActivityStep::Date => Prompt::new(tr!(lang, "activity-ask-date"))
            .row(vec![
                (tr!(lang, "button-today"), "d:0".into()),
                (tr!(lang, "button-yesterday"), "d:1".into()),
            ])
            .row(cancel)
            .lettered(),
        ActivityStep::Amount => {
            let chosen = types
                .iter()
                .find(|t| Some(&t.code) == draft.type_code.as_ref());
            let measure = chosen.map(|t| t.measure.clone()).unwrap_or_default();
            let kind = chosen.map(|t| t.name(lang).to_owned()).unwrap_or_default();
            Prompt::new(amount_question(lang, &measure, kind))
                .row(cancel)
                .lettered()
        }
        ActivityStep::Description => Prompt::new(tr!(lang, "activity-ask-description"))
            .row(vec![(tr!(lang, "button-skip"), "skip".into())])
            .row(cancel),
        ActivityStep::Photos => Prompt::new(tr!(
            lang,
            "activity-ask-photos",
            count = draft.photos.len() as i64,
            max = MAX_PHOTOS as i64
        ))
        .row(vec![(tr!(lang, "button-photos-done"), "done".into())])
        .row(cancel),
        ActivityStep::Confirm => {
            let t = types
                .iter()
                .find(|t| Some(&t.code) == draft.type_code.as_ref());
            let measure = t.map(|t| t.measure.clone()).unwrap_or_default();
            let text = tr!(
                lang,
                "activity-confirm",
                kind = t.map(|t| t.name(lang).to_owned()).unwrap_or_default(),
                date = draft
                    .date
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
                amount = draft.amount.unwrap_or_default(),
                unit = amount_unit(lang, &measure),
                measure = measure.clone(),
                description = draft.description.clone().unwrap_or_else(|| "—".into()),
                photos = draft.photos.len() as i64
            );
            Prompt::new(text)
                .row(vec![(tr!(lang, "button-save-activity"), "save".into())])
                .row(cancel)
        }
    })
}

pub(crate) fn accepts_text(step: ActivityStep) -> bool {
    matches!(
        step,
        ActivityStep::Date | ActivityStep::Amount | ActivityStep::Description
    )
}

pub(crate) async fn on_choice(
    ctx: &mut Ctx<'_>,
    step: ActivityStep,
    draft: &ActivityDraft,
    token: &str,
) -> Result<Next, DialogError> {
    let mut d = draft.clone();
    if let (ActivityStep::Group | ActivityStep::Type, Some(asked)) =
        (step, paging::asked_page(token))
    {
        let Some(page) = asked else {
            return Ok(bad(ctx));
        };
        d.page = page;
        return Ok(go(step, d));
    }
    d.page = 0;
    match (step, token) {
        (ActivityStep::Group, t) if t.starts_with("g:") => {
            let group = &t[2..];
            let types = activities::activity_types(ctx.conn).await?;
            if !types.iter().any(|x| x.group == group) {
                return Ok(bad(ctx));
            }
            d.group = Some(group.to_owned());
            Ok(go(ActivityStep::Type, d))
        }
        (ActivityStep::Type, "up") => Ok(go(ActivityStep::Group, d)),
        (ActivityStep::Type, t) if t.starts_with("t:") => {
            // Only a type of the group on screen.
            match activities::activity_type(ctx.conn, &t[2..]).await? {
                Some(ty) if Some(&ty.group) == d.group.as_ref() => {
                    d.type_code = Some(ty.code);
                    Ok(go(ActivityStep::Date, d))
                }
                _ => Ok(bad(ctx)),
            }
        }
        (ActivityStep::Date, "d:0" | "d:1") => {
            let today = ctx.now.with_timezone(&ctx.tz).date_naive();
            d.date = Some(if token == "d:0" {
                today
            } else {
                today - Duration::days(1)
            });
            Ok(go(ActivityStep::Amount, d))
        }
        (ActivityStep::Description, "skip") => {
            d.description = None;
            Ok(go(ActivityStep::Photos, d))
        }
        (ActivityStep::Photos, "done") => Ok(go(ActivityStep::Confirm, d)),
        (ActivityStep::Confirm, "save") => save(ctx, &d).await,
        _ => Ok(bad(ctx)),
    }
}

pub(crate) fn on_text(
    ctx: &mut Ctx<'_>,
    step: ActivityStep,
    draft: &ActivityDraft,
    text: &str,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let mut d = draft.clone();
    match step {
        ActivityStep::Date => {
            let today = ctx.now.with_timezone(&ctx.tz).date_naive();
            match parse_date(text, today) {
                Some(date) if date <= today && date.year() >= today.year() - 1 => {
                    d.date = Some(date);
                    Ok(go(ActivityStep::Amount, d))
                }
                _ => {
                    ctx.say(tr!(lang, "activity-bad-date"));
                    Ok(Next::Stay)
                }
            }
        }
        ActivityStep::Amount => match parse_people(text) {
            Some(n) => {
                d.amount = Some(i64::from(n));
                Ok(go(ActivityStep::Description, d))
            }
            None => {
                ctx.say(tr!(lang, "incident-bad-people"));
                Ok(Next::Stay)
            }
        },
        ActivityStep::Description => match clean_text(text, MAX_DESCRIPTION) {
            Ok(t) => {
                d.description = Some(t);
                Ok(go(ActivityStep::Photos, d))
            }
            Err(why) => {
                ctx.say(match why {
                    TextRefusal::Empty => tr!(lang, "error-empty-text"),
                    TextRefusal::TooLong { chars, max } => {
                        tr!(
                            lang,
                            "error-text-too-long",
                            chars = chars as i64,
                            max = max as i64
                        )
                    }
                });
                Ok(Next::Stay)
            }
        },
        _ => Ok(Next::Stay),
    }
}

/// A photo at the photos step: kept by file id, up to the limits.
pub(crate) fn on_photo(
    ctx: &mut Ctx<'_>,
    draft: &ActivityDraft,
    file_id: &str,
    size: Option<i64>,
) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    if size.is_some_and(|s| s > MAX_PHOTO_BYTES) {
        ctx.say(tr!(lang, "activity-photo-too-big"));
        return Ok(Next::Stay);
    }
    if draft.photos.len() >= MAX_PHOTOS {
        ctx.say(tr!(
            lang,
            "activity-photo-too-many",
            max = MAX_PHOTOS as i64
        ));
        return Ok(go(ActivityStep::Confirm, draft.clone()));
    }
    if draft.photos.iter().any(|(f, _)| f == file_id) {
        return Ok(Next::Stay);
    }
    let mut d = draft.clone();
    d.photos.push((file_id.to_owned(), size));
    Ok(go(ActivityStep::Photos, d))
}

/// `dd/mm` or `dd/mm/yyyy` (the year defaults to the current one).
fn parse_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let parts: Vec<&str> = text.trim().split(['/', '-', '.']).collect();
    let (d, m, y) = match parts.as_slice() {
        [d, m] => (d.parse().ok()?, m.parse().ok()?, today.year()),
        [d, m, y] => {
            let y: i32 = y.parse().ok()?;
            (
                d.parse().ok()?,
                m.parse().ok()?,
                if y < 100 { 2000 + y } else { y },
            )
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(y, m, d)
}

async fn save(ctx: &mut Ctx<'_>, d: &ActivityDraft) -> Result<Next, DialogError> {
    let lang = ctx.lang;
    let (Some((unit_id, role)), Some(code), Some(date), Some(amount)) = (
        ctx.user.membership(),
        d.type_code.as_deref(),
        d.date,
        d.amount,
    ) else {
        return Ok(bad(ctx));
    };
    if !role.files_monthly_report() {
        ctx.say(tr!(lang, "activity-not-allowed"));
        return Ok(Next::Go(DialogState::Idle));
    }
    let Some(unit) = org::unit_by_id(ctx.conn, unit_id).await? else {
        return Ok(Next::Go(DialogState::Idle));
    };
    let lineage = org::lineage(ctx.conn, &unit).await?;
    let grassroots_id = lineage
        .iter()
        .rev()
        .find(|u| u.level == Level::Grassroots)
        .map(|u| u.id);
    let id = activities::insert_activity(
        ctx.conn,
        &NewActivity {
            unit_id,
            grassroots_id,
            type_code: code,
            date,
            amount,
            description: d.description.as_deref(),
            author_id: ctx.user.id,
            photos: &d.photos,
            platform: &ctx.user.platform,
        },
        ctx.now.timestamp(),
    )
    .await?;
    crate::targets::queue_around(ctx.conn, unit.id, ctx.now).await?;
    tracing::info!(activity = id, unit_id, code, "activity logged");
    let name = activities::activity_type(ctx.conn, code)
        .await?
        .map(|t| t.name(lang).to_owned())
        .unwrap_or_default();
    flows::menu(
        ctx,
        Some(tr!(
            lang,
            "activity-saved",
            kind = name,
            unit = unit.name.clone()
        )),
    );
    Ok(Next::Go(DialogState::Idle))
}

fn bad(ctx: &mut Ctx<'_>) -> Next {
    ctx.notice = Some(tr!(ctx.lang, "error-bad-button"));
    Next::Stay
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_the_vietnamese_way() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        assert_eq!(
            parse_date("3/11", today),
            NaiveDate::from_ymd_opt(2026, 11, 3)
        );
        assert_eq!(
            parse_date("03-11-2026", today),
            NaiveDate::from_ymd_opt(2026, 11, 3)
        );
        assert_eq!(
            parse_date("3.11.26", today),
            NaiveDate::from_ymd_opt(2026, 11, 3)
        );
        assert_eq!(parse_date("31/2", today), None);
        assert_eq!(parse_date("hôm qua", today), None);
    }
}
