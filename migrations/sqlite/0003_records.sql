-- Patients' records: their entries, the counter that orders changes to them, and the
-- summary. As before, documents are JSON with generated columns for what is queried;
-- the FHIR resource alone has a column of its own, a BLOB, so it is kept as the exact
-- bytes received (a JSON column would be re-encoded) and lists never read it.

-- Entry ids derive from the patient, so the id alone is the key; every query still
-- names the patient, so another patient's id is simply not found. date is
-- Display.Date in Unix milliseconds; deleted marks tombstones, which keep no resource.
CREATE TABLE entries (
  id            TEXT PRIMARY KEY,
  doc           TEXT NOT NULL CHECK (json_valid(doc)),
  resource      BLOB,
  patient_id    TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.patientId')) VIRTUAL,
  date          INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.date')) VIRTUAL,
  category      TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.category')) VIRTUAL,
  resource_type TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.resourceType')) VIRTUAL,
  change_seq    INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.changeSeq')) VIRTUAL,
  deleted       INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.deleted')) VIRTUAL,
  revision      INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.revision')) VIRTUAL
) STRICT;

-- EntryHeads: newest first, id breaking ties, with or without a category filter.
CREATE INDEX entries_by_date ON entries (patient_id, date DESC, id DESC);
CREATE INDEX entries_by_category ON entries (patient_id, category, date DESC, id DESC);
-- EachEntryForDisclosure walks a record in id order.
CREATE INDEX entries_by_patient ON entries (patient_id, id);
-- The change feed. Unique: every write takes a new number, so a repeat is a bug.
CREATE UNIQUE INDEX entries_by_change ON entries (patient_id, change_seq);

-- One row per patient with a record: last_seq is the last ChangeSeq handed out (a
-- write takes it and stores its entry in one transaction, so the feed never sees a
-- number before its entry); epoch moves on when the record is erased. The row
-- outlives an erasure, so numbers keep rising and an old device cursor can never
-- match new changes. updated is Unix milliseconds, for operators.
CREATE TABLE record_state (
  patient_id TEXT PRIMARY KEY,
  last_seq   INTEGER NOT NULL,
  epoch      INTEGER NOT NULL,
  updated    INTEGER NOT NULL
) STRICT;

-- One summary per patient; revision is what SaveSummary compares and sets.
CREATE TABLE summaries (
  patient_id TEXT PRIMARY KEY,
  doc        TEXT NOT NULL CHECK (json_valid(doc)),
  revision   INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.revision')) VIRTUAL
) STRICT;
