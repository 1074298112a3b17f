-- The newest event time written to ClickHouse (only the last two days' partitions are read).
SELECT max(time_ms) AS newest_ms FROM ${database}.events WHERE time >= toDateTime(%(since_s)s)
