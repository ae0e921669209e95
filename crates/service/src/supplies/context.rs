//! What every part of supplies reads: today, the scope a query asks for, the catalogue and
//! stores by id for labels, quantities typed in a unit, and the store or item a form names.

use super::*;
use crate::input::{non_empty as opt_text, parse_opt_date as opt_date};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{Datelike, NaiveDate};
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_domain::jurisdiction::{Code, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{
    to_base_units, Crop, DeliveryStatus, MovementKind, NeedBasis, RequestStatus, MAX_QUANTITY,
};
use dualtrack_store::decode;
use dualtrack_store::supplies::{
    self as store, AllocationRow, ItemRow, MovementRow, NeedRow, RequestRow, StoreRow,
};
use std::collections::HashMap;

pub(super) fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

pub(super) fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A quantity typed in a unit, in the item's unit: the quantity field for a bad number, the
/// unit field for a unit the item is not counted in.
pub(super) fn quantity_of(
    item: &ItemRow,
    quantity: i64,
    unit: &Option<String>,
    qfield: &'static str,
) -> ServiceResult<(i64, String)> {
    if quantity <= 0 || quantity > MAX_QUANTITY {
        return Err(ServiceError::invalid(
            qfield,
            format!("数量应为 1 到 {MAX_QUANTITY} 之间的整数，收到 {quantity}"),
        ));
    }
    let typed = opt_text(unit).unwrap_or_else(|| item.unit.clone());
    let base = to_base_units(
        quantity,
        &typed,
        &item.unit,
        item.pack_unit.as_deref(),
        item.pack_size,
    )
    .map_err(|m| {
        let field = if m.contains("单位") { "unit" } else { qfield };
        ServiceError::invalid(field, format!("{}：{m}", item.name))
    })?;
    Ok((base, typed))
}

/// Catalogue and stores, looked up by id for labels.
pub(super) struct Lookup {
    pub(super) items: HashMap<i64, ItemRow>,
    pub(super) stores: HashMap<i64, StoreRow>,
}

impl Lookup {
    pub(super) fn item_name(&self, id: i64) -> String {
        self.items
            .get(&id)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| format!("物资 {id}"))
    }
    pub(super) fn unit(&self, id: i64) -> String {
        self.items
            .get(&id)
            .map(|i| i.unit.clone())
            .unwrap_or_default()
    }
    pub(super) fn store_name(&self, id: i64) -> String {
        self.stores
            .get(&id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("仓库 {id}"))
    }

    pub(super) fn movement(&self, m: MovementRow) -> ServiceResult<MovementView> {
        let kind = decode("stock_movements", "kind", &m.kind, MovementKind::parse)?;
        Ok(MovementView {
            id: m.id,
            kind,
            kind_name: kind.zh().into(),
            item_name: self.item_name(m.item_id),
            unit: self.unit(m.item_id),
            item_id: m.item_id,
            quantity: m.quantity,
            entered: format!("{} {}", m.entered_quantity, m.entered_unit),
            from_store_name: m.from_store_id.map(|s| self.store_name(s)),
            from_store_id: m.from_store_id,
            to_store_name: m.to_store_id.map(|s| self.store_name(s)),
            to_store_id: m.to_store_id,
            moved_on: m.moved_on,
            counterparty: m.counterparty,
            reason: m.reason,
            allocation_id: m.allocation_id,
            recorded_by: m.recorded_by,
            created_at: m.created_at,
        })
    }

    pub(super) fn allocation(&self, a: AllocationRow) -> ServiceResult<AllocationView> {
        let status = decode(
            "supply_allocations",
            "status",
            &a.status,
            DeliveryStatus::parse,
        )?;
        Ok(AllocationView {
            id: a.id,
            request_id: a.request_id,
            item_name: self.item_name(a.item_id),
            unit: self.unit(a.item_id),
            item_id: a.item_id,
            quantity: a.quantity,
            from_store_name: self.store_name(a.from_store_id),
            from_store_id: a.from_store_id,
            to_store_name: self.store_name(a.to_store_id),
            to_store_id: a.to_store_id,
            jurisdiction_code: a.jurisdiction_code,
            allocated_on: a.allocated_on,
            status,
            status_name: status.zh().into(),
            received_on: a.received_on,
            received_quantity: a.received_quantity,
            received_by: a.received_by,
            note: a.note,
        })
    }

    pub(super) fn request(&self, r: RequestRow) -> ServiceResult<RequestView> {
        let status = decode("supply_requests", "status", &r.status, RequestStatus::parse)?;
        Ok(RequestView {
            id: r.id,
            jurisdiction_code: r.jurisdiction_code,
            place_name: r.place_name,
            to_code: r.to_code,
            store_id: r.store_id,
            item_name: self.item_name(r.item_id),
            unit: self.unit(r.item_id),
            item_id: r.item_id,
            quantity: r.quantity,
            allocated: r.allocated,
            requested_on: r.requested_on,
            needed_by: r.needed_by,
            reason: r.reason,
            status,
            status_name: status.zh().into(),
            decision_note: r.decision_note,
            created_by: r.created_by,
        })
    }

    pub(super) fn need(&self, n: NeedRow) -> ServiceResult<NeedView> {
        let basis = decode("supply_needs", "basis", &n.basis, NeedBasis::parse)?;
        let crop = n.crop.as_deref().and_then(Crop::parse);
        Ok(NeedView {
            id: n.id,
            jurisdiction_code: n.jurisdiction_code,
            place_name: n.place_name,
            store_id: n.store_id,
            item_name: self.item_name(n.item_id),
            unit: self.unit(n.item_id),
            item_id: n.item_id,
            basis,
            basis_name: basis.zh().into(),
            quantity: n.quantity,
            crop,
            crop_name: crop.map(|c| c.zh().to_string()),
            area_mu: n.area_mu,
            from_on: n.from_on,
            until_on: n.until_on,
            note: n.note,
        })
    }
}

/// Whether a code lies in the subtree of `place`.
pub(super) fn under(code: &str, place: &str) -> bool {
    in_subtree(code, place)
}

impl App {
    /// Today, China Standard Time, by the application's clock.
    pub(super) fn supplies_today(&self) -> NaiveDate {
        self.today()
    }

    pub(super) async fn lookup(&self, scope: &Scope) -> ServiceResult<Lookup> {
        Ok(Lookup {
            items: store::items(&self.db)
                .await?
                .into_iter()
                .map(|i| (i.id, i))
                .collect(),
            stores: store::stores(&self.db, scope)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect(),
        })
    }

    /// The scope a query asks for: the caller's, or a place within it.
    pub(super) fn as_of(&self, raw: &Option<String>) -> ServiceResult<NaiveDate> {
        Ok(opt_date("as_of", raw)?.unwrap_or_else(|| self.supplies_today()))
    }

    /// A day of a movement: given (not after today) or today.
    pub(super) fn movement_day(
        &self,
        field: &'static str,
        raw: &Option<String>,
    ) -> ServiceResult<NaiveDate> {
        let today = self.supplies_today();
        match opt_date(field, raw)? {
            Some(d) if d > today => Err(ServiceError::invalid(
                field,
                format!("日期 {d} 晚于今天（{today}），不能预先登记"),
            )),
            Some(d) if d.year() < 2000 => {
                Err(ServiceError::invalid(field, format!("日期 {d} 过早")))
            }
            Some(d) => Ok(d),
            None => Ok(today),
        }
    }

    pub(super) async fn require_any_supplies(
        &self,
        actor: &Actor,
        target: &str,
    ) -> ServiceResult<()> {
        if actor.can(Permission::ManageCatalogue) {
            return Ok(());
        }
        self.require(actor, Permission::ReadSupplies, "物资", target)
            .await
    }

    pub(super) async fn own_store(&self, actor: &Actor, id: i64) -> ServiceResult<StoreRow> {
        let row = store::store(&self.db, id).await?;
        self.own(actor, "物资仓库", id, row, |s| &s.jurisdiction_code)
            .await
    }

    /// A store a transfer or allocation sends to: outside the scope it is refused (audited)
    /// naming the field, as is one that does not exist.
    pub(super) async fn target_store(
        &self,
        actor: &Actor,
        field: &'static str,
        id: i64,
    ) -> ServiceResult<StoreRow> {
        let row = store::store(&self.db, id).await?;
        let msg = format!("调入仓库 {id} 不存在或不在您的管辖范围内，不能调往该仓库");
        match row {
            None => Err(ServiceError::unknown(field, msg)),
            Some(s) => {
                let code = Code::parse(&s.jurisdiction_code)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                if actor.scope.contains(&code) {
                    Ok(s)
                } else {
                    Err(self
                        .refuse(
                            actor,
                            "物资仓库",
                            &id.to_string(),
                            Some(s.jurisdiction_code.clone()),
                            ServiceError::unknown(field, msg),
                        )
                        .await)
                }
            }
        }
    }

    pub(super) async fn item_of(&self, field: &'static str, id: i64) -> ServiceResult<ItemRow> {
        store::item(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::invalid(field, format!("物资品目 {id} 不存在")))
    }
}
