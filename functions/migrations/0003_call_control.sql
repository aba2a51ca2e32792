-- Call control: staff tasks (callbacks and follow-ups the bot promised),
-- what happened to each call on Twilio's side (status callbacks, transfers,
-- dials, messages), and failed identity verifications (brute-force limits).

CREATE TABLE staff_tasks (
    id              bigserial PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    call_sid        text,
    -- One task per call and reason: a replayed call record or a repeated
    -- webhook does not make a second one.
    dedupe_key      text UNIQUE,
    kind            text NOT NULL DEFAULT 'callback' CHECK (kind IN ('callback', 'follow_up')),
    tier            text NOT NULL CHECK (tier IN ('T1', 'T2', 'T3', 'EMERGENCY')),
    reason          text NOT NULL,
    summary         text NOT NULL DEFAULT '',
    patient_id      bigint REFERENCES patients(id),
    callback_number text,
    due_at          timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at       timestamptz,
    closed_by       text,
    resolution      text
);
CREATE INDEX staff_tasks_open_idx ON staff_tasks (tier, due_at) WHERE status = 'open';
CREATE INDEX staff_tasks_call_idx ON staff_tasks (call_sid);

CREATE TABLE call_events (
    id       bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    call_sid text NOT NULL,
    -- status (Twilio's callback), transfer, dial, task, message
    kind     text NOT NULL,
    detail   jsonb NOT NULL DEFAULT '{}'::jsonb,
    dedupe_key text UNIQUE
);
CREATE INDEX call_events_call_idx ON call_events (call_sid, id);

ALTER TABLE voice_calls ADD COLUMN twilio_status text;

CREATE TABLE verification_failures (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    caller_phone text,
    -- The patients whose name was given (by name alone, any birth date).
    patient_ids  bigint[] NOT NULL DEFAULT '{}',
    call_sid     text
);
CREATE INDEX verification_failures_phone_idx ON verification_failures (caller_phone, at);
CREATE INDEX verification_failures_patients_idx ON verification_failures USING gin (patient_ids);
