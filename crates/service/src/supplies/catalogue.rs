//! The catalogue of items (extended by a system administrator) and the stores of each place.

use super::farming::parse_crop;
use super::*;
use crate::input::{non_empty as opt_text, text_of as text};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{ItemKind, StoreKind, DEFAULT_WARN_DAYS};
use dualtrack_store::supplies::{self as store, NewItem, NewStore};

impl App {
    /// The catalogue.
    pub async fn supply_items(&self, actor: &Actor) -> ServiceResult<Vec<ItemView>> {
        self.require_any_supplies(actor, "catalogue").await?;
        store::items(&self.db)
            .await?
            .iter()
            .map(item_view)
            .collect()
    }

    /// Checks an item for the catalogue (shared with the import).
    pub(crate) async fn check_item(&self, input: &ItemInput) -> ServiceResult<NewItem> {
        let name = text("name", "品名", &input.name, 100, true)?;
        let kind = ItemKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "物资类别“{}”无效，应为：{}",
                    input.kind.trim(),
                    ItemKind::ALL
                        .iter()
                        .map(|k| k.zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
        let spec = text("spec", "规格", &input.spec, 100, false)?;
        let crop = match opt_text(&input.crop) {
            None => None,
            Some(c) => {
                let crop = parse_crop(&c)?;
                if !kind.is_farm_input() {
                    return Err(ServiceError::invalid("crop", "防疫物资不填作物"));
                }
                Some(crop.as_str().to_string())
            }
        };
        let unit = text("unit", "计量单位", &input.unit, 10, true)?;
        let pack_unit = opt_text(&input.pack_unit);
        let pack_size = match (&pack_unit, input.pack_size) {
            (None, None) => None,
            (Some(p), Some(n)) if n > 1 && n <= 1_000_000 && *p != unit => Some(n),
            (Some(p), _) if *p == unit => {
                return Err(ServiceError::invalid(
                    "pack_unit",
                    "包装单位不能与计量单位相同",
                ))
            }
            (Some(_), _) => {
                return Err(ServiceError::invalid(
                    "pack_size",
                    "请填写每个包装单位含多少计量单位（2 到 1000000）",
                ))
            }
            (None, Some(_)) => {
                return Err(ServiceError::invalid(
                    "pack_unit",
                    "填了包装数量时请填写包装单位，如 箱",
                ))
            }
        };
        if pack_unit.as_deref().is_some_and(|p| p.chars().count() > 10) {
            return Err(ServiceError::invalid("pack_unit", "包装单位不超过 10 个字"));
        }
        let warn_days = input.warn_days.unwrap_or(DEFAULT_WARN_DAYS);
        if !(1..=365).contains(&warn_days) {
            return Err(ServiceError::invalid("warn_days", "预警天数应为 1 到 365"));
        }
        if store::item_by_name(&self.db, &name).await?.is_some() {
            return Err(ServiceError::conflict(
                "name",
                format!("物资“{name}”已在目录中"),
            ));
        }
        Ok(NewItem {
            name,
            category: kind.category().as_str().into(),
            kind: kind.as_str().into(),
            spec,
            crop,
            unit,
            pack_unit,
            pack_size,
            warn_days,
            created_by: String::new(),
        })
    }

    /// Adds an item to the catalogue (a system administrator); audited.
    pub async fn create_supply_item(
        &self,
        actor: &Actor,
        input: &ItemInput,
    ) -> ServiceResult<ItemView> {
        self.require(actor, Permission::ManageCatalogue, "物资品目", "new")
            .await?;
        let mut new = self.check_item(input).await?;
        new.created_by = actor.username.clone();
        let mut tx = self.db.begin().await?;
        let id = store::insert_item(&mut tx, &new, self.clock.now()).await?;
        let audit = actor.audit(
            Action::SupplyItemCreate,
            Outcome::Success,
            "物资品目",
            id.to_string(),
            None,
            format!("{}（{}）", new.name, new.unit),
        );
        commit_audited(tx, &audit).await?;
        let row = store::item(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("物资品目未找到".into()))?;
        item_view(&row)
    }

    pub async fn supply_stores(&self, actor: &Actor) -> ServiceResult<Vec<StoreView>> {
        self.require(actor, Permission::ReadSupplies, "物资仓库", "list")
            .await?;
        store::stores(&self.db, &actor.scope)
            .await?
            .iter()
            .map(store_view)
            .collect()
    }

    /// Sets up a store at a place of the caller's scope; audited.
    pub async fn create_supply_store(
        &self,
        actor: &Actor,
        input: &StoreInput,
    ) -> ServiceResult<StoreView> {
        self.require(actor, Permission::ManageSupplies, "物资仓库", "new")
            .await?;
        let name = text("name", "仓库名称", &input.name, 100, true)?;
        let kind = StoreKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "仓库类型“{}”无效，应为：{}",
                    input.kind.trim(),
                    StoreKind::ALL
                        .iter()
                        .map(|k| k.zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
        let address = text("address", "地址", &input.address, 200, false)?;
        let keeper = text("keeper", "保管人", &input.keeper, 50, false)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        // A store's kind goes with the level of its place.
        let (fits, wanted) = match kind {
            StoreKind::Prefecture => (
                matches!(code.level(), Level::Province | Level::Prefecture),
                "州（市）或省",
            ),
            StoreKind::County => (code.level() == Level::County, "县（市）"),
            StoreKind::Township => (code.level() == Level::Township, "乡镇"),
            StoreKind::Grid => (
                matches!(code.level(), Level::Village | Level::Grid),
                "村（社区）或网格",
            ),
            StoreKind::Checkpoint | StoreKind::Other => (true, ""),
        };
        if !fits {
            return Err(ServiceError::invalid(
                "kind",
                format!(
                    "{}应设在{}一级，{code} 是{}",
                    kind.zh(),
                    wanted,
                    code.level().zh()
                ),
            ));
        }
        if kind == StoreKind::Checkpoint && input.checkpoint_id.is_none() {
            return Err(ServiceError::invalid(
                "checkpoint_id",
                "卡口物资箱须选所在卡口",
            ));
        }
        if let Some(cp) = input.checkpoint_id {
            let row = dualtrack_store::checkpoints::checkpoint(&self.db, cp).await?;
            let ok = match &row {
                Some(c) => Code::parse(&c.jurisdiction_code)
                    .map(|cc| actor.scope.contains(&cc))
                    .unwrap_or(false),
                None => false,
            };
            if !ok {
                return Err(ServiceError::unknown(
                    "checkpoint_id",
                    format!("卡口 {cp} 不存在或不在您的管辖范围内"),
                ));
            }
        }
        if store::store_name_taken(&self.db, code.as_str(), &name).await? {
            return Err(ServiceError::conflict(
                "name",
                format!("{code} 已有名为“{name}”的仓库"),
            ));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_store(
            &mut tx,
            &NewStore {
                name: name.clone(),
                kind: kind.as_str().into(),
                jurisdiction_code: code.to_string(),
                checkpoint_id: input.checkpoint_id,
                address,
                keeper,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::SupplyStoreCreate,
            Outcome::Success,
            "物资仓库",
            id.to_string(),
            Some(code.to_string()),
            format!("{}：{name}", kind.zh()),
        );
        commit_audited(tx, &audit).await?;
        let row = store::store(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("仓库未找到".into()))?;
        store_view(&row)
    }

    /// A store with its balances as of a day (with days of cover), recent movements and
    /// deliveries on their way to it.
    pub async fn supply_store(
        &self,
        actor: &Actor,
        id: i64,
        as_of: &Option<String>,
    ) -> ServiceResult<StoreDetail> {
        self.require(actor, Permission::ReadSupplies, "物资仓库", &id.to_string())
            .await?;
        let s = self.own_store(actor, id).await?;
        let as_of = self.as_of(as_of)?;
        let scope = Scope::Under(
            Code::parse(&s.jurisdiction_code).map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        let look = self.lookup(&actor.scope).await?;
        let rows = store::balances_as_of(&self.db, &scope, as_of, Some(id)).await?;
        let mut balances = self.cover_lines(&scope, as_of, &look, &rows).await?;
        balances.sort_by_key(|b| b.item_id);
        let movements = store::movements_of_store(&self.db, id, self.today(), PAGE, 0)
            .await?
            .into_iter()
            .map(|m| look.movement(m))
            .collect::<ServiceResult<_>>()?;
        let incoming = store::allocations(&self.db, &scope, Some("in_transit"), 200)
            .await?
            .into_iter()
            .filter(|a| a.to_store_id == id)
            .map(|a| look.allocation(a))
            .collect::<ServiceResult<_>>()?;
        Ok(StoreDetail {
            store: store_view(&s)?,
            as_of,
            balances,
            movements,
            incoming,
        })
    }
}
