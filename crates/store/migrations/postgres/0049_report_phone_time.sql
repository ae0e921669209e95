-- A daily report filed from a phone's outbox keeps the phone's time of filing (the time the
-- liaison filed it, perhaps with no signal) beside the server's own time of receiving it
-- (filed_at). Empty when filed online or imported.
ALTER TABLE daily_reports ADD COLUMN made_at TIMESTAMPTZ;
