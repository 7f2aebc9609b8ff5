-- An incident's people as she gave them: a range she chose ("21–50") keeps its bottom, so it
-- is never read back as "about 50". NULL when she typed a number.
ALTER TABLE incidents ADD COLUMN people_from INTEGER;
ALTER TABLE urgent_reports ADD COLUMN people_from INTEGER;
