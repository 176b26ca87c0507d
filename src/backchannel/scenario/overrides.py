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


MAX_VALUE_CHARS = 10_000
"""Longest VALUE accepted (no scenario field needs more)."""
MAX_DEPTH = 16
"""Deepest nesting of lists and mappings in a VALUE (scenario fields need 2)."""
MAX_INT_BITS = 1024
"""Largest integer in a VALUE (beyond it no float can hold it)."""


def _depth(raw: str) -> int:
    """How deeply ``[`` and ``{`` nest in a flow-style YAML value (outside quotes)."""
    depth = deepest = 0
    quote = ""
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _too_big(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value.bit_length() > MAX_INT_BITS
    if isinstance(value, list):
        return any(_too_big(v) for v in value)
    if isinstance(value, dict):
        return any(_too_big(v) for v in value.values())
    return False


def parse_value(text: str, raw: str) -> Any:
    """The VALUE of a ``PATH=VALUE`` assignment ``text``, read as YAML (safe loader) with
    bounds on its length, nesting and numbers."""
    if len(raw) > MAX_VALUE_CHARS:
        raise _fail(
            text[:80] + "...",
            f"the value is {len(raw):,} characters long (at most {MAX_VALUE_CHARS:,})",
        )
    if _depth(raw) > MAX_DEPTH:
        raise _fail(
            text[:80] + ("..." if len(text) > 80 else ""),
            f"the value nests lists or mappings {_depth(raw)} levels deep (at most {MAX_DEPTH})",
        )
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise _fail(text, f"cannot read the value {raw!r}") from None
    except (ValueError, RecursionError):  # a number of over 4,300 digits; runaway nesting
        raise _fail(text[:80] + "...", "the value is too large to read") from None
    if _too_big(value):
        raise _fail(text[:80] + "...", "a number in the value is too large")
    return value


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
    for text in assignments:
        path, sep, raw = text.partition("=")
        if not sep or not path.strip():
            raise _fail(text, "expected PATH=VALUE")
        value = parse_value(text, raw)
        set_path(data, path, value, text)
    return scenario_from_data(data, "<scenario with --set overrides>")


def set_path(data: dict[str, Any], path: str, value: Any, text: str | None = None) -> None:
    """Set ``value`` at ``path`` (the ``--set`` path language) in a scenario's data, in
    place; ``text`` names the assignment in errors (default ``PATH=VALUE``)."""
    text = text if text is not None else f"{path}={value}"
    actors = {a["id"]: a for a in data.get("actors", [])}
    issues = {i["id"]: i for i in data.get("issues", [])}
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
