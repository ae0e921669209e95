-- Quarantine and health monitoring (隔离与健康监测): cases with the people responsible for
-- each person, follow-ups, alerts to the responsible people, and a per-day rollup.
--
-- A case carries the code of the grid or village that owns it (a scoped list is one index
-- range) and, kept in the transaction of every follow-up, when the last one was and when the
-- next is due; an active case whose next_due_at has passed is overdue, and the partial index
-- on active cases serves "overdue in my scope".
--
-- monitoring_days holds deltas: +1 started on a case's start day, +1 released on its release
-- day, at county (6 digits, level 6) and township (9 digits, level 9) level, written in the
-- transaction of the case's change. People under monitoring in a place as of D are
-- Σ started − Σ released over the days up to D.

CREATE TABLE monitoring_cases (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    kind               TEXT NOT NULL,
    name               TEXT NOT NULL,
    id_number          TEXT NOT NULL,
    phone              TEXT,
    screened_person_id INTEGER,
    traveller_id       INTEGER,
    jurisdiction_code  TEXT NOT NULL,
    place              TEXT NOT NULL,
    reason             TEXT NOT NULL,
    last_exposure      TEXT NOT NULL,
    start_date         TEXT NOT NULL,
    planned_end        TEXT NOT NULL,
    status             TEXT NOT NULL,
    last_followup_at   TEXT,
    next_due_at        TEXT NOT NULL,
    referral_clinic    TEXT,
    referred_at        TEXT,
    released_on        TEXT,
    released_by        TEXT,
    release_reason     TEXT,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX monitoring_cases_place ON monitoring_cases (jurisdiction_code, id);
CREATE INDEX monitoring_cases_due ON monitoring_cases (jurisdiction_code, next_due_at)
    WHERE status = 'active';
CREATE INDEX monitoring_cases_id_number ON monitoring_cases (id_number);

CREATE TABLE monitoring_responsible (
    case_id   INTEGER NOT NULL REFERENCES monitoring_cases (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people (id),
    duty      TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX monitoring_responsible_person ON monitoring_responsible (person_id);

CREATE TABLE monitoring_followups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES monitoring_cases (id) ON DELETE CASCADE,
    followed_at  TEXT NOT NULL,
    temperature  INTEGER NOT NULL,
    symptoms     TEXT NOT NULL,
    abnormal     BOOLEAN NOT NULL,
    note         TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX monitoring_followups_case ON monitoring_followups (case_id, followed_at);

CREATE TABLE monitoring_alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES monitoring_cases (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    followup_id INTEGER,
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX monitoring_alerts_case ON monitoring_alerts (case_id, id);
CREATE INDEX monitoring_alerts_person ON monitoring_alerts (person_id, id);

CREATE TABLE monitoring_days (
    level    INTEGER NOT NULL,
    place    TEXT NOT NULL,
    kind     TEXT NOT NULL,
    day      TEXT NOT NULL,
    started  INTEGER NOT NULL,
    released INTEGER NOT NULL,
    PRIMARY KEY (level, place, kind, day)
) WITHOUT ROWID;
