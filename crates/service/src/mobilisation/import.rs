//! Excel templates and imports of mobilisation records (people, organisations, deployments).
//!
//! An import checks every row first and writes all of them or none: any problem rejects the
//! file with a list of (row, column, message) a clerk can fix. Exports are in `export`.

use crate::actor::commit_audited;
use crate::spreadsheet::{self, cell, RowError};
use crate::{Actor, App, ServiceError, ServiceResult};
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

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// 新建档的人数
    pub created: usize,
    /// 已登记、只补充类别的人数
    pub existing: usize,
}

impl App {
    /// The start of every import: the role, the sheet and its columns, and the places in
    /// the caller's scope (to check every row's place at once).
    async fn open_import(
        &self,
        actor: &Actor,
        kind: &str,
        bytes: &[u8],
        columns: &[(&str, bool)],
    ) -> ServiceResult<(spreadsheet::Sheet, Vec<Option<usize>>, HashSet<String>)> {
        self.open_import_as(actor, Permission::ManageMobilisation, kind, bytes, columns)
            .await
    }

    /// The same start for an import that needs another permission.
    pub(crate) async fn open_import_as(
        &self,
        actor: &Actor,
        permission: Permission,
        kind: &str,
        bytes: &[u8],
        columns: &[(&str, bool)],
    ) -> ServiceResult<(spreadsheet::Sheet, Vec<Option<usize>>, HashSet<String>)> {
        self.require(actor, permission, kind, "import").await?;
        let sheet = spreadsheet::read_upload(bytes).await?;
        let cols = sheet.columns(columns)?;
        if sheet.rows.is_empty() {
            return Err(ServiceError::invalid("file", "文件中没有数据行"));
        }
        let places = dualtrack_store::jurisdiction::codes_in(&self.db, &actor.scope)
            .await?
            .into_iter()
            .collect();
        Ok((sheet, cols, places))
    }

    /// The empty people template, with its instructions.
    pub fn people_template(&self) -> ServiceResult<Vec<u8>> {
        let example = vec![
            "王海燕".to_string(),
            "632801198802140036".to_string(),
            "13897001234".to_string(),
            "中共党员".to_string(),
            "在职党员、志愿者".to_string(),
            "632801001001".to_string(),
            "格尔木市人民医院".to_string(),
        ];
        spreadsheet::write("人员", PEOPLE_COLUMNS, &[example], &people_note())
    }

    /// Checks one row of the people sheet: its record and categories when the row is valid,
    /// its problems added to `errors` otherwise.
    fn person_row(
        &self,
        actor: &Actor,
        places: &HashSet<String>,
        line: &(usize, Vec<String>),
        cols: &[Option<usize>],
        seen: &mut HashMap<String, usize>,
        errors: &mut Vec<RowError>,
    ) -> Option<(PersonRecord, Vec<&'static str>)> {
        let (row, cells) = (line.0, line.1.as_slice());
        let mut err =
            |column: &str, message: String| errors.push(RowError::new(row, column, message));
        let name = cell(cells, cols[0]);
        if name.is_empty() {
            err("姓名", "请填写姓名".into());
        } else if name.chars().count() > 30 {
            err("姓名", "姓名不能超过 30 个字".into());
        }
        let id = match ResidentId::parse(cell(cells, cols[1]), self.today()) {
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
        let (Some(id), Some(status), true, false) = (id, status, code_ok, name.is_empty()) else {
            return None;
        };
        Some((
            PersonRecord {
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
                id_bidx: None,
                enc_key: None,
            },
            cats,
        ))
    }

    /// People registered under these ID numbers, found by their blind indexes: (number →
    /// id, jurisdiction).
    async fn people_by_numbers(
        &self,
        numbers: &[String],
    ) -> ServiceResult<HashMap<String, (i64, String)>> {
        let mut number_of: HashMap<String, String> = numbers
            .iter()
            .map(|n| (self.crypto.blind_index(n), n.clone()))
            .collect();
        let indexes: Vec<String> = number_of.keys().cloned().collect();
        Ok(store::people_by_id_bidx(&self.db, &indexes)
            .await?
            .into_iter()
            .filter_map(|(b, id, code)| Some((number_of.remove(&b)?, (id, code))))
            .collect())
    }

    /// A person to write, the ID number and phone sealed under one key, with the blind index.
    fn seal_person(&self, r: &PersonRecord) -> PersonRecord {
        let sealer = self.crypto.sealer();
        PersonRecord {
            id_number: sealer.seal(&r.id_number),
            phone: sealer.seal_opt(r.phone.as_deref()),
            id_bidx: Some(self.crypto.blind_index(&r.id_number)),
            enc_key: sealer.key_id(),
            ..r.clone()
        }
    }

    /// Imports people from an xlsx file: all rows or none.
    pub async fn import_people(&self, actor: &Actor, bytes: &[u8]) -> ServiceResult<ImportOutcome> {
        let (sheet, cols, places) = self
            .open_import(actor, "人员", bytes, PEOPLE_COLUMNS)
            .await?;
        let mut errors = Vec::new();
        let mut records = Vec::new();
        let mut categories: Vec<Vec<&'static str>> = Vec::new();
        let mut rows_of: Vec<usize> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for line in &sheet.rows {
            if let Some((record, cats)) =
                self.person_row(actor, &places, line, &cols, &mut seen, &mut errors)
            {
                records.push(record);
                categories.push(cats);
                rows_of.push(line.0);
            }
        }
        // Known numbers: found, not duplicated — unless registered outside the caller's scope.
        let numbers: Vec<String> = records.iter().map(|r| r.id_number.clone()).collect();
        let known = self.people_by_numbers(&numbers).await?;
        for (r, row) in records.iter().zip(&rows_of) {
            if let Some((_, code)) = known.get(&r.id_number) {
                let inside = Code::parse(code)
                    .map(|c| actor.scope.contains(&c))
                    .unwrap_or(false);
                if !inside {
                    errors.push(RowError::new(
                        *row,
                        "身份证号",
                        crate::mobilisation::PERSON_ELSEWHERE,
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(rejected(errors));
        }
        let (new, old): (Vec<usize>, Vec<usize>) =
            (0..records.len()).partition(|i| !known.contains_key(&records[*i].id_number));
        // Sealed for writing; the numbers as written lead back to the numbers read.
        let mut plain_of: HashMap<String, String> = HashMap::new();
        let new_records: Vec<PersonRecord> = new
            .iter()
            .map(|i| {
                let r = self.seal_person(&records[*i]);
                plain_of.insert(r.id_number.clone(), records[*i].id_number.clone());
                r
            })
            .collect();
        let mut tx = self.db.begin().await?;
        let inserted: HashMap<String, i64> =
            store::insert_people(&mut tx, &new_records, self.clock.now())
                .await?
                .into_iter()
                .filter_map(|(sealed, id)| Some((plain_of.remove(&sealed)?, id)))
                .collect();
        let mut pairs = Vec::new();
        for (i, r) in records.iter().enumerate() {
            // A known person keeps the jurisdiction they are registered under.
            let found = match inserted.get(&r.id_number) {
                Some(id) => Some((*id, r.jurisdiction_code.as_str())),
                None => known
                    .get(&r.id_number)
                    .map(|(id, code)| (*id, code.as_str())),
            };
            if let Some((id, code)) = found {
                pairs.extend(categories[i].iter().map(|c| (id, *c, code)));
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
        commit_audited(tx, &row).await?;
        Ok(ImportOutcome {
            created: new.len(),
            existing: old.len(),
        })
    }
}

/// The columns of the organisations sheet.
pub const ORG_COLUMNS: &[(&str, bool)] = &[
    ("组织类型", true),
    ("组织名称", true),
    ("所属区划代码", true),
    ("服务场所类型", false),
    ("服务场所名称", false),
    ("成立日期", true),
    ("撤销日期", false),
    ("负责人身份证号", false),
];

/// The columns of the deployments sheet.
pub const DEPLOYMENT_COLUMNS: &[(&str, bool)] = &[
    ("身份证号", true),
    ("服务地点代码", true),
    ("服务场所类型", false),
    ("服务场所名称", false),
    ("岗位", true),
    ("开始日期", true),
    ("结束日期", false),
];

pub(crate) fn choices<T: Copy>(all: &[T], zh: fn(T) -> &'static str) -> String {
    all.iter().map(|v| zh(*v)).collect::<Vec<_>>().join("、")
}

pub(crate) fn date_cell(
    raw: &str,
    column: &str,
    row: usize,
    errors: &mut Vec<RowError>,
) -> Option<chrono::NaiveDate> {
    match chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(RowError::new(
                row,
                column,
                format!("日期应为 年-月-日，如 2020-02-28，收到“{raw}”"),
            ));
            None
        }
    }
}

/// An optional date cell: blank is none.
fn opt_date_cell(
    raw: &str,
    column: &str,
    row: usize,
    errors: &mut Vec<RowError>,
) -> Option<chrono::NaiveDate> {
    if raw.trim().is_empty() {
        None
    } else {
        date_cell(raw, column, row, errors)
    }
}

/// An optional site kind cell: blank is none, an unknown kind a row error.
fn site_kind_cell(
    raw: &str,
    row: usize,
    errors: &mut Vec<RowError>,
) -> Option<dualtrack_domain::mobilisation::SiteKind> {
    if raw.trim().is_empty() {
        return None;
    }
    let kind = dualtrack_domain::mobilisation::SiteKind::parse(raw);
    if kind.is_none() {
        errors.push(RowError::new(
            row,
            "服务场所类型",
            format!("服务场所类型“{raw}”无效"),
        ));
    }
    kind
}

pub(crate) fn rejected(mut errors: Vec<RowError>) -> ServiceError {
    errors.sort_by_key(|e| e.row);
    let first = &errors[0];
    ServiceError::Rejected {
        message: format!(
            "导入未执行：共 {} 处错误，第一处在第 {} 行“{}”：{}。请改正后重新导入，本次未写入任何数据",
            errors.len(),
            first.row,
            first.column,
            first.message
        ),
        rows: errors,
    }
}

impl App {
    pub fn organisations_template(&self) -> ServiceResult<Vec<u8>> {
        use dualtrack_domain::mobilisation::{OrgKind, SiteKind};
        let example: Vec<String> = [
            "临时党支部",
            "G109 格尔木南卡口疫情防控临时党支部",
            "632801",
            "卡口",
            "G109 格尔木南卡口",
            "2020-02-01",
            "",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let note = format!(
            "带 * 的列必填；日期格式 2020-02-28。\n组织类型填：{}\n服务场所类型填：{}\n负责人须已登记（填其身份证号）。\n任一行有误则整批不写入。",
            choices(OrgKind::ALL, OrgKind::zh),
            choices(SiteKind::ALL, SiteKind::zh)
        );
        spreadsheet::write("组织", ORG_COLUMNS, &[example], &note)
    }

    pub fn deployments_template(&self) -> ServiceResult<Vec<u8>> {
        use dualtrack_domain::mobilisation::SiteKind;
        let example: Vec<String> = [
            "632801198802140036",
            "632801001001",
            "卡口",
            "G109 格尔木南卡口",
            "卡口值守",
            "2020-02-01",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let note = format!(
            "带 * 的列必填；人员须已登记（填其身份证号）；服务地点为区划或网格代码。\n服务场所类型填：{}\n任一行有误则整批不写入。",
            choices(SiteKind::ALL, SiteKind::zh)
        );
        spreadsheet::write("派驻", DEPLOYMENT_COLUMNS, &[example], &note)
    }

    /// Known people by ID number, in the actor's scope: (number → id), with errors for the
    /// unknown and the out-of-scope.
    async fn people_for_rows(
        &self,
        actor: &Actor,
        wanted: &[(usize, String, &str)],
    ) -> ServiceResult<(HashMap<String, i64>, Vec<RowError>)> {
        let numbers: Vec<String> = wanted.iter().map(|(_, n, _)| n.clone()).collect();
        let found = self.people_by_numbers(&numbers).await?;
        let mut ids = HashMap::new();
        let mut errors = Vec::new();
        for (row, number, column) in wanted {
            match found.get(number) {
                Some((id, code))
                    if Code::parse(code)
                        .map(|c| actor.scope.contains(&c))
                        .unwrap_or(false) =>
                {
                    ids.insert(number.clone(), *id);
                }
                _ => errors.push(RowError::new(
                    *row,
                    *column,
                    format!(
                        "身份证号 {} 未登记或不在您的管辖范围内",
                        dualtrack_domain::resident_id::mask_id(number)
                    ),
                )),
            }
        }
        Ok((ids, errors))
    }

    /// A place in scope that exists, or a row error.
    pub(crate) fn place_cell(
        &self,
        actor: &Actor,
        places: &HashSet<String>,
        raw: &str,
        column: &str,
        row: usize,
        errors: &mut Vec<RowError>,
    ) -> Option<Code> {
        match Code::parse(raw) {
            Ok(c) if !actor.scope.contains(&c) => {
                errors.push(RowError::new(
                    row,
                    column,
                    format!("区划“{c}”不在您的管辖范围内"),
                ));
                None
            }
            Ok(c) if !places.contains(c.as_str()) => {
                errors.push(RowError::new(row, column, format!("区划“{c}”不存在")));
                None
            }
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(RowError::new(row, column, e.to_string()));
                None
            }
        }
    }

    pub async fn import_organisations(&self, actor: &Actor, bytes: &[u8]) -> ServiceResult<usize> {
        use dualtrack_domain::mobilisation::OrgKind;
        let (sheet, cols, places) = self.open_import(actor, "组织", bytes, ORG_COLUMNS).await?;
        let mut errors = Vec::new();
        let mut leaders = Vec::new();
        let mut rows = Vec::new();
        for (row, cells) in &sheet.rows {
            let row = *row;
            let kind = OrgKind::parse(cell(cells, cols[0]));
            if kind.is_none() {
                errors.push(RowError::new(
                    row,
                    "组织类型",
                    format!("组织类型“{}”无效", cell(cells, cols[0])),
                ));
            }
            let name = cell(cells, cols[1]).to_string();
            if name.is_empty() || name.chars().count() > 60 {
                errors.push(RowError::new(
                    row,
                    "组织名称",
                    "请填写组织名称（不超过 60 字）",
                ));
            }
            let place = self.place_cell(
                actor,
                &places,
                cell(cells, cols[2]),
                "所属区划代码",
                row,
                &mut errors,
            );
            let site_kind = site_kind_cell(cell(cells, cols[3]), row, &mut errors);
            let established = date_cell(cell(cells, cols[5]), "成立日期", row, &mut errors);
            let dissolved = opt_date_cell(cell(cells, cols[6]), "撤销日期", row, &mut errors);
            if let (Some(e), Some(d)) = (established, dissolved) {
                if d < e {
                    errors.push(RowError::new(row, "撤销日期", "撤销日期不能早于成立日期"));
                }
            }
            let leader = match cell(cells, cols[7]) {
                "" => None,
                raw => match ResidentId::parse(raw, self.today()) {
                    Ok(id) => {
                        leaders.push((row, id.as_str().to_string(), "负责人身份证号"));
                        Some(id.as_str().to_string())
                    }
                    Err(e) => {
                        errors.push(RowError::new(row, "负责人身份证号", e.to_string()));
                        None
                    }
                },
            };
            if let (Some(kind), Some(place), Some(established)) = (kind, place, established) {
                rows.push((
                    kind,
                    name,
                    place,
                    site_kind,
                    cell(cells, cols[4]).to_string(),
                    established,
                    dissolved,
                    leader,
                ));
            }
        }
        let (leader_ids, more) = self.people_for_rows(actor, &leaders).await?;
        errors.extend(more);
        if !errors.is_empty() {
            return Err(rejected(errors));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        for (kind, name, place, site_kind, site_name, established, dissolved, leader) in &rows {
            let leader_id = leader.as_ref().and_then(|n| leader_ids.get(n)).copied();
            let id = store::insert_org(
                &mut tx,
                &store::NewOrg {
                    kind: kind.as_str(),
                    name,
                    jurisdiction_code: place.as_str(),
                    site_kind: site_kind.map(|s| s.as_str()),
                    site_name: Some(site_name.as_str()).filter(|s| !s.is_empty()),
                    established_on: *established,
                    dissolved_on: *dissolved,
                    leader_id,
                    at: now,
                },
            )
            .await?;
            if let Some(l) = leader_id {
                store::add_member(&mut tx, id, l, "负责人", *established).await?;
            }
        }
        let detail = format!("导入组织 {} 个", rows.len());
        let audit = actor.audit(
            Action::Import,
            Outcome::Success,
            "组织",
            "xlsx",
            None,
            detail,
        );
        commit_audited(tx, &audit).await?;
        Ok(rows.len())
    }

    pub async fn import_deployments(&self, actor: &Actor, bytes: &[u8]) -> ServiceResult<usize> {
        let (sheet, cols, places) = self
            .open_import(actor, "派驻", bytes, DEPLOYMENT_COLUMNS)
            .await?;
        let mut errors = Vec::new();
        let mut people = Vec::new();
        let mut rows = Vec::new();
        for (row, cells) in &sheet.rows {
            let row = *row;
            let number = match ResidentId::parse(cell(cells, cols[0]), self.today()) {
                Ok(id) => {
                    people.push((row, id.as_str().to_string(), "身份证号"));
                    Some(id.as_str().to_string())
                }
                Err(e) => {
                    errors.push(RowError::new(row, "身份证号", e.to_string()));
                    None
                }
            };
            let place = self.place_cell(
                actor,
                &places,
                cell(cells, cols[1]),
                "服务地点代码",
                row,
                &mut errors,
            );
            let site_kind = site_kind_cell(cell(cells, cols[2]), row, &mut errors);
            let role = cell(cells, cols[4]).to_string();
            if role.is_empty() || role.chars().count() > 40 {
                errors.push(RowError::new(row, "岗位", "请填写岗位（不超过 40 字）"));
            }
            let start = date_cell(cell(cells, cols[5]), "开始日期", row, &mut errors);
            let end = opt_date_cell(cell(cells, cols[6]), "结束日期", row, &mut errors);
            if let (Some(s), Some(e)) = (start, end) {
                if e < s {
                    errors.push(RowError::new(row, "结束日期", "结束日期不能早于开始日期"));
                }
            }
            if let (Some(number), Some(place), Some(start)) = (number, place, start) {
                rows.push((
                    number,
                    place,
                    site_kind,
                    cell(cells, cols[3]).to_string(),
                    role,
                    start,
                    end,
                ));
            }
        }
        let (ids, more) = self.people_for_rows(actor, &people).await?;
        errors.extend(more);
        if !errors.is_empty() {
            return Err(rejected(errors));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        for (number, place, site_kind, site_name, role, start, end) in &rows {
            let Some(person_id) = ids.get(number).copied() else {
                continue;
            };
            store::insert_deployment(
                &mut tx,
                &store::NewDeployment {
                    person_id,
                    jurisdiction_code: place.as_str(),
                    org_id: None,
                    site_kind: site_kind.map(|s| s.as_str()),
                    site_name: Some(site_name.as_str()).filter(|s| !s.is_empty()),
                    role,
                    start_on: *start,
                    end_on: *end,
                    at: now,
                },
            )
            .await?;
        }
        let detail = format!("导入派驻 {} 条", rows.len());
        let audit = actor.audit(
            Action::Import,
            Outcome::Success,
            "派驻",
            "xlsx",
            None,
            detail,
        );
        commit_audited(tx, &audit).await?;
        Ok(rows.len())
    }
}
