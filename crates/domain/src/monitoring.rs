//! Quarantine and health monitoring (隔离与健康监测): the kinds of case, the people
//! responsible for a person, the symptoms asked at each follow-up and the rules for the
//! planned end and for when a follow-up is due.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

named_enum!(
    /// The kind of a case.
    CaseKind {
        Home => "home", "居家隔离";
        Central => "central", "集中隔离";
        Health => "health", "健康监测";
    }
);

named_enum!(
    /// Where a case stands.
    CaseStatus {
        Active => "active", "监测中";
        Referred => "referred", "已转诊";
        Released => "released", "已解除";
    }
);

named_enum!(
    /// The duty of one of the people responsible for a person (the 五包一 of the field).
    Duty {
        Cadre => "cadre", "社区干部";
        GridWorker => "grid_worker", "网格员";
        Doctor => "doctor", "医生";
        Police => "police", "民警";
        Volunteer => "volunteer", "志愿者";
    }
);

named_enum!(
    /// A symptom asked about at a follow-up.
    Symptom {
        Fever => "fever", "发热";
        Cough => "cough", "咳嗽";
        Fatigue => "fatigue", "乏力";
        SoreThroat => "sore_throat", "咽痛";
        Diarrhoea => "diarrhoea", "腹泻";
        BreathingDifficulty => "breathing_difficulty", "呼吸困难";
        None => "none", "无";
    }
);

/// Days of monitoring after the last exposure, unless set otherwise.
pub const DEFAULT_MONITORING_DAYS: u32 = 14;

/// Hours between follow-ups (twice a day), unless set otherwise.
pub const DEFAULT_FOLLOWUP_INTERVAL_HOURS: u32 = 12;

/// At most this many people are responsible for one person.
pub const MAX_RESPONSIBLE: usize = 5;

/// The planned end of a case: the last exposure plus the monitoring days.
pub fn planned_end(last_exposure: NaiveDate, days: u32) -> NaiveDate {
    last_exposure + Duration::days(i64::from(days))
}

/// When the next follow-up is due: the last one (or the start) plus the interval.
pub fn next_due(last: DateTime<Utc>, interval_hours: u32) -> DateTime<Utc> {
    last + Duration::hours(i64::from(interval_hours))
}

/// Symptoms from their identifiers or Chinese names, without repeats, in the catalogue's
/// order; "none" cannot go with another symptom, and an empty list means none.
pub fn parse_symptoms(raw: &[String]) -> Result<Vec<Symptom>, String> {
    let mut out = Vec::new();
    for s in raw {
        if s.trim().is_empty() {
            continue;
        }
        let v = Symptom::parse(s).ok_or_else(|| {
            format!(
                "症状“{}”无效，可选：{}",
                s.trim(),
                Symptom::ALL
                    .iter()
                    .map(|v| v.zh())
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.len() > 1 && out.contains(&Symptom::None) {
        return Err("选择了“无”就不能再选其他症状".into());
    }
    if out.is_empty() {
        out.push(Symptom::None);
    }
    out.sort_by_key(|v| Symptom::ALL.iter().position(|x| x == v));
    Ok(out)
}

/// Symptoms as stored: identifiers joined by commas.
pub fn symptoms_text(s: &[Symptom]) -> String {
    s.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(",")
}

/// Symptoms from their stored text (unknown identifiers are skipped).
pub fn symptoms_from_text(s: &str) -> Vec<Symptom> {
    s.split(',').filter_map(Symptom::parse).collect()
}

/// Whether a follow-up is abnormal: fever by temperature, or any symptom.
pub fn is_abnormal(temperature_tenths: i32, symptoms: &[Symptom]) -> bool {
    crate::checkpoints::is_fever(temperature_tenths) || symptoms.iter().any(|s| *s != Symptom::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_end_is_last_exposure_plus_days() {
        let d = NaiveDate::from_ymd_opt(2020, 1, 25).expect("date");
        assert_eq!(
            planned_end(d, DEFAULT_MONITORING_DAYS),
            NaiveDate::from_ymd_opt(2020, 2, 8).expect("date")
        );
        assert_eq!(
            planned_end(d, 21),
            NaiveDate::from_ymd_opt(2020, 2, 15).expect("date")
        );
    }

    #[test]
    fn symptoms() {
        let s = |v: &[&str]| parse_symptoms(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&[]), Ok(vec![Symptom::None]));
        assert_eq!(
            s(&["咳嗽", "fever", "cough"]),
            Ok(vec![Symptom::Fever, Symptom::Cough])
        );
        assert!(s(&["none", "cough"]).is_err());
        assert!(s(&["头疼"]).is_err());
        assert_eq!(
            symptoms_from_text("fever,cough"),
            vec![Symptom::Fever, Symptom::Cough]
        );
        assert!(is_abnormal(373, &[Symptom::None]));
        assert!(!is_abnormal(372, &[Symptom::None]));
        assert!(is_abnormal(365, &[Symptom::Cough]));
    }

    #[test]
    fn kinds_parse_both_names() {
        assert_eq!(CaseKind::parse("集中隔离"), Some(CaseKind::Central));
        assert_eq!(Duty::parse("doctor"), Some(Duty::Doctor));
        assert_eq!(CaseKind::parse("x"), None);
    }
}
