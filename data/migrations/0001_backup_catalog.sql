-- The backup catalog: one row per backup workflow run, keyed by its backup id.
CREATE TABLE backup (
  id               text PRIMARY KEY,
  workflow_id      text NOT NULL,
  database_name    text NOT NULL,
  trigger          text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  format           text NOT NULL CHECK (format IN ('custom', 'plain')),
  status           text NOT NULL CHECK (status IN ('running', 'dumped', 'verified', 'failed')),
  object_key       text,
  manifest_key     text,
  size_bytes       bigint CHECK (size_bytes >= 0),
  sha256           text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  server_version   text,
  pg_dump_version  text,
  table_count      integer,
  total_rows       bigint,
  started_at       timestamptz NOT NULL,
  dumped_at        timestamptz,
  verified_at      timestamptz,
  failure_reason   text,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX backup_database_started_idx ON backup (database_name, started_at DESC);
CREATE INDEX backup_verified_idx ON backup (database_name, verified_at DESC) WHERE status = 'verified';
