//! What the audit log records: the table of actions and their outcomes.
//!
//! Every write, every login and failed login, every permission refusal and every unmasking
//! of personal data is one row, written in the same transaction as the change it records.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every action the audit log knows, with its Chinese label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Action {
    #[serde(rename = "auth.login")]
    Login,
    #[serde(rename = "auth.login_failed")]
    LoginFailed,
    #[serde(rename = "auth.logout")]
    Logout,
    #[serde(rename = "auth.denied")]
    Denied,
    #[serde(rename = "region.import")]
    RegionImport,
    #[serde(rename = "grid.create")]
    GridCreate,
    #[serde(rename = "user.create")]
    UserCreate,
    #[serde(rename = "user.roles")]
    UserRoles,
    #[serde(rename = "user.password")]
    UserPassword,
    #[serde(rename = "user.second_factor_begin")]
    SecondFactorBegin,
    #[serde(rename = "user.second_factor")]
    SecondFactorEnrol,
    #[serde(rename = "user.second_factor_reset")]
    SecondFactorReset,
    #[serde(rename = "user.token_create")]
    TokenCreate,
    #[serde(rename = "user.token_revoke")]
    TokenRevoke,
    #[serde(rename = "user.lock")]
    UserLock,
    #[serde(rename = "user.unlock")]
    UserUnlock,
    #[serde(rename = "personal.unmask")]
    Unmask,
    #[serde(rename = "system.backup")]
    Backup,
    #[serde(rename = "system.restore")]
    Restore,
    #[serde(rename = "system.demo")]
    DemoLoad,
    #[serde(rename = "system.demo_clock")]
    DemoClock,
    #[serde(rename = "system.demo_rewind")]
    DemoRewind,
    #[serde(rename = "person.register")]
    PersonRegister,
    #[serde(rename = "org.create")]
    OrgCreate,
    #[serde(rename = "org.member")]
    OrgMember,
    #[serde(rename = "deployment.create")]
    Deploy,
    #[serde(rename = "deployment.end")]
    DeploymentEnd,
    #[serde(rename = "return.record")]
    ReturnToPost,
    #[serde(rename = "application.submit")]
    ApplicationSubmit,
    #[serde(rename = "application.decide")]
    ApplicationDecide,
    #[serde(rename = "registration.create")]
    CommunityRegister,
    #[serde(rename = "cadre_record.create")]
    CadreRecord,
    #[serde(rename = "import")]
    Import,
    #[serde(rename = "export")]
    Export,
    #[serde(rename = "campaign.create")]
    CampaignCreate,
    #[serde(rename = "campaign.send")]
    CampaignSend,
    #[serde(rename = "document.create")]
    DocumentCreate,
    #[serde(rename = "service_log.create")]
    ServiceLog,
    #[serde(rename = "enterprise.create")]
    EnterpriseCreate,
    #[serde(rename = "enterprise.exclude")]
    EnterpriseExclude,
    #[serde(rename = "report.file")]
    ReportFile,
    #[serde(rename = "filing.submit")]
    FilingSubmit,
    #[serde(rename = "filing.approve")]
    FilingApprove,
    #[serde(rename = "filing.return")]
    FilingReturn,
    #[serde(rename = "work_group.assign")]
    WorkGroupAssign,
    #[serde(rename = "visit.record")]
    VisitRecord,
    #[serde(rename = "problem.raise")]
    ProblemRaise,
    #[serde(rename = "problem.resolve")]
    ProblemResolve,
    #[serde(rename = "project.create")]
    ProjectCreate,
    #[serde(rename = "project.start")]
    ProjectStart,
    #[serde(rename = "project.progress")]
    ProjectProgress,
    #[serde(rename = "plant.create")]
    PlantCreate,
    #[serde(rename = "plant.output")]
    PlantOutput,
    #[serde(rename = "plant.shipment")]
    PlantShipment,
    #[serde(rename = "checkpoint.create")]
    CheckpointCreate,
    #[serde(rename = "checkpoint.shift")]
    CheckpointShift,
    #[serde(rename = "passage.register")]
    PassageRegister,
    #[serde(rename = "supply_item.create")]
    SupplyItemCreate,
    #[serde(rename = "supply_store.create")]
    SupplyStoreCreate,
    #[serde(rename = "stock.move")]
    StockMove,
    #[serde(rename = "supply_need.declare")]
    SupplyNeedDeclare,
    #[serde(rename = "supply_request.submit")]
    SupplyRequest,
    #[serde(rename = "supply_request.decline")]
    SupplyRequestDecline,
    #[serde(rename = "supply_allocation.create")]
    SupplyAllocate,
    #[serde(rename = "supply_delivery.receive")]
    SupplyReceive,
    #[serde(rename = "farm_plan.set")]
    FarmPlanSet,
    #[serde(rename = "farm_progress.report")]
    FarmProgressReport,
    #[serde(rename = "grid.member")]
    GridMember,
    #[serde(rename = "household.create")]
    HouseholdCreate,
    #[serde(rename = "household.visit")]
    HouseholdVisit,
    #[serde(rename = "screening.record")]
    ScreeningRecord,
    #[serde(rename = "risk_area.set")]
    RiskAreaSet,
    #[serde(rename = "screening_round.create")]
    ScreeningRoundCreate,
    #[serde(rename = "publicity.record")]
    PublicityRecord,
    #[serde(rename = "stability.record")]
    StabilityRecord,
    #[serde(rename = "grid_report.file")]
    GridReportFile,
    #[serde(rename = "ticket.raise")]
    TicketRaise,
    #[serde(rename = "ticket.accept")]
    TicketAccept,
    #[serde(rename = "ticket.resolve")]
    TicketResolve,
    #[serde(rename = "ticket.confirm")]
    TicketConfirm,
    #[serde(rename = "ticket.reject")]
    TicketReject,
    #[serde(rename = "ticket.escalate")]
    TicketEscalate,
    #[serde(rename = "ticket.attach")]
    TicketAttach,
    #[serde(rename = "department.create")]
    DepartmentCreate,
    #[serde(rename = "department.member")]
    DepartmentMember,
    #[serde(rename = "routing_rule.set")]
    RoutingRuleSet,
    #[serde(rename = "webhook.create")]
    WebhookCreate,
    #[serde(rename = "webhook.test")]
    WebhookTest,
    #[serde(rename = "channel.event")]
    ChannelEvent,
    #[serde(rename = "notice.read")]
    NoticeRead,
    #[serde(rename = "monitoring.create")]
    MonitoringCreate,
    #[serde(rename = "monitoring.followup")]
    MonitoringFollowup,
    #[serde(rename = "monitoring.release")]
    MonitoringRelease,
    #[serde(rename = "handover.acknowledge")]
    HandoverAcknowledge,
    #[serde(rename = "handover.forward")]
    HandoverForward,
    #[serde(rename = "monitoring.resume")]
    MonitoringResume,
    #[serde(rename = "retention.erase")]
    RetentionErase,
    #[serde(rename = "checkpoint.staff")]
    CheckpointStaff,
    #[serde(rename = "audit.archive")]
    AuditArchive,
    #[serde(rename = "keys.reseal")]
    KeysReseal,
}

impl Action {
    pub const ALL: [Action; 100] = [
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::Denied,
        Action::RegionImport,
        Action::GridCreate,
        Action::UserCreate,
        Action::UserRoles,
        Action::UserPassword,
        Action::SecondFactorBegin,
        Action::SecondFactorEnrol,
        Action::SecondFactorReset,
        Action::TokenCreate,
        Action::TokenRevoke,
        Action::UserLock,
        Action::UserUnlock,
        Action::Unmask,
        Action::Backup,
        Action::Restore,
        Action::DemoLoad,
        Action::DemoClock,
        Action::DemoRewind,
        Action::PersonRegister,
        Action::OrgCreate,
        Action::OrgMember,
        Action::Deploy,
        Action::DeploymentEnd,
        Action::ReturnToPost,
        Action::ApplicationSubmit,
        Action::ApplicationDecide,
        Action::CommunityRegister,
        Action::CadreRecord,
        Action::Import,
        Action::Export,
        Action::CampaignCreate,
        Action::CampaignSend,
        Action::DocumentCreate,
        Action::ServiceLog,
        Action::EnterpriseCreate,
        Action::EnterpriseExclude,
        Action::ReportFile,
        Action::FilingSubmit,
        Action::FilingApprove,
        Action::FilingReturn,
        Action::WorkGroupAssign,
        Action::VisitRecord,
        Action::ProblemRaise,
        Action::ProblemResolve,
        Action::ProjectCreate,
        Action::ProjectStart,
        Action::ProjectProgress,
        Action::PlantCreate,
        Action::PlantOutput,
        Action::PlantShipment,
        Action::CheckpointCreate,
        Action::CheckpointShift,
        Action::PassageRegister,
        Action::SupplyItemCreate,
        Action::SupplyStoreCreate,
        Action::StockMove,
        Action::SupplyNeedDeclare,
        Action::SupplyRequest,
        Action::SupplyRequestDecline,
        Action::SupplyAllocate,
        Action::SupplyReceive,
        Action::FarmPlanSet,
        Action::FarmProgressReport,
        Action::GridMember,
        Action::HouseholdCreate,
        Action::HouseholdVisit,
        Action::ScreeningRecord,
        Action::RiskAreaSet,
        Action::ScreeningRoundCreate,
        Action::PublicityRecord,
        Action::StabilityRecord,
        Action::GridReportFile,
        Action::TicketRaise,
        Action::TicketAccept,
        Action::TicketResolve,
        Action::TicketConfirm,
        Action::TicketReject,
        Action::TicketEscalate,
        Action::TicketAttach,
        Action::DepartmentCreate,
        Action::DepartmentMember,
        Action::RoutingRuleSet,
        Action::WebhookCreate,
        Action::WebhookTest,
        Action::ChannelEvent,
        Action::NoticeRead,
        Action::MonitoringCreate,
        Action::MonitoringFollowup,
        Action::MonitoringRelease,
        Action::HandoverAcknowledge,
        Action::HandoverForward,
        Action::MonitoringResume,
        Action::RetentionErase,
        Action::CheckpointStaff,
        Action::AuditArchive,
        Action::KeysReseal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "auth.login",
            Action::LoginFailed => "auth.login_failed",
            Action::Logout => "auth.logout",
            Action::Denied => "auth.denied",
            Action::RegionImport => "region.import",
            Action::GridCreate => "grid.create",
            Action::UserCreate => "user.create",
            Action::UserRoles => "user.roles",
            Action::UserPassword => "user.password",
            Action::SecondFactorBegin => "user.second_factor_begin",
            Action::SecondFactorEnrol => "user.second_factor",
            Action::SecondFactorReset => "user.second_factor_reset",
            Action::TokenCreate => "user.token_create",
            Action::TokenRevoke => "user.token_revoke",
            Action::UserLock => "user.lock",
            Action::UserUnlock => "user.unlock",
            Action::Unmask => "personal.unmask",
            Action::Backup => "system.backup",
            Action::Restore => "system.restore",
            Action::DemoLoad => "system.demo",
            Action::DemoClock => "system.demo_clock",
            Action::DemoRewind => "system.demo_rewind",
            Action::PersonRegister => "person.register",
            Action::OrgCreate => "org.create",
            Action::OrgMember => "org.member",
            Action::Deploy => "deployment.create",
            Action::DeploymentEnd => "deployment.end",
            Action::ReturnToPost => "return.record",
            Action::ApplicationSubmit => "application.submit",
            Action::ApplicationDecide => "application.decide",
            Action::CommunityRegister => "registration.create",
            Action::CadreRecord => "cadre_record.create",
            Action::Import => "import",
            Action::Export => "export",
            Action::CampaignCreate => "campaign.create",
            Action::CampaignSend => "campaign.send",
            Action::DocumentCreate => "document.create",
            Action::ServiceLog => "service_log.create",
            Action::EnterpriseCreate => "enterprise.create",
            Action::EnterpriseExclude => "enterprise.exclude",
            Action::ReportFile => "report.file",
            Action::FilingSubmit => "filing.submit",
            Action::FilingApprove => "filing.approve",
            Action::FilingReturn => "filing.return",
            Action::WorkGroupAssign => "work_group.assign",
            Action::VisitRecord => "visit.record",
            Action::ProblemRaise => "problem.raise",
            Action::ProblemResolve => "problem.resolve",
            Action::ProjectCreate => "project.create",
            Action::ProjectStart => "project.start",
            Action::ProjectProgress => "project.progress",
            Action::PlantCreate => "plant.create",
            Action::PlantOutput => "plant.output",
            Action::PlantShipment => "plant.shipment",
            Action::CheckpointCreate => "checkpoint.create",
            Action::CheckpointShift => "checkpoint.shift",
            Action::PassageRegister => "passage.register",
            Action::SupplyItemCreate => "supply_item.create",
            Action::SupplyStoreCreate => "supply_store.create",
            Action::StockMove => "stock.move",
            Action::SupplyNeedDeclare => "supply_need.declare",
            Action::SupplyRequest => "supply_request.submit",
            Action::SupplyRequestDecline => "supply_request.decline",
            Action::SupplyAllocate => "supply_allocation.create",
            Action::SupplyReceive => "supply_delivery.receive",
            Action::FarmPlanSet => "farm_plan.set",
            Action::FarmProgressReport => "farm_progress.report",
            Action::GridMember => "grid.member",
            Action::HouseholdCreate => "household.create",
            Action::HouseholdVisit => "household.visit",
            Action::ScreeningRecord => "screening.record",
            Action::RiskAreaSet => "risk_area.set",
            Action::ScreeningRoundCreate => "screening_round.create",
            Action::PublicityRecord => "publicity.record",
            Action::StabilityRecord => "stability.record",
            Action::GridReportFile => "grid_report.file",
            Action::TicketRaise => "ticket.raise",
            Action::TicketAccept => "ticket.accept",
            Action::TicketResolve => "ticket.resolve",
            Action::TicketConfirm => "ticket.confirm",
            Action::TicketReject => "ticket.reject",
            Action::TicketEscalate => "ticket.escalate",
            Action::TicketAttach => "ticket.attach",
            Action::DepartmentCreate => "department.create",
            Action::DepartmentMember => "department.member",
            Action::RoutingRuleSet => "routing_rule.set",
            Action::WebhookCreate => "webhook.create",
            Action::WebhookTest => "webhook.test",
            Action::ChannelEvent => "channel.event",
            Action::NoticeRead => "notice.read",
            Action::MonitoringCreate => "monitoring.create",
            Action::MonitoringFollowup => "monitoring.followup",
            Action::MonitoringRelease => "monitoring.release",
            Action::HandoverAcknowledge => "handover.acknowledge",
            Action::HandoverForward => "handover.forward",
            Action::MonitoringResume => "monitoring.resume",
            Action::RetentionErase => "retention.erase",
            Action::CheckpointStaff => "checkpoint.staff",
            Action::AuditArchive => "audit.archive",
            Action::KeysReseal => "keys.reseal",
        }
    }

    /// The area of work an operation belongs to, for grouping the operations in a list.
    pub fn area(self) -> &'static str {
        use Action::*;
        match self {
            Login | LoginFailed | Logout | Denied | UserCreate | UserRoles | UserPassword
            | SecondFactorBegin | SecondFactorEnrol | SecondFactorReset | TokenCreate
            | TokenRevoke | UserLock | UserUnlock | Unmask => "账户与安全",
            RegionImport | Backup | Restore | DemoLoad | DemoClock | DemoRewind | Import
            | Export | RetentionErase | AuditArchive | KeysReseal => "系统与数据",
            PersonRegister | OrgCreate | OrgMember | Deploy | DeploymentEnd | ReturnToPost
            | ApplicationSubmit | ApplicationDecide | CommunityRegister | CadreRecord
            | CampaignCreate | CampaignSend | DocumentCreate | ServiceLog => "组织动员",
            EnterpriseCreate | EnterpriseExclude | ReportFile | FilingSubmit | FilingApprove
            | FilingReturn | WorkGroupAssign | VisitRecord | ProblemRaise | ProblemResolve => {
                "复工复产"
            }
            ProjectCreate | ProjectStart | ProjectProgress | PlantCreate | PlantOutput
            | PlantShipment => "重大项目与重点生产",
            CheckpointCreate | CheckpointShift | CheckpointStaff | PassageRegister
            | HandoverAcknowledge | HandoverForward => "卡口与落地交接",
            SupplyItemCreate | SupplyStoreCreate | StockMove | SupplyNeedDeclare
            | SupplyRequest | SupplyRequestDecline | SupplyAllocate | SupplyReceive
            | FarmPlanSet | FarmProgressReport => "物资保障与春耕",
            GridCreate | GridMember | HouseholdCreate | HouseholdVisit | ScreeningRecord
            | RiskAreaSet | ScreeningRoundCreate | PublicityRecord | StabilityRecord
            | GridReportFile => "网格与摸排",
            MonitoringCreate | MonitoringFollowup | MonitoringRelease | MonitoringResume => {
                "隔离监测"
            }
            TicketRaise | TicketAccept | TicketResolve | TicketConfirm | TicketReject
            | TicketEscalate | TicketAttach | DepartmentCreate | DepartmentMember
            | RoutingRuleSet | WebhookCreate | WebhookTest | ChannelEvent | NoticeRead => {
                "吹哨报到"
            }
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Action::Login => "登录",
            Action::LoginFailed => "登录失败",
            Action::Logout => "退出登录",
            Action::Denied => "越权访问被拒绝",
            Action::RegionImport => "导入行政区划",
            Action::GridCreate => "新建网格",
            Action::UserCreate => "新建账户",
            Action::UserRoles => "变更角色",
            Action::UserPassword => "修改密码",
            Action::SecondFactorBegin => "开始启用双因素认证",
            Action::SecondFactorEnrol => "启用双因素认证",
            Action::SecondFactorReset => "重置双因素认证",
            Action::TokenCreate => "新建接口令牌",
            Action::TokenRevoke => "撤销接口令牌",
            Action::UserLock => "锁定账户",
            Action::UserUnlock => "解锁账户",
            Action::Unmask => "查看个人信息明文",
            Action::Backup => "备份数据库",
            Action::Restore => "从备份恢复数据库",
            Action::DemoLoad => "载入演示数据",
            Action::DemoClock => "调整演示日期",
            Action::DemoRewind => "演示回到较早傍晚",
            Action::PersonRegister => "登记人员",
            Action::OrgCreate => "新建组织",
            Action::OrgMember => "组织增加成员",
            Action::Deploy => "派驻人员",
            Action::DeploymentEnd => "结束派驻",
            Action::ReturnToPost => "登记返岗",
            Action::ApplicationSubmit => "提交请战书",
            Action::ApplicationDecide => "审批请战书",
            Action::CommunityRegister => "在职党员社区报到",
            Action::CadreRecord => "记录一线考察",
            Action::Import => "批量导入",
            Action::Export => "导出",
            Action::CampaignCreate => "新建活动",
            Action::CampaignSend => "活动下派人员",
            Action::DocumentCreate => "登记政策文件",
            Action::ServiceLog => "记录党员服务",
            Action::EnterpriseCreate => "登记企业",
            Action::EnterpriseExclude => "企业不计入复工统计",
            Action::ReportFile => "填报企业日报",
            Action::FilingSubmit => "提交复工备案",
            Action::FilingApprove => "同意复工备案",
            Action::FilingReturn => "退回复工备案",
            Action::WorkGroupAssign => "工作组驻企",
            Action::VisitRecord => "记录驻企走访",
            Action::ProblemRaise => "提出生产难题",
            Action::ProblemResolve => "生产难题办结",
            Action::ProjectCreate => "登记重大项目",
            Action::ProjectStart => "重大项目开工（复工）",
            Action::ProjectProgress => "填报项目投资进度",
            Action::PlantCreate => "登记重点生产企业（厂）",
            Action::PlantOutput => "填报重点企业日产量",
            Action::PlantShipment => "登记重点产品发运",
            Action::CheckpointCreate => "设立卡口",
            Action::CheckpointShift => "卡口排班",
            Action::PassageRegister => "卡口登记通行",
            Action::SupplyItemCreate => "新增物资品目",
            Action::SupplyStoreCreate => "设立物资仓库（站点）",
            Action::StockMove => "登记物资出入库",
            Action::SupplyNeedDeclare => "申报物资需求",
            Action::SupplyRequest => "向上级请领物资",
            Action::SupplyRequestDecline => "请领未予分配",
            Action::SupplyAllocate => "分配调运物资",
            Action::SupplyReceive => "确认物资到货",
            Action::FarmPlanSet => "设定春耕计划面积",
            Action::FarmProgressReport => "填报春耕备耕进度",
            Action::GridMember => "网格增加成员",
            Action::HouseholdCreate => "登记户",
            Action::HouseholdVisit => "入户摸排",
            Action::ScreeningRecord => "摸排登记人员",
            Action::RiskAreaSet => "设定风险地区",
            Action::ScreeningRoundCreate => "部署摸排轮次",
            Action::PublicityRecord => "记录宣传教育",
            Action::StabilityRecord => "记录矛盾纠纷与事件",
            Action::GridReportFile => "网格日报",
            Action::TicketRaise => "吹哨（发起工单）",
            Action::TicketAccept => "部门报到",
            Action::TicketResolve => "部门办结工单",
            Action::TicketConfirm => "确认工单办结",
            Action::TicketReject => "退回工单重办",
            Action::TicketEscalate => "工单升级督办",
            Action::TicketAttach => "上传工单附件",
            Action::DepartmentCreate => "新建部门",
            Action::DepartmentMember => "部门人员",
            Action::RoutingRuleSet => "设置派单规则",
            Action::WebhookCreate => "设置消息推送",
            Action::WebhookTest => "发送测试消息",
            Action::ChannelEvent => "推送事件",
            Action::NoticeRead => "阅读通知",
            Action::MonitoringCreate => "建立隔离或健康监测",
            Action::MonitoringFollowup => "隔离随访",
            Action::MonitoringRelease => "解除隔离或健康监测",
            Action::HandoverAcknowledge => "接收落地交接",
            Action::HandoverForward => "转派落地交接",
            Action::MonitoringResume => "转诊后恢复监测",
            Action::RetentionErase => "到期删除个人信息",
            Action::CheckpointStaff => "调整卡口工作人员",
            Action::AuditArchive => "审计记录到期归档",
            Action::KeysReseal => "个人信息重新加密（密钥轮换）",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Outcome::Success => "成功",
            Outcome::Failure => "失败",
            Outcome::Denied => "拒绝",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("user.delete"), None);
    }
}
