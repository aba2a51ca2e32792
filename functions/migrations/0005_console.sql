-- People who use the console and the API: supervisors, staff, admins, and
-- the service accounts of scripts. Passwords are argon2id PHC strings;
-- session and API tokens are stored only as SHA-256 digests.
CREATE TABLE console_users (
    id             bigserial PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    role           text NOT NULL CHECK (role IN ('admin', 'supervisor', 'staff')),
    password_hash  text,
    disabled       boolean NOT NULL DEFAULT false,
    failed_signins integer NOT NULL DEFAULT 0,
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console_sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES console_users(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id);

CREATE TABLE api_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES console_users(id) ON DELETE CASCADE,
    label       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- A supervisor who takes over a call speaks in its transcript as themself.
ALTER TABLE call_utterances DROP CONSTRAINT IF EXISTS call_utterances_speaker_check;
ALTER TABLE call_utterances ADD CONSTRAINT call_utterances_speaker_check
    CHECK (speaker IN ('caller', 'bot', 'supervisor'));
