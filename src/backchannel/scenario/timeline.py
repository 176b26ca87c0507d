"""Timelines: dated events that change a scenario's inputs, and what an interim deal does.

A scenario is one moment, its ``date``. Its optional ``timeline`` places it in time:

* ``events``: dated changes, each a set of assignments in the ``--set`` path language
  (``set: {usa.positions.nuclear.limit: 5, oil.status_quo: 15}``), actors and issues added
  (``add: {actors: [oman]}``: by id to bring back the scenario's own definition, or a full
  definition) and removed (``remove: {issues: [missiles]}``), with a ``note`` and
  ``sources``. An event after the scenario's date may be uncertain: ``probability`` that
  it happens, and ranges on the values it sets (``{value: 3, range: [2, 4]}``).
* ``initial``: the inputs at ``start`` that differ from the scenario as written. Every
  event up to the scenario's date has happened, and together with ``initial`` they should
  give back the scenario as written (the *history* arrives at it; :func:`arrival_gaps`
  says where it does not, as a what-if ``--set`` on the scenario makes it).
* ``interim``: what an interim agreement does to the next stage (:class:`Interim`), for
  ``backchannel stages``.

The scenario at a date (:func:`scenario_at`): before the scenario's date, the scenario
with ``initial`` and the events up to that date applied; from its date on, the scenario
as written with the later events that happen applied, and no-deal values moved by each actor's
``trend`` per month since the scenario's date (the trend is a forecast from the
scenario's date, as in ``ripeness.months_until_feasible``; before it, the dated events
carry the history). Cross-references are checked by
:func:`backchannel.scenario.timeline_checks.timeline_problems`, every problem at once
with its place.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from backchannel.scenario.base import Identifier, _Strict

if TYPE_CHECKING:
    from backchannel.scenario.references import Loc
    from backchannel.scenario.schema import Scenario

#: days in a month (the mean Gregorian month), for trends per month
MONTH_DAYS = 365.2425 / 12
#: events at least this likely happen on the central path
CENTRAL = 0.5

Data = dict[str, Any]


class Additions(_Strict):
    """Actors and issues an event adds: an id brings back the scenario's own definition,
    a mapping is a full definition (as under ``actors:`` or ``issues:``)."""

    actors: list[Identifier | dict[str, Any]] = Field(default_factory=list)
    issues: list[Identifier | dict[str, Any]] = Field(default_factory=list)


class Removals(_Strict):
    """Actors and issues an event removes (an issue's positions, agenda entries and
    linkage conditions go with it)."""

    actors: list[Identifier] = Field(default_factory=list)
    issues: list[Identifier] = Field(default_factory=list)


class Change(_Strict):
    """A change of inputs: removals, then additions, then assignments (``set``: path ->
    value in the ``--set`` path language; a number set on a quantity keeps its note)."""

    set: dict[str, Any] = Field(default_factory=dict)
    add: Additions = Additions()
    remove: Removals = Removals()
    note: str | None = None
    sources: list[str] = Field(default_factory=list)


class Event(Change):
    """A dated event: what changes on ``date``, with a ``name``, a ``note`` and
    ``sources``; ``probability`` that it happens (events after the scenario's date)."""

    date: dt.date
    name: str = Field(min_length=1)
    probability: float = Field(default=1.0, ge=0.0, le=1.0)


class InterimEffect(_Strict):
    """What signing an interim agreement does to the final stage.

    ``no_deal``: added to ``actor``'s no-deal value at the final stage; ``per_unit``:
    added to it per scale unit the interim agreement moves an issue from its status quo
    (signed: moving towards the scale's top counts positive); ``set``: other changes to
    the final stage's inputs (the ``--set`` path language, e.g. a trend that stops).
    """

    actor: Identifier | None = None
    no_deal: float = 0.0
    per_unit: dict[Identifier, float] = Field(default_factory=dict)
    set: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> InterimEffect:
        if (self.no_deal or self.per_unit) and self.actor is None:
            raise ValueError("an effect on a no-deal value needs `actor`")
        if not (self.no_deal or self.per_unit or self.set):
            raise ValueError("an effect needs `no_deal`, `per_unit` or `set`")
        return self


class Interim(_Strict):
    """What an interim agreement is and does (``backchannel stages``).

    ``issues``: the issues an interim agreement may settle (default: every issue); an
    issue it settles must be settled again by the final agreement. ``bounds``: per issue,
    the range (scale units) an interim agreement may settle it in: a first step's scope
    ("limited relief", "purchases held at current levels"). ``persists``: per
    issue, the share of the interim agreement's move that stands if the final talks fail
    (default 1: the interim agreement stays in force; 0: it is undone, as "reversible"
    sanctions relief is). The final stage's status quo on an issue is the status quo plus
    that share of the interim move, and every no-deal value there follows from it.
    ``months`` between the two agreements (each actor's ``trend`` applies over them).
    ``red_lines``: ``final`` (red lines bind the final agreement only: an interim
    agreement is "less for less", judged by each ratifier's surplus over no deal now) or
    ``both``. ``effects``: what signing it changes at the final stage
    (:class:`InterimEffect`). Agenda demands, refusals, linkage and ratification rules
    bind both stages.
    """

    issues: list[Identifier] | None = None
    bounds: dict[Identifier, tuple[float, float]] = Field(default_factory=dict)
    persists: dict[Identifier, float] = Field(default_factory=dict)
    months: float = Field(default=0.0, ge=0.0, le=240.0)
    red_lines: Literal["final", "both"] = "final"
    effects: list[InterimEffect] = Field(default_factory=list)
    note: str | None = None
    sources: list[str] = Field(default_factory=list)

    @field_validator("bounds")
    @classmethod
    def _ranges(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for iid, (low, high) in v.items():
            if not low <= high:
                raise ValueError(f"bounds.{iid}: low ({low}) must not exceed high ({high})")
        return v

    @field_validator("persists")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        for iid, share in v.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"persists.{iid} is a share in [0, 1], got {share}")
        return v


class Timeline(_Strict):
    """Dated events around a scenario (see the module docstring)."""

    start: dt.date | None = None
    end: dt.date | None = None
    initial: Change | None = None
    events: list[Event] = Field(default_factory=list)
    interim: Interim | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Timeline:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def ordered(self) -> list[tuple[int, Event]]:
        """Events by date (stable: events of one date in the order written), with their
        index in ``events``."""
        return sorted(enumerate(self.events), key=lambda p: p[1].date)

    def central(self) -> frozenset[int]:
        """The events that happen on the central path (probability at least 1/2)."""
        return frozenset(i for i, e in enumerate(self.events) if e.probability >= CENTRAL)


# -- applying changes ------------------------------------------------------------------
class ChangeError(Exception):
    """A change that cannot be applied: ``loc`` within the change, message and fix."""

    def __init__(self, loc: Loc, message: str, fix: str) -> None:
        super().__init__(message)
        self.loc, self.message, self.fix = loc, message, fix


def base_data(sc: Scenario) -> Data:
    """The scenario as plain data, without its timeline."""
    data: Data = json.loads(sc.model_dump_json(exclude_none=True))
    data.pop("timeline", None)
    return data


def _drop_issue(data: Data, iid: str) -> None:
    data["issues"] = [i for i in data["issues"] if i["id"] != iid]
    for a in data["actors"]:
        a.get("positions", {}).pop(iid, None)
        agenda = a.get("agenda", {})
        for key in ("requires", "refuses", "separable"):
            if key in agenda:
                agenda[key] = [x for x in agenda[key] if x != iid]
        if "linkage" in a:
            a["linkage"] = [
                li for li in a["linkage"] if iid not in (li["when"]["issue"], li["then"]["issue"])
            ]


def apply_change(data: Data, change: Change | InterimEffect, base: Data) -> None:
    """Apply ``change`` to ``data`` in place (``base``: the scenario as written, for
    additions by id); raises :class:`ChangeError`."""
    from backchannel.scenario.errors import InputError
    from backchannel.scenario.overrides import set_path

    if isinstance(change, Change):
        for key in ("issues", "actors"):
            for j, xid in enumerate(getattr(change.remove, key)):
                if not any(x["id"] == xid for x in data[key]):
                    raise ChangeError(
                        ("remove", key, j),
                        f"removes {key[:-1]} {xid!r}, absent at this date",
                        "remove only what is there at that date (check earlier removals)",
                    )
                if key == "issues":
                    _drop_issue(data, xid)
                else:
                    data[key] = [x for x in data[key] if x["id"] != xid]
        for key in ("issues", "actors"):
            for j, entry in enumerate(getattr(change.add, key)):
                what = key[:-1]
                if isinstance(entry, str):
                    found = [x for x in base[key] if x["id"] == entry]
                    if not found:
                        raise ChangeError(
                            ("add", key, j),
                            f"adds {what} {entry!r} by id, but the scenario as written has no "
                            f"{what} {entry!r}",
                            f"give the {what}'s full definition instead of its id",
                        )
                    entry = found[0]
                if any(x["id"] == entry.get("id") for x in data[key]):
                    raise ChangeError(
                        ("add", key, j),
                        f"adds {what} {entry.get('id')!r}, already present at this date",
                        "remove it first (an earlier `remove:`), or drop this addition",
                    )
                data[key].append(copy.deepcopy(entry))
    for path, value in change.set.items():
        try:
            set_path(data, path, copy.deepcopy(value), f"{path}: {json.dumps(value)}")
        except InputError as exc:
            raise ChangeError(("set", path), exc.problem, exc.fix or "") from None


def validated(data: Data, when: dt.date | None = None) -> Scenario:
    """``data`` as a scenario (dated ``when``), or :class:`ChangeError` listing what is
    wrong with it."""
    from backchannel.scenario.schema import Scenario

    data = dict(data)
    if when is not None:
        data["date"] = when.isoformat()
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ChangeError(
            (), _messages(exc, data), "correct the change so that the scenario it gives validates"
        ) from None


def _messages(exc: ValidationError, data: Data) -> str:
    """Validation errors with their places in the path language (``x.positions.b``)."""
    out = []
    for err in exc.errors(include_url=False):
        if err["type"] == "references":
            out += [p["msg"] for p in err["ctx"]["problems"]]
            continue
        loc = [str(p) for p in err["loc"] if not str(p).startswith("function-")]
        if len(loc) > 1 and loc[0] in ("actors", "issues") and loc[1].isdigit():
            items = data.get(loc[0], [])
            n = int(loc[1])
            loc = [str(items[n].get("id", n)) if n < len(items) else loc[1], *loc[2:]]
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required (set it too, or set the whole entry as a mapping)"
        out.append(f"{'.'.join(loc)} {msg}")
    return "the scenario it gives is not valid: " + "; ".join(out)


# -- the scenario at a date ------------------------------------------------------------
def as_of(sc: Scenario) -> dt.date:
    """The scenario's own date (a timeline needs one, checked at validation)."""
    assert sc.date is not None
    return dt.date.fromisoformat(sc.date)


def _trends(data: Data) -> dict[str, float]:
    out = {}
    for a in data["actors"]:
        trend = a.get("no_deal", {}).get("trend")
        value = trend.get("value", 0.0) if isinstance(trend, dict) else trend
        if value:
            out[a["id"]] = float(value)
    return out


def drift(data: Data, shifts: dict[str, float]) -> None:
    """Move each actor's no-deal value by ``shifts[id]`` utility (a trend times the months
    elapsed, or a declared effect): the explicit ``no_deal.utility`` (clipped to [-1, 0])
    where given, else the ``adjustment`` (a range on it moves with it)."""
    for a in data["actors"]:
        shift = shifts.get(a["id"], 0.0)
        nd = a.get("no_deal")
        if not shift or nd is None:
            continue
        if "utility" in nd:
            q = nd["utility"]
            q["value"] = min(0.0, max(-1.0, q["value"] + shift))
            q.pop("dist", None)
            continue
        q = nd.setdefault("adjustment", {"value": 0.0})
        q["value"] += shift
        dist = q.get("dist")
        if dist is not None:
            for key in ("low", "high"):
                if dist.get(key) is not None:
                    dist[key] += shift


#: called after each change with ("initial", None, data) or ("event", index, data)
OnChange = Callable[[str, "int | None", Data], None]


def data_at(
    sc: Scenario,
    when: dt.date,
    happened: Collection[int] | None = None,
    on_change: OnChange | None = None,
    *,
    past: bool | None = None,
) -> Data:
    """The data of the scenario at ``when`` (see :func:`scenario_at`); ``on_change`` is
    called after each change applied. ``past``: build it from the history (``initial``
    and the events up to ``when``) rather than from the scenario as written; by default
    for dates before the scenario's own."""
    tl = sc.timeline
    assert tl is not None
    base = base_data(sc)
    data = copy.deepcopy(base)
    d0 = as_of(sc)
    happened = tl.central() if happened is None else happened
    if when < d0 if past is None else past:
        changes: list[tuple[str, int | None, Change]] = []
        if tl.initial is not None:
            changes.append(("initial", None, tl.initial))
        changes += [("event", i, ev) for i, ev in tl.ordered() if ev.date <= when]
    else:
        changes = [
            ("event", i, ev) for i, ev in tl.ordered() if d0 < ev.date <= when and i in happened
        ]
    last = d0
    for kind, i, change in changes:
        if isinstance(change, Event) and change.date > d0:
            _advance(data, last, change.date)
            last = change.date
        try:
            apply_change(data, change, base)
        except ChangeError as exc:
            raise ChangeError(where(i) + exc.loc, exc.message, exc.fix) from None
        if on_change is not None:
            on_change(kind, i, data)
    if when > d0:
        _advance(data, last, when)
    return data


def where(i: int | None) -> Loc:
    """The place of a change in the scenario file."""
    return ("timeline", "initial") if i is None else ("timeline", "events", i)


def _advance(data: Data, start: dt.date, stop: dt.date) -> None:
    months = (stop - start).days / MONTH_DAYS
    drift(data, {aid: t * months for aid, t in _trends(data).items()})


def scenario_at(sc: Scenario, when: dt.date, happened: Collection[int] | None = None) -> Scenario:
    """The scenario as of ``when``, with the events in ``happened`` (indices into
    ``timeline.events``; default: the central path) having happened, dated ``when`` and
    without its timeline. Raises :class:`~backchannel.scenario.errors.InputError` if a
    combination of events gives an invalid scenario."""
    from backchannel.scenario.errors import InputError

    try:
        return validated(data_at(sc, when, happened), when)
    except ChangeError as exc:
        raise InputError(
            f"the timeline gives an invalid scenario on {when}: {exc.message}",
            source=sc.name,
            where="timeline",
            fix=exc.fix or "check the events up to that date",
        ) from None
