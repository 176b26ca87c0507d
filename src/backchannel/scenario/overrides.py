"""What-if overrides: ``--set usa.positions.nuclear.limit=55`` on any scenario.

A path starts with an actor id, an issue id, or a top-level field (``loss``,
``escalation.rate``...); then follows field names. Values are read as YAML scalars or flow
collections (``55``, ``linear``, ``[nuclear, oil]``) with the safe loader. A number set on
a field that holds a quantity replaces its value, keeps its note and drops its uncertainty.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from backchannel.scenario.errors import InputError
from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario

#: The essay's counterfactual US (docs/decisions.md, "The 2019 flip"), as --set assignments
#: on the embedded iran_us_2019 scenario.
COUNTERFACTUAL_2019 = (
    "usa.positions.nuclear.limit=55",
    "usa.agenda.requires=[nuclear]",
    "usa.agenda.separable=[regional,missiles,armed_groups]",
    "usa.no_deal.adjustment=-0.1",
    "usa.positions.sanctions.salience=50",
    "usa.positions.oil.salience=30",
)


def _fail(text: str, problem: str) -> InputError:
    return InputError(
        problem,
        source="--set",
        where=text,
        fix="write PATH=VALUE, e.g. usa.positions.nuclear.limit=55 or "
        "usa.agenda.requires=[nuclear]; PATH starts with an actor id, an issue id or a "
        "top-level field",
    )


def apply_overrides(scenario: Scenario, assignments: list[str]) -> Scenario:
    """A new validated scenario with each ``PATH=VALUE`` assignment applied in order."""
    if not assignments:
        return scenario
    data = json.loads(scenario.model_dump_json(exclude_none=True))
    actors = {a["id"]: a for a in data["actors"]}
    issues = {i["id"]: i for i in data["issues"]}
    for text in assignments:
        path, sep, raw = text.partition("=")
        if not sep or not path.strip():
            raise _fail(text, "expected PATH=VALUE")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise _fail(text, f"cannot read the value {raw!r}") from None
        parts = path.strip().split(".")
        head = parts[0]
        if head in actors:
            node: Any = actors[head]
        elif head in issues:
            node = issues[head]
        elif head in data or head in Scenario.model_fields:
            node = data
        else:
            raise _fail(
                text,
                f"{head!r} is neither an actor, an issue nor a scenario field; "
                f"actors: {sorted(actors)}, issues: {sorted(issues)}",
            )
        keys = parts[1:] if node is not data else parts
        if not keys:
            raise _fail(text, "name a field after the actor or issue id")
        for key in keys[:-1]:
            if not isinstance(node, dict):
                raise _fail(text, f"cannot descend into {key!r}")
            node = node.setdefault(key, {})
        last = keys[-1]
        if not isinstance(node, dict):
            raise _fail(text, f"cannot set {last!r} here")
        current = node.get(last)
        if isinstance(current, dict) and "value" in current and isinstance(value, int | float):
            current["value"] = value  # keep the note; the old uncertainty no longer applies
            current.pop("dist", None)
        else:
            node[last] = value
    return scenario_from_data(data, "<scenario with --set overrides>")
