-- Rows of a loaded table `errors` (--table errors=TARGET) counted by the JSON field :field.
SELECT json_extract(_raw, '$.' || :field) AS value, count(*) AS rows,
       round(100.0 * count(*) / (SELECT count(*) FROM errors), 2) AS percent
FROM errors GROUP BY 1 ORDER BY rows DESC;
