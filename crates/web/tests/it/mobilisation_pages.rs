//! The 组织动员 pages as a browser uses them: the figures of the report, registering people
//! through the form (once per ID number), masking and audited unmasking, deployments,
//! organisations and applications — within the user's jurisdiction only.

use crate::common;
use common::id_number;

use axum::http::{header, StatusCode};
use common::{figure_in, id_in, Browser, Resp, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};

fn today(t: &TestApp) -> String {
    t.app.today().format("%Y-%m-%d").to_string()
}

/// Registers a person through the form; the response is the redirect.
async fn register(b: &mut Browser<'_>, name: &str, id_number: &str, category: &str) -> Resp {
    b.post(
        "/people",
        &[
            ("name", name),
            ("id_number", id_number),
            ("phone", "13897001234"),
            ("political_status", "party_member"),
            ("categories", category),
            ("jurisdiction_code", "632801001001"),
            ("employer", "格尔木市人民医院"),
        ],
        true,
    )
    .await
}

async fn the_figures_page_shows_the_report(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = Browser::new(&t);
    let home = b.login("haixi_leader").await;
    assert!(
        home.text.contains(r#"href="/mobilisation""#),
        "{}",
        home.text
    );
    assert!(home.text.contains("查看组织动员"));
    let page = b.page("/mobilisation?as_of=2020-02-28").await;
    assert_eq!(figure_in(&page.text, "org-temp_branch"), 28);
    assert_eq!(figure_in(&page.text, "org-commando"), 132);
    assert_eq!(figure_in(&page.text, "org-volunteer"), 336);
    // The other figures are the service's, as the API gives them.
    let tok = t.token("haixi_leader").await;
    let api = t
        .get("/api/v1/mobilisation/figures?as_of=2020-02-28", &tok)
        .await
        .json();
    for (id, key) in [
        ("on-duty", "on_duty"),
        ("returned", "returned"),
        ("returned-early", "returned_early"),
        ("applications", "applications"),
        ("applications-approved", "applications_approved"),
        ("registrations", "registrations"),
    ] {
        assert_eq!(Some(figure_in(&page.text, id)), api[key].as_i64(), "{id}");
    }
    let by_kind: i64 = api["organisations"]
        .as_array()
        .expect("organisations")
        .iter()
        .map(|o| o["count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(figure_in(&page.text, "org-total"), by_kind);
    // Counties by name; each kind links to its list as of the day.
    assert!(page.text.contains("格尔木市") && page.text.contains("德令哈市"));
    let link = "/organisations?kind=temp_branch&amp;as_of=2020-02-28";
    assert!(page.text.contains(link), "{}", page.text);
    let list = b
        .page("/organisations?kind=temp_branch&as_of=2020-02-28")
        .await;
    assert!(list.text.contains("临时党支部") && list.text.contains("2020-02-28 存续"));
    let _on_duty = b.page("/deployments?on_day=2020-02-28").await;
    // A day that does not exist is refused, naming what is wrong.
    let r = b.get("/mobilisation?as_of=2020-02-30").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("日期格式"), "{}", r.text);
    // Without a day: today.
    let r = b.page("/mobilisation").await;
    assert!(r.text.contains(&format!(r#"value="{}""#, today(&t))));
    // A 格尔木 leader sees 格尔木 only.
    let mut gm = t.browser("golmud_leader").await;
    let r = gm.get("/mobilisation?as_of=2020-02-28").await;
    assert!(figure_in(&r.text, "org-total") < by_kind);
    assert!(!r.text.contains("德令哈市"));
    // Roles without mobilisation: no link, no figures.
    let mut sec = Browser::new(&t);
    let home = sec.login("secadmin").await;
    assert!(!home.text.contains(r#"href="/mobilisation""#));
    assert!(!home.text.contains("mobilisation-card") && !home.text.contains("当日在岗人数"));
    assert_eq!(sec.get("/mobilisation").await.status, StatusCode::FORBIDDEN);
    assert_eq!(sec.get("/people").await.status, StatusCode::FORBIDDEN);
}

async fn people_are_registered_once_through_the_form(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let form = b.page("/people/new").await;
    assert!(form
        .text
        .contains(r#"name="jurisdiction_code" value="632801""#));
    assert!(form.text.contains(r#"name="csrf_token""#));
    let id = id_number("63280120010504001");
    let before = t.count("SELECT COUNT(*) FROM people").await;
    let r = register(&mut b, "马海燕", &id, "medical").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(
        r.location().ends_with("?done=registered"),
        "{}",
        r.location()
    );
    let pid = id_in(&r.location());
    let page = b.page(&r.location()).await;
    assert!(page.text.contains("已登记") && page.text.contains("马海燕"));
    assert!(page.text.contains(&format!("632801********{}", &id[14..])));
    assert!(page.text.contains("138****1234") && page.text.contains("医务人员"));
    assert!(!page.text.contains(&id) && !page.text.contains("13897001234"));
    assert!(
        page.text.contains("2001-05-04"),
        "birth date from the number"
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, before + 1);

    // The same number again: the same person, no second record, the new category added.
    let r = register(&mut b, "马海燕", &id, "in_service_member").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(id_in(&r.location()), pid);
    let page = b.get(&r.location()).await;
    assert!(
        page.text.contains("该身份证号已登记，未重复建档"),
        "{}",
        page.text
    );
    assert!(page.text.contains("医务人员、在职党员"), "{}", page.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, before + 1);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM people WHERE id_number = '{id}'"
        ))
        .await,
        1
    );

    // A bad number: the form again, the input kept, the reason naming 身份证号.
    let last = &id[17..];
    let wrong = format!("{}{}", &id[..17], if last == "0" { "1" } else { "0" });
    let r = register(&mut b, "王立新", &wrong, "cadre").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("身份证号校验位不符"), "{}", r.text);
    assert!(r.text.contains(r#"value="王立新""#) && r.text.contains("登记人员"));
    let r = register(&mut b, "王立新", "6328012001", "cadre").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("身份证号应为 18 位"), "{}", r.text);
    // Other refusals name their field too.
    let r = b
        .post(
            "/people",
            &[
                ("name", "王立新"),
                ("id_number", &id_number("63280120010504013")),
                ("political_status", "大众"),
                ("jurisdiction_code", "632801"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("政治面貌"), "{}", r.text);
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, before + 1);

    // Without the form's token: refused, nothing written.
    let r = b
        .post(
            "/people",
            &[
                ("name", "无令牌"),
                ("id_number", &id_number("63280120010504021")),
                ("political_status", "masses"),
                ("jurisdiction_code", "632801"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.count("SELECT COUNT(*) FROM people").await, before + 1);

    // Leaders read, they do not register.
    let mut leader = t.browser("golmud_leader").await;
    assert_eq!(
        leader.get("/people/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!leader.get("/people").await.text.contains("登记人员"));
}

async fn lists_mask_and_the_detail_page_unmasks_with_an_audit(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("haixi_org").await;
    let id = id_number("63280120020611002");
    let r = register(&mut b, "索南卓玛", &id, "medical").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let pid = id_in(&r.location());
    let masked = format!("632801********{}", &id[14..]);

    // Lists: masked, with filters and paging.
    let list = b
        .page("/people?name=索南卓玛&category=medical&political_status=party_member")
        .await;
    assert!(
        list.text.contains(&format!("/people/{pid}")),
        "{}",
        list.text
    );
    assert!(list.text.contains(&masked) && list.text.contains("138****1234"));
    assert!(!list.text.contains(&id) && !list.text.contains("13897001234"));
    let none = b.get("/people?name=索南卓玛&category=veteran").await;
    assert!(!none.text.contains(&format!("/people/{pid}")));
    assert!(none.text.contains("没有符合条件的人员"));
    let all = b.get("/people").await;
    let total = figure_in(&all.text, "people-total");
    assert_eq!(total, t.count("SELECT COUNT(*) FROM people").await);
    assert!(all.text.contains("?page=2"), "more than one page");
    let second = b.page("/people?page=2").await;
    assert!(second.text.contains("第 2 /"));
    for (path, word) in [
        ("/people?page=abc", "页码"),
        ("/people?page=0", "页码"),
        ("/people?category=bogus", "人员类别"),
        ("/people?political_status=bogus", "政治面貌"),
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(r.text.contains(word), "{path}: {}", r.text);
    }

    // The detail page: masked, with a button to see the full values.
    let page = b.get(&format!("/people/{pid}")).await;
    assert!(page.text.contains(&masked) && !page.text.contains(&id));
    assert!(page
        .text
        .contains(&format!(r#"action="/people/{pid}/unmask""#)));
    let audits = t.audit_count("personal.unmask").await;
    let r = b.post(&format!("/people/{pid}/unmask"), &[], false).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no token, no unmasking");
    assert_eq!(t.audit_count("personal.unmask").await, audits);
    let r = b.post(&format!("/people/{pid}/unmask"), &[], true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains(&id) && r.text.contains("13897001234"));
    assert!(r.text.contains("已记入审计日志"));
    assert_eq!(
        r.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(t.audit_count("personal.unmask").await, audits + 1);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'personal.unmask' AND target_id = '{pid}' AND username = 'haixi_org'"
        ))
        .await,
        1
    );
    // Masked again on the next look; the list never shows the full values.
    let page = b.get(&format!("/people/{pid}")).await;
    assert!(!page.text.contains(&id));
    assert!(!b.get("/people?name=索南卓玛").await.text.contains(&id));

    // A leader reads the masked page, without the button, and may not unmask.
    let mut leader = t.browser("golmud_leader").await;
    let page = leader.page(&format!("/people/{pid}")).await;
    assert!(!page.text.contains("/unmask") && !page.text.contains(&id));
    let r = leader
        .post(&format!("/people/{pid}/unmask"), &[], true)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.text.contains(&id));
    assert_eq!(t.audit_count("personal.unmask").await, audits + 1);
}

async fn another_countys_people_are_not_found(engine: Engine) {
    let t = TestApp::new(engine).await;
    let theirs = t.first_in("people", "632802").await;
    let mut b = t.browser("golmud_operator").await;
    let audits = t.audit_count("personal.unmask").await;
    let deployments = t.count("SELECT COUNT(*) FROM deployments").await;
    let r = b.get(&format!("/people/{theirs}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.text.contains("德令哈"), "{}", r.text);
    let r = b.post(&format!("/people/{theirs}/unmask"), &[], true).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b
        .post(
            &format!("/people/{theirs}/deployments"),
            &[
                ("jurisdiction_code", "632801001001"),
                ("role", "卡口值守"),
                ("start_on", "2020-02-10"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(t.audit_count("personal.unmask").await, audits);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM deployments").await,
        deployments
    );
    // Their organisations and applications neither.
    let org = t.first_in("organisations", "632802").await;
    assert_eq!(
        b.get(&format!("/organisations/{org}")).await.status,
        StatusCode::NOT_FOUND
    );
    let app = t
        .count("SELECT MIN(id) FROM applications WHERE jurisdiction_code LIKE '632802%' AND status = 'submitted'")
        .await;
    let r = b
        .post(&format!("/applications/{app}/decline"), &[], true)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM applications WHERE id = {app} AND status = 'submitted'"
        ))
        .await,
        1
    );
    // Lists hold nothing of 德令哈.
    for path in [
        "/people",
        "/organisations?as_of=2020-02-28",
        "/applications",
        "/deployments?on_day=2020-02-28",
        "/mobilisation?as_of=2020-02-28",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(!r.text.contains("德令哈"), "{path}");
    }
    // Bad ids in paths are a 404 in Chinese.
    let r = b.get("/people/abc").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("编号“abc”无效"));
}

async fn deployments_from_the_person_page_move_the_figures(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let id = id_number("63280119990101003");
    let pid = id_in(&register(&mut b, "才让青松", &id, "cadre").await.location());
    let today = today(&t);
    let before = figure_in(&b.get("/mobilisation").await.text, "on-duty");
    let page = b.get(&format!("/people/{pid}")).await;
    assert!(page
        .text
        .contains(&format!(r#"action="/people/{pid}/deployments""#)));
    assert!(page.text.contains("尚无派驻记录"));
    let path = format!("/people/{pid}/deployments");
    // Refusals show the form again with the reason and the input.
    let r = b
        .post(
            &path,
            &[
                ("jurisdiction_code", "632801001001"),
                ("role", "卡口值守"),
                ("start_on", &today),
                ("end_on", "2020-01-01"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("结束日期不能早于开始日期"), "{}", r.text);
    assert!(r.text.contains(r#"value="卡口值守""#));
    let r = b
        .post(
            &path,
            &[
                ("jurisdiction_code", "632801001001"),
                ("site_kind", "水库"),
                ("role", "卡口值守"),
                ("start_on", &today),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("服务场所类型"), "{}", r.text);
    let r = b
        .post(
            &path,
            &[
                ("jurisdiction_code", "632802001001"),
                ("role", "卡口值守"),
                ("start_on", &today),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("管辖范围") && r.text.contains("才让青松"));
    let r = b
        .post(
            &path,
            &[("jurisdiction_code", "632801001001"), ("role", "卡口值守")],
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM deployments WHERE person_id = {pid}"
        ))
        .await,
        0
    );
    // Deployed from today: on the page, on duty today.
    let r = b
        .submit(
            &path,
            &[
                ("jurisdiction_code", "632801001001"),
                ("site_kind", "checkpoint"),
                ("site_name", "G109 格尔木南卡口"),
                ("role", "卡口值守"),
                ("start_on", &today),
                ("end_on", ""),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/people/{pid}?done=deployed"));
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("已派驻") && page.text.contains("G109 格尔木南卡口"));
    assert!(page.text.contains("博爱巷社区居委会"), "{}", page.text);
    let after = b.get("/mobilisation").await;
    assert_eq!(figure_in(&after.text, "on-duty"), before + 1);
    let list = b.get(&format!("/deployments?on_day={today}")).await;
    assert!(list.text.contains("才让青松"));
}

async fn organisations_and_applications_through_the_pages(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("golmud_operator").await;
    let list = b
        .page("/organisations?kind=commando&as_of=2020-02-28")
        .await;
    assert!(list.text.contains("党员突击队"));
    let r = b.get("/organisations?kind=bogus").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("组织类型"));

    // Set one up, with a member.
    let form = b.page("/organisations/new?kind=commando").await;
    assert!(form.text.contains(r#"<option value="commando" selected>"#));
    let fields = [
        ("kind", "commando"),
        ("name", "博爱巷党员突击队"),
        ("jurisdiction_code", "632801001001"),
        ("site_kind", "community"),
        ("site_name", "博爱巷社区"),
        ("established_on", "2020-02-20"),
        ("dissolved_on", ""),
        ("leader_id", "x1"),
    ];
    let r = b.post("/organisations", &fields, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("负责人编号"), "{}", r.text);
    assert!(r.text.contains(r#"value="博爱巷党员突击队""#));
    let mut ok = fields;
    ok[7] = ("leader_id", "");
    let r = b.submit("/organisations", &ok).await;
    let oid = id_in(&r.location());
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("组织已建立") && page.text.contains("尚无成员"));
    let pid = id_in(
        &register(
            &mut b,
            "格日勒宝音",
            &id_number("63280120000229005"),
            "volunteer",
        )
        .await
        .location(),
    );
    let path = format!("/organisations/{oid}/members");
    let r = b
        .post(
            &path,
            &[
                ("person_id", "abc"),
                ("role", "队员"),
                ("joined_on", "2020-02-21"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("人员编号“abc”无效"), "{}", r.text);
    let p = pid.to_string();
    let r = b
        .submit(
            &path,
            &[
                ("person_id", &p),
                ("role", "队员"),
                ("joined_on", "2020-02-21"),
            ],
        )
        .await;
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("已增加成员") && page.text.contains("格日勒宝音"));
    let r = b
        .post(
            &path,
            &[
                ("person_id", &p),
                ("role", "队员"),
                ("joined_on", "2020-02-21"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("已是该组织成员"));
    // Not yet standing the day before it was set up.
    let before = b.get("/organisations?kind=commando&as_of=2020-02-19").await;
    assert!(!before.text.contains("博爱巷党员突击队"));

    // Applications: approve one with a deployment, decline another.
    let submitted = |n: i64| {
        format!("SELECT id FROM applications WHERE jurisdiction_code LIKE '632801%' AND status = 'submitted' ORDER BY id LIMIT 1 OFFSET {n}")
    };
    let first = t.count(&submitted(0)).await;
    let second = t.count(&submitted(1)).await;
    let applicant = t
        .count(&format!(
            "SELECT person_id FROM applications WHERE id = {first}"
        ))
        .await;
    let page = b.page("/applications?status=submitted").await;
    assert!(page
        .text
        .contains(&format!(r#"action="/applications/{first}/approve""#)));
    assert!(page.text.contains("待审批") && !page.text.contains("德令哈"));
    let a = applicant.to_string();
    let approve = format!("/applications/{first}/approve");
    let mut fields = vec![
        ("person_id", a.as_str()),
        ("jurisdiction_code", "632801"),
        ("site_kind", "hospital"),
        ("site_name", "格尔木市人民医院"),
        ("role", ""),
        ("start_on", "2020-02-27"),
        ("status", "submitted"),
    ];
    let r = b.post(&approve, &fields, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("岗位"), "{}", r.text);
    assert!(r.text.contains(&format!("请战书 {first}")));
    fields[4] = ("role", "发热门诊医生");
    let r = b.submit(&approve, &fields).await;
    assert_eq!(r.location(), "/applications?status=submitted&done=approved");
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("已批准，并已派驻请战人"));
    assert!(!page
        .text
        .contains(&format!("/applications/{first}/approve")));
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM applications a JOIN deployments d ON d.id = a.deployment_id \
             WHERE a.id = {first} AND a.status = 'approved' AND d.person_id = {applicant} AND d.role = '发热门诊医生'"
        ))
        .await,
        1
    );
    let r = b.post(&approve, &fields, true).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("该请战书已审批"));
    b.submit(&format!("/applications/{second}/decline"), &[])
        .await;
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM applications WHERE id = {second} AND status = 'declined'"
        ))
        .await,
        1
    );
    let r = b.get("/applications?status=bogus").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Leaders see the list without the buttons.
    let mut leader = t.browser("golmud_leader").await;
    let page = leader.page("/applications?status=submitted").await;
    assert!(!page.text.contains("/approve") && !page.text.contains("/decline"));
    assert_eq!(
        leader.get("/organisations/new").await.status,
        StatusCode::FORBIDDEN
    );
}

on_both_engines!(
    the_figures_page_shows_the_report,
    people_are_registered_once_through_the_form,
    lists_mask_and_the_detail_page_unmasks_with_an_audit,
    another_countys_people_are_not_found,
    deployments_from_the_person_page_move_the_figures,
    organisations_and_applications_through_the_pages,
);
