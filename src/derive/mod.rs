//! Derivation: events → agent states, segments, tasks, reservations. Pure functions, no I/O; the
//! store calls them inside the transaction that commits the events.

pub mod agent;
pub mod task;

use crate::config::AgentIdMode;

/// The WFM `agentId` of a worker (SPEC §4 "Agent identity"). `attributes` is the worker's JSON
/// attributes string as TaskRouter sends it (`worker_attributes`). Falls back to the friendly name,
/// then the sid, so an agent always has an id.
pub fn agent_id(
    mode: &AgentIdMode,
    worker_sid: &str,
    friendly_name: Option<&str>,
    attributes: Option<&str>,
) -> String {
    let fallback = || {
        friendly_name
            .filter(|n| !n.is_empty())
            .unwrap_or(worker_sid)
            .to_string()
    };
    match mode {
        AgentIdMode::Sid => worker_sid.to_string(),
        AgentIdMode::FriendlyName => fallback(),
        AgentIdMode::Attribute(key) => attributes
            .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            .and_then(|v| match v.get(key) {
                Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_else(fallback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_id_modes() {
        let attrs = r#"{"logon":"jdoe","n":7}"#;
        assert_eq!(
            agent_id(&AgentIdMode::Sid, "WK1", Some("Jane"), Some(attrs)),
            "WK1"
        );
        assert_eq!(
            agent_id(&AgentIdMode::FriendlyName, "WK1", Some("Jane"), None),
            "Jane"
        );
        assert_eq!(
            agent_id(
                &AgentIdMode::Attribute("logon".into()),
                "WK1",
                Some("Jane"),
                Some(attrs)
            ),
            "jdoe"
        );
        assert_eq!(
            agent_id(
                &AgentIdMode::Attribute("n".into()),
                "WK1",
                Some("Jane"),
                Some(attrs)
            ),
            "7"
        );
        assert_eq!(
            agent_id(
                &AgentIdMode::Attribute("x".into()),
                "WK1",
                Some("Jane"),
                Some("junk")
            ),
            "Jane"
        );
    }
}
