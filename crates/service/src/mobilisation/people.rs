//! The registry of people: registration, detail, audited unmasking and lists.

use super::*;

impl App {
    pub(super) async fn person_in_scope(&self, actor: &Actor, id: i64) -> ServiceResult<PersonRow> {
        let row = self.crypto.opened_opt(store::person(&self.db, id).await?)?;
        self.own(actor, "人员", id, row, |p| &p.jurisdiction_code)
            .await
    }

    /// Refuses unless the actor manages mobilisation (the refusal names `target_kind` and
    /// the person), then finds the person `person_id` of a record being written, in the
    /// actor's jurisdiction (else refused naming `person_id`).
    pub(super) async fn person_to_manage(
        &self,
        actor: &Actor,
        target_kind: &str,
        person_id: i64,
    ) -> ServiceResult<PersonRow> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            target_kind,
            &person_id.to_string(),
        )
        .await?;
        self.person_in_scope(actor, person_id)
            .await
            .map_err(|e| e.referred_by("person_id"))
    }

    pub(super) async fn categories(&self, ids: &[i64]) -> ServiceResult<Vec<(i64, Category)>> {
        Ok(store::categories_of(&self.db, ids)
            .await?
            .into_iter()
            .filter_map(|(id, c)| Category::parse(&c).map(|c| (id, c)))
            .collect())
    }

    /// Registers a person; a known ID number finds the person instead of duplicating them.
    pub async fn register_person(
        &self,
        actor: &Actor,
        input: &PersonInput,
    ) -> ServiceResult<Registered> {
        self.require(actor, Permission::ManageMobilisation, "人员", &input.name)
            .await?;
        let name = required("name", "姓名", &input.name, 30)?;
        let id = ResidentId::parse(&input.id_number, self.today())
            .map_err(|e| ServiceError::invalid("id_number", e.to_string()))?;
        let phone = non_empty(&input.phone)
            .map(|p| validate_phone(&p))
            .transpose()
            .map_err(|m| ServiceError::invalid("phone", m))?;
        let status = PoliticalStatus::parse(&input.political_status).ok_or_else(|| {
            ServiceError::invalid(
                "political_status",
                format!("政治面貌“{}”无效", input.political_status),
            )
        })?;
        let mut categories = Vec::new();
        for c in &input.categories {
            let cat = Category::parse(c)
                .ok_or_else(|| ServiceError::invalid("categories", format!("人员类别“{c}”无效")))?;
            if !categories.contains(&cat) {
                categories.push(cat);
            }
        }
        let employer = non_empty(&input.employer);
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        let mut tx = self.db.begin().await?;
        let names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
        let bidx = self.crypto.blind_index(id.as_str());
        let (person_id, created) = match store::person_by_id_bidx(&mut tx, &bidx).await? {
            Some(existing) => {
                let home = Code::parse(&existing.jurisdiction_code)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                if !actor.scope.contains(&home) {
                    return Err(ServiceError::conflict("id_number", PERSON_ELSEWHERE));
                }
                store::add_categories(&mut tx, existing.id, &names).await?;
                (existing.id, false)
            }
            None => {
                let sex = match id.sex() {
                    Sex::Male => "male",
                    Sex::Female => "female",
                };
                let sealer = self.crypto.sealer();
                let (sealed_id, sealed_phone) =
                    (sealer.seal(id.as_str()), sealer.seal_opt(phone.as_deref()));
                let key = sealer.key_id();
                let pid = store::insert_person(
                    &mut tx,
                    &NewPerson {
                        name: &name,
                        id_number: &sealed_id,
                        sex,
                        birth_date: id.birth_date(),
                        phone: sealed_phone.as_deref(),
                        id_bidx: Some(&bidx),
                        enc_key: key.as_deref(),
                        political_status: status.as_str(),
                        jurisdiction_code: code.as_str(),
                        employer: employer.as_deref(),
                        at: self.clock.now(),
                    },
                )
                .await?;
                store::add_categories(&mut tx, pid, &names).await?;
                (pid, true)
            }
        };
        let detail = if created {
            format!("登记 {name}（{}）", id.masked())
        } else {
            format!("已登记，补充类别：{}", names.join("、"))
        };
        let row = actor.audit(
            Action::PersonRegister,
            Outcome::Success,
            "人员",
            person_id.to_string(),
            Some(code.to_string()),
            detail,
        );
        commit_audited(tx, &row).await?;
        Ok(Registered {
            person: self.get_person(actor, person_id).await?,
            created,
        })
    }

    pub async fn get_person(&self, actor: &Actor, id: i64) -> ServiceResult<PersonView> {
        self.require(actor, Permission::ReadMobilisation, "人员", &id.to_string())
            .await?;
        let p = self.person_in_scope(actor, id).await?;
        let cats = self
            .categories(&[id])
            .await?
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        Ok(person_view(p, cats))
    }

    /// The full ID number and phone of a person: audited every time.
    pub async fn unmask_person(&self, actor: &Actor, id: i64) -> ServiceResult<Unmasked> {
        let p = self
            .reveal(
                actor,
                Permission::ReadMobilisation,
                "人员",
                &id.to_string(),
                || async {
                    let p = self.person_in_scope(actor, id).await?;
                    let place = p.jurisdiction_code.clone();
                    Ok((p, place))
                },
            )
            .await?;
        Ok(Unmasked {
            id,
            id_number: p.id_number,
            phone: p.phone,
        })
    }

    pub async fn list_people(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
    ) -> ServiceResult<Page<PersonView>> {
        let page = page_of(q.page)?;
        let (items, total) = self
            .query_people(actor, q, PAGE_SIZE, crate::page_offset(page, PAGE_SIZE))
            .await?;
        Ok(Page {
            items,
            total,
            page,
            page_size: PAGE_SIZE,
        })
    }

    /// People matching a query in the actor's scope (masked), and how many match in all.
    pub(crate) async fn query_people(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<(Vec<PersonView>, i64)> {
        let (scope, f) = self.people_filter(actor, q).await?;
        let items = self.people_views(&scope, &f, None, limit, offset).await?;
        let total = store::count_people(&self.db, &scope, &f).await?;
        Ok((items, total))
    }

    /// The scope and filter of a query of people, refused unless the actor may read them.
    pub(crate) async fn people_filter(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
    ) -> ServiceResult<(dualtrack_domain::jurisdiction::Scope, PeopleFilter)> {
        self.require(actor, Permission::ReadMobilisation, "人员", "list")
            .await?;
        let mut scope = actor.scope.clone();
        if let Some(j) = non_empty(&q.jurisdiction) {
            let code = parse_code("jurisdiction", &j)?;
            self.require_in_scope(actor, &code, "区划", &j).await?;
            scope = dualtrack_domain::jurisdiction::Scope::Under(code);
        }
        let category = match non_empty(&q.category) {
            Some(c) => Some(
                Category::parse(&c)
                    .ok_or_else(|| ServiceError::invalid("category", format!("人员类别“{c}”无效")))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let political_status = match non_empty(&q.political_status) {
            Some(s) => Some(
                PoliticalStatus::parse(&s)
                    .ok_or_else(|| {
                        ServiceError::invalid("political_status", format!("政治面貌“{s}”无效"))
                    })?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let f = PeopleFilter {
            name: non_empty(&q.name),
            category,
            political_status,
        };
        Ok((scope, f))
    }

    /// People of a scope and filter (masked), in the order of their place and id: a page,
    /// or the batch after a place and id.
    pub(crate) async fn people_views(
        &self,
        scope: &dualtrack_domain::jurisdiction::Scope,
        f: &PeopleFilter,
        after: Option<(&str, i64)>,
        limit: i64,
        offset: i64,
    ) -> ServiceResult<Vec<PersonView>> {
        let rows = store::list_people(&self.db, scope, f, after, limit, offset).await?;
        let rows = self.crypto.opened_all(rows)?;
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let mut cats: std::collections::HashMap<i64, Vec<Category>> =
            std::collections::HashMap::new();
        for (id, c) in self.categories(&ids).await? {
            cats.entry(id).or_default().push(c);
        }
        let items = rows
            .into_iter()
            .map(|p| {
                let mine = cats.remove(&p.id).unwrap_or_default();
                person_view(p, mine)
            })
            .collect();
        Ok(items)
    }

    // ---- organisations ----
}
