-- Audit retention: rows older than the retention period leave the database only through a
-- signed archive file. Each archive run writes one file holding a stretch of the chain (its
-- rows and their seals, in seal order from the start of what is left) and records it here;
-- only then are those rows and seals removed. `mac` is an HMAC-SM3 under the audit key over
-- this row's fields, so that an archive row made with the database alone is caught by
-- `dualtrack audit verify`. Like the log, archive records are only ever inserted.
CREATE TABLE audit_archives (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name      TEXT NOT NULL,
    file_sm3       TEXT NOT NULL,
    first_seq      INTEGER NOT NULL UNIQUE,
    last_seq       INTEGER NOT NULL UNIQUE,
    first_audit_id INTEGER NOT NULL,
    last_audit_id  INTEGER NOT NULL,
    first_mac      TEXT NOT NULL,
    last_mac       TEXT NOT NULL,
    rows           INTEGER NOT NULL,
    key_id         TEXT NOT NULL,
    made_at        TEXT NOT NULL,
    mac            TEXT NOT NULL,
    CHECK (last_seq >= first_seq)
);

CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
BEGIN
    SELECT RAISE(ABORT, 'audit_archives is append-only');
END;
CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
BEGIN
    SELECT RAISE(ABORT, 'audit_archives is append-only');
END;

-- The log and its seals stay append-only, with one exception: a row whose seal lies in a
-- recorded archive's stretch may be removed (the row first, then its seal).
-- (The update triggers are made again as they were, as PostgreSQL's one trigger a table is.)
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
DROP TRIGGER audit_seals_no_update;
CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_seals s JOIN audit_archives r
                 ON s.seq BETWEEN r.first_seq AND r.last_seq WHERE s.audit_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

DROP TRIGGER audit_seals_no_delete;
CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals
WHEN NOT EXISTS (SELECT 1 FROM audit_archives r WHERE OLD.seq BETWEEN r.first_seq AND r.last_seq)
     OR EXISTS (SELECT 1 FROM audit_log a WHERE a.id = OLD.audit_id)
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
