-- Satisfaction of the assessment, per department: the evaluations of the tickets created in
-- %(lo)s..%(hi)s whose final handling is a department. An evaluation is rated when it answered
-- the question(s) (%(any)s = 0: the resolution question; 1: either), unsatisfied when an answered
-- one is false. %(latest)s = 1: a ticket counts by its latest rated evaluation; 0: every rated
-- evaluation counts. `unsatisfied`: tickets with at least one unsatisfied evaluation.
SELECT department,
       sum(if(%(latest)s = 1, toUInt64(rated_n > 0), rated_n)) AS rated,
       sum(if(%(latest)s = 1, toUInt64(rated_n > 0 AND latest_unsatisfied = 0), toUInt64(rated_n - unsatisfied_n))) AS satisfied,
       countIf(unsatisfied_n > 0) AS unsatisfied
FROM
(
    SELECT subject AS ticket_id,
           uniqExactIf(source, id, rated) AS rated_n,
           uniqExactIf(source, id, unsat) AS unsatisfied_n,
           argMaxIf(unsat, (time_ms, id), rated) AS latest_unsatisfied
    FROM
    (
        SELECT subject, source, id, time_ms,
               toUInt8(visitParamExtractRaw(data, 'resolution_satisfied') IN ('true', 'false')
                       OR (%(any)s = 1 AND visitParamExtractRaw(data, 'service_satisfied') IN ('true', 'false'))) AS rated,
               toUInt8(visitParamExtractRaw(data, 'resolution_satisfied') = 'false'
                       OR (%(any)s = 1 AND visitParamExtractRaw(data, 'service_satisfied') = 'false')) AS unsat
        FROM ${database}.events
        WHERE entity = 'ticket' AND type = 'hotline.ticket.evaluated'
          AND subject IN (SELECT ticket_id FROM ${database}.ticket_facts
                          WHERE created_ms > 0 AND day >= %(lo)s AND day <= %(hi)s AND handling = 'department')
    )
    GROUP BY subject
)
ANY INNER JOIN
(
    SELECT ticket_id, department
    FROM ${database}.ticket_facts ${final}
    WHERE created_ms > 0 AND day >= %(lo)s AND day <= %(hi)s AND handling = 'department'
      AND (%(department)s = '' OR department = %(department)s)
) USING ticket_id
GROUP BY department
