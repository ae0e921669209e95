//! Key production of a day: the plants with their output against capacity.

use super::*;

impl App {
    /// Key production as of a day: each plant's output that day against its capacity, its
    /// output and shipments since `from`, and the shipments by destination province.
    pub async fn key_production(
        &self,
        actor: &Actor,
        raw_as_of: &str,
        raw_from: Option<&str>,
    ) -> ServiceResult<KeyProductionView> {
        self.require(actor, Permission::ReadResumption, "重点生产", "figures")
            .await?;
        let as_of = parse_date("as_of", raw_as_of)?;
        let from = match raw_from.map(str::trim).filter(|s| !s.is_empty()) {
            Some(f) => parse_date("from", f)?,
            None => as_of.with_day(1).unwrap_or(as_of),
        };
        if from > as_of {
            return Err(ServiceError::invalid("from", "起始日期不能晚于截至日期"));
        }
        let days = (as_of - from).num_days() + 1;
        if days > 366 {
            return Err(ServiceError::invalid("from", "统计区间不能超过 366 天"));
        }
        let plants = store::list_plants(&self.db, &actor.scope).await?;
        let sums: HashMap<i64, store::PlantOutputSum> =
            store::output_sums(&self.db, &actor.scope, from, as_of)
                .await?
                .into_iter()
                .map(|s| (s.plant_id, s))
                .collect();
        let ships = store::shipment_sums(&self.db, &actor.scope, from, as_of).await?;
        let mut shipped: HashMap<i64, i64> = HashMap::new();
        for s in &ships {
            *shipped.entry(s.plant_id).or_default() += s.quantity;
        }
        let lines: Vec<PlantLine> = plants
            .iter()
            .map(|p| {
                let s = sums.get(&p.id);
                let day_output = s.and_then(|s| s.day_output);
                let period_output = s.map(|s| s.period_output).unwrap_or(0);
                PlantLine {
                    id: p.id,
                    name: p.name.clone(),
                    jurisdiction_code: p.jurisdiction_code.clone(),
                    product: p.product.clone(),
                    unit: p.unit.clone(),
                    design_capacity: p.design_capacity,
                    day_output,
                    utilisation: rate(day_output.unwrap_or(0), p.design_capacity),
                    period_output,
                    period_utilisation: rate(period_output, p.design_capacity * days),
                    shipped: shipped.get(&p.id).copied().unwrap_or(0),
                }
            })
            .collect();
        // Products in the order their first plant is listed.
        let mut products: Vec<ProductLine> = Vec::new();
        let mut capacity: Vec<i64> = Vec::new();
        let mut day_total: Vec<i64> = Vec::new();
        for l in &lines {
            let i = match products
                .iter()
                .position(|x| x.product == l.product && x.unit == l.unit)
            {
                Some(i) => i,
                None => {
                    products.push(ProductLine {
                        product: l.product.clone(),
                        unit: l.unit.clone(),
                        plants: 0,
                        utilisation: rate(0, 0),
                        period_output: 0,
                        shipped: 0,
                    });
                    capacity.push(0);
                    day_total.push(0);
                    products.len() - 1
                }
            };
            products[i].plants += 1;
            products[i].period_output += l.period_output;
            products[i].shipped += l.shipped;
            capacity[i] += l.design_capacity;
            day_total[i] += l.day_output.unwrap_or(0);
        }
        for (i, p) in products.iter_mut().enumerate() {
            p.utilisation = rate(day_total[i], capacity[i]);
        }
        let plant_of: HashMap<i64, &PlantRow> = plants.iter().map(|p| (p.id, p)).collect();
        let mut by_province: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
        for s in &ships {
            let Some(p) = plant_of.get(&s.plant_id) else {
                continue;
            };
            let e = by_province
                .entry((p.product.clone(), p.unit.clone(), s.province_code.clone()))
                .or_default();
            if s.mode == ShipMode::Rail.as_str() {
                e.1 += s.quantity;
            } else {
                e.0 += s.quantity;
            }
        }
        let mut provinces: Vec<ProvinceLine> = by_province
            .into_iter()
            .map(|((product, unit, code), (road, rail))| ProvinceLine {
                province_name: province_name(&code).unwrap_or_default().to_string(),
                province_code: code,
                product,
                unit,
                road,
                rail,
                quantity: road + rail,
            })
            .collect();
        let order: HashMap<String, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.product.clone(), i))
            .collect();
        provinces.sort_by(|a, b| {
            order
                .get(&a.product)
                .cmp(&order.get(&b.product))
                .then(b.quantity.cmp(&a.quantity))
                .then(a.province_code.cmp(&b.province_code))
        });
        Ok(KeyProductionView {
            as_of,
            from,
            days,
            plants: lines,
            products,
            provinces,
        })
    }
}
