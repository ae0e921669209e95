//! The daily briefing (简报): written from the indicators of a place as of a day, with the
//! change from the day before and the notable items of the day, in the manner of a
//! government briefing; rendered as Markdown and as Word (DOCX), the format the offices edit.

use crate::command::tracks::{prevention, IndicatorId, TRACKS};
use crate::command::{CommandQuery, FigureValue, Snapshot};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{Datelike, Duration, NaiveDate};
use docx_rs::{AlignmentType, Docx, Paragraph, Run};
use dualtrack_domain::role::Permission;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BriefSection {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Briefing {
    pub title: String,
    /// 截至日期
    pub as_of: NaiveDate,
    pub place_code: String,
    pub place_name: String,
    /// 如 （截至2020年2月27日24时）
    pub subtitle: String,
    pub sections: Vec<BriefSection>,
}

fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

const NUMBERS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The values of one day with the day before, read by indicator id.
pub(crate) struct Values<'a> {
    today: &'a BTreeMap<IndicatorId, FigureValue>,
    before: &'a BTreeMap<IndicatorId, FigureValue>,
}

/// The place and day a briefing is written for, and the snapshot of the day.
pub(crate) struct BriefContext<'a> {
    /// The day in Chinese, as 2020年2月27日.
    pub at: &'a str,
    pub place_code: &'a str,
    pub place_name: &'a str,
    pub today: &'a Snapshot,
}

impl Values<'_> {
    pub(crate) fn n(&self, id: IndicatorId) -> Option<i64> {
        self.today.get(&id).and_then(|v| v.numerator)
    }

    /// The denominator of a ratio.
    pub(crate) fn d(&self, id: IndicatorId) -> Option<i64> {
        self.today.get(&id).and_then(|v| v.denominator)
    }

    pub(crate) fn has(&self, id: IndicatorId) -> bool {
        self.today.contains_key(&id)
    }

    /// A count with its unit and the change from the day before.
    pub(crate) fn count(&self, id: IndicatorId) -> String {
        let Some(v) = self.today.get(&id) else {
            return String::new();
        };
        let n = v.numerator.unwrap_or(0);
        let change = match self.before.get(&id).and_then(|b| b.numerator) {
            Some(b) if n > b => format!("（较前一日增加{}）", n - b),
            Some(b) if n < b => format!("（较前一日减少{}）", b - n),
            Some(_) => "（与前一日持平）".into(),
            None => String::new(),
        };
        format!("{n}{}{change}", v.unit)
    }

    /// A rate as "73.1%（117/160）" with the change in percentage points.
    pub(crate) fn rate(&self, id: IndicatorId) -> String {
        let Some(v) = self.today.get(&id) else {
            return String::new();
        };
        let Some(p) = v.value else {
            return "—".into();
        };
        let change = match self.before.get(&id).and_then(|b| b.value) {
            Some(b) if (p - b).abs() >= 0.05 && p > b => {
                format!("，较前一日提高{:.1}个百分点", p - b)
            }
            Some(b) if (p - b).abs() >= 0.05 => format!("，较前一日下降{:.1}个百分点", b - p),
            Some(_) => "，与前一日持平".into(),
            None => String::new(),
        };
        format!(
            "{p:.1}%（{}/{}{change}）",
            v.numerator.unwrap_or(0),
            v.denominator.unwrap_or(0)
        )
    }
}

pub(crate) fn join(parts: Vec<String>) -> String {
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("，")
}

impl App {
    /// The briefing of a place (the caller's scope by default) as of a day; read on the
    /// standby when one is configured (see [`App::on_reader`]).
    pub async fn briefing(&self, actor: &Actor, q: &CommandQuery) -> ServiceResult<Briefing> {
        self.require(actor, Permission::ReadTree, "简报", "briefing")
            .await?;
        self.on_reader(|app| async move { app.read_briefing(actor, q).await })
            .await
    }

    async fn read_briefing(&self, actor: &Actor, q: &CommandQuery) -> ServiceResult<Briefing> {
        let stats_day = self.as_of_of(&q.as_of)?;
        let a = self.at_place(actor, &q.place).await?;
        let (today, before) = tokio::try_join!(
            self.snapshot(&a, stats_day),
            self.snapshot(&a, stats_day - Duration::days(1)),
        )?;
        let (place_code, place_name) = match a.scope.code() {
            Some(c) => (
                c.to_string(),
                self.name_of(c.as_str()).await?.unwrap_or_default(),
            ),
            None => (String::new(), "全国".to_string()),
        };
        Ok(write(stats_day, place_code, place_name, &today, &before))
    }

    /// The briefing as Markdown.
    pub async fn briefing_markdown(
        &self,
        actor: &Actor,
        q: &CommandQuery,
    ) -> ServiceResult<String> {
        Ok(markdown(&self.briefing(actor, q).await?))
    }

    /// The briefing as a Word document.
    pub async fn briefing_docx(&self, actor: &Actor, q: &CommandQuery) -> ServiceResult<Vec<u8>> {
        docx(&self.briefing(actor, q).await?)
    }
}

fn write(
    day: NaiveDate,
    place_code: String,
    place_name: String,
    today: &Snapshot,
    before: &Snapshot,
) -> Briefing {
    let v = Values {
        today: &today.values,
        before: &before.values,
    };
    let at = cn_date(day);
    let c = BriefContext {
        at: &at,
        place_code: &place_code,
        place_name: &place_name,
        today,
    };
    let mut sections: Vec<BriefSection> = TRACKS.iter().filter_map(|t| (t.brief)(&v, &c)).collect();
    sections.push(notable_section(&v, today));

    for (i, s) in sections.iter_mut().enumerate() {
        s.heading = format!("{}、{}", NUMBERS[i.min(9)], s.heading);
    }
    Briefing {
        title: format!("{place_name}疫情防控和复工复产工作简报"),
        subtitle: format!("（截至{at}24时）"),
        as_of: day,
        place_code,
        place_name,
        sections,
    }
}

/// What deserves attention today, or a line saying nothing does.
fn notable_section(v: &Values, today: &Snapshot) -> BriefSection {
    let mut notable = Vec::new();
    if !today.new_branches.is_empty() {
        notable.push(format!(
            "新成立临时党支部{}个：{}。",
            today.new_branches.len(),
            today.new_branches.join("、")
        ));
    }
    if !today.projects_started.is_empty() {
        notable.push(format!(
            "重大项目开工：{}。",
            today.projects_started.join("、")
        ));
    }
    if !today.projects_planned_next.is_empty() {
        notable.push(format!(
            "计划次日开工的重大项目：{}。",
            today.projects_planned_next.join("、")
        ));
    }
    if today.escalated_today > 0 {
        notable.push(format!(
            "当日吹哨工单中有{}件因未按时报到或办结升级督办。",
            today.escalated_today
        ));
    }
    if let Some(n) = v.n(prevention::HANDOVERS_OVERDUE).filter(|n| *n > 0) {
        notable.push(format!(
            "落地交接超时未接收{n}人，请相关网格和村（社区）立即对接。"
        ));
    }
    if notable.is_empty() {
        notable.push("当日无需特别关注的事项。".into());
    }
    BriefSection {
        heading: "值得关注的情况".into(),
        paragraphs: notable,
    }
}

/// The briefing as Markdown: title, the date line, numbered sections.
pub fn markdown(b: &Briefing) -> String {
    let mut out = format!("# {}\n\n{}\n", b.title, b.subtitle);
    for s in &b.sections {
        out.push_str(&format!("\n## {}\n\n", s.heading));
        for p in &s.paragraphs {
            out.push_str(p);
            out.push_str("\n\n");
        }
    }
    out
}

/// The page of an official document (GB/T 9704-2012), in twentieths of a point: A4; the
/// type area 156 × 225 mm, 37 mm from the top edge and 28 mm from the binding edge.
mod page {
    pub const WIDTH: u32 = 11_906;
    pub const HEIGHT: u32 = 16_838;
    pub const TOP: i32 = 2_098;
    pub const BOTTOM: i32 = 1_984;
    pub const LEFT: i32 = 1_588;
    pub const RIGHT: i32 = 1_474;
    /// The page number sits about 7 mm below the type area.
    pub const FOOTER: i32 = 1_304;
    pub const HEADER: i32 = 851;
    /// 22 lines to the page: 225 mm / 22 = 28.95 pt a line.
    pub const LINE_PITCH: usize = 579;
    /// 28 characters to the line of 三号 type: each 15.79 pt rather than 16 pt, the
    /// difference in 4096ths of a point, as Word and WPS read the document grid.
    pub const CHAR_SPACE: isize = -849;
}

/// Type sizes in half-points: 二号 (22 pt) for the title, 三号 (16 pt) for the text, 四号
/// (14 pt) for the page number.
const SIZE_TITLE: usize = 44;
const SIZE_TEXT: usize = 32;
const SIZE_PAGE_NUMBER: usize = 28;

/// The typefaces of an official document: 小标宋 for the title, 黑体 for first-level
/// headings, 仿宋 for the text, 宋体 for the page number.
const FONT_TITLE: &str = "方正小标宋简体";
const FONT_HEADING: &str = "黑体";
const FONT_TEXT: &str = "仿宋";
const FONT_PAGE_NUMBER: &str = "宋体";

fn fonts(name: &str) -> docx_rs::RunFonts {
    docx_rs::RunFonts::new()
        .east_asia(name)
        .ascii(name)
        .hi_ansi(name)
        .cs(name)
}

/// A run of text in a typeface and size.
fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

/// Lines exactly one grid line apart, so that Word and WPS lay out 22 lines a page alike.
fn on_the_grid(p: Paragraph) -> Paragraph {
    p.line_spacing(
        docx_rs::LineSpacing::new()
            .line_rule(docx_rs::LineSpacingType::Exact)
            .line(page::LINE_PITCH as i32),
    )
}

/// A paragraph of the text: on the grid, its first line indented two characters.
fn indented(r: Run) -> Paragraph {
    on_the_grid(
        Paragraph::new()
            .indent(
                None,
                Some(docx_rs::SpecialIndentType::FirstLine(
                    2 * SIZE_TEXT as i32 * 10,
                )),
                None,
                None,
            )
            .add_run(r),
    )
}

/// The page number as offices print it, "— 1 —", on the outer side of the page.
fn page_number(align: AlignmentType) -> docx_rs::Footer {
    docx_rs::Footer::new().add_paragraph(
        Paragraph::new()
            .align(align)
            .add_run(run("— ", FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER))
            .add_page_num(docx_rs::PageNum::new())
            .add_run(run(" —", FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER)),
    )
}

/// The briefing as a Word document laid out as an official document (GB/T 9704-2012): A4
/// with its margins, 22 lines of 28 characters, the title in 二号小标宋 centred, the date
/// line and the text in 三号仿宋 (paragraphs indented two characters), headings in 三号黑体,
/// page numbers in 四号宋体 on the outer side. Every run names its typeface, so that WPS,
/// which most offices use, does not fall back to its own.
pub fn docx(b: &Briefing) -> ServiceResult<Vec<u8>> {
    official_docx(&b.title, &b.subtitle, &b.sections)
}

/// A titled document of headed sections laid out as an official document (see [`docx`]).
pub(crate) fn official_docx(
    title: &str,
    subtitle: &str,
    sections: &[BriefSection],
) -> ServiceResult<Vec<u8>> {
    let mut doc = Docx::new()
        .page_size(page::WIDTH, page::HEIGHT)
        .page_margin(
            docx_rs::PageMargin::new()
                .top(page::TOP)
                .bottom(page::BOTTOM)
                .left(page::LEFT)
                .right(page::RIGHT)
                .header(page::HEADER)
                .footer(page::FOOTER),
        )
        .default_fonts(fonts(FONT_TEXT))
        .default_size(SIZE_TEXT)
        .footer(page_number(AlignmentType::Right))
        .even_footer(page_number(AlignmentType::Left))
        .add_paragraph(on_the_grid(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(run(title, FONT_TITLE, SIZE_TITLE)),
        ))
        .add_paragraph(on_the_grid(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(run(subtitle, FONT_TEXT, SIZE_TEXT)),
        ));
    doc.document = doc.document.doc_grid(
        docx_rs::DocGrid::new()
            .grid_type(docx_rs::DocGridType::LinesAndChars)
            .line_pitch(page::LINE_PITCH)
            .char_space(page::CHAR_SPACE),
    );
    for s in sections {
        doc = doc.add_paragraph(indented(run(&s.heading, FONT_HEADING, SIZE_TEXT)));
        for p in &s.paragraphs {
            doc = doc.add_paragraph(indented(run(p, FONT_TEXT, SIZE_TEXT)));
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| ServiceError::Internal(format!("生成 Word 文件失败：{e}")))?;
    Ok(buf.into_inner())
}
