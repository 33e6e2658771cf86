"""Monitoring (`meridian:monitoring:Monitoring`): kube-prometheus-stack, and everything the contracts generate.

From the region's MonitoringContracts it declares the monitors of the targets the platform owns, one
PrometheusRule per kind, the dashboards (Grafana's sidecar loads them), the Alertmanager config routed by
severity, and a ConfigMap with the contracts themselves. With a fleet view (components/fleet_view.py) the region's
Prometheus remote-writes its `cluster:`/`slo:` series to the primary's fleet Prometheus, which the primary declares
with its Service, monitor, policy and Grafana data source; only the primary publishes the fleet overview.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from alerts.routing import Receiver, alertmanager_config, render
from components.config.monitoring import MonitoringConfig
from components.contracts import ClusterRef, MonitoringContract
from components.fleet_plan import PROMETHEUS_PORT, FleetView
from components.fleet_view import (
    FLEET_POD_LABELS,
    fleet_datasource,
    fleet_prometheus,
    fleet_service,
    fleet_service_monitor,
    remote_write,
)
from components.helm import helm_release
from components.monitoring_objects import (
    GeneratedObject,
    contracts_config_map,
    dashboard_config_maps,
    monitors,
    prometheus_rules,
)
from components.monitoring_values import (
    ALERTMANAGER_POD_LABELS,
    GRAFANA_ADMIN_KEYS,
    GRAFANA_POD_LABELS,
    GRAFANA_PORT,
    OPERATOR_POD_LABELS,
    OPERATOR_WEBHOOK_PORT,
    PROMETHEUS_NAME,
    PROMETHEUS_POD_LABELS,
    ValuesInputs,
    chart_values,
)
from components.namespaces import MONITORING_NAMESPACE, Egress, Flow, namespace, network_policies
from observability.config import ObservabilityConfig

NAMESPACE: Final = MONITORING_NAMESPACE
CONFIG_SECRET: Final = "meridian-alertmanager-config"
RECEIVERS_SECRET: Final = "alertmanager-receivers"
GRAFANA_ADMIN_SECRET: Final = "grafana-admin"
GRAFANA_CLUSTER_ROLE: Final = "meridian-grafana-dashboards"
NODE_SCRAPE_PORTS: Final = (443, 10250, 9100)
"""Scraped at VPC addresses: the API server's endpoints (443), kubelets (10250), node-exporter on the host (9100)."""
RECEIVER_PORTS: Final = (443,)
"""PagerDuty's and Slack's HTTPS APIs."""


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    """Inputs of the monitoring component."""

    config: MonitoringConfig
    cluster: ClusterRef
    contracts: Sequence[MonitoringContract]
    """Every contract of the region (services and the platform's own); one per kind."""
    observability: ObservabilityConfig
    vpc_cidr: str
    """Nodes, kubelets and the API server's endpoints live in the VPC; so do the control-plane ENIs that call
    the operator's admission webhook."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for AWS resources (monitoring declares none today: its volumes come from the StorageClass)."""
    receiver_keys: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Values of the secret config keys the routing names, by key name (kept as Pulumi secrets)."""
    namespace_owners: Mapping[str, pulumi.Resource] = field(default_factory=dict)
    """The component that creates each namespace: a monitor created there waits for it."""
    protect_stateful: bool = True
    """Protect the namespace (its volumes hold the metrics history) and the release from deletion."""
    fleet: FleetView | None = None
    """The fleet query path: remote-write to the primary's fleet Prometheus, which the primary runs. None (a stack
    outside the peering order): no remote write, and the region is its own fleet, so the `Fleet` data source is
    its regional Prometheus."""


class Monitoring(pulumi.ComponentResource):
    """kube-prometheus-stack (pinned) in `monitoring`, plus the objects generated from the contracts."""

    generated: list[GeneratedObject]
    """Every object generated from the contracts, as declared."""
    alertmanager_config: dict[str, Any]
    """The Alertmanager config in the config Secret (Secret payloads are Pulumi secrets, masked by the synth;
    this copy holds no secret)."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:monitoring:Monitoring", name, None, opts)
        # Generate everything first: a contract no generator can render fails before any resource is declared.
        contracts = list(args.contracts)
        custom = [*monitors(contracts), *prometheus_rules(contracts, args.observability, NAMESPACE)]
        fleet, primary = args.fleet, args.fleet is not None and args.fleet.is_primary
        config_maps = [*dashboard_config_maps(contracts, args.observability, NAMESPACE,
                                              fleet_overview=fleet is None or primary),
                       contracts_config_map(contracts, NAMESPACE)]
        self.generated = [*custom, *config_maps]
        receivers = {severity: Receiver(type=receiver.type, key=receiver.secret, channel=receiver.channel)
                     for severity, receiver in args.config.routing.receivers().items()}
        missing = sorted({r.key for r in receivers.values()} - set(args.receiver_keys))
        if missing:
            raise ValueError(f"routing names receiver keys {missing} that MonitoringArgs.receiver_keys lacks")
        provider = args.cluster.provider
        ns = namespace(f"{name}-namespace", NAMESPACE, provider=provider, parent=self, protect=args.protect_stateful)
        policies = self._policies(name, ns, args, provider)
        ns_opts = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns])
        self.alertmanager_config = alertmanager_config(receivers, secret_name=RECEIVERS_SECRET)
        config_secret = k8s.core.v1.Secret(
            f"{name}-alertmanager-config", metadata=self._metadata(CONFIG_SECRET), type="Opaque",
            string_data={"alertmanager.yaml": render(self.alertmanager_config)}, opts=ns_opts)
        prerequisites: list[pulumi.Resource] = [*policies, config_secret, self._grafana_admin(name, ns_opts),
                                                self._grafana_role(name, provider)]
        if receivers:
            prerequisites.append(self._receiver_keys(name, args, {r.key for r in receivers.values()}, ns_opts))
        release = helm_release(
            f"{name}-kube-prometheus-stack", chart_name="kube-prometheus-stack", namespace=ns.metadata.name,
            values=chart_values(ValuesInputs(
                config=args.config, region=args.cluster.region, cluster=args.cluster.cluster_name,
                storage_class=args.cluster.default_storage_class, config_secret=CONFIG_SECRET,
                receivers_secret=RECEIVERS_SECRET if receivers else None, grafana_admin_secret=GRAFANA_ADMIN_SECRET,
                grafana_cluster_role=GRAFANA_CLUSTER_ROLE,
                remote_write=tuple(remote_write(fleet)) if fleet else (), datasources=self._datasources(fleet))),
            version=args.config.chart_version, provider=provider, parent=self, protect=args.protect_stateful,
            depends_on=prerequisites)
        for item in custom:
            obj = item.obj
            owner = args.namespace_owners.get(obj["metadata"]["namespace"])
            k8s.apiextensions.CustomResource(
                f"{name}-{item.key}", api_version=obj["apiVersion"], kind=obj["kind"], metadata=obj["metadata"],
                spec=obj["spec"], opts=pulumi.ResourceOptions(parent=self, provider=provider,
                                                              depends_on=[release, *([owner] if owner else [])]))
        for item in config_maps:
            k8s.core.v1.ConfigMap(f"{name}-{item.key}", metadata=item.obj["metadata"], data=item.obj["data"],
                                  opts=ns_opts)
        if fleet is not None and fleet.is_primary:
            self._fleet_receiver(name, fleet, args, release, ns_opts)
        self.register_outputs({"namespace": ns.metadata.name, "release": release.name})

    @staticmethod
    def _datasources(fleet: FleetView | None) -> tuple[dict[str, Any], ...]:
        """`Fleet`: the fleet Prometheus in the primary, the regional Prometheus without a fleet, none elsewhere."""
        if fleet is None:
            return (fleet_datasource(NAMESPACE, url=f"http://{PROMETHEUS_NAME}.{NAMESPACE}.svc:{PROMETHEUS_PORT}"),)
        return (fleet_datasource(NAMESPACE),) if fleet.is_primary else ()

    def _fleet_receiver(self, name: str, fleet: FleetView, args: MonitoringArgs, release: pulumi.Resource,
                        ns_opts: pulumi.ResourceOptions) -> None:
        """The fleet Prometheus (protected like the release: its volumes hold the fleet's history), its headless
        Service (ExternalDNS publishes the pods) and the regional Prometheus' monitor of it."""
        after_crds = pulumi.ResourceOptions.merge(ns_opts, pulumi.ResourceOptions(depends_on=[release]))
        receiver = fleet_prometheus(fleet, namespace=NAMESPACE, storage_class=args.cluster.default_storage_class)
        monitor = fleet_service_monitor(namespace=NAMESPACE)
        service = fleet_service(fleet, namespace=NAMESPACE)
        k8s.apiextensions.CustomResource(
            f"{name}-fleet-prometheus", api_version=receiver["apiVersion"], kind=receiver["kind"],
            metadata=receiver["metadata"], spec=receiver["spec"],
            opts=pulumi.ResourceOptions.merge(after_crds, pulumi.ResourceOptions(protect=args.protect_stateful)))
        k8s.core.v1.Service(f"{name}-fleet-service", metadata=service["metadata"], spec=service["spec"],
                            opts=ns_opts)
        k8s.apiextensions.CustomResource(
            f"{name}-fleet-monitor", api_version=monitor["apiVersion"], kind=monitor["kind"],
            metadata=monitor["metadata"], spec=monitor["spec"], opts=after_crds)

    @staticmethod
    def _metadata(object_name: str) -> k8s.meta.v1.ObjectMetaArgsDict:
        return {"name": object_name, "namespace": NAMESPACE, "labels": {"app.kubernetes.io/part-of": "meridian"}}

    def _policies(self, name: str, ns: k8s.core.v1.Namespace, args: MonitoringArgs,
                  provider: k8s.Provider) -> list[k8s.networking.v1.NetworkPolicy]:
        """Default deny, DNS, the API server and in-namespace traffic (Alertmanager's mesh, Grafana to
        Prometheus, Prometheus scraping its own namespace); Grafana and the operator's webhook from the VPC;
        Prometheus out to every namespace's pods and the nodes; Alertmanager out to its receivers. With a fleet
        view: Prometheus out to the fleet CIDR's receivers, and in the primary the receivers in from it."""
        flows = [Flow(name="grafana", ports=(GRAFANA_PORT,), from_cidrs=(args.vpc_cidr,),
                      to_pod_labels=GRAFANA_POD_LABELS),
                 Flow(name="operator-webhook-from-api-server", ports=(OPERATOR_WEBHOOK_PORT,),
                      from_cidrs=(args.vpc_cidr,), to_pod_labels=OPERATOR_POD_LABELS)]
        egress = [Egress(name="prometheus-scrape", from_pod_labels=PROMETHEUS_POD_LABELS,
                         to_all_namespaces=True, to_cidrs={args.vpc_cidr: NODE_SCRAPE_PORTS}),
                  Egress(name="alertmanager-receivers", from_pod_labels=ALERTMANAGER_POD_LABELS,
                         to_cidrs={"0.0.0.0/0": RECEIVER_PORTS})]
        if args.fleet is not None:
            egress.append(Egress(name="prometheus-remote-write", from_pod_labels=PROMETHEUS_POD_LABELS,
                                 to_cidrs={args.fleet.fleet_cidr: (PROMETHEUS_PORT,)}))
            if args.fleet.is_primary:
                flows.append(Flow(name="fleet-remote-write", ports=(PROMETHEUS_PORT,),
                                  from_cidrs=(args.fleet.fleet_cidr,), to_pod_labels=FLEET_POD_LABELS))
        return network_policies(name, ns.metadata.name, provider=provider, parent=self, egress_cidrs={},
                                flows=flows, pod_egress=egress)

    def _grafana_admin(self, name: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        """Grafana's admin login: a random password made once (later runs keep it), only ever a Pulumi secret."""
        user_key, password_key = GRAFANA_ADMIN_KEYS
        return k8s.core.v1.Secret(
            f"{name}-grafana-admin", metadata=self._metadata(GRAFANA_ADMIN_SECRET), type="Opaque",
            string_data={user_key: "admin", password_key: pulumi.Output.secret(secrets.token_urlsafe(32))},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["stringData"])))

    def _grafana_role(self, name: str, provider: k8s.Provider) -> k8s.rbac.v1.ClusterRole:
        """What Grafana's sidecars read in every namespace: ConfigMaps (dashboards, data sources), no Secrets."""
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {"name": GRAFANA_CLUSTER_ROLE,
                                                    "labels": {"app.kubernetes.io/part-of": "meridian"}}
        rule: k8s.rbac.v1.PolicyRuleArgsDict = {"api_groups": [""], "resources": ["configmaps"],
                                                "verbs": ["get", "list", "watch"]}
        return k8s.rbac.v1.ClusterRole(f"{name}-grafana-role", metadata=metadata, rules=[rule],
                                       opts=pulumi.ResourceOptions(parent=self, provider=provider))

    def _receiver_keys(self, name: str, args: MonitoringArgs, keys: set[str],
                       opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        """The receivers' keys, mounted into Alertmanager at /etc/alertmanager/secrets/<secret>/<key>."""
        return k8s.core.v1.Secret(
            f"{name}-receiver-keys", metadata=self._metadata(RECEIVERS_SECRET), type="Opaque",
            string_data={key: pulumi.Output.secret(args.receiver_keys[key]) for key in sorted(keys)}, opts=opts)
