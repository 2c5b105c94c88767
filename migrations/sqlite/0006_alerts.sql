-- Push alerts: the patients' devices, the windows in which one viewer's accesses
-- coalesce into one alert, and the index dispatchers claim pending alerts by.

CREATE TABLE devices (
  id         TEXT PRIMARY KEY,
  doc        TEXT NOT NULL CHECK (json_valid(doc)),
  patient_id TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.patientId')) VIRTUAL,
  refreshed  INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.refreshedAt')) VIRTUAL
) STRICT;

CREATE INDEX devices_by_patient ON devices (patient_id);
CREATE INDEX devices_by_refresh ON devices (refreshed);

-- until is Unix milliseconds.
CREATE TABLE alert_windows (
  patient_id TEXT NOT NULL,
  key        TEXT NOT NULL,
  until      INTEGER NOT NULL,
  PRIMARY KEY (patient_id, key)
) STRICT, WITHOUT ROWID;

-- Only events with an alert still to send are in it: the index stays small.
CREATE INDEX access_events_alerts ON access_events (json_extract(doc, '$.alert'), json_extract(doc, '$.at'))
  WHERE json_extract(doc, '$.alert') IN ('pending', 'claimed');
CREATE INDEX access_events_parked ON access_events (json_extract(doc, '$.at') DESC)
  WHERE json_extract(doc, '$.alert') = 'parked';
