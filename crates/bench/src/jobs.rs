//! `dualtrack bench jobs`: the server's background jobs — erasing personal data past its
//! retention period and closing the days of stock — run on a large database while several
//! clerks register passages through the use case, and how long a registration waits then,
//! against the same registrations with no job running.
//!
//! The data are the track benchmarks' (passages with two travellers each, monitoring cases
//! a third of which came from a traveller, a year of stock movements over Qinghai); at
//! `--scale 1` the sizes of the province benchmark. A data file (`--data`, SQLite) is kept
//! and reused, as `bench dashboard --province` keeps its own (the two can share one file);
//! `--db postgres://…` runs on PostgreSQL. Each run first puts back what the run before
//! erased and opens the last month of closed days again, so that both jobs have their work.
//! `--batch 0` runs each job in one transaction, as it used to be.

use crate::scaled;
use crate::stats::percentile;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_service::auth::SessionKind;
use dualtrack_service::checkpoints::PassageInput;
use dualtrack_service::{Actor, App};
use dualtrack_store::{on_db, supplies, Db};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What `bench jobs` is asked to do.
pub struct Jobs {
    /// The SQLite file to fill or reuse (a temporary one when neither it nor `db` is given).
    pub data: Option<PathBuf>,
    /// A database URL (PostgreSQL, or SQLite) instead of `data`.
    pub db: Option<String>,
    /// 1.0: the province benchmark's sizes.
    pub scale: f64,
    /// Concurrent clerks registering passages.
    pub writers: usize,
    /// Rows (or pairs) per transaction of the jobs; 0: each job in one transaction.
    pub batch: usize,
    /// Seconds of registrations with no job running, for the comparison.
    pub quiet_seconds: u64,
}

const CLERK: &str = "bench_jobs_clerk";
const CLERK_PASSWORD: &str = "Bench@Jobs2020";

/// "Now" for the run: 2020-09-01 10:00 Beijing time. Passages up to mid-July and cases
/// released up to early August are past their retention period; August's days of stock are
/// closed again.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 9, 1, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

fn reopened() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 8, 1).unwrap_or_default()
}

async fn exec(db: &Db, sql: &str) -> anyhow::Result<u64> {
    Ok(on_db!(db, p => sqlx::query(sql).execute(p).await?.rows_affected()))
}

async fn scalar(db: &Db, sql: &str) -> anyhow::Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await?))
}

async fn made(db: &Db, part: &str) -> anyhow::Result<bool> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM bench_parts WHERE part = $1")
        .bind(part).fetch_one(p).await?)
        > 0)
}

async fn make(db: &Db, app: &App, part: &str, scale: f64) -> anyhow::Result<String> {
    let qinghai = Code::parse("63")?;
    Ok(match part {
        "region" => crate::make_region(app).await?,
        "passages" => {
            let n = scaled(5_000_000, scale);
            crate::passages::populate_any(db, &qinghai, n).await?;
            format!("{n} 次通行（每次 2 人）")
        }
        "monitoring" => crate::make_monitoring(db, scale, 2).await?,
        "supplies" => crate::make_supplies(db, scale).await?,
        "case-travellers" => {
            // A third of the cases came from a traveller: spread over the travellers.
            let n = exec(
                db,
                "UPDATE monitoring_cases SET traveller_id = \
                 (SELECT MIN(id) FROM passage_travellers) + (id * 7919) % (SELECT COUNT(*) FROM passage_travellers) \
                 WHERE id % 3 = 0",
            )
            .await?;
            format!("{n} 个对象来自通行旅客")
        }
        other => anyhow::bail!("未知的部分：{other}"),
    })
}

const PARTS: [&str; 5] = [
    "region",
    "passages",
    "monitoring",
    "supplies",
    "case-travellers",
];

/// One registration's timing: when it ended (since the start) and how long it took.
type Timed = (f64, f64);

/// Registers passages as `writers` clerks until `stop`, each timed.
fn clerks(
    app: &App,
    actor: &Actor,
    checkpoints: &[i64],
    writers: usize,
    start: Instant,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<anyhow::Result<Vec<Timed>>>> {
    (0..writers.max(1))
        .map(|w| {
            let (app, actor, stop) = (app.clone(), actor.clone(), stop.clone());
            let checkpoints = checkpoints.to_vec();
            tokio::spawn(async move {
                let mut out = Vec::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let i = (w as u64) << 40 | n;
                    let input: PassageInput =
                        serde_json::from_value(crate::passages::registration(n, i, false))?;
                    let cp = checkpoints[(n as usize * 7 + w) % checkpoints.len()];
                    let t = Instant::now();
                    app.register_passage(&actor, cp, &input).await?;
                    out.push((
                        start.elapsed().as_secs_f64(),
                        t.elapsed().as_secs_f64() * 1e3,
                    ));
                    n += 1;
                }
                Ok(out)
            })
        })
        .collect()
}

async fn collect(
    handles: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<Timed>>>>,
) -> anyhow::Result<Vec<Timed>> {
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    Ok(all)
}

fn summary(label: &str, timed: &[Timed], secs: f64) {
    let mut ms: Vec<f64> = timed.iter().map(|t| t.1).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{label}：{} 次登记，{:.0} 次/秒；用时 p50 {:.1} ms，p99 {:.1} ms，p99.9 {:.1} ms，最长 {:.1} ms；超过 100 ms 的 {} 次",
        ms.len(),
        ms.len() as f64 / secs.max(1e-9),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        percentile(&ms, 0.999),
        ms.last().copied().unwrap_or_default(),
        ms.iter().filter(|m| **m >= 100.0).count()
    );
    // When the longest began, to be read beside the server's log (UTC).
    let mut longest: Vec<Timed> = timed.to_vec();
    longest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let now = std::time::SystemTime::now();
    let run_ended = timed.iter().map(|t| t.0).fold(0.0, f64::max);
    let at = |t: &Timed| {
        let back = std::time::Duration::from_secs_f64((run_ended - t.0 + t.1 / 1e3).max(0.0));
        chrono::DateTime::<chrono::Utc>::from(now - back)
            .format("%H:%M:%S%.3f")
            .to_string()
    };
    let shown: Vec<String> = longest
        .iter()
        .take(5)
        .map(|t| format!("{} 起 {:.0} ms", at(t), t.1))
        .collect();
    println!("  最长的几次：{}", shown.join("，"));
}

/// What the restarts of the write-ahead log did since the last call: each holds the writers
/// a moment, so the longest of them is a floor under the longest write stall.
fn restarts() {
    let r = dualtrack_store::take_wal_restarts();
    println!(
        "  日志重启：{} 次，{} 次因读者未完放弃；最长占用写入 {:.1} ms",
        r.done,
        r.given_up,
        r.longest_hold.as_secs_f64() * 1e3
    );
    let j = dualtrack_store::take_job_holds();
    if j.batches > 0 {
        println!(
            "  后台任务各批占用写入：{} 批，最长 {:.1} ms，超过 {} ms 的 {} 批",
            j.batches,
            j.longest.as_secs_f64() * 1e3,
            dualtrack_store::JOB_HOLD_NOTED.as_millis(),
            j.long
        );
    }
}

pub async fn run(o: Jobs) -> anyhow::Result<()> {
    let _tmp;
    let url = match (&o.db, &o.data) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
            _tmp = dir;
            url
        }
    };
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    exec(
        &db,
        "CREATE TABLE IF NOT EXISTS bench_parts (part TEXT PRIMARY KEY, seconds REAL NOT NULL, detail TEXT NOT NULL)",
    )
    .await?;
    let batch = if o.batch == 0 { usize::MAX } else { o.batch };
    let app = App::new(db.clone(), crate::bench_security()).with_job_batch(batch);
    println!(
        "后台任务基准（{}，{}，规模 ×{}，{} 个并发登记，{}）",
        db.engine().name(),
        dualtrack_store::redact_url(&url),
        o.scale,
        o.writers,
        if o.batch == 0 {
            "每个任务一个事务（旧做法）".to_string()
        } else {
            format!("每批 {} 行", o.batch)
        }
    );
    for part in PARTS {
        if made(&db, part).await? {
            println!("  {part}：已有");
            continue;
        }
        println!("  {part}：生成中……");
        let t = Instant::now();
        let detail = make(&db, &app, part, o.scale).await?;
        let secs = t.elapsed().as_secs_f64();
        on_db!(&db, x => sqlx::query(
            "INSERT INTO bench_parts (part, seconds, detail) VALUES ($1, $2, $3)")
            .bind(part).bind(secs).bind(&detail).execute(x).await.map(|_| ())?);
        println!("  {part}：生成 {secs:.1} s（{detail}）");
    }
    exec(&db, "ANALYZE").await?;

    // The work of the jobs, put back: what a run before erased, the closings of August.
    let t = Instant::now();
    let cases = exec(
        &db,
        "UPDATE monitoring_cases SET erased_on = NULL, name = '对象', id_number = '630102196001010000' \
         WHERE erased_on IS NOT NULL",
    )
    .await?;
    let travellers = exec(
        &db,
        "UPDATE passage_travellers SET erased_on = NULL, name = '旅客', id_number = '632801196001010000' \
         WHERE erased_on IS NOT NULL",
    )
    .await?;
    let mut tx = db.begin().await?;
    supplies::reopen_days(&mut tx, reopened()).await?;
    tx.commit().await?;
    if let Db::Sqlite(_) = db {
        dualtrack_store::bulk::checkpoint_wal(&db).await?;
    }
    println!(
        "复原上次删除的 {cases} 个对象、{travellers} 名旅客，重开 {} 起的日结：{:.1} s",
        reopened(),
        t.elapsed().as_secs_f64()
    );
    let rows = [
        ("passage_travellers", "通行旅客"),
        ("monitoring_cases", "隔离监测对象"),
        ("stock_movements", "出入库"),
        ("stock_balances", "仓库-物资组合"),
    ];
    let mut counts = Vec::new();
    for (table, what) in rows {
        counts.push(format!(
            "{what} {}",
            scalar(&db, &format!("SELECT COUNT(*) FROM {table}")).await?
        ));
    }
    println!("行数：{}", counts.join("，"));

    // The clerk who registers.
    crate::ensure_user(
        &db,
        &app,
        CLERK,
        "基准卡口登记员",
        CLERK_PASSWORD,
        "operator",
    )
    .await?;
    let actor = app
        .login(CLERK, CLERK_PASSWORD, SessionKind::Api, "127.0.0.1")
        .await?
        .actor;
    let checkpoints: Vec<i64> = on_db!(&db, p => sqlx::query_scalar(
        "SELECT id FROM checkpoints WHERE name LIKE '基准卡口%' ORDER BY id LIMIT 200")
        .fetch_all(p).await?);
    anyhow::ensure!(!checkpoints.is_empty(), "没有基准卡口");
    app.clock.set(Some(now()));

    // Registrations alone.
    dualtrack_store::take_wal_restarts();
    dualtrack_store::take_job_holds();
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let handles = clerks(&app, &actor, &checkpoints, o.writers, start, stop.clone());
    tokio::time::sleep(std::time::Duration::from_secs(o.quiet_seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let quiet = collect(handles).await?;
    summary("无后台任务", &quiet, start.elapsed().as_secs_f64());
    restarts();

    // Registrations with the two jobs running beside them, as the server's hourly tasks.
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let handles = clerks(&app, &actor, &checkpoints, o.writers, start, stop.clone());
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let began = start.elapsed().as_secs_f64();
    let eraser = {
        let app = app.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            let r = app.erase_expired(&Actor::cli()).await?;
            Ok::<_, anyhow::Error>((r, t.elapsed().as_secs_f64()))
        })
    };
    let closer = {
        let app = app.clone();
        let one = o.batch == 0;
        tokio::spawn(async move {
            let t = Instant::now();
            let r = if one {
                let mut tx = app.db.begin().await?;
                let yesterday = now().date_naive() - Duration::days(1);
                let days = supplies::close_days(&mut tx, yesterday).await?;
                tx.commit().await?;
                dualtrack_service::supplies::Closed { days, batches: 1 }
            } else {
                app.close_stock_days_in_batches().await?
            };
            Ok::<_, anyhow::Error>((r, t.elapsed().as_secs_f64()))
        })
    };
    let (erased, erase_secs) = eraser.await??;
    let (closed, close_secs) = closer.await??;
    let ended = start.elapsed().as_secs_f64();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let busy = collect(handles).await?;
    let during: Vec<Timed> = busy
        .iter()
        .copied()
        .filter(|(end, ms)| *end - ms / 1e3 < ended && *end > began)
        .collect();
    println!(
        "删除个人信息：{:.1} s，{} 批；隔离监测对象 {} 人、通行旅客 {} 人",
        erase_secs, erased.batches, erased.cases, erased.travellers
    );
    println!(
        "日结：{:.1} s，{} 批；{} 天",
        close_secs, closed.batches, closed.days
    );
    summary("后台任务进行中", &during, ended - began);
    restarts();
    let longest = during.iter().map(|t| t.1).fold(0.0, f64::max);
    println!("后台任务进行中登记最长等待（写入停顿）：{longest:.1} ms（目标 < 100 ms）");
    Ok(())
}
