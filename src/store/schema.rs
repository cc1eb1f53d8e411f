//! Versioned schema migrations (`PRAGMA user_version`). Append a migration; never edit one that
//! has shipped.

/// Migration `i` moves the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // v1: the event log, derived state, outboxes, dead letters.
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- Raw ACD events as received (event_data kept verbatim), de-duplicated by sid.
CREATE TABLE acd_events (
    sid           TEXT PRIMARY KEY,
    event_type    TEXT NOT NULL,
    event_ms      INTEGER NOT NULL,
    worker_sid    TEXT,
    task_sid      TEXT,
    resource_sid  TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    data          TEXT NOT NULL,
    ingested_ms   INTEGER NOT NULL
);
CREATE INDEX acd_events_worker ON acd_events(worker_sid, event_ms, sid) WHERE worker_sid IS NOT NULL;
CREATE INDEX acd_events_time ON acd_events(event_ms);

-- One row per worker: its derivation state after the last event, its current effective state,
-- and the last state queued for real time (RTA).
CREATE TABLE workers (
    worker_sid     TEXT PRIMARY KEY,
    agent_id       TEXT NOT NULL,
    derivation     TEXT NOT NULL,
    last_ms        INTEGER NOT NULL,
    last_sid       TEXT NOT NULL,
    state          TEXT NOT NULL,
    reason         TEXT,
    media          TEXT,
    state_start_ms INTEGER NOT NULL,
    state_event_id TEXT NOT NULL,
    rta_ms         INTEGER,
    rta_event_id   TEXT,
    rta_state      TEXT,
    rta_reason     TEXT,
    rta_media      TEXT
) WITHOUT ROWID;

-- Effective-state segments; `checkpoint` is the worker's derivation state right after the event
-- that opened the segment (the point a late event re-derives from).
CREATE TABLE segments (
    worker_sid TEXT NOT NULL,
    start_ms   INTEGER NOT NULL,
    event_sid  TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    state      TEXT NOT NULL,
    reason     TEXT,
    media      TEXT,
    end_ms     INTEGER,
    checkpoint TEXT NOT NULL,
    PRIMARY KEY (worker_sid, start_ms, event_sid)
) WITHOUT ROWID;
CREATE INDEX segments_end ON segments(end_ms);
CREATE INDEX segments_open ON segments(start_ms) WHERE end_ms IS NULL;

CREATE TABLE tasks (
    task_sid TEXT PRIMARY KEY,
    ended_ms INTEGER,
    record   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX tasks_ended ON tasks(ended_ms);

CREATE TABLE reservations (
    reservation_sid TEXT PRIMARY KEY,
    task_sid        TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    outcome_ms      INTEGER,
    record          TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX reservations_task ON reservations(task_sid);
CREATE INDEX reservations_created ON reservations(created_ms);
CREATE INDEX reservations_outcome ON reservations(outcome_ms);

-- Real-time outbox: one row per agent-state item (kind 'state') or per snapshot (kind
-- 'snapshot', body = the whole item array). Delivered rows keep sent_ms until pruned.
CREATE TABLE state_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    sent_ms    INTEGER
);
CREATE INDEX state_outbox_pending ON state_outbox(seq) WHERE sent_ms IS NULL;
CREATE INDEX state_outbox_sent ON state_outbox(sent_ms) WHERE sent_ms IS NOT NULL;

-- Report outbox: one row per (kind, interval start, revision).
CREATE TABLE report_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    revision     INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    sent_ms      INTEGER,
    UNIQUE (kind, start_ms, revision)
);
CREATE INDEX report_outbox_pending ON report_outbox(id) WHERE sent_ms IS NULL;

CREATE TABLE dead_letters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    body       TEXT NOT NULL,
    error      TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
"#,
    // v2: where observed history begins. A buffer written before this version starts its
    // observation at its earliest real (not reconciled, `SN…`) event, so nothing it already
    // reported changes; a fresh buffer records it at its first poll.
    r#"
INSERT OR IGNORE INTO meta(key, value)
SELECT 'observed_from_ms', CAST(MIN(event_ms) AS TEXT) FROM acd_events
WHERE sid NOT LIKE 'SN%' HAVING COUNT(*) > 0;

-- Events dated too far in the future to derive (kept for the record, never derived).
CREATE TABLE quarantined_events (
    sid         TEXT PRIMARY KEY,
    event_type  TEXT NOT NULL,
    event_ms    INTEGER NOT NULL,
    data        TEXT NOT NULL,
    ingested_ms INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    // v3: the outboxes keep rows, not WFM JSON; the request bodies are built in `src/wfm` when
    // they are sent. A state row keeps its record's fields; a snapshot row's agents go to
    // `snapshot_items`, one row each; a report row keeps its `reportData` only (the envelope is
    // rebuilt from kind, interval and revision). Rows written before are converted here, to the
    // same values: `stateStart` back to milliseconds, the report envelope cut off its `reportData`.
    // A dead letter refers to its outbox row (which stays, marked sent, until the same retention
    // prunes both), so it keeps no copy of the body.
    r#"
ALTER TABLE state_outbox ADD COLUMN worker_sid TEXT;
ALTER TABLE state_outbox ADD COLUMN agent_id TEXT;
ALTER TABLE state_outbox ADD COLUMN state TEXT;
ALTER TABLE state_outbox ADD COLUMN reason_code TEXT;
ALTER TABLE state_outbox ADD COLUMN media_type TEXT;
ALTER TABLE state_outbox ADD COLUMN state_start_ms INTEGER;
UPDATE state_outbox SET
    worker_sid = '',
    agent_id = json_extract(body, '$.agentId'),
    state = json_extract(body, '$.state'),
    reason_code = json_extract(body, '$.reasonCode'),
    media_type = json_extract(body, '$.mediaType'),
    state_start_ms = CAST(strftime('%s', json_extract(body, '$.stateStart')) AS INTEGER) * 1000
        + CAST(substr(json_extract(body, '$.stateStart'), 21, 3) AS INTEGER)
WHERE kind = 'state';

-- The agents of a snapshot row (`snapshot_id` = its `event_id`), in the order they are sent.
CREATE TABLE snapshot_items (
    snapshot_id    TEXT NOT NULL,
    position       INTEGER NOT NULL,
    event_id       TEXT NOT NULL,
    worker_sid     TEXT NOT NULL,
    agent_id       TEXT NOT NULL,
    state          TEXT NOT NULL,
    reason_code    TEXT,
    media_type     TEXT,
    state_start_ms INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, position)
) WITHOUT ROWID;
INSERT INTO snapshot_items
SELECT o.event_id, CAST(j.key AS INTEGER), json_extract(j.value, '$.eventId'), '',
       json_extract(j.value, '$.agentId'), json_extract(j.value, '$.state'),
       json_extract(j.value, '$.reasonCode'), json_extract(j.value, '$.mediaType'),
       CAST(strftime('%s', json_extract(j.value, '$.stateStart')) AS INTEGER) * 1000
           + CAST(substr(json_extract(j.value, '$.stateStart'), 21, 3) AS INTEGER)
FROM state_outbox o, json_each(o.body) j WHERE o.kind = 'snapshot';
-- A pruned snapshot row takes its agents with it.
CREATE TRIGGER state_outbox_snapshot_items AFTER DELETE ON state_outbox WHEN old.kind = 'snapshot'
BEGIN
    DELETE FROM snapshot_items WHERE snapshot_id = old.event_id;
END;
ALTER TABLE state_outbox DROP COLUMN body;

ALTER TABLE report_outbox RENAME COLUMN body TO report_data;
UPDATE report_outbox SET report_data = substr(
    report_data,
    instr(report_data, '"reportData":') + 13,
    length(report_data) - instr(report_data, '"reportData":') - 13
);

ALTER TABLE dead_letters DROP COLUMN body;
"#,
    // v4: the log in time order with one index (issue 8). The key `(event_ms, sid)` de-duplicates
    // and serves every read by time; the sid, worker and time indexes go (keyed by sid or worker,
    // every page dirtied thousands of index pages). Tasks and reservations are rewritten in place
    // near the end of their tables; the real-time outbox loses its random unique index.
    r#"
-- Tasks and reservations in the order they were first written, so that rewriting a recent one
-- (every page of a catch-up rewrites thousands) dirties the last pages of the table, not a page
-- anywhere in it; the sid is a small unique index, written once per task.
-- `first_ms` (the task's earliest event) is where the log is read from when the task's events
-- are not in memory (the log has no index by task).
CREATE TABLE tasks_v4 (
    task_sid TEXT NOT NULL UNIQUE,
    ended_ms INTEGER,
    record   TEXT NOT NULL,
    first_ms INTEGER NOT NULL
);
INSERT INTO tasks_v4 (task_sid, ended_ms, record, first_ms)
SELECT t.task_sid, t.ended_ms, t.record,
       COALESCE((SELECT MIN(e.event_ms) FROM acd_events e WHERE e.task_sid = t.task_sid), 0)
FROM tasks t;
DROP TABLE tasks;
ALTER TABLE tasks_v4 RENAME TO tasks;
CREATE INDEX tasks_ended ON tasks(ended_ms);
CREATE TABLE reservations_v4 (
    reservation_sid TEXT NOT NULL UNIQUE,
    task_sid        TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    outcome_ms      INTEGER,
    record          TEXT NOT NULL
);
INSERT INTO reservations_v4 (reservation_sid, task_sid, created_ms, outcome_ms, record)
SELECT reservation_sid, task_sid, created_ms, outcome_ms, record FROM reservations ORDER BY created_ms;
DROP TABLE reservations;
ALTER TABLE reservations_v4 RENAME TO reservations;
CREATE INDEX reservations_created ON reservations(created_ms);
CREATE INDEX reservations_outcome ON reservations(outcome_ms);

CREATE TABLE acd_events_v4 (
    seq           INTEGER PRIMARY KEY,
    sid           TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    event_ms      INTEGER NOT NULL,
    worker_sid    TEXT,
    task_sid      TEXT,
    resource_sid  TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    data          TEXT NOT NULL,
    ingested_ms   INTEGER NOT NULL
);
INSERT INTO acd_events_v4
    (sid, event_type, event_ms, worker_sid, task_sid, resource_sid, resource_type, data, ingested_ms)
SELECT sid, event_type, event_ms, worker_sid, task_sid, resource_sid, resource_type, data, ingested_ms
FROM acd_events ORDER BY event_ms, sid;
DROP TABLE acd_events;
ALTER TABLE acd_events_v4 RENAME TO acd_events;
CREATE UNIQUE INDEX acd_events_time ON acd_events(event_ms, sid);
DROP INDEX segments_open;

-- The real-time outbox without a unique index on `event_id` (random ids: each state dirtied a
-- page of it). A state is queued once by construction (only new events and one correction per
-- re-derivation derive one); a snapshot id stays unique; a dead letter names its row's `seq`.
CREATE TABLE state_outbox_v4 (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    sent_ms        INTEGER,
    worker_sid     TEXT,
    agent_id       TEXT,
    state          TEXT,
    reason_code    TEXT,
    media_type     TEXT,
    state_start_ms INTEGER
);
INSERT INTO state_outbox_v4
    (seq, event_id, kind, created_ms, sent_ms, worker_sid, agent_id, state, reason_code, media_type, state_start_ms)
SELECT seq, event_id, kind, created_ms, sent_ms, worker_sid, agent_id, state, reason_code, media_type, state_start_ms
FROM state_outbox;
DROP TABLE state_outbox;
ALTER TABLE state_outbox_v4 RENAME TO state_outbox;
CREATE INDEX state_outbox_pending ON state_outbox(seq) WHERE sent_ms IS NULL;
CREATE INDEX state_outbox_sent ON state_outbox(sent_ms) WHERE sent_ms IS NOT NULL;
CREATE UNIQUE INDEX state_outbox_snapshot ON state_outbox(event_id) WHERE kind = 'snapshot';
CREATE TRIGGER state_outbox_snapshot_items AFTER DELETE ON state_outbox WHEN old.kind = 'snapshot'
BEGIN
    DELETE FROM snapshot_items WHERE snapshot_id = old.event_id;
END;
ALTER TABLE dead_letters ADD COLUMN outbox_seq INTEGER;
UPDATE dead_letters SET outbox_seq =
    (SELECT MAX(seq) FROM state_outbox o WHERE o.event_id = dead_letters.item_id)
WHERE kind IN ('state', 'snapshot');
"#,
    // v5: segments in the order they close (issue 8). Keyed by worker, every page rewrote a page
    // of the table per worker; now a closed segment is appended once, and the open one lives in
    // its worker's row (`seg_*`, beside the state it opened with). `segments` is a view of both,
    // for readers.
    r#"
CREATE TABLE segment_log (
    worker_sid TEXT NOT NULL,
    start_ms   INTEGER NOT NULL,
    event_sid  TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    state      TEXT NOT NULL,
    reason     TEXT,
    media      TEXT,
    end_ms     INTEGER NOT NULL,
    checkpoint TEXT NOT NULL
);
INSERT INTO segment_log
    (worker_sid, start_ms, event_sid, agent_id, state, reason, media, end_ms, checkpoint)
SELECT worker_sid, start_ms, event_sid, agent_id, state, reason, media, end_ms, checkpoint
FROM segments WHERE end_ms IS NOT NULL ORDER BY end_ms, worker_sid, start_ms, event_sid;
CREATE INDEX segment_log_end ON segment_log(end_ms);
ALTER TABLE workers ADD COLUMN seg_agent_id TEXT;
ALTER TABLE workers ADD COLUMN seg_checkpoint TEXT;
UPDATE workers SET (state_start_ms, state_event_id, state, reason, media, seg_agent_id, seg_checkpoint) =
    (SELECT s.start_ms, s.event_sid, s.state, s.reason, s.media, s.agent_id, s.checkpoint
     FROM segments s WHERE s.worker_sid = workers.worker_sid AND s.end_ms IS NULL
     ORDER BY s.start_ms DESC, s.event_sid DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM segments s WHERE s.worker_sid = workers.worker_sid AND s.end_ms IS NULL);
DROP TABLE segments;
CREATE VIEW segments AS
    SELECT worker_sid, start_ms, event_sid, agent_id, state, reason, media, end_ms, checkpoint
    FROM segment_log
    UNION ALL
    SELECT worker_sid, state_start_ms, state_event_id, seg_agent_id, state, reason, media, NULL,
           seg_checkpoint
    FROM workers WHERE seg_checkpoint IS NOT NULL;
"#,
    // v6: a report's `reportData` in a table of its own, keyed by the report's id (issue 8).
    // Marking a report sent rewrote its whole row, megabytes of data at 20,000 agents (SQLite
    // copies every column of a row it updates); now it rewrites a few dozen bytes. A pruned
    // report takes its data with it.
    r#"
CREATE TABLE report_data (
    report_id INTEGER PRIMARY KEY,
    data      TEXT NOT NULL
);
INSERT INTO report_data (report_id, data) SELECT id, report_data FROM report_outbox ORDER BY id;
ALTER TABLE report_outbox DROP COLUMN report_data;
CREATE TRIGGER report_outbox_data AFTER DELETE ON report_outbox
BEGIN
    DELETE FROM report_data WHERE report_id = old.id;
END;
"#,
];

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
