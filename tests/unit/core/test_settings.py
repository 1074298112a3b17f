from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotline.settings import ClickHouseSettings, KafkaSettings, StackSettings


pytestmark = pytest.mark.usefixtures("clean_env")  # tests/unit/conftest.py


def test_defaults():
    ch, k = ClickHouseSettings(), KafkaSettings()
    assert (ch.host, ch.port, ch.http_port, ch.database, ch.external) == ("127.0.0.1", 9000, 8123, "hotline", False)
    assert (k.bootstrap_servers, k.partitions, k.external) == ("127.0.0.1:9092", 8, False)
    assert k.topics == ("hotline.calls.v1", "hotline.tickets.v1", "hotline.deadletter.v1")


def test_non_loopback_host_means_external(monkeypatch):
    monkeypatch.setenv("HOTLINE_CLICKHOUSE_HOST", "clickhouse")
    monkeypatch.setenv("HOTLINE_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    assert ClickHouseSettings().external is True
    assert KafkaSettings().external is True
    monkeypatch.setenv("HOTLINE_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092,[::1]:9093")
    assert KafkaSettings().external is False
    monkeypatch.setenv("HOTLINE_KAFKA_EXTERNAL", "true")
    assert KafkaSettings().external is True


def test_invalid_values_are_refused(monkeypatch):
    monkeypatch.setenv("HOTLINE_KAFKA_PARTITIONS", "0")
    with pytest.raises(ValidationError, match="partitions"):
        KafkaSettings()
    monkeypatch.delenv("HOTLINE_KAFKA_PARTITIONS")
    monkeypatch.setenv("HOTLINE_KAFKA_BOOTSTRAP_SERVERS", "no-port")
    with pytest.raises(ValidationError, match="is not host:port"):
        KafkaSettings()
    monkeypatch.setenv("HOTLINE_CLICKHOUSE_DATABASE", "hotline; DROP TABLE x")
    with pytest.raises(ValidationError, match="database"):
        ClickHouseSettings()


def test_state_dir_is_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOTLINE_STATE_DIR", "rel/state")
    assert StackSettings().state_dir == tmp_path / "rel" / "state"
