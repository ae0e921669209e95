-- The jurisdiction tree, accounts, sessions and the audit log.

CREATE TABLE jurisdictions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 6),
    parent_code TEXT REFERENCES jurisdictions (code),
    created_at  TEXT
);
CREATE INDEX jurisdictions_parent ON jurisdictions (parent_code, code);
CREATE INDEX jurisdictions_name ON jurisdictions (name);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    username            TEXT NOT NULL UNIQUE,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    jurisdiction_code   TEXT NOT NULL REFERENCES jurisdictions (code),
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        TEXT,
    disabled            BOOLEAN NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);
CREATE INDEX users_jurisdiction ON users (jurisdiction_code);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    csrf_token   TEXT NOT NULL,
    source_addr  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    at                TEXT NOT NULL,
    user_id           INTEGER,
    username          TEXT NOT NULL,
    roles             TEXT NOT NULL,
    action            TEXT NOT NULL,
    target_kind       TEXT NOT NULL,
    target_id         TEXT NOT NULL,
    jurisdiction_code TEXT,
    source_addr       TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    detail            TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_jurisdiction ON audit_log (jurisdiction_code, at);

-- The audit log is append-only: the product never changes or removes a row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
