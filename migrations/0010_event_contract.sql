-- The event contract (issue 11, docs/events.md, docs/sync.md §1): every outbox row written
-- from now on is one typed, versioned event of `domain::events`. `topic` holds the event's
-- kind (`sale.committed`, `card.issued`, …), `version` its contract version (1 today) and
-- `hash` the SHA-256 over kind, version and the payload text exactly as stored.
-- Rows written before keep version 0, their old topic and no hash: head office keeps them
-- as unknown and reports them. ADD COLUMN touches no existing row.
ALTER TABLE outbox ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN hash TEXT;

-- Version and hash are as fixed as the payload they describe.
DROP TRIGGER outbox_payload_fixed;
CREATE TRIGGER outbox_payload_fixed BEFORE UPDATE OF store_id, topic, entity_id, payload, created_at, version, hash ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox rows are immutable'); END;
