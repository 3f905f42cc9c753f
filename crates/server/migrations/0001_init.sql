-- Countersign server schema, version 1.
-- Portable SQL: the same file runs on SQLite and PostgreSQL (TEXT and BIGINT only, no
-- autoincrement, no BLOB, no booleans: flags are 0/1 BIGINTs). Times are unix seconds.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    fraud_blocked BIGINT NOT NULL DEFAULT 0,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    throttled_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created BIGINT NOT NULL
);

-- The activation code itself is never stored: its SHA-256 is the key.
CREATE TABLE activations (
    code_sha256 TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    used BIGINT
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices(user_id);

-- Devices removed (deactivated, user reset or deleted): their keys are kept so that a request
-- from one is answered `device_not_activated` only after its signature checks.
CREATE TABLE revoked_devices (
    id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    revoked BIGINT NOT NULL
);

CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    client_ip TEXT,
    location TEXT,
    number BIGINT NOT NULL,
    options TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    answered BIGINT,
    device_id TEXT,
    signature TEXT NOT NULL
);
CREATE INDEX challenges_user_seq ON challenges(user_id, seq);

-- Monotonic counters; challenge_seq orders challenges for device cursors.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('challenge_seq', 0);

-- Device request nonces seen within the clock-skew window (replay cache).
CREATE TABLE nonces (
    device_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX nonces_expires ON nonces(expires);

-- One software TOTP per user; last_step refuses a code already accepted.
CREATE TABLE software_tokens (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    digits BIGINT NOT NULL,
    period BIGINT NOT NULL,
    last_step BIGINT NOT NULL DEFAULT -1,
    created BIGINT NOT NULL
);

-- OATH hardware tokens (imported from PSKC or CSV), optionally assigned to a user.
CREATE TABLE hardware_tokens (
    serial TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    secret TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    digits BIGINT NOT NULL,
    period BIGINT NOT NULL,
    counter BIGINT NOT NULL DEFAULT 0,
    last_step BIGINT NOT NULL DEFAULT -1,
    drift BIGINT NOT NULL DEFAULT 0,
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    imported BIGINT NOT NULL
);
CREATE INDEX hardware_tokens_user ON hardware_tokens(user_id);

CREATE TABLE app_passwords (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX app_passwords_user ON app_passwords(user_id);

-- The authentication log: one row per verification and per push. The user's details are
-- copied so the row stays meaningful after the user is deleted.
CREATE TABLE auth_log (
    id TEXT PRIMARY KEY,
    time BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    device_id TEXT,
    mode TEXT NOT NULL,
    result TEXT NOT NULL,
    reason TEXT,
    server_name TEXT NOT NULL,
    server_ip TEXT,
    client_ip TEXT
);
CREATE INDEX auth_log_time ON auth_log(time);
CREATE INDEX auth_log_user_time ON auth_log(user_id, time);

-- Server-wide settings (the challenge-signing key, shared by every node).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
