-- Document retention: legal holds, files waiting to be removed, purge records and the
-- approval an admin gives before a school's first purge.

-- Legal holds, set and lifted by admins with a reason. The history stays after a hold is
-- lifted or its document purged, so rows do not reference the document table.
-- document.legal_hold is true exactly while a hold on the document is active.
CREATE TABLE legal_hold (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id    uuid NOT NULL REFERENCES school (id),
  document_id  uuid NOT NULL,
  reason       text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
  placed_by    uuid NOT NULL REFERENCES app_user (id),
  placed_at    timestamptz NOT NULL DEFAULT now(),
  lifted_by    uuid REFERENCES app_user (id),
  lifted_at    timestamptz,
  lift_reason  text CHECK (length(lift_reason) BETWEEN 3 AND 500),
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL) AND (lifted_at IS NULL) = (lift_reason IS NULL))
);

CREATE UNIQUE INDEX legal_hold_active_idx ON legal_hold (document_id) WHERE lifted_at IS NULL;
CREATE INDEX legal_hold_document_idx ON legal_hold (school_id, document_id, placed_at);

-- Files of deleted or purged documents. The row is written in the transaction that deletes
-- the document, so a crash before the file is removed leaves work to finish, not an orphan.
-- The retention workflow removes what is left from primary storage and from the mirror.
CREATE TABLE document_file_removal (
  storage_provider    text NOT NULL CHECK (storage_provider IN ('cloudinary', 's3', 'local')),
  storage_key         text NOT NULL,
  school_id           uuid NOT NULL REFERENCES school (id),
  document_id         uuid NOT NULL,
  category            text NOT NULL,
  content_type        text NOT NULL,
  file_name           text NOT NULL,
  reason              text NOT NULL CHECK (reason IN ('deleted', 'purged')),
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  primary_removed_at  timestamptz,
  PRIMARY KEY (storage_provider, storage_key)
);

CREATE INDEX document_file_removal_pending_idx ON document_file_removal (recorded_at)
  WHERE primary_removed_at IS NULL;

-- One row per purged document or student record, never changed or removed. It names the
-- record, the rule and the run, but not the title, file name or student's name: those may
-- carry the personal data whose period has ended.
CREATE TABLE retention_purge (
  id                bigserial PRIMARY KEY,
  school_id         uuid NOT NULL REFERENCES school (id),
  entity            text NOT NULL CHECK (entity IN ('document', 'student')),
  entity_id         uuid NOT NULL,
  -- The document category, or 'student-record'.
  category          text NOT NULL,
  retention_class   text NOT NULL CHECK (retention_class IN ('financial', 'academic', 'other')),
  rule              text NOT NULL,
  anchor_date       date,
  ends_on           date NOT NULL,
  as_of             date NOT NULL CHECK (as_of >= ends_on),
  storage_provider  text,
  storage_key       text,
  sha256            text,
  size_bytes        bigint,
  workflow_id       text NOT NULL,
  run_id            text NOT NULL,
  purged_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (entity, entity_id)
);

CREATE INDEX retention_purge_school_idx ON retention_purge (school_id, purged_at);

CREATE FUNCTION reject_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER retention_purge_append_only
  BEFORE UPDATE OR DELETE ON retention_purge
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

CREATE TRIGGER retention_purge_no_truncate
  BEFORE TRUNCATE ON retention_purge
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();

-- A school's first purge waits for an admin's approval; later ones run on their own.
CREATE TABLE retention_approval (
  school_id    uuid PRIMARY KEY REFERENCES school (id),
  approved_by  uuid NOT NULL REFERENCES app_user (id),
  approved_at  timestamptz NOT NULL DEFAULT now(),
  workflow_id  text NOT NULL
);

-- Retention runs read a school's documents in id order, a batch at a time.
CREATE INDEX document_school_id_idx ON document (school_id, id);
