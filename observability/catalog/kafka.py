"""Kafka (Strimzi 1.2.0, KRaft): the JMX Prometheus exporter on every broker and controller (job `kafka`), Kafka
Exporter (job `kafka-exporter`) and the Strimzi cluster operator (job `strimzi-cluster-operator`).

Names follow Strimzi's rules (strimzi/strimzi-kafka-operator@1.2.0 `examples/metrics/kafka-metrics.yaml`, verbatim in
components/kafka_metrics.py; `lowercaseOutputName`) applied to Kafka's MBeans (https://kafka.apache.org/documentation/
#monitoring; KRaft controller MBeans: apache/kafka `metadata/.../controller/metrics/QuorumControllerMetrics.java`,
`ControllerMetadataMetrics.java`). Yammer meters' `Count` becomes `..._total` through the `PerSec` rules; a meter
without `PerSec` in its name becomes `..._count` (e.g. RequestHandlerAvgIdlePercent, marked in idle nanoseconds per
handler thread, so its rate over 1e9 is the idle ratio: apache/kafka `core/.../server/KafkaRequestHandler.scala`).
All-topic BrokerTopicMetrics carry no `topic` label; per-topic ones do. JVM metrics come from the agent itself:
Strimzi 1.2.0 ships jmx_prometheus_javaagent 1.6.0 (`docker-images/kafka-based/kafka/Dockerfile`), built on
client_java 1.7.0 (prometheus/jmx_exporter@v1.6.0:pom.xml). The operator's Micrometer `namespace` tag is stored as
`exported_namespace` (the target's `namespace`, `strimzi`, wins).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from observability.catalog import MetricFamily

EXPORTER: Final = "strimzi-jmx-prometheus-exporter"
_RULES: Final = "strimzi/strimzi-kafka-operator@1.2.0:examples/metrics/kafka-metrics.yaml"
_JVM: Final = ("prometheus/client_java@v1.7.0:prometheus-metrics-instrumentation-jvm/src/main/java/io/prometheus/"
               "metrics/instrumentation/jvm/")
_EXPORTER_SOURCE: Final = "danielqsj/kafka_exporter@v1.9.0:kafka_exporter.go"
_OPERATOR: Final = ("strimzi/strimzi-kafka-operator@1.2.0:operator-common/src/main/java/io/strimzi/operator/common/"
                    "metrics/MetricsHolder.java")
_TOPIC: Final = "user.playback.events"
_ALL_AND_TOPIC: Final[tuple[Mapping[str, str], ...]] = ({}, {"topic": _TOPIC})
_GROUP: Final = {"consumergroup": "recommendations", "topic": _TOPIC}


def _jmx(name: str, kind: Literal["counter", "gauge"], mbean: str, help_text: str, value: float, *,
         labels: tuple[Mapping[str, str], ...] = ({},), per_target: bool = True) -> MetricFamily:
    """A family produced by Strimzi's rules from one Kafka MBean (cited in the source)."""
    return MetricFamily(name=name, type=kind, job="kafka", help=help_text, source=f"{_RULES} ({mbean})",
                        value=value, labels=labels, per_target=per_target)


FAMILIES: Final = (
    # Replication health, per broker (kafka.server:type=ReplicaManager).
    _jmx("kafka_server_replicamanager_underreplicatedpartitions", "gauge",
         "kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions",
         "Partitions led by this broker whose ISR is smaller than their replica set.", 0),
    _jmx("kafka_server_replicamanager_underminisrpartitioncount", "gauge",
         "kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount",
         "Partitions led by this broker whose ISR is below min.insync.replicas (acks=all writes fail).", 0),
    _jmx("kafka_server_replicamanager_atminisrpartitioncount", "gauge",
         "kafka.server:type=ReplicaManager,name=AtMinIsrPartitionCount",
         "Partitions led by this broker whose ISR equals min.insync.replicas (one more loss stops writes).", 0),
    _jmx("kafka_server_replicamanager_partitioncount", "gauge", "kafka.server:type=ReplicaManager,name=PartitionCount",
         "Partition replicas hosted by this broker.", 42),
    _jmx("kafka_server_replicamanager_leadercount", "gauge", "kafka.server:type=ReplicaManager,name=LeaderCount",
         "Partitions this broker leads.", 14),
    _jmx("kafka_server_replicamanager_isrshrinks_total", "counter",
         "kafka.server:type=ReplicaManager,name=IsrShrinksPerSec", "ISR shrinks on partitions this broker leads.", 0),
    _jmx("kafka_server_replicamanager_isrexpands_total", "counter",
         "kafka.server:type=ReplicaManager,name=IsrExpandsPerSec", "ISR expansions on partitions it leads.", 0),
    _jmx("kafka_log_logmanager_offlinelogdirectorycount", "gauge",
         "kafka.log:type=LogManager,name=OfflineLogDirectoryCount", "Log directories the broker took offline.", 0),
    # KRaft controllers (kafka.controller:type=KafkaController); each controller reports its own view.
    _jmx("kafka_controller_kafkacontroller_activecontrollercount", "gauge",
         "kafka.controller:type=KafkaController,name=ActiveControllerCount",
         "1 on the active KRaft controller, 0 on the others (the backfill models the active one only).", 1,
         per_target=False),
    _jmx("kafka_controller_kafkacontroller_offlinepartitionscount", "gauge",
         "kafka.controller:type=KafkaController,name=OfflinePartitionsCount",
         "Non-internal partitions without a leader, as this controller sees them.", 0),
    _jmx("kafka_controller_kafkacontroller_fencedbrokercount", "gauge",
         "kafka.controller:type=KafkaController,name=FencedBrokerCount",
         "Brokers fenced by the quorum (not heartbeating or not caught up), as this controller sees them.", 0),
    _jmx("kafka_controller_kafkacontroller_activebrokercount", "gauge",
         "kafka.controller:type=KafkaController,name=ActiveBrokerCount",
         "Registered, unfenced brokers, as this controller sees them.", 3),
    _jmx("kafka_controller_kafkacontroller_globalpartitioncount", "gauge",
         "kafka.controller:type=KafkaController,name=GlobalPartitionCount", "Partitions in the cluster.", 62),
    _jmx("kafka_server_raftmetrics_current_state", "gauge", "kafka.server:type=raft-metrics attribute current-state",
         "1 for the node's current KRaft role (`current_state`: leader, follower, observer, ...).", 1,
         labels=({"current_state": "follower"},)),
    # Throughput and requests (kafka.server:type=BrokerTopicMetrics, kafka.network:type=RequestMetrics).
    _jmx("kafka_server_brokertopicmetrics_bytesin_total", "counter",
         "kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec[,topic=*]",
         "Bytes produced to the broker (no `topic` label: all topics).", 2.0e6, labels=_ALL_AND_TOPIC),
    _jmx("kafka_server_brokertopicmetrics_bytesout_total", "counter",
         "kafka.server:type=BrokerTopicMetrics,name=BytesOutPerSec[,topic=*]",
         "Bytes fetched by consumers from the broker (no `topic` label: all topics).", 6.0e6, labels=_ALL_AND_TOPIC),
    _jmx("kafka_server_brokertopicmetrics_messagesin_total", "counter",
         "kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec[,topic=*]",
         "Messages produced to the broker (no `topic` label: all topics).", 2000, labels=_ALL_AND_TOPIC),
    _jmx("kafka_server_brokertopicmetrics_totalproducerequests_total", "counter",
         "kafka.server:type=BrokerTopicMetrics,name=TotalProduceRequestsPerSec[,topic=*]",
         "Produce requests (no `topic` label: all topics).", 400, labels=_ALL_AND_TOPIC),
    _jmx("kafka_server_brokertopicmetrics_failedproducerequests_total", "counter",
         "kafka.server:type=BrokerTopicMetrics,name=FailedProduceRequestsPerSec[,topic=*]",
         "Produce requests that failed (no `topic` label: all topics).", 0, labels=_ALL_AND_TOPIC),
    _jmx("kafka_server_brokertopicmetrics_totalfetchrequests_total", "counter",
         "kafka.server:type=BrokerTopicMetrics,name=TotalFetchRequestsPerSec[,topic=*]",
         "Fetch requests from consumers and followers (no `topic` label: all topics).", 900, labels=_ALL_AND_TOPIC),
    _jmx("kafka_server_brokertopicmetrics_failedfetchrequests_total", "counter",
         "kafka.server:type=BrokerTopicMetrics,name=FailedFetchRequestsPerSec[,topic=*]",
         "Fetch requests that failed (no `topic` label: all topics).", 0, labels=_ALL_AND_TOPIC),
    _jmx("kafka_network_requestmetrics_requests_total", "counter",
         "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,version=*",
         "Requests per type (`request`) and API version.", 300,
         labels=({"request": "Produce", "version": "11"}, {"request": "FetchConsumer", "version": "17"},
                 {"request": "FetchFollower", "version": "17"})),
    _jmx("kafka_network_requestmetrics_errors_total", "counter",
         "kafka.network:type=RequestMetrics,name=ErrorsPerSec,request=*,error=*",
         "Responses per request type and error code (`error=\"NONE\"`: success).", 300,
         labels=({"request": "Produce", "error": "NONE"}, {"request": "FetchConsumer", "error": "NONE"})),
    MetricFamily(name="kafka_network_requestmetrics_totaltimems", type="summary", job="kafka",
                 source=f"{_RULES} (kafka.network:type=RequestMetrics,name=TotalTimeMs,request=*: Count, "
                        "50thPercentile ... 999thPercentile)",
                 help="Request total time in milliseconds per `request` at a `quantile` (0.50 ... 0.999), plus "
                      "`_count`; Strimzi's rules emulate a summary WITHOUT `_sum`. Fetches wait up to "
                      "fetch.max.wait.ms by design.",
                 value=300, buckets=(1.0, 2.0, 5.0, 12.5, 50.0, 100.0, 500.0, 1000.0),
                 labels=({"request": "Produce"}, {"request": "FetchConsumer"}, {"request": "FetchFollower"})),
    _jmx("kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_count", "counter",
         "kafka.server:type=KafkaRequestHandlerPool,name=RequestHandlerAvgIdlePercent attribute Count",
         "Request handler idle nanoseconds per handler thread; rate / 1e9 is the pool's idle ratio.", 7.0e8),
    _jmx("kafka_network_socketserver_networkprocessoravgidle_percent", "gauge",
         "kafka.network:type=SocketServer,name=NetworkProcessorAvgIdlePercent",
         "Average idle ratio (0-1) of the network processor threads.", 0.8),
    # JVM (client_java's JvmMetrics, registered by the agent).
    MetricFamily(name="jvm_memory_used_bytes", type="gauge", job="kafka", source=f"{_JVM}JvmMemoryMetrics.java",
                 help="Used bytes of a JVM memory area (`area`: heap, nonheap).", value=2.1e9,
                 labels=({"area": "heap"},)),
    MetricFamily(name="jvm_memory_max_bytes", type="gauge", job="kafka", source=f"{_JVM}JvmMemoryMetrics.java",
                 help="Maximum bytes of a JVM memory area (heap: -Xmx).", value=4294967296, labels=({"area": "heap"},)),
    MetricFamily(name="jvm_gc_collection_seconds", type="summary", job="kafka",
                 source=f"{_JVM}JvmGarbageCollectorMetrics.java",
                 help="Time spent in a garbage collector (`gc`), seconds; a summary without quantiles.", value=0.5,
                 labels=({"gc": "G1 Young Generation"}, {"gc": "G1 Old Generation"})),
    # Kafka Exporter: one instance for the whole cluster.
    MetricFamily(name="kafka_consumergroup_lag", type="gauge", job="kafka-exporter", source=_EXPORTER_SOURCE,
                 help="Approximate lag of a consumer group on a partition, in records (-1: no committed offset).",
                 value=120, labels=({**_GROUP, "partition": "0"},), per_target=False),
    MetricFamily(name="kafka_consumergroup_current_offset", type="gauge", job="kafka-exporter",
                 source=_EXPORTER_SOURCE, help="Committed offset of a consumer group on a partition.", value=1.5e7,
                 labels=({**_GROUP, "partition": "0"},), per_target=False),
    MetricFamily(name="kafka_consumergroup_members", type="gauge", job="kafka-exporter", source=_EXPORTER_SOURCE,
                 help="Members of a consumer group.", value=3, labels=({"consumergroup": "recommendations"},),
                 per_target=False),
    MetricFamily(name="kafka_brokers", type="gauge", job="kafka-exporter", source=_EXPORTER_SOURCE,
                 help="Brokers in the cluster's metadata.", value=3, per_target=False),
    # Strimzi cluster operator (Micrometer).
    MetricFamily(name="strimzi_reconciliations_total", type="counter", job="strimzi-cluster-operator",
                 source=_OPERATOR, help="Reconciliations started, per custom resource `kind`.", value=0.01,
                 labels=({"kind": "Kafka", "exported_namespace": "kafka"},), per_target=False),
    MetricFamily(name="strimzi_reconciliations_successful_total", type="counter", job="strimzi-cluster-operator",
                 source=_OPERATOR, help="Reconciliations that succeeded, per `kind`.", value=0.01,
                 labels=({"kind": "Kafka", "exported_namespace": "kafka"},), per_target=False),
    MetricFamily(name="strimzi_reconciliations_failed_total", type="counter", job="strimzi-cluster-operator",
                 source=_OPERATOR, help="Reconciliations that failed, per `kind`.", value=0,
                 labels=({"kind": "Kafka", "exported_namespace": "kafka"},), per_target=False),
    MetricFamily(name="strimzi_resources", type="gauge", job="strimzi-cluster-operator", source=_OPERATOR,
                 help="Custom resources the operator manages, per `kind`.", value=1,
                 labels=({"kind": "Kafka", "exported_namespace": "kafka"},), per_target=False),
)
