//! Static files, embedded in the binary: no CDN, works on an intranet with no internet.
//!
//! Every file answers under two names: its own (`/assets/app.css`, kept for pages and
//! bookmarks of older builds, cached an hour) and a content-hashed one
//! (`/assets/app.3f9c0a1b2d.css`, the first ten hex digits of the SHA-256 of the embedded
//! bytes, cached a year as immutable). Pages link the hashed names through [`url`], so a new
//! build's files are fetched at once and an unchanged file is never fetched again.

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// Caching of a hashed name: its content never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Caching of a plain name: its content changes with the build.
pub const PLAIN: &str = "public, max-age=3600";

struct Names {
    /// Plain name → hashed name.
    hashed: HashMap<String, String>,
    /// Hashed name → plain name.
    plain: HashMap<String, String>,
    /// A digest of every file, naming this build's set of assets.
    version: String,
}

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut hashed = HashMap::new();
        let mut plain = HashMap::new();
        let mut all: Vec<String> = Assets::iter().map(|p| p.into_owned()).collect();
        all.sort();
        let mut digest = String::new();
        for name in all {
            let Some(file) = Assets::get(&name) else {
                continue;
            };
            let hex: String = file
                .metadata
                .sha256_hash()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let short = &hex[..10];
            digest.push_str(short);
            let with_hash = with_hash(&name, short);
            plain.insert(with_hash.clone(), name.clone());
            hashed.insert(name, with_hash);
        }
        let version = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            digest.hash(&mut h);
            format!("{:016x}", h.finish())
        };
        Names {
            hashed,
            plain,
            version,
        }
    })
}

/// `dir/name.ext` → `dir/name.<hash>.ext` (a name with no extension gets the hash at its end).
fn with_hash(name: &str, hash: &str) -> String {
    let (dir, file) = match name.rfind('/') {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => ("", name),
    };
    match file.rfind('.') {
        Some(i) if i > 0 => format!("{dir}{}.{hash}{}", &file[..i], &file[i..]),
        _ => format!("{dir}{file}.{hash}"),
    }
}

/// The URL a page links for the asset `name` (as under `assets/`): its content-hashed name,
/// or the plain one if there is no such file.
pub fn url(name: &str) -> String {
    match names().hashed.get(name) {
        Some(h) => format!("/assets/{h}"),
        None => format!("/assets/{name}"),
    }
}

/// The URL of the style sheet `<name>.css` (see [`url`]).
pub fn style(name: &str) -> String {
    url(&format!("{name}.css"))
}

/// A name for this build's set of assets (changes when any file does).
pub fn version() -> &'static str {
    &names().version
}

/// The bytes of an embedded file, by its plain name.
pub fn bytes(name: &str) -> Option<Vec<u8>> {
    Assets::get(name).map(|f| f.data.into_owned())
}

pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let (name, caching) = match Assets::get(&path) {
        Some(_) => (path.as_str(), PLAIN),
        None => match names().plain.get(&path) {
            Some(p) => (p.as_str(), IMMUTABLE),
            None => return (StatusCode::NOT_FOUND, "文件不存在").into_response(),
        },
    };
    let Some(file) = Assets::get(name) else {
        return (StatusCode::NOT_FOUND, "文件不存在").into_response();
    };
    let etag = format!(
        "\"{}\"",
        &names().hashed.get(name).map_or("", |h| h.as_str())
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (header::CACHE_CONTROL, caching.to_string()),
            ],
        )
            .into_response();
    }
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    (
        [
            (header::CONTENT_TYPE, mime.as_ref().to_string()),
            (header::CACHE_CONTROL, caching.to_string()),
            (header::ETAG, etag),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_goes_before_the_extension() {
        assert_eq!(with_hash("app.css", "abc"), "app.abc.css");
        assert_eq!(
            with_hash("vendor/htmx.min.js", "abc"),
            "vendor/htmx.min.abc.js"
        );
        assert_eq!(with_hash("LICENSE", "abc"), "LICENSE.abc");
    }

    #[test]
    fn every_file_has_a_hashed_url_that_maps_back() {
        let u = url("app.css");
        assert!(u.starts_with("/assets/app.") && u.ends_with(".css") && u != "/assets/app.css");
        let hashed = u.trim_start_matches("/assets/");
        assert_eq!(
            names().plain.get(hashed).map(String::as_str),
            Some("app.css")
        );
    }
}
