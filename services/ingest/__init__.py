"""The ingest service: CloudEvents over HTTP into Kafka (see app.py and routes/events.py)."""
