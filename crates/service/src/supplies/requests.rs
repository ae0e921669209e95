//! Requests to the level above and the allocations that answer them: dispatched at once from
//! a store, in transit until the receiving place confirms arrival.

use super::context::quantity_of;
use super::*;
use crate::idempotency::{keep, Claim, Written};
use crate::input::{non_empty as opt_text, parse_opt_date as opt_date, text_of as text};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{DeliveryStatus, MovementKind, RequestStatus};
use dualtrack_store::supplies::{
    self as store, NewAllocation, NewMovement, NewRequest, RequestRow,
};

impl App {
    pub async fn supply_requests(
        &self,
        actor: &Actor,
        q: &RequestsQuery,
    ) -> ServiceResult<Vec<RequestView>> {
        self.require(actor, Permission::ReadSupplies, "物资请领", "list")
            .await?;
        let status = match opt_text(&q.status) {
            None => None,
            Some(s) => Some(
                RequestStatus::parse(&s)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{s}”无效")))?
                    .as_str(),
            ),
        };
        let look = self.lookup(&actor.scope).await?;
        store::requests(&self.db, &actor.scope, status, 500)
            .await?
            .into_iter()
            .map(|r| look.request(r))
            .collect()
    }

    /// A place short of an item asks the level above for it, to be delivered to one of its
    /// stores; audited.
    pub async fn request_supplies(
        &self,
        actor: &Actor,
        input: &RequestInput,
    ) -> ServiceResult<Written<RequestView>> {
        self.once(
            actor,
            "supply_request",
            &input.idempotency_key,
            &input,
            |claim| self.write_request_supplies(actor, input, claim),
            |rid| async move {
                let look = self.lookup(&actor.scope).await?;
                let row = store::request(&self.db, rid)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("请领未找到".into()))?;
                look.request(row)
            },
        )
        .await
    }

    async fn write_request_supplies(
        &self,
        actor: &Actor,
        input: &RequestInput,
        claim: Option<Claim>,
    ) -> ServiceResult<RequestView> {
        self.require(actor, Permission::ManageSupplies, "物资请领", "new")
            .await?;
        let s = self
            .own_store(actor, input.store_id)
            .await
            .map_err(|e| e.referred_by("store_id"))?;
        let item = self.item_of("item_id", input.item_id).await?;
        let (q, _) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        let reason = text("reason", "请领事由", &input.reason, 300, true)?;
        let needed_by = opt_date("needed_by", &input.needed_by)?;
        let requested_on = self.movement_day("requested_on", &input.requested_on)?;
        let place =
            Code::parse(&s.jurisdiction_code).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let Some(above) = place.parent() else {
            return Err(ServiceError::invalid(
                "store_id",
                "省级仓库没有上一级可请领",
            ));
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_request(
            &mut tx,
            &NewRequest {
                jurisdiction_code: s.jurisdiction_code.clone(),
                to_code: above.to_string(),
                store_id: s.id,
                item_id: item.id,
                quantity: q,
                requested_on,
                needed_by,
                reason,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::SupplyRequest,
            Outcome::Success,
            "物资请领",
            id.to_string(),
            Some(s.jurisdiction_code.clone()),
            format!("{} 向 {above} 请领{} {q}{}", s.name, item.name, item.unit),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        let look = self.lookup(&actor.scope).await?;
        let row = store::request(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("请领未找到".into()))?;
        look.request(row)
    }

    /// A request the actor may act on as the level above: in scope (else not found), and
    /// from a place below the actor's own node (else refused).
    async fn request_above(&self, actor: &Actor, id: i64) -> ServiceResult<RequestRow> {
        let row = store::request(&self.db, id).await?;
        let r = self
            .own(actor, "物资请领", id, row, |r| &r.jurisdiction_code)
            .await?;
        let own_level = match actor.scope.code() {
            None => true,
            Some(c) => c.as_str().len() < r.jurisdiction_code.len(),
        };
        if !own_level {
            return Err(self
                .refuse(
                    actor,
                    "物资请领",
                    &id.to_string(),
                    Some(r.jurisdiction_code.clone()),
                    ServiceError::Forbidden("本级的请领由上一级分配或答复".into()),
                )
                .await);
        }
        Ok(r)
    }

    /// The level above declines (the rest of) a request, with a note; audited.
    pub async fn decline_request(
        &self,
        actor: &Actor,
        id: i64,
        input: &DeclineInput,
    ) -> ServiceResult<RequestView> {
        self.require(
            actor,
            Permission::ManageSupplies,
            "物资请领",
            &id.to_string(),
        )
        .await?;
        let r = self.request_above(actor, id).await?;
        let note = text("note", "理由", &input.note, 300, true)?;
        let mut tx = self.db.begin().await?;
        if !store::decline_request(&mut tx, id, &note).await? {
            return Err(ServiceError::conflict(
                "status",
                format!(
                    "请领 {id} 已{}，不能再答复",
                    RequestStatus::parse(&r.status)
                        .map(|s| s.zh())
                        .unwrap_or("处理")
                ),
            ));
        }
        let audit = actor.audit(
            Action::SupplyRequestDecline,
            Outcome::Success,
            "物资请领",
            id.to_string(),
            Some(r.jurisdiction_code.clone()),
            note,
        );
        commit_audited(tx, &audit).await?;
        let look = self.lookup(&actor.scope).await?;
        let row = store::request(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("请领未找到".into()))?;
        look.request(row)
    }

    pub async fn supply_allocations(
        &self,
        actor: &Actor,
        q: &AllocationsQuery,
    ) -> ServiceResult<Vec<AllocationView>> {
        self.require(actor, Permission::ReadSupplies, "物资调运", "list")
            .await?;
        let status = match opt_text(&q.status) {
            None => None,
            Some(s) => Some(
                DeliveryStatus::parse(&s)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{s}”无效")))?
                    .as_str(),
            ),
        };
        // Names of stores at either end, even a source above the caller's scope.
        let mut look = self.lookup(&actor.scope).await?;
        let rows = store::allocations(&self.db, &actor.scope, status, 500).await?;
        for a in &rows {
            if !look.stores.contains_key(&a.from_store_id) {
                if let Some(s) = store::store(&self.db, a.from_store_id).await? {
                    look.stores.insert(s.id, s);
                }
            }
        }
        rows.into_iter().map(|a| look.allocation(a)).collect()
    }

    /// The level above allocates from one of its stores: the stock leaves the source store
    /// at once (a dispatch) and is in transit until the receiving place confirms arrival.
    /// With a request, its item and store are taken and it is marked (partly) allocated; all
    /// in one transaction with its audit row.
    ///
    /// With an idempotency key the dispatch carries it, so that the same key again (a retry
    /// after a lost answer, a double tap) gives the allocation already made, with `false`.
    pub async fn allocate_supplies(
        &self,
        actor: &Actor,
        input: &AllocationInput,
    ) -> ServiceResult<(AllocationView, bool)> {
        self.require(actor, Permission::ManageSupplies, "物资调运", "new")
            .await?;
        let w = self
            .once(
                actor,
                "allocation",
                &input.idempotency_key,
                input,
                |claim| self.write_allocation(actor, input, claim),
                |id| self.replayed_allocation(actor, id),
            )
            .await?;
        Ok((w.record, w.created))
    }

    async fn write_allocation(
        &self,
        actor: &Actor,
        input: &AllocationInput,
        claim: Option<Claim>,
    ) -> ServiceResult<AllocationView> {
        let key = claim.as_ref().map(|c| c.key().to_string());
        let request = match input.request_id {
            Some(rid) => {
                let r = self
                    .request_above(actor, rid)
                    .await
                    .map_err(|e| e.referred_by("request_id"))?;
                if !matches!(r.status.as_str(), "open" | "partly") {
                    return Err(ServiceError::conflict(
                        "request_id",
                        format!(
                            "请领 {rid} {}，不能再分配",
                            RequestStatus::parse(&r.status)
                                .map(|s| s.zh())
                                .unwrap_or("")
                        ),
                    ));
                }
                Some(r)
            }
            None => None,
        };
        let from = self
            .own_store(actor, input.from_store_id)
            .await
            .map_err(|e| e.referred_by("from_store_id"))?;
        let item_id = match (&request, input.item_id) {
            (Some(r), _) => r.item_id,
            (None, Some(i)) => i,
            (None, None) => return Err(ServiceError::invalid("item_id", "请选择调运的物资")),
        };
        let item = self.item_of("item_id", item_id).await?;
        let (q, typed_unit) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        if let Some(r) = &request {
            let rest = r.quantity - r.allocated;
            if q > rest {
                return Err(ServiceError::invalid(
                    "quantity",
                    format!(
                        "请领 {} 尚待分配 {rest} {}，本次分配 {q} {} 超出",
                        r.id, item.unit, item.unit
                    ),
                ));
            }
        }
        let to_id = match (&request, input.to_store_id) {
            (Some(r), _) => r.store_id,
            (None, Some(t)) => t,
            (None, None) => return Err(ServiceError::invalid("to_store_id", "请选择收货仓库")),
        };
        if to_id == from.id {
            return Err(ServiceError::invalid(
                "to_store_id",
                "收货仓库不能是发出仓库",
            ));
        }
        let to = self.target_store(actor, "to_store_id", to_id).await?;
        let day = self.movement_day("allocated_on", &input.allocated_on)?;
        let note = text("note", "备注", &input.note, 300, false)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_allocation(
            &mut tx,
            &NewAllocation {
                request_id: request.as_ref().map(|r| r.id),
                item_id: item.id,
                quantity: q,
                from_store_id: from.id,
                to_store_id: to.id,
                from_code: from.jurisdiction_code.clone(),
                jurisdiction_code: to.jurisdiction_code.clone(),
                allocated_on: day,
                note,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        store::insert_movement(
            &mut tx,
            &NewMovement {
                kind: MovementKind::Dispatch.as_str().into(),
                item_id: item.id,
                quantity: q,
                from_store_id: Some(from.id),
                to_store_id: None,
                jurisdiction_code: from.jurisdiction_code.clone(),
                moved_on: day,
                counterparty: to.name.clone(),
                reason: request
                    .as_ref()
                    .map(|r| format!("请领 {}", r.id))
                    .unwrap_or_default(),
                allocation_id: Some(id),
                entered_quantity: input.quantity,
                entered_unit: typed_unit.clone(),
                idempotency_key: key.clone(),
                recorded_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        Self::take_out(&mut tx, &from, &item, day, q).await?;
        if let Some(r) = &request {
            let status = if r.allocated + q >= r.quantity {
                RequestStatus::Allocated
            } else {
                RequestStatus::Partly
            };
            if !store::add_allocated(&mut tx, r.id, q, status.as_str(), &r.status).await? {
                return Err(ServiceError::conflict(
                    "request_id",
                    format!("请领 {} 刚被他人处理，请刷新后重试", r.id),
                ));
            }
        }
        let audit = actor.audit(
            Action::SupplyAllocate,
            Outcome::Success,
            "物资调运",
            id.to_string(),
            Some(to.jurisdiction_code.clone()),
            format!(
                "{} {}{} {} → {}",
                item.name, input.quantity, typed_unit, from.name, to.name
            ),
        );
        commit_audited(tx, &audit).await?;
        let mut look = self.lookup(&actor.scope).await?;
        look.stores.insert(from.id, from);
        look.stores.insert(to.id, to);
        let row = store::allocation(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("调运未找到".into()))?;
        look.allocation(row)
    }

    /// The allocation `id`, made by an earlier call with the same key.
    async fn replayed_allocation(&self, actor: &Actor, id: i64) -> ServiceResult<AllocationView> {
        let row = store::allocation(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("调运未找到".into()))?;
        let mut look = self.lookup(&actor.scope).await?;
        for sid in [row.from_store_id, row.to_store_id] {
            if let Some(s) = store::store(&self.db, sid).await? {
                look.stores.insert(s.id, s);
            }
        }
        look.allocation(row)
    }

    /// The receiving place confirms arrival: the quantity received enters its store (an
    /// arrival), the rest, if any, is recorded as short with the reason; audited.
    pub async fn receive_allocation(
        &self,
        actor: &Actor,
        id: i64,
        input: &ReceiveInput,
    ) -> ServiceResult<AllocationView> {
        self.require(actor, Permission::MoveStock, "物资调运", &id.to_string())
            .await?;
        let row = store::allocation(&self.db, id).await?;
        let a = self
            .own(actor, "物资调运", id, row, |a| &a.jurisdiction_code)
            .await?;
        if a.status != DeliveryStatus::InTransit.as_str() {
            return Err(ServiceError::conflict(
                "allocation",
                format!(
                    "调运 {id} 已于 {} 确认到货，不能重复确认",
                    a.received_on.map(|d| d.to_string()).unwrap_or_default()
                ),
            ));
        }
        let day = self.movement_day("received_on", &input.received_on)?;
        if day < a.allocated_on {
            return Err(ServiceError::invalid(
                "received_on",
                format!("到货日期不能早于发出日期 {}", a.allocated_on),
            ));
        }
        let q = input.quantity.unwrap_or(a.quantity);
        if q < 0 || q > a.quantity {
            return Err(ServiceError::invalid(
                "quantity",
                format!("实收数量应为 0 到 {}", a.quantity),
            ));
        }
        let note = text("note", "说明", &input.note, 300, false)?;
        if q < a.quantity && note.is_empty() {
            return Err(ServiceError::invalid(
                "note",
                "实收少于发出数量，请说明原因（如 途中破损）",
            ));
        }
        let to = store::store(&self.db, a.to_store_id)
            .await?
            .ok_or_else(|| ServiceError::Internal("仓库未找到".into()))?;
        let item = self.item_of("item_id", a.item_id).await?;
        let mut tx = self.db.begin().await?;
        if !store::mark_received(&mut tx, id, day, q, &actor.username, &note).await? {
            return Err(ServiceError::conflict(
                "allocation",
                format!("调运 {id} 刚已确认到货"),
            ));
        }
        if q > 0 {
            store::insert_movement(
                &mut tx,
                &NewMovement {
                    kind: MovementKind::Arrival.as_str().into(),
                    item_id: a.item_id,
                    quantity: q,
                    from_store_id: None,
                    to_store_id: Some(a.to_store_id),
                    jurisdiction_code: to.jurisdiction_code.clone(),
                    moved_on: day,
                    counterparty: format!("调运 {id}"),
                    reason: note.clone(),
                    allocation_id: Some(id),
                    entered_quantity: q,
                    entered_unit: item.unit.clone(),
                    idempotency_key: None,
                    recorded_by: actor.username.clone(),
                },
                self.clock.now(),
            )
            .await?;
            Self::put_in(&mut tx, a.to_store_id, a.item_id, day, q).await?;
        }
        let audit = actor.audit(
            Action::SupplyReceive,
            Outcome::Success,
            "物资调运",
            id.to_string(),
            Some(a.jurisdiction_code.clone()),
            format!(
                "{} 实收 {q}/{} {}{}",
                item.name,
                a.quantity,
                item.unit,
                if note.is_empty() {
                    String::new()
                } else {
                    format!("：{note}")
                }
            ),
        );
        commit_audited(tx, &audit).await?;
        let mut look = self.lookup(&actor.scope).await?;
        if let Some(s) = store::store(&self.db, a.from_store_id).await? {
            look.stores.insert(s.id, s);
        }
        let row = store::allocation(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("调运未找到".into()))?;
        look.allocation(row)
    }
}
