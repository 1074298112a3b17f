-- The department assessment's measures from the facts: tickets created in %(lo)s..%(hi)s whose
-- final handling is a department, per department (services/api/brief/assessment.py). Handling
-- time: pending ones (-1, the calendar does not cover their days yet) are left out of the mean.
-- Measures named after a column get the suffix _n: ClickHouse aliases are global, and
-- `sum(completed) AS completed` would make countIf(completed = 1) read the sum.
SELECT department,
       count() AS dispatched,
       sum(completed) AS completed_n,
       sum(on_time) AS on_time_n,
       sumIf(handling_work_s, completed = 1 AND handling_work_s >= 0) AS work_s,
       countIf(completed = 1 AND handling_work_s >= 0) AS handling_known,
       sum(evaluation_requests) AS evaluation_requests_n,
       sum(evaluations) AS evaluations_n,
       countIf(supervised > 0) AS supervised_n
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0 AND day >= %(lo)s AND day <= %(hi)s AND handling = 'department'
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY department
