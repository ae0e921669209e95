//! The national statistical division codes (统计用区划代码), embedded in the binary.
//!
//! Source and licence: `data/divisions/SOURCE.md` and `LICENSE` in the repository.

use crate::jurisdiction::{Code, Level};
use std::io::Read;

const PROVINCES: &[u8] = include_bytes!("../../../data/divisions/provinces.csv.xz");
const CITIES: &[u8] = include_bytes!("../../../data/divisions/cities.csv.xz");
const AREAS: &[u8] = include_bytes!("../../../data/divisions/areas.csv.xz");
const STREETS: &[u8] = include_bytes!("../../../data/divisions/streets.csv.xz");
const VILLAGES: &[u8] = include_bytes!("../../../data/divisions/villages.csv.xz");

/// The edition of the embedded data.
pub const EDITION: &str = "国家统计局统计用区划代码 2023 年（截至 2023-06-30）";

/// One unit of the national division codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: Code,
    pub name: String,
    pub level: Level,
}

#[derive(Debug, thiserror::Error)]
pub enum DivisionError {
    #[error("区划数据损坏：{0}")]
    Corrupt(String),
}

/// Every division whose code starts with `prefix` (all of them for an empty prefix), and
/// the ancestors of `prefix` itself, ordered from the top level down.
pub fn under(prefix: &str) -> Result<Vec<Division>, DivisionError> {
    let mut out = Vec::new();
    for (bytes, level) in [
        (PROVINCES, Level::Province),
        (CITIES, Level::Prefecture),
        (AREAS, Level::County),
        (STREETS, Level::Township),
        (VILLAGES, Level::Village),
    ] {
        read_level(bytes, level, prefix, &mut out)?;
    }
    Ok(out)
}

/// The provinces, prefectures and counties of the whole country, parents first.
pub fn to_county() -> Result<Vec<Division>, DivisionError> {
    let mut out = Vec::new();
    for (bytes, level) in [
        (PROVINCES, Level::Province),
        (CITIES, Level::Prefecture),
        (AREAS, Level::County),
    ] {
        read_level(bytes, level, "", &mut out)?;
    }
    Ok(out)
}

/// The provinces alone (2-digit codes), for checking a province code without reading the
/// lower levels.
pub fn provinces() -> Result<Vec<Division>, DivisionError> {
    let mut out = Vec::new();
    read_level(PROVINCES, Level::Province, "", &mut out)?;
    Ok(out)
}

fn read_level(
    bytes: &[u8],
    level: Level,
    prefix: &str,
    out: &mut Vec<Division>,
) -> Result<(), DivisionError> {
    let mut text = String::new();
    xz2::read::XzDecoder::new(bytes)
        .read_to_string(&mut text)
        .map_err(|e| DivisionError::Corrupt(e.to_string()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    while rdr
        .read_record(&mut rec)
        .map_err(|e| DivisionError::Corrupt(e.to_string()))?
    {
        let (Some(code), Some(name)) = (rec.get(0), rec.get(1)) else {
            return Err(DivisionError::Corrupt("缺少代码或名称列".into()));
        };
        // A unit belongs if it lies under the prefix, or is an ancestor of it.
        if !(code.starts_with(prefix) || prefix.starts_with(code)) {
            continue;
        }
        let code = Code::parse(code).map_err(|e| DivisionError::Corrupt(e.to_string()))?;
        if code.level() != level {
            return Err(DivisionError::Corrupt(format!("{} 的层级不符", code)));
        }
        out.push(Division {
            code,
            name: name.to_string(),
            level,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haixi_has_its_counties_townships_and_villages() {
        let d = under("6328").expect("embedded data reads");
        let count = |l: Level| d.iter().filter(|x| x.level == l).count();
        assert_eq!(count(Level::Province), 1);
        assert_eq!(count(Level::Prefecture), 1);
        assert_eq!(count(Level::County), 7);
        assert_eq!(count(Level::Township), 46);
        assert_eq!(count(Level::Village), 389);
        let golmud = d
            .iter()
            .find(|x| x.code.as_str() == "632801")
            .expect("格尔木市");
        assert_eq!(golmud.name, "格尔木市");
        // Every node's parent precedes it.
        for (i, x) in d.iter().enumerate() {
            if let Some(p) = x.code.parent() {
                assert!(d[..i].iter().any(|y| y.code == p), "{} 缺上级", x.code);
            }
        }
    }
}
