"""Scenarios as actor x issue tables, and back (``Scenario.to_frame`` / ``from_frame``).

The table has one row per actor and issue (long form), with the columns

* ``actor``, ``issue``, ``position`` (required when reading);
* ``salience`` (0-100, default 50), ``capability`` (default 1; one value per actor becomes
  the actor's capability, values that differ between issues stay per issue), ``limit``
  (the red line; empty: none);
* actor columns, the same on every row of an actor: ``name``, ``kind`` (default
  ``state``), ``veto`` (default false: a table alone records no veto players, as the
  importers do), ``parent``.

A wide table (actors as rows, issues as columns) becomes long with pandas' ``melt``.

With ``base=`` the table edits an existing scenario: cells it gives replace the base's
values (a changed value keeps its note and drops its uncertainty, as ``--set`` does; an
unchanged one keeps both), and everything else (agenda, no-deal values, mediators...)
stays. Without it the table makes a new scenario whose issue scales are 0-100 when every
position and limit lies there, else the range of the values (say ``scale=`` to set them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from backchannel.scenario.errors import InputError
from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.schema import Scenario, q

REQUIRED = ("actor", "issue", "position")
STANCE = ("position", "salience", "capability", "limit")
ACTOR = ("name", "kind", "veto", "parent")
SOURCE = "<table>"


def stance_records(scenario: Scenario) -> list[dict[str, Any]]:
    """One record per actor and issue the actor takes a position on (see the module
    docstring for the columns); ``capability`` is the one that applies to the cell."""
    out = []
    for a in scenario.actors:
        for issue in scenario.issues:
            st = a.positions.get(issue.id)
            if st is None:
                continue
            out.append(
                {
                    "actor": a.id,
                    "issue": issue.id,
                    "position": st.position.value,
                    "salience": st.salience.value,
                    "capability": q(st.capability) if st.capability else a.capability.value,
                    "limit": q(st.limit),
                    "name": a.name,
                    "kind": a.kind.value,
                    "veto": a.has_veto,
                    "parent": a.parent,
                }
            )
    return out


def _records(frame: Any) -> list[dict[str, Any]]:
    if hasattr(frame, "to_dict") and hasattr(frame, "columns"):  # a pandas DataFrame
        index_names = [n for n in getattr(frame.index, "names", []) if n is not None]
        if index_names:
            frame = frame.reset_index()
        return [dict(r) for r in frame.to_dict("records")]
    return [dict(r) for r in frame]


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _plain(v: Any) -> Any:
    """numpy scalars to Python values (pandas hands them out)."""
    return v.item() if hasattr(v, "item") else v


def _fail(problem: str, row: int | None, fix: str) -> InputError:
    return InputError(problem, source=SOURCE, where=None if row is None else f"row {row}", fix=fix)


def _set(node: dict[str, Any], key: str, value: float) -> None:
    """Set a quantity: a changed value keeps the note and drops the uncertainty."""
    current = node.get(key)
    if isinstance(current, dict) and "value" in current:
        if current["value"] != value:
            current["value"] = value
            current.pop("dist", None)
    else:
        node[key] = value


def scenario_from_frame(
    frame: Any,
    *,
    name: str | None = None,
    base: Scenario | None = None,
    issues: Mapping[str, Mapping[str, Any]] | None = None,
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
) -> Scenario:
    """A scenario from an actor x issue table (a pandas DataFrame or any iterable of
    records); see the module docstring for the columns. ``base``: edit this scenario
    instead of making a new one. ``issues``: fields of new issues by id (``name``,
    ``scale``, ``status_quo``, ``anchors``...). ``scale``: (min, max) of every new issue, or
    per issue id. Errors name the row and the fix."""
    rows = _records(frame)
    if not rows:
        raise _fail("the table has no rows", None, "give one row per actor and issue")
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise _fail(
            f"the table has no column(s) {missing}; it has {list(rows[0])}",
            None,
            "name the columns actor, issue, position (and salience, capability, limit)",
        )
    data: dict[str, Any] = (
        json.loads(base.model_dump_json(exclude_none=True))
        if base is not None
        else {"name": name or "Scenario from a table", "issues": [], "actors": []}
    )
    if base is not None and name:
        data["name"] = name
    actors = {a["id"]: a for a in data["actors"]}
    known_issues = {i["id"] for i in data["issues"]}
    new_issues: dict[str, list[float]] = {}
    caps: dict[str, dict[str, float]] = {}
    seen: set[tuple[str, str]] = set()
    for n, raw in enumerate(rows, 1):
        row = {k: _plain(v) for k, v in raw.items() if not _missing(v)}
        for col in REQUIRED:
            if col not in row:
                raise _fail(f"no {col}", n, f"give every row an {col}")
        actor, issue = str(row["actor"]), str(row["issue"])
        if (actor, issue) in seen:
            raise _fail(
                f"actor {actor!r} and issue {issue!r} appear twice", n, "keep one of the rows"
            )
        seen.add((actor, issue))
        if issue not in known_issues and issue not in new_issues:
            new_issues[issue] = []
        if issue in new_issues:
            new_issues[issue] += [float(row[c]) for c in ("position", "limit") if c in row]
        a = actors.get(actor)
        if a is None:
            a = actors[actor] = {"id": actor, "name": actor, "kind": "state", "veto": False}
            data["actors"].append(a)
        for col in ACTOR:
            if col in row and row[col] != _actor_field(a, col):
                a[col] = row[col]
        stance = a.setdefault("positions", {}).setdefault(issue, {})
        for col in ("position", "salience", "limit"):
            if col in row:
                _set(stance, col, _number(row[col], col, n))
        if "capability" in row:
            caps.setdefault(actor, {})[issue] = _number(row["capability"], "capability", n)
    for actor, by_issue in caps.items():
        a = actors[actor]
        distinct = set(by_issue.values())
        if len(distinct) == 1 and set(by_issue) == set(a["positions"]):
            _set(a, "capability", distinct.pop())
            for st in a["positions"].values():
                st.pop("capability", None)
        else:
            for issue, v in by_issue.items():
                _set(a["positions"][issue], "capability", v)
    for issue, values in new_issues.items():
        data["issues"].append(_new_issue(issue, values, (issues or {}).get(issue, {}), scale))
    return scenario_from_data(data, SOURCE)


def _actor_field(actor: Mapping[str, Any], col: str) -> Any:
    """An actor's field as the table shows it (``veto``: whether it holds one)."""
    if col == "veto" and actor.get("veto") is None:
        return actor.get("kind") == "state"
    return actor.get(col)


def _number(v: Any, col: str, row: int) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        try:
            return float(v)
        except (TypeError, ValueError):
            raise _fail(
                f"{col} {v!r} is not a number", row, f"write the {col} as a number"
            ) from None
    return float(v)


def _new_issue(
    issue: str,
    values: list[float],
    fields: Mapping[str, Any],
    scale: tuple[float, float] | Mapping[str, tuple[float, float]] | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": issue, "name": issue, **fields}
    given = scale.get(issue) if isinstance(scale, Mapping) else scale
    if "scale" in out:
        return out
    if given is not None:
        lo, hi = given
    elif all(0.0 <= v <= 100.0 for v in values):
        lo, hi = 0.0, 100.0
    else:
        lo, hi = min(values), max(values)
        if not lo < hi:
            raise _fail(
                f"issue {issue!r}: every position is {lo:g}, so the table gives no scale",
                None,
                f"pass scale={{'{issue}': (MIN, MAX)}}",
            )
        out.setdefault("note", f"scale [{lo:g}, {hi:g}]: the range of the table's values")
    out["scale"] = {"min": lo, "max": hi}
    return out
