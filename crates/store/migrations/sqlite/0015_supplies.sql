-- Supplies (物资保障): the catalogue of prevention materials and farm inputs, the stores
-- that hold them, stock movements, needs, requests to the level above, allocations with
-- their delivery, and the spring-farming plans and progress of the townships.
--
-- A balance is never edited: stock moves only as rows of stock_movements (receipt, issue,
-- transfer, dispatch and arrival of an allocation, adjustment with a reason). Two tables are
-- kept in the transaction of every movement, with the same figures a sum over the movements
-- gives:
--   stock_balances  one row per (store, item): the balance now. Every writer of a pair
--                   updates this row first (a guarded UPDATE ... WHERE balance >= qty for
--                   stock taken out), so on PostgreSQL concurrent writers of one pair queue
--                   on its row lock and the last boxes cannot be issued twice; SQLite write
--                   transactions are serialised already (BEGIN IMMEDIATE).
--   stock_days      one row per (store, item, day with a movement): in, out and the closing
--                   balance of that day. The balance as of D is the closing of the pair's
--                   latest day on or before D: one index seek per pair. A movement dated D
--                   adds to the closing of D and of every later day of its pair; one that
--                   would take any of them below zero is refused.
-- Both refuse a negative balance by a CHECK as well.

CREATE TABLE supply_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    category    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    crop        TEXT,
    unit        TEXT NOT NULL,
    pack_unit   TEXT,
    pack_size   INTEGER,
    warn_days   INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE supply_stores (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    checkpoint_id     INTEGER REFERENCES checkpoints (id),
    address           TEXT NOT NULL,
    keeper            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (jurisdiction_code, name)
);
CREATE INDEX supply_stores_place ON supply_stores (jurisdiction_code, id);

CREATE TABLE stock_movements (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL,
    item_id           INTEGER NOT NULL REFERENCES supply_items (id),
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    from_store_id     INTEGER REFERENCES supply_stores (id),
    to_store_id       INTEGER REFERENCES supply_stores (id),
    jurisdiction_code TEXT NOT NULL,
    moved_on          TEXT NOT NULL,
    counterparty      TEXT NOT NULL,
    reason            TEXT NOT NULL,
    allocation_id     INTEGER,
    entered_quantity  INTEGER NOT NULL,
    entered_unit      TEXT NOT NULL,
    idempotency_key   TEXT,
    recorded_by       TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX stock_movements_place ON stock_movements (jurisdiction_code, id);
CREATE INDEX stock_movements_from ON stock_movements (from_store_id, id);
CREATE INDEX stock_movements_to ON stock_movements (to_store_id, id);
CREATE UNIQUE INDEX stock_movements_idempotency ON stock_movements (recorded_by, idempotency_key);

CREATE TABLE stock_balances (
    store_id  INTEGER NOT NULL REFERENCES supply_stores (id),
    item_id   INTEGER NOT NULL REFERENCES supply_items (id),
    balance   INTEGER NOT NULL CHECK (balance >= 0),
    PRIMARY KEY (store_id, item_id)
) WITHOUT ROWID;

CREATE TABLE stock_days (
    store_id  INTEGER NOT NULL,
    item_id   INTEGER NOT NULL,
    day       TEXT NOT NULL,
    qty_in    INTEGER NOT NULL,
    qty_out   INTEGER NOT NULL,
    closing   INTEGER NOT NULL CHECK (closing >= 0),
    PRIMARY KEY (store_id, item_id, day)
) WITHOUT ROWID;

CREATE TABLE supply_needs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    store_id          INTEGER REFERENCES supply_stores (id),
    item_id           INTEGER NOT NULL REFERENCES supply_items (id),
    basis             TEXT NOT NULL,
    quantity          INTEGER NOT NULL,
    crop              TEXT,
    area_mu           INTEGER,
    from_on           TEXT NOT NULL,
    until_on          TEXT,
    note              TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX supply_needs_place ON supply_needs (jurisdiction_code, id);

CREATE TABLE supply_requests (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    to_code           TEXT NOT NULL,
    store_id          INTEGER NOT NULL REFERENCES supply_stores (id),
    item_id           INTEGER NOT NULL REFERENCES supply_items (id),
    quantity          INTEGER NOT NULL,
    allocated         INTEGER NOT NULL,
    requested_on      TEXT NOT NULL,
    needed_by         TEXT,
    reason            TEXT NOT NULL,
    status            TEXT NOT NULL,
    decision_note     TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX supply_requests_place ON supply_requests (jurisdiction_code, id);

CREATE TABLE supply_allocations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id        INTEGER REFERENCES supply_requests (id),
    item_id           INTEGER NOT NULL REFERENCES supply_items (id),
    quantity          INTEGER NOT NULL,
    from_store_id     INTEGER NOT NULL REFERENCES supply_stores (id),
    to_store_id       INTEGER NOT NULL REFERENCES supply_stores (id),
    from_code         TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    allocated_on      TEXT NOT NULL,
    status            TEXT NOT NULL,
    received_on       TEXT,
    received_quantity INTEGER,
    received_by       TEXT,
    note              TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX supply_allocations_place ON supply_allocations (jurisdiction_code, id);
CREATE INDEX supply_allocations_from ON supply_allocations (from_code, id);

CREATE TABLE farm_plans (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    year              INTEGER NOT NULL,
    crop              TEXT NOT NULL,
    planned_mu        INTEGER NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (jurisdiction_code, year, crop)
);

CREATE TABLE farm_progress (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      INTEGER NOT NULL REFERENCES farm_plans (id),
    reported_on  TEXT NOT NULL,
    prepared_mu  INTEGER NOT NULL,
    sown_mu      INTEGER NOT NULL,
    note         TEXT NOT NULL,
    reported_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (plan_id, reported_on)
);
