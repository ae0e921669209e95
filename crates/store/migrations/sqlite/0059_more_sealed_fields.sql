-- The rest of the personal data sealed at rest (SM4-GCM, as in 0054): the names, ID numbers
-- and phones of screened persons (with the blind index of the ID number), the addresses and
-- head names of households, the symptoms and notes of follow-ups, and the contact phones of
-- enterprises. Each of these rows records its key in enc_key.
--
-- Every table with sealed columns has an index on enc_key, so the pass that seals rows not
-- under the newest key finds that there are none without reading the table.

ALTER TABLE screened_persons ADD COLUMN id_bidx TEXT;
ALTER TABLE screened_persons ADD COLUMN enc_key TEXT;
ALTER TABLE households ADD COLUMN enc_key TEXT;
ALTER TABLE monitoring_followups ADD COLUMN enc_key TEXT;
ALTER TABLE enterprises ADD COLUMN enc_key TEXT;

CREATE INDEX screened_persons_id_bidx ON screened_persons (id_bidx);

CREATE INDEX passage_travellers_enc_key ON passage_travellers (enc_key);
CREATE INDEX monitoring_cases_enc_key ON monitoring_cases (enc_key);
CREATE INDEX people_enc_key ON people (enc_key);
CREATE INDEX screened_persons_enc_key ON screened_persons (enc_key);
CREATE INDEX households_enc_key ON households (enc_key);
CREATE INDEX monitoring_followups_enc_key ON monitoring_followups (enc_key);
CREATE INDEX enterprises_enc_key ON enterprises (enc_key);
