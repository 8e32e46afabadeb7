-- The record of each DR run, written into the restored database once it is up.
CREATE TABLE dr_run (
  run_id       text PRIMARY KEY,
  workflow_id  text NOT NULL,
  reason       text NOT NULL,
  requested_by text NOT NULL,
  status       text NOT NULL,
  started_at   timestamptz NOT NULL,
  ended_at     timestamptz,
  report       jsonb NOT NULL
);
