-- Accounts, sessions, API tokens, login attempts and the append-only audit log.

CREATE TABLE app_user (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id     uuid NOT NULL REFERENCES school (id),
  email         text NOT NULL,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  roles         text[] NOT NULL CHECK (cardinality(roles) > 0),
  staff_id      uuid REFERENCES staff (id),
  disabled      boolean NOT NULL DEFAULT false,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX app_user_email_idx ON app_user (lower(email));

-- Only SHA-256 hashes of session and API tokens are stored, so a database dump cannot sign in.
CREATE TABLE user_session (
  token_hash   text PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);

CREATE TABLE api_token (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE login_attempt (
  id           bigserial PRIMARY KEY,
  email        text NOT NULL,
  address      text NOT NULL,
  succeeded    boolean NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_attempt_email_idx ON login_attempt (email, attempted_at);
CREATE INDEX login_attempt_address_idx ON login_attempt (address, attempted_at);

CREATE TABLE audit_event (
  id          bigserial PRIMARY KEY,
  school_id   uuid REFERENCES school (id),
  actor_id    uuid,
  action      text NOT NULL,
  entity      text NOT NULL,
  entity_id   text,
  before      jsonb,
  after       jsonb,
  request_id  text,
  occurred_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_event_entity_idx ON audit_event (school_id, entity, entity_id);

-- The audit log is append-only: rows can be inserted, never changed or removed.
CREATE FUNCTION reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_event_append_only
  BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION reject_audit_change();

CREATE TRIGGER audit_event_no_truncate
  BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_change();
