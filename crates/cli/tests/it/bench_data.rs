//! The data the benchmarks write in bulk keep their rollups right: on a small scale, over
//! the Haixi demo (the stock on the divisions of Haixi alone), the figures read from each rollup equal those counted from the rows
//! (what the benchmarks time against each other, `dualtrack bench …`).

use chrono::{Duration, NaiveDate};
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_store::{checkpoints, mobilisation, monitoring, passage_days, resumption, supplies};
use dualtrack_testkit::{demo_db, empty_db, on_both_engines, Engine};

fn code(s: &str) -> Code {
    Code::parse(s).expect("code")
}

async fn rates_agree(
    db: &dualtrack_store::Db,
    filter: &resumption::Filter,
    probe: impl Fn(usize) -> NaiveDate,
    label: &str,
) {
    for k in 0..5 {
        let d = probe(k);
        let rolled = resumption::rates(db, filter, resumption::Grouping::County, d)
            .await
            .expect("rates");
        let scanned = resumption::rates_by_scanning(db, filter, resumption::Grouping::County, d)
            .await
            .expect("scanned");
        assert_eq!(rolled, scanned, "{label}: rollup and reports differ on {d}");
    }
}

async fn resumption_rates_agree_with_the_reports(engine: Engine) {
    let t = demo_db(engine).await;
    let db = &t.db;
    let days = 20;
    let ids = dualtrack_bench::resumption::populate(db, &code("6328"), 30, days)
        .await
        .expect("populated");
    let start = dualtrack_bench::resumption::first_day();
    let probe = |k: usize| start + Duration::days(((k * 53) % days) as i64);
    let haixi = resumption::Filter::new(&Scope::Under(code("6328")), None);
    rates_agree(db, &haixi, probe, "loaded").await;
    // Corrected reports keep the rollup current.
    let filed_at = (start + Duration::days(days as i64))
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc();
    for k in 0..10 {
        let (id, headcount) = ids[(k * 197) % ids.len()];
        let mut r = dualtrack_bench::resumption::report(k, id, probe(k), start, headcount);
        r.status = "shut_down".into();
        let mut tx = db.begin().await.expect("tx");
        resumption::file_report(&mut tx, &resumption::Filing::plain(&r, filed_at))
            .await
            .expect("filed");
        tx.commit().await.expect("commit");
    }
    rates_agree(db, &haixi, probe, "corrected").await;
}

async fn monitoring_figures_agree_with_the_cases(engine: Engine) {
    let t = demo_db(engine).await;
    let db = &t.db;
    dualtrack_bench::monitoring::populate(db, &code("6328"), 300, 4)
        .await
        .expect("populated");
    let (first, days, now) = dualtrack_bench::monitoring::period();
    let haixi = Scope::Under(code("6328"));
    let key = |v: &[monitoring::PlaceKindFigure]| {
        let mut v: Vec<(String, String, i64, i64, i64)> = v
            .iter()
            .filter(|f| f.under != 0 || f.started != 0 || f.released != 0)
            .map(|f| {
                (
                    f.place.clone(),
                    f.kind.clone(),
                    f.under,
                    f.started,
                    f.released,
                )
            })
            .collect();
        v.sort();
        v
    };
    for k in 0..8 {
        let d = first + Duration::days((k * 47 % days) as i64);
        let a = monitoring::figures_from_rollup(db, &haixi, 6, d)
            .await
            .expect("rollup");
        let b = monitoring::figures_from_cases(db, &haixi, 6, d)
            .await
            .expect("cases");
        assert_eq!(key(&a), key(&b), "rollup and cases differ on {d}");
    }
    for place in ["6328", "632801", "632801100"] {
        let s = Scope::Under(code(place));
        let count = monitoring::count_due(db, &s, now).await.expect("due");
        let scanned = monitoring::count_due_scanning(db, &s, now)
            .await
            .expect("scanned");
        assert_eq!(count, scanned, "overdue follow-ups in {place}");
    }
}

async fn on_duty_figures_agree_with_the_deployments(engine: Engine) {
    let t = demo_db(engine).await;
    let db = &t.db;
    dualtrack_bench::mobilisation::populate(
        db,
        &code("6328"),
        &dualtrack_bench::mobilisation::COUNTIES,
        200,
        600,
    )
    .await
    .expect("populated");
    let day0 = NaiveDate::from_ymd_opt(2020, 1, 20).expect("day");
    for place in ["6328", "632801"] {
        let scope = Scope::Under(code(place));
        for k in 0..8 {
            let d = day0 + Duration::days(k * 11);
            let a = mobilisation::count_on_duty(db, &scope, d)
                .await
                .expect("rollup");
            let b = mobilisation::count_on_duty_scanning(db, &scope, d)
                .await
                .expect("scanned");
            assert_eq!(a, b, "on duty in {place} on {d}");
        }
    }
}

async fn stock_figures_agree_with_the_movements(engine: Engine) {
    // The benchmark's catalogue is its own: on the divisions of Haixi without the demo.
    let t = empty_db(engine).await;
    let db = &t.db;
    t.app()
        .import_region(&dualtrack_service::Actor::cli(), Some("6328"), &|_, _| {})
        .await
        .expect("divisions");
    let p = dualtrack_bench::supplies::populate(db, 3_000)
        .await
        .expect("populated");
    let haixi = Scope::Under(code("63"));
    for k in 0..6u64 {
        let d = p.first + Duration::days((k * 61 % p.days) as i64);
        let a = supplies::balances_as_of(db, &haixi, d, None)
            .await
            .expect("rollup");
        let b = supplies::balances_from_movements(db, &haixi, d)
            .await
            .expect("movements");
        assert_eq!(a, b, "balances on {d}");
        let from = d - Duration::days(dualtrack_domain::supplies::USE_WINDOW_DAYS);
        let a = supplies::use_between(db, &haixi, from, d)
            .await
            .expect("cumulated");
        let b = supplies::use_from_movements(db, &haixi, from, d)
            .await
            .expect("summed");
        assert_eq!(a, b, "use from {from} to {d}");
    }
}

/// The passages the benchmark generates in SQL (SQLite only) are added to the per-day
/// checkpoint counts: a second batch at the same checkpoints adds to the days the first
/// wrote.
#[tokio::test]
async fn passage_counts_agree_with_the_passages() {
    let t = demo_db(Engine::Sqlite).await;
    let db = &t.db;
    let ids = dualtrack_bench::passages::populate(db, &code("6328"), 3_000)
        .await
        .expect("populated");
    let dualtrack_store::Db::Sqlite(pool) = db else {
        panic!("SQLite");
    };
    let first = ids.iter().copied().min().expect("checkpoints");
    dualtrack_store::bulk::generate_passages(pool, 3_001, 6_000, first, ids.len() as i64)
        .await
        .expect("second batch");
    let (from, to) = (
        NaiveDate::from_ymd_opt(2020, 1, 1).expect("day"),
        NaiveDate::from_ymd_opt(2021, 2, 1).expect("day"),
    );
    // Every passage of the data has happened by then.
    let after = chrono::DateTime::from_timestamp(4_102_444_800, 0).expect("2100-01-01");
    for place in ["63", "632801"] {
        let scope = Scope::Under(code(place));
        let rolled: Vec<_> = passage_days::by_day(db, &scope, from, to)
            .await
            .expect("rollup")
            .into_iter()
            .map(|d| (d.day, d.passages, d.persons, d.fevers, d.turned_back))
            .collect();
        let mut counted = std::collections::BTreeMap::new();
        for c in checkpoints::counts_by_day(db, &scope, None, from, to, after)
            .await
            .expect("counted")
        {
            let e = counted.entry(c.pass_date).or_insert((0, 0, 0, 0));
            e.0 += c.counts.passages;
            e.1 += c.counts.persons;
            e.2 += c.counts.fevers;
            e.3 += c.counts.turned_back;
        }
        let counted: Vec<_> = counted
            .into_iter()
            .map(|(d, (a, b, c, e))| (d, a, b, c, e))
            .collect();
        let total: i64 = rolled.iter().map(|r| r.1).sum();
        assert!(total >= 6_000 || place != "63", "63: both batches counted");
        assert_eq!(rolled, counted, "{place}: rollup and passages differ");
    }
}

on_both_engines!(
    resumption_rates_agree_with_the_reports,
    monitoring_figures_agree_with_the_cases,
    on_duty_figures_agree_with_the_deployments,
    stock_figures_agree_with_the_movements,
);
