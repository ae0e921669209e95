//! Resident identity card numbers (GB 11643-1999): 6-digit area code, 8-digit birth date,
//! 3-digit sequence (odd for men), and a check character.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// A valid resident ID number; the constructor is the only way in.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// Why a string is not a resident ID number; each message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("身份证号应为 18 位，当前为 {0} 位")]
    Length(usize),
    #[error("身份证号前 17 位只能是数字，末位为数字或 X")]
    Characters,
    #[error("身份证号中的出生日期 {0} 不是有效日期")]
    BirthDate(String),
    #[error("身份证号中的出生日期 {0} 早于 1900 年，请核对号码")]
    BornTooEarly(String),
    #[error("身份证号中的出生日期 {0} 晚于今天，请核对号码")]
    BornInFuture(String),
    #[error("身份证号前两位 {0} 不是任何省、自治区、直辖市的代码，请核对号码")]
    Province(String),
    #[error("身份证号校验位不符：末位应为 {expected}，实为 {actual}，请核对号码")]
    Check { expected: char, actual: char },
}

/// Province-level codes that stand on cards and permits but not in the statistical codes:
/// Taiwan (71), Hong Kong (81), Macao (82) and the residence permits of Taiwan residents (83).
const OUTSIDE_STATISTICS: [&str; 4] = ["71", "81", "82", "83"];

/// Whether a two-digit province code exists: the embedded national division codes, and the
/// codes above. Only the province is checked: the codes of counties abolished or renumbered
/// since a card was issued stay valid on it.
pub fn province_exists(code: &str) -> bool {
    static PROVINCES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let known = PROVINCES.get_or_init(|| {
        crate::divisions::provinces()
            .map(|ps| ps.into_iter().map(|p| p.code.to_string()).collect())
            .unwrap_or_default()
    });
    OUTSIDE_STATISTICS.contains(&code)
        || known.iter().any(|p| p == code)
        // Should the embedded codes be unreadable, the ranges of GB/T 2260 stand in.
        || (known.is_empty()
            && matches!(code.parse::<u8>(), Ok(11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65)))
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize] as char)
}

impl ResidentId {
    /// A resident ID number as typed; `today` is the day in China Standard Time (a birth
    /// after it is refused).
    pub fn parse(raw: &str, today: chrono::NaiveDate) -> Result<ResidentId, ResidentIdError> {
        let s: String = raw.trim().to_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(ResidentIdError::Length(n));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(ResidentIdError::Characters);
        }
        let birth = &s[6..14];
        let Ok(born) = NaiveDate::parse_from_str(birth, "%Y%m%d") else {
            return Err(ResidentIdError::BirthDate(birth.to_string()));
        };
        let expected = check_char(&b[..17]).ok_or(ResidentIdError::Characters)?;
        let actual = b[17] as char;
        if expected != actual {
            return Err(ResidentIdError::Check { expected, actual });
        }
        // A number whose check character agrees may still name no real province or birth.
        if !province_exists(&s[..2]) {
            return Err(ResidentIdError::Province(s[..2].to_string()));
        }
        if born.year() < 1900 {
            return Err(ResidentIdError::BornTooEarly(birth.to_string()));
        }
        if born > today {
            return Err(ResidentIdError::BornInFuture(birth.to_string()));
        }
        Ok(ResidentId(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Checked by the constructor.
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or_default()
    }

    pub fn sex(&self) -> Sex {
        let seq = self.0.as_bytes()[16] - b'0';
        if seq % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The area code of the place of first registration.
    pub fn area_code(&self) -> &str {
        &self.0[..6]
    }

    /// Shown in lists and exports: `632801********123X`.
    pub fn masked(&self) -> String {
        mask_id(&self.0)
    }
}

/// Masks an ID number, keeping the area code and the last four characters.
pub fn mask_id(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let keep_head = 6;
    let keep_tail = 4;
    chars[..keep_head].iter().collect::<String>()
        + &"*".repeat(chars.len() - keep_head - keep_tail)
        + &chars[chars.len() - keep_tail..].iter().collect::<String>()
}

/// Masks a phone number as `138****1234`.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    chars[..3].iter().collect::<String>()
        + "****"
        + &chars[chars.len() - 4..].iter().collect::<String>()
}

/// Masks every ID number (18 characters, or the old 15 digits) and mainland mobile number (11
/// digits from 1) standing in free text, as [`mask_id`] and [`mask_phone`] do: what a message
/// leaving the platform carries of what a person typed.
pub fn mask_in_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        if j - i == 17 && j < chars.len() && matches!(chars[j], 'X' | 'x') {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let standalone = j == chars.len() || !chars[j].is_ascii_alphanumeric();
        match run.len() {
            18 | 15 if standalone => out.push_str(&mask_id(&run)),
            11 if standalone && run.starts_with('1') => out.push_str(&mask_phone(&run)),
            _ => out.push_str(&run),
        }
        i = j;
    }
    out
}

/// Checks a mainland mobile or fixed-line number: 7 to 20 digits, `-` and `+` allowed.
pub fn validate_phone(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ')
        || !(7..=20).contains(&digits)
    {
        return Err(format!("电话号码“{s}”无效：应为 7 到 20 位数字"));
    }
    Ok(s.to_string())
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a whole number in logs.
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The day the tests are run "on".
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 2, 28).expect("date")
    }

    /// Builds a valid number from its first 17 digits.
    fn with_check(first17: &str) -> String {
        format!(
            "{first17}{}",
            check_char(first17.as_bytes()).expect("17 digits")
        )
    }

    #[test]
    fn accepts_valid_numbers_and_derives_sex_and_birth() {
        // The standard's own example.
        let id = ResidentId::parse("11010519491231002X", today()).expect("valid");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).expect("date")
        );
        assert_eq!(id.sex(), Sex::Female);
        let haixi = with_check("63280119850312001");
        let id = ResidentId::parse(&haixi, today()).expect("valid");
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.area_code(), "632801");
        assert_eq!(
            ResidentId::parse(&haixi.to_lowercase(), today())
                .expect("lower x ok")
                .as_str(),
            haixi
        );
    }

    #[test]
    fn refuses_bad_numbers_with_a_reason() {
        assert_eq!(
            ResidentId::parse("123", today()),
            Err(ResidentIdError::Length(3))
        );
        assert_eq!(
            ResidentId::parse("11010519491231002A", today()),
            Err(ResidentIdError::Characters)
        );
        assert!(matches!(
            ResidentId::parse(&with_check("63280119850230001"), today()),
            Err(ResidentIdError::BirthDate(_))
        ));
        assert_eq!(
            ResidentId::parse("110105194912310021", today()),
            Err(ResidentIdError::Check {
                expected: 'X',
                actual: '1'
            })
        );
    }

    #[test]
    fn refuses_births_before_1900_or_after_today_and_unknown_provinces() {
        assert!(matches!(
            ResidentId::parse(&with_check("63280118991231001"), today()),
            Err(ResidentIdError::BornTooEarly(_))
        ));
        assert!(ResidentId::parse(&with_check("63280119000101001"), today()).is_ok());
        let tomorrow = today() + chrono::Days::new(2);
        let future = format!("632801{}001", tomorrow.format("%Y%m%d"));
        assert!(matches!(
            ResidentId::parse(&with_check(&future), today()),
            Err(ResidentIdError::BornInFuture(_))
        ));
        assert!(matches!(
            ResidentId::parse(&with_check("99280119850312001"), today()),
            Err(ResidentIdError::Province(p)) if p == "99"
        ));
        for bad in [
            "00", "10", "16", "20", "39", "47", "55", "66", "70", "80", "84", "90",
        ] {
            assert!(!province_exists(bad), "{bad}");
        }
        // Every province, Hong Kong, Macao, Taiwan and a Taiwan resident's permit; and a
        // county code no longer in use (巢湖市 3414 was abolished in 2011) on an old card.
        for ok in ["11", "46", "50", "65", "71", "81", "82", "83"] {
            assert!(province_exists(ok), "{ok}");
        }
        assert!(ResidentId::parse(&with_check("34140119700101001"), today()).is_ok());
        assert!(ResidentId::parse(&with_check("83000019900101001"), today()).is_ok());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
        assert_eq!(mask_phone("13897001234"), "138****1234");
        let id = ResidentId::parse("11010519491231002X", today()).expect("valid");
        assert!(!format!("{id:?}").contains("19491231"));
        assert!(validate_phone("0977-8221234").is_ok());
        assert!(validate_phone("abc").is_err());
    }

    #[test]
    fn masks_numbers_in_text() {
        let t = mask_in_text("张三 11010519491231002X，电话13897001234；工单 12 号，2020-02-27");
        assert_eq!(
            t,
            "张三 110105********002X，电话138****1234；工单 12 号，2020-02-27"
        );
        // A longer run of digits is not a person's number.
        assert_eq!(mask_in_text("1234567890123456789"), "1234567890123456789");
        assert_eq!(
            mask_in_text("身份证632801199001011234"),
            "身份证632801********1234"
        );
    }
}
