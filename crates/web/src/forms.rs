//! What the pages' forms share: the sorting of a refusal into one the form can show and one
//! that becomes an error page, the labelling of bad input with the field's name, and the
//! reading of typed-in fields, page numbers and query strings.

use crate::error::{status_of, PageError};
use crate::shell::render;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dualtrack_service::ServiceError;
use std::future::Future;

/// Sorts a refusal: one the user can put right on the form (bad input, a clash, wrong
/// credentials) gives the status and message to show with the form again; any other
/// becomes an error page.
pub fn correctable(e: ServiceError) -> Result<(StatusCode, String), PageError> {
    match e {
        ServiceError::Invalid { .. }
        | ServiceError::Conflict { .. }
        | ServiceError::Unconfirmed { .. }
        | ServiceError::IdempotencyMismatch(_)
        | ServiceError::Unauthenticated(_)
        | ServiceError::Locked(_) => Ok((status_of(&e), e.to_string())),
        other => Err(other.into()),
    }
}

/// A page's view as asked; when the asking is refused as invalid (a date not yet come, say),
/// the view `fallback` gives, with the refusal to show and its status.
pub async fn asked_or_fallback<V, Fut>(
    asked: Result<V, ServiceError>,
    fallback: impl FnOnce() -> Fut,
) -> Result<(V, Option<String>, StatusCode), PageError>
where
    Fut: Future<Output = Result<V, ServiceError>>,
{
    match asked {
        Ok(v) => Ok((v, None, StatusCode::OK)),
        Err(e @ ServiceError::Invalid { .. }) => {
            let status = status_of(&e);
            Ok((fallback().await?, Some(e.to_string()), status))
        }
        Err(e) => Err(e.into()),
    }
}

/// Like [`correctable`], and "not found" too: on these forms it is a place or a person typed
/// in that lies outside the user's jurisdiction, which the form can say and keep the input.
/// (The record the form belongs to is fetched again to show the form, and is refused there
/// if it is the one out of reach.)
pub fn refused_on_form(e: ServiceError) -> Result<(StatusCode, String), PageError> {
    match e {
        ServiceError::NotFound(m) => Ok((StatusCode::NOT_FOUND, m)),
        other => correctable(other),
    }
}

/// The answer to a form's write: on success a redirect to where `to` says; on a refusal that
/// `sort` lets the form show, the page again as `again` builds it with the message.
pub async fn redirect_or_again<T, P, Fut>(
    written: Result<T, ServiceError>,
    to: impl FnOnce(T) -> String,
    sort: impl FnOnce(ServiceError) -> Result<(StatusCode, String), PageError>,
    again: impl FnOnce(String) -> Fut,
) -> Result<Response, PageError>
where
    Fut: Future<Output = Result<P, PageError>>,
    P: Template,
{
    match written {
        Ok(v) => Ok(Redirect::to(&to(v)).into_response()),
        Err(e) => refused_page(e, sort, again).await,
    }
}

/// A refusal shown on the form's page: `sort` gives the status and message of one the form
/// can show (any other is an error page), `again` builds the page with the message.
pub async fn refused_page<P, Fut>(
    e: ServiceError,
    sort: impl FnOnce(ServiceError) -> Result<(StatusCode, String), PageError>,
    again: impl FnOnce(String) -> Fut,
) -> Result<Response, PageError>
where
    Fut: Future<Output = Result<P, PageError>>,
    P: Template,
{
    let (status, message) = sort(e)?;
    let page = again(message).await?;
    Ok((status, render(&page)).into_response())
}

/// Refusals on the newer mobilisation forms name the field they are about: the service says
/// what is wrong (“日期格式应为 年-月-日…”), the form puts the field's label in front.
///
/// Puts the label of the field in front of the message of bad input, unless the message
/// names it already.
pub fn labelled(e: ServiceError, labels: &[(&str, &str)]) -> ServiceError {
    match e {
        ServiceError::Invalid { field, message } => {
            let label = labels.iter().find(|(f, _)| *f == field).map(|(_, l)| *l);
            let message = match label {
                Some(l) if !message.contains(l) => format!("{l}：{message}"),
                _ => message,
            };
            ServiceError::Invalid { field, message }
        }
        other => other,
    }
}

pub fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The value of a field of a form read as pairs, empty when absent.
pub fn get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// A field of a form read as pairs, trimmed, when it is not empty.
pub fn get_opt(pairs: &[(String, String)], key: &str) -> Option<String> {
    non_empty(&Some(get(pairs, key).to_string()))
}

/// Every value of a field of a form read as pairs (a field ticked or chosen more than once).
pub fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The page number of a list (`page=`), 1 when absent.
/// The highest page number a list page takes (its links add one to it).
pub const MAX_PAGE: i64 = 1_000_000_000;

pub fn page_number(raw: &Option<String>) -> Result<i64, ServiceError> {
    match non_empty(raw) {
        None => Ok(1),
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                ServiceError::invalid(
                    "page",
                    format!("页码“{p}”无效：应为 1 至 {MAX_PAGE} 的整数"),
                )
            }),
    }
}

/// A record number typed into a form field.
pub fn number_field(field: &'static str, label: &str, raw: &str) -> Result<i64, ServiceError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(ServiceError::invalid(field, format!("请填写{label}")));
    }
    v.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ServiceError::invalid(field, format!("{label}“{v}”无效：应为正整数")))
}

/// An optional record number typed into a form field.
pub fn opt_number_field(
    field: &'static str,
    label: &str,
    raw: &str,
) -> Result<Option<i64>, ServiceError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        number_field(field, label, raw).map(Some)
    }
}

/// A query string of the non-empty pairs.
pub fn query_of(pairs: &[(&str, Option<String>)]) -> String {
    let kept: Vec<(&str, String)> = pairs
        .iter()
        .filter_map(|(k, v)| non_empty(v).map(|v| (*k, v)))
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// The links of a list to the pages before and after the one shown.
pub struct Pager {
    pub page: i64,
    pub has_next: bool,
    pub prev_query: String,
    pub next_query: String,
}

impl Pager {
    /// Page `page` of a list; `query` gives the query string of any page.
    pub fn new(page: i64, has_next: bool, query: impl Fn(i64) -> String) -> Pager {
        Pager {
            page,
            has_next,
            prev_query: query(page - 1),
            next_query: query(page + 1),
        }
    }

    /// Page `page` of a list filtered by the non-empty `filters`, the page number last.
    pub fn of(page: i64, has_next: bool, filters: &[(&str, Option<String>)]) -> Pager {
        Pager::new(page, has_next, |p| {
            let mut pairs = filters.to_vec();
            pairs.push(("page", Some(p.to_string())));
            query_of(&pairs)
        })
    }
}

/// The notice for the `done` key a page is sent back with: the text listed for it, none for
/// another key.
pub fn said(done: Option<&str>, texts: &[(&str, &str)]) -> Option<String> {
    let k = done?;
    texts
        .iter()
        .find(|(key, _)| *key == k)
        .map(|(_, text)| text.to_string())
}

/// The `?done=` a page is sent back with after a write, shown on it as a notice.
#[derive(serde::Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

impl Done {
    /// The notice for what was done: the text listed for its key, none for another key.
    pub fn said(&self, texts: &[(&str, &str)]) -> Option<String> {
        said(self.done.as_deref(), texts)
    }

    /// The notice for what was done: the text listed for its key, or `otherwise`.
    pub fn notice(&self, said: &[(&str, &str)], otherwise: &str) -> Option<String> {
        self.done.as_ref()?;
        Some(self.said(said).unwrap_or_else(|| otherwise.to_string()))
    }
}
