//! The 复工备案 part of the Haixi 2020 demo: every enterprise that resumed filed before its
//! first day back. Most filings were approved the day before; one in seven was first returned
//! (the staff screening not in place) and approved when filed again; in each county the
//! enterprise resuming last still waits for a decision.

use super::gen::at;
use crate::ServiceResult;
use chrono::{Duration, NaiveDate};
use dualtrack_store::filings::{self as store, NewFiling};
use dualtrack_store::Tx;
use std::collections::HashMap;

fn plan(headcount: i64, n: usize) -> String {
    format!(
        "成立以总经理为组长的疫情防控工作领导小组，明确各车间防控责任人；返岗员工逐人排查来源地和健康状况，\
         外地返岗人员居家观察 14 天后上岗；储备口罩 {} 只、消毒液 {} 公斤，设置临时隔离观察室；\
         厂区封闭管理，进出测温登记，错峰就餐、每日两次消毒通风；张贴防控知识，开展全员防护培训。",
        headcount * 20,
        100 + (n % 7) * 50
    )
}

fn filing(
    enterprise_id: i64,
    code: &str,
    planned_on: NaiveDate,
    employees: i64,
    n: usize,
    screening: bool,
) -> NewFiling {
    let note = |s: &str| Some(s.to_string());
    NewFiling {
        enterprise_id,
        jurisdiction_code: code.to_string(),
        planned_on,
        prevention_plan: plan(employees, n),
        employees_planned: employees.max(1),
        checks: [
            (true, None),
            if screening {
                (true, note("返岗员工健康台账已建立"))
            } else {
                (false, note("外地返岗员工尚在排查"))
            },
            (true, None),
            (true, None),
            (true, None),
        ],
        created_by: "demo".into(),
    }
}

/// Loads the filings; returns how many were written (every round counted).
pub async fn load(tx: &mut Tx) -> ServiceResult<usize> {
    let resumed = store::first_resumed(tx).await?;
    // The last to resume in each county is still waiting.
    let mut last: HashMap<String, (NaiveDate, i64)> = HashMap::new();
    for r in &resumed {
        let county = r
            .jurisdiction_code
            .get(..6)
            .unwrap_or(&r.jurisdiction_code)
            .to_string();
        let e = last.entry(county).or_insert((r.first_day, r.enterprise_id));
        if (r.first_day, r.enterprise_id) >= *e {
            *e = (r.first_day, r.enterprise_id);
        }
    }
    let waiting: Vec<i64> = last.values().map(|v| v.1).collect();
    let mut written = 0;
    for (n, r) in resumed.iter().enumerate() {
        let day = r.first_day;
        let employees = r.normal_headcount * 55 / 100;
        if n % 7 == 3 {
            let first = filing(
                r.enterprise_id,
                &r.jurisdiction_code,
                day,
                employees,
                n,
                false,
            );
            let id = store::insert(tx, &first, at(day - Duration::days(5), 9, 30)).await?;
            store::decide(
                tx,
                id,
                "returned",
                "demo",
                Some("员工排查未到位：请补充外地返岗员工的来源地、健康状况和隔离安排后重新提交"),
                at(day - Duration::days(4), 15, 0),
            )
            .await?;
            written += 1;
        }
        let f = filing(
            r.enterprise_id,
            &r.jurisdiction_code,
            day,
            employees,
            n,
            true,
        );
        let id = store::insert(tx, &f, at(day - Duration::days(3), 10, 0)).await?;
        written += 1;
        if !waiting.contains(&r.enterprise_id) {
            store::decide(
                tx,
                id,
                "approved",
                "demo",
                Some("五个到位已核实，同意复工"),
                at(day - Duration::days(1), 16, 0),
            )
            .await?;
        }
    }
    Ok(written)
}
