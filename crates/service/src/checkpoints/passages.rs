//! Passages registered at a checkpoint, their lists and the audited unmasking of a traveller.

use super::*;

impl App {
    /// Registers a passage with all its travellers in one transaction with one audit row.
    /// A retry with the same idempotency key returns the first passage and writes nothing
    /// (found when its write fails on the key: a fresh key costs no read).
    pub async fn register_passage(
        &self,
        actor: &Actor,
        checkpoint_id: i64,
        input: &PassageInput,
    ) -> ServiceResult<Registered> {
        let c = self
            .cp_checkpoint(actor, Permission::RegisterPassages, checkpoint_id)
            .await?;
        let w = self
            .once_writing_first(
                actor,
                "passage",
                &input.idempotency_key,
                &(checkpoint_id, input),
                |claim| self.write_passage(actor, &c, input, claim),
                |id| self.passage_of(id),
            )
            .await?;
        Ok(Registered {
            passage: w.record,
            created: w.created,
        })
    }

    pub(super) async fn write_passage(
        &self,
        actor: &Actor,
        c: &CheckpointRow,
        input: &PassageInput,
        claim: Option<Claim>,
    ) -> ServiceResult<PassageView> {
        let key = claim.as_ref().map(|k| k.key().to_string());
        let new = self.check_passage(actor, c, input, key).await?;
        // On SQLite one writer at a time, in the order they asked (see `Db::begin`).
        let mut tx = self.db.begin().await?;
        let written = store::insert_passage(&mut tx, &new, self.now()).await?;
        keep(&mut tx, claim.as_ref(), written.id).await?;
        let fevers = new.travellers.iter().filter(|t| t.fever).count();
        let handed = new
            .travellers
            .iter()
            .filter(|t| t.handover.is_some())
            .count();
        let detail = format!(
            "{} {}，{} 人{}{}",
            c.name,
            new.plate.as_deref().unwrap_or("步行"),
            new.travellers.len(),
            if fevers > 0 {
                format!("，发热 {fevers} 人")
            } else {
                String::new()
            },
            if handed > 0 {
                format!("，落地交接 {handed} 人")
            } else {
                String::new()
            }
        );
        let audit = actor.audit(
            Action::PassageRegister,
            Outcome::Success,
            "通行登记",
            written.id.to_string(),
            Some(c.jurisdiction_code.clone()),
            detail,
        );
        commit_audited(tx, &audit).await?;
        // Answered from what was written rather than read back.
        let (p, travellers) = new.rows(&written, &c.name);
        let mut by = HashMap::from([(
            p.id,
            travellers
                .into_iter()
                .map(|t| traveller_view(&self.crypto, t))
                .collect::<ServiceResult<_>>()?,
        )]);
        Ok(passage_view(p, &mut by))
    }

    pub(super) async fn passage_of(&self, id: i64) -> ServiceResult<PassageView> {
        let p = store::passage(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("登记未找到".into()))?;
        let mut t = self.travellers_by_passage(&[id]).await?;
        Ok(passage_view(p, &mut t))
    }

    pub(super) async fn travellers_by_passage(
        &self,
        ids: &[i64],
    ) -> ServiceResult<HashMap<i64, Vec<TravellerView>>> {
        let mut by: HashMap<i64, Vec<TravellerView>> = HashMap::new();
        for t in store::travellers(&self.db, ids).await? {
            by.entry(t.passage_id)
                .or_default()
                .push(traveller_view(&self.crypto, t)?);
        }
        Ok(by)
    }
}

impl App {
    /// A checkpoint's passages (masked), the latest first.
    pub async fn checkpoint_passages(
        &self,
        actor: &Actor,
        id: i64,
        q: &PassagesQuery,
    ) -> ServiceResult<Vec<PassageView>> {
        self.cp_checkpoint(actor, Permission::ReadCheckpoints, id)
            .await?;
        let day = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => Some(parse_date("date", d)?),
            None => None,
        };
        let page = q.page.unwrap_or(1);
        if !(1..=100_000).contains(&page) {
            return Err(ServiceError::invalid("page", "页码应为正整数"));
        }
        let offset = crate::page_offset(page, PAGE);
        let bidx = q
            .id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|n| self.crypto.blind_index(n));
        let filter = store::PassageFilter {
            day,
            id_bidx: bidx.as_deref(),
        };
        let rows = store::passages(&self.db, id, filter, self.now(), PAGE, offset).await?;
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let mut t = self.travellers_by_passage(&ids).await?;
        Ok(rows.into_iter().map(|p| passage_view(p, &mut t)).collect())
    }

    /// One passage (masked).
    pub async fn passage(&self, actor: &Actor, id: i64) -> ServiceResult<PassageView> {
        self.require(
            actor,
            Permission::ReadCheckpoints,
            "通行登记",
            &id.to_string(),
        )
        .await?;
        let p = self.cp_passage(actor, id).await?;
        let mut t = self.travellers_by_passage(&[id]).await?;
        Ok(passage_view(p, &mut t))
    }

    /// A traveller's ID number and phone in full; audited.
    pub async fn unmask_traveller(
        &self,
        actor: &Actor,
        id: i64,
        n: i64,
    ) -> ServiceResult<UnmaskedTraveller> {
        let target = format!("{id}/{n}");
        let t = self
            .reveal(
                actor,
                Permission::ReadCheckpoints,
                "通行登记旅客",
                &target,
                || async {
                    let p = self.cp_passage(actor, id).await?;
                    let mut t = store::travellers(&self.db, &[id])
                        .await?
                        .into_iter()
                        .find(|t| i64::from(t.seq) == n)
                        .ok_or_else(|| {
                            ServiceError::NotFound(format!("通行登记 {id} 没有第 {n} 位驾乘人员"))
                        })?;
                    open_traveller(&self.crypto, &mut t)?;
                    Ok((t, p.jurisdiction_code))
                },
            )
            .await?;
        Ok(UnmaskedTraveller {
            passage_id: id,
            n: t.seq,
            name: t.name,
            id_number: t.id_number,
            phone: t.phone,
        })
    }
}
