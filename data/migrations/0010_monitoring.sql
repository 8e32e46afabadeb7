-- One row per operations problem, keyed by what the problem is about (for example
-- `uptime:https://school.example/healthz` or `backup-rpo:school_ops`), so a problem that
-- persists is one alert. `notified_at` is NULL until the current state has been sent to
-- Sentry and the webhook, so an activity killed before sending sends it when retried.
CREATE TABLE ops_alert (
  key          text PRIMARY KEY,
  kind         text NOT NULL,
  severity     text NOT NULL CHECK (severity IN ('warning', 'critical')),
  -- firing and resolved for conditions such as uptime; event for one-off alerts such as a
  -- failed DR stage, which are sent once and have nothing to resolve.
  status       text NOT NULL CHECK (status IN ('firing', 'resolved', 'event')),
  message      text NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}',
  fired_at     timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  resolved_at  timestamptz,
  notified_at  timestamptz
);

CREATE INDEX ops_alert_firing_idx ON ops_alert (fired_at DESC) WHERE status = 'firing';

-- Each probe of the app's URL by the uptime workflow. `probe_id` is the workflow id, so a
-- retried activity records its probe once.
CREATE TABLE uptime_probe (
  probe_id    text PRIMARY KEY,
  url         text NOT NULL,
  probed_at   timestamptz NOT NULL,
  ok          boolean NOT NULL,
  status_code integer,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  error       text
);

CREATE INDEX uptime_probe_url_probed_idx ON uptime_probe (url, probed_at DESC);
