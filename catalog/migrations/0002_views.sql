-- The views analysts query (docs/catalog.md). Names and columns are stable.

-- Datasets with their latest version.
CREATE VIEW dataset_summary AS
SELECT d.name AS dataset, d.kind, d.created_at,
       count(v.version) AS versions,
       max(v.version) AS latest_version,
       (SELECT v2.snapshot_id FROM versions v2 WHERE v2.dataset_id = d.id ORDER BY v2.version DESC LIMIT 1) AS latest_snapshot,
       (SELECT s.bytes FROM versions v2 JOIN snapshots s ON s.id = v2.snapshot_id
         WHERE v2.dataset_id = d.id ORDER BY v2.version DESC LIMIT 1) AS latest_bytes
FROM datasets d LEFT JOIN versions v ON v.dataset_id = d.id
GROUP BY d.id;

-- The files of every snapshot, named by the snapshot's id.
CREATE VIEW snapshot_files AS
SELECT s.id AS snapshot_id, f.path, f.mode, f.size, f.object_id, f.rows
FROM files f JOIN snapshots s ON s.seq = f.snapshot;

-- Every version with its dataset's name and its snapshot's size and row total.
CREATE VIEW version_details AS
SELECT d.name AS dataset, d.kind, v.version, v.snapshot_id, v.created_at, v.message, v.source, v.source_path,
       s.file_count, s.bytes,
       (SELECT sum(f.rows) FROM files f WHERE f.snapshot = s.seq) AS rows
FROM versions v JOIN datasets d ON d.id = v.dataset_id JOIN snapshots s ON s.id = v.snapshot_id;

-- Moves of refs, newest last, numbered per ref from 1.
CREATE VIEW ref_moves AS
SELECT ref, row_number() OVER (PARTITION BY ref ORDER BY id) AS move, from_id, to_id, action, actor, at, message
FROM ref_log;
