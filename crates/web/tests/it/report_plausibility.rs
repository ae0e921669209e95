//! The liaison's daily report starts from the enterprise's last report, and figures that
//! look implausible (more on duty than employed, a figure over three times or down to 0 from
//! the last report, output over capacity) are asked about, not refused: sent again with the
//! confirmation they are filed, and marked so for those who read the reports.

use crate::common;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

/// A Golmud enterprise working on 2020-02-26: its id,
/// normal headcount and output, and that day's on duty and output.
struct Working {
    id: i64,
    headcount: i64,
    capacity: i64,
    on_duty: i64,
    output: i64,
}

async fn working_enterprise(t: &TestApp) -> Working {
    let id = t
        .count(
            "SELECT MIN(e.id) FROM enterprises e JOIN daily_reports r ON r.enterprise_id = e.id \
             WHERE e.jurisdiction_code LIKE '632801%' AND r.report_date = '2020-02-26' AND r.is_current \
             AND r.status = 'resumed' AND r.on_duty >= 10 AND r.output > 0 AND r.output < e.normal_output",
        )
        .await;
    assert!(id > 0, "a Golmud enterprise at work on 02-26");
    let of_report = |col: &str| {
        format!(
            "SELECT {col} FROM daily_reports WHERE enterprise_id = {id} AND report_date = '2020-02-26' AND is_current"
        )
    };
    Working {
        id,
        headcount: t
            .count(&format!(
                "SELECT normal_headcount FROM enterprises WHERE id = {id}"
            ))
            .await,
        capacity: t
            .count(&format!(
                "SELECT normal_output FROM enterprises WHERE id = {id}"
            ))
            .await,
        on_duty: t.count(&of_report("on_duty")).await,
        output: t.count(&of_report("output")).await,
    }
}

fn report(on_duty: i64, output: i64) -> Value {
    json!({"report_date": "2020-02-27", "status": "resumed", "on_duty": on_duty,
           "checks_passed": 5, "output": output})
}

fn field(r: &Value, name: &str) -> String {
    r["error"]["fields"][name]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn implausible_figures_are_asked_about_then_filed_when_confirmed(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let w = working_enterprise(&t).await;
    let liaison = t.token("liaison").await;
    let path = format!("/api/v1/enterprises/{}/reports", w.id);
    let all = format!(
        "SELECT COUNT(*) FROM daily_reports WHERE enterprise_id = {}",
        w.id
    );
    let before = t.count(&all).await;

    // More on duty than the enterprise employs.
    let r = t
        .post(&path, &liaison, report(w.headcount + 1, w.output))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let body = r.json();
    assert_eq!(body["error"]["code"], "implausible", "{body}");
    assert!(field(&body, "on_duty").contains("正常用工"), "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("确认无误"));

    // Over three times the last report's on duty; output down to 0 while working; output
    // over the normal capacity.
    let r = t.post(&path, &liaison, report(w.on_duty * 3 + 1, 0)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let body = r.json();
    assert!(field(&body, "on_duty").contains("3 倍"), "{body}");
    assert!(field(&body, "on_duty").contains("2020-02-26"), "{body}");
    assert!(field(&body, "output").contains("降为 0"), "{body}");
    let r = t
        .post(&path, &liaison, report(w.on_duty, w.capacity + 1))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let body = r.json();
    assert!(field(&body, "output").contains("超过 100%"), "{body}");
    assert!(body["error"]["fields"]["on_duty"].is_null(), "{body}");
    // Down to 0 is no surprise on a day reported as shut down.
    let r = t
        .post(
            &path,
            &liaison,
            json!({"report_date": "2020-02-27", "status": "shut_down", "on_duty": 0, "output": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["confirmed_implausible"], false);
    assert_eq!(
        t.count(&all).await,
        before + 1,
        "the refusals filed nothing"
    );

    // Confirmed: filed, and marked.
    let mut confirmed = report(w.headcount + 1, w.output);
    confirmed["confirm_implausible"] = json!(true);
    let r = t.post(&path, &liaison, confirmed).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let filed = r.json();
    assert_eq!(filed["confirmed_implausible"], true, "{filed}");
    assert_eq!(filed["on_duty"], w.headcount + 1);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM daily_reports WHERE id = {} AND confirmed_implausible",
            filed["id"]
        ))
        .await,
        1
    );
    assert!(t.audit_count("report.file").await >= 2);

    // Those who read the reports see it marked, with the count.
    let leader = t.token("golmud_leader").await;
    let listed = t
        .get(&format!("/api/v1/enterprises/{}/reports", w.id), &leader)
        .await
        .json();
    let current = listed
        .as_array()
        .expect("reports")
        .iter()
        .find(|r| r["report_date"] == "2020-02-27" && r["is_current"] == true)
        .cloned()
        .unwrap_or_default();
    assert_eq!(current["confirmed_implausible"], true, "{listed}");
    let mut gm = Browser::new(&t);
    gm.login("golmud_leader").await;
    let page = gm.get(&format!("/enterprises/{}", w.id)).await;
    assert!(page.text.contains("经确认的异常数"), "{}", page.text);
    assert!(page.text.contains("<strong>1</strong>"), "{}", page.text);

    // A plausible report needs no confirmation and carries no mark.
    let r = t.post(&path, &liaison, report(w.on_duty, w.output)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["confirmed_implausible"], false);
}

async fn the_daily_form_starts_from_the_last_report_and_asks_to_confirm(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let w = working_enterprise(&t).await;
    let mut b = Browser::new(&t);
    b.login("liaison").await;
    let page = b.get(&format!("/enterprises/{}", w.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    // The form starts from the last report filed by the evening of 02-27: that of the day
    // itself when it is in (the demo's are filed that evening), else that of 02-26.
    let liaison = t.token("liaison").await;
    let listed = t
        .get(&format!("/api/v1/enterprises/{}/reports", w.id), &liaison)
        .await
        .json();
    let last = listed
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["is_current"] == true))
        .cloned()
        .unwrap_or_default();
    let last_day = last["report_date"].as_str().unwrap_or("");
    assert!(["2020-02-26", "2020-02-27"].contains(&last_day), "{listed}");
    assert!(
        page.text
            .contains(&format!("已按上次日报（{last_day}）预填")),
        "{}",
        page.text
    );
    for field in ["on_duty", "output"] {
        let value = &last[field];
        let input = format!("name=\"{field}\" inputmode=\"numeric\" value=\"{value}\"");
        assert!(page.text.contains(&input), "{input}: {}", page.text);
    }
    assert!(
        page.text.contains("value=\"resumed\" selected"),
        "{}",
        page.text
    );
    assert!(page.text.contains("value=\"2020-02-27\""), "{}", page.text);
    // The confirmation is offered (for a report resent from the phone's outbox) but not
    // asked for until the figures look odd.
    assert!(page
        .text
        .contains(r#"name="confirm_implausible" value="1"> 确认无误"#));

    let on_duty = (w.headcount + 5).to_string();
    let output = w.output.to_string();
    let fields = [
        ("report_date", "2020-02-27"),
        ("status", "resumed"),
        ("on_duty", on_duty.as_str()),
        ("output", output.as_str()),
    ];
    let path = format!("/enterprises/{}/reports", w.id);
    let r = b.post(&path, &fields, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("看似异常"), "{}", r.text);
    assert!(r.text.contains("多于登记的正常用工"), "{}", r.text);
    assert!(
        r.text.contains("name=\"confirm_implausible\""),
        "{}",
        r.text
    );
    assert!(
        r.text
            .contains(r#"name="confirm_implausible" value="1" required> 确认无误，仍然报送"#),
        "{}",
        r.text
    );
    // The figures sent are kept on the form.
    assert!(
        r.text.contains(&format!(
            "name=\"on_duty\" inputmode=\"numeric\" value=\"{on_duty}\""
        )),
        "{}",
        r.text
    );
    let marked = "SELECT COUNT(*) FROM daily_reports WHERE confirmed_implausible";
    assert_eq!(t.count(marked).await, 0);

    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm_implausible", "1"));
    let r = b.post(&path, &confirmed, true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(t.count(marked).await, 1);
    let page = b.get(&r.location()).await;
    assert!(page.text.contains("日报已提交"));
    assert!(page.text.contains("经确认的异常数"), "{}", page.text);
}

/// Resuming from a day not worked multiplies the figures by its nature: not asked about.
async fn resuming_from_a_day_not_worked_is_not_a_jump(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let id = t
        .count(
            "SELECT COALESCE(MIN(e.id), 0) FROM enterprises e JOIN daily_reports r ON r.enterprise_id = e.id \
             WHERE e.jurisdiction_code LIKE '632801%' AND r.report_date = '2020-02-26' AND r.is_current \
             AND r.status = 'not_resumed' AND r.on_duty >= 1 AND r.output >= 1 \
             AND r.on_duty * 4 <= e.normal_headcount AND r.output * 4 <= e.normal_output",
        )
        .await;
    assert!(id > 0, "a Golmud enterprise not resumed on 02-26");
    let of_report = |col: &str| {
        format!(
            "SELECT {col} FROM daily_reports WHERE enterprise_id = {id} AND report_date = '2020-02-26' AND is_current"
        )
    };
    let on_duty = t.count(&of_report("on_duty")).await;
    let output = t.count(&of_report("output")).await;
    let liaison = t.token("liaison").await;
    let r = t
        .post(
            &format!("/api/v1/enterprises/{id}/reports"),
            &liaison,
            report(on_duty * 4, output * 4),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["confirmed_implausible"], false);
}

on_both_engines!(
    implausible_figures_are_asked_about_then_filed_when_confirmed,
    resuming_from_a_day_not_worked_is_not_a_jump,
    the_daily_form_starts_from_the_last_report_and_asks_to_confirm,
);
