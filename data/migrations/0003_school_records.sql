-- School records. Every school-owned row carries school_id (one database serves every school
-- of a deployment) and a version that optimistic updates compare and increment.

ALTER TABLE school
  ADD COLUMN address text,
  ADD COLUMN fiscal_year_start_month smallint NOT NULL DEFAULT 1 CHECK (fiscal_year_start_month BETWEEN 1 AND 12),
  ADD COLUMN current_academic_year_id uuid,
  ADD COLUMN logo_ref text,
  ADD COLUMN primary_color text CHECK (primary_color ~ '^#[0-9a-fA-F]{6}$'),
  ADD COLUMN storage_provider text NOT NULL DEFAULT 'local',
  ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE TABLE academic_year (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id  uuid NOT NULL REFERENCES school (id),
  name       text NOT NULL,
  starts_on  date NOT NULL,
  ends_on    date NOT NULL CHECK (ends_on > starts_on),
  version    integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (school_id, name)
);

ALTER TABLE school ADD FOREIGN KEY (current_academic_year_id) REFERENCES academic_year (id);

CREATE TABLE term (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id        uuid NOT NULL REFERENCES school (id),
  academic_year_id uuid NOT NULL REFERENCES academic_year (id),
  name             text NOT NULL,
  starts_on        date NOT NULL,
  ends_on          date NOT NULL CHECK (ends_on > starts_on),
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (academic_year_id, name)
);

CREATE TABLE staff (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id       uuid NOT NULL REFERENCES school (id),
  employee_number text NOT NULL,
  first_name      text NOT NULL,
  last_name       text NOT NULL,
  email           text,
  phone           text,
  position        text NOT NULL,
  department      text,
  photo_ref       text,
  hired_on        date,
  left_on         date,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'on_leave', 'left')),
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (school_id, employee_number)
);

CREATE TABLE section (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id         uuid NOT NULL REFERENCES school (id),
  academic_year_id  uuid NOT NULL REFERENCES academic_year (id),
  grade             text NOT NULL,
  name              text NOT NULL,
  homeroom_staff_id uuid REFERENCES staff (id),
  room              text,
  version           integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (academic_year_id, name)
);

CREATE TABLE subject (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id  uuid NOT NULL REFERENCES school (id),
  code       text NOT NULL,
  name       text NOT NULL,
  version    integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (school_id, code)
);

CREATE TABLE student (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id        uuid NOT NULL REFERENCES school (id),
  admission_number text NOT NULL,
  first_name       text NOT NULL,
  last_name        text NOT NULL,
  birth_date       date NOT NULL,
  gender           text CHECK (gender IN ('female', 'male', 'other')),
  email            text,
  phone            text,
  address          text,
  admitted_on      date NOT NULL,
  left_on          date,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn', 'graduated')),
  photo_ref        text,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (school_id, admission_number)
);

CREATE INDEX student_name_idx ON student (school_id, last_name, first_name, id);

CREATE TABLE guardian (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id  uuid NOT NULL REFERENCES school (id),
  first_name text NOT NULL,
  last_name  text NOT NULL,
  email      text,
  phone      text,
  address    text,
  version    integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE student_guardian (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id    uuid NOT NULL REFERENCES school (id),
  student_id   uuid NOT NULL REFERENCES student (id) ON DELETE CASCADE,
  guardian_id  uuid NOT NULL REFERENCES guardian (id) ON DELETE CASCADE,
  relation     text NOT NULL,
  is_primary   boolean NOT NULL DEFAULT false,
  may_pick_up  boolean NOT NULL DEFAULT false,
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (student_id, guardian_id)
);

CREATE TABLE enrolment (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id        uuid NOT NULL REFERENCES school (id),
  student_id       uuid NOT NULL REFERENCES student (id),
  academic_year_id uuid NOT NULL REFERENCES academic_year (id),
  section_id       uuid NOT NULL REFERENCES section (id),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'promoted', 'withdrawn', 'graduated')),
  enrolled_on      date NOT NULL,
  exit_on          date,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (student_id, academic_year_id)
);

CREATE INDEX enrolment_section_idx ON enrolment (section_id);

-- Metadata of a stored file; the storage columns are filled when the upload is written.
CREATE TABLE document (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  school_id       uuid NOT NULL REFERENCES school (id),
  category        text NOT NULL,
  owner_type      text NOT NULL CHECK (owner_type IN ('school', 'student', 'staff')),
  owner_id        uuid,
  title           text NOT NULL,
  document_date   date NOT NULL,
  storage_provider text,
  storage_key     text,
  content_type    text,
  size_bytes      bigint CHECK (size_bytes >= 0),
  sha256          text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  legal_hold      boolean NOT NULL DEFAULT false,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX document_owner_idx ON document (school_id, owner_type, owner_id);
