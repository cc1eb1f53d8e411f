//! Derivation: events → agent states, segments, tasks, reservations. Pure functions, no I/O; the
//! store calls them inside the transaction that commits the events.

pub mod agent;
pub mod segments;
pub mod task;

use crate::config::AgentIdMode;

/// The WFM `agentId` of a worker (SPEC §4 "Agent identity"). `attributes` is the worker's JSON
/// attributes string as TaskRouter sends it (`worker_attributes`).
///
/// Only the configured identity is ever used: when it is not known (no friendly name seen yet, or
/// the attribute missing from the worker's attributes) the id is **empty**, and an empty id is
/// never sent — not in real time, not in snapshots, not in reports. Falling back to another id
/// would show one agent under two ids at WFM (the friendly name from the Workers list, then the
/// attribute once a real event arrives).
pub fn agent_id(
    mode: &AgentIdMode,
    worker_sid: &str,
    friendly_name: Option<&str>,
    attributes: Option<&str>,
) -> String {
    match mode {
        AgentIdMode::Sid => worker_sid.to_string(),
        AgentIdMode::FriendlyName => friendly_name.unwrap_or_default().to_string(),
        AgentIdMode::Attribute(key) => attributes
            .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            .and_then(|v| match v.get(key) {
                Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_default(),
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
            "",
            "never a fallback id"
        );
        assert_eq!(
            agent_id(
                &AgentIdMode::Attribute("logon".into()),
                "WK1",
                Some("Jane"),
                None
            ),
            ""
        );
        assert_eq!(agent_id(&AgentIdMode::FriendlyName, "WK1", None, None), "");
    }
}
