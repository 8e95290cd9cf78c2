-- Which workstation handed out a gift, voucher or ticket: the end-of-day summary is per
-- workstation. Rows from before this migration have no workstation ('').
ALTER TABLE service_grants ADD COLUMN workstation TEXT NOT NULL DEFAULT '';
CREATE INDEX service_grants_workstation_day ON service_grants (workstation, business_day);
