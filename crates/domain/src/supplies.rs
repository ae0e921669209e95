//! Supplies (物资保障): prevention materials and spring-farming inputs, from stock to
//! delivery. The catalogue of items with their units, the kinds of store, the kinds of stock
//! movement and how each moves a store's balance, needs and requests, the crops of spring
//! farming, and the rules for quantities typed in a unit or in packs and for days of cover.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

named_enum!(
    /// The two families of the catalogue.
    ItemCategory {
        Prevention => "prevention", "防疫物资";
        Farm => "farm", "农资";
    }
);

named_enum!(
    /// What an item is, within its family.
    ItemKind {
        Mask => "mask", "口罩";
        Disinfectant => "disinfectant", "消毒用品";
        Thermometer => "thermometer", "体温计";
        ProtectiveSuit => "protective_suit", "防护服";
        Goggles => "goggles", "护目镜";
        Gloves => "gloves", "手套";
        Fertiliser => "fertiliser", "化肥";
        Seed => "seed", "种子";
        Film => "film", "农膜";
        Pesticide => "pesticide", "农药";
        Fuel => "fuel", "燃油";
        OtherPrevention => "other_prevention", "其他防疫物资";
        OtherFarm => "other_farm", "其他农资";
    }
);

impl ItemKind {
    /// The family an item of this kind belongs to.
    pub fn category(self) -> ItemCategory {
        match self {
            ItemKind::Mask
            | ItemKind::Disinfectant
            | ItemKind::Thermometer
            | ItemKind::ProtectiveSuit
            | ItemKind::Goggles
            | ItemKind::Gloves
            | ItemKind::OtherPrevention => ItemCategory::Prevention,
            _ => ItemCategory::Farm,
        }
    }

    /// Whether items of this kind are spring-farming inputs counted against a crop.
    pub fn is_farm_input(self) -> bool {
        self.category() == ItemCategory::Farm
    }
}

named_enum!(
    /// Crops of spring farming in Haixi.
    Crop {
        Wolfberry => "wolfberry", "枸杞";
        HighlandBarley => "highland_barley", "青稞";
        Rape => "rape", "油菜";
        Wheat => "wheat", "小麦";
        Potato => "potato", "马铃薯";
        Quinoa => "quinoa", "藜麦";
        Forage => "forage", "饲草";
    }
);

named_enum!(
    /// Kinds of store: warehouses and stock points.
    StoreKind {
        Prefecture => "prefecture", "州级储备库";
        County => "county", "县级仓库";
        Township => "township", "乡镇站点";
        Checkpoint => "checkpoint", "卡口物资箱";
        Grid => "grid", "网格（社区）物资点";
        Other => "other", "其他";
    }
);

named_enum!(
    /// Kinds of stock movement. A balance is never edited: it is the sum of movements.
    MovementKind {
        Receipt => "receipt", "入库";
        Issue => "issue", "发放";
        Transfer => "transfer", "调拨";
        Dispatch => "dispatch", "调运发出";
        Arrival => "arrival", "调运到货";
        AdjustIn => "adjust_in", "盘盈调整";
        AdjustOut => "adjust_out", "盘亏调整";
    }
);

impl MovementKind {
    /// Whether the movement takes stock out of a store (its `from` store).
    pub fn takes_out(self) -> bool {
        matches!(
            self,
            MovementKind::Issue
                | MovementKind::Transfer
                | MovementKind::Dispatch
                | MovementKind::AdjustOut
        )
    }

    /// Whether the movement puts stock into a store (its `to` store).
    pub fn puts_in(self) -> bool {
        matches!(
            self,
            MovementKind::Receipt
                | MovementKind::Transfer
                | MovementKind::Arrival
                | MovementKind::AdjustIn
        )
    }

    /// Whether a clerk records it directly (dispatches and arrivals come from allocations).
    pub fn is_direct(self) -> bool {
        !matches!(self, MovementKind::Dispatch | MovementKind::Arrival)
    }

    /// Whether it needs a reason (adjustments after a stock count).
    pub fn needs_reason(self) -> bool {
        matches!(self, MovementKind::AdjustIn | MovementKind::AdjustOut)
    }
}

named_enum!(
    /// How a need is stated: a quantity for the season, or a quantity per day.
    NeedBasis {
        Total => "total", "总需求";
        Daily => "daily", "每日需求";
    }
);

named_enum!(
    /// Where a request to the level above stands.
    RequestStatus {
        Open => "open", "待分配";
        Partly => "partly", "部分分配";
        Allocated => "allocated", "已分配";
        Declined => "declined", "未予分配";
    }
);

named_enum!(
    /// Where an allocation (a delivery from the level above) stands.
    DeliveryStatus {
        InTransit => "in_transit", "在途";
        Received => "received", "已到货";
    }
);

/// The largest quantity of one movement, in the item's unit.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// Days of recent use that make "current use" for days of cover.
pub const USE_WINDOW_DAYS: i64 = 14;

/// Days of cover below which a store is warned, unless the item says otherwise.
pub const DEFAULT_WARN_DAYS: i64 = 7;

/// Days a daily need counts for in a shortfall (a week of cover), unless asked otherwise.
pub const DEFAULT_NEED_HORIZON_DAYS: i64 = 7;

/// A quantity typed in a unit, turned into the item's unit: the item's own unit, or its pack
/// (a box of 50 masks) multiplied out. Any other unit is a mismatch.
pub fn to_base_units(
    quantity: i64,
    typed_unit: &str,
    unit: &str,
    pack_unit: Option<&str>,
    pack_size: Option<i64>,
) -> Result<i64, String> {
    let typed = typed_unit.trim();
    if quantity <= 0 || quantity > MAX_QUANTITY {
        return Err(format!("数量应为 1 到 {MAX_QUANTITY} 之间的整数"));
    }
    if typed.is_empty() || typed == unit {
        return Ok(quantity);
    }
    match (pack_unit, pack_size) {
        (Some(p), Some(n)) if p == typed && n > 0 => quantity
            .checked_mul(n)
            .filter(|q| *q <= MAX_QUANTITY)
            .ok_or_else(|| format!("数量过大：不超过 {MAX_QUANTITY} {unit}")),
        (Some(p), Some(n)) if n > 0 => Err(format!(
            "单位不符：此物资以“{unit}”计（每{p} {n} {unit}），收到“{typed}”"
        )),
        _ => Err(format!("单位不符：此物资以“{unit}”计，收到“{typed}”")),
    }
}

/// Days of cover of a balance at a daily use given in units per `window` days:
/// `None` when nothing is being used.
pub fn days_of_cover(balance: i64, used_in_window: i64, window: i64) -> Option<f64> {
    if used_in_window <= 0 || window <= 0 {
        return None;
    }
    Some(balance as f64 * window as f64 / used_in_window as f64)
}

/// A shortfall: need less stock and deliveries in transit, never below zero.
pub fn shortfall(need: i64, stock: i64, in_transit: i64) -> i64 {
    (need - stock - in_transit).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_packs() {
        assert_eq!(to_base_units(3, "", "个", Some("箱"), Some(50)), Ok(3));
        assert_eq!(to_base_units(3, "个", "个", Some("箱"), Some(50)), Ok(3));
        assert_eq!(to_base_units(3, "箱", "个", Some("箱"), Some(50)), Ok(150));
        let e = to_base_units(3, "吨", "个", Some("箱"), Some(50)).unwrap_err();
        assert!(e.contains("单位不符") && e.contains("吨"), "{e}");
        assert!(to_base_units(3, "箱", "升", None, None).is_err());
        assert!(to_base_units(0, "", "个", None, None).is_err());
        assert!(to_base_units(MAX_QUANTITY, "箱", "个", Some("箱"), Some(50)).is_err());
    }

    #[test]
    fn movements_move_one_or_two_stores() {
        for k in MovementKind::ALL {
            assert!(k.takes_out() || k.puts_in(), "{k:?}");
        }
        assert!(MovementKind::Transfer.takes_out() && MovementKind::Transfer.puts_in());
        assert!(!MovementKind::Dispatch.is_direct());
        assert!(MovementKind::AdjustOut.needs_reason());
        assert_eq!(ItemKind::Seed.category(), ItemCategory::Farm);
        assert_eq!(ItemKind::Mask.category(), ItemCategory::Prevention);
    }

    #[test]
    fn cover_and_shortfall() {
        assert_eq!(days_of_cover(70, 140, 14), Some(7.0));
        assert_eq!(days_of_cover(70, 0, 14), None);
        assert_eq!(shortfall(100, 30, 20), 50);
        assert_eq!(shortfall(100, 90, 20), 0);
    }
}

/// A quantity in the unit an office speaks of it in: kilograms from a thousand on as tonnes
/// ("93.2 吨"), counts from a hundred thousand on in 万 ("12.5 万只"); smaller ones as they are.
pub fn quantity_text(quantity: i64, unit: &str) -> String {
    let trimmed = |v: f64| {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    match unit {
        "公斤" | "千克" if quantity.abs() >= 1000 => {
            format!("{} 吨", trimmed(quantity as f64 / 1000.0))
        }
        "克" | "公斤" | "千克" | "吨" | "升" | "毫升" | "亩" => {
            format!("{quantity} {unit}")
        }
        _ if quantity.abs() >= 100_000 => {
            format!("{} 万{unit}", trimmed(quantity as f64 / 10_000.0))
        }
        _ => format!("{quantity} {unit}"),
    }
}

#[cfg(test)]
mod quantity_tests {
    use super::quantity_text;

    #[test]
    fn large_quantities_read_in_the_office_unit() {
        assert_eq!(quantity_text(93_200, "公斤"), "93.2 吨");
        assert_eq!(quantity_text(5_000, "公斤"), "5 吨");
        assert_eq!(quantity_text(800, "公斤"), "800 公斤");
        assert_eq!(quantity_text(1_250_000, "只"), "125 万只");
        assert_eq!(quantity_text(3_000, "只"), "3000 只");
        assert_eq!(quantity_text(120_000, "升"), "120000 升");
    }
}
