-- Runs per stage: how many succeeded, failed or were reused, and their durations.
SELECT coalesce(stage, '(exec)') AS stage,
       sum(status = 'succeeded') AS succeeded, sum(status = 'failed') AS failed, sum(status = 'cached') AS cached,
       round(avg(CASE WHEN status != 'cached' THEN duration_ms END) / 1000.0, 2) AS avg_seconds,
       round(max(duration_ms) / 1000.0, 2) AS max_seconds,
       max(started_at) AS last_started
FROM runs GROUP BY 1 ORDER BY 1;
