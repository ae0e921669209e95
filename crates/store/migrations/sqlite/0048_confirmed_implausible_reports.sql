-- A daily report filed with figures that looked implausible (more on duty than employed, a
-- figure over three times or down to 0 from the last report, output over capacity), after
-- the liaison confirmed them.
ALTER TABLE daily_reports ADD COLUMN confirmed_implausible BOOLEAN NOT NULL DEFAULT FALSE;
