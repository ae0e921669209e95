-- Password rules of 等级保护: a password set by an administrator (a new account, a reset)
-- must be changed at the next login; the last passwords of an account may not come back.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE password_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    replaced_at   TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, id);
