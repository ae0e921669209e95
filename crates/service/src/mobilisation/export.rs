//! Spreadsheet exports of mobilisation records: people (masked unless the caller asks to
//! unmask, audited), organisations and deployments. Each is written as it is read, in
//! batches, from the standby when one is configured (see [`crate::export_file`]).

use super::import::{DEPLOYMENT_COLUMNS, ORG_COLUMNS, PEOPLE_COLUMNS};
use super::{DeploymentQuery, DeploymentView, OrgQuery, OrgView, PeopleQuery, PersonView};
use crate::actor::audit_in;
use crate::export_file::{ExportFile, SheetStream};
use crate::{Actor, App, ServiceResult};
use chrono::NaiveDate;
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::Scope;
use dualtrack_domain::role::Permission;
use dualtrack_store::mobilisation as store;
use dualtrack_store::mobilisation::PeopleFilter;
use std::collections::HashMap;

/// The cells of a person's row: masked, or with the ID number and phone in `full`.
fn person_cells(p: &PersonView, full: Option<&(String, Option<String>)>) -> Vec<String> {
    let (id_number, phone) = match full {
        Some((n, ph)) => (n.clone(), ph.clone().unwrap_or_default()),
        None => (p.id_number.clone(), p.phone.clone().unwrap_or_default()),
    };
    vec![
        p.name.clone(),
        id_number,
        phone,
        p.political_status.zh().to_string(),
        p.categories
            .iter()
            .map(|c| c.zh())
            .collect::<Vec<_>>()
            .join("、"),
        p.jurisdiction_code.clone(),
        p.employer.clone().unwrap_or_default(),
    ]
}

impl App {
    /// The people of a filtered list as an xlsx file, every one of them: masked, unless
    /// `unmask` (audited).
    pub async fn export_people(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
        unmask: bool,
    ) -> ServiceResult<ExportFile> {
        if unmask {
            self.require_unmask(actor, Permission::ReadMobilisation, "人员", "export")
                .await?;
        }
        let (scope, f) = self.people_filter(actor, q).await?;
        let (scope, f) = (&scope, &f);
        let file = self
            .on_reader(|app| async move { app.people_sheet(scope, f, unmask).await })
            .await?;
        let mut tx = self.writer().begin().await?;
        let detail = format!(
            "导出人员 {} 人{}",
            file.rows(),
            if unmask {
                "（明文）"
            } else {
                "（脱敏）"
            }
        );
        audit_in(
            &mut tx,
            &actor.audit(
                Action::Export,
                Outcome::Success,
                "人员",
                "xlsx",
                None,
                detail.clone(),
            ),
        )
        .await?;
        if unmask {
            audit_in(
                &mut tx,
                &actor.audit(
                    Action::Unmask,
                    Outcome::Success,
                    "人员",
                    "xlsx",
                    None,
                    detail,
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(file)
    }

    async fn people_sheet(
        &self,
        scope: &Scope,
        f: &PeopleFilter,
        unmask: bool,
    ) -> ServiceResult<ExportFile> {
        let mut sheet = SheetStream::new("人员", PEOPLE_COLUMNS)?;
        self.write_batches(
            &mut sheet,
            |after: Option<(String, i64)>, limit| async move {
                let after = after.as_ref().map(|(c, i)| (c.as_str(), *i));
                let rows = self.people_views(scope, f, after, limit, 0).await?;
                let mut full = HashMap::new();
                if unmask {
                    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
                    for (id, n, ph) in store::people_by_ids(&self.db, &ids).await? {
                        full.insert(
                            id,
                            (self.crypto.open(&n)?, self.crypto.open_opt(ph.as_deref())?),
                        );
                    }
                }
                Ok(rows
                    .iter()
                    .map(|p| {
                        let key = (p.jurisdiction_code.clone(), p.id);
                        (key, person_cells(p, full.get(&p.id)))
                    })
                    .collect())
            },
        )
        .await?;
        sheet.finish().await
    }

    /// The organisations of a filtered list as an xlsx file, every one of them.
    pub async fn export_organisations(
        &self,
        actor: &Actor,
        q: &OrgQuery,
    ) -> ServiceResult<ExportFile> {
        self.require(actor, Permission::ReadMobilisation, "组织", "list")
            .await?;
        let mut columns = ORG_COLUMNS[..7].to_vec();
        columns.push(("成员人数", false));
        self.streamed_export(
            actor,
            "组织",
            &columns,
            |app, after: Option<(String, i64)>, limit| async move {
                let after = after.as_ref().map(|(c, i)| (c.as_str(), *i));
                let rows = app.query_orgs(actor, q, after, limit, 0).await?;
                Ok(rows.into_iter().map(org_cells).collect())
            },
        )
        .await
    }

    /// The deployments of a filtered list (of a person, or on duty on a day) as xlsx, every
    /// one of them.
    pub async fn export_deployments(
        &self,
        actor: &Actor,
        q: &DeploymentQuery,
    ) -> ServiceResult<ExportFile> {
        self.require(actor, Permission::ReadMobilisation, "派驻", "list")
            .await?;
        let mut columns = vec![("姓名", true)];
        columns.extend_from_slice(&DEPLOYMENT_COLUMNS[1..]);
        self.streamed_export(
            actor,
            "派驻",
            &columns,
            |app, after: Option<(NaiveDate, i64)>, limit| async move {
                let rows = app.query_deployments(actor, q, after, limit, 0).await?;
                Ok(rows.into_iter().map(deployment_cells).collect())
            },
        )
        .await
    }
}

/// An organisation's row, with its key in the list's order.
fn org_cells(o: OrgView) -> ((String, i64), Vec<String>) {
    let key = (o.jurisdiction_code.clone(), o.id);
    let cells = vec![
        o.kind_name,
        o.name,
        o.jurisdiction_code,
        o.site_kind.map(|k| k.zh().to_string()).unwrap_or_default(),
        o.site_name.unwrap_or_default(),
        o.established_on.to_string(),
        o.dissolved_on.map(|d| d.to_string()).unwrap_or_default(),
        o.member_count.to_string(),
    ];
    (key, cells)
}

/// A deployment's row, with its key in the list's order (latest first).
fn deployment_cells(d: DeploymentView) -> ((NaiveDate, i64), Vec<String>) {
    let key = (d.start_on, d.id);
    let cells = vec![
        d.person_name,
        d.jurisdiction_code,
        d.site_kind.map(|k| k.zh().to_string()).unwrap_or_default(),
        d.site_name.or(d.org_name).unwrap_or_default(),
        d.role,
        d.start_on.to_string(),
        d.end_on.map(|e| e.to_string()).unwrap_or_default(),
    ];
    (key, cells)
}
