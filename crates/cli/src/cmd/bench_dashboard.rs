//! `dualtrack bench dashboard`: the Haixi 2020 demo built into a fresh SQLite file (timed),
//! then the command view served over HTTP as the prefecture's leader would open it — the
//! dashboard of the prefecture and of a county as of 2020-02-27, the briefing page and its
//! Word file — each timed over repeated requests, with the 50th and 95th percentiles.

use super::bench_passages::{percentile, Conn};
use dualtrack_service::demo::DEMO_PASSWORD;
use dualtrack_service::{App, Security};
use dualtrack_store::Db;
use dualtrack_web::{AppState, WebConfig};
use std::time::Instant;
use tokio::net::TcpListener;

pub async fn run(runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let app = App::new(db, Security::default());
    let t = Instant::now();
    app.load_demo().await?;
    println!(
        "海西州 2020 演示数据载入新的 SQLite 文件：{:.1} s（目标 < 30 s）",
        t.elapsed().as_secs_f64()
    );

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(app, WebConfig::default());
    let server = tokio::spawn(async move { dualtrack_web::serve(listener, state).await });
    let mut c = Conn::open(addr).await?;
    let (status, body) = c
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"username": "haixi_leader", "password": DEMO_PASSWORD}).to_string(),
        )
        .await?;
    anyhow::ensure!(status == 200, "登录失败：{status} {body}");
    let token: String = serde_json::from_str::<serde_json::Value>(&body)?["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    for (what, path) in [
        (
            "指挥视图页面（海西州，截至 2020-02-27）",
            "/dashboard?as_of=2020-02-27",
        ),
        (
            "指挥视图页面（格尔木市）",
            "/dashboard?as_of=2020-02-27&place=632801",
        ),
        ("每日简报页面（海西州）", "/briefing?as_of=2020-02-27"),
        (
            "每日简报 Word 文件（海西州）",
            "/api/v1/briefing.docx?as_of=2020-02-27",
        ),
    ] {
        let mut ms = Vec::with_capacity(runs);
        for i in 0..runs + 2 {
            let s = Instant::now();
            let (status, text) = c.call("GET", path, Some(&token), "").await?;
            anyhow::ensure!(status == 200, "{path}：{status} {text}");
            if i >= 2 {
                ms.push(s.elapsed().as_secs_f64() * 1000.0);
            }
        }
        ms.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{what}：{runs} 次，p50 {:.1} ms，p95 {:.1} ms（目标 p95 < 200 ms）",
            percentile(&ms, 0.5),
            percentile(&ms, 0.95)
        );
    }
    server.abort();
    Ok(())
}
