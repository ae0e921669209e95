//! `dualtrack bench passages`: registering passages over real HTTP against a database
//! already holding millions of them (a temporary SQLite file, or PostgreSQL with `--db`). The app is served on a local port in this process;
//! several clients, each on its own keep-alive connection with a bearer token, post
//! passages of two travellers with fresh idempotency keys. Prints passages per second and
//! the 50th and 99th percentile of the latency; then the engine alone writing the same rows
//! per transaction with as many clients (`pgbench`, or one SQLite connection), and the ratio. (That each registration is written once is a
//! test of the web crate, `checkpoints`.)

use crate::http::Conn;
use crate::stats::percentile;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::resident_id::check_char;
use dualtrack_service::users::NewUserInput;
use dualtrack_service::Actor;
use dualtrack_store::checkpoints::{self as store, NewCheckpoint, NewPassage, NewTraveller};
use dualtrack_store::{bulk, jurisdiction, Db};
use dualtrack_web::{AppState, WebConfig};
use std::time::Instant;
use tokio::net::TcpListener;

pub const PASSWORD: &str = "Bench@2020pass";

pub fn id_number(area: &str, i: u64) -> String {
    let birth = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default()
        + chrono::Duration::days((i * 37 % 15_000) as i64);
    let first17 = format!("{area}{}{:03}", birth.format("%Y%m%d"), i % 1000);
    format!("{first17}{}", check_char(first17.as_bytes()).unwrap_or('0'))
}

/// Fills the database with `passages` passages of two travellers each at the checkpoints,
/// in batches, straight in SQL.
async fn prefill(db: &Db, passages: u64, checkpoints: i64, first: i64) -> anyhow::Result<()> {
    let batch = 500_000u64;
    let mut done = 0u64;
    let t = Instant::now();
    let Db::Sqlite(pool) = db else {
        anyhow::bail!("基准只在 SQLite 上运行");
    };
    while done < passages {
        let n = batch.min(passages - done);
        let from = done as i64;
        bulk::generate_passages(pool, from + 1, from + n as i64, first, checkpoints).await?;
        done += n;
        println!(
            "  已写入 {done} 次通行（{} 人次），{:.0} s",
            done * 2,
            t.elapsed().as_secs_f64()
        );
    }
    bulk::checkpoint_wal(db).await?;
    bulk::analyze(db).await?;
    Ok(())
}

/// The body of a registration of a passage: a truck from Dunhuang (plate from `n`) with
/// its driver and a passenger, whose id numbers are the pair `serial`; the passenger with a
/// fever when `fever`.
pub fn registration(n: u64, serial: u64, fever: bool) -> serde_json::Value {
    serde_json::json!({
        "plate": format!("青H{:05}", n % 100_000),
        "vehicle_class": "truck",
        "origin": "甘肃省敦煌市",
        "travel_history": "敦煌；柳园",
        "destination": "632801100",
        "reason": "运输物资",
        "travellers": [
            {"name": "马海军", "id_number": id_number("620982", serial * 2), "phone": "13897001234",
             "temperature": 36.6, "outcome": "through"},
            {"name": "才让卓玛", "id_number": id_number("632801", serial * 2 + 1),
             "temperature": if fever { 37.8 } else { 36.4 }, "outcome": "through"}
        ]
    })
}

/// Two checkpoints in every township of `region` and `passages` passages of two travellers
/// each spread over them, from 2020-01-25 over a year. Returns the checkpoints' ids.
pub async fn populate(db: &Db, region: &Code, passages: u64) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = township_checkpoints(db, region)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let first = ids.iter().copied().min().unwrap_or(1);
    prefill(db, passages, ids.len() as i64, first).await?;
    Ok(ids)
}

/// Passages of two travellers at two checkpoints of every township of `region`, over a
/// year from 2020-01-25: on SQLite generated in SQL ([`populate`]), on PostgreSQL written
/// through the store's bulk insert. Returns the checkpoints' ids.
pub async fn populate_any(db: &Db, region: &Code, n: u64) -> anyhow::Result<Vec<i64>> {
    if let Db::Sqlite(_) = db {
        return populate(db, region, n).await;
    }
    let ids = township_checkpoints(db, region).await?;
    // A benchmark stamps its rows with the time it runs.
    #[allow(clippy::disallowed_methods)]
    let at = Utc::now();
    let first = Utc
        .with_ymd_and_hms(2020, 1, 25, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let t = Instant::now();
    let mut done = 0u64;
    while done < n {
        let k = (n - done).min(5_000);
        let rows: Vec<NewPassage> = (done..done + k)
            .map(|i| {
                let (id, code) = &ids[(i % ids.len() as u64) as usize];
                let passed_at = first + Duration::seconds((i * 37 % 31_536_000) as i64);
                let traveller = |seq: u64| NewTraveller {
                    is_driver: seq == 1,
                    name: "旅客".into(),
                    id_number: id_number("632801", i * 2 + seq),
                    phone: Some("13900000000".into()),
                    temperature: 365,
                    fever: false,
                    outcome: "through".into(),
                    destination_code: Some("632801100".into()),
                    destination_text: "郭勒木德镇".into(),
                    handover: None,
                    id_bidx: None,
                    enc_key: None,
                };
                NewPassage {
                    checkpoint_id: *id,
                    jurisdiction_code: code.clone(),
                    passed_at,
                    pass_date: dualtrack_domain::time::reporting_day(passed_at),
                    plate: Some(format!("青H·{:05}", i % 100_000)),
                    vehicle_class: Some("car".into()),
                    origin_code: None,
                    origin_text: "青海省西宁市".into(),
                    travel_history: String::new(),
                    reason: "返岗复工".into(),
                    idempotency_key: None,
                    recorded_by: "prefill".into(),
                    travellers: vec![traveller(1), traveller(2)],
                }
            })
            .collect();
        let mut tx = db.begin().await?;
        store::insert_passages(&mut tx, &rows, at).await?;
        tx.commit().await?;
        done += k;
        if done.is_multiple_of(100_000) || done == n {
            println!("  已写入 {done} 次通行，{:.0} s", t.elapsed().as_secs_f64());
        }
    }
    Ok(ids.into_iter().map(|(id, _)| id).collect())
}

/// Writes two checkpoints in every township of `region`; their ids and townships.
pub async fn township_checkpoints(db: &Db, region: &Code) -> anyhow::Result<Vec<(i64, String)>> {
    let townships = jurisdiction::codes_at_level(db, region, 4).await?;
    anyhow::ensure!(!townships.is_empty(), "{region} 没有乡级区划");
    // A benchmark stamps its rows with the time it runs.
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let mut ids = Vec::new();
    for (i, code) in townships.iter().enumerate() {
        for k in 0..2 {
            let c = NewCheckpoint {
                name: format!("基准卡口{i}-{k}"),
                road: "G109".into(),
                place: String::new(),
                jurisdiction_code: code.clone(),
                kind: "road".into(),
                active_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
                active_until: None,
                created_by: "bench".into(),
            };
            ids.push((
                store::insert_checkpoint(&mut tx, &c, now).await?,
                code.clone(),
            ));
        }
    }
    tx.commit().await?;
    Ok(ids)
}

/// The prefecture's operator the benchmarks log in as (`bench_operator`, [`PASSWORD`]).
pub async fn add_operator(app: &dualtrack_service::App) -> anyhow::Result<()> {
    app.create_user(
        &Actor::cli(),
        &NewUserInput {
            username: "bench_operator".into(),
            display_name: "基准操作员".into(),
            password: PASSWORD.into(),
            jurisdiction_code: "6328".into(),
            roles: vec!["operator".into()],
        },
    )
    .await?;
    Ok(())
}

/// What `bench passages` is asked to do.
pub struct Options {
    /// Passages (of two travellers) in the database before the timing.
    pub prefilled: u64,
    /// Registrations timed, over HTTP and by the engine alone.
    pub requests: usize,
    /// Concurrent clients (and pgbench clients).
    pub clients: usize,
    /// A PostgreSQL URL (the global `--db`); a temporary SQLite file when none.
    pub db: Option<String>,
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let pg = o.db.as_deref().filter(|u| u.starts_with("postgres"));
    let mut scratch = None;
    let mut _dir = None;
    let db = match pg {
        Some(url) => {
            let s = crate::engine::scratch_pg(url).await?;
            println!("PostgreSQL：{}", s.describe());
            let db = s.db.clone();
            scratch = Some(s);
            db
        }
        None => {
            let (dir, db, _) = crate::fresh_sqlite("bench.db").await?;
            _dir = Some(dir);
            db
        }
    };
    let app = dualtrack_service::App::new(db.clone(), crate::bench_security());
    let result = measure(&db, app, &o, scratch.as_ref().map(|s| s.url.as_str())).await;
    if let Some(s) = scratch {
        s.drop_made().await?;
    }
    result
}

async fn measure(
    db: &Db,
    app: dualtrack_service::App,
    o: &Options,
    pg_url: Option<&str>,
) -> anyhow::Result<()> {
    let (prefilled, requests, clients) = (o.prefilled, o.requests, o.clients);
    let engine = if pg_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let cli = Actor::cli();
    app.import_region(&cli, Some("6328"), &|_, _| {}).await?;
    let haixi = Code::parse("6328")?;
    println!(
        "卡口通行登记基准（{engine}，海西州 {} 个卡口，预置 {prefilled} 次通行、{} 人次）",
        jurisdiction::codes_at_level(db, &haixi, 4).await?.len() * 2,
        prefilled * 2
    );
    let t = Instant::now();
    let ids = populate_any(db, &haixi, prefilled).await?;
    bulk::analyze(db).await?;
    println!("预置数据：{:.1} s", t.elapsed().as_secs_f64());

    add_operator(&app).await?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(app, WebConfig::default());
    let server =
        tokio::spawn(
            async move { dualtrack_web::serve(listener, state, std::future::pending()).await },
        );

    let token = Conn::open(addr)
        .await?
        .login("bench_operator", PASSWORD)
        .await?;

    let (all, secs) = post_passages(addr, &token, &ids, requests, clients, "bench").await?;
    server.abort();
    let app_rate = all.len() as f64 / secs;
    println!(
        "应用：经 HTTP 登记通行（{clients} 个并发客户端，每次 2 人，带幂等键、落地交接与审计）：{} 次，{secs:.1} s，{app_rate:.0} 次/秒（目标 ≥ 1000）",
        all.len(),
    );
    println!(
        "应用延迟：p50 {:.2} ms，p99 {:.2} ms，最长 {:.2} ms（目标 p99 < 50 ms）",
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default()
    );

    let first = ids.iter().copied().min().unwrap_or(1);
    let (engine_rate, how) = match (pg_url, db) {
        (Some(url), _) => {
            let script = dualtrack_store::baseline::pgbench_script(first, ids.len() as i64);
            let r = crate::engine::pgbench(url, &script, clients, requests).await?;
            (
                r.tps,
                format!(
                    "pgbench -M prepared -f，{clients} 个客户端：{} 个事务，{:.1} s",
                    r.transactions, r.seconds
                ),
            )
        }
        (None, Db::Sqlite(pool)) => {
            let t = Instant::now();
            dualtrack_store::baseline::sqlite_registrations(
                pool,
                requests as u64,
                first,
                ids.len() as i64,
            )
            .await?;
            let secs = t.elapsed().as_secs_f64();
            (
                requests as f64 / secs.max(1e-9),
                format!("一个连接逐条执行：{requests} 个事务，{secs:.1} s"),
            )
        }
        (None, Db::Postgres(_)) => anyhow::bail!("PostgreSQL 需要数据库地址"),
    };
    println!(
        "引擎：同样的行直接写入（每个事务 1 次通行、2 人、按日汇总、2 条落地交接、幂等键、审计）：{how}，{engine_rate:.0} 次/秒"
    );
    println!(
        "应用/引擎（{engine}）：{:.2}（目标 ≥ 0.8）",
        app_rate / engine_rate.max(1e-9)
    );
    Ok(())
}

/// Registers `requests` passages over HTTP at the checkpoints `ids` from `clients` clients
/// (each on its own connection, with fresh idempotency keys starting `keys`): each
/// request's milliseconds, sorted, and the seconds all took.
pub async fn post_passages(
    addr: std::net::SocketAddr,
    token: &str,
    ids: &[i64],
    requests: usize,
    clients: usize,
    keys: &str,
) -> anyhow::Result<(Vec<f64>, f64)> {
    // Bodies made in advance, so the clients measure the server.
    let per_client = requests.div_ceil(clients.max(1));
    let mut work = Vec::new();
    for k in 0..clients.max(1) {
        let mut bodies = Vec::with_capacity(per_client);
        for j in 0..per_client {
            let n = (k * per_client + j) as u64;
            let cp = ids[(n as usize * 7) % ids.len()];
            let mut body = registration(n, n, n.is_multiple_of(200));
            body["idempotency_key"] = format!("{keys}-{k}-{j}").into();
            let body = body.to_string();
            bodies.push((format!("/api/v1/checkpoints/{cp}/passages"), body));
        }
        work.push(bodies);
    }

    let t = Instant::now();
    let mut handles = Vec::new();
    for bodies in work {
        let token = token.to_string();
        handles.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut ms = Vec::with_capacity(bodies.len());
            for (path, body) in bodies {
                let s = Instant::now();
                let (status, text) = conn.call("POST", &path, Some(&token), &body).await?;
                ms.push(s.elapsed().as_secs_f64() * 1000.0);
                anyhow::ensure!(status == 201, "登记失败：{status} {text}");
            }
            Ok::<Vec<f64>, anyhow::Error>(ms)
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await??);
    }
    let secs = t.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    Ok((all, secs))
}
