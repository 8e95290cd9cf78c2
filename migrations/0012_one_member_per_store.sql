-- R-ENR-3 stays a database rule for members enrolled here: 0011 made the blind index
-- non-unique so a member pulled from another store (an offline double enrolment, flagged in
-- duplicate_members) can be stored; two records of one person from the same home store are
-- still refused.
CREATE UNIQUE INDEX members_one_per_store ON members (id_kind, id_lookup, home_store);
