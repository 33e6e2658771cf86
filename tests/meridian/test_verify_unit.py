"""`meridian verify` without a Prometheus: what a build expects, the checks over API payloads shaped like
Prometheus' (https://prometheus.io/docs/prometheus/latest/querying/api/), the report, and the endpoint errors
against tiny servers on 127.0.0.1 (refused, 401/403, hanging, not JSON, 404, 503, plain HTTP and self-signed TLS)."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from components.contracts import MonitoringContract, ScrapeTarget
from meridian.verify.checks import NEVER, Result, check_alerts, check_rules, check_targets
from meridian.verify.command import verify_command
from meridian.verify.expected import BuildError, Expected, RuleGroup, load_expected
from meridian.verify.probe import TOKEN_ENV, EndpointError, Prometheus, QueryError
from meridian.verify.report import Report, rows, to_json
from observability.contracts_io import dump_contracts
from tests.observability.live_prometheus import free_port

app = typer.Typer()
app.command()(verify_command)
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "1"]}]}}


def _contract(kind: str, jobs: tuple[str, ...], region: str = "us-east-2") -> MonitoringContract:
    return MonitoringContract(kind=kind, region=region, cluster=f"meridian-{region}", namespace=kind,
                              scrape=tuple(ScrapeTarget(kind="ServiceMonitor", job=job, namespace=kind,
                                                        selector={"app": job}, port="metrics") for job in jobs),
                              exporter="cert-manager")


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A tiny synth output for stack `s`: two contracts, one rule file (plus the Alertmanager config), a dashboard."""
    folder = tmp_path / "s"
    (folder / "alerts").mkdir(parents=True)
    (folder / "dashboards").mkdir()
    (folder / "contracts.json").write_text(dump_contracts([_contract("vault", ("vault",)),
                                                           _contract("kafka", ("kafka", "kafka-exporter"))]))
    rules = {"groups": [{"name": "a.rules", "rules": [{"record": "cluster:x:sum", "expr": "sum(x)"},
                                                      {"alert": "AHigh", "expr": "x > 1"}]},
                        {"name": "a.watchdog", "rules": [{"alert": "AWatchdog", "expr": "vector(1)", "for": "1m"}]}]}
    (folder / "alerts" / "a.yaml").write_text(yaml.safe_dump(rules))
    (folder / "alerts" / "alertmanager.yaml").write_text("route: {receiver: x}\n")
    model = {"title": "A", "panels": [
        {"type": "row", "title": "r", "panels": [{"title": "rate", "targets": [
            {"expr": 'sum(rate(x{region=~"$region", cluster=~"${cluster}"}[$__rate_interval]))'}]}]},
        {"title": "odd", "targets": [{"expr": "x{a=\"$foo\"}"}, {"expr": ""}]}]}
    (folder / "dashboards" / "a.json").write_text(json.dumps(model))
    return tmp_path


def test_expected_reads_jobs_groups_panels_and_the_watchdog(build: Path) -> None:
    expected = load_expected(build, "s")
    assert (expected.region, expected.cluster) == ("us-east-2", "meridian-us-east-2")
    assert expected.jobs == ("kafka", "kafka-exporter", "vault")
    assert expected.groups == (RuleGroup("a.rules", "a.yaml", ("cluster:x:sum", "AHigh")),
                               RuleGroup("a.watchdog", "a.yaml", ("AWatchdog",)))
    assert expected.always_firing == ("AWatchdog",)
    rate, odd = expected.panels
    assert (rate.dashboard, rate.title, rate.problem) == ("A", "rate", "")
    assert rate.query == 'sum(rate(x{region=~"us-east-2", cluster=~"meridian-us-east-2"}[120s]))'
    assert odd.problem == "unknown Grafana variable $foo"


def test_expected_without_synth_output_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"no synth output for stack 'dev'.*run `meridian synth --stack dev"):
        load_expected(tmp_path, "dev")


def test_expected_rejects_contracts_of_two_regions(build: Path) -> None:
    (build / "s" / "contracts.json").write_text(dump_contracts([_contract("a", ("a",)),
                                                                _contract("b", ("b",), region="eu-west-1")]))
    with pytest.raises(BuildError, match="expected one region and cluster"):
        load_expected(build, "s")


def _expected(jobs: tuple[str, ...] = ("a", "b", "c", "d")) -> Expected:
    return Expected(stack="s", region="r", cluster="c", jobs=jobs, groups=(), panels=(), always_firing=())


def test_targets_need_one_up_and_none_down() -> None:
    results = check_targets(_expected(), counts={"a": 2, "b": 3, "d": 0}, down={"b": ["10.0.0.2:9", "10.0.0.1:9"]},
                            unscoped={"a": 2, "b": 3, "d": 4})
    assert [(r.subject, r.status, r.detail) for r in results] == [
        ("a", "ok", "2 targets up"),
        ("b", "fail", "2 of 3 targets down: 10.0.0.1:9, 10.0.0.2:9"),
        ("c", "fail", 'no targets: nothing scraped as job="c" with region="r", cluster="c" (check its '
                      "ServiceMonitor/PodMonitor and selector)"),
        ("d", "fail", 'no targets with region="r", cluster="c", but 4 without them: the scrape class adding region '
                      "and cluster is missing")]


def _group(name: str, rules: list[str], *, health: str = "ok", error: str = "", file: str = "/rules/a.yaml",
           last: str = "2025-01-01T00:00:00Z") -> dict[str, Any]:
    return {"name": name, "file": file, "interval": 30, "lastEvaluation": last,
            "rules": [{"name": rule, "health": health, "lastError": error} for rule in rules]}


def test_rules_missing_extra_duplicate_different_unhealthy_pending() -> None:
    want = [RuleGroup(name, "a.yaml", ("R1", "R2")) for name in ("ok", "missing", "twice", "differs", "bad", "new")]
    loaded = [_group("ok", ["R1", "R2"]), _group("twice", ["R1", "R2"]),
              _group("twice", ["R1", "R2"], file="/rules/old.yaml"), _group("differs", ["R1", "R3"]),
              _group("bad", ["R1", "R2"], health="err", error="many-to-many matching not allowed"),
              _group("new", ["R1", "R2"], health="unknown", last=NEVER), _group("stale", ["X"], file="/r/old.yaml")]
    results = {r.subject: r for r in check_rules(want, loaded)}
    assert results["ok"].status == "ok" and results["ok"].detail == "2 rules healthy"
    assert results["missing"].detail == "missing: not loaded (declared in a.yaml)"
    assert results["twice"].detail == "loaded 2 times: /rules/a.yaml, /rules/old.yaml"
    assert results["differs"].detail == "loaded rules differ from the build: missing ['R2'] not in the build ['R3']"
    assert results["bad"].detail == ("2 unhealthy: R1: many-to-many matching not allowed; "
                                     "R2: many-to-many matching not allowed")
    assert results["new"].status == "pending" and "not evaluated yet" in results["new"].detail
    assert results["stale"].detail.startswith("extra: loaded from /r/old.yaml but not in the build")
    assert {r.subject for r in results.values() if r.failed} == set(results) - {"ok"}


def _alert(name: str, severity: str, state: str = "firing") -> dict[str, Any]:
    return {"labels": {"alertname": name, "severity": severity}, "state": state}


def test_alerts_by_severity_and_the_watchdog() -> None:
    alerts = [_alert("W", "info"), _alert("Disk", "warning"), _alert("Disk", "warning"), _alert("Down", "critical"),
              _alert("Slow", "critical", "pending")]
    results = check_alerts(alerts, ("W",))
    assert [(r.check, r.subject, r.status, r.detail, r.count) for r in results] == [
        ("alerts", "critical", "info", "1 firing: Down", 1), ("alerts", "warning", "info", "2 firing: Disk x2", 2),
        ("alerts", "info", "info", "1 firing: W", 1),
        ("watchdog", "W", "ok", "firing, as it always should (dead man's switch)", 0)]
    assert check_alerts(alerts, ("W",), fail_on_critical=True)[0].status == "fail"
    pending = check_alerts([_alert("W", "info", "pending")], ("W",))[-1]
    assert pending.failed and pending.detail.startswith("pending, not firing")
    assert check_alerts([], ("W",))[-1].detail.startswith("inactive, not firing")


def test_report_sums_passing_rows_and_json_counts() -> None:
    results = (Result("targets", "a", "ok", "1 target up", 1), Result("targets", "b", "fail", "no targets"),
               Result("panels", "A / p", "ok", "1 series", 1), Result("alerts", "critical", "info", "0 firing"))
    report = Report(stack="s", prometheus="http://x", region="r", cluster="c", results=results)
    assert not report.passed
    assert [(r.check, r.subject) for r in rows(report)] == [("targets", "b"), ("targets", "1 other job"),
                                                             ("panels", "1 panel"), ("alerts", "critical")]
    assert rows(report, verbose=True) == list(results)
    data = json.loads(to_json(report))
    assert data["counts"]["targets"] == {"fail": 1, "ok": 1} and data["alerts_firing"] == {"critical": 0}
    assert data["passed"] is False and len(data["results"]) == 4


# Endpoints ------------------------------------------------------------------------------------------------------

Answer = tuple[int, str, bytes]


@contextlib.contextmanager
def serve(answer: Callable[[http.server.BaseHTTPRequestHandler], Answer],
          tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP(S) server on 127.0.0.1 answering every GET with `answer(request)`; its URL and the paths asked."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            code, kind, body = answer(self)
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()
        server.server_close()


def prometheus_like(request: http.server.BaseHTTPRequestHandler) -> Answer:
    return 200, "application/json", json.dumps(VECTOR).encode()


def fixed(code: int, body: bytes, kind: str = "text/plain") -> Callable[[http.server.BaseHTTPRequestHandler], Answer]:
    return lambda _: (code, kind, body)


def endpoint_error(url: str, **options: Any) -> EndpointError:
    with pytest.raises(EndpointError) as caught:
        Prometheus(url, **options).preflight()
    return caught.value


def run_cli(*args: str, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env={TOKEN_ENV: None, **(env or {})})


def test_refused_connection_exits_3_naming_the_fix(build: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli("--prometheus", url, "--stack", "s", "--build", str(build), "--retries", "0")
    assert result.exit_code == 3, result.output
    assert f"error: cannot connect to {url}: " in result.stderr and "Connection refused" in result.stderr
    assert "port-forward svc/kube-prometheus-stack-prometheus 9090" in result.stderr
    as_json = run_cli("--prometheus", url, "--stack", "s", "--build", str(build), "--retries", "0", "--json")
    assert as_json.exit_code == 3 and json.loads(as_json.stdout)["error"]["kind"] == "unreachable"


def test_missing_build_exits_2(tmp_path: Path) -> None:
    result = run_cli("--prometheus", "http://127.0.0.1:1", "--stack", "dev", "--build", str(tmp_path))
    assert result.exit_code == 2 and "run `meridian synth --stack dev" in result.stderr, result.output
    bad_url = run_cli("--prometheus", "127.0.0.1:9090", "--stack", "dev", "--build", str(tmp_path))
    assert bad_url.exit_code == 2 and "must be an http:// or https:// URL" in bad_url.stderr


def test_401_needs_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def guarded(request: http.server.BaseHTTPRequestHandler) -> Answer:
        if request.headers.get("Authorization") != "Bearer s3cret-token":
            return 401, "text/plain", b"Unauthorized"
        return prometheus_like(request)

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with serve(guarded) as (url, _):
        missing = endpoint_error(url)
        assert missing.kind == "auth" and str(missing) == (
            f"{url} needs auth (401 Unauthorized). Fix: set {TOKEN_ENV} to a bearer token for it (the environment, "
            "never the command line)")
        monkeypatch.setenv(TOKEN_ENV, "wrong-token")
        assert "rejected the bearer token" in str(endpoint_error(url))
        monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
        Prometheus(url).preflight()  # accepted


def test_403_is_permission_denied() -> None:
    with serve(fixed(403, b"Forbidden")) as (url, _):
        error = endpoint_error(url, token="t0k3n")
    assert error.kind == "permission" and str(error).startswith(
        f"permission denied (403) on /api/v1/query for the token in {TOKEN_ENV}") and "t0k3n" not in str(error)


def test_hanging_server_times_out_within_the_bound() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        started = time.monotonic()
        error = endpoint_error(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.3, retries=1)
        elapsed = time.monotonic() - started
    assert error.kind == "timeout" and "took longer than 0.3 s to answer (2 tries)" in str(error)
    assert 0.6 <= elapsed < 3.0, elapsed


def test_not_json_404_and_5xx_are_unexpected() -> None:
    with serve(fixed(200, b"<html>Grafana login</html>", "text/html")) as (url, _):
        error = endpoint_error(url)
    assert error.kind == "unexpected" and "answered HTTP 200 text/html, not the API's JSON" in str(error)
    assert "not Grafana or a login page" in error.fix
    with serve(fixed(200, b'{"status": "success"}', "application/json")) as (url, _):
        assert endpoint_error(url).kind == "unexpected"
    with serve(fixed(404, b"404 page not found")) as (url, _):
        assert "not found (404): not a Prometheus API" in str(endpoint_error(url))
    with serve(fixed(503, b"upstream down")) as (url, asked):
        error = endpoint_error(url, retries=1)
    assert "answered HTTP 503 after 2 tries" in str(error) and len(asked) == 2


def test_bad_query_is_a_query_error_not_an_endpoint_error() -> None:
    body = json.dumps({"status": "error", "errorType": "bad_data", "error": "1:5: parse error: unclosed paren"})
    with serve(fixed(400, body.encode(), "application/json")) as (url, _), pytest.raises(QueryError) as caught:
        Prometheus(url).query("sum(")
    assert (caught.value.error_type, caught.value.error) == ("bad_data", "1:5: parse error: unclosed paren")


def test_https_to_a_plain_http_server_is_a_tls_failure() -> None:
    with serve(prometheus_like) as (url, _):
        error = endpoint_error(url.replace("http://", "https://"), retries=0)
    assert error.kind == "tls" and "WRONG_VERSION_NUMBER" in str(error) and error.fix.endswith("use an http:// URL")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl) and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=verify",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_self_signed_certificate_needs_the_ca_file(certificate: tuple[Path, Path]) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with serve(prometheus_like, tls=context) as (url, _):
        error = endpoint_error(url, retries=0)
        assert error.kind == "tls" and "CERTIFICATE_VERIFY_FAILED" in str(error) and "--ca-file" in error.fix
        Prometheus(url, ca_file=certificate[0], retries=0).preflight()  # trusted with its CA
