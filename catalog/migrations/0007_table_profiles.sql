-- What a commit learns of each tabular file (.csv, .tsv, .jsonl, .ndjson and their .gz and
-- .zst forms) besides its rows: the column names, as a JSON array (the CSV header; the union
-- of top-level JSON keys, at most 500), and how many records did not parse. NULL for other
-- files, and for files of snapshots catalogued before this migration until
-- `lake fsck --rebuild-catalog` recounts them.
ALTER TABLE files ADD COLUMN columns TEXT CHECK (columns IS NULL OR json_type(columns) = 'array');
ALTER TABLE files ADD COLUMN parse_errors INTEGER CHECK (parse_errors IS NULL OR parse_errors >= 0);

DROP VIEW snapshot_files;
CREATE VIEW snapshot_files AS
SELECT s.id AS snapshot_id, f.path, f.mode, f.size, f.object_id, f.rows, f.columns, f.parse_errors
FROM files f JOIN snapshots s ON s.seq = f.snapshot;
