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
use crate::idempotency::{keep, Claim, Written};
use crate::input::{opt_text, parse_date, parse_time, text};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::checkpoints::temperature_tenths;
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_domain::jurisdiction::{Code, Level, Scope};
use dualtrack_domain::monitoring::{
    is_abnormal, next_due, parse_symptoms, planned_end, symptoms_from_text, symptoms_text,
    CaseKind, CaseStatus, Duty, Symptom, MAX_RESPONSIBLE,
};
use dualtrack_domain::resident_id::{mask_id, mask_phone, validate_phone, ResidentId};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::reporting_day;
use dualtrack_store::monitoring::{
    self as store, AlertRow, CaseFilter, CaseRow, FollowupRow, NewCase, NewFollowup,
    NewResponsible, PlaceKindFigure, Referral, ResponsibleRow,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};

/// The clinic a referral goes to when the follow-up names none.
pub const DEFAULT_CLINIC: &str = "定点医院发热门诊";

/// Cases due within this many minutes count as due on the work list.
pub const DUE_SOON_MINUTES: i64 = 120;

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
    /// 随访时间（RFC 3339，或北京时间 年-月-日 时:分；默认现在）
    pub at: Option<String>,
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
fn case_view(c: CaseRow, now: DateTime<Utc>) -> CaseView {
    let kind = CaseKind::parse(&c.kind).unwrap_or(CaseKind::Home);
    let status = CaseStatus::parse(&c.status).unwrap_or(CaseStatus::Active);
    let overdue = status == CaseStatus::Active && c.next_due_at < now;
    CaseView {
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
    }
}

fn followup_view(f: FollowupRow) -> FollowupView {
    let symptoms = symptoms_from_text(&f.symptoms);
    FollowupView {
        id: f.id,
        followed_at: f.followed_at,
        temperature: f64::from(f.temperature) / 10.0,
        symptom_names: symptoms.iter().map(|s| s.zh().to_string()).collect(),
        symptoms,
        abnormal: f.abnormal,
        note: f.note,
        recorded_by: f.recorded_by,
    }
}

fn responsible_view(r: ResponsibleRow) -> ResponsibleView {
    let duty = Duty::parse(&r.duty).unwrap_or(Duty::Volunteer);
    ResponsibleView {
        person_id: r.person_id,
        name: r.person_name,
        duty_name: duty.zh().into(),
        duty,
    }
}

fn alert_view(a: AlertRow) -> AlertView {
    AlertView {
        id: a.id,
        case_id: a.case_id,
        person_id: a.person_id,
        person_name: a.person_name,
        followup_id: a.followup_id,
        kind: a.kind,
        message: a.message,
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

impl App {
    /// The scope a query asks for: the caller's, or a place within it.
    pub(crate) async fn narrowed(
        &self,
        actor: &Actor,
        place: &Option<String>,
    ) -> ServiceResult<Scope> {
        match place.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(actor.scope.clone()),
            Some(p) => Ok(Scope::Under(self.place_in_scope(actor, "place", p).await?)),
        }
    }

    async fn own_case(&self, actor: &Actor, id: i64) -> ServiceResult<CaseRow> {
        let row = store::case(&self.db, id).await?;
        self.own(actor, "隔离监测对象", id, row, |r| {
            &r.jurisdiction_code
        })
        .await
    }

    /// Opens a case: home or central quarantine or health monitoring, with the planned end
    /// by rule and the people responsible; audited.
    pub async fn open_case(
        &self,
        actor: &Actor,
        input: &CaseInput,
    ) -> ServiceResult<Written<CaseView>> {
        self.once(
            actor,
            "monitoring_case",
            &input.idempotency_key,
            &input,
            |claim| self.write_open_case(actor, input, claim),
            |rid| async move {
                let row = store::case(&self.db, rid)
                    .await?
                    .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {rid} 未找到")))?;
                Ok(case_view(row, self.now()))
            },
        )
        .await
    }

    async fn write_open_case(
        &self,
        actor: &Actor,
        input: &CaseInput,
        claim: Option<Claim>,
    ) -> ServiceResult<CaseView> {
        self.require(actor, Permission::ManageMonitoring, "隔离监测对象", "new")
            .await?;
        let now = self.now();
        let new = self.check_case(actor, input, now).await?;
        let mut tx = self.db.begin().await?;
        let id = self.write_case(&mut tx, actor, &new, now).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        tx.commit().await?;
        let row = store::case(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 写入后未找到")))?;
        Ok(case_view(row, now))
    }

    /// Writes a checked case with its audit row in the caller's transaction.
    pub(crate) async fn write_case(
        &self,
        tx: &mut dualtrack_store::Tx,
        actor: &Actor,
        new: &NewCase,
        now: DateTime<Utc>,
    ) -> ServiceResult<i64> {
        let id = store::insert_case(tx, new, now).await?;
        let kind = CaseKind::parse(&new.kind).map(|k| k.zh()).unwrap_or("");
        audit_in(
            tx,
            &actor.audit(
                Action::MonitoringCreate,
                Outcome::Success,
                "隔离监测对象",
                id.to_string(),
                Some(new.jurisdiction_code.clone()),
                format!("{kind}，计划至 {}", new.planned_end),
            ),
        )
        .await?;
        Ok(id)
    }

    /// Checks a case to open: its kind, person, place in scope, dates and the people
    /// responsible; gives the row to write.
    pub(crate) async fn check_case(
        &self,
        actor: &Actor,
        input: &CaseInput,
        now: DateTime<Utc>,
    ) -> ServiceResult<NewCase> {
        let today = reporting_day(now);
        let kind = CaseKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "类别“{}”无效，应为 居家隔离、集中隔离 或 健康监测",
                    input.kind.trim()
                ),
            )
        })?;
        let name = text("name", "姓名", &input.name, 30)?;
        let id_number = ResidentId::parse(&input.id_number, self.today())
            .map_err(|e| ServiceError::invalid("id_number", format!("身份证号无效：{e}")))?;
        let phone = match input
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(p) => Some(validate_phone(p).map_err(|e| ServiceError::invalid("phone", e))?),
        };
        let place = text("place", "隔离地点", &input.place, 100)?;
        let reason = text("reason", "原因与来源", &input.reason, 200)?;
        let last_exposure = parse_date("last_exposure", &input.last_exposure)?;
        let start_date = match input
            .start_date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => today,
            Some(s) => parse_date("start_date", s)?,
        };
        if start_date > today {
            return Err(ServiceError::invalid("start_date", "开始日期不能晚于今天"));
        }
        if last_exposure > start_date {
            return Err(ServiceError::invalid(
                "last_exposure",
                "末次暴露日期不能晚于开始日期",
            ));
        }
        if input.responsible.len() > MAX_RESPONSIBLE {
            return Err(ServiceError::invalid(
                "responsible",
                format!(
                    "包保责任人至多 {MAX_RESPONSIBLE} 名（社区干部、网格员、医生、民警、志愿者），收到 {} 名",
                    input.responsible.len()
                ),
            ));
        }
        let mut responsible = Vec::new();
        for r in &input.responsible {
            let duty = Duty::parse(&r.duty).ok_or_else(|| {
                ServiceError::invalid(
                    "responsible",
                    format!(
                        "职责“{}”无效，应为 社区干部、网格员、医生、民警 或 志愿者",
                        r.duty.trim()
                    ),
                )
            })?;
            if responsible
                .iter()
                .any(|x: &NewResponsible| x.person_id == r.person_id && x.duty == duty.as_str())
            {
                return Err(ServiceError::invalid("responsible", "包保责任人重复"));
            }
            responsible.push(NewResponsible {
                person_id: r.person_id,
                duty: duty.as_str().into(),
            });
        }
        let code = self
            .place_in_scope(actor, "jurisdiction_code", &input.jurisdiction_code)
            .await?;
        // The records a case is linked to are checked as ids in a path are: they decide
        // when a traveller's or a screened person's details are erased.
        if let Some(t) = input.traveller_id {
            let places = dualtrack_store::handovers::traveller_places(&self.db, t).await?;
            let inside = places
                .iter()
                .filter_map(|p| Code::parse(p).ok())
                .any(|c| actor.scope.contains(&c));
            if !inside {
                return Err(ServiceError::unknown(
                    "traveller_id",
                    format!("未找到通行登记的驾乘人员 {t}，或其不在您的管辖范围内"),
                ));
            }
        }
        if let Some(s) = input.screened_person_id {
            self.screened_in_scope(actor, s)
                .await
                .map_err(|e| e.referred_by("screened_person_id"))?;
        }
        if !matches!(code.level(), Level::Village | Level::Grid) {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "隔离监测对象应落到网格或村（社区）",
            ));
        }
        // The responsible people come from the registry and live in the case's county.
        let ids: Vec<i64> = responsible.iter().map(|r| r.person_id).collect();
        let found: HashMap<i64, String> = store::people_places(&self.db, &ids)
            .await?
            .into_iter()
            .collect();
        let county = &code.as_str()[..6];
        for id in &ids {
            match found.get(id) {
                Some(home) if in_subtree(home, county) => {}
                _ => {
                    return Err(ServiceError::unknown(
                        "responsible",
                        format!("人员库中没有本县的人员 {id}"),
                    ))
                }
            }
        }
        let new = NewCase {
            kind: kind.as_str().into(),
            name,
            id_number: id_number.as_str().into(),
            phone,
            screened_person_id: input.screened_person_id,
            traveller_id: input.traveller_id,
            jurisdiction_code: code.to_string(),
            place,
            reason,
            last_exposure,
            start_date,
            planned_end: planned_end(last_exposure, self.monitoring_days).max(start_date),
            next_due_at: next_due(now, self.followup_interval_hours),
            created_by: actor.username.clone(),
            responsible,
        };
        Ok(new)
    }

    /// Cases of the caller's scope (or a place within it), the latest first.
    pub async fn cases(&self, actor: &Actor, q: &CasesQuery) -> ServiceResult<Vec<CaseView>> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "list")
            .await?;
        let now = self.now();
        let kind = match q.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(k) => Some(
                CaseKind::parse(k)
                    .ok_or_else(|| ServiceError::invalid("kind", format!("类别“{k}”无效")))?
                    .as_str()
                    .to_string(),
            ),
        };
        let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(k) => Some(
                CaseStatus::parse(k)
                    .ok_or_else(|| ServiceError::invalid("status", format!("状态“{k}”无效")))?
                    .as_str()
                    .to_string(),
            ),
        };
        let scope = self.narrowed(actor, &q.place).await?;
        let filter = CaseFilter {
            kind,
            status,
            overdue_at: q.overdue.unwrap_or(false).then_some(now),
        };
        let rows = store::cases(
            &self.db,
            &scope,
            &filter,
            q.limit.unwrap_or(100).clamp(1, 500),
            q.offset.unwrap_or(0).max(0),
        )
        .await?;
        Ok(rows.into_iter().map(|r| case_view(r, now)).collect())
    }

    /// A case with its responsible people, follow-ups and alerts.
    pub async fn case_detail(&self, actor: &Actor, id: i64) -> ServiceResult<CaseDetail> {
        self.require(
            actor,
            Permission::ReadMonitoring,
            "隔离监测对象",
            &id.to_string(),
        )
        .await?;
        let now = self.now();
        let c = self.own_case(actor, id).await?;
        Ok(CaseDetail {
            case: case_view(c, now),
            responsible: store::responsible(&self.db, id)
                .await?
                .into_iter()
                .map(responsible_view)
                .collect(),
            followups: store::followups(&self.db, id)
                .await?
                .into_iter()
                .map(followup_view)
                .collect(),
            alerts: store::alerts(&self.db, id)
                .await?
                .into_iter()
                .map(alert_view)
                .collect(),
        })
    }

    pub async fn case_followups(&self, actor: &Actor, id: i64) -> ServiceResult<Vec<FollowupView>> {
        self.require(
            actor,
            Permission::ReadMonitoring,
            "隔离监测对象",
            &id.to_string(),
        )
        .await?;
        self.own_case(actor, id).await?;
        Ok(store::followups(&self.db, id)
            .await?
            .into_iter()
            .map(followup_view)
            .collect())
    }

    pub async fn case_alerts(&self, actor: &Actor, id: i64) -> ServiceResult<Vec<AlertView>> {
        self.require(
            actor,
            Permission::ReadMonitoring,
            "隔离监测对象",
            &id.to_string(),
        )
        .await?;
        self.own_case(actor, id).await?;
        Ok(store::alerts(&self.db, id)
            .await?
            .into_iter()
            .map(alert_view)
            .collect())
    }

    /// Records a follow-up; the case's next follow-up falls due an interval later. An
    /// abnormal one refers the person to a fever clinic and alerts each responsible person,
    /// all in one audited transaction.
    pub async fn follow_up(
        &self,
        actor: &Actor,
        id: i64,
        input: &FollowupInput,
    ) -> ServiceResult<Written<FollowupResult>> {
        self.once(
            actor,
            "followup",
            &input.idempotency_key,
            &(id, input),
            |claim| self.write_followup(actor, id, input, claim),
            |fid| self.followup_of(actor, id, fid),
        )
        .await
    }

    /// The follow-up `fid` of the case `id` as a result that wrote no alerts.
    async fn followup_of(&self, actor: &Actor, id: i64, fid: i64) -> ServiceResult<FollowupResult> {
        let followup = self
            .case_followups(actor, id)
            .await?
            .into_iter()
            .find(|f| f.id == fid)
            .ok_or_else(|| ServiceError::Internal(format!("随访 {fid} 未找到")))?;
        let row = store::case(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        Ok(FollowupResult {
            followup,
            case: case_view(row, self.now()),
            alerts: 0,
        })
    }

    async fn write_followup(
        &self,
        actor: &Actor,
        id: i64,
        input: &FollowupInput,
        claim: Option<Claim>,
    ) -> ServiceResult<FollowupResult> {
        self.require(
            actor,
            Permission::ManageMonitoring,
            "隔离监测对象",
            &id.to_string(),
        )
        .await?;
        let now = self.now();
        let c = self.own_case(actor, id).await?;
        let temperature = temperature_tenths(input.temperature)
            .map_err(|e| ServiceError::invalid("temperature", e))?;
        let symptoms =
            parse_symptoms(&input.symptoms).map_err(|e| ServiceError::invalid("symptoms", e))?;
        let note = opt_text("note", "备注", &input.note, 500)?.unwrap_or_default();
        let clinic = opt_text("clinic", "发热门诊", &input.clinic, 60)?
            .unwrap_or_else(|| DEFAULT_CLINIC.to_string());
        let at = match input.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => now,
            Some(s) => parse_time("at", s)?,
        };
        if at > now + Duration::minutes(5) {
            return Err(ServiceError::invalid("at", "随访时间不能晚于现在"));
        }
        if reporting_day(at) < c.start_date {
            return Err(ServiceError::invalid("at", "随访时间不能早于开始日期"));
        }
        if c.status == CaseStatus::Released.as_str() {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "该对象已解除隔离或监测，不再随访".into(),
            });
        }
        let abnormal = is_abnormal(temperature, &symptoms);
        let names: Vec<&str> = symptoms.iter().map(|s| s.zh()).collect();
        let referral = abnormal.then(|| Referral {
            message: format!(
                "{}（{}）随访异常：体温 {:.1} ℃，症状 {}，已转诊至{clinic}",
                c.name,
                CaseKind::parse(&c.kind).map(|k| k.zh()).unwrap_or(""),
                f64::from(temperature) / 10.0,
                names.join("、"),
            ),
            clinic: clinic.clone(),
        });
        let new = NewFollowup {
            case_id: id,
            followed_at: at,
            temperature,
            symptoms: symptoms_text(&symptoms),
            abnormal,
            note,
            recorded_by: actor.username.clone(),
        };
        let due = next_due(at, self.followup_interval_hours);
        let mut tx = self.db.begin().await?;
        let (fid, alerts) =
            store::insert_followup(&mut tx, &new, due, referral.as_ref(), now).await?;
        keep(&mut tx, claim.as_ref(), fid).await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::MonitoringFollowup,
                Outcome::Success,
                "隔离监测对象",
                id.to_string(),
                Some(c.jurisdiction_code.clone()),
                if abnormal {
                    format!("随访异常，转诊至{clinic}，提醒 {alerts} 名包保责任人")
                } else {
                    "随访正常".into()
                },
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::case(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        let followup = store::followups(&self.db, id)
            .await?
            .into_iter()
            .find(|f| f.id == fid)
            .map(followup_view)
            .ok_or_else(|| ServiceError::Internal(format!("随访 {fid} 写入后未找到")))?;
        Ok(FollowupResult {
            followup,
            case: case_view(row, now),
            alerts,
        })
    }

    /// Releases a case; before its planned end only with a reason (a doctor's decision),
    /// which the audit row records.
    pub async fn release_case(
        &self,
        actor: &Actor,
        id: i64,
        input: &ReleaseInput,
    ) -> ServiceResult<CaseView> {
        self.require(
            actor,
            Permission::ManageMonitoring,
            "隔离监测对象",
            &id.to_string(),
        )
        .await?;
        let now = self.now();
        let today = reporting_day(now);
        let c = self.own_case(actor, id).await?;
        let on = match input
            .released_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => today,
            Some(s) => parse_date("released_on", s)?,
        };
        let reason = opt_text("reason", "提前解除理由", &input.reason, 200)?;
        if on < c.start_date {
            return Err(ServiceError::invalid(
                "released_on",
                format!("解除日期不能早于开始日期 {}", c.start_date),
            ));
        }
        if on > today {
            return Err(ServiceError::invalid("released_on", "解除日期不能晚于今天"));
        }
        if on < c.planned_end && reason.is_none() {
            return Err(ServiceError::invalid(
                "reason",
                format!(
                    "计划 {} 解除，提前解除须填写理由（如 经医生评估提前解除）",
                    c.planned_end
                ),
            ));
        }
        if c.status == CaseStatus::Released.as_str() {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "该对象已经解除".into(),
            });
        }
        let mut tx = self.db.begin().await?;
        if !store::release(&mut tx, &c, on, &actor.username, reason.as_deref()).await? {
            return Err(ServiceError::Conflict {
                field: "status",
                message: "该对象已经解除".into(),
            });
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::MonitoringRelease,
                Outcome::Success,
                "隔离监测对象",
                id.to_string(),
                Some(c.jurisdiction_code.clone()),
                match &reason {
                    Some(r) if on < c.planned_end => {
                        format!("{on} 提前解除（计划 {}）：{r}", c.planned_end)
                    }
                    _ => format!("{on} 解除"),
                },
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::case(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        Ok(case_view(row, now))
    }

    /// Puts a referred case back under monitoring when the fever clinic has ruled the person
    /// out; the finding is required and audited, and the next follow-up falls due an interval
    /// from now.
    pub async fn resume_case(
        &self,
        actor: &Actor,
        id: i64,
        input: &ResumeInput,
    ) -> ServiceResult<CaseView> {
        self.require(
            actor,
            Permission::ManageMonitoring,
            "隔离监测对象",
            &id.to_string(),
        )
        .await?;
        let now = self.now();
        let c = self.own_case(actor, id).await?;
        let finding = text("finding", "发热门诊结论", &input.finding, 200)?;
        let not_referred = || ServiceError::Conflict {
            field: "status",
            message: "该对象不在转诊中，无需恢复监测".into(),
        };
        if c.status != CaseStatus::Referred.as_str() {
            return Err(not_referred());
        }
        let mut tx = self.db.begin().await?;
        if !store::resume(&mut tx, id, next_due(now, self.followup_interval_hours)).await? {
            return Err(not_referred());
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::MonitoringResume,
                Outcome::Success,
                "隔离监测对象",
                id.to_string(),
                Some(c.jurisdiction_code.clone()),
                format!(
                    "自{}返回，恢复监测：{finding}",
                    c.referral_clinic.as_deref().unwrap_or("发热门诊")
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::case(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("隔离监测对象 {id} 未找到")))?;
        Ok(case_view(row, now))
    }

    /// A case's name, ID number and phone in full; audited.
    pub async fn unmask_case(&self, actor: &Actor, id: i64) -> ServiceResult<UnmaskedCase> {
        let c = self
            .reveal(
                actor,
                Permission::ReadMonitoring,
                "隔离监测对象",
                &id.to_string(),
                || async {
                    let c = self.own_case(actor, id).await?;
                    let place = c.jurisdiction_code.clone();
                    Ok((c, place))
                },
            )
            .await?;
        Ok(UnmaskedCase {
            id,
            name: c.name,
            id_number: c.id_number,
            phone: c.phone,
        })
    }

    /// Active cases of the scope whose follow-up is overdue now, the longest first.
    pub async fn overdue_cases(
        &self,
        actor: &Actor,
        q: &OverdueQuery,
    ) -> ServiceResult<OverdueList> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "overdue")
            .await?;
        let now = self.now();
        let scope = self.narrowed(actor, &q.place).await?;
        let count = store::count_due(&self.db, &scope, now).await?;
        let rows = store::due(&self.db, &scope, now, q.limit.unwrap_or(50).clamp(1, 500)).await?;
        Ok(OverdueList {
            at: now,
            count,
            cases: rows.into_iter().map(|r| case_view(r, now)).collect(),
        })
    }

    /// The work list: active cases due within the next two hours or overdue, the longest
    /// overdue first.
    pub async fn due_cases(&self, actor: &Actor, limit: i64) -> ServiceResult<Vec<CaseView>> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "due")
            .await?;
        let now = self.now();
        let rows = store::due(
            &self.db,
            &actor.scope,
            now + Duration::minutes(DUE_SOON_MINUTES),
            limit.clamp(1, 500),
        )
        .await?;
        Ok(rows.into_iter().map(|r| case_view(r, now)).collect())
    }

    /// People under monitoring as of a day by place and kind, with those started and
    /// released that day: by county for a prefecture or wider, by township within a county
    /// (both from the rollup), by village within a township and the place itself below
    /// (counted from the cases).
    pub async fn monitoring_figures(
        &self,
        actor: &Actor,
        q: &FiguresQuery,
    ) -> ServiceResult<MonitoringFigures> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "figures")
            .await?;
        let as_of = match q.as_of.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => reporting_day(self.now()),
            Some(s) => parse_date("as_of", s)?,
        };
        let scope = self.narrowed(actor, &q.place).await?;
        let len = scope.code().map(|c| c.as_str().len()).unwrap_or(0);
        let (by, rows) = match len {
            0..=4 => (
                "county",
                store::figures_from_rollup(&self.db, &scope, 6, as_of).await?,
            ),
            6 => (
                "township",
                store::figures_from_rollup(&self.db, &scope, 9, as_of).await?,
            ),
            9 => (
                "village",
                store::figures_from_cases(&self.db, &scope, 12, as_of).await?,
            ),
            n => (
                "place",
                store::figures_from_cases(&self.db, &scope, n as i32, as_of).await?,
            ),
        };
        let mut grouped: BTreeMap<String, Vec<&PlaceKindFigure>> = BTreeMap::new();
        for r in &rows {
            grouped.entry(r.place.clone()).or_default().push(r);
        }
        let codes: Vec<String> = grouped.keys().cloned().collect();
        let names = dualtrack_store::jurisdiction::names_of(&self.db, &codes).await?;
        let places: Vec<PlaceFigures> = grouped
            .iter()
            .map(|(code, rs)| {
                let kinds = kind_figures(rs);
                PlaceFigures {
                    code: code.clone(),
                    name: names.get(code).cloned().unwrap_or_else(|| code.clone()),
                    under: kinds.iter().map(|k| k.under).sum(),
                    started: kinds.iter().map(|k| k.started).sum(),
                    released: kinds.iter().map(|k| k.released).sum(),
                    kinds,
                }
            })
            .collect();
        let all: Vec<&PlaceKindFigure> = rows.iter().collect();
        let totals = kind_figures(&all);
        Ok(MonitoringFigures {
            as_of,
            scope: scope.code().map(|c| c.to_string()).unwrap_or_default(),
            by: by.into(),
            under: totals.iter().map(|k| k.under).sum(),
            started: totals.iter().map(|k| k.started).sum(),
            released: totals.iter().map(|k| k.released).sum(),
            places,
            totals,
        })
    }

    /// People under monitoring in the caller's scope as of each day from `from` to `to`:
    /// the `under` of [`App::monitoring_figures`] for each of those days, read from the
    /// rollup in one pass where the figures come from it (a county and above).
    pub async fn monitoring_under_series(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> ServiceResult<Vec<(NaiveDate, i64)>> {
        self.require(actor, Permission::ReadMonitoring, "隔离监测对象", "figures")
            .await?;
        let days = (to - from).num_days();
        if !(0..=400).contains(&days) {
            return Err(ServiceError::invalid("to", "一次最多查询 400 天"));
        }
        let level = match actor.scope.code().map(|c| c.as_str().len()).unwrap_or(0) {
            0..=4 => 6,
            6 => 9,
            _ => {
                let mut out = Vec::new();
                for i in 0..=days {
                    let d = from + Duration::days(i);
                    let q = FiguresQuery {
                        as_of: Some(d.to_string()),
                        place: None,
                    };
                    out.push((d, self.monitoring_figures(actor, &q).await?.under));
                }
                return Ok(out);
            }
        };
        let deltas = store::under_deltas(&self.db, &actor.scope, level, to).await?;
        let mut out = Vec::new();
        let mut under = 0;
        let mut next = deltas.iter().peekable();
        for i in 0..=days {
            let d = from + Duration::days(i);
            while let Some((_, n)) = next.next_if(|(day, _)| *day <= d) {
                under += n;
            }
            out.push((d, under));
        }
        Ok(out)
    }
}
