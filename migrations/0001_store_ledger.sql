-- The store ledger: members, cards, sales, the append-only points ledger, card events,
-- services, the head-office outbox and policy versions. Money is INTEGER fen; dates are
-- ISO-8601 TEXT (store-local day 'YYYY-MM-DD', instants RFC 3339 UTC).

CREATE TABLE counters (
    name       TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
) STRICT;

CREATE TABLE policy_versions (
    version        INTEGER PRIMARY KEY,
    effective_from TEXT NOT NULL,
    body           TEXT NOT NULL,            -- the Policy as JSON
    received_at    TEXT NOT NULL
) STRICT;

CREATE TABLE members (
    id          TEXT PRIMARY KEY,             -- UUIDv7: unique across stores without coordination
    name        TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex IN ('female', 'male')),
    birth_date  TEXT NOT NULL,
    birth_md    TEXT NOT NULL,                -- 'MM-DD', for the daily greeting list
    phone       TEXT NOT NULL,
    id_kind     TEXT NOT NULL,
    id_number   TEXT NOT NULL,
    address     TEXT,
    email       TEXT,
    preferences TEXT,
    home_store  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (id_kind, id_number)               -- R-ENR-3: one person, one member record
) STRICT;
CREATE INDEX members_birth_md ON members (birth_md);

CREATE TABLE cards (
    number                 TEXT PRIMARY KEY,
    member_id              TEXT NOT NULL REFERENCES members (id),
    tier                   TEXT NOT NULL CHECK (tier IN ('vip', 'gold', 'platinum')),
    state                  TEXT NOT NULL CHECK (state IN ('reserved', 'active', 'inactive', 'blocked', 'replaced', 'void')),
    valid_from             TEXT NOT NULL,
    expiry                 TEXT NOT NULL,
    lapsed_on              TEXT,
    generation             INTEGER NOT NULL,
    replaces               TEXT REFERENCES cards (number),
    replaced_by            TEXT REFERENCES cards (number),
    upgrade_points_carried INTEGER NOT NULL DEFAULT 0,
    points_debt            INTEGER NOT NULL DEFAULT 0 CHECK (points_debt >= 0),
    issued_store           TEXT NOT NULL,
    issued_on              TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
) STRICT;
CREATE INDEX cards_member ON cards (member_id);
CREATE INDEX cards_state_expiry ON cards (state, expiry);
-- R-ENR-3: at most one live card per member (a reservation may coexist during an exchange).
CREATE UNIQUE INDEX cards_one_live_per_member ON cards (member_id) WHERE state IN ('active', 'inactive');

CREATE TABLE sales (
    id              INTEGER PRIMARY KEY,
    store_id        TEXT NOT NULL,
    receipt_no      TEXT NOT NULL,
    till_id         TEXT NOT NULL,
    staff_id        TEXT NOT NULL,
    card_number     TEXT REFERENCES cards (number),
    member_id       TEXT REFERENCES members (id),
    business_day    TEXT NOT NULL,
    committed_at    TEXT NOT NULL,
    tier            TEXT,
    birthday        INTEGER NOT NULL,
    group_purchase  INTEGER NOT NULL,
    non_cash_tender INTEGER NOT NULL,
    gross_fen       INTEGER NOT NULL,
    discount_fen    INTEGER NOT NULL,
    net_fen         INTEGER NOT NULL,
    redeem_points   INTEGER NOT NULL,
    redeem_fen      INTEGER NOT NULL,
    payable_fen     INTEGER NOT NULL,
    cash_fen        INTEGER NOT NULL,        -- cash-like tenders (R-PAY-1)
    points_earned   INTEGER NOT NULL,
    policy_version  INTEGER NOT NULL REFERENCES policy_versions (version),
    request_hash    TEXT NOT NULL,           -- idempotency: same receipt, same body
    response        TEXT NOT NULL,           -- the first answer, replayed on retry
    UNIQUE (store_id, receipt_no)
) STRICT;
CREATE INDEX sales_card_day ON sales (card_number, business_day);
CREATE INDEX sales_day ON sales (business_day);

CREATE TABLE sale_lines (
    sale_id                 INTEGER NOT NULL REFERENCES sales (id),
    line_index              INTEGER NOT NULL,
    sku                     TEXT NOT NULL,
    class                   TEXT NOT NULL,
    quantity                INTEGER NOT NULL,
    unit_price_fen          INTEGER NOT NULL,
    original_unit_price_fen INTEGER,
    other_promotion         INTEGER NOT NULL,
    rate                    TEXT NOT NULL,
    benefit                 TEXT NOT NULL,
    gross_fen               INTEGER NOT NULL,
    discount_fen            INTEGER NOT NULL,
    net_fen                 INTEGER NOT NULL,
    redemption_fen          INTEGER NOT NULL,
    redemption_points       INTEGER NOT NULL,
    paid_fen                INTEGER NOT NULL,
    points_earned           INTEGER NOT NULL,
    refunded_quantity       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sale_id, line_index)
) STRICT;

CREATE TABLE sale_tenders (
    sale_id    INTEGER NOT NULL REFERENCES sales (id),
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    cash_like  INTEGER NOT NULL,
    PRIMARY KEY (sale_id, position)
) STRICT;

CREATE TABLE refunds (
    id              INTEGER PRIMARY KEY,
    store_id        TEXT NOT NULL,
    refund_no       TEXT NOT NULL,
    sale_id         INTEGER NOT NULL REFERENCES sales (id),
    till_id         TEXT NOT NULL,
    staff_id        TEXT NOT NULL,
    business_day    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    amount_fen      INTEGER NOT NULL,
    cash_fen        INTEGER NOT NULL,        -- part of the refund that reverses cash-like tenders
    points_reversed INTEGER NOT NULL,
    points_restored INTEGER NOT NULL,
    debt_added      INTEGER NOT NULL,
    request_hash    TEXT NOT NULL,
    response        TEXT NOT NULL,
    UNIQUE (store_id, refund_no)
) STRICT;
CREATE INDEX refunds_sale ON refunds (sale_id);

CREATE TABLE refund_lines (
    refund_id       INTEGER NOT NULL REFERENCES refunds (id),
    line_index      INTEGER NOT NULL,
    quantity        INTEGER NOT NULL,
    amount_fen      INTEGER NOT NULL,
    points_reversed INTEGER NOT NULL,
    points_restored INTEGER NOT NULL,
    PRIMARY KEY (refund_id, line_index)
) STRICT;

-- R-PTS-7: append-only signed entries; seq is the store's monotonic ledger sequence
-- (AUTOINCREMENT never reuses a value), so (store_id, seq) is unique across stores.
CREATE TABLE points_ledger (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id     TEXT NOT NULL,
    card_number  TEXT NOT NULL REFERENCES cards (number),
    kind         TEXT NOT NULL,
    points       INTEGER NOT NULL,
    business_day TEXT NOT NULL,
    sale_id      INTEGER REFERENCES sales (id),
    refund_id    INTEGER REFERENCES refunds (id),
    related_card TEXT,
    staff_id     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX points_ledger_card ON points_ledger (card_number, seq);
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'points ledger is append-only'); END;
CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'points ledger is append-only'); END;

CREATE TABLE card_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id     TEXT NOT NULL,
    card_number  TEXT NOT NULL REFERENCES cards (number),
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,              -- JSON
    staff_id     TEXT NOT NULL,
    workstation  TEXT NOT NULL,
    business_day TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX card_events_card ON card_events (card_number, id);
CREATE TRIGGER card_events_no_update BEFORE UPDATE ON card_events
BEGIN SELECT RAISE(ABORT, 'card events are append-only'); END;
CREATE TRIGGER card_events_no_delete BEFORE DELETE ON card_events
BEGIN SELECT RAISE(ABORT, 'card events are append-only'); END;

CREATE TABLE loss_reports (
    id               INTEGER PRIMARY KEY,
    card_number      TEXT NOT NULL REFERENCES cards (number),
    reported_on      TEXT NOT NULL,
    deadline         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    staff_id         TEXT NOT NULL,
    completed_on     TEXT,
    replacement_card TEXT REFERENCES cards (number)
) STRICT;
CREATE UNIQUE INDEX loss_reports_one_open ON loss_reports (card_number) WHERE completed_on IS NULL;

-- A receipt proves same-day spend for one enrolment or reactivation only (R-ENR-4, R-EXP-2).
CREATE TABLE qualifying_receipts (
    sale_id     INTEGER PRIMARY KEY REFERENCES sales (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('enrolment', 'reactivation')),
    card_number TEXT NOT NULL REFERENCES cards (number),
    used_on     TEXT NOT NULL
) STRICT;

-- Gifts, vouchers and tickets handed out (R-ENR-6, R-SRV-1/2, R-PTS-6).
CREATE TABLE service_grants (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('welcome_gift', 'parking', 'birthday_gift', 'gift_exchange')),
    card_number  TEXT NOT NULL REFERENCES cards (number),
    member_id    TEXT NOT NULL REFERENCES members (id),
    business_day TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    detail       TEXT NOT NULL,              -- JSON
    staff_id     TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX service_grants_parking_daily ON service_grants (card_number, business_day) WHERE kind = 'parking';
CREATE UNIQUE INDEX service_grants_birthday_yearly ON service_grants (member_id, substr(business_day, 1, 4)) WHERE kind = 'birthday_gift';
CREATE UNIQUE INDEX service_grants_welcome_once ON service_grants (card_number) WHERE kind = 'welcome_gift';

CREATE TABLE gifts (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    points_price    INTEGER NOT NULL CHECK (points_price > 0),
    stock           INTEGER NOT NULL CHECK (stock >= 0),
    available_from  TEXT NOT NULL,
    available_until TEXT NOT NULL
) STRICT;

CREATE TABLE review_runs (
    business_day TEXT PRIMARY KEY,
    ran_at       TEXT NOT NULL,
    renewed      INTEGER NOT NULL,
    downgraded   INTEGER NOT NULL,
    inactivated  INTEGER NOT NULL
) STRICT;

-- Every change, for head-office sync; payload never changes once written.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id   TEXT NOT NULL,
    topic      TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
CREATE TRIGGER outbox_payload_fixed BEFORE UPDATE OF store_id, topic, entity_id, payload, created_at ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox rows are immutable'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox rows are kept'); END;
