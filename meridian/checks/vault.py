"""Vault's failure-domain check: with any one zone lost, does raft keep a majority of its voters?

Integrated storage commits a write once a majority of voters has it, and only a voter holding every committed
entry can win an election; so while a majority survives, Vault stays writable *and* keeps every committed write.
The check reads the vault chart's values in the plan (`server.ha`, `server.topologySpreadConstraints`) and
counts, for `n` voters spread with `maxSkew` s over `z` zones under DoNotSchedule, the most voters one zone can
hold: `floor((n + s*(z-1)) / z)` (for s=1, `ceil(n/z)`). The cluster survives the loss of that zone when that
count is at most `n - (n//2 + 1)`, the voters a majority can spare.
"""

from __future__ import annotations

from typing import Any, Final

from components.contracts import ZONE_LABEL
from meridian.checks.verdict import Verdict
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import HELM_RELEASE, helm_release, manifest

CHART: Final = "vault"
DEFAULT_ZONES: Final = 3
CHART_DEFAULT_REPLICAS: Final = 3
"""`server.ha.replicas` in the vault chart's values.yaml, used when the values leave it out."""


def _plan_zones(plan: Plan) -> int:
    """Distinct zones of the plan's subnets (0 when the plan declares no network)."""
    return len({str(r.inputs.get("availabilityZone")) for r in plan.of_type("aws:ec2/subnet:Subnet")
                if r.inputs.get("availabilityZone")})


def _pod_labels(release: dict[str, Any]) -> dict[str, str]:
    """Labels the chart gives server pods (server-statefulset.yaml)."""
    return {"app.kubernetes.io/name": CHART, "app.kubernetes.io/instance": str(release["name"]),
            "component": "server"}


def _zone_spread(server: dict[str, Any], pods: dict[str, str]) -> tuple[list[dict[str, Any]], str | None]:
    """Zone constraints that are hard and select the server pods, or why none can be counted."""
    constraints = server.get("topologySpreadConstraints")
    if isinstance(constraints, str):
        return [], "server.topologySpreadConstraints is a template string, which the check cannot count"
    zone = [c for c in constraints or [] if isinstance(c, dict) and c.get("topologyKey") == ZONE_LABEL]
    if not zone:
        return [], f"no topology spread constraint on {ZONE_LABEL}"
    hard = [c for c in zone if c.get("whenUnsatisfiable") == "DoNotSchedule"]
    if not hard:
        return [], f"the {ZONE_LABEL} spread is only ScheduleAnyway, so the scheduler may stack voters in one zone"
    matching = [c for c in hard if (selector := (c.get("labelSelector") or {}).get("matchLabels"))
                and all(pods.get(key) == value for key, value in selector.items())]
    if not matching:
        return [], f"the {ZONE_LABEL} spread's labelSelector does not select the server pods {pods}"
    return matching, None


def _snapshot_note(plan: Plan, namespace: str) -> str:
    jobs = [manifest(r) for r in plan.of_type("kubernetes:batch/v1:CronJob")]
    for job in jobs:
        pod = job.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
        commands = " ".join(" ".join(c.get("command", [])) for c in
                            [*pod.get("initContainers", []), *pod.get("containers", [])])
        if job.get("metadata", {}).get("namespace") == namespace and "raft snapshot save" in commands:
            return f"raft snapshots also go to S3 (CronJob {job['metadata']['name']}, {job['spec']['schedule']})"
    return "no raft snapshot CronJob found: a lost majority could not be restored from S3"


def _verdict(resource: RecordedResource, plan: Plan) -> Verdict:
    release = helm_release(resource)
    server: dict[str, Any] = (release.get("values") or {}).get("server") or {}
    ha: dict[str, Any] = server.get("ha") or {}
    where = f"release {release['name']} in namespace {release['namespace']}"

    def failed(*reasons: str) -> Verdict:
        return Verdict(CHART, "zone-loss", False, (where, *reasons))

    if not ha.get("enabled") or not (ha.get("raft") or {}).get("enabled"):
        return failed("server.ha.enabled and server.ha.raft.enabled must both be true (one standalone server "
                      "lives in one zone)")
    replicas = ha.get("replicas", CHART_DEFAULT_REPLICAS)
    if not isinstance(replicas, int) or replicas < 3 or replicas % 2 == 0:
        return failed(f"server.ha.replicas is {replicas!r}: raft needs an odd voter count of at least 3 "
                      "(1 survives nothing; an even size survives no more than the odd size below it)")
    constraints, problem = _zone_spread(server, _pod_labels(release))
    if problem is not None:
        return failed(f"{replicas} voters, but {problem}")
    skew = min(int(c.get("maxSkew", 1)) for c in constraints)
    min_domains = max(int(c.get("minDomains", 0)) for c in constraints)
    plan_zones = _plan_zones(plan)
    zones, source = ((plan_zones, "the plan's subnets") if plan_zones else
                     (min_domains, "minDomains") if min_domains else (DEFAULT_ZONES, "assumed"))
    largest = min(replicas, (replicas + skew * (zones - 1)) // zones)
    majority = replicas // 2 + 1
    spare = replicas - majority
    counted = (f"{replicas} voters, maxSkew {skew} over {zones} zones ({source}): at most {largest} in one zone; "
               f"majority {majority}, so {spare} may be lost")
    if largest > spare:
        return failed(counted, f"losing the fullest zone leaves {replicas - largest} < {majority}: no quorum, "
                      "Vault stops serving writes and reads")
    return Verdict(CHART, "zone-loss", True, (
        where, counted, f"any one zone lost leaves at least {replicas - largest} >= {majority} voters: quorum and "
        "every committed write survive", _snapshot_note(plan, str(release["namespace"]))))


def zone_loss(plan: Plan) -> list[Verdict]:
    """One verdict per vault release in the plan (none when Vault is not deployed)."""
    releases = [r for r in plan.of_type(HELM_RELEASE) if r.inputs.get("chart") == CHART]
    return [_verdict(resource, plan) for resource in releases]
