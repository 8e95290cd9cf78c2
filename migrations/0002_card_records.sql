-- Card hardware (issue: card reader). What was last written to each card, and the UIDs of
-- contactless cards bound to card numbers.

-- The write sequence and key id of the record last written to the card (profile 1). A card
-- presenting a lower seq than this holds an old copy: a possible clone (card-format.md).
ALTER TABLE cards ADD COLUMN record_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN record_key_id INTEGER;

-- Profile 2: a contactless card carries nothing of ours; its UID is bound to a card number.
CREATE TABLE card_tokens (
    uid         TEXT PRIMARY KEY,            -- hex, upper case
    card_number TEXT NOT NULL UNIQUE REFERENCES cards (number),
    bound_at    TEXT NOT NULL
) STRICT;
