//! Places chosen by name: the search behind the place picker finds 武汉 by its name, its
//! short name and its pinyin initials (420100), a grid of the region by its name, but never a
//! grid of a sibling county; a query it cannot use finds nothing or is refused in Chinese; the
//! list of names a phone keeps is cacheable and scoped the same way.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{id_number, TestApp};
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::{json, Value};

fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|h| h["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn search(t: &TestApp, tok: &str, query: &str) -> Value {
    let r = t.get(&format!("/api/v1/places/search?{query}"), tok).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
    r.json()
}

async fn wuhan_by_initials_name_and_pinyin(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "checkpoint_worker").await;
    let by_initials = search(&t, &tok, "q=wh&within=china").await;
    let first = codes(&by_initials);
    assert!(
        first.iter().take(5).any(|c| c == "420100"),
        "wh: 420100 among the first five: {first:?}"
    );
    let wuhan = by_initials
        .as_array()
        .and_then(|a| a.iter().find(|h| h["code"] == "420100"))
        .expect("武汉市");
    assert_eq!(wuhan["name"], "武汉市");
    assert_eq!(wuhan["path"], "湖北省武汉市");
    assert_eq!(wuhan["level"], "prefecture");
    assert_eq!(wuhan["in_region"], false);
    for q in ["武汉", "武汉市", "wuhan"] {
        let found = codes(&search(&t, &tok, &format!("q={}&within=china", enc(q))).await);
        assert_eq!(
            found.first().map(String::as_str),
            Some("420100"),
            "{q}: {found:?}"
        );
    }
    // A recent choice comes first.
    let found = codes(&search(&t, &tok, "q=wh&within=china&recent=421000,420100").await);
    assert_eq!(
        found.first().map(String::as_str),
        Some("420100"),
        "{found:?}"
    );
    // Outside the region only when asked: the region alone has no 武汉.
    let region = codes(&search(&t, &tok, &format!("q={}", enc("武汉"))).await);
    assert!(!region.contains(&"420100".to_string()), "{region:?}");
    // The region's own prefecture is the platform's node, found once.
    let haixi = codes(&search(&t, &tok, "q=hx&within=china&levels=prefecture").await);
    assert_eq!(
        haixi.iter().filter(|c| c.starts_with("6328")).count(),
        1,
        "{haixi:?}"
    );
    assert!(haixi.contains(&"6328".to_string()), "{haixi:?}");
}

async fn a_grid_by_name_in_the_subtree_only(engine: Engine) {
    let (t, golmud) = TestApp::as_user(engine, "golmud_operator").await;
    let found = search(&t, &golmud, &format!("q={}", enc("博爱巷第二"))).await;
    let grid = found
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(grid["code"], "632801001001002", "{found}");
    assert_eq!(grid["level"], "grid");
    assert!(
        grid["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("青海省海西蒙古族藏族自治州格尔木市")
                && p.ends_with("博爱巷第二网格")),
        "{grid}"
    );
    // By pinyin initials as well.
    let by_initials = codes(&search(&t, &golmud, "q=baxdewg&levels=grid").await);
    assert_eq!(by_initials, vec!["632801001001002".to_string()]);

    // 德令哈's grids: found by 德令哈's own operator, never by 格尔木's.
    let q = format!("q={}", enc("德令哈河西第一"));
    let own = codes(&search(&t, &t.token("delingha_operator").await, &q).await);
    assert!(own.contains(&"632802001001001".to_string()), "{own:?}");
    let sibling = codes(&search(&t, &golmud, &q).await);
    assert!(
        sibling
            .iter()
            .all(|c| !(c.len() == 15 && c.starts_with("632802"))),
        "a sibling county's grid offered: {sibling:?}"
    );
    let sibling = codes(&search(&t, &golmud, &format!("{q}&within=china&levels=grid")).await);
    assert!(sibling.is_empty(), "{sibling:?}");
    // "mine" keeps to the caller's subtree: 德令哈市 itself is left out too.
    let mine = codes(&search(&t, &golmud, &format!("q={}&within=mine", enc("德令哈"))).await);
    assert!(mine.is_empty(), "{mine:?}");
    // The grid worker sees the grids of their own grid only.
    let gw = t.token("grid_worker").await;
    let grids = codes(&search(&t, &gw, &format!("q={}&levels=grid", enc("博爱巷"))).await);
    assert_eq!(grids, vec!["632801001001001".to_string()]);
}

async fn context_and_levels_order_and_narrow(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let q = format!("q={}&levels=county", enc("市"));
    let golmud_first = codes(&search(&t, &tok, &format!("{q}&context=632801")).await);
    assert_eq!(
        golmud_first.first().map(String::as_str),
        Some("632801"),
        "{golmud_first:?}"
    );
    let delingha_first = codes(&search(&t, &tok, &format!("{q}&context=632802")).await);
    assert_eq!(
        delingha_first.first().map(String::as_str),
        Some("632802"),
        "{delingha_first:?}"
    );
    let all: Value = search(&t, &tok, &q).await;
    assert!(all
        .as_array()
        .is_some_and(|a| a.iter().all(|h| h["level"] == "county")));
}

async fn empty_garbage_and_bad_queries_never_fail(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "checkpoint_worker").await;
    for q in [
        "",
        "q=",
        "q=%20%20",
        "q=%25%25%25",
        "q=%27%3B--",
        "q=zzzzqqqq&within=china",
        "q=%F0%9F%98%80",
    ] {
        let found = search(&t, &tok, q).await;
        assert_eq!(found, json!([]), "{q}");
    }
    for (q, field) in [
        (format!("q={}", "武".repeat(31)), "q"),
        ("q=wh&within=world".to_string(), "within"),
        ("q=wh&levels=city".to_string(), "levels"),
        ("q=wh&context=abc".to_string(), "context"),
    ] {
        let r = t.get(&format!("/api/v1/places/search?{q}"), &tok).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.text
        );
        let v = r.json();
        assert!(v["error"]["fields"][field].is_string(), "{q}: {v}");
        let msg = v["error"]["message"].as_str().unwrap_or("");
        assert!(!msg.is_ascii(), "a Chinese message: {msg}");
    }
    let r = t.get("/api/v1/places/search?q=wh&limit=abc", &tok).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.json()["error"]["fields"]["limit"].is_string(),
        "{}",
        r.text
    );
    // Not logged in: 401, not a list.
    let r = t
        .call("GET", "/api/v1/places/search?q=wh", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn the_names_list_is_cacheable_and_scoped(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    let r = t.get_ok("/api/v1/places/names", &tok).await;
    let cache = r
        .headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok());
    assert_eq!(cache, Some("private, max-age=604800"));
    let etag = r
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_string();
    let v = r.json();
    assert_eq!(v["home"], "632801");
    let places = v["places"].as_array().expect("places");
    let find = |code: &str| places.iter().position(|p| p[0] == code);
    let wuhan = find("420100").expect("武汉市");
    assert_eq!(places[wuhan][1], "武汉市");
    assert_eq!(places[wuhan][5], "wu han shi");
    let hubei = places[wuhan][3].as_i64().expect("parent");
    assert_eq!(places[hubei as usize][0], "420000");
    assert!(find("632801001001002").is_some(), "a grid of 格尔木");
    assert!(find("632802001001001").is_none(), "no grid of 德令哈");
    assert!(
        find("632802").is_some(),
        "德令哈市 itself is a public division"
    );
    assert!(
        places.len() > 3000,
        "national list to county level: {}",
        places.len()
    );
    // Asked again with its tag: nothing to send.
    let req = Request::get("/api/v1/places/names")
        .header(header::AUTHORIZATION, format!("Bearer {tok}"))
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .expect("request");
    let again = t.send(req).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{}", again.text);
    assert!(again.text.is_empty());
    // A new grid changes the list.
    let r = t
        .post(
            "/api/v1/jurisdictions/632801001002/grids",
            &tok,
            json!({"name": "育红巷第九网格"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = t.get("/api/v1/places/names", &tok).await;
    assert_ne!(
        r.headers.get(header::ETAG).and_then(|v| v.to_str().ok()),
        Some(etag.as_str())
    );
    assert!(r.text.contains("育红巷第九网格"));
    let found = codes(&search(&t, &tok, &format!("q={}", enc("育红巷第九"))).await);
    assert_eq!(found.len(), 1, "{found:?}");
}

/// A passage whose origin is given as a national code outside the region is stored with the
/// place's full name, not the bare code.
async fn an_origin_code_outside_the_region_is_named(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    let south = t.checkpoint("格尔木南出口").await;
    let body = json!({
        "plate": "鄂A12345",
        "vehicle_class": "car",
        "origin": "420100",
        "destination": "632801100",
        "travellers": [{"name": "张武", "id_number": id_number("42010219800101001"),
            "temperature": 36.5, "outcome": "through"}]
    });
    let r = t.register_passage(south, &tok, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    assert_eq!(v["origin_code"], "420100");
    assert_eq!(v["origin"], "湖北省武汉市");
}

/// Every input of a template that asks for a place code is a place picker: a new form that
/// asks for a code without it fails here.
#[test]
fn every_place_code_input_is_a_picker() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let input = regex::Regex::new(r"<input[^>]*>").expect("regex");
    let name = regex::Regex::new(r#"name="([a-z_]+)""#).expect("regex");
    let place_names = [
        "jurisdiction_code",
        "place_code",
        "grid_code",
        "came_from",
        "origin",
        "destination",
    ];
    let mut missing = vec![];
    let mut pickers = 0;
    for entry in std::fs::read_dir(&dir).expect("templates") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("template");
        for line in text.lines() {
            for m in input.find_iter(line) {
                let tag = m.as_str();
                if tag.contains("type=\"hidden\"") {
                    continue;
                }
                let n = name
                    .captures(tag)
                    .map(|c| c[1].to_string())
                    .unwrap_or_default();
                let label_asks_code =
                    line[..m.start()].ends_with("代码") || line[..m.start()].contains("区划代码");
                if tag.contains("data-place") {
                    pickers += 1;
                } else if place_names.contains(&n.as_str()) || label_asks_code {
                    missing.push(format!("{}: {tag}", path.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "place codes without the picker:\n{}",
        missing.join("\n")
    );
    assert!(pickers >= 20, "only {pickers} pickers");
}

async fn the_passage_form_carries_the_picker(engine: Engine) {
    let t = TestApp::new(engine).await;
    let south = t.checkpoint("格尔木南出口").await;
    let mut b = t.browser("checkpoint_worker").await;
    let form = b.page(&format!("/checkpoints/{south}/passage")).await;
    assert!(
        form.text.contains(&dualtrack_web::assets::url("picker.js")),
        "{}",
        form.text
    );
    assert!(form
        .text
        .contains(r#"name="origin" value="" data-place="china""#));
    assert!(form
        .text
        .contains(r#"data-place-outside="name" data-place-context="632801""#));
    let js = b.page("/assets/picker.js").await;
    assert!(js.text.contains("formdata"));
}

on_both_engines!(
    wuhan_by_initials_name_and_pinyin,
    a_grid_by_name_in_the_subtree_only,
    context_and_levels_order_and_narrow,
    empty_garbage_and_bad_queries_never_fail,
    the_names_list_is_cacheable_and_scoped,
    an_origin_code_outside_the_region_is_named,
    the_passage_form_carries_the_picker,
);
