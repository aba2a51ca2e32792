-- Outbound benefits verifications: a job per (patient, medication) that the
-- dialer works by calling the payer's provider line; each call's progress
-- and the answers gathered (with the words they came from) are kept on the
-- job, which completes with a `benefits.verified` webhook.

CREATE TABLE payer_lines (
    payer_id        integer PRIMARY KEY REFERENCES payers(id),
    -- The provider services number (E.164).
    phone           text NOT NULL,
    time_zone       text NOT NULL DEFAULT 'America/New_York',
    -- Business hours, as the staff directory writes them ("Mon-Fri 08:00-18:00").
    hours           text NOT NULL DEFAULT 'Mon-Fri 08:00-18:00',
    -- Calls at once to this line.
    max_concurrent  integer NOT NULL DEFAULT 2 CHECK (max_concurrent > 0)
);
INSERT INTO payer_lines (payer_id, phone)
    SELECT id, '+1800555' || lpad(id::text, 4, '0') FROM payers
    ON CONFLICT DO NOTHING;

CREATE TABLE benefits_verifications (
    id               bigserial PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    requested_by     text NOT NULL,
    patient_id       bigint NOT NULL REFERENCES patients(id),
    medication       text NOT NULL,
    payer_id         integer NOT NULL REFERENCES payers(id),
    payer_phone      text NOT NULL,
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN
                         ('queued', 'dialing', 'ivr', 'hold', 'with_rep', 'completed', 'failed', 'needs_human', 'canceled')),
    -- Calls placed so far, and the most allowed.
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 4,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- The call of the current (or last) attempt.
    call_sid         text,
    call_sids        text[] NOT NULL DEFAULT '{}',
    last_error       text,
    -- Completed with some answers missing.
    partial          boolean NOT NULL DEFAULT false,
    -- The answers: field -> {value, heard, confidence, confirmed}.
    result           jsonb NOT NULL DEFAULT '{}'::jsonb,
    finished_at      timestamptz
);
CREATE INDEX benefits_verifications_due_idx ON benefits_verifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX benefits_verifications_call_idx ON benefits_verifications (call_sid);
