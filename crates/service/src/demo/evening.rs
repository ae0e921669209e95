//! The tickets a demo day's evening leaves waiting for the demo's departments. They are
//! raised, accepted and escalated through the whistle's own use cases (routing by rule,
//! deadlines by kind, notices, the scheduler's escalation steps), each at its moment of the
//! day on a clock of their own, when a demo server opens on a day or moves to it, once per
//! day: a ticket's idempotency key names its day, so moving back and forth adds nothing.
//! By 20:00 some are new (待报到), some accepted and in hand, one is near its deadline to
//! report and some are overdue and escalated. The days before are played out the next
//! morning (accepted, resolved and confirmed), as a county's departments would have done.
//! The field report's figures are of records loaded with the demo and do not count these.
//!
//! A day after the demo's own (whose arrivals are loaded with the demo) also has two
//! travellers registered at 格尔木南出口 that evening for 博爱巷第一网格, through the
//! checkpoint's own registration, so the grid worker has hand-overs to acknowledge; the
//! field report's days keep exactly the records loaded with the demo.

use super::gen::at;
use crate::checkpoints::{NumberOrText, PassageInput, TextOrList, TravellerInput};
use crate::clock::Clock;
use crate::whistle::{AcceptInput, ConfirmInput, ResolveInput, TicketInput};
use crate::{Actor, App, ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dualtrack_domain::audit::{Action, Outcome};
use dualtrack_domain::whistle::{CallStatus, TicketStatus};
use std::collections::HashMap;

/// The demo's department accounts: each answers for its department's calls.
const RESPONDERS: &[&str] = &[
    "responder",
    "golmud_health",
    "golmud_transport",
    "delingha_health",
];

/// One ticket of an evening: who raises it where and when, which demo departments are
/// called besides those the rules call, and who of them has reported by when.
struct Planned {
    raiser: &'static str,
    place: &'static str,
    kind: &'static str,
    category: &'static str,
    title: &'static str,
    text: &'static str,
    also: &'static [&'static str],
    raised: (u32, u32),
    accepted: &'static [(&'static str, u32, u32)],
}

/// An evening's tickets, in the order they are raised.
const PLAN: &[Planned] = &[
    Planned {
        raiser: "grid_worker",
        place: "632801001001001",
        kind: "tough",
        category: "epidemic",
        title: "返乡人员拒不居家隔离",
        text: "自外地返回人员拒不配合居家隔离，多次外出，需卫健部门上门劝导",
        also: &["responder"],
        raised: (14, 10),
        accepted: &[("golmud_health", 14, 35), ("responder", 14, 50)],
    },
    Planned {
        raiser: "grid_worker",
        place: "632801001001001",
        kind: "tough",
        category: "logistics",
        title: "保供蔬菜运输车辆受阻",
        text: "保供蔬菜运输车在卡口受阻，需交通运输部门开具通行证",
        also: &[],
        raised: (15, 30),
        accepted: &[],
    },
    Planned {
        raiser: "golmud_operator",
        place: "632801001",
        kind: "tough",
        category: "epidemic",
        title: "乡镇卫生院防护服不足",
        text: "乡镇卫生院医用防护服仅够三天，请卫健部门调拨",
        also: &["responder"],
        raised: (16, 0),
        accepted: &[("golmud_health", 16, 25)],
    },
    Planned {
        raiser: "delingha_operator",
        place: "632802001001",
        kind: "routine",
        category: "epidemic",
        title: "居家隔离户体温计不足",
        text: "村里居家隔离户体温计不够，需卫健部门补发",
        also: &[],
        raised: (18, 40),
        accepted: &[],
    },
    Planned {
        raiser: "grid_worker",
        place: "632801001001001",
        kind: "routine",
        category: "epidemic",
        title: "隔离户生活垃圾清运",
        text: "居家隔离户生活垃圾需专门收运消毒，社区无专用设备",
        also: &["responder"],
        raised: (19, 20),
        accepted: &[],
    },
    Planned {
        raiser: "grid_worker",
        place: "632801001001001",
        kind: "emergency",
        category: "epidemic",
        title: "发热人员需转运",
        text: "入户摸排发现一名发热人员（37.8℃），有外地旅居史，需转运至定点医院发热门诊",
        also: &["responder"],
        raised: (19, 48),
        accepted: &[],
    },
];

/// Travellers coming home to 博爱巷第一网格 through 格尔木南出口 of an evening: (name,
/// origin, area of the ID number, birth year, plate, temperature, reason); two a day, in turn.
const ARRIVALS: &[(&str, &str, &str, i32, &str, f64, &str)] = &[
    (
        "李春梅",
        "青海省西宁市",
        "630104",
        1986,
        "青A·51862",
        36.4,
        "返岗复工",
    ),
    (
        "马国庆",
        "甘肃省敦煌市",
        "620982",
        1979,
        "甘F·33017",
        36.6,
        "返岗复工",
    ),
    (
        "祁海燕",
        "青海省海东市",
        "630202",
        1992,
        "青B·20733",
        36.3,
        "探亲",
    ),
    (
        "张建军",
        "甘肃省酒泉市",
        "620902",
        1975,
        "甘F·71254",
        36.5,
        "运送物资",
    ),
    (
        "韩晓东",
        "青海省西宁市",
        "630105",
        1990,
        "青A·86120",
        36.7,
        "返岗复工",
    ),
];

/// When the day's two arrivals pass the checkpoint.
const ARRIVAL_TIMES: [(u32, u32); 2] = [(19, 6), (19, 37)];

/// Where the evening's writes come from, in the audit log and the scheduler's rounds.
const BY: &str = "演示数据";

/// How often the scheduler is played through an evening, and its last round.
const TICK_MINUTES: i64 = 10;
const LAST_ROUND: (u32, u32) = (19, 58);

fn key(day: NaiveDate, n: usize) -> String {
    format!("demo-evening-{day}-{}", n + 1)
}

/// The demo's accounts acting, as their sessions would.
struct Cast {
    actors: HashMap<&'static str, Actor>,
    /// A department's id → the account answering for it.
    departments: HashMap<i64, &'static str>,
}

impl Cast {
    fn get(&self, username: &str) -> ServiceResult<&Actor> {
        self.actors
            .get(username)
            .ok_or_else(|| ServiceError::Internal(format!("演示账户 {username} 不存在")))
    }
}

impl App {
    /// The same application on a clock of its own, standing at `t`, with what is written
    /// stamped `t`.
    fn standing_at(&self, t: DateTime<Utc>) -> App {
        let mut app = self.clone();
        app.clock = Clock::default();
        app.clock.play_at(t);
        app
    }

    /// One of the cast acting on this application's clock.
    fn acting(&self, a: &Actor) -> Actor {
        let mut a = a.clone();
        a.clock = self.clock.clone();
        a
    }

    async fn demo_cast(&self) -> ServiceResult<Cast> {
        let mut names: Vec<&'static str> = RESPONDERS.to_vec();
        names.extend(PLAN.iter().map(|p| p.raiser));
        names.push("checkpoint_worker");
        let mut cast = Cast {
            actors: HashMap::new(),
            departments: HashMap::new(),
        };
        for name in names {
            let Some(u) = dualtrack_store::user::by_username(&self.db, name).await? else {
                continue;
            };
            let roles = dualtrack_store::user::roles(&self.db, u.id).await?;
            let actor = crate::auth::actor_of(&u, roles, BY, &self.clock)?;
            if RESPONDERS.contains(&name) {
                if let Some(d) = self.department_of(&actor).await? {
                    cast.departments.insert(d.id, name);
                }
            }
            cast.actors.insert(name, actor);
        }
        Ok(cast)
    }

    /// Makes the tickets of `day`'s evening, once, and plays the days before out.
    pub(super) async fn demo_evening(&self, day: NaiveDate) -> ServiceResult<()> {
        self.rewind_evenings(day).await?;
        let cast = self.demo_cast().await?;
        let story = super::story_days();
        for earlier in story.start().iter_days().take_while(|d| *d < day) {
            self.play_out(&cast, earlier).await?;
        }
        let start = at(day, PLAN[0].raised.0, PLAN[0].raised.1);
        let last = at(day, LAST_ROUND.0, LAST_ROUND.1);
        // Each step at its moment, with the scheduler's rounds in between.
        let mut steps: Vec<(DateTime<Utc>, usize, Option<&str>)> = vec![];
        for (n, p) in PLAN.iter().enumerate() {
            steps.push((at(day, p.raised.0, p.raised.1), n, None));
            for (who, h, m) in p.accepted {
                steps.push((at(day, *h, *m), n, Some(*who)));
            }
        }
        steps.sort_by_key(|s| s.0);
        if day > super::demo_day() {
            self.demo_arrivals(&cast, day).await?;
        }
        let mut ids: HashMap<usize, (i64, bool)> = HashMap::new();
        let mut round = start;
        for (when, n, accepting) in steps {
            while round < when {
                self.standing_at(round).escalate_due(BY).await?;
                round += Duration::minutes(TICK_MINUTES);
            }
            let app = self.standing_at(when);
            match accepting {
                None => {
                    let written = app.raise_planned(&cast, day, n).await?;
                    ids.insert(n, written);
                }
                Some(who) => {
                    // Only a ticket this call raised is accepted: a day made before is left.
                    if let Some((id, true)) = ids.get(&n) {
                        let a = app.acting(cast.get(who)?);
                        app.accept_ticket(&a, *id, &AcceptInput::default()).await?;
                    }
                }
            }
        }
        while round <= last {
            self.standing_at(round).escalate_due(BY).await?;
            round += Duration::minutes(TICK_MINUTES);
        }
        Ok(())
    }

    /// Going back to an earlier evening: a ticket's state is not kept as of a time, so the
    /// evening tickets of `day` and after, changed since that evening, are removed whole
    /// (audited) and that day's are made again, open as they were that evening.
    async fn rewind_evenings(&self, day: NaiveDate) -> ServiceResult<()> {
        let prefix = "demo-evening-";
        let day_of = |k: &str| {
            k.strip_prefix(prefix)
                .and_then(|r| r.get(..10))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        let later: Vec<_> = dualtrack_store::whistle::keyed_tickets(&self.db, prefix)
            .await?
            .into_iter()
            .filter(|t| day_of(&t.idem_key).is_some_and(|d| d >= day))
            .collect();
        let evening = super::evening_of(day);
        if !later.iter().any(|t| t.updated_at > evening) {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        dualtrack_store::whistle::remove_tickets(&mut tx, &later).await?;
        let mut by = Actor::cli();
        by.username = "demo".into();
        by.display_name = BY.into();
        by.source_addr = "demo".into();
        by.clock = self.clock.clone();
        let row = by.audit(
            Action::DemoRewind,
            Outcome::Success,
            "演示日期",
            day.to_string(),
            None,
            format!(
                "回到 {day} 傍晚：撤下该日及以后傍晚的 {} 张演示工单，重做该日傍晚",
                later.len()
            ),
        );
        crate::actor::commit_audited(tx, &row).await
    }

    /// The day's travellers for the demo's grid, registered at the checkpoint worker's
    /// checkpoint at their moments; a retry (the same day again) registers nothing.
    async fn demo_arrivals(&self, cast: &Cast, day: NaiveDate) -> ServiceResult<()> {
        let worker = cast.get("checkpoint_worker")?;
        let Some(checkpoint) = self.checkpoints(worker).await?.into_iter().next() else {
            return Ok(());
        };
        let nth = (day - *super::story_days().start()).num_days().max(0) as usize;
        for (i, (h, m)) in ARRIVAL_TIMES.iter().enumerate() {
            let k = (nth * ARRIVAL_TIMES.len() + i) % ARRIVALS.len();
            let (name, origin, area, year, plate, temperature, reason) = ARRIVALS[k];
            let birth = NaiveDate::from_ymd_opt(year, 1 + (nth % 12) as u32, 1 + (i as u32 * 9))
                .unwrap_or_default();
            let input = PassageInput {
                idempotency_key: Some(format!("demo-evening-{day}-arrival-{}", i + 1)),
                passed_at: None,
                plate: Some(plate.into()),
                vehicle_class: Some("car".into()),
                origin: origin.into(),
                travel_history: TextOrList::Text(format!("14 天内在{origin}")),
                destination: super::monitoring::DEMO_GRID.into(),
                reason: reason.into(),
                travellers: vec![TravellerInput {
                    name: name.into(),
                    id_number: super::gen::resident_id(area, birth, 100 + nth as u64),
                    phone: None,
                    temperature: NumberOrText::Number(temperature),
                    outcome: "through".into(),
                    destination: None,
                }],
            };
            let app = self.standing_at(at(day, *h, *m));
            app.register_passage(&app.acting(worker), checkpoint.id, &input)
                .await?;
        }
        Ok(())
    }

    /// Raises an evening's ticket `n` (or finds it raised); returns its id and whether it is new.
    async fn raise_planned(
        &self,
        cast: &Cast,
        day: NaiveDate,
        n: usize,
    ) -> ServiceResult<(i64, bool)> {
        let p = &PLAN[n];
        let raiser = &self.acting(cast.get(p.raiser)?);
        let mut also = vec![];
        for who in p.also {
            let a = cast.get(who)?;
            if let Some(d) = self.department_of(a).await? {
                also.push(d.id);
            }
        }
        let input = TicketInput {
            idempotency_key: Some(key(day, n)),
            kind: Some(p.kind.into()),
            category: Some(p.category.into()),
            title: Some(p.title.into()),
            description: Some(p.text.into()),
            jurisdiction_code: Some(p.place.into()),
            department_ids: also,
            ..Default::default()
        };
        let w = self.raise_ticket(raiser, &input).await?;
        Ok((w.record.ticket.id, w.created))
    }

    /// The tickets of an earlier evening still in hand are reported on, resolved and
    /// confirmed the next morning, after the scheduler's night rounds.
    async fn play_out(&self, cast: &Cast, day: NaiveDate) -> ServiceResult<()> {
        let morning = day + Duration::days(1);
        let mut live = vec![];
        for (n, p) in PLAN.iter().enumerate() {
            let Some(raiser) = cast.actors.get(p.raiser) else {
                continue;
            };
            let Some(row) =
                dualtrack_store::idempotency::find(&self.db, &raiser.username, &key(day, n))
                    .await?
            else {
                continue;
            };
            let t = self.ticket_detail(raiser, row.record_id).await?;
            if matches!(t.ticket.status, TicketStatus::Open | TicketStatus::Working) {
                live.push((p, t));
            }
        }
        if live.is_empty() {
            return Ok(());
        }
        self.standing_at(at(morning, 8, 0)).escalate_due(BY).await?;
        for (p, t) in live {
            let id = t.ticket.id;
            for (i, call) in t.calls.iter().enumerate() {
                let Some(a) = cast
                    .departments
                    .get(&call.department_id)
                    .and_then(|u| cast.actors.get(u))
                else {
                    continue;
                };
                let dept = Some(call.department_id);
                if call.status == CallStatus::Called {
                    let app = self.standing_at(at(morning, 8, 20 + i as u32 * 5));
                    app.accept_ticket(
                        &app.acting(a),
                        id,
                        &AcceptInput {
                            department_id: dept,
                            note: None,
                        },
                    )
                    .await?;
                }
                if call.status != CallStatus::Resolved {
                    let app = self.standing_at(at(morning, 11, i as u32 * 10));
                    app.resolve_ticket(
                        &app.acting(a),
                        id,
                        &ResolveInput {
                            department_id: dept,
                            resolution: "已派员到场处置，问题已解决".into(),
                        },
                    )
                    .await?;
                }
            }
            let app = self.standing_at(at(morning, 15, 0));
            let raiser = &app.acting(cast.get(p.raiser)?);
            if app.may_close_ticket(raiser, id).await? {
                let confirm = ConfirmInput {
                    rating: 5,
                    feedback: None,
                };
                app.confirm_ticket(raiser, id, &confirm).await?;
            }
        }
        Ok(())
    }
}
