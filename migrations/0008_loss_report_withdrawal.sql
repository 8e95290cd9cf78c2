-- A loss report made by mistake can be withdrawn the same day with a supervisor's PIN
-- (README "Charter ambiguities", R-REP-6): the card goes back to the state it had.
ALTER TABLE loss_reports ADD COLUMN state_before TEXT;   -- the card's state when blocked
ALTER TABLE loss_reports ADD COLUMN withdrawn_on TEXT;   -- store-local day; also closes it (completed_on)
