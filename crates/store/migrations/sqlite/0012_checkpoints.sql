-- Checkpoints (卡口) on the roads, their shifts and the people on duty, the accounts that
-- work at each, and the passages registered at the barrier with every traveller.
--
-- A passage carries the checkpoint's jurisdiction code (a scoped list is one index range)
-- and its counts (persons, fevers, outcomes), so that the counts per checkpoint and day are
-- a sum over passages. Each traveller keeps the destination, as a division code inside the
-- region or as text outside it, and a place for the hand-over made for them.

CREATE TABLE checkpoints (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    road              TEXT NOT NULL,
    place             TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    kind              TEXT NOT NULL,
    active_from       TEXT NOT NULL,
    active_until      TEXT,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX checkpoints_place ON checkpoints (jurisdiction_code, id);

CREATE TABLE checkpoint_shifts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    checkpoint_id     INTEGER NOT NULL REFERENCES checkpoints (id),
    shift_date        TEXT NOT NULL,
    starts_at         TEXT NOT NULL,
    ends_at           TEXT NOT NULL,
    note              TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX checkpoint_shifts_checkpoint ON checkpoint_shifts (checkpoint_id, shift_date);

CREATE TABLE checkpoint_shift_people (
    shift_id  INTEGER NOT NULL REFERENCES checkpoint_shifts (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (shift_id, person_id)
);
CREATE INDEX checkpoint_shift_people_person ON checkpoint_shift_people (person_id);

CREATE TABLE checkpoint_staff (
    user_id       INTEGER NOT NULL REFERENCES users (id),
    checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id),
    PRIMARY KEY (user_id, checkpoint_id)
);
CREATE INDEX checkpoint_staff_checkpoint ON checkpoint_staff (checkpoint_id);

CREATE TABLE passages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    checkpoint_id     INTEGER NOT NULL REFERENCES checkpoints (id),
    jurisdiction_code TEXT NOT NULL,
    passed_at         TEXT NOT NULL,
    pass_date         TEXT NOT NULL,
    plate             TEXT,
    vehicle_class     TEXT,
    origin_code       TEXT,
    origin_text       TEXT NOT NULL,
    travel_history    TEXT NOT NULL,
    reason            TEXT NOT NULL,
    persons           INTEGER NOT NULL,
    fevers            INTEGER NOT NULL,
    let_through       INTEGER NOT NULL,
    turned_back       INTEGER NOT NULL,
    observed          INTEGER NOT NULL,
    quarantined       INTEGER NOT NULL,
    idempotency_key   TEXT,
    recorded_by       TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX passages_checkpoint ON passages (checkpoint_id, pass_date);
CREATE INDEX passages_place ON passages (jurisdiction_code, pass_date);
CREATE UNIQUE INDEX passages_idempotency ON passages (recorded_by, idempotency_key);

CREATE TABLE passage_travellers (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id        INTEGER NOT NULL REFERENCES passages (id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    is_driver         BOOLEAN NOT NULL,
    name              TEXT NOT NULL,
    id_number         TEXT NOT NULL,
    phone             TEXT,
    temperature       INTEGER NOT NULL,
    fever             BOOLEAN NOT NULL,
    outcome           TEXT NOT NULL,
    destination_code  TEXT,
    destination_text  TEXT NOT NULL,
    -- The hand-over to the destination's grid or village, once made.
    handover_id       INTEGER,
    UNIQUE (passage_id, seq)
);
CREATE INDEX passage_travellers_id_number ON passage_travellers (id_number);
CREATE INDEX passage_travellers_destination ON passage_travellers (destination_code);
