"""The local broker's storage option: memory by default (as it always was), s3 on the local
object store when HOTLINE_BROKER_STORAGE=s3."""

from __future__ import annotations

import pydantic
import pytest

from hotline.settings import KafkaSettings, StackSettings
from hotline.stack.broker_server import BrokerStorageSettings, LocalBroker


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in ("HOTLINE_BROKER_STORAGE", "HOTLINE_BROKER_S3_PORT", "HOTLINE_BROKER_S3_HOST", "HOTLINE_BROKER_S3_BUCKET"):
        monkeypatch.delenv(var, raising=False)
    return StackSettings(state_dir=tmp_path), KafkaSettings(bootstrap_servers="127.0.0.1:22093")


def test_default_is_memory_as_before(clean_env):
    stack, kafka = clean_env
    broker = LocalBroker(stack, kafka)
    argv = broker.argv()
    assert argv[1:] == ["broker", "--storage-engine", "memory://tansu/", "--listener-url", "tcp://127.0.0.1:22093",
                        "--advertised-listener-url", "tcp://127.0.0.1:22093"]
    assert broker.env() == {}
    assert BrokerStorageSettings().object_store(stack) is None


def test_s3_storage_points_the_broker_at_the_local_object_store(clean_env, monkeypatch):
    stack, kafka = clean_env
    monkeypatch.setenv("HOTLINE_BROKER_STORAGE", "s3")
    monkeypatch.setenv("HOTLINE_BROKER_S3_PORT", "22906")
    storage = BrokerStorageSettings()
    broker = LocalBroker(stack, kafka, storage)
    assert broker.argv()[2:4] == ["--storage-engine", "s3://tansu/"]
    env = broker.env()
    assert env["AWS_ENDPOINT"] == "http://127.0.0.1:22906" and env["AWS_ALLOW_HTTP"] == "true"
    store = storage.object_store(stack)
    assert store is not None and (store.host, store.port, store.bucket) == ("127.0.0.1", 22906, "tansu")
    assert store.argv()[1:] == ["-m", "moto.server", "-H", "127.0.0.1", "-p", "22906"]
    assert [p.env_var for p in store.ports()] == ["HOTLINE_BROKER_S3_PORT"]


def test_postgres_is_refused_the_wheels_tansu_has_no_postgres_engine(clean_env, monkeypatch):
    monkeypatch.setenv("HOTLINE_BROKER_STORAGE", "postgres")
    with pytest.raises(pydantic.ValidationError):
        BrokerStorageSettings()
