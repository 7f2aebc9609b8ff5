//! Rendering of outbox rows into messages when they are sent: in the recipient's language, with
//! fresh data — and not at all (`None`) when the reason is gone (the unit has reported since
//! the reminder was queued; nothing is pending any more; the alert was resolved; she stopped the
//! announcement's kind). Charts and exports are made here too, when their row's turn comes, and
//! so are the QR code pictures of invites.

use chrono::{DateTime, Utc};

use crate::alerts::{self, AlertStatus};
use crate::chart::{self, ChartText, CompletenessBar, TargetBar};
use crate::dialog::admin::{Made, target_title};
use crate::dialog::announce;
use crate::domain::calendar::Calendars;
use crate::domain::org::Level;
use crate::domain::range::PeriodRange;
use crate::export::{self, ExportFormat};
use crate::i18n::Lang;
use crate::labels;
use crate::message::{Attachment, AttachmentKind, Choice, FileData, Outbound};
use crate::storage::Conn;
use crate::storage::outbox::{Kind, OutboxRow};
use crate::storage::users::{self, User};
use crate::storage::views;
use crate::storage::{StorageError, Store, announcements, invites, org, reports};
use crate::tr;

/// Most units named in one overdue summary (small screens).
const LISTED: usize = 15;

pub async fn render(
    conn: &mut Conn,
    calendars: &Calendars,
    row: &OutboxRow,
    now: DateTime<Utc>,
) -> Result<Option<Outbound>, StorageError> {
    let text_only = |text: String| Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: Vec::new(),
        ..Outbound::default()
    };
    if matches!(row.kind, Kind::Reply | Kind::Notice) {
        return Ok(
            match row.body.as_deref().map(serde_json::from_str::<Outbound>) {
                Some(Ok(mut out)) => {
                    out.chat_id = row.chat_id.clone();
                    Some(out)
                }
                _ => {
                    tracing::error!(id = row.id, "outbox row without a readable body");
                    None
                }
            },
        );
    }
    let recipient = match row.user_id {
        Some(id) => users::user_by_id(conn, id).await?,
        None => None,
    };
    let Some(recipient) = recipient else {
        return Ok(None);
    };
    let lang = Lang::parse(&recipient.lang).unwrap_or_default();
    match row.kind {
        Kind::Reminder => reminder(conn, calendars, row, lang, now).await,
        Kind::Overdue => overdue(conn, row, &recipient, lang).await,
        Kind::Alert => {
            let Some(alert) = alerts::load(conn, row.ref_id.unwrap_or_default()).await? else {
                return Ok(None);
            };
            if alert.status == AlertStatus::Resolved {
                return Ok(None);
            }
            let text = alerts::alert_text(conn, lang, &alert).await?;
            Ok(Some(Outbound {
                chat_id: row.chat_id.clone(),
                text,
                choices: alerts::buttons(lang, alert.id, alert.status),
                ..Outbound::default()
            }))
        }
        Kind::AlertStatus => alert_status(conn, row, lang)
            .await
            .map(|t| t.map(text_only)),
        Kind::Unreachable => {
            let Some(gone) = users::user_by_id(conn, row.ref_id.unwrap_or_default()).await? else {
                return Ok(None);
            };
            let unit = match gone.unit_id {
                Some(id) => org::unit_by_id(conn, id)
                    .await?
                    .map(|u| u.name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            Ok(Some(text_only(tr!(
                lang,
                "unreachable-to-head",
                name = gone.display_name,
                unit = unit
            ))))
        }
        Kind::Digest => digest(conn, calendars, row, lang).await,
        Kind::Announcement
            if matches!(
                row.body.as_deref(),
                Some(crate::storage::polls::QUESTION | crate::storage::polls::RESULT)
            ) =>
        {
            crate::dialog::polls::render_row(conn, calendars, &recipient, row, now).await
        }
        Kind::Announcement => announcement(conn, &recipient, row).await,
        // Made with the store (outside this connection): see `render_row`.
        Kind::Reply | Kind::Notice | Kind::Made => Ok(None),
    }
}

/// Renders any row: charts and exports are made with the store, the rest on one connection.
pub async fn render_row(
    store: &Store,
    calendars: &Calendars,
    row: &OutboxRow,
    now: DateTime<Utc>,
    max_upload_bytes: usize,
) -> Result<Option<Outbound>, StorageError> {
    if row.kind == Kind::Made {
        let lang = match row.user_id {
            Some(id) => {
                let mut conn = store.acquire().await?;
                users::user_by_id(&mut conn, id)
                    .await?
                    .and_then(|u| Lang::parse(&u.lang))
                    .unwrap_or_default()
            }
            None => Lang::Vi,
        };
        return make(store, calendars, row, lang, now, max_upload_bytes).await;
    }
    let mut conn = store.acquire().await?;
    render(&mut conn, calendars, row, now).await
}

/// The start-of-month digest to a branch: what it reported, how its union and district did,
/// and what became of its proposals.
async fn digest(
    conn: &mut Conn,
    calendars: &Calendars,
    row: &OutboxRow,
    lang: Lang,
) -> Result<Option<Outbound>, StorageError> {
    let (Some(unit_id), Some(period)) = (row.unit_id, row.period) else {
        return Ok(None);
    };
    let Some(branch) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(None);
    };
    let calendar = org::calendar_for(conn, calendars, &branch).await?;
    let until = (calendar.deadline(period) + calendar.on_time_grace).timestamp();
    let p = labels::period(period);
    let mut text = tr!(
        lang,
        "digest-title",
        period = p.clone(),
        unit = branch.name.clone()
    );
    let report = reports::load_report(conn, unit_id, period).await?;
    match &report {
        Some(r) => {
            let at = labels::date_time(
                lang,
                &calendar
                    .local(chrono::DateTime::from_timestamp(r.submitted_at, 0).unwrap_or_default()),
            );
            let on_time = r.submitted_at <= until;
            text.push('\n');
            text.push_str(&if on_time {
                tr!(lang, "digest-reported-on-time", time = at)
            } else {
                tr!(lang, "digest-reported-late", time = at)
            });
        }
        None => {
            text.push('\n');
            text.push_str(&tr!(lang, "digest-not-reported", period = p.clone()));
        }
    }
    for ancestor in org::lineage(conn, &branch).await?.into_iter().rev() {
        if !matches!(ancestor.level, Level::Grassroots | Level::District) {
            continue;
        }
        let levels =
            crate::storage::views::completeness_by_level(conn, &ancestor, period, until).await?;
        let mut all = crate::storage::views::Counts::default();
        for c in levels.values() {
            all.on_time += c.on_time;
            all.late += c.late;
            all.missing += c.missing;
        }
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "digest-ancestor",
            unit = ancestor.name.clone(),
            submitted = all.submitted(),
            expected = all.expected(),
            pct = format!("{:.0}", all.on_time_pct())
        ));
    }
    let activities = crate::storage::activities::count_in_period(conn, unit_id, period).await?;
    text.push('\n');
    text.push_str(&tr!(
        lang,
        "digest-activities",
        count = activities,
        period = p.clone()
    ));
    if let Some(proposals) = report.as_ref().and_then(|r| r.report.proposals.clone()) {
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "digest-proposals",
            text = labels::shorten(&proposals, 200)
        ));
    }
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: Vec::new(),
        ..Outbound::default()
    }))
}

/// An announcement's outbox row for `recipient` when it is sent; nothing when she has
/// stopped its kind since, or (a reminder) has read it meanwhile.
async fn announcement(
    conn: &mut Conn,
    recipient: &User,
    row: &OutboxRow,
) -> Result<Option<Outbound>, StorageError> {
    let Some(ann) = announcements::load(conn, row.ref_id.unwrap_or_default()).await? else {
        return Ok(None);
    };
    if announcements::stopped(conn, recipient.id)
        .await?
        .contains(&ann.kind)
    {
        return Ok(None);
    }
    let again = row.body.as_deref() == Some(announcements::REMINDER);
    if again
        && announcements::recipient(conn, ann.id, recipient.id)
            .await?
            .is_none_or(|read| read.is_some())
    {
        return Ok(None);
    }
    let lang = Lang::parse(&recipient.lang).unwrap_or_default();
    let from = org::unit_by_id(conn, ann.sender_unit_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let mut text = announce::message_text(lang, &from, ann.kind, &ann.body);
    if again {
        text = format!("{}\n\n{text}", tr!(lang, "announce-again"));
    }
    // Its photo or document by the id Telegram keeps it under; a platform that takes no
    // uploads gets a link to the copy kept for it instead (`Courier::share_by_link`).
    let attachment = ann.file.as_ref().map(|f| Attachment {
        kind: f.kind.attachment(),
        file_name: f.file_name.clone(),
        data: FileData::Platform(f.file_id.clone()),
        url: None,
    });
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: announce::message_choices(lang, ann.id),
        attachment,
        ..Outbound::default()
    }))
}

async fn reminder(
    conn: &mut Conn,
    calendars: &Calendars,
    row: &OutboxRow,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Option<Outbound>, StorageError> {
    let (Some(unit_id), Some(period)) = (row.unit_id, row.period) else {
        return Ok(None);
    };
    if reports::load_report(conn, unit_id, period).await?.is_some() {
        return Ok(None);
    }
    let Some(unit) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(None);
    };
    let calendar = org::calendar_for(conn, calendars, &unit).await?;
    if now >= calendar.locks_at(period) {
        return Ok(None);
    }
    let deadline = labels::date_time(lang, &calendar.local(calendar.deadline(period)));
    let p = labels::period(period);
    let text = if now > calendar.deadline(period) {
        tr!(
            lang,
            "reminder-overdue",
            unit = unit.name,
            period = p,
            deadline = deadline
        )
    } else if row.ref_id == Some(0) {
        tr!(
            lang,
            "reminder-prompt",
            unit = unit.name,
            period = p,
            deadline = deadline
        )
    } else {
        tr!(
            lang,
            "reminder-again",
            unit = unit.name,
            period = p,
            deadline = deadline
        )
    };
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: vec![vec![Choice {
            label: tr!(lang, "button-open-report"),
            data: format!("p:{period}"),
        }]],
        ..Outbound::default()
    }))
}

async fn overdue(
    conn: &mut Conn,
    row: &OutboxRow,
    officer: &User,
    lang: Lang,
) -> Result<Option<Outbound>, StorageError> {
    let (Some(unit_id), Some(period)) = (officer.unit_id, row.period) else {
        return Ok(None);
    };
    let Some(unit) = org::unit_by_id(conn, unit_id).await? else {
        return Ok(None);
    };
    let expected = reports::expected_units(conn, &unit.path, period).await?;
    let pending: Vec<_> = expected
        .iter()
        .filter(|e| e.submitted_at.is_none())
        .collect();
    if pending.is_empty() {
        return Ok(None);
    }
    let mut text = tr!(
        lang,
        "overdue-summary",
        period = labels::period(period),
        pending = pending.len() as i64,
        total = expected.len() as i64
    );
    for e in pending.iter().take(LISTED) {
        text.push_str(&format!("\n• {}", e.name));
    }
    if pending.len() > LISTED {
        text.push_str(&tr!(
            lang,
            "overdue-more",
            count = (pending.len() - LISTED) as i64
        ));
    }
    Ok(Some(Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: vec![vec![Choice {
            label: tr!(lang, "button-remind-all"),
            data: format!("r:{period}"),
        }]],
        ..Outbound::default()
    }))
}

async fn alert_status(
    conn: &mut Conn,
    row: &OutboxRow,
    lang: Lang,
) -> Result<Option<String>, StorageError> {
    let event = alerts::event(conn, row.ref_id.unwrap_or_default()).await?;
    let Some((alert_id, status, by)) = event else {
        return Ok(None);
    };
    let Some(alert) = alerts::load(conn, alert_id).await? else {
        return Ok(None);
    };
    let what = labels::field(lang, alert.incident.field);
    let text = match (status.as_str(), by) {
        // "The union above", whatever its level is called in this deployment's tree.
        ("escalated", _) => tr!(lang, "alert-reporter-escalated", incident = what),
        (s, Some(by)) => {
            let Some(status) = AlertStatus::parse(s) else {
                return Ok(None);
            };
            let officer = users::user_by_id(conn, by).await?;
            let (name, role) = match officer {
                Some(o) => (
                    o.display_name.clone(),
                    o.role.map(|r| labels::role(lang, r)).unwrap_or_default(),
                ),
                None => (String::new(), String::new()),
            };
            tr!(
                lang,
                "alert-reporter-status",
                incident = what,
                status = status.label(lang),
                name = name,
                role = role
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(text))
}

// ---- made when sent ----------------------------------------------------------------------------

/// Makes the chart or export an outbox row asks for: an [`Outbound`] with the file attached.
async fn make(
    store: &Store,
    calendars: &Calendars,
    row: &OutboxRow,
    lang: Lang,
    now: DateTime<Utc>,
    max_upload_bytes: usize,
) -> Result<Option<Outbound>, StorageError> {
    let Some(made) = row
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Made>(b).ok())
    else {
        return Ok(None);
    };
    let mut conn = store.acquire().await?;
    let outbound = |text: String, attachment: Attachment| Outbound {
        chat_id: row.chat_id.clone(),
        text,
        choices: Vec::new(),
        attachment: Some(attachment),
        ..Outbound::default()
    };
    match made {
        Made::CompletenessChart { unit, period } => {
            let Some(unit) = org::unit_by_id(&mut conn, unit).await? else {
                return Ok(None);
            };
            let calendar = org::calendar_for(&mut conn, calendars, &unit).await?;
            let by_child = views::completeness_by_child(
                &mut conn,
                &unit,
                period,
                (calendar.deadline(period) + calendar.on_time_grace).timestamp(),
            )
            .await?;
            let children = org::children(&mut conn, Some(unit.id)).await?;
            let bars: Vec<CompletenessBar> = children
                .iter()
                .filter_map(|c| {
                    by_child
                        .iter()
                        .find(|(id, _)| *id == Some(c.id))
                        .map(|(_, n)| CompletenessBar {
                            label: c.name.clone(),
                            on_time: n.on_time as u32,
                            late: n.late as u32,
                            missing: n.missing as u32,
                        })
                })
                .collect();
            let title = tr!(
                lang,
                "progress-title",
                period = labels::period(period),
                unit = unit.name.clone()
            );
            let png = chart::completeness_png(&chart_text(lang, title.clone()), &bars)
                .map_err(|e| StorageError::Corrupt(format!("chart: {e}")))?;
            Ok(Some(outbound(title, photo(png))))
        }
        Made::TargetsChart { unit, year } => {
            let Some(unit) = org::unit_by_id(&mut conn, unit).await? else {
                return Ok(None);
            };
            let list = crate::targets::under(&mut conn, calendars, &unit, year, now).await?;
            let bars: Vec<TargetBar> = list
                .iter()
                .map(|(t, p, _)| TargetBar {
                    label: format!("{}. {}", t.number, target_title(lang, t)),
                    achieved_pct: p.pct(),
                    goal_pct: t.goal_pct as f64,
                })
                .collect();
            let title = tr!(
                lang,
                "targets-title",
                year = i64::from(year),
                unit = unit.name.clone()
            );
            let png = chart::targets_png(&chart_text(lang, title.clone()), &bars)
                .map_err(|e| StorageError::Corrupt(format!("chart: {e}")))?;
            Ok(Some(outbound(title, photo(png))))
        }
        Made::InviteQr { code, content } => {
            // Revoked or expired before its turn came: no picture of a dead code.
            let Some(code) = crate::domain::invite::InviteCode::parse(&code) else {
                return Ok(None);
            };
            let Some((unit_name, role, expires_at)) =
                invites::open_invite_unit(&mut conn, &code, now.timestamp()).await?
            else {
                return Ok(None);
            };
            let png = crate::qr::png(&content)
                .map_err(|e| StorageError::Corrupt(format!("QR code: {e}")))?;
            let until = DateTime::<Utc>::from_timestamp(expires_at, 0)
                .unwrap_or(now)
                .with_timezone(&calendars.tz);
            let text = tr!(
                lang,
                "invite-qr-caption",
                unit = unit_name,
                whom = tr!(lang, "invite-whom", role = role.as_str()),
                until = labels::date_time(lang, &until),
                code = code.as_str().to_owned()
            );
            Ok(Some(outbound(
                text,
                Attachment {
                    kind: AttachmentKind::Photo,
                    file_name: "ma-moi.png".into(),
                    data: FileData::Bytes(png),
                    url: None,
                },
            )))
        }
        Made::Draft {
            unit,
            range,
            scheduled,
        } => {
            let Some(unit) = org::unit_by_id(&mut conn, unit).await? else {
                return Ok(None);
            };
            drop(conn);
            let Ok(range) = range.parse::<PeriodRange>() else {
                return Ok(None);
            };
            let path = tempfile::Builder::new()
                .prefix("chihoi-draft-")
                .suffix(".docx")
                .tempfile()
                .map_err(|e| StorageError::Corrupt(format!("draft: {e}")))?
                .into_temp_path();
            let scope = export::Scope::new(store, calendars, Some(&unit.code), range, lang, now)
                .await
                .map_err(|e| StorageError::Corrupt(format!("draft: {e}")))?
                .one_sheet_at_a_time();
            crate::draft::write(&scope, &path)
                .await
                .map_err(|e| StorageError::Corrupt(format!("draft: {e}")))?;
            // Sent when its period came (no one asked): it says why it arrives.
            let id = if scheduled {
                "draft-ready-scheduled"
            } else {
                "draft-ready"
            };
            let text = crate::i18n::t_args(
                lang,
                id,
                &[
                    ("range", crate::draft::range_words(lang, range).into()),
                    ("unit", unit.name.clone().into()),
                ],
            );
            Ok(Some(outbound(
                text,
                Attachment {
                    kind: AttachmentKind::Document,
                    file_name: format!("bao-cao-{}-{range}.docx", unit.code),
                    data: FileData::Temp(std::sync::Arc::new(path)),
                    url: None,
                },
            )))
        }
        Made::PollChart { poll } => Ok(poll_chart(&mut conn, poll, lang)
            .await?
            .map(|(title, picture)| outbound(title, picture))),
        Made::PollTable { poll } => {
            let Some(poll) = crate::storage::polls::load(&mut conn, poll).await? else {
                return Ok(None);
            };
            let csv = crate::dialog::polls::results_table(&mut conn, lang, &poll).await?;
            Ok(Some(outbound(
                tr!(lang, "poll-table-ready", n = poll.id),
                Attachment {
                    kind: AttachmentKind::Document,
                    file_name: format!("lay-y-kien-{}.csv", poll.id),
                    data: FileData::Bytes(csv),
                    url: None,
                },
            )))
        }
        Made::Synthesis {
            unit,
            period,
            word,
            scheduled,
            page,
        } => {
            let Some(unit) = org::unit_by_id(&mut conn, unit).await? else {
                return Ok(None);
            };
            let children: Vec<(String, String)> = org::children(&mut conn, Some(unit.id))
                .await?
                .into_iter()
                .filter(|c| c.level < Level::Branch)
                .map(|c| (c.name, format!("th:{}:{period}", c.id)))
                .collect();
            drop(conn);
            let s = crate::synthesis::gather(store, calendars, &unit, period, lang, now)
                .await
                .map_err(|e| StorageError::Corrupt(format!("synthesis: {e}")))?;
            if word {
                let path = tempfile::Builder::new()
                    .prefix("chihoi-synthesis-")
                    .suffix(".docx")
                    .tempfile()
                    .map_err(|e| StorageError::Corrupt(format!("synthesis: {e}")))?
                    .into_temp_path();
                crate::synthesis::write_document(lang, &s, &path).await?;
                let text = tr!(
                    lang,
                    "synthesis-word-ready",
                    month = labels::period(period),
                    unit = unit.name.clone()
                );
                return Ok(Some(outbound(
                    text,
                    Attachment {
                        kind: AttachmentKind::Document,
                        file_name: format!("tong-hop-{}-{period}.docx", unit.code),
                        data: FileData::Temp(std::sync::Arc::new(path)),
                        url: None,
                    },
                )));
            }
            let mut text = crate::synthesis::text(lang, &s);
            if scheduled {
                text = format!(
                    "{}\n\n{text}",
                    tr!(lang, "synthesis-scheduled", month = labels::period(period))
                );
            }
            let choices = crate::dialog::synthesis::choices(lang, unit.id, period, &children, page);
            Ok(Some(Outbound {
                chat_id: row.chat_id.clone(),
                text,
                choices,
                ..Outbound::default()
            }))
        }
        Made::Export { unit, range, xlsx } => {
            let Some(unit) = org::unit_by_id(&mut conn, unit).await? else {
                return Ok(None);
            };
            drop(conn);
            let Ok(range) = range.parse::<PeriodRange>() else {
                return Ok(None);
            };
            let format = if xlsx {
                ExportFormat::Xlsx
            } else {
                ExportFormat::Csv
            };
            // Made on disk and checked for size before anything is uploaded.
            let (path, rows) = export::export_temp_file(
                store,
                calendars,
                Some(&unit.code),
                range,
                format,
                lang,
                now,
            )
            .await
            .map_err(|e| StorageError::Corrupt(format!("export: {e}")))?;
            let size = std::fs::metadata(&path)
                .map_err(|e| StorageError::Corrupt(format!("export: {e}")))?
                .len();
            if size > max_upload_bytes as u64 {
                // Whole megabytes, or kilobytes under one (a limit set low reads "2 KB", not "0 MB").
                let mb = |n: u64| match n {
                    0..1_000_000 => format!("{} KB", n.div_ceil(1000)),
                    _ => format!("{:.0} MB", n as f64 / 1e6),
                };
                return Ok(Some(Outbound {
                    chat_id: row.chat_id.clone(),
                    text: tr!(
                        lang,
                        "export-too-big",
                        range = labels::range(lang, range),
                        unit = unit.name,
                        size = mb(size),
                        limit = mb(max_upload_bytes as u64)
                    ),
                    choices: Vec::new(),
                    ..Outbound::default()
                }));
            }
            let ext = if xlsx { "xlsx" } else { "csv" };
            let file_name = format!("bao-cao-{}-{range}.{ext}", unit.code);
            let text = tr!(
                lang,
                "export-ready",
                range = labels::range(lang, range),
                unit = unit.name,
                rows = rows as i64
            );
            Ok(Some(outbound(
                text,
                Attachment {
                    kind: AttachmentKind::Document,
                    file_name,
                    data: FileData::Temp(std::sync::Arc::new(path)),
                    url: None,
                },
            )))
        }
    }
}

/// The bar chart of poll `id`'s answers.
async fn poll_chart(
    conn: &mut Conn,
    id: i64,
    lang: Lang,
) -> Result<Option<(String, Attachment)>, StorageError> {
    let Some(poll) = crate::storage::polls::load(conn, id).await? else {
        return Ok(None);
    };
    let bars = crate::dialog::polls::chart_bars(conn, &poll).await?;
    let title = tr!(
        lang,
        "poll-chart-title",
        n = poll.id,
        text = labels::shorten(&poll.question, 60)
    );
    let text = ChartText {
        title: title.clone(),
        achieved: tr!(lang, "poll-chart-legend"),
        more: tr!(lang, "chart-more"),
        ..ChartText::default()
    };
    let png =
        chart::poll_png(&text, &bars).map_err(|e| StorageError::Corrupt(format!("chart: {e}")))?;
    Ok(Some((title, photo(png))))
}

fn photo(png: Vec<u8>) -> Attachment {
    Attachment {
        kind: AttachmentKind::Photo,
        file_name: "chart.png".into(),
        data: FileData::Bytes(png),
        url: None,
    }
}

fn chart_text(lang: Lang, title: String) -> ChartText {
    ChartText {
        title,
        on_time: tr!(lang, "chart-on-time"),
        late: tr!(lang, "chart-late"),
        missing: tr!(lang, "chart-missing"),
        achieved: tr!(lang, "chart-achieved"),
        goal: tr!(lang, "chart-goal"),
        more: tr!(lang, "chart-more"),
    }
}
