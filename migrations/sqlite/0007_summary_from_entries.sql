-- The summary is read from the entries on every request instead of being kept in a
-- document of its own, which an interrupted delivery could leave saying something
-- the entries do not. Each entry's document now carries what the summary needs of
-- its resource (section, current, rank, detail); these columns expose it to the
-- indexes the summary reads through. Entries stored before this step have no
-- section until `kith admin rebuild-summaries` reads their resources again.
ALTER TABLE entries ADD COLUMN section TEXT GENERATED ALWAYS AS (coalesce(json_extract(doc, '$.section'), '')) VIRTUAL;
ALTER TABLE entries ADD COLUMN current INTEGER GENERATED ALWAYS AS (coalesce(json_extract(doc, '$.current'), 0)) VIRTUAL;
ALTER TABLE entries ADD COLUMN sensitive INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.sensitive')) VIRTUAL;
ALTER TABLE entries ADD COLUMN source TEXT GENERATED ALWAYS AS (coalesce(json_extract(doc, '$.provenances[0].source'), '')) VIRTUAL;
ALTER TABLE entries ADD COLUMN updated INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.updatedAt')) VIRTUAL;

-- A section's current or past items, newest first (EntryHeads with a section).
CREATE INDEX entries_by_section ON entries (patient_id, section, current, date DESC, id DESC);
-- RecordTally counts from the index alone, never opening a document.
CREATE INDEX entries_tally ON entries (patient_id, deleted, category, section, current, sensitive);
CREATE INDEX entries_by_source ON entries (patient_id, deleted, source, updated);

DROP TABLE summaries;
