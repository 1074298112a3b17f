-- The detector's newest progress row (alerts_progress), if any.
SELECT watermark_ms, seen_from_s, seen_seconds, seen_events
FROM ${database}.alerts_progress
WHERE detector = %(detector)s
ORDER BY version DESC
LIMIT 1
