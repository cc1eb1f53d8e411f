//! Report envelopes (`POST /reports/agent-activity`, `POST /reports/queue`): the interval, the
//! revision, and the shape of `reportData`; the rows themselves are checked in [`super::rows`].

use super::super::record::ReportKind;
use super::{Fields, INTERVAL_MINUTES, WireError, code, envelope_error, object_body, rows};
use crate::model::Millis;
use serde_json::Value;

/// A checked report envelope.
#[derive(Debug)]
pub struct ReportCheck {
    pub start_date: String,
    pub start_ms: Millis,
    pub end_date: String,
    pub revision: u64,
    /// Rows across all sections.
    pub rows: usize,
    pub row_errors: Vec<WireError>,
}

/// Checks a report body. `Err` is an envelope error (→ 400 REJECTED); row errors (→ PARTIAL) are in
/// [`ReportCheck::row_errors`].
pub fn report(kind: ReportKind, body: &Value) -> Result<ReportCheck, Vec<WireError>> {
    let obj = object_body(body)?;
    let mut errors = Vec::new();
    let mut envelope = Fields::new(obj, "", None, &mut errors);
    envelope.exact("acdType", "TWILIO");
    envelope.exact("reportVersion", "1");
    let start = envelope.timestamp("startDate");
    let end = envelope.timestamp("endDate");
    let revision = envelope.count("revision");
    let data = envelope.value("reportData");
    if let (Some((_, start_ms)), Some((_, end_ms))) = (start, end)
        && let Some(message) = interval_problem(start_ms, end_ms)
    {
        errors.push(envelope_error(code::INVALID_INTERVAL, &message, "endDate"));
    }
    let sections = data.and_then(|data| report_sections(kind, data, &mut errors));
    let (
        Some((start_date, start_ms)),
        Some((end_date, end_ms)),
        Some(revision),
        Some(sections),
        true,
    ) = (start, end, revision, sections, errors.is_empty())
    else {
        return Err(errors);
    };

    let mut row_errors = Vec::new();
    let mut rows = 0;
    for (section, items) in sections {
        for (index, row) in items.iter().enumerate() {
            rows += 1;
            let Some(obj) = row.as_object() else {
                row_errors.push(WireError::new(
                    Some(index),
                    code::INVALID_TYPE,
                    "a report row must be a JSON object".to_owned(),
                    Some(format!("{}[{index}]", section.path())),
                ));
                continue;
            };
            let mut f = Fields::new(obj, section.path(), Some(index), &mut row_errors);
            match section {
                Section::AgentActivity => rows::agent_activity(&mut f, start_ms, end_ms),
                Section::Queue => rows::queue(&mut f),
                Section::AgentQueue => rows::agent_queue(&mut f),
                Section::AgentSystemPerformance => rows::agent_system_performance(&mut f),
            }
        }
    }
    Ok(ReportCheck {
        start_date: start_date.to_owned(),
        start_ms,
        end_date: end_date.to_owned(),
        revision,
        rows,
        row_errors,
    })
}

/// The arrays of rows a report carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    AgentActivity,
    Queue,
    AgentQueue,
    AgentSystemPerformance,
}

impl Section {
    fn path(self) -> &'static str {
        match self {
            Section::AgentActivity => "reportData",
            Section::Queue => "reportData.queueReport",
            Section::AgentQueue => "reportData.agentQueueReport",
            Section::AgentSystemPerformance => "reportData.agentSystemPerformanceReport",
        }
    }
}

/// The row arrays of `reportData`; `None` (with errors pushed) when the shape is wrong. The queue
/// report must carry all three sections, empty or not (SPEC §1: never omitted).
fn report_sections<'a>(
    kind: ReportKind,
    data: &'a Value,
    errors: &mut Vec<WireError>,
) -> Option<Vec<(Section, &'a Vec<Value>)>> {
    match kind {
        ReportKind::AgentActivity => match data.as_array() {
            Some(rows) => Some(vec![(Section::AgentActivity, rows)]),
            None => {
                errors.push(envelope_error(
                    code::INVALID_TYPE,
                    "reportData of an agent activity report must be an array",
                    "reportData",
                ));
                None
            }
        },
        ReportKind::Queue => {
            let Some(obj) = data.as_object() else {
                errors.push(envelope_error(
                    code::INVALID_TYPE,
                    "reportData of a queue report must be an object of three arrays",
                    "reportData",
                ));
                return None;
            };
            let mut f = Fields::new(obj, "reportData", None, errors);
            let queue = f.array("queueReport");
            let agent_queue = f.array("agentQueueReport");
            let performance = f.array("agentSystemPerformanceReport");
            Some(vec![
                (Section::Queue, queue?),
                (Section::AgentQueue, agent_queue?),
                (Section::AgentSystemPerformance, performance?),
            ])
        }
    }
}

/// Why `[start, end)` is not a report interval, if it is not one: its length must be one of
/// [`INTERVAL_MINUTES`] and its start aligned to that length in UTC (SPEC §5).
fn interval_problem(start_ms: Millis, end_ms: Millis) -> Option<String> {
    let minutes = (end_ms - start_ms) / 60_000;
    let whole_minutes = (end_ms - start_ms) % 60_000 == 0;
    if !whole_minutes || !INTERVAL_MINUTES.contains(&minutes) {
        return Some(format!(
            "endDate - startDate must be 1, 5, 15, 30 or 60 minutes, got {} ms",
            end_ms - start_ms
        ));
    }
    (start_ms.rem_euclid(minutes * 60_000) != 0)
        .then(|| format!("startDate must be aligned to a {minutes}-minute boundary in UTC"))
}
