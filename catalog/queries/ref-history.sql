-- The moves of :ref, newest first, with the versions each target was.
SELECT m.move, m.at, m.action, m.from_id, m.to_id,
       (SELECT group_concat(dataset || '@' || version, ' ') FROM version_details WHERE snapshot_id = m.to_id) AS to_versions,
       m.actor, m.message
FROM ref_moves m WHERE m.ref = :ref ORDER BY m.move DESC;
