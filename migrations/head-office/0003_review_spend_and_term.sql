-- The annual review (R-EXP-3) counts a card year's purchases as the store's own review does:
-- what each sale was paid (all tenders), net of refunds. The column held the cash-like part.
ALTER TABLE card_spend RENAME COLUMN cash TO paid;

-- Head office wins on merge for its annual review (issue 11, item 7): the term its review set.
-- A store's snapshot for a term up to this one (its own offline review, pushed later) never
-- sets the tier, term or active/inactive back; a block or replacement still merges.
ALTER TABLE cards ADD COLUMN review_expiry DATE;
