//! Erasure of personal data past its keeping period.

use super::*;
use dualtrack_store::handovers::{ByDate, ErasedTable};

impl App {
    /// Erases the personal data whose retention period has passed (see the module notes);
    /// the command line and the server's hourly run call it. It writes in batches of at
    /// most [`App::job_batch`] rows, each its own short transaction, so that other writers
    /// wait for a batch at most, not for the run; one audit row says what the run erased.
    pub async fn erase_expired(&self, actor: &Actor) -> ServiceResult<ErasureReport> {
        if !actor.is_cli {
            return Err(ServiceError::Forbidden(
                "个人信息到期删除只由系统按期执行".into(),
            ));
        }
        let today = reporting_day(self.now());
        let released_by = today - Duration::days(i64::from(self.retention_days));
        let passed_by = released_by - Duration::days(i64::from(self.monitoring_days));
        let mut report = ErasureReport {
            cases: 0,
            travellers: 0,
            screened: 0,
            released_by,
            passed_by,
            batches: 0,
        };
        let run = self.erase_in_batches(&mut report, today).await;
        let outcome = if run.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let tx = self.db.begin().await?;
        let audit = actor.audit(
                Action::RetentionErase,
                outcome,
                "个人信息",
                today.to_string(),
                None,
                format!(
                    "保存期 {} 天：删除隔离监测对象 {} 人、通行旅客 {} 人、摸排人员 {} 人的姓名、身份证号与电话（{} 批）{}",
                    self.retention_days,
                    report.cases,
                    report.travellers,
                    report.screened,
                    report.batches,
                    if run.is_ok() { "" } else { "，中途出错" }
                ),
        );
        commit_audited(tx, &audit).await?;
        run?;
        Ok(report)
    }

    /// The batches of an erasure: cases first, then screened persons, then travellers, a
    /// stretch of the travellers not erased yet at a time (read outside the write, checked
    /// again by it). Each batch's rows are read before its write, so that the write finds
    /// them in memory.
    pub(super) async fn erase_in_batches(
        &self,
        r: &mut ErasureReport,
        today: NaiveDate,
    ) -> ServiceResult<()> {
        let batch = self.job_batch.max(1);
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        for (kind, by, count) in [
            (ByDate::Cases, r.released_by, &mut r.cases),
            (ByDate::Screened, r.passed_by, &mut r.screened),
        ] {
            loop {
                let ids = store::due_for_erasure(&self.db, kind, by, limit).await?;
                store::read_ahead_of_erasure(&self.db, kind.table(), &ids).await?;
                let mut tx = self.db.begin_job().await?;
                *count += store::erase_due(&mut tx, kind, &ids, by, today).await?;
                tx.commit().await?;
                r.batches += 1;
                if ids.len() < batch {
                    break;
                }
            }
        }
        let mut after = 0;
        let span = limit.saturating_mul(8);
        while let Some(upto) = store::unerased_after(&self.db, after, span).await? {
            let ids = store::travellers_to_erase(&self.db, after, upto, r.released_by, r.passed_by)
                .await?;
            for chunk in ids.chunks(batch) {
                store::read_ahead_of_erasure(&self.db, ErasedTable::Travellers, chunk).await?;
                let mut tx = self.db.begin_job().await?;
                let n = store::erase_travellers(&mut tx, chunk, r.released_by, r.passed_by, today)
                    .await?;
                tx.commit().await?;
                r.travellers += n;
                r.batches += 1;
            }
            after = upto;
        }
        Ok(())
    }
}
