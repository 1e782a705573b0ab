-- Rows and bytes of :dataset per version, and what each version appended.
SELECT version, created_at, rows, bytes,
       rows - coalesce(lag(rows) OVER (ORDER BY version), 0) AS rows_appended,
       bytes - coalesce(lag(bytes) OVER (ORDER BY version), 0) AS bytes_appended
FROM version_details WHERE dataset = :dataset ORDER BY version;
