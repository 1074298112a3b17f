"""The query settings every connection gets on a cluster, and none on one server
(hotline/storage/client.py says why each is needed)."""

from hotline.settings import ClickHouseSettings
from hotline.storage.client import connect


def test_a_cluster_connection_writes_without_deduplication_and_reads_the_written_replica():
    client = connect(ClickHouseSettings(host="ch-1", port=9000, cluster="hotline", alt_hosts="ch-2:9000,ch-3:9000"))
    assert client.settings == {"insert_distributed_sync": 1, "distributed_product_mode": "global",
                               "insert_deduplicate": 0, "load_balancing": "in_order"}
    assert [(h, p) for h, p in client.connection.hosts] == [("ch-1", 9000), ("ch-2", 9000), ("ch-3", 9000)]


def test_one_server_gets_only_the_settings_asked_for():
    assert connect(ClickHouseSettings()).settings == {}
    assert connect(ClickHouseSettings(), max_threads=1).settings == {"max_threads": 1}


def test_a_node_of_the_cluster_keeps_the_cluster_settings_and_drops_the_failover_hosts():
    client = connect(ClickHouseSettings(cluster="hotline", alt_hosts="ch-2:9000"), host="ch-4", port=9440,
                     alt_hosts="", database_name="hotline_local")
    assert client.settings["insert_deduplicate"] == 0
    assert list(client.connection.hosts) == [("ch-4", 9440)] and client.connection.database == "hotline_local"
