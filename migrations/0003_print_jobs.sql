-- Print queue (issue: receipt printers). Every document is stored before it goes to the
-- printer, in its own transaction after the sale's: a printer fault never loses a receipt and
-- never undoes a sale. The operator retries a failed job, or reprints a COPY of a printed one.
CREATE TABLE print_jobs (
    id          INTEGER PRIMARY KEY,
    workstation TEXT NOT NULL,
    kind        TEXT NOT NULL,                -- DocumentKind, snake_case
    document    TEXT NOT NULL,                -- the Document as JSON
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'printed', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    fault       TEXT,                         -- paper_out, cover_open, offline, refused, timeout, io
    last_error  TEXT,                         -- the operator's message of the last failure
    printed_at  TEXT,
    reprint_of  INTEGER REFERENCES print_jobs (id)  -- a COPY of that job
) STRICT;
CREATE INDEX print_jobs_workstation_state ON print_jobs (workstation, state, id);
CREATE INDEX print_jobs_state ON print_jobs (state, id);
