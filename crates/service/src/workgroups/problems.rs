//! Production problems raised by enterprises, their resolution, lists and counts.

use super::*;

impl App {
    /// Raises a production problem of an enterprise (from a group, a visit, or the
    /// enterprise itself); audited.
    pub async fn raise_problem(
        &self,
        actor: &Actor,
        input: &ProblemInput,
    ) -> ServiceResult<Written<ProblemView>> {
        self.once(
            actor,
            "production_problem",
            &input.idempotency_key,
            &input,
            |claim| self.write_raise_problem(actor, input, claim),
            |rid| self.get_problem(actor, rid),
        )
        .await
    }

    pub(super) async fn write_raise_problem(
        &self,
        actor: &Actor,
        input: &ProblemInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ProblemView> {
        self.require(
            actor,
            Permission::FileReports,
            "生产难题",
            &input.enterprise_id.to_string(),
        )
        .await?;
        let e = self
            .wg_enterprise(actor, input.enterprise_id)
            .await
            .map_err(|e| e.referred_by("enterprise_id"))?;
        let c = category("category", &input.category)?;
        let description = text("description", "难题描述", &input.description, 1000, true)?;
        let raised_on = parse_date("raised_on", &input.raised_on)?;
        let mut org_id = match input.org_id {
            Some(g) => Some(
                self.wg_group(actor, g)
                    .await
                    .map_err(|e| e.referred_by("org_id"))?
                    .id,
            ),
            None => None,
        };
        let visit_id = match input.visit_id {
            Some(v) => {
                let visit = self
                    .wg_visit(actor, v)
                    .await
                    .map_err(|e| e.referred_by("visit_id"))?;
                if visit.enterprise_id != e.id {
                    return Err(ServiceError::invalid(
                        "visit_id",
                        format!("走访记录 {v} 不是对“{}”的走访", e.name),
                    ));
                }
                if matches!(org_id, Some(g) if g != visit.org_id) {
                    return Err(ServiceError::invalid(
                        "org_id",
                        format!("走访记录 {v} 是{}的走访", visit.org_name),
                    ));
                }
                org_id = Some(visit.org_id);
                Some(visit.id)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_problem(
            &mut tx,
            &NewProblem {
                enterprise_id: e.id,
                jurisdiction_code: e.jurisdiction_code.clone(),
                org_id,
                visit_id,
                category: c.as_str().into(),
                description,
                raised_on,
                raised_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        let audit = actor.audit(
            Action::ProblemRaise,
            Outcome::Success,
            "生产难题",
            id.to_string(),
            Some(e.jurisdiction_code.clone()),
            format!("{}：{}（{raised_on}）", e.name, c.zh()),
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        self.get_problem(actor, id).await
    }

    pub async fn get_problem(&self, actor: &Actor, id: i64) -> ServiceResult<ProblemView> {
        self.require(
            actor,
            Permission::ReadResumption,
            "生产难题",
            &id.to_string(),
        )
        .await?;
        problem_view(self.wg_problem(actor, id).await?)
    }

    /// Records how an open problem was solved; audited. A problem is resolved once.
    pub async fn resolve_problem(
        &self,
        actor: &Actor,
        id: i64,
        input: &ResolveInput,
    ) -> ServiceResult<ProblemView> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "生产难题",
            &id.to_string(),
        )
        .await?;
        let q = self.wg_problem(actor, id).await?;
        let resolution = text("resolution", "解决情况", &input.resolution, 1000, true)?;
        let resolved_on = parse_date("resolved_on", &input.resolved_on)?;
        if resolved_on < q.raised_on {
            return Err(ServiceError::invalid(
                "resolved_on",
                format!("解决日期不能早于提出日期 {}", q.raised_on),
            ));
        }
        if q.status != ProblemStatus::Open.as_str() {
            return Err(ServiceError::conflict(
                "status",
                format!(
                    "该难题已于 {} 解决",
                    q.resolved_on.map(|d| d.to_string()).unwrap_or_default()
                ),
            ));
        }
        let mut tx = self.db.begin().await?;
        if !store::resolve_problem(
            &mut tx,
            id,
            &resolution,
            resolved_on,
            &actor.username,
            self.clock.now(),
        )
        .await?
        {
            return Err(ServiceError::conflict("status", "该难题已解决"));
        }
        let category = problem_category(&q)?;
        let audit = actor.audit(
            Action::ProblemResolve,
            Outcome::Success,
            "生产难题",
            id.to_string(),
            Some(q.jurisdiction_code.clone()),
            format!(
                "{}：{}，{resolved_on} 解决",
                q.enterprise_name,
                category.zh()
            ),
        );
        commit_audited(tx, &audit).await?;
        self.get_problem(actor, id).await
    }

    /// The scope and filter a problems query asks for, checked.
    pub(super) async fn problem_filter(
        &self,
        actor: &Actor,
        q: &ProblemsQuery,
    ) -> ServiceResult<(Scope, ProblemFilter)> {
        let category = match q
            .category
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) => Some(category("category", c)?.as_str().to_string()),
            None => None,
        };
        let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(
                ProblemStatus::parse(s)
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "status",
                            format!("状态“{s}”无效，应为 open（待解决）或 resolved（已解决）"),
                        )
                    })?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let scope = match q.county.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(c) => Scope::Under(self.place_in_scope(actor, "county", c).await?),
            None => actor.scope.clone(),
        };
        if let Some(e) = q.enterprise_id {
            self.wg_enterprise(actor, e).await?;
        }
        if let Some(g) = q.org_id {
            self.wg_group(actor, g).await?;
        }
        Ok((
            scope,
            ProblemFilter {
                category,
                status,
                enterprise_id: q.enterprise_id,
                org_id: q.org_id,
                visit_id: None,
            },
        ))
    }

    /// Problems of the scope, filtered; 100 a page, the latest raised first.
    pub async fn list_problems(
        &self,
        actor: &Actor,
        q: &ProblemsQuery,
    ) -> ServiceResult<Vec<ProblemView>> {
        self.require(actor, Permission::ReadResumption, "生产难题", "list")
            .await?;
        let page = q.page.unwrap_or(1);
        if page < 1 {
            return Err(ServiceError::invalid("page", "页码从 1 开始"));
        }
        let (scope, f) = self.problem_filter(actor, q).await?;
        store::list_problems(&self.db, &scope, &f, PAGE, crate::page_offset(page, PAGE))
            .await?
            .into_iter()
            .map(problem_view)
            .collect()
    }

    /// Problems of the scope counted by category, open and resolved (same filters as the
    /// list; every category shown).
    pub async fn problem_counts(
        &self,
        actor: &Actor,
        q: &ProblemsQuery,
    ) -> ServiceResult<ProblemCounts> {
        self.require(actor, Permission::ReadResumption, "生产难题", "counts")
            .await?;
        let (scope, f) = self.problem_filter(actor, q).await?;
        let rows = store::count_problems(&self.db, &scope, &f).await?;
        let mut by: BTreeMap<usize, (i64, i64)> = BTreeMap::new();
        for (c, s, n) in rows {
            let Some(i) = ProblemCategory::parse(&c)
                .and_then(|c| ProblemCategory::ALL.iter().position(|x| *x == c))
            else {
                continue;
            };
            let e = by.entry(i).or_default();
            if s == ProblemStatus::Resolved.as_str() {
                e.1 += n;
            } else {
                e.0 += n;
            }
        }
        let by_category: Vec<CategoryCount> = ProblemCategory::ALL
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (open, resolved) = by.get(&i).copied().unwrap_or_default();
                CategoryCount {
                    category: *c,
                    category_name: c.zh().into(),
                    open,
                    resolved,
                    total: open + resolved,
                }
            })
            .collect();
        let open = by_category.iter().map(|c| c.open).sum();
        let resolved = by_category.iter().map(|c| c.resolved).sum();
        Ok(ProblemCounts {
            open,
            resolved,
            total: open + resolved,
            by_category,
        })
    }
}
