//! Spring farming (春耕): the plan of each township by crop and its reported progress.

use super::balances::SupplyState;
use super::context::{pct, under, Lookup};
use super::*;
use crate::input::text_of as text;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::Datelike;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Level, Scope};
use dualtrack_domain::role::Permission;
use dualtrack_domain::supplies::{shortfall, Crop, ItemCategory};
use dualtrack_store::decode;
use dualtrack_store::supplies::{self as store, BalanceRow, NeedRow};
use std::collections::{BTreeMap, HashMap};

fn farm_input<'a>(
    items: &'a mut BTreeMap<i64, FarmInput>,
    look: &Lookup,
    id: i64,
) -> &'a mut FarmInput {
    items.entry(id).or_insert_with(|| FarmInput {
        item_id: id,
        item_name: look.item_name(id),
        unit: look.unit(id),
        needed: 0,
        stocked: 0,
        delivered: 0,
        in_transit: 0,
        shortfall: 0,
    })
}

/// A crop as typed in the field `crop` (refused naming the crops there are).
pub(super) fn parse_crop(raw: &str) -> ServiceResult<Crop> {
    Crop::parse(raw).ok_or_else(|| {
        let crops = Crop::ALL.iter().map(|c| c.zh()).collect::<Vec<_>>();
        let message = format!("作物“{}”无效，应为：{}", raw.trim(), crops.join("、"));
        ServiceError::invalid("crop", message)
    })
}

fn plan_view(p: store::PlanRow) -> ServiceResult<FarmPlanView> {
    let crop = decode("farm_plans", "crop", &p.crop, Crop::parse)?;
    Ok(FarmPlanView {
        id: p.id,
        jurisdiction_code: p.jurisdiction_code,
        place_name: p.place_name,
        year: p.year,
        crop,
        crop_name: crop.zh().into(),
        planned_mu: p.planned_mu,
    })
}

impl App {
    /// Sets the planned area of a crop in a township for a year; audited.
    pub async fn set_farm_plan(
        &self,
        actor: &Actor,
        input: &FarmPlanInput,
    ) -> ServiceResult<FarmPlanView> {
        self.require(actor, Permission::ManageSupplies, "春耕计划", "new")
            .await?;
        let place = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        if !matches!(place.level(), Level::Township | Level::Village) {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "春耕计划按乡镇（或村）填报",
            ));
        }
        let crop = parse_crop(&input.crop)?;
        if !(2000..=2100).contains(&input.year) {
            return Err(ServiceError::invalid("year", "年度应为 2000 到 2100"));
        }
        if !(0..=10_000_000).contains(&input.planned_mu) {
            return Err(ServiceError::invalid(
                "planned_mu",
                "计划面积应为 0 到 10000000 亩",
            ));
        }
        let mut tx = self.db.begin().await?;
        let (id, before) = store::set_plan(
            &mut tx,
            place.as_str(),
            input.year,
            crop.as_str(),
            input.planned_mu,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::FarmPlanSet,
            Outcome::Success,
            "春耕计划",
            id.to_string(),
            Some(place.to_string()),
            format!(
                "{} {} 计划 {} 亩{}",
                input.year,
                crop.zh(),
                input.planned_mu,
                before.map(|b| format!("（原 {b} 亩）")).unwrap_or_default()
            ),
        );
        commit_audited(tx, &audit).await?;
        self.farm_plan_view(id).await
    }

    async fn farm_plan_view(&self, id: i64) -> ServiceResult<FarmPlanView> {
        let p = store::plan(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("春耕计划未找到".into()))?;
        plan_view(p)
    }

    /// Reports the prepared and sown area of a plan as of a day (cumulative; a second report
    /// of the same day replaces the first, the figures replaced kept in the audit log).
    pub async fn report_farm_progress(
        &self,
        actor: &Actor,
        plan_id: i64,
        input: &FarmProgressInput,
    ) -> ServiceResult<FarmPlanView> {
        self.require(
            actor,
            Permission::ManageSupplies,
            "春耕计划",
            &plan_id.to_string(),
        )
        .await?;
        let row = store::plan(&self.db, plan_id).await?;
        let p = self
            .own(actor, "春耕计划", plan_id, row, |p| {
                &p.jurisdiction_code
            })
            .await?;
        let day = self.movement_day("reported_on", &input.reported_on)?;
        let limit = p.planned_mu.max(1) * 2;
        if !(0..=limit).contains(&input.prepared_mu) {
            return Err(ServiceError::invalid(
                "prepared_mu",
                format!("已备耕面积应为 0 到 {limit} 亩（计划 {} 亩）", p.planned_mu),
            ));
        }
        if input.sown_mu < 0 || input.sown_mu > input.prepared_mu {
            return Err(ServiceError::invalid(
                "sown_mu",
                "已播种面积应为 0 到已备耕面积",
            ));
        }
        let note = text("note", "说明", &input.note, 300, false)?;
        let mut tx = self.db.begin().await?;
        let before = store::report_progress(
            &mut tx,
            plan_id,
            day,
            input.prepared_mu,
            input.sown_mu,
            &note,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::FarmProgressReport,
            Outcome::Success,
            "春耕计划",
            plan_id.to_string(),
            Some(p.jurisdiction_code.clone()),
            format!(
                "{day} 已备耕 {} 亩、已播种 {} 亩{}",
                input.prepared_mu,
                input.sown_mu,
                before
                    .map(|(a, b)| format!("（更正，原 {a}、{b} 亩）"))
                    .unwrap_or_default()
            ),
        );
        commit_audited(tx, &audit).await?;
        self.farm_plan_view(plan_id).await
    }

    /// Spring farming per township as of a day: planned, prepared and sown area by crop;
    /// farm inputs needed, stocked, delivered and in transit.
    pub async fn spring_farming(
        &self,
        actor: &Actor,
        q: &FarmQuery,
    ) -> ServiceResult<SpringFarming> {
        self.require(actor, Permission::ReadSupplies, "春耕备耕", "list")
            .await?;
        let scope = self.narrowed(actor, &q.place).await?;
        let as_of = self.as_of(&q.as_of)?;
        let st = self.supply_state(&scope, as_of).await?;
        self.spring_farming_of(&scope, &st).await
    }

    pub(super) async fn spring_farming_of(
        &self,
        scope: &Scope,
        st: &SupplyState,
    ) -> ServiceResult<SpringFarming> {
        let as_of = st.as_of;
        let year = as_of.year();
        let look = &st.look;
        let plans = store::plans(&self.db, scope, year).await?;
        let progress: HashMap<i64, store::ProgressRow> =
            store::progress_as_of(&self.db, scope, year, as_of)
                .await?
                .into_iter()
                .map(|p| (p.plan_id, p))
                .collect();
        let farm = |item_id: i64| {
            look.items
                .get(&item_id)
                .is_some_and(|i| i.category == ItemCategory::Farm.as_str())
        };
        let needs: Vec<&NeedRow> = st.needs.iter().filter(|n| farm(n.item_id)).collect();
        let balances: Vec<&BalanceRow> = st.balances.iter().filter(|b| farm(b.item_id)).collect();
        let transit = &st.transit;
        let mut townships: BTreeMap<String, FarmTownship> = BTreeMap::new();
        let mut crop_totals: BTreeMap<usize, FarmCrop> = BTreeMap::new();
        for p in plans {
            let crop = decode("farm_plans", "crop", &p.crop, Crop::parse)?;
            let pr = progress.get(&p.id);
            let line = FarmCrop {
                plan_id: Some(p.id),
                crop,
                crop_name: crop.zh().into(),
                planned_mu: p.planned_mu,
                prepared_mu: pr.map(|r| r.prepared_mu).unwrap_or(0),
                sown_mu: pr.map(|r| r.sown_mu).unwrap_or(0),
                reported_on: pr.map(|r| r.reported_on),
                prepared_pct: pct(pr.map(|r| r.prepared_mu).unwrap_or(0), p.planned_mu),
            };
            let idx = Crop::ALL.iter().position(|c| *c == crop).unwrap_or(0);
            let t = crop_totals.entry(idx).or_insert(FarmCrop {
                plan_id: None,
                crop,
                crop_name: crop.zh().into(),
                planned_mu: 0,
                prepared_mu: 0,
                sown_mu: 0,
                reported_on: None,
                prepared_pct: 0.0,
            });
            t.planned_mu += line.planned_mu;
            t.prepared_mu += line.prepared_mu;
            t.sown_mu += line.sown_mu;
            t.reported_on = t.reported_on.max(line.reported_on);
            let town = townships
                .entry(p.jurisdiction_code.clone())
                .or_insert_with(|| FarmTownship {
                    code: p.jurisdiction_code.clone(),
                    name: p.place_name.clone(),
                    crops: Vec::new(),
                    inputs: Vec::new(),
                    planned_mu: 0,
                    prepared_mu: 0,
                    prepared_pct: 0.0,
                });
            town.planned_mu += line.planned_mu;
            town.prepared_mu += line.prepared_mu;
            town.crops.push(line);
        }
        for t in crop_totals.values_mut() {
            t.prepared_pct = pct(t.prepared_mu, t.planned_mu);
        }
        let store_code = |sid: i64| look.stores.get(&sid).map(|s| s.jurisdiction_code.as_str());
        for town in townships.values_mut() {
            town.prepared_pct = pct(town.prepared_mu, town.planned_mu);
            let mut items: BTreeMap<i64, FarmInput> = BTreeMap::new();
            for n in needs
                .iter()
                .filter(|n| under(&n.jurisdiction_code, &town.code))
            {
                farm_input(&mut items, look, n.item_id).needed += n.quantity;
            }
            for b in balances
                .iter()
                .filter(|b| store_code(b.store_id).is_some_and(|c| under(c, &town.code)))
            {
                farm_input(&mut items, look, b.item_id).stocked += b.balance;
            }
            for t in transit.iter().filter(|t| {
                farm(t.item_id) && store_code(t.store_id).is_some_and(|c| under(c, &town.code))
            }) {
                let e = farm_input(&mut items, look, t.item_id);
                e.delivered += t.received;
                e.in_transit += t.in_transit;
            }
            town.inputs = items
                .into_values()
                .map(|mut i| {
                    i.shortfall = shortfall(i.needed, i.stocked, i.in_transit);
                    i
                })
                .collect();
        }
        Ok(SpringFarming {
            as_of,
            year,
            townships: townships.into_values().collect(),
            crops: crop_totals.into_values().collect(),
        })
    }

    /// Farm plans of the caller's scope for a year.
    pub async fn farm_plans(&self, actor: &Actor, year: i32) -> ServiceResult<Vec<FarmPlanView>> {
        self.require(actor, Permission::ReadSupplies, "春耕计划", "list")
            .await?;
        store::plans(&self.db, &actor.scope, year)
            .await?
            .into_iter()
            .map(plan_view)
            .collect()
    }
}
