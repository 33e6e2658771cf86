"""The Alertmanager config from the routing by severity: a pure function, checked with the real amtool in tests.

Alerts are grouped by `alertname, region, cluster` and routed on `severity` to the receiver configured for it;
a severity without one (and anything unlabelled) goes to the null receiver `blackhole`. `MonitoringWatchdog`,
the always-firing dead man's switch, goes to `blackhole` too. A critical alert inhibits the warning of the same
alertname, region and cluster. Receiver keys never appear in the config: receivers read them from the files
Alertmanager mounts from `alertmanagerSpec.secrets` (`/etc/alertmanager/secrets/<secret>/<key>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import yaml

from observability.config import CLUSTER_LABEL, REGION_LABEL, SEVERITIES

BLACKHOLE: Final = "blackhole"
WATCHDOG: Final = "MonitoringWatchdog"
SECRETS_DIR: Final = "/etc/alertmanager/secrets"
GROUP_BY: Final = ("alertname", REGION_LABEL, CLUSTER_LABEL)
REPEAT_INTERVAL: Final = {"critical": "1h", "warning": "4h", "info": "24h"}
"""How often an unresolved alert is re-sent: pages hourly, tickets twice a working day, info daily."""
_SLACK_TITLE: Final = ("[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} "
                       "({{ .CommonLabels.region }}/{{ .CommonLabels.cluster }})")
_SLACK_TEXT: Final = ("{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n"
                      "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}")


@dataclass(frozen=True, kw_only=True)
class Receiver:
    """A notification target: PagerDuty or Slack, its key in `<secret_name>/<key>` under SECRETS_DIR."""

    type: Literal["pagerduty", "slack"]
    key: str
    """Key of the receiver Secret holding the PagerDuty routing key or the Slack webhook URL."""
    channel: str | None = None
    """Slack channel; None: the webhook's own."""


def receiver_name(severity: str, receiver: Receiver | None) -> str:
    """Name of the receiver alerts of `severity` go to."""
    return BLACKHOLE if receiver is None else f"{severity}-{receiver.type}"


def _receiver(name: str, receiver: Receiver, secret_name: str) -> dict[str, Any]:
    path = f"{SECRETS_DIR}/{secret_name}/{receiver.key}"
    if receiver.type == "pagerduty":
        return {"name": name, "pagerduty_configs": [{
            "routing_key_file": path,
            "send_resolved": True,
            "description": "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}",
            "details": {"region": "{{ .CommonLabels.region }}", "cluster": "{{ .CommonLabels.cluster }}",
                        "runbook_url": "{{ .CommonAnnotations.runbook_url }}",
                        "description": "{{ .CommonAnnotations.description }}"},
        }]}
    slack: dict[str, Any] = {"api_url_file": path, "send_resolved": True, "title": _SLACK_TITLE, "text": _SLACK_TEXT}
    if receiver.channel is not None:
        slack["channel"] = receiver.channel
    return {"name": name, "slack_configs": [slack]}


def alertmanager_config(receivers: Mapping[str, Receiver], *, secret_name: str) -> dict[str, Any]:
    """Alertmanager config routing each severity in `receivers` to its receiver; the rest to `blackhole`."""
    unknown = sorted(set(receivers) - set(SEVERITIES))
    if unknown:
        raise ValueError(f"unknown severities {unknown}; use {SEVERITIES}")
    routes: list[dict[str, Any]] = [
        {"receiver": BLACKHOLE, "matchers": [f'alertname="{WATCHDOG}"'], "repeat_interval": "24h"}]
    defined: dict[str, dict[str, Any]] = {BLACKHOLE: {"name": BLACKHOLE}}
    for severity in SEVERITIES:
        receiver = receivers.get(severity)
        name = receiver_name(severity, receiver)
        routes.append({"receiver": name, "matchers": [f'severity="{severity}"'],
                       "repeat_interval": REPEAT_INTERVAL[severity]})
        if receiver is not None:
            defined[name] = _receiver(name, receiver, secret_name)
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {"receiver": BLACKHOLE, "group_by": list(GROUP_BY), "group_wait": "30s", "group_interval": "5m",
                  "repeat_interval": "4h", "routes": routes},
        "inhibit_rules": [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                           "equal": list(GROUP_BY)}],
        "receivers": [defined[name] for name in sorted(defined)],
    }


def render(config: Mapping[str, Any]) -> str:
    """Deterministic YAML of an Alertmanager config (the Secret's `alertmanager.yaml`)."""
    return yaml.safe_dump(dict(config), sort_keys=True, default_flow_style=False)
