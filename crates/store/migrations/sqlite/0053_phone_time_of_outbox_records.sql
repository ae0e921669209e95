-- Records a phone's outbox may send after a time without signal keep the phone's time of
-- making them beside the server's own time of receiving them (created_at, raised_at,
-- acknowledged_at): a person screened, a stock movement, a whistle ticket raised, a
-- hand-over acknowledged. Empty when made online or imported.
ALTER TABLE screened_persons ADD COLUMN made_at TEXT;
ALTER TABLE stock_movements ADD COLUMN made_at TEXT;
ALTER TABLE tickets ADD COLUMN made_at TEXT;
ALTER TABLE handovers ADD COLUMN acknowledged_made_at TEXT;
