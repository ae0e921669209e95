-- The checkpoint counts by checkpoint and day (passage_days, migration 0018) are kept by the
-- store in the transaction that writes the passages, like every other rollup: the triggers
-- that kept them go. The rows are those the triggers left; nothing to fill.
DROP TRIGGER passage_days_insert;
DROP TRIGGER passage_days_delete;
DROP TRIGGER passage_days_update;
