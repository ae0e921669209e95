//! The briefing's Word file is laid out as an official document (GB/T 9704-2012): read
//! back, it has the page, margins, grid, typefaces and page numbers the standard asks for.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use dualtrack_testkit::{on_both_engines, Engine};
use std::io::Read;

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip file");
    let mut xml = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("the part {name}"))
        .read_to_string(&mut xml)
        .expect("utf-8");
    xml
}

/// The first element `<w:tag …>` of the XML, with its attributes.
fn element<'a>(xml: &'a str, tag: &str) -> &'a str {
    let start = xml
        .find(&format!("<w:{tag} "))
        .unwrap_or_else(|| panic!("no <w:{tag}> in the document"));
    let end = xml[start..]
        .find('>')
        .map(|e| start + e)
        .unwrap_or(xml.len());
    &xml[start..end]
}

fn attr(element: &str, name: &str) -> String {
    let key = format!("w:{name}=\"");
    let start = element
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {element}"))
        + key.len();
    element[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The typeface (East Asian) and size of the run that carries `text`.
fn run_style(xml: &str, text: &str) -> (String, String) {
    let at = xml
        .find(&format!(">{text}<"))
        .unwrap_or_else(|| panic!("no run with {text}"));
    let run = &xml[xml[..at].rfind("<w:r>").expect("the run")..at];
    (
        attr(element(run, "rFonts"), "eastAsia"),
        attr(element(run, "sz"), "val"),
    )
}

async fn the_word_briefing_is_laid_out_as_an_official_document(engine: Engine) {
    let (t, tok) = TestApp::as_user(engine, "haixi_leader").await;
    let (status, docx) = t
        .download(&tok, "/api/v1/briefing.docx?as_of=2020-02-27")
        .await;
    assert_eq!(status, StatusCode::OK);
    let xml = part(&docx, "word/document.xml");
    // A4, 37 mm at the top, 28 mm at the binding edge, a type area of 156 × 225 mm.
    let size = element(&xml, "pgSz");
    assert_eq!(
        (attr(size, "w"), attr(size, "h")),
        ("11906".into(), "16838".into())
    );
    let margins = element(&xml, "pgMar");
    let mm = |name: &str| attr(margins, name).parse::<f64>().expect("twips") / 1440.0 * 25.4;
    assert!((mm("top") - 37.0).abs() < 0.5, "top {}", mm("top"));
    assert!((mm("left") - 28.0).abs() < 0.5, "left {}", mm("left"));
    assert!(
        (210.0 - mm("left") - mm("right") - 156.0).abs() < 0.5,
        "type area width"
    );
    assert!(
        (297.0 - mm("top") - mm("bottom") - 225.0).abs() < 0.5,
        "type area height"
    );
    // 22 lines a page, 28 characters a line.
    let grid = element(&xml, "docGrid");
    assert_eq!(attr(grid, "type"), "linesAndChars");
    let pitch: f64 = attr(grid, "linePitch").parse().expect("pitch");
    assert_eq!((225.0 / 25.4 * 1440.0 / pitch).floor(), 22.0);
    let char_space: f64 = attr(grid, "charSpace").parse().expect("char space");
    let per_char_pt = 16.0 + char_space / 4096.0;
    assert_eq!((156.0 / 25.4 * 72.0 / per_char_pt).floor(), 28.0);
    // The title in 二号小标宋, headings in 三号黑体, the text in 三号仿宋.
    assert_eq!(
        run_style(&xml, "海西蒙古族藏族自治州疫情防控和复工复产工作简报"),
        ("方正小标宋简体".into(), "44".into())
    );
    let first_heading = xml
        .split(">一、")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("a first heading");
    assert_eq!(run_style(&xml, &format!("一、{first_heading}")).0, "黑体");
    let body_run = xml
        .match_indices("<w:r>")
        .map(|(i, _)| &xml[i..i + xml[i..].find("</w:r>").unwrap_or(0)])
        .find(|r| r.contains("w:eastAsia=\"仿宋\""))
        .expect("a run of text in 仿宋");
    assert_eq!(attr(element(body_run, "sz"), "val"), "32");
    // Page numbers "— 1 —" in 宋体, on odd and even pages.
    let footers: Vec<String> = (1..=2)
        .filter_map(|i| {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&docx)).ok()?;
            let mut s = String::new();
            zip.by_name(&format!("word/footer{i}.xml"))
                .ok()?
                .read_to_string(&mut s)
                .ok()?;
            Some(s)
        })
        .collect();
    assert_eq!(footers.len(), 2, "odd and even footers");
    for f in &footers {
        assert!(f.contains("PAGE") && f.contains("— "), "{f}");
        assert!(f.contains("w:eastAsia=\"宋体\""), "{f}");
    }
}

on_both_engines!(the_word_briefing_is_laid_out_as_an_official_document);
