//! Major projects (重大项目) and key production (重点生产): the kinds of project, how a
//! project stands, how goods leave a plant, and the provinces they go to.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use utoipa::ToSchema;

named_enum!(
    /// What a major project builds.
    ProjectCategory {
        Transport => "transport", "交通";
        Energy => "energy", "能源";
        Water => "water", "水利";
        Industry => "industry", "产业";
        Livelihood => "livelihood", "民生";
        Ecology => "ecology", "生态";
    }
);

named_enum!(
    /// Where a project stands now. The rates as of a day go by the start date, not by this.
    ProjectStatus {
        Planned => "planned", "未开工";
        UnderWay => "under_way", "在建";
        Completed => "completed", "已完工";
    }
);

named_enum!(
    /// How a shipment leaves the plant.
    ShipMode {
        Road => "road", "公路";
        Rail => "rail", "铁路";
    }
);

/// The largest amount of investment accepted, in 万元 (one trillion yuan).
pub const MAX_INVESTMENT: i64 = 100_000_000;

fn province_table() -> &'static [(String, String)] {
    static TABLE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        crate::divisions::provinces()
            .map(|ps| {
                ps.into_iter()
                    .map(|p| (p.code.as_str().to_string(), p.name))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// The name of a province by its 2-digit code (GB/T 2260, as in the embedded division data).
pub fn province_name(code: &str) -> Option<&'static str> {
    province_table()
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.as_str())
}

/// Every province as `(code, name)`, for forms.
pub fn provinces() -> Vec<(&'static str, &'static str)> {
    province_table()
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect()
}

/// Checks a destination province: two digits naming a province of the division data. A
/// province's Chinese name is accepted too.
pub fn parse_province(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if let Some((c, _)) = province_table().iter().find(|(c, n)| c == v || n == v) {
        return Ok(c.clone());
    }
    if v.len() == 2 && v.bytes().all(|b| b.is_ascii_digit()) {
        Err(format!("省级区划代码“{v}”不存在"))
    } else {
        Err(format!(
            "目的地省份“{v}”无效：应为两位省级区划代码，如 23（黑龙江省）"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_come_from_the_division_data() {
        assert_eq!(province_name("23"), Some("黑龙江省"));
        assert_eq!(province_name("63"), Some("青海省"));
        assert_eq!(parse_province("45").as_deref(), Ok("45"));
        assert_eq!(parse_province("云南省").as_deref(), Ok("53"));
        assert!(parse_province("99").is_err());
        assert!(parse_province("632801").is_err());
        assert!(provinces().len() >= 31);
    }

    #[test]
    fn enums_parse_both_names() {
        assert_eq!(
            ProjectCategory::parse("交通"),
            Some(ProjectCategory::Transport)
        );
        assert_eq!(ShipMode::parse("rail"), Some(ShipMode::Rail));
        assert_eq!(ProjectStatus::parse("x"), None);
    }
}
