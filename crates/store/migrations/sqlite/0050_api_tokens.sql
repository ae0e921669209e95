-- API tokens: made by a logged-in account (with its second factor) for a program to call the
-- API as that account, narrower: a name, a scope ('read': GET only; 'write': all the
-- account may do), optionally a subtree of the account's jurisdiction, and an expiry. Only
-- the SHA-256 of the secret is kept, with its first characters to tell tokens apart.
CREATE TABLE api_tokens (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    token_hash        TEXT NOT NULL UNIQUE,
    token_prefix      TEXT NOT NULL,
    scope             TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    -- Unset: the account's whole jurisdiction (as it is when the token is used).
    jurisdiction_code TEXT,
    created_at        TEXT NOT NULL,
    expires_at        TEXT NOT NULL,
    last_used_at      TEXT,
    revoked_at        TEXT
);
-- A name is the account's own among its tokens not revoked.
CREATE UNIQUE INDEX api_tokens_user_name ON api_tokens (user_id, name) WHERE revoked_at IS NULL;
