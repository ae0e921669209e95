//! The mobilisation figures of a place.

use super::*;

impl App {
    /// The figures of mobilisation in the actor's scope as of the end of a day.
    pub async fn mobilisation_figures(
        &self,
        actor: &Actor,
        raw_as_of: &str,
    ) -> ServiceResult<MobilisationFigures> {
        self.require(actor, Permission::ReadMobilisation, "组织动员", "figures")
            .await?;
        let as_of = parse_date("as_of", raw_as_of)?;
        let organisations = store::count_orgs(&self.db, &actor.scope, as_of, 6)
            .await?
            .into_iter()
            .filter_map(|(k, place, count)| {
                OrgKind::parse(&k).map(|kind| OrgCount {
                    kind,
                    kind_name: kind.zh().into(),
                    county_code: place,
                    count,
                })
            })
            .collect();
        let on_duty = store::count_on_duty(&self.db, &actor.scope, as_of).await?;
        let (returned, returned_early) =
            store::count_returns(&self.db, &actor.scope, as_of).await?;
        let apps = store::count_applications(&self.db, &actor.scope, as_of).await?;
        let applications = apps.iter().map(|(_, n)| n).sum();
        let applications_approved = apps
            .iter()
            .filter(|(s, _)| s == "approved")
            .map(|(_, n)| n)
            .sum();
        let registrations = store::count_registrations(&self.db, &actor.scope, as_of).await?;
        Ok(MobilisationFigures {
            as_of,
            organisations,
            on_duty,
            returned,
            returned_early,
            applications,
            applications_approved,
            registrations,
        })
    }
}
