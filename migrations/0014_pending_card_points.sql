-- Migration 0014: points of a sale on a card of another store that was not on file while the
-- store was offline (docs/sync.md §9a). The card was accepted from its MAC-verified record for
-- earning only; its points wait here until the card arrives by sync, then become ledger
-- entries (with their ledger.entry events) in the transaction that stores the card.
CREATE TABLE pending_card_points (
    sale_id      INTEGER PRIMARY KEY REFERENCES sales (id),
    receipt_no   TEXT NOT NULL,
    card_number  TEXT NOT NULL,            -- no FK: the card is not on file yet
    tier         TEXT NOT NULL,            -- the record's tier the sale was priced at
    points       INTEGER NOT NULL CHECK (points >= 0),
    -- Taken back by refunds before the card arrived (never more than was earned).
    reversed     INTEGER NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= points),
    business_day TEXT NOT NULL,            -- the sale's day: the ledger entries are dated by it
    staff_id     TEXT NOT NULL,
    record_seq   INTEGER NOT NULL,         -- the verified record's write seq and key id
    key_id       INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    applied_at   TEXT                      -- set when the points went to the card's ledger
) STRICT;
CREATE INDEX pending_card_points_waiting ON pending_card_points (card_number) WHERE applied_at IS NULL;
