-- Major projects and key production.
--
-- Investment is in 万元 (ten thousand yuan). A progress entry is the investment completed in
-- the plan year up to and including its day (年度累计完成投资, as the statistics reports give
-- it); the amount completed by a day D is that of the project's latest entry on or before D,
-- so the completion rate as of D = completed by D ÷ the annual plan.

CREATE TABLE major_projects (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    category          TEXT NOT NULL,
    owner             TEXT NOT NULL,
    plan_year         INTEGER NOT NULL,
    total_investment  INTEGER NOT NULL,
    annual_plan       INTEGER NOT NULL,
    planned_start     TEXT NOT NULL,
    actual_start      TEXT,
    is_restart        BOOLEAN NOT NULL,
    status            TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX major_projects_place ON major_projects (jurisdiction_code, id);

CREATE TABLE project_progress (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES major_projects (id),
    as_of       TEXT NOT NULL,
    completed   INTEGER NOT NULL,
    note        TEXT NOT NULL,
    filed_by    TEXT NOT NULL,
    filed_at    TEXT NOT NULL,
    UNIQUE (project_id, as_of)
);

CREATE TABLE key_plants (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    enterprise_id     INTEGER REFERENCES enterprises (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    product           TEXT NOT NULL,
    unit              TEXT NOT NULL,
    design_capacity   INTEGER NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX key_plants_place ON key_plants (jurisdiction_code, id);

-- One row per plant and day; a correction overwrites it and the audit log keeps the old value.
CREATE TABLE plant_output (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    plant_id    INTEGER NOT NULL REFERENCES key_plants (id),
    output_date TEXT NOT NULL,
    output      INTEGER NOT NULL,
    filed_by    TEXT NOT NULL,
    filed_at    TEXT NOT NULL,
    UNIQUE (plant_id, output_date)
);

CREATE TABLE plant_shipments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    plant_id      INTEGER NOT NULL REFERENCES key_plants (id),
    ship_date     TEXT NOT NULL,
    province_code TEXT NOT NULL,
    quantity      INTEGER NOT NULL,
    mode          TEXT NOT NULL,
    note          TEXT NOT NULL,
    filed_by      TEXT NOT NULL,
    filed_at      TEXT NOT NULL
);
CREATE INDEX plant_shipments_plant ON plant_shipments (plant_id, ship_date);
