-- Encoded summaries, one per patient and slot (a reader's scope), each with the
-- version of the record it was made from: a read answers a doc only when that
-- version is the record's mark now (app.SummaryDocStore). Erasure deletes a
-- patient's docs with the entries, and a doc is kept only while its epoch is the
-- record's, so none made before an erasure outlives it.
CREATE TABLE summary_docs (
  patient_id TEXT NOT NULL,
  slot       TEXT NOT NULL,
  version    TEXT NOT NULL,
  epoch      INTEGER NOT NULL,
  doc        BLOB NOT NULL,
  PRIMARY KEY (patient_id, slot)
) STRICT;
