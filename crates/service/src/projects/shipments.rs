//! Shipments of key plants.

use super::*;

impl App {
    pub async fn record_shipment(
        &self,
        actor: &Actor,
        id: i64,
        input: &ShipmentInput,
    ) -> ServiceResult<Written<ShipmentView>> {
        self.once(
            actor,
            "shipment",
            &input.idempotency_key,
            &(id, input),
            |claim| self.write_record_shipment(actor, id, input, claim),
            // Found by its id: a retried shipment may be dated outside any default period.
            |rid| async move {
                self.plant_in_scope(actor, id).await?;
                store::shipment(&self.db, id, rid)
                    .await?
                    .ok_or_else(|| ServiceError::Internal(format!("发运记录 {rid} 未找到")))
                    .and_then(shipment_view)
            },
        )
        .await
    }

    pub(super) async fn write_record_shipment(
        &self,
        actor: &Actor,
        id: i64,
        input: &ShipmentInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ShipmentView> {
        let p = self.plant_for(actor, Permission::FileReports, id).await?;
        let day = parse_date("ship_date", &input.ship_date)?;
        not_future("ship_date", "发运日期", day, self.today())?;
        let province = parse_province(&input.province_code)
            .map_err(|m| ServiceError::invalid("province_code", m))?;
        let qty = quantity("quantity", "发运量", input.quantity, 1)?;
        let mode = ShipMode::parse(&input.mode).ok_or_else(|| {
            ServiceError::invalid(
                "mode",
                format!(
                    "运输方式“{}”无效，应为 road（公路）或 rail（铁路）",
                    input.mode
                ),
            )
        })?;
        let note = text("note", "说明", &input.note, 200, false)?;
        let mut tx = self.db.begin().await?;
        let sid = store::insert_shipment(
            &mut tx,
            &NewShipment {
                plant_id: id,
                ship_date: day,
                province_code: province.clone(),
                quantity: qty,
                mode: mode.as_str().into(),
                note: note.clone(),
                filed_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::PlantShipment,
            Outcome::Success,
            "重点企业（厂）",
            id.to_string(),
            Some(p.jurisdiction_code.clone()),
            format!(
                "{}：{day} {}运往{} {qty} {}",
                p.name,
                mode.zh(),
                province_name(&province).unwrap_or_default(),
                p.unit
            ),
        );
        commit_created(tx, claim.as_ref(), sid, &audit).await?;
        Ok(ShipmentView {
            id: sid,
            plant_id: id,
            ship_date: day,
            province_name: province_name(&province).unwrap_or_default().to_string(),
            province_code: province,
            quantity: qty,
            mode,
            mode_name: mode.zh().into(),
            note,
            filed_by: actor.username.clone(),
        })
    }

    pub async fn plant_shipments(
        &self,
        actor: &Actor,
        id: i64,
        q: &PeriodQuery,
    ) -> ServiceResult<Vec<ShipmentView>> {
        self.plant_for(actor, Permission::ReadResumption, id)
            .await?;
        let (from, to) = period(q)?;
        store::shipments(&self.db, id, from, to)
            .await?
            .into_iter()
            .map(shipment_view)
            .collect()
    }
}
