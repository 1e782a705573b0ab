-- The catalog's tables. Append-only: a later change is a new numbered file, never an edit.
-- Object and snapshot IDs are 'sha256:' followed by 64 lowercase hex digits.
-- Timestamps are UTC text, 'YYYY-MM-DDTHH:MM:SS.sssZ'.

-- A named series of snapshots.
CREATE TABLE datasets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    kind        TEXT NOT NULL CHECK (kind IN ('run', 'ledger', 'pitch', 'manifest', 'quarantine', 'archive', 'other')),
    created_at  TEXT NOT NULL
);

-- An immutable set of files; its id is the SHA-256 of its manifest (docs/format.md).
-- seq is a local number that keeps the files table's keys short; it means nothing elsewhere.
CREATE TABLE snapshots (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE CHECK (id GLOB 'sha256:*' AND length(id) = 71),
    file_count  INTEGER NOT NULL CHECK (file_count >= 0),
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    created_at  TEXT NOT NULL
);

-- The files of a snapshot, as its manifest lists them, plus row counts of tabular files.
-- Analysts read the snapshot_files view, which names the snapshot by its id.
CREATE TABLE files (
    snapshot    INTEGER NOT NULL REFERENCES snapshots(seq),
    path        TEXT NOT NULL,
    mode        INTEGER NOT NULL CHECK (mode IN (33188, 33261, 40960)),  -- 0o100644, 0o100755, 0o120000
    size        INTEGER NOT NULL CHECK (size >= 0),
    object_id   TEXT NOT NULL CHECK (object_id GLOB 'sha256:*' AND length(object_id) = 71),
    rows        INTEGER CHECK (rows IS NULL OR rows >= 0),
    PRIMARY KEY (snapshot, path)
) WITHOUT ROWID;

-- Snapshot S became version N of dataset D.
CREATE TABLE versions (
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
    created_at  TEXT NOT NULL,
    message     TEXT,
    source      TEXT NOT NULL CHECK (source IN ('commit', 'import', 'run')),
    source_path TEXT,
    PRIMARY KEY (dataset_id, version)
) WITHOUT ROWID;
CREATE INDEX versions_by_snapshot ON versions(snapshot_id);

-- A name pointing at one snapshot; it moves only by promote and rollback.
CREATE TABLE refs (
    name        TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    snapshot_id TEXT NOT NULL REFERENCES snapshots(id),
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Every move of every ref: who, when, from, to, why.
CREATE TABLE ref_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ref         TEXT NOT NULL,
    from_id     TEXT REFERENCES snapshots(id),
    to_id       TEXT NOT NULL REFERENCES snapshots(id),
    action      TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    message     TEXT
);
CREATE INDEX ref_log_by_ref ON ref_log(ref, id);

-- How much of the journal (journal.jsonl) this catalog has applied, in bytes. The journal holds
-- every version and ref move; the catalog is an index over it and the manifests.
CREATE TABLE journal_position (
    single      INTEGER PRIMARY KEY CHECK (single = 1),
    offset      INTEGER NOT NULL CHECK (offset >= 0)
);
INSERT INTO journal_position (single, offset) VALUES (1, 0);
