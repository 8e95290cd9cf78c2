-- The audit chain becomes keyed (issue 9): rows written from now on carry chain = 2, their
-- hash an HMAC-SHA256 under the audit key derived from the key file's data secret (never in
-- this database), so nobody holding only the database file can re-chain edited history.
-- Rows written before keep chain = 1 (plain SHA-256) and stay verifiable as they are: the
-- first keyed row's MAC covers the last plain hash, which seals the old prefix, and the
-- anchor written at the first start after this upgrade (audit anchor file) marks where
-- plain rows end. ADD COLUMN does not touch existing rows, so the append-only triggers stay.
ALTER TABLE audit_log ADD COLUMN chain INTEGER NOT NULL DEFAULT 1;
