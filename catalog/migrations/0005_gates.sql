-- Gates that held for a ref move, as a JSON array of {"gate": SQL, "value": what it returned}.
ALTER TABLE ref_log ADD COLUMN gates TEXT;

DROP VIEW ref_moves;
CREATE VIEW ref_moves AS
SELECT ref, row_number() OVER (PARTITION BY ref ORDER BY id) AS move, from_id, to_id, action, actor, at, message, gates
FROM ref_log;
