//! The daily briefing (简报): written from the indicators of a place as of a day, with the
//! change from the day before and the notable items of the day, in the manner of a
//! government briefing; rendered as Markdown and as Word (DOCX), the format the offices edit.

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
struct Values<'a> {
    today: &'a BTreeMap<&'static str, FigureValue>,
    before: &'a BTreeMap<&'static str, FigureValue>,
}

impl Values<'_> {
    fn n(&self, id: &str) -> Option<i64> {
        self.today.get(id).and_then(|v| v.numerator)
    }

    fn has(&self, id: &str) -> bool {
        self.today.contains_key(id)
    }

    /// A count with its unit and the change from the day before.
    fn count(&self, id: &str) -> String {
        let Some(v) = self.today.get(id) else {
            return String::new();
        };
        let n = v.numerator.unwrap_or(0);
        let change = match self.before.get(id).and_then(|b| b.numerator) {
            Some(b) if n > b => format!("（较前一日增加{}）", n - b),
            Some(b) if n < b => format!("（较前一日减少{}）", b - n),
            Some(_) => "（与前一日持平）".into(),
            None => String::new(),
        };
        format!("{n}{}{change}", v.unit)
    }

    /// A rate as "73.1%（117/160）" with the change in percentage points.
    fn rate(&self, id: &str) -> String {
        let Some(v) = self.today.get(id) else {
            return String::new();
        };
        let Some(p) = v.value else {
            return "—".into();
        };
        let change = match self.before.get(id).and_then(|b| b.value) {
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

fn join(parts: Vec<String>) -> String {
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("，")
}

impl App {
    /// The briefing of a place (the caller's scope by default) as of a day.
    pub async fn briefing(&self, actor: &Actor, q: &CommandQuery) -> ServiceResult<Briefing> {
        self.require(actor, Permission::ReadTree, "简报", "briefing")
            .await?;
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
    let mut sections: Vec<BriefSection> = [
        prevention_section(&v, &at, &place_name),
        resumption_section(&v, &place_code),
        mobilisation_section(&v),
        whistle_section(&v),
        supplies_section(&v, today),
    ]
    .into_iter()
    .flatten()
    .collect();
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

fn prevention_section(v: &Values, at: &str, place_name: &str) -> Option<BriefSection> {
    if !(v.has("prevention.under_monitoring") || v.has("prevention.passages")) {
        return None;
    }
    let mut ps = Vec::new();
    if v.has("prevention.under_monitoring") {
        ps.push(format!(
            "截至{at}，{place_name}在管隔离与健康监测对象{}，其中居家隔离{}人、集中隔离{}人、健康监测{}人；当日新增{}，解除{}。",
            v.count("prevention.under_monitoring"),
            v.n("prevention.home").unwrap_or(0),
            v.n("prevention.central").unwrap_or(0),
            v.n("prevention.health").unwrap_or(0),
            v.count("prevention.started"),
            v.count("prevention.released"),
        ));
    }
    if v.has("prevention.passages") {
        ps.push(format!(
            "各卡口当日登记{}，发现发热{}，劝返{}。",
            v.count("prevention.passages"),
            v.count("prevention.fevers"),
            v.count("prevention.turned_back"),
        ));
    }
    if v.has("prevention.grid_on_time") {
        ps.push(format!(
            "{}个网格落实包排查、包布控、包宣传教育、包稳定、包信息畅通“五包”责任，当日网格日报按时报送率{}；卡口推送落地交接{}。",
            v.n("mobilisation.grids").unwrap_or(0),
            v.rate("prevention.grid_on_time"),
            v.count("prevention.handovers_made"),
        ));
    }
    Some(BriefSection {
        heading: "疫情防控".into(),
        paragraphs: ps,
    })
}

fn resumption_section(v: &Values, place_code: &str) -> Option<BriefSection> {
    if !(v.has("resumption.rate")) {
        return None;
    }
    let mut ps = vec![format!(
        "全{}{}家规模以上工业企业中，开复工率{}；复岗率{}；产能恢复率{}。",
        if place_code.len() <= 4 { "州" } else { "地" },
        v.n("resumption.registered").unwrap_or(0),
        v.rate("resumption.rate"),
        v.rate("resumption.return_to_work"),
        v.rate("resumption.capacity"),
    )];
    if v.has("resumption.projects_started") {
        ps.push(
            join(vec![
                format!(
                    "{}个年度重大项目已开（复）工{}个，开工率{}",
                    v.today
                        .get("resumption.projects_started")
                        .and_then(|f| f.denominator)
                        .unwrap_or(0),
                    v.n("resumption.projects_started").unwrap_or(0),
                    v.rate("resumption.projects_started"),
                ),
                format!("投资完成率{}", v.rate("resumption.investment")),
            ]) + "。",
        );
    }
    if v.has("resumption.key_capacity") {
        ps.push(format!(
            "重点企业（厂）当日产能利用率{}。",
            v.rate("resumption.key_capacity")
        ));
    }
    Some(BriefSection {
        heading: "复工复产".into(),
        paragraphs: ps,
    })
}

fn mobilisation_section(v: &Values) -> Option<BriefSection> {
    if !(v.has("mobilisation.temp_branches")) {
        return None;
    }
    let mut ps = vec![format!(
        "{}个乡镇（街道）党（工）委、{}个村（社区）党组织冲在一线，{}个网格全覆盖；在防控一线成立临时党支部{}、党员突击队{}支、志愿服务队{}支。",
        v.n("mobilisation.township_committees").unwrap_or(0),
        v.n("mobilisation.village_parties").unwrap_or(0),
        v.n("mobilisation.grids").unwrap_or(0),
        v.count("mobilisation.temp_branches"),
        v.n("mobilisation.commandos").unwrap_or(0),
        v.n("mobilisation.volunteer_teams").unwrap_or(0),
    )];
    ps.push(format!(
        "{}名第一书记和驻村工作队员提前返岗；收到请战书{}份；在职党员到社区报到{}；当日在岗{}。",
        v.n("mobilisation.returned_early").unwrap_or(0),
        v.n("mobilisation.applications").unwrap_or(0),
        v.count("mobilisation.registrations"),
        v.count("mobilisation.on_duty"),
    ));
    if v.has("mobilisation.work_groups") {
        ps.push(format!(
            "{}个工作组{}名干部驻企服务，帮助企业解决用工、原材料、物流等难题。",
            v.n("mobilisation.work_groups").unwrap_or(0),
            v.n("mobilisation.work_group_cadres").unwrap_or(0),
        ));
    }
    Some(BriefSection {
        heading: "组织动员".into(),
        paragraphs: ps,
    })
}

fn whistle_section(v: &Values) -> Option<BriefSection> {
    if !(v.has("whistle.raised")) {
        return None;
    }
    let mut p = vec![format!(
        "当日吹哨{}，当年累计未办结{}件、升级督办{}件",
        v.count("whistle.raised"),
        v.n("whistle.open").unwrap_or(0),
        v.n("whistle.escalated").unwrap_or(0),
    )];
    if let Some(m) = v.n("whistle.response_median") {
        p.push(format!("部门报到用时中位数{m}分钟"));
    }
    p.push(format!("超时率{}", v.rate("whistle.overdue_rate")));
    p.push(format!("满意率{}", v.rate("whistle.satisfaction")));
    Some(BriefSection {
        heading: "吹哨报到".into(),
        paragraphs: vec![join(p) + "。"],
    })
}

fn supplies_section(v: &Values, today: &Snapshot) -> Option<BriefSection> {
    if !(v.has("supplies.shortfalls")) {
        return None;
    }
    let mut ps = vec![format!(
        "物资缺口{}项，低库存预警{}项；春耕备耕进度{}。",
        v.n("supplies.shortfalls").unwrap_or(0),
        v.n("supplies.low_stock").unwrap_or(0),
        v.rate("supplies.farm_prepared"),
    )];
    if !today.shortfall_items.is_empty() {
        ps.push(format!(
            "缺口较大的有：{}。",
            today.shortfall_items.join("；")
        ));
    }
    Some(BriefSection {
        heading: "物资保障".into(),
        paragraphs: ps,
    })
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
    if let Some(n) = v.n("prevention.handovers_overdue").filter(|n| *n > 0) {
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

/// The briefing as a Word document: the title centred and large, the date line, headings in
/// bold, body paragraphs indented by two characters as the offices write them.
pub fn docx(b: &Briefing) -> ServiceResult<Vec<u8>> {
    let mut doc = Docx::new()
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(Run::new().add_text(&b.title).size(44).bold()),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(Run::new().add_text(&b.subtitle).size(32)),
        );
    for s in &b.sections {
        doc = doc.add_paragraph(
            Paragraph::new().add_run(Run::new().add_text(&s.heading).size(32).bold()),
        );
        for p in &s.paragraphs {
            doc = doc.add_paragraph(
                Paragraph::new()
                    .indent(
                        None,
                        Some(docx_rs::SpecialIndentType::FirstLine(640)),
                        None,
                        None,
                    )
                    .add_run(Run::new().add_text(p).size(32)),
            );
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| ServiceError::Internal(format!("生成 Word 文件失败：{e}")))?;
    Ok(buf.into_inner())
}
