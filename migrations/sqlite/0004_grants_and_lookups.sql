-- Grants (and break-glass accesses), the NHS-number lookup organisations read by, and
-- the reported access events operators and organisations review.

-- Grants of one patient are read together on every disclosure to an organisation.
-- idem_key is the client's Idempotency-Key: unique per patient, so of two retried
-- creates one inserts and the other finds it. Absent keys are NULL, which UNIQUE
-- lets repeat.
CREATE TABLE grants (
  id         TEXT PRIMARY KEY,
  doc        TEXT NOT NULL CHECK (json_valid(doc)),
  patient_id TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.patientId')) VIRTUAL,
  idem_key   TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.idempotencyKey')) VIRTUAL,
  created_at INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.createdAt')) VIRTUAL,
  version    INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.version')) VIRTUAL
) STRICT;

CREATE INDEX grants_by_patient ON grants (patient_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX grants_by_idempotency_key ON grants (patient_id, idem_key);

-- Organisations look a patient up by NHS number.
CREATE INDEX patients_by_nhs_number ON patients (json_extract(doc, '$.nhsNumber'), json_extract(doc, '$.createdAt'));

-- Reported events, most recently reported first; the partial index holds only those.
CREATE INDEX access_events_reported ON access_events (json_extract(doc, '$.reportedAt') DESC)
  WHERE json_extract(doc, '$.reportedAt') IS NOT NULL;
