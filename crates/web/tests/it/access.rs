//! Access rules that hold whatever door a request comes through: unmasking needs the right
//! to read the record first; an account bound to its checkpoints sees their work and no
//! other's; ids and codes in a body are checked like ids in a path; only the raiser's side
//! closes the loop of a ticket.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use chrono::{DateTime, TimeZone, Utc};
use common::TestApp;
use dualtrack_service::spreadsheet;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

fn evening() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 3, 14, 10, 0, 0)
        .single()
        .expect("time")
}

/// Registers, as 格尔木's operator, one traveller at a checkpoint bound for `destination`;
/// gives the passage id and the hand-over id, if one was made.
async fn register_at(
    t: &TestApp,
    checkpoint_name: &str,
    destination: &str,
    traveller: &str,
    n: u32,
) -> (i64, Option<i64>) {
    let op = t.token("golmud_operator").await;
    let cp = t.checkpoint(checkpoint_name).await;
    let r = t
        .register_passage(
            cp,
            &op,
            json!({
                "plate": "青H55555",
                "vehicle_class": "car",
                "origin": "青海省西宁市",
                "travel_history": "西宁市城东区",
                "destination": destination,
                "reason": "返岗复工",
                "travellers": [
                    {"name": traveller, "id_number": id_number(&format!("632801198002{n:02}004")),
                     "phone": "13897005678", "temperature": 36.5, "outcome": "through"}
                ]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    (
        v["id"].as_i64().expect("passage id"),
        v["travellers"][0]["handover_id"].as_i64(),
    )
}

/// The organisation department reads people (and unmasks them), but not monitoring cases,
/// hand-overs, passages or screened persons: unmasking those is refused as reading them
/// is, and no unmasking is audited. The same rule for exports.
async fn unmasking_needs_the_right_to_read(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(evening()));
    let org = t.token("haixi_org").await;
    let (passage, handover) = register_at(&t, "格尔木南出口", "632801001001001", "柴达木", 1).await;
    let handover = handover.expect("a hand-over inside the region");
    let case = t.count("SELECT MIN(id) FROM monitoring_cases").await;
    let screened = t.count("SELECT MIN(id) FROM screened_persons").await;
    let person = t.count("SELECT MIN(id) FROM people").await;
    assert!(case > 0 && screened > 0 && person > 0);

    let before = t.audit_count("personal.unmask").await;
    for (read, unmask) in [
        (
            format!("/api/v1/monitoring/cases/{case}"),
            format!("/api/v1/monitoring/cases/{case}/unmask"),
        ),
        (
            format!("/api/v1/handovers/{handover}"),
            format!("/api/v1/handovers/{handover}/unmask"),
        ),
        (
            format!("/api/v1/passages/{passage}"),
            format!("/api/v1/passages/{passage}/travellers/1/unmask"),
        ),
        (
            format!("/api/v1/screened-persons/{screened}"),
            format!("/api/v1/screened-persons/{screened}/unmask"),
        ),
    ] {
        assert_eq!(
            t.get(&read, &org).await.status,
            StatusCode::FORBIDDEN,
            "{read}"
        );
        let r = t.post(&unmask, &org, json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{unmask}: {}", r.text);
        assert!(!r.text.contains("13897005678"), "{unmask}: {}", r.text);
    }
    let (status, _) = t
        .download(
            &org,
            "/api/v1/outbound-notices/export.xlsx?from=2020-03-14&unmask=true",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(t.audit_count("personal.unmask").await, before);

    // What it reads, it may still unmask, audited.
    let r = t.unmask_person(person, &org, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
}

fn names(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r[key].as_str().map(str::to_string))
        .collect()
}

/// The checkpoint worker of 格尔木南出口 sees the outbound notices and the hand-overs sent of
/// its checkpoint only — in the lists, the export and the page — though its account is
/// bound to the whole county.
async fn a_checkpoint_worker_sees_only_its_checkpoints_work(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(evening()));
    register_at(&t, "格尔木南出口", "湖北省武汉市", "南口甲", 2).await;
    register_at(&t, "格尔木东出口", "湖北省武汉市", "东口乙", 3).await;
    let (_, south_handover) = register_at(&t, "格尔木南出口", "632801001001001", "南口丙", 4).await;
    let (_, east_handover) = register_at(&t, "格尔木东出口", "632801001001001", "东口丁", 5).await;
    let (south_handover, east_handover) = (
        south_handover.expect("hand-over"),
        east_handover.expect("hand-over"),
    );

    // The county's operator sees both checkpoints.
    let op = t.token("golmud_operator").await;
    let all = t
        .get("/api/v1/outbound-notices?from=2020-03-14", &op)
        .await
        .json();
    let all = names(&all, "name");
    assert!(all.contains(&"南口甲".to_string()) && all.contains(&"东口乙".to_string()));

    let worker = t.token("checkpoint_worker").await;
    let list = t
        .get_ok("/api/v1/outbound-notices?from=2020-03-14", &worker)
        .await;
    let list = list.json();
    assert!(names(&list, "name").contains(&"南口甲".to_string()));
    assert!(
        names(&list, "checkpoint_name")
            .iter()
            .all(|c| c == "格尔木南出口"),
        "{list}"
    );
    let (status, xlsx) = t
        .download(
            &worker,
            "/api/v1/outbound-notices/export.xlsx?from=2020-03-14",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&xlsx).expect("reads");
    let travellers: Vec<&str> = sheet.rows.iter().map(|(_, c)| c[3].as_str()).collect();
    assert!(travellers.contains(&"南口甲"), "{travellers:?}");
    assert!(!travellers.contains(&"东口乙"), "{travellers:?}");

    let sent = t.get("/api/v1/handovers?which=sent", &worker).await.json();
    let ids = common::each_i64(&sent, "id");
    assert!(ids.contains(&south_handover), "{sent}");
    assert!(!ids.contains(&east_handover), "{sent}");
    assert!(
        names(&sent, "checkpoint_name")
            .iter()
            .all(|c| c == "格尔木南出口"),
        "{sent}"
    );

    // The pages say the same.
    let mut b = t.browser("checkpoint_worker").await;
    let page = b.page("/outbound?from=2020-03-14").await;
    assert!(page.text.contains("南口甲") && !page.text.contains("东口乙"));
}

const GRID: &str = "632801001001001";

async fn resolved_ticket(t: &TestApp) -> i64 {
    let gw = t.token("grid_worker").await;
    let r = t
        .post(
            "/api/v1/tickets",
            &gw,
            json!({"kind": "routine", "category": "epidemic", "title": "隔离点缺少测温枪",
                   "description": "博爱巷隔离点测温枪损坏", "jurisdiction_code": GRID}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["ticket"]["id"].as_i64().expect("id");
    let health = t.token("golmud_health").await;
    for (step, body) in [
        ("accept", json!({"note": "已派员"})),
        ("resolve", json!({"resolution": "已补发测温枪两把"})),
    ] {
        let r = t
            .post(&format!("/api/v1/tickets/{id}/{step}"), &health, body)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.text);
    }
    id
}

/// Only the whistler's side closes the loop: the county's operator, who may raise tickets
/// and sees this one, can neither confirm, reject nor rate it (so cannot move 满意率), and
/// its page offers no such form; an account of the whistler's own grid can.
async fn only_the_whistlers_side_closes_a_ticket(engine: Engine) {
    let t = TestApp::new(engine).await;
    let id = resolved_ticket(&t).await;
    let op = t.token("golmud_operator").await;
    assert_eq!(
        t.get(&format!("/api/v1/tickets/{id}"), &op).await.status,
        StatusCode::OK
    );
    for (step, body) in [
        ("confirm", json!({"rating": 1})),
        ("reject", json!({"reason": "不满意", "rating": 1})),
    ] {
        let r = t
            .post(&format!("/api/v1/tickets/{id}/{step}"), &op, body)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{step}: {}", r.text);
        assert!(r.text.contains("吹哨人"), "{}", r.text);
    }
    let status =
        t.get(&format!("/api/v1/tickets/{id}"), &op).await.json()["ticket"]["status"].clone();
    assert_eq!(status, "resolved");
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM tickets WHERE id = {id} AND rating IS NOT NULL"
        ))
        .await,
        0
    );
    let mut b = t.browser("golmud_operator").await;
    let page = b.page(&format!("/tickets/{id}")).await;
    assert!(!page.text.contains("confirm-form"), "{}", page.text);

    // Another grid worker of the same grid speaks for the whistler's unit.
    t.add_user("grid_worker_2", "grid_worker", GRID).await;
    let mate = t.token("grid_worker_2").await;
    let r = t.confirm_ticket(id, &mate, json!({"rating": 5})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["ticket"]["status"], "closed");
}

fn case_with(link: &str, id: i64, person: i64) -> Value {
    json!({
        "kind": "home",
        "name": "李海燕",
        "id_number": id_number("42010619850312004"),
        "jurisdiction_code": GRID,
        "place": "格尔木市博爱巷 12 号院",
        "reason": "自湖北省武汉市返回",
        "last_exposure": "2020-03-10",
        "start_date": "2020-03-11",
        "responsible": [{"person_id": person, "duty": "cadre"}],
        link: id,
    })
}

/// An id in a body is checked as an id in a path is: one of another county, one that does
/// not exist and a negative one are all "not found", naming the field, and nothing is
/// written — for the records a monitoring case links (which decide when a traveller's
/// details are erased), the source of a ticket, and the people, stores and organisations
/// other records refer to.
async fn ids_in_a_body_are_checked_like_ids_in_a_path(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.clock.set(Some(evening()));
    let op = t.token("golmud_operator").await;
    let person = t.first_in("people", "632801").await;
    // 德令哈's records, as 格尔木's operator sees them: not at all.
    let (delingha_passage, _) = {
        let d = t.token("delingha_operator").await;
        let cp = t.first_in("checkpoints", "632802").await;
        let r = t.register_passage(cp, &d, json!({"plate": "青H66666", "vehicle_class": "car", "origin": "青海省西宁市",
                       "destination": "湖北省武汉市", "reason": "探亲",
                       "travellers": [{"name": "德令哈旅客", "id_number": id_number("63280219800301005"),
                                       "temperature": 36.5, "outcome": "through"}]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (r.json()["id"].as_i64().expect("id"), ())
    };
    let their_traveller = t
        .count(&format!(
            "SELECT MIN(id) FROM passage_travellers WHERE passage_id = {delingha_passage}"
        ))
        .await;
    let their_screened = t
        .count("SELECT MIN(id) FROM screened_persons WHERE grid_code NOT LIKE '632801%'")
        .await;
    assert!(their_traveller > 0 && their_screened > 0);

    let cases = t.count("SELECT COUNT(*) FROM monitoring_cases").await;
    for (field, id) in [
        ("traveller_id", their_traveller),
        ("traveller_id", 99_999_999),
        ("traveller_id", -1),
        ("screened_person_id", their_screened),
        ("screened_person_id", 99_999_999),
        ("screened_person_id", -1),
    ] {
        let r = t
            .post(
                "/api/v1/monitoring/cases",
                &op,
                case_with(field, id, person),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{field}={id}: {}", r.text);
        assert_eq!(r.error_fields(), vec![field.to_string()], "{}", r.text);
        assert!(!r.text.contains("德令哈旅客"));
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM monitoring_cases").await,
        cases
    );
    // One of its own links as before.
    let (_, _) = register_at(&t, "格尔木南出口", "湖北省武汉市", "本县旅客", 6).await;
    let own = t
        .count("SELECT MAX(id) FROM passage_travellers WHERE name = '本县旅客'")
        .await;
    let r = t
        .post(
            "/api/v1/monitoring/cases",
            &op,
            case_with("traveller_id", own, person),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // The source of a ticket.
    let their_report = t
        .count("SELECT MIN(id) FROM grid_reports WHERE grid_code NOT LIKE '632801%'")
        .await;
    assert!(their_report > 0);
    let tickets = t.count("SELECT COUNT(*) FROM tickets").await;
    for id in [their_report, 99_999_999, -5] {
        let r = t
            .post(
                "/api/v1/tickets",
                &op,
                json!({"source": "grid_report", "source_id": id, "kind": "routine"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "source_id={id}: {}",
            r.text
        );
        assert_eq!(
            r.error_fields(),
            vec!["source_id".to_string()],
            "{}",
            r.text
        );
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM tickets").await, tickets);

    // A supplies store at another county's checkpoint, an organisation led by another
    // county's person.
    let their_cp = t.first_in("checkpoints", "632802").await;
    let r = t
        .post(
            "/api/v1/supplies/stores",
            &op,
            json!({"name": "卡口物资点", "kind": "checkpoint", "jurisdiction_code": "632801", "checkpoint_id": their_cp}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["checkpoint_id".to_string()]);
    let their_person = t.first_in("people", "632802").await;
    let r = t
        .post(
            "/api/v1/organisations",
            &op,
            json!({"name": "临时党支部", "kind": "temp_branch", "jurisdiction_code": "632801", "established_on": "2020-03-01", "leader_id": their_person}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["leader_id".to_string()]);
}

/// A county that registers a person whose ID number another county holds is told what to do,
/// not that the person is registered elsewhere; nothing is written.
async fn a_refusal_does_not_tell_where_a_person_is(engine: Engine) {
    let t = TestApp::new(engine).await;
    let theirs: String = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(
        "SELECT id_number FROM people WHERE jurisdiction_code LIKE '632801%' ORDER BY id LIMIT 1")
        .fetch_one(p).await.expect("a person of 格尔木"));
    let delingha = t.token("delingha_operator").await;
    let people = t.count("SELECT COUNT(*) FROM people").await;
    let r = t
        .post(
            "/api/v1/people",
            &delingha,
            json!({"name": "某人", "id_number": theirs, "political_status": "masses",
                   "categories": ["volunteer"], "jurisdiction_code": "632802"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["id_number".to_string()]);
    let message = r.error_message();
    assert!(message.contains("核对"), "{message}");
    for telling in ["已由", "其他辖区", "已登记", "格尔木"] {
        assert!(!message.contains(telling), "{message}");
    }
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, people);
}

on_both_engines!(
    a_refusal_does_not_tell_where_a_person_is,
    ids_in_a_body_are_checked_like_ids_in_a_path,
    unmasking_needs_the_right_to_read,
    a_checkpoint_worker_sees_only_its_checkpoints_work,
    only_the_whistlers_side_closes_a_ticket,
);
