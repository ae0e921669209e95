//! The tracks of the command view and the headline indicators each declares: what each
//! counts, over what, at which levels. A track is a section of the dashboard and of the
//! briefing; the catalogue is the tracks' indicators in the tracks' order.
//!
//! Every indicator is named in code by the constant of its track
//! (`prevention::UNDER_MONITORING`), so an id that is not in the catalogue does not compile.

use crate::briefing::{BriefContext, BriefSection, Values};
use serde::Serialize;
use utoipa::ToSchema;

pub mod mobilisation;
pub mod prevention;
pub mod resumption;
pub mod supplies;
pub mod whistle;

/// The id of an indicator, `track.name`, as the API and the pages show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndicatorId(pub &'static str);

impl IndicatorId {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for IndicatorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// One headline indicator: what it counts and over what.
pub struct Indicator {
    pub id: IndicatorId,
    pub name: &'static str,
    pub definition: &'static str,
    pub numerator: &'static str,
    pub denominator: &'static str,
    pub exclusions: &'static str,
    pub unit: &'static str,
    pub levels: &'static str,
    pub dates: &'static str,
}

impl Indicator {
    /// A count: no denominator and nothing excluded, at every level, on any day.
    pub const fn count(
        id: IndicatorId,
        name: &'static str,
        definition: &'static str,
        numerator: &'static str,
        unit: &'static str,
    ) -> Indicator {
        Indicator {
            id,
            name,
            definition,
            numerator,
            denominator: "",
            exclusions: "",
            unit,
            levels: ALL_LEVELS,
            dates: ANY_DAY,
        }
    }

    /// The same at these levels only.
    pub const fn levels(self, levels: &'static str) -> Indicator {
        Indicator { levels, ..self }
    }

    /// The same on these dates only.
    pub const fn dates(self, dates: &'static str) -> Indicator {
        Indicator { dates, ..self }
    }
}

/// A track (a section of the dashboard and the briefing) and its indicators.
pub struct Track {
    /// The section's key: prevention, resumption, mobilisation, whistle, supplies.
    pub key: &'static str,
    /// The section's Chinese name.
    pub title: &'static str,
    /// Its indicators, in the order the dashboard shows them.
    pub indicators: &'static [Indicator],
    /// Its section of the briefing, when the caller may read its figures.
    pub(crate) brief: fn(&Values, &BriefContext) -> Option<BriefSection>,
}

/// The tracks, in the order the dashboard and the briefing show them.
pub const TRACKS: &[&Track] = &[
    &prevention::TRACK,
    &resumption::TRACK,
    &mobilisation::TRACK,
    &whistle::TRACK,
    &supplies::TRACK,
];

const ALL_LEVELS: &str = "省、州（市）、县、乡镇（街道）";
const ANY_DAY: &str = "任一日（截至当日 24 时）";

/// The catalogue: every indicator with its track, in the order the dashboard shows them.
pub fn catalogue() -> impl Iterator<Item = (&'static Track, &'static Indicator)> {
    TRACKS
        .iter()
        .flat_map(|t| t.indicators.iter().map(move |i| (*t, i)))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorView {
    pub id: String,
    pub name: String,
    /// prevention 疫情防控 / resumption 复工复产 / mobilisation 组织动员 / whistle 吹哨报到 / supplies 物资保障
    pub section: String,
    pub definition: String,
    pub numerator: String,
    pub denominator: String,
    pub exclusions: String,
    pub unit: String,
    pub levels: String,
    pub dates: String,
}

/// The catalogue as served.
pub fn indicators() -> Vec<IndicatorView> {
    catalogue()
        .map(|(t, i)| IndicatorView {
            id: i.id.0.into(),
            name: i.name.into(),
            section: t.key.into(),
            definition: i.definition.into(),
            numerator: i.numerator.into(),
            denominator: i.denominator.into(),
            exclusions: i.exclusions.into(),
            unit: i.unit.into(),
            levels: i.levels.into(),
            dates: i.dates.into(),
        })
        .collect()
}

/// The indicator of an id, from the catalogue.
pub fn indicator(id: IndicatorId) -> Option<&'static Indicator> {
    catalogue().map(|(_, i)| i).find(|i| i.id == id)
}

/// The Chinese name of a section.
pub fn section_name(key: &str) -> &'static str {
    TRACKS
        .iter()
        .find(|t| t.key == key)
        .map(|t| t.title)
        .unwrap_or("其他")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn no_id_is_declared_twice() {
        let mut seen = BTreeSet::new();
        for (_, i) in catalogue() {
            assert!(seen.insert(i.id), "{} is in the catalogue twice", i.id);
        }
        assert_eq!(seen.len(), 40);
    }

    #[test]
    fn each_id_is_named_after_its_track() {
        for (t, i) in catalogue() {
            let (track, name) = i.id.0.split_once('.').unwrap_or(("", ""));
            assert_eq!(track, t.key, "{} is declared by {}", i.id, t.key);
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{} is not track.name",
                i.id
            );
        }
    }

    #[test]
    fn each_track_has_its_key_once() {
        let keys: BTreeSet<_> = TRACKS.iter().map(|t| t.key).collect();
        assert_eq!(keys.len(), TRACKS.len());
        assert_eq!(section_name("supplies"), "物资保障");
        assert_eq!(section_name("elsewhere"), "其他");
    }
}
