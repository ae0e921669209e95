//! `dualtrack bench mobilisation`: a large mobilisation registry on SQLite — a scoped,
//! filtered, paged list of people and counts by kind and county, timed at the 50th and 95th
//! percentiles — and the import of an Excel file of people, in rows per second.

use crate::stats::percentiles;
use chrono::{Duration, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::resident_id::check_char;
use dualtrack_service::mobilisation::PeopleQuery;
use dualtrack_service::{spreadsheet, Actor};
use dualtrack_store::mobilisation::{self as store, DeploymentRecord, NewOrg, PersonRecord};
use dualtrack_store::{bulk, jurisdiction, Db};
use std::time::Instant;

/// The counties of Haixi, where the generated identity numbers are registered.
pub const COUNTIES: [&str; 7] = [
    "632801", "632802", "632803", "632821", "632822", "632823", "632857",
];
const CATEGORIES: [&str; 5] = [
    "in_service_member",
    "cadre",
    "volunteer",
    "medical",
    "veteran",
];
const ORG_KINDS: [&str; 4] = ["temp_branch", "commando", "volunteer", "work_group"];

/// A valid identity number, unique for each `i`, registered in one of the counties.
fn id_number<S: AsRef<str>>(i: usize, counties: &[S]) -> String {
    let n = counties.len().max(1);
    let county = counties.get(i % n).map(|c| c.as_ref()).unwrap_or("632801");
    let birth = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
        + Duration::days(((i / n) % 20_000) as i64);
    let seq = (i / n / 20_000) % 1000;
    let first17 = format!("{county}{}{seq:03}", birth.format("%Y%m%d"));
    format!("{first17}{}", check_char(first17.as_bytes()).unwrap_or('0'))
}

/// `people` people (identity numbers of `counties`, living in a village of their county
/// within `region`) with a category each, `deployments` deployments over the villages of
/// `region` from 2020-01-25, and ten thousand organisations.
pub async fn populate<S: AsRef<str>>(
    db: &Db,
    region: &Code,
    counties: &[S],
    people: usize,
    deployments: usize,
) -> anyhow::Result<()> {
    let villages = jurisdiction::codes_at_level(db, region, 5).await?;
    anyhow::ensure!(!villages.is_empty(), "{region} 没有村级区划");
    let mut by_county: std::collections::HashMap<&str, Vec<&String>> =
        std::collections::HashMap::new();
    for v in &villages {
        by_county.entry(&v[..6]).or_default().push(v);
    }
    // A benchmark stamps its rows with the time it runs.
    #[allow(clippy::disallowed_methods)]
    let now = Utc::now();
    let t = Instant::now();
    let mut tx = db.begin().await?;
    let mut start = 0;
    while start < people {
        let end = (start + 50_000).min(people);
        let batch: Vec<PersonRecord> = (start..end)
            .map(|i| {
                let id = id_number(i, counties);
                let county = &id[..6];
                let mine = by_county.get(county).map(Vec::as_slice).unwrap_or(&[]);
                PersonRecord {
                    name: format!("人员{i}"),
                    sex: if i % 2 == 0 { "male" } else { "female" },
                    birth_date: NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap_or_default(),
                    id_number: id.clone(),
                    phone: Some(format!("139{:08}", i % 100_000_000)),
                    political_status: if i % 3 == 0 { "masses" } else { "party_member" },
                    jurisdiction_code: mine
                        .get(i % mine.len().max(1))
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| county.to_string()),
                    employer: None,
                    id_bidx: None,
                    enc_key: None,
                }
            })
            .collect();
        let ids = store::insert_people(&mut tx, &batch, now).await?;
        let home: std::collections::HashMap<&str, &str> = batch
            .iter()
            .map(|p| (p.id_number.as_str(), p.jurisdiction_code.as_str()))
            .collect();
        let pairs: Vec<(i64, &str, &str)> = ids
            .iter()
            .map(|(number, id)| {
                (
                    *id,
                    CATEGORIES[*id as usize % 5],
                    home.get(number.as_str()).copied().unwrap_or(""),
                )
            })
            .collect();
        store::insert_categories(&mut tx, &pairs).await?;
        start = end;
    }
    tx.commit().await?;
    println!("  生成人员：{:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let first_person = bulk::first_person_id(db).await?;
    let mut tx = db.begin().await?;
    let day0 = NaiveDate::from_ymd_opt(2020, 1, 25).unwrap_or_default();
    let mut start = 0;
    while start < deployments {
        let end = (start + 50_000).min(deployments);
        let batch: Vec<DeploymentRecord> = (start..end)
            .map(|k| {
                let person = first_person + (k % people.max(1)) as i64;
                let village = &villages[k % villages.len()];
                let begin = day0 + Duration::days((k % 45) as i64);
                DeploymentRecord {
                    person_id: person,
                    jurisdiction_code: village.clone(),
                    site_kind: Some(["checkpoint", "community", "enterprise", "hospital"][k % 4]),
                    role: "值守",
                    start_on: begin,
                    end_on: if k % 3 == 0 {
                        Some(begin + Duration::days(10))
                    } else {
                        None
                    },
                }
            })
            .collect();
        store::insert_deployments(&mut tx, &batch, now).await?;
        start = end;
    }
    for k in 0..10_000usize {
        let village = &villages[k % villages.len()];
        store::insert_org(
            &mut tx,
            &NewOrg {
                kind: ORG_KINDS[k % 4],
                name: &format!("组织{k}"),
                jurisdiction_code: village,
                site_kind: None,
                site_name: None,
                established_on: day0 + Duration::days((k % 40) as i64),
                dissolved_on: None,
                leader_id: None,
                at: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    bulk::analyze(db).await?;
    println!("  生成派驻与组织：{:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Times the on-duty figures from the rollup and by counting the deployments, for the
/// places given and days from late January to April. (That both give the same figures is a
/// test of the command-line crate, `bench_data`.)
pub async fn time_on_duty(db: &Db, places: &[Code]) -> anyhow::Result<()> {
    let day0 = NaiveDate::from_ymd_opt(2020, 1, 20).unwrap_or_default();
    let (mut rolled, mut scanned) = (Vec::new(), Vec::new());
    for place in places {
        let scope = Scope::Under(place.clone());
        for k in 0..8 {
            let d = day0 + Duration::days(k * 11);
            let t = Instant::now();
            std::hint::black_box(store::count_on_duty(db, &scope, d).await?);
            rolled.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            std::hint::black_box(store::count_on_duty_scanning(db, &scope, d).await?);
            scanned.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (r50, r95) = percentiles(rolled);
    let (s50, s95) = percentiles(scanned);
    println!(
        "  当日在岗人数：按日汇总 p50 {r50:.1} ms，p95 {r95:.1} ms；逐条计数 p50 {s50:.1} ms，p95 {s95:.1} ms"
    );
    Ok(())
}

pub async fn run(
    people: usize,
    deployments: usize,
    import_rows: usize,
    exports: usize,
) -> anyhow::Result<()> {
    let (_dir, db, app) = crate::fresh_sqlite("bench.db").await?;
    let cli = Actor::cli();
    app.import_region(&cli, Some("6328"), &|_, _| {}).await?;
    let haixi = Code::parse("6328")?;
    let villages = jurisdiction::codes_at_level(&db, &haixi, 5).await?;

    println!("组织动员基准（SQLite，{people} 人，{deployments} 条派驻）");
    populate(&db, &haixi, &COUNTIES, people, deployments).await?;

    // A county's operator lists its in-service party members, page 20, 50 a page.
    let mut op = cli.clone();
    op.scope = Scope::Under(Code::parse("632801")?);
    let q = PeopleQuery {
        category: Some("in_service_member".into()),
        page: Some(20),
        ..Default::default()
    };
    let mut times = Vec::new();
    let mut total = 0;
    for _ in 0..100 {
        let t = Instant::now();
        let page = app.list_people(&op, &q).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        total = page.total;
    }
    let (p50, p95) = percentiles(times);
    println!("  人员列表（格尔木市，在职党员，第 20 页，共 {total} 人）：p50 {p50:.1} ms，p95 {p95:.1} ms");

    let as_of = NaiveDate::from_ymd_opt(2020, 2, 28).unwrap_or_default();
    let mut times = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let counts = store::count_orgs(&db, &Scope::Under(haixi.clone()), as_of, 6).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(counts);
    }
    let (p50, p95) = percentiles(times);
    println!("  组织按类型、县计数（全州，截至 2020-02-28）：p50 {p50:.1} ms，p95 {p95:.1} ms");

    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let n = store::count_on_duty(&db, &Scope::Under(Code::parse("632801")?), as_of).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(n);
    }
    let (p50, p95) = percentiles(times);
    println!("  当日在岗人数（格尔木市，2020-02-28）：p50 {p50:.1} ms，p95 {p95:.1} ms");
    time_on_duty(&db, &[haixi.clone(), Code::parse("632801")?]).await?;

    // Excel import of new people.
    let rows: Vec<Vec<String>> = (0..import_rows)
        .map(|k| {
            let i = people + k;
            vec![
                format!("导入{i}"),
                id_number(i, &COUNTIES),
                format!("138{:08}", i % 100_000_000),
                "中共党员".into(),
                "在职党员".into(),
                villages[i % villages.len()].clone(),
                String::new(),
            ]
        })
        .collect();
    let bytes = spreadsheet::write("人员", dualtrack_service::import::PEOPLE_COLUMNS, &rows, "")?;
    let t = Instant::now();
    let out = app.import_people(&cli, &bytes).await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  Excel 导入 {import_rows} 行（{:.1} MB）：{secs:.2} s，{:.0} 行/秒（新建 {}）",
        bytes.len() as f64 / 1e6,
        import_rows as f64 / secs,
        out.created
    );
    time_export(&app, &cli, exports.max(1)).await?;
    db.close().await;
    Ok(())
}

/// The resident memory of this process, in bytes (0 where `/proc` does not say).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// `n` exports at once of every person of the prefecture, masked, as the Excel file a request
/// gets: their time, their size, and the memory of the process before and at its peak
/// meanwhile.
async fn time_export(app: &dualtrack_service::App, cli: &Actor, n: usize) -> anyhow::Result<()> {
    let before = rss_bytes();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_bytes(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    let t = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (app, cli) = (app.clone(), cli.clone());
        running.spawn(async move {
            app.export_people(&cli, &PeopleQuery::default(), false)
                .await
        });
    }
    let (mut rows, mut bytes) = (0, 0);
    while let Some(file) = running.join_next().await {
        let file = file??;
        rows = file.rows();
        bytes = file.len();
    }
    let secs = t.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.await?;
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "  Excel 导出全部人员 {rows} 行（{:.1} MB，每批 {} 行），{n} 个同时：{secs:.1} s，{:.0} 行/秒；进程内存 {:.0} MB → 峰值 {:.0} MB",
        bytes as f64 / 1e6,
        app.export_batch,
        (rows * n as u64) as f64 / secs,
        before as f64 / 1e6,
        peak as f64 / 1e6
    );
    Ok(())
}
