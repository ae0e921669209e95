-- 复工备案: an enterprise's filing to resume, with its prevention plan and the five checks
-- (五个到位), approved or returned by the county. A returned filing is filed again as a new
-- row (the next round), so every round is kept. At most one filing per enterprise is
-- waiting or approved at a time.
--
-- Every row carries the enterprise's jurisdiction code, so that a scoped list is one index
-- range.

CREATE TABLE resumption_filings (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id         INTEGER NOT NULL REFERENCES enterprises (id),
    jurisdiction_code     TEXT NOT NULL REFERENCES jurisdictions (code),
    round                 INTEGER NOT NULL,
    previous_id           INTEGER REFERENCES resumption_filings (id),
    planned_on            TEXT NOT NULL,
    prevention_plan       TEXT NOT NULL,
    employees_planned     INTEGER NOT NULL,
    check_mechanism       BOOLEAN NOT NULL,
    check_mechanism_note  TEXT,
    check_screening       BOOLEAN NOT NULL,
    check_screening_note  TEXT,
    check_supplies        BOOLEAN NOT NULL,
    check_supplies_note   TEXT,
    check_management      BOOLEAN NOT NULL,
    check_management_note TEXT,
    check_publicity       BOOLEAN NOT NULL,
    check_publicity_note  TEXT,
    status                TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'returned')),
    decided_by            TEXT,
    decided_at            TEXT,
    decision_note         TEXT,
    created_by            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    UNIQUE (enterprise_id, round)
);
CREATE UNIQUE INDEX resumption_filings_open ON resumption_filings (enterprise_id)
    WHERE status IN ('submitted', 'approved');
CREATE INDEX resumption_filings_place ON resumption_filings (jurisdiction_code, id);
CREATE INDEX resumption_filings_status ON resumption_filings (status, jurisdiction_code, id);
