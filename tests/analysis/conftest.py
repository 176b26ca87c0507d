"""Small hand-checkable scenarios built from plain data."""

from __future__ import annotations

from typing import Any

from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario


def issue(iid: str, sq: float | None = 50.0) -> dict[str, Any]:
    out: dict[str, Any] = {"id": iid, "name": iid.title()}
    if sq is not None:
        out["status_quo"] = sq
    return out


def state(aid: str, positions: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"id": aid, "name": aid.upper(), "kind": "state", "positions": positions, **kw}


def build(issues: list[dict[str, Any]], actors: list[dict[str, Any]], **kw: Any) -> Scenario:
    return scenario_from_data({"name": "test", "issues": issues, "actors": actors, **kw})
