//! The campaign, policy document and cadre file pages as a browser uses them: the demo's
//! 千名干部下乡 figures, documents linked to what they set up, front-line records written by
//! the organization department and read by the chain of command — within scope only, every
//! form with its CSRF token, and bad input shown on the form naming the field.

use crate::common;

use axum::http::StatusCode;
use common::{figure_in, id_in, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};

/// The message of the form's error box.
fn alert(html: &str) -> String {
    let re = regex::Regex::new(r#"<p class="error" role="alert">([^<]*)</p>"#).expect("regex");
    re.captures(html)
        .map(|c| c[1].to_string())
        .unwrap_or_else(|| panic!("no error message in {html}"))
}

/// Text as the templates escape it.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// A cadre of 格尔木: a member of a work group there.
async fn golmud_cadre(t: &TestApp) -> i64 {
    t.count(
        "SELECT MIN(p.id) FROM people p JOIN org_members m ON m.person_id = p.id \
         JOIN organisations o ON o.id = m.org_id \
         WHERE o.kind = 'work_group' AND o.jurisdiction_code = '632801'",
    )
    .await
}

async fn the_demo_campaign_and_documents_are_listed(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("haixi_org").await;
    let m = b.page("/mobilisation").await;
    assert!(m.text.contains(r#"href="/campaigns""#), "{}", m.text);
    assert!(m.text.contains(r#"href="/documents""#), "{}", m.text);

    let qian = t
        .count("SELECT MIN(id) FROM campaigns WHERE name = '千名干部下乡活动'")
        .await;
    let list = b.page("/campaigns").await;
    assert!(list.text.contains("千名干部下乡活动"));
    assert!(list.text.contains("下派人数") && list.text.contains("覆盖村（社区）"));
    assert_eq!(figure_in(&list.text, &format!("sent-{qian}")), 1000);
    let covered = t
        .count(&format!(
            "SELECT COUNT(DISTINCT place_code) FROM campaign_people WHERE campaign_id = {qian}"
        ))
        .await;
    assert_eq!(figure_in(&list.text, &format!("covered-{qian}")), covered);
    let page = b.page(&format!("/campaigns/{qian}")).await;
    assert_eq!(figure_in(&page.text, "people-sent"), 1000);
    assert_eq!(figure_in(&page.text, "places-covered"), covered);
    assert!(page
        .text
        .contains(&format!(r#"action="/campaigns/{qian}/people""#)));

    let docs = b.page("/documents").await;
    let tok = t.token("haixi_org").await;
    let api = t.get("/api/v1/documents", &tok).await.json();
    let api = api.as_array().cloned().unwrap_or_default();
    assert_eq!(api.len(), 3);
    for d in &api {
        let title = d["title"].as_str().unwrap_or("");
        assert!(docs.text.contains(&escaped(title)), "{title} not listed");
    }
    let linked = api
        .iter()
        .find(|d| {
            d["links"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x["kind"] == "organisation"))
        })
        .and_then(|d| d["id"].as_i64())
        .expect("a document that set up organisations");
    let doc = b.page(&format!("/documents/{linked}")).await;
    assert!(doc.text.contains("据此设立的组织"));
    assert!(
        doc.text.contains(r#"<a href="/organisations/"#),
        "{}",
        doc.text
    );

    // A leader reads but is offered no forms.
    let mut leader = t.browser("golmud_leader").await;
    let r = leader.page("/campaigns").await;
    assert!(!r.text.contains("/campaigns/new"));
    assert_eq!(
        leader.get("/campaigns/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        leader.get("/documents/new").await.status,
        StatusCode::FORBIDDEN
    );
    // No such record, or not a number: not found.
    assert_eq!(
        b.get("/campaigns/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(b.get("/documents/abc").await.status, StatusCode::NOT_FOUND);
}

async fn campaigns_and_documents_through_the_forms(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("delingha_operator").await;
    let form = b.page("/campaigns/new").await;
    assert!(form.text.contains(r#"name="csrf_token""#));
    assert!(form
        .text
        .contains(r#"name="jurisdiction_code" value="632802""#));
    let campaign = [
        ("name", "德令哈春耕帮扶"),
        ("theme", "稳产保供"),
        ("jurisdiction_code", "632802"),
        ("start_on", "2020-03-01"),
        ("end_on", ""),
    ];
    let before = t.count("SELECT COUNT(*) FROM campaigns").await;
    // Without the token: refused, nothing written.
    let r = b.post("/campaigns", &campaign, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM campaigns").await, before);
    // A bad date: the form again, keeping the input, naming the field.
    let mut bad = campaign;
    bad[3] = ("start_on", "2020-02-30");
    let r = b.post("/campaigns", &bad, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        alert(&r.text).contains("开始日期") && alert(&r.text).contains("日期格式"),
        "{}",
        r.text
    );
    assert!(r.text.contains(r#"value="德令哈春耕帮扶""#));
    assert_eq!(t.count("SELECT COUNT(*) FROM campaigns").await, before);
    let r = b.submit("/campaigns", &campaign).await;
    let cid = id_in(&r.location());
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("活动已建立") && page.text.contains("德令哈春耕帮扶"));
    assert_eq!(figure_in(&page.text, "people-sent"), 0);

    // Sending a person to a village of 德令哈.
    let pid = t.first_in("people", "632802").await;
    let village = t
        .count("SELECT MIN(CAST(code AS BIGINT)) FROM jurisdictions WHERE code LIKE '632802%' AND level = 5")
        .await
        .to_string();
    let pid_s = pid.to_string();
    let path = format!("/campaigns/{cid}/people");
    let r = b
        .post(
            &path,
            &[
                ("person_id", &pid_s),
                ("place_code", &village),
                ("sent_on", "2020-3-2x"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(alert(&r.text).contains("下派日期"), "{}", r.text);
    let r = b
        .post(
            &path,
            &[
                ("person_id", "x"),
                ("place_code", &village),
                ("sent_on", "2020-03-02"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(alert(&r.text).contains("人员编号"), "{}", r.text);
    let r = b
        .post(
            &path,
            &[
                ("person_id", &pid_s),
                ("place_code", "632802"),
                ("sent_on", "2020-03-02"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(alert(&r.text).contains("村（社区）"), "{}", r.text);
    let send = [
        ("person_id", pid_s.as_str()),
        ("place_code", &village),
        ("sent_on", "2020-03-02"),
    ];
    let r = b.post(&path, &send, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.submit(&path, &send).await;
    let page = b.get(&r.location()).await;
    assert_eq!(figure_in(&page.text, "people-sent"), 1);
    assert_eq!(figure_in(&page.text, "places-covered"), 1);
    let r = b.post(&path, &send, true).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.text.contains("已在本次活动名单中"));

    // A document that set up an organisation and the campaign.
    let org = t.first_in("organisations", "632802").await;
    let ids = format!("{org}，");
    let cids = cid.to_string();
    let mut doc = vec![
        ("title", "德令哈市春耕生产工作方案"),
        ("issuer", "德令哈市委"),
        ("doc_number", "德委〔2020〕8号"),
        ("issued_on", "2020-02-29"),
        ("measures", "干部下乡\n帮扶春耕"),
        ("jurisdiction_code", "632802"),
        ("organisation_ids", ids.as_str()),
        ("campaign_ids", cids.as_str()),
    ];
    let docs_before = t.count("SELECT COUNT(*) FROM policy_documents").await;
    let r = b.post("/documents", &doc, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    doc[3] = ("issued_on", "29/02/2020");
    let r = b.post("/documents", &doc, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(alert(&r.text).contains("发文日期"), "{}", r.text);
    doc[3] = ("issued_on", "2020-02-29");
    doc[6] = ("organisation_ids", "12;abc");
    let r = b.post("/documents", &doc, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        alert(&r.text).contains("设立的组织编号") && alert(&r.text).contains("abc"),
        "{}",
        r.text
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM policy_documents").await,
        docs_before
    );
    doc[6] = ("organisation_ids", ids.as_str());
    let r = b.submit("/documents", &doc).await;
    let did = id_in(&r.location());
    let page = b.page(&r.location()).await;
    assert!(page.text.contains("德令哈市春耕生产工作方案"));
    assert!(page
        .text
        .contains(&format!(r#"href="/organisations/{org}""#)));
    assert!(page.text.contains(&format!(r#"href="/campaigns/{cid}""#)));

    // 格尔木 does not see 德令哈's campaign or document.
    let mut gm = t.browser("golmud_operator").await;
    assert_eq!(
        gm.get(&format!("/campaigns/{cid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        gm.get(&format!("/documents/{did}")).await.status,
        StatusCode::NOT_FOUND
    );
    let list = gm.get("/campaigns").await;
    assert!(!list.text.contains("德令哈春耕帮扶"));
    let list = gm.get("/documents").await;
    assert!(!list.text.contains("德令哈市春耕生产工作方案"));
    // Nor can it send people by it.
    let r = gm.post(&path, &send, true).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM campaign_people WHERE campaign_id = {cid}"
        ))
        .await,
        1
    );
}

async fn cadre_files_for_the_department_and_the_chain_of_command(engine: Engine) {
    let t = TestApp::new(engine).await;
    let cadre = golmud_cadre(&t).await;
    assert!(cadre > 0, "a cadre in a 格尔木 work group");
    let path = format!("/people/{cadre}/cadre");
    let mut org = t.browser("haixi_org").await;
    let person = org.get(&format!("/people/{cadre}")).await;
    assert!(
        person.text.contains(&format!(r#"href="{path}""#)),
        "{}",
        person.text
    );
    assert!(person.text.contains("一线考察档案"));
    let page = org.page(&path).await;
    assert!(page.text.contains(&format!(r#"action="{path}""#)));
    assert!(page.text.contains("表扬嘉奖") && page.text.contains("一线观察"));
    // The ID number is masked.
    assert!(page.text.contains('*'), "{}", page.text);

    let before = t.count("SELECT COUNT(*) FROM cadre_records").await;
    let record = [
        ("kind", "commendation"),
        ("recorded_on", "2020-02-20"),
        ("content", "连续值守卡口二十天，表现突出"),
    ];
    let r = org.post(&path, &record, false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.count("SELECT COUNT(*) FROM cadre_records").await, before);
    let r = org
        .post(
            &path,
            &[
                ("kind", "commendation"),
                ("recorded_on", "2020-02-31"),
                ("content", "表现突出"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        alert(&r.text).contains("记录日期") && alert(&r.text).contains("日期格式"),
        "{}",
        r.text
    );
    assert!(r.text.contains("表现突出"), "input kept");
    let r = org
        .post(
            &path,
            &[
                ("kind", "praise"),
                ("recorded_on", "2020-02-20"),
                ("content", "x"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(alert(&r.text).contains("记录类型"), "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM cadre_records").await, before);
    let r = org.submit(&path, &record).await;
    let page = org.get(&r.location()).await;
    assert!(page.text.contains("考察记录已保存"));
    assert!(page.text.contains("连续值守卡口二十天，表现突出"));
    assert!(page.text.contains("2020-02-20") && page.text.contains("haixi_org"));
    assert_eq!(
        t.count("SELECT COUNT(*) FROM cadre_records").await,
        before + 1
    );

    // The cadre's chain of command reads, without the form.
    let mut leader = t.browser("golmud_leader").await;
    let person = leader.get(&format!("/people/{cadre}")).await;
    assert!(person.text.contains(&format!(r#"href="{path}""#)));
    let page = leader.page(&path).await;
    assert!(page.text.contains("连续值守卡口二十天，表现突出"));
    assert!(!page.text.contains(&format!(r#"action="{path}""#)));
    assert!(!page.text.contains("新增考察记录"));
    let r = leader.post(&path, &record, true).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // An operator: no link, and the page is forbidden.
    let mut op = t.browser("golmud_operator").await;
    let person = op.page(&format!("/people/{cadre}")).await;
    assert!(!person.text.contains(&format!(r#"href="{path}""#)));
    assert_eq!(op.get(&path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        op.post(&path, &record, true).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM cadre_records").await,
        before + 1
    );

    // Another county's leader: not found.
    let dlh_leader = t.add_user("dlh_leader2", "leader", "632802").await;
    assert!(dlh_leader > 0);
    let mut other = t.browser("dlh_leader2").await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
}

async fn registered_members_have_their_service_logged_from_their_page(engine: Engine) {
    let t = TestApp::new(engine).await;
    let pid = t
        .count(
            "SELECT MIN(r.person_id) FROM registrations r WHERE r.jurisdiction_code LIKE '632801%'",
        )
        .await;
    let reg = t
        .count(&format!(
            "SELECT MIN(id) FROM registrations WHERE person_id = {pid}"
        ))
        .await;
    let mut b = t.browser("golmud_operator").await;
    let page = b.get(&format!("/people/{pid}")).await;
    assert!(
        page.text.contains("社区报到与服务")
            && page.text.contains("累计服务 <strong>0</strong> 小时"),
        "{}",
        page.text
    );
    let path = format!("/people/{pid}/registrations/{reg}/service");
    let r = b
        .post(
            &path,
            &[
                ("served_on", "2020-02-15"),
                ("hours", "三"),
                ("description", "入户排查"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("服务时长"));
    let r = b
        .post(
            &path,
            &[
                ("served_on", "2020-02-15"),
                ("hours", "3"),
                ("description", "入户排查"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    b.submit(
        &path,
        &[
            ("served_on", "2020-02-15"),
            ("hours", "3"),
            ("description", "入户排查"),
        ],
    )
    .await;
    let page = b.get(&format!("/people/{pid}")).await;
    assert!(
        page.text.contains("累计服务 <strong>3</strong> 小时") && page.text.contains("入户排查")
    );
    // The demo campaign's page lists the people it sent.
    let mut org = t.browser("haixi_org").await;
    let cid = t.count("SELECT MIN(id) FROM campaigns").await;
    let page = org.get(&format!("/campaigns/{cid}")).await;
    assert!(
        page.text.contains("下派名单（1000）"),
        "{}",
        &page.text[..page.text.len().min(2000)]
    );
}

async fn return_registration_and_application_from_the_person_page(engine: Engine) {
    let t = TestApp::new(engine).await;
    let pid = t.first_in("people", "632801001").await;
    let home: String = dualtrack_store::on_db!(&t.db.db, p => sqlx::query_scalar::<_, String>(
        &format!("SELECT jurisdiction_code FROM people WHERE id = {pid}")).fetch_one(p).await.expect("home"));
    let tok = t.token("golmud_operator").await;
    let figures = "/api/v1/mobilisation/figures?as_of=2020-02-28";
    let before = t.get(figures, &tok).await.json();
    let mut b = t.browser("golmud_operator").await;
    let page = b.get(&format!("/people/{pid}")).await;
    assert!(page.text.contains("登记返岗") && page.text.contains("提交请战书"));
    b.submit(
        &format!("/people/{pid}/return"),
        &[
            ("jurisdiction_code", &home),
            ("post", "驻村工作队员"),
            ("returned_on", "2020-01-30"),
            ("expected_on", "2020-02-03"),
        ],
    )
    .await;
    let r = b
        .post(
            &format!("/people/{pid}/community"),
            &[
                ("jurisdiction_code", "632801001001"),
                ("registered_on", "2020-02-10"),
                ("grid_code", "632801002001001"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("网格须属于报到的社区"));
    b.submit(
        &format!("/people/{pid}/application"),
        &[
            ("jurisdiction_code", &home),
            ("submitted_on", "2020-02-11"),
            ("wish", "请求到卡口值守"),
        ],
    )
    .await;
    let after = t.get(figures, &tok).await.json();
    assert_eq!(
        after["returned_early"].as_i64(),
        before["returned_early"].as_i64().map(|n| n + 1)
    );
    assert_eq!(
        after["applications"].as_i64(),
        before["applications"].as_i64().map(|n| n + 1)
    );
    // A leader sees no such forms; a 德令哈 person cannot be reached.
    let mut leader = t.browser("golmud_leader").await;
    assert!(!leader
        .get(&format!("/people/{pid}"))
        .await
        .text
        .contains("登记返岗"));
    let dlh = t.first_in("people", "632802").await;
    let r = b
        .post(
            &format!("/people/{dlh}/application"),
            &[
                ("jurisdiction_code", "632801"),
                ("submitted_on", "2020-02-11"),
                ("wish", "x"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A campaign that sent more people than one page holds: the page counts them all and says it
/// lists the first 2,000; the API gives them page by page, each once.
async fn a_long_campaign_list_says_it_is_long_and_pages_whole(engine: Engine) {
    let t = TestApp::new(engine).await;
    let qian = t
        .count("SELECT MIN(id) FROM campaigns WHERE name = '千名干部下乡活动'")
        .await;
    let add = format!(
        "INSERT INTO campaign_people (campaign_id, person_id, place_code, sent_on) \
         SELECT {qian}, p.id, p.jurisdiction_code, '2020-02-21' FROM people p \
         WHERE NOT EXISTS (SELECT 1 FROM campaign_people c WHERE c.campaign_id = {qian} AND c.person_id = p.id) \
         ORDER BY p.id LIMIT 1500"
    );
    dualtrack_store::on_db!(&t.db.db, p => sqlx::query(&add).execute(p).await.map(|_| ()))
        .expect("more people sent");
    let total = t
        .count(&format!(
            "SELECT COUNT(*) FROM campaign_people WHERE campaign_id = {qian}"
        ))
        .await;
    assert_eq!(total, 2500);
    let page = t
        .browser("haixi_org")
        .await
        .page(&format!("/campaigns/{qian}"))
        .await;
    assert!(page.text.contains("下派名单（2500）"), "{}", page.text);
    assert!(page.text.contains("下表列出最早下派的 2000 人"));
    let tok = t.token("haixi_org").await;
    let mut seen = std::collections::BTreeSet::new();
    let mut sizes = Vec::new();
    for n in 1..=3 {
        let v = t
            .get_json(&format!("/api/v1/campaigns/{qian}/people?page={n}"), &tok)
            .await;
        let rows = v.as_array().cloned().unwrap_or_default();
        sizes.push(rows.len());
        for r in rows {
            assert!(
                seen.insert(r["person_id"].as_i64().expect("id")),
                "{r} twice"
            );
        }
    }
    assert_eq!(sizes, vec![2000, 500, 0]);
    assert_eq!(seen.len() as i64, total);
    // A page below the first is the first; one that is not a number is refused, naming it.
    let low = t
        .get_json(&format!("/api/v1/campaigns/{qian}/people?page=-3"), &tok)
        .await;
    assert_eq!(low.as_array().map(Vec::len), Some(2000));
    let bad = t
        .get(&format!("/api/v1/campaigns/{qian}/people?page=abc"), &tok)
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.text);
    assert!(bad.text.contains("page"), "{}", bad.text);
    // A county's operator does not read the prefecture's campaign list.
    let other = t.token("delingha_operator").await;
    let theirs = t
        .get(&format!("/api/v1/campaigns/{qian}/people"), &other)
        .await;
    assert!(theirs.status.is_client_error(), "{}", theirs.text);
}

on_both_engines!(
    a_long_campaign_list_says_it_is_long_and_pages_whole,
    return_registration_and_application_from_the_person_page,
    registered_members_have_their_service_logged_from_their_page,
    the_demo_campaign_and_documents_are_listed,
    campaigns_and_documents_through_the_forms,
    cadre_files_for_the_department_and_the_chain_of_command,
);
