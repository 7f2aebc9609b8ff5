//! `chihoi demo`: the real engine, storage (an embedded SQLite file), Telegram and Zalo
//! channels, talking to local fake Telegram and Zalo servers instead of the real ones — no
//! token, no network. A sample province is imported, the operator issues an invite, invites go
//! down the tree in chat (`/moi`), and four women use the bot: a grassroots officer, a member
//! who raises an urgent incident and an opinion, and a branch head who files the monthly report
//! on Telegram; another branch head files hers on
//! Zalo, answering numbered lists by number and by words. Then the reports are exported, the
//! grassroots officer gets the month's synthesis (`/tonghop`) with its Word file the morning
//! after the deadline (the demo's clock moves there), and the 6-month report is drafted.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chihoi_fakes::telegram::person::{Person, PersonError};
use chihoi_fakes::telegram::{LocalBotApi, LocalBotApiOptions, SentMessage};
use chihoi_fakes::zalo::person::ZaloPerson;
use chihoi_fakes::zalo::{FakeZalo, FakeZaloOptions, ZaloSent};
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::AppError;
use crate::channel::telegram::{Telegram, TelegramOptions, TelegramSender};
use crate::channel::zalo::{Zalo, ZaloOptions, ZaloSender};
use crate::config::{DatabaseUrl, Secret};
use crate::delivery::Courier;
use crate::dialog::{Clock, Engine};
use crate::domain::calendar::Calendars;
use crate::domain::period::Period;
use crate::domain::range::PeriodRange;
use crate::domain::role::Role;
use crate::export::{self, ExportFormat, Sheet};
use crate::i18n::Lang;
use crate::scheduler::Scheduler;
use crate::storage::Store;

const SAMPLE_ORG: &[u8] = include_bytes!("../../examples/org-thai-binh.csv");
const GRASSROOTS: &str = "TB-DH-DHOP";
/// The branch whose head uses Zalo.
const ZALO_BRANCH: &str = "TB-DH-DHOP-T2";

impl From<PersonError> for AppError {
    fn from(e: PersonError) -> Self {
        AppError::Usage(format!("demo conversation failed: {e}"))
    }
}

pub async fn run(dir: Option<PathBuf>) -> Result<(), AppError> {
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("chihoi-demo-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).map_err(|source| AppError::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let db_path = dir.join("chihoi-demo.db");
    let _ = std::fs::remove_file(&db_path);
    let url = DatabaseUrl::parse(&format!("sqlite://{}", db_path.display()))?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let now = Utc::now();

    heading("1. Operator: import the province's tree (examples/org-thai-binh.csv)");
    let summary = super::import_org_bytes(&store, SAMPLE_ORG, now).await?;
    println!("   {} units imported. Part of the tree:", summary.inserted);
    for line in super::org_tree(&store, Some(GRASSROOTS)).await?.lines() {
        println!("   {line}");
    }

    heading("2. Operator: an invite for the grassroots officer (chihoi invite --unit … --role …)");
    let week = Duration::from_secs(7 * 24 * 3600);
    let officer_code =
        super::create_invite(&store, GRASSROOTS, Role::GrassrootsOfficer, 1, week, now).await?;
    let api = LocalBotApi::start(LocalBotApiOptions::default())
        .await
        .map_err(|e| AppError::Usage(format!("cannot start the local Bot API server: {e}")))?;
    println!(
        "   {:<20} {}",
        "grassroots officer",
        officer_code.code.deep_link(api.bot_username())
    );
    let zalo_head_code =
        super::create_invite(&store, ZALO_BRANCH, Role::BranchHead, 1, week, now).await?;
    println!(
        "   {:<20} (Zalo has no deep links: she sends the code) {}",
        "branch head on Zalo",
        zalo_head_code.code.as_str()
    );

    heading("3. The bot runs against local Telegram- and Zalo-compatible servers");
    let zalo_api = FakeZalo::start(FakeZaloOptions::default())
        .await
        .map_err(|e| AppError::Usage(format!("cannot start the local Zalo server: {e}")))?;
    let mut options = TelegramOptions::new(Secret::new(api.token()));
    options.api_url = Some(api.api_url());
    options.poll_timeout = Duration::from_secs(1);
    options.run_courier = false;
    let mut zalo_options = ZaloOptions::new(Secret::new(zalo_api.token()), zalo_api.api_url());
    zalo_options.poll_timeout = Duration::from_secs(1);
    zalo_options.run_courier = false;
    let calendars =
        Calendars::new(tz, Default::default()).map_err(|e| AppError::Usage(e.to_string()))?;
    let engine = Engine::new(store.clone(), calendars.clone());
    // The wall clock, until the demo moves it forward to show what happens after a deadline.
    let shift = Arc::new(AtomicI64::new(0));
    let clock: Clock = {
        let shift = shift.clone();
        Arc::new(move || Utc::now() + chrono::Duration::seconds(shift.load(Ordering::Relaxed)))
    };
    // One courier for both platforms, as `chihoi serve` runs them.
    let courier = Courier::builder(
        store.clone(),
        calendars.clone(),
        clock.clone(),
        engine.instance().to_owned(),
    )
    .sender(
        Arc::new(TelegramSender::new(&options)),
        options.delivery.clone(),
    )
    .sender(
        Arc::new(ZaloSender::new(&zalo_options)?),
        zalo_options.delivery.clone(),
    )
    .build();
    let telegram = Telegram::with_courier(engine.clone(), &options, clock.clone(), courier.clone());
    settle_with(&api, &telegram);
    let zalo = Zalo::with_courier(engine, &zalo_options, clock, courier.clone())?;
    settle_zalo_with(&zalo_api, &zalo);
    let shutdown = CancellationToken::new();
    let bot_task = {
        let (telegram, options, zalo, zalo_options, courier, shutdown) = (
            telegram.clone(),
            options.clone(),
            zalo.clone(),
            zalo_options.clone(),
            courier.clone(),
            shutdown.clone(),
        );
        tokio::spawn(async move {
            let (t, z, ()) = tokio::join!(
                telegram.run(&options, shutdown.clone()),
                zalo.run(&zalo_options, shutdown.clone()),
                courier.run(shutdown.clone()),
            );
            t.map_err(AppError::from)?;
            z.map_err(AppError::from)
        })
    };
    println!("   Telegram Bot API server at {} (polling)", api.api_url());
    println!("   Zalo Bot API server at {} (polling)", zalo_api.api_url());

    let mut hoa = Person::new(&api, 5001, "Trần Thị Hoa");
    let mut lan = Person::new(&api, 5002, "Nguyễn Thị Lan");
    let mut mai = Person::new(&api, 5003, "Phạm Thị Mai");

    heading("4. Invites down the tree: the officer invites the branch head, who invites members");
    say(&mut hoa, &format!("/start {}", officer_code.code.as_str())).await?;
    let head_link =
        invite_in_chat(&mut hoa, Some("Chi hội phụ nữ thôn Đồng Thanh"), "7 ngày").await?;
    say(&mut lan, &head_link).await?;
    let member_link = invite_in_chat(&mut lan, None, "30 ngày").await?;
    say(&mut mai, &member_link).await?;

    heading("5. A member reports an urgent incident; the grassroots officer gets it at once");
    tap(&mut mai, "🚨 Báo cáo khẩn").await?;
    tap(&mut mai, "An ninh trật tự").await?;
    tap(&mut mai, "Phức tạp").await?;
    say(&mut mai, "7").await?;
    say(
        &mut mai,
        "Nhóm thanh niên lạ mặt tụ tập gây gổ trước cổng chợ Đồng Thanh tối nay.",
    )
    .await?;
    tap(&mut mai, "🚨 Gửi ngay").await?;
    show_unread(&mut hoa);

    heading("6. The member raises an opinion to her branch");
    tap(&mut mai, "💬 Gửi ý kiến").await?;
    say(
        &mut mai,
        "Đề nghị chi hội mở lớp hướng dẫn bà con bán nông sản qua mạng.",
    )
    .await?;
    tap(&mut mai, "Gửi kèm tên").await?;
    if !show_unread(&mut lan) && calendars.deployment().in_quiet_hours(chrono::Utc::now()) {
        println!("   (quiet hours now: she is told at 07:00; run the demo by day to see it)");
    }

    heading("7. The branch head announces a new law to her members; a member confirms reading");
    say(&mut lan, "/thongbao").await?;
    tap(&mut lan, "✏️ Soạn thông báo mới").await?;
    say(
        &mut lan,
        "Từ 1/1/2027, hộ kinh doanh phải dùng hóa đơn điện tử. Chi hội sẽ hướng dẫn vào tối thứ Bảy.",
    )
    .await?;
    tap(&mut lan, "Tuyên truyền chính sách, pháp luật").await?;
    println!("   👩 {}: [📤 Gửi]", lan.user.first_name);
    let sent = lan.tap("📤 Gửi").await?;
    print_replies(&sent);
    // Announcements wait out the quiet hours (22:00–07:00): at night the demo says so.
    let held = sent
        .iter()
        .any(|m| m.text.as_deref().is_some_and(|t| t.contains("07:00")));
    if held {
        println!("   (quiet hours now: it goes out at 07:00; run the demo by day to see it read)");
    } else {
        print_replies(
            &mai.wait_for("the announcement", |m| m.button("✅ Đã đọc").is_some())
                .await?,
        );
        tap(&mut mai, "✅ Đã đọc").await?;
        say(&mut lan, "/thongbao").await?;
        let reach = lan
            .last_with_buttons()
            .and_then(|m| {
                m.button_texts()
                    .into_iter()
                    .find(|t| t.starts_with("📊"))
                    .map(str::to_owned)
            })
            .ok_or_else(|| AppError::Usage("the demo's announcement is not listed".into()))?;
        tap(&mut lan, &reach).await?;
        say(&mut lan, "/huy").await?;
    }

    heading("8. The branch head files the monthly public-opinion report");
    tap(&mut lan, "📋 Báo cáo tháng").await?;
    tap(&mut lan, "Ổn định").await?;
    say(
        &mut lan,
        "Lúa mùa thu hoạch xong, năng suất khá; nhiều chị em làm thêm nghề đan cói.",
    )
    .await?;
    tap(&mut lan, "Có khó khăn").await?;
    tap(&mut lan, "Bỏ qua").await?;
    tap(&mut lan, "Phấn khởi, tin tưởng").await?;
    say(&mut lan, "Chị em mong được hỗ trợ bán hàng qua mạng.").await?;
    tap(&mut lan, "Có").await?;
    tap(&mut lan, "Giải phóng mặt bằng").await?;
    tap(&mut lan, "Mức nhẹ").await?;
    say(&mut lan, "12").await?;
    say(
        &mut lan,
        "Ba hộ chưa đồng ý mức đền bù làm đường liên thôn.",
    )
    .await?;
    tap(&mut lan, "Tiếp tục ➡").await?;
    say(
        &mut lan,
        "Đề nghị xã tổ chức đối thoại với các hộ về mức đền bù.",
    )
    .await?;
    println!("   (she reviews the summary, corrects one part, and submits)");
    tap(&mut lan, "✏️ Đời sống").await?;
    tap(&mut lan, "Ổn định").await?;
    tap(&mut lan, "Bỏ qua").await?;
    // The button as she saw it: once tapped, its message is edited and the button is gone.
    let old_submit = lan.inbox().iter().rev().find_map(|m| {
        m.button("✅ Gửi báo cáo")
            .and_then(|b| b.callback_data.clone())
            .map(|d| (m.message_id, d))
    });
    tap(&mut lan, "✅ Gửi báo cáo").await?;

    heading("9. A second tap on an old button changes nothing");
    if let Some((message_id, data)) = old_submit {
        lan.tap_data(message_id, &data).await?;
        println!(
            "   👩 {}: (taps the old \"✅ Gửi báo cáo\" again)",
            lan.user.first_name
        );
        let answers = api.calls("answerCallbackQuery");
        if let Some(text) = answers
            .last()
            .and_then(|a| a.get("text"))
            .and_then(|t| t.as_str())
        {
            println!("   🤖 (notice) {text}");
        }
    }

    heading(
        "10. On Zalo (no buttons), another branch head answers numbered lists by number and by words",
    );
    let mut thu = ZaloPerson::new(&zalo_api, "0093847561029384756", "Lê Thị Thu");
    zalo_say(&mut thu, "Xin chào").await?;
    zalo_say(&mut thu, zalo_head_code.code.as_str()).await?;
    zalo_say(&mut thu, "1").await?;
    zalo_say(&mut thu, " 2 ").await?;
    zalo_say(&mut thu, "Mưa lớn làm đổ một phần lúa mùa.").await?;
    zalo_say(&mut thu, "on dinh").await?;
    zalo_say(&mut thu, "bo qua").await?;
    zalo_say(&mut thu, "PHAN KHOI TIN TUONG").await?;
    zalo_say(&mut thu, "1").await?;
    zalo_say(&mut thu, "khong co").await?;
    zalo_say(&mut thu, "khong co de xuat").await?;
    zalo_say(&mut thu, "gui bao cao").await?;

    heading(
        "11. The scheduler (chihoi tick) at 08:00 on the 25th: reminders only where nobody reported",
    );
    let period = Period::containing(now, tz);
    let reminder_at = calendars.deployment().chase_events(period)[1];
    let tick = Scheduler::new(store.clone(), calendars.clone())
        .tick(reminder_at)
        .await?;
    println!(
        "   {} reminder(s) queued; the courier sends them:",
        tick.reminders
    );
    courier.drain_all(reminder_at).await?;
    show_unread(&mut hoa);
    let lan_got = lan.unread();
    println!(
        "   → to {}: {} message(s) (her branch has reported)",
        lan.user.first_name,
        lan_got.len()
    );

    heading("12. The grassroots officer looks at this month's progress");
    say(&mut hoa, "/tiendo").await?;

    heading("13. Operator: export (chihoi export --period … --format csv|xlsx)");
    let period = Period::containing(now, tz);
    let table = export::reports_table(&store, period, None, Lang::Vi, tz).await?;
    println!("   {} report(s) for {period}:", table.rows.len());
    for row in &table.rows {
        for (h, v) in table.headers.iter().zip(row) {
            if !v.is_empty() {
                println!("   {h}: {}", v.replace('\n', "\n      "));
            }
        }
    }
    let csv_path = dir.join(format!("bao-cao-{period}.csv"));
    let xlsx_path = dir.join(format!("bao-cao-{period}.xlsx"));
    let config = crate::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.expose().to_owned()),
        _ => None,
    })?;
    let range = PeriodRange::Month(period);
    super::export_reports(
        &store,
        &config,
        range,
        None,
        ExportFormat::Csv,
        Sheet::Reports,
        Lang::Vi,
        &csv_path,
    )
    .await?;
    super::export_reports(
        &store,
        &config,
        range,
        None,
        ExportFormat::Xlsx,
        Sheet::Reports,
        Lang::Vi,
        &xlsx_path,
    )
    .await?;

    let synthesis_at = calendars.deployment().synthesis_at(period);
    heading(&format!(
        "14. The morning after the deadline (the demo's clock moves to {}): the officer's monthly synthesis",
        synthesis_at.with_timezone(&tz).format("%d/%m/%Y %H:%M")
    ));
    println!("   (the bot sends it unasked at this hour too; here she asks for it with /tonghop)");
    shift.store((synthesis_at - Utc::now()).num_seconds(), Ordering::Relaxed);
    let synthesis_path = monthly_synthesis(&store, &mut hoa, period, &dir).await?;
    shift.store(0, Ordering::Relaxed);

    shutdown.cancel();
    match bot_task.await {
        Ok(result) => result?,
        Err(e) => return Err(AppError::Usage(format!("the bot stopped: {e}"))),
    }

    heading(
        "15. The 6-month report, drafted from the data (chihoi report draft --unit … --period …)",
    );
    let half = PeriodRange::Half {
        year: period.year(),
        second: period.month() > 6,
    };
    let docx_path = dir.join(format!("bao-cao-{GRASSROOTS}-{half}.docx"));
    let figures =
        super::draft_report(&store, &config, half, GRASSROOTS, Lang::Vi, &docx_path).await?;
    println!(
        "   A Word document to edit and send: {} target rows, {} monthly reports due, {} on time.",
        figures.targets.len(),
        figures.expected(),
        figures.on_time()
    );
    println!(
        "\n   Files: {}\n          {}\n          {}\n          {}\n          {}",
        csv_path.display(),
        xlsx_path.display(),
        synthesis_path.display(),
        docx_path.display(),
        db_path.display()
    );
    store.close().await;
    Ok(())
}

/// `/tonghop` by taps: the month whose deadline has just passed, its synthesis, then its Word
/// file, which is written into `dir` as she received it. Returns the file's path.
async fn monthly_synthesis(
    store: &Store,
    hoa: &mut Person<'_>,
    period: Period,
    dir: &std::path::Path,
) -> Result<PathBuf, AppError> {
    say(hoa, "/tonghop").await?;
    let month = crate::tr!(
        Lang::Vi,
        "synthesis-month",
        month = crate::labels::period(period)
    );
    tap_until(hoa, &month, "the synthesis", |m| {
        m.button("📄 Tệp Word").is_some()
    })
    .await?;
    // The synthesis is out a moment before it counts as sent; until then a second file would
    // be refused as "one is on its way".
    let hers = {
        let mut conn = store.acquire().await?;
        crate::storage::users::user_in_chat(&mut conn, "telegram", &hoa.user.id.to_string())
            .await?
            .ok_or_else(|| AppError::Usage("the demo's officer is not in the bot".into()))?
    };
    for _ in 0..100 {
        let mut conn = store.acquire().await?;
        if !crate::storage::outbox::made_pending_for(&mut conn, hers.id).await? {
            break;
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = tap_until(hoa, "📄 Tệp Word", "the Word file", |m| {
        m.document.is_some()
    })
    .await?;
    let file = got
        .iter()
        .find_map(|m| m.document.clone())
        .ok_or_else(|| AppError::Usage("the demo's synthesis has no Word file".into()))?;
    let path = dir.join(&file.file_name);
    std::fs::write(&path, &file.bytes).map_err(|source| AppError::Write {
        path: path.display().to_string(),
        source,
    })?;
    println!("   Written to {}", path.display());
    Ok(path)
}

fn heading(text: &str) {
    println!("\n== {text}");
}

async fn say(p: &mut Person<'_>, text: &str) -> Result<(), AppError> {
    println!("   👩 {}: {text}", p.user.first_name);
    let replies = p.send(text).await?;
    print_replies(&replies);
    Ok(())
}

async fn tap(p: &mut Person<'_>, label: &str) -> Result<(), AppError> {
    println!("   👩 {}: [{label}]", p.user.first_name);
    let replies = p.tap(label).await?;
    print_replies(&replies);
    Ok(())
}

/// Taps `label`, then waits for what it asked to be made in the background (`wanted`), which
/// comes with the answer to the tap or after it. Prints and returns all of it.
async fn tap_until(
    p: &mut Person<'_>,
    label: &str,
    what: &str,
    wanted: impl Fn(&SentMessage) -> bool,
) -> Result<Vec<SentMessage>, AppError> {
    println!("   👩 {}: [{label}]", p.user.first_name);
    let mut got = p.tap(label).await?;
    if !got.iter().any(&wanted) {
        got.extend(p.wait_for(what, &wanted).await?);
    }
    print_replies(&got);
    Ok(got)
}

/// `/moi` by taps: a new invite (for `unit`, when she picks one) open for `days`; prints the
/// link and the QR picture that follows, and returns what the invited person sends
/// (`/start <code>`, as opening the link does).
async fn invite_in_chat(
    p: &mut Person<'_>,
    unit: Option<&str>,
    days: &str,
) -> Result<String, AppError> {
    tap(p, "✉️ Mời vào bot").await?;
    tap(p, "➕ Tạo lời mời mới").await?;
    if let Some(unit) = unit {
        tap(p, unit).await?;
    }
    println!("   👩 {}: [{days}]", p.user.first_name);
    let replies = p.tap(days).await?;
    print_replies(&replies);
    let code = replies
        .iter()
        .filter_map(|m| m.text.as_deref())
        .find_map(|t| {
            let rest = &t[t.find("start=")? + "start=".len()..];
            Some(
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .collect::<String>(),
            )
        })
        .ok_or_else(|| AppError::Usage("the demo's invite has no link".into()))?;
    if !replies.iter().any(|m| m.photo.is_some()) {
        print_replies(&p.wait_for("the QR code", |m| m.photo.is_some()).await?);
    }
    Ok(format!("/start {code}"))
}

async fn zalo_say(p: &mut ZaloPerson<'_>, text: &str) -> Result<(), AppError> {
    println!("   📱 {} (Zalo): {text}", p.user.display_name);
    let replies = p
        .send(text)
        .await
        .map_err(|e| AppError::Usage(format!("demo conversation failed: {e}")))?;
    print_zalo(&replies);
    Ok(())
}

fn print_zalo(msgs: &[ZaloSent]) {
    for m in msgs {
        let text = m
            .text
            .clone()
            .or_else(|| m.caption.clone())
            .unwrap_or_default();
        let mut lines = text.lines();
        println!("   🤖 {}", lines.next().unwrap_or(""));
        for l in lines {
            println!("      {l}");
        }
    }
}

/// Prints what came to `p` since she last looked; says whether anything did.
fn show_unread(p: &mut Person<'_>) -> bool {
    let msgs = p.unread();
    println!("   → to {}:", p.user.first_name);
    print_replies(&msgs);
    !msgs.is_empty()
}

fn print_replies(msgs: &[SentMessage]) {
    for m in msgs {
        if let Some(photo) = &m.photo {
            println!(
                "   🤖 [picture {}, {} bytes] {}",
                photo.file_name,
                photo.bytes.len(),
                photo.caption.as_deref().unwrap_or("")
            );
            continue;
        }
        if let Some(file) = &m.document {
            println!(
                "   🤖 [file {}, {} bytes] {}",
                file.file_name,
                file.bytes.len(),
                file.caption.as_deref().unwrap_or("")
            );
            continue;
        }
        let text = m.text.clone().unwrap_or_default();
        let mut lines = text.lines();
        println!("   🤖 {}", lines.next().unwrap_or(""));
        for l in lines {
            println!("      {l}");
        }
        for row in &m.buttons {
            let labels: Vec<String> = row.iter().map(|b| format!("[{}]", b.text)).collect();
            println!("      {}", labels.join(" "));
        }
    }
}

/// Has `api`'s "consumed" (what its simulated people wait for) include the replies the channel
/// still has in flight after acknowledging their updates.
pub fn settle_with(api: &LocalBotApi, telegram: &Telegram) {
    api.on_consumed(idle_hook(telegram.in_flight()));
}

/// Has `api`'s simulated people wait, for their answers, until the Zalo channel has sent
/// every reply it still has in flight (a step's second message is spaced a second after the
/// first, longer than a quiet spell).
pub fn settle_zalo_with(api: &FakeZalo, zalo: &Zalo) {
    api.on_settled(idle_hook(zalo.in_flight()));
}

/// A fake server's hook that is done when a channel has no replies in flight.
fn idle_hook(flight: &crate::channel::InFlight) -> chihoi_fakes::SettleHook {
    let flight = flight.clone();
    std::sync::Arc::new(move || {
        let flight = flight.clone();
        Box::pin(async move { flight.idle().await })
    })
}
