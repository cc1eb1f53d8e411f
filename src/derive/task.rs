//! STUB: task and reservation derivation (being written).
use crate::config::{AgentIdMode, MediaConfig};
use crate::model::{AcdEvent, Millis, ReservationRecord};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub task_sid: String,
    pub ended_ms: Option<Millis>,
}

pub struct TaskDerivation {
    pub task: TaskRecord,
    pub reservations: Vec<ReservationRecord>,
}

pub fn derive_task(
    events: &[AcdEvent],
    _media: &MediaConfig,
    _agent_id_mode: &AgentIdMode,
) -> Option<TaskDerivation> {
    let first = events.first()?;
    Some(TaskDerivation {
        task: TaskRecord {
            task_sid: first.data.str("task_sid")?,
            ended_ms: None,
        },
        reservations: Vec::new(),
    })
}
