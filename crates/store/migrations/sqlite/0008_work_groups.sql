-- Work groups stationed in enterprises: which group is stationed where and when, the
-- visits its cadres make (who went, which of the five checks were in place, what they
-- found), and the production problems raised with the enterprises. A problem keeps a place
-- for the ticket the whistle (吹哨) feature will open for it.
--
-- Every row carries the enterprise's jurisdiction code, so that a scoped list is one index
-- range.

CREATE TABLE work_group_assignments (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES organisations (id),
    enterprise_id     INTEGER NOT NULL REFERENCES enterprises (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    from_on           TEXT NOT NULL,
    until_on          TEXT,
    note              TEXT NOT NULL,
    assigned_by       TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX work_group_assignments_group ON work_group_assignments (org_id, from_on);
CREATE INDEX work_group_assignments_enterprise ON work_group_assignments (enterprise_id, from_on);
CREATE INDEX work_group_assignments_place ON work_group_assignments (jurisdiction_code, id);

CREATE TABLE enterprise_visits (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            INTEGER NOT NULL REFERENCES organisations (id),
    enterprise_id     INTEGER NOT NULL REFERENCES enterprises (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    visited_on        TEXT NOT NULL,
    check_mechanism   BOOLEAN NOT NULL,
    check_staff       BOOLEAN NOT NULL,
    check_facilities  BOOLEAN NOT NULL,
    check_management  BOOLEAN NOT NULL,
    check_publicity   BOOLEAN NOT NULL,
    findings          TEXT NOT NULL,
    recorded_by       TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX enterprise_visits_enterprise ON enterprise_visits (enterprise_id, visited_on);
CREATE INDEX enterprise_visits_group ON enterprise_visits (org_id, visited_on);
CREATE INDEX enterprise_visits_place ON enterprise_visits (jurisdiction_code, visited_on);

CREATE TABLE enterprise_visit_people (
    visit_id  INTEGER NOT NULL REFERENCES enterprise_visits (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (visit_id, person_id)
);
CREATE INDEX enterprise_visit_people_person ON enterprise_visit_people (person_id);

CREATE TABLE production_problems (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id     INTEGER NOT NULL REFERENCES enterprises (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    org_id            INTEGER REFERENCES organisations (id),
    visit_id          INTEGER REFERENCES enterprise_visits (id),
    category          TEXT NOT NULL,
    description       TEXT NOT NULL,
    raised_on         TEXT NOT NULL,
    raised_by         TEXT NOT NULL,
    status            TEXT NOT NULL,
    resolution        TEXT,
    resolved_on       TEXT,
    resolved_by       TEXT,
    resolved_at       TEXT,
    -- The whistle ticket opened for the problem, once that feature exists.
    ticket_id         INTEGER,
    created_at        TEXT NOT NULL
);
CREATE INDEX production_problems_place ON production_problems (jurisdiction_code, status, category);
CREATE INDEX production_problems_enterprise ON production_problems (enterprise_id, raised_on);
CREATE INDEX production_problems_group ON production_problems (org_id);
