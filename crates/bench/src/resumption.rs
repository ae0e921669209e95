//! `dualtrack bench resumption`: ten thousand enterprises above designated size across
//! Qinghai and a year of their daily reports on SQLite. Times the rates by county as of a day
//! from the per-day rollup and by scanning the reports (that both give the same figures is a
//! test of the command-line crate, `bench_data`), a county's daily series over the year, the same through the use case, and
//! what filing one report costs with the rollup kept current.

use crate::stats::percentiles;
use chrono::{Duration, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::resumption::credit_check_char;
use dualtrack_service::resumption::RatesQuery;
use dualtrack_service::Actor;
use dualtrack_store::resumption::{self as store, Filter, Grouping, NewEnterprise, NewReport};
use dualtrack_store::{jurisdiction, Db};
use std::time::Instant;

const SECTIONS: [&str; 6] = ["B", "C", "C", "D", "C", "B"];

/// The day an enterprise resumes, and whether it resumes only partly at first.
fn resumes_on(i: usize, start: NaiveDate) -> (NaiveDate, bool) {
    (
        start + Duration::days(20 + (i * 37 % 90) as i64),
        i.is_multiple_of(5),
    )
}

/// The report of the `i`-th generated enterprise (id `id`) for `day`.
pub fn report(i: usize, id: i64, day: NaiveDate, start: NaiveDate, headcount: i64) -> NewReport {
    let (on, partly) = resumes_on(i, start);
    let status = if day < on {
        "not_resumed"
    } else if partly && day < on + Duration::days(30) {
        "partly"
    } else {
        "resumed"
    };
    let on_duty = match status {
        "not_resumed" => headcount / 20,
        "partly" => headcount / 2,
        _ => headcount * 9 / 10,
    };
    NewReport {
        enterprise_id: id,
        report_date: day,
        status: status.into(),
        on_duty,
        back_from_outside: on_duty / 10,
        in_quarantine: 0,
        abnormal_temps: 0,
        mask_days: 7,
        disinfectant_days: 10,
        checks_passed: 5,
        output: on_duty * 3,
        problems: String::new(),
        filed_by: "bench".into(),
    }
}

/// The first day of the generated reports.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default()
}

/// `enterprises` enterprises above designated size over the townships of `region`, and
/// their daily reports for `days` days from [`first_day`], filed a day at a time with the
/// rollup kept current. Returns each enterprise's id and normal headcount.
pub async fn populate(
    db: &Db,
    region: &Code,
    enterprises: usize,
    days: usize,
) -> anyhow::Result<Vec<(i64, i64)>> {
    let townships = jurisdiction::codes_at_level(db, region, 4).await?;
    anyhow::ensure!(!townships.is_empty(), "{region} 没有乡级区划");
    let start = first_day();
    // A benchmark stamps its rows with the time it runs.
    #[allow(clippy::disallowed_methods)]
    let now = Utc::now();
    let t = Instant::now();
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(enterprises);
    for i in 0..enterprises {
        let place = townships
            .get(i % townships.len().max(1))
            .cloned()
            .unwrap_or_else(|| "6301".into());
        let first17 = format!("91{}{:08}", &place[..6], i);
        let e = NewEnterprise {
            name: format!("基准企业{i}"),
            credit_code: format!("{first17}{}", credit_check_char(&first17).unwrap_or('0')),
            credit_check_failed: false,
            jurisdiction_code: place,
            industry_section: SECTIONS[i % SECTIONS.len()].into(),
            industry_division: None,
            above_size: true,
            key_enterprise: i % 10 == 0,
            normal_headcount: 50 + (i % 400) as i64,
            normal_output: 3 * (50 + (i % 400) as i64),
            output_unit: "吨/日".into(),
            contact_name: None,
            contact_phone: None,
            enc_key: None,
        };
        ids.push((
            store::insert_enterprise(&mut tx, &e, now).await?,
            e.normal_headcount,
        ));
    }
    tx.commit().await?;
    println!("  登记企业：{:.1} s", t.elapsed().as_secs_f64());

    // A day at a time, as the reports come in: each day's batch widens the rollup by a day.
    let t = Instant::now();
    for d in 0..days {
        let day = start + Duration::days(d as i64);
        let batch: Vec<NewReport> = ids
            .iter()
            .enumerate()
            .map(|(i, &(id, headcount))| report(i, id, day, start, headcount))
            .collect();
        let mut tx = db.begin().await?;
        store::insert_reports(&mut tx, &batch, |_| now).await?;
        tx.commit().await?;
    }
    let load = t.elapsed().as_secs_f64();
    println!(
        "  写入日报并逐日汇总：{load:.1} s（{:.0} 条/秒）",
        (enterprises * days) as f64 / load
    );
    Ok(ids)
}

pub async fn run(enterprises: usize, days: usize) -> anyhow::Result<()> {
    let (_dir, db, app) = crate::fresh_sqlite("bench.db").await?;
    let cli = Actor::cli();
    app.import_region(&cli, Some("63"), &|_, _| {}).await?;
    let qinghai = Code::parse("63")?;
    let townships = jurisdiction::codes_at_level(&db, &qinghai, 4).await?;
    let start = first_day();
    let now = app.clock.now();
    println!(
        "复工复产基准（SQLite，青海省 {} 个乡级单位，{enterprises} 家规上企业，{days} 天日报共 {} 条）",
        townships.len(),
        enterprises * days
    );
    let ids = populate(&db, &qinghai, enterprises, days).await?;

    let province = Filter::new(&Scope::Under(qinghai.clone()), None);
    let probe = |k: usize| start + Duration::days(((k * 53) % days) as i64);

    let mut rollup = Vec::new();
    for k in 0..200 {
        let t = Instant::now();
        store::rates(&db, &province, Grouping::County, probe(k)).await?;
        rollup.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut scan = Vec::new();
    for k in 0..30 {
        let t = Instant::now();
        store::rates_by_scanning(&db, &province, Grouping::County, probe(k)).await?;
        scan.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (r50, r95) = percentiles(rollup);
    let (s50, s95) = percentiles(scan);
    println!(
        "各县开复工率（全省，截至某日）：按日汇总 p50 {r50:.2} ms，p95 {r95:.2} ms（目标 < 20 ms）"
    );
    println!("各县开复工率（全省，截至某日）：逐条计算 p50 {s50:.2} ms，p95 {s95:.2} ms");
    println!(
        "按日汇总比逐条计算快：p95 {:.1} 倍，p50 {:.1} 倍（目标 ≥ 20 倍）",
        s95 / r95,
        s50 / r50
    );

    // A county's year, day by day.
    let county_code = townships
        .first()
        .map(|t| t[..6].to_string())
        .unwrap_or_else(|| "630102".into());
    let county = Filter::new(&Scope::Under(Code::parse(&county_code)?), None);
    let end = start + Duration::days(days as i64 - 1);
    let mut series = Vec::new();
    let mut points = 0;
    for _ in 0..100 {
        let t = Instant::now();
        points = store::series(&db, &county, None, start, end).await?.len();
        series.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (q50, q95) = percentiles(series);
    println!(
        "一个县（{county_code}）全年逐日序列（{points} 天）：p50 {q50:.2} ms，p95 {q95:.2} ms（目标 < 50 ms）"
    );

    // Through the use case: the total, counties, townships and sections side by side.
    let mut whole = Vec::new();
    for k in 0..100 {
        let q = RatesQuery {
            as_of: probe(k).to_string(),
            place: Some("63".into()),
            industry: None,
        };
        let t = Instant::now();
        app.resumption_rates_for(&cli, &q).await?;
        whole.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (w50, w95) = percentiles(whole);
    println!(
        "全省复工率（合计、各县、各乡镇、各行业并列，经用例）：p50 {w50:.2} ms，p95 {w95:.2} ms"
    );

    // What one report costs with the rollup kept current in its transaction.
    let mut filing = Vec::new();
    for k in 0..50 {
        let (id, headcount) = ids[(k * 197) % ids.len()];
        let mut r = report(k, id, probe(k), start, headcount);
        r.status = "shut_down".into();
        let t = Instant::now();
        let mut tx = db.begin().await?;
        store::file_report(&mut tx, &store::Filing::plain(&r, now)).await?;
        tx.commit().await?;
        filing.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (f50, f95) = percentiles(filing);
    println!("更正一份日报（含汇总更新）：p50 {f50:.2} ms，p95 {f95:.2} ms");
    Ok(())
}
