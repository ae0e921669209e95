//! Quarantine and health monitoring through the API, on both engines: a case opened, followed
//! up twice and released, the figures as of each day following it (checked against counts
//! of the records); the planned end by rule and setting; a missed follow-up overdue at a set
//! time and cleared by the next; an abnormal follow-up referring and alerting each
//! responsible person; bad input refused naming the field with nothing written; masking and
//! audited unmasking; the grid worker kept to its grid and 格尔木 kept from 德令哈.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use dualtrack_web::{AppState, WebConfig};
use serde_json::{json, Value};

const GRID: &str = "632801001001001";
const OTHER_GRID: &str = "632801001001002";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// People of the registry in 格尔木, for the responsible.
async fn golmud_people(t: &TestApp, n: usize) -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            t.count(&format!(
                "SELECT id FROM people WHERE jurisdiction_code LIKE '632801%' ORDER BY id LIMIT 1 OFFSET {i}"
            ))
            .await,
        );
    }
    out
}

fn case_body(grid: &str, last_exposure: &str, start: &str, people: &[i64]) -> Value {
    let duties = [
        "cadre",
        "grid_worker",
        "doctor",
        "police",
        "volunteer",
        "volunteer",
    ];
    json!({
        "kind": "home",
        "name": "李海燕",
        "id_number": id_number("42010619850312004"),
        "phone": "13997001234",
        "jurisdiction_code": grid,
        "place": "格尔木市博爱巷 12 号院 3 单元",
        "reason": "自湖北省武汉市返回",
        "last_exposure": last_exposure,
        "start_date": start,
        "responsible": people.iter().zip(duties).map(|(p, d)| json!({"person_id": p, "duty": d})).collect::<Vec<_>>(),
    })
}

async fn open(t: &TestApp, tok: &str, body: Value) -> Value {
    let r = t.post("/api/v1/monitoring/cases", tok, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()
}

/// People under monitoring as of a day, counted straight from the cases.
async fn under_in_sql(t: &TestApp, prefix: &str, kind: &str, d: NaiveDate) -> i64 {
    t.count(&format!(
        "SELECT COUNT(*) FROM monitoring_cases WHERE jurisdiction_code LIKE '{prefix}%' AND kind = '{kind}' \
         AND start_date <= '{d}' AND (released_on IS NULL OR released_on > '{d}')"
    ))
    .await
}

async fn count_in_sql(t: &TestApp, prefix: &str, kind: &str, column: &str, d: NaiveDate) -> i64 {
    t.count(&format!(
        "SELECT COUNT(*) FROM monitoring_cases WHERE jurisdiction_code LIKE '{prefix}%' AND kind = '{kind}' \
         AND {column} = '{d}'"
    ))
    .await
}

/// The figure of one place and kind from the API.
fn figure(figures: &Value, place: &str, kind: &str, what: &str) -> i64 {
    figures["places"]
        .as_array()
        .expect("places")
        .iter()
        .find(|p| p["code"] == place)
        .and_then(|p| {
            p["kinds"]
                .as_array()?
                .iter()
                .find(|k| k["kind"] == kind)
                .and_then(|k| k[what].as_i64())
        })
        .unwrap_or(0)
}

/// Checks the API's figures as of each day of a period against counts of the cases, at
/// county level (the prefecture's leader) and township level (格尔木's leader).
async fn figures_follow(t: &TestApp, from: NaiveDate, to: NaiveDate) {
    let leader = t.token("haixi_leader").await;
    let county = t.token("golmud_leader").await;
    let mut d = from;
    while d <= to {
        let r = t
            .get_ok(&format!("/api/v1/monitoring/figures?as_of={d}"), &leader)
            .await;
        let f = r.json();
        assert_eq!(f["by"], "county");
        assert_eq!(
            figure(&f, "632801", "home", "under"),
            under_in_sql(t, "632801", "home", d).await,
            "under monitoring as of {d}"
        );
        assert_eq!(
            figure(&f, "632801", "home", "started"),
            count_in_sql(t, "632801", "home", "start_date", d).await,
            "started {d}"
        );
        assert_eq!(
            figure(&f, "632801", "home", "released"),
            count_in_sql(t, "632801", "home", "released_on", d).await,
            "released {d}"
        );
        let r = t
            .get(&format!("/api/v1/monitoring/figures?as_of={d}"), &county)
            .await;
        let f = r.json();
        assert_eq!(f["by"], "township");
        assert_eq!(
            figure(&f, "632801001", "home", "under"),
            under_in_sql(t, "632801001", "home", d).await,
            "township under monitoring as of {d}"
        );
        d += Duration::days(1);
    }
}

async fn a_case_is_followed_up_and_released(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let op = t.token("golmud_operator").await;
    let people = golmud_people(&t, 3).await;
    let c = open(
        &t,
        &op,
        case_body(GRID, "2020-02-08", "2020-02-09", &people),
    )
    .await;
    let id = c["id"].as_i64().expect("id");
    assert_eq!(c["planned_end"], "2020-02-22", "last exposure + 14 days");
    assert_eq!(c["status"], "active");
    assert_eq!(c["next_due_at"], "2020-02-10T12:00:00Z");
    assert_eq!(t.audit_count("monitoring.create").await, 1);
    figures_follow(&t, date("2020-02-07"), date("2020-02-11")).await;

    // Two follow-ups, morning and evening: each moves the next due time on.
    for (now, temp) in [
        ("2020-02-10T00:30:00Z", 36.4),
        ("2020-02-10T10:00:00Z", 36.8),
    ] {
        t.app.clock.set(Some(utc(now)));
        let r = t
            .follow_up(id, &op, json!({"temperature": temp, "symptoms": ["none"]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let v = r.json();
        assert_eq!(v["alerts"], 0);
        assert_eq!(v["case"]["status"], "active");
        let due = utc(now) + Duration::hours(12);
        assert_eq!(
            utc(v["case"]["next_due_at"].as_str().expect("due")),
            due,
            "next due 12 hours after {now}"
        );
    }
    let r = t
        .get(&format!("/api/v1/monitoring/cases/{id}/followups"), &op)
        .await;
    assert_eq!(r.json().as_array().expect("list").len(), 2);
    assert_eq!(t.audit_count("monitoring.followup").await, 2);

    // Release before the planned end needs a reason.
    t.app.clock.set(Some(utc("2020-02-23T02:00:00Z")));
    let r = t
        .release_case(id, &op, json!({"released_on": "2020-02-20"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.json()["error"]["fields"]["reason"].is_string(),
        "{}",
        r.text
    );
    let r = t
        .release_case(id, &op, json!({"released_on": "2020-02-22"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["status"], "released");
    assert_eq!(v["released_on"], "2020-02-22");
    assert_eq!(v["released_by"], "golmud_operator");
    assert_eq!(t.audit_count("monitoring.release").await, 1);
    let r = t
        .release_case(id, &op, json!({"released_on": "2020-02-22"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    figures_follow(&t, date("2020-02-20"), date("2020-02-24")).await;

    // An early release by a doctor's decision, with its reason in the audit log.
    let c2 = open(
        &t,
        &op,
        case_body(GRID, "2020-02-20", "2020-02-21", &people),
    )
    .await;
    let id2 = c2["id"].as_i64().expect("id");
    let r = t
        .release_case(
            id2,
            &op,
            json!({"released_on": "2020-02-23", "reason": "经医生评估，核酸检测阴性，提前解除"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'monitoring.release' AND target_id = '{id2}' AND detail LIKE '%提前解除%'"
        ))
        .await,
        1
    );
}

async fn the_planned_end_follows_the_setting(engine: Engine) {
    let mut t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let app = t.app.clone().with_monitoring_days(21);
    t.router = dualtrack_web::router(AppState::new(app, WebConfig::default()));
    let op = t.token("golmud_operator").await;
    let c = open(&t, &op, case_body(GRID, "2020-02-08", "2020-02-09", &[])).await;
    assert_eq!(c["planned_end"], "2020-02-29", "last exposure + 21 days");
}

async fn a_missed_follow_up_is_overdue_until_the_next(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let gw = t.token("grid_worker").await;
    let c = open(&t, &gw, case_body(GRID, "2020-02-08", "2020-02-10", &[])).await;
    let id = c["id"].as_i64().expect("id");
    let overdue_ids = |v: &Value| -> Vec<i64> {
        v["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect()
    };
    let count_sql = |at: &str| {
        format!(
            "SELECT COUNT(*) FROM monitoring_cases WHERE status = 'active' AND jurisdiction_code LIKE '{GRID}%' \
             AND next_due_at < '{at}'"
        )
    };

    t.app.clock.set(Some(utc("2020-02-10T11:59:00Z")));
    let v = t.get("/api/v1/monitoring/overdue", &gw).await.json();
    assert!(!overdue_ids(&v).contains(&id), "not yet due");

    t.app.clock.set(Some(utc("2020-02-10T12:01:00Z")));
    let v = t.get("/api/v1/monitoring/overdue", &gw).await.json();
    assert!(overdue_ids(&v).contains(&id), "overdue after 12 hours: {v}");
    assert_eq!(
        v["count"].as_i64(),
        Some(t.count(&count_sql("2020-02-10T12:01:00+00:00")).await)
    );
    let r = t
        .get(&format!("/api/v1/monitoring/cases/{id}"), &gw)
        .await
        .json();
    assert_eq!(r["case"]["overdue"], true);
    assert_eq!(r["case"]["overdue_minutes"], 1);
    let list = t
        .get("/api/v1/monitoring/cases?overdue=true", &gw)
        .await
        .json();
    assert!(list.as_array().expect("list").iter().any(|c| c["id"] == id));

    let r = t.follow_up(id, &gw, json!({"temperature": 36.5})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = t.get("/api/v1/monitoring/overdue", &gw).await.json();
    assert!(!overdue_ids(&v).contains(&id), "cleared by the follow-up");
    assert_eq!(
        v["count"].as_i64(),
        Some(t.count(&count_sql("2020-02-10T12:01:00+00:00")).await)
    );
}

async fn an_abnormal_follow_up_refers_and_alerts(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let op = t.token("golmud_operator").await;
    let people = golmud_people(&t, 4).await;
    let c = open(
        &t,
        &op,
        case_body(GRID, "2020-02-08", "2020-02-09", &people),
    )
    .await;
    let id = c["id"].as_i64().expect("id");
    let r = t.follow_up(id, &op, json!({"temperature": 37.6, "symptoms": ["咳嗽"], "clinic": "格尔木市人民医院发热门诊"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    assert_eq!(v["followup"]["abnormal"], true);
    assert_eq!(v["case"]["status"], "referred");
    assert_eq!(v["case"]["referral_clinic"], "格尔木市人民医院发热门诊");
    assert_eq!(v["alerts"].as_u64(), Some(people.len() as u64));
    let alerts = t
        .get(&format!("/api/v1/monitoring/cases/{id}/alerts"), &op)
        .await
        .json();
    let mut alerted: Vec<i64> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["person_id"].as_i64())
        .collect();
    alerted.sort_unstable();
    let mut expected = people.clone();
    expected.sort_unstable();
    assert_eq!(alerted, expected, "one alert per responsible person");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM monitoring_alerts WHERE case_id = {id} AND read_at IS NULL"
        ))
        .await,
        people.len() as i64
    );
    let detail = t
        .get(&format!("/api/v1/monitoring/cases/{id}"), &op)
        .await
        .json();
    assert_eq!(
        detail["alerts"].as_array().map(Vec::len),
        Some(people.len())
    );
    assert_eq!(
        detail["responsible"].as_array().map(Vec::len),
        Some(people.len())
    );
    // A referred case is no longer on the overdue list.
    t.app.clock.set(Some(utc("2020-02-12T00:00:00Z")));
    let v = t.get("/api/v1/monitoring/overdue", &op).await.json();
    assert!(!v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .any(|c| c["id"] == id));
}

async fn written(t: &TestApp) -> [i64; 5] {
    [
        t.count("SELECT COUNT(*) FROM monitoring_cases").await,
        t.count("SELECT COUNT(*) FROM monitoring_followups").await,
        t.count("SELECT CAST(COALESCE(SUM(started + released), 0) AS BIGINT) FROM monitoring_days")
            .await,
        t.count("SELECT COUNT(*) FROM monitoring_alerts").await,
        t.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'monitoring.%'")
            .await,
    ]
}

async fn bad_input_writes_nothing(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let op = t.token("golmud_operator").await;
    let people = golmud_people(&t, 6).await;
    let c = open(
        &t,
        &op,
        case_body(GRID, "2020-02-08", "2020-02-09", &people[..2]),
    )
    .await;
    let id = c["id"].as_i64().expect("id");
    let before = written(&t).await;

    let mut bad_id = case_body(GRID, "2020-02-08", "2020-02-09", &[]);
    bad_id["id_number"] = json!("420106198503120041");
    let mut bad_kind = case_body(GRID, "2020-02-08", "2020-02-09", &[]);
    bad_kind["kind"] = json!("隔壁");
    let tries = [
        (
            format!("/api/v1/monitoring/cases/{id}/followups"),
            json!({"temperature": 50}),
            "temperature",
        ),
        (
            format!("/api/v1/monitoring/cases/{id}/followups"),
            json!({"temperature": 36.5, "symptoms": ["头疼"]}),
            "symptoms",
        ),
        ("/api/v1/monitoring/cases".into(), bad_id, "id_number"),
        ("/api/v1/monitoring/cases".into(), bad_kind, "kind"),
        (
            "/api/v1/monitoring/cases".into(),
            case_body(GRID, "2020-02-08", "2020-02-09", &people),
            "responsible",
        ),
        (
            "/api/v1/monitoring/cases".into(),
            case_body(GRID, "2020-02-12", "2020-02-09", &[]),
            "last_exposure",
        ),
        (
            "/api/v1/monitoring/cases".into(),
            case_body("632801001", "2020-02-08", "2020-02-09", &[]),
            "jurisdiction_code",
        ),
        (
            format!("/api/v1/monitoring/cases/{id}/release"),
            json!({"released_on": "2020-02-01", "reason": "医生决定"}),
            "released_on",
        ),
    ];
    for (path, body, field) in tries {
        let r = t.post(&path, &op, body).await;
        assert!(r.status.is_client_error(), "{path} {field}: {}", r.text);
        let e = r.json();
        let msg = e["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(
            !msg.is_empty() && msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{field}: {}",
            r.text
        );
    }
    assert_eq!(written(&t).await, before, "nothing written");
}

async fn masked_and_unmasked_with_audit(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let op = t.token("golmud_operator").await;
    let c = open(&t, &op, case_body(GRID, "2020-02-08", "2020-02-09", &[])).await;
    let id = c["id"].as_i64().expect("id");
    let full = id_number("42010619850312004");
    let list = t.get_ok("/api/v1/monitoring/cases?kind=home", &op).await;
    assert!(!list.text.contains(&full) && !list.text.contains("13997001234"));
    let mine = list
        .json()
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .expect("listed");
    assert!(mine["id_number"].as_str().expect("id").contains('*'));
    let detail = t.get(&format!("/api/v1/monitoring/cases/{id}"), &op).await;
    assert!(!detail.text.contains(&full));

    let before = t.audit_count("personal.unmask").await;
    let r = t
        .post(
            &format!("/api/v1/monitoring/cases/{id}/unmask"),
            &op,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["id_number"], full.as_str());
    assert_eq!(r.json()["phone"], "13997001234");
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
    let gw = t.token("grid_worker").await;
    let r = t
        .post(
            &format!("/api/v1/monitoring/cases/{id}/unmask"),
            &gw,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
}

async fn the_grid_worker_sees_only_its_grid(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let op = t.token("golmud_operator").await;
    let mine = open(&t, &op, case_body(GRID, "2020-02-08", "2020-02-09", &[])).await["id"]
        .as_i64()
        .expect("id");
    let other = open(
        &t,
        &op,
        case_body(OTHER_GRID, "2020-02-08", "2020-02-09", &[]),
    )
    .await["id"]
        .as_i64()
        .expect("id");
    let gw = t.token("grid_worker").await;
    let list = t
        .get("/api/v1/monitoring/cases?limit=500", &gw)
        .await
        .json();
    let list = list.as_array().expect("list");
    assert!(list.iter().any(|c| c["id"] == mine));
    assert!(list.iter().all(|c| c["jurisdiction_code"]
        .as_str()
        .unwrap_or("")
        .starts_with(GRID)));
    t.each_answers(
        &[
            format!("/api/v1/monitoring/cases/{other}"),
            format!("/api/v1/monitoring/cases/{other}/followups"),
            format!("/api/v1/monitoring/cases/{other}/alerts"),
        ],
        &gw,
        StatusCode::NOT_FOUND,
    )
    .await;
    let r = t.follow_up(other, &gw, json!({"temperature": 36.5})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .post(
            "/api/v1/monitoring/cases",
            &gw,
            case_body(OTHER_GRID, "2020-02-08", "2020-02-09", &[]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let v = t.get("/api/v1/monitoring/overdue", &gw).await.json();
    assert!(common::all_within(&v["cases"], GRID));
}

async fn golmud_gets_nothing_of_delingha(engine: Engine) {
    let t = TestApp::new(engine).await;
    let victim = t.first_in("monitoring_cases", "632802").await;
    assert!(victim > 0, "德令哈 cases in the demo");
    let op = t.token("golmud_operator").await;
    let list = t
        .get("/api/v1/monitoring/cases?limit=500", &op)
        .await
        .json();
    assert!(common::all_within(&list, "632801"));
    t.each_answers(
        &[
            format!("/api/v1/monitoring/cases/{victim}"),
            format!("/api/v1/monitoring/cases/{victim}/followups"),
            format!("/api/v1/monitoring/cases/{victim}/alerts"),
            "/api/v1/monitoring/cases?place=632802".to_string(),
            "/api/v1/monitoring/figures?place=632802".to_string(),
            "/api/v1/monitoring/overdue?place=632802".to_string(),
        ],
        &op,
        StatusCode::NOT_FOUND,
    )
    .await;
    let before = t
        .count(&format!(
            "SELECT COUNT(*) FROM monitoring_followups WHERE case_id = {victim}"
        ))
        .await;
    for (path, body) in [
        (
            format!("/api/v1/monitoring/cases/{victim}/followups"),
            json!({"temperature": 36.5}),
        ),
        (
            format!("/api/v1/monitoring/cases/{victim}/release"),
            json!({"reason": "x"}),
        ),
        (
            format!("/api/v1/monitoring/cases/{victim}/unmask"),
            json!({}),
        ),
    ] {
        let r = t.post(&path, &op, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM monitoring_followups WHERE case_id = {victim}"
        ))
        .await,
        before
    );
    let figures = t.get("/api/v1/monitoring/figures", &op).await.json();
    assert!(!figures.to_string().contains("632802"));
}

/// 我的随访 is the day's work: a case whose next follow-up falls later today is on it, hours
/// ahead; one due tomorrow is not yet.
async fn the_work_list_is_everything_due_today(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let op = t.token("golmud_operator").await;
    let case = open(&t, &op, case_body(GRID, "2020-02-08", "2020-02-09", &[])).await;
    let id = case["id"].as_i64().expect("id");
    let due: DateTime<Utc> = case["next_due_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("next_due_at");
    let cst = dualtrack_domain::time::cst();
    let due_day = due.with_timezone(&cst).date_naive();
    let start_of_due_day = due_day
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(cst).single())
        .expect("midnight")
        .with_timezone(&Utc);
    let mut b = t.browser("grid_worker").await;
    let listed = |html: &str| {
        ["#", "\"", "?"]
            .iter()
            .any(|end| html.contains(&format!("/monitoring/cases/{id}{end}")))
    };
    // The evening before the day it is due: not on the list.
    t.app.clock.set(Some(start_of_due_day - Duration::hours(1)));
    let r = b.page("/monitoring/due").await;
    assert!(!listed(&r.text), "{}", r.text);
    // Early on the day it is due, more than two hours ahead: on the list.
    let early = (start_of_due_day + Duration::minutes(1)).min(due - Duration::hours(3));
    assert_eq!(
        early.with_timezone(&cst).date_naive(),
        due_day,
        "due at {due}"
    );
    t.app.clock.set(Some(early));
    let r = b.get("/monitoring/due").await;
    assert!(listed(&r.text), "{}", r.text);
}

async fn the_pages_on_a_phone(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(utc("2020-02-10T00:00:00Z")));
    let op = t.token("golmud_operator").await;
    let id = open(&t, &op, case_body(GRID, "2020-02-08", "2020-02-09", &[])).await["id"]
        .as_i64()
        .expect("id");
    t.app.clock.set(Some(utc("2020-02-10T13:00:00Z")));
    let mut b = t.browser("grid_worker").await;
    let r = b.page("/monitoring/due").await;
    assert!(r.text.contains("我的随访") && r.text.contains(&format!("/monitoring/cases/{id}")));
    let r = b.page(&format!("/monitoring/cases/{id}")).await;
    assert!(r.text.contains("李海燕") && !r.text.contains(&id_number("42010619850312004")));
    b.submit(
        &format!("/monitoring/cases/{id}/followups"),
        &[("temperature", "36.6"), ("symptoms", "none"), ("note", "")],
    )
    .await;
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM monitoring_followups WHERE case_id = {id}"
        ))
        .await,
        1
    );
    let r = b
        .post(
            &format!("/monitoring/cases/{id}/followups"),
            &[("temperature", "50")],
            true,
        )
        .await;
    assert!(r.text.contains("体温"), "{}", r.text);
    let mut l = t.browser("haixi_leader").await;
    let r = l.page("/monitoring?as_of=2020-02-10").await;
    assert!(r.text.contains("data-kind=\"bar\"") && r.text.contains("格尔木市"));
}

on_both_engines!(
    a_case_is_followed_up_and_released,
    the_planned_end_follows_the_setting,
    a_missed_follow_up_is_overdue_until_the_next,
    an_abnormal_follow_up_refers_and_alerts,
    bad_input_writes_nothing,
    masked_and_unmasked_with_audit,
    the_grid_worker_sees_only_its_grid,
    golmud_gets_nothing_of_delingha,
    the_pages_on_a_phone,
    the_work_list_is_everything_due_today,
);
