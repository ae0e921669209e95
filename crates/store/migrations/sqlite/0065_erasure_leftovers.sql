-- What erasure at the end of the keeping period left behind.
--
-- An erased case or traveller kept the blind index of its ID number, so a search of the
-- passages or cases by that number still found the record (where and when the person
-- passed) after its personal data was erased. Erasure now blanks it with the rest; the
-- records erased before are blanked here.
UPDATE passage_travellers SET id_bidx = '' WHERE erased_on IS NOT NULL AND id_bidx <> '';
UPDATE monitoring_cases SET id_bidx = '' WHERE erased_on IS NOT NULL AND id_bidx <> '';

-- The persons screened in the grids (name, ID number, phone) were kept for good. They are
-- now erased as a traveller who never became a case is: once the monitoring period and
-- the keeping period have passed since the screening. What they came from and the risk
-- found stay, without the person, as the figures count them.
ALTER TABLE screened_persons ADD COLUMN erased_on TEXT;
CREATE INDEX screened_persons_to_erase ON screened_persons (screened_on, id)
    WHERE erased_on IS NULL;
