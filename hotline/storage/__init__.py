"""ClickHouse: the connection factory, the versioned schema migrations and their runner."""
