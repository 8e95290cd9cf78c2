-- Staff accounts (R-SVC-2): who may sign in, in which role, and the sign-in lockout state.
-- The PIN is kept only as an Argon2id hash whose secret ("pepper") lives in the key file,
-- so this table alone cannot be brute-forced. Sessions live in the kiosk's memory only: a
-- restart signs everyone out.
CREATE TABLE staff (
    staff_number TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('cashier', 'lounge_clerk', 'desk_clerk', 'supervisor', 'hq_admin')),
    pin_hash     TEXT NOT NULL,               -- Argon2id PHC string, peppered
    wrong_pins   INTEGER NOT NULL DEFAULT 0 CHECK (wrong_pins >= 0),
    locked_until TEXT,                        -- RFC 3339 UTC; locked while in the future
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_by   TEXT NOT NULL,               -- staff number, or `cli` for the bootstrap
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX staff_role ON staff (role) WHERE active = 1;
