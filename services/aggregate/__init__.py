"""The aggregate service: Faust workers that fold the event topics into ClickHouse.

Pure core: `decode` (Kafka message -> event), `prepare` (a batch -> rows, dead letters, touched
entities). IO at the edges: `writer` (ClickHouse), `consumer` + `batches` (Faust), `replay` (re-reading topics).
"""
