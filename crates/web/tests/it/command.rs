//! The command view on both engines: the dashboard's figures are those of each track's own
//! API for the same place and day; the demo gives the field report's figures as of
//! 2020-02-27; the briefing states them, in Markdown and in a Word file read back here; a
//! county's leader sees only the county.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::Value;
use std::io::Read;

fn figure<'a>(d: &'a Value, id: &str) -> &'a Value {
    d["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["figures"].as_array().expect("figures").iter())
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} on the dashboard: {d}"))
}

/// The text of a Word file's body.
fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip file");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("the document part")
        .read_to_string(&mut xml)
        .expect("utf-8");
    // Text runs only, tags dropped.
    let re = regex::Regex::new(r"<[^>]+>").expect("regex");
    re.replace_all(&xml, "").into_owned()
}

async fn dashboard_figures_are_the_tracks_figures(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let d = t.get_json("/api/v1/dashboard?as_of=2020-02-27", &tok).await;
    assert_eq!(d["place"]["code"], "6328");
    let rates = t
        .get_json("/api/v1/resumption/rates?as_of=2020-02-27", &tok)
        .await;
    let rate = figure(&d, "resumption.rate");
    assert_eq!(rate["numerator"], rates["total"]["resumption"]["numerator"]);
    assert_eq!(
        rate["denominator"],
        rates["total"]["resumption"]["denominator"]
    );
    assert_eq!(
        figure(&d, "resumption.registered")["value"].as_f64(),
        rates["total"]["registered"].as_f64()
    );
    // The field report's figures, from the demo's records.
    assert_eq!(figure(&d, "resumption.registered")["text"], "163");
    assert_eq!(rate["text"], "73.1%");
    let mob = t
        .get_json("/api/v1/mobilisation/figures?as_of=2020-02-27", &tok)
        .await;
    let temp: i64 = mob["organisations"]
        .as_array()
        .expect("orgs")
        .iter()
        .filter(|o| o["kind"] == "temp_branch")
        .filter_map(|o| o["count"].as_i64())
        .sum();
    assert_eq!(
        figure(&d, "mobilisation.temp_branches")["numerator"].as_i64(),
        Some(temp)
    );
    assert_eq!(
        figure(&d, "mobilisation.registrations")["numerator"],
        mob["registrations"]
    );
    let mon = t
        .get_json("/api/v1/monitoring/figures?as_of=2020-02-27", &tok)
        .await;
    assert_eq!(
        figure(&d, "prevention.under_monitoring")["numerator"],
        mon["under"]
    );
    // Supplies: the dashboard's three figures are the supplies track's, today and the day
    // before.
    for (day, key) in [("2020-02-27", "numerator"), ("2020-02-26", "previous")] {
        let low = t
            .get_json(&format!("/api/v1/supplies/low-stock?as_of={day}"), &tok)
            .await;
        let short = t
            .get_json(&format!("/api/v1/supplies/shortfalls?as_of={day}"), &tok)
            .await;
        let farm = t
            .get_json(
                &format!("/api/v1/supplies/spring-farming?as_of={day}"),
                &tok,
            )
            .await;
        let n = |v: &Value, list: &str| v[list].as_array().map(Vec::len).unwrap_or(0) as f64;
        assert_eq!(
            figure(&d, "supplies.low_stock")[key].as_f64(),
            Some(n(&low, "lines")),
            "{day}"
        );
        let short_lines = short["lines"].as_array().expect("lines");
        let short_count = short_lines
            .iter()
            .filter(|l| l["shortfall"].as_i64().unwrap_or(0) > 0)
            .count();
        assert!(!short_lines.is_empty(), "{day}: the demo declares needs");
        assert_eq!(
            figure(&d, "supplies.shortfalls")[key].as_f64(),
            Some(short_count as f64),
            "{day}"
        );
        let (prepared, planned) = farm["townships"]
            .as_array()
            .expect("townships")
            .iter()
            .fold((0, 0), |(p, q), t| {
                (
                    p + t["prepared_mu"].as_i64().unwrap_or(0),
                    q + t["planned_mu"].as_i64().unwrap_or(0),
                )
            });
        assert!(planned > 0, "{day}: the demo plans spring farming");
        if key == "numerator" {
            let f = figure(&d, "supplies.farm_prepared");
            assert_eq!(f["numerator"].as_i64(), Some(prepared), "{day}");
            assert_eq!(f["denominator"].as_i64(), Some(planned), "{day}");
        }
    }
    // The day before is the track's figure of the day before.
    let before = t
        .get_json("/api/v1/monitoring/figures?as_of=2020-02-26", &tok)
        .await;
    assert_eq!(
        figure(&d, "prevention.under_monitoring")["previous"].as_f64(),
        before["under"].as_f64()
    );
    // Every figure is defined in the catalogue and links to its records.
    let catalogue = t.get_json("/api/v1/indicators", &tok).await;
    let ids = common::each_str(&catalogue, "id");
    for s in d["sections"].as_array().expect("sections") {
        for f in s["figures"].as_array().expect("figures") {
            assert!(ids.contains(&f["id"].as_str().unwrap_or("")), "{f}");
            assert!(f["link"].as_str().unwrap_or("").starts_with('/'), "{f}");
        }
    }
    // Drill-down: 格尔木 is the track's 格尔木.
    let g = t
        .get_json("/api/v1/dashboard?as_of=2020-02-27&place=632801", &tok)
        .await;
    let gr = t
        .get_json(
            "/api/v1/resumption/rates?as_of=2020-02-27&place=632801",
            &tok,
        )
        .await;
    assert_eq!(
        figure(&g, "resumption.rate")["numerator"],
        gr["total"]["resumption"]["numerator"]
    );
    let path = common::each_str(&g["path"], "code");
    assert_eq!(path, vec!["6328", "632801"]);
    assert!(g["children"]
        .as_array()
        .expect("children")
        .iter()
        .all(|c| c["code"].as_str().unwrap_or("").starts_with("632801")));
    // stats gives the same values by id.
    let stats = t.get_json("/api/v1/stats?as_of=2020-02-27", &tok).await;
    assert_eq!(stats["resumption.rate"]["numerator"], rate["numerator"]);
    assert_eq!(stats["mobilisation.grids"]["text"], "815");
    // A day later the figures move with the records: the road to Lao Mangya starts.
    let next = t.get_json("/api/v1/dashboard?as_of=2020-02-28", &tok).await;
    assert_eq!(
        figure(&next, "resumption.projects_started")["numerator"].as_i64(),
        figure(&d, "resumption.projects_started")["numerator"]
            .as_i64()
            .map(|n| n + 1)
    );
}

async fn the_briefing_states_the_report_figures(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let b = t.get_json("/api/v1/briefing?as_of=2020-02-27", &tok).await;
    assert_eq!(b["place_code"], "6328");
    let stats = t.get_json("/api/v1/stats?as_of=2020-02-27", &tok).await;
    let n = |id: &str| stats[id]["numerator"].as_i64().expect(id).to_string();
    let text: String = b["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().expect("paragraphs").iter())
        .filter_map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let wanted = [
        format!(
            "{}个乡镇（街道）党（工）委",
            n("mobilisation.township_committees")
        ),
        format!("{}个村（社区）党组织", n("mobilisation.village_parties")),
        format!("{}个网格", n("mobilisation.grids")),
        format!("临时党支部{}个", n("mobilisation.temp_branches")),
        format!("党员突击队{}支", n("mobilisation.commandos")),
        format!("志愿服务队{}支", n("mobilisation.volunteer_teams")),
        format!("{}名第一书记", n("mobilisation.returned_early")),
        format!("请战书{}份", n("mobilisation.applications")),
        format!("报到{}人", n("mobilisation.registrations")),
        format!(
            "{}个工作组{}名干部",
            n("mobilisation.work_groups"),
            n("mobilisation.work_group_cadres")
        ),
        format!("{}家规模以上工业企业", n("resumption.registered")),
        "开复工率73.1%（117/160".to_string(),
        "格尔木至老茫崖公路".to_string(),
    ];
    for w in &wanted {
        assert!(text.contains(w.as_str()), "briefing lacks {w}:\n{text}");
    }
    // And the demo's values are the field report's.
    for (id, v) in [
        ("mobilisation.township_committees", 35),
        ("mobilisation.village_parties", 295),
        ("mobilisation.grids", 815),
        ("mobilisation.temp_branches", 28),
        ("mobilisation.commandos", 132),
        ("mobilisation.volunteer_teams", 336),
        ("mobilisation.returned_early", 467),
        ("mobilisation.applications", 222),
        ("mobilisation.work_groups", 34),
        ("mobilisation.work_group_cadres", 102),
        ("resumption.registered", 163),
    ] {
        assert_eq!(stats[id]["numerator"].as_i64(), Some(v), "{id}");
    }
    assert!(stats["mobilisation.registrations"]["numerator"].as_i64() > Some(4000));

    // Markdown and Word carry the same text.
    let (status, md) = t
        .download(&tok, "/api/v1/briefing.md?as_of=2020-02-27")
        .await;
    assert_eq!(status, StatusCode::OK);
    let md = String::from_utf8(md).expect("utf-8");
    assert!(md.starts_with("# 海西蒙古族藏族自治州疫情防控和复工复产工作简报"));
    let (status, docx) = t
        .download(&tok, "/api/v1/briefing.docx?as_of=2020-02-27")
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = docx_text(&docx);
    for w in &wanted {
        assert!(body.contains(w.as_str()), "Word file lacks {w}");
    }
}

async fn a_county_leader_sees_the_county_only(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_leader").await;
    let d = t.get_json("/api/v1/dashboard?as_of=2020-02-27", &tok).await;
    assert_eq!(d["place"]["code"], "632801");
    for place in ["6328", "632802"] {
        t.each_answers(
            &[
                format!("/api/v1/dashboard?as_of=2020-02-27&place={place}"),
                format!("/api/v1/briefing?as_of=2020-02-27&place={place}"),
                format!("/api/v1/stats?as_of=2020-02-27&place={place}"),
            ],
            &tok,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let b = t.get_json("/api/v1/briefing?as_of=2020-02-27", &tok).await;
    assert_eq!(b["place_code"], "632801");
    let text = b.to_string();
    assert!(text.contains("格尔木市"));
    assert!(!text.contains("海西蒙古族藏族自治州"));
    // 格尔木's count is its own, below the prefecture's.
    let top = t.token("haixi_leader").await;
    let all = t.get_json("/api/v1/dashboard?as_of=2020-02-27", &top).await;
    let mine = figure(&d, "resumption.registered")["numerator"]
        .as_i64()
        .expect("n");
    let prefecture = figure(&all, "resumption.registered")["numerator"]
        .as_i64()
        .expect("n");
    assert!(mine > 0 && mine < prefecture);
    // Bad dates name the field.
    let r = t.get("/api/v1/dashboard?as_of=2020-02-30", &tok).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"]["fields"]["as_of"].is_string());
}

/// The figures the dashboard reads from rollups (people on duty, checkpoint counts, people
/// under monitoring over four weeks) are those counted from the records, day by day.
async fn rolled_up_figures_are_the_records(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    for place in ["6328", "632801", "632802", "632801100"] {
        for day in [
            "2020-01-26",
            "2020-02-05",
            "2020-02-17",
            "2020-02-27",
            "2020-03-12",
        ] {
            let d = t
                .get_json(
                    &format!("/api/v1/dashboard?as_of={day}&place={place}"),
                    &tok,
                )
                .await;
            let (lo, hi) = (place.to_string(), format!("{place}:"));
            let on_duty = t
                .count(&format!(
                    "SELECT COUNT(DISTINCT person_id) FROM deployments WHERE jurisdiction_code >= '{lo}' \
                     AND jurisdiction_code < '{hi}' AND start_on <= '{day}' AND (end_on IS NULL OR end_on >= '{day}')"
                ))
                .await;
            assert_eq!(
                figure(&d, "mobilisation.on_duty")["numerator"].as_i64(),
                Some(on_duty),
                "{place} {day}"
            );
            if place.len() <= 6 {
                let persons = t
                    .count(&format!(
                        "SELECT CAST(COALESCE(SUM(persons), 0) AS BIGINT) FROM passages \
                         WHERE jurisdiction_code >= '{lo}' AND jurisdiction_code < '{hi}' AND pass_date = '{day}'"
                    ))
                    .await;
                assert_eq!(
                    figure(&d, "prevention.passages")["numerator"].as_i64(),
                    Some(persons),
                    "{place} {day}"
                );
                if place == "6328" {
                    let c = t
                        .get_json(
                            &format!("/api/v1/checkpoints/counts?from={day}&to={day}"),
                            &tok,
                        )
                        .await;
                    assert_eq!(
                        figure(&d, "prevention.passages")["numerator"],
                        c["total"]["persons"]
                    );
                    assert_eq!(
                        figure(&d, "prevention.fevers")["numerator"],
                        c["total"]["fevers"]
                    );
                    assert_eq!(
                        figure(&d, "prevention.turned_back")["numerator"],
                        c["total"]["turned_back"]
                    );
                }
            }
            for point in d["series"].as_array().expect("series").iter().step_by(9) {
                let date = point["date"].as_str().expect("date");
                let m = t
                    .get_json(
                        &format!("/api/v1/monitoring/figures?as_of={date}&place={place}"),
                        &tok,
                    )
                    .await;
                assert_eq!(point["under_monitoring"], m["under"], "{place} {date}");
            }
        }
    }
}

on_both_engines!(
    rolled_up_figures_are_the_records,
    dashboard_figures_are_the_tracks_figures,
    the_briefing_states_the_report_figures,
    a_county_leader_sees_the_county_only,
);

/// The files of a folder (not below it) whose names end in one of `exts`.
fn files_in(dir: &std::path::Path, exts: &[&str]) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| exts.iter().any(|x| n.ends_with(x)))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_catalogue_has_each_id_once() {
    let ids: Vec<String> = dualtrack_service::command::indicators()
        .into_iter()
        .map(|i| i.id)
        .collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an id twice in {ids:?}");
    assert!(!ids.is_empty());
}

/// Indicator ids named as text outside the service's constants (the templates, the scripts,
/// these tests and the browser tests, as `"track.name"` or as the dashboard's element id
/// `fig-track-name`) are all in the catalogue.
#[test]
fn every_indicator_id_named_in_pages_scripts_and_tests_is_in_the_catalogue() {
    let catalogue: std::collections::BTreeSet<String> = dualtrack_service::command::indicators()
        .into_iter()
        .map(|i| i.id)
        .collect();
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files: Vec<_> = [
        files_in(&web.join("templates"), &[".html"]),
        files_in(&web.join("assets"), &[".js"]),
        files_in(&web.join("tests/it"), &[".rs"]),
        files_in(&web.join("../../e2e"), &[".mjs", ".js"]),
    ]
    .concat();
    assert!(files.len() > 10, "{files:?}");
    let tracks = "prevention|resumption|mobilisation|whistle|supplies";
    let quoted = regex::Regex::new(&format!(r#""((?:{tracks})\.[a-z_]+)""#)).expect("regex");
    let element = regex::Regex::new(&format!(r"\bfig-((?:{tracks})-[a-z_]+)")).expect("regex");
    let mut named = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let ids = quoted.captures_iter(&text).map(|c| c[1].to_string()).chain(
            element
                .captures_iter(&text)
                .map(|c| c[1].replacen('-', ".", 1)),
        );
        for id in ids {
            named += 1;
            assert!(
                catalogue.contains(&id),
                "{} names {id}, which is not in the catalogue",
                f.display()
            );
        }
    }
    assert!(named > 20, "only {named} ids found");
}
