//! Work groups stationed in enterprises (驻企工作组): the five prevention checks a visit looks
//! at, and the production problems the groups raise with the enterprises.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

named_enum!(
    /// The five checks of an enterprise's prevention work (五个到位).
    PreventionCheck {
        Mechanism => "mechanism", "防控机制";
        Staff => "staff", "员工排查";
        Facilities => "facilities", "设施物资";
        Management => "management", "内部管理";
        Publicity => "publicity", "宣传教育";
    }
);

named_enum!(
    /// What a production problem is about.
    ProblemCategory {
        Labour => "labour", "用工";
        Materials => "materials", "原材料";
        Logistics => "logistics", "物流运输";
        Funds => "funds", "资金";
        Orders => "orders", "订单";
        Supplies => "supplies", "防疫物资";
        Other => "other", "其他";
    }
);

named_enum!(
    /// Where a production problem stands.
    ProblemStatus {
        Open => "open", "待解决";
        Resolved => "resolved", "已解决";
    }
);

/// The five checks as found on a visit, in the order of [`PreventionCheck::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checks(pub [bool; 5]);

impl Checks {
    /// From the list of checks found in place; an unknown name is returned as the error.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Checks, String> {
        let mut set = [false; 5];
        for n in names {
            let n = n.as_ref();
            if n.trim().is_empty() {
                continue;
            }
            let c = PreventionCheck::parse(n).ok_or_else(|| n.trim().to_string())?;
            if let Some(i) = PreventionCheck::ALL.iter().position(|x| *x == c) {
                set[i] = true;
            }
        }
        Ok(Checks(set))
    }

    /// The checks found in place.
    pub fn passed(self) -> Vec<PreventionCheck> {
        PreventionCheck::ALL
            .iter()
            .zip(self.0)
            .filter(|(_, ok)| *ok)
            .map(|(c, _)| *c)
            .collect()
    }

    /// The checks not in place.
    pub fn missing(self) -> Vec<PreventionCheck> {
        PreventionCheck::ALL
            .iter()
            .zip(self.0)
            .filter(|(_, ok)| !*ok)
            .map(|(c, _)| *c)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in ProblemCategory::ALL {
            assert_eq!(ProblemCategory::parse(c.as_str()), Some(*c));
            assert_eq!(ProblemCategory::parse(c.zh()), Some(*c));
        }
        assert_eq!(
            ProblemCategory::parse("物流运输"),
            Some(ProblemCategory::Logistics)
        );
        assert_eq!(ProblemCategory::parse("电力"), None);
    }

    #[test]
    fn checks_from_names() {
        let c = Checks::from_names(&["防控机制", "staff", ""]).expect("known");
        assert_eq!(
            c.passed(),
            vec![PreventionCheck::Mechanism, PreventionCheck::Staff]
        );
        assert_eq!(c.missing().len(), 3);
        assert_eq!(Checks::from_names(&["消防"]).unwrap_err(), "消防");
    }
}
