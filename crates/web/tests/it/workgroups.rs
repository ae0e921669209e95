//! Work groups stationed in enterprises through the API: the report's 34 groups and 102
//! cadres counted from the stationings, visits and problems written with their audit rows,
//! bad input refused with nothing written, and 格尔木 kept out of 德令哈's records.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

/// Distinct cadres of the work groups stationed at an enterprise of `prefix` on `day`,
/// counted straight from the tables.
async fn cadres_by_sql(t: &TestApp, prefix: &str, day: &str) -> i64 {
    t.count(&format!(
        "SELECT COUNT(DISTINCT m.person_id) FROM org_members m WHERE m.joined_on <= '{day}' AND m.org_id IN \
         (SELECT a.org_id FROM work_group_assignments a WHERE a.jurisdiction_code LIKE '{prefix}%' \
          AND a.from_on <= '{day}' AND (a.until_on IS NULL OR a.until_on >= '{day}'))"
    ))
    .await
}

async fn the_report_figure_comes_out_of_the_records(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let r = t.get_ok("/api/v1/work-groups?as_of=2020-02-28", &tok).await;
    let v = r.json();
    // The field report: 102 cadres in 34 work groups stationed in enterprises.
    assert_eq!(v["groups_stationed"], 34);
    assert_eq!(v["cadres_stationed"], 102);
    assert_eq!(
        v["cadres_stationed"].as_i64(),
        Some(cadres_by_sql(&t, "6328", "2020-02-28").await)
    );
    let groups = v["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 34);
    let cadres: i64 = groups.iter().filter_map(|g| g["cadres"].as_i64()).sum();
    assert_eq!(cadres, 102);
    assert!(groups.iter().all(|g| g["enterprises"].as_i64() > Some(0)));
    let enterprises = t
        .count(
            "SELECT COUNT(DISTINCT enterprise_id) FROM work_group_assignments \
             WHERE from_on <= '2020-02-28' AND (until_on IS NULL OR until_on >= '2020-02-28')",
        )
        .await;
    assert_eq!(v["enterprises_stationed"].as_i64(), Some(enterprises));
    // Before the first group was set up, none.
    let early = t
        .get("/api/v1/work-groups?as_of=2020-02-01", &tok)
        .await
        .json();
    assert_eq!(early["groups_stationed"], 0);
    assert_eq!(early["cadres_stationed"], 0);
    // A county sees its own groups.
    let gm = t.token("golmud_leader").await;
    let g = t
        .get("/api/v1/work-groups?as_of=2020-02-28", &gm)
        .await
        .json();
    let own = t
        .count("SELECT COUNT(*) FROM organisations WHERE kind = 'work_group' AND jurisdiction_code LIKE '632801%'")
        .await;
    assert_eq!(g["groups_stationed"].as_i64(), Some(own));
    assert_eq!(
        g["cadres_stationed"].as_i64(),
        Some(cadres_by_sql(&t, "632801", "2020-02-28").await)
    );
    for group in g["groups"].as_array().expect("groups") {
        assert!(group["jurisdiction_code"]
            .as_str()
            .unwrap_or("")
            .starts_with("632801"));
    }
    // Problems by category add up to the list.
    let counts = t.get_ok("/api/v1/production-problems/counts", &tok).await;
    let c = counts.json();
    let all = t.count("SELECT COUNT(*) FROM production_problems").await;
    assert_eq!(c["total"].as_i64(), Some(all));
    assert!(c["open"].as_i64() > Some(0) && c["resolved"].as_i64() > Some(0));
    assert_eq!(c["by_category"].as_array().map(|a| a.len()), Some(7));
    let bad = t.get("/api/v1/work-groups?as_of=2020-02-30", &tok).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A 格尔木 stationing of the demo: (group, enterprise, its members).
async fn golmud_stationing(t: &TestApp) -> (i64, i64, Vec<i64>) {
    let assignment = t
        .count("SELECT MIN(id) FROM work_group_assignments WHERE jurisdiction_code LIKE '632801%' AND until_on IS NULL")
        .await;
    let org = t
        .count(&format!(
            "SELECT org_id FROM work_group_assignments WHERE id = {assignment}"
        ))
        .await;
    let enterprise = t
        .count(&format!(
            "SELECT enterprise_id FROM work_group_assignments WHERE id = {assignment}"
        ))
        .await;
    let mut members = Vec::new();
    for k in 0..3 {
        members.push(
            t.count(&format!(
                "SELECT person_id FROM org_members WHERE org_id = {org} ORDER BY person_id LIMIT 1 OFFSET {k}"
            ))
            .await,
        );
    }
    (org, enterprise, members)
}

async fn a_visit_and_its_problems_are_written_with_audit_rows(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (org, enterprise, members) = golmud_stationing(&t).await;
    let visits_before = t.audit_count("visit.record").await;
    let raised_before = t.audit_count("problem.raise").await;
    let r = t.record_visit(enterprise, &op, json!({"org_id": org, "visited_on": "2020-03-01", "visitor_ids": [members[0], members[2]],
                   "checks": ["防控机制", "staff", "设施物资"], "findings": "内部管理制度未上墙",
                   "problems": [{"category": "物流运输", "description": "产品外运车辆通行证未办下"}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let visit = r.json();
    let visit_id = visit["id"].as_i64().expect("id");
    assert_eq!(visit["visitors"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(
        visit["checks_passed"],
        json!(["mechanism", "staff", "facilities"])
    );
    assert_eq!(
        visit["checks_missing_names"],
        json!(["内部管理", "宣传教育"])
    );
    assert_eq!(t.audit_count("visit.record").await, visits_before + 1);
    assert_eq!(t.audit_count("problem.raise").await, raised_before + 1);
    let listed = t
        .get(&format!("/api/v1/enterprises/{enterprise}/visits"), &op)
        .await
        .json();
    assert!(listed
        .as_array()
        .expect("list")
        .iter()
        .any(|v| v["id"] == visit_id));
    assert_eq!(
        t.get(&format!("/api/v1/visits/{visit_id}"), &op)
            .await
            .json()["findings"],
        "内部管理制度未上墙"
    );
    // The problem raised with the visit.
    let problems = t
        .get(
            &format!("/api/v1/production-problems?enterprise_id={enterprise}&category=logistics&status=open"),
            &op,
        )
        .await
        .json();
    let p = problems
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["visit_id"] == visit_id)
        .cloned()
        .expect("the visit's problem is listed");
    assert_eq!(p["org_id"], org);
    assert_eq!(p["category_name"], "物流运输");
    assert_eq!(p["ticket_id"], Value::Null);
    let pid = p["id"].as_i64().expect("id");

    // The liaison raises one of the enterprise's own; resolving is for the county.
    let liaison = t.token("liaison").await;
    let r = t
        .post(
            "/api/v1/production-problems",
            &liaison,
            json!({"enterprise_id": enterprise, "category": "funds", "description": "流动资金紧张", "raised_on": "2020-03-02"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["org_id"], Value::Null);
    assert_eq!(r.json()["status"], "open");
    assert_eq!(t.audit_count("problem.raise").await, raised_before + 2);
    let resolve = json!({"resolution": "交通运输部门开通绿色通道", "resolved_on": "2020-03-04"});
    let r = t.resolve_problem(pid, &liaison, resolve.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = t.resolve_problem(pid, &op, resolve.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "resolved");
    assert_eq!(r.json()["resolved_by"], "golmud_operator");
    assert_eq!(t.audit_count("problem.resolve").await, 1);
    let again = t.resolve_problem(pid, &op, resolve).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(t.audit_count("problem.resolve").await, 1);

    // Stationing the group at another enterprise of 格尔木; the same period twice is refused.
    let other = t
        .count(&format!(
            "SELECT MIN(id) FROM enterprises WHERE jurisdiction_code LIKE '632801%' AND id NOT IN \
             (SELECT enterprise_id FROM work_group_assignments WHERE org_id = {org})"
        ))
        .await;
    let body = json!({"enterprise_id": other, "from_on": "2020-03-05", "note": "协助复产"});
    let r = t.assign_to_group(org, &op, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["enterprise_id"], other);
    assert_eq!(t.audit_count("work_group.assign").await, 1);
    let twice = t.assign_to_group(org, &op, body).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.text);
    let list = t
        .get(&format!("/api/v1/work-groups/{org}/assignments"), &op)
        .await
        .json();
    assert!(list
        .as_array()
        .expect("list")
        .iter()
        .any(|a| a["enterprise_id"] == other));
    // A leader reads but does not write.
    let leader = t.token("golmud_leader").await;
    let r = t.record_visit(enterprise, &leader, json!({"org_id": org, "visited_on": "2020-03-01", "visitor_ids": [members[0]], "findings": "正常"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Everything the feature writes, to prove a refusal wrote nothing.
async fn written(t: &TestApp) -> Vec<i64> {
    let mut v = Vec::new();
    for table in [
        "work_group_assignments",
        "enterprise_visits",
        "enterprise_visit_people",
        "production_problems",
    ] {
        v.push(t.count(&format!("SELECT COUNT(*) FROM {table}")).await);
    }
    v.push(
        t.count("SELECT COUNT(*) FROM production_problems WHERE status = 'resolved'")
            .await,
    );
    for action in [
        "work_group.assign",
        "visit.record",
        "problem.raise",
        "problem.resolve",
    ] {
        v.push(t.audit_count(action).await);
    }
    v
}

fn field_error(r: &common::Resp, status: StatusCode, field: &str, words: &str) {
    assert_eq!(r.status, status, "{field}: {}", r.text);
    let e = r.json()["error"].clone();
    let message = e["message"].as_str().unwrap_or("");
    assert!(message.contains(words), "{field}: {message}");
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        assert!(e["fields"][field].is_string(), "{field} named: {}", r.text);
    }
}

async fn bad_input_is_refused_with_the_field_named_and_nothing_written(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (org, enterprise, members) = golmud_stationing(&t).await;
    let delingha = t.first_in("enterprises", "632802").await;
    let before = written(&t).await;
    let visit = |over: Value| {
        let mut v = json!({"org_id": org, "visited_on": "2020-03-01", "visitor_ids": [members[0]],
                           "checks": ["防控机制"], "findings": "正常"});
        if let (Some(m), Some(o)) = (v.as_object_mut(), over.as_object()) {
            for (k, x) in o {
                m.insert(k.clone(), x.clone());
            }
        }
        v
    };
    let path = format!("/api/v1/enterprises/{enterprise}/visits");
    let cases = [
        (
            visit(json!({"visited_on": "2020-02-30"})),
            "visited_on",
            "日期格式",
        ),
        (
            visit(json!({"visited_on": "1 March"})),
            "visited_on",
            "日期格式",
        ),
        (visit(json!({"checks": ["消防"]})), "checks", "检查项“消防”"),
        (visit(json!({"findings": "  "})), "findings", "请填写"),
        (visit(json!({"visitor_ids": []})), "visitor_ids", "干部"),
        (
            visit(json!({"visitor_ids": [members[0] + 100000]})),
            "visitor_ids",
            "不是",
        ),
        (visit(json!({"visited_on": "2020-01-15"})), "org_id", "未驻"),
        (
            visit(json!({"problems": [{"category": "电力", "description": "停电"}]})),
            "problems",
            "难题类别“电力”无效",
        ),
        (
            visit(json!({"problems": [{"category": "funds", "description": ""}]})),
            "problems",
            "请填写难题描述",
        ),
    ];
    for (body, field, words) in cases {
        let r = t.post(&path, &op, body).await;
        field_error(&r, StatusCode::UNPROCESSABLE_ENTITY, field, words);
    }
    let problem = |over: Value| {
        let mut v = json!({"enterprise_id": enterprise, "category": "labour", "description": "缺工", "raised_on": "2020-03-01"});
        if let (Some(m), Some(o)) = (v.as_object_mut(), over.as_object()) {
            for (k, x) in o {
                m.insert(k.clone(), x.clone());
            }
        }
        v
    };
    for (body, field, words) in [
        (
            problem(json!({"category": "weather"})),
            "category",
            "难题类别“weather”无效",
        ),
        (
            problem(json!({"description": ""})),
            "description",
            "请填写难题描述",
        ),
        (
            problem(json!({"raised_on": "2020/03/01"})),
            "raised_on",
            "日期格式",
        ),
    ] {
        let r = t.post("/api/v1/production-problems", &op, body).await;
        field_error(&r, StatusCode::UNPROCESSABLE_ENTITY, field, words);
    }
    // A wrong type in the body is a 4xx too.
    let r = t
        .post(
            "/api/v1/production-problems",
            &op,
            problem(json!({"enterprise_id": "某企业"})),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.text);
    // An enterprise outside the caller's jurisdiction does not exist for it.
    let r = t
        .post(
            "/api/v1/production-problems",
            &op,
            problem(json!({"enterprise_id": delingha})),
        )
        .await;
    field_error(&r, StatusCode::NOT_FOUND, "", "未找到企业");
    let r = t.record_visit(delingha, &op, visit(json!({}))).await;
    field_error(&r, StatusCode::NOT_FOUND, "", "未找到企业");
    let r = t
        .assign_to_group(
            org,
            &op,
            json!({"enterprise_id": delingha, "from_on": "2020-03-01"}),
        )
        .await;
    field_error(&r, StatusCode::NOT_FOUND, "", "未找到企业");
    // A prefecture operator sees both counties, but a 格尔木 group is not sent to 德令哈.
    t.add_user("haixi_operator", "operator", "6328").await;
    let pref = t.token("haixi_operator").await;
    let r = t
        .assign_to_group(
            org,
            &pref,
            json!({"enterprise_id": delingha, "from_on": "2020-03-01"}),
        )
        .await;
    field_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "enterprise_id",
        "不在",
    );
    let r = t
        .assign_to_group(
            org,
            &pref,
            json!({"enterprise_id": enterprise, "from_on": "2020-03-09", "until_on": "2020-03-01"}),
        )
        .await;
    field_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "until_on", "早于");
    // Resolving needs a note and a day not before the problem.
    let open = t
        .count("SELECT MIN(id) FROM production_problems WHERE status = 'open' AND jurisdiction_code LIKE '632801%'")
        .await;
    for (body, field, words) in [
        (
            json!({"resolution": "", "resolved_on": "2020-03-10"}),
            "resolution",
            "请填写解决情况",
        ),
        (
            json!({"resolution": "已解决", "resolved_on": "2020-01-01"}),
            "resolved_on",
            "早于",
        ),
    ] {
        let r = t.resolve_problem(open, &op, body).await;
        field_error(&r, StatusCode::UNPROCESSABLE_ENTITY, field, words);
    }
    let r = t
        .get("/api/v1/production-problems?status=closed", &op)
        .await;
    field_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "status", "状态");
    assert_eq!(written(&t).await, before, "a refusal wrote something");
}

async fn golmud_cannot_reach_delingha_visits_or_problems(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let visit = t.first_in("enterprise_visits", "632802").await;
    let problem = t
        .count("SELECT MIN(id) FROM production_problems WHERE jurisdiction_code LIKE '632802%' AND status = 'open'")
        .await;
    let group = t
        .count("SELECT MIN(id) FROM organisations WHERE kind = 'work_group' AND jurisdiction_code LIKE '632802%'")
        .await;
    let enterprise = t
        .count("SELECT MIN(enterprise_id) FROM work_group_assignments WHERE jurisdiction_code LIKE '632802%'")
        .await;
    assert!(visit > 0 && problem > 0 && group > 0 && enterprise > 0);
    let before = written(&t).await;
    for path in [
        format!("/api/v1/visits/{visit}"),
        format!("/api/v1/production-problems/{problem}"),
        format!("/api/v1/enterprises/{enterprise}/visits"),
        format!("/api/v1/work-groups/{group}/assignments"),
        "/api/v1/production-problems?county=632802".to_string(),
        format!("/api/v1/production-problems?enterprise_id={enterprise}"),
        format!("/api/v1/production-problems/counts?org_id={group}"),
    ] {
        let r = t.get(&path, &op).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert!(!r.text.contains("德令哈"), "{path}: {}", r.text);
    }
    let r = t
        .resolve_problem(
            problem,
            &op,
            json!({"resolution": "越权办结", "resolved_on": "2020-03-10"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM production_problems WHERE id = {problem} AND status = 'open'"
        ))
        .await,
        1
    );
    // Lists hold 格尔木 alone.
    let list = t.get_ok("/api/v1/production-problems", &op).await;
    let rows = list.json();
    let rows = rows.as_array().expect("list");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|p| p["jurisdiction_code"]
        .as_str()
        .unwrap_or("")
        .starts_with("632801")));
    let counts = t
        .get("/api/v1/production-problems/counts", &op)
        .await
        .json();
    let own = t
        .count("SELECT COUNT(*) FROM production_problems WHERE jurisdiction_code LIKE '632801%'")
        .await;
    assert_eq!(counts["total"].as_i64(), Some(own));
    let groups = t.get("/api/v1/work-groups", &op).await;
    assert!(!groups.text.contains("632802"), "{}", groups.text);
    assert_eq!(written(&t).await, before);
    // The pages too.
    let mut b = t.browser("golmud_operator").await;
    for path in ["/work-groups", "/production-problems"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            !r.text.contains("632802") && !r.text.contains("德令哈"),
            "{path}"
        );
    }
    let r = b.get(&format!("/enterprises/{enterprise}/visit")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b
        .post(
            &format!("/production-problems/{problem}/resolve"),
            &[("resolution", "越权"), ("resolved_on", "2020-03-10")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(written(&t).await, before);
}

async fn the_visit_form_on_a_phone(engine: Engine) {
    let t = TestApp::new(engine).await;
    let (org, enterprise, members) = golmud_stationing(&t).await;
    let mut b = t.browser("golmud_operator").await;
    let page = b.page(&format!("/enterprises/{enterprise}/visit")).await;
    assert!(page.text.contains("防控机制") && page.text.contains("宣传教育"));
    assert!(page
        .text
        .contains(&format!("value=\"{org}:{}\"", members[0])));
    let before = t.audit_count("visit.record").await;
    let (org_s, m0, m1) = (
        org.to_string(),
        format!("{org}:{}", members[0]),
        format!("{org}:{}", members[1]),
    );
    b.submit(
        &format!("/enterprises/{enterprise}/visit"),
        &[
            ("org_id", org_s.as_str()),
            ("visited_on", "2020-03-03"),
            ("visitor", m0.as_str()),
            ("visitor", m1.as_str()),
            ("check", "mechanism"),
            ("check", "publicity"),
            ("findings", "员工排查台账不全"),
            ("problem_category", "supplies"),
            ("problem_description", "口罩只够两天"),
        ],
    )
    .await;
    assert_eq!(t.audit_count("visit.record").await, before + 1);
    let last = t.count("SELECT MAX(id) FROM enterprise_visits").await;
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM enterprise_visit_people WHERE visit_id = {last}"
        ))
        .await,
        2
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM production_problems WHERE visit_id = {last} AND category = 'supplies'"
        ))
        .await,
        1
    );
    // A bad date comes back on the form with the message, nothing written.
    let r = b
        .post(
            &format!("/enterprises/{enterprise}/visit"),
            &[
                ("org_id", org_s.as_str()),
                ("visited_on", "2020-02-31"),
                ("visitor", m0.as_str()),
                ("findings", "正常"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("日期格式"), "{}", r.text);
    assert_eq!(t.audit_count("visit.record").await, before + 1);
    // The lists.
    let groups = b.page("/work-groups?as_of=2020-02-28").await;
    assert!(groups.text.contains("驻企工作组"));
    let problems = b.page("/production-problems?category=supplies").await;
    assert!(problems.text.contains("口罩只够两天"));
    let rates = b.get("/resumption").await;
    assert!(
        rates.text.contains("href=\"/work-groups\"")
            && rates.text.contains("href=\"/production-problems\"")
    );
}

on_both_engines!(
    the_report_figure_comes_out_of_the_records,
    a_visit_and_its_problems_are_written_with_audit_rows,
    bad_input_is_refused_with_the_field_named_and_nothing_written,
    golmud_cannot_reach_delingha_visits_or_problems,
    the_visit_form_on_a_phone,
);
