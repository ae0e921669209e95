//! `dualtrack bench crypto`: the cost of encrypting personal data at rest. On one SQLite
//! database, passages are registered over HTTP and the people list is read, first with
//! encryption off, then with the same rows sealed under an SM4 key: prints the rate and the
//! 95th percentile of each and their ratio (encrypted / plain; goal ≥ 0.8 of the rate).

use crate::http::Conn;
use crate::stats::{percentile, percentiles};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_service::crypto::FieldCrypto;
use dualtrack_service::mobilisation::PeopleQuery;
use dualtrack_service::{Actor, App};
use dualtrack_web::{AppState, WebConfig};
use std::time::Instant;
use tokio::net::TcpListener;

/// What one mode measured.
struct Figures {
    rate: f64,
    p99_ms: f64,
    list_p50_ms: f64,
    list_p95_ms: f64,
}

async fn measure(
    app: &App,
    checkpoints: &[i64],
    requests: usize,
    clients: usize,
    runs: usize,
    keys: &str,
) -> anyhow::Result<Figures> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(app.clone(), WebConfig::default());
    let server =
        tokio::spawn(
            async move { dualtrack_web::serve(listener, state, std::future::pending()).await },
        );
    let token = Conn::open(addr)
        .await?
        .login("bench_operator", crate::passages::PASSWORD)
        .await?;
    let (ms, secs) =
        crate::passages::post_passages(addr, &token, checkpoints, requests, clients, keys).await?;
    server.abort();
    // A county's operator lists its in-service party members, the first page of 50: every
    // row's ID number and phone opened, then masked.
    let mut op = Actor::cli();
    op.scope = Scope::Under(Code::parse("632801")?);
    let q = PeopleQuery {
        category: Some("in_service_member".into()),
        page: Some(1),
        ..Default::default()
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        app.list_people(&op, &q).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (list_p50_ms, list_p95_ms) = percentiles(times);
    Ok(Figures {
        rate: ms.len() as f64 / secs,
        p99_ms: percentile(&ms, 0.99),
        list_p50_ms,
        list_p95_ms,
    })
}

fn print(label: &str, f: &Figures) {
    println!(
        "  {label}：登记 {:.0} 次/秒（p99 {:.2} ms）；人员列表 p50 {:.2} ms，p95 {:.2} ms",
        f.rate, f.p99_ms, f.list_p50_ms, f.list_p95_ms
    );
}

pub async fn run(
    people: usize,
    requests: usize,
    clients: usize,
    runs: usize,
) -> anyhow::Result<()> {
    let (_dir, db, plain) = crate::fresh_sqlite("bench.db").await?;
    let cli = Actor::cli();
    plain.import_region(&cli, Some("6328"), &|_, _| {}).await?;
    let haixi = Code::parse("6328")?;
    let checkpoints = crate::passages::populate(&db, &haixi, 0).await?;
    crate::mobilisation::populate(&db, &haixi, &crate::mobilisation::COUNTIES, people, people)
        .await?;
    plain.reseal_pass(&cli).await?;
    crate::passages::add_operator(&plain).await?;
    println!(
        "个人信息加密基准（SQLite，{people} 人；{requests} 次通行登记经 HTTP，{clients} 个并发客户端，每次 2 人；人员列表 {runs} 次）"
    );
    // A first round warms the caches; its figures are not kept.
    measure(
        &plain,
        &checkpoints,
        requests / 4,
        clients,
        runs / 4,
        "warm",
    )
    .await?;
    let off = measure(&plain, &checkpoints, requests, clients, runs, "off").await?;
    print("不加密", &off);
    let dir = tempfile::tempdir()?;
    let encrypted = plain
        .clone()
        .with_crypto(FieldCrypto::load(&dir.path().join("data.key"), true)?);
    let t = Instant::now();
    let sealed = encrypted.reseal_pass(&cli).await?;
    println!(
        "  既有 {sealed} 行以 SM4-GCM 加密：{:.1} s",
        t.elapsed().as_secs_f64()
    );
    let on = measure(&encrypted, &checkpoints, requests, clients, runs, "on").await?;
    print("SM4 加密", &on);
    println!(
        "  比值（加密 / 不加密）：登记速率 {:.2}（目标 ≥ 0.8）；人员列表 p95 {:.2}（加密时 p95 是不加密时的 {:.2} 倍）",
        on.rate / off.rate,
        off.list_p95_ms / on.list_p95_ms,
        on.list_p95_ms / off.list_p95_ms
    );
    Ok(())
}
