"""The generated Alertmanager config against the real amtool: it loads, and every severity reaches its receiver."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from alerts.routing import BLACKHOLE, SECRETS_DIR, WATCHDOG, Receiver, alertmanager_config, render

SECRET = "alertmanager-receivers"
PAGERDUTY = Receiver(type="pagerduty", key="pagerduty_routing_key")
SLACK = Receiver(type="slack", key="slack_webhook_url", channel="#platform-alerts")
LABELS = ("region=us-east-1", "cluster=meridian-us-east-1")


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["amtool", *args], capture_output=True, text=True, timeout=60, check=False)


def _write(tmp_path: Path, receivers: dict[str, Receiver]) -> Path:
    path = tmp_path / "alertmanager.yaml"
    path.write_text(render(alertmanager_config(receivers, secret_name=SECRET)))
    return path


def _route(path: Path, *labels: str) -> str:
    result = _amtool("config", "routes", "test", f"--config.file={path}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("receivers", [{}, {"critical": PAGERDUTY}, {"critical": PAGERDUTY, "warning": SLACK},
                                       {"critical": PAGERDUTY, "warning": SLACK, "info": SLACK}])
def test_amtool_accepts_the_config(tmp_path: Path, receivers: dict[str, Receiver]) -> None:
    result = _amtool("check-config", str(_write(tmp_path, receivers)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_each_severity_reaches_its_receiver(tmp_path: Path) -> None:
    path = _write(tmp_path, {"critical": PAGERDUTY, "warning": SLACK})
    expected = {"critical": "critical-pagerduty", "warning": "warning-slack", "info": BLACKHOLE}
    for severity, receiver in expected.items():
        assert _route(path, f"severity={severity}", "alertname=CertManagerCertificateExpiring", *LABELS) == receiver
    assert _route(path, "alertname=SomethingUnlabelled", *LABELS) == BLACKHOLE, "no severity: the null receiver"
    wrong = _amtool("config", "routes", "test", f"--config.file={path}", "--verify.receivers=warning-slack",
                    "severity=critical", "alertname=X", *LABELS)
    assert wrong.returncode != 0, "amtool must fail when the route reaches another receiver"


def test_without_routing_everything_goes_to_the_null_receiver(tmp_path: Path) -> None:
    path = _write(tmp_path, {})
    for severity in ("critical", "warning", "info"):
        assert _route(path, f"severity={severity}", "alertname=X", *LABELS) == BLACKHOLE
    config = yaml.safe_load(path.read_text())
    assert config["receivers"] == [{"name": BLACKHOLE}]


def test_the_watchdog_never_notifies_even_when_info_has_a_receiver(tmp_path: Path) -> None:
    path = _write(tmp_path, {"info": SLACK})
    assert _route(path, f"alertname={WATCHDOG}", "severity=info", *LABELS) == BLACKHOLE
    assert _route(path, "alertname=KafkaSomethingInformational", "severity=info", *LABELS) == "info-slack"


def test_grouping_inhibition_and_timing() -> None:
    config = alertmanager_config({"critical": PAGERDUTY}, secret_name=SECRET)
    route = config["route"]
    assert route["group_by"] == ["alertname", "region", "cluster"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("30s", "5m", "4h")
    (inhibit,) = config["inhibit_rules"]
    assert inhibit == {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                       "equal": ["alertname", "region", "cluster"]}


def test_receiver_keys_are_files_never_values(tmp_path: Path) -> None:
    text = render(alertmanager_config({"critical": PAGERDUTY, "warning": SLACK}, secret_name=SECRET))
    config = yaml.safe_load(text)
    receivers = {r["name"]: r for r in config["receivers"]}
    pagerduty = receivers["critical-pagerduty"]["pagerduty_configs"][0]
    slack = receivers["warning-slack"]["slack_configs"][0]
    assert pagerduty["routing_key_file"] == f"{SECRETS_DIR}/{SECRET}/pagerduty_routing_key"
    assert slack["api_url_file"] == f"{SECRETS_DIR}/{SECRET}/slack_webhook_url"
    assert slack["channel"] == "#platform-alerts"
    assert "routing_key:" not in text and "api_url:" not in text and "service_key" not in text


def test_output_is_deterministic_and_rejects_unknown_severities() -> None:
    receivers = {"warning": SLACK, "critical": PAGERDUTY}
    assert render(alertmanager_config(receivers, secret_name=SECRET)) == \
        render(alertmanager_config(dict(reversed(receivers.items())), secret_name=SECRET))
    with pytest.raises(ValueError, match="unknown severities"):
        alertmanager_config({"page": PAGERDUTY}, secret_name=SECRET)
