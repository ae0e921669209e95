//! The rest of the phone's forms through the outbox: a person screened, a hand-over
//! acknowledged, a stock receipt and issue, a whistle raised. Each, sent as the outbox sends
//! it: a bad field is refused in Chinese naming it, a phone time ahead of now or too old is
//! refused naming `made_at`, and a record sent again under its key is written once, with the
//! phone's time kept beside (and before) the server's.

use crate::common::*;
use crate::offline::send_as_outbox;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

const GRID: &str = "632801001001001";

/// A kind of record as the outbox sends it.
struct Kind<'a> {
    user: &'a str,
    path: String,
    /// The record without its phone time.
    body: Value,
    /// Counts the records of this kind written.
    count: String,
    /// The table, its column of the phone's time and that of the server's own.
    table: &'a str,
    made: &'a str,
    server: &'a str,
    action: &'a str,
    /// What the phone's time is called in the refusals.
    label: &'a str,
    /// Where the answer holds the record's id.
    id_at: &'a [&'a str],
    /// A field made bad, the field named and a word of the refusal.
    bad: (Value, &'a str, &'a str),
}

fn with(body: &Value, patch: &Value) -> Value {
    let mut b = body.clone();
    for (k, v) in patch.as_object().into_iter().flatten() {
        b[k] = v.clone();
    }
    b
}

fn at(v: &Value, path: &[&str]) -> Option<i64> {
    path.iter().fold(v, |v, k| &v[*k]).as_i64()
}

async fn through_the_outbox(t: &TestApp, k: Kind<'_>, keys: &str) {
    let mut b = Browser::new(t);
    b.login(k.user).await;
    let now = t.app.clock.now();
    let before = t.count(&k.count).await;
    let audits = t.audit_count(k.action).await;
    let made = |at: DateTime<Utc>| with(&k.body, &json!({"made_at": at.to_rfc3339()}));

    // A bad field: a Chinese 4xx naming it, nothing written.
    let (patch, field, says) = &k.bad;
    let body = with(&made(now - Duration::hours(1)), patch);
    let r = send_as_outbox(&b, &k.path, &format!("{keys}-bad"), &body).await;
    assert!(r.status.is_client_error(), "{}", r.text);
    let msg = r.json()["error"]["fields"][*field]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.contains(says) && !msg.is_ascii(), "{field}: {}", r.text);
    // The phone's time ahead of now, or older than the limit: refused naming it.
    for (i, (when, says)) in [
        (now - Duration::hours(73), "72 小时"),
        (now + Duration::hours(1), "不能晚于现在"),
    ]
    .iter()
    .enumerate()
    {
        let r = send_as_outbox(&b, &k.path, &format!("{keys}-time-{i}"), &made(*when)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let msg = r.json()["error"]["fields"]["made_at"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(msg.contains(says) && msg.contains(k.label), "{}", r.text);
    }
    assert_eq!(t.count(&k.count).await, before, "nothing written");
    assert_eq!(t.audit_count(k.action).await, audits);

    // Made on the phone two hours ago, sent, and sent again (the answer lost on the way
    // back): written and audited once, the phone's time kept before the server's.
    let body = made(now - Duration::hours(2));
    let key = format!("{keys}-sent");
    let first = send_as_outbox(&b, &k.path, &key, &body).await;
    assert!(first.status.is_success(), "{}", first.text);
    let id = at(&first.json(), k.id_at).expect("the record's id");
    let kept = format!(
        "SELECT COUNT(*) FROM {} WHERE id = {id} AND {} IS NOT NULL AND {} < {}",
        k.table, k.made, k.made, k.server
    );
    assert_eq!(t.count(&kept).await, 1, "the phone's time and the server's");
    for _ in 0..3 {
        let again = send_as_outbox(&b, &k.path, &key, &body).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.text);
        assert_eq!(at(&again.json(), k.id_at), Some(id));
    }
    assert_eq!(t.count(&k.count).await, before + 1);
    assert_eq!(t.audit_count(k.action).await, audits + 1);
    // The same key on another body: refused, naming the key.
    let other = with(&body, &k.bad.0);
    let r = send_as_outbox(&b, &k.path, &key, &other).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.json()["error"]["fields"]["idempotency_key"].is_string());
    assert_eq!(t.count(&k.count).await, before + 1);
}

async fn a_screening_from_the_outbox(engine: Engine) {
    let t = TestApp::new(engine).await;
    let household = t
        .count(&format!(
            "SELECT MIN(id) FROM households WHERE grid_code = '{GRID}'"
        ))
        .await;
    let day = (t.app.clock.now() + Duration::hours(8))
        .date_naive()
        .to_string();
    let kind = Kind {
        user: "grid_worker",
        path: format!("/api/v1/households/{household}/persons"),
        body: json!({"name": "王五", "id_number": id_number("63280119800101001"), "kind": "returned",
            "came_from": "420100", "screened_on": day}),
        count: "SELECT COUNT(*) FROM screened_persons".into(),
        table: "screened_persons",
        made: "made_at",
        server: "created_at",
        action: "screening.record",
        label: "摸排登记时间",
        id_at: &["id"],
        bad: (
            json!({"id_number": "632801198001010010"}),
            "id_number",
            "身份证",
        ),
    };
    through_the_outbox(&t, kind, "8c1d2e3f-0a4b-4c5d-9e6f-screening").await;
}

async fn a_handover_acknowledged_from_the_outbox(engine: Engine) {
    let t = TestApp::new(engine).await;
    let (r, _) = crate::reach::passage(&t, 36.4, "through").await;
    let id = r["travellers"][0]["handover_id"]
        .as_i64()
        .expect("a hand-over to the grid");
    let kind = Kind {
        user: "grid_worker",
        path: format!("/api/v1/handovers/{id}/acknowledge"),
        body: json!({"measure": "none", "note": "已电话联系，人已到家"}),
        count: format!(
            "SELECT COUNT(*) FROM handovers WHERE id = {id} AND status = 'acknowledged'"
        ),
        table: "handovers",
        made: "acknowledged_made_at",
        server: "acknowledged_received_at",
        action: "handover.acknowledge",
        label: "接收时间",
        id_at: &["handover", "id"],
        bad: (json!({"measure": "urgent"}), "measure", "管控措施"),
    };
    through_the_outbox(&t, kind, "8c1d2e3f-0a4b-4c5d-9e6f-ack").await;
}

/// 格尔木's county store and the demo's masks.
async fn store_and_masks(t: &TestApp) -> (i64, i64) {
    let store = t
        .count("SELECT MIN(id) FROM supply_stores WHERE kind = 'county' AND jurisdiction_code = '632801'")
        .await;
    let mask = t
        .count("SELECT id FROM supply_items WHERE name = '一次性医用外科口罩'")
        .await;
    (store, mask)
}

async fn a_stock_receipt_and_issue_from_the_outbox(engine: Engine) {
    let t = TestApp::new(engine).await;
    let (store, mask) = store_and_masks(&t).await;
    let day = (t.app.clock.now() + Duration::hours(8))
        .date_naive()
        .to_string();
    for (kind, counterparty, keys) in [
        ("receipt", "省卫健委调拨", "8c1d2e3f-0a4b-4c5d-9e6f-receipt"),
        ("issue", "格尔木南出口卡口", "8c1d2e3f-0a4b-4c5d-9e6f-issue"),
    ] {
        let k = Kind {
            user: "golmud_operator",
            path: format!("/api/v1/supplies/stores/{store}/movements"),
            body: json!({"kind": kind, "item_id": mask, "quantity": 3, "moved_on": day,
                "counterparty": counterparty}),
            count: format!("SELECT COUNT(*) FROM stock_movements WHERE kind = '{kind}'"),
            table: "stock_movements",
            made: "made_at",
            server: "created_at",
            action: "stock.move",
            label: "出入库登记时间",
            id_at: &["movement", "id"],
            bad: (json!({"kind": "gift"}), "kind", "出入库类型"),
        };
        through_the_outbox(&t, k, keys).await;
    }
}

async fn a_whistle_raised_from_the_outbox(engine: Engine) {
    let t = TestApp::new(engine).await;
    let kind = Kind {
        user: "grid_worker",
        path: "/api/v1/tickets".into(),
        body: json!({"kind": "routine", "category": "residents", "description": "独居老人缺米面",
            "jurisdiction_code": GRID}),
        count: "SELECT COUNT(*) FROM tickets".into(),
        table: "tickets",
        made: "made_at",
        server: "raised_at",
        action: "ticket.raise",
        label: "吹哨时间",
        id_at: &["ticket", "id"],
        bad: (json!({"category": "天气"}), "category", "类别"),
    };
    through_the_outbox(&t, kind, "8c1d2e3f-0a4b-4c5d-9e6f-ticket").await;
}

on_both_engines!(
    a_screening_from_the_outbox,
    a_handover_acknowledged_from_the_outbox,
    a_stock_receipt_and_issue_from_the_outbox,
    a_whistle_raised_from_the_outbox,
);
