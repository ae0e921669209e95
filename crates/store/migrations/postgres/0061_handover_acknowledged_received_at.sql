-- A hand-over acknowledged from a phone's outbox is dated when the phone acknowledged it
-- (acknowledged_at, the event time that counts for punctuality); the server's own time of
-- receiving the acknowledgement is kept beside it. Earlier rows: the same time.
ALTER TABLE handovers ADD COLUMN acknowledged_received_at TIMESTAMPTZ;
UPDATE handovers SET acknowledged_received_at = acknowledged_at WHERE acknowledged_at IS NOT NULL;
