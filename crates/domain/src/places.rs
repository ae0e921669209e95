//! Places found by name as they are typed: a name's pinyin and short form, the national
//! codes down to county level in their familiar six-digit form, and how well a query matches.
//!
//! A query is matched three ways: by Chinese name (武汉 / 武汉市), by pinyin (wuhan, or the
//! initials wh), or by the start of a code (4201). Better matches come first: the whole name
//! or its short form, then the start of the name, then the pinyin or initials, then the start
//! of the pinyin, then a part of the name.

use crate::divisions::{self, DivisionError};
use crate::jurisdiction::Level;
use pinyin::ToPinyin;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 30;

/// The pinyin of a name: lower-case syllables without tones, separated by spaces (ü as v).
/// Letters and digits in the name are kept, a run of them as one syllable; other characters
/// are left out.
pub fn spell(name: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run = String::new();
    for (ch, py) in name.chars().zip(name.to_pinyin()) {
        if let Some(p) = py {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            out.push(p.plain().replace('ü', "v"));
        } else if ch.is_ascii_alphanumeric() {
            run.push(ch.to_ascii_lowercase());
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out.join(" ")
}

/// The first letter of each syllable of a spelling made by [`spell`].
pub fn initials(spelling: &str) -> String {
    spelling
        .split(' ')
        .filter_map(|s| s.chars().next())
        .collect()
}

/// Names of the peoples that name autonomous areas (海西蒙古族藏族自治州 → 海西).
const PEOPLES: &[&str] = &[
    "蒙古族",
    "藏族",
    "回族",
    "维吾尔",
    "壮族",
    "苗族",
    "彝族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "独龙族",
    "鄂伦春族",
    "各族",
];

/// Generic endings of a place's name, longest first.
const ENDINGS: &[&str] = &[
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "街道办事处",
    "村民委员会",
    "居民委员会",
    "村委会",
    "居委会",
    "街道",
    "社区",
    "地区",
    "林区",
    "新区",
    "省",
    "市",
    "盟",
    "县",
    "区",
    "旗",
    "镇",
    "乡",
    "村",
];

/// The short form of a name (武汉市 → 武汉, 海西蒙古族藏族自治州 → 海西, 青海省 → 青海): its
/// generic ending and the peoples of an autonomous area taken off. A name that would be left
/// with fewer than two characters is its own short form (城区 stays 城区).
pub fn short_name(name: &str) -> &str {
    let mut s = name;
    if let Some(e) = ENDINGS.iter().find(|e| s.ends_with(**e)) {
        s = &s[..s.len() - e.len()];
    }
    while let Some(p) = PEOPLES.iter().find(|p| s.ends_with(**p)) {
        s = &s[..s.len() - p.len()];
    }
    if s.chars().count() < 2 {
        name
    } else {
        s
    }
}

/// What a place is matched against, worked out once per place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub name: String,
    pub short: String,
    /// The pinyin of the name, syllables separated by spaces.
    pub spell: String,
    /// The pinyin of the short form, syllables separated by spaces.
    pub short_spell: String,
    joined: String,
    short_joined: String,
    initials: String,
    short_initials: String,
}

impl Keys {
    pub fn of(name: &str) -> Keys {
        let short = short_name(name).to_string();
        let spell = spell(name);
        let short_spell = if short == name {
            spell.clone()
        } else {
            self::spell(&short)
        };
        Keys {
            name: name.to_string(),
            joined: spell.replace(' ', ""),
            short_joined: short_spell.replace(' ', ""),
            initials: initials(&spell),
            short_initials: initials(&short_spell),
            short,
            spell,
            short_spell,
        }
    }
}

/// How well a place matches a query; smaller is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The whole name, its short form, or the whole code.
    Exact,
    /// The start of the name or of the code.
    Prefix,
    /// The whole pinyin or initials of the name or of its short form.
    Spelled,
    /// The start of the pinyin or of the initials.
    SpelledPrefix,
    /// A part of the name.
    Within,
}

/// A query as typed, made ready for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Digits: the start of a code.
    Code(String),
    /// Latin letters: pinyin or its initials, lower case, without spaces.
    Spelling(String),
    /// Chinese characters (possibly with letters or digits): a part of a name.
    Name(String),
    /// Nothing that can match a place (empty, or only punctuation).
    Nothing,
}

/// Why a query is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("查找内容不能超过 {MAX_QUERY_CHARS} 个字")]
    TooLong,
}

impl Query {
    pub fn parse(raw: &str) -> Result<Query, QueryError> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let kept: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .map(|c| if c == 'ü' { 'v' } else { c })
            .collect();
        Ok(if kept.is_empty() {
            Query::Nothing
        } else if kept.bytes().all(|b| b.is_ascii_digit()) {
            Query::Code(kept)
        } else if kept.bytes().all(|b| b.is_ascii_lowercase()) {
            Query::Spelling(kept)
        } else {
            Query::Name(kept)
        })
    }

    /// How well a place of this code and these keys matches, if it does.
    pub fn tier(&self, code: &str, k: &Keys) -> Option<Tier> {
        match self {
            Query::Nothing => None,
            Query::Code(q) => {
                if code == q {
                    Some(Tier::Exact)
                } else if code.starts_with(q.as_str()) {
                    Some(Tier::Prefix)
                } else {
                    None
                }
            }
            Query::Name(q) => {
                if k.name == *q || k.short == *q {
                    Some(Tier::Exact)
                } else if k.name.starts_with(q.as_str()) {
                    Some(Tier::Prefix)
                } else if k.name.contains(q.as_str()) {
                    Some(Tier::Within)
                } else {
                    None
                }
            }
            Query::Spelling(q) => {
                let q = q.as_str();
                if [&k.joined, &k.short_joined, &k.initials, &k.short_initials]
                    .iter()
                    .any(|s| s.as_str() == q)
                {
                    Some(Tier::Spelled)
                } else if k.joined.starts_with(q) || k.initials.starts_with(q) {
                    Some(Tier::SpelledPrefix)
                } else {
                    None
                }
            }
        }
    }
}

/// A unit of the national codes down to county level, in the six-digit form people know
/// (湖北省 420000, 武汉市 420100, 江岸区 420102), with its parent's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalPlace {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

/// The six-digit form of a province, prefecture or county code (42 → 420000, 4201 → 420100).
pub fn six_digit(code: &str) -> String {
    format!("{code:0<6}")
}

/// Groupings of the national list that are not places (北京市 → 市辖区 → 东城区): their
/// children hang from the place above them.
fn is_grouping(name: &str) -> bool {
    matches!(name, "市辖区" | "县") || name.ends_with("直辖县级行政区划")
}

/// The provinces, prefectures and counties of the national codes, parents first.
pub fn national_to_county() -> Result<Vec<NationalPlace>, DivisionError> {
    let all = divisions::to_county()?;
    let skipped: std::collections::HashSet<&str> = all
        .iter()
        .filter(|d| is_grouping(&d.name))
        .map(|d| d.code.as_str())
        .collect();
    Ok(all
        .iter()
        .filter(|d| !skipped.contains(d.code.as_str()))
        .map(|d| {
            let mut parent = d.code.parent();
            while let Some(p) = parent.as_ref().filter(|p| skipped.contains(p.as_str())) {
                parent = p.parent();
            }
            NationalPlace {
                code: six_digit(d.code.as_str()),
                name: d.name.clone(),
                level: d.level,
                parent: parent.map(|p| six_digit(p.as_str())),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_names_in_pinyin_and_initials() {
        assert_eq!(spell("武汉市"), "wu han shi");
        assert_eq!(initials(&spell("武汉市")), "whs");
        assert_eq!(spell("G109 第一网格"), "g109 di yi wang ge");
        assert_eq!(spell("绿草"), "lv cao");
    }

    #[test]
    fn short_names_drop_endings_and_peoples() {
        assert_eq!(short_name("武汉市"), "武汉");
        assert_eq!(short_name("青海省"), "青海");
        assert_eq!(short_name("海西蒙古族藏族自治州"), "海西");
        assert_eq!(short_name("新疆维吾尔自治区"), "新疆");
        assert_eq!(short_name("城区"), "城区");
        assert_eq!(short_name("格尔木市"), "格尔木");
    }

    #[test]
    fn matches_by_name_pinyin_initials_and_code() {
        let k = Keys::of("武汉市");
        let t = |q: &str| Query::parse(q).expect("query").tier("420100", &k);
        assert_eq!(t("武汉"), Some(Tier::Exact));
        assert_eq!(t("武汉市"), Some(Tier::Exact));
        assert_eq!(t("武"), Some(Tier::Prefix));
        assert_eq!(t("汉"), Some(Tier::Within));
        assert_eq!(t("wh"), Some(Tier::Spelled));
        assert_eq!(t("WuHan"), Some(Tier::Spelled));
        assert_eq!(t("wuh"), Some(Tier::SpelledPrefix));
        assert_eq!(t("420100"), Some(Tier::Exact));
        assert_eq!(t("4201"), Some(Tier::Prefix));
        assert_eq!(t("xn"), None);
        assert_eq!(t("%%"), None);
        assert_eq!(Query::parse("  "), Ok(Query::Nothing));
        assert_eq!(Query::parse(&"武".repeat(31)), Err(QueryError::TooLong));
    }

    #[test]
    fn national_list_is_six_digit_to_county_without_groupings() {
        let n = national_to_county().expect("embedded data reads");
        let wuhan = n.iter().find(|p| p.code == "420100").expect("武汉市");
        assert_eq!(wuhan.name, "武汉市");
        assert_eq!(wuhan.level, Level::Prefecture);
        assert_eq!(wuhan.parent.as_deref(), Some("420000"));
        let dongcheng = n.iter().find(|p| p.code == "110101").expect("东城区");
        assert_eq!(dongcheng.parent.as_deref(), Some("110000"));
        assert!(n.iter().all(|p| p.name != "市辖区"));
        assert!(n.iter().all(|p| p.level <= Level::County));
    }
}
