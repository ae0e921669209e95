-- Mobilisation: organisations, people, deployments, returns to post, applications,
-- community registrations and front-line records on cadres.

CREATE TABLE people (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    id_number         TEXT NOT NULL UNIQUE,
    sex               TEXT NOT NULL,
    birth_date        TEXT NOT NULL,
    phone             TEXT,
    political_status  TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    employer          TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX people_jurisdiction ON people (jurisdiction_code, id);
CREATE INDEX people_name ON people (name);

CREATE TABLE person_categories (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    category  TEXT NOT NULL,
    PRIMARY KEY (person_id, category)
);
CREATE INDEX person_categories_category ON person_categories (category, person_id);

CREATE TABLE organisations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL,
    name              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    site_kind         TEXT,
    site_name         TEXT,
    established_on    TEXT NOT NULL,
    dissolved_on      TEXT,
    leader_id         INTEGER REFERENCES people (id),
    created_at        TEXT NOT NULL
);
CREATE INDEX organisations_place ON organisations (jurisdiction_code, kind);
CREATE INDEX organisations_kind ON organisations (kind, established_on);

CREATE TABLE org_members (
    org_id    INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id),
    role      TEXT NOT NULL,
    joined_on TEXT NOT NULL,
    PRIMARY KEY (org_id, person_id)
);
CREATE INDEX org_members_person ON org_members (person_id);

CREATE TABLE deployments (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id         INTEGER NOT NULL REFERENCES people (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    org_id            INTEGER REFERENCES organisations (id),
    site_kind         TEXT,
    site_name         TEXT,
    role              TEXT NOT NULL,
    start_on          TEXT NOT NULL,
    end_on            TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX deployments_place ON deployments (jurisdiction_code, start_on);
CREATE INDEX deployments_person ON deployments (person_id);

CREATE TABLE returns_to_post (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id         INTEGER NOT NULL REFERENCES people (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    post              TEXT NOT NULL,
    returned_on       TEXT NOT NULL,
    expected_on       TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (person_id, post)
);
CREATE INDEX returns_place ON returns_to_post (jurisdiction_code, returned_on);

CREATE TABLE applications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id         INTEGER NOT NULL REFERENCES people (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    submitted_on      TEXT NOT NULL,
    wish              TEXT NOT NULL,
    status            TEXT NOT NULL,
    decided_on        TEXT,
    decided_by        TEXT,
    deployment_id     INTEGER REFERENCES deployments (id),
    created_at        TEXT NOT NULL
);
CREATE INDEX applications_place ON applications (jurisdiction_code, submitted_on);

CREATE TABLE registrations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id         INTEGER NOT NULL REFERENCES people (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    registered_on     TEXT NOT NULL,
    grid_code         TEXT REFERENCES jurisdictions (code),
    created_at        TEXT NOT NULL,
    UNIQUE (person_id, jurisdiction_code)
);
CREATE INDEX registrations_place ON registrations (jurisdiction_code, registered_on);

CREATE TABLE service_logs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_id INTEGER NOT NULL REFERENCES registrations (id),
    served_on       TEXT NOT NULL,
    hours           INTEGER NOT NULL,
    description     TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX service_logs_registration ON service_logs (registration_id);

CREATE TABLE cadre_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    kind        TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    content     TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX cadre_records_person ON cadre_records (person_id);
