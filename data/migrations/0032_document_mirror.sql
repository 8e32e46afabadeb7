-- What the hourly mirror has copied to secondary storage, one row per object key, with the
-- SHA-256 of the copied bytes. The size and modification time seen in the primary decide
-- cheaply whether an object may have changed; only then is it read and hashed.
CREATE TABLE mirror_object (
  key                 text PRIMARY KEY,
  sha256              text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes          bigint NOT NULL CHECK (size_bytes >= 0),
  source_modified_at  timestamptz NOT NULL,
  mirrored_at         timestamptz NOT NULL DEFAULT now()
);

-- One row per mirror run, written when it ends.
CREATE TABLE mirror_run (
  run_id        text PRIMARY KEY,
  workflow_id   text NOT NULL,
  status        text NOT NULL CHECK (status IN ('good', 'partial', 'refused', 'failed')),
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz NOT NULL,
  scanned       integer NOT NULL,
  copied        integer NOT NULL,
  skipped       integer NOT NULL,
  failed        integer NOT NULL,
  bytes_moved   bigint NOT NULL,
  note          text
);

CREATE INDEX mirror_run_good_idx ON mirror_run (ended_at DESC) WHERE status = 'good';
