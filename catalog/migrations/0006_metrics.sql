-- Numeric fields of metrics, manifest and report JSON files, flattened to key -> value rows
-- (nested keys joined with '.', array items by index: "eval.rmse", "folds.0.auc").
CREATE TABLE metric_values (
    snapshot    INTEGER NOT NULL REFERENCES snapshots(seq),
    path        TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       REAL NOT NULL,
    PRIMARY KEY (snapshot, path, key)
) WITHOUT ROWID;

-- The metrics of every snapshot, named by the snapshot's id.
CREATE VIEW metrics AS
SELECT s.id AS snapshot_id, m.path, m.key, m.value
FROM metric_values m JOIN snapshots s ON s.seq = m.snapshot;
