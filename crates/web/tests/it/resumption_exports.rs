//! Excel exports of the resumption command figures and the charts of the command pages: each
//! export holds the API's figures for the same query, masks phones, keeps to the caller's
//! scope and is audited; each chart carries the API's figures.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApp;
use dualtrack_service::export_resumption::read_workbook;
use dualtrack_testkit::{on_both_engines, Engine};
use serde_json::Value;

type Book = Vec<(String, Vec<Vec<String>>)>;

/// Downloads an export (200 expected, one more audit row) and reads every sheet.
async fn export(t: &TestApp, token: &str, path: &str) -> Book {
    let before = t.audit_count("export").await;
    let (status, bytes) = t.download(token, path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(t.audit_count("export").await, before + 1, "{path} audited");
    read_workbook(&bytes).expect("xlsx")
}

/// A sheet of a workbook as (headers, data rows).
fn sheet<'a>(book: &'a Book, name: &str) -> (&'a [String], &'a [Vec<String>]) {
    let (_, rows) = book
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("sheet {name} in {:?}", names(book)));
    let (head, data) = rows.split_first().expect("a header row");
    (head.as_slice(), data)
}

fn names(book: &Book) -> Vec<&str> {
    book.iter().map(|(n, _)| n.as_str()).collect()
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name} in {head:?}"))
}

/// The cell of a row under a header.
fn cell<'a>(head: &[String], row: &'a [String], name: &str) -> &'a str {
    row.get(col(head, name)).map(String::as_str).unwrap_or("")
}

/// The row whose key column holds `key`.
fn row_of<'a>(head: &[String], rows: &'a [Vec<String>], key_col: &str, key: &str) -> &'a [String] {
    rows.iter()
        .find(|r| cell(head, r, key_col) == key)
        .unwrap_or_else(|| panic!("a row {key_col} = {key}"))
}

fn pct(v: &Value) -> String {
    v.as_f64().map(|p| format!("{p:.1}")).unwrap_or_default()
}

fn num(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The three cells of a rate: numerator, denominator, percent.
fn rate(v: &Value) -> [String; 3] {
    [
        num(&v["numerator"]),
        num(&v["denominator"]),
        pct(&v["percent"]),
    ]
}

const RATE_CELLS: [[&str; 3]; 3] = [
    ["已复工（含部分复工）", "计入企业数", "开复工率（%）"],
    ["在岗人数", "正常用工", "复岗率（%）"],
    ["产量（用电量）", "正常基数", "产能恢复率（%）"],
];

/// A row of a rates or series sheet holds the place's figures.
fn same_rates(head: &[String], row: &[String], p: &Value) {
    assert_eq!(cell(head, row, "规上企业登记数"), num(&p["registered"]));
    assert_eq!(cell(head, row, "不计入"), num(&p["excluded"]));
    for (cols, key) in RATE_CELLS
        .iter()
        .zip(["resumption", "return_to_work", "capacity"])
    {
        let want = rate(&p[key]);
        for (c, w) in cols.iter().zip(want.iter()) {
            assert_eq!(cell(head, row, c), w, "{c} of {p}");
        }
    }
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a list")
}

async fn rates_export_follows_place_and_industry(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    for query in [
        "as_of=2020-02-27",
        "as_of=2020-02-27&industry=C",
        "as_of=2020-02-27&place=632801",
        "as_of=2020-02-27&place=632801&industry=C",
    ] {
        let api = t
            .get(&format!("/api/v1/resumption/rates?{query}"), &tok)
            .await
            .json();
        let book = export(
            &t,
            &tok,
            &format!("/api/v1/resumption/rates/export.xlsx?{query}"),
        )
        .await;
        assert_eq!(names(&book), ["各县", "各乡镇", "各行业"], "{query}");
        for (name, key, code_col) in [
            ("各县", "counties", "区划代码"),
            ("各乡镇", "townships", "区划代码"),
            ("各行业", "industries", "行业门类"),
        ] {
            let (head, rows) = sheet(&book, name);
            let places = list(&api[key]);
            assert!(!places.is_empty(), "{query} {key}");
            assert_eq!(rows.len(), places.len() + 1, "{query} {name}: and a total");
            for p in places {
                let code = p["code"].as_str().expect("code");
                same_rates(head, row_of(head, rows, code_col, code), p);
            }
            let total = rows.last().expect("total row");
            assert_eq!(cell(head, total, code_col), api["total"]["code"]);
            let name_col = if code_col == "行业门类" {
                "门类名称"
            } else {
                "地区"
            };
            assert!(cell(head, total, name_col).contains("合计"));
            same_rates(head, total, &api["total"]);
            for r in rows {
                assert_eq!(cell(head, r, "截至日期"), "2020-02-27");
            }
        }
        if query.contains("industry=C") {
            let (head, rows) = sheet(&book, "各行业");
            assert_eq!(rows.len(), 2, "one section and the total");
            assert_eq!(cell(head, &rows[0], "行业门类"), "C");
        }
        if query.contains("place=632801") {
            for (_, rows) in &book {
                for r in rows {
                    assert!(r.iter().all(|c| !c.starts_with("632802")), "{query}: {r:?}");
                }
            }
        }
    }
}

async fn series_export_matches_the_api_day_by_day(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    for query in [
        "from=2020-02-15&to=2020-02-27&by=county",
        "from=2020-02-15&to=2020-02-27&industry=C",
        "from=2020-02-20&to=2020-02-27&place=632801&by=county",
    ] {
        let api = t
            .get(&format!("/api/v1/resumption/series?{query}"), &tok)
            .await
            .json();
        let book = export(
            &t,
            &tok,
            &format!("/api/v1/resumption/series/export.xlsx?{query}"),
        )
        .await;
        let (head, rows) = sheet(&book, "逐日合计");
        let days = list(&api["total"]["days"]);
        assert!(!days.is_empty());
        assert_eq!(rows.len(), days.len(), "{query}: one row a day");
        for (r, d) in rows.iter().zip(days) {
            assert_eq!(cell(head, r, "日期"), d["day"].as_str().expect("day"));
            assert_eq!(cell(head, r, "区划代码"), api["total"]["code"]);
            same_rates(head, r, d);
        }
        if query.contains("by=county") {
            let (head, rows) = sheet(&book, "各县逐日");
            let counties = list(&api["counties"]);
            assert!(!counties.is_empty());
            let mut n = 0;
            for c in counties {
                let code = c["code"].as_str().expect("code");
                for d in list(&c["days"]) {
                    let day = d["day"].as_str().expect("day");
                    let r = rows
                        .iter()
                        .find(|r| cell(head, r, "区划代码") == code && cell(head, r, "日期") == day)
                        .unwrap_or_else(|| panic!("{code} {day}"));
                    same_rates(head, r, d);
                    n += 1;
                }
            }
            assert_eq!(rows.len(), n);
        } else {
            assert_eq!(names(&book), ["逐日合计"]);
        }
    }
    // Bad input: a 4xx naming the field, and no audit row.
    let before = t.audit_count("export").await;
    let (status, body) = t
        .download(
            &tok,
            "/api/v1/resumption/series/export.xlsx?from=2020-02-27&to=2020-02-01",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&body).contains("to"));
    assert_eq!(t.audit_count("export").await, before);
}

async fn list_exports_match_the_api_and_mask_phones(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;

    // 日报迟报漏报
    let api = t
        .get("/api/v1/resumption/punctuality?date=2020-02-27", &tok)
        .await
        .json();
    let book = export(
        &t,
        &tok,
        "/api/v1/resumption/punctuality/export.xlsx?date=2020-02-27",
    )
    .await;
    let (head, rows) = sheet(&book, "各县");
    let counties = list(&api["counties"]);
    assert_eq!(rows.len(), counties.len() + 1);
    for c in counties.iter().chain([&api["total"]]) {
        let r = row_of(head, rows, "区划代码", c["code"].as_str().expect("code"));
        for (h, k) in [
            ("应报", "expected"),
            ("按时", "on_time"),
            ("迟报", "late"),
            ("漏报（未报）", "missing"),
        ] {
            assert_eq!(cell(head, r, h), num(&c[k]), "{h} of {c}");
        }
    }
    let mut phones = 0;
    for (name, key) in [("未报企业", "missing"), ("迟报企业", "late")] {
        let (head, rows) = sheet(&book, name);
        let entries = list(&api[key]);
        assert_eq!(rows.len(), entries.len(), "{name}");
        for e in entries {
            let r = row_of(head, rows, "企业编号", &num(&e["enterprise_id"]));
            assert_eq!(cell(head, r, "企业名称"), e["name"]);
            assert_eq!(cell(head, r, "迟报分钟数"), num(&e["minutes_late"]));
            let phone = cell(head, r, "联系电话");
            assert_eq!(phone, e["contact_phone"].as_str().unwrap_or(""));
            if !phone.is_empty() {
                assert!(phone.contains("****"), "masked: {phone}");
                phones += 1;
            }
        }
    }
    assert!(phones > 0, "the demo has liaisons to chase");
    for (_, rows) in &book {
        for r in rows {
            for c in r {
                let digits = c.chars().filter(char::is_ascii_digit).count();
                assert!(
                    !(c.starts_with("1") && c.len() == 11 && digits == 11),
                    "an unmasked phone: {c}"
                );
            }
        }
    }

    // 复工备案
    let api = t.get("/api/v1/filings", &tok).await.json();
    let all: i64 = ["submitted", "approved", "returned"]
        .iter()
        .map(|s| api["counts"][s].as_i64().expect("count"))
        .sum();
    let book = export(&t, &tok, "/api/v1/filings/export.xlsx").await;
    let (head, rows) = sheet(&book, "复工备案");
    assert!(all > 0, "the demo has filings");
    assert_eq!(rows.len() as i64, all);
    for f in list(&api["filings"]) {
        let r = row_of(head, rows, "备案编号", &num(&f["id"]));
        assert_eq!(cell(head, r, "企业名称"), f["enterprise_name"]);
        assert_eq!(cell(head, r, "状态"), f["status_name"]);
        assert_eq!(cell(head, r, "计划复工人数"), num(&f["employees_planned"]));
    }
    let waiting = t.get("/api/v1/filings?status=submitted", &tok).await.json();
    let book = export(&t, &tok, "/api/v1/filings/export.xlsx?status=submitted").await;
    let (head, rows) = sheet(&book, "复工备案");
    assert_eq!(rows.len(), list(&waiting["filings"]).len());
    assert!(rows.iter().all(|r| cell(head, r, "状态") == "待审核"));

    // 生产难题
    for query in ["", "status=open", "category=labour"] {
        let counts = t
            .get(&format!("/api/v1/production-problems/counts?{query}"), &tok)
            .await
            .json();
        let problems = t
            .get(&format!("/api/v1/production-problems?{query}"), &tok)
            .await
            .json();
        let book = export(
            &t,
            &tok,
            &format!("/api/v1/production-problems/export.xlsx?{query}"),
        )
        .await;
        let (head, rows) = sheet(&book, "生产难题");
        assert_eq!(num(&counts["total"]), rows.len().to_string(), "{query}");
        if query.is_empty() {
            assert!(!rows.is_empty(), "the demo has production problems");
        }
        for p in list(&problems) {
            let r = row_of(head, rows, "编号", &num(&p["id"]));
            assert_eq!(cell(head, r, "类别"), p["category_name"]);
            assert_eq!(cell(head, r, "状态"), p["status_name"]);
            assert_eq!(cell(head, r, "难题"), p["description"]);
        }
        let (head, rows) = sheet(&book, "按类别");
        for c in list(&counts["by_category"]) {
            let r = row_of(
                head,
                rows,
                "类别",
                c["category_name"].as_str().expect("name"),
            );
            assert_eq!(cell(head, r, "未解决"), num(&c["open"]));
            assert_eq!(cell(head, r, "已解决"), num(&c["resolved"]));
        }
        let total = row_of(head, rows, "类别", "合计");
        assert_eq!(cell(head, total, "合计"), num(&counts["total"]));
    }

    // 重大项目
    let api = t
        .get("/api/v1/projects/rates?as_of=2020-03-13", &tok)
        .await
        .json();
    let book = export(&t, &tok, "/api/v1/projects/export.xlsx?as_of=2020-03-13").await;
    let (head, rows) = sheet(&book, "各县");
    let counties = list(&api["counties"]);
    assert!(!counties.is_empty());
    assert_eq!(rows.len(), counties.len() + 1);
    for c in counties.iter().chain([&api["total"]]) {
        let r = row_of(head, rows, "区划代码", c["code"].as_str().expect("code"));
        assert_eq!(cell(head, r, "项目数"), num(&c["projects"]));
        assert_eq!(cell(head, r, "提前开工"), num(&c["started_ahead"]));
        for (cols, key) in [
            (
                ["按计划应开工已开工", "按计划应开工", "开工率（按计划，%）"],
                "start_rate",
            ),
            (
                ["已开工（复工）", "全部项目", "开工率（全部，%）"],
                "start_rate_all",
            ),
            (
                [
                    "年度累计完成投资（万元）",
                    "年度计划投资（万元）",
                    "投资完成率（%）",
                ],
                "investment_rate",
            ),
        ] {
            for (h, w) in cols.iter().zip(rate(&c[key]).iter()) {
                assert_eq!(cell(head, r, h), w, "{h} of {c}");
            }
        }
    }
    let (head, rows) = sheet(&book, "项目");
    let projects = list(&api["projects"]);
    assert_eq!(rows.len(), projects.len());
    for p in projects {
        let r = row_of(head, rows, "项目编号", &num(&p["id"]));
        assert_eq!(
            cell(head, r, "年度累计完成投资（万元）"),
            num(&p["completed"])
        );
        assert_eq!(
            cell(head, r, "实际开工日期"),
            p["started_on"].as_str().unwrap_or("")
        );
        assert_eq!(
            cell(head, r, "投资完成率（%）"),
            pct(&p["investment_rate"]["percent"])
        );
    }

    // 重点生产
    let query = "as_of=2020-02-29&from=2020-02-01";
    let api = t
        .get(&format!("/api/v1/key-production?{query}"), &tok)
        .await
        .json();
    let book = export(
        &t,
        &tok,
        &format!("/api/v1/key-production/export.xlsx?{query}"),
    )
    .await;
    let (head, rows) = sheet(&book, "各厂");
    let plants = list(&api["plants"]);
    assert!(!plants.is_empty());
    assert_eq!(rows.len(), plants.len());
    for p in plants {
        let r = row_of(head, rows, "编号", &num(&p["id"]));
        assert_eq!(cell(head, r, "当日产量"), num(&p["day_output"]));
        assert_eq!(cell(head, r, "累计产量"), num(&p["period_output"]));
        assert_eq!(cell(head, r, "累计发运量"), num(&p["shipped"]));
        assert_eq!(
            cell(head, r, "当日产能利用率（%）"),
            pct(&p["utilisation"]["percent"])
        );
    }
    let (head, rows) = sheet(&book, "发运省份");
    let provinces = list(&api["provinces"]);
    assert!(!provinces.is_empty());
    assert_eq!(rows.len(), provinces.len());
    for (r, p) in rows.iter().zip(provinces) {
        assert_eq!(cell(head, r, "省份代码"), p["province_code"]);
        assert_eq!(cell(head, r, "产品"), p["product"]);
        assert_eq!(cell(head, r, "公路"), num(&p["road"]));
        assert_eq!(cell(head, r, "铁路"), num(&p["rail"]));
        assert_eq!(cell(head, r, "合计"), num(&p["quantity"]));
    }
    let (head, rows) = sheet(&book, "各产品");
    assert_eq!(rows.len(), list(&api["products"]).len());
    for p in list(&api["products"]) {
        let r = row_of(head, rows, "产品", p["product"].as_str().expect("product"));
        assert_eq!(cell(head, r, "累计发运量"), num(&p["shipped"]));
    }
}

/// Every export a 格尔木 user can ask for.
/// At most this many provinces in the shipments chart.
const CHART_PROVINCES: usize = 8;

const EXPORTS: &[&str] = &[
    "/api/v1/resumption/rates/export.xlsx?as_of=2020-02-27",
    "/api/v1/resumption/series/export.xlsx?from=2020-02-15&to=2020-02-27&by=county",
    "/api/v1/resumption/punctuality/export.xlsx?date=2020-02-27",
    "/api/v1/filings/export.xlsx",
    "/api/v1/production-problems/export.xlsx",
    "/api/v1/projects/export.xlsx?as_of=2020-03-13",
    "/api/v1/key-production/export.xlsx?as_of=2020-02-29&from=2020-02-01",
];

async fn a_county_exports_only_its_own(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "golmud_operator").await;
    for path in EXPORTS {
        let book = export(&t, &tok, path).await;
        let cells: usize = book.iter().map(|(_, rows)| rows.len()).sum();
        assert!(cells > names(&book).len(), "{path}: something exported");
        for (name, rows) in &book {
            for r in rows {
                assert!(
                    r.iter()
                        .all(|c| !c.starts_with("632802") && !c.contains("德令哈")),
                    "{path} {name}: {r:?}"
                );
            }
        }
    }
    // Asking for 德令哈 is refused, and nothing is exported.
    let before = t.audit_count("export").await;
    for path in [
        "/api/v1/resumption/rates/export.xlsx?as_of=2020-02-27&place=632802",
        "/api/v1/resumption/series/export.xlsx?from=2020-02-15&to=2020-02-27&place=632802",
        "/api/v1/production-problems/export.xlsx?county=632802",
    ] {
        let (status, body) = t.download(&tok, path).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{path}: {status}"
        );
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("德令哈"), "{path}: {text}");
    }
    assert_eq!(t.audit_count("export").await, before);
    // Without a token: 401.
    let req = Request::builder()
        .uri(EXPORTS[0])
        .body(Body::empty())
        .expect("request");
    assert_eq!(t.send(req).await.status, StatusCode::UNAUTHORIZED);
}

/// The JSON of a chart container on a page.
fn chart(html: &str, id: &str) -> Value {
    let start = format!("id=\"{id}\"><script type=\"application/json\">");
    let from = html
        .find(&start)
        .unwrap_or_else(|| panic!("chart {id} on the page"))
        + start.len();
    let len = html[from..].find("</script>").expect("end of the JSON");
    serde_json::from_str(&html[from..from + len]).expect("chart JSON")
}

fn series_sum(c: &Value) -> i64 {
    list(&c["series"])
        .iter()
        .flat_map(|s| list(&s["data"]).iter())
        .map(|v| v.as_i64().unwrap_or(0))
        .sum()
}

async fn command_pages_draw_the_api_figures_and_link_exports(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let mut b = t.browser("haixi_leader").await;
    let scripts = format!(
        "<script src=\"{}\"></script>",
        dualtrack_web::assets::url("vendor/echarts.min.js")
    );
    let scripts = scripts.as_str();

    // 重点生产: shipments by province and each plant's daily utilisation.
    let query = "as_of=2020-02-29&from=2020-02-01";
    let api = t
        .get(&format!("/api/v1/key-production?{query}"), &tok)
        .await
        .json();
    let page = b.page(&format!("/key-production?{query}")).await;
    assert!(page.text.contains(scripts));
    assert!(page.text.contains(
        "href=\"/api/v1/key-production/export.xlsx?as_of=2020-02-29&amp;from=2020-02-01\""
    ));
    let shipped = chart(&page.text, "province-chart");
    // Each province's total, most first: the chart shows the first of them, each product's
    // bar the API's quantity.
    let mut totals: Vec<(String, i64)> = Vec::new();
    for p in list(&api["provinces"]) {
        let name = p["province_name"].as_str().expect("name").to_string();
        let q = p["quantity"].as_i64().expect("quantity");
        match totals.iter_mut().find(|(n, _)| *n == name) {
            Some(t) => t.1 += q,
            None => totals.push((name, q)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    assert!(!totals.is_empty());
    let shown = list(&shipped["x"]).len();
    assert_eq!(shown, totals.len().min(CHART_PROVINCES));
    let by_api: i64 = totals[..shown].iter().map(|(_, q)| q).sum();
    assert!(by_api > 0);
    assert_eq!(series_sum(&shipped), by_api);
    for (i, (name, _)) in totals[..shown].iter().enumerate() {
        let label = shipped["x"][i].as_str().expect("label");
        assert!(name.starts_with(label), "{label} for {name}");
        for p in list(&api["provinces"])
            .iter()
            .filter(|p| p["province_name"] == name.as_str())
        {
            let series = list(&shipped["series"])
                .iter()
                .find(|s| {
                    s["name"]
                        == format!(
                            "{}（{}）",
                            p["product"].as_str().expect("product"),
                            p["unit"].as_str().expect("unit")
                        )
                        .as_str()
                })
                .expect("a series for the product");
            assert_eq!(series["data"][i], p["quantity"], "{name}");
        }
    }
    if totals.len() > CHART_PROVINCES {
        assert!(page.text.contains(&format!("共 {} 个", totals.len())));
    }
    let output = chart(&page.text, "output-chart");
    assert_eq!(output["unit"], "%");
    let days = list(&output["x"]).len() as i64;
    assert_eq!(days, api["days"].as_i64().expect("days"));
    let plants = list(&api["plants"]);
    assert_eq!(list(&output["series"]).len(), plants.len());
    for (s, p) in list(&output["series"]).iter().zip(plants) {
        assert_eq!(s["name"], p["name"]);
        let data = list(&s["data"]);
        assert_eq!(data.len() as i64, days);
        // The last day is the day the figures are as of.
        assert_eq!(data.last().expect("a day"), &p["utilisation"]["percent"]);
    }

    // 重大项目: counties' start and investment rates.
    let api = t
        .get("/api/v1/projects/rates?as_of=2020-03-13", &tok)
        .await
        .json();
    let page = b.page("/projects?as_of=2020-03-13").await;
    assert!(page.text.contains(scripts));
    assert!(page
        .text
        .contains("href=\"/api/v1/projects/export.xlsx?as_of=2020-03-13\""));
    let c = chart(&page.text, "county-chart");
    let counties = list(&api["counties"]);
    assert_eq!(list(&c["x"]).len(), counties.len());
    let starts: Vec<&Value> = counties
        .iter()
        .map(|c| &c["start_rate"]["percent"])
        .collect();
    let invest: Vec<&Value> = counties
        .iter()
        .map(|c| &c["investment_rate"]["percent"])
        .collect();
    assert_eq!(
        list(&c["series"][0]["data"]).iter().collect::<Vec<_>>(),
        starts
    );
    assert_eq!(
        list(&c["series"][1]["data"]).iter().collect::<Vec<_>>(),
        invest
    );

    // 生产难题: open and resolved by category.
    let counts = t
        .get("/api/v1/production-problems/counts", &tok)
        .await
        .json();
    let page = b.page("/production-problems").await;
    assert!(page.text.contains(scripts));
    assert!(page.text.contains("id=\"problems-export\""));
    let c = chart(&page.text, "category-chart");
    let cats = list(&counts["by_category"]);
    assert_eq!(list(&c["x"]).len(), cats.len());
    for (i, k) in cats.iter().enumerate() {
        assert_eq!(c["x"][i], k["category_name"]);
        assert_eq!(c["series"][0]["data"][i], k["open"]);
        assert_eq!(c["series"][1]["data"][i], k["resolved"]);
    }
    assert_eq!(series_sum(&c), counts["total"].as_i64().expect("total"));

    // The rates page's export carries the place and industry asked for.
    let page = b
        .page("/resumption?as_of=2020-02-27&place=632801&industry=C")
        .await;
    assert!(page.text.contains(
        "href=\"/api/v1/resumption/rates/export.xlsx?as_of=2020-02-27&amp;place=632801&amp;industry=C\""
    ), "{}", page.text);
    assert!(page.text.contains("id=\"series-export\""));
    let page = b.get("/resumption/punctuality?date=2020-02-27").await;
    assert!(page
        .text
        .contains("href=\"/api/v1/resumption/punctuality/export.xlsx?date=2020-02-27\""));
    let page = b.get("/filings?status=submitted").await;
    assert!(page
        .text
        .contains("href=\"/api/v1/filings/export.xlsx?status=submitted\""));
}

on_both_engines!(
    rates_export_follows_place_and_industry,
    series_export_matches_the_api_day_by_day,
    list_exports_match_the_api_and_mask_phones,
    a_county_exports_only_its_own,
    command_pages_draw_the_api_figures_and_link_exports
);
