"""Monitoring under the mocks: monitors, rules, dashboards and routing generated from contracts; chart values and
custom resources against the real chart values and CRD schemas; no secret in plain text."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from alerts.render import RuleError, rule_files
from alerts.routing import Receiver, alertmanager_config
from components.config.monitoring import MonitoringConfig
from components.contracts import MonitoringContract, ScrapeTarget
from components.fleet_plan import FleetView
from components.fleet_view import FLEET_POD_LABELS, fleet_prometheus, fleet_service_monitor, remote_write
from components.monitoring import CONFIG_SECRET, GRAFANA_ADMIN_SECRET, RECEIVERS_SECRET, Monitoring, MonitoringArgs
from components.monitoring_objects import CONTRACTS_CONFIGMAP, DASHBOARD_LABEL, FOLDER_ANNOTATION
from components.monitoring_values import (
    ALERTMANAGER_POD_LABELS,
    GRAFANA_POD_LABELS,
    OPERATOR_POD_LABELS,
    PROMETHEUS_POD_LABELS,
    RELEASE,
)
from dashboards.render import dashboards
from meridian.synth.mocks import RecordedResource, RecordingMonitor, RegionMocks
from meridian.synth.plan import Plan
from meridian.synth.render import helm_release, manifest
from meridian.synth.runner import run_program
from observability.config import ObservabilityConfig
from observability.contracts_io import load_contracts
from tests.conftest import make_cluster_ref
from tests.schemas import chart_default_values, custom_resource_errors, unknown_crd_fields, unknown_value_keys

VPC = "10.10.0.0/16"
PAGERDUTY_KEY = "pd-routing-key-0123456789abcdef"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/not-a-real-token"
GRAFANA_PASSWORD = "grafana-password-that-must-never-leak"
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
MONITOR_TYPES = ("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "kubernetes:monitoring.coreos.com/v1:PodMonitor")
SUBCHARTS = ("grafana", "kube-state-metrics", "prometheus-node-exporter")
COMMENTED_KEYS = {
    # Read by the templates, shown only as comments in the default values.yaml: kube-prometheus-stack-88.5.3
    # templates/alertmanager/alertmanager.yaml and grafana-12.11.1 templates/clusterrolebinding.yaml.
    "alertmanager.alertmanagerSpec.configSecret",
    "grafana.rbac.useExistingClusterRole",
}
TARGETS = (
    ScrapeTarget(kind="ServiceMonitor", job="cert-manager", namespace="cert-manager",
                 port="tcp-prometheus-servicemonitor",
                 selector={"app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller"}),
    ScrapeTarget(kind="PodMonitor", job="cert-manager-webhook", namespace="cert-manager", port="https",
                 scheme="https", path="/v1/metrics", interval_seconds=15, params={"format": ("prometheus",)},
                 tls_ca_secret=("meridian-ca", "ca.crt"), tls_server_name="cert-manager-webhook.cert-manager.svc",
                 exporter_cluster_label="cm_cluster", selector={"app.kubernetes.io/component": "webhook"}),
    ScrapeTarget(kind="ServiceMonitor", job="cert-manager-cainjector", namespace="cert-manager", port="metrics",
                 selector={"app.kubernetes.io/component": "cainjector"}, created_by_operator=True),
)
CONTRACT = MonitoringContract(kind="cert-manager", region="us-east-1", cluster="meridian-us-east-1",
                              namespace="cert-manager", scrape=TARGETS, exporter="cert-manager", replicas=2,
                              thresholds={"expiry_warning_days": 21.0, "expiry_critical_days": 7.0})
ROUTING = {"routing": {"critical": {"type": "pagerduty", "secret": "pagerduty_routing_key"},
                       "warning": {"type": "slack", "secret": "slack_webhook_url", "channel": "#platform-alerts"}}}


@dataclass
class Run:
    """A recorded run, the component object, and the Secrets' constructor arguments (the synth masks their
    payloads, since pulumi-kubernetes makes every Secret's data a Pulumi secret)."""

    plan: Plan
    component: Monitoring
    secrets: dict[str, dict[str, Any]]
    """Each Secret's constructor keyword arguments, by object name."""

    def data(self, name: str) -> dict[str, Any]:
        """The Secret's `string_data` as the component passed it."""
        data: dict[str, Any] = self.secrets[name]["string_data"]
        return data


def _run(config: MonitoringConfig, keys: dict[str, str], protect: bool = True, fleet: FleetView | None = None) -> Run:
    made: list[Monitoring] = []

    def program() -> None:
        cluster = make_cluster_ref()
        owner = pulumi.ComponentResource("test:index:NamespaceOwner", "cert-manager-owner")
        k8s.core.v1.Namespace("cert-manager-namespace", metadata={"name": "cert-manager"},
                              opts=pulumi.ResourceOptions(parent=owner, provider=cluster.provider))
        made.append(Monitoring("monitoring", MonitoringArgs(
            config=config, cluster=cluster, contracts=[CONTRACT], observability=ObservabilityConfig(),
            vpc_cidr=VPC, receiver_keys=keys, namespace_owners={"cert-manager": owner}, protect_stateful=protect,
            fleet=fleet)))

    with mock.patch("components.monitoring.secrets.token_urlsafe", return_value=GRAFANA_PASSWORD), \
            mock.patch.object(k8s.core.v1, "Secret", side_effect=k8s.core.v1.Secret) as spy:
        plan = Plan("us-east-1", tuple(run_program(program, stack="us-east-1", region="us-east-1")))
    return Run(plan, made[0], {call.kwargs["metadata"]["name"]: dict(call.kwargs) for call in spy.call_args_list})


@pytest.fixture(scope="module")
def routed() -> Run:
    return _run(MonitoringConfig.model_validate(ROUTING),
                {"pagerduty_routing_key": PAGERDUTY_KEY, "slack_webhook_url": SLACK_URL})


@pytest.fixture(scope="module")
def plan(routed: Run) -> Plan:
    return routed.plan


@pytest.fixture(scope="module")
def values(plan: Plan) -> dict[str, Any]:
    (release,) = plan.of_type(RELEASE_TYPE)
    rendered: dict[str, Any] = helm_release(release)["values"]
    return rendered


def _objects(plan: Plan, *types: str) -> list[tuple[RecordedResource, dict[str, Any]]]:
    return [(resource, manifest(resource)) for resource in plan if resource.type in types]


def _effective_selector(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    """The selector the chart renders into the Prometheus CR (templates/prometheus/prometheus.yaml)."""
    if spec.get(f"{kind}Selector"):
        selector: dict[str, Any] = spec[f"{kind}Selector"]
        return selector
    return {"matchLabels": {"release": RELEASE}} if spec[f"{kind}SelectorNilUsesHelmValues"] else {}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are modelled here"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def test_every_platform_target_gets_exactly_one_monitor(plan: Plan, values: dict[str, Any]) -> None:
    monitors = _objects(plan, *MONITOR_TYPES)
    owned = [target for target in TARGETS if not target.created_by_operator]
    assert len(monitors) == len(owned), [r.urn for r, _ in monitors]
    spec = values["prometheus"]["prometheusSpec"]
    for target in owned:
        found = [(r, obj) for r, obj in monitors if obj["kind"] == target.kind
                 and obj["metadata"]["namespace"] == target.namespace
                 and obj["spec"]["selector"] == {"matchLabels": target.selector}]
        assert len(found) == 1, f"{target.job}: {[r.urn for r, _ in found]}"
        resource, obj = found[0]
        (endpoint,) = obj["spec"]["endpoints" if target.kind == "ServiceMonitor" else "podMetricsEndpoints"]
        assert endpoint["port"] == target.port and endpoint["path"] == target.path, resource.urn
        assert endpoint["scheme"] == target.scheme and endpoint["interval"] == f"{target.interval_seconds}s"
        assert {"action": "replace", "targetLabel": "job", "replacement": target.job} in endpoint["relabelings"]
        assert obj["spec"]["namespaceSelector"] == {"matchNames": [target.namespace]}, resource.urn
        kind = "serviceMonitor" if target.kind == "ServiceMonitor" else "podMonitor"
        assert _selects(_effective_selector(spec, kind), obj["metadata"]["labels"]), resource.urn
        assert spec[f"{kind}NamespaceSelector"] == {}, "monitors in every namespace are selected"
        assert set(resource.dependencies) >= {r.urn for r in plan.of_type(RELEASE_TYPE)}, \
            f"{resource.urn} must wait for the chart's CRDs"
        assert plan.named("cert-manager-namespace").urn in resource.dependencies, \
            f"{resource.urn} must wait for the component that creates its namespace"
    jobs = {e["relabelings"][0]["replacement"] for _, obj in monitors
            for e in obj["spec"].get("endpoints", obj["spec"].get("podMetricsEndpoints", []))}
    assert "cert-manager-cainjector" not in jobs, "the operator's own monitor is not duplicated"


def test_monitor_tls_params_and_the_exporters_cluster_label(plan: Plan) -> None:
    ((resource, obj),) = [(r, o) for r, o in _objects(plan, MONITOR_TYPES[1])]
    (endpoint,) = obj["spec"]["podMetricsEndpoints"]
    assert endpoint["tlsConfig"] == {"ca": {"secret": {"name": "meridian-ca", "key": "ca.crt"}},
                                     "serverName": "cert-manager-webhook.cert-manager.svc"}, resource.urn
    assert endpoint["params"] == {"format": ["prometheus"]}
    assert endpoint["metricRelabelings"] == [
        {"action": "replace", "sourceLabels": ["exported_cluster"], "regex": "(.+)", "replacement": "$1",
         "targetLabel": "cm_cluster"},
        {"action": "labeldrop", "regex": "exported_cluster"}], resource.urn
    ((_, service_monitor),) = _objects(plan, MONITOR_TYPES[0])
    assert "metricRelabelings" not in service_monitor["spec"]["endpoints"][0], "only when the exporter has one"


def test_one_prometheus_rule_per_kind_selected_by_prometheus(plan: Plan, values: dict[str, Any]) -> None:
    rules = _objects(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    assert [obj["metadata"]["name"] for _, obj in rules] == ["meridian-cert-manager"]
    ((resource, rule),) = rules
    assert rule["spec"]["groups"] == rule_files([CONTRACT], ObservabilityConfig())["cert-manager.yaml"]["groups"]
    spec = values["prometheus"]["prometheusSpec"]
    assert _selects(_effective_selector(spec, "rule"), rule["metadata"]["labels"]), resource.urn
    assert spec["ruleNamespaceSelector"] == {}
    assert rule["metadata"]["namespace"] == "monitoring"
    assert plan.named("cert-manager-namespace").urn not in resource.dependencies, "rules live in monitoring"


def test_dashboards_are_labelled_for_the_sidecar_with_a_folder_per_kind(plan: Plan, values: dict[str, Any]) -> None:
    maps = {obj["metadata"]["name"]: obj for _, obj in _objects(plan, "kubernetes:core/v1:ConfigMap")
            if obj["metadata"]["labels"].get(DASHBOARD_LABEL[0]) == DASHBOARD_LABEL[1]}
    expected = dashboards([CONTRACT], ObservabilityConfig())
    found = {name: json.loads(text) for obj in maps.values() for name, text in obj["data"].items()}
    assert found == expected
    folders = {next(iter(obj["data"])): obj["metadata"]["annotations"][FOLDER_ANNOTATION] for obj in maps.values()}
    assert folders == {"cert-manager.json": "cert-manager", "region-overview.json": "Meridian",
                       "fleet-overview.json": "Meridian"}
    sidecar = values["grafana"]["sidecar"]["dashboards"]
    assert (sidecar["label"], sidecar["labelValue"]) == DASHBOARD_LABEL
    assert sidecar["folderAnnotation"] == FOLDER_ANNOTATION and sidecar["searchNamespace"] == "ALL"
    assert sidecar["provider"]["foldersFromFilesStructure"] is True
    assert values["grafana"]["defaultDashboardsEnabled"] is False and values["defaultRules"]["create"] is False


def test_the_contracts_are_stored(plan: Plan) -> None:
    (stored,) = [obj for _, obj in _objects(plan, "kubernetes:core/v1:ConfigMap")
                 if obj["metadata"]["name"] == CONTRACTS_CONFIGMAP]
    assert load_contracts(stored["data"]["contracts.json"]) == [CONTRACT]


def test_alertmanager_uses_our_config_and_mounts_the_receiver_keys(routed: Run, values: dict[str, Any]) -> None:
    plan = routed.plan
    receivers = {"critical": Receiver(type="pagerduty", key="pagerduty_routing_key"),
                 "warning": Receiver(type="slack", key="slack_webhook_url", channel="#platform-alerts")}
    expected = alertmanager_config(receivers, secret_name=RECEIVERS_SECRET)
    assert yaml.safe_load(routed.data(CONFIG_SECRET)["alertmanager.yaml"]) == expected
    assert routed.component.alertmanager_config == expected
    assert sorted(routed.data(RECEIVERS_SECRET)) == ["pagerduty_routing_key", "slack_webhook_url"]
    for _, secret in _objects(plan, "kubernetes:core/v1:Secret"):
        assert secret["stringData"] == {"masked-by-synth": "[secret]"}, secret["metadata"]["name"]
    spec = values["alertmanager"]["alertmanagerSpec"]
    assert (spec["useExistingSecret"], spec["configSecret"], spec["secrets"]) == (True, CONFIG_SECRET,
                                                                                  [RECEIVERS_SECRET])
    (release,) = plan.of_type(RELEASE_TYPE)
    names = {r.urn: manifest(r)["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Secret")}
    assert {names[urn] for urn in release.dependencies if urn in names} == \
        {CONFIG_SECRET, RECEIVERS_SECRET, GRAFANA_ADMIN_SECRET}, "Alertmanager and Grafana need them at start"


def test_without_routing_there_is_no_receiver_secret() -> None:
    plan = _run(MonitoringConfig(), {}, protect=False).plan
    names = {manifest(r)["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Secret")}
    assert names == {CONFIG_SECRET, GRAFANA_ADMIN_SECRET}
    (release,) = plan.of_type(RELEASE_TYPE)
    assert helm_release(release)["values"]["alertmanager"]["alertmanagerSpec"]["secrets"] == []
    assert not release.protect and not plan.named("monitoring-namespace").protect
    with pytest.raises(ValueError, match="receiver_keys lacks"):
        _run(MonitoringConfig.model_validate(ROUTING), {"pagerduty_routing_key": PAGERDUTY_KEY})


def test_no_secret_value_in_plain_text_anywhere(routed: Run) -> None:
    plan = routed.plan
    text = json.dumps(plan.as_json())
    for secret in (PAGERDUTY_KEY, SLACK_URL, GRAFANA_PASSWORD):
        assert secret not in text
    assert manifest(plan.named("monitoring-grafana-admin"))["stringData"] == {"masked-by-synth": "[secret]"}
    admin = routed.secrets[GRAFANA_ADMIN_SECRET]
    assert admin["string_data"]["admin-user"] == "admin"
    assert admin["opts"].ignore_changes == ["stringData"], "the password is made once; later runs keep it"
    assert plan.named("monitoring-namespace").protect and plan.of_type(RELEASE_TYPE)[0].protect


def test_chart_values_use_only_keys_the_charts_define(values: dict[str, Any]) -> None:
    defaults = chart_default_values("kube-prometheus-stack")
    own = {key: value for key, value in values.items() if key not in SUBCHARTS}
    assert set(unknown_value_keys(own, defaults)) <= COMMENTED_KEYS
    assert unknown_value_keys({"prometheus": {"prometheusSpec": {"retentoin": "1d"}}}, defaults), "typos caught"
    for key in COMMENTED_KEYS:
        head, *_ = key.split(".")
        assert head in values, f"{key} is listed but not set"


def test_chart_values_are_valid_custom_resource_fields(values: dict[str, Any]) -> None:
    """What the chart copies into the Prometheus and Alertmanager CRs, against their CRDs."""
    prometheus = values["prometheus"]["prometheusSpec"]
    copied = {key: prometheus[key] for key in ("replicas", "retention", "retentionSize", "scrapeInterval",
                                                "evaluationInterval", "externalLabels", "scrapeClasses", "resources",
                                                "securityContext", "topologySpreadConstraints", "ruleSelector",
                                                "serviceMonitorSelector", "podMonitorSelector")}
    alertmanager = values["alertmanager"]["alertmanagerSpec"]
    objects = [
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "metadata": {"name": "p"},
         "spec": {**copied, "storage": prometheus["storageSpec"]}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Alertmanager", "metadata": {"name": "a"},
         "spec": {key: alertmanager[key] for key in ("replicas", "configSecret", "secrets", "storage", "resources",
                                                      "securityContext", "topologySpreadConstraints")}},
    ]
    for obj in objects:
        assert custom_resource_errors(obj) == [] and unknown_crd_fields(obj) == [], obj["kind"]


def test_prometheus_is_ha_zone_spread_and_labels_every_series(values: dict[str, Any]) -> None:
    spec = values["prometheus"]["prometheusSpec"]
    assert (spec["replicas"], spec["retention"], spec["retentionSize"]) == (2, "15d", "85GB")
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3" and claim["resources"]["requests"]["storage"] == "100Gi"
    assert spec["externalLabels"] == {"region": "us-east-1", "cluster": "meridian-us-east-1"}
    (scrape_class,) = spec["scrapeClasses"]
    assert scrape_class["default"] is True
    assert {(r["targetLabel"], r["replacement"]) for r in scrape_class["relabelings"]} == \
        {("region", "us-east-1"), ("cluster", "meridian-us-east-1")}
    assert spec["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"] == PROMETHEUS_POD_LABELS
    assert values["prometheus"]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    alertmanager = values["alertmanager"]
    assert alertmanager["alertmanagerSpec"]["replicas"] == 3
    assert alertmanager["podDisruptionBudget"] == {"enabled": True, "minAvailable": 2}
    for pod in (spec, alertmanager["alertmanagerSpec"], values["grafana"]):
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["resources"]["limits"]["memory"]


def test_single_replicas_have_no_disruption_budget() -> None:
    config = MonitoringConfig.model_validate({"prometheus": {"replicas": 1}, "alertmanager": {"replicas": 1},
                                              "grafana": {"replicas": 1}})
    (release,) = _run(config, {}, protect=False).plan.of_type(RELEASE_TYPE)
    values = helm_release(release)["values"]
    assert values["prometheus"]["podDisruptionBudget"]["enabled"] is False
    assert values["alertmanager"]["podDisruptionBudget"]["enabled"] is False
    assert values["grafana"]["podDisruptionBudget"] == {}


def test_the_charts_own_monitors_get_the_contract_job_names(values: dict[str, Any]) -> None:
    relabelled = {"prometheus": values["prometheus"]["serviceMonitor"],
                  "alertmanager": values["alertmanager"]["serviceMonitor"],
                  "prometheus-operator": values["prometheusOperator"]["serviceMonitor"],
                  "grafana": values["grafana"]["serviceMonitor"]}
    for job, monitor in relabelled.items():
        assert monitor["relabelings"] == [{"action": "replace", "targetLabel": "job", "replacement": job}], job
    assert values["grafana"]["serviceMonitor"]["enabled"] is True
    # kubelet (jobLabel k8s-app), apiserver (jobLabel component), node-exporter (service label jobLabel) and
    # kube-state-metrics (app.kubernetes.io/name) keep the chart's defaults, which already are the contract's jobs.
    defaults = chart_default_values("kube-prometheus-stack")
    assert defaults["kubeApiServer"]["serviceMonitor"]["jobLabel"] == "component"
    assert defaults["prometheus-node-exporter"]["service"]["labels"]["jobLabel"] == "node-exporter"
    for key in ("kubelet", "kubeApiServer", "prometheus-node-exporter", "kube-state-metrics"):
        assert "relabelings" not in json.dumps(values.get(key, {})), key
    for hidden in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy", "coreDns", "kubeDns"):
        assert values[hidden] == {"enabled": False}, hidden


def test_a_kind_without_generators_fails_before_anything_is_declared() -> None:
    unknown = replace(CONTRACT, kind="no-such-kind")
    monitor = RecordingMonitor(RegionMocks("us-east-1"))

    def program() -> None:
        Monitoring("monitoring", MonitoringArgs(config=MonitoringConfig(), cluster=make_cluster_ref(),
                                                contracts=[unknown], observability=ObservabilityConfig(),
                                                vpc_cidr=VPC))

    with pytest.raises(RuleError, match="no alert template for kind 'no-such-kind'"):
        run_program(program, stack="us-east-1", region="us-east-1", monitor=monitor)
    assert [r.type for r in monitor.recorded if r.custom] == ["pulumi:providers:kubernetes"]


def test_core_objects_are_valid_kubernetes(plan: Plan) -> None:
    core = [r for r in plan if r.custom and r.type.startswith("kubernetes:") and r.type != RELEASE_TYPE
            and not r.type.startswith("kubernetes:monitoring.coreos.com")]
    assert {r.type.split(":")[-1] for r in core} == {"Namespace", "NetworkPolicy", "Secret", "ConfigMap",
                                                     "ClusterRole"}
    for resource in core:
        kubernetes_validate.validate(manifest(resource), "1.35.0", strict=True)


def test_custom_resources_are_valid_against_the_crds(plan: Plan) -> None:
    objects = [obj for r, obj in _objects(plan, *MONITOR_TYPES, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")]
    assert len(objects) == 3
    for obj in objects:
        assert custom_resource_errors(obj) == [], obj["metadata"]["name"]
        assert unknown_crd_fields(obj) == [], obj["metadata"]["name"]


def test_network_policies_deny_by_default_and_open_only_the_monitoring_flows(plan: Plan) -> None:
    policies = {obj["metadata"]["name"]: obj["spec"] for _, obj in
                _objects(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert {"allow-dns", "allow-api-server", "allow-same-namespace"} <= set(policies)
    scrape = policies["allow-prometheus-scrape"]
    assert scrape["podSelector"] == {"matchLabels": PROMETHEUS_POD_LABELS}
    assert scrape["egress"][0] == {"to": [{"namespaceSelector": {}}]}, "scrape pods in every namespace"
    assert scrape["egress"][1]["to"] == [{"ipBlock": {"cidr": VPC}}]
    assert {p["port"] for p in scrape["egress"][1]["ports"]} == {443, 10250, 9100}, "API server, kubelet, nodes"
    receivers = policies["allow-alertmanager-receivers"]
    assert receivers["podSelector"] == {"matchLabels": ALERTMANAGER_POD_LABELS}
    assert receivers["egress"] == [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                                    "ports": [{"port": 443, "protocol": "TCP"}]}]
    grafana = policies["allow-grafana"]
    assert grafana["podSelector"] == {"matchLabels": GRAFANA_POD_LABELS}
    assert grafana["ingress"] == [{"from": [{"ipBlock": {"cidr": VPC}}], "ports": [{"port": 3000, "protocol": "TCP"}]}]
    webhook = policies["allow-operator-webhook-from-api-server"]
    assert webhook["podSelector"] == {"matchLabels": OPERATOR_POD_LABELS}
    assert webhook["ingress"][0]["ports"] == [{"port": 10250, "protocol": "TCP"}]


def test_grafana_reads_configmaps_only(plan: Plan, values: dict[str, Any]) -> None:
    (role,) = [obj for _, obj in _objects(plan, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
    grafana = values["grafana"]
    assert grafana["rbac"]["useExistingClusterRole"] == role["metadata"]["name"]
    assert grafana["sidecar"]["dashboards"]["resource"] == grafana["sidecar"]["datasources"]["resource"] == \
        "configmap"
    assert grafana["admin"] == {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user",
                                "passwordKey": "admin-password"}


FLEET_HOST = "prometheus.us-east-1.meridian.internal"
PRIMARY = FleetView(primary_region="us-east-1", is_primary=True, receiver_host=FLEET_HOST, receiver_replicas=2,
                    remote_write_urls=tuple(f"http://prometheus-fleet-{i}.{FLEET_HOST}:9090/api/v1/write"
                                            for i in range(2)), fleet_cidr="10.0.0.0/8")
MEMBER = replace(PRIMARY, is_primary=False)
FLEET_TYPES = ("kubernetes:monitoring.coreos.com/v1:Prometheus", "kubernetes:core/v1:Service")


@pytest.fixture(scope="module")
def fleet_runs() -> dict[str, Plan]:
    return {role: _run(MonitoringConfig(), {}, protect=True, fleet=view).plan
            for role, view in (("primary", PRIMARY), ("member", MEMBER))}


def _values(plan: Plan) -> dict[str, Any]:
    (release,) = plan.of_type(RELEASE_TYPE)
    rendered: dict[str, Any] = helm_release(release)["values"]
    return rendered


def _policies(plan: Plan) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj["spec"] for _, obj in
            _objects(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")}


def _dashboard_files(plan: Plan) -> set[str]:
    return {name for _, obj in _objects(plan, "kubernetes:core/v1:ConfigMap")
            if obj["metadata"]["labels"].get(DASHBOARD_LABEL[0]) == DASHBOARD_LABEL[1] for name in obj["data"]}


def test_without_a_fleet_nothing_is_sent_and_the_fleet_source_is_the_region(plan: Plan,
                                                                            values: dict[str, Any]) -> None:
    assert "remoteWrite" not in values["prometheus"]["prometheusSpec"]
    assert not _objects(plan, *FLEET_TYPES)
    assert "allow-prometheus-remote-write" not in _policies(plan)
    (source,) = values["grafana"]["additionalDataSources"]
    assert (source["uid"], source["url"]) == ("fleet", f"http://{RELEASE}-prometheus.monitoring.svc:9090"), \
        "a stack outside the fleet is its own fleet: the fleet overview it publishes reads its Prometheus"


@pytest.mark.parametrize("role", ["primary", "member"])
def test_every_fleet_member_remote_writes_its_recordings(fleet_runs: dict[str, Plan], role: str) -> None:
    plan = fleet_runs[role]
    spec = _values(plan)["prometheus"]["prometheusSpec"]
    assert spec["remoteWrite"] == remote_write(PRIMARY)
    copied = {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "metadata": {"name": "p"},
              "spec": {"remoteWrite": spec["remoteWrite"], "externalLabels": spec["externalLabels"]}}
    assert custom_resource_errors(copied) == [] and unknown_crd_fields(copied) == []
    egress = _policies(plan)["allow-prometheus-remote-write"]
    assert egress["podSelector"] == {"matchLabels": PROMETHEUS_POD_LABELS}
    assert egress["egress"] == [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
                                 "ports": [{"port": 9090, "protocol": "TCP"}]}]


def test_only_the_primary_runs_the_receiver_and_publishes_the_fleet_overview(fleet_runs: dict[str, Plan]) -> None:
    member, primary = fleet_runs["member"], fleet_runs["primary"]
    assert not _objects(member, *FLEET_TYPES) and "allow-fleet-remote-write" not in _policies(member)
    assert "additionalDataSources" not in _values(member)["grafana"]
    assert "fleet-overview.json" not in _dashboard_files(member)
    assert {"fleet-overview.json", "region-overview.json"} <= _dashboard_files(primary)
    (source,) = _values(primary)["grafana"]["additionalDataSources"]
    assert (source["name"], source["uid"], source["url"]) == ("Fleet", "fleet",
                                                              "http://prometheus-fleet.monitoring.svc:9090")
    ingress = _policies(primary)["allow-fleet-remote-write"]
    assert ingress == {"podSelector": {"matchLabels": FLEET_POD_LABELS}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
                                    "ports": [{"port": 9090, "protocol": "TCP"}]}]}


def test_the_primarys_receiver_objects_are_valid_and_wait_for_the_crds(fleet_runs: dict[str, Plan]) -> None:
    plan = fleet_runs["primary"]
    (release,) = plan.of_type(RELEASE_TYPE)
    (receiver,) = plan.of_type(FLEET_TYPES[0])
    assert manifest(receiver) == {**fleet_prometheus(PRIMARY, namespace="monitoring", storage_class="gp3"),
                                  "metadata": manifest(receiver)["metadata"]}
    assert receiver.protect and release.urn in receiver.dependencies, receiver.urn
    (monitor,) = [r for r in plan.of_type(MONITOR_TYPES[0]) if manifest(r)["metadata"]["name"] == "prometheus-fleet"]
    assert manifest(monitor)["spec"] == fleet_service_monitor(namespace="monitoring")["spec"]
    assert release.urn in monitor.dependencies, monitor.urn
    for resource in (receiver, monitor):
        assert custom_resource_errors(manifest(resource)) == [] and unknown_crd_fields(manifest(resource)) == []
    (service,) = plan.of_type(FLEET_TYPES[1])
    kubernetes_validate.validate(manifest(service), "1.35.0", strict=True)
    assert manifest(service)["spec"]["selector"] == FLEET_POD_LABELS
