-- Campaigns (such as 千名干部下乡) and the policy documents that set up the work.

CREATE TABLE campaigns (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    theme             TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    start_on          TEXT NOT NULL,
    end_on            TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX campaigns_place ON campaigns (jurisdiction_code);

CREATE TABLE campaign_people (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    place_code  TEXT NOT NULL REFERENCES jurisdictions (code),
    sent_on     TEXT NOT NULL,
    PRIMARY KEY (campaign_id, person_id)
);

CREATE TABLE policy_documents (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    title             TEXT NOT NULL,
    issuer            TEXT NOT NULL,
    doc_number        TEXT,
    issued_on         TEXT NOT NULL,
    measures          TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    created_at        TEXT NOT NULL
);
CREATE INDEX policy_documents_place ON policy_documents (jurisdiction_code, issued_on);

CREATE TABLE document_links (
    document_id INTEGER NOT NULL REFERENCES policy_documents (id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL,
    target_id   INTEGER NOT NULL,
    PRIMARY KEY (document_id, target_kind, target_id)
);
