-- A ticket id that splits the tickets of a report's periods into two halves of about the same
-- number, for the report's two reads of ticket_cubes.sql: the median of about one id in 1024 of
-- the tickets whose day is in the period or the comparison period, picked by a hash of the id
-- (so the same ids each time). Over the periods' tickets, not all: ids that sort by year (as
-- the simulator's do, and many ticketing systems') would otherwise put the split between the
-- years, and one of the two reads would group every ticket of the current year alone.
-- Read without FINAL: a superseded version moves the split a little, which only changes how the
-- work is shared, never the result.
-- modulo(), not the operator: the driver substitutes parameters with Python's % formatting.
-- sampled < 2: too few tickets to be worth splitting (split is then '').
SELECT
    arrayElement(arraySort(groupArray(ticket_id)) AS ids, intDiv(length(ids), 2) + 1) AS split,
    length(ids) AS sampled
FROM ${database}.ticket_facts
WHERE modulo(cityHash64(ticket_id), 1024) = 0
  AND created_ms > 0
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
