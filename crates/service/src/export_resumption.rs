//! Excel exports of the resumption track's command figures: the rates (filtered by place and
//! industry, with counties, townships and industry sections side by side), the daily series,
//! late and missing reports, filings, production problems, major projects and key
//! production. Each export is built from the same service call as the list or figures it
//! mirrors, so the scope and permissions are the same; personal data stays masked, and every
//! export writes an audit row.

use crate::actor::commit_audited;
use crate::filings::FILINGS_PAGE;
use crate::import_resumption::RATE_COLUMNS;
use crate::projects::{ProductionQuery, ProjectPlaceRates};
use crate::resumption::{DayRates, PlaceRates, Rate, RatesQuery, SeriesQuery};
use crate::workgroups::ProblemsQuery;
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::resumption::IndustrySection;
use dualtrack_domain::time::display;
use rust_xlsxwriter::{Format, Workbook};
use std::collections::HashMap;

/// At most this many pages of a paged list go into one export.
const MAX_PAGES: i64 = 1000;

/// One sheet of an export: its name, its headers and its rows of text.
pub struct ExportSheet {
    pub name: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

pub(crate) fn sheet(
    name: &'static str,
    columns: &[&'static str],
    rows: Vec<Vec<String>>,
) -> ExportSheet {
    ExportSheet {
        name,
        columns: columns.to_vec(),
        rows,
    }
}

/// Writes the sheets of an export into one workbook (bold Chinese headers, cells as text).
pub fn workbook(sheets: &[ExportSheet]) -> ServiceResult<Vec<u8>> {
    let fail =
        |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(format!("生成 Excel 失败：{e}"));
    let mut wb = Workbook::new();
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_bold();
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(s.name).map_err(fail)?;
        for (c, h) in s.columns.iter().enumerate() {
            let c = c as u16;
            ws.set_column_format(c, &text).map_err(fail)?;
            ws.set_column_width(c, 16).map_err(fail)?;
            ws.write_string_with_format(0, c, *h, &bold).map_err(fail)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, v).map_err(fail)?;
            }
        }
    }
    wb.save_to_buffer().map_err(fail)
}

/// Reads every sheet of a workbook back as (name, rows of text, the header row first), as a
/// clerk or a check sees an export; within the bounds of an upload.
pub fn read_workbook(bytes: &[u8]) -> ServiceResult<Vec<(String, Vec<Vec<String>>)>> {
    use calamine::{Data, Reader};
    let mut wb = crate::spreadsheet::open_bounded(bytes)?;
    let mut out = Vec::new();
    for (name, range) in wb.worksheets() {
        let rows = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|d| match d {
                        Data::Empty => String::new(),
                        Data::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        out.push((name, rows));
    }
    Ok(out)
}

fn pct(r: &Rate) -> String {
    r.percent.map(|p| format!("{p:.1}")).unwrap_or_default()
}

fn rate_cells(r: &Rate) -> [String; 3] {
    [r.numerator.to_string(), r.denominator.to_string(), pct(r)]
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The columns of the daily series export.
const SERIES_COLUMNS: &[&str] = &[
    "日期",
    "区划代码",
    "地区",
    "规上企业登记数",
    "不计入",
    "已复工（含部分复工）",
    "计入企业数",
    "开复工率（%）",
    "在岗人数",
    "正常用工",
    "复岗率（%）",
    "产量（用电量）",
    "正常基数",
    "产能恢复率（%）",
];

impl App {
    /// Writes the workbook and its audit row (what was exported, how many rows).
    pub(crate) async fn audited_workbook(
        &self,
        actor: &Actor,
        kind: &str,
        sheets: &[ExportSheet],
    ) -> ServiceResult<Vec<u8>> {
        let bytes = workbook(sheets)?;
        let rows: usize = sheets.iter().map(|s| s.rows.len()).sum();
        self.audit_export(actor, kind, format!("导出{kind} {rows} 行"))
            .await?;
        Ok(bytes)
    }

    /// Records an export of `kind` in the audit log, in a transaction of its own.
    pub(crate) async fn audit_export(
        &self,
        actor: &Actor,
        kind: &str,
        detail: String,
    ) -> ServiceResult<()> {
        let row = actor.audit(Action::Export, Outcome::Success, kind, "xlsx", None, detail);
        commit_audited(self.writer().begin().await?, &row).await
    }

    /// Names of the places (jurisdiction codes), looked up once each.
    async fn names(&self, codes: &[&str]) -> ServiceResult<HashMap<String, String>> {
        let mut out = dualtrack_store::jurisdiction::names_of(&self.db, codes).await?;
        for c in codes {
            out.entry(c.to_string()).or_default();
        }
        Ok(out)
    }

    /// The rates as of a day for a place and industry, as the rates page shows them: sheets
    /// for counties, townships and industry sections side by side, each with the total row.
    pub async fn export_rates_filtered(
        &self,
        actor: &Actor,
        q: &RatesQuery,
    ) -> ServiceResult<Vec<u8>> {
        let view = self.resumption_rates_for(actor, q).await?;
        let mut codes: Vec<&str> = vec![view.total.code.as_str()];
        codes.extend(view.counties.iter().map(|p| p.code.as_str()));
        codes.extend(view.townships.iter().map(|p| p.code.as_str()));
        let names = self.names(&codes).await?;
        let industry = view
            .industry
            .map(|s| format!("（{} {}）", s.as_str(), s.zh()))
            .unwrap_or_default();
        let total_name = format!(
            "{}合计{industry}",
            names.get(&view.total.code).cloned().unwrap_or_default()
        );
        let row = |code: String, name: String, p: &PlaceRates| -> Vec<String> {
            let mut r = vec![
                code,
                name,
                view.as_of.to_string(),
                p.registered.to_string(),
                p.excluded.to_string(),
            ];
            r.extend(rate_cells(&p.resumption));
            r.extend(rate_cells(&p.return_to_work));
            r.extend(rate_cells(&p.capacity));
            r
        };
        let places = |list: &[PlaceRates]| -> Vec<Vec<String>> {
            list.iter()
                .map(|p| {
                    let name = names.get(&p.code).cloned().unwrap_or_default();
                    row(p.code.clone(), name, p)
                })
                .chain([row(
                    view.total.code.clone(),
                    total_name.clone(),
                    &view.total,
                )])
                .collect()
        };
        let sections: Vec<Vec<String>> = view
            .industries
            .iter()
            .map(|p| {
                let name = IndustrySection::parse(&p.code)
                    .map(|s| s.zh().to_string())
                    .unwrap_or_default();
                row(p.code.clone(), name, p)
            })
            .chain([row(
                view.total.code.clone(),
                total_name.clone(),
                &view.total,
            )])
            .collect();
        let columns: Vec<&str> = RATE_COLUMNS.iter().map(|(c, _)| *c).collect();
        let mut section_columns = columns.clone();
        section_columns[0] = "行业门类";
        section_columns[1] = "门类名称";
        self.audited_workbook(
            actor,
            "复工率",
            &[
                sheet("各县", &columns, places(&view.counties)),
                sheet("各乡镇", &columns, places(&view.townships)),
                sheet("各行业", &section_columns, sections),
            ],
        )
        .await
    }

    /// The rates day by day over a period: the total, and each county's when by=county.
    pub async fn export_series(&self, actor: &Actor, q: &SeriesQuery) -> ServiceResult<Vec<u8>> {
        let view = self.resumption_series(actor, q).await?;
        let mut codes: Vec<&str> = vec![view.total.code.as_str()];
        codes.extend(view.counties.iter().map(|c| c.code.as_str()));
        let names = self.names(&codes).await?;
        let day_row = |code: &str, d: &DayRates| -> Vec<String> {
            let mut r = vec![
                d.day.to_string(),
                code.to_string(),
                names.get(code).cloned().unwrap_or_default(),
                d.registered.to_string(),
                d.excluded.to_string(),
            ];
            r.extend(rate_cells(&d.resumption));
            r.extend(rate_cells(&d.return_to_work));
            r.extend(rate_cells(&d.capacity));
            r
        };
        let total: Vec<Vec<String>> = view
            .total
            .days
            .iter()
            .map(|d| day_row(&view.total.code, d))
            .collect();
        let mut sheets = vec![sheet("逐日合计", SERIES_COLUMNS, total)];
        if q.by.as_deref().map(str::trim) == Some("county") {
            let counties = view
                .counties
                .iter()
                .flat_map(|c| c.days.iter().map(|d| day_row(&c.code, d)))
                .collect();
            sheets.push(sheet("各县逐日", SERIES_COLUMNS, counties));
        }
        self.audited_workbook(actor, "复工率逐日", &sheets).await
    }

    /// A day's reports against their deadline: counties side by side, then the enterprises
    /// that did not report and those that reported late (liaison phones masked).
    pub async fn export_punctuality(
        &self,
        actor: &Actor,
        raw_date: &str,
    ) -> ServiceResult<Vec<u8>> {
        let view = self.report_punctuality(actor, raw_date).await?;
        let mut codes: Vec<&str> = vec![view.total.code.as_str()];
        codes.extend(view.counties.iter().map(|c| c.code.as_str()));
        let names = self.names(&codes).await?;
        let counts = view
            .counties
            .iter()
            .map(|c| (c, false))
            .chain([(&view.total, true)])
            .map(|(c, total)| {
                let name = names.get(&c.code).cloned().unwrap_or_default();
                vec![
                    c.code.clone(),
                    if total { format!("{name}合计") } else { name },
                    view.date.to_string(),
                    c.expected.to_string(),
                    c.on_time.to_string(),
                    c.late.to_string(),
                    c.missing.to_string(),
                ]
            })
            .collect();
        let entries = |list: &[crate::punctuality::ReportDueEntry]| -> Vec<Vec<String>> {
            list.iter()
                .map(|e| {
                    vec![
                        e.enterprise_id.to_string(),
                        e.name.clone(),
                        e.jurisdiction_code.clone(),
                        opt(&e.contact_name),
                        opt(&e.contact_phone),
                        e.filed_at.map(display).unwrap_or_default(),
                        opt(&e.minutes_late),
                    ]
                })
                .collect()
        };
        let entry_columns = [
            "企业编号",
            "企业名称",
            "所在区划代码",
            "联络员",
            "联系电话",
            "首次填报时间（北京时间）",
            "迟报分钟数",
        ];
        self.audited_workbook(
            actor,
            "日报迟报漏报",
            &[
                sheet(
                    "各县",
                    &[
                        "区划代码",
                        "地区",
                        "报告日",
                        "应报",
                        "按时",
                        "迟报",
                        "漏报（未报）",
                    ],
                    counts,
                ),
                sheet("未报企业", &entry_columns, entries(&view.missing)),
                sheet("迟报企业", &entry_columns, entries(&view.late)),
            ],
        )
        .await
    }

    /// The filings of the scope (optionally of one status), every page.
    pub async fn export_filings(
        &self,
        actor: &Actor,
        status: Option<&str>,
    ) -> ServiceResult<Vec<u8>> {
        let mut rows = Vec::new();
        for page in 1..=MAX_PAGES {
            let list = self.list_filings(actor, status, Some(page)).await?;
            let n = list.filings.len() as i64;
            for f in list.filings {
                let missing: Vec<&str> = f
                    .checks
                    .iter()
                    .filter(|c| !c.done)
                    .map(|c| c.name.as_str())
                    .collect();
                rows.push(vec![
                    f.id.to_string(),
                    f.enterprise_id.to_string(),
                    f.enterprise_name,
                    f.jurisdiction_code,
                    f.round.to_string(),
                    f.planned_on.to_string(),
                    f.employees_planned.to_string(),
                    if f.all_checks_done { "是" } else { "否" }.to_string(),
                    missing.join("、"),
                    f.status_name,
                    f.decided_by.unwrap_or_default(),
                    f.decided_at.map(display).unwrap_or_default(),
                    f.decision_note.unwrap_or_default(),
                    f.created_by,
                    display(f.created_at),
                ]);
            }
            if n < FILINGS_PAGE {
                break;
            }
        }
        self.audited_workbook(
            actor,
            "复工备案",
            &[sheet(
                "复工备案",
                &[
                    "备案编号",
                    "企业编号",
                    "企业名称",
                    "所在区划代码",
                    "第几次备案",
                    "计划复工日期",
                    "计划复工人数",
                    "五个到位",
                    "未到位",
                    "状态",
                    "审核人",
                    "审核时间（北京时间）",
                    "意见或退回原因",
                    "填报人",
                    "提交时间（北京时间）",
                ],
                rows,
            )],
        )
        .await
    }

    /// Production problems of the scope with the list's filters (every page), and the counts
    /// by category.
    pub async fn export_problems(
        &self,
        actor: &Actor,
        q: &ProblemsQuery,
    ) -> ServiceResult<Vec<u8>> {
        let counts = self.problem_counts(actor, q).await?;
        let mut rows = Vec::new();
        for page in 1..=MAX_PAGES {
            let list = self
                .list_problems(
                    actor,
                    &ProblemsQuery {
                        page: Some(page),
                        ..q.clone()
                    },
                )
                .await?;
            if list.is_empty() {
                break;
            }
            for p in list {
                rows.push(vec![
                    p.id.to_string(),
                    p.enterprise_id.to_string(),
                    p.enterprise_name,
                    p.jurisdiction_code,
                    p.category_name,
                    p.description,
                    p.raised_on.to_string(),
                    p.raised_by,
                    p.org_name.unwrap_or_default(),
                    p.status_name,
                    p.resolution.unwrap_or_default(),
                    opt(&p.resolved_on),
                    p.resolved_by.unwrap_or_default(),
                ]);
            }
        }
        let by_category = counts
            .by_category
            .iter()
            .map(|c| {
                vec![
                    c.category_name.clone(),
                    c.open.to_string(),
                    c.resolved.to_string(),
                    c.total.to_string(),
                ]
            })
            .chain([vec![
                "合计".to_string(),
                counts.open.to_string(),
                counts.resolved.to_string(),
                counts.total.to_string(),
            ]])
            .collect();
        self.audited_workbook(
            actor,
            "生产难题",
            &[
                sheet(
                    "生产难题",
                    &[
                        "编号",
                        "企业编号",
                        "企业名称",
                        "所在区划代码",
                        "类别",
                        "难题",
                        "提出日期",
                        "提出人",
                        "工作组",
                        "状态",
                        "解决情况",
                        "解决日期",
                        "解决人",
                    ],
                    rows,
                ),
                sheet("按类别", &["类别", "未解决", "已解决", "合计"], by_category),
            ],
        )
        .await
    }

    /// Major projects as of a day: counties side by side with the total, then each project.
    pub async fn export_projects(&self, actor: &Actor, raw_as_of: &str) -> ServiceResult<Vec<u8>> {
        let view = self.project_rates(actor, raw_as_of).await?;
        let mut codes: Vec<&str> = vec![view.total.code.as_str()];
        codes.extend(view.counties.iter().map(|c| c.code.as_str()));
        let names = self.names(&codes).await?;
        let place = |p: &ProjectPlaceRates, total: bool| -> Vec<String> {
            let name = names.get(&p.code).cloned().unwrap_or_default();
            let mut r = vec![
                p.code.clone(),
                if total { format!("{name}合计") } else { name },
                view.as_of.to_string(),
                view.plan_year.to_string(),
                p.projects.to_string(),
                p.restarts.to_string(),
            ];
            r.extend(rate_cells(&p.start_rate));
            r.extend(rate_cells(&p.start_rate_all));
            r.push(p.started_ahead.to_string());
            r.extend(rate_cells(&p.investment_rate));
            r
        };
        let counties = view
            .counties
            .iter()
            .map(|p| place(p, false))
            .chain([place(&view.total, true)])
            .collect();
        let projects = view
            .projects
            .iter()
            .map(|p| {
                let mut r = vec![
                    p.id.to_string(),
                    p.name.clone(),
                    p.jurisdiction_code.clone(),
                    p.category_name.clone(),
                    if p.is_restart { "是" } else { "否" }.to_string(),
                    p.planned_start.to_string(),
                    opt(&p.started_on),
                    p.annual_plan.to_string(),
                    p.completed.to_string(),
                ];
                r.push(pct(&p.investment_rate));
                r
            })
            .collect();
        self.audited_workbook(
            actor,
            "重大项目",
            &[
                sheet(
                    "各县",
                    &[
                        "区划代码",
                        "地区",
                        "截至日期",
                        "计划年度",
                        "项目数",
                        "续建复工项目数",
                        "按计划应开工已开工",
                        "按计划应开工",
                        "开工率（按计划，%）",
                        "已开工（复工）",
                        "全部项目",
                        "开工率（全部，%）",
                        "提前开工",
                        "年度累计完成投资（万元）",
                        "年度计划投资（万元）",
                        "投资完成率（%）",
                    ],
                    counties,
                ),
                sheet(
                    "项目",
                    &[
                        "项目编号",
                        "项目名称",
                        "所在区划代码",
                        "类别",
                        "续建复工",
                        "计划开工日期",
                        "实际开工日期",
                        "年度计划投资（万元）",
                        "年度累计完成投资（万元）",
                        "投资完成率（%）",
                    ],
                    projects,
                ),
            ],
        )
        .await
    }

    /// Key production as of a day: each plant, each product, and shipments by province.
    pub async fn export_key_production(
        &self,
        actor: &Actor,
        q: &ProductionQuery,
    ) -> ServiceResult<Vec<u8>> {
        let view = self
            .key_production(actor, &q.as_of, q.from.as_deref())
            .await?;
        let period = format!("{} 至 {}", view.from, view.as_of);
        let plants = view
            .plants
            .iter()
            .map(|p| {
                let mut r = vec![
                    p.id.to_string(),
                    p.name.clone(),
                    p.jurisdiction_code.clone(),
                    p.product.clone(),
                    p.unit.clone(),
                    p.design_capacity.to_string(),
                    view.as_of.to_string(),
                    opt(&p.day_output),
                    pct(&p.utilisation),
                    period.clone(),
                    p.period_output.to_string(),
                ];
                r.push(pct(&p.period_utilisation));
                r.push(p.shipped.to_string());
                r
            })
            .collect();
        let products = view
            .products
            .iter()
            .map(|p| {
                vec![
                    p.product.clone(),
                    p.unit.clone(),
                    p.plants.to_string(),
                    p.utilisation.numerator.to_string(),
                    p.utilisation.denominator.to_string(),
                    pct(&p.utilisation),
                    p.period_output.to_string(),
                    p.shipped.to_string(),
                ]
            })
            .collect();
        let provinces = view
            .provinces
            .iter()
            .map(|p| {
                vec![
                    p.province_code.clone(),
                    p.province_name.clone(),
                    p.product.clone(),
                    p.unit.clone(),
                    p.road.to_string(),
                    p.rail.to_string(),
                    p.quantity.to_string(),
                    period.clone(),
                ]
            })
            .collect();
        self.audited_workbook(
            actor,
            "重点生产",
            &[
                sheet(
                    "各厂",
                    &[
                        "编号",
                        "企业（厂）",
                        "所在区划代码",
                        "产品",
                        "单位",
                        "设计日产能",
                        "截至日期",
                        "当日产量",
                        "当日产能利用率（%）",
                        "累计期间",
                        "累计产量",
                        "累计产能利用率（%）",
                        "累计发运量",
                    ],
                    plants,
                ),
                sheet(
                    "各产品",
                    &[
                        "产品",
                        "单位",
                        "企业（厂）数",
                        "当日产量",
                        "当日设计产能",
                        "当日产能利用率（%）",
                        "累计产量",
                        "累计发运量",
                    ],
                    products,
                ),
                sheet(
                    "发运省份",
                    &[
                        "省份代码",
                        "省份",
                        "产品",
                        "单位",
                        "公路",
                        "铁路",
                        "合计",
                        "期间",
                    ],
                    provinces,
                ),
            ],
        )
        .await
    }
}

/// An enterprise's row of the registry, with its key in the list's order.
pub(crate) fn enterprise_cells(
    crypto: &crate::crypto::FieldCrypto,
    e: dualtrack_store::resumption::EnterpriseRow,
) -> ServiceResult<((String, i64), Vec<String>)> {
    let phone = crypto.open_text_opt(&e.contact_phone)?;
    let key = (e.jurisdiction_code.clone(), e.id);
    let yes_no = |b: bool| if b { "是" } else { "否" }.to_string();
    let cells = vec![
        e.id.to_string(),
        e.name,
        e.credit_code,
        e.jurisdiction_code,
        e.industry_section,
        e.industry_division.unwrap_or_default(),
        yes_no(e.above_size),
        yes_no(e.key_enterprise),
        e.normal_headcount.to_string(),
        e.normal_output.to_string(),
        e.output_unit,
        e.contact_name.unwrap_or_default(),
        phone
            .as_deref()
            .map(dualtrack_domain::resident_id::mask_phone)
            .unwrap_or_default(),
        if e.credit_check_failed {
            "校验位不符，请核对".into()
        } else {
            String::new()
        },
    ];
    Ok((key, cells))
}

/// A day's report's row, with its key in the list's order.
pub(crate) fn report_cells(
    r: dualtrack_store::resumption_io::DayReportRow,
) -> ((String, i64), Vec<String>) {
    let key = (r.jurisdiction_code.clone(), r.enterprise_id);
    let status = dualtrack_domain::resumption::OperatingStatus::parse(&r.status)
        .map_or(r.status.clone(), |s| s.zh().to_string());
    let cells = vec![
        r.credit_code,
        r.enterprise_id.to_string(),
        r.report_date.to_string(),
        status,
        r.on_duty.to_string(),
        r.back_from_outside.to_string(),
        r.in_quarantine.to_string(),
        r.abnormal_temps.to_string(),
        r.mask_days.to_string(),
        r.disinfectant_days.to_string(),
        r.checks_passed.to_string(),
        r.output.to_string(),
        r.problems,
        r.name,
        r.jurisdiction_code,
        r.version.to_string(),
        r.filed_by,
    ];
    (key, cells)
}
