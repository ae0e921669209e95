-- Whistle and report-back (吹哨报到).
--
-- departments: the functional departments tickets call (格尔木市卫健委 …), each with the
-- place it answers for; a dept_responder account belongs to one (department_members).
-- routing_rules: by category and place (the rule of the nearest place above the ticket's
-- wins), the departments a ticket calls.
-- tickets: kind, category, place, who raised it and from which record, the deadlines, the
-- level currently supervising it (level_code, climbing on escalation), the status and the
-- whistler's rating. ticket_calls: each called department's report-back (accept, resolve).
-- ticket_events: the timeline. ticket_escalations: one row per step, keyed (ticket, step),
-- so that of several scheduler instances sharing the database only one records a step.
-- ticket_attachments: photos and documents, kept in the database so that the database
-- backup holds them and every instance sees them.
-- notices: the inbox of a user, a department or a place; webhooks and webhook_deliveries:
-- the outbox of notices to forward, written in the transaction of the notice, delivered with
-- retries by the scheduler. scheduler_leases: which instance runs the scheduler now.

CREATE TABLE departments (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    duty              TEXT NOT NULL DEFAULT '',
    phone             TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (jurisdiction_code, name)
);

CREATE TABLE department_members (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    created_at    TEXT NOT NULL
);
CREATE INDEX department_members_department ON department_members (department_id);

CREATE TABLE routing_rules (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    category          TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    department_id     INTEGER NOT NULL REFERENCES departments (id),
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (category, jurisdiction_code, department_id)
);
CREATE INDEX routing_rules_place ON routing_rules (jurisdiction_code, category);

CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL,
    category          TEXT NOT NULL,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    address           TEXT NOT NULL DEFAULT '',
    raiser_kind       TEXT NOT NULL,
    raiser_name       TEXT NOT NULL,
    source_kind       TEXT,
    source_id         INTEGER,
    enterprise_id     INTEGER REFERENCES enterprises (id),
    org_id            INTEGER REFERENCES organisations (id),
    status            TEXT NOT NULL,
    level_code        TEXT NOT NULL,
    escalations       INTEGER NOT NULL DEFAULT 0,
    accept_due_at     TEXT NOT NULL,
    resolve_due_at    TEXT NOT NULL,
    raised_by         TEXT NOT NULL,
    raised_by_user    INTEGER,
    raised_at         TEXT NOT NULL,
    resolved_at       TEXT,
    closed_at         TEXT,
    rating            INTEGER,
    feedback          TEXT,
    reopened          INTEGER NOT NULL DEFAULT 0,
    updated_at        TEXT NOT NULL
);
CREATE INDEX tickets_place ON tickets (jurisdiction_code, id);
CREATE INDEX tickets_raised ON tickets (raised_at);
CREATE INDEX tickets_level ON tickets (level_code, status);
CREATE INDEX tickets_source ON tickets (source_kind, source_id);
CREATE INDEX tickets_live ON tickets (status, id) WHERE status IN ('open', 'working');

CREATE TABLE ticket_calls (
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    routed        BOOLEAN NOT NULL,
    status        TEXT NOT NULL,
    called_at     TEXT NOT NULL,
    accept_due_at TEXT NOT NULL,
    accepted_at   TEXT,
    accepted_by   TEXT,
    resolved_at   TEXT,
    resolved_by   TEXT,
    resolution    TEXT,
    PRIMARY KEY (ticket_id, department_id)
);
CREATE INDEX ticket_calls_department ON ticket_calls (department_id, status);

CREATE TABLE ticket_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id),
    at            TEXT NOT NULL,
    event         TEXT NOT NULL,
    department_id INTEGER,
    actor         TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE ticket_escalations (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    step       INTEGER NOT NULL,
    from_code  TEXT NOT NULL,
    to_code    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (ticket_id, step)
);

CREATE TABLE ticket_attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, id);

CREATE TABLE notices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id         INTEGER NOT NULL REFERENCES tickets (id),
    event             TEXT NOT NULL,
    message           TEXT NOT NULL,
    user_id           INTEGER REFERENCES users (id),
    department_id     INTEGER REFERENCES departments (id),
    jurisdiction_code TEXT,
    place_code        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    read_at           TEXT,
    read_by           TEXT
);
CREATE INDEX notices_user ON notices (user_id, id);
CREATE INDEX notices_department ON notices (department_id, id);
CREATE INDEX notices_place ON notices (jurisdiction_code, id);

CREATE TABLE webhooks (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    department_id     INTEGER REFERENCES departments (id),
    name              TEXT NOT NULL,
    url               TEXT NOT NULL,
    secret            TEXT NOT NULL,
    active            BOOLEAN NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX webhooks_place ON webhooks (jurisdiction_code);
CREATE INDEX webhooks_department ON webhooks (department_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id),
    notice_id       INTEGER NOT NULL REFERENCES notices (id),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (webhook_id, notice_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

CREATE TABLE scheduler_leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);
