-- The summary is read from the entries on every request instead of being kept in a
-- document of its own, which an interrupted delivery could leave saying something
-- the entries do not. Each entry's document now carries what the summary needs of
-- its resource (section, current, rank, detail). Entries stored before this step
-- have no section until `kith admin rebuild-summaries` reads their resources again.
--
-- The queried fields become plain columns, written by the store beside the document
-- in the same statement, instead of virtual columns read out of the JSON: SQLite
-- answers a query from an index alone (the summary's grouped count, say) only when
-- every column it needs is a plain one. The table is rebuilt to make them so.
CREATE TABLE entries_v7 (
  id            TEXT PRIMARY KEY,
  doc           TEXT NOT NULL CHECK (json_valid(doc)),
  resource      BLOB,
  patient_id    TEXT    NOT NULL,
  date          INTEGER NOT NULL,
  category      TEXT    NOT NULL,
  resource_type TEXT    NOT NULL,
  change_seq    INTEGER NOT NULL,
  deleted       INTEGER NOT NULL,
  revision      INTEGER NOT NULL,
  section       TEXT    NOT NULL,
  current       INTEGER NOT NULL,
  sensitive     INTEGER NOT NULL,
  source        TEXT    NOT NULL,
  updated       INTEGER NOT NULL
) STRICT;

INSERT INTO entries_v7
SELECT id, doc, resource,
  json_extract(doc, '$.patientId'), json_extract(doc, '$.date'), json_extract(doc, '$.category'),
  json_extract(doc, '$.resourceType'), json_extract(doc, '$.changeSeq'), json_extract(doc, '$.deleted'),
  json_extract(doc, '$.revision'), coalesce(json_extract(doc, '$.section'), ''),
  coalesce(json_extract(doc, '$.current'), 0), json_extract(doc, '$.sensitive'),
  coalesce(json_extract(doc, '$.provenances[0].source'), ''), json_extract(doc, '$.updatedAt')
FROM entries;

DROP TABLE entries;
ALTER TABLE entries_v7 RENAME TO entries;

-- As in step 3: EntryHeads newest first with or without a category; the export's
-- walk in id order; the change feed, unique because every write takes a new number.
CREATE INDEX entries_by_date ON entries (patient_id, date DESC, id DESC);
CREATE INDEX entries_by_category ON entries (patient_id, category, date DESC, id DESC);
CREATE INDEX entries_by_patient ON entries (patient_id, id);
CREATE UNIQUE INDEX entries_by_change ON entries (patient_id, change_seq);
-- A section's current or past items, newest first (EntryHeads with a section).
CREATE INDEX entries_by_section ON entries (patient_id, section, current, date DESC, id DESC);
-- RecordTally's grouped count and each source's newest change, from the index alone.
CREATE INDEX entries_tally ON entries (patient_id, deleted, category, section, current, sensitive, source, updated);

DROP TABLE summaries;
