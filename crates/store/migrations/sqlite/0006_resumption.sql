-- Resumption: the enterprise registry, exclusions from the count, daily operating reports.

CREATE TABLE enterprises (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    credit_code       TEXT NOT NULL UNIQUE,
    credit_check_failed BOOLEAN NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    industry_section  TEXT NOT NULL,
    industry_division TEXT,
    above_size        BOOLEAN NOT NULL,
    key_enterprise    BOOLEAN NOT NULL,
    normal_headcount  INTEGER NOT NULL,
    normal_output     INTEGER NOT NULL,
    output_unit       TEXT NOT NULL,
    contact_name      TEXT,
    contact_phone     TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX enterprises_place ON enterprises (jurisdiction_code, id);

CREATE TABLE enterprise_exclusions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id INTEGER NOT NULL REFERENCES enterprises (id),
    reason        TEXT NOT NULL,
    from_on       TEXT NOT NULL,
    until_on      TEXT,
    note          TEXT NOT NULL,
    set_by        TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX enterprise_exclusions_enterprise ON enterprise_exclusions (enterprise_id, from_on);

CREATE TABLE daily_reports (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id      INTEGER NOT NULL REFERENCES enterprises (id),
    report_date        TEXT NOT NULL,
    version            INTEGER NOT NULL,
    is_current         BOOLEAN NOT NULL,
    status             TEXT NOT NULL,
    on_duty            INTEGER NOT NULL,
    back_from_outside  INTEGER NOT NULL,
    in_quarantine      INTEGER NOT NULL,
    abnormal_temps     INTEGER NOT NULL,
    mask_days          INTEGER NOT NULL,
    disinfectant_days  INTEGER NOT NULL,
    checks_passed      INTEGER NOT NULL,
    output             INTEGER NOT NULL,
    problems           TEXT NOT NULL,
    filed_by           TEXT NOT NULL,
    filed_at           TEXT NOT NULL,
    UNIQUE (enterprise_id, report_date, version)
);
CREATE INDEX daily_reports_current ON daily_reports (enterprise_id, is_current, report_date);
