-- Post-call work: the job queue (outbox), call analysis, webhooks, and the
-- append-only PHI audit log.

-- Every read of PHI leaves a row here. Rows are never changed or removed:
-- the triggers below refuse UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    action       text NOT NULL,
    resource     text NOT NULL,
    call_sid     text,
    remote_addr  text
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Durable work: claimed with FOR UPDATE SKIP LOCKED, retried with backoff,
-- dead-lettered after max_attempts with the last error kept. `dedupe_key`
-- makes enqueueing idempotent (one job per call, per event delivery, ...).
CREATE TABLE jobs (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    dedupe_key    text NOT NULL UNIQUE,
    payload       jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 6,
    run_at        timestamptz NOT NULL DEFAULT now(),
    locked_by     text,
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX jobs_ready_idx ON jobs (run_at) WHERE status IN ('queued', 'running');

-- The analysis of a finished call, stored on the call.
ALTER TABLE voice_calls
    ADD COLUMN analysis     jsonb,
    ADD COLUMN analyzed_at  timestamptz;

-- Adverse events found by the post-call analysis are deduplicated per call
-- and medication; those flagged live by the dialog carry source 'dialog'.
ALTER TABLE adverse_events
    ADD COLUMN source text NOT NULL DEFAULT 'dialog' CHECK (source IN ('dialog', 'analysis'));
CREATE UNIQUE INDEX adverse_events_analysis_once
    ON adverse_events (call_sid, coalesce(medication, '')) WHERE source = 'analysis';

-- Webhook receivers (URL + shared secret); `events` empty means all events.
CREATE TABLE webhook_subscriptions (
    id          bigserial PRIMARY KEY,
    url         text NOT NULL UNIQUE,
    secret      text NOT NULL,
    events      text[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Each event once (its id is derived from what it is about).
CREATE TABLE webhook_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL
);

-- One row per delivery attempt (the delivery itself is a `webhook` job).
CREATE TABLE webhook_attempts (
    id               bigserial PRIMARY KEY,
    job_id           bigint NOT NULL,
    event_id         text NOT NULL REFERENCES webhook_events(id),
    subscription_id  bigint NOT NULL REFERENCES webhook_subscriptions(id),
    attempt          integer NOT NULL,
    at               timestamptz NOT NULL DEFAULT now(),
    status_code      integer,
    error            text,
    duration_ms      double precision NOT NULL,
    delivered        boolean NOT NULL
);
CREATE INDEX webhook_attempts_event_idx ON webhook_attempts (event_id, attempt);
