//! Reading the audit log: auditors only, within their jurisdiction.

use crate::input::trimmed as non_empty;
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::cst;
use dualtrack_store::audit::{self as store, AuditFilter, AuditRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: String,
    pub roles: String,
    pub action: String,
    /// 操作名称
    pub action_name: String,
    pub target_kind: String,
    pub target_id: String,
    pub jurisdiction_code: Option<String>,
    pub source_addr: String,
    pub outcome: String,
    /// 结果名称
    pub outcome_name: String,
    pub detail: String,
}

/// Filters of the audit log; dates are reporting days (China Standard Time).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 起始日期（含），如 2020-02-01
    pub from: Option<String>,
    /// 截止日期（含）
    pub to: Option<String>,
    pub username: Option<String>,
    /// 操作，如 auth.login_failed
    pub action: Option<String>,
    /// success、failure、denied
    pub outcome: Option<String>,
    pub page: Option<i64>,
}

fn day_start(field: &'static str, raw: &str) -> Result<DateTime<Utc>, ServiceError> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        ServiceError::invalid(
            field,
            format!("日期格式应为 年-月-日，如 2020-02-27，收到“{raw}”"),
        )
    })?;
    let start = d
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| ServiceError::invalid(field, "日期无效"))?;
    cst()
        .from_local_datetime(&start)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ServiceError::invalid(field, "日期无效"))
}

pub const PAGE_SIZE: i64 = 100;

fn entry(row: AuditRow) -> AuditEntry {
    let AuditRow { id, entry: r } = row;
    AuditEntry {
        action_name: Action::parse(&r.action)
            .map(|a| a.zh().to_string())
            .unwrap_or_else(|| r.action.clone()),
        outcome_name: Outcome::parse(&r.outcome)
            .map(|o| o.zh().to_string())
            .unwrap_or_else(|| r.outcome.clone()),
        id,
        at: r.at,
        username: r.username,
        roles: r.roles,
        action: r.action,
        target_kind: r.target_kind,
        target_id: r.target_id,
        jurisdiction_code: r.jurisdiction_code,
        source_addr: r.source_addr,
        outcome: r.outcome,
        detail: r.detail,
    }
}

impl App {
    pub async fn list_audit(
        &self,
        actor: &Actor,
        q: &AuditQuery,
    ) -> ServiceResult<Vec<AuditEntry>> {
        self.require(actor, Permission::ReadAudit, "审计日志", "list")
            .await?;
        let mut f = AuditFilter {
            limit: PAGE_SIZE,
            ..Default::default()
        };
        if let Some(v) = non_empty(&q.from) {
            f.from = Some(day_start("from", v)?);
        }
        if let Some(v) = non_empty(&q.to) {
            f.until = Some(day_start("to", v)? + chrono::Duration::days(1));
        }
        if let Some(v) = non_empty(&q.action) {
            let a = Action::parse(v)
                .ok_or_else(|| ServiceError::invalid("action", format!("未知操作“{v}”")))?;
            f.action = Some(a.as_str().into());
        }
        if let Some(v) = non_empty(&q.outcome) {
            let o = Outcome::parse(v).ok_or_else(|| {
                ServiceError::invalid(
                    "outcome",
                    format!("结果应为 success、failure 或 denied，收到“{v}”"),
                )
            })?;
            f.outcome = Some(o.as_str().into());
        }
        f.username = non_empty(&q.username).map(|s| s.to_lowercase());
        let page = q.page.unwrap_or(1);
        if page < 1 {
            return Err(ServiceError::invalid("page", "页码从 1 开始"));
        }
        f.offset = crate::page_offset(page, PAGE_SIZE);
        let rows = store::list(&self.db, &actor.scope, actor.sees_unplaced(), &f).await?;
        Ok(rows.into_iter().map(entry).collect())
    }
}
