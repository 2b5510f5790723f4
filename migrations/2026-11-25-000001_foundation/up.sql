-- Foundation: users, sessions and the append-only audit log.
--
-- Two database roles: the migration role (owner of every table, runs this file)
-- and gascis_app, the role the server's request pool logs in as. gascis_app
-- gets only what the application needs, so the audit log stays append-only
-- even if the application is compromised.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gascis_app') THEN
        CREATE ROLE gascis_app LOGIN;
    END IF;
END
$$;

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{2,32}$'),
    display_name TEXT NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 64),
    -- PHC string of argon2id; never leaves the server.
    password_hash TEXT NOT NULL,
    roles TEXT[] NOT NULL CHECK (
        cardinality(roles) > 0
        AND roles <@ ARRAY['cashier', 'supervisor', 'back_office', 'field', 'finance', 'admin']
    ),
    disabled BOOLEAN NOT NULL DEFAULT false,
    failed_login_count INTEGER NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE sessions (
    -- SHA-256 of the bearer token: a leaked table does not leak sessions.
    token_sha256 BYTEA PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    client_name TEXT NOT NULL DEFAULT '',
    peer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    kind TEXT NOT NULL CHECK (kind <> ''),
    username TEXT NOT NULL DEFAULT '',
    user_id BIGINT,
    rpc TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    peer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_kind_id ON audit_events (kind, id);

-- Even the owner cannot rewrite history without first dropping this trigger.
CREATE FUNCTION audit_events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();

GRANT SELECT, INSERT, UPDATE ON users TO gascis_app;
GRANT SELECT, INSERT, UPDATE ON sessions TO gascis_app;
GRANT SELECT, INSERT ON audit_events TO gascis_app;
GRANT USAGE ON SEQUENCE users_id_seq, audit_events_id_seq TO gascis_app;
GRANT SELECT ON __diesel_schema_migrations TO gascis_app;
