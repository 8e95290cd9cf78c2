-- Store ↔ head-office sync (docs/sync.md §4-§7): the sync task's state, its alarms, points
-- entries of other stores, each sale's redemption authority (the offline bounds) and members
-- enrolled twice while a store was offline.

-- One row: where the pull cursor stands, what head office acknowledged, when each direction
-- last succeeded, and whether a conflict stopped pushing.
CREATE TABLE sync_state (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    pull_cursor       INTEGER NOT NULL DEFAULT 0,
    high_water        INTEGER NOT NULL DEFAULT 0,   -- every outbox seq ≤ this is at head office
    last_push_success TEXT,
    last_pull_success TEXT,
    last_error        TEXT,
    last_error_at     TEXT,
    offline_since     TEXT,                         -- first failed contact after a success
    conflict_seq      INTEGER                       -- set: pushing stopped (an alarm is open)
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

-- Alarms the sync raised (a 409 event conflict, a refused credential): never cleared by the
-- sync itself.
CREATE TABLE sync_alarms (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    seq         INTEGER,
    detail      TEXT NOT NULL,                      -- JSON
    raised_at   TEXT NOT NULL,
    resolved_at TEXT
) STRICT;

-- Points entries of other stores, pulled from head office: keyed by their origin so an entry
-- is applied once. Local entries keep origin_seq NULL (their own seq names them).
ALTER TABLE points_ledger ADD COLUMN origin_seq INTEGER;
CREATE UNIQUE INDEX points_ledger_origin ON points_ledger (store_id, origin_seq) WHERE origin_seq IS NOT NULL;

-- Every redemption of points at a sale and who allowed it: head office (online) or this
-- store within the offline bounds. outbox_seq is the outbox's last seq once the sale was
-- written: the redemption is unacknowledged while it is above sync_state.high_water.
CREATE TABLE sale_redemptions (
    receipt_no   TEXT PRIMARY KEY,
    card_number  TEXT NOT NULL REFERENCES cards (number),
    points       INTEGER NOT NULL CHECK (points > 0),
    authority    TEXT NOT NULL CHECK (authority IN ('head_office', 'offline')),
    business_day TEXT NOT NULL,
    outbox_seq   INTEGER NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX sale_redemptions_unacknowledged ON sale_redemptions (authority, outbox_seq);

-- R-ENR-3 across the chain: the same person enrolled in two stores while one was offline.
-- Flagged for the lounge with both members and cards; never merged by the sync.
CREATE TABLE duplicate_members (
    id            INTEGER PRIMARY KEY,
    id_kind       TEXT NOT NULL,
    id_lookup     TEXT NOT NULL,
    member_a      TEXT NOT NULL REFERENCES members (id),
    member_b      TEXT NOT NULL REFERENCES members (id),
    card_a        TEXT,
    card_b        TEXT,
    found_at      TEXT NOT NULL,
    resolved_at   TEXT,
    UNIQUE (member_a, member_b)
) STRICT;

-- A member pulled from another store may be the same person as one of ours (an offline
-- double enrolment): it must still be stored (and flagged above), so the blind index is no
-- longer unique. R-ENR-3 for a local enrolment is the enrolment flow's own check.
DROP INDEX members_id_lookup;
CREATE INDEX members_id_lookup ON members (id_kind, id_lookup);
