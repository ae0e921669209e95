//! Checks on typed input shared by the use cases: each refusal names the field and says,
//! in Chinese, what was wrong.

use crate::clock::whole_seconds;
use crate::{ServiceError, ServiceResult};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, TimeZone, Utc};
use dualtrack_domain::jurisdiction::Code;
use dualtrack_domain::time::cst;

/// Trimmed text of an optional field, `None` when absent or blank.
pub(crate) fn trimmed(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Owned trimmed text of an optional field, `None` when absent or blank.
pub(crate) fn non_empty(raw: &Option<String>) -> Option<String> {
    trimmed(raw).map(str::to_string)
}

/// Trimmed text that must be given, of at most `max` characters (no other check).
pub(crate) fn required(
    field: &'static str,
    label: &str,
    raw: &str,
    max: usize,
) -> ServiceResult<String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("请填写{label}")));
    }
    if v.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("{label}不能超过 {max} 个字"),
        ));
    }
    Ok(v.to_string())
}

/// Optional text checked as [`text`] when given; blank is `None`.
pub(crate) fn opt_text(
    field: &'static str,
    label: &str,
    raw: &Option<String>,
    max: usize,
) -> ServiceResult<Option<String>> {
    match trimmed(raw) {
        None => Ok(None),
        Some(v) => text(field, label, v, max).map(Some),
    }
}

/// An optional note (说明) of at most `max` characters; blank is `None`.
pub(crate) fn opt_note(
    field: &'static str,
    raw: &Option<String>,
    max: usize,
) -> ServiceResult<Option<String>> {
    match trimmed(raw) {
        Some(s) if s.chars().count() > max => {
            Err(ServiceError::invalid(field, format!("说明不超过 {max} 字")))
        }
        Some(s) => Ok(Some(s.to_string())),
        None => Ok(None),
    }
}

/// A date typed as `年-月-日`.
pub(crate) fn parse_date(field: &'static str, raw: &str) -> ServiceResult<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        ServiceError::invalid(
            field,
            format!("日期格式应为 年-月-日，如 2020-02-28，收到“{raw}”"),
        )
    })
}

/// An optional date typed as `年-月-日`; blank is `None`.
pub(crate) fn parse_opt_date(
    field: &'static str,
    raw: &Option<String>,
) -> ServiceResult<Option<NaiveDate>> {
    trimmed(raw).map(|r| parse_date(field, r)).transpose()
}

/// A time given as RFC 3339 or as China Standard Time `年-月-日 时:分`.
pub(crate) fn parse_time(field: &'static str, raw: &str) -> ServiceResult<DateTime<Utc>> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(whole_seconds(t.with_timezone(&Utc)));
    }
    for f in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            if let Some(t) = cst().from_local_datetime(&n).single() {
                return Ok(t.with_timezone(&Utc));
            }
        }
    }
    Err(ServiceError::invalid(
        field,
        format!("时间格式应为 年-月-日 时:分，如 2020-02-28 08:30，收到“{s}”"),
    ))
}

/// A division code typed by the user.
pub(crate) fn parse_code(field: &'static str, raw: &str) -> ServiceResult<Code> {
    Code::parse(raw).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

/// A division code read back from the database (a bad one is an internal error).
pub(crate) fn stored_code(raw: &str) -> ServiceResult<Code> {
    Code::parse(raw).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Trimmed text of at most `max` characters; `required` refuses it empty.
pub(crate) fn text_of(
    field: &'static str,
    label: &str,
    raw: &str,
    max: usize,
    required: bool,
) -> ServiceResult<String> {
    let v = raw.trim();
    if required && v.is_empty() {
        return Err(ServiceError::invalid(field, format!("请填写{label}")));
    }
    if let Some(c) = v
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(ServiceError::invalid(
            field,
            format!(
                "{label}含有不可见的控制字符（U+{:04X}），请删除后重试",
                c as u32
            ),
        ));
    }
    if v.chars().count() > max {
        return Err(ServiceError::invalid(
            field,
            format!("{label}不能超过 {max} 个字"),
        ));
    }
    Ok(v.to_string())
}

/// Trimmed text that may be left out (then empty), of at most `max` characters.
pub(crate) fn optional_text(
    field: &'static str,
    label: &str,
    raw: &Option<String>,
    max: usize,
) -> ServiceResult<String> {
    text_of(field, label, raw.as_deref().unwrap_or(""), max, false)
}

/// Trimmed text that must be given, of at most `max` characters.
pub(crate) fn text(
    field: &'static str,
    label: &str,
    raw: &str,
    max: usize,
) -> ServiceResult<String> {
    text_of(field, label, raw, max, true)
}

/// How many hours back a phone's time may date a record unless configured otherwise: three
/// days, the longest a field post is expected to go without signal.
pub const DEFAULT_PHONE_TIME_MAX_HOURS: u32 = 72;

/// How far ahead of the server's clock a phone's time may run (clocks of phones drift).
pub const PHONE_CLOCK_SKEW_MINUTES: i64 = 10;

/// The time a record was made on a phone (RFC 3339), as the event time of what it records:
/// none when not given; refused, naming `field`, when it is not a time, is ahead of the
/// server's clock by more than the skew, or is more than `max_hours` old.
pub(crate) fn phone_time(
    field: &'static str,
    label: &str,
    raw: Option<&str>,
    now: DateTime<Utc>,
    max_hours: u32,
) -> ServiceResult<Option<DateTime<Utc>>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let at = DateTime::parse_from_rfc3339(raw)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            ServiceError::invalid(
                field,
                format!("{label}格式应如 2020-02-10T08:30:00+08:00，收到“{raw}”"),
            )
        })?;
    // Kept to the microsecond, as both engines store it.
    let at = at.trunc_subsecs(6);
    if at > now + chrono::Duration::minutes(PHONE_CLOCK_SKEW_MINUTES) {
        return Err(ServiceError::invalid(
            field,
            format!("{label}不能晚于现在：请核对手机的日期和时间"),
        ));
    }
    if at < now - chrono::Duration::hours(i64::from(max_hours)) {
        return Err(ServiceError::invalid(
            field,
            format!("{label}早于 {max_hours} 小时前，超出离线补报时限：请核对手机的日期和时间，或按实际时间重新登记"),
        ));
    }
    Ok(Some(at))
}

impl crate::App {
    /// The phone's time of making a record (see [`phone_time`]), bounded by this server's
    /// clock and its configured limit.
    pub(crate) fn phone_time(
        &self,
        field: &'static str,
        label: &str,
        raw: &Option<String>,
    ) -> ServiceResult<Option<DateTime<Utc>>> {
        phone_time(
            field,
            label,
            raw.as_deref(),
            self.now(),
            self.phone_time_max_hours,
        )
    }
}

/// A client's idempotency key: trimmed, empty as none, at most 100 characters.
pub(crate) fn idempotency_key(raw: &Option<String>) -> ServiceResult<Option<String>> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(k) if k.chars().count() > 100 => Err(ServiceError::invalid(
            "idempotency_key",
            "幂等键不超过 100 个字符",
        )),
        k => Ok(k.map(str::to_string)),
    }
}
