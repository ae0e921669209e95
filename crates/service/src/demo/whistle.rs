//! The whistle part of the Haixi 2020 demo: the functional departments of the prefecture and
//! of each county (卫健委, 公安局, 交通运输局, 市场监管局, 工信局, 农牧局, 人社局, 应急管理局,
//! 财政局), routing rules by category for every county, three responder accounts, and about
//! 130 tickets from 2020-02-01 to 2020-03-12: raised by grids across Haixi, by work groups
//! and enterprises from their production problems (linked back), and by townships; each
//! accepted, resolved and confirmed with a rating, some accepted late and escalated up the
//! tree, some rejected once and resolved again, a few still waiting for the whistler's
//! confirmation. None of these is left open: the tickets open on a demo server's evening are
//! raised for its day through the whistle's use cases (`evening.rs`).
//! Deterministic.

use super::gen::{at, Lcg};
use crate::whistle::{write_notices, Note};
use crate::{ServiceError, ServiceResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::whistle::{
    next_level, Deadlines, RaiserKind, SourceKind, TicketCategory, TicketEvent, TicketKind,
};
use dualtrack_store::whistle::{self as store, NewDepartment, NewStep, NewTicket};
use dualtrack_store::Tx;
use std::collections::HashMap;

/// (county or prefecture code, name prefix)
const PLACES: &[(&str, &str)] = &[
    ("6328", "海西州"),
    ("632801", "格尔木市"),
    ("632802", "德令哈市"),
    ("632803", "茫崖市"),
    ("632821", "乌兰县"),
    ("632822", "都兰县"),
    ("632823", "天峻县"),
    ("632857", "大柴旦行委"),
];

/// (short key, name suffix, duty)
const DEPARTMENTS: &[(&str, &str, &str)] = &[
    (
        "health",
        "卫健委",
        "医疗救治、流行病学调查、转运、隔离点医学观察",
    ),
    (
        "police",
        "公安局",
        "治安秩序、卡口查控、协查、依法处置不配合人员",
    ),
    (
        "transport",
        "交通运输局",
        "道路通行、客货运输、物资运输保障",
    ),
    ("market", "市场监管局", "物价、药品与口罩质量、违规经营"),
    (
        "industry",
        "工信局",
        "企业复工复产、原材料与订单协调、防疫物资生产",
    ),
    ("agriculture", "农牧局", "春耕备耕、农资供应、畜牧生产"),
    ("labour", "人社局", "用工招聘、稳岗返还、农民工返岗"),
    ("emergency", "应急管理局", "突发事件、安全生产、应急物资"),
    ("finance", "财政局", "资金拨付、贷款贴息"),
];

/// Which departments a category calls, by rule, in every county.
const RULES: &[(TicketCategory, &[&str])] = &[
    (TicketCategory::Residents, &["market"]),
    (TicketCategory::Enforcement, &["police", "market"]),
    (
        TicketCategory::Emergency,
        &["emergency", "health", "police"],
    ),
    (TicketCategory::Epidemic, &["health"]),
    (TicketCategory::Labour, &["labour"]),
    (TicketCategory::Materials, &["industry"]),
    (TicketCategory::Logistics, &["transport"]),
    (TicketCategory::Funds, &["finance", "industry"]),
    (TicketCategory::Orders, &["industry"]),
    (TicketCategory::Supplies, &["industry", "health"]),
    (TicketCategory::Other, &["industry"]),
];

/// The departments of the demo's responder accounts (listed with the other demo accounts):
/// (user name, place, department key).
const RESPONDERS: &[(&str, &str, &str)] = &[
    ("golmud_health", "632801", "health"),
    ("golmud_transport", "632801", "transport"),
    ("delingha_health", "632802", "health"),
];

/// What grids blow the whistle on: (category, kind weight toward emergency, title, text).
const GRID_CASES: &[(TicketCategory, u64, &str, &str)] = &[
    (
        TicketCategory::Epidemic,
        3,
        "返乡人员拒不居家隔离",
        "自武汉返回人员拒不配合居家隔离，多次外出，需卫健部门上门劝导、必要时公安协助",
    ),
    (
        TicketCategory::Epidemic,
        6,
        "发热人员需转运",
        "入户摸排发现一名发热人员（37.8 ℃），有外地旅居史，需120转运至定点医院发热门诊",
    ),
    (
        TicketCategory::Epidemic,
        1,
        "隔离户生活垃圾清运",
        "居家隔离户生活垃圾需专门收运消毒，社区无专用设备",
    ),
    (
        TicketCategory::Residents,
        0,
        "独居老人生活物资短缺",
        "辖区独居老人行动不便，家中米面不足，需协调送菜上门",
    ),
    (
        TicketCategory::Residents,
        0,
        "蔬菜价格上涨",
        "群众反映小区周边超市蔬菜价格明显上涨，请市场监管部门核查",
    ),
    (
        TicketCategory::Residents,
        1,
        "外地务工人员滞留",
        "十余名外地务工人员滞留，无处落脚，需协调临时安置与健康监测",
    ),
    (
        TicketCategory::Enforcement,
        1,
        "棋牌室违规聚集",
        "网格内棋牌室违规营业，人员聚集，劝阻无效",
    ),
    (
        TicketCategory::Enforcement,
        0,
        "药店哄抬口罩价格",
        "药店一次性口罩每只售价 5 元，群众举报，需市场监管部门查处",
    ),
    (
        TicketCategory::Emergency,
        8,
        "隔离点供暖中断",
        "集中隔离点锅炉故障，夜间室温降至 5 ℃，需立即抢修并转移体弱人员",
    ),
    (
        TicketCategory::Emergency,
        8,
        "小区出现聚集性发热",
        "同一单元三户出现发热咳嗽症状，需流调与封控",
    ),
    (
        TicketCategory::Logistics,
        1,
        "生活物资运输车辆受阻",
        "保供蔬菜运输车在卡口受阻，需交通运输部门开具通行证",
    ),
];

const TOWNSHIP_CASES: &[(TicketCategory, &str, &str)] = &[
    (
        TicketCategory::Epidemic,
        "乡镇卫生院防护服不足",
        "乡镇卫生院医用防护服仅够三天，请卫健部门调拨",
    ),
    (
        TicketCategory::Labour,
        "春耕用工缺口",
        "枸杞种植合作社春季修剪缺工 40 人，需人社部门协调",
    ),
    (
        TicketCategory::Logistics,
        "农资运输通行",
        "化肥、种子运输车辆进村受阻，需办理通行证",
    ),
];

const RATINGS: &[i32] = &[5, 5, 4, 5, 4, 5, 3, 5, 4, 5, 5, 4, 2, 5];

const RESOLUTIONS: &[&str] = &[
    "已派员到场处置，问题已解决",
    "已协调相关单位落实，群众满意",
    "已现场核查并督促整改到位",
    "已转运并安排专人跟踪",
    "已办理相关手续，后续持续跟进",
];

/// The smallest PNG: one transparent pixel (a stand-in for a photo from the scene).
const PIXEL_PNG: [u8; 68] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 4, 0,
    0, 0, 181, 28, 12, 2, 0, 0, 0, 11, 73, 68, 65, 84, 120, 218, 99, 100, 96, 0, 0, 0, 6, 0, 2, 48,
    129, 208, 47, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

fn err(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

/// One ticket of the demo as planned.
struct Plan {
    place: String,
    county: String,
    kind: TicketKind,
    category: TicketCategory,
    title: String,
    description: String,
    raiser: RaiserKind,
    raiser_name: String,
    source: Option<(SourceKind, i64)>,
    enterprise_id: Option<i64>,
    org_id: Option<i64>,
    raised_at: DateTime<Utc>,
}

pub(super) async fn load(tx: &mut Tx) -> ServiceResult<usize> {
    let created = at(
        NaiveDate::from_ymd_opt(2020, 1, 28).unwrap_or_default(),
        9,
        0,
    );
    // Departments and rules.
    let mut depts: HashMap<(String, &str), (i64, String)> = HashMap::new();
    for (code, prefix) in PLACES {
        for (key, suffix, duty) in DEPARTMENTS {
            let name = format!("{prefix}{suffix}");
            let id = store::insert_department(
                tx,
                &NewDepartment {
                    name: name.clone(),
                    jurisdiction_code: code.to_string(),
                    duty: duty.to_string(),
                    phone: None,
                    created_by: "demo".into(),
                },
                created,
            )
            .await?;
            depts.insert((code.to_string(), *key), (id, name));
        }
    }
    for (code, _) in PLACES.iter().skip(1) {
        for (category, keys) in RULES {
            for key in *keys {
                if let Some((id, _)) = depts.get(&(code.to_string(), *key)) {
                    store::insert_rule(tx, category.as_str(), code, *id, "demo", created).await?;
                }
            }
        }
    }
    // Members: the prefecture's responder belongs to its health commission.
    let users = store::user_ids_in(
        tx,
        &[
            "responder",
            "golmud_health",
            "golmud_transport",
            "delingha_health",
        ],
    )
    .await?;
    for (id, username) in &users {
        let (code, key) = match RESPONDERS.iter().find(|r| r.0 == username) {
            Some((_, code, key)) => (code.to_string(), *key),
            None => ("6328".to_string(), "health"),
        };
        if let Some((d, _)) = depts.get(&(code, key)) {
            store::set_member(tx, *id, *d, created).await?;
        }
    }

    // Plans: grids, townships, production problems.
    let grids = store::nodes_in(tx, 6, "6328").await?;
    let townships = store::nodes_in(tx, 4, "6328").await?;
    let problems = store::resolved_problems_in(tx).await?;
    let mut rng = Lcg(20200213);
    let mut plans: Vec<Plan> = vec![];
    let first = NaiveDate::from_ymd_opt(2020, 2, 1).unwrap_or_default();
    if !grids.is_empty() {
        for i in 0..96u64 {
            let (code, name) = &grids[((i * 97 + rng.next(40)) as usize) % grids.len()];
            let (category, heat, title, text) = *rng.pick(GRID_CASES);
            let r = rng.next(10);
            let hot = heat.min(9) / 2;
            let kind = if r < hot {
                TicketKind::Emergency
            } else if r < hot + 3 {
                TicketKind::Tough
            } else {
                TicketKind::Routine
            };
            let day = first + Duration::days((i * 40 / 96) as i64);
            plans.push(Plan {
                place: code.clone(),
                county: code[..6].to_string(),
                kind,
                category,
                title: title.into(),
                description: format!("{name}：{text}"),
                raiser: RaiserKind::Grid,
                raiser_name: name.clone(),
                source: None,
                enterprise_id: None,
                org_id: None,
                raised_at: at(day, 8 + rng.next(12) as u32, rng.next(60) as u32),
            });
        }
    }
    for (i, (code, name)) in townships.iter().enumerate().filter(|(i, _)| i % 5 == 0) {
        let (category, title, text) = TOWNSHIP_CASES[i % TOWNSHIP_CASES.len()];
        let day = first + Duration::days((i as i64 * 3) % 38);
        plans.push(Plan {
            place: code.clone(),
            county: code[..6].to_string(),
            kind: TicketKind::Tough,
            category,
            title: title.into(),
            description: format!("{name}：{text}"),
            raiser: RaiserKind::Township,
            raiser_name: name.clone(),
            source: None,
            enterprise_id: None,
            org_id: None,
            raised_at: at(day, 9 + (i % 8) as u32, 10),
        });
    }
    for (n, q) in problems.iter().enumerate().filter(|(n, _)| n % 4 == 0) {
        let (id, enterprise_id, ename, code, category, org_id, org_name, description, raised_on) = (
            &q.id,
            &q.enterprise_id,
            &q.enterprise_name,
            &q.jurisdiction_code,
            &q.category,
            &q.org_id,
            &q.org_name,
            &q.description,
            &q.raised_on,
        );
        let category = TicketCategory::from_problem(category);
        let (raiser, raiser_name) = match org_name {
            Some(o) => (RaiserKind::WorkGroup, o.clone()),
            None => (RaiserKind::Enterprise, ename.clone()),
        };
        plans.push(Plan {
            place: code.clone(),
            county: code[..6.min(code.len())].to_string(),
            kind: if n % 3 == 0 {
                TicketKind::Tough
            } else {
                TicketKind::Routine
            },
            category,
            title: format!(
                "{}{}难题",
                ename.chars().take(8).collect::<String>(),
                category.zh()
            ),
            description: format!("{ename}：{description}"),
            raiser,
            raiser_name,
            source: Some((SourceKind::ProductionProblem, *id)),
            enterprise_id: Some(*enterprise_id),
            org_id: *org_id,
            raised_at: at(*raised_on, 16, 30),
        });
    }
    plans.sort_by_key(|p| p.raised_at);

    // Play each ticket out.
    let d = Deadlines::default();
    let mut count = 0;
    for (i, p) in plans.iter().enumerate() {
        let keys: Vec<&str> = RULES
            .iter()
            .find(|(c, _)| *c == p.category)
            .map(|(_, k)| k.to_vec())
            .unwrap_or_default();
        let called: Vec<(i64, String)> = keys
            .iter()
            .filter_map(|k| depts.get(&(p.county.clone(), *k)).cloned())
            .collect();
        if called.is_empty() {
            continue;
        }
        let raised = p.raised_at;
        let accept_due = raised + d.accept(p.kind);
        let resolve_due = raised + d.resolve(p.kind);
        let raised_by = match p.raiser {
            RaiserKind::Grid => format!("{}网格员", p.raiser_name),
            _ => format!("{}联络人", p.raiser_name),
        };
        let id = store::insert_ticket(
            tx,
            &NewTicket {
                kind: p.kind.as_str().into(),
                category: p.category.as_str().into(),
                title: p.title.clone(),
                description: p.description.clone(),
                jurisdiction_code: p.place.clone(),
                address: String::new(),
                raiser_kind: p.raiser.as_str().into(),
                raiser_name: p.raiser_name.clone(),
                source_kind: p.source.map(|s| s.0.as_str().to_string()),
                source_id: p.source.map(|s| s.1),
                enterprise_id: p.enterprise_id,
                org_id: p.org_id,
                accept_due_at: accept_due,
                resolve_due_at: resolve_due,
                raised_by: raised_by.clone(),
                raised_by_user: None,
            },
            raised,
        )
        .await?;
        count += 1;
        if let Some((SourceKind::ProductionProblem, q)) = p.source {
            store::link_problem(tx, q, id).await?;
        }
        let names: Vec<&str> = called.iter().map(|(_, n)| n.as_str()).collect();
        store::insert_event(
            tx,
            id,
            raised,
            TicketEvent::Raised.as_str(),
            None,
            &raised_by,
            &format!("呼叫：{}", names.join("、")),
        )
        .await?;
        for (dept, _) in &called {
            store::insert_call(tx, id, *dept, true, raised, accept_due).await?;
        }
        let t = store::ticket_in(tx, id)
            .await?
            .ok_or_else(|| err("工单未写入"))?;
        let notes = called
            .iter()
            .map(|(dept, _)| Note {
                event: TicketEvent::Raised,
                message: format!(
                    "【{}】{}吹哨：{}，请及时报到",
                    p.kind.zh(),
                    p.raiser_name,
                    p.title
                ),
                user_id: None,
                department_id: Some(*dept),
                place: None,
            })
            .collect();
        write_notices(tx, &t, notes, raised).await?;
        // Acceptance: most within the deadline; about one in seven late, and escalated.
        let late = i % 7 == 3;
        let accept_limit = d.accept(p.kind).num_minutes().max(2);
        let mut last_accept = raised;
        for (j, (dept, name)) in called.iter().enumerate() {
            let minutes = if late && j == 0 {
                accept_limit + 5 + rng.next(accept_limit as u64 * 2) as i64
            } else {
                2 + rng.next((accept_limit - 1).max(1) as u64) as i64
            };
            let a = raised + Duration::minutes(minutes);
            last_accept = last_accept.max(a);
            store::accept_call(tx, id, *dept, &format!("{name}值班员"), a).await?;
            store::insert_event(
                tx,
                id,
                a,
                TicketEvent::Accepted.as_str(),
                Some(*dept),
                &format!("{name}值班员"),
                "",
            )
            .await?;
        }
        store::set_status(tx, id, &["open"], "working", raised + Duration::minutes(1)).await?;
        if late {
            let step = d.step(p.kind);
            let mut level = Code::parse(&p.place).map_err(err)?;
            let mut due = accept_due;
            let mut k = 1;
            while due < last_accept {
                let Some(up) = next_level(&level) else { break };
                let when = due + Duration::minutes(1);
                store::insert_step(
                    tx,
                    &NewStep {
                        ticket_id: id,
                        step: k,
                        from_code: level.to_string(),
                        to_code: up.to_string(),
                        reason: "not_accepted".into(),
                        due_at: due,
                        created_by: "system:scheduler".into(),
                    },
                    when,
                )
                .await?;
                store::insert_event(
                    tx,
                    id,
                    when,
                    TicketEvent::Escalated.as_str(),
                    None,
                    "system:scheduler",
                    &format!("超时未报到，升级至 {up}"),
                )
                .await?;
                let t = store::ticket_in(tx, id)
                    .await?
                    .ok_or_else(|| err("工单未写入"))?;
                write_notices(
                    tx,
                    &t,
                    vec![Note {
                        event: TicketEvent::Escalated,
                        message: format!("【督办】工单 {id}“{}”超时未报到，已升级至本级", p.title),
                        user_id: None,
                        department_id: None,
                        place: Some(up.to_string()),
                    }],
                    when,
                )
                .await?;
                level = up;
                due += step;
                k += 1;
            }
        }
        // Resolution within the period, mostly; the last few wait for confirmation.
        let resolve_hours = d.resolve(p.kind).num_hours().max(2);
        let mut resolved_at = last_accept;
        for (dept, name) in &called {
            let r =
                last_accept + Duration::minutes(30 + rng.next((resolve_hours * 50) as u64) as i64);
            resolved_at = resolved_at.max(r);
            let text = *rng.pick(RESOLUTIONS);
            store::resolve_call(tx, id, *dept, text, &format!("{name}值班员"), r).await?;
            store::insert_event(
                tx,
                id,
                r,
                TicketEvent::Resolved.as_str(),
                Some(*dept),
                &format!("{name}值班员"),
                text,
            )
            .await?;
        }
        store::set_status(tx, id, &["working"], "resolved", resolved_at).await?;
        store::insert_event(
            tx,
            id,
            resolved_at,
            TicketEvent::AllResolved.as_str(),
            None,
            "system",
            "",
        )
        .await?;
        if i + 4 >= plans.len() {
            continue; // waiting for the whistler
        }
        let mut confirm_at = resolved_at + Duration::hours(1 + rng.next(5) as i64);
        if i % 11 == 5 {
            // Rejected once, resolved again.
            let reopened_due = confirm_at + d.resolve(p.kind);
            store::reopen_ticket(
                tx,
                id,
                Some(2),
                "群众反映问题仍未解决，请再次处置",
                reopened_due,
                confirm_at,
            )
            .await?;
            store::insert_event(
                tx,
                id,
                confirm_at,
                TicketEvent::Rejected.as_str(),
                None,
                &raised_by,
                "群众反映问题仍未解决，请再次处置",
            )
            .await?;
            let again = confirm_at + Duration::hours(3 + rng.next(20) as i64);
            for (dept, name) in &called {
                store::resolve_call(
                    tx,
                    id,
                    *dept,
                    "再次到场处置，已彻底解决",
                    &format!("{name}值班员"),
                    again,
                )
                .await?;
                store::insert_event(
                    tx,
                    id,
                    again,
                    TicketEvent::Resolved.as_str(),
                    Some(*dept),
                    &format!("{name}值班员"),
                    "再次到场处置，已彻底解决",
                )
                .await?;
            }
            store::set_status(tx, id, &["working"], "resolved", again).await?;
            confirm_at = again + Duration::hours(2);
        }
        let rating = RATINGS[i % RATINGS.len()];
        store::close_ticket(tx, id, rating, "", confirm_at).await?;
        store::insert_event(
            tx,
            id,
            confirm_at,
            TicketEvent::Confirmed.as_str(),
            None,
            &raised_by,
            &format!("{rating} 星"),
        )
        .await?;
        if i % 9 == 0 {
            let sha = {
                use sha2::{Digest, Sha256};
                hex::encode(Sha256::digest(PIXEL_PNG))
            };
            store::insert_attachment(
                tx,
                id,
                "现场照片.png",
                "image/png",
                &sha,
                &PIXEL_PNG,
                &raised_by,
                raised + Duration::minutes(1),
            )
            .await?;
        }
    }
    // The demo's notices are history: read when the departments accepted.
    store::mark_all_read_in(tx).await?;
    Ok(count)
}
