//! Checkpoints (卡口) on the roads, and what is registered at their barriers: the vehicle,
//! its plate and class, and each traveller's temperature and the outcome for them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

named_enum!(
    /// Where a checkpoint stands.
    CheckpointKind {
        Road => "road", "公路卡口";
        Station => "station", "火车站";
        Airport => "airport", "机场";
    }
);

named_enum!(
    /// The class of a vehicle stopped at a checkpoint.
    VehicleClass {
        Car => "car", "小客车";
        Bus => "bus", "客车";
        Truck => "truck", "货车";
        Other => "other", "其他";
    }
);

named_enum!(
    /// What was done with a traveller at the barrier.
    PassageOutcome {
        Through => "through", "放行";
        TurnedBack => "turned_back", "劝返";
        Observation => "observation", "留观";
        Quarantine => "quarantine", "送隔离";
    }
);

/// The lowest temperature flagged as fever, in tenths of a degree Celsius (37.3 °C).
pub const FEVER_TENTHS: i32 = 373;

/// A temperature in °C, checked to lie in 35.0–42.0 and rounded to tenths.
pub fn temperature_tenths(c: f64) -> Result<i32, String> {
    if !c.is_finite() || !(35.0..=42.0).contains(&c) {
        return Err(format!("体温 {c} ℃ 不在 35.0–42.0 ℃ 之间"));
    }
    Ok((c * 10.0).round() as i32)
}

/// Whether a temperature (tenths of °C) is flagged as fever.
pub fn is_fever(tenths: i32) -> bool {
    tenths >= FEVER_TENTHS
}

/// The one-character abbreviations of the provinces on licence plates, with 使 and 领.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领";

/// A Chinese licence plate, checked and written as `青H·12345` (or `青H·D12345` for a new-energy
/// vehicle). Accepts the separator `·`, a space, `-` or none, and lower-case letters.
pub fn parse_plate(raw: &str) -> Result<String, String> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '·' | '•' | '.' | ' ' | '-' | '　'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bad = || {
        format!(
            "车牌号“{}”无效：应如 青H·12345，新能源车如 青H·D12345",
            raw.trim()
        )
    };
    let chars: Vec<char> = cleaned.chars().collect();
    if chars.len() != 7 && chars.len() != 8 {
        return Err(bad());
    }
    if !PROVINCES.contains(chars[0]) || !chars[1].is_ascii_uppercase() {
        return Err(bad());
    }
    let rest = &chars[2..];
    let alnum = |c: &char| (c.is_ascii_uppercase() && *c != 'I' && *c != 'O') || c.is_ascii_digit();
    let ok = if rest.len() == 5 {
        // Ordinary plates: five letters or digits, the last may be 挂、学、警、港、澳.
        rest[..4].iter().all(alnum)
            && (alnum(&rest[4]) || matches!(rest[4], '挂' | '学' | '警' | '港' | '澳'))
    } else {
        // New-energy plates: D or F then five (small cars), or five digits then D or F (large).
        let small = matches!(rest[0], 'D' | 'F')
            && rest[1..].iter().all(alnum)
            && rest[2..].iter().all(char::is_ascii_digit);
        let large = rest[..5].iter().all(char::is_ascii_digit) && matches!(rest[5], 'D' | 'F');
        small || large
    };
    if !ok {
        return Err(bad());
    }
    let tail: String = rest.iter().collect();
    Ok(format!("{}{}·{tail}", chars[0], chars[1]))
}

named_enum!(
    /// Where a hand-over stands.
    HandoverStatus {
        Pending => "pending", "待接收";
        Acknowledged => "acknowledged", "已接收";
    }
);

/// Hours a receiving place has to acknowledge a hand-over before it is overdue, unless set
/// otherwise (the field's "两小时内落地对接").
pub const DEFAULT_HANDOVER_OVERDUE_HOURS: u32 = 2;

/// Days after a case is released before its person's name, ID number and phone are erased,
/// unless set otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

impl PassageOutcome {
    /// Whether the traveller goes on to the destination, so that it must receive them: all
    /// but those turned back.
    pub fn goes_on(self) -> bool {
        self != PassageOutcome::TurnedBack
    }
}

/// The place a traveller is handed to, from where the destination lies: a grid receives
/// them itself; a village with exactly one grid hands them to that grid; otherwise the
/// village (or the wider place named) receives them and passes them down.
pub fn receiving_place(destination: &crate::jurisdiction::Code, grids: &[String]) -> String {
    use crate::jurisdiction::Level;
    match (destination.level(), grids) {
        (Level::Village, [only]) => only.clone(),
        _ => destination.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates() {
        assert_eq!(parse_plate("青H·12345").as_deref(), Ok("青H·12345"));
        assert_eq!(parse_plate("青h12345").as_deref(), Ok("青H·12345"));
        assert_eq!(parse_plate("青H D12345").as_deref(), Ok("青H·D12345"));
        assert_eq!(parse_plate("青A·12345D").as_deref(), Ok("青A·12345D"));
        assert_eq!(parse_plate("藏A·1234挂").as_deref(), Ok("藏A·1234挂"));
        for bad in [
            "",
            "青H1234",
            "X H12345",
            "青812345",
            "青HI2345",
            "青H·D1234X",
            "青H123456",
        ] {
            assert!(parse_plate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn temperatures() {
        assert_eq!(temperature_tenths(37.3), Ok(373));
        assert!(is_fever(373));
        assert!(!is_fever(372));
        assert!(temperature_tenths(34.9).is_err());
        assert!(temperature_tenths(42.1).is_err());
        assert!(temperature_tenths(f64::NAN).is_err());
    }

    #[test]
    fn outcomes_parse_both_names() {
        assert_eq!(
            PassageOutcome::parse("劝返"),
            Some(PassageOutcome::TurnedBack)
        );
        assert_eq!(
            PassageOutcome::parse("through"),
            Some(PassageOutcome::Through)
        );
        assert_eq!(PassageOutcome::parse("x"), None);
    }

    #[test]
    fn hand_over_goes_to_the_only_grid_of_a_village_or_stays_with_the_place() {
        use crate::jurisdiction::Code;
        let village = Code::parse("632801001001").expect("code");
        let grid = "632801001001001".to_string();
        assert_eq!(receiving_place(&village, std::slice::from_ref(&grid)), grid);
        assert_eq!(
            receiving_place(&village, &[grid.clone(), "632801001001002".into()]),
            "632801001001"
        );
        assert_eq!(receiving_place(&village, &[]), "632801001001");
        let g = Code::parse(&grid).expect("code");
        assert_eq!(receiving_place(&g, &[]), grid);
        let town = Code::parse("632801100").expect("code");
        assert_eq!(
            receiving_place(&town, std::slice::from_ref(&grid)),
            "632801100"
        );
        assert!(!PassageOutcome::TurnedBack.goes_on());
        assert!(PassageOutcome::Quarantine.goes_on());
    }
}
