"""The local stack for development machines and CI: ClickHouse 18.16 and Apache Kafka (KRaft) as
real processes (no Docker), plus the platform's services."""
