//! Roles and what each may do.
//!
//! The three administrative roles are kept apart (三员分立): the system administrator runs
//! the tree and the system, the security administrator runs accounts and grants roles, the
//! auditor reads the audit log. No account holds two of them, so no account can both grant
//! roles and touch the audit log.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: jurisdiction tree, region import, grids, system settings.
    SysAdmin,
    /// 安全管理员: accounts, roles, passwords, locks.
    SecAdmin,
    /// 审计员: reads the audit log.
    Auditor,
    /// 领导: reads everything in its subtree.
    Leader,
    /// 操作员: reads and writes in its subtree.
    Operator,
    /// 网格员: reads and writes in its grids.
    GridWorker,
    /// 企业联络员: its enterprises.
    EnterpriseLiaison,
    /// 部门响应人: its department's tickets.
    DeptResponder,
    /// 组织部门: mobilisation, cadre records.
    OrgDept,
    /// 卡口工作人员: registers passages at the checkpoints assigned to it, and only there.
    CheckpointWorker,
}

/// What a caller wants to do; each role grants some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the jurisdiction tree and the work records of the subtree.
    ReadTree,
    /// Create and edit grids.
    ManageGrids,
    /// Import divisions from the national codes.
    ImportRegions,
    /// Create accounts, grant roles, reset passwords, lock and unlock.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Read people, organisations and deployments (masked).
    ReadMobilisation,
    /// Register people, set up organisations, deploy, approve applications.
    ManageMobilisation,
    /// See an ID number or phone in full (audited each time).
    Unmask,
    /// Write front-line records on cadres.
    WriteCadreRecords,
    /// Read front-line records on cadres (also the cadre's chain of command).
    ReadCadreRecords,
    /// Read enterprises, their reports and the resumption rates.
    ReadResumption,
    /// Register enterprises and set exclusions from the count.
    ManageEnterprises,
    /// File an enterprise's daily operating report.
    FileReports,
    /// Read grids, screening (masked), rounds, risk areas and grid reports.
    ReadGridWork,
    /// Screen households and persons, record publicity and stability work, file grid reports.
    WriteGridWork,
    /// Set the risk areas the risk class of screened persons is derived from.
    ManageRiskAreas,
    /// Read checkpoints, their shifts, passages (masked) and counts.
    ReadCheckpoints,
    /// Register a passage at a checkpoint.
    RegisterPassages,
    /// Set up checkpoints and their shifts, assign staff to them.
    ManageCheckpoints,
    /// Read quarantine and health monitoring cases (masked), follow-ups, alerts and figures.
    ReadMonitoring,
    /// Open monitoring cases, record follow-ups, release.
    ManageMonitoring,
    /// Read whistle tickets of the subtree (a department's responders: their department's).
    ReadTickets,
    /// Blow the whistle: raise a ticket, confirm or reject its resolution and rate it.
    RaiseTickets,
    /// Report (accept) and resolve tickets that call the caller's department.
    RespondTickets,
    /// Set up departments, their members, routing rules and webhooks.
    ManageWhistle,
    /// Read the whistle figures: response and resolution times, overdue rate, satisfaction.
    ReadWhistleFigures,
    /// Read supplies: stores, balances, movements, needs, requests, deliveries, shortfalls,
    /// low-stock warnings and spring-farming progress.
    ReadSupplies,
    /// Record receipts, issues, transfers and adjustments at a store; confirm arrivals.
    MoveStock,
    /// Set up stores, declare needs, request from and allocate to other levels, keep the
    /// spring-farming plans and progress.
    ManageSupplies,
    /// Add items to the supplies catalogue.
    ManageCatalogue,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::SysAdmin,
        Role::SecAdmin,
        Role::Auditor,
        Role::Leader,
        Role::Operator,
        Role::GridWorker,
        Role::EnterpriseLiaison,
        Role::DeptResponder,
        Role::OrgDept,
        Role::CheckpointWorker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SysAdmin => "sys_admin",
            Role::SecAdmin => "sec_admin",
            Role::Auditor => "auditor",
            Role::Leader => "leader",
            Role::Operator => "operator",
            Role::GridWorker => "grid_worker",
            Role::EnterpriseLiaison => "enterprise_liaison",
            Role::DeptResponder => "dept_responder",
            Role::OrgDept => "org_dept",
            Role::CheckpointWorker => "checkpoint_worker",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Role::SysAdmin => "系统管理员",
            Role::SecAdmin => "安全管理员",
            Role::Auditor => "审计员",
            Role::Leader => "领导",
            Role::Operator => "操作员",
            Role::GridWorker => "网格员",
            Role::EnterpriseLiaison => "企业联络员",
            Role::DeptResponder => "部门响应人",
            Role::OrgDept => "组织部门",
            Role::CheckpointWorker => "卡口工作人员",
        }
    }

    /// Accepts the English identifier or the Chinese name.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.zh() == s || r.as_str().replace('_', "-") == s)
    }

    pub fn is_administrative(self) -> bool {
        matches!(self, Role::SysAdmin | Role::SecAdmin | Role::Auditor)
    }

    /// What each role may do with whistle tickets (吹哨报到): grid workers, operators and
    /// enterprise liaisons raise; department responders accept and resolve within their
    /// department; leaders and operators see the figures; operators and the system
    /// administrator set up departments, routing rules and webhooks. `None` for any other
    /// permission.
    fn whistle_grant(self, p: Permission) -> Option<bool> {
        use Permission::*;
        let g = match p {
            ReadTickets => matches!(
                self,
                Role::Leader
                    | Role::Operator
                    | Role::GridWorker
                    | Role::EnterpriseLiaison
                    | Role::DeptResponder
            ),
            RaiseTickets => matches!(
                self,
                Role::Operator | Role::GridWorker | Role::EnterpriseLiaison
            ),
            RespondTickets => self == Role::DeptResponder,
            ManageWhistle => matches!(self, Role::Operator | Role::SysAdmin),
            ReadWhistleFigures => matches!(self, Role::Leader | Role::Operator),
            _ => return None,
        };
        Some(g)
    }

    pub fn grants(self, p: Permission) -> bool {
        use Permission::*;
        if let Some(g) = self.whistle_grant(p) {
            return g;
        }
        match self {
            Role::SysAdmin => matches!(p, ReadTree | ManageGrids | ImportRegions | ManageCatalogue),
            Role::SecAdmin => matches!(p, ReadTree | ManageUsers),
            Role::Auditor => matches!(p, ReadTree | ReadAudit),
            Role::Leader => matches!(
                p,
                ReadTree
                    | ReadGridWork
                    | ReadMobilisation
                    | ReadCadreRecords
                    | ReadResumption
                    | ReadCheckpoints
                    | ReadMonitoring
                    | ReadSupplies
            ),
            Role::Operator => matches!(
                p,
                ReadTree
                    | ManageGrids
                    | ReadMobilisation
                    | ManageMobilisation
                    | Unmask
                    | ReadResumption
                    | ManageEnterprises
                    | FileReports
                    | ReadGridWork
                    | WriteGridWork
                    | ManageRiskAreas
                    | ReadCheckpoints
                    | RegisterPassages
                    | ManageCheckpoints
                    | ReadMonitoring
                    | ManageMonitoring
                    | ReadSupplies
                    | MoveStock
                    | ManageSupplies
            ),
            Role::GridWorker => {
                matches!(
                    p,
                    ReadTree
                        | ReadMobilisation
                        | ReadGridWork
                        | WriteGridWork
                        | ReadMonitoring
                        | ManageMonitoring
                        | ReadSupplies
                        | MoveStock
                )
            }
            Role::OrgDept => matches!(
                p,
                ReadTree
                    | ReadMobilisation
                    | ManageMobilisation
                    | Unmask
                    | WriteCadreRecords
                    | ReadCadreRecords
            ),
            Role::EnterpriseLiaison => matches!(p, ReadTree | ReadResumption | FileReports),
            Role::DeptResponder => matches!(p, ReadTree),
            Role::CheckpointWorker => matches!(p, ReadTree | ReadCheckpoints | RegisterPassages),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a set of roles for one account: at least one, no repeats, and at most one of
/// the three administrative roles.
pub fn check_role_set(roles: &[Role]) -> Result<(), String> {
    if roles.is_empty() {
        return Err("至少需要一个角色".into());
    }
    let admin: Vec<&str> = roles
        .iter()
        .filter(|r| r.is_administrative())
        .map(|r| r.zh())
        .collect();
    if admin.len() > 1 {
        return Err(format!(
            "系统管理员、安全管理员、审计员三员分立，同一账户不能兼任：{}",
            admin.join("、")
        ));
    }
    if admin.len() == 1 && roles.len() > 1 {
        return Err(format!("{}账户不能兼任业务角色", admin[0]));
    }
    Ok(())
}

/// Whether any of `roles` grants `p`.
pub fn any_grants(roles: &[Role], p: Permission) -> bool {
    roles.iter().any(|r| r.grants(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrative_roles_are_separate() {
        assert!(check_role_set(&[Role::SecAdmin, Role::Auditor]).is_err());
        assert!(check_role_set(&[Role::SysAdmin, Role::Leader]).is_err());
        assert!(check_role_set(&[Role::Leader, Role::Operator]).is_ok());
        assert!(check_role_set(&[]).is_err());
        // No single role both grants roles and reads the audit log.
        for r in Role::ALL {
            assert!(!(r.grants(Permission::ManageUsers) && r.grants(Permission::ReadAudit)));
        }
    }

    #[test]
    fn parses_both_names() {
        assert_eq!(Role::parse("grid_worker"), Some(Role::GridWorker));
        assert_eq!(Role::parse("grid-worker"), Some(Role::GridWorker));
        assert_eq!(Role::parse("审计员"), Some(Role::Auditor));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn monitoring_is_read_by_leaders_and_kept_by_operators_and_grid_workers() {
        use Permission::{ManageMonitoring, ReadMonitoring};
        for r in [Role::Leader, Role::Operator, Role::GridWorker] {
            assert!(r.grants(ReadMonitoring), "{r}");
        }
        assert!(!Role::Leader.grants(ManageMonitoring));
        assert!(Role::Operator.grants(ManageMonitoring));
        assert!(Role::GridWorker.grants(ManageMonitoring));
        assert!(!Role::GridWorker.grants(Permission::Unmask));
        for r in [
            Role::SysAdmin,
            Role::SecAdmin,
            Role::Auditor,
            Role::EnterpriseLiaison,
            Role::DeptResponder,
            Role::OrgDept,
            Role::CheckpointWorker,
        ] {
            assert!(
                !r.grants(ReadMonitoring) && !r.grants(ManageMonitoring),
                "{r}"
            );
        }
    }

    #[test]
    fn checkpoint_worker_registers_but_neither_manages_nor_unmasks() {
        let w = Role::CheckpointWorker;
        assert_eq!(Role::parse("checkpoint_worker"), Some(w));
        assert_eq!(Role::parse("卡口工作人员"), Some(w));
        assert!(w.grants(Permission::ReadCheckpoints) && w.grants(Permission::RegisterPassages));
        assert!(!w.grants(Permission::ManageCheckpoints));
        assert!(!w.grants(Permission::Unmask));
        assert!(!w.grants(Permission::ReadMobilisation));
        assert!(Role::Leader.grants(Permission::ReadCheckpoints));
        assert!(!Role::Leader.grants(Permission::RegisterPassages));
    }

    #[test]
    fn supplies_are_read_by_leaders_moved_by_operators_and_grid_workers() {
        use Permission::{ManageCatalogue, ManageSupplies, MoveStock, ReadSupplies};
        assert!(Role::Leader.grants(ReadSupplies) && !Role::Leader.grants(MoveStock));
        assert!(Role::Operator.grants(MoveStock) && Role::Operator.grants(ManageSupplies));
        assert!(Role::GridWorker.grants(MoveStock) && !Role::GridWorker.grants(ManageSupplies));
        assert!(Role::SysAdmin.grants(ManageCatalogue) && !Role::SysAdmin.grants(MoveStock));
        assert!(!Role::Operator.grants(ManageCatalogue));
    }

    #[test]
    fn whistle_is_raised_below_answered_by_departments_and_read_above() {
        use Permission::*;
        assert!(Role::GridWorker.grants(RaiseTickets));
        assert!(!Role::GridWorker.grants(RespondTickets));
        assert!(Role::DeptResponder.grants(RespondTickets));
        assert!(Role::DeptResponder.grants(ReadTickets));
        assert!(!Role::DeptResponder.grants(RaiseTickets));
        assert!(Role::Leader.grants(ReadWhistleFigures));
        assert!(!Role::Leader.grants(RaiseTickets));
        assert!(!Role::Auditor.grants(ReadTickets));
        assert!(Role::SysAdmin.grants(ManageWhistle) && !Role::SysAdmin.grants(ReadTickets));
    }

    #[test]
    fn leader_only_reads() {
        assert!(Role::Leader.grants(Permission::ReadTree));
        assert!(!Role::Leader.grants(Permission::ManageGrids));
    }
}
