//! A newcomer's first minutes: people by name, figures with their units, lists in the
//! order and size a worker needs.

use crate::common;

use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use regex::Regex;

async fn the_audit_log_names_people_and_groups_its_operations(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("auditor").await;
    let page = b.page("/audit").await;
    // Who acted, by display name and role; how they logged in, in words.
    assert!(
        page.text.contains("海西州审计员（审计员）"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("<td>auditor</td>"), "{}", page.text);
    assert!(page.text.contains("网页登录"), "{}", page.text);
    assert!(!page.text.contains("<td class=\"detail\">web</td>"));
    // The operations filter by area; the operation column does not wrap.
    assert!(
        page.text.contains("<optgroup label=\"账户与安全\">"),
        "{}",
        page.text
    );
    assert!(page.text.contains("<optgroup label=\"吹哨报到\">"));
    assert!(
        page.text.contains("<td class=\"action\">登录</td>"),
        "{}",
        page.text
    );
    let css = b.get("/assets/app.css").await;
    assert!(css
        .text
        .contains("table.audit th.action, table.audit td.action { white-space: nowrap; }"));
}

async fn pages_speak_plain_chinese(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let mut b = t.browser("haixi_leader").await;
    let ind = b.page("/indicators").await;
    assert!(
        !ind.text.contains(">resumption.investment<"),
        "{}",
        ind.text
    );
    assert!(!ind.text.contains("<code"), "{}", ind.text);
    let figs = b.page("/whistle/figures").await;
    assert!(!figs.text.contains("P90"), "{}", figs.text);
    assert!(figs.text.contains("报到用时（九成在此之内）"));
    let brief = b.page("/briefing").await;
    assert!(!brief.text.contains("Markdown"), "{}", brief.text);
    assert!(brief.text.contains("下载纯文本稿"));
    // Large shortfalls in tonnes, not tens of thousands of kilograms.
    assert!(
        !Regex::new(r"缺 ?\d{4,}公斤")
            .expect("re")
            .is_match(&brief.text),
        "{}",
        brief.text
    );
}

async fn rates_show_what_their_parts_count(engine: Engine) {
    let t = TestApp::new(engine).await;
    t.app.open_on_demo_day();
    let mut b = t.browser("haixi_leader").await;
    let d = b.page("/dashboard").await;
    for unit in ["万元", "吨"] {
        let re = Regex::new(&format!(r"\d+ / \d+ {unit}")).expect("re");
        assert!(re.is_match(&d.text), "{unit}: {}", d.text);
    }
    let p = b.page("/projects").await;
    let county = Regex::new(r#"<span class="muted small">\d+/\d+ 万元</span>"#).expect("re");
    assert!(county.is_match(&p.text), "{}", p.text);
    let s = b.page("/supplies").await;
    let daily =
        Regex::new(r#"data-label="日均用量" class="num">\d+\.\d [^<\s]+</td>"#).expect("re");
    let bare = Regex::new(r#"data-label="日均用量" class="num">[\d.]+</td>"#).expect("re");
    assert!(!bare.is_match(&s.text), "{}", s.text);
    if s.text.contains("data-label=\"日均用量\"") {
        assert!(daily.is_match(&s.text), "{}", s.text);
    }
}

async fn temperatures_keep_one_decimal(engine: Engine) {
    let t = TestApp::new(engine).await;
    let south = t.checkpoint("格尔木南出口").await;
    let mut b = t.browser("checkpoint_worker").await;
    let form = b.get(&format!("/checkpoints/{south}/passage")).await;
    let key = form
        .text
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("key")
        .to_string();
    let driver = crate::common::id_number("63280119800101001");
    let fields = [
        ("idempotency_key", key.as_str()),
        ("plate", "青h 12345"),
        ("vehicle_class", "truck"),
        ("origin", "甘肃省敦煌市"),
        ("travel_history", ""),
        ("destination", "632801100"),
        ("reason", "运输物资"),
        ("name", "王五"),
        ("id_number", driver.as_str()),
        ("phone", "13897001234"),
        ("temperature", "36"),
        ("outcome_0", "through"),
    ];
    let r = b
        .post(&format!("/checkpoints/{south}/passage"), &fields, true)
        .await;
    assert!(
        r.status.is_redirection() || r.status.is_success(),
        "{}",
        r.text
    );
    let page = b.page(&format!("/checkpoints/{south}")).await;
    assert!(page.text.contains("王五"), "{}", page.text);
    assert!(page.text.contains("36.0℃"), "{}", page.text);
    assert!(!Regex::new(r"[ >]\d{2}℃").expect("re").is_match(&page.text));
}

async fn the_newest_passages_come_first(engine: Engine) {
    let t = TestApp::new(engine).await;
    let south = t.checkpoint("格尔木南出口").await;
    // A passage recorded later but of an earlier time (entered after the fact).
    let newest = t
        .count(&format!(
            "SELECT id FROM passages WHERE checkpoint_id = {south} ORDER BY passed_at DESC, id DESC LIMIT 1"
        ))
        .await;
    let max_id = t
        .count(&format!(
            "SELECT MAX(id) FROM passages WHERE checkpoint_id = {south}"
        ))
        .await;
    dualtrack_store::on_db!(&t.db.db, p => {
        sqlx::query("UPDATE passages SET passed_at = (SELECT MIN(passed_at) FROM passages WHERE checkpoint_id = $1) WHERE id = $2 AND id <> $3")
            .bind(south).bind(max_id).bind(newest).execute(p).await.expect("update");
    });
    let newest = t
        .count(&format!(
            "SELECT id FROM passages WHERE checkpoint_id = {south} ORDER BY passed_at DESC, id DESC LIMIT 1"
        ))
        .await;
    let tok = t.token("haixi_leader").await;
    let r = t
        .get_ok(&format!("/api/v1/checkpoints/{south}/passages"), &tok)
        .await;
    let list = r.json();
    let first = list
        .as_array()
        .and_then(|a| a.first())
        .or_else(|| list["items"].as_array().and_then(|a| a.first()))
        .expect("passages")
        .clone();
    assert_eq!(first["id"].as_i64(), Some(newest), "{first}");
}

async fn an_account_is_found_by_its_full_name(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("secadmin").await;
    let page = b.page("/users?q=grid_worker").await;
    assert!(page.text.contains("博爱巷第一网格网格员"), "{}", page.text);
    // "_" is a letter, not a wildcard: "grid_" does not find "gridXworker".
    t.add_user("gridxworker", "operator", "632801").await;
    let page = b.get("/users?q=grid_").await;
    assert!(!page.text.contains("gridxworker"), "{}", page.text);
}

on_both_engines!(
    the_audit_log_names_people_and_groups_its_operations,
    pages_speak_plain_chinese,
    rates_show_what_their_parts_count,
    temperatures_keep_one_decimal,
    the_newest_passages_come_first,
    an_account_is_found_by_its_full_name,
);
