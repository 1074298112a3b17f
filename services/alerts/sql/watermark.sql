-- The watermark: the event time of the newest ticket event stored, ignoring events timed more than
-- the allowed skew past the wall clock (%(until_ms)s). 0 with no ticket event.
SELECT max(time_ms) AS watermark_ms, count() AS n
FROM ${database}.events
WHERE entity = 'ticket' AND time_ms <= %(until_ms)s
