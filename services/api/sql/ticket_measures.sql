-- The measures of a ticket cube, written once for ticket_cube.sql and ticket_cubes.sql: the
-- reader (services/api/facts_reader.py) puts them in place of ${ticket_measures}, and with
-- every name prefixed by t_ in place of ${ticket_measures_t} (an inner query's columns, which
-- an outer query sums under the plain names). Handling time: see ticket_cube.sql.
count() AS ${p}tickets,
sum(completed) AS ${p}completed_n,
sumIf(handling_work_s, completed = 1 AND handling_work_s >= 0) AS ${p}work_s,
countIf(completed = 1 AND handling_work_s >= 0) AS ${p}handling_known_n,
countIf(completed = 1 AND handling_work_s < 0) AS ${p}handling_pending_n,
sum(on_time) AS ${p}on_time_n,
sum(to_110) AS ${p}to_110_n,
sum(evaluation_requests) AS ${p}evaluation_requests_n,
sum(evaluations) AS ${p}evaluations_n,
sum(service_rated) AS ${p}service_rated_n,
sum(service_satisfied) AS ${p}service_satisfied_n,
sum(resolution_rated) AS ${p}resolution_rated_n,
sum(resolution_satisfied) AS ${p}resolution_satisfied_n,
countIf(service_rated + resolution_rated > 0) AS ${p}rated_tickets,
countIf(service_satisfied + resolution_satisfied > 0) AS ${p}satisfied_tickets
