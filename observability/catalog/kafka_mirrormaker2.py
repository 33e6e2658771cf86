"""MirrorMaker 2 (Strimzi 1.2.0 `KafkaMirrorMaker2`, Kafka 4.x Connect): the JMX Prometheus exporter on every MM2 pod
(job `kafka-mirrormaker2`, port `tcp-prometheus`), and on the `mirror-heartbeats` KafkaConnect pods (job
`kafka-mirror-heartbeats`: the same rules; only Connect's worker and task families, one `heartbeats-<source>`
MirrorHeartbeatConnector per peer, one task each, writing one record per `emit.heartbeats.interval.seconds` = 5 s).

Names follow the rules in components/kafka_mirror_metrics.py (a verbatim subset of
strimzi/strimzi-kafka-operator@1.2.0 `examples/metrics/kafka-mirror-maker-2-metrics.yaml`; lowercase names and label
names) applied to the MBeans of apache/kafka@1eb7644349cb (4.0.0-SNAPSHOT): MirrorSourceMetrics.java and
MirrorCheckpointMetrics.java (per replicated partition; `Value` stats keep the last sample, `-max` stats are windowed,
2 x 30 s, and NaN when nothing was recorded), ConnectMetricsRegistry.java (worker, task and source-task groups).
`topic` on the mirror families is the remote topic (`<source alias>.<topic>` with the default replication policy).
Connect's `connector` values are JMX-quoted when they contain `>` (`"us-west-2->us-east-1.MirrorSourceConnector"`),
so queries never match them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from observability.catalog import MetricFamily

EXPORTER: Final = "strimzi-mirrormaker2"
JOB: Final = "kafka-mirrormaker2"
HEARTBEATS_JOB: Final = "kafka-mirror-heartbeats"
_RULES: Final = "strimzi/strimzi-kafka-operator@1.2.0:examples/metrics/kafka-mirror-maker-2-metrics.yaml"
_MIRROR: Final = "apache/kafka@1eb7644349cb:connect/mirror/src/main/java/org/apache/kafka/connect/mirror/"
_CONNECT: Final = ("apache/kafka@1eb7644349cb:connect/runtime/src/main/java/org/apache/kafka/connect/runtime/"
                   "ConnectMetricsRegistry.java")
_SOURCE_CONNECTOR: Final = "us-west-2->us-east-1.MirrorSourceConnector"
_CHECKPOINT_CONNECTOR: Final = "us-west-2->us-east-1.MirrorCheckpointConnector"
_LINK: Final = {"source": "us-west-2", "target": "us-east-1", "topic": "us-west-2.user.playback.events",
                "partition": "0"}
_GROUP: Final = {**_LINK, "group": "recommendations"}
_TASKS: Final[tuple[Mapping[str, str], ...]] = (
    {"connector": _SOURCE_CONNECTOR, "task": "0", "status": "running"},
    {"connector": _CHECKPOINT_CONNECTOR, "task": "0", "status": "running"})


_HEARTBEATS: Final = "heartbeats-us-west-2"
"""A heartbeat connector's name (no `>`: not JMX-quoted)."""


def _family(name: str, kind: Literal["counter", "gauge"], source: str, help_text: str, value: float,
            labels: tuple[Mapping[str, str], ...], job: str = JOB) -> MetricFamily:
    return MetricFamily(name=name, type=kind, job=job, help=help_text, source=f"{_RULES} + {source}", value=value,
                        labels=labels)


FAMILIES: Final = (
    _family("kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max", "gauge",
            f"{_MIRROR}MirrorSourceMetrics.java (replication-latency-ms-max)",
            "Max time records took from the source record's timestamp to the target's write ack (ms), windowed.",
            800.0, (_LINK,)),
    _family("kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max", "gauge",
            f"{_MIRROR}MirrorSourceMetrics.java (record-age-ms-max)",
            "Max age of source records when MM2 read them for replication (ms), windowed.", 1_500.0, (_LINK,)),
    _family("kafka_connect_mirror_mirrorsourceconnector_record_rate", "gauge",
            f"{_MIRROR}MirrorSourceMetrics.java (record-rate)",
            "Records replicated to the target cluster per second.", 200.0, (_LINK,)),
    _family("kafka_connect_mirror_mirrorsourceconnector_byte_rate", "gauge",
            f"{_MIRROR}MirrorSourceMetrics.java (byte-rate)",
            "Bytes replicated to the target cluster per second.", 200_000.0, (_LINK,)),
    _family("kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms_max", "gauge",
            f"{_MIRROR}MirrorCheckpointMetrics.java (checkpoint-latency-ms-max)",
            "Max time consumer-group offsets took to be checkpointed to the target cluster (ms), windowed.",
            15_000.0, (_GROUP,)),
    _family("kafka_connect_connector_status", "gauge", f"{_CONNECT} (connector-task-metrics status)",
            "1 for the task's current state (`status`: unassigned, running, paused, failed, restarting).", 1.0,
            _TASKS),
    _family("kafka_connect_worker_connector_failed_task_count", "gauge",
            f"{_CONNECT} (connect-worker-metrics connector-failed-task-count)",
            "Failed tasks of the connector on this worker.", 0.0,
            ({"connector": _SOURCE_CONNECTOR}, {"connector": _CHECKPOINT_CONNECTOR})),
    _family("kafka_connect_worker_connector_running_task_count", "gauge",
            f"{_CONNECT} (connect-worker-metrics connector-running-task-count)",
            "Running tasks of the connector on this worker.", 1.0,
            ({"connector": _SOURCE_CONNECTOR}, {"connector": _CHECKPOINT_CONNECTOR})),
    _family("kafka_connect_source_task_source_record_poll_total", "counter",
            f"{_CONNECT} (source-task-metrics source-record-poll-total)",
            "Records the source task polled from the source cluster (before transformations).", 200.0,
            ({"connector": _SOURCE_CONNECTOR, "task": "0"},)),
    _family("kafka_connect_source_task_source_record_write_total", "counter",
            f"{_CONNECT} (source-task-metrics source-record-write-total; counted when the target acks a whole poll "
            "batch, AbstractWorkerSourceTask.java)",
            "Records the source task wrote to the target cluster.", 200.0,
            ({"connector": _SOURCE_CONNECTOR, "task": "0"},)),
    # The heartbeat Connect cluster (job kafka-mirror-heartbeats).
    _family("kafka_connect_connector_status", "gauge", f"{_CONNECT} (connector-task-metrics status)",
            "1 for the heartbeat task's current state (`status`).", 1.0,
            ({"connector": _HEARTBEATS, "task": "0", "status": "running"},), job=HEARTBEATS_JOB),
    _family("kafka_connect_worker_connector_running_task_count", "gauge",
            f"{_CONNECT} (connect-worker-metrics connector-running-task-count)",
            "Running heartbeat tasks of the connector on this worker.", 1.0, ({"connector": _HEARTBEATS},),
            job=HEARTBEATS_JOB),
    _family("kafka_connect_source_task_source_record_write_total", "counter",
            f"{_CONNECT} (source-task-metrics source-record-write-total); apache/kafka@1eb7644349cb:connect/mirror/"
            "src/main/java/org/apache/kafka/connect/mirror/MirrorHeartbeatTask.java (one record per interval)",
            "Heartbeat records the task wrote to the local `heartbeats` topic.", 0.2,
            ({"connector": _HEARTBEATS, "task": "0"},), job=HEARTBEATS_JOB),
)
