//! Runs of WFM answers that are not a delivery (SPEC §6: a `200` with an empty body, `{}`, not
//! JSON, an unknown status, a PARTIAL outside the request). Each one is a failed attempt (retried,
//! warned about, counted in `wfm_bad_answers`); [`NOT_READY_AFTER`] of them in a row on one
//! stream — agent states, reports or heartbeats — fail `/readyz` until that stream gets a real
//! answer again. Per stream, so a good report answer does not hide a states stream stuck on
//! garbage.

use crate::wfm::{Delivery, WfmError};
use std::sync::atomic::{AtomicU32, Ordering};

/// Bad answers in a row on one stream after which `/readyz` fails.
pub const NOT_READY_AFTER: u32 = 3;

/// The three request streams to WFM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    States = 0,
    Reports = 1,
    Heartbeat = 2,
}

impl Stream {
    /// The stream of a request path.
    pub fn of(path: &str) -> Stream {
        if path.starts_with("/reports/") {
            Stream::Reports
        } else if path == "/heartbeat" {
            Stream::Heartbeat
        } else {
            Stream::States
        }
    }
}

/// Bad answers in a row, per stream.
#[derive(Debug, Default)]
pub struct BadAnswerRuns([AtomicU32; 3]);

impl BadAnswerRuns {
    /// Takes note of one attempt's outcome: a real answer ends the stream's run, a bad answer
    /// lengthens it, other failures (outage, 5xx…) leave it as it is.
    pub fn note(&self, stream: Stream, outcome: &Result<Delivery, WfmError>) {
        let run = &self.0[stream as usize];
        match outcome {
            Ok(_) => run.store(0, Ordering::Relaxed),
            Err(WfmError::BadAnswer { .. }) => {
                run.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {}
        }
    }

    /// The current run of one stream.
    pub fn run(&self, stream: Stream) -> u32 {
        self.0[stream as usize].load(Ordering::Relaxed)
    }

    /// Some stream has had [`NOT_READY_AFTER`] bad answers in a row.
    pub fn failing(&self) -> bool {
        self.0
            .iter()
            .any(|r| r.load(Ordering::Relaxed) >= NOT_READY_AFTER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad() -> Result<Delivery, WfmError> {
        Err(WfmError::BadAnswer {
            path: "/agent-states".into(),
            status: 200,
            reason: "an empty body".into(),
            body: String::new(),
        })
    }

    #[test]
    fn three_in_a_row_on_one_stream_fail_until_a_real_answer() {
        let runs = BadAnswerRuns::default();
        runs.note(Stream::States, &bad());
        runs.note(Stream::States, &bad());
        // Other failures neither end nor lengthen the run; other streams do not end it.
        runs.note(Stream::States, &Err(WfmError::Transport("reset".into())));
        runs.note(Stream::Reports, &Ok(Delivery::Accepted));
        assert!(!runs.failing());
        runs.note(Stream::States, &bad());
        assert!(runs.failing());
        assert_eq!(runs.run(Stream::States), 3);
        runs.note(Stream::States, &Ok(Delivery::Rejected("HTTP 400".into())));
        assert!(!runs.failing());
    }

    #[test]
    fn paths_map_to_streams() {
        assert_eq!(Stream::of("/agent-states"), Stream::States);
        assert_eq!(Stream::of("/reports/queue"), Stream::Reports);
        assert_eq!(Stream::of("/heartbeat"), Stream::Heartbeat);
    }
}
