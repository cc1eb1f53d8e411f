//! Query parameters and list paging URLs, as TaskRouter's list endpoints use them.

use super::render::Meta;
use super::server::ResourceError;
use super::state::SimAcdShared;
use crate::model::Millis;
use axum::http::Uri;

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;
/// TaskRouter's default Events window when neither StartDate nor Minutes is given.
pub(crate) const DEFAULT_MINUTES: i64 = 15;

/// The query string, in order, decoded.
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn page_size(&self) -> Result<usize, ResourceError> {
        match self.get("PageSize") {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(text) => match text.parse::<usize>() {
                Ok(0) | Err(_) => Err(ResourceError::BadRequest(format!(
                    "Invalid PageSize {text:?}"
                ))),
                Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
            },
        }
    }

    pub fn page_number(&self) -> u64 {
        self.get("Page").and_then(|p| p.parse().ok()).unwrap_or(0)
    }
}

/// ISO 8601 as clients send it: `2026-11-20T10:15:00Z`, with fractional seconds or an offset,
/// without a zone (UTC), or a bare date (midnight UTC).
pub(crate) fn parse_date(text: &str) -> Option<Millis> {
    // An unencoded `+` in a query string arrives as a space.
    let text = text.trim().replace(' ', "+");
    if let Some(ms) = crate::clock::parse_rfc3339_ms(&text) {
        return Some(ms);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `{base}{path}?k=v&…` with the values percent-encoded.
pub(crate) fn url_with(base: &str, path: &str, params: &[(&str, String)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
        .collect();
    format!("{base}{path}?{}", query.join("&"))
}

/// Where a page sits in its list: its number (client state), size and neighbours' tokens.
pub(crate) struct PageLinks {
    pub page: u64,
    pub page_size: usize,
    pub next_token: Option<String>,
    pub previous_token: Option<String>,
}

/// The list URLs of a page: this one, the first, the next and the previous. `fixed` are the
/// query parameters every page repeats (window, filters).
pub(crate) fn meta<'a>(
    shared: &SimAcdShared,
    uri: &Uri,
    key: &'a str,
    fixed: &[(&str, String)],
    links: PageLinks,
) -> Meta<'a> {
    let PageLinks {
        page,
        page_size,
        next_token,
        previous_token,
    } = links;
    let path = uri.path();
    let with = |page_no: u64, token: Option<String>| {
        let mut params = fixed.to_vec();
        params.push(("PageSize", page_size.to_string()));
        params.push(("Page", page_no.to_string()));
        if let Some(token) = token {
            params.push(("PageToken", token));
        }
        url_with(&shared.base_url, path, &params)
    };
    let own = uri
        .path_and_query()
        .map_or_else(|| path.to_owned(), |p| p.as_str().to_owned());
    Meta {
        first_page_url: with(0, None),
        key,
        next_page_url: next_token.map(|t| {
            shared
                .faults()
                .faults
                .next_page_url_override
                .clone()
                .unwrap_or_else(|| with(page + 1, Some(t)))
        }),
        page,
        page_size,
        previous_page_url: previous_token.map(|t| with(page.saturating_sub(1), Some(t))),
        url: format!("{}{own}", shared.base_url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_forms_clients_send() {
        let whole = parse_date("2026-11-20T10:15:00Z");
        assert_eq!(
            whole,
            crate::clock::parse_rfc3339_ms("2026-11-20T10:15:00Z")
        );
        assert_eq!(
            parse_date("2026-11-20T10:15:00.250Z"),
            whole.map(|t| t + 250)
        );
        assert_eq!(parse_date("2026-11-20T11:15:00 01:00"), whole);
        assert_eq!(parse_date("2026-11-20T10:15:00"), whole);
        assert_eq!(
            parse_date("2026-11-20"),
            whole.map(|t| t - (10 * 60 + 15) * 60_000)
        );
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query_value("2026-11-20T10:15:00.000Z"),
            "2026-11-20T10%3A15%3A00.000Z"
        );
    }
}
