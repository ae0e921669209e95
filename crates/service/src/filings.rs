//! 复工备案: an enterprise's liaison files to resume, with the prevention plan and the five
//! checks (五个到位); the county approves it — only with all five in place — or returns it
//! with a reason, and a returned filing is filed again as the next round.

use crate::actor::commit_audited;
use crate::idempotency::commit_created;
use crate::idempotency::{Claim, Written};
use crate::input::{opt_note, parse_date};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, NaiveDate, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::filings::{FilingCheck, FilingStatus};
use dualtrack_domain::role::Permission;
use dualtrack_store::decode;
use dualtrack_store::filings::{self as store, FilingRow, NewFiling};
use dualtrack_store::resumption as enterprises;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Filings per page of a list.
pub const FILINGS_PAGE: i64 = 100;

const KIND: &str = "复工备案";

/// What the enterprise files.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct FilingInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 计划复工日期
    pub planned_on: String,
    /// 疫情防控方案
    pub prevention_plan: String,
    /// 计划复工人数
    pub employees_planned: i64,
    /// 防控机制到位
    #[serde(default)]
    pub check_mechanism: bool,
    #[serde(default)]
    pub check_mechanism_note: Option<String>,
    /// 员工排查到位
    #[serde(default)]
    pub check_screening: bool,
    #[serde(default)]
    pub check_screening_note: Option<String>,
    /// 设施物资到位
    #[serde(default)]
    pub check_supplies: bool,
    #[serde(default)]
    pub check_supplies_note: Option<String>,
    /// 内部管理到位
    #[serde(default)]
    pub check_management: bool,
    #[serde(default)]
    pub check_management_note: Option<String>,
    /// 宣传教育到位
    #[serde(default)]
    pub check_publicity: bool,
    #[serde(default)]
    pub check_publicity_note: Option<String>,
}

impl FilingInput {
    fn check(&self, c: FilingCheck) -> (bool, &Option<String>) {
        match c {
            FilingCheck::Mechanism => (self.check_mechanism, &self.check_mechanism_note),
            FilingCheck::Screening => (self.check_screening, &self.check_screening_note),
            FilingCheck::Supplies => (self.check_supplies, &self.check_supplies_note),
            FilingCheck::Management => (self.check_management, &self.check_management_note),
            FilingCheck::Publicity => (self.check_publicity, &self.check_publicity_note),
        }
    }
}

/// The county's approval, with an optional note.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct FilingApproveInput {
    #[serde(default)]
    pub note: Option<String>,
}

/// The county's return of a filing: why, so the enterprise can put it right.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct FilingReturnInput {
    /// 退回原因（必填）
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilingCheckView {
    pub check: FilingCheck,
    /// 如 防控机制到位
    pub name: String,
    pub done: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilingView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub jurisdiction_code: String,
    /// 第几次备案：退回后重新提交为下一次，之前的保留
    pub round: i64,
    /// 上一次（被退回的）备案
    pub previous_id: Option<i64>,
    pub planned_on: NaiveDate,
    pub prevention_plan: String,
    pub employees_planned: i64,
    /// 五个到位
    pub checks: Vec<FilingCheckView>,
    pub all_checks_done: bool,
    pub status: FilingStatus,
    pub status_name: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// 同意意见或退回原因
    pub decision_note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn view(f: FilingRow) -> ServiceResult<FilingView> {
    let ticks = [
        (
            FilingCheck::Mechanism,
            f.check_mechanism,
            f.check_mechanism_note,
        ),
        (
            FilingCheck::Screening,
            f.check_screening,
            f.check_screening_note,
        ),
        (
            FilingCheck::Supplies,
            f.check_supplies,
            f.check_supplies_note,
        ),
        (
            FilingCheck::Management,
            f.check_management,
            f.check_management_note,
        ),
        (
            FilingCheck::Publicity,
            f.check_publicity,
            f.check_publicity_note,
        ),
    ];
    let checks: Vec<FilingCheckView> = ticks
        .into_iter()
        .map(|(check, done, note)| FilingCheckView {
            check,
            name: check.zh().into(),
            done,
            note,
        })
        .collect();
    let status = decode(
        "resumption_filings",
        "status",
        &f.status,
        FilingStatus::parse,
    )?;
    Ok(FilingView {
        id: f.id,
        enterprise_id: f.enterprise_id,
        enterprise_name: f.enterprise_name,
        jurisdiction_code: f.jurisdiction_code,
        round: f.round,
        previous_id: f.previous_id,
        planned_on: f.planned_on,
        prevention_plan: f.prevention_plan,
        employees_planned: f.employees_planned,
        all_checks_done: checks.iter().all(|c| c.done),
        checks,
        status_name: status.zh().into(),
        status,
        decided_by: f.decided_by,
        decided_at: f.decided_at,
        decision_note: f.decision_note,
        created_by: f.created_by,
        created_at: f.created_at,
    })
}

/// How many filings of each status.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct FilingCounts {
    pub submitted: i64,
    pub approved: i64,
    pub returned: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilingList {
    /// 管辖范围内各状态的备案数（不受筛选影响）
    pub counts: FilingCounts,
    pub filings: Vec<FilingView>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct FilingQuery {
    /// submitted（待审核）、approved（已同意）、returned（已退回）；不填为全部
    pub status: Option<String>,
    pub page: Option<i64>,
}

impl App {
    /// An enterprise found by id within the actor's scope ("not found" otherwise, audited).
    async fn filing_enterprise(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<enterprises::EnterpriseRow> {
        let row = enterprises::enterprise(&self.db, id).await?;
        self.own(actor, "企业", id, row, |e| &e.jurisdiction_code)
            .await
    }

    async fn filing_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<FilingRow> {
        let row = store::filing(&self.db, id).await?;
        self.own(actor, KIND, id, row, |f| &f.jurisdiction_code)
            .await
    }

    /// The liaison files for an enterprise in scope to resume; a new round if the last one
    /// was returned. Refused (409) while one is waiting or approved.
    pub async fn file_filing(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        input: &FilingInput,
    ) -> ServiceResult<Written<FilingView>> {
        self.once(
            actor,
            "filing",
            &input.idempotency_key,
            &(enterprise_id, input),
            |claim| self.write_file_filing(actor, enterprise_id, input, claim),
            |rid| self.get_filing(actor, rid),
        )
        .await
    }

    async fn write_file_filing(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        input: &FilingInput,
        claim: Option<Claim>,
    ) -> ServiceResult<FilingView> {
        self.require(
            actor,
            Permission::FileReports,
            KIND,
            &enterprise_id.to_string(),
        )
        .await?;
        let e = self.filing_enterprise(actor, enterprise_id).await?;
        let planned_on = parse_date("planned_on", &input.planned_on)?;
        let plan = input.prevention_plan.trim().to_string();
        if plan.chars().count() < 10 {
            return Err(ServiceError::invalid(
                "prevention_plan",
                "请填写疫情防控方案（至少 10 字）：组织、排查、物资、管理、宣传各项安排",
            ));
        }
        if plan.chars().count() > 5000 {
            return Err(ServiceError::invalid(
                "prevention_plan",
                "疫情防控方案不超过 5000 字",
            ));
        }
        if !(1..=10_000_000).contains(&input.employees_planned) {
            return Err(ServiceError::invalid(
                "employees_planned",
                format!(
                    "计划复工人数应为 1 到 10000000 之间的整数，收到 {}",
                    input.employees_planned
                ),
            ));
        }
        let mut checks: [(bool, Option<String>); 5] = Default::default();
        for (slot, c) in checks.iter_mut().zip(FilingCheck::ALL) {
            let (done, note) = input.check(c);
            *slot = (done, opt_note(c.note_field(), note, 500)?);
        }
        let open = store::of_enterprise(&self.db, enterprise_id)
            .await?
            .into_iter()
            .find(|f| f.status != FilingStatus::Returned.as_str());
        let conflict = |f: &FilingRow| {
            ServiceError::conflict(
                "enterprise_id",
                format!(
                    "{}已有{}的复工备案（第 {} 次），不能重复提交",
                    e.name,
                    FilingStatus::parse(&f.status)
                        .map(|s| s.zh())
                        .unwrap_or("待审核"),
                    f.round
                ),
            )
        };
        if let Some(f) = &open {
            return Err(conflict(f));
        }
        let new = NewFiling {
            enterprise_id,
            jurisdiction_code: e.jurisdiction_code.clone(),
            planned_on,
            prevention_plan: plan,
            employees_planned: input.employees_planned,
            checks,
            created_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert(&mut tx, &new, self.clock.now())
            .await
            .map_err(|err| {
                ServiceError::taken(err, "enterprise_id", || {
                    format!("{}已有待审核或已同意的复工备案，不能重复提交", e.name)
                })
            })?;
        let ticked = new.checks.iter().filter(|c| c.0).count();
        let audit = actor.audit(
            Action::FilingSubmit,
            Outcome::Success,
            KIND,
            id.to_string(),
            Some(e.jurisdiction_code.clone()),
            format!(
                "{}：计划 {planned_on} 复工 {} 人，五个到位 {ticked}/5",
                e.name, new.employees_planned
            ),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        self.get_filing(actor, id).await
    }

    pub async fn get_filing(&self, actor: &Actor, id: i64) -> ServiceResult<FilingView> {
        self.require(actor, Permission::ReadResumption, KIND, &id.to_string())
            .await?;
        view(self.filing_in_scope(actor, id).await?)
    }

    /// Every round of an enterprise's filings, newest first.
    pub async fn enterprise_filings(
        &self,
        actor: &Actor,
        enterprise_id: i64,
    ) -> ServiceResult<Vec<FilingView>> {
        self.require(
            actor,
            Permission::ReadResumption,
            KIND,
            &enterprise_id.to_string(),
        )
        .await?;
        self.filing_enterprise(actor, enterprise_id).await?;
        store::of_enterprise(&self.db, enterprise_id)
            .await?
            .into_iter()
            .map(view)
            .collect()
    }

    /// Filings in the actor's scope, optionally of one status, with the counts by status.
    pub async fn list_filings(
        &self,
        actor: &Actor,
        status: Option<&str>,
        page: Option<i64>,
    ) -> ServiceResult<FilingList> {
        self.require(actor, Permission::ReadResumption, KIND, "list")
            .await?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(FilingStatus::parse(s).ok_or_else(|| {
                ServiceError::invalid(
                    "status",
                    format!("状态“{s}”无效，应为 submitted、approved 或 returned"),
                )
            })?),
            None => None,
        };
        let page = page.unwrap_or(1);
        if page < 1 {
            return Err(ServiceError::invalid("page", "页码从 1 开始"));
        }
        let rows = store::list(
            &self.db,
            &actor.scope,
            status.map(|s| s.as_str()),
            FILINGS_PAGE,
            crate::page_offset(page, FILINGS_PAGE),
        )
        .await?;
        let mut counts = FilingCounts::default();
        for (s, n) in store::counts(&self.db, &actor.scope).await? {
            match FilingStatus::parse(&s) {
                Some(FilingStatus::Submitted) => counts.submitted += n,
                Some(FilingStatus::Approved) => counts.approved += n,
                Some(FilingStatus::Returned) => counts.returned += n,
                None => {}
            }
        }
        Ok(FilingList {
            counts,
            filings: rows.into_iter().map(view).collect::<ServiceResult<_>>()?,
        })
    }

    /// The checks common to both decisions: the role, the filing in scope, still waiting.
    async fn decidable(&self, actor: &Actor, id: i64) -> ServiceResult<FilingRow> {
        self.require(actor, Permission::ManageEnterprises, KIND, &id.to_string())
            .await?;
        let f = self.filing_in_scope(actor, id).await?;
        if f.status != FilingStatus::Submitted.as_str() {
            return Err(already(FilingStatus::parse(&f.status)));
        }
        Ok(f)
    }

    /// The county approves a waiting filing; all five checks must be in place.
    pub async fn approve_filing(
        &self,
        actor: &Actor,
        id: i64,
        input: &FilingApproveInput,
    ) -> ServiceResult<FilingView> {
        let f = self.decidable(actor, id).await?;
        let v = view(f.clone())?;
        if let Some(missing) = v.checks.iter().find(|c| !c.done) {
            let all: Vec<&str> = v
                .checks
                .iter()
                .filter(|c| !c.done)
                .map(|c| c.check.zh())
                .collect();
            return Err(ServiceError::invalid(
                missing.check.field(),
                format!(
                    "{}未到位，不能同意复工（未到位：{}）；请退回企业整改后重新提交",
                    missing.check.zh(),
                    all.join("、")
                ),
            ));
        }
        let note = opt_note("note", &input.note, 500)?;
        self.decide_filing(actor, f, FilingStatus::Approved, note)
            .await
    }

    /// The county returns a waiting filing, with the reason.
    pub async fn return_filing(
        &self,
        actor: &Actor,
        id: i64,
        input: &FilingReturnInput,
    ) -> ServiceResult<FilingView> {
        let f = self.decidable(actor, id).await?;
        let reason = input.reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                "reason",
                "请填写退回原因，告诉企业需要补充或整改什么",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(ServiceError::invalid("reason", "退回原因不超过 500 字"));
        }
        self.decide_filing(actor, f, FilingStatus::Returned, Some(reason.to_string()))
            .await
    }

    async fn decide_filing(
        &self,
        actor: &Actor,
        f: FilingRow,
        status: FilingStatus,
        note: Option<String>,
    ) -> ServiceResult<FilingView> {
        let mut tx = self.db.begin().await?;
        // Only a waiting filing can be decided: a second decision finds none.
        if !store::decide(
            &mut tx,
            f.id,
            status.as_str(),
            &actor.username,
            note.as_deref(),
            self.clock.now(),
        )
        .await?
        {
            return Err(already(None));
        }
        let action = match status {
            FilingStatus::Approved => Action::FilingApprove,
            _ => Action::FilingReturn,
        };
        let mut detail = format!(
            "{}（第 {} 次）：{}",
            f.enterprise_name,
            f.round,
            status.zh()
        );
        if let Some(n) = &note {
            detail.push_str(&format!("，{n}"));
        }
        let audit = actor.audit(
            action,
            Outcome::Success,
            KIND,
            f.id.to_string(),
            Some(f.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        let row = store::filing(&self.db, f.id).await?;
        view(row.ok_or_else(|| ServiceError::Internal("复工备案未找到".into()))?)
    }
}

fn already(status: Option<FilingStatus>) -> ServiceError {
    let message = match status {
        Some(s) => format!("该复工备案已审核（{}），不能再次审核", s.zh()),
        None => "该复工备案已审核，不能再次审核".to_string(),
    };
    ServiceError::conflict("status", message)
}
