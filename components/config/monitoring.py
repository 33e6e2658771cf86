"""`meridian:monitoring`: kube-prometheus-stack sizing, observability overrides and alert routing.

The section is optional: without it monitoring is deployed with the defaults below and every alert goes to the
null receiver. Receiver keys (PagerDuty routing keys, Slack webhook URLs) are never in the section: a receiver
names a top-level secret config key (`pulumi config set --secret meridian:pagerduty_routing_key ...`), and the
stack parser refuses a missing or plain-text one (`check_receiver_secrets`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from components.config.base import NAMESPACE, Frozen, ServiceContext, fail
from components.errors import ConfigError
from components.versions import check_chart_version
from observability.config import SEVERITIES, ObservabilityConfig

SECRET_PLACEHOLDER: Final = "[secret]"
"""How the offline synth hands a `secure:` value to the program (components/fleet.py SECRET_PLACEHOLDER)."""
_DURATION: Final = re.compile(r"^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
_SECRET_KEY: Final = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
_SLACK_CHANNEL: Final = re.compile(r"^[#@][a-z0-9._-]{1,80}$")


class ConfigSecret(str):
    """A config value Pulumi holds as a secret (`is_config_secret`); its repr never shows the value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(SECRET_PLACEHOLDER)


def is_secret_value(value: object) -> bool:
    """True when `value` came from a secret config key (a live run marks it; the synth gives the placeholder)."""
    return isinstance(value, ConfigSecret) or value == SECRET_PLACEHOLDER


class PrometheusSettings(Frozen):
    """Prometheus servers (a StatefulSet the operator runs)."""

    replicas: int = Field(default=2, ge=1, le=5)
    """Identical Prometheus servers scraping the same targets, one per zone; default 2."""
    retention_days: int = Field(default=15, ge=1, le=365)
    """Days of samples kept locally; default 15 (also capped at 85% of the volume by size)."""
    volume_gib: int = Field(default=100, ge=10, le=16384)
    """gp3 volume of each server in GiB; default 100."""
    scrape_interval_seconds: int = Field(default=30, ge=5, le=300)
    """Default scrape and rule evaluation interval in seconds; default 30."""


class AlertmanagerSettings(Frozen):
    """Alertmanager cluster (gossiping replicas deduplicate notifications)."""

    replicas: int = Field(default=3, ge=1, le=5)
    """Alertmanager replicas, one per zone; default 3."""
    volume_gib: int = Field(default=10, ge=1, le=1000)
    """gp3 volume of each replica (silences, notification log) in GiB; default 10."""


class GrafanaSettings(Frozen):
    """Grafana (stateless: dashboards and data sources are provisioned)."""

    replicas: int = Field(default=2, ge=1, le=5)
    """Grafana replicas, spread across zones; default 2."""


class ObservabilityOverrides(Frozen):
    """Overrides of the observability defaults (observability/config.py); unset keeps the default."""

    runbook_base_url: str | None = None
    """Base URL of the runbook pages (`<base>/<kind>/<Alert>.md`); default the repository's docs/runbooks."""
    for_critical: str | None = None
    """How long a critical condition holds before it fires (Prometheus duration); default 5m."""
    for_warning: str | None = None
    """How long a warning condition holds before it fires; default 15m."""
    target_down_for: str | None = None
    """How long a scrape target may be down before `<Kind>TargetDown` fires; default 5m."""

    @field_validator("runbook_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https://[^\s/$.?#][^\s]*", value):
            raise fail("is not an https URL", "use e.g. https://github.com/<org>/<repo>/blob/main/docs/runbooks")
        return value

    @field_validator("for_critical", "for_warning", "target_down_for")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and (value in ("", "0s") or not _DURATION.fullmatch(value)):
            raise fail("is not a positive Prometheus duration", "use units y w d h m s ms, e.g. 5m or 1h30m")
        return value


class ReceiverConfig(Frozen):
    """Where alerts of one severity go: PagerDuty or Slack, with its key in a secret config value."""

    type: Literal["pagerduty", "slack"]
    secret: str
    """Top-level secret config key holding the PagerDuty routing key or Slack webhook URL, e.g.
    `pagerduty_routing_key` (or `meridian:pagerduty_routing_key`)."""
    channel: str | None = None
    """Slack only: the channel to post to (`#alerts`); default the webhook's own channel."""

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        name = value.removeprefix(f"{NAMESPACE}:")
        if not _SECRET_KEY.fullmatch(name):
            raise fail("is not a config key name", "name a `meridian:` key in lowercase snake_case, e.g. "
                       "pagerduty_routing_key")
        return name

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not _SLACK_CHANNEL.fullmatch(value):
            raise fail("is not a Slack channel", "use #channel-name (lowercase) or @user")
        return value

    @model_validator(mode="after")
    def _channel_only_for_slack(self) -> ReceiverConfig:
        if self.channel is not None and self.type != "slack":
            raise fail(f"sets a channel on a {self.type} receiver", "remove `channel`: only Slack receivers have one")
        return self

    @property
    def config_key(self) -> str:
        """The full config key of the receiver's secret."""
        return f"{NAMESPACE}:{self.secret}"


class RoutingConfig(Frozen):
    """Per severity, the receiver its alerts go to; a severity left out goes to the null receiver."""

    critical: ReceiverConfig | None = None
    warning: ReceiverConfig | None = None
    info: ReceiverConfig | None = None

    def receivers(self) -> dict[str, ReceiverConfig]:
        """Severity to receiver, for the severities that have one, in severity order."""
        found = {severity: getattr(self, severity) for severity in SEVERITIES}
        return {severity: receiver for severity, receiver in found.items() if receiver is not None}


class MonitoringConfig(Frozen):
    """kube-prometheus-stack: Prometheus, Alertmanager, Grafana; rules, dashboards and monitors generated."""

    chart_version: str | None = None
    """kube-prometheus-stack chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    prometheus: PrometheusSettings = PrometheusSettings()
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    observability: ObservabilityOverrides = ObservabilityOverrides()
    routing: RoutingConfig = RoutingConfig()
    """Alert routing by severity; default: every alert to the null receiver."""

    def secret_keys(self) -> tuple[str, ...]:
        """Full config keys the receivers name, each once, sorted."""
        return tuple(sorted({receiver.config_key for receiver in self.routing.receivers().values()}))

    def observability_config(self) -> ObservabilityConfig:
        """The observability config every generator reads, with this section's overrides."""
        overrides = {key: value for key, value in self.observability.model_dump().items() if value is not None}
        return ObservabilityConfig(**overrides)

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("monitoring.chart_version"), "kube-prometheus-stack", self.chart_version)


def check_receiver_secrets(stack: str, monitoring: MonitoringConfig,
                           raw: Mapping[str, Any]) -> dict[str, SecretStr]:
    """The receivers' secret values by key name; a ConfigError when one is missing or was set in plain text."""
    values: dict[str, SecretStr] = {}
    for key in monitoring.secret_keys():
        fix = f"set it with `pulumi config set --secret {key} <value> --stack {stack}`"
        if key not in raw:
            raise ConfigError(f"[stack {stack}] {key}", None, "is missing, and meridian:monitoring.routing names "
                              "it as a receiver's key", fix)
        value = raw[key]
        if not is_secret_value(value):
            raise ConfigError(f"[stack {stack}] {key}", "<plain text, not shown>", "is not a secret: a receiver "
                              "key in plain text would sit unencrypted in the stack file",
                              f"remove it from the stack file, rotate it, then {fix}")
        values[key.removeprefix(f"{NAMESPACE}:")] = SecretStr(str(value))
    return values
