-- Share codes (only their keyed hashes), the viewer sessions they open, and the
-- attempt counters that throttle redemption across nodes.

-- code_hash is unique: redemption finds a code by it alone. views, max_views,
-- expires_at and revoked_at are what UseShareCode's conditional update tests.
CREATE TABLE share_codes (
  id         TEXT PRIMARY KEY,
  doc        TEXT NOT NULL CHECK (json_valid(doc)),
  patient_id TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.patientId')) VIRTUAL,
  code_hash  TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.hash')) VIRTUAL,
  created_at INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.createdAt')) VIRTUAL,
  expires_at INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.expiresAt')) VIRTUAL,
  revoked_at INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.revokedAt')) VIRTUAL,
  views      INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.views')) VIRTUAL,
  max_views  INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.maxViews')) VIRTUAL,
  version    INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.version')) VIRTUAL
) STRICT;

CREATE UNIQUE INDEX share_codes_by_hash ON share_codes (code_hash);
CREATE INDEX share_codes_by_patient ON share_codes (patient_id, created_at DESC, id DESC);

-- Sessions are found by the hash of their bearer token.
CREATE TABLE viewer_sessions (
  id         TEXT PRIMARY KEY,
  doc        TEXT NOT NULL CHECK (json_valid(doc)),
  token_hash TEXT GENERATED ALWAYS AS (json_extract(doc, '$.tokenHash')) VIRTUAL
) STRICT;

CREATE UNIQUE INDEX viewer_sessions_by_token ON viewer_sessions (token_hash);

-- One row per (key, window start in Unix milliseconds); expires is when the row may go.
CREATE TABLE attempts (
  key     TEXT    NOT NULL,
  window  INTEGER NOT NULL,
  count   INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (key, window)
) STRICT, WITHOUT ROWID;

CREATE INDEX attempts_by_expiry ON attempts (expires);
