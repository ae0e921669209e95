//! The quarantine and health monitoring part of the Haixi 2020 demo: about four hundred
//! cases started from 2020-01-24 to 2020-03-06 — people back from Hubei and other risk areas
//! in home quarantine, some in central quarantine at the designated hotels of 德令哈 and
//! 格尔木, contacts under health monitoring — each owned by a grid of its county with three to
//! five people responsible from the registry; follow-ups morning and evening; a few abnormal
//! ones referred to the fever clinic with alerts; releases fourteen days after the last
//! exposure up to 2020-03-13, the later cases still open. Deterministic.

use super::gen::{at, day, resident_id, Lcg};
use crate::ServiceResult;
use chrono::{Duration, NaiveDate};
use dualtrack_domain::checkpoints::FEVER_TENTHS;
use dualtrack_domain::monitoring::{
    planned_end, symptoms_text, CaseKind, Duty, Symptom, DEFAULT_MONITORING_DAYS,
};
use dualtrack_store::monitoring::{self as store, LoadCase, NewCase, NewFollowup, NewResponsible};
use dualtrack_store::sealing::SealedText;
use dualtrack_store::Tx;

/// (county, name, weight, central quarantine site)
const COUNTIES: &[(&str, &str, u64, &str)] = &[
    ("632801", "格尔木市", 36, "格尔木市昆仑宾馆集中隔离点"),
    ("632802", "德令哈市", 24, "德令哈市海西宾馆集中隔离点"),
    ("632803", "茫崖市", 7, "茫崖市花土沟宾馆集中隔离点"),
    ("632821", "乌兰县", 9, "乌兰县茶卡宾馆集中隔离点"),
    ("632822", "都兰县", 12, "都兰县察汗乌苏宾馆集中隔离点"),
    ("632823", "天峻县", 6, "天峻县宾馆集中隔离点"),
    ("632825", "大柴旦行委", 6, "大柴旦行委柴旦宾馆集中隔离点"),
];

/// (reason, area code of the ID numbers of people from there)
const REASONS: &[(&str, &str)] = &[
    ("自湖北省武汉市返回", "420106"),
    ("自湖北省孝感市返回", "420902"),
    ("自湖北省黄冈市返回", "421102"),
    ("自湖北省荆州市返回", "421002"),
    ("自浙江省温州市返回", "330302"),
    ("自河南省信阳市返回", "411502"),
    ("自广东省深圳市返回", "440304"),
    ("与外省确诊病例同乘车次", "632801"),
    ("确诊病例密切接触者", "630102"),
    ("自西宁市返回，途经疫区", "630104"),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "马", "韩", "才让", "多杰", "冶", "杨", "赵", "周", "索南", "祁",
];
const GIVEN: &[&str] = &[
    "建军", "海燕", "秀兰", "卓玛", "永红", "德吉", "志刚", "玉梅", "学文", "桂英", "明", "军",
    "晓东",
];

const DUTIES: [Duty; 5] = [
    Duty::Cadre,
    Duty::GridWorker,
    Duty::Doctor,
    Duty::Police,
    Duty::Volunteer,
];

fn id_number(area: &str, i: u64) -> String {
    let birth = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
        + Duration::days((i * 3_917 % 22_000) as i64);
    resident_id(area, birth, i)
}

/// Loads the cases, their follow-ups, referrals and releases; returns the number of cases.
pub async fn load(tx: &mut Tx) -> ServiceResult<usize> {
    let first = day(1, 24);
    let last_start = day(3, 6);
    let end = day(3, 13);
    let mut rng = Lcg(20200124);
    let total_weight: u64 = COUNTIES.iter().map(|c| c.2).sum();
    let mut rows = Vec::new();
    let mut serial = 0u64;
    for (county, county_name, weight, site) in COUNTIES {
        let places = store::owning_places(tx, county).await?;
        let people = store::people_under(tx, county, 60).await?;
        if places.is_empty() {
            continue;
        }
        let n = 400 * weight / total_weight;
        for _ in 0..n {
            serial += 1;
            // More cases in the first weeks, when people came back for the Spring Festival.
            let span = (last_start - first).num_days() as u64;
            let offset = rng.next(span + 1).min(rng.next(span + 1));
            let start = first + Duration::days(offset as i64);
            let last_exposure = start - Duration::days(rng.next(4) as i64);
            let (reason, area) = *rng.pick(REASONS);
            let kind = match rng.next(20) {
                0..=10 => CaseKind::Home,
                11..=14 => CaseKind::Central,
                _ => CaseKind::Health,
            };
            let code = rng.pick(&places).clone();
            let place = match kind {
                CaseKind::Central => site.to_string(),
                _ => format!(
                    "{county_name}{}号院{}单元",
                    1 + rng.next(60),
                    1 + rng.next(6)
                ),
            };
            let reason = match kind {
                CaseKind::Health => format!("{reason}，居家健康监测"),
                _ => reason.to_string(),
            };
            let planned = planned_end(last_exposure, DEFAULT_MONITORING_DAYS);
            let mut responsible = Vec::new();
            if !people.is_empty() {
                let k = 3 + rng.next(3) as usize;
                for duty in DUTIES.iter().take(k) {
                    let person = *rng.pick(&people);
                    if responsible
                        .iter()
                        .any(|r: &NewResponsible| r.person_id == person)
                    {
                        continue;
                    }
                    responsible.push(NewResponsible {
                        person_id: person,
                        duty: duty.as_str().into(),
                    });
                }
            }
            // Follow-ups morning and evening from the start to the release (or the end).
            let stop = planned.min(end);
            let abnormal_on =
                (rng.next(30) == 0).then(|| start + Duration::days(2 + rng.next(8) as i64));
            let mut followups = Vec::new();
            let mut alerts = Vec::new();
            let mut referred_at = None;
            let mut d = start;
            while d <= stop {
                for (h, m) in [(8, rng.next(50) as u32), (18, rng.next(50) as u32)] {
                    let t = at(d, h, m);
                    let abnormal = referred_at.is_none() && abnormal_on == Some(d) && h == 8;
                    let temperature = if abnormal {
                        FEVER_TENTHS + rng.next(12) as i32
                    } else {
                        358 + rng.next(14) as i32
                    };
                    let symptoms = if abnormal {
                        vec![Symptom::Fever, Symptom::Cough]
                    } else {
                        vec![Symptom::None]
                    };
                    if abnormal {
                        referred_at = Some(t);
                        for i in 0..responsible.len() {
                            alerts.push((
                                i,
                                followups.len(),
                                crate::monitoring::referral_note(&format!(
                                    "{county_name}人民医院发热门诊"
                                )),
                            ));
                        }
                    }
                    followups.push(NewFollowup {
                        case_id: 0,
                        followed_at: t,
                        temperature,
                        symptoms: SealedText::stored(symptoms_text(&symptoms)),
                        abnormal,
                        note: SealedText::stored(if abnormal {
                            "已由 120 转送发热门诊"
                        } else {
                            ""
                        }),
                        recorded_by: "demo".into(),
                        enc_key: None,
                    });
                }
                d += Duration::days(1);
            }
            let released = planned <= end;
            let last_followup_at = followups.last().map(|f| f.followed_at);
            let status = if released {
                "released"
            } else if referred_at.is_some() {
                "referred"
            } else {
                "active"
            };
            let name = rng.name(SURNAMES, GIVEN);
            rows.push(LoadCase {
                case: NewCase {
                    kind: kind.as_str().into(),
                    name,
                    id_number: id_number(area, serial),
                    phone: Some(format!("139970{:05}", 10_000 + serial)),
                    screened_person_id: None,
                    traveller_id: None,
                    jurisdiction_code: code,
                    place,
                    reason,
                    last_exposure,
                    start_date: start,
                    planned_end: planned,
                    next_due_at: last_followup_at.unwrap_or_else(|| at(start, 8, 0))
                        + Duration::hours(12),
                    created_by: "demo".into(),
                    responsible,
                    id_bidx: None,
                    enc_key: None,
                },
                status: status.into(),
                last_followup_at,
                referral_clinic: referred_at.map(|_| format!("{county_name}人民医院发热门诊")),
                referred_at,
                released_on: released.then_some(planned),
                released_by: released.then(|| "demo".to_string()),
                followups,
                alerts,
            });
        }
    }
    rows.push(evening_case(tx, serial + 1).await?);
    store::load_cases(tx, &rows, at(end, 20, 0)).await?;
    Ok(rows.len())
}

/// The demo's grid, 博爱巷第一网格, where the grid worker of the demo works.
pub const DEMO_GRID: &str = "632801001001001";

/// A close contact of 博爱巷第一网格 in home quarantine since 2020-02-26, followed up that
/// evening and on the morning of 02-27; the evening's follow-up of 02-27 is the grid's work
/// waiting on the demo's day (the story's records stop there for this case).
async fn evening_case(tx: &mut Tx, serial: u64) -> ServiceResult<LoadCase> {
    let start = day(2, 26);
    let last_exposure = day(2, 24);
    let mut people = store::people_under(tx, DEMO_GRID, 3).await?;
    if people.is_empty() {
        people = store::people_under(tx, &DEMO_GRID[..12], 3).await?;
    }
    let responsible = people
        .iter()
        .zip([Duty::GridWorker, Duty::Doctor, Duty::Cadre])
        .map(|(p, duty)| NewResponsible {
            person_id: *p,
            duty: duty.as_str().into(),
        })
        .collect();
    let followups: Vec<NewFollowup> = [(start, 18, 10, 364), (day(2, 27), 8, 25, 362)]
        .into_iter()
        .map(|(d, h, m, temperature)| NewFollowup {
            case_id: 0,
            followed_at: at(d, h, m),
            temperature,
            symptoms: SealedText::stored(symptoms_text(&[Symptom::None])),
            abnormal: false,
            note: SealedText::stored(""),
            recorded_by: "grid_worker".into(),
            enc_key: None,
        })
        .collect();
    let last = followups.last().map(|f| f.followed_at);
    Ok(LoadCase {
        case: NewCase {
            kind: CaseKind::Home.as_str().into(),
            name: "冶秀兰".into(),
            id_number: id_number("630102", serial),
            phone: Some(format!("139970{:05}", 10_000 + serial)),
            screened_person_id: None,
            traveller_id: None,
            jurisdiction_code: DEMO_GRID.into(),
            place: "格尔木市博爱巷12号院3单元".into(),
            reason: "确诊病例密切接触者".into(),
            last_exposure,
            start_date: start,
            planned_end: planned_end(last_exposure, DEFAULT_MONITORING_DAYS),
            next_due_at: last.unwrap_or_else(|| at(start, 18, 0)) + Duration::hours(12),
            created_by: "grid_worker".into(),
            responsible,
            id_bidx: None,
            enc_key: None,
        },
        status: "active".into(),
        last_followup_at: last,
        referral_clinic: None,
        referred_at: None,
        released_on: None,
        released_by: None,
        followups,
        alerts: vec![],
    })
}
