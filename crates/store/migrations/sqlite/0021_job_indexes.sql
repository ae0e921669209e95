-- Background jobs in short batches: the indexes their lookups need, and the last day of stock
-- wholly closed.
--
-- Erasure after the retention period takes a few hundred rows per transaction. The cases
-- still to erase are a range of a partial index that rows leave as they are erased; the
-- travellers not erased yet are walked in id order through another; and whether a traveller
-- has a case still open is a seek by traveller (without it, each traveller read every case:
-- a cost of travellers × cases, all under the write lock).
CREATE INDEX monitoring_cases_to_erase ON monitoring_cases (released_on, id)
    WHERE status = 'released' AND erased_on IS NULL;
CREATE INDEX monitoring_cases_traveller ON monitoring_cases (traveller_id)
    WHERE traveller_id IS NOT NULL;
CREATE INDEX passage_travellers_unerased ON passage_travellers (id)
    WHERE erased_on IS NULL;

-- A day of stock is closed a range of pairs per transaction; readers take a day's closings
-- as complete only once it is recorded here, after its last range. (Writers of movements
-- keep every day that has closings up to date, complete or not.)
CREATE TABLE stock_closed (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    day  TEXT NOT NULL
);
INSERT INTO stock_closed (id, day) SELECT 1, MAX(day) FROM stock_closings HAVING MAX(day) IS NOT NULL;
