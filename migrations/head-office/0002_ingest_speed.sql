-- Ingest speed (docs/sync.md §9), measured with pg_stat_statements on the ingest benchmark.
-- 1. events → stores foreign key: its check ran once per inserted event (a query per row,
--    ~15 % of the events insert). A push inserts only after locking its store's row FOR
--    UPDATE in the same transaction, and a store row is never deleted (a credential is
--    revoked by `revoked_at`), so the reference holds without the per-row check.
ALTER TABLE events DROP CONSTRAINT events_store_id_fkey;
-- 2. Balances are updated by almost every push: room on each page lets the update stay a
--    heap-only tuple (no new index entry per update).
ALTER TABLE balances SET (fillfactor = 70);
