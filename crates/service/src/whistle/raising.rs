//! Raising a ticket (吹哨), by hand or from a grid report, a follow-up or an enterprise report.

use super::views::{hm, opt, short};
use super::*;
use crate::idempotency::{keep, Claim, Written};
use crate::import::choices;
use crate::input::parse_code;
use crate::input::parse_time;
use crate::input::{optional_text, text};
use crate::{Actor, App, ServiceError, ServiceResult};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::jurisdiction::{Code, Level};
use dualtrack_domain::role::Permission;
use dualtrack_domain::time::display;
use dualtrack_domain::whistle::{
    raiser_of_place, RaiserKind, SourceKind, TicketCategory, TicketEvent, TicketKind,
};
use dualtrack_store::phone_time::PhoneTimed;
use dualtrack_store::whistle::{self as store, NewTicket};
use std::collections::HashMap;

pub(super) fn parse_kind(raw: Option<&str>) -> ServiceResult<TicketKind> {
    match raw {
        None => Ok(TicketKind::Routine),
        Some(k) => TicketKind::parse(k).ok_or_else(|| {
            ServiceError::invalid("kind", format!("类型“{k}”无效，应为 常规、疑难 或 紧急"))
        }),
    }
}

pub(super) fn parse_category(raw: &str) -> ServiceResult<TicketCategory> {
    TicketCategory::parse(raw).ok_or_else(|| {
        ServiceError::invalid(
            "category",
            format!(
                "类别“{}”无效，应为 {}",
                raw.trim(),
                choices(TicketCategory::ALL, TicketCategory::zh)
            ),
        )
    })
}

/// What a ticket raised from a record starts with.
struct FromSource {
    kind: SourceKind,
    id: i64,
    place: String,
    category: TicketCategory,
    description: String,
    raiser: Option<(RaiserKind, String)>,
    enterprise_id: Option<i64>,
    org_id: Option<i64>,
}

/// The description of a ticket raised from a follow-up: what is needed and where the case
/// is, never the person's name, temperature or symptoms. The ticket travels to departments
/// and their channels as free text; the health details stay in the sealed follow-up, which
/// those who may read the case open from the link.
pub(crate) fn followup_description(kind: &str, case_id: i64, abnormal: bool) -> String {
    let kind = dualtrack_domain::monitoring::CaseKind::parse(kind)
        .map(|k| k.zh())
        .unwrap_or("隔离监测");
    let need = if abnormal {
        "随访发现异常，需转运/就医"
    } else {
        "随访情况需跟进"
    };
    format!(
        "{kind}对象（第 {case_id} 号）{need}\n请卫健部门处置；对象情况见 /monitoring/cases/{case_id}（辖区内有隔离监测查看权限者可打开）"
    )
}

impl App {
    /// The case a ticket raised from a follow-up is about, for a caller who may read it
    /// (the monitoring permission and the case's place in scope); none otherwise.
    pub async fn ticket_source_case(
        &self,
        actor: &Actor,
        t: &TicketView,
    ) -> ServiceResult<Option<i64>> {
        let (Some(SourceKind::Followup), Some(id)) = (t.source, t.source_id) else {
            return Ok(None);
        };
        if !actor.can(Permission::ReadMonitoring) {
            return Ok(None);
        }
        Ok(store::followup_source(&self.db, id)
            .await?
            .filter(|f| Code::parse(&f.jurisdiction_code).is_ok_and(|c| actor.scope.contains(&c)))
            .map(|f| f.case_id))
    }

    async fn source_record(
        &self,
        actor: &Actor,
        kind: SourceKind,
        id: i64,
    ) -> ServiceResult<FromSource> {
        let label = kind.zh();
        match kind {
            SourceKind::GridReport => {
                let r = store::grid_report_source(&self.db, id).await?;
                let r = self.own(actor, label, id, r, |r| &r.grid_code).await?;
                let mut d = format!("{} {} 网格日报：", r.grid_name, r.report_date);
                if r.remarks.trim().is_empty() {
                    d.push_str(&format!(
                        "事件 {} 起，高风险人员 {} 名",
                        r.incidents, r.high_risk
                    ));
                } else {
                    d.push_str(r.remarks.trim());
                }
                Ok(FromSource {
                    kind,
                    id,
                    place: r.grid_code,
                    category: TicketCategory::Epidemic,
                    description: d,
                    raiser: None,
                    enterprise_id: None,
                    org_id: None,
                })
            }
            SourceKind::Followup => {
                let f = store::followup_source(&self.db, id).await?;
                let f = self
                    .own(actor, label, id, f, |r| &r.jurisdiction_code)
                    .await?;
                Ok(FromSource {
                    kind,
                    id,
                    place: f.jurisdiction_code,
                    category: TicketCategory::Epidemic,
                    description: followup_description(&f.kind, f.case_id, f.abnormal),
                    raiser: None,
                    enterprise_id: None,
                    org_id: None,
                })
            }
            SourceKind::EnterpriseReport => {
                let r = store::enterprise_report_source(&self.db, id).await?;
                let r = self
                    .own(actor, label, id, r, |r| &r.jurisdiction_code)
                    .await?;
                let problems = if r.problems.trim().is_empty() {
                    "（日报未写明问题，请补充）".to_string()
                } else {
                    r.problems.trim().to_string()
                };
                Ok(FromSource {
                    kind,
                    id,
                    place: r.jurisdiction_code,
                    category: TicketCategory::Other,
                    description: format!(
                        "{} {} 日报反映：{}",
                        r.enterprise_name, r.report_date, problems
                    ),
                    raiser: Some((RaiserKind::Enterprise, r.enterprise_name)),
                    enterprise_id: Some(r.enterprise_id),
                    org_id: None,
                })
            }
            SourceKind::ProductionProblem => {
                let q = dualtrack_store::workgroups::problem(&self.db, id).await?;
                let q = self
                    .own(actor, label, id, q, |r| &r.jurisdiction_code)
                    .await?;
                if let Some(t) = q.ticket_id {
                    return Err(ServiceError::conflict(
                        "source_id",
                        format!("该生产难题已吹哨（工单 {t}），请到工单跟进"),
                    ));
                }
                let raiser = match &q.org_name {
                    Some(o) => (RaiserKind::WorkGroup, o.clone()),
                    None => (RaiserKind::Enterprise, q.enterprise_name.clone()),
                };
                Ok(FromSource {
                    kind,
                    id,
                    place: q.jurisdiction_code,
                    category: TicketCategory::from_problem(&q.category),
                    description: format!("{}：{}", q.enterprise_name, q.description),
                    raiser: Some(raiser),
                    enterprise_id: Some(q.enterprise_id),
                    org_id: q.org_id,
                })
            }
        }
    }

    /// Blows the whistle: a ticket with the departments called by rule plus those the
    /// whistler adds (each must answer for the place), deadlines by kind, a notice to each
    /// department; raised from a record, it is linked back to it. Audited.
    pub async fn raise_ticket(
        &self,
        actor: &Actor,
        input: &TicketInput,
    ) -> ServiceResult<Written<TicketDetail>> {
        self.once(
            actor,
            "ticket",
            &input.idempotency_key,
            &input,
            |claim| self.write_raise_ticket(actor, input, claim),
            |rid| self.ticket_detail(actor, rid),
        )
        .await
    }

    async fn write_raise_ticket(
        &self,
        actor: &Actor,
        input: &TicketInput,
        claim: Option<Claim>,
    ) -> ServiceResult<TicketDetail> {
        self.require(actor, Permission::RaiseTickets, "工单", "new")
            .await?;
        let now = self.now();
        let kind = parse_kind(opt(&input.kind))?;
        let source = self.ticket_source(actor, input).await?;
        let category = match (opt(&input.category), &source) {
            (Some(c), _) => parse_category(c)?,
            (None, Some(s)) => s.category,
            (None, None) => return Err(ServiceError::invalid("category", "请选择类别")),
        };
        let description = match (opt(&input.description), &source) {
            (Some(d), _) => text("description", "情况描述", d, 2000)?,
            (None, Some(s)) => short(&s.description, 2000),
            (None, None) => return Err(ServiceError::invalid("description", "请填写情况描述")),
        };
        let title = match opt(&input.title) {
            Some(t) => text("title", "标题", t, 60)?,
            None => short(description.lines().next().unwrap_or(&description), 30),
        };
        let address = optional_text("address", "具体地点", &input.address, 100)?;
        let deadline = deadline_of(&input.deadline, now)?;
        let made_at = self.phone_time("made_at", "吹哨时间", &input.made_at)?;
        let place = self.ticket_place(actor, input, &source).await?;
        let routing = self.routing_of(category, &place).await?;
        let allowed: HashMap<i64, &DepartmentView> =
            routing.allowed.iter().map(|d| (d.id, d)).collect();
        let called = self
            .called_departments(input, &routing, &allowed, category, &place)
            .await?;
        let place_name = self.name_of(place.as_str()).await?.unwrap_or_default();
        let (raiser_kind, raiser_name) = match source.as_ref().and_then(|s| s.raiser.clone()) {
            Some(r) => r,
            None => (raiser_of_place(&place), place_name.clone()),
        };
        let d = &self.whistle.deadlines;
        let accept_due = now + d.accept(kind);
        let resolve_due = deadline.unwrap_or(now + d.resolve(kind)).max(accept_due);
        let new = NewTicket {
            kind: kind.as_str().into(),
            category: category.as_str().into(),
            title,
            description,
            jurisdiction_code: place.to_string(),
            address,
            raiser_kind: raiser_kind.as_str().into(),
            raiser_name: raiser_name.clone(),
            source_kind: source.as_ref().map(|s| s.kind.as_str().to_string()),
            source_id: source.as_ref().map(|s| s.id),
            enterprise_id: source.as_ref().and_then(|s| s.enterprise_id),
            org_id: source.as_ref().and_then(|s| s.org_id),
            accept_due_at: accept_due,
            resolve_due_at: resolve_due,
            raised_by: actor.username.clone(),
            raised_by_user: actor.user_id,
        };
        let mut tx = self.db.begin().await?;
        let id = store::insert_ticket(&mut tx, &new, now).await?;
        dualtrack_store::phone_time::keep(&mut tx, PhoneTimed::Ticket, id, made_at).await?;
        keep(&mut tx, claim.as_ref(), id).await?;
        for (dept, routed) in &called {
            store::insert_call(&mut tx, id, *dept, *routed, now, accept_due).await?;
        }
        if let Some(s) = &source {
            if s.kind == SourceKind::ProductionProblem
                && !store::link_problem(&mut tx, s.id, id).await?
            {
                return Err(ServiceError::conflict(
                    "source_id",
                    "该生产难题已吹哨，请到工单跟进",
                ));
            }
        }
        let names: Vec<String> = called
            .iter()
            .filter_map(|(d, _)| allowed.get(d).map(|x| x.name.clone()))
            .collect();
        store::insert_event(
            &mut tx,
            id,
            now,
            TicketEvent::Raised.as_str(),
            None,
            &actor.username,
            &format!("呼叫：{}", names.join("、")),
        )
        .await?;
        let t = store::ticket_in(&mut tx, id)
            .await?
            .ok_or_else(|| ServiceError::Internal("工单未写入".into()))?;
        let notes = called
            .iter()
            .map(|(dept, _)| {
                Note::to_department(
                    TicketEvent::Raised,
                    *dept,
                    format!(
                        "【{}】{}吹哨：{}（{}），请于 {} 前报到",
                        kind.zh(),
                        raiser_name,
                        t.title,
                        place_name,
                        hm(accept_due)
                    ),
                )
            })
            .collect();
        write_notices(&mut tx, &t, notes, now).await?;
        let audit = actor.audit(
            Action::TicketRaise,
            Outcome::Success,
            "工单",
            id.to_string(),
            Some(place.to_string()),
            format!("{} {} → {}", kind.zh(), category.zh(), names.join("、")),
        );
        commit_audited(tx, &audit).await?;
        self.ticket_detail(actor, id).await
    }

    /// The record a ticket is raised from, if the form names one: both its kind and its id.
    async fn ticket_source(
        &self,
        actor: &Actor,
        input: &TicketInput,
    ) -> ServiceResult<Option<FromSource>> {
        Ok(match (opt(&input.source), input.source_id) {
            (None, None) => None,
            (Some(s), Some(id)) => {
                let k = SourceKind::parse(s).ok_or_else(|| {
                    ServiceError::invalid(
                        "source",
                        format!("来源“{s}”无效，应为 网格日报、隔离监测随访、企业日报 或 生产难题"),
                    )
                })?;
                Some(
                    self.source_record(actor, k, id)
                        .await
                        .map_err(|e| e.referred_by("source_id"))?,
                )
            }
            (Some(_), None) => {
                return Err(ServiceError::invalid("source_id", "请填写来源记录的编号"))
            }
            (None, Some(_)) => return Err(ServiceError::invalid("source", "请填写来源记录的类别")),
        })
    }

    /// The place of a ticket: the one the form names (within the caller's scope) or the
    /// source's, a county or below, and on the source's line when there is one.
    async fn ticket_place(
        &self,
        actor: &Actor,
        input: &TicketInput,
        source: &Option<FromSource>,
    ) -> ServiceResult<Code> {
        let place = match (opt(&input.jurisdiction_code), source) {
            (Some(c), _) => self.place_in_scope(actor, "jurisdiction_code", c).await?,
            (None, Some(s)) => parse_code("jurisdiction_code", &s.place)?,
            (None, None) => {
                return Err(ServiceError::invalid(
                    "jurisdiction_code",
                    "请选择事发地（网格、村或乡镇）",
                ))
            }
        };
        if let Some(s) = source {
            if !place.as_str().starts_with(&s.place) && !s.place.starts_with(place.as_str()) {
                return Err(ServiceError::invalid(
                    "jurisdiction_code",
                    "事发地应为来源记录所在的地方",
                ));
            }
        }
        if place.level() < Level::County {
            return Err(ServiceError::invalid(
                "jurisdiction_code",
                "事发地应为县、乡镇、村（社区）或网格",
            ));
        }
        Ok(place)
    }

    /// The departments a ticket calls: those its routing rules name, then those the form adds
    /// from the departments the rules allow; (department, routed by a rule).
    async fn called_departments(
        &self,
        input: &TicketInput,
        routing: &Routing,
        allowed: &HashMap<i64, &DepartmentView>,
        category: TicketCategory,
        place: &Code,
    ) -> ServiceResult<Vec<(i64, bool)>> {
        let mut called: Vec<(i64, bool)> = routing.routed.iter().map(|d| (d.id, true)).collect();
        for id in &input.department_ids {
            if !allowed.contains_key(id) {
                return Err(ServiceError::invalid(
                    "department_ids",
                    format!(
                        "部门 {id} 不在派单规则范围内：只能呼叫负责 {}（{}）的部门",
                        place,
                        self.name_of(place.as_str()).await?.unwrap_or_default()
                    ),
                ));
            }
            if !called.iter().any(|(d, _)| d == id) {
                called.push((*id, false));
            }
        }
        if called.is_empty() {
            return Err(ServiceError::invalid(
                "department_ids",
                format!(
                    "“{}”类在此地没有派单规则，请选择要呼叫的部门",
                    category.zh()
                ),
            ));
        }
        Ok(called)
    }
}

/// The deadline a form asks for, if any: after now.
fn deadline_of(raw: &Option<String>, now: DateTime<Utc>) -> ServiceResult<Option<DateTime<Utc>>> {
    let deadline = match opt(raw) {
        None => None,
        Some(raw) => {
            let t = parse_time("deadline", raw)?;
            if t <= now {
                return Err(ServiceError::invalid(
                    "deadline",
                    format!(
                        "要求办结时间 {} 已经过去（现在是 {}），请填写以后的时间",
                        display(t),
                        display(now)
                    ),
                ));
            }
            Some(t)
        }
    };
    Ok(deadline)
}
