"""The local stack for development machines and CI: ClickHouse 18.16 and the Tansu broker as
real processes (no Docker), plus the platform's services as they land."""
