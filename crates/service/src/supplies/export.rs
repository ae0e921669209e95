//! The balances of every store as of a day, as a sheet.

use crate::{Actor, App, ServiceResult};

/// The columns of the balances export.
pub const BALANCE_COLUMNS: &[(&str, bool)] = &[
    ("仓库编号", true),
    ("仓库", true),
    ("区划代码", true),
    ("所属", true),
    ("物资", true),
    ("单位", true),
    ("结存", true),
];

impl App {
    /// The balances of every store and item of the caller's scope as of a day, as a sheet.
    pub async fn export_balances(
        &self,
        actor: &Actor,
        as_of: &Option<String>,
    ) -> ServiceResult<Vec<u8>> {
        let b = self
            .supply_balances(
                actor,
                &super::BalancesQuery {
                    as_of: as_of.clone(),
                    ..Default::default()
                },
            )
            .await?;
        let table = b
            .lines
            .into_iter()
            .map(|l| {
                vec![
                    l.store_id.to_string(),
                    l.store_name,
                    l.jurisdiction_code,
                    l.place_name,
                    l.item_name,
                    l.unit,
                    l.balance.to_string(),
                ]
            })
            .collect();
        self.audited_export(
            actor,
            &format!("物资结存（截至 {}）", b.as_of),
            "结存",
            BALANCE_COLUMNS,
            table,
        )
        .await
    }
}
