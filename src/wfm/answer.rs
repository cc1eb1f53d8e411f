//! What a WFM answer means, as a pure function of its status, body and the number of items the
//! request carried (SPEC §6). Only a real acceptance is a delivery:
//!
//! | answer | meaning |
//! |---|---|
//! | 200/202 `ACCEPTED` | [`Delivery::Accepted`] |
//! | 200/202 `PARTIAL` whose every error names an item of the request (`0 ≤ index < items`) | [`Delivery::Partial`] |
//! | 200/202 `REJECTED` | [`Delivery::Rejected`]: WFM says so in words; retrying the same bytes would get the same answer |
//! | 200/202 with an empty body, `{}`, a body that is not the contract's JSON, no or an unknown `status`; `PARTIAL` with no error, an error without an index, or an index outside the request | [`NotADelivery`]: a failed attempt, retried |
//!
//! The other statuses (409, 4xx, 5xx…) are mapped in [`super::client`].

use super::Delivery;
use super::dto::WfmResponse;
use std::collections::BTreeMap;

/// How much of an answer's body an error or a log line quotes.
pub const EXCERPT_BYTES: usize = 200;

/// Why a `200`/`202` is not a delivery, in words for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotADelivery(pub String);

/// Judges the body of a `200`/`202` answer to a request of `items` items.
pub fn judge_success(status: u16, text: &str, items: usize) -> Result<Delivery, NotADelivery> {
    let bad = |why: String| Err(NotADelivery(why));
    if text.trim().is_empty() {
        return bad("an empty body".into());
    }
    let body: WfmResponse = match serde_json::from_str(text) {
        Ok(b) => b,
        Err(e) => return bad(format!("a body that is not the contract's JSON ({e})")),
    };
    match body.status.as_deref() {
        Some("ACCEPTED") => Ok(Delivery::Accepted),
        Some("REJECTED") => Ok(Delivery::Rejected(describe_errors(status, &body))),
        Some("PARTIAL") => partial(&body, items),
        Some(other) => bad(format!("the unknown status {other:?}")),
        None => bad("no status".into()),
    }
}

/// A PARTIAL is a delivery only when it names, by index, items the request carried.
fn partial(body: &WfmResponse, items: usize) -> Result<Delivery, NotADelivery> {
    let errors = body.errors.as_deref().unwrap_or_default();
    if errors.is_empty() {
        return Err(NotADelivery("PARTIAL naming no item".into()));
    }
    // One entry per item, its errors joined: WFM may name an item twice (two bad fields).
    let mut by_item: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for e in errors {
        match e.index {
            None => {
                return Err(NotADelivery(format!(
                    "PARTIAL with an error that names no item ({})",
                    e.describe()
                )));
            }
            Some(i) if i >= items => {
                return Err(NotADelivery(format!(
                    "PARTIAL naming item {i}, outside the request's {items} item(s)"
                )));
            }
            Some(i) => by_item.entry(i).or_default().push(e.describe()),
        }
    }
    Ok(Delivery::Partial(
        by_item
            .into_iter()
            .map(|(i, errs)| (i, errs.join("; ")))
            .collect(),
    ))
}

/// `HTTP <status>: <each error>` for a dead letter.
pub fn describe_errors(status: u16, body: &WfmResponse) -> String {
    let items: Vec<String> = body.errors.iter().flatten().map(|e| e.describe()).collect();
    if items.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {}", items.join("; "))
    }
}

/// The start of an answer's body for a log line: `secrets` (the bearer token, the access key
/// secret) replaced before cutting, so no part of one survives; control characters escaped; at
/// most [`EXCERPT_BYTES`], with the full size when cut.
pub fn excerpt(text: &str, secrets: &[&str]) -> String {
    let mut clean = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        clean = clean.replace(s, "[redacted]");
    }
    let mut cut = clean.len().min(EXCERPT_BYTES);
    while !clean.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out: String = clean[..cut]
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if cut < clean.len() {
        out.push_str(&format!("… ({} bytes)", text.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(text: &str, items: usize) -> Result<Delivery, NotADelivery> {
        judge_success(200, text, items)
    }

    #[test]
    fn only_a_real_acceptance_is_a_delivery() {
        assert_eq!(judge(r#"{"status":"ACCEPTED"}"#, 3), Ok(Delivery::Accepted));
        assert_eq!(
            judge(r#"{"status":"ACCEPTED","errors":null}"#, 3),
            Ok(Delivery::Accepted)
        );
        for bad in [
            "",
            "  \n",
            "{}",
            "[]",
            "null",
            "<html>busy</html>",
            r#"{"status":"QUEUED"}"#,
            r#"{"status":"accepted"}"#,
            r#"{"status":"PARTIAL"}"#,
            r#"{"status":"PARTIAL","errors":[]}"#,
            r#"{"status":"PARTIAL","errors":[{"code":"X"}]}"#,
            r#"{"status":"PARTIAL","errors":[{"index":3}]}"#,
            r#"{"status":"PARTIAL","errors":[{"index":-1}]}"#,
        ] {
            assert!(judge(bad, 3).is_err(), "{bad:?} counted as delivered");
        }
    }

    #[test]
    fn partial_names_items_inside_the_request_once_each() {
        let text = r#"{"status":"PARTIAL","errors":[
            {"index":2,"code":"A","field":"x"},{"index":0,"code":"B"},{"index":2,"code":"C"}]}"#;
        assert_eq!(
            judge(text, 3),
            Ok(Delivery::Partial(vec![
                (0, "\"B\"".into()),
                (2, "\"A\" [x]; \"C\"".into())
            ]))
        );
    }

    #[test]
    fn a_200_rejected_is_a_refusal_in_words() {
        let text = r#"{"status":"REJECTED","errors":[{"code":"BAD","message":"no"}]}"#;
        assert_eq!(
            judge(text, 1),
            Ok(Delivery::Rejected("HTTP 200: \"BAD\" no".into()))
        );
    }

    #[test]
    fn excerpt_is_short_single_line_and_never_holds_a_secret() {
        let token = "tok-1234567890";
        let long = format!("{}{token}{}", "a".repeat(195), "b".repeat(500));
        let e = excerpt(&long, &[token]);
        assert!(!e.contains("tok-"), "{e}");
        assert!(e.ends_with(&format!("… ({} bytes)", long.len())), "{e}");
        assert_eq!(excerpt("line\nbreak", &[]), "line\\nbreak");
        // Cut on a character boundary.
        let wide = "é".repeat(150);
        assert!(excerpt(&wide, &[]).starts_with(&"é".repeat(100)));
    }
}
