-- Families: who acts for whose child (guardianships), and what each child's record
-- screens from its guardians (guardian_screens). Both are documents written by
-- adapters/internal/guardiandoc, the shape the MongoDB store writes too.

-- Every guardian's request reads the child's guardianships (by child) and the
-- guardian's own list (by guardian); both oldest first with the id breaking ties.
-- version is what UpdateGuardianship compares and sets.
CREATE TABLE guardianships (
  id          TEXT PRIMARY KEY,
  doc         TEXT NOT NULL CHECK (json_valid(doc)),
  child_id    TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.childId')) VIRTUAL,
  guardian_id TEXT    GENERATED ALWAYS AS (json_extract(doc, '$.guardianId')) VIRTUAL,
  created_at  INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.createdAt')) VIRTUAL,
  version     INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.version')) VIRTUAL
) STRICT;

CREATE INDEX guardianships_by_child ON guardianships (child_id, created_at, id);
CREATE INDEX guardianships_by_guardian ON guardianships (guardian_id, created_at, id);

-- One screen per child, made on its first change.
CREATE TABLE guardian_screens (
  child_id TEXT PRIMARY KEY,
  doc      TEXT NOT NULL CHECK (json_valid(doc)),
  version  INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.version')) VIRTUAL
) STRICT;
