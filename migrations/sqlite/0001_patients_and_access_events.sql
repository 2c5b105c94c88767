-- Each aggregate is one JSON document, as in MongoDB; the fields Kith looks rows up by
-- are generated columns, indexed and queried by name.

-- The id derives from the identity provider's (issuer, subject): see patient.IDFor.
CREATE TABLE patients (
  id      TEXT PRIMARY KEY,
  doc     TEXT NOT NULL CHECK (json_valid(doc)),
  version INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.version')) VIRTUAL
) STRICT;

CREATE TABLE access_events (
  id         TEXT PRIMARY KEY,
  doc        TEXT NOT NULL CHECK (json_valid(doc)),
  patient_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.patientId')) VIRTUAL,
  seq        INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.seq')) VIRTUAL
) STRICT;

-- One event per place in a patient's chain: the compare-and-set that keeps the chain linear.
CREATE UNIQUE INDEX access_events_by_chain ON access_events (patient_id, seq);
