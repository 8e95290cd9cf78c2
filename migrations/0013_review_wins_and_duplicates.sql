-- Migration 0013: head office wins on merge for the annual review; the lounge resolves duplicate-member flags.
-- Head office wins on merge for the annual review (docs/sync.md §7): the card term (tier,
-- valid_from, expiry, lapsed_on) head office's own review last set. A pulled snapshot from a
-- store (its own offline review, or one written before it saw head office's) for a term up to
-- this one never changes the tier or the term back.
ALTER TABLE cards ADD COLUMN hq_review_expiry TEXT;

-- The lounge's decision on a duplicate-member flag (issue 11 item 5): who resolved it, how
-- (`not_duplicate`: two people after all; `handled`: the member was served at the counter,
-- e.g. one card reported or replaced), and a short note. Never a merge by itself.
ALTER TABLE duplicate_members ADD COLUMN resolved_by TEXT;
ALTER TABLE duplicate_members ADD COLUMN outcome TEXT CHECK (outcome IN ('not_duplicate', 'handled'));
ALTER TABLE duplicate_members ADD COLUMN note TEXT;
