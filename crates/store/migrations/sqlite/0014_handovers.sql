-- Hand-over (落地交接): a traveller registered at a checkpoint whose destination lies inside
-- the region is handed to the grid of that destination (or, when the destination names a
-- village with several grids or a wider place, to that place, which passes it down). The
-- receiving side acknowledges; a hand-over unacknowledged by its due time is overdue.
--
-- `to_code` is the place that owns the person now: lists, counts and access go by it, one
-- index range per scope. Every step (made, passed down, acknowledged) is a row of
-- handover_events, the visible history.
--
-- Cases and travellers gain `erased_on`: after a case is released and the retention period
-- has passed, the name, ID number and phone are erased and the day recorded.

CREATE TABLE handovers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    traveller_id    INTEGER NOT NULL UNIQUE REFERENCES passage_travellers (id) ON DELETE CASCADE,
    passage_id      INTEGER NOT NULL REFERENCES passages (id) ON DELETE CASCADE,
    from_code       TEXT NOT NULL,
    to_code         TEXT NOT NULL REFERENCES jurisdictions (code),
    status          TEXT NOT NULL,
    made_on         TEXT NOT NULL,
    made_at         TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    note            TEXT NOT NULL DEFAULT '',
    case_id         INTEGER REFERENCES monitoring_cases (id)
);
CREATE INDEX handovers_to ON handovers (to_code, status, due_at);
CREATE INDEX handovers_to_day ON handovers (to_code, made_on);
CREATE INDEX handovers_from ON handovers (from_code, id);

CREATE TABLE handover_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    handover_id INTEGER NOT NULL REFERENCES handovers (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    to_code     TEXT NOT NULL,
    note        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX handover_events_handover ON handover_events (handover_id, id);

ALTER TABLE monitoring_cases ADD COLUMN erased_on TEXT;
ALTER TABLE passage_travellers ADD COLUMN erased_on TEXT;
CREATE INDEX monitoring_cases_released ON monitoring_cases (released_on) WHERE status = 'released';
