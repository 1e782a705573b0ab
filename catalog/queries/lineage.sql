-- Every run and input snapshot upstream of :snapshot (a full snapshot id), nearest first.
WITH RECURSIVE up(snapshot, depth) AS (
    SELECT :snapshot, 0
    UNION
    SELECT l.input_snapshot, up.depth + 1
    FROM up JOIN lineage l ON l.output_snapshot = up.snapshot
    WHERE up.depth < 50
)
SELECT up.depth, l.run_id, l.stage, l.input, l.input_snapshot, l.output, l.dataset, l.version
FROM up JOIN lineage l ON l.output_snapshot = up.snapshot
ORDER BY up.depth, l.run_id, l.input;
