//! Stock movements: receipts, issues, transfers, adjustments; none takes a balance below zero.

use super::context::quantity_of;
use super::*;
use crate::idempotency::{keep, Claim};
use crate::input::text_of as text;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Scope;
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::MovementKind;
use dualtrack_store::phone_time::{self, PhoneTimed};
use dualtrack_store::supplies::{self as store, Applied, ItemRow, NewMovement, StoreRow};
use dualtrack_store::Tx;

impl App {
    pub async fn store_movements(
        &self,
        actor: &Actor,
        id: i64,
        q: &MovementsQuery,
    ) -> ServiceResult<Vec<MovementView>> {
        self.require(actor, Permission::ReadSupplies, "物资仓库", &id.to_string())
            .await?;
        self.own_store(actor, id).await?;
        let page = q.page.unwrap_or(1).max(1);
        let look = self.lookup(&actor.scope).await?;
        store::movements_of_store(
            &self.db,
            id,
            self.today(),
            PAGE,
            crate::page_offset(page, PAGE),
        )
        .await?
        .into_iter()
        .map(|m| look.movement(m))
        .collect()
    }

    async fn replayed_movement(&self, actor: &Actor, id: i64) -> ServiceResult<RecordedMovement> {
        let m = store::movement(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("出入库记录未找到".into()))?;
        let look = self.lookup(&actor.scope).await?;
        let at = m.from_store_id.or(m.to_store_id).unwrap_or(0);
        let balance = self.balance_now(at, m.item_id).await?;
        Ok(RecordedMovement {
            movement: look.movement(m)?,
            balance,
            created: false,
        })
    }

    async fn balance_now(&self, store_id: i64, item_id: i64) -> ServiceResult<i64> {
        let rows = store::balances_as_of(
            &self.db,
            &Scope::All,
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default(),
            Some(store_id),
        )
        .await?;
        Ok(rows
            .iter()
            .find(|r| r.item_id == item_id)
            .map(|r| r.balance)
            .unwrap_or(0))
    }

    /// Takes stock out of a pair inside a transaction; short stock is refused naming the
    /// quantity (the caller drops the transaction, so nothing is written).
    pub(super) async fn take_out(
        tx: &mut Tx,
        s: &StoreRow,
        item: &ItemRow,
        day: NaiveDate,
        q: i64,
    ) -> ServiceResult<()> {
        match store::apply(tx, s.id, item.id, day, -q).await? {
            Applied::Done => Ok(()),
            Applied::Short { available } => Err(ServiceError::conflict("quantity", format!(
                    "库存不足：{} 的{}截至 {day} 可用 {available} {}，不能出库 {q} {}（结存不能为负，本次未登记）",
                    s.name, item.name, item.unit, item.unit
                ))),
        }
    }

    pub(super) async fn put_in(
        tx: &mut Tx,
        store_id: i64,
        item_id: i64,
        day: NaiveDate,
        q: i64,
    ) -> ServiceResult<()> {
        store::apply(tx, store_id, item_id, day, q).await?;
        Ok(())
    }

    /// Records a receipt, issue, transfer or adjustment at a store in one transaction with
    /// its audit row. Stock taken out must be there on that day and every later day. A retry
    /// with the same idempotency key returns the first movement and writes nothing.
    pub async fn record_movement(
        &self,
        actor: &Actor,
        store_id: i64,
        input: &MovementInput,
    ) -> ServiceResult<RecordedMovement> {
        self.require(
            actor,
            Permission::MoveStock,
            "物资仓库",
            &store_id.to_string(),
        )
        .await?;
        let s = self.own_store(actor, store_id).await?;
        let w = self
            .once(
                actor,
                "stock_movement",
                &input.idempotency_key,
                &(store_id, input),
                |claim| self.write_movement(actor, &s, input, claim),
                |id| self.replayed_movement(actor, id),
            )
            .await?;
        Ok(RecordedMovement {
            created: w.created,
            ..w.record
        })
    }

    async fn write_movement(
        &self,
        actor: &Actor,
        s: &StoreRow,
        input: &MovementInput,
        claim: Option<Claim>,
    ) -> ServiceResult<RecordedMovement> {
        let store_id = s.id;
        let key = claim.as_ref().map(|c| c.key().to_string());
        let kind = MovementKind::parse(&input.kind)
            .filter(|k| k.is_direct())
            .ok_or_else(|| {
                ServiceError::invalid(
                    "kind",
                    format!(
                        "出入库类型“{}”无效，应为：入库、发放、调拨、盘盈调整、盘亏调整",
                        input.kind.trim()
                    ),
                )
            })?;
        let item = self.item_of("item_id", input.item_id).await?;
        let (q, typed_unit) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        let made_at = self.phone_time("made_at", "出入库登记时间", &input.made_at)?;
        // No day given: the day the phone made it (an issue made without signal on one day
        // and sent the next counts in the first), or today.
        let day = match made_at {
            Some(at) if crate::input::trimmed(&input.moved_on).is_none() => {
                dualtrack_domain::time::reporting_day(at)
            }
            _ => self.movement_day("moved_on", &input.moved_on)?,
        };
        let counterparty = text(
            "counterparty",
            "来源或领用单位",
            &input.counterparty,
            100,
            false,
        )?;
        if kind == MovementKind::Issue && counterparty.is_empty() {
            return Err(ServiceError::invalid(
                "counterparty",
                "发放请填写领用单位或人员",
            ));
        }
        let reason = text("reason", "事由", &input.reason, 300, false)?;
        if kind.needs_reason() && reason.is_empty() {
            return Err(ServiceError::invalid(
                "reason",
                "盘点调整须写明原因，如 盘点短少、过期报废",
            ));
        }
        let target = if kind == MovementKind::Transfer {
            let to = input
                .to_store_id
                .ok_or_else(|| ServiceError::invalid("to_store_id", "调拨请选择调入仓库"))?;
            if to == store_id {
                return Err(ServiceError::invalid("to_store_id", "调入仓库不能是本仓库"));
            }
            Some(self.target_store(actor, "to_store_id", to).await?)
        } else {
            None
        };
        let new = NewMovement {
            kind: kind.as_str().into(),
            item_id: item.id,
            quantity: q,
            from_store_id: kind.takes_out().then_some(store_id),
            to_store_id: match kind {
                MovementKind::Transfer => target.as_ref().map(|t| t.id),
                k if k.puts_in() => Some(store_id),
                _ => None,
            },
            jurisdiction_code: s.jurisdiction_code.clone(),
            moved_on: day,
            counterparty: counterparty.clone(),
            reason,
            allocation_id: None,
            entered_quantity: input.quantity,
            entered_unit: typed_unit.clone(),
            idempotency_key: key.clone(),
            recorded_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_movement(&mut tx, &new, self.clock.now()).await?;
        phone_time::keep(&mut tx, PhoneTimed::StockMovement, id, made_at).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        match kind {
            MovementKind::Receipt | MovementKind::AdjustIn => {
                Self::put_in(&mut tx, store_id, item.id, day, q).await?
            }
            MovementKind::Issue | MovementKind::AdjustOut => {
                Self::take_out(&mut tx, s, &item, day, q).await?
            }
            MovementKind::Transfer => {
                let to = target.as_ref().map(|t| t.id).unwrap_or_default();
                // Both pairs' rows locked in one order, so two opposite transfers cannot
                // wait on each other.
                if to < store_id {
                    store::touch(&mut tx, to, item.id).await?;
                }
                Self::take_out(&mut tx, s, &item, day, q).await?;
                Self::put_in(&mut tx, to, item.id, day, q).await?;
            }
            MovementKind::Dispatch | MovementKind::Arrival => {
                return Err(ServiceError::invalid("kind", "调运由分配与到货确认登记"))
            }
        }
        let detail = format!(
            "{} {} {}{}（{}）{}",
            kind.zh(),
            item.name,
            input.quantity,
            typed_unit,
            s.name,
            match &target {
                Some(t) => format!(" → {}", t.name),
                None if counterparty.is_empty() => String::new(),
                None => format!("，{counterparty}"),
            }
        );
        let audit = actor.audit(
            Action::StockMove,
            Outcome::Success,
            "出入库",
            id.to_string(),
            Some(s.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        let m = store::movement(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("出入库记录未找到".into()))?;
        let look = self.lookup(&actor.scope).await?;
        Ok(RecordedMovement {
            balance: self.balance_now(store_id, item.id).await?,
            movement: look.movement(m)?,
            created: true,
        })
    }
}
