//! The jurisdiction tree: national statistical division codes, and grids under villages.
//!
//! A code is the path: `6328` → `632801` → `632801100` → `632801100200` → `632801100200001`.
//! Provinces have 2 digits, prefectures 4, counties 6, townships 9, villages and communities
//! 12, and grids (which have no national code) extend their village's code by 3 digits.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// The level of a node in the tree.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省级
    Province,
    /// 地级
    Prefecture,
    /// 县级
    County,
    /// 乡级
    Township,
    /// 村级
    Village,
    /// 网格
    Grid,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Province,
        Level::Prefecture,
        Level::County,
        Level::Township,
        Level::Village,
        Level::Grid,
    ];

    /// Number of digits of a code at this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::Prefecture => 4,
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
            Level::Grid => 15,
        }
    }

    pub fn from_code_len(len: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code_len() == len)
    }

    /// Stored as a small integer, 1 (province) to 6 (grid).
    pub fn rank(self) -> i64 {
        match self {
            Level::Province => 1,
            Level::Prefecture => 2,
            Level::County => 3,
            Level::Township => 4,
            Level::Village => 5,
            Level::Grid => 6,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.rank() == rank)
    }

    /// The Chinese name of the level.
    pub fn zh(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::Prefecture => "地级",
            Level::County => "县级",
            Level::Township => "乡级",
            Level::Village => "村级",
            Level::Grid => "网格",
        }
    }

    pub fn child(self) -> Option<Level> {
        Level::from_rank(self.rank() + 1)
    }
}

/// Why a string is not a jurisdiction code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("区划代码不能为空")]
    Empty,
    #[error("区划代码只能由数字组成：“{0}”")]
    NotDigits(String),
    #[error("区划代码长度应为 2、4、6、9、12 位（网格为 15 位），“{0}”为 {1} 位")]
    BadLength(String, usize),
}

/// A valid jurisdiction code. The constructor is the only way in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    pub fn parse(raw: &str) -> Result<Code, CodeError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(CodeError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits(s.to_string()));
        }
        if Level::from_code_len(s.len()).is_none() {
            return Err(CodeError::BadLength(s.to_string(), s.chars().count()));
        }
        Ok(Code(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        // The constructor guarantees a known length.
        Level::from_code_len(self.0.len()).unwrap_or(Level::Grid)
    }

    /// The code of the parent node, or `None` for a province.
    pub fn parent(&self) -> Option<Code> {
        let level = self.level();
        Level::from_rank(level.rank() - 1).map(|p| Code(self.0[..p.code_len()].to_string()))
    }

    /// The codes from the province down to (and including) this node.
    pub fn lineage(&self) -> Vec<Code> {
        Level::ALL
            .into_iter()
            .filter(|l| l.code_len() <= self.0.len())
            .map(|l| Code(self.0[..l.code_len()].to_string()))
            .collect()
    }

    /// Whether `self` is `scope` or lies under it.
    pub fn is_within(&self, scope: &Code) -> bool {
        in_subtree(&self.0, &scope.0)
    }

    /// The code of the `n`th grid (1..=999) under this village.
    pub fn grid(&self, n: u16) -> Option<Code> {
        if self.level() != Level::Village || n == 0 || n > 999 {
            return None;
        }
        Some(Code(format!("{}{:03}", self.0, n)))
    }

    /// The half-open range of codes `[lo, hi)` in this node's subtree.
    ///
    /// Codes are ASCII digits, so every code starting with `p` sorts at or after `p` and
    /// before `p` followed by `:` (the byte after `9`). A range is served by the primary key
    /// index on both engines, whatever their `LIKE` settings.
    pub fn subtree_range(&self) -> (String, String) {
        subtree_range_of(&self.0)
    }
}

/// The half-open range of codes `[lo, hi)` in the subtree of the node `top` (a code as
/// stored): the one computation of jurisdiction scope, see [`Code::subtree_range`].
pub fn subtree_range_of(top: &str) -> (String, String) {
    (top.to_string(), format!("{top}:"))
}

/// Whether the code `code` (as stored) lies in the subtree of `top`, `top` itself included.
pub fn in_subtree(code: &str, top: &str) -> bool {
    let (lo, hi) = subtree_range_of(top);
    code >= lo.as_str() && code < hi.as_str()
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Code {
    type Error = CodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Code::parse(&value)
    }
}

impl From<Code> for String {
    fn from(c: Code) -> String {
        c.0
    }
}

/// The part of the tree a caller may see: everything (the command line), or one subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Under(Code),
}

impl Scope {
    pub fn contains(&self, code: &Code) -> bool {
        match self {
            Scope::All => true,
            Scope::Under(s) => code.is_within(s),
        }
    }

    /// The half-open code range of the scope, as in [`Code::subtree_range`].
    pub fn range(&self) -> (String, String) {
        match self {
            Scope::All => (String::new(), ":".to_string()),
            Scope::Under(c) => c.subtree_range(),
        }
    }

    pub fn code(&self) -> Option<&Code> {
        match self {
            Scope::All => None,
            Scope::Under(c) => Some(c),
        }
    }
}

/// Why a grid name is refused.
pub fn validate_grid_name(name: &str) -> Result<String, &'static str> {
    let n = name.trim();
    if n.is_empty() {
        return Err("网格名称不能为空");
    }
    if n.chars().count() > 50 {
        return Err("网格名称不能超过 50 个字");
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_and_parents() {
        let c = Code::parse("632801100200").expect("valid");
        assert_eq!(c.level(), Level::Village);
        assert_eq!(c.parent().map(String::from).as_deref(), Some("632801100"));
        let lineage: Vec<String> = c.lineage().into_iter().map(String::from).collect();
        assert_eq!(
            lineage,
            ["63", "6328", "632801", "632801100", "632801100200"]
        );
        assert_eq!(Code::parse("63").expect("valid").parent(), None);
    }

    #[test]
    fn refuses_malformed_codes() {
        assert_eq!(Code::parse(""), Err(CodeError::Empty));
        assert!(matches!(Code::parse("63a8"), Err(CodeError::NotDigits(_))));
        assert!(matches!(
            Code::parse("63280"),
            Err(CodeError::BadLength(_, 5))
        ));
    }

    #[test]
    fn scope_is_a_prefix() {
        let haixi = Code::parse("6328").expect("valid");
        let golmud = Code::parse("632801").expect("valid");
        let delingha = Code::parse("632802").expect("valid");
        assert!(golmud.is_within(&haixi));
        assert!(!delingha.is_within(&golmud));
        let (lo, hi) = golmud.subtree_range();
        assert!(lo.as_str() <= "632801100200001" && "632801100200001" < hi.as_str());
        assert!("632802" >= hi.as_str());
        assert!(Scope::Under(golmud.clone()).contains(&golmud));
        assert!(!Scope::Under(golmud).contains(&delingha));
        assert!(Scope::All.contains(&delingha));
    }

    #[test]
    fn grids_extend_their_village() {
        let v = Code::parse("632801100200").expect("valid");
        assert_eq!(
            v.grid(7).map(String::from).as_deref(),
            Some("632801100200007")
        );
        assert!(v.grid(1000).is_none());
        assert!(Code::parse("632801").expect("valid").grid(1).is_none());
    }
}
