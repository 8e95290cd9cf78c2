-- The audit trail: one row per state-changing request (and per contact change, R-SVC-3), who
-- did it, where, what, to which card/member/receipt, and the outcome. Append-only and
-- hash-chained: each row's hash covers the previous row's hash and this row's fields, so an
-- edited or removed row breaks the chain (`member-kiosk verify-audit`). seq is AUTOINCREMENT:
-- never reused, so a missing seq between the first and last row is a deletion.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id    TEXT NOT NULL,
    at          TEXT NOT NULL,               -- RFC 3339 UTC
    staff_id    TEXT NOT NULL,               -- `anonymous` when the request named nobody
    role        TEXT,                        -- NULL until staff login exists
    workstation TEXT NOT NULL,
    action      TEXT NOT NULL,               -- `POST /api/sales`, `member.contact_change`, …
    target      TEXT,                        -- card number, member id, receipt no., … if known
    detail      TEXT,                        -- JSON; personal data only masked
    result      INTEGER NOT NULL,            -- HTTP status code
    prev_hash   TEXT NOT NULL,               -- the previous row's hash; 64 zeros for the first
    hash        TEXT NOT NULL                -- hex SHA-256(prev_hash || canonical fields)
) STRICT;
CREATE INDEX audit_log_target ON audit_log (target);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
