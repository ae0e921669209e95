-- A case's release reason (on an early release, the doctor's decision: a detail of the
-- person's health) is sealed with the case's name, ID number, phone, place and reason. Cases
-- released before are handed back to the sealing pass at start (enc_key NULL); the reason of
-- a case whose personal data was erased goes with it.
UPDATE monitoring_cases SET release_reason = NULL WHERE erased_on IS NOT NULL;
UPDATE monitoring_cases SET enc_key = NULL
WHERE enc_key IS NOT NULL AND release_reason IS NOT NULL AND release_reason NOT LIKE 'enc:%';

-- A 钉钉 or 飞书 robot set to take only messages with a keyword (自定义关键词): the channel's
-- keyword, which every message it is sent then carries.
ALTER TABLE webhooks ADD COLUMN keyword TEXT NOT NULL DEFAULT '';

-- The fever clinic's finding when a referred case is put back under monitoring (a detail of
-- the person's health), sealed with the case's other values; it was written only into the
-- audit log before.
ALTER TABLE monitoring_cases ADD COLUMN resume_finding TEXT;
