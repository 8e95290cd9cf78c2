-- Head office (PostgreSQL): every store's event log keyed by (store_id, seq), the projections
-- built from it, the change feed stores pull, redemption holds, staff and alarms.
-- Money is NUMERIC(14,2), points BIGINT.

CREATE TABLE stores (
    store_id          TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    -- SHA-256 (hex) of the credential `<store_id>.<secret>`: the secret itself is never kept.
    credential_sha256 TEXT NOT NULL,
    registered_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at        TIMESTAMPTZ,
    -- Largest h such that every seq <= h of this store is in `events`.
    high_water        BIGINT NOT NULL DEFAULT 0,
    last_push_at      TIMESTAMPTZ,
    -- created_at of the event at the high-water mark (how far behind the store's log is).
    high_water_at     TIMESTAMPTZ
);

CREATE TABLE events (
    store_id    TEXT NOT NULL REFERENCES stores (store_id),
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    hash        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- False: a kind/version this head office does not know (or a payload that does not
    -- parse): kept, reported, projected nothing.
    known       BOOLEAN NOT NULL,
    problem     TEXT,
    PRIMARY KEY (store_id, seq)
);
CREATE INDEX events_unknown ON events (kind, version) WHERE NOT known;

-- Members as sent (personal data sealed with the chain key); lookup keys are blind indexes.
CREATE TABLE members (
    member_id    TEXT PRIMARY KEY,
    home_store   TEXT NOT NULL,
    id_kind      TEXT,
    id_lookup    TEXT,
    phone_lookup TEXT,
    snapshot     JSONB NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    origin       TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX members_id_lookup ON members (id_lookup);
CREATE INDEX members_phone_lookup ON members (phone_lookup);

-- Cards merged from every store: state by precedence, other fields from the newest snapshot.
CREATE TABLE cards (
    card_number TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL,
    state       TEXT NOT NULL,
    precedence  SMALLINT NOT NULL,
    snapshot    JSONB NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    -- The store that took the loss report that blocked the card: only it may withdraw it.
    loss_store  TEXT,
    origin      TEXT,
    -- The last merge was an explicit loss-report withdrawal (the feed says so to stores).
    withdrawal  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cards_member ON cards (member_id);
CREATE INDEX cards_hotlist ON cards (card_number) WHERE state IN ('blocked', 'replaced');
CREATE VIEW hotlist AS
    SELECT card_number, state, updated_at FROM cards WHERE state IN ('blocked', 'replaced');

-- Every points entry of every store; a card's balance is their sum.
CREATE TABLE ledger (
    store_id     TEXT NOT NULL,
    ledger_seq   BIGINT NOT NULL,
    card_number  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    points       BIGINT NOT NULL,
    business_day DATE NOT NULL,
    receipt_no   TEXT,
    PRIMARY KEY (store_id, ledger_seq)
);
CREATE INDEX ledger_card ON ledger (card_number);

CREATE TABLE balances (
    card_number TEXT PRIMARY KEY,
    points      BIGINT NOT NULL
);

-- Spend per sale with a card (R-EXP-3): cash part, minus refunded cash; a card year's spend
-- is the sum over the sales whose business day falls in it.
CREATE TABLE card_spend (
    store_id     TEXT NOT NULL,
    receipt_no   TEXT NOT NULL,
    card_number  TEXT,
    business_day DATE,
    cash         NUMERIC(14,2) NOT NULL DEFAULT 0,
    refunded     NUMERIC(14,2) NOT NULL DEFAULT 0,
    has_sale     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (store_id, receipt_no)
);
CREATE INDEX card_spend_card ON card_spend (card_number, business_day);

-- Offline overdrafts: a card's chain balance went below zero.
CREATE TABLE debts (
    id            BIGSERIAL PRIMARY KEY,
    card_number   TEXT NOT NULL,
    store_id      TEXT NOT NULL,
    points        BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    flagged_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX debts_card ON debts (card_number);

-- Online redemption holds: confirmed against the chain balance, released by the sale's event.
CREATE TABLE holds (
    store_id    TEXT NOT NULL,
    receipt_no  TEXT NOT NULL,
    card_number TEXT NOT NULL,
    points      BIGINT NOT NULL,
    balance     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    released_at TIMESTAMPTZ,
    PRIMARY KEY (store_id, receipt_no)
);
CREATE INDEX holds_open ON holds (card_number) WHERE released_at IS NULL;

-- The change feed: ids become visible in id order (written under an advisory lock).
CREATE TABLE changes (
    id     BIGSERIAL PRIMARY KEY,
    origin TEXT,
    body   JSONB NOT NULL,
    at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE alarms (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    store_id    TEXT NOT NULL,
    code        TEXT NOT NULL,
    seq         BIGINT,
    stored_hash TEXT,
    sent_hash   TEXT
);

CREATE TABLE hq_staff (
    staff_number TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    pin_hash     TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE hq_sessions (
    token_sha256 TEXT PRIMARY KEY,
    staff_number TEXT NOT NULL REFERENCES hq_staff (staff_number),
    role         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One annual review per business day, whichever head-office process claims it first.
CREATE TABLE review_runs (
    business_day DATE PRIMARY KEY,
    ran_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    renewed      INTEGER NOT NULL DEFAULT 0,
    downgraded   INTEGER NOT NULL DEFAULT 0,
    inactivated  INTEGER NOT NULL DEFAULT 0
);
