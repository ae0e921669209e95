//! Needs declared by places: a quantity once, or a quantity a day.

use super::context::{quantity_of, under};
use super::farming::parse_crop;
use super::*;
use crate::idempotency::{Claim, Written};
use crate::input::{
    non_empty as opt_text, parse_date, parse_opt_date as opt_date, text_of as text,
};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{ItemCategory, NeedBasis};
use dualtrack_store::supplies::{self as store, NewNeed};

impl App {
    pub async fn supply_needs(
        &self,
        actor: &Actor,
        q: &NeedsQuery,
    ) -> ServiceResult<Vec<NeedView>> {
        self.require(actor, Permission::ReadSupplies, "物资需求", "list")
            .await?;
        let on = opt_date("on", &q.on)?;
        let look = self.lookup(&actor.scope).await?;
        store::needs(&self.db, &actor.scope, on)
            .await?
            .into_iter()
            .map(|n| look.need(n))
            .collect()
    }

    /// Checks a need (shared with the import); the place is checked by the caller.
    pub(crate) async fn check_need(
        &self,
        actor: &Actor,
        place: &Code,
        input: &NeedInput,
    ) -> ServiceResult<NewNeed> {
        let item = self.item_of("item_id", input.item_id).await?;
        let basis = NeedBasis::parse(&input.basis).ok_or_else(|| {
            ServiceError::invalid("basis", "需求方式应为 total 总需求 或 daily 每日需求")
        })?;
        let (q, _) = quantity_of(&item, input.quantity, &input.unit, "quantity")?;
        let store_id = match input.store_id {
            None => None,
            Some(sid) => {
                let s = store::store(&self.db, sid).await?;
                match s {
                    Some(s) if under(&s.jurisdiction_code, place.as_str()) => Some(sid),
                    _ => {
                        return Err(ServiceError::unknown(
                            "store_id",
                            format!("仓库 {sid} 不存在或不在 {place} 之下"),
                        ))
                    }
                }
            }
        };
        let crop = match opt_text(&input.crop) {
            None => None,
            Some(c) => {
                let crop = parse_crop(&c)?;
                if item.category != ItemCategory::Farm.as_str() {
                    return Err(ServiceError::invalid("crop", "防疫物资的需求不填作物"));
                }
                Some(crop.as_str().to_string())
            }
        };
        let area_mu = match input.area_mu {
            Some(a) if !(1..=10_000_000).contains(&a) => {
                return Err(ServiceError::invalid(
                    "area_mu",
                    "面积应为 1 到 10000000 亩",
                ))
            }
            a => a,
        };
        let from_on = parse_date("from_on", &input.from_on)?;
        let until_on = opt_date("until_on", &input.until_on)?;
        if until_on.is_some_and(|u| u < from_on) {
            return Err(ServiceError::invalid(
                "until_on",
                "截止日期不能早于起始日期",
            ));
        }
        Ok(NewNeed {
            jurisdiction_code: place.to_string(),
            store_id,
            item_id: item.id,
            basis: basis.as_str().into(),
            quantity: q,
            crop,
            area_mu,
            from_on,
            until_on,
            note: text("note", "说明", &input.note, 300, false)?,
            created_by: actor.username.clone(),
        })
    }

    /// Declares a place's need of an item; audited.
    pub async fn declare_need(
        &self,
        actor: &Actor,
        input: &NeedInput,
    ) -> ServiceResult<Written<NeedView>> {
        self.once(
            actor,
            "supply_need",
            &input.idempotency_key,
            &input,
            |claim| self.write_declare_need(actor, input, claim),
            |rid| async move {
                let look = self.lookup(&actor.scope).await?;
                let row = store::need(&self.db, rid)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("需求未找到".into()))?;
                look.need(row)
            },
        )
        .await
    }

    async fn write_declare_need(
        &self,
        actor: &Actor,
        input: &NeedInput,
        claim: Option<Claim>,
    ) -> ServiceResult<NeedView> {
        self.require(actor, Permission::ManageSupplies, "物资需求", "new")
            .await?;
        let place = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        let new = self.check_need(actor, &place, input).await?;
        let mut tx = self.db.begin().await?;
        let ids =
            store::insert_needs(&mut tx, std::slice::from_ref(&new), self.clock.now()).await?;
        let id = ids.first().copied().unwrap_or_default();
        let look = self.lookup(&actor.scope).await?;
        let audit = actor.audit(
            Action::SupplyNeedDeclare,
            Outcome::Success,
            "物资需求",
            id.to_string(),
            Some(place.to_string()),
            format!(
                "{} {} {}{}",
                NeedBasis::parse(&new.basis).map(|b| b.zh()).unwrap_or(""),
                look.item_name(new.item_id),
                new.quantity,
                look.unit(new.item_id)
            ),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        let row = store::need(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("需求未找到".into()))?;
        look.need(row)
    }
}
