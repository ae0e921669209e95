//! Spreadsheet exports of mobilisation records: people (masked unless the caller asks to
//! unmask, audited), organisations and deployments.

use super::import::{DEPLOYMENT_COLUMNS, EXPORT_LIMIT, ORG_COLUMNS, PEOPLE_COLUMNS};
use super::{DeploymentQuery, OrgQuery, PeopleQuery};
use crate::actor::audit_in;
use crate::spreadsheet;
use crate::{Actor, App, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::role::Permission;
use dualtrack_store::mobilisation as store;
use std::collections::HashMap;

impl App {
    /// The people of a filtered list as an xlsx file: masked, unless `unmask` (audited).
    pub async fn export_people(
        &self,
        actor: &Actor,
        q: &PeopleQuery,
        unmask: bool,
    ) -> ServiceResult<Vec<u8>> {
        if unmask {
            self.require_unmask(actor, Permission::ReadMobilisation, "人员", "export")
                .await?;
        }
        let (rows, _) = self.query_people(actor, q, EXPORT_LIMIT, 0).await?;
        let full: HashMap<i64, (String, Option<String>)> = if unmask {
            let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
            let mut full = HashMap::new();
            for (id, n, ph) in store::people_by_ids(&self.db, &ids).await? {
                full.insert(
                    id,
                    (self.crypto.open(&n)?, self.crypto.open_opt(ph.as_deref())?),
                );
            }
            full
        } else {
            HashMap::new()
        };
        let table: Vec<Vec<String>> = rows
            .iter()
            .map(|p| {
                let (id_number, phone) = match full.get(&p.id) {
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
            })
            .collect();
        let bytes = spreadsheet::write("人员", PEOPLE_COLUMNS, &table, "")?;
        let mut tx = self.db.begin().await?;
        let detail = format!(
            "导出人员 {} 人{}",
            table.len(),
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
        Ok(bytes)
    }

    /// Writes an export and its audit row.
    pub(crate) async fn audited_export(
        &self,
        actor: &Actor,
        kind: &str,
        sheet: &str,
        columns: &[(&str, bool)],
        table: Vec<Vec<String>>,
    ) -> ServiceResult<Vec<u8>> {
        let bytes = spreadsheet::write(sheet, columns, &table, "")?;
        self.audit_export(actor, kind, format!("导出{kind} {} 条", table.len()))
            .await?;
        Ok(bytes)
    }

    /// The organisations of a filtered list as an xlsx file.
    pub async fn export_organisations(
        &self,
        actor: &Actor,
        q: &OrgQuery,
    ) -> ServiceResult<Vec<u8>> {
        let rows = self.query_orgs(actor, q, EXPORT_LIMIT, 0).await?;
        let table = rows
            .into_iter()
            .map(|o| {
                vec![
                    o.kind_name,
                    o.name,
                    o.jurisdiction_code,
                    o.site_kind.map(|k| k.zh().to_string()).unwrap_or_default(),
                    o.site_name.unwrap_or_default(),
                    o.established_on.to_string(),
                    o.dissolved_on.map(|d| d.to_string()).unwrap_or_default(),
                    o.member_count.to_string(),
                ]
            })
            .collect();
        let mut columns = ORG_COLUMNS[..7].to_vec();
        columns.push(("成员人数", false));
        self.audited_export(actor, "组织", "组织", &columns, table)
            .await
    }

    /// The deployments of a filtered list (of a person, or on duty on a day) as xlsx.
    pub async fn export_deployments(
        &self,
        actor: &Actor,
        q: &DeploymentQuery,
    ) -> ServiceResult<Vec<u8>> {
        let rows = self.query_deployments(actor, q, EXPORT_LIMIT, 0).await?;
        let table = rows
            .into_iter()
            .map(|d| {
                vec![
                    d.person_name,
                    d.jurisdiction_code,
                    d.site_kind.map(|k| k.zh().to_string()).unwrap_or_default(),
                    d.site_name.or(d.org_name).unwrap_or_default(),
                    d.role,
                    d.start_on.to_string(),
                    d.end_on.map(|e| e.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        let mut columns = vec![("姓名", true)];
        columns.extend_from_slice(&DEPLOYMENT_COLUMNS[1..]);
        self.audited_export(actor, "派驻", "派驻", &columns, table)
            .await
    }
}
