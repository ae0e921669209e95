//! Notices of persons going out of the region, and their export.

use super::*;
use crate::export_file::ExportFile;
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
        let rows =
            store::outbound(&self.db, &scope, restricted, from, to, OUTBOUND_MAX + 1).await?;
        if rows.len() as i64 > OUTBOUND_MAX {
            // Said plainly, never cut without a word: the export takes any number.
            return Err(ServiceError::invalid(
                "to",
                format!("所选日期内去往区域外的旅客超过 {OUTBOUND_MAX} 人，列表放不下：请缩短日期范围，或导出 Excel（不限人数）"),
            ));
        }
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
    /// region (outbound notices), masked; more than a list holds is refused, naming `to`.
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

    /// The outbound notices as a workbook for the places they go to, every one of the days
    /// asked (read day by day in batches, written as read); ID numbers and phones in full only
    /// with `unmask` (which needs the right), and the export audited.
    pub async fn export_outbound(
        &self,
        actor: &Actor,
        q: &OutboundQuery,
        unmask: bool,
    ) -> ServiceResult<ExportFile> {
        self.require(actor, Permission::ReadCheckpoints, "外出通报", "export")
            .await?;
        if unmask {
            self.require_unmask(actor, Permission::ReadCheckpoints, "外出通报", "export")
                .await?;
        }
        let (from, to) = self.outbound_days(q)?;
        let scope = &self.narrowed(actor, &q.place).await?;
        let restricted = restricted_to(actor);
        let kind = if unmask {
            "外出通报（明文）"
        } else {
            "外出通报"
        };
        self.streamed_export(
            actor,
            kind,
            OUTBOUND_COLUMNS,
            |app, after: Option<(NaiveDate, DateTime<Utc>, i64)>, limit| async move {
                let (mut day, mut last) = match after {
                    Some((day, at, id)) => (day, Some((at, id))),
                    None => (from, None),
                };
                let mut out = Vec::new();
                loop {
                    let want = limit - out.len() as i64;
                    let rows =
                        store::outbound_of_day(&app.db, scope, restricted, day, last, want).await?;
                    for r in app.crypto.opened_all(rows)? {
                        out.push((
                            (day, r.passed_at, r.traveller_id),
                            outbound_cells(r, unmask)?,
                        ));
                    }
                    if out.len() as i64 >= limit || day >= to {
                        return Ok(out);
                    }
                    day = day.succ_opt().unwrap_or(to);
                    last = None;
                }
            },
        )
        .await
    }
}

/// The columns of the outbound notices' export.
const OUTBOUND_COLUMNS: &[(&str, bool)] = &[
    ("通行时间（北京时间）", false),
    ("卡口", false),
    ("车牌", false),
    ("姓名", false),
    ("身份证号", false),
    ("电话", false),
    ("体温 ℃", false),
    ("处置", false),
    ("来自", false),
    ("去往", false),
    ("事由", false),
];

/// An outbound traveller's row of the export: masked unless `unmask`.
fn outbound_cells(r: OutboundRow, unmask: bool) -> ServiceResult<Vec<String>> {
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
}
