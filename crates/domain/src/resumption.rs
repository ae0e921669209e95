//! Resumption of work and production: enterprises, their daily operating reports, and the
//! rates computed from them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (GB 32100-2015) as entered: its shape is checked strictly;
/// the check character is only reported, since some early codes fail it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode {
    pub code: String,
    /// The check character does not match (accepted, shown with a warning).
    pub check_failed: bool,
}

/// The check character the first 17 characters call for.
pub fn credit_check_char(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.chars().zip(CREDIT_WEIGHTS) {
        sum += CREDIT_CHARS.find(c)? as u32 * w;
    }
    if first17.chars().count() != 17 {
        return None;
    }
    let v = (31 - sum % 31) % 31;
    CREDIT_CHARS.chars().nth(v as usize)
}

impl CreditCode {
    pub fn parse(raw: &str) -> Result<CreditCode, String> {
        let code = raw.trim().to_uppercase();
        let n = code.chars().count();
        if n != 18 {
            return Err(format!("统一社会信用代码应为 18 位，当前为 {n} 位"));
        }
        if let Some(bad) = code.chars().find(|c| !CREDIT_CHARS.contains(*c)) {
            return Err(format!(
                "统一社会信用代码含有不允许的字符“{bad}”（不使用 I、O、Z、S、V）"
            ));
        }
        let expected = credit_check_char(&code[..17]);
        let check_failed = expected != code.chars().last();
        Ok(CreditCode { code, check_failed })
    }
}

named_enum!(
    /// Sections of the national industry classification (GB/T 4754-2017).
    IndustrySection {
        A => "A", "农、林、牧、渔业";
        B => "B", "采矿业";
        C => "C", "制造业";
        D => "D", "电力、热力、燃气及水生产和供应业";
        E => "E", "建筑业";
        F => "F", "批发和零售业";
        G => "G", "交通运输、仓储和邮政业";
        H => "H", "住宿和餐饮业";
        I => "I", "信息传输、软件和信息技术服务业";
        J => "J", "金融业";
        K => "K", "房地产业";
        L => "L", "租赁和商务服务业";
        M => "M", "科学研究和技术服务业";
        N => "N", "水利、环境和公共设施管理业";
        O => "O", "居民服务、修理和其他服务业";
        P => "P", "教育";
        Q => "Q", "卫生和社会工作";
        R => "R", "文化、体育和娱乐业";
        S => "S", "公共管理、社会保障和社会组织";
        T => "T", "国际组织";
    }
);

named_enum!(
    /// The operating status an enterprise reports for a day.
    OperatingStatus {
        NotResumed => "not_resumed", "未复工";
        Resumed => "resumed", "已复工";
        Partly => "partly", "部分复工";
        ShutDown => "shut_down", "停产";
    }
);

impl OperatingStatus {
    /// Whether the day counts as resumed for 开复工率 (fully or partly).
    pub fn counts_as_resumed(self) -> bool {
        matches!(self, OperatingStatus::Resumed | OperatingStatus::Partly)
    }
}

named_enum!(
    /// Why an enterprise is left out of the resumption count.
    ExclusionReason {
        Seasonal => "seasonal", "季节性停产";
        LongTerm => "long_term", "长期停产";
        Rectification => "rectification", "责令整改";
    }
);

/// Checks a GB/T 4754 division: two digits 01–97.
pub fn validate_division(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    match s.parse::<u8>() {
        Ok(n) if s.len() == 2 && (1..=97).contains(&n) => Ok(s.to_string()),
        _ => Err(format!("行业大类应为两位数字（01–97），收到“{s}”")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes() {
        let first17 = "91632801MA7520010";
        let check = credit_check_char(first17).expect("check");
        let ok = CreditCode::parse(&format!("{first17}{check}")).expect("valid");
        assert!(!ok.check_failed);
        let wrong = if check == '0' { '1' } else { '0' };
        let warned = CreditCode::parse(&format!("{first17}{wrong}")).expect("accepted");
        assert!(
            warned.check_failed,
            "a failing check is accepted with a warning"
        );
        assert!(CreditCode::parse("91632801MA752001")
            .unwrap_err()
            .contains("18 位"));
        assert!(CreditCode::parse("91632801MA75200I0X")
            .unwrap_err()
            .contains("“I”"));
    }

    #[test]
    fn statuses_and_divisions() {
        assert!(OperatingStatus::Partly.counts_as_resumed());
        assert!(!OperatingStatus::ShutDown.counts_as_resumed());
        assert_eq!(IndustrySection::parse("采矿业"), Some(IndustrySection::B));
        // Written as read: the upper-case letter of GB/T 4754.
        let b = serde_json::to_value(IndustrySection::B).expect("serialise");
        assert_eq!(b, serde_json::json!("B"));
        assert_eq!(
            b.as_str().and_then(IndustrySection::parse),
            Some(IndustrySection::B)
        );
        assert_eq!(
            serde_json::from_value::<IndustrySection>(b).ok(),
            Some(IndustrySection::B)
        );
        assert!(validate_division("26").is_ok());
        assert!(validate_division("99").is_err());
    }
}
