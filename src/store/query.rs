//! Reads of the derived log: current agent states (snapshots) and, for reports, the segments,
//! tasks and reservations of an interval.

use super::{Store, StoreError};
use crate::model::{AgentState, AgentStateRecord, Millis, Segment};

impl Store {
    /// Every known agent's current effective state (for snapshots), ordered by worker sid.
    pub fn current_states(&self) -> Result<Vec<AgentStateRecord>, StoreError> {
        let mut states = Vec::new();
        self.each_current_state(|r| {
            states.push(r);
            Ok(())
        })?;
        Ok(states)
    }

    /// [`Store::current_states`] one at a time, without holding them all (a snapshot of 20,000
    /// agents is written as it is read).
    pub fn each_current_state(
        &self,
        mut f: impl FnMut(AgentStateRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT worker_sid, agent_id, state, reason, media, state_start_ms, state_event_id
                 FROM workers ORDER BY worker_sid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let state: String = r.get(2)?;
                Ok(AgentStateRecord {
                    worker_sid: r.get(0)?,
                    agent_id: r.get(1)?,
                    state: AgentState::parse(&state).unwrap_or(AgentState::LoggedOut),
                    reason_code: r.get(3)?,
                    media_type: r.get(4)?,
                    state_start_ms: r.get(5)?,
                    event_id: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            f(row.map_err(|e| self.err(e))?)?;
        }
        Ok(())
    }

    /// Segments that overlap `[from, to)` (open ones included), ordered by worker and start.
    pub fn segments_overlapping(
        &self,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Segment>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                // The two halves of the `segments` view, each by its own key: closed segments
                // by their end (`segment_log_end`), open ones from the workers' rows.
                "SELECT worker_sid, agent_id, state, reason, media, start_ms, end_ms, event_sid
                 FROM segment_log WHERE end_ms > ?1 AND start_ms < ?2
                 UNION ALL
                 SELECT worker_sid, seg_agent_id, state, reason, media, state_start_ms, NULL,
                        state_event_id
                 FROM workers WHERE seg_checkpoint IS NOT NULL AND state_start_ms < ?2
                 ORDER BY 1, 6, 8",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([from, to], |r| {
                let state: String = r.get(2)?;
                Ok(Segment {
                    worker_sid: r.get(0)?,
                    agent_id: r.get(1)?,
                    state: AgentState::parse(&state).unwrap_or(AgentState::LoggedOut),
                    reason_code: r.get(3)?,
                    media_type: r.get(4)?,
                    start_ms: r.get(5)?,
                    end_ms: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }
}

impl Store {
    /// Per worker: the time of the last event folded and the current Activity sid (for
    /// reconciliation with the Workers list).
    pub fn worker_positions(
        &self,
    ) -> Result<std::collections::HashMap<String, (Millis, Option<String>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT worker_sid, last_ms, json_extract(derivation, '$.as') FROM workers",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }
}
