-- The tickets supervised (督办) in the period [%(lo_ms)s, %(hi_ms)s): the first supervision in it
-- and how many there were.
SELECT subject AS ticket_id, min(time_ms) AS first_ms, uniqExact(source, id) AS times
FROM ${database}.events
WHERE entity = 'ticket' AND type = 'hotline.ticket.supervised'
  AND time >= toDateTime(%(lo_s)s) AND time < toDateTime(%(hi_s)s)
  AND time_ms >= %(lo_ms)s AND time_ms < %(hi_ms)s
GROUP BY subject
