-- The latest version of every dataset with its files, bytes and rows.
SELECT v.dataset, v.kind, v.version, v.snapshot_id, v.file_count AS files, v.bytes, v.rows, v.created_at
FROM version_details v
WHERE v.version = (SELECT max(version) FROM version_details w WHERE w.dataset = v.dataset)
ORDER BY v.dataset;
