-- Personal data encrypted at rest (SM4-GCM, sealed in the service): the ID numbers, names and
-- phones of travellers and of monitored people, the ID numbers and phones of people in
-- mobilisation. Each row records the key its values are sealed under (enc_key, NULL while a
-- row written before encryption waits for the start-up job), and the blind index of its ID
-- number (id_bidx, HMAC-SM3), which exact lookups use; "one person per ID number" moves to it.
-- The plaintext indexes on id_number go: sealed values are never searched.

ALTER TABLE passage_travellers ADD COLUMN id_bidx TEXT;
ALTER TABLE passage_travellers ADD COLUMN enc_key TEXT;
ALTER TABLE monitoring_cases ADD COLUMN id_bidx TEXT;
ALTER TABLE monitoring_cases ADD COLUMN enc_key TEXT;
ALTER TABLE people ADD COLUMN id_bidx TEXT;
ALTER TABLE people ADD COLUMN enc_key TEXT;

DROP INDEX IF EXISTS passage_travellers_id_number;
DROP INDEX IF EXISTS monitoring_cases_id_number;
CREATE INDEX passage_travellers_id_bidx ON passage_travellers (id_bidx);
CREATE INDEX monitoring_cases_id_bidx ON monitoring_cases (id_bidx);
CREATE UNIQUE INDEX people_id_bidx ON people (id_bidx);
