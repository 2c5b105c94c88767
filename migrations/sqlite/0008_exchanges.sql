-- Pulling records from regional exchanges: the registered exchanges, each patient's
-- links to them, and the named leases that share pulling between Kith nodes.
-- Unlike the document tables of steps 1 to 6, every field is a plain column written
-- by the store (see step 7: SQLite answers from an index alone only with plain
-- columns); the lists (scopes, types, cursors) are JSON text. Times are Unix
-- milliseconds, NULL where the domain's time is zero.

-- Keyed by the exchange's id, which is also the listing order. version is what
-- UpdateExchange compares and sets.
CREATE TABLE exchanges (
  id              TEXT PRIMARY KEY,
  name            TEXT    NOT NULL,
  base_url        TEXT    NOT NULL,
  client_id       TEXT    NOT NULL,
  token_url       TEXT    NOT NULL,
  scopes          TEXT    NOT NULL CHECK (json_valid(scopes)),
  key_file        TEXT    NOT NULL,
  page_size       INTEGER NOT NULL,
  rate_per_second INTEGER NOT NULL,
  concurrency     INTEGER NOT NULL,
  types           TEXT    NOT NULL CHECK (json_valid(types)),
  everything      INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  version         INTEGER NOT NULL
) STRICT;

-- A patient's consent to pulls from one exchange. UNIQUE (patient_id, exchange_id)
-- is "one link per patient and exchange", so of two racing creations one inserts;
-- its index also serves the patient's few links. lease_holder is '' when no node
-- holds the link.
CREATE TABLE exchange_links (
  id                TEXT PRIMARY KEY,
  patient_id        TEXT    NOT NULL,
  exchange_id       TEXT    NOT NULL,
  status            TEXT    NOT NULL,
  source_patient    TEXT    NOT NULL,
  cursors           TEXT    NOT NULL CHECK (json_valid(cursors)),
  last_attempt_at   INTEGER,
  last_success_at   INTEGER,
  last_error        TEXT    NOT NULL,
  last_error_reason TEXT    NOT NULL,
  failures          INTEGER NOT NULL,
  next_due_at       INTEGER NOT NULL,
  pulled            INTEGER NOT NULL,
  sync_requested_at INTEGER,
  alert_new_results INTEGER NOT NULL,
  lease_holder      TEXT    NOT NULL,
  lease_until       INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  version           INTEGER NOT NULL,
  UNIQUE (patient_id, exchange_id)
) STRICT;

-- ClaimLinks: due links, most overdue first, across patients.
CREATE INDEX exchange_links_due ON exchange_links (next_due_at, id);

-- One row per named lease ever taken and not released. The primary key makes the
-- first acquisition of a name an insert only one node can make.
CREATE TABLE leases (
  name   TEXT PRIMARY KEY,
  holder TEXT    NOT NULL,
  until  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
