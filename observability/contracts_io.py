"""MonitoringContracts to and from plain JSON: the monitoring component stores them, the CLI and tests read them."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from components.contracts import MonitoringContract, ScrapeTarget, SloSpec


def contract_to_dict(contract: MonitoringContract) -> dict[str, Any]:
    """A contract as JSON-ready data (tuples become lists)."""
    data: dict[str, Any] = json.loads(json.dumps(asdict(contract)))
    return data


def contract_from_dict(data: dict[str, Any]) -> MonitoringContract:
    """The contract `contract_to_dict` wrote."""
    scrape = tuple(ScrapeTarget(**{**target, "params": {k: tuple(v) for k, v in target["params"].items()},
                                   "tls_ca_secret": tuple(target["tls_ca_secret"]) if target["tls_ca_secret"]
                                   else None})
                   for target in data["scrape"])
    slos = tuple(SloSpec(**slo) for slo in data["slos"])
    return MonitoringContract(**{**data, "scrape": scrape, "slos": slos})


def dump_contracts(contracts: list[MonitoringContract]) -> str:
    """Deterministic JSON of a region's contracts."""
    return json.dumps([contract_to_dict(c) for c in contracts], indent=2, sort_keys=True) + "\n"


def load_contracts(text: str) -> list[MonitoringContract]:
    """Contracts from `dump_contracts` output."""
    return [contract_from_dict(item) for item in json.loads(text)]
