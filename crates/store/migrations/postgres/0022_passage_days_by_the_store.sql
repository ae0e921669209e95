-- The checkpoint counts by checkpoint and day (passage_days, migration 0018) are kept by the
-- store in the transaction that writes the passages, like every other rollup: the trigger
-- that kept them goes, with its function. The rows are those the trigger left; nothing to fill.
DROP TRIGGER passage_days_apply ON passages;
DROP FUNCTION passage_days_apply();
