//! The TaskRouter event types a script can write, one enum per resource.

use super::world::AssignmentStatus;

/// `worker.*` event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerEventKind {
    Created,
    /// `worker.activity.update`.
    ActivityUpdate,
    /// `worker.activity`, the legacy alias of `worker.activity.update`.
    LegacyActivity,
    Deleted,
}

impl WorkerEventKind {
    pub fn event_type(self) -> &'static str {
        match self {
            WorkerEventKind::Created => "worker.created",
            WorkerEventKind::ActivityUpdate => "worker.activity.update",
            WorkerEventKind::LegacyActivity => "worker.activity",
            WorkerEventKind::Deleted => "worker.deleted",
        }
    }
}

/// `reservation.*` event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationEventKind {
    Created,
    Accepted,
    Rejected,
    Timeout,
    Canceled,
    Rescinded,
    Wrapup,
    Completed,
    /// `reservation.failed`: TaskRouter could not assign the task to the worker.
    Failed,
}

impl ReservationEventKind {
    pub fn event_type(self) -> &'static str {
        match self {
            ReservationEventKind::Created => "reservation.created",
            ReservationEventKind::Accepted => "reservation.accepted",
            ReservationEventKind::Rejected => "reservation.rejected",
            ReservationEventKind::Timeout => "reservation.timeout",
            ReservationEventKind::Canceled => "reservation.canceled",
            ReservationEventKind::Rescinded => "reservation.rescinded",
            ReservationEventKind::Wrapup => "reservation.wrapup",
            ReservationEventKind::Completed => "reservation.completed",
            ReservationEventKind::Failed => "reservation.failed",
        }
    }
}

/// `task.*` event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEventKind {
    Created,
    Canceled,
    Wrapup,
    Completed,
    Deleted,
    SystemDeleted,
}

impl TaskEventKind {
    pub fn event_type(self) -> &'static str {
        match self {
            TaskEventKind::Created => "task.created",
            TaskEventKind::Canceled => "task.canceled",
            TaskEventKind::Wrapup => "task.wrapup",
            TaskEventKind::Completed => "task.completed",
            TaskEventKind::Deleted => "task.deleted",
            TaskEventKind::SystemDeleted => "task.system-deleted",
        }
    }

    pub(crate) fn status(self) -> AssignmentStatus {
        match self {
            TaskEventKind::Created => AssignmentStatus::Pending,
            TaskEventKind::Wrapup => AssignmentStatus::Wrapping,
            TaskEventKind::Completed => AssignmentStatus::Completed,
            TaskEventKind::Canceled | TaskEventKind::Deleted | TaskEventKind::SystemDeleted => {
                AssignmentStatus::Canceled
            }
        }
    }
}

/// `task-queue.*` event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskQueueEventKind {
    Entered,
    Moved,
    Timeout,
}

impl TaskQueueEventKind {
    pub fn event_type(self) -> &'static str {
        match self {
            TaskQueueEventKind::Entered => "task-queue.entered",
            TaskQueueEventKind::Moved => "task-queue.moved",
            TaskQueueEventKind::Timeout => "task-queue.timeout",
        }
    }
}
