//! `dualtrack bench supplies`: five million stock movements over a year across Qinghai on
//! SQLite — a store in each county, a station in each town and township, a box at checkpoints
//! — with the per-pair balances and the per-day rollup the movements would leave. Times "the
//! balance of every store for every item as of a day" from the rollup (through the store and
//! through the use case, with names) against summing the movements themselves (that both
//! give the same figures is a test of the command-line crate, `bench_data`), and times recording one issue with the rollup kept current.

use crate::stats::{ms_since, percentiles};
use crate::Lcg;
use chrono::{Duration, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::supplies::MovementKind;
use dualtrack_service::supplies::{BalancesQuery, MovementInput};
use dualtrack_service::{Actor, App};
use dualtrack_store::supplies::{self as store, DayRow, NewItem, NewMovement, NewStore};
use dualtrack_store::{bulk, jurisdiction, Db};
use std::collections::HashMap;
use std::time::Instant;

/// (name, kind, unit): 12 prevention materials and 18 farm inputs.
const ITEMS: &[(&str, &str, &str)] = &[
    ("医用外科口罩", "mask", "个"),
    ("KN95 口罩", "mask", "个"),
    ("N95 口罩", "mask", "个"),
    ("84 消毒液", "disinfectant", "瓶"),
    ("75% 酒精", "disinfectant", "瓶"),
    ("过氧乙酸", "disinfectant", "瓶"),
    ("额温枪", "thermometer", "支"),
    ("水银体温计", "thermometer", "支"),
    ("医用防护服", "protective_suit", "套"),
    ("隔离衣", "protective_suit", "套"),
    ("护目镜", "goggles", "副"),
    ("医用手套", "gloves", "副"),
    ("硫酸钾", "fertiliser", "公斤"),
    ("尿素", "fertiliser", "公斤"),
    ("磷酸二铵", "fertiliser", "公斤"),
    ("复合肥", "fertiliser", "公斤"),
    ("有机肥", "fertiliser", "公斤"),
    ("枸杞苗", "seed", "株"),
    ("青稞种子", "seed", "公斤"),
    ("油菜种子", "seed", "公斤"),
    ("小麦种子", "seed", "公斤"),
    ("马铃薯种薯", "seed", "公斤"),
    ("藜麦种子", "seed", "公斤"),
    ("燕麦草种", "seed", "公斤"),
    ("地膜", "film", "公斤"),
    ("棚膜", "film", "公斤"),
    ("吡虫啉", "pesticide", "袋"),
    ("多菌灵", "pesticide", "袋"),
    ("农用柴油", "fuel", "升"),
    ("汽油", "fuel", "升"),
];

async fn add_store(
    tx: &mut dualtrack_store::Tx,
    now: chrono::DateTime<Utc>,
    name: String,
    kind: &str,
    code: &str,
) -> anyhow::Result<i64> {
    Ok(store::insert_store(
        tx,
        &NewStore {
            name,
            kind: kind.into(),
            jurisdiction_code: code.into(),
            checkpoint_id: None,
            address: String::new(),
            keeper: String::new(),
            created_by: "bench".into(),
        },
        now,
    )
    .await?)
}

/// What [`populate`] wrote: the store-item pairs (store, item, place, weight) and the days.
pub struct Populated {
    pub pairs: Vec<(i64, i64, String, u64)>,
    pub first: NaiveDate,
    pub days: u64,
}

pub async fn run(movements: u64, runs: usize) -> anyhow::Result<()> {
    let (_dir, db, app) = crate::fresh_sqlite("bench.db").await?;
    let cli = Actor::cli();
    let t = Instant::now();
    app.import_region(&cli, Some("63"), &|_, _| {}).await?;
    println!("导入青海省区划：{:.1} s", t.elapsed().as_secs_f64());
    let Populated { pairs, first, days } = populate(&db, movements).await?;
    measure(&app, &db, &pairs, first, days, runs).await
}

/// Fills a database that holds Qinghai's divisions (63) with the catalogue, a store in each
/// county and township and at a third of the townships' checkpoints, and `movements` stock
/// movements over 2020, with the per-pair balances, the per-day rollup and the closed days
/// the movements would leave.
pub async fn populate(db: &Db, movements: u64) -> anyhow::Result<Populated> {
    let qinghai = Code::parse("63")?;
    let counties = jurisdiction::codes_at_level(db, &qinghai, 3).await?;
    let townships = jurisdiction::codes_at_level(db, &qinghai, 4).await?;
    anyhow::ensure!(!townships.is_empty(), "青海省没有乡级区划");
    // A benchmark stamps its rows with the time it runs.
    #[allow(clippy::disallowed_methods)]
    let now = Utc::now();

    // The catalogue and the stores: every item at a county store, half of them at a
    // station, the prevention materials at one checkpoint box in three townships.
    let mut tx = db.begin().await?;
    let mut items = Vec::new();
    for (name, kind, unit) in ITEMS {
        let category = dualtrack_domain::supplies::ItemKind::parse(kind)
            .map(|k| k.category().as_str())
            .unwrap_or("prevention");
        items.push(
            store::insert_item(
                &mut tx,
                &NewItem {
                    name: name.to_string(),
                    category: category.into(),
                    kind: kind.to_string(),
                    spec: String::new(),
                    crop: None,
                    unit: unit.to_string(),
                    pack_unit: None,
                    pack_size: None,
                    warn_days: 7,
                    created_by: "bench".into(),
                },
                now,
            )
            .await?,
        );
    }
    let mut pairs: Vec<(i64, i64, String, u64)> = Vec::new();
    let mut stores = 0;
    for c in &counties {
        let id = add_store(&mut tx, now, format!("{c} 县级仓库"), "county", c).await?;
        stores += 1;
        for item in &items {
            pairs.push((id, *item, c.clone(), 3));
        }
    }
    for (k, t) in townships.iter().enumerate() {
        let id = add_store(&mut tx, now, format!("{t} 乡镇站点"), "township", t).await?;
        stores += 1;
        for (i, item) in items.iter().enumerate() {
            if (i + k) % 2 == 0 {
                pairs.push((id, *item, t.clone(), 2));
            }
        }
        if k % 3 == 0 {
            let id = add_store(&mut tx, now, format!("{t} 卡口物资箱"), "checkpoint", t).await?;
            stores += 1;
            for item in items.iter().take(12) {
                pairs.push((id, *item, t.clone(), 2));
            }
        }
    }
    tx.commit().await?;
    let weight: u64 = pairs.iter().map(|p| p.3).sum();
    println!(
        "物资保障基准（{}，青海省 {} 个县级、{} 个乡级单位，{stores} 个仓库，{} 种物资，{} 个仓库-物资组合，{movements} 条出入库，2020 全年）",
        match db {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        },
        counties.len(),
        townships.len(),
        items.len(),
        pairs.len()
    );

    // Movements day by day: receipts when low, issues most days; the balance of each pair
    // followed so that none goes below zero, and the rollup rows the movements leave.
    let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let days = 366u64;
    let per_day = movements / days;
    let mut rng = Lcg(20200101);
    let mut bal: Vec<i64> = vec![0; pairs.len()];
    let mut out: Vec<i64> = vec![0; pairs.len()];
    // Pairs drawn by weight: county stores move more than stations.
    let mut wheel: Vec<usize> = Vec::with_capacity(weight as usize);
    for (i, p) in pairs.iter().enumerate() {
        for _ in 0..p.3 {
            wheel.push(i);
        }
    }
    let t = Instant::now();
    let mut written = 0u64;
    let mut day_rows = 0usize;
    for d in 0..days {
        let day = first + Duration::days(d as i64);
        let n = if d == days - 1 {
            movements - written
        } else {
            per_day
        };
        let mut batch = Vec::with_capacity(n as usize);
        let mut touched: HashMap<usize, (i64, i64)> = HashMap::new();
        for _ in 0..n {
            let i = wheel[rng.next(wheel.len() as u64) as usize];
            let (store_id, item_id, code, _) = &pairs[i];
            let (kind, q) = if bal[i] < 50 || rng.next(6) == 0 {
                (MovementKind::Receipt, 200 + rng.next(800) as i64)
            } else {
                (
                    MovementKind::Issue,
                    1 + rng.next(bal[i].min(60) as u64) as i64,
                )
            };
            let e = touched.entry(i).or_default();
            if kind == MovementKind::Receipt {
                bal[i] += q;
                e.0 += q;
            } else {
                bal[i] -= q;
                out[i] += q;
                e.1 += q;
            }
            batch.push(NewMovement {
                kind: kind.as_str().into(),
                item_id: *item_id,
                quantity: q,
                from_store_id: (kind == MovementKind::Issue).then_some(*store_id),
                to_store_id: (kind == MovementKind::Receipt).then_some(*store_id),
                jurisdiction_code: code.clone(),
                moved_on: day,
                counterparty: String::new(),
                reason: String::new(),
                allocation_id: None,
                entered_quantity: q,
                entered_unit: String::new(),
                idempotency_key: None,
                recorded_by: "bench".into(),
            });
        }
        let rows: Vec<DayRow> = touched
            .into_iter()
            .map(|(i, (qin, qout))| DayRow {
                store_id: pairs[i].0,
                item_id: pairs[i].1,
                day,
                qty_in: qin,
                qty_out: qout,
                closing: bal[i],
                cum_out: out[i],
            })
            .collect();
        day_rows += rows.len();
        let mut tx = db.begin().await?;
        store::insert_movements(&mut tx, &batch, now).await?;
        store::insert_days(&mut tx, &rows).await?;
        tx.commit().await?;
        written += n;
    }
    let mut tx = db.begin().await?;
    store::balances_from_days(&mut tx).await?;
    tx.commit().await?;
    println!(
        "写入 {written} 条出入库与 {day_rows} 行按日汇总：{:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let mut tx = db.begin().await?;
    let closed = store::close_days(&mut tx, first + Duration::days(days as i64)).await?;
    tx.commit().await?;
    println!(
        "日结 {closed} 天（每天各仓库各物资一行）：{:.1} s",
        t.elapsed().as_secs_f64()
    );
    if let Db::Sqlite(_) = db {
        bulk::analyze(db).await?;
    }
    Ok(Populated { pairs, first, days })
}

/// Times the use of the fortnight to `day` over the province (the low-stock warning's
/// input), from the cumulated use of the closings and by summing the movements themselves.
/// (That both give the same figures is a test of the command-line crate, `bench_data`.)
pub async fn time_use(db: &Db, day: NaiveDate) -> anyhow::Result<()> {
    let province = Scope::Under(Code::parse("63")?);
    let from = day - Duration::days(dualtrack_domain::supplies::USE_WINDOW_DAYS);
    let mut cumulated = Vec::new();
    let mut pairs = 0;
    for _ in 0..20 {
        let t = Instant::now();
        pairs = store::use_between(db, &province, from, day).await?.len();
        cumulated.push(ms_since(t));
    }
    let t = Instant::now();
    std::hint::black_box(store::use_from_movements(db, &province, from, day).await?);
    let scan = ms_since(t);
    let (c50, c95) = percentiles(cumulated);
    println!(
        "  近 14 天出库（{pairs} 个仓库-物资组合）：累计出库相减 p50 {c50:.1} ms，p95 {c95:.1} ms；逐条汇总出入库 {scan:.0} ms"
    );
    Ok(())
}

/// Times the balances as of a day and the recording of a movement.
async fn measure(
    app: &App,
    db: &Db,
    pairs: &[(i64, i64, String, u64)],
    first: NaiveDate,
    days: u64,
    runs: usize,
) -> anyhow::Result<()> {
    let cli = Actor::cli();
    let qinghai = Code::parse("63")?;
    // Balances of every store for every item as of a day.
    let province = Scope::Under(qinghai.clone());
    let mut rollup = Vec::new();
    let mut through_app = Vec::new();
    let mut scan = Vec::new();
    let mut rng = Lcg(7);
    let mut lines = 0;
    for k in 0..runs {
        let d = first + Duration::days(rng.next(days) as i64);
        let t = Instant::now();
        let a = store::balances_as_of(db, &province, d, None).await?;
        rollup.push(ms_since(t));
        lines = lines.max(a.len());
        let t = Instant::now();
        app.supply_balances(
            &cli,
            &BalancesQuery {
                as_of: Some(d.to_string()),
                ..Default::default()
            },
        )
        .await?;
        through_app.push(ms_since(t));
        if k < 5 {
            let t = Instant::now();
            std::hint::black_box(store::balances_from_movements(db, &province, d).await?);
            scan.push(ms_since(t));
        }
    }
    let (r50, r95) = percentiles(rollup);
    let (a50, a95) = percentiles(through_app);
    let (s50, s95) = percentiles(scan);
    println!(
        "各仓库各物资截至某日结存（全省，至多 {lines} 行）：按日汇总 p50 {r50:.2} ms，p95 {r95:.2} ms（目标 < 50 ms）"
    );
    println!("  同上经用例（含仓库与物资名称、合计）：p50 {a50:.2} ms，p95 {a95:.2} ms");
    println!("  逐条汇总出入库（基线）：p50 {s50:.2} ms，p95 {s95:.2} ms");

    // One issue through the use case, with the rollup kept current in its transaction.
    let (store_id, item_id, _, _) = pairs[0].clone();
    let mut record = Vec::new();
    for k in 0..runs {
        let input = MovementInput {
            idempotency_key: None,
            made_at: None,
            kind: "issue".into(),
            item_id,
            quantity: 1,
            unit: None,
            moved_on: Some((first + Duration::days(300 + (k % 60) as i64)).to_string()),
            to_store_id: None,
            counterparty: "基准".into(),
            reason: String::new(),
        };
        let t = Instant::now();
        match app.record_movement(&cli, store_id, &input).await {
            Ok(_) => record.push(ms_since(t)),
            Err(e) => println!("  登记失败：{e}"),
        }
    }
    if !record.is_empty() {
        let (m50, m95) = percentiles(record);
        println!(
            "登记一次发放（倒填日期，更新其后各日结存，含审计）：p50 {m50:.2} ms，p95 {m95:.2} ms"
        );
    }
    Ok(())
}
