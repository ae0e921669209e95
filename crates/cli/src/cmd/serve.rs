use crate::cmd::open;
use crate::config::Settings;
use dualtrack_service::demo::{ACCOUNTS, DEMO_PASSWORD};
use dualtrack_web::AppState;
use std::io::Write;
use tokio::net::TcpListener;

pub async fn run(
    settings: &Settings,
    demo: bool,
    clock_file: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    // Listening for a stop from the start: one asked for while the server starts is
    // carried out once it serves.
    let stop = dualtrack_web::shutdown_signal();
    // A certificate that cannot be used stops the start before anything else.
    let tls = settings.server.tls()?;
    let mut app = open(settings)
        .await?
        .with_whistle(settings.whistle.settings());
    app = with_data_keys(settings, app, demo)?;
    // A demo server's accounts share the published demo password; no other server's may.
    app.security.password_policy.allow_demo_password = demo;
    // A demo's accounts are shared by everyone trying it: none must enrol a second factor
    // (any may), unless the configuration says otherwise.
    if demo && settings.second_factor.is_none() {
        app.security.second_factor = dualtrack_service::second_factor::Policy::Optional;
    }
    if let Some(target) = settings.audit.syslog.as_deref().filter(|s| !s.is_empty()) {
        if app.audit_key.is_none() {
            println!("注意：未配置审计密钥文件，审计记录不封存，也就不转发到日志服务器 {target}");
        }
        app = app.with_syslog(dualtrack_service::syslog::Forwarder::start(target));
    }
    let drill = match clock_file {
        Some(path) => Some(crate::cmd::drill::DrillClock::start(&app, path)?),
        None => None,
    };
    if demo && drill.is_none() {
        // A demo server lives on the day of its story, its clock running on from there.
        app.open_on_demo_day();
        println!(
            "演示时钟：从 {} 晚 8 时起走（页面顶部横幅可换一天）",
            dualtrack_service::demo::demo_day()
        );
    }
    if demo && app.load_demo().await? {
        println!("已载入海西州 2020 演示数据。演示账户（密码均为 {DEMO_PASSWORD}）：");
        for (u, name, code, _) in ACCOUNTS {
            println!("  {u:<18} {name}（{code}）");
        }
    }
    if demo && drill.is_none() {
        // The tickets waiting on the demo's evening, made once per day.
        app.make_demo_day_work().await?;
    }
    // Rows written before encryption (or a key) was configured are sealed, and given the
    // blind index lookups use, in the background once the server listens (see keys_task):
    // a start with nothing to seal only asks the indexes.
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| anyhow::anyhow!("无法监听 {}：{e}", settings.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "双线指挥平台已启动：{}://{addr}/ （数据库：{}）",
        if tls.is_some() { "https" } else { "http" },
        app.db.engine().name()
    );
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, "serving");
    // The whistle's scheduler: escalation of late tickets and the webhook outbox. Several
    // instances sharing a database run it once (a lease row; keyed escalation steps).
    let scheduler = dualtrack_service::whistle::escalation::Scheduler::new(
        app.clone(),
        format!("{addr}/{}", std::process::id()),
        std::time::Duration::from_secs(settings.whistle.scheduler_interval_seconds),
    );
    if let Some(d) = &drill {
        d.wake_on_change(scheduler.waker());
    }
    let stopper = scheduler.clone();
    let scheduling = scheduler.spawn();
    // The days of stock are closed (日结) hourly, through yesterday.
    let closer = app.clone();
    let closing = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match closer.close_stock_days().await {
                Ok(0) => {}
                Ok(days) => tracing::info!(days, "days of stock closed"),
                Err(e) => tracing::warn!(error = %e, "closing the days of stock failed"),
            }
        }
    });
    // Audit rows are sealed into the chain a few seconds after their commit.
    let sealer = app.clone();
    let sealing = tokio::spawn(async move {
        if sealer.audit_key.is_none() {
            tracing::warn!("no audit key file configured: the audit log is not sealed");
            return;
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sealer.seal_audit().await {
                tracing::warn!(error = %e, "sealing the audit log failed");
            }
        }
    });
    let mut background = vec![scheduling, closing, sealing, keys_task(app.clone())];
    if !demo {
        // Personal data past its retention period is erased hourly (the demo keeps its 2020
        // records as they were; `dualtrack retention` erases on demand).
        let eraser = app.clone();
        background.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                match eraser.erase_expired(&dualtrack_service::Actor::cli()).await {
                    Ok(r) if r.cases + r.travellers + r.screened > 0 => {
                        tracing::info!(
                            cases = r.cases,
                            travellers = r.travellers,
                            screened = r.screened,
                            "personal data erased"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "erasing expired personal data failed"),
                }
            }
        }));
    }
    // Sealed rows past their retention go to a signed archive file daily.
    match crate::cmd::audit::archive_dir(settings) {
        Some(dir) if app.audit_key.is_some() => {
            let archiver = app.clone();
            background.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(86_400));
                loop {
                    tick.tick().await;
                    match archiver
                        .archive_audit(&dualtrack_service::Actor::cli(), &dir)
                        .await
                    {
                        Ok(r) if r.rows > 0 => tracing::info!(
                            rows = r.rows,
                            file = %r.file.as_deref().unwrap_or(&dir).display(),
                            "audit rows archived"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "archiving the audit log failed"),
                    }
                }
            }));
        }
        _ => tracing::warn!(
            "audit rows are not archived: no archive_dir (or no audit key) configured"
        ),
    }
    let db = app.db.clone();
    let last_sealer = app.clone();
    let mut web = settings.web(demo);
    web.server.tls = tls;
    if web.secure_cookies && web.server.tls.is_none() && !addr.ip().is_loopback() {
        println!(
            "会话 Cookie 带 Secure 标志：请经 HTTPS（或终结 TLS 的反向代理）访问；纯 HTTP 内网请在配置中设 secure_cookies = false"
        );
    }
    let state = AppState::new(app, web);
    let served = dualtrack_web::serve(listener, state, stop).await;
    // Stopping: the background work ends (a job's transaction in progress rolls back), the
    // scheduler's lease is given up so another instance takes over at once, and the log is
    // copied into the database file.
    for task in &background {
        task.abort();
    }
    for task in background {
        let _ = task.await;
    }
    stopper.stop().await;
    // What was written since the last round is sealed before the database closes.
    if let Err(e) = last_sealer.seal_audit().await {
        tracing::warn!(error = %e, "sealing the audit log failed");
    }
    db.close().await;
    tracing::info!("stopped");
    served?;
    Ok(())
}

/// The demo runs encrypted: with no key configured, it makes one beside its database (which
/// every later command on that database then uses, see `keys::data_keys`). Any other
/// server without keys stores personal data unencrypted, and says so loudly.
fn with_data_keys(
    settings: &Settings,
    app: dualtrack_service::App,
    demo: bool,
) -> anyhow::Result<dualtrack_service::App> {
    if app.crypto.enabled() {
        return Ok(app);
    }
    if let (true, Some(path)) = (demo, crate::cmd::keys::demo_key_file(settings)) {
        let crypto = dualtrack_service::crypto::FieldCrypto::load(&path, true)?;
        println!(
            "演示数据密钥：{}（个人信息以 SM4 加密存储）",
            path.display()
        );
        return Ok(app.with_crypto(crypto));
    }
    println!(
        "警告：未配置数据密钥（[crypto] key_file 或 DUALTRACK_DATA_KEY），身份证号、电话等个人信息将不加密存储，不符合等级保护与密评要求"
    );
    tracing::warn!("no data key configured: personal data is stored unencrypted");
    Ok(app)
}

/// The key file is read again every few seconds, so a key added by `dualtrack keys rotate`
/// seals new rows at once, and a pass seals what is left.
fn keys_task(app: dualtrack_service::App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let actor = dualtrack_service::Actor::cli();
        // The first pass, at start, seals what was written plain meanwhile.
        let mut reseal = true;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match app.crypto.reload() {
                Ok(true) => {
                    tracing::info!(key = ?app.crypto.current_key(), "data keys reloaded");
                    reseal = true;
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "reading the data keys failed"),
            }
            if reseal {
                match app.reseal_pass(&actor).await {
                    Ok(rows) => {
                        reseal = false;
                        if rows > 0 {
                            tracing::info!(rows, "personal data sealed under the newest key");
                            println!("已将 {rows} 行既有个人信息以当前密钥加密（或补全盲索引）");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "sealing personal data failed"),
                }
            }
        }
    })
}

pub async fn demo(settings: &Settings) -> anyhow::Result<()> {
    let app = with_data_keys(settings, open(settings).await?, true)?;
    if app.load_demo().await? {
        app.reseal_pass(&dualtrack_service::Actor::cli()).await?;
        println!(
            "已载入海西州 2020 演示数据（{} 个演示账户，密码 {DEMO_PASSWORD}）",
            ACCOUNTS.len()
        );
    } else {
        println!("数据库中已有账户，未载入演示数据");
    }
    app.db.close().await;
    Ok(())
}
