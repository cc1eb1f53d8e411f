//! `GET …/Workers` and `GET …/Activities`: the current tables, paged by offset tokens.

use super::query::{PageLinks, Params, meta};
use super::render;
use super::server::{Resource, ResourceBody, ResourceError};
use super::state::SimAcdShared;
use axum::http::Uri;
use base64::prelude::{BASE64_URL_SAFE_NO_PAD, Engine as _};

fn offset_token(index: usize) -> String {
    format!("PT{}", BASE64_URL_SAFE_NO_PAD.encode(format!("i:{index}")))
}

fn parse_offset_token(params: &Params) -> Result<usize, ResourceError> {
    let Some(token) = params.get("PageToken") else {
        return Ok(0);
    };
    token
        .strip_prefix("PT")
        .and_then(|t| BASE64_URL_SAFE_NO_PAD.decode(t).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|text| text.strip_prefix("i:")?.parse().ok())
        .ok_or_else(|| ResourceError::BadRequest(format!("Invalid PageToken {token:?}")))
}

/// One page of a table list: the rows from `start` that `keep` accepts, the start of the next
/// page and of the previous one.
fn offset_page(
    len: usize,
    start: usize,
    size: usize,
    keep: impl Fn(usize) -> bool,
) -> (Vec<usize>, Option<usize>, Option<usize>) {
    let mut rows: Vec<usize> = (start..len).filter(|i| keep(*i)).take(size + 1).collect();
    let next = (rows.len() > size).then(|| rows[size]);
    rows.truncate(size);
    let previous = (start > 0).then(|| {
        let before: Vec<usize> = (0..start.min(len))
            .rev()
            .filter(|i| keep(*i))
            .take(size)
            .collect();
        before.last().copied().unwrap_or(0)
    });
    (rows, next, previous)
}

fn list_filters(params: &Params, names: &[&'static str]) -> Vec<(&'static str, String)> {
    names
        .iter()
        .filter_map(|name| params.get(name).map(|v| (*name, v.to_owned())))
        .collect()
}

pub(crate) fn workers(shared: &SimAcdShared, params: &Params, uri: &Uri) -> Resource {
    let page_size = params.page_size()?;
    let start = parse_offset_token(params)?;
    let fixed = list_filters(
        params,
        &["ActivityName", "ActivitySid", "Available", "FriendlyName"],
    );
    shared.catch_up();
    let state = shared.read();
    let world = &state.world;
    let keep = |i: usize| {
        let Some(w) = world.workers.get(i) else {
            return false;
        };
        let activity = world.activities.get(usize::from(w.activity));
        !w.deleted
            && fixed.iter().all(|(name, value)| match *name {
                "ActivityName" => activity.is_some_and(|a| &*a.name == value),
                "ActivitySid" => activity.is_some_and(|a| &*a.sid == value),
                "Available" => activity.is_some_and(|a| a.available.to_string() == *value),
                "FriendlyName" => &*w.name == value,
                _ => true,
            })
    };
    let (rows, next, previous) = offset_page(world.workers.len(), start, page_size, keep);
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|i| render::worker_value(world, &shared.base_url, *i as u32, false))
        .collect();
    drop(state);
    let links = table_links(params, page_size, next, previous);
    table_body(shared, uri, "workers", &fixed, &list, links)
}

pub(crate) fn activities(shared: &SimAcdShared, params: &Params, uri: &Uri) -> Resource {
    let page_size = params.page_size()?;
    let start = parse_offset_token(params)?;
    let fixed = list_filters(params, &["FriendlyName", "Available"]);
    let state = shared.read();
    let world = &state.world;
    let keep = |i: usize| {
        world.activities.get(i).is_some_and(|a| {
            fixed.iter().all(|(name, value)| match *name {
                "FriendlyName" => &*a.name == value,
                "Available" => a.available.to_string() == *value,
                _ => true,
            })
        })
    };
    let (rows, next, previous) = offset_page(world.activities.len(), start, page_size, keep);
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|i| render::activity_value(world, &shared.base_url, *i))
        .collect();
    drop(state);
    let links = table_links(params, page_size, next, previous);
    table_body(shared, uri, "activities", &fixed, &list, links)
}

fn table_links(
    params: &Params,
    page_size: usize,
    next: Option<usize>,
    previous: Option<usize>,
) -> PageLinks {
    PageLinks {
        page: params.page_number(),
        page_size,
        next_token: next.map(offset_token),
        previous_token: previous.map(offset_token),
    }
}

fn table_body(
    shared: &SimAcdShared,
    uri: &Uri,
    key: &'static str,
    fixed: &[(&'static str, String)],
    list: &[serde_json::Value],
    links: PageLinks,
) -> Resource {
    let items = serde_json::to_vec(list).unwrap_or_else(|_| b"[]".to_vec());
    // `to_vec` wrote `[…]`; list_body adds the brackets itself.
    let inner = items
        .get(1..items.len().saturating_sub(1))
        .unwrap_or_default();
    let meta = meta(shared, uri, key, fixed, links);
    Ok(ResourceBody {
        json: render::list_body(key, inner, &meta),
        list_key: key,
        events_served: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_pages_walk_both_ways() {
        let even = |i: usize| i.is_multiple_of(2);
        let (rows, next, previous) = offset_page(20, 0, 3, even);
        assert_eq!((rows, next, previous), (vec![0, 2, 4], Some(6), None));
        let (rows, next, previous) = offset_page(20, 6, 3, even);
        assert_eq!((rows, next, previous), (vec![6, 8, 10], Some(12), Some(0)));
        let (rows, next, _) = offset_page(20, 18, 3, even);
        assert_eq!((rows, next), (vec![18], None));
    }
}
