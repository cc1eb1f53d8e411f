//! The queue report (`/reports/queue`): `queueReport` and `agentQueueReport` are built here from
//! the tasks that ended in the interval; `agentSystemPerformanceReport` comes from
//! [`super::performance`]. The counting rules are in the [`crate::report`] module docs.

use super::dto::{AgentQueueRow, QueueReportData, QueueRow};
use super::{ends_in, performance, secs_between};
use crate::config::{QueueConfig, ReportsConfig};
use crate::derive::task::{HandlingLeg, TaskRecord};
use crate::model::{Interval, Millis, ReservationRecord, Segment, TaskOutcome};
use std::collections::BTreeMap;

/// The few settings the queue report needs (taken from `[reports]` and `[queues]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueReportSettings {
    /// An abandon with a wait at or under this many seconds is also a short abandon.
    pub short_abandon_sec: u32,
    /// Service-level threshold of queues not listed in `per_queue`.
    pub default_sl_threshold_sec: u32,
    /// Per-queue threshold, keyed by `WQ…` sid or by queue friendly name (the sid wins).
    pub per_queue: BTreeMap<String, u32>,
}

impl Default for QueueReportSettings {
    fn default() -> Self {
        QueueReportSettings {
            short_abandon_sec: 5,
            default_sl_threshold_sec: 20,
            per_queue: BTreeMap::new(),
        }
    }
}

impl QueueReportSettings {
    /// From the `[reports]` and `[queues]` sections of the configuration.
    pub fn from_config(reports: &ReportsConfig, queues: &BTreeMap<String, QueueConfig>) -> Self {
        QueueReportSettings {
            short_abandon_sec: reports.short_abandon_sec,
            default_sl_threshold_sec: reports.sl_threshold_sec,
            per_queue: queues
                .iter()
                .filter_map(|(k, q)| Some((k.clone(), q.sl_threshold_sec?)))
                .collect(),
        }
    }

    /// The service-level threshold of a queue: by sid, then by name, then the default.
    pub fn sl_threshold_sec(&self, queue_sid: &str, queue_name: Option<&str>) -> u32 {
        self.per_queue
            .get(queue_sid)
            .or_else(|| queue_name.and_then(|n| self.per_queue.get(n)))
            .copied()
            .unwrap_or(self.default_sl_threshold_sec)
    }
}

/// Builds the queue report body of one interval. `tasks` and `reservations` may hold records of
/// other intervals: only what belongs to `interval` is counted. `segments` are the agents' state
/// segments overlapping the interval (open ones included).
pub fn queue_report(
    tasks: &[TaskRecord],
    reservations: &[ReservationRecord],
    segments: &[Segment],
    interval: Interval,
    settings: &QueueReportSettings,
) -> QueueReportData {
    let mut queues: BTreeMap<(String, String), QueueAcc> = BTreeMap::new();
    let mut agents: BTreeMap<(String, String, String), AgentQueueRow> = BTreeMap::new();

    for (task, queue_sid, media, ended_ms, outcome) in counted_tasks(tasks, interval) {
        let key = (queue_sid.to_string(), media.to_string());
        let acc = queues.entry(key).or_default();
        acc.name_from(task, ended_ms);
        let threshold_ms = |sec: u32| Millis::from(sec) * 1000;
        let wait_until = match outcome {
            TaskOutcome::Handled => task.accepted_ms.unwrap_or(ended_ms),
            TaskOutcome::Abandoned => ended_ms,
        };
        let wait_ms = wait_until.saturating_sub(task.queue_entered_ms).max(0);
        let wait_sec = secs_between(task.queue_entered_ms, wait_until);
        let sl_ms = threshold_ms(settings.sl_threshold_sec(queue_sid, task.queue_name.as_deref()));
        let row = &mut acc.row;
        row.total_wait_sec += wait_sec;
        row.max_wait_sec = row.max_wait_sec.max(wait_sec);
        match outcome {
            TaskOutcome::Handled => {
                row.handled += 1;
                row.total_answer_wait_sec += wait_sec;
                row.answered_in_sl += u64::from(wait_ms <= sl_ms);
            }
            TaskOutcome::Abandoned => {
                row.abandoned += 1;
                row.abandoned_in_sl += u64::from(wait_ms <= sl_ms);
                row.short_abandoned +=
                    u64::from(wait_ms <= threshold_ms(settings.short_abandon_sec));
            }
        }
        for leg in &task.handling {
            let (talk, acw) = leg_seconds(leg, ended_ms);
            row.total_talk_sec += talk;
            row.total_acw_sec += acw;
            let leg_queue = leg.queue_sid.as_deref().unwrap_or(queue_sid);
            let a = agent_row(&mut agents, &leg.agent_id, leg_queue, media);
            a.handled += 1;
            a.total_talk_sec += talk;
            a.total_acw_sec += acw;
        }
        for t in &task.transfers {
            let from_queue = t.from_queue_sid.as_deref().unwrap_or(queue_sid);
            agent_row(&mut agents, &t.from_agent_id, from_queue, media).transfers_out += 1;
        }
    }

    let queue_report = queues
        .into_iter()
        .map(|((queue_id, media_type), acc)| {
            let mut row = acc.row;
            row.queue_name = acc
                .name
                .map(|(_, _, n)| n)
                .unwrap_or_else(|| queue_id.clone());
            row.sl_threshold_sec = settings.sl_threshold_sec(&queue_id, Some(&row.queue_name));
            row.offered = row.handled + row.abandoned;
            row.total_handle_sec = row.total_talk_sec + row.total_acw_sec;
            QueueRow {
                queue_id,
                media_type,
                ..row
            }
        })
        .collect();
    let agent_queue_report = agents
        .into_values()
        .map(|mut a| {
            a.total_handle_sec = a.total_talk_sec + a.total_acw_sec;
            a
        })
        .collect();

    QueueReportData {
        queue_report,
        agent_queue_report,
        agent_system_performance_report: performance::agent_system_performance(
            segments,
            reservations,
            interval,
        ),
    }
}

/// The tasks the queue report counts in `interval`, with what makes them countable.
fn counted_tasks(
    tasks: &[TaskRecord],
    interval: Interval,
) -> impl Iterator<Item = (&TaskRecord, &str, &str, Millis, TaskOutcome)> {
    tasks.iter().filter_map(move |t| {
        if !t.counted {
            return None;
        }
        let ended_ms = t.ended_ms.filter(|e| ends_in(interval, *e))?;
        Some((
            t,
            t.queue_sid.as_deref()?,
            t.media_type.as_deref()?,
            ended_ms,
            t.outcome?,
        ))
    })
}

/// Talk and ACW seconds of one agent's leg; the task's end closes what the leg left open.
fn leg_seconds(leg: &HandlingLeg, task_ended_ms: Millis) -> (u64, u64) {
    let done = leg.completed_ms.unwrap_or(task_ended_ms);
    match leg.wrapup_ms {
        Some(w) => (
            secs_between(leg.accepted_ms, w),
            secs_between(w, done.max(w)),
        ),
        None => (secs_between(leg.accepted_ms, done), 0),
    }
}

fn agent_row<'a>(
    agents: &'a mut BTreeMap<(String, String, String), AgentQueueRow>,
    agent_id: &str,
    queue_id: &str,
    media: &str,
) -> &'a mut AgentQueueRow {
    let key = (
        agent_id.to_string(),
        queue_id.to_string(),
        media.to_string(),
    );
    agents.entry(key).or_insert_with(|| AgentQueueRow {
        agent_id: agent_id.to_string(),
        queue_id: queue_id.to_string(),
        media_type: media.to_string(),
        ..AgentQueueRow::default()
    })
}

/// One queue row being summed, and the name of its most recently ended task.
#[derive(Default)]
struct QueueAcc {
    row: QueueRow,
    /// `(ended_ms, task_sid, name)` of the latest ended task that carried a name.
    name: Option<(Millis, String, String)>,
}

impl QueueAcc {
    fn name_from(&mut self, task: &TaskRecord, ended_ms: Millis) {
        let Some(name) = &task.queue_name else { return };
        let candidate = (ended_ms, task.task_sid.clone(), name.clone());
        if self.name.as_ref().is_none_or(|n| candidate > *n) {
            self.name = Some(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sl_threshold_by_sid_then_name_then_default() {
        let mut s = QueueReportSettings::default();
        s.per_queue.insert("WQ1".into(), 10);
        s.per_queue.insert("Sales".into(), 30);
        assert_eq!(s.sl_threshold_sec("WQ1", Some("Sales")), 10);
        assert_eq!(s.sl_threshold_sec("WQ2", Some("Sales")), 30);
        assert_eq!(s.sl_threshold_sec("WQ3", None), 20);
    }

    #[test]
    fn settings_from_config_keep_only_queues_with_a_threshold() {
        let mut queues = BTreeMap::new();
        queues.insert(
            "Support".to_string(),
            QueueConfig {
                sl_threshold_sec: Some(30),
            },
        );
        queues.insert("Sales".to_string(), QueueConfig::default());
        let s = QueueReportSettings::from_config(&ReportsConfig::default(), &queues);
        assert_eq!(s.per_queue.len(), 1);
        assert_eq!((s.short_abandon_sec, s.default_sl_threshold_sec), (5, 20));
    }

    fn leg(wrapup: Option<Millis>, completed: Option<Millis>) -> HandlingLeg {
        HandlingLeg {
            reservation_sid: "WR1".into(),
            worker_sid: "WK1".into(),
            agent_id: "ann".into(),
            queue_sid: None,
            accepted_ms: 10_000,
            wrapup_ms: wrapup,
            completed_ms: completed,
        }
    }

    #[test]
    fn leg_talk_and_acw_share_the_wrapup_instant() {
        // 10.0 → 70.6 → 100.2: talk 71 − 10 = 61, ACW 100 − 71 = 29, handle 90 = 100 − 10.
        assert_eq!(leg_seconds(&leg(Some(70_600), Some(100_200)), 0), (61, 29));
        // No wrap-up: talk runs to the completion; nothing completed: to the task's end.
        assert_eq!(leg_seconds(&leg(None, Some(40_000)), 0), (30, 0));
        assert_eq!(leg_seconds(&leg(Some(20_000), None), 50_000), (10, 30));
    }
}
