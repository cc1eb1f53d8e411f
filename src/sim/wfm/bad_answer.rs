//! Answers that look like success but are not a delivery (SPEC §6): a `200` whose body is empty,
//! `{}`, not JSON, an unknown status, or a `PARTIAL` naming an item the call did not carry. A
//! proxy's maintenance page, a gateway that swallows the body, a WFM on a newer contract — the
//! connector must treat each as a failed attempt and send again. The simulator records nothing
//! for such a call and leaves its Idempotency-Key unused, so only a later, real acceptance stores
//! the items.

use super::answer::WfmAnswer;
use super::server::injected_error;
use axum::http::StatusCode;
use serde_json::json;

/// Which kind of not-a-delivery answer to give (also `sim wfm --bad-answer <kind>`; the doc
/// comments are the `--help` text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BadAnswer {
    /// No body at all.
    EmptyBody,
    /// `{}`.
    EmptyObject,
    /// An HTML page (text/html), as a proxy in front of WFM would send.
    NotJson,
    /// `{"status":"QUEUED"}`, a status the contract does not have.
    UnknownStatus,
    /// PARTIAL naming the item index just past the call's last item.
    PartialOutOfRange,
}

impl BadAnswer {
    /// Every kind, in the order `--help` lists them.
    pub const ALL: [BadAnswer; 5] = [
        BadAnswer::EmptyBody,
        BadAnswer::EmptyObject,
        BadAnswer::NotJson,
        BadAnswer::UnknownStatus,
        BadAnswer::PartialOutOfRange,
    ];

    /// The name used on the command line (clap's kebab-case of the variant) and in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            BadAnswer::EmptyBody => "empty-body",
            BadAnswer::EmptyObject => "empty-object",
            BadAnswer::NotJson => "not-json",
            BadAnswer::UnknownStatus => "unknown-status",
            BadAnswer::PartialOutOfRange => "partial-out-of-range",
        }
    }

    /// The answer to a call that carried `items` items (agent states, report rows; 1 for a
    /// heartbeat). Nothing is recorded.
    pub fn answer(self, items: usize, about: &str) -> WfmAnswer {
        let summary = format!("(injected {}) {about}", self.as_str());
        let ok = StatusCode::OK;
        match self {
            BadAnswer::EmptyBody => WfmAnswer::raw(ok, "", "application/json", summary),
            BadAnswer::EmptyObject => WfmAnswer::new(ok, json!({}), summary),
            BadAnswer::NotJson => WfmAnswer::raw(
                ok,
                "<html><body><h1>Service temporarily unavailable</h1></body></html>",
                "text/html",
                summary,
            ),
            BadAnswer::UnknownStatus => {
                WfmAnswer::new(ok, json!({ "status": "QUEUED", "errors": [] }), summary)
            }
            BadAnswer::PartialOutOfRange => WfmAnswer::new(
                ok,
                json!({ "status": "PARTIAL", "errors": [injected_error(Some(items))] }),
                summary,
            ),
        }
    }
}
