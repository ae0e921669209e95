//! Notices of persons going out of the region, and their export.

use super::*;
use crate::input::trimmed;

impl App {
    /// The outbound notices of the query's days and place (whose checks come first).
    async fn outbound_rows(
        &self,
        actor: &Actor,
        q: &OutboundQuery,
    ) -> ServiceResult<Vec<store::OutboundRow>> {
        let (from, to) = self.outbound_days(q)?;
        let scope = self.narrowed(actor, &q.place).await?;
        let restricted = restricted_to(actor);
        let rows = store::outbound(&self.db, &scope, restricted, from, to, OUTBOUND_MAX).await?;
        Ok(self.crypto.opened_all(rows)?)
    }

    fn outbound_days(&self, q: &OutboundQuery) -> ServiceResult<(NaiveDate, NaiveDate)> {
        let today = reporting_day(self.now());
        let from = match trimmed(&q.from) {
            None => today,
            Some(s) => parse_date("from", s)?,
        };
        let to = match trimmed(&q.to) {
            None => from,
            Some(s) => parse_date("to", s)?,
        };
        if to < from {
            return Err(ServiceError::invalid("to", "截止日不能早于起始日"));
        }
        if (to - from).num_days() >= OUTBOUND_DAYS {
            return Err(ServiceError::invalid(
                "to",
                format!("一次至多 {OUTBOUND_DAYS} 天"),
            ));
        }
        Ok((from, to))
    }

    /// Travellers who passed the checkpoints of the scope bound for places outside the
    /// region (outbound notices), masked.
    pub async fn outbound_notices(
        &self,
        actor: &Actor,
        q: &OutboundQuery,
    ) -> ServiceResult<Vec<OutboundView>> {
        self.require(actor, Permission::ReadCheckpoints, "外出通报", "list")
            .await?;
        self.outbound_rows(actor, q)
            .await?
            .into_iter()
            .map(outbound_view)
            .collect()
    }

    /// The outbound notices as a workbook for the places they go to; ID numbers and phones
    /// in full only with `unmask` (which needs the right), and the export audited.
    pub async fn export_outbound(
        &self,
        actor: &Actor,
        q: &OutboundQuery,
        unmask: bool,
    ) -> ServiceResult<Vec<u8>> {
        self.require(actor, Permission::ReadCheckpoints, "外出通报", "export")
            .await?;
        if unmask {
            self.require_unmask(actor, Permission::ReadCheckpoints, "外出通报", "export")
                .await?;
        }
        let rows: Vec<Vec<String>> = self
            .outbound_rows(actor, q)
            .await?
            .into_iter()
            .map(|r| {
                let (id_number, phone) = if unmask {
                    (r.id_number.clone(), r.phone.clone().unwrap_or_default())
                } else {
                    (
                        mask_id(&r.id_number),
                        r.phone.as_deref().map(mask_phone).unwrap_or_default(),
                    )
                };
                Ok(vec![
                    display(r.passed_at),
                    r.checkpoint_name,
                    r.plate.unwrap_or_default(),
                    r.name,
                    id_number,
                    phone,
                    format!("{:.1}", f64::from(r.temperature) / 10.0),
                    outcome_of(&r.outcome)?.zh().to_string(),
                    r.origin_text,
                    r.destination_text,
                    r.reason,
                ])
            })
            .collect::<ServiceResult<_>>()?;
        let kind = if unmask {
            "外出通报（明文）"
        } else {
            "外出通报"
        };
        self.audited_workbook(
            actor,
            kind,
            &[sheet(
                "外出通报",
                &[
                    "通行时间（北京时间）",
                    "卡口",
                    "车牌",
                    "姓名",
                    "身份证号",
                    "电话",
                    "体温 ℃",
                    "处置",
                    "来自",
                    "去往",
                    "事由",
                ],
                rows,
            )],
        )
        .await
    }
}
