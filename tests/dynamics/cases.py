"""The toy negotiation the time tests share: X (ideal 100, red line 30: accepts 30-100)
and Y (ideal 0, accepts 0 up to its limit, 40) on one issue whose status quo is Y's ideal;
no deal costs Y 0.5, so a deal exists exactly when the red lines overlap and X's no-deal
value allows it (best package 30, margin 0.2). As written on 2020-03-01."""

from __future__ import annotations

from typing import Any

import yaml

from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario


def toy_data(trend: float = 0.0, **timeline: Any) -> dict[str, Any]:
    return {
        "name": "toy",
        "date": "2020-03-01",
        "issues": [{"id": "a", "name": "A", "status_quo": 0}],
        "actors": [
            {
                "id": "x",
                "name": "X",
                "kind": "state",
                "positions": {"a": {"position": 100, "limit": 30}},
                "no_deal": {"adjustment": 0, "trend": trend},
            },
            {
                "id": "y",
                "name": "Y",
                "kind": "state",
                "positions": {"a": {"position": 0, "limit": 40, "limit_side": "one_sided"}},
                "no_deal": {"adjustment": -0.5},
            },
        ],
        "escalation": {"rate": 1.0, "p_escalate": 0.1, "horizon_months": 12},
        "timeline": timeline,
    }


def toy(trend: float = 0.0, **timeline: Any) -> Scenario:
    return scenario_from_data(toy_data(trend, **timeline))


def toy_yaml(hardens: str = "X hardens") -> str:
    """The toy as a file: X's red line moves to 50 on 2020-06-15 (event ``hardens``)."""
    event = {"date": "2020-06-15", "name": hardens, "set": {"x.positions.a.limit": 50}}
    return yaml.safe_dump(toy_data(end="2020-12-31", events=[event]), sort_keys=False)
