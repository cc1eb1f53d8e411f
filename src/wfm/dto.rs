//! The WFM wire contract v1 (SPEC §6): every request and response body, as serde types. The
//! rows they carry come from the outboxes ([`crate::store`]) and the report builders
//! ([`crate::report`]); [`super::request`] puts them together into the requests the drain sends.
//! Field order is wire order.

use crate::clock::rfc3339_ms;
use crate::model::{AgentState, AgentStateRecord, Interval};
use serde::{Deserialize, Serialize, Serializer};

pub const ACD_TYPE: &str = "TWILIO";

/// `POST /agent-states` body: a batch of agent states, or the snapshot of every agent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatesRequest<'a> {
    pub acd_type: &'static str,
    pub batch_id: &'a str,
    pub is_snapshot: bool,
    /// Each record written as an [`AgentStateItem`] (no item is held apart from its record).
    #[serde(serialize_with = "agent_state_items")]
    pub agent_states: &'a [AgentStateRecord],
}

fn agent_state_items<S: Serializer>(
    records: &&[AgentStateRecord],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(records.iter().map(AgentStateItem::from))
}

/// One item of `POST /agent-states`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStateItem<'a> {
    pub event_id: &'a str,
    pub agent_id: &'a str,
    pub state: AgentState,
    pub reason_code: Option<&'a str>,
    pub media_type: Option<&'a str>,
    pub state_start: String,
    pub is_logged_on: bool,
}

impl<'a> From<&'a AgentStateRecord> for AgentStateItem<'a> {
    fn from(r: &'a AgentStateRecord) -> Self {
        AgentStateItem {
            event_id: &r.event_id,
            agent_id: &r.agent_id,
            state: r.state,
            reason_code: r.reason_code.as_deref(),
            media_type: r.media_type.as_deref(),
            state_start: rfc3339_ms(r.state_start_ms),
            is_logged_on: r.state != AgentState::LoggedOut,
        }
    }
}

/// `POST /reports/agent-activity` and `POST /reports/queue` body: the §6 envelope around a report
/// body (`T`: the rows of [`crate::report`], or the stored `reportData` as raw JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest<T> {
    /// Always `TWILIO`.
    pub acd_type: &'static str,
    /// Always `1`.
    pub report_version: &'static str,
    /// Interval start, RFC 3339 UTC with milliseconds.
    pub start_date: String,
    /// Interval end (exclusive).
    pub end_date: String,
    /// 1 for the first send; +1 each time a rebuilt interval changed. WFM keeps the highest.
    pub revision: i64,
    pub report_data: T,
}

impl<T> ReportRequest<T> {
    pub fn new(interval: Interval, revision: i64, report_data: T) -> Self {
        ReportRequest {
            acd_type: ACD_TYPE,
            report_version: "1",
            start_date: rfc3339_ms(interval.start_ms),
            end_date: rfc3339_ms(interval.end_ms),
            revision,
            report_data,
        }
    }
}

/// `POST /heartbeat` body. Keys in alphabetical order, as the connector has always sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat<'a> {
    pub acd_type: &'static str,
    pub connector_id: &'a str,
    /// When the ACD was last polled (`null`: never).
    pub last_acd_poll: Option<String>,
    pub oldest_pending_sec: i64,
    pub pending_reports: i64,
    pub pending_states: i64,
    /// `OK` or `DEGRADED`.
    pub status: &'static str,
    pub version: &'static str,
}

/// `POST /auth/token` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest<'a> {
    pub tenant_name: &'a str,
    pub access_key_token_request: AccessKey<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessKey<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
}

/// `POST /auth/refresh` body.
#[derive(Debug, Serialize)]
pub struct RefreshRequest<'a> {
    pub token: &'a str,
}

/// `POST /auth/token` answer.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// `POST /auth/refresh` answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshResponse {
    pub token: String,
    #[serde(default)]
    pub token_expiration_time_sec: Option<u64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The SDK's `WFMReportResponse`. `errors` may be absent or `null` (a Java SDK's empty list).
/// What the answer means is judged in [`super::answer`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WfmResponse {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub errors: Option<Vec<WfmItemError>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct WfmItemError {
    #[serde(default)]
    pub index: Option<usize>,
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
}

impl WfmItemError {
    pub fn describe(&self) -> String {
        let code = self
            .code
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        format!(
            "{}{}{}",
            code,
            self.field
                .as_deref()
                .map(|f| format!(" [{f}]"))
                .unwrap_or_default(),
            self.message
                .as_deref()
                .map(|m| format!(" {m}"))
                .unwrap_or_default()
        )
        .trim()
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::AgentActivityRow;

    #[test]
    fn envelope_serialises_with_the_wire_names() {
        let iv = Interval {
            start_ms: 1_795_169_700_000,
            end_ms: 1_795_170_600_000,
        };
        let env = ReportRequest::new(iv, 2, Vec::<AgentActivityRow>::new());
        let json = serde_json::to_string(&env).unwrap();
        assert_eq!(
            json,
            r#"{"acdType":"TWILIO","reportVersion":"1","startDate":"2026-11-20T10:15:00.000Z","endDate":"2026-11-20T10:30:00.000Z","revision":2,"reportData":[]}"#
        );
    }
}
