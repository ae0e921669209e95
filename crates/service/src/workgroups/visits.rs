//! Visits of a work group to an enterprise.

use super::*;
use crate::import::choices;

impl App {
    /// Records a group's visit to an enterprise, with any problems it raised; audited.
    pub async fn record_visit(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        input: &VisitInput,
    ) -> ServiceResult<Written<VisitView>> {
        self.once(
            actor,
            "enterprise_visit",
            &input.idempotency_key,
            &(enterprise_id, input),
            |claim| self.write_record_visit(actor, enterprise_id, input, claim),
            |rid| self.get_visit(actor, rid),
        )
        .await
    }

    pub(super) async fn write_record_visit(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        input: &VisitInput,
        claim: Option<Claim>,
    ) -> ServiceResult<VisitView> {
        self.require(
            actor,
            Permission::FileReports,
            "走访记录",
            &enterprise_id.to_string(),
        )
        .await?;
        let e = self.wg_enterprise(actor, enterprise_id).await?;
        let group = self
            .wg_group(actor, input.org_id)
            .await
            .map_err(|e| e.referred_by("org_id"))?;
        let visited_on = parse_date("visited_on", &input.visited_on)?;
        if !store::stationed_on(&self.db, group.id, e.id, visited_on).await? {
            return Err(ServiceError::invalid(
                "org_id",
                format!("{}在 {visited_on} 未驻“{}”", group.name, e.name),
            ));
        }
        if input.visitor_ids.is_empty() {
            return Err(ServiceError::invalid(
                "visitor_ids",
                "请选择走访的干部（至少一人）",
            ));
        }
        let members = store::group_members(&self.db, group.id).await?;
        let mut visitors = Vec::new();
        for id in &input.visitor_ids {
            if !members.iter().any(|(m, _)| m == id) {
                return Err(ServiceError::invalid(
                    "visitor_ids",
                    format!("人员 {id} 不是{}的成员", group.name),
                ));
            }
            if !visitors.contains(id) {
                visitors.push(*id);
            }
        }
        let checks = Checks::from_names(&input.checks).map_err(|bad| {
            ServiceError::invalid(
                "checks",
                format!(
                    "检查项“{bad}”无效，应为：{}",
                    choices(PreventionCheck::ALL, PreventionCheck::zh)
                ),
            )
        })?;
        let findings = text(
            "findings",
            "发现的情况（没有问题可写“正常”）",
            &input.findings,
            2000,
            true,
        )?;
        let mut drafts = Vec::new();
        for d in &input.problems {
            let c = category("problems", &d.category)?;
            let description = text("problems", "难题描述", &d.description, 1000, true)?;
            drafts.push((c, description));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_visit(
            &mut tx,
            &NewVisit {
                org_id: group.id,
                enterprise_id: e.id,
                jurisdiction_code: e.jurisdiction_code.clone(),
                visited_on,
                checks: checks.0,
                findings,
                recorded_by: actor.username.clone(),
                visitors,
            },
            now,
        )
        .await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        let detail = format!(
            "{} 走访 {}（{visited_on}），五个到位 {}/5",
            group.name,
            e.name,
            checks.passed().len()
        );
        audit_in(
            &mut tx,
            &actor.audit(
                Action::VisitRecord,
                Outcome::Success,
                "走访记录",
                id.to_string(),
                Some(e.jurisdiction_code.clone()),
                detail,
            ),
        )
        .await?;
        for (c, description) in drafts {
            let pid = store::insert_problem(
                &mut tx,
                &NewProblem {
                    enterprise_id: e.id,
                    jurisdiction_code: e.jurisdiction_code.clone(),
                    org_id: Some(group.id),
                    visit_id: Some(id),
                    category: c.as_str().into(),
                    description,
                    raised_on: visited_on,
                    raised_by: actor.username.clone(),
                },
                now,
            )
            .await?;
            audit_in(
                &mut tx,
                &actor.audit(
                    Action::ProblemRaise,
                    Outcome::Success,
                    "生产难题",
                    pid.to_string(),
                    Some(e.jurisdiction_code.clone()),
                    format!("{}：{}（走访 {id}）", e.name, c.zh()),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        self.get_visit(actor, id).await
    }

    pub async fn get_visit(&self, actor: &Actor, id: i64) -> ServiceResult<VisitView> {
        self.require(
            actor,
            Permission::ReadResumption,
            "走访记录",
            &id.to_string(),
        )
        .await?;
        let v = self.wg_visit(actor, id).await?;
        let people = store::visitors(&self.db, &[id]).await?;
        Ok(visit_view(v, &people))
    }

    /// An enterprise's visits, the latest first.
    pub async fn enterprise_visits(
        &self,
        actor: &Actor,
        enterprise_id: i64,
    ) -> ServiceResult<Vec<VisitView>> {
        self.require(
            actor,
            Permission::ReadResumption,
            "走访记录",
            &enterprise_id.to_string(),
        )
        .await?;
        self.wg_enterprise(actor, enterprise_id).await?;
        let rows = store::visits_of_enterprise(&self.db, enterprise_id, 200).await?;
        let ids: Vec<i64> = rows.iter().map(|v| v.id).collect();
        let people = store::visitors(&self.db, &ids).await?;
        Ok(rows.into_iter().map(|v| visit_view(v, &people)).collect())
    }
}
