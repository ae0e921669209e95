-- Person categories carry their person's jurisdiction, so that a scoped list or count of
-- one category is a range of one index instead of a scan of the people of the place.
ALTER TABLE person_categories ADD COLUMN jurisdiction_code TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE person_categories pc SET jurisdiction_code = p.jurisdiction_code FROM people p WHERE p.id = pc.person_id;
CREATE INDEX person_categories_scope ON person_categories (category, jurisdiction_code, person_id);
