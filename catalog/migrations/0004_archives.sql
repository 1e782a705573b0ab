-- Archives: versions whose snapshot is written to a tar --zstd file under archives/, each
-- listed in archives/index.jsonl with the same fields. A version with a row here is archived:
-- gc may drop its snapshot's objects unless a live version or ref still uses them. Versions
-- that hold one snapshot share its archive file.

CREATE TABLE archives (
    path           TEXT NOT NULL,         -- relative to .lake/, e.g. archives/20261122/runs/passX@2-0a1b2c3d4e5f.tar.zst
    archive_sha256 TEXT NOT NULL CHECK (archive_sha256 GLOB 'sha256:*'),
    snapshot_id    TEXT NOT NULL REFERENCES snapshots(id),
    dataset        TEXT NOT NULL,
    version        INTEGER NOT NULL,
    original_name  TEXT NOT NULL,         -- the top-level directory inside the tar
    files          INTEGER NOT NULL,
    bytes          INTEGER NOT NULL,
    rows           INTEGER,
    created_at     TEXT NOT NULL,         -- when the version was made
    archived_at    TEXT NOT NULL,
    PRIMARY KEY (dataset, version)
) WITHOUT ROWID;
CREATE INDEX archives_by_snapshot ON archives(snapshot_id);
