-- A second factor at login: a TOTP authenticator (RFC 6238) per account, with one-time
-- recovery codes (only their hashes), and what each session proved.
CREATE TABLE user_totp (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    -- Unset while the account is enrolling (the code from the app not confirmed yet).
    confirmed_at TEXT,
    -- The last time step a code was accepted for: a code is good once.
    last_step    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TEXT
);
CREATE INDEX user_recovery_codes_user ON user_recovery_codes (user_id);

-- 'none': no second factor asked; 'verified': given at login; 'enrol': the account's roles
-- require one it has not set up, and the session may only set it up.
ALTER TABLE sessions ADD COLUMN second_factor TEXT NOT NULL DEFAULT 'none';
