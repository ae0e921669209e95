//! `dualtrack bench dashboard`: the Haixi 2020 demo built into a fresh SQLite file (timed),
//! then the command view served over HTTP as the prefecture's leader would open it — the
//! dashboard of the prefecture and of a county as of 2020-02-27, the briefing page and its
//! Word file — each timed over repeated requests, with the 50th and 95th percentiles.
//!
//! With `--province`, one SQLite file holds the province-scale data of the track benchmarks
//! over Qinghai (63) — passages, monitoring cases, enterprises and their reports, people and
//! deployments, stock movements — each made by that benchmark's own `populate`; the file
//! (`--data`) is kept, so later runs reuse what is already in it. The command view is then
//! timed for a leader of the province, of a prefecture and of a county, and the reads of the
//! tracks. With the global `--db postgres://…` the same data go into PostgreSQL instead, and
//! `--replica-url` times the pages once more with the reads on a standby.

use crate::http::Conn;
use crate::scaled;
use crate::stats::percentiles;
use dualtrack_domain::jurisdiction::Code;
use dualtrack_service::demo::DEMO_PASSWORD;
use dualtrack_service::App;
use dualtrack_store::{bulk, Db};
use dualtrack_web::{AppState, WebConfig};
use std::path::PathBuf;
use std::time::Instant;
use tokio::net::TcpListener;

/// What `--province` is asked to do.
pub struct Province {
    /// The SQLite file to fill or reuse (a temporary one when not given).
    pub data: Option<PathBuf>,
    /// Generate only these parts (when missing) and stop without timing.
    pub only: Vec<String>,
    /// Multiplies every benchmark's size (1.0: the sizes of the track benchmarks).
    pub scale: f64,
    /// Leave these parts out altogether (timed without them).
    pub without: Vec<String>,
    /// The day the command view is read as of.
    pub as_of: String,
    /// A PostgreSQL URL (the global `--db`) instead of the SQLite file: a database holding
    /// the parts already is reused, an empty one filled and kept; otherwise a new one is
    /// made for the run and dropped.
    pub db: Option<String>,
    /// A standby to time the pages against as well (`same`: the database itself, opened
    /// read-only, standing in for one).
    pub replica: Option<String>,
}

pub async fn run(runs: usize, province: Option<Province>) -> anyhow::Result<()> {
    if let Some(p) = province {
        return run_province(runs, p).await;
    }
    let (_dir, _db, app) = crate::fresh_sqlite("bench.db").await?;
    let t = Instant::now();
    app.load_demo().await?;
    println!(
        "海西州 2020 演示数据载入新的 SQLite 文件：{:.1} s（目标 < 30 s）",
        t.elapsed().as_secs_f64()
    );
    let pages = [
        (
            "指挥视图页面（海西州，截至 2020-02-27）",
            "/dashboard?as_of=2020-02-27".to_string(),
        ),
        (
            "指挥视图页面（格尔木市）",
            "/dashboard?as_of=2020-02-27&place=632801".to_string(),
        ),
        (
            "每日简报页面（海西州）",
            "/briefing?as_of=2020-02-27".to_string(),
        ),
        (
            "每日简报 Word 文件（海西州）",
            "/api/v1/briefing.docx?as_of=2020-02-27".to_string(),
        ),
    ];
    let pages: Vec<(String, String)> = pages.into_iter().map(|(w, p)| (w.to_string(), p)).collect();
    serve_and_time(app, "haixi_leader", DEMO_PASSWORD, &pages, runs, 200.0).await
}

/// Logs in over HTTP and times each page `runs` times (after two warm-up requests).
async fn serve_and_time(
    app: App,
    username: &str,
    password: &str,
    pages: &[Page],
    runs: usize,
    target_ms: f64,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(app, WebConfig::default());
    let server =
        tokio::spawn(
            async move { dualtrack_web::serve(listener, state, std::future::pending()).await },
        );
    let mut c = Conn::open(addr).await?;
    let token = c.login(username, password).await?;

    for (what, path) in pages {
        let mut ms = Vec::with_capacity(runs);
        for i in 0..runs + 2 {
            let s = Instant::now();
            let (status, text) = c.call("GET", path, Some(&token), "").await?;
            anyhow::ensure!(status == 200, "{path}：{status} {text}");
            if i >= 2 {
                ms.push(s.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let (p50, p95) = percentiles(ms);
        println!(
            "{what}：{runs} 次，p50 {p50:.1} ms，p95 {p95:.1} ms（目标 p95 < {target_ms:.0} ms）"
        );
    }
    server.abort();
    Ok(())
}

const LEADER: &str = "province_leader";
const LEADER_PASSWORD: &str = "Bench@2020pass";

/// The parts of the province data, in the order they are made.
const PARTS: [&str; 6] = [
    "region",
    "passages",
    "monitoring",
    "resumption",
    "mobilisation",
    "supplies",
];

/// Tables counted after generation, with what they hold.
const TABLES: [(&str, &str); 16] = [
    ("jurisdictions", "区划单位"),
    ("checkpoints", "卡口"),
    ("passages", "通行登记"),
    ("passage_travellers", "驾乘人员"),
    ("monitoring_cases", "隔离与监测对象"),
    ("monitoring_followups", "随访"),
    ("monitoring_days", "在管按日汇总"),
    ("enterprises", "规上企业"),
    ("daily_reports", "企业日报"),
    ("resumption_rollup", "复工率按日汇总"),
    ("people", "人员"),
    ("deployments", "派驻"),
    ("organisations", "组织"),
    ("stock_movements", "出入库"),
    ("stock_days", "结存按日汇总"),
    ("supply_stores", "仓库"),
];

async fn make(db: &Db, app: &App, part: &str, scale: f64) -> anyhow::Result<String> {
    let qinghai = Code::parse("63")?;
    Ok(match part {
        "region" => crate::make_region(app).await?,
        "passages" => {
            let n = scaled(5_000_000, scale);
            let ids = crate::passages::populate_any(db, &qinghai, n).await?;
            format!("{} 个卡口，{n} 次通行（每次 2 人）", ids.len())
        }
        "monitoring" => crate::make_monitoring(db, scale, 4).await?,
        "resumption" => {
            let n = scaled(10_000, scale) as usize;
            let ids = crate::resumption::populate(db, &qinghai, n, 365).await?;
            format!("{} 家企业，365 天日报", ids.len())
        }
        "mobilisation" => {
            let people = scaled(1_000_000, scale) as usize;
            let deployments = scaled(3_000_000, scale) as usize;
            let counties = dualtrack_store::jurisdiction::codes_at_level(db, &qinghai, 3).await?;
            crate::mobilisation::populate(db, &qinghai, &counties, people, deployments).await?;
            format!("{people} 人，{deployments} 条派驻，10000 个组织")
        }
        "supplies" => crate::make_supplies(db, scale).await?,
        other => anyhow::bail!("未知的部分：{other}"),
    })
}

async fn run_province(runs: usize, p: Province) -> anyhow::Result<()> {
    for o in p.only.iter().chain(&p.without) {
        anyhow::ensure!(
            PARTS.contains(&o.as_str()),
            "--only、--without 只能是 {}",
            PARTS.join("、")
        );
    }
    let _tmp;
    let mut scratch = None;
    let (db, label, path) = match p.db.as_deref().filter(|u| u.starts_with("postgres")) {
        Some(url) => {
            let s = open_pg(url).await?;
            let label = format!("PostgreSQL，{}", s.describe());
            let db = s.db.clone();
            scratch = Some(s);
            (db, label, None)
        }
        None => {
            let path = match &p.data {
                Some(path) => path.clone(),
                None => {
                    let dir = tempfile::tempdir()?;
                    let path = dir.path().join("province.db");
                    _tmp = dir;
                    path
                }
            };
            let db = Db::connect(&format!("sqlite://{}", path.display())).await?;
            db.migrate().await?;
            (db, format!("SQLite 文件 {}", path.display()), Some(path))
        }
    };
    let r = province_on(&db, &label, path.as_deref(), runs, &p).await;
    if let Some(s) = scratch {
        s.drop_made().await?;
    }
    r
}

/// A PostgreSQL database for the province: one that holds parts already is reused as it
/// is; otherwise [`crate::engine::scratch_pg`].
async fn open_pg(url: &str) -> anyhow::Result<crate::engine::Scratch> {
    let db = Db::connect(url).await?;
    let has_parts = bulk::part(&db, "region").await.ok().flatten().is_some();
    if has_parts {
        db.migrate().await?;
        return Ok(crate::engine::Scratch::given(db, url));
    }
    db.close().await;
    crate::engine::scratch_pg(url).await
}

async fn province_on(
    db: &Db,
    label: &str,
    path: Option<&std::path::Path>,
    runs: usize,
    p: &Province,
) -> anyhow::Result<()> {
    let db = db.clone();
    bulk::ensure_parts_table(&db).await?;
    let app = App::new(db.clone(), crate::bench_security());
    println!("指挥视图全省基准（{label}，规模 ×{}）", p.scale);

    let mut generated = false;
    let mut missing = Vec::new();
    for part in PARTS {
        if p.without.iter().any(|w| w == part) {
            println!("  {part}：不含（--without）");
            continue;
        }
        if let Some((secs, detail)) = bulk::part(&db, part).await? {
            println!("  {part}：已有（生成用时 {secs:.1} s；{detail}）");
            continue;
        }
        if !p.only.is_empty() && !p.only.iter().any(|o| o == part) && part != "region" {
            missing.push(part);
            continue;
        }
        println!("  {part}：生成中……");
        let t = Instant::now();
        let detail = make(&db, &app, part, p.scale).await?;
        let secs = t.elapsed().as_secs_f64();
        bulk::record_part(&db, part, secs, &detail).await?;
        println!("  {part}：生成 {secs:.1} s（{detail}）");
        generated = true;
    }
    if generated {
        let t = Instant::now();
        bulk::analyze(&db).await?;
        bulk::checkpoint_wal(&db).await?;
        println!("  ANALYZE：{:.1} s", t.elapsed().as_secs_f64());
    }
    let total = bulk::parts_seconds(&db).await?;
    println!("数据生成合计：{total:.1} s");
    if !missing.is_empty() || !p.only.is_empty() {
        if !missing.is_empty() {
            println!(
                "尚未生成：{}（不加 --only 再运行以生成并计时）",
                missing.join("、")
            );
        }
        return Ok(());
    }

    let mut counts = Vec::new();
    for (table, what) in TABLES {
        let n = bulk::count_rows(&db, table).await?;
        counts.push(format!("{what} {n}"));
    }
    println!("行数：{}", counts.join("，"));
    match path.map(std::fs::metadata) {
        Some(Ok(meta)) => println!("数据库文件：{:.2} GB", meta.len() as f64 / 1e9),
        Some(Err(_)) => {}
        None => println!(
            "数据库大小：{:.2} GB",
            bulk::database_bytes(&db).await? as f64 / 1e9
        ),
    }

    if !p.without.iter().any(|w| w == "mobilisation") {
        let places = [
            Code::parse("63")?,
            Code::parse("6328")?,
            Code::parse("632801")?,
        ];
        crate::mobilisation::time_on_duty(&db, &places).await?;
    }
    if !p.without.iter().any(|w| w == "supplies") {
        let day = chrono::NaiveDate::parse_from_str(&p.as_of, "%Y-%m-%d")?;
        crate::supplies::time_use(&db, day).await?;
    }

    crate::ensure_user(&db, &app, LEADER, "全省领导", LEADER_PASSWORD, "leader").await?;
    let (views, reads) = province_pages(&p.as_of);
    serve_and_time(app.clone(), LEADER, LEADER_PASSWORD, &views, runs, 500.0).await?;
    serve_and_time(app.clone(), LEADER, LEADER_PASSWORD, &reads, runs, 50.0).await?;
    if let Some(r) = &p.replica {
        let Some(url) = p.db.as_deref().filter(|u| u.starts_with("postgres")) else {
            anyhow::bail!("--replica-url 只用于 PostgreSQL（--db postgres://…）");
        };
        let (replica_url, what) = if r == "same" || r == url {
            (read_only(url), "同一数据库以只读方式打开，代替备库")
        } else {
            (r.clone(), "热备库")
        };
        let replica = dualtrack_store::replica::Replica::open(
            &replica_url,
            dualtrack_store::replica::DEFAULT_MAX_LAG,
        )?;
        let state = replica.check().await;
        println!("只读副本（{what}）：{}", state.zh());
        let app = app.with_replica(replica);
        let on_replica = |pages: &[Page]| -> Vec<Page> {
            pages
                .iter()
                .map(|(w, p)| (format!("{w}（读副本）"), p.clone()))
                .collect()
        };
        let (views, reads) = (on_replica(&views), on_replica(&reads));
        serve_and_time(app.clone(), LEADER, LEADER_PASSWORD, &views, runs, 500.0).await?;
        serve_and_time(app, LEADER, LEADER_PASSWORD, &reads, runs, 50.0).await?;
    }
    Ok(())
}

/// A timed page: what it is, and its path.
type Page = (String, String);

/// The pages a province's leader opens (target p95 500 ms) and the reads of the tracks
/// (target 50 ms), as of `d`.
fn province_pages(d: &str) -> (Vec<Page>, Vec<Page>) {
    let views = vec![
        (
            format!("指挥视图页面（青海省，截至 {d}）"),
            format!("/dashboard?as_of={d}"),
        ),
        (
            "指挥视图页面（下钻：海西州 6328）".to_string(),
            format!("/dashboard?as_of={d}&place=6328"),
        ),
        (
            "指挥视图页面（下钻：格尔木市 632801）".to_string(),
            format!("/dashboard?as_of={d}&place=632801"),
        ),
        (
            "每日简报页面（青海省）".to_string(),
            format!("/briefing?as_of={d}"),
        ),
    ];
    let reads = vec![
        (
            "条线读取：隔离监测数字（青海省）".to_string(),
            format!("/api/v1/monitoring/figures?as_of={d}"),
        ),
        (
            "条线读取：复工率（青海省）".to_string(),
            format!("/api/v1/resumption/rates?as_of={d}"),
        ),
        (
            "条线读取：组织动员数字（青海省）".to_string(),
            format!("/api/v1/mobilisation/figures?as_of={d}"),
        ),
        (
            "条线读取：物资结存（青海省）".to_string(),
            format!("/api/v1/supplies/balances?as_of={d}"),
        ),
        (
            "条线读取：落地交接数字（青海省）".to_string(),
            format!("/api/v1/handovers/figures?as_of={d}"),
        ),
    ];
    (views, reads)
}

/// `url` opened read-only: every transaction of its sessions refuses writes.
fn read_only(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20default_transaction_read_only%3Don")
}
