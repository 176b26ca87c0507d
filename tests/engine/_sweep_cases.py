"""Small scenarios with known answers for the sweep tests (a uniquely named module: a
``conftest`` import could resolve to another test folder's conftest)."""

from __future__ import annotations

from typing import Any

import numpy as np

from backchannel.scenario import Scenario, parse_scenario


def two_party(
    limit_a: str, limit_b: str = "40", position_a: str = "0", salience_a: str = "50"
) -> Scenario:
    """Two veto states on one 0-100 issue: A at 0, B at 100, explicit no-deal utility -1
    (so any point inside both red lines is a deal). A deal exists iff limit_a >= limit_b.
    Arguments are YAML values (numbers or quantities with a range/dist)."""
    text = f"""
name: two parties, one issue
issues:
  - id: x
    name: the issue
    status_quo: 50
actors:
  - id: a
    name: A
    kind: state
    no_deal: {{utility: -1}}
    positions:
      x: {{position: {position_a}, salience: {salience_a}, limit: {limit_a}}}
  - id: b
    name: B
    kind: state
    no_deal: {{utility: -1}}
    positions:
      x: {{position: 100, salience: 50, limit: {limit_b}}}
"""
    return parse_scenario(text, "<test>")


def _q(value: float, spread: float, lo: float, hi: float, ranges: bool) -> Any:
    value = float(round(value, 2))
    if not ranges:
        return value
    return {"value": value, "range": [max(lo, value - spread), min(hi, value + spread)]}


def synthetic_scenario(
    n_actors: int, n_issues: int, *, seed: int = 0, n_veto: int = 2, ranges: bool = True
) -> Scenario:
    """``n_actors`` actors on ``n_issues`` issues (0-100 scales, status quo 50), seeded;
    for tests and benchmarks of any size.

    The first ``n_veto`` actors are states with a veto, a red line on every issue and a
    no-deal utility; the first of them requires every issue on the agenda (a comprehensive
    deal, so feasibility has one agenda to check); the others are states without a veto
    (they only enter the forecasts). With ``ranges``, every position, salience, red line
    and no-deal utility carries a uniform range (+-10 on positions and red lines, +-15 on
    saliences, +-0.1 on no-deal utilities): n_actors x n_issues x 2 + n_veto x (n_issues
    + 1) uncertain inputs."""
    rng = np.random.default_rng(seed)
    issues = [{"id": f"i{k}", "name": f"issue {k}", "status_quo": 50} for k in range(n_issues)]
    actors = []
    for a in range(n_actors):
        veto = a < n_veto
        positions = {}
        for k in range(n_issues):
            pos = rng.uniform(0, 100)
            stance: dict[str, Any] = {
                "position": _q(pos, 10, 0, 100, ranges),
                "salience": _q(rng.uniform(20, 80), 15, 0, 100, ranges),
            }
            if veto:  # a red line halfway towards the far end of the scale
                far = 100.0 if pos < 50 else 0.0
                stance["limit"] = _q(pos + 0.6 * (far - pos), 10, 0, 100, ranges)
            positions[f"i{k}"] = stance
        actor: dict[str, Any] = {
            "id": f"a{a}",
            "name": f"actor {a}",
            "kind": "state",
            "veto": veto,
            "capability": float(round(rng.uniform(0.5, 2.0), 2)),
            "positions": positions,
        }
        if veto:
            actor["no_deal"] = {"utility": _q(-0.5, 0.1, -1, 0, ranges)}
        if a == 0:
            actor["agenda"] = {"requires": [f"i{k}" for k in range(n_issues)]}
        actors.append(actor)
    return Scenario.model_validate(
        {"name": f"synthetic {n_actors} x {n_issues}", "issues": issues, "actors": actors}
    )
