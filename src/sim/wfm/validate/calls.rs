//! The small bodies: heartbeat and the two auth calls. They carry no items, so every error is an
//! envelope error.

use super::{Fields, WireError, object_body};
use serde_json::Value;

/// Checks a `POST /heartbeat` body. Heartbeats carry no items, so every error is an envelope error.
pub fn heartbeat(body: &Value) -> Result<(), Vec<WireError>> {
    let obj = object_body(body)?;
    let mut errors = Vec::new();
    let mut f = Fields::new(obj, "", None, &mut errors);
    f.exact("acdType", "TWILIO");
    f.string("connectorId");
    f.string("version");
    f.one_of("status", &["OK", "DEGRADED"]);
    // Nothing pending: 0 or null are both fair.
    f.nullable_seconds("oldestPendingSec");
    f.count("pendingStates");
    f.count("pendingReports");
    // Null until the first successful poll.
    f.nullable_timestamp("lastAcdPoll");
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The credentials of a `POST /auth/token` body.
#[derive(Debug)]
pub struct TokenRequest<'a> {
    pub tenant_name: &'a str,
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
}

/// Checks a `POST /auth/token` body.
pub fn token_request(body: &Value) -> Result<TokenRequest<'_>, Vec<WireError>> {
    let obj = object_body(body)?;
    let mut errors = Vec::new();
    let mut f = Fields::new(obj, "", None, &mut errors);
    let tenant_name = f.string("tenantName");
    let key = f.object("accessKeyTokenRequest");
    let (id, secret) = match key {
        Some(key) => {
            let mut k = Fields::new(key, "accessKeyTokenRequest", None, &mut errors);
            (k.string("accessKeyId"), k.string("accessKeySecret"))
        }
        None => (None, None),
    };
    match (tenant_name, id, secret) {
        (Some(tenant_name), Some(access_key_id), Some(access_key_secret)) => Ok(TokenRequest {
            tenant_name,
            access_key_id,
            access_key_secret,
        }),
        _ => Err(errors),
    }
}

/// Checks a `POST /auth/refresh` body; returns the refresh token.
pub fn refresh_request(body: &Value) -> Result<&str, Vec<WireError>> {
    let obj = object_body(body)?;
    let mut errors = Vec::new();
    let token = Fields::new(obj, "", None, &mut errors).string("token");
    token.ok_or(errors)
}
