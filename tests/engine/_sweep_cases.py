"""Small scenarios with known answers for the sweep tests (a uniquely named module: a
``conftest`` import could resolve to another test folder's conftest)."""

from __future__ import annotations

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
