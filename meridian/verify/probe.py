"""Read-only calls to a Prometheus HTTP API through prometheus-api-client, with bounded time and clear errors.

One `requests.Session` carries the bearer token (from `MERIDIAN_PROMETHEUS_TOKEN`, never argv), the CA and a
urllib3 `Retry`: connection errors, read timeouts and 429/502/503/504 answers are retried `retries` times with
exponential backoff (0 s, 1 s, 2 s, ...), `Retry-After` ignored so the wait stays bounded. Every request gives up
after `timeout` seconds to connect and `timeout` seconds between bytes, so one call takes at most about
`(retries + 1) * 2 * timeout` seconds plus the backoff. prometheus-api-client 0.7.2 has no rules or alerts call,
so `/api/v1/rules` and `/api/v1/alerts` go through the same session.

Failures of the endpoint (unreachable, timeout, TLS, 401, 403, not a Prometheus API, 5xx) raise `EndpointError`
with what happened and what to do; a query Prometheus rejects (bad PromQL, execution error) raises `QueryError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

TOKEN_ENV: Final = "MERIDIAN_PROMETHEUS_TOKEN"
"""Environment variable holding the bearer token for an authenticating proxy in front of Prometheus."""
RETRY_STATUSES: Final = (429, 502, 503, 504)
PORT_FORWARD: Final = "kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090"
_CONNECTION_PREFIX: Final = re.compile(r"^(<urllib3[^>]*>|\w+Connection(Pool)?\(host=[^)]*\)): ")
_T = TypeVar("_T")


class EndpointError(Exception):
    """The endpoint cannot be used: `kind` (unreachable, timeout, tls, auth, permission, unexpected), what
    happened and the fix."""

    def __init__(self, kind: str, message: str, fix: str) -> None:
        self.kind, self.message, self.fix = kind, message, fix
        super().__init__(f"{message}. Fix: {fix}")


class QueryError(Exception):
    """Prometheus rejected or failed a query: its `errorType` and `error`."""

    def __init__(self, error_type: str, error: str) -> None:
        self.error_type, self.error = error_type, error
        super().__init__(f"{error_type}: {error}")


def display_url(url: str) -> str:
    """The URL without user:password, for messages."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class Prometheus:
    """A Prometheus (or Prometheus-compatible) HTTP API, read only."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0, retries: int = 2,
                 ca_file: Path | None = None) -> None:
        self.url, self.timeout, self.retries = url.rstrip("/"), timeout, retries
        self.shown = display_url(self.url)
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.session = requests.Session()
        self.session.verify = str(ca_file) if ca_file else True
        self.session.hooks["response"].append(self._keep)
        self.last: requests.Response | None = None
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=0, backoff_factor=0.5,
                      status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}), raise_on_status=False,
                      respect_retry_after_header=False)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        self.client = PrometheusConnect(url=self.url, headers=headers, retry=retry, session=self.session,
                                        timeout=timeout)

    def _keep(self, response: requests.Response, *_: Any, **__: Any) -> None:
        self.last = response

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result now."""
        result: list[dict[str, Any]] = self._call(lambda: self.client.custom_query(expr), "/api/v1/query")
        return result

    def query_range(self, expr: str, start: datetime, end: datetime, step: str) -> list[dict[str, Any]]:
        """A range query's result."""
        result: list[dict[str, Any]] = self._call(
            lambda: self.client.custom_query_range(expr, start_time=start, end_time=end, step=step),
            "/api/v1/query_range")
        return result

    def rules(self) -> list[dict[str, Any]]:
        """The rule groups the server has loaded (`/api/v1/rules`)."""
        groups: list[dict[str, Any]] = self._api("rules")["groups"]
        return groups

    def alerts(self) -> list[dict[str, Any]]:
        """The alerts pending or firing on the server now (`/api/v1/alerts`)."""
        alerts: list[dict[str, Any]] = self._api("alerts")["alerts"]
        return alerts

    def preflight(self) -> None:
        """One cheap query, so an unusable endpoint fails before any check with its reason."""
        try:
            self.query("vector(1)")
        except QueryError as error:
            raise self._unexpected("/api/v1/query", f"rejected `vector(1)`: {error}") from None

    def _api(self, name: str) -> dict[str, Any]:
        path = f"/api/v1/{name}"
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}

        def get() -> dict[str, Any]:
            response = self.session.get(self.url + path, headers=headers, timeout=self.timeout)
            if response.status_code != 200:
                error = self._status_error(response, path)
                raise error if isinstance(error, EndpointError) else self._unexpected(path, f"failed: {error}")
            body = response.json()
            if not isinstance(body, dict) or body.get("status") != "success" or not isinstance(body.get("data"),
                                                                                                   dict):
                raise self._unexpected(path, f"answered {str(body)[:200]!r}, not a Prometheus API reply")
            data: dict[str, Any] = body["data"]
            return data

        return self._call(get, path)

    def _call(self, call: Callable[[], _T], path: str) -> _T:
        self.last = None
        try:
            return call()
        except PrometheusApiClientException:
            if self.last is None:
                raise
            raise self._status_error(self.last, path) from None
        except (ValueError, KeyError, TypeError) as error:  # not JSON (requests' JSONDecodeError), or no API fields
            raise self._unexpected(path, self._body_problem(error)) from None
        except requests.exceptions.SSLError as error:
            raise self._tls(error) from None
        except requests.exceptions.ConnectTimeout:
            raise self._timed_out("to connect") from None
        except requests.exceptions.ReadTimeout:
            raise self._timed_out("to answer") from None
        except requests.exceptions.ConnectionError as error:
            reason = error.args[0].reason if error.args and isinstance(error.args[0], MaxRetryError) else None
            if isinstance(reason, ReadTimeoutError):
                raise self._timed_out("to answer") from None
            raise EndpointError("unreachable", f"cannot connect to {self.shown}: {_root(error)}",
                                f"check the URL and that Prometheus runs and is reachable from here; from outside "
                                f"the cluster: `{PORT_FORWARD}`, then --prometheus http://127.0.0.1:9090") from None
        except requests.exceptions.RequestException as error:
            raise self._unexpected(path, f"failed: {_root(error)}") from None

    def _status_error(self, response: requests.Response, path: str) -> Exception:
        """The error for a non-200 answer: QueryError when Prometheus explains a query failure, else EndpointError."""
        code = response.status_code
        if code == 401:
            if self.token:
                return EndpointError("auth", f"{self.shown} rejected the bearer token from {TOKEN_ENV} (401)",
                                     f"set {TOKEN_ENV} to a valid, unexpired token for this endpoint")
            return EndpointError("auth", f"{self.shown} needs auth (401 Unauthorized)",
                                 f"set {TOKEN_ENV} to a bearer token for it (the environment, never the command line)")
        if code == 403:
            who = f"the token in {TOKEN_ENV}" if self.token else f"an anonymous client (no {TOKEN_ENV} set)"
            return EndpointError("permission", f"permission denied (403) on {path} for {who}",
                                 "give that identity read access to the Prometheus API (query, rules, alerts)"
                                 + ("" if self.token else f", and set {TOKEN_ENV} to its token"))
        if code == 404:
            return EndpointError("unexpected", f"{self.shown}{path} not found (404): not a Prometheus API",
                                 "give the Prometheus base URL, e.g. http://127.0.0.1:9090, with its path prefix if "
                                 "it serves under one")
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") == "error" and code in (400, 422, 503):
            return QueryError(str(body.get("errorType", "error")), str(body.get("error", "")))
        tries = f" after {self.retries + 1} tries" if code in RETRY_STATUSES else ""
        return self._unexpected(path, f"answered HTTP {code}{tries}: {response.text[:200]!r}")

    def _unexpected(self, path: str, what: str) -> EndpointError:
        return EndpointError("unexpected", f"unexpected response: {self.shown}{path} {what}",
                             "check that --prometheus is the Prometheus API (not Grafana or a login page) and the "
                             "server is healthy")

    def _body_problem(self, error: Exception) -> str:
        if self.last is None:
            return f"answered something unreadable ({error})"
        kind = self.last.headers.get("content-type", "no content type")
        return f"answered HTTP {self.last.status_code} {kind}, not the API's JSON: {self.last.text[:120]!r}"

    def _timed_out(self, what: str) -> EndpointError:
        return EndpointError("timeout", f"{self.shown} took longer than {self.timeout:g} s {what} "
                                        f"({self.retries + 1} tries)",
                             "check the server is up and reachable (port-forward, VPN); raise --timeout for a slow "
                             "server")

    def _tls(self, error: Exception) -> EndpointError:
        text = _root(error)
        if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
            fix = "the server speaks plain HTTP there: use an http:// URL"
        elif "CERTIFICATE_VERIFY_FAILED" in text:
            fix = "pass --ca-file with the CA certificate (PEM) that signed the server's certificate"
        else:
            fix = "check the URL's scheme and host name against the server's certificate"
        return EndpointError("tls", f"TLS failure talking to {self.shown}: {text}", fix)


def _root(error: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, short."""
    reason: BaseException = error
    while True:
        inner = getattr(reason, "reason", None)
        if inner is None and reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        if not isinstance(inner, BaseException) or inner is reason:
            break
        reason = inner
    return _CONNECTION_PREFIX.sub("", str(reason))
