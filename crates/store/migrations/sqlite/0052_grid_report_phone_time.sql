-- A grid's daily report filed from a phone's outbox keeps the phone's time of filing (the time
-- the grid worker filed it, perhaps with no signal) beside the server's own time of receiving
-- it (filed_at). Empty when filed online.
ALTER TABLE grid_reports ADD COLUMN made_at TEXT;
