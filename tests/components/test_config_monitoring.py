"""`meridian:monitoring`: defaults, overrides, routing, and receiver keys that must be secret config values."""

from __future__ import annotations

import contextvars
import json
from typing import Any

import pytest
from pulumi.runtime.config import set_all_config

from components.config import parse_stack_config
from components.config.monitoring import SECRET_PLACEHOLDER, ConfigSecret, MonitoringConfig
from components.config.stack import current_raw_config
from components.errors import ConfigError
from components.fleet import SECRET_PLACEHOLDER as FLEET_PLACEHOLDER
from components.fleet import load_fleet
from observability.config import ObservabilityConfig
from tests.conftest import ROOT, raw_config

PAGERDUTY = {"type": "pagerduty", "secret": "pagerduty_routing_key"}
SLACK = {"type": "slack", "secret": "meridian:slack_webhook_url", "channel": "#platform-alerts"}


def _raw(monitoring: dict[str, Any] | None = None, **secrets: str) -> dict[str, str]:
    raw = raw_config()
    if monitoring is not None:
        raw["meridian:monitoring"] = json.dumps(monitoring)
    raw.update({f"meridian:{key}": value for key, value in secrets.items()})
    return raw


def _error(raw: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("us-east-1", raw)
    return caught.value


def test_absent_section_deploys_monitoring_with_defaults() -> None:
    config = parse_stack_config("us-east-1", _raw())
    monitoring = config.monitoring
    assert (monitoring.prometheus.replicas, monitoring.prometheus.retention_days, monitoring.prometheus.volume_gib,
            monitoring.prometheus.scrape_interval_seconds) == (2, 15, 100, 30)
    assert (monitoring.alertmanager.replicas, monitoring.alertmanager.volume_gib) == (3, 10)
    assert monitoring.grafana.replicas == 2 and monitoring.chart_version is None
    assert monitoring.routing.receivers() == {} and config.secrets == {}
    assert monitoring.observability_config() == ObservabilityConfig()


def test_overrides_reach_the_observability_config() -> None:
    config = parse_stack_config("us-east-1", _raw({"observability": {
        "runbook_base_url": "https://runbooks.example.com/meridian", "for_critical": "2m", "target_down_for": "10m"}}))
    obs = config.monitoring.observability_config()
    assert (obs.runbook_base_url, obs.for_critical, obs.for_warning, obs.target_down_for) == \
        ("https://runbooks.example.com/meridian", "2m", ObservabilityConfig().for_warning, "10m")


def test_routing_with_secret_keys_parses_and_keeps_the_values_secret() -> None:
    raw = _raw({"routing": {"critical": PAGERDUTY, "warning": SLACK}},
               pagerduty_routing_key=ConfigSecret("pd-0123456789"), slack_webhook_url=SECRET_PLACEHOLDER)
    config = parse_stack_config("us-east-1", raw)
    receivers = config.monitoring.routing.receivers()
    assert list(receivers) == ["critical", "warning"]
    assert receivers["warning"].secret == "slack_webhook_url", "the `meridian:` prefix is optional"
    assert config.monitoring.secret_keys() == ("meridian:pagerduty_routing_key", "meridian:slack_webhook_url")
    assert config.secrets["pagerduty_routing_key"].get_secret_value() == "pd-0123456789"
    assert "pd-0123456789" not in repr(config) and "pd-0123456789" not in repr(raw)


def test_a_missing_receiver_key_names_the_key_and_the_fix() -> None:
    error = _error(_raw({"routing": {"critical": PAGERDUTY}}))
    assert error.key == "[stack us-east-1] meridian:pagerduty_routing_key"
    assert "is missing" in error.problem
    assert "pulumi config set --secret meridian:pagerduty_routing_key" in error.fix


def test_a_receiver_key_in_plain_text_is_refused_without_showing_it() -> None:
    error = _error(_raw({"routing": {"critical": PAGERDUTY}}, pagerduty_routing_key="pd-plain-0123456789"))
    assert error.key == "[stack us-east-1] meridian:pagerduty_routing_key"
    assert "is not a secret" in error.problem and "--secret" in error.fix
    assert "pd-plain-0123456789" not in str(error)


def test_a_secret_key_no_receiver_names_is_still_an_unknown_key() -> None:
    error = _error(_raw(pagerduty_routing_key=SECRET_PLACEHOLDER))
    assert error.key == "[stack us-east-1] meridian:pagerduty_routing_key"
    assert error.problem == "is not a known key"


def test_an_invalid_section_is_reported_before_its_secret_keys() -> None:
    error = _error(_raw({"routing": {"critical": {"type": "opsgenie", "secret": "opsgenie_key"}}},
                        opsgenie_key=SECRET_PLACEHOLDER))
    assert error.key == "[stack us-east-1] meridian:monitoring.routing.critical.type"


@pytest.mark.parametrize(("section", "path", "fix"), [
    ({"routing": {"critical": {**PAGERDUTY, "channel": "#x"}}}, "routing.critical", "only Slack"),
    ({"routing": {"warning": {**SLACK, "channel": "platform alerts"}}}, "routing.warning.channel", "#channel"),
    ({"routing": {"critical": {**PAGERDUTY, "secret": "PagerDuty Key"}}}, "routing.critical.secret", "snake_case"),
    ({"routing": {"page": PAGERDUTY}}, "routing.page", "critical"),
    ({"observability": {"for_critical": "five minutes"}}, "observability.for_critical", "5m"),
    ({"observability": {"target_down_for": "0s"}}, "observability.target_down_for", "5m"),
    ({"observability": {"runbook_base_url": "http://insecure.example.com"}}, "observability.runbook_base_url",
     "https"),
    ({"prometheus": {"replicas": 0}}, "prometheus.replicas", "range"),
    ({"prometheus": {"retention_dayz": 3}}, "prometheus.retention_dayz", "retention_days"),
])
def test_bad_values_name_the_key_path_and_the_fix(section: dict[str, Any], path: str, fix: str) -> None:
    error = _error(_raw(section))
    assert error.key == f"[stack us-east-1] meridian:monitoring.{path}"
    assert fix in error.fix


def test_an_unreviewed_chart_version_is_refused() -> None:
    error = _error(_raw({"chart_version": "99.0.0"}))
    assert error.key == "[stack us-east-1] meridian:monitoring.chart_version"
    assert "88.5.3" in error.fix


def test_a_live_run_marks_secret_config_values() -> None:
    def read() -> dict[str, Any]:
        set_all_config({"meridian:pagerduty_routing_key": "pd-live-value", "meridian:owner": "sre"},
                       ["meridian:pagerduty_routing_key"])
        return current_raw_config()

    raw = contextvars.copy_context().run(read)
    assert isinstance(raw["meridian:pagerduty_routing_key"], ConfigSecret)
    assert not isinstance(raw["meridian:owner"], ConfigSecret)
    assert "pd-live-value" not in repr(raw)


def test_the_offline_placeholder_is_the_fleet_loaders() -> None:
    assert SECRET_PLACEHOLDER == FLEET_PLACEHOLDER


def test_the_repository_stacks_route_production_alerts_and_size_dev_down() -> None:
    fleet = load_fleet(ROOT)
    for stack in ("us-east-1", "us-west-2", "eu-west-1"):
        routing = fleet[stack].monitoring.routing
        assert (routing.critical and routing.critical.type, routing.warning and routing.warning.type) == \
            ("pagerduty", "slack"), stack
        assert routing.info is None and set(fleet[stack].secrets) == {"pagerduty_routing_key", "slack_webhook_url"}
    dev = fleet["dev"].monitoring
    assert dev.routing.receivers() == {} and dev.prometheus.replicas == 1
    assert dev.prometheus.volume_gib < MonitoringConfig().prometheus.volume_gib


def test_the_section_round_trips_through_json() -> None:
    section = {"routing": {"critical": PAGERDUTY}, "grafana": {"replicas": 3}}
    config = parse_stack_config("us-east-1", _raw(json.loads(json.dumps(section)),
                                                  pagerduty_routing_key=SECRET_PLACEHOLDER))
    assert config.monitoring.grafana.replicas == 3
