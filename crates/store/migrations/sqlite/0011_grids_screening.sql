-- Grids and their five duties (包排查、包布控、包宣传教育、包稳定、包信息畅通): the grid's
-- leader and members from the people registry, households and the persons screened in them
-- (摸排) with a risk class derived from risk areas, screening rounds, publicity and stability
-- records, and the grid's daily report.

CREATE TABLE grid_profiles (
    grid_code  TEXT PRIMARY KEY REFERENCES jurisdictions (code),
    note       TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

CREATE TABLE grid_members (
    grid_code TEXT NOT NULL REFERENCES jurisdictions (code),
    person_id INTEGER NOT NULL REFERENCES people (id),
    role      TEXT NOT NULL,
    joined_on TEXT NOT NULL,
    PRIMARY KEY (grid_code, person_id)
);
CREATE INDEX grid_members_person ON grid_members (person_id);

CREATE TABLE households (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_code  TEXT NOT NULL REFERENCES jurisdictions (code),
    address    TEXT NOT NULL,
    head_name  TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX households_grid ON households (grid_code, id);

-- A household screened on a day (also written when a person of it is screened).
CREATE TABLE household_visits (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL REFERENCES households (id),
    grid_code    TEXT NOT NULL,
    visited_on   TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    visited_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX household_visits_grid ON household_visits (grid_code, visited_on, household_id);

CREATE TABLE screened_persons (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL REFERENCES households (id),
    grid_code    TEXT NOT NULL,
    name         TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    phone        TEXT,
    kind         TEXT NOT NULL,
    came_from    TEXT,
    arrived_on   TEXT,
    -- JSON list of {"code": "420100", "date": "2020-01-20"}
    travel       TEXT NOT NULL DEFAULT '[]',
    risk_contact BOOLEAN NOT NULL DEFAULT FALSE,
    risk_level   TEXT NOT NULL,
    screened_on  TEXT NOT NULL,
    screened_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX screened_persons_grid ON screened_persons (grid_code, screened_on);
CREATE INDEX screened_persons_arrived ON screened_persons (grid_code, arrived_on);
CREATE INDEX screened_persons_household ON screened_persons (household_id);

-- Risk areas: places (division code prefix) and the days they count, at a level; they apply
-- to the persons screened in the subtree of jurisdiction_code.
CREATE TABLE risk_areas (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    region_code       TEXT NOT NULL,
    region_name       TEXT NOT NULL,
    from_on           TEXT NOT NULL,
    until_on          TEXT,
    level             TEXT NOT NULL,
    set_by            TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX risk_areas_place ON risk_areas (jurisdiction_code);

CREATE TABLE screening_rounds (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    name              TEXT NOT NULL,
    start_on          TEXT NOT NULL,
    due_on            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX screening_rounds_place ON screening_rounds (jurisdiction_code, due_on);

CREATE TABLE publicity_records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_code    TEXT NOT NULL REFERENCES jurisdictions (code),
    delivered_on TEXT NOT NULL,
    what         TEXT NOT NULL,
    place        TEXT NOT NULL,
    copies       INTEGER NOT NULL,
    times        INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX publicity_records_grid ON publicity_records (grid_code, delivered_on);

CREATE TABLE stability_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_code   TEXT NOT NULL REFERENCES jurisdictions (code),
    occurred_on TEXT NOT NULL,
    kind        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    handling    TEXT NOT NULL,
    status      TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX stability_records_grid ON stability_records (grid_code, occurred_on);

-- One report per grid and day, as of midnight ending the day.
CREATE TABLE grid_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_code   TEXT NOT NULL REFERENCES jurisdictions (code),
    report_date TEXT NOT NULL,
    screened    INTEGER NOT NULL,
    arrivals    INTEGER NOT NULL,
    high_risk   INTEGER NOT NULL,
    publicity   INTEGER NOT NULL,
    incidents   INTEGER NOT NULL,
    zero_report BOOLEAN NOT NULL,
    remarks     TEXT NOT NULL DEFAULT '',
    filed_by    TEXT NOT NULL,
    filed_at    TEXT NOT NULL,
    UNIQUE (grid_code, report_date)
);
CREATE INDEX grid_reports_day ON grid_reports (report_date, grid_code);
