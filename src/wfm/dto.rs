//! The WFM wire contract v1 (SPEC §6): request and response bodies.

use crate::clock::rfc3339_ms;
use crate::model::{AgentState, AgentStateRecord};
use serde::{Deserialize, Serialize};

pub const ACD_TYPE: &str = "TWILIO";

/// One item of `POST /agent-states`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStateItem {
    pub event_id: String,
    pub agent_id: String,
    pub state: AgentState,
    pub reason_code: Option<String>,
    pub media_type: Option<String>,
    pub state_start: String,
    pub is_logged_on: bool,
}

impl From<&AgentStateRecord> for AgentStateItem {
    fn from(r: &AgentStateRecord) -> Self {
        AgentStateItem {
            event_id: r.event_id.clone(),
            agent_id: r.agent_id.clone(),
            state: r.state,
            reason_code: r.reason_code.clone(),
            media_type: r.media_type.clone(),
            state_start: rfc3339_ms(r.state_start_ms),
            is_logged_on: r.state != AgentState::LoggedOut,
        }
    }
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
