-- What happened at a place that channels carry besides tickets: a hand-over overdue, a grid's
-- daily report missing at its deadline, a fever at a checkpoint, a stock running short, the
-- daily briefing. Each is written once, under a key naming the record and the day (a
-- second pass of the scheduler, or a second instance, writes nothing), with its message
-- and the path of the record.
CREATE TABLE channel_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key  TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    place_code TEXT NOT NULL,
    message    TEXT NOT NULL,
    path       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX channel_events_place ON channel_events (place_code, id);

-- A delivery carries a notice or a place's event: the outbox is made anew with the notice
-- optional (the rows are copied in their order; the ids are given anew).
CREATE TABLE webhook_deliveries_next (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id),
    notice_id       INTEGER REFERENCES notices (id),
    event_id        INTEGER REFERENCES channel_events (id),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL,
    send_id         INTEGER REFERENCES channel_sends (id),
    UNIQUE (webhook_id, notice_id),
    UNIQUE (webhook_id, event_id)
);
INSERT INTO webhook_deliveries_next (webhook_id, notice_id, body, status, attempts, next_attempt_at,
    lease_until, last_status, last_error, delivered_at, created_at, send_id)
    SELECT webhook_id, notice_id, body, status, attempts, next_attempt_at, lease_until, last_status,
        last_error, delivered_at, created_at, send_id FROM webhook_deliveries ORDER BY id;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_next RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
