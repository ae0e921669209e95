//! Cadre records: the file of a person's performance at the front line.

use super::*;
use dualtrack_store::decode;

impl App {
    /// Records an observation, commendation or assessment of a cadre (organization
    /// department only).
    pub async fn record_cadre(
        &self,
        actor: &Actor,
        person_id: i64,
        input: &CadreRecordInput,
    ) -> ServiceResult<CadreFile> {
        self.require(
            actor,
            Permission::WriteCadreRecords,
            "一线考察",
            &person_id.to_string(),
        )
        .await?;
        let person = self.person_in_scope(actor, person_id).await?;
        let kind = CadreRecordKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid("kind", format!("考察记录类型“{}”无效", input.kind))
        })?;
        let recorded_on = parse_date("recorded_on", &input.recorded_on)?;
        let content = required("content", "考察内容", &input.content, 2000)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_cadre_record(
            &mut tx,
            person_id,
            kind.as_str(),
            recorded_on,
            &content,
            &actor.username,
            self.clock.now(),
        )
        .await?;
        let row = actor.audit(
            Action::CadreRecord,
            Outcome::Success,
            "一线考察",
            id.to_string(),
            Some(person.jurisdiction_code.clone()),
            format!("{}：{}", person.name, kind.zh()),
        );
        commit_audited(tx, &row).await?;
        self.cadre_file(actor, person_id).await
    }

    /// A cadre's deployments and front-line record: only the organization department and
    /// the cadre's own chain of command (leaders over the cadre's place) may read it.
    pub async fn cadre_file(&self, actor: &Actor, person_id: i64) -> ServiceResult<CadreFile> {
        self.require(
            actor,
            Permission::ReadCadreRecords,
            "一线考察",
            &person_id.to_string(),
        )
        .await?;
        let p = self.person_in_scope(actor, person_id).await?;
        let cats = self
            .categories(&[person_id])
            .await?
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        let deployments =
            store::list_deployments(&self.db, &actor.scope, Some(person_id), None, None, 500, 0)
                .await?
                .into_iter()
                .map(deployment_view)
                .collect();
        let records = store::cadre_records(&self.db, person_id)
            .await?
            .into_iter()
            .map(|r| {
                let kind = decode("cadre_records", "kind", &r.kind, CadreRecordKind::parse)?;
                Ok(CadreRecordView {
                    id: r.id,
                    kind,
                    kind_name: kind.zh().into(),
                    recorded_on: r.recorded_on,
                    content: r.content,
                    recorded_by: r.recorded_by,
                })
            })
            .collect::<ServiceResult<_>>()?;
        Ok(CadreFile {
            person: person_view(p, cats),
            deployments,
            records,
        })
    }
}
