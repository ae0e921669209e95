//! On the demo's day (the evening of 2020-02-27) the lists of monitoring, enterprise and grid
//! reports and stock movements hold only what had happened by then, though the demo keeps
//! its records to 2020-03-13; with the clock after the story they hold the later days too.

use crate::common;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::Value;

fn after_the_story() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 14, 2, 0, 0)
        .single()
        .expect("valid")
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn instant(v: &Value) -> DateTime<Utc> {
    serde_json::from_value(v.clone()).expect("an instant")
}

fn day(v: &Value) -> NaiveDate {
    serde_json::from_value(v.clone()).expect("a day")
}

fn demo_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 2, 27).expect("valid")
}

async fn lists_stop_at_the_demo_evening(engine: Engine) {
    let t = TestApp::new(engine).await;
    let case = t
        .count(
            "SELECT MIN(case_id) FROM monitoring_followups WHERE followed_at > '2020-02-28' \
             AND case_id IN (SELECT case_id FROM monitoring_followups WHERE followed_at < '2020-02-27')",
        )
        .await;
    assert!(case > 0, "a case followed up before and after the demo day");
    let enterprise = t
        .count(
            "SELECT MIN(r.enterprise_id) FROM daily_reports r JOIN enterprises e ON e.id = r.enterprise_id \
             WHERE e.jurisdiction_code LIKE '632801%' AND r.report_date = '2020-03-01'",
        )
        .await;
    assert!(enterprise > 0, "a Golmud enterprise reporting in March");
    let store = t
        .count(
            "SELECT MIN(s.id) FROM supply_stores s WHERE s.jurisdiction_code LIKE '632801%' \
             AND EXISTS (SELECT 1 FROM stock_movements m WHERE (m.from_store_id = s.id OR m.to_store_id = s.id) \
             AND m.moved_on > '2020-02-27') \
             AND EXISTS (SELECT 1 FROM stock_movements m WHERE (m.from_store_id = s.id OR m.to_store_id = s.id) \
             AND m.moved_on <= '2020-02-27')",
        )
        .await;
    assert!(
        store > 0,
        "a Golmud store with movements before and after the demo day"
    );
    let grid = "632801001001001";
    t.app.open_on_demo_day();
    let evening = t.app.now();
    let leader = t.token("golmud_leader").await;
    let op = t.token("golmud_operator").await;
    let gw = t.token("grid_worker").await;
    let ok = |r: &common::Resp| assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Follow-ups of a case, and the case itself in the list.
    let path = format!("/api/v1/monitoring/cases/{case}/followups");
    let r = t.get(&path, &leader).await;
    ok(&r);
    let followups = list(&r.json());
    assert!(!followups.is_empty());
    for f in &followups {
        assert!(instant(&f["followed_at"]) <= evening, "{f}");
    }
    let detail = t
        .get(&format!("/api/v1/monitoring/cases/{case}"), &leader)
        .await
        .json();
    for f in list(&detail["followups"]) {
        assert!(instant(&f["followed_at"]) <= evening, "{f}");
    }
    let cases = t
        .get("/api/v1/monitoring/cases?limit=500", &leader)
        .await
        .json();
    for c in list(&cases) {
        assert!(day(&c["start_date"]) <= demo_day(), "{c}");
    }

    // An enterprise's reports: those filed by the evening (the day's own, filed before it),
    // none of a later day.
    let path = format!("/api/v1/enterprises/{enterprise}/reports");
    let r = t.get(&path, &leader).await;
    ok(&r);
    let reports = list(&r.json());
    assert!(!reports.is_empty());
    for rep in &reports {
        assert!(day(&rep["report_date"]) <= demo_day(), "{rep}");
    }
    // The day's own reports are in by its evening (but for the few filed late, the next
    // afternoon): of a few Golmud enterprises, some show that day's report.
    let mut of_the_day = 0;
    for k in 0..5 {
        let id = enterprise + k;
        let r = t
            .get(&format!("/api/v1/enterprises/{id}/reports"), &leader)
            .await;
        ok(&r);
        let reports = list(&r.json());
        assert!(reports
            .iter()
            .all(|rep| day(&rep["report_date"]) <= demo_day()));
        if reports
            .iter()
            .any(|rep| day(&rep["report_date"]) == demo_day())
        {
            of_the_day += 1;
        }
    }
    assert!(of_the_day >= 3, "{of_the_day} of 5 with the day's report");

    // A store's movements: none of a later day.
    let path = format!("/api/v1/supplies/stores/{store}/movements");
    let r = t.get(&path, &op).await;
    ok(&r);
    let movements = list(&r.json());
    assert!(!movements.is_empty());
    for m in &movements {
        assert!(day(&m["moved_on"]) <= demo_day(), "{m}");
    }

    // A grid's daily reports: those filed by the evening.
    let path = format!("/api/v1/grids/{grid}/reports");
    let r = t.get(&path, &gw).await;
    ok(&r);
    let grid_reports = list(&r.json());
    for g in &grid_reports {
        assert!(instant(&g["filed_at"]) <= evening, "{g}");
    }

    // After the story the same lists hold the later days.
    t.app.clock.set(Some(after_the_story()));
    let later = |v: Value, key: &str| list(&v).iter().any(|x| day(&x[key]) > demo_day());
    let f = t
        .get(
            &format!("/api/v1/monitoring/cases/{case}/followups"),
            &leader,
        )
        .await
        .json();
    assert!(list(&f)
        .iter()
        .any(|x| instant(&x["followed_at"]) > evening));
    let rep = t
        .get(
            &format!("/api/v1/enterprises/{enterprise}/reports"),
            &leader,
        )
        .await
        .json();
    assert!(later(rep, "report_date"));
    let m = t
        .get(&format!("/api/v1/supplies/stores/{store}/movements"), &op)
        .await
        .json();
    assert!(later(m, "moved_on"));
    let g = t
        .get(&format!("/api/v1/grids/{grid}/reports"), &gw)
        .await
        .json();
    assert!(list(&g).len() >= grid_reports.len());
}

/// People are shown by their names: who filed an enterprise's reports (the demo's own are
/// 演示数据), and who did what on the auditor's home.
async fn people_are_named_not_logged_in_on_reports_and_the_auditors_home(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let enterprise = t
        .count("SELECT MIN(id) FROM enterprises WHERE jurisdiction_code LIKE '632801%'")
        .await;
    let liaison = t.token("liaison").await;
    let r = t
        .post(
            &format!("/api/v1/enterprises/{enterprise}/reports"),
            &liaison,
            serde_json::json!({"report_date": "2020-02-27", "status": "shut_down", "on_duty": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let mut b = common::Browser::new(&t);
    b.login("golmud_leader").await;
    let page = b.get(&format!("/enterprises/{enterprise}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("格尔木市企业联络员"), "{}", page.text);
    assert!(page.text.contains("演示数据"), "{}", page.text);
    assert!(!page.text.contains(">liaison<"), "{}", page.text);
    assert!(!page.text.contains(">demo<"), "{}", page.text);

    let mut b = common::Browser::new(&t);
    b.login("auditor").await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text.contains("格尔木市领导"), "{}", home.text);
    for login in ["golmud_leader ·", "liaison ·", "auditor ·"] {
        assert!(!home.text.contains(login), "{login}: {}", home.text);
    }
}

on_both_engines!(
    lists_stop_at_the_demo_evening,
    people_are_named_not_logged_in_on_reports_and_the_auditors_home,
);
