-- The audit log's seals: a hash chain over the log, kept beside it. Each seal is an HMAC-SM3,
-- under a key held outside the database, over one audit row and the seal before it; rows are
-- sealed in the order the sealer finds them committed (`seq`), shortly after their commit.
-- An audit row changed or removed after its seal, or a seal changed or removed, breaks the
-- chain at that point (`dualtrack audit verify`). Like the log, seals are only ever inserted.
CREATE TABLE audit_seals (
    seq       INTEGER PRIMARY KEY,
    audit_id  INTEGER NOT NULL UNIQUE,
    key_id    TEXT NOT NULL,
    mac       TEXT NOT NULL,
    sealed_at TEXT NOT NULL
);

CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
