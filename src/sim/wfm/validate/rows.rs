//! The rows of the two reports (SPEC §5): required keys present with the right JSON types. Row
//! values are not cross-checked (totals, sums): the simulator stores the body as received and the
//! tests compare it with what they expect.

use super::{Fields, code};
use crate::model::Millis;

/// `reportData[i]` of the agent activity report: a segment that ended in the interval.
pub fn agent_activity(f: &mut Fields<'_, '_>, start_ms: Millis, end_ms: Millis) {
    f.string("agentId");
    f.state("state");
    f.nullable_string("reasonCode", false);
    f.media_type("mediaType", false);
    let start = f.timestamp("start");
    let end = f.timestamp("end");
    f.seconds("durationSec");
    if let (Some((_, seg_start)), Some((_, seg_end))) = (start, end) {
        if seg_end < seg_start {
            f.fail("end", code::INCONSISTENT, "end is before start".to_owned());
        } else if seg_end < start_ms || seg_end > end_ms {
            // An activity is reported in the interval in which it completes (SPEC §1, §5).
            f.fail(
                "end",
                code::OUT_OF_INTERVAL,
                "the segment did not end within [startDate, endDate]".to_owned(),
            );
        }
    }
}

/// `reportData.queueReport[i]`: one (queue, media type).
pub fn queue(f: &mut Fields<'_, '_>) {
    f.string("queueId");
    f.string("queueName");
    f.media_type("mediaType", true);
    for key in [
        "offered",
        "handled",
        "abandoned",
        "shortAbandoned",
        "answeredInSl",
        "abandonedInSl",
        "slThresholdSec",
    ] {
        f.count(key);
    }
    for key in [
        "totalWaitSec",
        "totalAnswerWaitSec",
        "maxWaitSec",
        "totalTalkSec",
        "totalAcwSec",
        "totalHandleSec",
    ] {
        f.seconds(key);
    }
}

/// `reportData.agentQueueReport[i]`: one (agent, queue, media type).
pub fn agent_queue(f: &mut Fields<'_, '_>) {
    f.string("agentId");
    f.string("queueId");
    f.media_type("mediaType", true);
    f.count("handled");
    f.count("transfersOut");
    for key in ["totalTalkSec", "totalAcwSec", "totalHandleSec"] {
        f.seconds(key);
    }
}

/// `reportData.agentSystemPerformanceReport[i]`: one agent, time clipped to the interval.
pub fn agent_system_performance(f: &mut Fields<'_, '_>) {
    f.string("agentId");
    for key in [
        "loggedInSec",
        "availableSec",
        "reservedSec",
        "onContactSec",
        "acwSec",
        "unavailableSec",
    ] {
        f.seconds(key);
    }
    f.seconds_by_key("unavailableByReason");
    for key in [
        "reservationsOffered",
        "reservationsAccepted",
        "reservationsRejected",
        "reservationsTimedOut",
    ] {
        f.count(key);
    }
}
