-- The file an event sends besides its message: the daily briefing's Word document, to the
-- group robots that take files (企业微信 / 政务微信), kept with its event so that a retry
-- sends the same document.
CREATE TABLE channel_files (
    event_id  BIGINT PRIMARY KEY REFERENCES channel_events (id),
    file_name TEXT NOT NULL,
    bytes     BYTEA NOT NULL
);

-- Where the scheduler's search for events at places stopped, so that a round reads only what
-- is new: the time up to which due times were looked at, the last row looked at, the last
-- day checked.
CREATE TABLE scheduler_marks (
    name    TEXT PRIMARY KEY,
    at      TIMESTAMPTZ,
    last_id BIGINT NOT NULL DEFAULT 0,
    day     DATE
);

-- The hand-overs still pending by their due time: what comes due since the last round.
CREATE INDEX handovers_pending_due ON handovers (due_at) WHERE status = 'pending';
