-- Grids and their five duties (包排查、包布控、包宣传教育、包稳定、包信息畅通): the grid's
-- leader and members from the people registry, households and the persons screened in them
-- (摸排) with a risk class derived from risk areas, screening rounds, publicity and stability
-- records, and the grid's daily report.

CREATE TABLE grid_profiles (
    grid_code  TEXT COLLATE "C" PRIMARY KEY REFERENCES jurisdictions (code),
    note       TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE grid_members (
    grid_code TEXT COLLATE "C" NOT NULL REFERENCES jurisdictions (code),
    person_id BIGINT NOT NULL REFERENCES people (id),
    role      TEXT NOT NULL,
    joined_on DATE NOT NULL,
    PRIMARY KEY (grid_code, person_id)
);
CREATE INDEX grid_members_person ON grid_members (person_id);

CREATE TABLE households (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grid_code  TEXT COLLATE "C" NOT NULL REFERENCES jurisdictions (code),
    address    TEXT NOT NULL,
    head_name  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX households_grid ON households (grid_code, id);

-- A household screened on a day (also written when a person of it is screened).
CREATE TABLE household_visits (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households (id),
    grid_code    TEXT COLLATE "C" NOT NULL,
    visited_on   DATE NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    visited_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX household_visits_grid ON household_visits (grid_code, visited_on, household_id);

CREATE TABLE screened_persons (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households (id),
    grid_code    TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    phone        TEXT,
    kind         TEXT NOT NULL,
    came_from    TEXT,
    arrived_on   DATE,
    -- JSON list of {"code": "420100", "date": "2020-01-20"}
    travel       TEXT NOT NULL DEFAULT '[]',
    risk_contact BOOLEAN NOT NULL DEFAULT FALSE,
    risk_level   TEXT NOT NULL,
    screened_on  DATE NOT NULL,
    screened_by  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX screened_persons_grid ON screened_persons (grid_code, screened_on);
CREATE INDEX screened_persons_arrived ON screened_persons (grid_code, arrived_on);
CREATE INDEX screened_persons_household ON screened_persons (household_id);

-- Risk areas: places (division code prefix) and the days they count, at a level; they apply
-- to the persons screened in the subtree of jurisdiction_code.
CREATE TABLE risk_areas (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    jurisdiction_code TEXT COLLATE "C" NOT NULL REFERENCES jurisdictions (code),
    region_code       TEXT NOT NULL,
    region_name       TEXT NOT NULL,
    from_on           DATE NOT NULL,
    until_on          DATE,
    level             TEXT NOT NULL,
    set_by            TEXT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX risk_areas_place ON risk_areas (jurisdiction_code);

CREATE TABLE screening_rounds (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    jurisdiction_code TEXT COLLATE "C" NOT NULL REFERENCES jurisdictions (code),
    name              TEXT NOT NULL,
    start_on          DATE NOT NULL,
    due_on            DATE NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX screening_rounds_place ON screening_rounds (jurisdiction_code, due_on);

CREATE TABLE publicity_records (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grid_code    TEXT COLLATE "C" NOT NULL REFERENCES jurisdictions (code),
    delivered_on DATE NOT NULL,
    what         TEXT NOT NULL,
    place        TEXT NOT NULL,
    copies       BIGINT NOT NULL,
    times        BIGINT NOT NULL,
    recorded_by  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX publicity_records_grid ON publicity_records (grid_code, delivered_on);

CREATE TABLE stability_records (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grid_code   TEXT COLLATE "C" NOT NULL REFERENCES jurisdictions (code),
    occurred_on DATE NOT NULL,
    kind        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    handling    TEXT NOT NULL,
    status      TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX stability_records_grid ON stability_records (grid_code, occurred_on);

-- One report per grid and day, as of midnight ending the day.
CREATE TABLE grid_reports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grid_code   TEXT COLLATE "C" NOT NULL REFERENCES jurisdictions (code),
    report_date DATE NOT NULL,
    screened    BIGINT NOT NULL,
    arrivals    BIGINT NOT NULL,
    high_risk   BIGINT NOT NULL,
    publicity   BIGINT NOT NULL,
    incidents   BIGINT NOT NULL,
    zero_report BOOLEAN NOT NULL,
    remarks     TEXT NOT NULL DEFAULT '',
    filed_by    TEXT NOT NULL,
    filed_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (grid_code, report_date)
);
CREATE INDEX grid_reports_day ON grid_reports (report_date, grid_code);
