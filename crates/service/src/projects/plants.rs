//! Key plants and their daily output.

use super::*;

impl App {
    pub async fn create_plant(
        &self,
        actor: &Actor,
        input: &PlantInput,
    ) -> ServiceResult<PlantView> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "重点企业（厂）",
            &input.name,
        )
        .await?;
        let name = text("name", "名称", &input.name, 100, true)?;
        let product = text("product", "产品", &input.product, 20, true)?;
        let unit = text("unit", "单位", &input.unit, 10, true)?;
        let capacity = quantity("design_capacity", "设计日产能", input.design_capacity, 1)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        if let Some(e) = input.enterprise_id {
            let row = dualtrack_store::resumption::enterprise(&self.db, e).await?;
            self.own(actor, "企业", e, row, |r| &r.jurisdiction_code)
                .await
                .map_err(|e| e.referred_by("enterprise_id"))?;
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_plant(
            &mut tx,
            &NewPlant {
                name: name.clone(),
                enterprise_id: input.enterprise_id,
                jurisdiction_code: code.to_string(),
                product: product.clone(),
                unit: unit.clone(),
                design_capacity: capacity,
            },
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::PlantCreate,
            Outcome::Success,
            "重点企业（厂）",
            id.to_string(),
            Some(code.to_string()),
            format!("{name}：{product}，设计日产能 {capacity} {unit}"),
        );
        commit_audited(tx, &audit).await?;
        self.get_plant(actor, id).await
    }

    pub async fn get_plant(&self, actor: &Actor, id: i64) -> ServiceResult<PlantView> {
        Ok(plant_view(
            self.plant_for(actor, Permission::ReadResumption, id)
                .await?,
        ))
    }

    pub async fn list_plants(&self, actor: &Actor) -> ServiceResult<Vec<PlantView>> {
        self.require(actor, Permission::ReadResumption, "重点企业（厂）", "list")
            .await?;
        Ok(store::list_plants(&self.db, &actor.scope)
            .await?
            .into_iter()
            .map(plant_view)
            .collect())
    }

    /// Files a day's output; a second filing for the day corrects the first, the old figure
    /// kept in the audit log.
    pub async fn file_output(
        &self,
        actor: &Actor,
        id: i64,
        input: &OutputInput,
    ) -> ServiceResult<OutputFiled> {
        let p = self.plant_for(actor, Permission::FileReports, id).await?;
        let day = parse_date("output_date", &input.output_date)?;
        not_future("output_date", "生产日期", day, self.today())?;
        let output = quantity("output", "当日产量", input.output, 0)?;
        if output > p.design_capacity * 2 {
            return Err(ServiceError::invalid(
                "output",
                format!(
                    "当日产量 {output} {} 超过设计日产能 {} 的 2 倍，请核对",
                    p.unit, p.design_capacity
                ),
            ));
        }
        let mut tx = self.db.begin().await?;
        let replaced =
            store::put_output(&mut tx, id, day, output, &actor.username, self.clock.now()).await?;
        let detail = match replaced {
            Some(o) => format!("{}：{day} 产量 {output} {}（更正，原 {o}）", p.name, p.unit),
            None => format!("{}：{day} 产量 {output} {}", p.name, p.unit),
        };
        let audit = actor.audit(
            Action::PlantOutput,
            Outcome::Success,
            "重点企业（厂）",
            id.to_string(),
            Some(p.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        Ok(OutputFiled {
            plant_id: id,
            output_date: day,
            output,
            replaced,
        })
    }

    pub async fn plant_outputs(
        &self,
        actor: &Actor,
        id: i64,
        q: &PeriodQuery,
    ) -> ServiceResult<Vec<OutputView>> {
        let p = self
            .plant_for(actor, Permission::ReadResumption, id)
            .await?;
        let (from, to) = period(q)?;
        Ok(store::outputs(&self.db, id, from, to)
            .await?
            .into_iter()
            .map(|o| OutputView {
                output_date: o.output_date,
                output: o.output,
                utilisation: rate(o.output, p.design_capacity),
                filed_by: o.filed_by,
            })
            .collect())
    }
}
