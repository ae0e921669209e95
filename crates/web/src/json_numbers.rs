//! JSON numbers as the OpenAPI document reads them. The document declares whole numbers as
//! `integer`, which JSON Schema takes to include `2.0`; serde does not. A request body's
//! whole-valued numbers are therefore made integers before it is read into its type, so that
//! `"hours": 2.0` is taken as `2`, and `2.5` is still refused as not whole.

use serde_json::{Number, Value};

/// The largest magnitude below which every whole `f64` converts to `i64` exactly.
const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

/// Rewrites, in place, every number of `v` that has a zero fractional part (and fits an
/// integer exactly) as an integer.
pub fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.is_finite() && f.fract() == 0.0 && f.abs() <= LIMIT {
                    *n = Number::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers_and_fractions_stay() {
        let mut v = json!({"hours": 2.0, "list": [1.0, -3.0, 0.5], "deep": {"n": 1e3, "x": "2.0"},
            "big": 1e300, "neg_zero": -0.0});
        whole_numbers_as_integers(&mut v);
        assert_eq!(
            v,
            json!({"hours": 2, "list": [1, -3, 0.5], "deep": {"n": 1000, "x": "2.0"},
                "big": 1e300, "neg_zero": 0})
        );
        assert!(v["hours"].is_i64());
    }
}
