//! The dashboard's charts: rates on a percent axis of their own, only figures a level has,
//! a word instead of a blank chart, and a place's own records named as its 本级.

use crate::common;

use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::Value;

/// The JSON of the chart with `id` on the page.
fn chart(html: &str, id: &str) -> Value {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no chart {id}"));
    let json = html[at..]
        .split("<script type=\"application/json\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("the chart's figures");
    serde_json::from_str(json).expect("json")
}

fn names(spec: &Value) -> Vec<String> {
    spec["series"]
        .as_array()
        .expect("series")
        .iter()
        .filter_map(|s| s["name"].as_str().map(String::from))
        .collect()
}

async fn rates_have_their_own_axis_and_levels_chart_what_they_have(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("haixi_leader").await;

    // The prefecture: the rate on the percent axis, head counts on the other.
    let p = b.page("/dashboard?as_of=2020-02-27").await;
    let trend = chart(&p.text, "trend-chart");
    for s in trend["series"].as_array().expect("series") {
        let rate = s["unit"] == "%";
        assert_eq!(s["axis"], if rate { 1 } else { 0 }, "{s}");
    }
    assert_eq!(trend["axes"][1]["max"], 100);
    let places = chart(&p.text, "places-chart");
    assert!(
        names(&places).iter().any(|n| n.starts_with("开复工率")),
        "{places}"
    );
    // Percentages with one decimal.
    for v in places["series"][0]["data"].as_array().expect("data") {
        if let Some(x) = v.as_f64() {
            assert_eq!((x * 10.0).round() / 10.0, x, "{x}");
        }
    }

    // A county: enterprises registered with the county itself are its 本级, not a child
    // named as the county.
    let g = b.page("/dashboard?as_of=2020-02-27&place=632801").await;
    let x: Vec<String> = chart(&g.text, "places-chart")["x"]
        .as_array()
        .expect("x")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    assert!(!x.iter().any(|n| n == "格尔木市"), "{x:?}");
    assert!(x.iter().any(|n| n == "格尔木市本级"), "{x:?}");

    // A township: no rates of its villages, so no rate series; and when nothing is left, a
    // word to show instead of a blank chart.
    let tok = t.token("haixi_leader").await;
    let d = t
        .get("/api/v1/dashboard?as_of=2020-02-27&place=632801", &tok)
        .await;
    let township = d.json()["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["code"].as_str().map(String::from))
        .find(|c| c.len() == 9)
        .expect("a township");
    let w = b
        .page(&format!("/dashboard?as_of=2020-02-27&place={township}"))
        .await;
    if w.text.contains("id=\"places-chart\"") {
        let spec = chart(&w.text, "places-chart");
        assert!(
            !names(&spec).iter().any(|n| n.starts_with("开复工率")),
            "{spec}"
        );
        for s in spec["series"].as_array().expect("series") {
            assert!(
                s["data"]
                    .as_array()
                    .expect("data")
                    .iter()
                    .any(|v| !v.is_null()),
                "{s}"
            );
        }
        assert!(spec["empty"].as_str().is_some_and(|e| !e.is_empty()));
    }
}

async fn the_wall_display_turns_its_sections(engine: Engine) {
    let t = TestApp::new(engine).await;
    let mut b = t.browser("haixi_leader").await;
    let p = b.page("/dashboard?as_of=2020-02-27&wall=1").await;
    assert!(p.text.contains("dashboard wall"));
    assert!(p.text.contains(&dualtrack_web::assets::url("wall.js")));
    let js = b.page("/assets/wall.js").await;
    assert!(js.text.contains("section.card"));
    let plain = b.get("/dashboard?as_of=2020-02-27").await;
    assert!(!plain.text.contains(&dualtrack_web::assets::url("wall.js")));
}

on_both_engines!(
    rates_have_their_own_axis_and_levels_chart_what_they_have,
    the_wall_display_turns_its_sections,
);
