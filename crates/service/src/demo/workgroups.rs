//! The work-group part of the Haixi 2020 demo: each of the 34 work groups of the
//! mobilisation demo (102 cadres) is stationed, from the day it was set up, at enterprises
//! of its county — first those of the kind its name gives, then others — three at most;
//! its cadres visit every few days up to 2020-03-13, the five checks coming into place over
//! the weeks, and raise production problems, most of them solved within days. Deterministic.

use super::gen::day;
use crate::ServiceResult;
use chrono::{DateTime, Duration, Utc};
use dualtrack_domain::jurisdiction::in_subtree;
use dualtrack_store::workgroups::{self as store, NewAssignment, NewProblem, NewVisit};
use dualtrack_store::Tx;
use std::collections::{BTreeMap, HashSet};

/// What a group's name says about the enterprise, and the words of the demo's enterprise
/// names that go with it.
const KINDS: &[(&str, &[&str])] = &[
    ("钾", &["钾"]),
    ("盐湖", &["盐湖", "钾"]),
    ("锂", &["锂"]),
    ("硅", &["锂", "化工"]),
    ("油", &["油", "石油"]),
    ("天然气", &["油气", "化工"]),
    ("煤", &["煤"]),
    ("发电", &["电力", "光伏"]),
    ("光伏", &["光伏"]),
    ("碱", &["碱"]),
    ("镁", &["镁", "盐湖"]),
    ("盐场", &["盐业"]),
    ("枸杞", &["枸杞"]),
    ("农场", &["枸杞"]),
    ("铅锌", &["铅锌"]),
    ("矿", &["矿"]),
    ("化工", &["化工"]),
    ("水泥", &["建材"]),
    ("石棉", &["矿"]),
];

/// Problems the groups met, by category: (category, description, how it was solved).
const PROBLEMS: &[(&str, &str, &str)] = &[
    (
        "labour",
        "外省返岗员工 23 名因交通管控滞留，一线岗位缺人",
        "州人社局协调开行返岗专车，员工经健康监测后到岗",
    ),
    (
        "supplies",
        "口罩仅够 3 天使用，测温枪不足",
        "县工信部门调拨口罩 5000 只、测温枪 10 支",
    ),
    (
        "logistics",
        "产品外运车辆通行证办理困难，库存积压",
        "交通运输部门开通绿色通道，办理重点物资运输车辆通行证",
    ),
    (
        "materials",
        "主要原料供应商在省外未复工，库存不足一周",
        "协调省内替代供应商，首批原料已到厂",
    ),
    (
        "funds",
        "停产期间流动资金紧张，工资发放困难",
        "协调银行发放复工复产专项贷款，落实贴息",
    ),
    (
        "orders",
        "下游客户尚未复工，订单减少约四成",
        "对接省内下游企业，签订供货协议",
    ),
    (
        "labour",
        "职工通勤班车不足，分批上班难以落实",
        "公交公司增开定制通勤线路",
    ),
    (
        "other",
        "职工食堂无法分餐错峰，就餐聚集",
        "指导改为分时段分餐，增设就餐隔断",
    ),
    (
        "logistics",
        "铁路运力紧张，装车计划排不上",
        "协调铁路部门增加装车计划",
    ),
    (
        "supplies",
        "消毒液、防护服储备不足",
        "从州级储备中调剂消毒液 2 吨、防护服 200 套",
    ),
];

/// Findings of a visit by the checks not yet in place.
fn findings(missing: &[&str]) -> String {
    if missing.is_empty() {
        return "五个到位均已落实，生产有序".into();
    }
    format!("{}尚未到位，已督促整改", missing.join("、"))
}

const CHECK_NAMES: [&str; 5] = ["防控机制", "员工排查", "设施物资", "内部管理", "宣传教育"];

/// Loads the stationings, visits and problems; returns the number of visits and problems.
pub async fn load(tx: &mut Tx, now: DateTime<Utc>) -> ServiceResult<usize> {
    let groups = store::groups_in_tx(tx).await?;
    let mut members: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (org, person) in store::members_in_tx(tx).await? {
        members.entry(org).or_default().push(person);
    }
    let enterprises: Vec<(i64, String, String)> = store::enterprises_in_tx(tx)
        .await?
        .into_iter()
        .filter(|(_, _, _, excluded)| !excluded)
        .map(|(id, code, name, _)| (id, code, name))
        .collect();

    // Stationings: the county's enterprises shared among its groups, three at most each.
    let mut taken: HashSet<i64> = HashSet::new();
    let mut stationings = Vec::new();
    for (org, county, established, site) in &groups {
        let of_county: Vec<&(i64, String, String)> = enterprises
            .iter()
            .filter(|(_, code, _)| in_subtree(code, county.as_str()))
            .collect();
        let groups_here = groups.iter().filter(|g| &g.1 == county).count().max(1);
        let share = (of_county.len() / groups_here).clamp(1, 3);
        let site = site.as_deref().unwrap_or("");
        let words: Vec<&str> = KINDS
            .iter()
            .filter(|(k, _)| site.contains(k))
            .flat_map(|(_, w)| w.iter().copied())
            .collect();
        let mut chosen: Vec<&(i64, String, String)> = of_county
            .iter()
            .filter(|(id, _, name)| !taken.contains(id) && words.iter().any(|w| name.contains(w)))
            .take(share)
            .copied()
            .collect();
        for e in &of_county {
            if chosen.len() >= share {
                break;
            }
            if !taken.contains(&e.0) && !chosen.iter().any(|c| c.0 == e.0) {
                chosen.push(e);
            }
        }
        if chosen.is_empty() {
            chosen.extend(of_county.first().copied());
        }
        for e in chosen {
            taken.insert(e.0);
            stationings.push((*org, e.0, e.1.clone(), *established));
        }
    }

    let mut visits = 0usize;
    for (n, (org, enterprise, code, from_on)) in stationings.iter().enumerate() {
        // The first stationings of some groups end once the plant runs normally.
        let until_on = (n % 11 == 5).then(|| day(3, 10));
        let note = if n % 3 == 0 {
            "驻企指导疫情防控，协调解决生产难题"
        } else {
            ""
        };
        store::insert_assignment(
            tx,
            &NewAssignment {
                org_id: *org,
                enterprise_id: *enterprise,
                jurisdiction_code: code.clone(),
                from_on: *from_on,
                until_on,
                note: note.into(),
                assigned_by: "demo".into(),
            },
            now,
        )
        .await?;
        let cadres = members.get(org).cloned().unwrap_or_default();
        let last = until_on.unwrap_or(day(3, 13));
        let mut visited_on = *from_on + Duration::days(1 + (n % 3) as i64);
        let mut k = 0usize;
        while visited_on <= last {
            // Two of the group's cadres go, in turn; the checks come into place over time.
            let visitors: Vec<i64> = if cadres.is_empty() {
                vec![]
            } else {
                vec![cadres[k % cadres.len()], cadres[(k + 1) % cadres.len()]]
            };
            let in_place = (2 + k + n % 2).min(5);
            let mut checks = [false; 5];
            for (i, c) in checks.iter_mut().enumerate() {
                *c = (i + n) % 5 < in_place;
            }
            let missing: Vec<&str> = CHECK_NAMES
                .iter()
                .zip(checks)
                .filter(|(_, ok)| !ok)
                .map(|(name, _)| *name)
                .collect();
            let visit = store::insert_visit(
                tx,
                &NewVisit {
                    org_id: *org,
                    enterprise_id: *enterprise,
                    jurisdiction_code: code.clone(),
                    visited_on,
                    checks,
                    findings: findings(&missing),
                    recorded_by: "demo".into(),
                    visitors,
                },
                now,
            )
            .await?;
            visits += 1;
            // A problem on the first or second visit of most stationings, now and then later.
            if (k == 0 && n % 4 != 3) || (k == 1 && n % 5 == 0) || (k == 4 && n % 6 == 1) {
                let (category, description, resolution) = PROBLEMS[(n + k) % PROBLEMS.len()];
                let id = store::insert_problem(
                    tx,
                    &NewProblem {
                        enterprise_id: *enterprise,
                        jurisdiction_code: code.clone(),
                        org_id: Some(*org),
                        visit_id: Some(visit),
                        category: category.into(),
                        description: description.into(),
                        raised_on: visited_on,
                        raised_by: "demo".into(),
                    },
                    now,
                )
                .await?;
                // Most are solved within two weeks; some are still open on 2020-03-13.
                let resolved_on = visited_on + Duration::days(3 + ((n * 7 + k) % 10) as i64);
                if (n + k) % 5 != 2 && resolved_on <= day(3, 13) {
                    store::resolve_problem(tx, id, resolution, resolved_on, "demo", now).await?;
                }
            }
            k += 1;
            visited_on += Duration::days(3 + ((n + k) % 3) as i64);
        }
    }
    // A few problems raised by enterprise liaisons themselves, without a group.
    let mut own = 0usize;
    for (i, (id, code, _)) in enterprises.iter().enumerate() {
        if i % 23 != 7 {
            continue;
        }
        let (category, description, _) = PROBLEMS[(i / 23) % PROBLEMS.len()];
        store::insert_problem(
            tx,
            &NewProblem {
                enterprise_id: *id,
                jurisdiction_code: code.clone(),
                org_id: None,
                visit_id: None,
                category: category.into(),
                description: description.into(),
                raised_on: day(3, 2) + Duration::days((i % 7) as i64),
                raised_by: "demo".into(),
            },
            now,
        )
        .await?;
        own += 1;
    }
    Ok(visits + own)
}
