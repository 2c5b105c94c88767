-- Organisations, the client assertions they have used, and Kith's own signing keys.
-- As in 0001, each is one JSON document with generated columns for what is queried.

-- Keyed by ODS code, which is also the listing order. version is what
-- UpdateOrganisation compares and sets.
CREATE TABLE organisations (
  ods_code TEXT PRIMARY KEY,
  doc      TEXT NOT NULL CHECK (json_valid(doc)),
  version  INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.version')) VIRTUAL
) STRICT;

-- One row per (client, jti) ever accepted and not yet purged: the primary key is the
-- replay check, so of two uses of one assertion exactly one inserts.
CREATE TABLE assertions (
  client_id  TEXT NOT NULL,
  jti        TEXT NOT NULL,
  doc        TEXT NOT NULL CHECK (json_valid(doc)),
  expires_at INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.expiresAt')) VIRTUAL,
  PRIMARY KEY (client_id, jti)
) STRICT, WITHOUT ROWID;

-- PurgeAssertions deletes by expiry.
CREATE INDEX assertions_by_expiry ON assertions (expires_at);

-- One keyring for the deployment: a single row whose id is fixed, so the first save
-- from two nodes is a primary key conflict and later saves compare-and-set on version.
CREATE TABLE keyring (
  id      TEXT PRIMARY KEY CHECK (id = 'kith'),
  doc     TEXT NOT NULL CHECK (json_valid(doc)),
  version INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.version')) VIRTUAL
) STRICT;
