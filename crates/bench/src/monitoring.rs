//! `dualtrack bench monitoring`: a million quarantine and health monitoring cases over a
//! year across Qinghai on SQLite, with their follow-ups. Times "people under monitoring by
//! county and kind as of a day" from the per-day rollup (through the store and through the
//! use case) against counting the cases, and "overdue follow-ups in my scope" (the count and
//! the first page) for the province, a county and a township through the partial index on
//! active cases, against scanning the cases. (That both ways give the same figures is a test
//! of the command-line crate, `bench_data`.)

use crate::stats::{ms_since, percentiles};
use crate::Lcg;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::monitoring::{planned_end, CaseKind, DEFAULT_MONITORING_DAYS};
use dualtrack_domain::resident_id::check_char;
use dualtrack_domain::time::cst;
use dualtrack_service::monitoring::{FiguresQuery, OverdueQuery};
use dualtrack_service::Actor;
use dualtrack_store::monitoring::{self as store, LoadCase, NewCase, NewFollowup};
use dualtrack_store::sealing::SealedText;
use dualtrack_store::{jurisdiction, Db};
use std::time::Instant;

fn at(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    cst()
        .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// One generated case: started on a day of the year, released fourteen days after the last
/// exposure if that is before `now`; open cases are followed up twice a day, and about one
/// in fifty has missed its last follow-up.
fn case(
    rng: &mut Lcg,
    i: u64,
    village: &str,
    first: NaiveDate,
    days: u64,
    now: DateTime<Utc>,
    followups: usize,
) -> LoadCase {
    let start = first + Duration::days(rng.next(days) as i64);
    let last_exposure = start - Duration::days(rng.next(3) as i64);
    let planned = planned_end(last_exposure, DEFAULT_MONITORING_DAYS);
    let today = now.with_timezone(&cst()).date_naive();
    let released = planned <= today;
    let kind = match rng.next(10) {
        0..=5 => CaseKind::Home,
        6..=7 => CaseKind::Central,
        _ => CaseKind::Health,
    };
    // The most recent follow-ups (morning and evening), the last one before now.
    let last_day = if released { planned } else { today };
    let mut fs = Vec::with_capacity(followups);
    for k in 0..followups {
        let back = (followups - 1 - k) as i64;
        let d = last_day - Duration::days((back + 1) / 2);
        if d < start {
            continue;
        }
        let h = if back % 2 == 0 { 8 } else { 18 };
        let t = at(d, h, rng.next(50) as u32);
        if t > now {
            continue;
        }
        fs.push(NewFollowup {
            case_id: 0,
            followed_at: t,
            temperature: 360 + rng.next(12) as i32,
            symptoms: SealedText::stored("none"),
            abnormal: false,
            note: SealedText::stored(""),
            recorded_by: "bench".into(),
            enc_key: None,
        });
    }
    let missed = !released && rng.next(50) == 0;
    let last_at = fs.last().map(|f| f.followed_at);
    let next_due = match (missed, last_at) {
        (true, _) => now - Duration::hours(1 + rng.next(36) as i64),
        (false, Some(t)) => (t + Duration::hours(12)).max(now + Duration::minutes(1)),
        (false, None) => now + Duration::hours(12),
    };
    let first17 = format!(
        "630102{}{:03}",
        (NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default()
            + Duration::days((i % 20_000) as i64))
        .format("%Y%m%d"),
        i % 1000
    );
    LoadCase {
        case: NewCase {
            kind: kind.as_str().into(),
            name: format!("对象{i}"),
            id_number: format!("{first17}{}", check_char(first17.as_bytes()).unwrap_or('0')),
            phone: Some(format!("139{:08}", i % 100_000_000)),
            screened_person_id: None,
            traveller_id: None,
            jurisdiction_code: village.to_string(),
            place: "住址".into(),
            reason: "自外省返回".into(),
            last_exposure,
            start_date: start,
            planned_end: planned,
            next_due_at: next_due,
            created_by: "bench".into(),
            responsible: Vec::new(),
            id_bidx: None,
            enc_key: None,
        },
        status: if released { "released" } else { "active" }.into(),
        last_followup_at: last_at,
        referral_clinic: None,
        referred_at: None,
        released_on: released.then_some(planned),
        released_by: released.then(|| "bench".to_string()),
        followups: fs,
        alerts: Vec::new(),
    }
}

/// The first day of the generated cases, the number of days they start over, and the
/// moment they are generated as of (2020-12-31 15:00, Beijing time).
pub fn period() -> (NaiveDate, u64, DateTime<Utc>) {
    let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let now = at(
        NaiveDate::from_ymd_opt(2020, 12, 31).unwrap_or_default(),
        15,
        0,
    );
    (first, 366, now)
}

/// `cases` cases over the villages of `region` starting through 2020 (see [`period`]), each
/// with at most `followups` follow-ups, and the per-day rollup. Returns the follow-ups
/// written.
pub async fn populate(
    db: &Db,
    region: &Code,
    cases: u64,
    followups: usize,
) -> anyhow::Result<usize> {
    let villages = jurisdiction::codes_at_level(db, region, 5).await?;
    anyhow::ensure!(!villages.is_empty(), "{region} 没有村级区划");
    let (first, days, now) = period();
    let mut rng = Lcg(20200101);
    let mut written = 0usize;
    let batch = 20_000u64;
    let mut i = 0u64;
    while i < cases {
        let n = batch.min(cases - i);
        let rows: Vec<LoadCase> = (i..i + n)
            .map(|k| {
                let v = &villages[rng.next(villages.len() as u64) as usize];
                case(&mut rng, k, v, first, days, now, followups)
            })
            .collect();
        let mut tx = db.begin().await?;
        written += store::load_cases(&mut tx, &rows, now).await?;
        tx.commit().await?;
        i += n;
    }
    Ok(written)
}

pub async fn run(cases: u64, followups: usize, runs: usize) -> anyhow::Result<()> {
    let (_dir, db, app) = crate::fresh_sqlite("bench.db").await?;
    let cli = Actor::cli();
    let t = Instant::now();
    app.import_region(&cli, Some("63"), &|_, _| {}).await?;
    println!("导入青海省区划：{:.1} s", t.elapsed().as_secs_f64());
    let qinghai = Code::parse("63")?;
    let villages = jurisdiction::codes_at_level(&db, &qinghai, 5).await?;
    anyhow::ensure!(!villages.is_empty(), "青海省没有村级区划");
    let (first, days, now) = period();
    app.clock.set(Some(now));
    println!(
        "隔离与健康监测基准（SQLite，青海省 {} 个村级单位，{cases} 个对象，每个对象至多 {followups} 次随访，现在 {}）",
        villages.len(),
        dualtrack_domain::time::display(now)
    );

    let t = Instant::now();
    let written = populate(&db, &qinghai, cases, followups).await?;
    println!(
        "写入 {cases} 个对象、{written} 次随访及按日汇总：{:.1} s",
        t.elapsed().as_secs_f64()
    );

    // People under monitoring by county and kind as of a day.
    let province = Scope::Under(qinghai.clone());
    let mut rollup = Vec::new();
    let mut through_app = Vec::new();
    let mut scan = Vec::new();
    let mut rng = Lcg(7);
    for k in 0..runs {
        let d = first + Duration::days(rng.next(days) as i64);
        let t = Instant::now();
        std::hint::black_box(store::figures_from_rollup(&db, &province, 6, d).await?);
        rollup.push(ms_since(t));
        let t = Instant::now();
        app.monitoring_figures(
            &cli,
            &FiguresQuery {
                as_of: Some(d.to_string()),
                place: Some("63".into()),
            },
        )
        .await?;
        through_app.push(ms_since(t));
        if k < 5 {
            let t = Instant::now();
            std::hint::black_box(store::figures_from_cases(&db, &province, 6, d).await?);
            scan.push(ms_since(t));
        }
    }
    let (r50, r95) = percentiles(rollup);
    let (a50, a95) = percentiles(through_app);
    let (s50, s95) = percentiles(scan);
    println!("各县在管人数（全省，按类别，截至某日）：按日汇总 p50 {r50:.2} ms，p95 {r95:.2} ms（目标 < 50 ms）");
    println!("  同上经用例（含地名）：p50 {a50:.2} ms，p95 {a95:.2} ms");
    println!("  逐条计算对象：p50 {s50:.2} ms，p95 {s95:.2} ms");

    // Overdue follow-ups in my scope: the count and the first page.
    let county = Code::parse(&villages[0][..6])?;
    let township = Code::parse(&villages[0][..9])?;
    for (label, scope) in [
        ("全省", qinghai.clone()),
        ("一个县", county),
        ("一个乡镇", township),
    ] {
        let s = Scope::Under(scope.clone());
        let mut count_ms = Vec::new();
        let mut page_ms = Vec::new();
        let mut app_ms = Vec::new();
        let mut count = 0;
        for _ in 0..runs {
            let t = Instant::now();
            count = store::count_due(&db, &s, now).await?;
            count_ms.push(ms_since(t));
            let t = Instant::now();
            store::due(&db, &s, now, 50).await?;
            page_ms.push(ms_since(t));
            let t = Instant::now();
            app.overdue_cases(
                &cli,
                &OverdueQuery {
                    place: Some(scope.to_string()),
                    limit: Some(50),
                },
            )
            .await?;
            app_ms.push(ms_since(t));
        }
        let t = Instant::now();
        std::hint::black_box(store::count_due_scanning(&db, &s, now).await?);
        let scan_ms = ms_since(t);
        let (c50, c95) = percentiles(count_ms);
        let (p50, p95) = percentiles(page_ms);
        let (u50, u95) = percentiles(app_ms);
        println!(
            "随访超时（{label} {scope}，{count} 人）：计数 p50 {c50:.2} ms，p95 {c95:.2} ms；首页 50 条 p50 {p50:.2} ms，p95 {p95:.2} ms；经用例（计数加首页）p50 {u50:.2} ms，p95 {u95:.2} ms；逐条扫描计数 {scan_ms:.1} ms"
        );
    }
    Ok(())
}
