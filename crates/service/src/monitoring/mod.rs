//! Quarantine and health monitoring (隔离与健康监测): cases with the people responsible for
//! each person, follow-ups at least twice a day, referral to a fever clinic with alerts to the
//! responsible people on an abnormal follow-up, release, and the figures by place and kind.
//!
//! Time: every use case that depends on the time takes `now` from the application's clock
//! ([`crate::clock::Clock`], the system clock unless a test has set it), read once per call
//! and truncated to the second, so a call sees one instant throughout.
//!
//! Personal data: lists and the case page show ID numbers and phones masked; a case is
//! unmasked by a caller with the unmask permission, audited each time.

use crate::actor::audit_in;
use crate::actor::commit_audited;
use crate::idempotency::commit_created;
use crate::idempotency::{keep, Claim, Written};
use crate::input::{opt_text, parse_date, parse_time, text};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::checkpoints::temperature_tenths;
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_domain::jurisdiction::{Code, Level};
use dualtrack_domain::monitoring::{
    is_abnormal, next_due, parse_symptoms, planned_end, symptoms_from_text, symptoms_text,
    CaseKind, CaseStatus, Duty, Symptom, MAX_RESPONSIBLE,
};
use dualtrack_domain::resident_id::{mask_id, mask_phone, validate_phone, ResidentId};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::reporting_day;
use dualtrack_store::decode;
use dualtrack_store::monitoring::{
    self as store, AlertRow, CaseFilter, CaseRow, FollowupRow, NewCase, NewFollowup,
    NewResponsible, PlaceKindFigure, Referral, ResponsibleRow,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

mod cases;
mod figures;
mod followups;
mod release;

/// The clinic a referral goes to when the follow-up names none.
pub const DEFAULT_CLINIC: &str = "定点医院发热门诊";

// ---- inputs and views ----

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ResponsibleInput {
    /// 人员库中的人员编号
    pub person_id: i64,
    /// 职责：cadre 社区干部 / grid_worker 网格员 / doctor 医生 / police 民警 / volunteer 志愿者
    pub duty: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct CaseInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 类别：home 居家隔离 / central 集中隔离 / health 健康监测
    pub kind: String,
    pub name: String,
    /// 身份证号（18 位，校验位）
    pub id_number: String,
    pub phone: Option<String>,
    /// 关联的摸排人员编号
    pub screened_person_id: Option<i64>,
    /// 关联的卡口通行旅客编号
    pub traveller_id: Option<i64>,
    /// 负责的网格或村（社区）区划代码
    pub jurisdiction_code: String,
    /// 隔离地点：住址或集中隔离点名称
    pub place: String,
    /// 原因与来源（如 自武汉返回）
    pub reason: String,
    /// 末次暴露日期 年-月-日
    pub last_exposure: String,
    /// 开始日期（默认今天）
    pub start_date: Option<String>,
    /// 包保责任人（至多 5 名）
    #[serde(default)]
    pub responsible: Vec<ResponsibleInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponsibleView {
    pub person_id: i64,
    pub name: String,
    pub duty: Duty,
    pub duty_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub kind: CaseKind,
    pub kind_name: String,
    pub name: String,
    /// 身份证号（脱敏）
    pub id_number: String,
    /// 电话（脱敏）
    pub phone: Option<String>,
    pub screened_person_id: Option<i64>,
    pub traveller_id: Option<i64>,
    pub jurisdiction_code: String,
    pub place: String,
    pub reason: String,
    pub last_exposure: NaiveDate,
    pub start_date: NaiveDate,
    pub planned_end: NaiveDate,
    pub status: CaseStatus,
    pub status_name: String,
    pub last_followup_at: Option<DateTime<Utc>>,
    pub next_due_at: DateTime<Utc>,
    /// 监测中且下次随访时间已过
    pub overdue: bool,
    /// 超时分钟数（未超时为 0）
    pub overdue_minutes: i64,
    pub referral_clinic: Option<String>,
    pub referred_at: Option<DateTime<Utc>>,
    pub released_on: Option<NaiveDate>,
    pub released_by: Option<String>,
    pub release_reason: Option<String>,
    /// 发热门诊结论（转诊后排除、恢复监测时填写）
    pub resume_finding: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowupView {
    pub id: i64,
    pub followed_at: DateTime<Utc>,
    /// 体温 ℃
    pub temperature: f64,
    pub symptoms: Vec<Symptom>,
    pub symptom_names: Vec<String>,
    pub abnormal: bool,
    pub note: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertView {
    pub id: i64,
    pub case_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub followup_id: Option<i64>,
    pub kind: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseDetail {
    pub case: CaseView,
    pub responsible: Vec<ResponsibleView>,
    pub followups: Vec<FollowupView>,
    pub alerts: Vec<AlertView>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct FollowupInput {
    /// 客户端生成的幂等键：重复提交时同一键只记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 随访时间（RFC 3339，或北京时间 年-月-日 时:分；默认手机记录的时间，再默认现在）
    pub at: Option<String>,
    /// 手机上记录随访的时间（RFC 3339，离线记录由手机发件箱带上）：不得晚于现在，也不得早于
    /// 72 小时前（可配置）；服务器另记收到的时间
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<String>,
    /// 体温 ℃（35.0–42.0，≥ 37.3 为异常）
    pub temperature: f64,
    /// 症状：fever 发热 / cough 咳嗽 / fatigue 乏力 / sore_throat 咽痛 / diarrhoea 腹泻 /
    /// breathing_difficulty 呼吸困难 / none 无
    #[serde(default)]
    pub symptoms: Vec<String>,
    pub note: Option<String>,
    /// 异常时转诊的发热门诊（默认 定点医院发热门诊）
    pub clinic: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowupResult {
    pub followup: FollowupView,
    pub case: CaseView,
    /// 本次写入的提醒数（异常时每名包保责任人一条）
    pub alerts: u64,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReleaseInput {
    /// 解除日期 年-月-日（默认今天）
    pub released_on: Option<String>,
    /// 计划解除日期前解除时必填（如 经医生评估提前解除）
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ResumeInput {
    /// 发热门诊结论（如 排除新冠肺炎，返回居家隔离）
    pub finding: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmaskedCase {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// 类别 home / central / health
    pub kind: Option<String>,
    /// 状态 active / referred / released
    pub status: Option<String>,
    /// 只看随访超时的
    pub overdue: Option<bool>,
    /// 区划代码（辖区内）
    pub place: Option<String>,
    /// 身份证号（精确查找，经盲索引）
    pub id_number: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// 截至日期 年-月-日（默认今天）
    pub as_of: Option<String>,
    /// 区划代码（辖区内；默认本辖区）
    pub place: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindFigure {
    pub kind: CaseKind,
    pub kind_name: String,
    /// 截至当日在管人数
    pub under: i64,
    /// 当日新增
    pub started: i64,
    /// 当日解除
    pub released: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceFigures {
    pub code: String,
    pub name: String,
    pub under: i64,
    pub started: i64,
    pub released: i64,
    pub kinds: Vec<KindFigure>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonitoringFigures {
    pub as_of: NaiveDate,
    /// 区划代码（空为全部）
    pub scope: String,
    /// 分组层级：county 县 / township 乡镇 / village 村 / place 本级
    pub by: String,
    pub places: Vec<PlaceFigures>,
    pub totals: Vec<KindFigure>,
    pub under: i64,
    pub started: i64,
    pub released: i64,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// 区划代码（辖区内）
    pub place: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueList {
    pub at: DateTime<Utc>,
    /// 超时总数
    pub count: i64,
    /// 超时最久的在前
    pub cases: Vec<CaseView>,
}

// ---- helpers ----
fn case_view(c: CaseRow, now: DateTime<Utc>) -> ServiceResult<CaseView> {
    let kind = decode("monitoring_cases", "kind", &c.kind, CaseKind::parse)?;
    let status = decode("monitoring_cases", "status", &c.status, CaseStatus::parse)?;
    let overdue = status == CaseStatus::Active && c.next_due_at < now;
    Ok(CaseView {
        id: c.id,
        kind_name: kind.zh().into(),
        kind,
        name: c.name,
        id_number: mask_id(&c.id_number),
        phone: c.phone.as_deref().map(mask_phone),
        screened_person_id: c.screened_person_id,
        traveller_id: c.traveller_id,
        jurisdiction_code: c.jurisdiction_code,
        place: c.place,
        reason: c.reason,
        last_exposure: c.last_exposure,
        start_date: c.start_date,
        planned_end: c.planned_end,
        status_name: status.zh().into(),
        status,
        last_followup_at: c.last_followup_at,
        next_due_at: c.next_due_at,
        overdue,
        overdue_minutes: if overdue {
            (now - c.next_due_at).num_minutes()
        } else {
            0
        },
        referral_clinic: c.referral_clinic,
        referred_at: c.referred_at,
        released_on: c.released_on,
        released_by: c.released_by,
        release_reason: c.release_reason,
        resume_finding: c.resume_finding,
    })
}

fn followup_view(c: &crate::crypto::FieldCrypto, f: FollowupRow) -> ServiceResult<FollowupView> {
    let symptoms = symptoms_from_text(&c.open_text(&f.symptoms)?);
    Ok(FollowupView {
        id: f.id,
        followed_at: f.followed_at,
        temperature: f64::from(f.temperature) / 10.0,
        symptom_names: symptoms.iter().map(|s| s.zh().to_string()).collect(),
        symptoms,
        abnormal: f.abnormal,
        note: c.open_text(&f.note)?,
        recorded_by: f.recorded_by,
    })
}

fn responsible_view(r: ResponsibleRow) -> ServiceResult<ResponsibleView> {
    let duty = decode("monitoring_responsible", "duty", &r.duty, Duty::parse)?;
    Ok(ResponsibleView {
        person_id: r.person_id,
        name: r.person_name,
        duty_name: duty.zh().into(),
        duty,
    })
}

/// The stored text of a referral alert: where the person was referred, nothing about who
/// they are or how they are.
pub(crate) fn referral_note(clinic: &str) -> String {
    format!("已转诊至{clinic}")
}

/// An alert as shown: its text composed from the case (opened) and the follow-up that raised
/// it, with the stored note (the clinic) at the end. The name and the symptoms stay in the
/// sealed rows they belong to and are never copied into the alert, so erasing the case
/// erases them from its alerts too.
fn alert_view(c: &CaseRow, followups: &[FollowupView], a: AlertRow) -> AlertView {
    let kind = CaseKind::parse(&c.kind)
        .map(|k| k.zh())
        .unwrap_or("隔离监测");
    let finding = a
        .followup_id
        .and_then(|id| followups.iter().find(|f| f.id == id))
        .map(|f| {
            format!(
                "：体温 {:.1} ℃，症状 {}",
                f.temperature,
                f.symptom_names.join("、")
            )
        })
        .unwrap_or_default();
    AlertView {
        id: a.id,
        case_id: a.case_id,
        person_id: a.person_id,
        person_name: a.person_name,
        followup_id: a.followup_id,
        kind: a.kind,
        message: format!("{}（{kind}）随访异常{finding}，{}", c.name, a.message),
        created_at: a.created_at,
        read_at: a.read_at,
    }
}

fn kind_figures(rows: &[&PlaceKindFigure]) -> Vec<KindFigure> {
    CaseKind::ALL
        .iter()
        .map(|k| {
            let mut f = KindFigure {
                kind: *k,
                kind_name: k.zh().into(),
                under: 0,
                started: 0,
                released: 0,
            };
            for r in rows.iter().filter(|r| r.kind == k.as_str()) {
                f.under += r.under;
                f.started += r.started;
                f.released += r.released;
            }
            f
        })
        .collect()
}
