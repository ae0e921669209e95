//! Checks on typed input shared by the use cases: each refusal names the field and says,
//! in Chinese, what was wrong.

use crate::{ServiceError, ServiceResult};

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

/// Trimmed text that must be given, of at most `max` characters.
pub(crate) fn text(
    field: &'static str,
    label: &str,
    raw: &str,
    max: usize,
) -> ServiceResult<String> {
    text_of(field, label, raw, max, true)
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
