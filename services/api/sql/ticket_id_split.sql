-- A ticket id that splits the facts into two halves of about the same number of rows, for the
-- report's two reads of ticket_cubes.sql: the median of about one id in 1024, picked by a hash of
-- the id (so the same ids each time). Read without FINAL: a superseded version moves the split
-- a little, which only changes how the work is shared, never the result.
-- modulo(), not the operator: the driver substitutes parameters with Python's % formatting.
-- sampled < 2: too few tickets to be worth splitting (split is then '').
SELECT
    arrayElement(arraySort(groupArray(ticket_id)) AS ids, intDiv(length(ids), 2) + 1) AS split,
    length(ids) AS sampled
FROM ${database}.ticket_facts
WHERE modulo(cityHash64(ticket_id), 1024) = 0
