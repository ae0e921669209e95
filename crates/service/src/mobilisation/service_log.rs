//! Service logged under a community registration, and a person's registrations.

use super::*;

impl App {
    pub(super) async fn registration_in_scope(
        &self,
        actor: &Actor,
        id: i64,
    ) -> ServiceResult<(i64, String, Option<String>)> {
        let row = store::registration(&self.db, id).await?;
        self.own(actor, "社区报到", id, row, |r| &r.1).await
    }

    pub async fn service_record(
        &self,
        actor: &Actor,
        registration: i64,
    ) -> ServiceResult<ServiceRecord> {
        self.require(
            actor,
            Permission::ReadMobilisation,
            "社区报到",
            &registration.to_string(),
        )
        .await?;
        let (person_id, community_code, grid_code) =
            self.registration_in_scope(actor, registration).await?;
        let logs: Vec<ServiceLogView> = store::service_logs(&self.db, registration)
            .await?
            .into_iter()
            .map(|l| ServiceLogView {
                id: l.id,
                served_on: l.served_on,
                hours: l.hours,
                description: l.description,
            })
            .collect();
        let total_hours = logs.iter().map(|l| l.hours).sum();
        Ok(ServiceRecord {
            registration_id: registration,
            person_id,
            community_code,
            grid_code,
            total_hours,
            logs,
        })
    }

    /// Logs service given by a party member registered with a community.
    pub async fn log_service(
        &self,
        actor: &Actor,
        registration: i64,
        input: &ServiceLogInput,
    ) -> ServiceResult<Written<ServiceRecord>> {
        self.once(
            actor,
            "service_log",
            &input.idempotency_key,
            &(registration, input),
            |claim| self.write_log_service(actor, registration, input, claim),
            |_| self.service_record(actor, registration),
        )
        .await
    }

    pub(super) async fn write_log_service(
        &self,
        actor: &Actor,
        registration: i64,
        input: &ServiceLogInput,
        claim: Option<Claim>,
    ) -> ServiceResult<ServiceRecord> {
        self.require(
            actor,
            Permission::ManageMobilisation,
            "社区报到",
            &registration.to_string(),
        )
        .await?;
        let (_, community, _) = self.registration_in_scope(actor, registration).await?;
        let served_on = parse_date("served_on", &input.served_on)?;
        if !(1..=24).contains(&input.hours) {
            return Err(ServiceError::invalid("hours", "服务时长应为 1 到 24 小时"));
        }
        let description = required("description", "服务内容", &input.description, 200)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_service_log(
            &mut tx,
            registration,
            served_on,
            input.hours,
            &description,
            self.clock.now(),
        )
        .await?;
        let detail = format!("{served_on} {} 小时：{description}", input.hours);
        let audit = actor.audit(
            Action::ServiceLog,
            Outcome::Success,
            "社区报到",
            id.to_string(),
            Some(community),
            detail,
        );
        commit_created(tx, claim.as_ref(), id, &audit).await?;
        self.service_record(actor, registration).await
    }
}

impl App {
    /// A person's community registrations, each with the service logged under it.
    pub async fn registrations_of(
        &self,
        actor: &Actor,
        person_id: i64,
    ) -> ServiceResult<Vec<ServiceRecord>> {
        self.require(
            actor,
            Permission::ReadMobilisation,
            "社区报到",
            &person_id.to_string(),
        )
        .await?;
        self.person_in_scope(actor, person_id).await?;
        let mut out = Vec::new();
        for id in store::registrations_of(&self.db, person_id).await? {
            // A registration in a community outside the caller's scope is not shown.
            if let Ok(r) = self.service_record(actor, id).await {
                out.push(r);
            }
        }
        Ok(out)
    }
}
