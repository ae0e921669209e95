//! Excel templates and imports of supplies: the catalogue (a system administrator),
//! stock counts (盘点: the counted quantity of an item in a store on a day, written as an
//! adjustment of the difference) and needs.
//!
//! Imports follow the others: every row is checked first and any problem rejects the whole
//! file with (row, column, message) for each; nothing is written. Stock counts are checked
//! again inside the transaction against the balances of that day (an earlier row may have
//! moved them); a count that would take a later day below zero rejects the file too.

use super::{ItemInput, NeedInput};
use crate::actor::audit_in;
use crate::actor::commit_audited;
use crate::import::choices;
use crate::import::{date_cell, rejected};
use crate::spreadsheet::{self, cell, RowError};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{to_base_units, Crop, ItemKind, MovementKind, NeedBasis};
use dualtrack_store::supplies::{self as store, Applied, ItemRow, NewMovement};
use dualtrack_store::Tx;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The columns of the catalogue sheet: (header, required).
pub const ITEM_COLUMNS: &[(&str, bool)] = &[
    ("品名", true),
    ("类别", true),
    ("规格", false),
    ("作物", false),
    ("计量单位", true),
    ("包装单位", false),
    ("每包装数量", false),
    ("预警天数", false),
];

/// The columns of the stock-count sheet.
pub const COUNT_COLUMNS: &[(&str, bool)] = &[
    ("仓库编号", true),
    ("物资", true),
    ("盘点日期", true),
    ("实盘数量", true),
    ("单位", false),
    ("说明", false),
];

/// The columns of the needs sheet.
pub const NEED_COLUMNS: &[(&str, bool)] = &[
    ("区划代码", true),
    ("仓库编号", false),
    ("物资", true),
    ("需求方式", true),
    ("数量", true),
    ("单位", false),
    ("作物", false),
    ("面积（亩）", false),
    ("起始日期", true),
    ("截止日期", false),
    ("说明", false),
];

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuppliesImportOutcome {
    /// 写入的行数
    pub imported: usize,
    /// 其中未产生调整的盘点行（实盘与账面一致）
    pub unchanged: usize,
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

fn err(errors: &mut Vec<RowError>, row: usize, column: &str, message: impl Into<String>) {
    errors.push(RowError::new(row, column, message));
}

/// An item named in a cell by its name or its number.
fn item_cell<'a>(
    items: &'a [ItemRow],
    raw: &str,
    row: usize,
    errors: &mut Vec<RowError>,
) -> Option<&'a ItemRow> {
    let v = raw.trim();
    let found = items
        .iter()
        .find(|i| i.name == v || v.parse::<i64>().ok() == Some(i.id));
    if found.is_none() {
        err(
            errors,
            row,
            "物资",
            format!("物资“{v}”不在目录中（填品名或编号）"),
        );
    }
    found
}

fn whole(raw: &str, column: &str, row: usize, errors: &mut Vec<RowError>) -> Option<i64> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Some(n),
        _ => {
            err(
                errors,
                row,
                column,
                format!("{column}应为不小于 0 的整数，收到“{}”", raw.trim()),
            );
            None
        }
    }
}

/// The error of a use-case check, as the row's problem in the column of the field.
fn row_error(e: ServiceError, row: usize, columns: &[(&str, &str)], errors: &mut Vec<RowError>) {
    let column = e
        .field()
        .and_then(|f| columns.iter().find(|(k, _)| *k == f).map(|(_, c)| *c))
        .unwrap_or("行");
    err(errors, row, column, e.to_string());
}

/// A row of a stock count, checked: the counted quantity in the item's unit.
struct Count {
    row: usize,
    store_id: i64,
    item: ItemRow,
    day: NaiveDate,
    counted: i64,
    note: String,
}

/// The rows of a stock count, each checked against the catalogue and the caller's stores;
/// every problem of every row rejects the file.
fn check_counts(
    sheet: &spreadsheet::Sheet,
    cols: &[Option<usize>],
    items: &[ItemRow],
    stores: &HashMap<i64, store::StoreRow>,
    today: NaiveDate,
) -> ServiceResult<Vec<Count>> {
    let mut errors = Vec::new();
    let mut counts = Vec::new();
    let mut seen: HashSet<(i64, i64, NaiveDate)> = HashSet::new();
    for (row, cells) in &sheet.rows {
        let row = *row;
        let c = |i: usize| cell(cells, cols[i]);
        let store_id = match c(0).trim().parse::<i64>() {
            Ok(id) if stores.contains_key(&id) => Some(id),
            _ => {
                err(
                    &mut errors,
                    row,
                    "仓库编号",
                    format!("仓库“{}”不存在或不在您的管辖范围内", c(0).trim()),
                );
                None
            }
        };
        let item = item_cell(items, c(1), row, &mut errors);
        let day = date_cell(c(2), "盘点日期", row, &mut errors);
        if day.is_some_and(|d| d > today) {
            err(&mut errors, row, "盘点日期", "盘点日期不能晚于今天");
        }
        let counted = whole(c(3), "实盘数量", row, &mut errors);
        let note = c(5).trim().to_string();
        if note.chars().count() > 300 {
            err(&mut errors, row, "说明", "说明不超过 300 字");
        }
        let (Some(store_id), Some(item), Some(day), Some(counted)) = (store_id, item, day, counted)
        else {
            continue;
        };
        let base = if counted == 0 {
            Ok(0)
        } else {
            to_base_units(
                counted,
                c(4),
                &item.unit,
                item.pack_unit.as_deref(),
                item.pack_size,
            )
        };
        let base = match base {
            Ok(b) => b,
            Err(m) => {
                err(&mut errors, row, "单位", format!("{}：{m}", item.name));
                continue;
            }
        };
        if !seen.insert((store_id, item.id, day)) {
            err(&mut errors, row, "物资", "同一仓库、物资、日期重复盘点");
            continue;
        }
        counts.push(Count {
            row,
            store_id,
            item: item.clone(),
            day,
            counted: base,
            note,
        });
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    Ok(counts)
}

impl App {
    /// The catalogue template, with its instructions.
    pub fn supply_items_template(&self) -> ServiceResult<Vec<u8>> {
        let example = strings(&[
            "医用外科口罩（示例）",
            "口罩",
            "YY 0469",
            "",
            "个",
            "箱",
            "2000",
            "7",
        ]);
        let note = format!(
            "带 * 的列必填；每行一个物资品目（品名不能与目录中已有的重复）。\n\
             类别：{}\n\
             作物（仅种子等农资）：{}\n\
             计量单位：出入库与结存所用的单位，如 个、瓶、公斤、升；包装单位与每包装数量可空，如 箱、2000（出入库可按箱填写，自动折算）。\n\
             预警天数：按近 14 天用量可用天数低于此数时预警，默认 7。\n\
             导入时逐行检查，任何一行有误则整批不写入，并列出每行的问题。",
            choices(ItemKind::ALL, ItemKind::zh),
            choices(Crop::ALL, Crop::zh),
        );
        spreadsheet::write("物资目录", ITEM_COLUMNS, &[example], &note)
    }

    /// Adds items to the catalogue from an xlsx file: all rows or none.
    pub async fn import_supply_items(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> ServiceResult<SuppliesImportOutcome> {
        let (sheet, cols, _) = self
            .open_import_as(
                actor,
                Permission::ManageCatalogue,
                "物资目录",
                bytes,
                ITEM_COLUMNS,
            )
            .await?;
        let mut errors = Vec::new();
        let mut rows = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let fields = [
            ("name", "品名"),
            ("kind", "类别"),
            ("spec", "规格"),
            ("crop", "作物"),
            ("unit", "计量单位"),
            ("pack_unit", "包装单位"),
            ("pack_size", "每包装数量"),
            ("warn_days", "预警天数"),
        ];
        for (row, cells) in &sheet.rows {
            let c = |i: usize| cell(cells, cols[i]).to_string();
            let opt_num = |i: usize, errors: &mut Vec<RowError>| -> Option<i64> {
                let v = c(i);
                if v.trim().is_empty() {
                    None
                } else {
                    whole(&v, ITEM_COLUMNS[i].0, *row, errors)
                }
            };
            let input = ItemInput {
                name: c(0),
                kind: c(1),
                spec: c(2),
                crop: Some(c(3)),
                unit: c(4),
                pack_unit: Some(c(5)),
                pack_size: opt_num(6, &mut errors),
                warn_days: opt_num(7, &mut errors),
            };
            if let Some(first) = seen.insert(input.name.trim().to_string(), *row) {
                err(&mut errors, *row, "品名", format!("与第 {first} 行重复"));
                continue;
            }
            match self.check_item(&input).await {
                Ok(mut new) => {
                    new.created_by = actor.username.clone();
                    rows.push(new);
                }
                Err(e) => row_error(e, *row, &fields, &mut errors),
            }
        }
        if !errors.is_empty() {
            return Err(rejected(errors));
        }
        let mut tx = self.db.begin().await?;
        for new in &rows {
            store::insert_item(&mut tx, new, self.clock.now()).await?;
        }
        let audit = actor.audit(
            Action::Import,
            Outcome::Success,
            "物资目录",
            "xlsx",
            None,
            format!("导入物资品目 {} 个", rows.len()),
        );
        commit_audited(tx, &audit).await?;
        Ok(SuppliesImportOutcome {
            imported: rows.len(),
            unchanged: 0,
        })
    }

    /// The stock-count template, with its instructions.
    pub fn stock_count_template(&self) -> ServiceResult<Vec<u8>> {
        let example = strings(&[
            "1",
            "一次性医用外科口罩",
            "2020-03-01",
            "1200",
            "个",
            "月度盘点",
        ]);
        let note = "带 * 的列必填；每行一个仓库的一种物资。\n\
             仓库编号：物资保障页面仓库链接中的数字（须在您的管辖范围内）。物资：品名或编号。\n\
             实盘数量：盘点日终了时实际清点的数量；单位可填计量单位或包装单位（如 箱），空即计量单位。\n\
             导入后按账面结存与实盘数量之差登记盘盈或盘亏调整（结存不被直接改写，调整记入出入库记录）；\n\
             实盘与账面一致的行不产生调整。盘亏使此后某日结存为负的，整批不写入。\n\
             导入时逐行检查，任何一行有误则整批不写入，并列出每行的问题。";
        spreadsheet::write("盘点", COUNT_COLUMNS, &[example], note)
    }

    /// Stock counts from an xlsx file: each row's difference from the balance of that day is
    /// written as an adjustment; all rows or none.
    pub async fn import_stock_counts(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> ServiceResult<SuppliesImportOutcome> {
        let (sheet, cols, _) = self
            .open_import_as(actor, Permission::MoveStock, "盘点", bytes, COUNT_COLUMNS)
            .await?;
        let items = store::items(&self.db).await?;
        let stores: HashMap<i64, store::StoreRow> = store::stores(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut counts = check_counts(&sheet, &cols, &items, &stores, self.today())?;
        // In date order, so that each row is compared with the balance after the earlier ones.
        counts.sort_by_key(|c| (c.day, c.row));
        let mut tx = self.db.begin().await?;
        let mut written = 0;
        let mut unchanged = 0;
        for count in &counts {
            if self
                .write_count(&mut tx, actor, count, &stores[&count.store_id])
                .await?
            {
                written += 1;
            } else {
                unchanged += 1;
            }
        }
        let audit = actor.audit(
            Action::Import,
            Outcome::Success,
            "盘点",
            "xlsx",
            None,
            format!("导入盘点 {} 行，调整 {written} 条", counts.len()),
        );
        commit_audited(tx, &audit).await?;
        Ok(SuppliesImportOutcome {
            imported: written,
            unchanged,
        })
    }

    /// Writes the difference of a counted row from the balance of its day as an adjustment;
    /// false when there is none.
    async fn write_count(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        count: &Count,
        s: &store::StoreRow,
    ) -> ServiceResult<bool> {
        let Count {
            row,
            store_id,
            item,
            day,
            counted,
            note,
        } = count;
        let book = store::balance_in(&mut *tx, *store_id, item.id, *day).await?;
        let diff = counted - book;
        if diff == 0 {
            return Ok(false);
        }
        let kind = if diff > 0 {
            MovementKind::AdjustIn
        } else {
            MovementKind::AdjustOut
        };
        let reason = if note.is_empty() {
            format!("盘点：账面 {book}，实盘 {counted}")
        } else {
            format!("盘点：账面 {book}，实盘 {counted}；{note}")
        };
        let id = store::insert_movement(
            tx,
            &NewMovement {
                kind: kind.as_str().into(),
                item_id: item.id,
                quantity: diff.abs(),
                from_store_id: (diff < 0).then_some(*store_id),
                to_store_id: (diff > 0).then_some(*store_id),
                jurisdiction_code: s.jurisdiction_code.clone(),
                moved_on: *day,
                counterparty: String::new(),
                reason: reason.clone(),
                allocation_id: None,
                entered_quantity: diff.abs(),
                entered_unit: item.unit.clone(),
                idempotency_key: None,
                recorded_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        if let Applied::Short { available } =
            store::apply(tx, *store_id, item.id, *day, diff).await?
        {
            return Err(rejected(vec![RowError::new(
                *row,
                "实盘数量",
                format!(
                    "盘亏 {} {} 后，{} 的{}此后某日结存将为负（最多可减 {available}）",
                    -diff, item.unit, s.name, item.name
                ),
            )]));
        }
        audit_in(
            tx,
            &actor.audit(
                Action::StockMove,
                Outcome::Success,
                "出入库",
                id.to_string(),
                Some(s.jurisdiction_code.clone()),
                format!(
                    "{} {} {}（{}）{reason}",
                    kind.zh(),
                    item.name,
                    diff.abs(),
                    s.name
                ),
            ),
        )
        .await?;
        Ok(true)
    }

    /// The needs template, with its instructions.
    pub fn needs_template(&self) -> ServiceResult<Vec<u8>> {
        let example = strings(&[
            "632822103",
            "",
            "硫酸钾",
            "总需求",
            "4560",
            "袋",
            "枸杞",
            "38000",
            "2020-02-10",
            "2020-04-30",
            "诺木洪枸杞春季追肥",
        ]);
        let note = format!(
            "带 * 的列必填；每行一项需求。\n\
             区划代码：申报需求的乡镇、县等（须在您的管辖范围内）；仓库编号可空，填写时须在该区划之下（如卡口物资箱）。\n\
             物资：品名或编号。需求方式：总需求（如春耕用肥）或 每日需求（如卡口每日口罩）。\n\
             数量与单位：单位可填计量单位或包装单位（如 袋），空即计量单位。\n\
             作物（仅农资）：{}；面积以亩计。日期为 年-月-日。\n\
             导入时逐行检查，任何一行有误则整批不写入，并列出每行的问题。",
            choices(Crop::ALL, Crop::zh)
        );
        spreadsheet::write("物资需求", NEED_COLUMNS, &[example], &note)
    }

    /// Needs from an xlsx file: all rows or none.
    pub async fn import_needs(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> ServiceResult<SuppliesImportOutcome> {
        let (sheet, cols, places) = self
            .open_import_as(
                actor,
                Permission::ManageSupplies,
                "物资需求",
                bytes,
                NEED_COLUMNS,
            )
            .await?;
        let items = store::items(&self.db).await?;
        let fields = [
            ("jurisdiction_code", "区划代码"),
            ("store_id", "仓库编号"),
            ("item_id", "物资"),
            ("basis", "需求方式"),
            ("quantity", "数量"),
            ("unit", "单位"),
            ("crop", "作物"),
            ("area_mu", "面积（亩）"),
            ("from_on", "起始日期"),
            ("until_on", "截止日期"),
            ("note", "说明"),
        ];
        let mut errors = Vec::new();
        let mut rows = Vec::new();
        for (row, cells) in &sheet.rows {
            let row = *row;
            let c = |i: usize| cell(cells, cols[i]).to_string();
            let place = self.place_cell(actor, &places, &c(0), "区划代码", row, &mut errors);
            let item = item_cell(&items, &c(2), row, &mut errors);
            let store_id = match c(1).trim() {
                "" => None,
                v => match v.parse::<i64>() {
                    Ok(id) => Some(id),
                    Err(_) => {
                        err(
                            &mut errors,
                            row,
                            "仓库编号",
                            format!("仓库编号“{v}”应为数字"),
                        );
                        None
                    }
                },
            };
            let quantity = whole(&c(4), "数量", row, &mut errors);
            let area = match c(7).trim() {
                "" => None,
                v => whole(v, "面积（亩）", row, &mut errors),
            };
            let basis = match NeedBasis::parse(&c(3)) {
                Some(b) => b.as_str().to_string(),
                None => {
                    err(
                        &mut errors,
                        row,
                        "需求方式",
                        "需求方式应为 总需求 或 每日需求",
                    );
                    continue;
                }
            };
            let (Some(place), Some(item), Some(quantity)) = (place, item, quantity) else {
                continue;
            };
            let input = NeedInput {
                idempotency_key: None,
                jurisdiction_code: place.to_string(),
                store_id,
                item_id: item.id,
                basis,
                quantity,
                unit: Some(c(5)),
                crop: Some(c(6)),
                area_mu: area,
                from_on: c(8),
                until_on: Some(c(9)),
                note: c(10),
            };
            match self.check_need(actor, &place, &input).await {
                Ok(n) => rows.push(n),
                Err(e) => row_error(e, row, &fields, &mut errors),
            }
        }
        if !errors.is_empty() {
            return Err(rejected(errors));
        }
        let mut tx = self.db.begin().await?;
        store::insert_needs(&mut tx, &rows, self.clock.now()).await?;
        let audit = actor.audit(
            Action::SupplyNeedDeclare,
            Outcome::Success,
            "物资需求",
            "xlsx",
            None,
            format!("导入物资需求 {} 条", rows.len()),
        );
        commit_audited(tx, &audit).await?;
        Ok(SuppliesImportOutcome {
            imported: rows.len(),
            unchanged: 0,
        })
    }
}
