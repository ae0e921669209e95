//! Excel templates, imports and exports of the resumption track: the enterprise registry,
//! daily reports filed in a batch by a county clerk, and the rates table.
//!
//! Imports follow the mobilisation ones: every row is checked first, and any problem
//! rejects the whole file with (row, column, message) for each; nothing is written. Reports
//! are filed one by one through the same store call as the API inside one transaction, so a
//! correction keeps the earlier version exactly as a correction through the API does.

use crate::actor::audit_in;
use crate::actor::commit_audited;
use crate::export_file::ExportFile;
use crate::export_resumption::{enterprise_cells, report_cells};
use crate::import::{choices, date_cell, rejected};
use crate::input::parse_date;
use crate::spreadsheet::{self, cell, RowError};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::resident_id::validate_phone;
use dualtrack_domain::resumption::{
    validate_division, CreditCode, IndustrySection, OperatingStatus,
};
use dualtrack_domain::role::Permission;
use dualtrack_store::resumption::{self as store, NewEnterprise, NewReport};
use dualtrack_store::resumption_io::{self as lookups, EnterpriseKey};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The columns of the enterprise sheet: (header, required).
pub const ENTERPRISE_COLUMNS: &[(&str, bool)] = &[
    ("企业名称", true),
    ("统一社会信用代码", true),
    ("所在区划代码", true),
    ("行业门类", true),
    ("行业大类", false),
    ("规上", true),
    ("重点", false),
    ("正常用工", true),
    ("正常产量/用电量", true),
    ("单位", true),
    ("联系人", false),
    ("联系电话", false),
];

/// The columns of the daily-report sheet. One of 统一社会信用代码 and 企业编号 names the
/// enterprise.
pub const REPORT_COLUMNS: &[(&str, bool)] = &[
    ("统一社会信用代码", false),
    ("企业编号", false),
    ("报告日期", true),
    ("经营状态", true),
    ("在岗人数", true),
    ("外地返岗", false),
    ("隔离", false),
    ("体温异常", false),
    ("口罩天数", false),
    ("消毒液天数", false),
    ("五个到位项数", false),
    ("产量", false),
    ("问题", false),
];

/// The largest count a cell may hold (the API's bound).
const MAX_COUNT: i64 = 10_000_000;

/// What an enterprise import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnterpriseImportOutcome {
    /// 登记的企业数
    pub imported: usize,
    /// 照常登记但需核对的行（如统一社会信用代码校验位不符）
    pub warnings: Vec<RowError>,
}

/// What a daily-report import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportImportOutcome {
    /// 写入的日报数（含更正）
    pub imported: usize,
    /// 其中更正已报日报的条数（原版本保留）
    pub corrected: usize,
}

/// Collects the problems of one row.
struct RowCheck<'a> {
    row: usize,
    errors: &'a mut Vec<RowError>,
}

impl RowCheck<'_> {
    fn err(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(RowError::new(self.row, column, message));
    }

    /// A whole number 0..=MAX_COUNT; blank is `blank` (None: required).
    fn count(&mut self, raw: &str, column: &str, blank: Option<i64>) -> Option<i64> {
        let v = raw.trim();
        if v.is_empty() {
            if blank.is_none() {
                self.err(column, format!("请填写{column}"));
            }
            return blank;
        }
        match v.parse::<i64>() {
            Ok(n) if (0..=MAX_COUNT).contains(&n) => Some(n),
            _ => {
                self.err(
                    column,
                    format!("{column}应为 0 到 {MAX_COUNT} 之间的整数，收到“{v}”"),
                );
                None
            }
        }
    }

    /// 是/否 (also 1/0, Y/N); blank is `blank` (None: required).
    fn yes_no(&mut self, raw: &str, column: &str, blank: Option<bool>) -> Option<bool> {
        match raw.trim().to_uppercase().as_str() {
            "" if blank.is_some() => blank,
            "是" | "1" | "Y" | "YES" | "TRUE" => Some(true),
            "否" | "0" | "N" | "NO" | "FALSE" => Some(false),
            other => {
                self.err(column, format!("{column}应填“是”或“否”，收到“{other}”"));
                None
            }
        }
    }

    /// Optional text of at most `max` characters.
    fn text(&mut self, raw: &str, column: &str, max: usize) -> Option<String> {
        let v = raw.trim();
        if v.chars().count() > max {
            self.err(column, format!("{column}不能超过 {max} 字"));
        }
        Some(v.to_string()).filter(|v| !v.is_empty())
    }
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

impl App {
    /// The empty enterprise template, with its instructions.
    pub fn enterprises_template(&self) -> ServiceResult<Vec<u8>> {
        let example = strings(&[
            "格尔木示例化工有限公司",
            "91632801MA752001XX",
            "632801",
            "C",
            "26",
            "是",
            "否",
            "320",
            "1200",
            "吨/日",
            "王建国",
            "13897001234",
        ]);
        let note = format!(
            "带 * 的列必填；每行一家企业。\n\
             统一社会信用代码 18 位（不使用 I、O、Z、S、V）；校验位不符的照常登记，导入结果中提示核对。\n\
             所在区划代码：县或乡镇的区划代码，如 632801（须在您的管辖范围内）。\n\
             行业门类填字母或名称：{}\n\
             行业大类：两位数字（01–97），可空。\n\
             规上、重点填“是”或“否”（重点可空，视为否）。\n\
             正常用工、正常产量/用电量填整数；单位如 吨/日、万千瓦时/日。\n\
             导入时逐行检查，任何一行有误则整批不写入，并列出每行的问题；已登记的代码不能重复登记。\n\
             示例行的信用代码仅作格式示意，请替换为真实代码。",
            IndustrySection::ALL
                .iter()
                .map(|s| format!("{}（{}）", s.as_str(), s.zh()))
                .collect::<Vec<_>>()
                .join("、")
        );
        spreadsheet::write("企业", ENTERPRISE_COLUMNS, &[example], &note)
    }

    /// Registers enterprises from an xlsx file: all rows or none.
    pub async fn import_enterprises(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> ServiceResult<EnterpriseImportOutcome> {
        let (sheet, cols, places) = self
            .open_import_as(
                actor,
                Permission::ManageEnterprises,
                "企业",
                bytes,
                ENTERPRISE_COLUMNS,
            )
            .await?;
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut rows: Vec<(usize, NewEnterprise)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let sealer = self.crypto.sealer();
        for (row, cells) in &sheet.rows {
            let row = *row;
            let get = |i: usize| cell(cells, cols[i]);
            let place = self.place_cell(actor, &places, get(2), "所在区划代码", row, &mut errors);
            let mut check = RowCheck {
                row,
                errors: &mut errors,
            };
            let name = get(0).trim().to_string();
            if name.is_empty() || name.chars().count() > 100 {
                check.err("企业名称", "请填写企业名称（不超过 100 字）");
            }
            let credit = match CreditCode::parse(get(1)) {
                Ok(c) => {
                    if let Some(first) = seen.insert(c.code.clone(), row) {
                        check.err(
                            "统一社会信用代码",
                            format!("与第 {first} 行的统一社会信用代码重复"),
                        );
                    }
                    if c.check_failed {
                        warnings.push(RowError::new(
                            row,
                            "统一社会信用代码",
                            format!(
                                "{} 校验位不符，已照常登记，请核对（早期代码可能如此）",
                                c.code
                            ),
                        ));
                    }
                    Some(c)
                }
                Err(m) => {
                    check.err("统一社会信用代码", m);
                    None
                }
            };
            let section = IndustrySection::parse(get(3));
            if section.is_none() {
                check.err(
                    "行业门类",
                    format!("行业门类“{}”无效，应为 A–T 或门类名称", get(3)),
                );
            }
            let division = match get(4).trim() {
                "" => None,
                d => match validate_division(d) {
                    Ok(d) => Some(d),
                    Err(m) => {
                        check.err("行业大类", m);
                        None
                    }
                },
            };
            let above_size = check.yes_no(get(5), "规上", None);
            let key_enterprise = check.yes_no(get(6), "重点", Some(false));
            let headcount = check.count(get(7), "正常用工", None);
            let output = check.count(get(8), "正常产量/用电量", None);
            let unit = get(9).trim().to_string();
            if unit.is_empty() || unit.chars().count() > 20 {
                check.err("单位", "请填写产量单位，如 吨/日（不超过 20 字）");
            }
            let contact_name = check.text(get(10), "联系人", 30);
            let contact_phone = match get(11).trim() {
                "" => None,
                p => match validate_phone(p) {
                    Ok(p) => Some(p),
                    Err(m) => {
                        check.err("联系电话", m);
                        None
                    }
                },
            };
            if let (
                Some(place),
                Some(credit),
                Some(section),
                Some(above_size),
                Some(key_enterprise),
                Some(normal_headcount),
                Some(normal_output),
            ) = (
                place,
                credit,
                section,
                above_size,
                key_enterprise,
                headcount,
                output,
            ) {
                rows.push((
                    row,
                    NewEnterprise {
                        name,
                        credit_code: credit.code,
                        credit_check_failed: credit.check_failed,
                        jurisdiction_code: place.to_string(),
                        industry_section: section.as_str().into(),
                        industry_division: division,
                        above_size,
                        key_enterprise,
                        normal_headcount,
                        normal_output,
                        output_unit: unit,
                        contact_name,
                        contact_phone: sealer.seal_text_opt(contact_phone.as_deref()),
                        enc_key: sealer.key_id(),
                    },
                ));
            }
        }
        self.refuse_registered(&rows, &mut errors).await?;
        if !errors.is_empty() {
            return Err(rejected(errors));
        }
        self.write_enterprises(actor, &rows).await?;
        Ok(EnterpriseImportOutcome {
            imported: rows.len(),
            warnings,
        })
    }

    /// An error for each row whose code is in the registry already (anywhere: a code is
    /// registered once).
    async fn refuse_registered(
        &self,
        rows: &[(usize, NewEnterprise)],
        errors: &mut Vec<RowError>,
    ) -> ServiceResult<()> {
        let codes: Vec<String> = rows.iter().map(|(_, e)| e.credit_code.clone()).collect();
        let known: HashSet<String> = lookups::enterprise_keys(&self.db, &codes, &[])
            .await?
            .into_iter()
            .map(|k| k.credit_code)
            .collect();
        for (row, e) in rows {
            if known.contains(&e.credit_code) {
                errors.push(RowError::new(
                    *row,
                    "统一社会信用代码",
                    format!("统一社会信用代码 {} 已登记", e.credit_code),
                ));
            }
        }
        Ok(())
    }

    /// Writes the enterprises of a checked file, each with its audit row, in one
    /// transaction: all or none.
    async fn write_enterprises(
        &self,
        actor: &Actor,
        rows: &[(usize, NewEnterprise)],
    ) -> ServiceResult<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        for (_, e) in rows {
            // Registered meanwhile by someone else: the whole file is refused.
            let id = store::insert_enterprise(&mut tx, e, now)
                .await
                .map_err(|err| {
                    ServiceError::taken(err, "file", || {
                        format!(
                            "统一社会信用代码 {} 刚被登记，本次未写入任何数据，请重新导入",
                            e.credit_code
                        )
                    })
                })?;
            audit_in(
                &mut tx,
                &actor.audit(
                    Action::EnterpriseCreate,
                    Outcome::Success,
                    "企业",
                    id.to_string(),
                    Some(e.jurisdiction_code.clone()),
                    format!("{}（批量导入）", e.name),
                ),
            )
            .await?;
        }
        let audit = actor.audit(
            Action::Import,
            Outcome::Success,
            "企业",
            "xlsx",
            None,
            format!("导入企业 {} 家", rows.len()),
        );
        commit_audited(tx, &audit).await?;
        Ok(())
    }

    /// The empty daily-report template, with its instructions.
    pub fn reports_template(&self) -> ServiceResult<Vec<u8>> {
        let example = strings(&[
            "91632801MA752001XX",
            "",
            "2020-02-27",
            "已复工",
            "286",
            "12",
            "3",
            "0",
            "15",
            "20",
            "5",
            "980",
            "",
        ]);
        let note = format!(
            "带 * 的列必填；每行一家企业一天的日报（截至当日 24 时）。\n\
             统一社会信用代码与企业编号至少填一个（企业编号见企业台账导出）；企业须在您的管辖范围内。\n\
             报告日期格式 2020-02-27。\n\
             经营状态填：{}\n\
             人数、天数、产量填 0 或正整数，空白视为 0；五个到位项数为 0–5。\n\
             同一企业同一日期已报过的，导入即为更正，原版本保留；同一文件中同一企业同一日期只能有一行。\n\
             任何一行有误则整批不写入，并列出每行的问题。",
            choices(OperatingStatus::ALL, OperatingStatus::zh)
        );
        spreadsheet::write("企业日报", REPORT_COLUMNS, &[example], &note)
    }

    /// Files daily reports from an xlsx file, all in one transaction or none.
    pub async fn import_reports(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> ServiceResult<ReportImportOutcome> {
        let (sheet, cols, _) = self
            .open_import_as(
                actor,
                Permission::FileReports,
                "企业日报",
                bytes,
                REPORT_COLUMNS,
            )
            .await?;
        let mut errors = Vec::new();
        // Which enterprise each row names: by code, by number, or both (then they must agree).
        let mut named: Vec<(usize, Option<String>, Option<i64>)> = Vec::new();
        let mut parsed: Vec<(usize, NewReport)> = Vec::new();
        for (row, cells) in &sheet.rows {
            let row = *row;
            let get = |i: usize| cell(cells, cols[i]);
            let date = date_cell(get(2), "报告日期", row, &mut errors);
            let mut check = RowCheck {
                row,
                errors: &mut errors,
            };
            let code = match get(0).trim() {
                "" => None,
                raw => match CreditCode::parse(raw) {
                    Ok(c) => Some(c.code),
                    Err(m) => {
                        check.err("统一社会信用代码", m);
                        None
                    }
                },
            };
            let number = match get(1).trim() {
                "" => None,
                raw => match raw.parse::<i64>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        check.err("企业编号", format!("企业编号应为正整数，收到“{raw}”"));
                        None
                    }
                },
            };
            if get(0).trim().is_empty() && get(1).trim().is_empty() {
                check.err("统一社会信用代码", "请填写统一社会信用代码或企业编号");
            }
            let status = OperatingStatus::parse(get(3));
            if status.is_none() {
                check.err(
                    "经营状态",
                    format!(
                        "经营状态“{}”无效，应为 {}",
                        get(3),
                        choices(OperatingStatus::ALL, OperatingStatus::zh)
                    ),
                );
            }
            let on_duty = check.count(get(4), "在岗人数", None);
            let back = check.count(get(5), "外地返岗", Some(0));
            let quarantine = check.count(get(6), "隔离", Some(0));
            let temps = check.count(get(7), "体温异常", Some(0));
            let masks = check.count(get(8), "口罩天数", Some(0));
            let disinfectant = check.count(get(9), "消毒液天数", Some(0));
            let checks = check.count(get(10), "五个到位项数", Some(0));
            if matches!(checks, Some(n) if n > 5) {
                check.err("五个到位项数", "五个到位的已到位项数应为 0 到 5");
            }
            let output = check.count(get(11), "产量", Some(0));
            let problems = get(12).trim();
            if problems.chars().count() > 1000 {
                check.err("问题", "问题不能超过 1000 字");
            }
            named.push((row, code, number));
            if let (
                Some(report_date),
                Some(status),
                Some(on_duty),
                Some(back_from_outside),
                Some(in_quarantine),
                Some(abnormal_temps),
                Some(mask_days),
                Some(disinfectant_days),
                Some(checks_passed),
                Some(output),
            ) = (
                date,
                status,
                on_duty,
                back,
                quarantine,
                temps,
                masks,
                disinfectant,
                checks,
                output,
            ) {
                parsed.push((
                    row,
                    NewReport {
                        enterprise_id: 0,
                        report_date,
                        status: status.as_str().into(),
                        on_duty,
                        back_from_outside,
                        in_quarantine,
                        abnormal_temps,
                        mask_days,
                        disinfectant_days,
                        checks_passed,
                        output,
                        problems: problems.to_string(),
                        filed_by: actor.username.clone(),
                    },
                ));
            }
        }
        let enterprises = self
            .enterprises_for_rows(actor, &named, &mut errors)
            .await?;
        let reports = reports_of_enterprises(parsed, &enterprises, &mut errors);
        if !errors.is_empty() {
            return Err(rejected(errors));
        }
        let corrected = self.write_reports(actor, &reports).await?;
        Ok(ReportImportOutcome {
            imported: reports.len(),
            corrected,
        })
    }

    /// Files the reports of a checked file, each with its audit row, in one transaction:
    /// all or none. Returns how many corrected an earlier report.
    async fn write_reports(
        &self,
        actor: &Actor,
        reports: &[(NewReport, EnterpriseKey)],
    ) -> ServiceResult<usize> {
        let now = self.now();
        let mut corrected = 0;
        let mut tx = self.db.begin().await?;
        for (r, e) in reports {
            let version = store::file_report(&mut tx, &store::Filing::plain(r, now))
                .await?
                .version;
            if version > 1 {
                corrected += 1;
            }
            let status = OperatingStatus::parse(&r.status).map_or("", |s| s.zh());
            audit_in(
                &mut tx,
                &actor.audit(
                    Action::ReportFile,
                    Outcome::Success,
                    "企业日报",
                    e.id.to_string(),
                    Some(e.jurisdiction_code.clone()),
                    format!(
                        "{}：{} {status}（第 {version} 版，批量导入）",
                        e.name, r.report_date
                    ),
                ),
            )
            .await?;
        }
        let audit = actor.audit(
            Action::Import,
            Outcome::Success,
            "企业日报",
            "xlsx",
            None,
            format!("导入企业日报 {} 条，其中更正 {corrected} 条", reports.len()),
        );
        commit_audited(tx, &audit).await?;
        Ok(corrected)
    }

    /// The enterprise each row names, in the actor's scope (by row), with errors for the
    /// unknown, the out-of-scope and a code and number naming two different enterprises.
    async fn enterprises_for_rows(
        &self,
        actor: &Actor,
        named: &[(usize, Option<String>, Option<i64>)],
        errors: &mut Vec<RowError>,
    ) -> ServiceResult<HashMap<usize, EnterpriseKey>> {
        let codes: Vec<String> = named.iter().filter_map(|(_, c, _)| c.clone()).collect();
        let ids: Vec<i64> = named.iter().filter_map(|(_, _, n)| *n).collect();
        let found = lookups::enterprise_keys(&self.db, &codes, &ids).await?;
        let by_code: HashMap<&str, &EnterpriseKey> =
            found.iter().map(|k| (k.credit_code.as_str(), k)).collect();
        let by_id: HashMap<i64, &EnterpriseKey> = found.iter().map(|k| (k.id, k)).collect();
        let in_scope = |k: &EnterpriseKey| {
            dualtrack_domain::jurisdiction::Code::parse(&k.jurisdiction_code)
                .map(|c| actor.scope.contains(&c))
                .unwrap_or(false)
        };
        let mut out = HashMap::new();
        for (row, code, number) in named {
            let a = code.as_deref().map(|c| (c, by_code.get(c).copied()));
            let b = number.map(|n| (n, by_id.get(&n).copied()));
            let (column, shown, key) = match (a, b) {
                (Some((c, ka)), Some((n, kb))) => match (ka, kb) {
                    (Some(x), Some(y)) if x.id == y.id => ("统一社会信用代码", c.to_string(), ka),
                    (Some(x), Some(y)) if in_scope(x) && in_scope(y) => {
                        errors.push(RowError::new(
                            *row,
                            "企业编号",
                            "企业编号与统一社会信用代码不是同一家企业",
                        ));
                        continue;
                    }
                    (Some(_), _) => ("企业编号", n.to_string(), None),
                    (None, _) => ("统一社会信用代码", c.to_string(), None),
                },
                (Some((c, k)), None) => ("统一社会信用代码", c.to_string(), k),
                (None, Some((n, k))) => ("企业编号", n.to_string(), k),
                // Neither given, or given but malformed: already reported.
                (None, None) => continue,
            };
            match key {
                Some(k) if in_scope(k) => {
                    out.insert(*row, k.clone());
                }
                _ => errors.push(RowError::new(
                    *row,
                    column,
                    format!("企业 {shown} 未登记或不在您的管辖范围内"),
                )),
            }
        }
        Ok(out)
    }

    /// The enterprise registry of the actor's scope as xlsx (contact phones masked), every
    /// enterprise of it.
    pub async fn export_enterprises(&self, actor: &Actor) -> ServiceResult<ExportFile> {
        self.require(actor, Permission::ReadResumption, "企业", "export")
            .await?;
        let mut columns = vec![("企业编号", false)];
        columns.extend_from_slice(ENTERPRISE_COLUMNS);
        columns.push(("代码核对", false));
        self.streamed_export(
            actor,
            "企业",
            &columns,
            |app, after: Option<(String, i64)>, limit| async move {
                let after = after.as_ref().map(|(c, i)| (c.as_str(), *i));
                let rows = store::list_enterprises(&app.db, &actor.scope, after, limit, 0).await?;
                rows.into_iter()
                    .map(|e| enterprise_cells(&app.crypto, e))
                    .collect()
            },
        )
        .await
    }

    /// The current reports of one day in the actor's scope as xlsx, one row per enterprise
    /// that reported; its columns are the template's, so a clerk can correct and re-import.
    pub async fn export_reports(&self, actor: &Actor, raw_date: &str) -> ServiceResult<ExportFile> {
        self.require(actor, Permission::ReadResumption, "企业日报", "export")
            .await?;
        let day = parse_date("date", raw_date)?;
        let mut columns = REPORT_COLUMNS.to_vec();
        columns.extend_from_slice(&[
            ("企业名称", false),
            ("所在区划代码", false),
            ("版本", false),
            ("填报人", false),
        ]);
        self.streamed_export(
            actor,
            "企业日报",
            &columns,
            |app, after: Option<(String, i64)>, limit| async move {
                let after = after.as_ref().map(|(c, i)| (c.as_str(), *i));
                let rows =
                    lookups::reports_of_day(&app.db, &actor.scope, day, after, limit).await?;
                Ok(rows.into_iter().map(report_cells).collect())
            },
        )
        .await
    }
}

/// The columns of the rates export.
pub const RATE_COLUMNS: &[(&str, bool)] = &[
    ("区划代码", false),
    ("地区", false),
    ("截至日期", false),
    ("规上企业登记数", false),
    ("不计入", false),
    ("已复工（含部分复工）", false),
    ("计入企业数", false),
    ("开复工率（%）", false),
    ("在岗人数", false),
    ("正常用工", false),
    ("复岗率（%）", false),
    ("产量（用电量）", false),
    ("正常基数", false),
    ("产能恢复率（%）", false),
];

/// Each parsed report with the enterprise its row names; an error for a second row of one
/// enterprise and day.
fn reports_of_enterprises(
    parsed: Vec<(usize, NewReport)>,
    enterprises: &HashMap<usize, EnterpriseKey>,
    errors: &mut Vec<RowError>,
) -> Vec<(NewReport, EnterpriseKey)> {
    let mut reports: Vec<(NewReport, EnterpriseKey)> = Vec::new();
    let mut seen: HashMap<(i64, NaiveDate), usize> = HashMap::new();
    for (row, mut r) in parsed {
        let Some(e) = enterprises.get(&row) else {
            continue;
        };
        if let Some(first) = seen.insert((e.id, r.report_date), row) {
            errors.push(RowError::new(
                row,
                "报告日期",
                format!(
                    "与第 {first} 行是同一企业同一日期（{}），每家企业每天只能有一行",
                    r.report_date
                ),
            ));
            continue;
        }
        r.enterprise_id = e.id;
        reports.push((r, e.clone()));
    }
    reports
}
