//! Major projects: creating, detail, lists, start, progress, and the rates of a place.

use super::*;

impl App {
    /// The project `id` for an actor whose roles grant `p`, in the actor's jurisdiction.
    pub(super) async fn project_in_scope(
        &self,
        actor: &Actor,
        p: Permission,
        id: i64,
    ) -> ServiceResult<ProjectRow> {
        self.require(actor, p, "重大项目", &id.to_string()).await?;
        let row = store::project(&self.db, id).await?;
        self.own(actor, "重大项目", id, row, |p| &p.jurisdiction_code)
            .await
    }

    /// A plant of the actor's scope, for one who holds the permission.
    pub(super) async fn plant_for(
        &self,
        actor: &Actor,
        p: Permission,
        id: i64,
    ) -> ServiceResult<PlantRow> {
        self.require(actor, p, "重点企业（厂）", &id.to_string())
            .await?;
        self.plant_in_scope(actor, id).await
    }

    pub(super) async fn plant_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<PlantRow> {
        let row = store::plant(&self.db, id).await?;
        self.own(actor, "重点企业（厂）", id, row, |p| {
            &p.jurisdiction_code
        })
        .await
    }

    pub async fn create_project(
        &self,
        actor: &Actor,
        input: &ProjectInput,
    ) -> ServiceResult<ProjectDetail> {
        self.require(
            actor,
            Permission::ManageEnterprises,
            "重大项目",
            &input.name,
        )
        .await?;
        let name = text("name", "项目名称", &input.name, 100, true)?;
        let category = ProjectCategory::parse(&input.category).ok_or_else(|| {
            ServiceError::invalid(
                "category",
                format!(
                    "项目类别“{}”无效，应为 交通、能源、水利、产业、民生、生态 之一",
                    input.category
                ),
            )
        })?;
        let owner = text("owner", "建设单位", &input.owner, 100, false)?;
        let total = money("total_investment", "总投资", input.total_investment, 1)?;
        let annual = money("annual_plan", "年度计划投资", input.annual_plan, 1)?;
        if annual > total {
            return Err(ServiceError::invalid(
                "annual_plan",
                format!("年度计划投资 {annual} 万元不能大于总投资 {total} 万元"),
            ));
        }
        let planned_start = parse_date("planned_start", &input.planned_start)?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let row = NewProject {
            name: name.clone(),
            jurisdiction_code: code.to_string(),
            category: category.as_str().into(),
            owner,
            plan_year: planned_start.year() as i64,
            total_investment: total,
            annual_plan: annual,
            planned_start,
            actual_start: None,
            is_restart: input.is_restart,
            status: ProjectStatus::Planned.as_str().into(),
        };
        let id = store::insert_project(&mut tx, &row, self.clock.now()).await?;
        let audit = actor.audit(
            Action::ProjectCreate,
            Outcome::Success,
            "重大项目",
            id.to_string(),
            Some(code.to_string()),
            format!(
                "{name}：总投资 {total} 万元，年度计划 {annual} 万元，计划开工 {planned_start}"
            ),
        );
        commit_audited(tx, &audit).await?;
        self.get_project(actor, id).await
    }

    pub async fn get_project(&self, actor: &Actor, id: i64) -> ServiceResult<ProjectDetail> {
        let p = self
            .project_in_scope(actor, Permission::ReadResumption, id)
            .await?;
        let progress: Vec<ProgressView> = store::progress(&self.db, id)
            .await?
            .into_iter()
            .map(|g| ProgressView {
                as_of: g.as_of,
                completed: g.completed,
                note: g.note,
                filed_by: g.filed_by,
            })
            .collect();
        let completed = progress.first().map(|g| g.completed).unwrap_or(0);
        Ok(ProjectDetail {
            investment_rate: rate(completed, p.annual_plan),
            completed,
            project: project_view(p)?,
            progress,
        })
    }

    pub async fn list_projects(
        &self,
        actor: &Actor,
        year: Option<i64>,
    ) -> ServiceResult<Vec<ProjectView>> {
        self.require(actor, Permission::ReadResumption, "重大项目", "list")
            .await?;
        let year = year.unwrap_or(self.today().year() as i64);
        if !(2000..=2100).contains(&year) {
            return Err(ServiceError::invalid(
                "year",
                format!("计划年度 {year} 无效，应为 2000 到 2100 之间"),
            ));
        }
        let rows = store::list_projects(&self.db, &actor.scope, year).await?;
        rows.into_iter().map(project_view).collect()
    }

    /// Records the day a project started (or, for one carried over, restarted).
    pub async fn start_project(
        &self,
        actor: &Actor,
        id: i64,
        input: &StartInput,
    ) -> ServiceResult<ProjectDetail> {
        let p = self
            .project_in_scope(actor, Permission::ManageEnterprises, id)
            .await?;
        let on = parse_date("actual_start", &input.actual_start)?;
        not_future("actual_start", "实际开工日期", on, self.today())?;
        if (on.year() as i64) < p.plan_year {
            return Err(ServiceError::invalid(
                "actual_start",
                format!(
                    "实际开工日期 {on} 早于计划年度 {} 年 1 月 1 日",
                    p.plan_year
                ),
            ));
        }
        if let Some(d) = p.actual_start {
            return Err(ServiceError::conflict(
                "actual_start",
                format!("该项目已于 {d} 开工，不能重复登记"),
            ));
        }
        let word = if p.is_restart { "复工" } else { "开工" };
        let mut tx = self.db.begin().await?;
        store::set_start(&mut tx, id, on).await?;
        let audit = actor.audit(
            Action::ProjectStart,
            Outcome::Success,
            "重大项目",
            id.to_string(),
            Some(p.jurisdiction_code.clone()),
            format!("{}：{on} {word}", p.name),
        );
        commit_audited(tx, &audit).await?;
        self.get_project(actor, id).await
    }

    /// Enters the investment completed in the plan year up to a day.
    pub async fn record_progress(
        &self,
        actor: &Actor,
        id: i64,
        input: &ProgressInput,
    ) -> ServiceResult<ProjectDetail> {
        let p = self
            .project_in_scope(actor, Permission::ManageEnterprises, id)
            .await?;
        let as_of = parse_date("as_of", &input.as_of)?;
        not_future("as_of", "截至日期", as_of, self.today())?;
        if as_of.year() as i64 != p.plan_year {
            return Err(ServiceError::invalid(
                "as_of",
                format!(
                    "截至日期 {as_of} 不在计划年度 {} 年内（填报的是年度累计完成投资）",
                    p.plan_year
                ),
            ));
        }
        let completed = money("completed", "年度累计完成投资", input.completed, 0)?;
        let Some(started) = p.actual_start else {
            return Err(ServiceError::invalid(
                "as_of",
                "项目尚未登记开工（复工），不能填报投资进度",
            ));
        };
        if as_of < started {
            return Err(ServiceError::invalid(
                "as_of",
                format!("截至日期 {as_of} 早于实际开工日期 {started}"),
            ));
        }
        if completed > p.total_investment {
            return Err(ServiceError::invalid(
                "completed",
                format!(
                    "年度累计完成投资 {completed} 万元超过总投资 {} 万元",
                    p.total_investment
                ),
            ));
        }
        let (before, after) = store::progress_around(&self.db, id, as_of).await?;
        if let Some(b) = before.filter(|b| b.completed > completed) {
            return Err(ServiceError::invalid(
                "completed",
                format!(
                    "年度累计完成投资 {completed} 万元少于 {} 已填报的 {} 万元（应为累计数）",
                    b.as_of, b.completed
                ),
            ));
        }
        if let Some(a) = after.filter(|a| a.completed < completed) {
            return Err(ServiceError::invalid(
                "completed",
                format!(
                    "年度累计完成投资 {completed} 万元多于 {} 已填报的 {} 万元（应为累计数）",
                    a.as_of, a.completed
                ),
            ));
        }
        let note = text("note", "说明", &input.note, 500, false)?;
        let mut tx = self.db.begin().await?;
        let old = store::put_progress(
            &mut tx,
            id,
            as_of,
            completed,
            &note,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let detail = match old {
            Some(o) => format!(
                "{}：截至 {as_of} 年度累计完成投资 {completed} 万元（更正，原 {o} 万元）",
                p.name
            ),
            None => format!("{}：截至 {as_of} 年度累计完成投资 {completed} 万元", p.name),
        };
        let audit = actor.audit(
            Action::ProjectProgress,
            Outcome::Success,
            "重大项目",
            id.to_string(),
            Some(p.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        self.get_project(actor, id).await
    }

    /// Start and investment rates as of the end of a day, counties side by side, each with
    /// numerator and denominator; the projects are those of the day's year.
    pub async fn project_rates(
        &self,
        actor: &Actor,
        raw_as_of: &str,
    ) -> ServiceResult<ProjectRatesView> {
        self.require(actor, Permission::ReadResumption, "重大项目", "rates")
            .await?;
        let as_of = parse_date("as_of", raw_as_of)?;
        let year = as_of.year();
        let year_start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of);
        let rows = store::list_projects(&self.db, &actor.scope, year as i64).await?;
        let done: HashMap<i64, i64> =
            store::completed_by(&self.db, &actor.scope, year as i64, year_start, as_of)
                .await?
                .into_iter()
                .collect();
        let with: Vec<(&ProjectRow, i64)> = rows
            .iter()
            .map(|p| (p, done.get(&p.id).copied().unwrap_or(0)))
            .collect();
        let mut by_county: BTreeMap<String, Vec<(&ProjectRow, i64)>> = BTreeMap::new();
        for (p, c) in &with {
            by_county
                .entry(county_of(&p.jurisdiction_code))
                .or_default()
                .push((p, *c));
        }
        let projects = with
            .iter()
            .map(|(p, c)| {
                let category = project_category(p)?;
                Ok(ProjectLine {
                    id: p.id,
                    name: p.name.clone(),
                    jurisdiction_code: p.jurisdiction_code.clone(),
                    category_name: category.zh().into(),
                    is_restart: p.is_restart,
                    planned_start: p.planned_start,
                    started_on: p.actual_start.filter(|d| *d <= as_of),
                    annual_plan: p.annual_plan,
                    completed: *c,
                    investment_rate: rate(*c, p.annual_plan),
                })
            })
            .collect::<ServiceResult<_>>()?;
        Ok(ProjectRatesView {
            as_of,
            plan_year: year as i64,
            total: place_rates(actor.home_code().unwrap_or_default(), &with, as_of),
            counties: by_county
                .into_iter()
                .map(|(code, r)| place_rates(code, &r, as_of))
                .collect(),
            projects,
        })
    }
}
