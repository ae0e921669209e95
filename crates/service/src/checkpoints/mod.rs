//! Checkpoints (卡口): the checkpoints on the roads with their shifts and the people on duty,
//! the passages registered at the barrier with each traveller's temperature and outcome, and
//! the counts per checkpoint and day and per county.
//!
//! Scope: a checkpoint, its shifts and passages belong to the checkpoint's place; outside the
//! caller's subtree each answers "not found". A checkpoint worker (卡口工作人员) holds an
//! account bound to a jurisdiction, but sees and registers only at the checkpoints assigned
//! to it: any other checkpoint, even in its own county, answers "not found" too.
//!
//! Personal data: lists show ID numbers and phones masked; a traveller is unmasked by a
//! separate call that needs `Unmask` and is audited.
//!
//! Retries: a client sends an idempotency key with each registration; a second submission
//! with the same key (a retry on a bad network) returns the passage written the first time
//! and writes nothing.

use crate::actor::audit_in;
use crate::idempotency::{keep, Claim};
use crate::input::{parse_date, stored_code as code_of, text_of as text};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SubsecRound, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::checkpoints::{
    is_fever, parse_plate, temperature_tenths, CheckpointKind, PassageOutcome, VehicleClass,
};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::resident_id::{mask_id, mask_phone, validate_phone, ResidentId};
use dualtrack_domain::role::{Permission, Role};
use dualtrack_domain::time::reporting_day;
use dualtrack_store::checkpoints::{
    self as store, CheckpointRow, Counts, NewCheckpoint, NewPassage, NewShift, NewTraveller,
    PassageRow, TravellerRow,
};
use dualtrack_store::handovers::NewHandover;
use dualtrack_store::jurisdiction;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use utoipa::{IntoParams, ToSchema};

/// The most travellers one passage may carry (a full coach with its crew).
pub const MAX_TRAVELLERS: usize = 80;
const PAGE: i64 = 50;

// ---- views and inputs ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CheckpointInput {
    /// 卡口名称，如 格尔木南出口
    pub name: String,
    /// 道路，如 G109 京拉线
    pub road: String,
    /// 位置描述
    #[serde(default)]
    pub place: String,
    /// 所属区划（乡镇或县级）代码
    pub jurisdiction_code: String,
    /// road 公路卡口、station 火车站、airport 机场（或中文名）
    pub kind: String,
    /// 启用日期
    pub active_from: String,
    /// 撤除日期（可空）
    #[serde(default)]
    pub active_until: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointView {
    pub id: i64,
    pub name: String,
    pub road: String,
    pub place: String,
    pub jurisdiction_code: String,
    pub kind: CheckpointKind,
    pub kind_name: String,
    pub active_from: NaiveDate,
    pub active_until: Option<NaiveDate>,
}

fn checkpoint_view(c: CheckpointRow) -> CheckpointView {
    let kind = CheckpointKind::parse(&c.kind).unwrap_or(CheckpointKind::Road);
    CheckpointView {
        id: c.id,
        name: c.name,
        road: c.road,
        place: c.place,
        jurisdiction_code: c.jurisdiction_code,
        kind_name: kind.zh().into(),
        kind,
        active_from: c.active_from,
        active_until: c.active_until,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountsView {
    /// 登记次数（车次或步行人次）
    pub passages: i64,
    /// 车辆数
    pub vehicles: i64,
    /// 人数
    pub persons: i64,
    /// 发热（≥ 37.3 ℃）人数
    pub fevers: i64,
    /// 放行
    pub let_through: i64,
    /// 劝返
    pub turned_back: i64,
    /// 留观
    pub observed: i64,
    /// 送隔离
    pub quarantined: i64,
}

impl From<Counts> for CountsView {
    fn from(c: Counts) -> Self {
        CountsView {
            passages: c.passages,
            vehicles: c.vehicles,
            persons: c.persons,
            fevers: c.fevers,
            let_through: c.let_through,
            turned_back: c.turned_back,
            observed: c.observed,
            quarantined: c.quarantined,
        }
    }
}

impl CountsView {
    fn add(&mut self, o: &CountsView) {
        self.passages += o.passages;
        self.vehicles += o.vehicles;
        self.persons += o.persons;
        self.fevers += o.fevers;
        self.let_through += o.let_through;
        self.turned_back += o.turned_back;
        self.observed += o.observed;
        self.quarantined += o.quarantined;
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct StaffInput {
    /// 卡口工作人员的账户名
    pub username: String,
    /// true 表示不再在此卡口工作
    pub remove: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointDetail {
    pub checkpoint: CheckpointView,
    /// 在此卡口工作的账户
    pub staff: Vec<String>,
    /// 今天（或所查日期）的统计
    pub day: NaiveDate,
    pub counts: CountsView,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ShiftInput {
    /// 日期
    pub shift_date: String,
    /// 开始时间，如 08:00
    pub starts_at: String,
    /// 结束时间，如 20:00（早于开始即跨夜）
    pub ends_at: String,
    /// 值守人员（人员库编号），至少一人
    pub person_ids: Vec<i64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnDuty {
    pub person_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftView {
    pub id: i64,
    pub checkpoint_id: i64,
    pub shift_date: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    pub note: String,
    pub on_duty: Vec<OnDuty>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ShiftsQuery {
    /// 自该日起（默认 7 天前）
    pub from: Option<String>,
}

/// A number, or text holding one (as a form sends it).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum NumberOrText {
    Number(f64),
    Text(String),
}

/// Text, or a list of lines.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TextOrList {
    Text(String),
    List(Vec<String>),
}

impl Default for TextOrList {
    fn default() -> Self {
        TextOrList::Text(String::new())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TravellerInput {
    pub name: String,
    /// 公民身份号码（18 位，GB 11643 校验）
    pub id_number: String,
    /// 电话（可空）
    #[serde(default)]
    pub phone: Option<String>,
    /// 体温 ℃（35.0–42.0；≥ 37.3 记为发热）
    pub temperature: NumberOrText,
    /// through 放行、turned_back 劝返、observation 留观、quarantine 送隔离（或中文名）
    pub outcome: String,
    /// 本人目的地（可空：同本次登记的目的地）
    #[serde(default)]
    pub destination: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PassageInput {
    /// 客户端生成的幂等键：网络不好重复提交时，同一键只登记一次（也可放在请求头 Idempotency-Key）
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// 通行时间（RFC 3339，可空：现在）
    #[serde(default)]
    pub passed_at: Option<String>,
    /// 车牌号，如 青H·12345（可空：步行）
    #[serde(default)]
    pub plate: Option<String>,
    /// car 小客车、bus 客车、truck 货车、other 其他（有车牌时必填）
    #[serde(default)]
    pub vehicle_class: Option<String>,
    /// 来自：区划代码或地名
    pub origin: String,
    /// 14 天旅居史（文字或逐条列出）
    #[serde(default)]
    pub travel_history: TextOrList,
    /// 目的地：本区域内填区划代码，区域外填地名
    pub destination: String,
    /// 事由
    #[serde(default)]
    pub reason: String,
    /// 驾乘人员，有车时第一位为驾驶员
    pub travellers: Vec<TravellerInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TravellerView {
    /// 序号（从 1 起）
    pub n: i32,
    pub is_driver: bool,
    pub name: String,
    /// 身份证号（脱敏）
    pub id_number: String,
    /// 电话（脱敏）
    pub phone: Option<String>,
    /// 体温 ℃
    pub temperature: f64,
    /// 是否发热（≥ 37.3 ℃）
    pub fever: bool,
    pub outcome: PassageOutcome,
    pub outcome_name: String,
    /// 目的地区划代码（本区域内）
    pub destination_code: Option<String>,
    /// 目的地（区域外地名，或区域内的名称）
    pub destination_text: String,
    /// 交接记录（交接上线后关联）
    pub handover_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PassageView {
    pub id: i64,
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub jurisdiction_code: String,
    pub passed_at: DateTime<Utc>,
    pub pass_date: NaiveDate,
    pub plate: Option<String>,
    pub vehicle_class: Option<VehicleClass>,
    pub vehicle_class_name: Option<String>,
    pub origin_code: Option<String>,
    pub origin: String,
    pub travel_history: String,
    pub reason: String,
    pub persons: i32,
    pub fevers: i32,
    pub recorded_by: String,
    pub travellers: Vec<TravellerView>,
}

fn traveller_view(t: TravellerRow) -> TravellerView {
    let outcome = PassageOutcome::parse(&t.outcome).unwrap_or(PassageOutcome::Through);
    TravellerView {
        n: t.seq,
        is_driver: t.is_driver,
        name: t.name,
        id_number: mask_id(&t.id_number),
        phone: t.phone.as_deref().map(mask_phone),
        temperature: f64::from(t.temperature) / 10.0,
        fever: t.fever,
        outcome_name: outcome.zh().into(),
        outcome,
        destination_code: t.destination_code,
        destination_text: t.destination_text,
        handover_id: t.handover_id,
    }
}

fn passage_view(p: PassageRow, travellers: &mut HashMap<i64, Vec<TravellerView>>) -> PassageView {
    let class = p.vehicle_class.as_deref().and_then(VehicleClass::parse);
    PassageView {
        travellers: travellers.remove(&p.id).unwrap_or_default(),
        id: p.id,
        checkpoint_id: p.checkpoint_id,
        checkpoint_name: p.checkpoint_name,
        jurisdiction_code: p.jurisdiction_code,
        passed_at: p.passed_at,
        pass_date: p.pass_date,
        plate: p.plate,
        vehicle_class_name: class.map(|c| c.zh().to_string()),
        vehicle_class: class,
        origin_code: p.origin_code,
        origin: p.origin_text,
        travel_history: p.travel_history,
        reason: p.reason,
        persons: p.persons,
        fevers: p.fevers,
        recorded_by: p.recorded_by,
    }
}

/// The outcome of a registration: the passage, and whether this call wrote it (or found it
/// written by an earlier call with the same idempotency key).
#[derive(Debug, Clone)]
pub struct Registered {
    pub passage: PassageView,
    pub created: bool,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PassagesQuery {
    /// 只看该日（可空：全部，新的在前）
    pub date: Option<String>,
    pub page: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmaskedTraveller {
    pub passage_id: i64,
    pub n: i32,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// 起始日期（含），默认今天
    pub from: Option<String>,
    /// 截止日期（含），默认同起始日期
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCountView {
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: CountsView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountyCountView {
    pub county_code: String,
    pub county_name: String,
    #[serde(flatten)]
    pub counts: CountsView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointCounts {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 合计
    pub total: CountsView,
    /// 各卡口逐日（新的在前）
    pub by_day: Vec<DayCountView>,
    /// 各县
    pub by_county: Vec<CountyCountView>,
}

// ---- checks on input ----

/// Field names of the n-th traveller, made once: `travellers[0].name` and so on.
static TRAVELLER_FIELDS: LazyLock<Vec<[&'static str; 6]>> = LazyLock::new(|| {
    (0..MAX_TRAVELLERS)
        .map(|i| {
            [
                "name",
                "id_number",
                "phone",
                "temperature",
                "outcome",
                "destination",
            ]
            .map(|f| &*Box::leak(format!("travellers[{i}].{f}").into_boxed_str()))
        })
        .collect()
});

fn tfield(i: usize, which: usize) -> &'static str {
    TRAVELLER_FIELDS
        .get(i)
        .map(|f| f[which])
        .unwrap_or("travellers")
}
fn looks_like_code(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn time_of_day(field: &'static str, raw: &str) -> ServiceResult<String> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| {
            ServiceError::invalid(
                field,
                format!("时间应为 时:分，如 08:00，收到“{}”", raw.trim()),
            )
        })
}

fn who(i: usize, has_vehicle: bool) -> String {
    if i == 0 && has_vehicle {
        "第 1 位（驾驶员）".into()
    } else {
        format!("第 {} 位", i + 1)
    }
}

/// Whether the actor sees only the checkpoints assigned to it: a checkpoint worker with no
/// other role that reads checkpoints. Gives the account to filter by.
pub fn restricted_to(actor: &Actor) -> Option<i64> {
    if actor.is_cli || !actor.has(Role::CheckpointWorker) {
        return None;
    }
    let wider = actor
        .roles
        .iter()
        .any(|r| *r != Role::CheckpointWorker && r.grants(Permission::ReadCheckpoints));
    if wider {
        None
    } else {
        Some(actor.user_id.unwrap_or(-2))
    }
}

impl App {
    /// A checkpoint the actor may reach: in its scope and, for a checkpoint worker, one of
    /// its own; otherwise "not found", the refusal audited.
    async fn cp_checkpoint(&self, actor: &Actor, id: i64) -> ServiceResult<CheckpointRow> {
        let row = store::checkpoint(&self.db, id).await?;
        let c = self
            .own(actor, "卡口", id, row, |c| &c.jurisdiction_code)
            .await?;
        if let Some(user) = restricted_to(actor) {
            if !store::is_staff(&self.db, user, id).await? {
                let msg = format!("未找到卡口 {id}，或其不在您的管辖范围内");
                return Err(self
                    .refuse(
                        actor,
                        "卡口",
                        &id.to_string(),
                        Some(c.jurisdiction_code.clone()),
                        ServiceError::NotFound(msg),
                    )
                    .await);
            }
        }
        Ok(c)
    }

    async fn cp_passage(&self, actor: &Actor, id: i64) -> ServiceResult<PassageRow> {
        let not_found =
            || ServiceError::NotFound(format!("未找到通行登记 {id}，或其不在您的管辖范围内"));
        let row = store::passage(&self.db, id).await?;
        let p = self
            .own(actor, "通行登记", id, row, |p| &p.jurisdiction_code)
            .await?;
        if let Some(user) = restricted_to(actor) {
            if !store::is_staff(&self.db, user, p.checkpoint_id).await? {
                return Err(
                    match self
                        .refuse(
                            actor,
                            "通行登记",
                            &id.to_string(),
                            Some(p.jurisdiction_code.clone()),
                            not_found(),
                        )
                        .await
                    {
                        ServiceError::NotFound(_) => not_found(),
                        other => other,
                    },
                );
            }
        }
        Ok(p)
    }

    // ---- checkpoints ----

    /// Sets up a checkpoint in the caller's scope; audited.
    pub async fn create_checkpoint(
        &self,
        actor: &Actor,
        input: &CheckpointInput,
    ) -> ServiceResult<CheckpointView> {
        self.require(actor, Permission::ManageCheckpoints, "卡口", "new")
            .await?;
        let name = text("name", "卡口名称", &input.name, 100, true)?;
        let road = text("road", "道路", &input.road, 100, true)?;
        let place = text("place", "位置", &input.place, 300, false)?;
        let kind = CheckpointKind::parse(&input.kind).ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!(
                    "卡口类型“{}”无效，应为：公路卡口、火车站、机场",
                    input.kind.trim()
                ),
            )
        })?;
        let code = self
            .place_in_scope(actor, "jurisdiction_code", input.jurisdiction_code.trim())
            .await?;
        if !matches!(
            code.level(),
            dualtrack_domain::jurisdiction::Level::County
                | dualtrack_domain::jurisdiction::Level::Township
        ) {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "卡口应属于县级或乡镇（街道）",
            ));
        }
        let active_from = parse_date("active_from", &input.active_from)?;
        let active_until = match input
            .active_until
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => Some(parse_date("active_until", d)?),
            None => None,
        };
        if matches!(active_until, Some(u) if u < active_from) {
            return Err(ServiceError::invalid(
                "active_until",
                "撤除日期不能早于启用日期",
            ));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_checkpoint(
            &mut tx,
            &NewCheckpoint {
                name: name.clone(),
                road,
                place,
                jurisdiction_code: code.to_string(),
                kind: kind.as_str().into(),
                active_from,
                active_until,
                created_by: actor.username.clone(),
            },
            self.clock.now(),
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::CheckpointCreate,
                Outcome::Success,
                "卡口",
                id.to_string(),
                Some(code.to_string()),
                name,
            ),
        )
        .await?;
        tx.commit().await?;
        let row = store::checkpoint(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("卡口未找到".into()))?;
        Ok(checkpoint_view(row))
    }

    /// The checkpoints the caller may see.
    pub async fn checkpoints(&self, actor: &Actor) -> ServiceResult<Vec<CheckpointView>> {
        self.require(actor, Permission::ReadCheckpoints, "卡口", "list")
            .await?;
        Ok(
            store::checkpoints(&self.db, &actor.scope, restricted_to(actor))
                .await?
                .into_iter()
                .map(checkpoint_view)
                .collect(),
        )
    }

    /// A checkpoint with its staff and the counts of a day (today by default).
    pub async fn checkpoint(
        &self,
        actor: &Actor,
        id: i64,
        day: Option<&str>,
    ) -> ServiceResult<CheckpointDetail> {
        self.require(actor, Permission::ReadCheckpoints, "卡口", &id.to_string())
            .await?;
        let c = self.cp_checkpoint(actor, id).await?;
        let day = match day.map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("date", d)?,
            None => self.today(),
        };
        let counts = store::counts_by_day(&self.db, &actor.scope, None, day, day)
            .await?
            .into_iter()
            .find(|r| r.checkpoint_id == id)
            .map(|r| r.counts.into())
            .unwrap_or_default();
        let staff = store::staff(&self.db, id)
            .await?
            .into_iter()
            .map(|(_, u, d)| format!("{d}（{u}）"))
            .collect();
        Ok(CheckpointDetail {
            checkpoint: checkpoint_view(c),
            staff,
            day,
            counts,
        })
    }

    /// Puts an account of a checkpoint worker on a checkpoint, or takes it off; the account
    /// must be in the caller's scope and its own scope must hold the checkpoint. Audited.
    pub async fn set_checkpoint_staff(
        &self,
        actor: &Actor,
        checkpoint_id: i64,
        input: &StaffInput,
    ) -> ServiceResult<Vec<StaffView>> {
        self.require(
            actor,
            Permission::ManageCheckpoints,
            "卡口",
            &checkpoint_id.to_string(),
        )
        .await?;
        let c = self.cp_checkpoint(actor, checkpoint_id).await?;
        let username = text("username", "账户名", &input.username, 64, true)?;
        let not_found = || {
            ServiceError::invalid(
                "username",
                format!("未找到账户“{username}”，或其不在您的管辖范围内"),
            )
        };
        let user = dualtrack_store::user::by_username(&self.db, &username)
            .await?
            .ok_or_else(not_found)?;
        let home = Code::parse(&user.jurisdiction_code).map_err(|_| not_found())?;
        if !actor.scope.contains(&home) {
            return Err(not_found());
        }
        let roles = dualtrack_store::user::roles(&self.db, user.id).await?;
        if !roles.iter().any(|r| r == Role::CheckpointWorker.as_str()) {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”不是卡口工作人员，请先由安全管理员授予该角色"),
            ));
        }
        let place = code_of(&c.jurisdiction_code)?;
        if !place.is_within(&home) {
            return Err(ServiceError::invalid(
                "username",
                format!("账户“{username}”的辖区不含卡口“{}”所在地", c.name),
            ));
        }
        let remove = input.remove.unwrap_or(false);
        let mut tx = self.db.begin().await?;
        if remove {
            if !store::remove_staff(&mut tx, user.id, checkpoint_id).await? {
                return Err(ServiceError::invalid(
                    "username",
                    format!("账户“{username}”不在此卡口工作"),
                ));
            }
        } else {
            store::assign_staff(&mut tx, user.id, checkpoint_id).await?;
        }
        audit_in(
            &mut tx,
            &actor.audit(
                Action::CheckpointStaff,
                Outcome::Success,
                "卡口",
                checkpoint_id.to_string(),
                Some(c.jurisdiction_code),
                if remove {
                    format!("{username} 不再在此卡口工作")
                } else {
                    format!("{username} 在此卡口工作")
                },
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(store::staff(&self.db, checkpoint_id)
            .await?
            .into_iter()
            .map(|(id, username, display_name)| StaffView {
                user_id: id,
                username,
                display_name,
            })
            .collect())
    }

    // ---- shifts ----

    pub async fn checkpoint_shifts(
        &self,
        actor: &Actor,
        id: i64,
        q: &ShiftsQuery,
    ) -> ServiceResult<Vec<ShiftView>> {
        self.require(actor, Permission::ReadCheckpoints, "卡口", &id.to_string())
            .await?;
        self.cp_checkpoint(actor, id).await?;
        let from = match q.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("from", d)?,
            None => self.today() - Duration::days(7),
        };
        self.shifts_from(id, from).await
    }

    async fn shifts_from(&self, id: i64, from: NaiveDate) -> ServiceResult<Vec<ShiftView>> {
        let mut people: BTreeMap<i64, Vec<OnDuty>> = BTreeMap::new();
        for (shift, person_id, name) in store::shift_people(&self.db, id, from).await? {
            people
                .entry(shift)
                .or_default()
                .push(OnDuty { person_id, name });
        }
        Ok(store::shifts(&self.db, id, from, 200)
            .await?
            .into_iter()
            .map(|s| ShiftView {
                on_duty: people.remove(&s.id).unwrap_or_default(),
                id: s.id,
                checkpoint_id: s.checkpoint_id,
                shift_date: s.shift_date,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                note: s.note,
            })
            .collect())
    }

    /// Puts people of the registry on duty at a checkpoint for a shift; audited.
    pub async fn add_checkpoint_shift(
        &self,
        actor: &Actor,
        id: i64,
        input: &ShiftInput,
    ) -> ServiceResult<ShiftView> {
        self.require(
            actor,
            Permission::ManageCheckpoints,
            "卡口",
            &id.to_string(),
        )
        .await?;
        let c = self.cp_checkpoint(actor, id).await?;
        let shift_date = parse_date("shift_date", &input.shift_date)?;
        let starts_at = time_of_day("starts_at", &input.starts_at)?;
        let ends_at = time_of_day("ends_at", &input.ends_at)?;
        let note = text("note", "备注", &input.note, 300, false)?;
        if input.person_ids.is_empty() {
            return Err(ServiceError::invalid(
                "person_ids",
                "请至少选择一名值守人员",
            ));
        }
        if input.person_ids.len() > 50 {
            return Err(ServiceError::invalid(
                "person_ids",
                "一个班次的值守人员不超过 50 人",
            ));
        }
        for pid in &input.person_ids {
            let p = dualtrack_store::mobilisation::person(&self.db, *pid).await?;
            let ok = match &p {
                Some(p) => actor.scope.contains(&code_of(&p.jurisdiction_code)?),
                None => false,
            };
            if !ok {
                return Err(ServiceError::unknown(
                    "person_ids",
                    format!("人员 {pid} 不存在或不在您的管辖范围内"),
                ));
            }
        }
        let mut tx = self.db.begin().await?;
        let shift = store::insert_shift(
            &mut tx,
            &NewShift {
                checkpoint_id: id,
                shift_date,
                starts_at: starts_at.clone(),
                ends_at: ends_at.clone(),
                note,
                created_by: actor.username.clone(),
                people: input.person_ids.clone(),
            },
            self.clock.now(),
        )
        .await?;
        audit_in(
            &mut tx,
            &actor.audit(
                Action::CheckpointShift,
                Outcome::Success,
                "卡口",
                id.to_string(),
                Some(c.jurisdiction_code),
                format!(
                    "{} {shift_date} {starts_at}–{ends_at}，{} 人值守",
                    c.name,
                    input.person_ids.len()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.shifts_from(id, shift_date)
            .await?
            .into_iter()
            .find(|s| s.id == shift)
            .ok_or_else(|| ServiceError::Internal("班次未找到".into()))
    }

    // ---- passages ----

    /// Registers a passage with all its travellers in one transaction with one audit row.
    /// A retry with the same idempotency key returns the first passage and writes nothing.
    pub async fn register_passage(
        &self,
        actor: &Actor,
        checkpoint_id: i64,
        input: &PassageInput,
    ) -> ServiceResult<Registered> {
        self.require(
            actor,
            Permission::RegisterPassages,
            "卡口",
            &checkpoint_id.to_string(),
        )
        .await?;
        let c = self.cp_checkpoint(actor, checkpoint_id).await?;
        let w = self
            .once(
                actor,
                "passage",
                &input.idempotency_key,
                &(checkpoint_id, input),
                |claim| self.write_passage(actor, &c, input, claim),
                |id| self.passage_of(id),
            )
            .await?;
        Ok(Registered {
            passage: w.record,
            created: w.created,
        })
    }

    async fn write_passage(
        &self,
        actor: &Actor,
        c: &CheckpointRow,
        input: &PassageInput,
        claim: Option<Claim>,
    ) -> ServiceResult<PassageView> {
        let key = claim.as_ref().map(|k| k.key().to_string());
        let new = self.check_passage(actor, c, input, key).await?;
        // On SQLite one writer at a time: registrations queue here in order rather than in
        // SQLite's busy handler, whose growing sleeps would make a barrier wait for no reason.
        // Counted as waiting meanwhile, so that background jobs let it go first.
        let waiting = self.db.writer_waiting();
        let _turn = self.db.write_turn().await;
        let mut tx = self.db.begin().await?;
        drop(waiting);
        let written = store::insert_passage(&mut tx, &new, self.now()).await?;
        keep(&mut tx, claim.as_ref(), written.id).await?;
        let fevers = new.travellers.iter().filter(|t| t.fever).count();
        let handed = new
            .travellers
            .iter()
            .filter(|t| t.handover.is_some())
            .count();
        let detail = format!(
            "{} {}，{} 人{}{}",
            c.name,
            new.plate.as_deref().unwrap_or("步行"),
            new.travellers.len(),
            if fevers > 0 {
                format!("，发热 {fevers} 人")
            } else {
                String::new()
            },
            if handed > 0 {
                format!("，落地交接 {handed} 人")
            } else {
                String::new()
            }
        );
        audit_in(
            &mut tx,
            &actor.audit(
                Action::PassageRegister,
                Outcome::Success,
                "通行登记",
                written.id.to_string(),
                Some(c.jurisdiction_code.clone()),
                detail,
            ),
        )
        .await?;
        tx.commit().await?;
        // Answered from what was written rather than read back.
        let (p, travellers) = new.rows(&written, &c.name);
        let mut by = HashMap::from([(p.id, travellers.into_iter().map(traveller_view).collect())]);
        Ok(passage_view(p, &mut by))
    }

    async fn passage_of(&self, id: i64) -> ServiceResult<PassageView> {
        let p = store::passage(&self.db, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("登记未找到".into()))?;
        let mut t = self.travellers_by_passage(&[id]).await?;
        Ok(passage_view(p, &mut t))
    }

    async fn travellers_by_passage(
        &self,
        ids: &[i64],
    ) -> ServiceResult<HashMap<i64, Vec<TravellerView>>> {
        let mut by: HashMap<i64, Vec<TravellerView>> = HashMap::new();
        for t in store::travellers(&self.db, ids).await? {
            by.entry(t.passage_id).or_default().push(traveller_view(t));
        }
        Ok(by)
    }

    /// Where a destination lies: a division code inside the region (checked to exist), or
    /// text outside it. Gives (code, text).
    async fn destination(
        &self,
        field: &'static str,
        label: &str,
        raw: &str,
    ) -> ServiceResult<(Option<String>, String)> {
        let v = text(field, label, raw, 200, true)?;
        if looks_like_code(&v) {
            match self.name_of(&v).await? {
                Some(name) => Ok((Some(v), name)),
                None => Err(ServiceError::invalid(
                    field,
                    format!("{label}区划代码“{v}”不在本平台区域内；区域外的目的地请填写地名"),
                )),
            }
        } else {
            Ok((None, v))
        }
    }

    async fn check_passage(
        &self,
        actor: &Actor,
        c: &CheckpointRow,
        input: &PassageInput,
        key: Option<String>,
    ) -> ServiceResult<NewPassage> {
        let now = self.now();
        let passed_at = match input
            .passed_at
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => DateTime::parse_from_rfc3339(raw)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| {
                    ServiceError::invalid(
                        "passed_at",
                        format!("通行时间格式应如 2020-02-10T08:30:00+08:00，收到“{raw}”"),
                    )
                })?,
            None => now,
        };
        // Kept to the microsecond, as both engines store it.
        let passed_at = passed_at.trunc_subsecs(6);
        if passed_at > now + Duration::minutes(10) {
            return Err(ServiceError::invalid("passed_at", "通行时间不能晚于现在"));
        }
        let pass_date = reporting_day(passed_at);
        if pass_date < c.active_from || matches!(c.active_until, Some(u) if pass_date > u) {
            return Err(ServiceError::invalid(
                "passed_at",
                format!("卡口“{}”在 {pass_date} 未启用", c.name),
            ));
        }
        let plate = match input
            .plate
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(p) => Some(parse_plate(p).map_err(|m| ServiceError::invalid("plate", m))?),
            None => None,
        };
        let vehicle_class = match (
            &plate,
            input
                .vehicle_class
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
        ) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(ServiceError::invalid(
                    "plate",
                    "填写了车辆类型，请同时填写车牌号",
                ))
            }
            (Some(_), None) => {
                return Err(ServiceError::invalid(
                    "vehicle_class",
                    "请选择车辆类型：小客车、客车、货车、其他",
                ))
            }
            (Some(_), Some(v)) => Some(
                VehicleClass::parse(v)
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "vehicle_class",
                            format!("车辆类型“{v}”无效，应为：小客车、客车、货车、其他"),
                        )
                    })?
                    .as_str()
                    .to_string(),
            ),
        };
        let origin = text("origin", "来自何处", &input.origin, 200, true)?;
        let (origin_code, origin_text) = if looks_like_code(&origin) {
            let valid = matches!(origin.len(), 2 | 4 | 6 | 9 | 12);
            if !valid {
                return Err(ServiceError::invalid(
                    "origin",
                    format!("来源区划代码“{origin}”无效：应为 2、4、6、9 或 12 位，或直接填写地名"),
                ));
            }
            let name = self
                .name_of(&origin)
                .await?
                .unwrap_or_else(|| origin.clone());
            (Some(origin.clone()), name)
        } else {
            (None, origin)
        };
        let history = match &input.travel_history {
            TextOrList::Text(t) => t.trim().to_string(),
            TextOrList::List(l) => l
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("；"),
        };
        let travel_history = text("travel_history", "14 天旅居史", &history, 1000, false)?;
        let reason = text("reason", "事由", &input.reason, 300, false)?;
        let (dest_code, dest_text) = self
            .destination("destination", "目的地", &input.destination)
            .await?;
        if input.travellers.is_empty() {
            return Err(ServiceError::invalid(
                "travellers",
                "请至少登记一名驾乘人员",
            ));
        }
        if input.travellers.len() > MAX_TRAVELLERS {
            return Err(ServiceError::invalid(
                "travellers",
                format!("一次登记不超过 {MAX_TRAVELLERS} 人"),
            ));
        }
        let has_vehicle = plate.is_some();
        let due_at = now + Duration::hours(i64::from(self.handover_overdue_hours));
        let mut receivers = HashMap::new();
        let mut travellers = Vec::with_capacity(input.travellers.len());
        let mut seen = std::collections::HashSet::new();
        for (i, t) in input.travellers.iter().enumerate() {
            let w = who(i, has_vehicle);
            let name = text(tfield(i, 0), &format!("{w}的姓名"), &t.name, 50, true)?;
            let id = ResidentId::parse(&t.id_number, self.today())
                .map_err(|e| ServiceError::invalid(tfield(i, 1), format!("{w}（{name}）：{e}")))?;
            if !seen.insert(id.as_str().to_string()) {
                return Err(ServiceError::invalid(
                    tfield(i, 1),
                    format!("{w}（{name}）：身份证号与前面的人重复"),
                ));
            }
            let phone = match t.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(p) => Some(validate_phone(p).map_err(|m| {
                    ServiceError::invalid(tfield(i, 2), format!("{w}（{name}）：{m}"))
                })?),
                None => None,
            };
            let celsius = match &t.temperature {
                NumberOrText::Number(n) => Some(*n),
                NumberOrText::Text(s) => s
                    .trim()
                    .trim_end_matches(['℃', 'C', 'c'])
                    .trim()
                    .parse::<f64>()
                    .ok(),
            };
            let temperature = celsius
                .ok_or_else(|| {
                    ServiceError::invalid(
                        tfield(i, 3),
                        format!("{w}（{name}）：请填写体温（℃），如 36.5"),
                    )
                })
                .and_then(|c| {
                    temperature_tenths(c).map_err(|m| {
                        ServiceError::invalid(tfield(i, 3), format!("{w}（{name}）：{m}"))
                    })
                })?;
            let outcome = PassageOutcome::parse(&t.outcome).ok_or_else(|| {
                ServiceError::invalid(
                    tfield(i, 4),
                    format!(
                        "{w}（{name}）：处置结果“{}”无效，应为：放行、劝返、留观、送隔离",
                        t.outcome.trim()
                    ),
                )
            })?;
            let (destination_code, destination_text) = match t
                .destination
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                Some(d) => {
                    self.destination(tfield(i, 5), &format!("{w}（{name}）的目的地"), d)
                        .await?
                }
                None => (dest_code.clone(), dest_text.clone()),
            };
            let handover = match &destination_code {
                Some(code) if outcome.goes_on() => Some(NewHandover {
                    to_code: self.receiver_of(code, &mut receivers).await?,
                    due_at,
                    acknowledged: None,
                }),
                _ => None,
            };
            travellers.push(NewTraveller {
                is_driver: i == 0 && has_vehicle,
                name,
                id_number: id.as_str().to_string(),
                phone,
                temperature,
                fever: is_fever(temperature),
                outcome: outcome.as_str().into(),
                destination_code,
                destination_text,
                handover,
            });
        }
        Ok(NewPassage {
            checkpoint_id: c.id,
            jurisdiction_code: c.jurisdiction_code.clone(),
            passed_at,
            pass_date,
            plate,
            vehicle_class,
            origin_code,
            origin_text,
            travel_history,
            reason,
            idempotency_key: key,
            recorded_by: actor.username.clone(),
            travellers,
        })
    }

    /// A checkpoint's passages (masked), the latest first.
    pub async fn checkpoint_passages(
        &self,
        actor: &Actor,
        id: i64,
        q: &PassagesQuery,
    ) -> ServiceResult<Vec<PassageView>> {
        self.require(actor, Permission::ReadCheckpoints, "卡口", &id.to_string())
            .await?;
        self.cp_checkpoint(actor, id).await?;
        let day = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => Some(parse_date("date", d)?),
            None => None,
        };
        let page = q.page.unwrap_or(1);
        if !(1..=100_000).contains(&page) {
            return Err(ServiceError::invalid("page", "页码应为正整数"));
        }
        let rows = store::passages(&self.db, id, day, PAGE, crate::page_offset(page, PAGE)).await?;
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let mut t = self.travellers_by_passage(&ids).await?;
        Ok(rows.into_iter().map(|p| passage_view(p, &mut t)).collect())
    }

    /// One passage (masked).
    pub async fn passage(&self, actor: &Actor, id: i64) -> ServiceResult<PassageView> {
        self.require(
            actor,
            Permission::ReadCheckpoints,
            "通行登记",
            &id.to_string(),
        )
        .await?;
        let p = self.cp_passage(actor, id).await?;
        let mut t = self.travellers_by_passage(&[id]).await?;
        Ok(passage_view(p, &mut t))
    }

    /// A traveller's ID number and phone in full; audited.
    pub async fn unmask_traveller(
        &self,
        actor: &Actor,
        id: i64,
        n: i64,
    ) -> ServiceResult<UnmaskedTraveller> {
        let target = format!("{id}/{n}");
        let t = self
            .reveal(
                actor,
                Permission::ReadCheckpoints,
                "通行登记旅客",
                &target,
                || async {
                    let p = self.cp_passage(actor, id).await?;
                    let t = store::travellers(&self.db, &[id])
                        .await?
                        .into_iter()
                        .find(|t| i64::from(t.seq) == n)
                        .ok_or_else(|| {
                            ServiceError::NotFound(format!("通行登记 {id} 没有第 {n} 位驾乘人员"))
                        })?;
                    Ok((t, p.jurisdiction_code))
                },
            )
            .await?;
        Ok(UnmaskedTraveller {
            passage_id: id,
            n: t.seq,
            name: t.name,
            id_number: t.id_number,
            phone: t.phone,
        })
    }

    // ---- counts ----

    /// Counts per checkpoint and day, per county and in all, over a period.
    pub async fn checkpoint_counts(
        &self,
        actor: &Actor,
        q: &CountsQuery,
    ) -> ServiceResult<CheckpointCounts> {
        self.require(actor, Permission::ReadCheckpoints, "卡口", "counts")
            .await?;
        let from = match q.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("from", d)?,
            None => self.today(),
        };
        let to = match q.to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(d) => parse_date("to", d)?,
            None => from,
        };
        if to < from {
            return Err(ServiceError::invalid("to", "截止日期不能早于起始日期"));
        }
        if to - from > Duration::days(366) {
            return Err(ServiceError::invalid("to", "一次最多统计 366 天"));
        }
        let staff = restricted_to(actor);
        let names: HashMap<i64, String> = store::checkpoints(&self.db, &actor.scope, staff)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let mut total = CountsView::default();
        let by_day: Vec<DayCountView> =
            store::counts_by_day(&self.db, &actor.scope, staff, from, to)
                .await?
                .into_iter()
                .map(|r| {
                    let counts: CountsView = r.counts.into();
                    total.add(&counts);
                    DayCountView {
                        checkpoint_name: names.get(&r.checkpoint_id).cloned().unwrap_or_default(),
                        checkpoint_id: r.checkpoint_id,
                        date: r.pass_date,
                        counts,
                    }
                })
                .collect();
        let rows = store::counts_by_county(&self.db, &actor.scope, staff, from, to).await?;
        let counties: Vec<&str> = rows.iter().map(|r| r.county.as_str()).collect();
        let names = jurisdiction::names_of(&self.db, &counties).await?;
        let mut by_county = Vec::new();
        for r in rows {
            let county_name = names
                .get(&r.county)
                .cloned()
                .unwrap_or_else(|| r.county.clone());
            by_county.push(CountyCountView {
                county_code: r.county,
                county_name,
                counts: r.counts.into(),
            });
        }
        Ok(CheckpointCounts {
            from,
            to,
            total,
            by_day,
            by_county,
        })
    }
}
