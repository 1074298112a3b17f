"""The broker the local stack starts is Apache Kafka (the version of tooling/stack/kafka/pom.xml)
in KRaft mode: one combined broker + controller node, its log under <state>/kafka/log.

Every expectation is exact and only a KRaft Apache Kafka >= 4.0 meets it: the cluster id is a
KRaft one (16 random bytes, URL-safe base64 unpadded), the metadata quorum is node 1 alone on the
controller port, the ApiVersions answer lacks the ZooKeeper-era keys and the versions KIP-896
removed in 4.0 (advertised minimums; Produce v0-v2 and Fetch v0-v3 refused on the wire) and has
the KRaft-only ones, `metadata.version` starts at 3.3-IV3 (7), the floor since 4.0, and the log
directory the running process was started on holds the KRaft metadata log of that very cluster.
A stand-in speaking the Kafka protocol fails at least one of these.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import struct
from pathlib import Path
from xml.etree import ElementTree

import pytest
from kafka import KafkaAdminClient
from kafka.protocol.api_key import ApiKey

from tooling.stack.broker_server import LocalBroker

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

REPO = Path(__file__).resolve().parents[3]
NODE_ID = 1  # broker_server.py: node.id=1, the broker and the controller of the one-node quorum


def pinned_kafka_version() -> str:
    """`kafka.version` of tooling/stack/kafka/pom.xml (the jars scripts/fetch-kafka.sh fetched)."""
    pom = ElementTree.parse(REPO / "tooling" / "stack" / "kafka" / "pom.xml")
    version = pom.find("{http://maven.apache.org/POM/4.0.0}properties/{http://maven.apache.org/POM/4.0.0}kafka.version")
    assert version is not None and version.text, "tooling/stack/kafka/pom.xml has no kafka.version"
    return version.text.strip()


def is_kraft_cluster_id(cid: str) -> bool:
    """What `kafka-storage.sh random-uuid` makes: 16 bytes, URL-safe base64 without padding."""
    return bool(re.fullmatch(r"[A-Za-z0-9_-]{22}", cid)) and len(base64.urlsafe_b64decode(cid + "==")) == 16


@pytest.fixture(scope="module")
def local_broker(local_stack) -> LocalBroker:
    return LocalBroker(local_stack.stack, local_stack.kafka, local_stack.broker)


@pytest.fixture(scope="module")
def admin(local_stack):
    client = KafkaAdminClient(bootstrap_servers=local_stack.kafka.bootstrap_servers,
                              client_id="hotline-test-kraft", request_timeout_ms=10_000)
    yield client
    client.close()


@pytest.fixture(scope="module")
def cluster(admin) -> dict:
    return admin.describe_cluster()


def test_describe_cluster_one_kraft_node(local_stack, cluster):
    (host, port), = local_stack.kafka.addresses()
    assert is_kraft_cluster_id(cluster["cluster_id"]), cluster["cluster_id"]
    assert cluster["controller_id"] == NODE_ID
    assert cluster["brokers"] == [
        {"broker_id": NODE_ID, "host": host, "port": port, "rack": None, "is_fenced": False}]


def test_metadata_quorum_is_the_node_alone_on_the_controller_port(local_stack, local_broker, admin):
    """DescribeQuorum (KIP-595) exists only in KRaft: node 1 leads the __cluster_metadata log,
    is its only voter, and listens as CONTROLLER on the configured controller port."""
    quorum = admin.describe_metadata_quorum()
    (topic,) = quorum["topics"]
    assert topic["topic_name"] == "__cluster_metadata"
    (part,) = topic["partitions"]
    assert (part["partition_index"], part["leader_id"], part["error"]) == (0, NODE_ID, None)
    assert part["leader_epoch"] >= 1 and part["high_watermark"] > 0
    assert [v["replica_id"] for v in part["current_voters"]] == [NODE_ID]
    assert part["observers"] == []  # a combined node is a voter, not an observer
    host = local_stack.kafka.addresses()[0][0]
    assert quorum["nodes"] == [
        {"node_id": NODE_ID, "listeners": [{"name": "CONTROLLER", "host": host, "port": local_broker.controller_port}]}]


# KIP-896 (Apache Kafka 4.0) removed these protocol versions; the broker's lowest version of
# each key is exactly this (3.x still accepted 0 for all of them).
KIP_896_MINIMUMS = {
    ApiKey.Fetch: 4, ApiKey.ListOffsets: 1, ApiKey.OffsetCommit: 2, ApiKey.OffsetFetch: 1,
    ApiKey.CreateTopics: 2, ApiKey.DeleteTopics: 1, ApiKey.DescribeConfigs: 1,
    ApiKey.OffsetForLeaderEpoch: 2, ApiKey.DescribeAcls: 1, ApiKey.CreateAcls: 1, ApiKey.DeleteAcls: 1,
    ApiKey.AlterReplicaLogDirs: 1, ApiKey.DescribeLogDirs: 1, ApiKey.CreateDelegationToken: 1,
    ApiKey.RenewDelegationToken: 1, ApiKey.ExpireDelegationToken: 1, ApiKey.DescribeDelegationToken: 1,
    ApiKey.WriteTxnMarkers: 1,
}
# ZooKeeper-mode controller -> broker requests: gone from a KRaft broker (and from 4.0 entirely).
ZOOKEEPER_ERA = {4: "LeaderAndIsr", 5: "StopReplica", 6: "UpdateMetadata", 7: "ControlledShutdown"}
# KRaft's internal requests: served on the CONTROLLER listener only, never on the client one.
CONTROLLER_ONLY = {52: "Vote", 53: "BeginQuorumEpoch", 54: "EndQuorumEpoch", 56: "AlterPartition",
                   58: "Envelope", 62: "BrokerRegistration", 63: "BrokerHeartbeat", 67: "AllocateProducerIds"}
# Advertised only by a KRaft broker (DescribeQuorum, UnregisterBroker, DescribeTopicPartitions,
# AddRaftVoter/RemoveRaftVoter) or from 4.0 on by default (the KIP-848 consumer group protocol).
KRAFT_ONLY = {55: "DescribeQuorum", 64: "UnregisterBroker", 68: "ConsumerGroupHeartbeat",
              69: "ConsumerGroupDescribe", 75: "DescribeTopicPartitions", 80: "AddRaftVoter",
              81: "RemoveRaftVoter"}


def test_api_versions_are_a_kraft_apache_kafka_4(admin):
    versions = {int(k): v for k, v in admin.api_versions().items()}
    assert {k: versions[int(k)][0] for k in KIP_896_MINIMUMS} == KIP_896_MINIMUMS
    # Produce is the exception: Apache Kafka 4.x still *advertises* v0-v2 (KAFKA-18659: librdkafka
    # turns compression off against a broker whose Produce starts at 3) but refuses them (below).
    assert versions[int(ApiKey.Produce)][0] == 0
    assert {k: n for k, n in ZOOKEEPER_ERA.items() if k in versions} == {}
    assert {k: n for k, n in CONTROLLER_ONLY.items() if k in versions} == {}
    assert {k: n for k, n in KRAFT_ONLY.items() if k not in versions} == {}
    assert versions[55] == (0, 2)  # DescribeQuorum v2 (KIP-853, 3.9+): the `nodes` asserted above
    assert versions[68][1] >= 1  # ConsumerGroupHeartbeat v1: 4.0's GA of KIP-848
    assert versions[int(ApiKey.ApiVersions)] == (0, 4)


def _raw(address: tuple[str, int], api_key: int, version: int, body: bytes) -> bytes | None:
    """One request with header v1 (non-flexible versions only); the response body after the
    correlation id, or None when the broker closes the connection instead of answering."""
    client = b"hotline-test-kraft"
    msg = struct.pack(">hhih", api_key, version, 4242, len(client)) + client + body
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                return None
            data += chunk
    assert struct.unpack(">i", data[4:8])[0] == 4242
    return data[8:]


def test_kip_896_removed_versions_are_refused(local_stack):
    """Produce v0-v2 and Fetch v0-v3 are gone in 4.0: the broker closes the connection. The first
    versions kept are answered (empty requests: throttle time 0, no topics)."""
    address = local_stack.kafka.addresses()[0]
    produce_v0_v2 = struct.pack(">hii", 1, 1000, 0)  # acks=1, timeout_ms, no topics
    for version in (0, 1, 2):
        assert _raw(address, ApiKey.Produce, version, produce_v0_v2) is None, f"Produce v{version} answered"
    produce_v3 = struct.pack(">hhii", -1, 1, 1000, 0)  # transactional_id null, acks=1, timeout_ms, no topics
    assert _raw(address, ApiKey.Produce, 3, produce_v3) == struct.pack(">ii", 0, 0)  # no topics, throttle 0
    fetch_v3 = struct.pack(">iiiii", -1, 0, 0, 1024, 0)  # replica, max_wait, min_bytes, max_bytes, no topics
    assert _raw(address, ApiKey.Fetch, 3, fetch_v3) is None, "Fetch v3 answered"
    fetch_v4 = struct.pack(">iiiibi", -1, 0, 0, 1024, 0, 0)  # + isolation_level
    assert _raw(address, ApiKey.Fetch, 4, fetch_v4) == struct.pack(">ii", 0, 0)  # throttle 0, no topics


def test_api_versions_identify_the_pinned_release(admin):
    """kafka-python infers the release from the highest versions: that of the pom, major.minor."""
    major, minor, *_ = (int(p) for p in pinned_kafka_version().split("."))
    assert admin.get_broker_version_data(NODE_ID).broker_version == (major, minor)
    assert admin.api_versions()[ApiKey.Produce][1] == 13  # Produce v13 (topic ids, KIP-516): 4.1


def test_features_are_kraft(admin):
    """ApiVersions v3+ features: metadata.version is finalized at the newest level this release
    supports (what `StorageTool format` writes), and no level below 3.3-IV3 (7) exists: 4.0 made
    it the floor. KIP-848's group.version is on, as 4.0+ formats by default."""
    features = admin.describe_features()
    mv = features["metadata.version"]
    assert mv["supported"][0] == 7
    assert mv["finalized"] == (mv["supported"][1], mv["supported"][1])
    assert features["kraft.version"]["supported"] == (0, 1)  # KIP-853: kraft.version exists
    assert features["group.version"]["finalized"] == (1, 1)


def test_log_dir_holds_this_clusters_kraft_metadata(local_stack, cluster):
    log_dir = local_stack.stack.state_dir / "kafka" / "log"
    props = dict(line.split("=", 1) for line in (log_dir / "meta.properties").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert props.keys() == {"version", "node.id", "cluster.id", "directory.id"}
    assert props["version"] == "1"  # meta.properties v1: KRaft (v0 is ZooKeeper mode's)
    assert props["node.id"] == str(NODE_ID)
    assert props["cluster.id"] == cluster["cluster_id"]
    assert is_kraft_cluster_id(props["directory.id"])  # KIP-858, KRaft only
    metadata = log_dir / "__cluster_metadata-0"
    assert metadata.is_dir()
    assert [p.name for p in metadata.glob("*.log")], f"no segment in {metadata}"
    assert (log_dir / "bootstrap.checkpoint").is_file()  # written by `StorageTool format`
    # The platform's topics live in this very directory, one folder per partition.
    k = local_stack.kafka
    assert {p.name for p in log_dir.glob(f"{k.topic_calls}-*")} == {f"{k.topic_calls}-{n}" for n in range(k.partitions)}


def _listening_inodes(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(fields[9])
    return found


def test_the_process_on_the_port_is_apache_kafka_in_kraft_mode(local_stack, local_broker):
    """The process listening on the bootstrap port is the stack's java running kafka.Kafka on
    <state>/kafka/server.properties (a combined broker + controller node), from the pinned jars."""
    pid = local_broker.pid()
    assert pid is not None, "the stack's broker is not running"
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    config = local_stack.stack.state_dir / "kafka" / "server.properties"
    assert Path(argv[0].decode()).name == "java"
    assert argv[-2:] == [b"kafka.Kafka", str(config).encode()]
    lib = Path(argv[argv.index(b"-cp") + 1].decode().removesuffix("/*"))
    version = pinned_kafka_version()
    assert (lib / f"kafka_2.13-{version}.jar").is_file() and (lib / f"kafka-clients-{version}.jar").is_file()

    port = local_stack.kafka.addresses()[0][1]
    inodes = _listening_inodes(port)
    sockets = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            sockets.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass  # closed meanwhile
    assert inodes and {f"socket:[{i}]" for i in inodes} <= sockets, f"port {port} is not the broker's (pid {pid})"

    props = dict(line.split("=", 1) for line in config.read_text().splitlines() if "=" in line)
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == str(NODE_ID)
    assert props["controller.quorum.voters"] == f"{NODE_ID}@{local_broker.host}:{local_broker.controller_port}"
    assert props["log.dirs"] == str(local_stack.stack.state_dir / "kafka" / "log")
    assert "zookeeper.connect" not in props

    # Its log (appended to by every start): the last start was this release, as a KRaft server.
    log = local_broker.log_path.read_text(errors="replace")
    assert re.findall(r"Kafka version: (\S+)", log)[-1] == version
    assert f"[KafkaRaftServer nodeId={NODE_ID}] Kafka Server started" in log
