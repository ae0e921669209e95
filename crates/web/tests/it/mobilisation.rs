//! Mobilisation through the API: the demo's figures come out of its records, people are
//! registered once and masked, deployments and applications move the counts.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn org_totals(figures: &Value) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for o in figures["organisations"].as_array().expect("organisations") {
        *m.entry(o["kind"].as_str().unwrap_or("").to_string())
            .or_insert(0) += o["count"].as_i64().unwrap_or(0);
    }
    m
}

async fn the_report_figures_come_out_of_the_records(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let f = t
        .get("/api/v1/mobilisation/figures?as_of=2020-02-28", &tok)
        .await
        .json();
    let orgs = org_totals(&f);
    assert_eq!(orgs.get("temp_branch"), Some(&28));
    assert_eq!(orgs.get("commando"), Some(&132));
    assert_eq!(orgs.get("volunteer"), Some(&336));
    assert_eq!(orgs.get("work_group"), Some(&34));
    assert_eq!(f["returned_early"], 467);
    assert_eq!(f["applications"], 222);
    assert!(f["registrations"].as_i64().unwrap_or(0) >= 4000, "{f}");
    let groups = t
        .get(
            "/api/v1/organisations?kind=work_group&as_of=2020-02-28",
            &tok,
        )
        .await
        .json();
    let cadres: i64 = groups
        .as_array()
        .expect("list")
        .iter()
        .map(|g| g["member_count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(cadres, 102);
    // The figures follow the date: fewer earlier, more later.
    let early = t
        .get("/api/v1/mobilisation/figures?as_of=2020-02-10", &tok)
        .await
        .json();
    assert!(org_totals(&early)["temp_branch"] < 28);
    assert!(early["registrations"].as_i64() < f["registrations"].as_i64());
    let later = t
        .get("/api/v1/mobilisation/figures?as_of=2020-03-13", &tok)
        .await
        .json();
    assert!(org_totals(&later)["temp_branch"] > 28);
    // And the place: 格尔木 has part of them, and its parts add up to the prefecture.
    let gm = t.token("golmud_leader").await;
    let g = t
        .get("/api/v1/mobilisation/figures?as_of=2020-02-28", &gm)
        .await
        .json();
    assert!(g["registrations"].as_i64() < f["registrations"].as_i64());
    let by_county: i64 = f["organisations"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|o| o["county_code"] == "632801")
        .map(|o| o["count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(org_totals(&g).values().sum::<i64>(), by_county);
    let r = t
        .get("/api/v1/mobilisation/figures?as_of=2020-02-30", &tok)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn people_are_registered_once_and_masked(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let id = id_number("63280119880214003");
    let body = json!({"name": "马海燕", "id_number": id, "phone": "13897001234", "political_status": "party_member",
        "categories": ["medical"], "jurisdiction_code": "632801001001", "employer": "格尔木市人民医院"});
    let r = t.post("/api/v1/people", &op, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let p = r.json()["person"].clone();
    assert_eq!(p["sex"], "male");
    assert_eq!(p["birth_date"], "1988-02-14");
    assert_eq!(p["id_number"], format!("632801********{}", &id[14..]));
    assert_eq!(p["phone"], "138****1234");
    assert!(!r.text.contains(&id) && !r.text.contains("13897001234"));
    // The same number again finds the person; categories add up.
    let mut again = body.clone();
    again["categories"] = json!(["in_service_member"]);
    let r = t.post("/api/v1/people", &op, again).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["created"], false);
    assert_eq!(r.json()["person"]["id"], p["id"]);
    assert_eq!(
        r.json()["person"]["categories"],
        json!(["medical", "in_service_member"])
    );
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM people WHERE id_number = '{id}'"
        ))
        .await,
        1
    );
    // Bad numbers are named and explained.
    let mut bad = body.clone();
    bad["id_number"] = json!(
        format!("{}0", &id[..17]).replace(&id[17..], if &id[17..] == "0" { "1" } else { "0" })
    );
    let r = t.post("/api/v1/people", &op, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field_error("id_number").contains("校验位"), "{}", r.text);
    let mut short = body.clone();
    short["id_number"] = json!("6328011988");
    let r = t.post("/api/v1/people", &op, short).await;
    assert!(r.field_error("id_number").contains("18 位"));
    // Lists are masked too; unmasking is audited.
    let list = t.get("/api/v1/people?name=马海燕", &op).await;
    assert!(list.text.contains("********") && !list.text.contains(&id));
    let before = t.audit_count("personal.unmask").await;
    let pid = p["id"].as_i64().expect("id");
    let r = t.unmask_person(pid, &op, json!({})).await;
    assert_eq!(r.json()["id_number"], id.as_str());
    assert_eq!(r.json()["phone"], "13897001234");
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
    // A leader reads, but may not unmask.
    let leader = t.token("golmud_leader").await;
    assert_eq!(
        t.unmask_person(pid, &leader, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(&format!("/api/v1/people/{pid}"), &leader)
            .await
            .status,
        StatusCode::OK
    );
}

async fn deployments_and_applications_move_the_counts(engine: Engine) {
    let (t, org) = TestApp::as_user(engine, "haixi_org").await;
    let id = id_number("63280219900101002");
    let r = t
        .post(
            "/api/v1/people",
            &org,
            json!({"name": "祁雪莲", "id_number": id, "political_status": "party_member",
            "categories": ["medical"], "jurisdiction_code": "632802"}),
        )
        .await;
    let pid = r.json()["person"]["id"].as_i64().expect("id");
    let day = "2020-02-28";
    let before = t
        .get(&format!("/api/v1/mobilisation/figures?as_of={day}"), &org)
        .await
        .json();
    let r = t
        .post("/api/v1/deployments", &org, json!({"person_id": pid, "jurisdiction_code": "632802", "site_kind": "checkpoint",
            "site_name": "G315 德令哈东卡口", "role": "卡口值守", "start_on": "2020-02-20", "end_on": "2020-03-05"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let after = t
        .get(&format!("/api/v1/mobilisation/figures?as_of={day}"), &org)
        .await
        .json();
    assert_eq!(
        after["on_duty"].as_i64(),
        before["on_duty"].as_i64().map(|n| n + 1)
    );
    let on_duty = t
        .get(
            &format!("/api/v1/deployments?on_day={day}&person_id={pid}"),
            &org,
        )
        .await
        .json();
    assert_eq!(on_duty.as_array().map(|a| a.len()), Some(1));
    let off = t
        .get(
            &format!("/api/v1/deployments?on_day=2020-03-06&person_id={pid}"),
            &org,
        )
        .await
        .json();
    assert_eq!(off.as_array().map(|a| a.len()), Some(0));
    // Bad deployments.
    let r = t.post("/api/v1/deployments", &org, json!({"person_id": pid, "jurisdiction_code": "632802", "role": "x", "start_on": "2020-02-20", "end_on": "2020-02-01"})).await;
    assert!(r.json()["error"]["fields"]["end_on"].is_string());
    // An application, approved, becomes a deployment; a second decision is refused.
    let r = t.post("/api/v1/applications", &org, json!({"person_id": pid, "jurisdiction_code": "632802", "submitted_on": "2020-02-21", "wish": "请求到隔离点工作"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let app = r.json()["id"].as_i64().expect("id");
    let r = t
        .decide_application(
            app,
            &org,
            json!({"approve": true, "decided_on": "2020-02-22"}),
        )
        .await;
    assert!(
        r.json()["error"]["fields"]["deployment"].is_string(),
        "approving needs a deployment"
    );
    let r = t.decide_application(app, &org, json!({"approve": true, "decided_on": "2020-02-22",
            "deployment": {"person_id": pid, "jurisdiction_code": "632802", "site_kind": "hospital", "site_name": "海西州人民医院", "role": "一线医疗保障", "start_on": "2020-02-23"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "approved");
    assert!(r.json()["deployment_id"].is_i64());
    let r = t
        .decide_application(
            app,
            &org,
            json!({"approve": false, "decided_on": "2020-02-23"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let later = t
        .get(&format!("/api/v1/mobilisation/figures?as_of={day}"), &org)
        .await
        .json();
    assert_eq!(
        later["applications"].as_i64(),
        before["applications"].as_i64().map(|n| n + 1)
    );
    // Return to post: early when before the expected date; once per post.
    let ret = json!({"person_id": pid, "jurisdiction_code": "632802", "post": "第一书记", "returned_on": "2020-02-01", "expected_on": "2020-02-03"});
    assert_eq!(
        t.post("/api/v1/returns", &org, ret.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        t.post("/api/v1/returns", &org, ret).await.status,
        StatusCode::CONFLICT
    );
    let f = t
        .get(&format!("/api/v1/mobilisation/figures?as_of={day}"), &org)
        .await
        .json();
    assert_eq!(
        f["returned_early"].as_i64(),
        before["returned_early"].as_i64().map(|n| n + 1)
    );
    // Community registration: a village, and a grid of that village only.
    let reg = |grid: &str| json!({"person_id": pid, "community_code": "632801001001", "registered_on": "2020-02-12", "grid_code": grid});
    let r = t
        .post("/api/v1/registrations", &org, reg("632801001002001"))
        .await;
    assert!(
        r.json()["error"]["fields"]["grid_code"].is_string(),
        "{}",
        r.text
    );
    assert_eq!(
        t.post("/api/v1/registrations", &org, reg("632801001001001"))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        t.post("/api/v1/registrations", &org, reg("632801001001001"))
            .await
            .status,
        StatusCode::CONFLICT
    );
    // Service logged under the registration adds up.
    let reg = t
        .count(&format!(
            "SELECT MAX(id) FROM registrations WHERE person_id = {pid}"
        ))
        .await;
    let log = |hours: i64| json!({"served_on": "2020-02-14", "hours": hours, "description": "协助卡口测温登记"});
    let r = t.log_service(reg, &org, log(3)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t.log_service(reg, &org, log(2)).await;
    assert_eq!(r.json()["total_hours"], 5);
    let r = t.log_service(reg, &org, log(30)).await;
    assert!(r.json()["error"]["fields"]["hours"].is_string());
    for action in [
        "deployment.create",
        "application.submit",
        "application.decide",
        "return.record",
        "registration.create",
        "service_log.create",
    ] {
        assert!(t.audit_count(action).await >= 1, "{action} audited");
    }
}

async fn organisations_have_members_and_dates(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let oid = t.created("/api/v1/organisations", &op, json!({"kind": "temp_branch", "name": "G109 格尔木南卡口临时党支部（二）", "jurisdiction_code": "632801",
            "site_kind": "checkpoint", "site_name": "G109 格尔木南卡口", "established_on": "2020-02-27", "dissolved_on": "2020-03-10"})).await;
    let count = |v: &Value| org_totals(v).get("temp_branch").copied().unwrap_or(0);
    let on = |d: &str| format!("/api/v1/mobilisation/figures?as_of={d}");
    let f26 = t.get(&on("2020-02-26"), &op).await.json();
    let f27 = t.get(&on("2020-02-27"), &op).await.json();
    let f310 = t.get(&on("2020-03-10"), &op).await.json();
    assert_eq!(count(&f27), count(&f26) + 1);
    assert!(
        count(&f310) <= count(&f27) - 1 + 3,
        "dissolved on 03-10 no longer counts"
    );
    let pid = t.first_in("people", "632801").await;
    let r = t
        .post(
            &format!("/api/v1/organisations/{oid}/members"),
            &op,
            json!({"person_id": pid, "role": "书记", "joined_on": "2020-02-27"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["org"]["member_count"], 1);
    let r = t
        .post(
            &format!("/api/v1/organisations/{oid}/members"),
            &op,
            json!({"person_id": pid, "role": "书记", "joined_on": "2020-02-27"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    for (patch, field) in [
        (json!({"kind": "club"}), "kind"),
        (json!({"established_on": "2020/02/27"}), "established_on"),
        (json!({"dissolved_on": "2020-01-01"}), "dissolved_on"),
        (json!({"name": ""}), "name"),
    ] {
        let mut body = json!({"kind": "commando", "name": "突击队", "jurisdiction_code": "632801", "established_on": "2020-02-27"});
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let r = t.post("/api/v1/organisations", &op, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.json()["error"]["fields"][field].is_string(),
            "{field}: {}",
            r.text
        );
    }
}

async fn cadre_records_are_for_the_department_and_the_chain_of_command(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.add_user("dlh_leader", "leader", "632802").await;
    let org = t.token("haixi_org").await;
    let cadre = t.count("SELECT MIN(p.id) FROM people p JOIN org_members m ON m.person_id = p.id JOIN organisations o ON o.id = m.org_id WHERE o.kind = 'work_group' AND o.jurisdiction_code = '632801'").await;
    let r = t
        .add_cadre_record(
            cadre,
            &org,
            json!({"kind": "commendation", "recorded_on": "2020-02-25",
            "content": "驻企期间协调解决用工和物资运输问题，企业提前复工"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let file = r.json();
    assert_eq!(file["records"][0]["kind_name"], "表扬嘉奖");
    assert!(
        file["deployments"]
            .as_array()
            .map(|d| !d.is_empty())
            .unwrap_or(false),
        "the work-group deployment shows"
    );
    assert_eq!(t.audit_count("cadre_record.create").await, 1);
    // The cadre's chain of command reads it; others do not.
    let gm = t.token("golmud_leader").await;
    let r = t
        .get_ok(&format!("/api/v1/people/{cadre}/cadre-file"), &gm)
        .await;
    assert!(r.text.contains("企业提前复工"));
    let dlh = t.token("dlh_leader").await;
    assert_eq!(
        t.get(&format!("/api/v1/people/{cadre}/cadre-file"), &dlh)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    for who in ["golmud_operator", "grid_worker"] {
        let tok = t.token(who).await;
        assert_eq!(
            t.get(&format!("/api/v1/people/{cadre}/cadre-file"), &tok)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let op = t.token("golmud_operator").await;
    let r = t
        .add_cadre_record(
            cadre,
            &op,
            json!({"kind": "observation", "recorded_on": "2020-02-25", "content": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .add_cadre_record(
            cadre,
            &org,
            json!({"kind": "praise", "recorded_on": "2020-02-25", "content": "x"}),
        )
        .await;
    assert!(r.json()["error"]["fields"]["kind"].is_string());
}

async fn campaigns_and_documents(engine: Engine) {
    let (t, org) = TestApp::as_user(engine, "haixi_org").await;
    let list = t.get("/api/v1/campaigns", &org).await.json();
    let qian = list
        .as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == "千名干部下乡活动"))
        .cloned()
        .expect("demo campaign");
    assert_eq!(qian["people_sent"], 1000);
    assert!(qian["places_covered"].as_i64().unwrap_or(0) > 100, "{qian}");
    let docs = t.get("/api/v1/documents", &org).await.json();
    assert_eq!(docs.as_array().map(|d| d.len()), Some(3));
    let branches = docs
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|x| x["title"].as_str().unwrap_or("").contains("坚强政治保证"))
        })
        .map(|d| d["links"].as_array().map(|l| l.len()).unwrap_or(0));
    assert_eq!(
        branches,
        Some(31),
        "28 branches by 02-28 and 3 set up in March"
    );
    // A new campaign sends people; twice is refused; places must be villages.
    let cid = t.created("/api/v1/campaigns", &org, json!({"name": "春耕帮扶", "theme": "稳产保供", "jurisdiction_code": "632822", "start_on": "2020-03-01"})).await;
    let pid = t.first_in("people", "632822").await;
    let send =
        |place: &str| json!({"person_id": pid, "place_code": place, "sent_on": "2020-03-02"});
    let first_village = t.count("SELECT MIN(CAST(code AS BIGINT)) FROM jurisdictions WHERE code LIKE '632822%' AND level = 5").await.to_string();
    let r = t.enlist_in_campaign(cid, &org, send("632822")).await;
    assert!(r.json()["error"]["fields"]["place_code"].is_string());
    let r = t.enlist_in_campaign(cid, &org, send(&first_village)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["people_sent"], 1);
    let sent = t
        .get(&format!("/api/v1/campaigns/{cid}/people"), &org)
        .await
        .json();
    assert_eq!(sent[0]["person_id"], pid);
    assert_eq!(sent[0]["place_code"], first_village.as_str());
    assert_eq!(
        t.enlist_in_campaign(cid, &org, send(&first_village))
            .await
            .status,
        StatusCode::CONFLICT
    );
    // A document links what it set up, within scope only.
    let gm_org = {
        t.add_user("gm_org2", "org_dept", "632801").await;
        t.token("gm_org2").await
    };
    let dlh_org = t.first_in("organisations", "632802").await;
    let r = t
        .post("/api/v1/documents", &gm_org, json!({"title": "格尔木市复工复产工作方案", "issuer": "格尔木市委", "issued_on": "2020-02-15",
            "measures": "驻企服务", "jurisdiction_code": "632801", "organisation_ids": [dlh_org]}))
        .await;
    assert!(
        r.json()["error"]["fields"]["organisation_ids"].is_string(),
        "{}",
        r.text
    );
    let gm_group = t.count("SELECT MIN(id) FROM organisations WHERE jurisdiction_code = '632801' AND kind = 'work_group'").await;
    let r = t
        .post("/api/v1/documents", &gm_org, json!({"title": "格尔木市复工复产工作方案", "issuer": "格尔木市委", "issued_on": "2020-02-15",
            "measures": "驻企服务", "jurisdiction_code": "632801", "organisation_ids": [gm_group]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["links"][0]["kind"], "organisation");
    assert_eq!(t.audit_count("document.create").await, 1);
}

/// People on duty, from the rollup and counted from the deployments, agree for each place
/// and day; returns the rollup's figures.
async fn on_duty_agrees(t: &TestApp, days: &[&str]) -> Vec<i64> {
    use dualtrack_domain::jurisdiction::{Code, Scope};
    use dualtrack_store::mobilisation::{count_on_duty, count_on_duty_scanning};
    let mut figures = Vec::new();
    for place in ["63", "6328", "632802", "632802100"] {
        let scope = Scope::Under(Code::parse(place).expect("code"));
        for d in days {
            let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("day");
            let rolled = count_on_duty(&t.db.db, &scope, day).await.expect("rollup");
            let counted = count_on_duty_scanning(&t.db.db, &scope, day)
                .await
                .expect("count");
            assert_eq!(rolled, counted, "on duty in {place} on {d}");
            figures.push(rolled);
        }
    }
    figures
}

/// A deployment is ended (a rotation, a recall) on its last day on duty, or its end moved;
/// the people on duty follow, overlapping deployments of the same person counted once; bad
/// input is refused naming the field; the person's page ends one too.
async fn a_deployment_is_ended_and_the_counts_follow(engine: Engine) {
    let (t, org) = TestApp::as_user(engine, "haixi_org").await;
    let id = id_number("63280219850505003");
    let r = t
        .post(
            "/api/v1/people",
            &org,
            json!({"name": "马晓燕", "id_number": id, "political_status": "party_member",
            "categories": ["cadre"], "jurisdiction_code": "632802100"}),
        )
        .await;
    let pid = r.json()["person"]["id"].as_i64().expect("id");
    let deploy = |place: &'static str, start: &'static str, end: Option<&'static str>| {
        json!({"person_id": pid, "jurisdiction_code": place, "role": "卡口值守",
            "start_on": start, "end_on": end})
    };
    let first = t
        .created(
            "/api/v1/deployments",
            &org,
            deploy("632802100", "2020-02-20", None),
        )
        .await;
    // Overlapping it, in the same township, to 2020-03-03.
    let r = t
        .post(
            "/api/v1/deployments",
            &org,
            deploy("632802100", "2020-02-25", Some("2020-03-03")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let days = [
        "2020-02-19",
        "2020-02-20",
        "2020-02-27",
        "2020-02-28",
        "2020-03-03",
        "2020-03-04",
        "2020-03-07",
        "2020-03-08",
        "2020-03-09",
        "2020-03-20",
    ];
    let before = on_duty_agrees(&t, &days).await;
    let audited = t.audit_count("deployment.end").await;
    let end = |id: i64, body: Value| {
        let org = org.clone();
        let t = &t;
        async move {
            t.post(&format!("/api/v1/deployments/{id}/end"), &org, body)
                .await
        }
    };
    // Refused, naming the field, and nothing changes.
    for (body, f) in [
        (json!({"end_on": "2020-02-10", "reason": "轮换"}), "end_on"),
        (json!({"end_on": "2020-02-30", "reason": "轮换"}), "end_on"),
        (json!({"end_on": "2020-02-27", "reason": " "}), "reason"),
    ] {
        let r = end(first, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert!(
            r.json()["error"]["fields"][f].is_string(),
            "{body}: {}",
            r.text
        );
    }
    assert_eq!(on_duty_agrees(&t, &days).await, before);
    assert_eq!(t.audit_count("deployment.end").await, audited);
    // Ended on 2020-02-27: still on duty to 2020-03-03 through the second, then off.
    let r = end(first, json!({"end_on": "2020-02-27", "reason": "轮换"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["end_on"], "2020-02-27");
    assert_eq!(t.audit_count("deployment.end").await, audited + 1);
    let after = on_duty_agrees(&t, &days).await;
    for (i, d) in days.iter().enumerate() {
        // Each place is a block of the days; 63, 6328, 632802 and 632802100 all hold it.
        for block in 0..4 {
            let k = block * days.len() + i;
            let off = *d >= "2020-03-04";
            assert_eq!(after[k], before[k] - i64::from(off), "{d}, place {block}");
        }
    }
    let r = end(first, json!({"end_on": "2020-02-27", "reason": "再次"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Its end moved later, to 2020-03-08: on duty again to that day.
    let r = end(first, json!({"end_on": "2020-03-08", "reason": "延期一周"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let moved = on_duty_agrees(&t, &days).await;
    for (i, d) in days.iter().enumerate() {
        let k = i;
        let off = *d >= "2020-03-09";
        assert_eq!(moved[k], before[k] - i64::from(off), "{d}");
    }
    // On the person's page: an open deployment has the form; a refusal shows the reason.
    let r = t
        .post(
            "/api/v1/deployments",
            &org,
            deploy("632802", "2020-03-20", None),
        )
        .await;
    let third = r.json()["id"].as_i64().expect("deployment");
    let mut b = t.browser("haixi_org").await;
    let page = b.page(&format!("/people/{pid}")).await;
    assert!(page.text.contains(&format!("/deployments/{third}/end")));
    assert!(!page.text.contains(&format!("/deployments/{first}/end")));
    let pid_s = pid.to_string();
    let path = format!("/deployments/{third}/end");
    let r = b
        .post(
            &path,
            &[
                ("person_id", pid_s.as_str()),
                ("end_on", "2020-03-25"),
                ("reason", ""),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("原因"), "{}", r.text);
    let r = b
        .submit(
            &path,
            &[
                ("person_id", pid_s.as_str()),
                ("end_on", "2020-03-25"),
                ("reason", "任务完成"),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/people/{pid}?done=ended"));
    assert_eq!(t.audit_count("deployment.end").await, audited + 3);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM deployments WHERE id = {third} AND end_on = '2020-03-25'"
        ))
        .await,
        1
    );
    on_duty_agrees(&t, &["2020-03-24", "2020-03-25", "2020-03-26"]).await;
}

on_both_engines!(
    campaigns_and_documents,
    cadre_records_are_for_the_department_and_the_chain_of_command,
    the_report_figures_come_out_of_the_records,
    people_are_registered_once_and_masked,
    deployments_and_applications_move_the_counts,
    a_deployment_is_ended_and_the_counts_follow,
    organisations_have_members_and_dates,
);
