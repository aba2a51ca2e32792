-- Reference data: payers, the formulary, patients and their benefits.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

CREATE TABLE payers (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    short_name  text NOT NULL UNIQUE
);

CREATE TABLE medications (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    generic     text NOT NULL,
    ndc         text NOT NULL UNIQUE,
    drug_class  text NOT NULL,
    controlled  boolean NOT NULL DEFAULT false
);

CREATE TABLE patients (
    id          bigserial PRIMARY KEY,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    full_name   text GENERATED ALWAYS AS (lower(first_name || ' ' || last_name)) STORED,
    dob         date NOT NULL,
    phone       text,
    member_id   text NOT NULL UNIQUE,
    payer_id    integer NOT NULL REFERENCES payers(id)
);
CREATE INDEX patients_dob_idx ON patients (dob);
CREATE INDEX patients_phone_idx ON patients (phone);
CREATE INDEX patients_name_trgm_idx ON patients USING gin (full_name gin_trgm_ops);

CREATE TABLE patient_medications (
    id            bigserial PRIMARY KEY,
    patient_id    bigint NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    medication_id integer NOT NULL REFERENCES medications(id),
    name          text NOT NULL,
    ndc           text NOT NULL,
    pa_required   boolean NOT NULL,
    pa_status     text CHECK (pa_status IN ('approved', 'pending', 'denied')),
    step_therapy  boolean NOT NULL,
    refills_left  integer NOT NULL DEFAULT 0,
    UNIQUE (patient_id, medication_id)
);

CREATE TABLE benefits (
    patient_id      bigint NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    medication_id   integer NOT NULL REFERENCES medications(id),
    covered         boolean NOT NULL,
    tier            integer NOT NULL,
    copay_cents     bigint NOT NULL,
    deductible_met  boolean NOT NULL,
    pa_required     boolean NOT NULL,
    PRIMARY KEY (patient_id, medication_id)
);

-- Payer policy documents, chunked and embedded for the PA search.
CREATE TABLE payer_documents (
    id           serial PRIMARY KEY,
    payer_id     integer REFERENCES payers(id),
    title        text NOT NULL,
    source       text NOT NULL UNIQUE,
    sha256       text NOT NULL,
    ingested_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingestion_chunks (
    id           bigserial PRIMARY KEY,
    document_id  integer NOT NULL REFERENCES payer_documents(id) ON DELETE CASCADE,
    payer_id     integer REFERENCES payers(id),
    ordinal      integer NOT NULL,
    text         text NOT NULL,
    embedding    real[] NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    tsv          tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
);
CREATE INDEX ingestion_chunks_tsv_idx ON ingestion_chunks USING gin (tsv);
CREATE INDEX ingestion_chunks_payer_idx ON ingestion_chunks (payer_id);

-- What calls produce.
CREATE TABLE voice_calls (
    call_sid     text PRIMARY KEY,
    direction    text NOT NULL DEFAULT 'inbound',
    from_number  text,
    to_number    text,
    patient_id   bigint REFERENCES patients(id),
    started_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    end_reason   text,
    outcome      text
);

CREATE TABLE call_utterances (
    id          bigserial PRIMARY KEY,
    call_sid    text NOT NULL REFERENCES voice_calls(call_sid) ON DELETE CASCADE,
    speaker     text NOT NULL CHECK (speaker IN ('caller', 'bot')),
    text        text NOT NULL,
    started_ms  bigint NOT NULL,
    ended_ms    bigint,
    cut_off     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX call_utterances_call_idx ON call_utterances (call_sid, started_ms);

CREATE TABLE function_calls (
    id          bigserial PRIMARY KEY,
    call_sid    text,
    name        text NOT NULL,
    started_at  timestamptz NOT NULL,
    latency_ms  double precision NOT NULL,
    budget_ms   integer NOT NULL,
    budget_met  boolean NOT NULL,
    outcome     text NOT NULL,
    args_hmac   text NOT NULL
);
CREATE INDEX function_calls_name_idx ON function_calls (name, started_at);

CREATE TABLE adverse_events (
    id           bigserial PRIMARY KEY,
    case_number  text NOT NULL UNIQUE,
    call_sid     text,
    patient_id   bigint REFERENCES patients(id),
    medication   text,
    symptoms     text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe')),
    escalated    boolean NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE adverse_event_case_seq START 1000;
