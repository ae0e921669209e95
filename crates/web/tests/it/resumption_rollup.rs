//! The per-day rollup of the resumption rates agrees with computing them from the records,
//! on every day, for every grouping, before and after each kind of write that moves them;
//! and the daily series and the filters by place and industry read from it.

use crate::common;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::TestApp;
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::resumption::credit_check_char;
use dualtrack_store::resumption::{self as store, Filter, Grouping};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// Every day from late January to mid March (the demo reports 2020-02-01..2020-03-13, so the
/// ends fall outside the rollup and exercise the fallback too), for every grouping, for the
/// whole prefecture, one county and one industry section.
async fn assert_rollup_agrees(t: &TestApp, when: &str) {
    let db = &t.db.db;
    let haixi = Scope::Under(Code::parse("6328").expect("code"));
    let golmud = Scope::Under(Code::parse("632801").expect("code"));
    let filters = [
        Filter::new(&haixi, None),
        Filter::new(&golmud, None),
        Filter::new(&haixi, Some("C")),
    ];
    let mut d = day("2020-01-29");
    let mut compared = 0;
    while d <= day("2020-03-16") {
        for f in &filters {
            for g in [Grouping::County, Grouping::Township, Grouping::Section] {
                let rolled = store::rates(db, f, g, d).await.expect("rates");
                let scanned = store::rates_by_scanning(db, f, g, d).await.expect("scan");
                assert_eq!(rolled, scanned, "{when}: {d} {g:?} {f:?}");
                compared += 1;
            }
        }
        d = d.succ_opt().expect("day");
    }
    assert!(compared > 400);
}

async fn the_rollup_agrees_with_the_records_through_every_write(engine: Engine) {
    let t = TestApp::new(engine).await;
    let db = &t.db.db;
    let span = store::rollup_span(db).await.expect("span");
    assert_eq!(span, Some((day("2020-02-01"), day("2020-03-13"))));
    assert_rollup_agrees(&t, "demo").await;

    let op = t.token("golmud_operator").await;
    let liaison = t.token("liaison").await;
    let id = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code LIKE '632801%' AND above_size = TRUE")
        .await;
    // A report in the middle of the run, then a correction of it.
    for status in ["shut_down", "resumed"] {
        let r = t
            .report_daily(
                id,
                &liaison,
                json!({"report_date": "2020-02-20", "status": status, "confirm_implausible": true, "on_duty": 7, "output": 3}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_rollup_agrees(&t, "report and correction").await;

    // A report after the last day covered widens the run.
    let r = t
        .report_daily(
            id,
            &liaison,
            json!({"report_date": "2020-03-15", "status": "partly", "confirm_implausible": true, "on_duty": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let span = store::rollup_span(db).await.expect("span");
    assert_eq!(span, Some((day("2020-02-01"), day("2020-03-15"))));
    assert_rollup_agrees(&t, "a later day").await;

    // An exclusion over a range.
    let r = t
        .post(
            &format!("/api/v1/enterprises/{id}/exclusions"),
            &op,
            json!({"reason": "rectification", "from_on": "2020-02-24", "until_on": "2020-03-02", "note": "整改"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_rollup_agrees(&t, "exclusion").await;

    // A new enterprise above designated size counts from the first day covered.
    let first17 = "91632801MA7RXKHPY";
    let code = format!("{first17}{}", credit_check_char(first17).unwrap_or('0'));
    let r = t
        .post(
            "/api/v1/enterprises",
            &op,
            json!({"name": "格尔木汇总校验化工有限公司", "credit_code": code, "jurisdiction_code": "632801",
                   "industry_section": "C", "above_size": true, "normal_headcount": 40, "normal_output": 100,
                   "output_unit": "吨/日"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_rollup_agrees(&t, "new enterprise").await;
}

async fn the_series_and_filters_read_the_rollup(engine: Engine) {
    let (t, leader) = TestApp::as_user(engine, "haixi_leader").await;
    let r = t
        .get_ok(
            "/api/v1/resumption/series?from=2020-02-01&to=2020-02-29&by=county",
            &leader,
        )
        .await;
    let s = r.json();
    let days = s["total"]["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 29);
    let counties = s["counties"].as_array().cloned().unwrap_or_default();
    assert_eq!(counties.len(), 7);
    // Each day of the series is the rate as of that day.
    for probe in ["2020-02-05", "2020-02-27"] {
        let rates = t
            .get(&format!("/api/v1/resumption/rates?as_of={probe}"), &leader)
            .await
            .json();
        let point = days
            .iter()
            .find(|d| d["day"] == probe)
            .cloned()
            .unwrap_or_default();
        assert_eq!(point["resumption"], rates["total"]["resumption"], "{probe}");
        assert_eq!(point["capacity"], rates["total"]["capacity"], "{probe}");
        // The counties' series add up to the total.
        let sum: i64 = counties
            .iter()
            .filter_map(|c| {
                c["days"]
                    .as_array()
                    .and_then(|d| d.iter().find(|x| x["day"] == probe))
                    .and_then(|x| x["resumption"]["numerator"].as_i64())
            })
            .sum();
        assert_eq!(Some(sum), point["resumption"]["numerator"].as_i64());
    }

    // One place and one industry narrow the rates; the groups add up to the total.
    let all = t
        .get("/api/v1/resumption/rates?as_of=2020-02-27", &leader)
        .await
        .json();
    let industries = all["industries"].as_array().cloned().unwrap_or_default();
    assert!(industries.len() >= 3, "{industries:?}");
    let sum: i64 = industries
        .iter()
        .filter_map(|i| i["resumption"]["numerator"].as_i64())
        .sum();
    assert_eq!(Some(sum), all["total"]["resumption"]["numerator"].as_i64());
    let c = t
        .get(
            "/api/v1/resumption/rates?as_of=2020-02-27&industry=C",
            &leader,
        )
        .await
        .json();
    let in_c = industries
        .iter()
        .find(|i| i["code"] == "C")
        .cloned()
        .unwrap_or_default();
    assert_eq!(c["total"]["resumption"], in_c["resumption"]);
    let golmud = t
        .get(
            "/api/v1/resumption/rates?as_of=2020-02-27&place=632801",
            &leader,
        )
        .await
        .json();
    let in_golmud = all["counties"]
        .as_array()
        .and_then(|cs| cs.iter().find(|x| x["code"] == "632801"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(golmud["total"]["resumption"], in_golmud["resumption"]);
    let townships: i64 = golmud["townships"]
        .as_array()
        .map(|ts| ts.iter().filter_map(|x| x["registered"].as_i64()).sum())
        .unwrap_or(0);
    assert_eq!(Some(townships), golmud["total"]["registered"].as_i64());

    // Bad input names the field; a sibling's place is not reachable.
    let op = t.token("golmud_operator").await;
    for (path, field) in [
        (
            "/api/v1/resumption/series?from=2020-02-30&to=2020-03-01",
            "from",
        ),
        (
            "/api/v1/resumption/series?from=2020-03-01&to=2020-02-01",
            "to",
        ),
        (
            "/api/v1/resumption/series?from=2019-01-01&to=2020-03-01",
            "to",
        ),
        (
            "/api/v1/resumption/series?from=2020-02-01&to=2020-03-01&by=town",
            "by",
        ),
        (
            "/api/v1/resumption/rates?as_of=2020-02-27&industry=Z",
            "industry",
        ),
    ] {
        let r = t.get(path, &op).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
        assert!(r.text.contains(field), "{path}: {}", r.text);
    }
    for path in [
        "/api/v1/resumption/rates?as_of=2020-02-27&place=632802",
        "/api/v1/resumption/series?from=2020-02-01&to=2020-02-29&place=632802",
    ] {
        let r = t.get(path, &op).await;
        assert!(
            matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{path}: {} {}",
            r.status,
            r.text
        );
        assert!(!r.text.contains("德令哈"), "{}", r.text);
    }
    // A report for a day not yet over is refused, and nothing is written.
    let id = t.first_in("enterprises", "632801").await;
    let before = t.count("SELECT COUNT(*) FROM daily_reports").await;
    let r = t
        .report_daily(
            id,
            &t.token("liaison").await,
            json!({"report_date": "2999-01-01", "status": "resumed", "confirm_implausible": true, "on_duty": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("report_date"), "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM daily_reports").await, before);
}

on_both_engines!(
    the_rollup_agrees_with_the_records_through_every_write,
    the_series_and_filters_read_the_rollup,
);
