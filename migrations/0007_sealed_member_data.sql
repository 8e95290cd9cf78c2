-- R-SVC-1: members' ID number, phone and address are sealed at rest (AES-256-GCM, see
-- src/store/sealed.rs). The sealed text goes into the existing TEXT columns: dropping their
-- NOT NULL would need a table rebuild, and members is referenced by foreign keys. Rows left
-- in clear by an older version are sealed at start-up (store::members::seal_plaintext_rows).
--
-- Lookups by ID number or phone go through keyed hashes (blind index): id_lookup and
-- phone_lookup are NULL only on rows not sealed yet.
ALTER TABLE members ADD COLUMN id_lookup TEXT;
ALTER TABLE members ADD COLUMN phone_lookup TEXT;

-- R-ENR-3: one person, one member record. The old UNIQUE (id_kind, id_number) still exists
-- but compares ciphertexts with random nonces, so this index is the one that holds.
CREATE UNIQUE INDEX members_id_lookup ON members (id_kind, id_lookup);
CREATE INDEX members_phone_lookup ON members (phone_lookup);
