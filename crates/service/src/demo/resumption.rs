//! The resumption part of the Haixi 2020 demo: 163 industrial enterprises above designated
//! size in the real counties, with daily reports from 2020-02-01 to 2020-03-13. Three are in
//! seasonal shutdown and left out of the count, so that as of 2020-02-27 the rate comes out of
//! the records as 117 ÷ 160 = 73.1%, with 163 in the registry. Names are made up.

use super::gen::day;
use crate::ServiceResult;
use chrono::{DateTime, Datelike, Duration, Utc};
use dualtrack_domain::resumption::credit_check_char;
use dualtrack_store::resumption::{self as store, NewEnterprise, NewReport};
use dualtrack_store::sealing::SealedText;
use dualtrack_store::Tx;

/// An industry of a county: (section, division, product, unit).
type Industry = (&'static str, &'static str, &'static str, &'static str);

/// (county, short name, number of enterprises, industries).
const COUNTIES: &[(&str, &str, usize, &[Industry])] = &[
    (
        "632801",
        "格尔木",
        58,
        &[
            ("B", "10", "钾盐", "吨/日"),
            ("C", "26", "盐湖化工", "吨/日"),
            ("B", "07", "油气", "吨/日"),
            ("C", "32", "锂业", "吨/日"),
            ("D", "44", "电力", "万千瓦时/日"),
        ],
    ),
    (
        "632802",
        "德令哈",
        34,
        &[
            ("C", "26", "碱业", "吨/日"),
            ("D", "44", "光伏发电", "万千瓦时/日"),
            ("C", "30", "建材", "吨/日"),
        ],
    ),
    (
        "632803",
        "茫崖",
        18,
        &[("B", "07", "石油", "吨/日"), ("B", "10", "钾肥", "吨/日")],
    ),
    (
        "632821",
        "乌兰",
        16,
        &[
            ("B", "10", "盐业", "吨/日"),
            ("B", "06", "煤业", "吨/日"),
            ("C", "31", "镁业", "吨/日"),
        ],
    ),
    (
        "632822",
        "都兰",
        17,
        &[
            ("C", "13", "枸杞加工", "吨/日"),
            ("B", "09", "矿业", "吨/日"),
        ],
    ),
    ("632823", "天峻", 8, &[("B", "06", "煤业", "吨/日")]),
    (
        "632857",
        "大柴旦",
        12,
        &[
            ("B", "09", "铅锌矿业", "吨/日"),
            ("C", "26", "化工", "吨/日"),
        ],
    ),
];

const SUFFIXES: &[&str] = &[
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "科技有限公司",
    "开发有限公司",
];
const NAMES: &[&str] = &[
    "昆仑",
    "柴达木",
    "盐湖",
    "西部",
    "青海",
    "海西",
    "聚能",
    "金鑫",
    "宏达",
    "瑞丰",
    "鑫源",
    "天成",
    "祥和",
    "恒信",
    "华泰",
];
const CREDIT: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fn credit_code(county: &str, n: usize) -> String {
    let chars: Vec<char> = CREDIT.chars().collect();
    let mut body = String::new();
    let mut k = n * 7919 + 13;
    for _ in 0..7 {
        body.push(chars[k % chars.len()]);
        k /= chars.len();
        k += n + 3;
    }
    let first17 = format!("91{county}MA{body}");
    format!("{first17}{}", credit_check_char(&first17).unwrap_or('0'))
}

pub async fn load(tx: &mut Tx, now: DateTime<Utc>) -> ServiceResult<usize> {
    let mut n = 0usize;
    let mut reports = Vec::new();
    for (county, short, count, industries) in COUNTIES {
        for k in 0..*count {
            let (section, division, product, unit) = industries[k % industries.len()];
            let name = format!(
                "{short}{}{product}{}",
                NAMES[(n * 7 + k) % NAMES.len()],
                SUFFIXES[n % SUFFIXES.len()]
            );
            let headcount = 80 + ((n * 37) % 1900) as i64;
            let baseline = 100 + ((n * 53) % 5000) as i64;
            let id = store::insert_enterprise(
                tx,
                &NewEnterprise {
                    name,
                    credit_code: credit_code(county, n),
                    credit_check_failed: false,
                    jurisdiction_code: county.to_string(),
                    industry_section: section.into(),
                    industry_division: Some(division.into()),
                    above_size: true,
                    key_enterprise: n.is_multiple_of(9),
                    normal_headcount: headcount,
                    normal_output: baseline,
                    output_unit: unit.into(),
                    contact_name: Some(format!("联络员{}", n + 1)),
                    contact_phone: Some(SealedText::stored(format!("1389707{:04}", n))),
                    enc_key: None,
                },
                now,
            )
            .await?;
            // The last three (in 大柴旦) are in seasonal shutdown.
            let seasonal = n >= 160;
            if seasonal {
                store::insert_exclusion(
                    tx,
                    id,
                    "seasonal",
                    day(1, 1),
                    Some(day(3, 31)),
                    "冬季季节性停产",
                    "demo",
                    now,
                )
                .await?;
            }
            // 117 of the 160 counted resume by 2020-02-27; the rest over the next two weeks.
            // The order of resumption is spread over the counties.
            let rank = (n * 37) % 160;
            let resumes = if seasonal {
                None
            } else if rank < 117 {
                Some(day(2, 3) + Duration::days(((rank * 24) / 117) as i64))
            } else {
                Some(day(2, 28) + Duration::days((((rank - 117) * 14) / 43) as i64))
            };
            let mut d = day(2, 1);
            let mut yesterday = "";
            while d <= day(3, 13) {
                let (status, share) = match resumes {
                    Some(r) if d >= r + Duration::days(5) => ("resumed", 90),
                    Some(r) if d >= r => ("partly", 55),
                    _ if seasonal => ("shut_down", 0),
                    _ => ("not_resumed", 3),
                };
                // Now and then a liaison misses a day when nothing changed: the rate rests on
                // the day before, and the day shows up as missing.
                let unchanged = status == yesterday;
                yesterday = status;
                if unchanged && (n * 7 + d.ordinal() as usize).is_multiple_of(41) {
                    d += Duration::days(1);
                    continue;
                }
                reports.push(NewReport {
                    enterprise_id: id,
                    report_date: d,
                    status: status.into(),
                    on_duty: headcount * share / 100,
                    back_from_outside: headcount * share / 1000,
                    in_quarantine: (headcount * share / 3000).min(12),
                    abnormal_temps: 0,
                    mask_days: 5 + (n % 20) as i64,
                    disinfectant_days: 7 + (n % 15) as i64,
                    checks_passed: if share > 0 { 5 } else { 3 },
                    output: baseline * share / 100,
                    problems: String::new(),
                    filed_by: "demo".into(),
                });
                d += Duration::days(1);
            }
            n += 1;
        }
    }
    // Filed on the day's evening between 17:00 and 19:19 China time, before the evening the
    // demo's clock stands on (a report is in when its day is shown); one in about twenty-five
    // the next afternoon, after the noon deadline.
    store::insert_reports(tx, &reports, |r| {
        let key = r.enterprise_id as u32 * 13 + r.report_date.ordinal();
        let (on, minutes) = if key.is_multiple_of(25) {
            (r.report_date + Duration::days(1), 14 * 60 + (key % 180))
        } else {
            (r.report_date, 17 * 60 + (key % 140))
        };
        let local = on.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minutes as i64);
        local.and_utc() - Duration::hours(8)
    })
    .await?;
    Ok(n)
}
