//! Personal data encrypted at rest: ID numbers, phones and names of travellers and of
//! monitored people, ID numbers and phones of registered people, sealed with SM4-GCM under a
//! key outside the database; found by ID number through the blind index; resealed under a
//! new key while passages are being written.

use crate::common::{self, id_number, keyed_post, TestApp};
use axum::http::StatusCode;
use dualtrack_service::crypto::FieldCrypto;
use dualtrack_service::Actor;
use dualtrack_testkit::{on_both_engines, Engine};
use dualtrack_web::{AppState, WebConfig};
use serde_json::{json, Value};
use tower::ServiceExt;

pub(crate) const KEYS: &str =
    "bidx:0101010101010101010101010101010101010101010101010101010101010101\n\
                    k1:00112233445566778899aabbccddeeff\n";

/// The demo's application with data keys, its rows sealed, its router rebuilt on it.
pub(crate) async fn encrypted(engine: Engine, crypto: FieldCrypto) -> TestApp {
    let t = TestApp::new(engine).await;
    let app = t.app.clone().with_crypto(crypto);
    let sealed = app.reseal_pass(&Actor::cli()).await.expect("seal");
    assert!(sealed > 0, "the demo's rows are sealed");
    let router = dualtrack_web::router(AppState::new(app.clone(), WebConfig::default()));
    TestApp {
        app,
        router,
        db: t.db,
    }
}

pub(crate) fn passage(name: &str, id: &str, phone: &str) -> Value {
    json!({
        "plate": "青H54321", "vehicle_class": "car", "origin": "青海省西宁市",
        "destination": "632801100", "reason": "返岗复工",
        "travellers": [{"name": name, "id_number": id, "phone": phone, "temperature": 36.5, "outcome": "through"}]
    })
}

/// The first traveller's ID number in full, through the audited unmasking.
async fn unmasked_id(t: &TestApp, op: &str, pid: i64) -> String {
    let path = format!("/api/v1/passages/{pid}/travellers/1/unmask");
    let full = t.post(&path, op, json!({})).await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.text);
    full.json()["id_number"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every value of `column` in `table`, as stored.
pub(crate) async fn raw(t: &TestApp, table: &str, column: &str) -> Vec<String> {
    let sql = format!("SELECT COALESCE({column}, '') FROM {table}");
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(&sql).fetch_all(p).await)
        .expect("raw read")
}

async fn raw_tables_hold_no_plaintext_and_the_id_number_still_finds_the_person(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let op = t.token("golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let id = id_number("63280119800101771");
    let r = t
        .post(
            &format!("/api/v1/checkpoints/{south}/passages"),
            &op,
            passage("马秘密", &id, "13897007777"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let pid = r.json()["id"].as_i64().expect("id");
    // Shown masked, opened for the audited unmasking.
    assert_eq!(r.json()["travellers"][0]["name"], "马秘密");
    assert_eq!(r.json()["travellers"][0]["phone"], "138****7777");
    assert_eq!(unmasked_id(&t, &op, pid).await, id);
    // The raw tables: every ID number, phone and (monitored or travelling) name sealed.
    for (table, columns) in [
        ("passage_travellers", &["name", "id_number", "phone"][..]),
        ("monitoring_cases", &["name", "id_number", "phone"][..]),
        ("people", &["id_number", "phone"][..]),
    ] {
        for column in columns {
            let values = raw(&t, table, column).await;
            assert!(!values.is_empty());
            let plain: Vec<&String> = values
                .iter()
                .filter(|v| !v.is_empty() && !v.starts_with("enc:k1:") && *v != "（已删除）")
                .collect();
            assert!(
                plain.is_empty(),
                "{table}.{column} holds plaintext: {:?}",
                &plain[..plain.len().min(3)]
            );
            assert!(values
                .iter()
                .all(|v| !v.contains(&id) && !v.contains("13897007777") && !v.contains("马秘密")));
        }
    }
    // A monitored person found by ID number (through the blind index), in either case of X.
    let (case_id, case_number): (i64, String) = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_as(
        "SELECT id, id_number FROM monitoring_cases WHERE jurisdiction_code LIKE '632801%' ORDER BY id LIMIT 1")
        .fetch_one(p).await)
    .expect("a case");
    let number = t.app.crypto.open(&case_number).expect("opens");
    let found = t
        .get_json(
            &format!(
                "/api/v1/monitoring/cases?id_number={}",
                number.to_lowercase()
            ),
            &op,
        )
        .await;
    let ids = common::each_i64(&found, "id");
    assert!(ids.contains(&case_id), "{found}");
    let none = t
        .get_json(&format!("/api/v1/monitoring/cases?id_number={id}"), &op)
        .await;
    assert_eq!(none.as_array().map(Vec::len), Some(0), "{none}");
    // One person per ID number: the same number registers no second person, and a second
    // row with the blind index is refused by the database.
    let body = json!({"name": "马登记", "id_number": id, "phone": "13897001234", "political_status": "masses",
        "categories": ["medical"], "jurisdiction_code": "632801001001"});
    let first = t.post("/api/v1/people", &op, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = t.post("/api/v1/people", &op, body).await;
    assert_eq!(
        again.json()["person"]["id"],
        first.json()["person"]["id"],
        "{}",
        again.text
    );
    let bidx = t.app.crypto.blind_index(&id);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM people WHERE id_bidx = '{bidx}'"
        ))
        .await,
        1
    );
    let dup = dualtrack_store::on_db!(&t.db.db, p => sqlx::query(
        "INSERT INTO people (name, id_number, sex, birth_date, political_status, jurisdiction_code, created_at, id_bidx) \
         SELECT name, 'enc:k1:x', sex, birth_date, political_status, jurisdiction_code, created_at, id_bidx FROM people \
         WHERE id_bidx = $1").bind(&bidx).execute(p).await.map(|_| ()));
    assert!(dup.is_err(), "a second person with the same ID number");
}

async fn a_value_under_a_lost_key_is_an_error_naming_the_key(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let op = t.token("golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let r = t
        .post(
            &format!("/api/v1/checkpoints/{south}/passages"),
            &op,
            passage("马丢失", &id_number("63280119800101772"), "13897006666"),
        )
        .await;
    let pid = r.json()["id"].as_i64().expect("id");
    // The same database with another key file (k1 lost, k2 in its place).
    let other = FieldCrypto::from_text(
        "bidx:0101010101010101010101010101010101010101010101010101010101010101\nk2:ffeeddccbbaa99887766554433221100\n",
    )
    .expect("keys");
    let lost = t.app.clone().with_crypto(other);
    let router = dualtrack_web::router(AppState::new(lost.clone(), WebConfig::default()));
    let lost = TestApp {
        app: lost,
        router,
        db: t.db,
    };
    let r = lost.get(&format!("/api/v1/passages/{pid}"), &op).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text);
    assert!(r.text.contains("密钥 k1"), "{}", r.text);
    assert!(!r.text.contains("马丢失"));
}

async fn rotation_under_load_loses_nothing_and_leaves_nothing_under_the_old_key(engine: Engine) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("data.key");
    let t = encrypted(engine, FieldCrypto::load(&file, true).expect("keys")).await;
    let t = std::sync::Arc::new(t);
    let op = t.token("golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    // The demo's travellers of 2020 are long past their keeping period: erased, they have
    // no ID number and no blind index, and the rotation must not give them one.
    let erased = t.app.erase_expired(&Actor::cli()).await.expect("erase");
    assert!(erased.travellers > 0, "{erased:?}");
    let before = t.count("SELECT COUNT(*) FROM passage_travellers").await;
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let router = t.router.clone();
            let op = op.clone();
            tokio::spawn(async move {
                let mut written = Vec::new();
                for i in 0..15u64 {
                    let n = w * 100 + i;
                    let id = id_number(&format!("63280119900101{n:03}"));
                    let body = passage(&format!("旅客{n}"), &id, &format!("139{:08}", n));
                    let path = format!("/api/v1/checkpoints/{south}/passages");
                    let resp = router
                        .clone()
                        .oneshot(keyed_post(&path, &op, None, &body))
                        .await
                        .expect("send");
                    assert_eq!(resp.status(), StatusCode::CREATED);
                    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                        .await
                        .expect("body");
                    let v: Value = serde_json::from_slice(&bytes).expect("json");
                    written.push((v["id"].as_i64().expect("id"), format!("旅客{n}"), id));
                }
                written
            })
        })
        .collect();
    let rotation = t
        .app
        .rotate_keys(&Actor::cli(), std::time::Duration::from_millis(300))
        .await
        .expect("rotate");
    assert_eq!(rotation.key, "k2");
    let mut written = Vec::new();
    for w in writers {
        written.extend(w.await.expect("writer"));
    }
    let status = t.app.key_status().await.expect("status");
    assert!(
        status.iter().all(|c| c.key.as_deref() == Some("k2")),
        "{status:?}"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM passage_travellers").await,
        before + written.len() as i64
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM passage_travellers WHERE id_number NOT LIKE 'enc:k2:%' AND id_number <> ''").await,
        0
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM passage_travellers WHERE erased_on IS NOT NULL AND id_bidx <> ''"
        )
        .await,
        0
    );
    assert!(std::fs::read_to_string(&file)
        .expect("file")
        .contains("\nk2:"));
    for (pid, name, id) in &written {
        let v = t.get_json(&format!("/api/v1/passages/{pid}"), &op).await;
        assert_eq!(v["travellers"][0]["name"], name.as_str(), "{v}");
        assert_eq!(&unmasked_id(&t, &op, *pid).await, id);
    }
    assert!(t.audit_count("keys.reseal").await > 0);
}

/// A grid's members are registered people, whose phones are sealed: the grid shows them
/// opened and masked, never the stored ciphertext (they were shown as "enc****…").
async fn a_grids_members_phones_are_opened_then_masked(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let gw = t.token("grid_worker").await;
    let r = t.get("/api/v1/grids/632801001001001", &gw).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.text.contains("enc:"), "no ciphertext shown: {}", r.text);
    let members = r.json()["members"].as_array().cloned().unwrap_or_default();
    let phones: Vec<String> = members
        .iter()
        .filter_map(|m| m["phone"].as_str().map(str::to_string))
        .collect();
    assert!(
        !phones.is_empty(),
        "the demo grid's members have phones: {}",
        r.text
    );
    for p in phones {
        let c: Vec<char> = p.chars().collect();
        assert!(
            c.len() == 11
                && c[..3].iter().all(|d| d.is_ascii_digit())
                && c[3..7].iter().all(|d| *d == '*')
                && c[7..].iter().all(|d| d.is_ascii_digit()),
            "a masked mobile number: {p}"
        );
    }
}

on_both_engines!(
    a_grids_members_phones_are_opened_then_masked,
    raw_tables_hold_no_plaintext_and_the_id_number_still_finds_the_person,
    a_value_under_a_lost_key_is_an_error_naming_the_key,
    rotation_under_load_loses_nothing_and_leaves_nothing_under_the_old_key
);
