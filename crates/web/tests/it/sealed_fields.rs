//! Every sealed column of every table holds ciphertext once records are made through the
//! API; no page, list, export or API answer of the demo shows stored ciphertext; travellers,
//! screened persons and monitored people are found by ID number through the blind index,
//! within the searcher's scope only.

use crate::common::{credit_code, id_number, TestApp};
use crate::encryption::{encrypted, passage, raw, KEYS};
use axum::http::StatusCode;
use dualtrack_service::crypto::FieldCrypto;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

const GRID: &str = "632801001001001";

/// An ID number of 格尔木 whose check character is X (`n` picks which).
fn id_ending_in_x(n: u32) -> String {
    (0..1000u32)
        .map(|i| format!("632801198{}0101{:03}", n % 10, i))
        .map(|first17| id_number(&first17))
        .find(|id| id.ends_with('X'))
        .expect("one in ten ends in X")
}

/// A household of the demo grid with one screened person: (household, person).
async fn screened(t: &TestApp, name: &str, id: &str, phone: &str) -> (i64, i64) {
    let gw = t.token("grid_worker").await;
    let h = t
        .created(
            &format!("/api/v1/grids/{GRID}/households"),
            &gw,
            json!({"address": "昆仑路秘密 8 号", "head_name": "户主秘密"}),
        )
        .await;
    let r = t
        .post(
            &format!("/api/v1/households/{h}/persons"),
            &gw,
            json!({"name": name, "id_number": id, "phone": phone, "kind": "resident", "screened_on": "2020-02-05"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (h, r.json()["id"].as_i64().expect("id"))
}

async fn every_sealed_column_holds_ciphertext(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let op = t.token("golmud_operator").await;
    let id = id_number("63280119850101881");
    let (h, _) = screened(&t, "摸排秘密", &id, "13897005555").await;
    // A follow-up with symptoms and a note on the person's health.
    let case = t
        .count("SELECT MIN(id) FROM monitoring_cases WHERE jurisdiction_code LIKE '632801%' AND status = 'active'")
        .await;
    let f = t
        .post(
            &format!("/api/v1/monitoring/cases/{case}/followups"),
            &op,
            json!({"temperature": 36.6, "symptoms": ["cough"], "note": "病史秘密"}),
        )
        .await;
    assert_eq!(f.status, StatusCode::CREATED, "{}", f.text);
    assert_eq!(f.json()["followup"]["note"], "病史秘密", "{}", f.text);
    let e = t.created("/api/v1/enterprises", &op, json!({"name": "加密测试企业有限公司", "credit_code": credit_code("91632801MA7R001XY"),
        "jurisdiction_code": "632801", "industry_section": "C", "above_size": true, "normal_headcount": 200,
        "normal_output": 1000, "output_unit": "吨/日", "contact_name": "张联络", "contact_phone": "13897004444"})).await;
    // Read back opened (masked where lists mask them).
    let v = t.get_json(&format!("/api/v1/enterprises/{e}"), &op).await;
    assert_eq!(v["contact_phone"], "138****4444", "{v}");
    let gw = t.token("grid_worker").await;
    let list = t
        .get_json(&format!("/api/v1/grids/{GRID}/households"), &gw)
        .await;
    let mine: Vec<&Value> = list
        .as_array()
        .map(|l| l.iter().filter(|x| x["id"] == h).collect())
        .unwrap_or_default();
    assert_eq!(mine.len(), 1, "{list}");
    assert_eq!(mine[0]["address"], "昆仑路秘密 8 号");
    assert_eq!(mine[0]["head_name"], "户主秘密");
    let secrets = [
        id.as_str(),
        "13897005555",
        "摸排秘密",
        "昆仑路秘密",
        "户主秘密",
        "病史秘密",
        "cough",
        "13897004444",
    ];
    for table in dualtrack_store::sealing::ALL {
        for column in table.columns {
            let values = raw(&t, table.table, column).await;
            assert!(!values.is_empty(), "{}.{column} has rows", table.table);
            let plain: Vec<&String> = values
                .iter()
                .filter(|v| !v.is_empty() && !v.starts_with("enc:k1:") && *v != "（已删除）")
                .collect();
            assert!(
                plain.is_empty(),
                "{}.{column} holds plaintext: {:?}",
                table.table,
                &plain[..plain.len().min(3)]
            );
            for s in secrets {
                assert!(
                    values.iter().all(|v| !v.contains(s)),
                    "{}.{column} holds {s}",
                    table.table
                );
            }
        }
        let unsealed = t
            .count(&format!(
                "SELECT COUNT(*) FROM {} WHERE enc_key IS NULL OR enc_key <> 'k1'",
                table.table
            ))
            .await;
        assert_eq!(unsealed, 0, "{}: every row under k1", table.table);
    }
    // The key status counts the new tables too.
    let status = t.app.key_status().await.expect("status");
    for table in [
        "screened_persons",
        "households",
        "monitoring_followups",
        "enterprises",
    ] {
        assert!(
            status
                .iter()
                .any(|c| c.table == table && c.key.as_deref() == Some("k1") && c.rows > 0),
            "{table}: {status:?}"
        );
    }
    // Neither is the personal data written into the audit log instead.
    let audit = raw(&t, "audit_log", "detail").await;
    for s in secrets {
        assert!(audit.iter().all(|d| !d.contains(s)), "audit holds {s}");
    }
}

async fn found_by_id_number_in_scope_only(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let op = t.token("golmud_operator").await;
    let sibling = t.token("delingha_operator").await;
    let gw = t.token("grid_worker").await;
    // A traveller at a checkpoint, searched in either case of X.
    let id = id_ending_in_x(1);
    let lower = id.to_lowercase();
    let south = t.checkpoint("格尔木南出口").await;
    let r = t
        .post(
            &format!("/api/v1/checkpoints/{south}/passages"),
            &op,
            passage("马查找", &id, "13897003333"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let pid = r.json()["id"].as_i64().expect("id");
    let path = format!("/api/v1/checkpoints/{south}/passages?id_number={lower}");
    let found = t.get_json(&path, &op).await;
    assert_eq!(crate::common::each_i64(&found, "id"), vec![pid], "{found}");
    let other = id_ending_in_x(2);
    let none = t
        .get_json(
            &format!("/api/v1/checkpoints/{south}/passages?id_number={other}"),
            &op,
        )
        .await;
    assert_eq!(none.as_array().map(Vec::len), Some(0), "{none}");
    let page = t
        .browser("golmud_operator")
        .await
        .page(&format!("/checkpoints/{south}?id_number={lower}"))
        .await;
    assert!(page.text.contains("马查找"), "the page lists the traveller");
    assert!(page.text.contains(r#"name="id_number""#));
    let refused = t.get(&path, &sibling).await;
    assert!(refused.status.is_client_error(), "{}", refused.text);
    assert!(!refused.text.contains("马查找"));
    // A screened person, through the list's query.
    let sid = id_ending_in_x(3);
    let (_, person) = screened(&t, "摸排查找", &sid, "13897002222").await;
    let q = format!("/api/v1/screened-persons?id_number={}", sid.to_lowercase());
    let found = t.get_json(&q, &gw).await;
    assert_eq!(
        crate::common::each_i64(&found, "id"),
        vec![person],
        "{found}"
    );
    let found = t.get_json(&q, &op).await;
    assert_eq!(
        crate::common::each_i64(&found, "id"),
        vec![person],
        "{found}"
    );
    let hidden = t.get_json(&q, &sibling).await;
    assert_eq!(hidden.as_array().map(Vec::len), Some(0), "{hidden}");
    // A monitored person of the demo, through the API and the list page's search box.
    let (case, stored): (i64, String) = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_as(
        "SELECT id, id_number FROM monitoring_cases WHERE jurisdiction_code LIKE '632801%' ORDER BY id DESC LIMIT 1")
        .fetch_one(p).await)
    .expect("a case");
    let cid = t.app.crypto.open(&stored).expect("opens");
    let name = t
        .get_json(&format!("/api/v1/monitoring/cases/{case}"), &op)
        .await["case"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!name.is_empty());
    let q = format!("/api/v1/monitoring/cases?id_number={}", cid.to_lowercase());
    let found = t.get_json(&q, &op).await;
    assert_eq!(crate::common::each_i64(&found, "id"), vec![case], "{found}");
    let hidden = t.get_json(&q, &sibling).await;
    assert_eq!(hidden.as_array().map(Vec::len), Some(0), "{hidden}");
    let page = t
        .browser("golmud_operator")
        .await
        .page(&format!(
            "/monitoring/cases?id_number={}",
            cid.to_lowercase()
        ))
        .await;
    assert!(
        page.text.contains(&format!("/monitoring/cases/{case}\"")),
        "found"
    );
    assert_eq!(
        page.text.matches("<a href=\"/monitoring/cases/").count(),
        t.count(&format!(
            "SELECT COUNT(*) FROM monitoring_cases WHERE id_bidx = '{}' AND jurisdiction_code LIKE '632801%'",
            t.app.crypto.blind_index(&cid)
        ))
        .await as usize,
        "only those of that number"
    );
    let page = t
        .browser("delingha_operator")
        .await
        .page(&format!("/monitoring/cases?id_number={cid}"))
        .await;
    assert!(!page.text.contains(&format!("/monitoring/cases/{case}\"")));
    assert!(!page.text.contains(&name));
}

/// Whether a body shows stored ciphertext.
fn shows_ciphertext(body: &str) -> bool {
    body.contains("enc:k")
}

/// The demo, sealed, walked page by page and through the API by the roles that see the
/// sealed fields: no body shows stored ciphertext.
async fn no_page_or_answer_of_the_demo_shows_ciphertext(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let first = |table: &'static str, code: &'static str| t.first_in(table, code);
    let case = first("monitoring_cases", "632801").await;
    let enterprise = first("enterprises", "632801").await;
    let household = t
        .count(&format!(
            "SELECT MIN(id) FROM households WHERE grid_code = '{GRID}'"
        ))
        .await;
    let south = t.checkpoint("格尔木南出口").await;
    let ticket = t.count("SELECT MIN(id) FROM tickets").await;
    let day = "2020-02-27";
    let pages = [
        "/".to_string(),
        "/my-grid".into(),
        "/prevention".into(),
        format!("/grids/{GRID}"),
        "/monitoring".into(),
        "/monitoring/due".into(),
        "/monitoring/cases".into(),
        format!("/monitoring/cases/{case}"),
        "/checkpoints".into(),
        format!("/checkpoints/{south}"),
        "/handovers".into(),
        "/outbound".into(),
        "/resumption".into(),
        "/enterprises".into(),
        format!("/enterprises/{enterprise}"),
        format!("/resumption/punctuality?date={day}"),
        "/filings".into(),
        "/people".into(),
        "/tickets".into(),
        format!("/tickets/{ticket}"),
        "/inbox".into(),
        "/dashboard".into(),
        "/briefing".into(),
        "/audit".into(),
    ];
    let api = [
        format!("/api/v1/grids/{GRID}"),
        format!("/api/v1/grids/{GRID}/households"),
        "/api/v1/screened-persons".to_string(),
        format!("/api/v1/screened-persons?code={GRID}"),
        format!("/api/v1/monitoring/cases/{case}"),
        format!("/api/v1/monitoring/cases/{case}/followups"),
        "/api/v1/monitoring/cases".into(),
        format!("/api/v1/checkpoints/{south}/passages"),
        "/api/v1/enterprises".into(),
        format!("/api/v1/enterprises/{enterprise}"),
        format!("/api/v1/resumption/punctuality?date={day}"),
        "/api/v1/people".into(),
        "/api/v1/tickets".into(),
        format!("/api/v1/tickets/{ticket}"),
        "/api/v1/handovers".into(),
        "/api/v1/outbound-notices".into(),
        "/api/v1/briefing.md".into(),
        "/api/v1/audit".into(),
    ];
    let sheets = [
        "/api/v1/enterprises/export.xlsx".to_string(),
        "/api/v1/people/export.xlsx".into(),
        format!("/api/v1/resumption/punctuality/export.xlsx?date={day}"),
    ];
    let mut seen = 0;
    for user in [
        "grid_worker",
        "golmud_operator",
        "golmud_leader",
        "haixi_leader",
        "auditor",
    ] {
        let mut b = t.browser(user).await;
        for p in &pages {
            let r = b.get(p).await;
            assert!(!shows_ciphertext(&r.text), "{user} {p} shows ciphertext");
            seen += usize::from(r.status == StatusCode::OK);
        }
        let token = t.token(user).await;
        for p in &api {
            let r = t.get(p, &token).await;
            assert!(!shows_ciphertext(&r.text), "{user} {p} shows ciphertext");
            seen += usize::from(r.status == StatusCode::OK);
        }
        for p in &sheets {
            let (status, bytes) = t.download(&token, p).await;
            if status != StatusCode::OK {
                continue;
            }
            seen += 1;
            let sheet = dualtrack_service::spreadsheet::read(&bytes).expect("xlsx");
            assert!(
                sheet
                    .rows
                    .iter()
                    .all(|(_, cells)| cells.iter().all(|c| !shows_ciphertext(c))),
                "{user} {p} shows ciphertext"
            );
        }
    }
    // The grid worker's grid, the operator's case and enterprise pages were among them.
    assert!(seen > 60, "{seen} answers read");
    let mut b = t.browser("grid_worker").await;
    let grid = b.page(&format!("/grids/{GRID}")).await;
    let h = t
        .get_json(
            &format!("/api/v1/grids/{GRID}/households"),
            &t.token("grid_worker").await,
        )
        .await;
    let address = h
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == household))
        .map(|x| x["address"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    assert!(
        !address.is_empty() && grid.text.contains(&address),
        "the grid page shows the address opened"
    );
}

/// A pass with nothing to seal (the one at every start) asks the indexes on `enc_key` and
/// `id_bidx` only, and writes nothing: it used to read every sealed row of every table.
async fn a_pass_with_nothing_to_seal_reads_no_table(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let audits = t.audit_count("keys.reseal").await;
    let cli = dualtrack_service::Actor::cli();
    assert_eq!(t.app.reseal_pass(&cli).await.expect("pass"), 0);
    assert_eq!(
        t.audit_count("keys.reseal").await,
        audits,
        "no batch audited"
    );
    for table in dualtrack_store::sealing::ALL {
        let sql = dualtrack_store::sealing::needs_reseal_sql(&table, true);
        match &t.db.db {
            dualtrack_store::Db::Sqlite(p) => {
                let plan: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                        .bind("k1")
                        .fetch_all(p)
                        .await
                        .expect("plan");
                let steps: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
                let scans: Vec<&&str> = steps
                    .iter()
                    .filter(|s| s.contains(table.table) && !s.contains("INDEX"))
                    .collect();
                assert!(scans.is_empty(), "{}: {steps:?}", table.table);
                assert!(
                    steps.iter().filter(|s| s.contains("INDEX")).count() >= 3,
                    "{}: {steps:?}",
                    table.table
                );
            }
            dualtrack_store::Db::Postgres(p) => {
                let defs: Vec<String> =
                    sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE tablename = $1")
                        .bind(table.table)
                        .fetch_all(p)
                        .await
                        .expect("indexes");
                assert!(
                    defs.iter().any(|d| d.contains("(enc_key)")),
                    "{}: {defs:?}",
                    table.table
                );
                if table.id_number.is_some() {
                    assert!(defs.iter().any(|d| d.contains("(id_bidx)")), "{defs:?}");
                }
            }
        }
    }
}

on_both_engines!(
    a_pass_with_nothing_to_seal_reads_no_table,
    every_sealed_column_holds_ciphertext,
    found_by_id_number_in_scope_only,
    no_page_or_answer_of_the_demo_shows_ciphertext
);
