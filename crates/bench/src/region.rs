//! `dualtrack bench region-import`: the import of the divisions of Haixi, then of the whole
//! country, into a new SQLite database, first and again.

use dualtrack_service::{Actor, App};
use std::time::Instant;

async fn timed(app: &App, prefix: Option<&str>) -> anyhow::Result<(f64, u64, u64)> {
    let t = Instant::now();
    let r = app.import_region(&Actor::cli(), prefix, &|_, _| {}).await?;
    Ok((t.elapsed().as_secs_f64(), r.total, r.inserted))
}

pub async fn run(skip_country: bool) -> anyhow::Result<()> {
    println!("区划导入基准（SQLite，新数据库，WAL）");
    let mut cases: Vec<(&str, Option<&str>)> = vec![("海西州 6328", Some("6328"))];
    if !skip_country {
        cases.push(("全国", None));
    }
    for (label, prefix) in cases {
        let (_dir, _db, app) = crate::fresh_sqlite("bench.db").await?;
        let (secs, total, inserted) = timed(&app, prefix).await?;
        println!(
            "{label}：首次导入 {total} 个单位（新增 {inserted}），{secs:.2} s，{:.0} 个/秒",
            total as f64 / secs
        );
        let (secs2, _, inserted2) = timed(&app, prefix).await?;
        println!("{label}：重复导入（新增 {inserted2}），{secs2:.2} s");
    }
    Ok(())
}
