-- Document files: the provider and key each file was written to, so switching providers
-- never strands an older file, and the name it was uploaded under.

ALTER TABLE document
  ADD COLUMN file_name text CHECK (length(file_name) BETWEEN 1 AND 255),
  ADD CONSTRAINT document_storage_provider_check
    CHECK (storage_provider IN ('cloudinary', 's3', 'local')),
  -- A file is recorded whole or not at all.
  ADD CONSTRAINT document_file_complete_check
    CHECK ((storage_provider IS NULL) = (storage_key IS NULL)
       AND (storage_key IS NULL) = (sha256 IS NULL)
       AND (storage_key IS NULL) = (size_bytes IS NULL)
       AND (storage_key IS NULL) = (file_name IS NULL)),
  -- Payroll, financial, sensitive papers and report cards stay in private storage: a row
  -- that would place one at Cloudinary is rejected.
  ADD CONSTRAINT document_private_category_check
    CHECK (storage_provider IS DISTINCT FROM 'cloudinary'
       OR category IN ('branding', 'student-photo', 'staff-photo', 'certificate', 'notice'));

CREATE UNIQUE INDEX document_storage_key_idx ON document (storage_provider, storage_key)
  WHERE storage_key IS NOT NULL;

-- NULL follows STORAGE_PROVIDER from the environment; a value overrides it for the school.
-- Before this migration the column only held its default, so that default becomes NULL.
ALTER TABLE school ALTER COLUMN storage_provider DROP NOT NULL;
ALTER TABLE school ALTER COLUMN storage_provider DROP DEFAULT;
UPDATE school SET storage_provider = NULL WHERE storage_provider = 'local';
ALTER TABLE school ADD CONSTRAINT school_storage_provider_check
  CHECK (storage_provider IN ('cloudinary', 's3', 'local'));

-- The provider the environment selected when each process last started, so a change of
-- STORAGE_PROVIDER is written to the audit log once.
CREATE TABLE storage_provider_state (
  id          boolean PRIMARY KEY DEFAULT true CHECK (id),
  provider    text NOT NULL CHECK (provider IN ('cloudinary', 's3', 'local')),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
