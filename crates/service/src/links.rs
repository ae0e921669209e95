//! Whether the caller may open a record a page links to, asked before the link is shown:
//! read-only, and not audited (the record is not read, only where it lives). A page shows
//! a link only to what its viewer can use.

use crate::{Actor, App, ServiceResult};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::role::Permission;
use std::collections::HashSet;

impl App {
    /// Of the people `ids`, those whose page the caller may open (registered within its
    /// jurisdiction). People deployed into a place may be registered elsewhere.
    pub async fn people_the_caller_may_open(
        &self,
        actor: &Actor,
        ids: &[i64],
    ) -> ServiceResult<HashSet<i64>> {
        let mut out = HashSet::new();
        if !actor.can(Permission::ReadMobilisation) {
            return Ok(out);
        }
        for &id in ids {
            if out.contains(&id) {
                continue;
            }
            let Some(p) = dualtrack_store::mobilisation::person(&self.db, id).await? else {
                continue;
            };
            let inside = Code::parse(&p.jurisdiction_code)
                .map(|c| actor.is_cli || actor.scope.contains(&c))
                .unwrap_or(false);
            if inside {
                out.insert(id);
            }
        }
        Ok(out)
    }
}
