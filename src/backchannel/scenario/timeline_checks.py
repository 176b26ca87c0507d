"""Cross-reference checks of a scenario's timeline, every problem at once with its place
(called by :mod:`backchannel.scenario.references`), and where a history does not arrive
at the scenario as written (:func:`arrival_gaps`)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from backchannel.scenario.timeline import (
    ChangeError,
    Data,
    Interim,
    apply_change,
    as_of,
    base_data,
    data_at,
    validated,
    where,
)

if TYPE_CHECKING:
    from backchannel.scenario.references import Loc, Problem
    from backchannel.scenario.schema import Scenario


def timeline_problems(sc: Scenario) -> list[Problem]:
    """Every problem of ``sc``'s timeline, each with its place: dates, the changes of each
    event (applied in order, each giving a valid scenario), the scenario's date reached
    as written, and the interim block."""
    from backchannel.scenario.references import Problem

    tl = sc.timeline
    assert tl is not None
    out: list[Problem] = []
    d0: dt.date | None = None
    if tl.initial is not None or tl.events:
        try:
            d0 = dt.date.fromisoformat(sc.date or "")
        except ValueError:
            out.append(
                Problem(
                    ("date",),
                    f"a scenario with a timeline needs its `date` as YYYY-MM-DD, not "
                    f"{sc.date!r}: the scenario as written is the timeline's state on that date",
                    'write e.g. date: "2019-06-13"',
                )
            )
    for i, ev in enumerate(tl.events):
        loc: Loc = ("timeline", "events", i, "date")
        if tl.start is not None and ev.date < tl.start:
            out.append(
                Problem(
                    loc,
                    f"event {ev.name!r} ({ev.date}) is before the timeline's start ({tl.start})",
                    "move `start` earlier or drop the event",
                )
            )
        if tl.end is not None and ev.date > tl.end:
            out.append(
                Problem(
                    loc,
                    f"event {ev.name!r} ({ev.date}) is after the timeline's end ({tl.end})",
                    "move `end` later or drop the event",
                )
            )
        if d0 is not None and ev.date <= d0 and ev.probability < 1.0:
            out.append(
                Problem(
                    ("timeline", "events", i, "probability"),
                    f"event {ev.name!r} ({ev.date}) is on or before the scenario's date "
                    f"({d0}), so it has happened: its probability must be 1",
                    "drop `probability`, or date the scenario before the event",
                )
            )
    if d0 is not None:
        out += _chain_problems(sc, d0)
    if tl.interim is not None:
        out += _interim_problems(sc, tl.interim)
    return out


def _chain_problems(sc: Scenario, d0: dt.date) -> list[Problem]:
    """Apply the history (``initial`` and the events up to the scenario's date) and the
    forecast (every later event), validating after each change."""
    from backchannel.scenario.references import Problem

    tl = sc.timeline
    assert tl is not None

    def check(kind: str, i: int | None, data: Data) -> None:
        try:
            validated(data)
        except ChangeError as exc:
            raise ChangeError(where(i), exc.message, exc.fix) from None

    out: list[Problem] = []
    last = max((ev.date for ev in tl.events), default=d0)
    for when, past in ((d0, True), (max(last, d0), False)):
        try:
            data_at(sc, when, range(len(tl.events)), on_change=check, past=past)
        except ChangeError as exc:
            out.append(Problem(exc.loc, _describe(sc, exc.loc) + exc.message, exc.fix))
    return out


def _describe(sc: Scenario, loc: Loc) -> str:
    tl = sc.timeline
    assert tl is not None
    if len(loc) > 2 and loc[1] == "events":
        ev = tl.events[int(loc[2])]
        return f"event {ev.name!r} ({ev.date}): "
    return "timeline.initial: "


def _plain(x: Any) -> Any:
    """Values without notes and uncertainty, to compare two scenarios' inputs."""
    if isinstance(x, dict):
        if "value" in x and set(x) <= {"value", "note", "dist", "range"}:
            return x["value"]
        return {k: _plain(v) for k, v in x.items() if k != "note"}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x


def _diff(a: Any, b: Any, path: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    return [] if a == b else [path]


def _by_id(data: Data) -> Data:
    top = {k: v for k, v in data.items() if k not in ("actors", "issues", "date")}
    for key in ("issues", "actors"):
        top.update({x["id"]: x for x in data.get(key, [])})
    return top


def arrival_gaps(sc: Scenario) -> list[str]:
    """Where the history (``initial`` and the events up to the scenario's date) does not
    give back the scenario as written, in words (empty: it does). Not an error: a what-if
    (``--set``) changes the scenario as written but not its history, and the timeline then
    shows the change from the scenario's date on."""
    tl = sc.timeline
    if tl is None or (tl.initial is None and not tl.events):
        return []
    d0 = as_of(sc)
    try:
        history = data_at(sc, d0, past=True)
    except ChangeError:
        return []  # reported by validation
    got, want = _plain(_by_id(history)), _plain(_by_id(base_data(sc)))
    out = []
    for path in _diff(got, want, ""):
        head = path.split(".")[0]
        last = "timeline.initial" if tl.initial is not None else "no change"
        for _, ev in reversed(tl.ordered()):
            touched = [k for k in ev.set if k.startswith(path) or path.startswith(k)]
            moved = head in (*ev.remove.actors, *ev.remove.issues) or any(
                (e if isinstance(e, str) else e.get("id")) == head
                for e in (*ev.add.actors, *ev.add.issues)
            )
            if ev.date <= d0 and (touched or moved):
                last = f"event {ev.name!r} ({ev.date})"
                break
        out.append(
            f"the history does not arrive at the scenario as written on {d0}: {path} is "
            f"{_show(got, path)} after the changes up to that date (last: {last}), the "
            f"scenario says {_show(want, path)}; the scenario as written holds from {d0} on"
        )
    return out


def _show(x: Any, path: str) -> str:
    for key in path.split("."):
        x = x.get(key) if isinstance(x, dict) else None
    return "absent" if x is None else json.dumps(x)


def _interim_problems(sc: Scenario, it: Interim) -> list[Problem]:
    from backchannel.scenario.references import Problem

    issues = {i.id: i for i in sc.issues}
    deciders = {a.id for a in sc.parties_and_ratifiers()}
    here: Loc = ("timeline", "interim")
    out: list[Problem] = []

    def unknown(loc: Loc, iid: str) -> Problem:
        return Problem(loc, f"interim: unknown issue {iid!r}", f"use one of {sorted(issues)}")

    for j, iid in enumerate(it.issues or []):
        if iid not in issues:
            out.append(unknown((*here, "issues", j), iid))
    for iid in it.persists:
        if iid not in issues:
            out.append(unknown((*here, "persists", iid), iid))
    for iid, (low, high) in it.bounds.items():
        if iid not in issues:
            out.append(unknown((*here, "bounds", iid), iid))
        elif low < issues[iid].scale.min or high > issues[iid].scale.max:
            scale = issues[iid].scale
            out.append(
                Problem(
                    (*here, "bounds", iid),
                    f"interim: bounds [{low:g}, {high:g}] on {iid!r} leave its scale "
                    f"[{scale.min:g}, {scale.max:g}]",
                    "keep the bounds inside the issue's scale",
                )
            )
    base = base_data(sc)
    for j, eff in enumerate(it.effects):
        loc: Loc = (*here, "effects", j)
        if eff.actor is not None and eff.actor not in deciders:
            out.append(
                Problem(
                    (*loc, "actor"),
                    f"interim effect on {eff.actor!r}, which does not decide whether a deal "
                    "is accepted (its no-deal value plays no part)",
                    f"name one of the actors whose acceptance counts: {sorted(deciders)}",
                )
            )
        total = abs(eff.no_deal)
        for iid, per in eff.per_unit.items():
            if iid not in issues:
                out.append(unknown((*loc, "per_unit", iid), iid))
                continue
            total += abs(per) * (issues[iid].scale.max - issues[iid].scale.min)
        if total > 1.0:
            out.append(
                Problem(
                    loc,
                    f"interim effect moves a no-deal value by up to {total:.3g} utility; at "
                    "most 1 (the whole utility scale) is allowed",
                    "check `no_deal` and `per_unit` (per_unit is per scale unit of the issue)",
                )
            )
        if eff.set:
            try:
                data = copy.deepcopy(base)
                apply_change(data, eff, base)
                validated(data)
            except ChangeError as exc:
                out.append(Problem((*loc, "set", *exc.loc[1:]), exc.message, exc.fix))
    return out
