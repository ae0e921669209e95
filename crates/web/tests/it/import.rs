//! Excel import and export of people: templates, all-or-nothing imports with a per-row
//! report, masked exports.

use crate::common;
use common::id_number;

use axum::http::StatusCode;
use common::{Resp, TestApp};
use dualtrack_service::import::PEOPLE_COLUMNS;
use dualtrack_service::spreadsheet;
use dualtrack_testkit::{on_both_engines, Engine};

fn row(name: &str, id: &str, place: &str) -> Vec<String> {
    [
        name,
        id,
        "13897005678",
        "中共党员",
        "在职党员、志愿者",
        place,
        "格尔木市第一中学",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

async fn upload(t: &TestApp, token: &str, bytes: Vec<u8>) -> Resp {
    t.upload(token, "/api/v1/people/import", bytes).await
}

async fn a_good_file_is_imported_whole(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (status, template) = t.download(&op, "/api/v1/people/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&template).expect("template reads");
    assert_eq!(sheet.headers[1], "身份证号*");
    let known = t.first_in("people", "632801").await;
    let known_id: String = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(&format!("SELECT id_number FROM people WHERE id = {known}")).fetch_one(p).await.expect("id"));
    let rows = vec![
        row("马建国", &id_number("63280119750101003"), "632801001001"),
        row("韩秀兰", &id_number("63280119800202004"), "632801001002"),
        row("已登记", &known_id, "632801001001"),
    ];
    let people = t.count("SELECT COUNT(*) FROM people").await;
    let r = upload(
        &t,
        &op,
        spreadsheet::write("人员", PEOPLE_COLUMNS, &rows, "").expect("xlsx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["created"], 2);
    assert_eq!(r.json()["existing"], 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, people + 2);
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM person_categories WHERE person_id = {known} AND category = 'volunteer'")).await, 1);
    assert_eq!(t.audit_count("import").await, 1);
}

async fn one_bad_row_rejects_the_file_and_names_the_row(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let good = id_number("63280119750101003");
    let mut bad = id_number("63280119800202004");
    let last = if bad.ends_with('1') { "2" } else { "1" };
    bad.replace_range(17..18, last);
    let rows = vec![
        row("马建国", &good, "632801001001"),
        row("韩秀兰", &bad, "632801001002"),
        row("越界", &id_number("63280219900303005"), "632802001001"),
        row("重复", &good, "632801001001"),
    ];
    let people = t.count("SELECT COUNT(*) FROM people").await;
    let r = upload(
        &t,
        &op,
        spreadsheet::write("人员", PEOPLE_COLUMNS, &rows, "").expect("xlsx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let e = r.json()["error"].clone();
    assert_eq!(e["code"], "import_rejected");
    assert!(
        e["message"].as_str().unwrap_or("").contains("第 3 行"),
        "{e}"
    );
    assert!(
        e["fields"]["第 3 行 身份证号"]
            .as_str()
            .unwrap_or("")
            .contains("校验位"),
        "{e}"
    );
    assert!(
        e["fields"]["第 4 行 所属区划代码"]
            .as_str()
            .unwrap_or("")
            .contains("管辖范围"),
        "{e}"
    );
    assert!(
        e["fields"]["第 5 行 身份证号"]
            .as_str()
            .unwrap_or("")
            .contains("第 2 行"),
        "{e}"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM people").await,
        people,
        "nothing written"
    );
    assert_eq!(t.audit_count("import").await, 0);
    // Not a spreadsheet at all; a sheet without the required columns.
    let r = upload(&t, &op, b"hello".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field_error("file").contains("xlsx"));
    let r = upload(
        &t,
        &op,
        spreadsheet::write("x", &[("姓名", true)], &[vec!["张三".into()]], "").expect("xlsx"),
    )
    .await;
    assert!(r.field_error("file").contains("身份证号"));
    // A leader may not import.
    let leader = t.token("golmud_leader").await;
    let r = upload(
        &t,
        &leader,
        spreadsheet::write("人员", PEOPLE_COLUMNS, &rows[..1], "").expect("xlsx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn exports_are_masked_unless_unmasked(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    let (status, bytes) = t
        .download(&op, "/api/v1/people/export.xlsx?category=medical")
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&bytes).expect("reads");
    assert!(!sheet.rows.is_empty());
    for (_, cells) in &sheet.rows {
        assert!(cells[1].contains("********"), "masked: {cells:?}");
        assert!(cells[5].starts_with("632801"), "in scope: {cells:?}");
        assert!(cells[4].contains("医务人员"));
    }
    assert_eq!(t.audit_count("export").await, 1);
    let before = t.audit_count("personal.unmask").await;
    let (status, bytes) = t
        .download(
            &op,
            "/api/v1/people/export.xlsx?category=medical&unmask=true",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sheet = spreadsheet::read(&bytes).expect("reads");
    assert!(sheet
        .rows
        .iter()
        .all(|(_, c)| c[1].len() == 18 && !c[1].contains('*')));
    assert_eq!(t.audit_count("personal.unmask").await, before + 1);
    let leader = t.token("golmud_leader").await;
    let (status, _) = t
        .download(&leader, "/api/v1/people/export.xlsx?unmask=true")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Organisations standing on a day, and who was on duty that day, for a leader too.
    let (status, bytes) = t
        .download(
            &leader,
            "/api/v1/organisations/export.xlsx?kind=temp_branch&as_of=2020-02-28",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let orgs = spreadsheet::read(&bytes).expect("reads");
    let api = t
        .get(
            "/api/v1/organisations?kind=temp_branch&as_of=2020-02-28",
            &leader,
        )
        .await
        .json();
    assert_eq!(
        orgs.rows.len(),
        api.as_array().map(|a| a.len()).unwrap_or(0)
    );
    assert!(orgs
        .rows
        .iter()
        .all(|(_, c)| c[0] == "临时党支部" && c[2].starts_with("632801")));
    let (status, bytes) = t
        .download(&leader, "/api/v1/deployments/export.xlsx?on_day=2020-02-28")
        .await;
    assert_eq!(status, StatusCode::OK);
    let deps = spreadsheet::read(&bytes).expect("reads");
    let on_duty = t
        .get("/api/v1/mobilisation/figures?as_of=2020-02-28", &leader)
        .await
        .json()["on_duty"]
        .as_i64()
        .unwrap_or(0);
    assert!(
        deps.rows.len() as i64 >= on_duty && on_duty > 0,
        "{} rows, {on_duty} on duty",
        deps.rows.len()
    );
    let (status, _) = t
        .download(&leader, "/api/v1/deployments/export.xlsx?on_day=2020-02-30")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.audit_count("export").await, 4);
}

async fn organisations_and_deployments_import_whole_or_not_at_all(engine: Engine) {
    use dualtrack_service::import::{DEPLOYMENT_COLUMNS, ORG_COLUMNS};
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    for path in [
        "/api/v1/organisations/template.xlsx",
        "/api/v1/deployments/template.xlsx",
    ] {
        let (status, bytes) = t.download(&op, path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(spreadsheet::read(&bytes)
            .expect("reads")
            .headers
            .iter()
            .any(|h| h.ends_with('*')));
    }
    let known: String = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(
        "SELECT id_number FROM people WHERE jurisdiction_code LIKE '632801%' ORDER BY id LIMIT 1").fetch_one(p).await.expect("id"));
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let orgs = vec![
        strings(&[
            "党员突击队",
            "格尔木市第一突击队",
            "632801",
            "社区",
            "",
            "2020-02-03",
            "",
            &known,
        ]),
        strings(&[
            "临时党支部",
            "坏日期支部",
            "632801",
            "卡口",
            "G109",
            "2020年2月3日",
            "",
            "",
        ]),
    ];
    let before = t.count("SELECT COUNT(*) FROM organisations").await;
    let r = t
        .upload(
            &op,
            "/api/v1/organisations/import",
            spreadsheet::write("组织", ORG_COLUMNS, &orgs, "").expect("xlsx"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]["fields"]["第 3 行 成立日期"].is_string(),
        "{}",
        r.text
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM organisations").await, before);
    let r = t
        .upload(
            &op,
            "/api/v1/organisations/import",
            spreadsheet::write("组织", ORG_COLUMNS, &orgs[..1], "").expect("xlsx"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["imported"], 1);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM organisations").await,
        before + 1
    );
    let unknown = id_number("63280119991231001");
    let deps = vec![
        strings(&[
            &known,
            "632801001001",
            "卡口",
            "G109 格尔木南卡口",
            "卡口值守",
            "2020-02-05",
            "2020-02-20",
        ]),
        strings(&[&unknown, "632801001001", "", "", "值守", "2020-02-05", ""]),
    ];
    let before = t.count("SELECT COUNT(*) FROM deployments").await;
    let r = t
        .upload(
            &op,
            "/api/v1/deployments/import",
            spreadsheet::write("派驻", DEPLOYMENT_COLUMNS, &deps, "").expect("xlsx"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.field_error("第 3 行 身份证号").contains("未登记"),
        "{}",
        r.text
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM deployments").await, before);
    let r = t
        .upload(
            &op,
            "/api/v1/deployments/import",
            spreadsheet::write("派驻", DEPLOYMENT_COLUMNS, &deps[..1], "").expect("xlsx"),
        )
        .await;
    assert_eq!(r.json()["imported"], 1);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM deployments").await,
        before + 1
    );
}

/// Each template, sent back as it was downloaded, imports its example row: the example
/// teaches what a good row is, so it must be one.
async fn templates_import_as_they_come(engine: Engine) {
    let (t, op) = TestApp::as_user(engine, "golmud_operator").await;
    for (template, import) in [
        ("/api/v1/people/template.xlsx", "/api/v1/people/import"),
        (
            "/api/v1/organisations/template.xlsx",
            "/api/v1/organisations/import",
        ),
        (
            "/api/v1/deployments/template.xlsx",
            "/api/v1/deployments/import",
        ),
    ] {
        let (status, bytes) = t.download(&op, template).await;
        assert_eq!(status, StatusCode::OK, "{template}");
        let r = t.upload(&op, import, bytes).await;
        assert_eq!(r.status, StatusCode::OK, "{import}: {}", r.text);
    }
}

on_both_engines!(
    templates_import_as_they_come,
    organisations_and_deployments_import_whole_or_not_at_all,
    a_good_file_is_imported_whole,
    one_bad_row_rejects_the_file_and_names_the_row,
    exports_are_masked_unless_unmasked
);
