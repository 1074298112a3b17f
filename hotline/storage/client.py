"""clickhouse-driver connections built from ClickHouseSettings (native protocol)."""

from __future__ import annotations

from clickhouse_driver import Client

from hotline.settings import ClickHouseSettings



def connect(settings: ClickHouseSettings, *, database: bool = True, **client_settings) -> Client:
    """A new client; `database=False` connects to `default` (the database may not exist yet).

    Connections are lazy: nothing blocks until the first query.
    """
    return Client(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password.get_secret_value(),
        database=settings.database if database else "default",
        connect_timeout=5,
        send_receive_timeout=300,
        settings=client_settings or None,
    )
