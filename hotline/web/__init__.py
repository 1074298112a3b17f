"""HTTP pieces the services of the platform share: problem details and the last resort
(problems), request metrics (request_metrics), the Prometheus registry and /metrics (prometheus)."""
