//! The requests the connector sends to WFM, built from the rows of the outboxes: where each goes,
//! its `Idempotency-Key`, its body (the serde types of [`super::dto`], serialised once) and how
//! many items it carries (the indexes a PARTIAL answer may name). The drain
//! ([`crate::daemon::drain`]) hands them to [`super::WfmClient::post`].

use super::dto::{ACD_TYPE, AgentStatesRequest, Heartbeat, ReportRequest};
use crate::model::Interval;
use crate::report::ReportKind;
use crate::store::outbox::{StateBatch, StateBatchKind};
use crate::store::reports::QueuedReport;
use serde_json::value::RawValue;

/// One request to deliver.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: &'static str,
    /// The `Idempotency-Key`.
    pub key: String,
    pub body: String,
    /// How many items it carries (the indexes a PARTIAL may name).
    pub items: usize,
}

/// `POST /agent-states` for a claimed batch of states or a snapshot.
pub fn agent_states(batch: &StateBatch) -> Result<Request, serde_json::Error> {
    let key = batch.batch_id();
    let mut body = serde_json::to_string(&AgentStatesRequest {
        acd_type: ACD_TYPE,
        batch_id: &key,
        is_snapshot: batch.kind == StateBatchKind::Snapshot,
        agent_states: &batch.records,
    })?;
    // The string grew by doubling: a snapshot of 20,000 agents would keep up to 4 MiB unused
    // while it is in flight (shrinking in place is cheap).
    body.shrink_to_fit();
    Ok(Request {
        path: "/agent-states",
        key,
        body,
        items: batch.item_count(),
    })
}

/// `POST /reports/…` for a queued report revision: its stored `reportData` goes in verbatim.
pub fn report(report: &QueuedReport) -> Result<Request, serde_json::Error> {
    report_request(report, report_body(report, &report.report_data)?)
}

/// A report's body: the envelope around its `reportData`, copied in as it is (checked by
/// [`report_request`]). Sized once, not grown by doubling: a report of 20,000 agents is
/// megabytes, up to `report_concurrency` of them in flight. The report pusher builds it from the
/// data as SQLite holds it ([`crate::store::Store::claim_reports_with`]): no other copy of the
/// data is made.
pub fn report_body(report: &QueuedReport, data: &str) -> Result<String, serde_json::Error> {
    let prefix = envelope_prefix(report)?;
    let mut body = String::with_capacity(prefix.len() + data.len() + 1);
    body.push_str(&prefix);
    body.push_str(data);
    body.push('}');
    Ok(body)
}

/// The request carrying a report's body from [`report_body`]: its `reportData` must be one JSON
/// value (our own rows that are not make no request).
pub fn report_request(report: &QueuedReport, body: String) -> Result<Request, serde_json::Error> {
    let start = envelope_prefix(report)?.len();
    let data = body
        .get(start..body.len().saturating_sub(1))
        .ok_or_else(|| serde::de::Error::custom("a report body without its envelope"))?;
    serde_json::from_str::<&RawValue>(data)?;
    let items = report_rows(&body);
    Ok(Request {
        path: if report.kind == ReportKind::Queue.as_str() {
            report_path(ReportKind::Queue)
        } else {
            report_path(ReportKind::AgentActivity)
        },
        key: report.idempotency_key(),
        body,
        items,
    })
}

/// A report's envelope up to its `reportData` (`{"acdType":…,"revision":2,"reportData":`):
/// serialised by [`ReportRequest`] (whose last field it is), its data cut off.
fn envelope_prefix(report: &QueuedReport) -> Result<String, serde_json::Error> {
    let interval = Interval {
        start_ms: report.start_ms,
        end_ms: report.end_ms,
    };
    let mut envelope = serde_json::to_string(&ReportRequest::new(interval, report.revision, ()))?;
    let data_at = envelope
        .strip_suffix("null}")
        .map(str::len)
        .ok_or_else(|| serde::ser::Error::custom("reportData is not the envelope's last field"))?;
    envelope.truncate(data_at);
    Ok(envelope)
}

/// The WFM endpoint of a report, relative to `wfm.service_url`.
pub fn report_path(kind: ReportKind) -> &'static str {
    match kind {
        ReportKind::AgentActivity => "/reports/agent-activity",
        ReportKind::Queue => "/reports/queue",
    }
}

/// `POST /heartbeat`, keyed by connector and time.
pub fn heartbeat(beat: &Heartbeat<'_>, now_ms: crate::model::Millis) -> Request {
    let key = crate::ids::stable_id("HB", &[beat.connector_id, &now_ms.to_string()]);
    Request {
        path: "/heartbeat",
        key,
        // Plain strings and numbers only: serialising cannot fail.
        body: serde_json::to_string(beat).unwrap_or_default(),
        items: 1,
    }
}

/// The indexes a PARTIAL answer to a report may name: WFM names report rows (as its row
/// validation does), each section counted from 0, so an index must lie below the longest
/// section (`reportData` for agent activity; the three arrays of a queue report).
///
/// Counted while the body is read, without building it as a JSON tree: a report of 20,000
/// agents is megabytes of JSON, and its tree tens of megabytes (four of them in flight at once).
pub fn report_rows(body: &str) -> usize {
    serde_json::from_str::<Envelope>(body).map_or(0, |e| e.report_data.0)
}

/// The envelope's `reportData`, reduced to its longest array's length; every other key skipped.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "reportData", default)]
    report_data: Rows,
}

/// An array's length; for an object, the length of its longest array; anything else 0.
#[derive(Default)]
struct Rows(usize);

impl<'de> serde::Deserialize<'de> for Rows {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RowsVisitor { nested: false })
    }
}

/// Counts array items (skipping each unread); at the top of `reportData` an object's values are
/// counted too and the largest kept, below it they are skipped.
struct RowsVisitor {
    nested: bool,
}

/// A section inside `reportData`'s object: counted as an array, anything else 0.
struct Section(usize);

impl<'de> serde::Deserialize<'de> for Section {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RowsVisitor { nested: true })
            .map(|r| Section(r.0))
    }
}

impl<'de> serde::de::Visitor<'de> for RowsVisitor {
    type Value = Rows;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("report data")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Rows, A::Error> {
        let mut n = 0;
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Rows(n))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Rows, A::Error> {
        let mut longest = 0;
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            if self.nested {
                map.next_value::<serde::de::IgnoredAny>()?;
            } else {
                longest = longest.max(map.next_value::<Section>()?.0);
            }
        }
        Ok(Rows(longest))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_str<E>(self, _: &str) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_unit<E>(self) -> Result<Rows, E> {
        Ok(Rows(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgentState, AgentStateRecord};

    fn record(i: usize, state: AgentState) -> AgentStateRecord {
        AgentStateRecord {
            event_id: format!("E{i}"),
            worker_sid: format!("WK{i}"),
            agent_id: format!("A{i}"),
            state,
            reason_code: (state == AgentState::Unavailable).then(|| "Break".into()),
            media_type: None,
            state_start_ms: 1_795_600_800_000 + i as i64,
        }
    }

    #[test]
    fn agent_state_requests_have_the_contract_shape() {
        let states = StateBatch {
            kind: StateBatchKind::States,
            seqs: vec![1, 2],
            ids: vec!["E0".into(), "E1".into()],
            records: vec![
                record(0, AgentState::Available),
                record(1, AgentState::Unavailable),
            ],
            items: 2,
        };
        let request = agent_states(&states).unwrap();
        assert_eq!(request.path, "/agent-states");
        assert_eq!(request.key, states.batch_id());
        assert_eq!(request.items, 2);
        assert_eq!(
            request.body,
            format!(
                r#"{{"acdType":"TWILIO","batchId":"{}","isSnapshot":false,"agentStates":[{},{}]}}"#,
                states.batch_id(),
                r#"{"eventId":"E0","agentId":"A0","state":"Available","reasonCode":null,"mediaType":null,"stateStart":"2026-11-25T10:00:00.000Z","isLoggedOn":true}"#,
                r#"{"eventId":"E1","agentId":"A1","state":"Unavailable","reasonCode":"Break","mediaType":null,"stateStart":"2026-11-25T10:00:00.001Z","isLoggedOn":true}"#,
            )
        );
        let snapshot = StateBatch {
            kind: StateBatchKind::Snapshot,
            seqs: vec![3],
            ids: vec!["SNAP1".into()],
            records: vec![record(0, AgentState::LoggedOut)],
            items: 1,
        };
        let request = agent_states(&snapshot).unwrap();
        assert_eq!(request.items, 1);
        assert!(
            request.body.contains(r#""isSnapshot":true"#),
            "{}",
            request.body
        );
        assert!(
            request.body.contains(r#""isLoggedOn":false"#),
            "{}",
            request.body
        );
    }

    #[test]
    fn report_kinds_name_their_endpoints() {
        assert_eq!(
            report_path(ReportKind::AgentActivity),
            "/reports/agent-activity"
        );
        assert_eq!(report_path(ReportKind::Queue), "/reports/queue");
    }

    #[test]
    fn report_rows_count_the_longest_section() {
        assert_eq!(report_rows(r#"{"reportData":[{},{}]}"#), 2);
        assert_eq!(
            report_rows(
                r#"{"reportData":{"queueReport":[{}],"agentQueueReport":[{},{},{}],"agentSystemPerformanceReport":[]}}"#
            ),
            3
        );
        assert_eq!(report_rows(r#"{"reportData":[]}"#), 0);
        assert_eq!(report_rows("not json"), 0);
        // Other keys, nesting inside rows, and non-array sections do not count.
        assert_eq!(
            report_rows(
                r#"{"acdType":"TWILIO","revision":2,"reportData":[{"a":[1,2,3]},{"b":{"c":[]}}],"x":[1,2,3,4]}"#
            ),
            2
        );
        assert_eq!(
            report_rows(r#"{"reportData":{"queueReport":[[1,2],[3]],"note":"x","n":7,"z":null}}"#),
            2
        );
        assert_eq!(report_rows(r#"{"reportData":null}"#), 0);
        assert_eq!(report_rows(r#"{"revision":1}"#), 0);
    }
}
