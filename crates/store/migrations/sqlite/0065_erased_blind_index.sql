-- An erased case or traveller kept the blind index of its ID number, so a search of the
-- passages or cases by that number still found the record (where and when the person
-- passed) after its personal data was erased. Erasure now blanks it with the rest; the
-- records erased before are blanked here.
UPDATE passage_travellers SET id_bidx = '' WHERE erased_on IS NOT NULL AND id_bidx <> '';
UPDATE monitoring_cases SET id_bidx = '' WHERE erased_on IS NOT NULL AND id_bidx <> '';
