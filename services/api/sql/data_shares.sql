-- The shares of a year (city-local days %(lo)s..%(hi)s), one row per department and thing
-- shared; services/api/report/data_shares.py lays them out as the published table. A period
-- shared again counts with its largest answer, not once per download.
SELECT
    level, department, method, route, table_name, period_from, period_to,
    max(tickets) AS tickets,
    count() AS shares
FROM ${database}.data_shares
WHERE day >= %(lo)s AND day <= %(hi)s
GROUP BY level, department, method, route, table_name, period_from, period_to
