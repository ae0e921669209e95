-- Audit retention: rows older than the retention period leave the database only through a
-- signed archive file. Each archive run writes one file holding a stretch of the chain (its
-- rows and their seals, in seal order from the start of what is left) and records it here;
-- only then are those rows and seals removed. `mac` is an HMAC-SM3 under the audit key over
-- this row's fields, so that an archive row made with the database alone is caught by
-- `dualtrack audit verify`. Like the log, archive records are only ever inserted.
CREATE TABLE audit_archives (
    id             BIGSERIAL PRIMARY KEY,
    file_name      TEXT NOT NULL,
    file_sm3       TEXT NOT NULL,
    first_seq      BIGINT NOT NULL UNIQUE,
    last_seq       BIGINT NOT NULL UNIQUE,
    first_audit_id BIGINT NOT NULL,
    last_audit_id  BIGINT NOT NULL,
    first_mac      TEXT NOT NULL,
    last_mac       TEXT NOT NULL,
    rows           BIGINT NOT NULL,
    key_id         TEXT NOT NULL,
    made_at        TIMESTAMPTZ NOT NULL,
    mac            TEXT NOT NULL,
    CHECK (last_seq >= first_seq)
);

CREATE TRIGGER audit_archives_no_change BEFORE UPDATE OR DELETE ON audit_archives
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The log and its seals stay append-only, with one exception: a row whose seal lies in a
-- recorded archive's stretch may be removed (the row first, then its seal).
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_seals s JOIN audit_archives r
            ON s.seq BETWEEN r.first_seq AND r.last_seq WHERE s.audit_id = OLD.id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
DROP TRIGGER audit_log_no_change ON audit_log;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

CREATE FUNCTION audit_seals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND EXISTS (SELECT 1 FROM audit_archives r WHERE OLD.seq BETWEEN r.first_seq AND r.last_seq)
       AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.id = OLD.audit_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_seals is append-only';
END;
$$;
DROP TRIGGER audit_seals_no_change ON audit_seals;
CREATE TRIGGER audit_seals_no_change BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_guard();
