//! Excel templates, imports and exports of mobilisation records.
//!
//! An import checks every row first and writes all of them or none: any problem rejects the
//! file with a list of (row, column, message) a clerk can fix. Exports are masked unless the
//! caller asks to unmask (a role that may, audited).

use crate::actor::audit_in;
use crate::mobilisation::PeopleQuery;
use crate::spreadsheet::{self, cell, RowError};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::Utc;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::mobilisation::{Category, PoliticalStatus};
use dualtrack_domain::resident_id::{validate_phone, ResidentId, Sex};
use dualtrack_domain::role::Permission;
use dualtrack_store::mobilisation::{self as store, PersonRecord};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The columns of the people sheet: (header, required).
pub const PEOPLE_COLUMNS: &[(&str, bool)] = &[
    ("姓名", true),
    ("身份证号", true),
    ("电话", false),
    ("政治面貌", true),
    ("人员类别", false),
    ("所属区划代码", true),
    ("工作单位", false),
];

fn people_note() -> String {
    let statuses: Vec<&str> = PoliticalStatus::ALL.iter().map(|s| s.zh()).collect();
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.zh()).collect();
    format!(
        "带 * 的列必填；每行一人；身份证号请按文本填写（18 位，末位可为 X）。\n\
         政治面貌填：{}\n\
         人员类别可填多个，用顿号“、”分隔：{}\n\
         所属区划代码：国家统计用区划代码，如 632801001001（须在您的管辖范围内）。\n\
         导入时逐行检查，任何一行有误则整批不写入，并列出每行的问题。\n\
         已登记的身份证号不会重复建档，只补充人员类别。",
        statuses.join("、"),
        categories.join("、")
    )
}

/// The most rows one export holds.
pub const EXPORT_LIMIT: i64 = 100_000;

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// 新建档的人数
    pub created: usize,
    /// 已登记、只补充类别的人数
    pub existing: usize,
}

impl App {
    /// The empty people template, with its instructions.
    pub fn people_template(&self) -> ServiceResult<Vec<u8>> {
        let example = vec![
            "王海燕".to_string(),
            "632801198802140038".to_string(),
            "13897001234".to_string(),
            "中共党员".to_string(),
            "在职党员、志愿者".to_string(),
            "632801001001".to_string(),
            "格尔木市人民医院".to_string(),
        ];
        spreadsheet::write("人员", PEOPLE_COLUMNS, &[example], &people_note())
    }

    /// Imports people from an xlsx file: all rows or none.
    pub async fn import_people(&self, actor: &Actor, bytes: &[u8]) -> ServiceResult<ImportOutcome> {
        self.require(actor, Permission::ManageMobilisation, "人员", "import")
            .await?;
        let sheet = spreadsheet::read(bytes)?;
        let cols = sheet.columns(PEOPLE_COLUMNS)?;
        if sheet.rows.is_empty() {
            return Err(ServiceError::invalid("file", "文件中没有数据行"));
        }
        let places: HashSet<String> =
            dualtrack_store::jurisdiction::codes_in(&self.db, &actor.scope)
                .await?
                .into_iter()
                .collect();
        let mut errors = Vec::new();
        let mut records = Vec::new();
        let mut categories: Vec<Vec<&'static str>> = Vec::new();
        let mut rows_of: Vec<usize> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (row, cells) in &sheet.rows {
            let row = *row;
            let mut err = |column: &str, message: String| {
                errors.push(RowError {
                    row,
                    column: column.into(),
                    message,
                })
            };
            let name = cell(cells, cols[0]);
            if name.is_empty() {
                err("姓名", "请填写姓名".into());
            } else if name.chars().count() > 30 {
                err("姓名", "姓名不能超过 30 个字".into());
            }
            let id = match ResidentId::parse(cell(cells, cols[1])) {
                Ok(id) => {
                    if let Some(first) = seen.insert(id.as_str().to_string(), row) {
                        err("身份证号", format!("与第 {first} 行的身份证号重复"));
                    }
                    Some(id)
                }
                Err(e) => {
                    err("身份证号", e.to_string());
                    None
                }
            };
            let phone = match cell(cells, cols[2]) {
                "" => None,
                p => match validate_phone(p) {
                    Ok(p) => Some(p),
                    Err(m) => {
                        err("电话", m);
                        None
                    }
                },
            };
            let status = PoliticalStatus::parse(cell(cells, cols[3]));
            if status.is_none() {
                err(
                    "政治面貌",
                    format!("政治面貌“{}”无效", cell(cells, cols[3])),
                );
            }
            let mut cats = Vec::new();
            for c in cell(cells, cols[4])
                .split(['、', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                match Category::parse(c) {
                    Some(c) if !cats.contains(&c.as_str()) => cats.push(c.as_str()),
                    Some(_) => {}
                    None => err("人员类别", format!("人员类别“{c}”无效")),
                }
            }
            let place = cell(cells, cols[5]);
            let code_ok = match Code::parse(place) {
                Ok(code) if !actor.scope.contains(&code) => {
                    err("所属区划代码", format!("区划“{code}”不在您的管辖范围内"));
                    false
                }
                Ok(code) if !places.contains(code.as_str()) => {
                    err("所属区划代码", format!("区划“{code}”不存在"));
                    false
                }
                Ok(_) => true,
                Err(e) => {
                    err("所属区划代码", e.to_string());
                    false
                }
            };
            if let (Some(id), Some(status), true, false) = (id, status, code_ok, name.is_empty()) {
                records.push(PersonRecord {
                    name: name.to_string(),
                    sex: match id.sex() {
                        Sex::Male => "male",
                        Sex::Female => "female",
                    },
                    birth_date: id.birth_date(),
                    id_number: id.as_str().to_string(),
                    phone,
                    political_status: status.as_str(),
                    jurisdiction_code: place.to_string(),
                    employer: Some(cell(cells, cols[6]).to_string()).filter(|e| !e.is_empty()),
                });
                categories.push(cats);
                rows_of.push(row);
            }
        }
        // Known numbers: found, not duplicated — unless registered outside the caller's scope.
        let numbers: Vec<String> = records.iter().map(|r| r.id_number.clone()).collect();
        let known: HashMap<String, (i64, String)> = store::people_by_id_numbers(&self.db, &numbers)
            .await?
            .into_iter()
            .map(|(n, id, code)| (n, (id, code)))
            .collect();
        for (r, row) in records.iter().zip(&rows_of) {
            if let Some((_, code)) = known.get(&r.id_number) {
                let inside = Code::parse(code)
                    .map(|c| actor.scope.contains(&c))
                    .unwrap_or(false);
                if !inside {
                    errors.push(RowError {
                        row: *row,
                        column: "身份证号".into(),
                        message: "该身份证号已由其他辖区登记".into(),
                    });
                }
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.row);
            let first = &errors[0];
            return Err(ServiceError::Rejected {
                message: format!(
                    "导入未执行：共 {} 处错误，第一处在第 {} 行“{}”：{}。请改正后重新导入，本次未写入任何数据",
                    errors.len(),
                    first.row,
                    first.column,
                    first.message
                ),
                rows: errors,
            });
        }
        let (new, old): (Vec<usize>, Vec<usize>) =
            (0..records.len()).partition(|i| !known.contains_key(&records[*i].id_number));
        let new_records: Vec<PersonRecord> = new.iter().map(|i| records[*i].clone()).collect();
        let mut tx = self.db.begin().await?;
        let inserted: HashMap<String, i64> =
            store::insert_people(&mut tx, &new_records, Utc::now())
                .await?
                .into_iter()
                .collect();
        let mut pairs = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let id = inserted
                .get(&r.id_number)
                .copied()
                .or_else(|| known.get(&r.id_number).map(|(id, _)| *id));
            if let Some(id) = id {
                pairs.extend(categories[i].iter().map(|c| (id, *c)));
            }
        }
        store::insert_categories(&mut tx, &pairs).await?;
        let detail = format!("导入人员：新建 {} 人，已登记 {} 人", new.len(), old.len());
        let row = actor.audit(
            Action::Import,
            Outcome::Success,
            "人员",
            "xlsx",
            None,
            detail,
        );
        audit_in(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(ImportOutcome {
            created: new.len(),
            existing: old.len(),
        })
    }

    /// The people of a filtered list as an xlsx file: masked, unless `unmask` (audited).
    pub async fn export_people(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
        unmask: bool,
    ) -> ServiceResult<Vec<u8>> {
        if unmask {
            self.require(actor, Permission::Unmask, "人员", "export")
                .await?;
        }
        let (rows, _) = self.query_people(actor, q, EXPORT_LIMIT, 0).await?;
        let full: HashMap<i64, (String, Option<String>)> = if unmask {
            let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
            store::people_by_ids(&self.db, &ids)
                .await?
                .into_iter()
                .map(|(id, n, ph)| (id, (n, ph)))
                .collect()
        } else {
            HashMap::new()
        };
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|p| {
                let (id_number, phone) = match full.get(&p.id) {
                    Some((n, ph)) => (n.clone(), ph.clone().unwrap_or_default()),
                    None => (p.id_number.clone(), p.phone.clone().unwrap_or_default()),
                };
                vec![
                    p.name.clone(),
                    id_number,
                    phone,
                    p.political_status.zh().to_string(),
                    p.categories
                        .iter()
                        .map(|c| c.zh())
                        .collect::<Vec<_>>()
                        .join("、"),
                    p.jurisdiction_code.clone(),
                    p.employer.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let bytes = spreadsheet::write("人员", PEOPLE_COLUMNS, &table, "")?;
        let mut tx = self.db.begin().await?;
        let detail = format!(
            "导出人员 {} 人{}",
            table.len(),
            if unmask {
                "（明文）"
            } else {
                "（脱敏）"
            }
        );
        audit_in(
            &mut tx,
            &actor.audit(
                Action::Export,
                Outcome::Success,
                "人员",
                "xlsx",
                None,
                detail.clone(),
            ),
        )
        .await?;
        if unmask {
            audit_in(
                &mut tx,
                &actor.audit(
                    Action::Unmask,
                    Outcome::Success,
                    "人员",
                    "xlsx",
                    None,
                    detail,
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(bytes)
    }
}
