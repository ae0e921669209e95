//! The last personal data that was stored in plain text: a case's place of quarantine is
//! sealed with its name, ID number and phone; an alert's text and a ticket raised from a
//! follow-up no longer copy the name, temperature or symptoms (the alert's text is composed
//! from the sealed case and follow-up when shown, the ticket names the case to open), and an
//! early release's reason and a fever clinic's finding are sealed too. Rows written before are sealed and rewritten by the
//! migrations and the pass at start.

use crate::common::{id_number, TestApp};
use crate::encryption::{encrypted, raw, KEYS};
use axum::http::StatusCode;
use dualtrack_service::crypto::FieldCrypto;
use dualtrack_service::Actor;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::json;

const GRID: &str = "632801001001001";
const NAME: &str = "隔离秘密名";
const PLACE: &str = "昆仑路隔离秘密 9 号院";
/// Where the person came from (their travel).
const REASON: &str = "自秘密来源地返回";
/// The symptom of the follow-up, as shown (no demo follow-up has it).
const SYMPTOM: &str = "呼吸困难";
const TEMPERATURE: &str = "38.6";

/// The texts that would give the person away, as stored by the older code.
const SECRETS: [&str; 6] = [
    NAME,
    PLACE,
    REASON,
    SYMPTOM,
    "breathing_difficulty",
    TEMPERATURE,
];

/// Every column that holds free text about a ticket, an alert or a case's place.
const TEXT_COLUMNS: [(&str, &str); 9] = [
    ("monitoring_cases", "place"),
    ("monitoring_cases", "reason"),
    ("monitoring_alerts", "message"),
    ("tickets", "title"),
    ("tickets", "description"),
    ("ticket_events", "note"),
    ("notices", "message"),
    ("channel_events", "message"),
    ("audit_log", "detail"),
];

/// Opens a case with two responsible people of 格尔木, over HTTP: its id.
async fn open_case(t: &TestApp, op: &str) -> i64 {
    let mut people = Vec::new();
    for i in 0..2 {
        people.push(
            t.count(&format!(
                "SELECT id FROM people WHERE jurisdiction_code LIKE '632801%' ORDER BY id LIMIT 1 OFFSET {i}"
            ))
            .await,
        );
    }
    t.created(
        "/api/v1/monitoring/cases",
        op,
        json!({
            "kind": "home", "name": NAME, "id_number": id_number("63280119870101661"),
            "phone": "13897006666", "jurisdiction_code": GRID, "place": PLACE,
            "reason": REASON, "last_exposure": "2020-01-20",
            "responsible": [{"person_id": people[0], "duty": "cadre"}, {"person_id": people[1], "duty": "doctor"}],
        }),
    )
    .await
}

/// A follow-up of the case with a fever and breathing difficulty, which refers the person to
/// the fever clinic; made over HTTP.
async fn fever_followup(t: &TestApp, op: &str, case: i64) -> crate::common::Resp {
    let f = t
        .post(
            &format!("/api/v1/monitoring/cases/{case}/followups"),
            op,
            json!({"temperature": 38.6, "symptoms": ["breathing_difficulty"]}),
        )
        .await;
    assert_eq!(f.status, StatusCode::CREATED, "{}", f.text);
    f
}

async fn a_case_its_alerts_and_its_ticket_hold_no_plaintext(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let op = t.token("golmud_operator").await;
    let case = open_case(&t, &op).await;
    let f = fever_followup(&t, &op, case).await;
    assert_eq!(f.json()["alerts"], 2, "{}", f.text);
    let followup = f.json()["followup"]["id"].as_i64().expect("id");
    let r = t
        .post(
            "/api/v1/tickets",
            &op,
            json!({"source": "followup", "source_id": followup, "kind": "emergency"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ticket = r.json()["ticket"]["id"].as_i64().expect("id");

    // Stored: no place, name, temperature or symptom in plain text anywhere.
    for (table, column) in TEXT_COLUMNS {
        let values = raw(&t, table, column).await;
        for s in SECRETS {
            let with: Vec<&String> = values.iter().filter(|v| v.contains(s)).collect();
            assert!(with.is_empty(), "{table}.{column} holds {s}: {with:?}");
        }
    }
    for column in ["place", "reason"] {
        let values = raw(&t, "monitoring_cases", column).await;
        assert!(
            values
                .iter()
                .all(|v| v.is_empty() || v.starts_with("enc:k1:")),
            "every {column} sealed"
        );
    }

    // Shown opened to those in scope: the case's place, the alert composed in full.
    let d = t
        .get_json(&format!("/api/v1/monitoring/cases/{case}"), &op)
        .await;
    assert_eq!(d["case"]["place"], PLACE, "{d}");
    assert_eq!(d["case"]["reason"], REASON, "{d}");
    let alerts = t
        .get_json(&format!("/api/v1/monitoring/cases/{case}/alerts"), &op)
        .await;
    let texts: Vec<&str> = crate::common::each_str(&alerts, "message");
    assert_eq!(texts.len(), 2, "{alerts}");
    for m in &texts {
        for s in [NAME, SYMPTOM, TEMPERATURE, "已转诊至"] {
            assert!(m.contains(s), "the alert shows {s}: {m}");
        }
    }
    let page = t
        .browser("golmud_operator")
        .await
        .page(&format!("/monitoring/cases/{case}"))
        .await;
    assert!(page.text.contains(PLACE), "the case page shows the place");
    assert!(
        page.text.contains(texts[0]),
        "the case page shows the alert"
    );
    let list = t
        .browser("golmud_operator")
        .await
        .page("/monitoring/cases")
        .await;
    assert!(!list.text.contains("enc:k"), "the list shows no ciphertext");

    // The ticket says what is needed and links the case, which the operator may open.
    let v = t.get_json(&format!("/api/v1/tickets/{ticket}"), &op).await;
    let description = v["ticket"]["description"].as_str().unwrap_or_default();
    assert!(description.contains("需转运/就医"), "{description}");
    assert!(
        description.contains(&format!("/monitoring/cases/{case}")),
        "{description}"
    );
    let page = t
        .browser("golmud_operator")
        .await
        .page(&format!("/tickets/{ticket}"))
        .await;
    assert!(
        page.text
            .contains(&format!("href=\"/monitoring/cases/{case}\"")),
        "the ticket links the case"
    );
    // Another county's operator opens neither the case nor its details.
    let sibling = t.token("delingha_operator").await;
    let other = t
        .get(&format!("/api/v1/monitoring/cases/{case}"), &sibling)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);
    assert!(!other.text.contains(PLACE));
}

/// A case, an alert and a ticket as the older code wrote them: the case sealed under k1
/// but its place plain, the alert naming the person and symptoms, the ticket the symptoms.
async fn write_old_rows(t: &TestApp) -> (i64, i64) {
    let case = t.first_in("monitoring_cases", "632801").await;
    let followup = t
        .count(&format!(
            "SELECT MIN(id) FROM monitoring_followups WHERE case_id = {case}"
        ))
        .await;
    let person = t
        .count("SELECT MIN(id) FROM people WHERE jurisdiction_code LIKE '632801%'")
        .await;
    let ticket = t.count("SELECT MIN(id) FROM tickets").await;
    let statements = [
        format!("UPDATE monitoring_cases SET place = '{PLACE}', reason = '{REASON}' WHERE id = {case}"),
        format!(
            "INSERT INTO monitoring_cases (kind, name, id_number, phone, jurisdiction_code, place, reason, \
             last_exposure, start_date, planned_end, status, next_due_at, created_by, created_at) \
             SELECT kind, '{NAME}', '{}', NULL, jurisdiction_code, '{PLACE}（旧）', reason, last_exposure, \
             start_date, planned_end, status, next_due_at, created_by, created_at FROM monitoring_cases WHERE id = {case}",
            id_number("63280119870101662")
        ),
        format!(
            "INSERT INTO monitoring_alerts (case_id, person_id, followup_id, kind, message, created_at) \
             SELECT {case}, {person}, {followup}, 'referral', \
             '{NAME}（居家隔离）随访异常：体温 {TEMPERATURE} ℃，症状 {SYMPTOM}，已转诊至旧发热门诊', created_at \
             FROM monitoring_cases WHERE id = {case}"
        ),
        format!(
            "UPDATE tickets SET source_kind = 'followup', source_id = {followup}, \
             title = '居家隔离对象（第 {case} 号）2020-02-05 10:00 随访异常：体', \
             description = '居家隔离对象（第 {case} 号）2020-02-05 10:00 随访异常：体温 {TEMPERATURE} ℃，症状 {SYMPTOM}，需卫健部门处置' \
             WHERE id = {ticket}"
        ),
    ];
    for sql in statements {
        dualtrack_store::on_db!(&t.db.db, p => sqlx::query(&sql).execute(p).await.map(|_| ()))
            .expect("old row");
    }
    (case, ticket)
}

/// The migration that hands the old rows over (run again: it only rewrites what is old).
async fn run_migration(t: &TestApp) {
    let sql = match &t.db.db {
        dualtrack_store::Db::Sqlite(_) => {
            include_str!("../../../store/migrations/sqlite/0062_last_plain_personal_data.sql")
        }
        dualtrack_store::Db::Postgres(_) => {
            include_str!("../../../store/migrations/postgres/0062_last_plain_personal_data.sql")
        }
    };
    dualtrack_store::on_db!(&t.db.db, p => sqlx::raw_sql(sql).execute(p).await.map(|_| ()))
        .expect("migration");
}

async fn rows_written_before_are_sealed_and_rewritten(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let (case, ticket) = write_old_rows(&t).await;
    assert!(
        raw(&t, "monitoring_cases", "place")
            .await
            .iter()
            .any(|v| v == PLACE),
        "written plain"
    );
    run_migration(&t).await;
    let cli = Actor::cli();
    let sealed = t.app.reseal_pass(&cli).await.expect("pass");
    assert_eq!(sealed, 2, "the old case and the new plain one");
    for (table, column) in TEXT_COLUMNS {
        let values = raw(&t, table, column).await;
        for s in SECRETS {
            assert!(
                values.iter().all(|v| !v.contains(s)),
                "{table}.{column} holds {s}"
            );
        }
    }
    let unsealed = t
        .count("SELECT COUNT(*) FROM monitoring_cases WHERE enc_key IS NULL OR enc_key <> 'k1'")
        .await;
    assert_eq!(unsealed, 0, "every case under k1");
    // A second pass finds nothing to write.
    let audits = t.audit_count("keys.reseal").await;
    assert_eq!(t.app.reseal_pass(&cli).await.expect("again"), 0);
    assert_eq!(t.audit_count("keys.reseal").await, audits);
    // Opened where shown: the place, the alert composed, the ticket naming the case.
    let op = t.token("golmud_operator").await;
    let d = t
        .get_json(&format!("/api/v1/monitoring/cases/{case}"), &op)
        .await;
    assert_eq!(d["case"]["place"], PLACE, "{d}");
    assert_eq!(d["case"]["reason"], REASON, "{d}");
    let name = d["case"]["name"].as_str().unwrap_or_default();
    let old = d["alerts"]
        .as_array()
        .and_then(|l| {
            l.iter().find(|a| {
                a["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("旧发热门诊"))
            })
        })
        .map(|a| a["message"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    assert!(
        old.starts_with(name) && old.ends_with("已转诊至旧发热门诊"),
        "{old}"
    );
    let v = t.get_json(&format!("/api/v1/tickets/{ticket}"), &op).await;
    let description = v["ticket"]["description"].as_str().unwrap_or_default();
    assert!(
        description.contains(&format!("/monitoring/cases/{case}")),
        "{description}"
    );
    assert!(
        !v["ticket"]["title"]
            .as_str()
            .unwrap_or_default()
            .contains("2020-02-05"),
        "{v}"
    );
}

/// The doctor's decision on an early release.
const RELEASE_REASON: &str = "经秘密医生评估核酸两次阴性";
/// The fever clinic's finding when the referred person is put back under monitoring.
const FINDING: &str = "秘密门诊排除新冠肺炎";

/// The fever clinic's finding and an early release's reason are sealed with the case's other
/// values and kept out of the audit log; shown to the operator, refused to another county; a
/// reason written plain before is sealed by the pass at start, once the migration hands it over.
async fn a_finding_and_an_early_release_reason_are_sealed(engine: Engine) {
    let t = encrypted(engine, FieldCrypto::from_text(KEYS).expect("keys")).await;
    let op = t.token("golmud_operator").await;
    let case = open_case(&t, &op).await;
    fever_followup(&t, &op, case).await;
    let r = t
        .post(
            &format!("/api/v1/monitoring/cases/{case}/resume"),
            &op,
            json!({"finding": FINDING}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["resume_finding"], FINDING, "{}", r.text);
    let r = t
        .post(
            &format!("/api/v1/monitoring/cases/{case}/release"),
            &op,
            json!({"reason": RELEASE_REASON}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["release_reason"], RELEASE_REASON, "{}", r.text);
    for (table, column) in [
        ("monitoring_cases", "release_reason"),
        ("monitoring_cases", "resume_finding"),
        ("audit_log", "detail"),
    ] {
        let values = raw(&t, table, column).await;
        for secret in ["秘密医生", "秘密门诊"] {
            assert!(
                values.iter().all(|v| !v.contains(secret)),
                "{table}.{column} holds {secret}"
            );
        }
    }
    let stored = raw(&t, "monitoring_cases", "release_reason").await;
    assert!(
        stored.iter().any(|v| v.starts_with("enc:k1:")),
        "sealed: {stored:?}"
    );
    let d = t
        .get_json(&format!("/api/v1/monitoring/cases/{case}"), &op)
        .await;
    assert_eq!(d["case"]["release_reason"], RELEASE_REASON, "{d}");
    assert_eq!(d["case"]["resume_finding"], FINDING, "{d}");
    let page = t
        .browser("golmud_operator")
        .await
        .page(&format!("/monitoring/cases/{case}"))
        .await;
    assert!(page.text.contains(FINDING) && page.text.contains(RELEASE_REASON));
    let sibling = t.token("delingha_operator").await;
    let other = t
        .get(&format!("/api/v1/monitoring/cases/{case}"), &sibling)
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.text);

    // Written plain by the older code: the migration hands the row to the pass, which seals it.
    let plain = format!(
        "UPDATE monitoring_cases SET release_reason = '{RELEASE_REASON}' WHERE id = {case}"
    );
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(&plain).execute(p).await.map(|_| ()))
        .expect("old row");
    let sql = match &t.db.db {
        dualtrack_store::Db::Sqlite(_) => {
            include_str!("../../../store/migrations/sqlite/0064_release_reason_and_keyword.sql")
        }
        dualtrack_store::Db::Postgres(_) => {
            include_str!("../../../store/migrations/postgres/0064_release_reason_and_keyword.sql")
        }
    };
    // The statements on the cases only (the column it adds is there already).
    let cases = sql.split("\n\n--").next().unwrap_or_default();
    dualtrack_store::on_db!(&t.db.db, p => sqlx::raw_sql(cases).execute(p).await.map(|_| ()))
        .expect("migration");
    assert_eq!(t.app.reseal_pass(&Actor::cli()).await.expect("pass"), 1);
    let stored = raw(&t, "monitoring_cases", "release_reason").await;
    assert!(
        stored.iter().all(|v| !v.contains("秘密医生")),
        "sealed again: {stored:?}"
    );
    let d = t
        .get_json(&format!("/api/v1/monitoring/cases/{case}"), &op)
        .await;
    assert_eq!(d["case"]["release_reason"], RELEASE_REASON, "{d}");
}

on_both_engines!(
    a_case_its_alerts_and_its_ticket_hold_no_plaintext,
    rows_written_before_are_sealed_and_rewritten,
    a_finding_and_an_early_release_reason_are_sealed
);
