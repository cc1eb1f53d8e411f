//! Validation of request bodies against the wire contract (SPEC §6): pure functions from a JSON
//! body to the items to record and the errors to answer.
//!
//! Two levels, as the SDK's `WFMReportResponse`:
//! - an envelope error (wrong `acdType`, missing field, batch too large, missing queue section…)
//!   rejects the whole call: the server answers `400 REJECTED`;
//! - an item error (one agent state or one report row) rejects that item only: the server answers
//!   `200 PARTIAL` naming it by index, and accepts the others.
//!
//! Every error names the JSON path of the offending field, e.g. `agentStates[3].stateStart`.

use super::record::ReceivedState;
use crate::clock::parse_rfc3339_ms;
use crate::model::{AgentState, Millis};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;

mod calls;
mod fields;
mod report;
mod rows;
#[cfg(test)]
mod tests;

pub use calls::{TokenRequest, heartbeat, refresh_request, token_request};
use fields::Fields;
pub use report::{ReportCheck, report};

/// One entry of the `errors` array of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// The item (agent state, report row) index; `None` for envelope errors.
    pub index: Option<usize>,
    /// One of the [`code`] constants.
    pub code: String,
    pub message: String,
    /// JSON path of the offending field, or a header name.
    pub field: Option<String>,
}

impl WireError {
    pub fn new(index: Option<usize>, code: &str, message: String, field: Option<String>) -> Self {
        WireError {
            index,
            code: code.to_owned(),
            message,
            field,
        }
    }
}

/// The error codes the simulator answers with.
pub mod code {
    pub const MALFORMED_JSON: &str = "MALFORMED_JSON";
    pub const MISSING_FIELD: &str = "MISSING_FIELD";
    pub const INVALID_TYPE: &str = "INVALID_TYPE";
    pub const INVALID_VALUE: &str = "INVALID_VALUE";
    pub const INVALID_TIMESTAMP: &str = "INVALID_TIMESTAMP";
    pub const INVALID_INTERVAL: &str = "INVALID_INTERVAL";
    pub const BATCH_TOO_LARGE: &str = "BATCH_TOO_LARGE";
    pub const EMPTY_BATCH: &str = "EMPTY_BATCH";
    pub const DUPLICATE_AGENT: &str = "DUPLICATE_AGENT";
    pub const INCONSISTENT: &str = "INCONSISTENT";
    pub const OUT_OF_INTERVAL: &str = "OUT_OF_INTERVAL";
    pub const MISSING_HEADER: &str = "MISSING_HEADER";
    pub const DUPLICATE_IDEMPOTENCY_KEY: &str = "DUPLICATE_IDEMPOTENCY_KEY";
    pub const INJECTED: &str = "INJECTED";
}

/// The media types WFM counts (SPEC §1, §4).
pub const MEDIA_TYPES: [&str; 4] = ["voice", "chat", "sms", "web"];

/// Report interval lengths the contract allows (SPEC §5), in minutes.
pub const INTERVAL_MINUTES: [i64; 5] = [1, 5, 15, 30, 60];

/// Parses a wire timestamp: RFC 3339 UTC with exactly three fraction digits and `Z`
/// (`2026-11-20T10:15:00.000Z`). Every other form (no millis, `+00:00`, lower-case `z`) is refused.
pub fn parse_wire_timestamp(s: &str) -> Option<Millis> {
    let bytes = s.as_bytes();
    if bytes.len() != 24 {
        return None;
    }
    let shape_ok = bytes.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b'T',
        13 | 16 => *c == b':',
        19 => *c == b'.',
        23 => *c == b'Z',
        _ => c.is_ascii_digit(),
    });
    if shape_ok { parse_rfc3339_ms(s) } else { None }
}

/// A parsed `POST /agent-states` body.
#[derive(Debug)]
pub struct StatesBatch {
    pub batch_id: String,
    pub is_snapshot: bool,
    /// Items as sent.
    pub item_count: usize,
    /// The valid items with their index in the batch, in order.
    pub valid: Vec<(usize, ReceivedState)>,
    /// One or more errors per invalid item.
    pub errors: Vec<WireError>,
}

/// Checks a `POST /agent-states` body. `Err` is an envelope error (→ 400 REJECTED).
pub fn agent_states(body: &Value, max_batch: usize) -> Result<StatesBatch, Vec<WireError>> {
    let obj = object_body(body)?;
    let mut errors = Vec::new();
    let mut envelope = Fields::new(obj, "", None, &mut errors);
    envelope.exact("acdType", "TWILIO");
    let batch_id = envelope.string("batchId");
    let is_snapshot = envelope.bool("isSnapshot");
    let items = envelope.array("agentStates");
    if let (Some(items), Some(is_snapshot)) = (items, is_snapshot) {
        if !is_snapshot && items.is_empty() {
            errors.push(envelope_error(
                code::EMPTY_BATCH,
                "a non-snapshot batch must carry at least one agent state",
                "agentStates",
            ));
        }
        // A snapshot carries every agent, so it may be larger than a batch.
        if !is_snapshot && items.len() > max_batch {
            errors.push(envelope_error(
                code::BATCH_TOO_LARGE,
                &format!(
                    "{} agent states, at most {max_batch} per batch",
                    items.len()
                ),
                "agentStates",
            ));
        }
    }
    let (Some(batch_id), Some(is_snapshot), Some(items), true) =
        (batch_id, is_snapshot, items, errors.is_empty())
    else {
        return Err(errors);
    };

    let mut valid = Vec::with_capacity(items.len());
    let mut snapshot_agents = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let Some(state) = agent_state_item(item, index, batch_id, &mut errors) else {
            continue;
        };
        if is_snapshot && !snapshot_agents.insert(state.agent_id.clone()) {
            errors.push(WireError::new(
                Some(index),
                code::DUPLICATE_AGENT,
                format!("agent {:?} appears twice in one snapshot", state.agent_id),
                Some(format!("agentStates[{index}].agentId")),
            ));
            continue;
        }
        valid.push((index, state));
    }
    Ok(StatesBatch {
        batch_id: batch_id.to_owned(),
        is_snapshot,
        item_count: items.len(),
        valid,
        errors,
    })
}

/// One agent state; `None` when it is invalid (its errors are pushed).
fn agent_state_item(
    item: &Value,
    index: usize,
    batch_id: &str,
    errors: &mut Vec<WireError>,
) -> Option<ReceivedState> {
    let Some(obj) = item.as_object() else {
        errors.push(WireError::new(
            Some(index),
            code::INVALID_TYPE,
            "an agent state must be a JSON object".to_owned(),
            Some(format!("agentStates[{index}]")),
        ));
        return None;
    };
    let mut f = Fields::new(obj, "agentStates", Some(index), errors);
    let event_id = f.string("eventId");
    let agent_id = f.string("agentId");
    let state = f.state("state");
    let reason_code = f.nullable_string("reasonCode", true);
    let media_type = f.media_type("mediaType", true);
    let state_start = f.timestamp("stateStart");
    let is_logged_on = f.bool("isLoggedOn");
    let (
        Some(event_id),
        Some(agent_id),
        Some(state),
        Some(reason_code),
        Some(media_type),
        Some((state_start, state_start_ms)),
        Some(is_logged_on),
    ) = (
        event_id,
        agent_id,
        state,
        reason_code,
        media_type,
        state_start,
        is_logged_on,
    )
    else {
        return None;
    };
    if is_logged_on != (state != AgentState::LoggedOut) {
        f.fail(
            "isLoggedOn",
            code::INCONSISTENT,
            format!(
                "isLoggedOn is {is_logged_on} but state is {}",
                state.as_str()
            ),
        );
        return None;
    }
    Some(ReceivedState {
        event_id: event_id.to_owned(),
        agent_id: agent_id.to_owned(),
        state,
        reason_code: reason_code.map(str::to_owned),
        media_type: media_type.map(str::to_owned),
        state_start: state_start.to_owned(),
        state_start_ms,
        is_logged_on,
        batch_id: batch_id.to_owned(),
        received_ms: 0,
    })
}

/// Parses raw bytes as JSON; a parse error is an envelope error.
pub fn parse_json(bytes: &[u8]) -> Result<Value, Vec<WireError>> {
    serde_json::from_slice(bytes).map_err(|e| {
        vec![WireError::new(
            None,
            code::MALFORMED_JSON,
            format!("body is not valid JSON: {e}"),
            None,
        )]
    })
}

pub(super) fn object_body(body: &Value) -> Result<&Map<String, Value>, Vec<WireError>> {
    body.as_object().ok_or_else(|| {
        vec![WireError::new(
            None,
            code::INVALID_TYPE,
            "body must be a JSON object".to_owned(),
            None,
        )]
    })
}

pub(super) fn envelope_error(code: &str, message: &str, field: &str) -> WireError {
    WireError::new(None, code, message.to_owned(), Some(field.to_owned()))
}
