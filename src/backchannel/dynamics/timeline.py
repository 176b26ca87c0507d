"""A negotiation over time: the verdict and everything around it at every event date and
between them, windows of opportunity, and what closed each window.

:func:`run_timeline` analyses the scenario as of each date of its timeline
(:func:`backchannel.scenario.timeline.scenario_at`) with :func:`~backchannel.analysis.
verdict.analyze`: at the start and the end, at every event, on the first of every month
between them and on the day a trend flips the verdict between two dates (found by
bisection to the day). Each date's result is exactly ``analyze`` of that date's scenario.

* **Windows of opportunity** are the intervals in which a deal was feasible on the
  parties' own terms (on the central path: the events at least as likely as not). For a
  window that closes, ``closed_by`` names the events of that date (or a trend) and
  ``binding`` the constraints of the conflicts (irreducible infeasible sets, Junker 2004)
  that hold on the closing date but did not hold in that form the day before: the
  constraints the closing made binding.
* **P(deal)**: over the uncertain events (exactly, every combination weighted by its
  probability, events independent) and, with ``draws``, over the inputs' ranges too (the
  Monte Carlo sweep of :mod:`backchannel.engine.sweep` on each combination's scenario).
* **Escalation** as a hazard that events change (:mod:`.hazard`), with the probability of
  escalation from the timeline's start to each date.
* **Ripeness** as ``analyze`` reports it on each date (Zartman 2000, "Ripeness: the
  hurting stalemate and beyond"): a mutually hurting stalemate and a way out.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backchannel.analysis.verdict import Analysis, analyze
from backchannel.dynamics.hazard import Hazard, cumulative, hazard
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Scenario
from backchannel.scenario.timeline import MONTH_DAYS, as_of, scenario_at
from backchannel.scenario.timeline_checks import arrival_gaps

#: at most this many uncertain events before one date (2^8 combinations of them)
MAX_UNCERTAIN = 8
#: blockers, blocking sets and conflicts shown per date
SHOWN = 3
#: why a date is on the grid
KINDS = ("start", "event", "month", "trend", "as_of", "end")


@dataclass(frozen=True)
class Point:
    """The analysis of one date. ``kinds``: why the date is on the grid (``start``,
    ``event``, ``month``, ``trend``: a trend flips the verdict that day, ``as_of``: the
    scenario's own date, ``end``)."""

    date: dt.date
    kinds: tuple[str, ...]
    events: tuple[str, ...]
    analysis: Analysis
    hazard: Hazard | None
    p_escalation: float | None  # from the timeline's start to this date
    p_deal: dict[str, Any] | None

    @property
    def deal_possible(self) -> bool:
        """Whether a deal is feasible on the parties' own terms on this date."""
        return self.analysis.deal_possible

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``points`` in the JSON (keys in the README)."""
        a = self.analysis
        pk = a.package
        esc = a.escalation
        return {
            "date": self.date.isoformat(),
            "kinds": list(self.kinds),
            "events": list(self.events),
            "deal_possible": a.deal_possible,
            "verdict_class": a.verdict_class,
            "margin": a.margin["slack"],
            "package": None
            if pk["point"] is None
            else {"agenda": pk["agenda"], "deferred": pk["deferred"], "point": pk["point"]},
            "zone": {
                iid: None if z["empty"] else [z["low"], z["high"]] for iid, z in a.zopa.items()
            },
            "blockers": [b.to_dict() for b in a.blocking[:SHOWN]],
            "blocking_sets": [s["text"] for s in a.blocking_sets[:SHOWN]],
            "conflicts": [c["text"] for c in a.conflicts[:SHOWN]],
            "p_deal": self.p_deal,
            "escalation": None
            if self.hazard is None or esc is None
            else {
                "hazard_per_month": self.hazard.with_channels,
                "hazard_without_channels": self.hazard.without_channels,
                "horizon_months": esc.horizon_months,
                "p_within_horizon": esc.p_with_channels,
                "p_within_horizon_without_channels": esc.p_without_channel,
                "p_since_start": self.p_escalation,
            },
            "ripeness": {
                k: a.ripeness[k]
                for k in ("mutually_hurting_stalemate", "way_out", "ripe", "months_until_feasible")
            },
        }


@dataclass(frozen=True)
class Window:
    """An interval in which a deal was feasible; ``closes`` None: open at the end."""

    opens: dt.date
    opened_by: tuple[str, ...]
    closes: dt.date | None
    closed_by: tuple[str, ...]
    binding: tuple[dict[str, Any], ...]
    conflicts: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``windows`` in the JSON."""
        return {
            "opens": self.opens.isoformat(),
            "opened_by": list(self.opened_by),
            "closes": None if self.closes is None else self.closes.isoformat(),
            "closed_by": list(self.closed_by),
            "binding": list(self.binding),
            "conflicts": list(self.conflicts),
        }


@dataclass(frozen=True)
class TimelineResult:
    """Everything :func:`run_timeline` computes (``to_dict`` gives the JSON)."""

    scenario: str
    as_of: dt.date
    start: dt.date
    end: dt.date
    draws: int
    seed: int
    points: tuple[Point, ...]
    windows: tuple[Window, ...]
    events: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``backchannel timeline --json`` (keys in the README)."""
        return {
            "scenario": self.scenario,
            "as_of": self.as_of.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "draws": self.draws,
            "seed": self.seed,
            "events": list(self.events),
            "points": [p.to_dict() for p in self.points],
            "windows": [w.to_dict() for w in self.windows],
            "notes": list(self.notes),
        }


def _key(sc: Scenario) -> str:
    data = json.loads(sc.model_dump_json(exclude_none=True))
    data.pop("date", None)
    return json.dumps(data, sort_keys=True)


class _Dates:
    """The scenario at each date, analysed once per distinct content."""

    def __init__(self, sc: Scenario, draws: int, seed: int) -> None:
        self.sc, self.draws, self.seed = sc, draws, seed
        self.analyses: dict[str, Analysis] = {}
        self.verdicts: dict[str, bool] = {}
        self.sweeps: dict[str, tuple[float, float]] = {}

    def at(self, when: dt.date, happened: frozenset[int] | None = None) -> Scenario:
        return scenario_at(self.sc, when, happened)

    def analysis(self, s: Scenario) -> Analysis:
        key = _key(s)
        if key not in self.analyses:
            self.analyses[key] = analyze(s)
            self.verdicts[key] = self.analyses[key].deal_possible
        return self.analyses[key]

    def deal(self, s: Scenario) -> bool:
        """The verdict alone (for bisection and event combinations)."""
        key = _key(s)
        if key not in self.verdicts:
            from backchannel.analysis.decide import decide
            from backchannel.analysis.instance import make_instance
            from backchannel.scenario.arrays import to_arrays

            self.verdicts[key] = decide(make_instance(to_arrays(s), s.loss)).deal_possible
        return self.verdicts[key]

    def swept(self, s: Scenario) -> tuple[float, float]:
        """(P(deal), its Monte Carlo variance) over ``draws`` draws of the inputs."""
        key = _key(s)
        if key not in self.sweeps:
            from backchannel.engine.sampling import sampling_plan
            from backchannel.engine.sweep import run_sweep

            res = run_sweep(sampling_plan(s), self.draws, seed=self.seed, models=(), n_base=None)
            p = res.p_deal
            self.sweeps[key] = (p, p * (1 - p) / self.draws)
        return self.sweeps[key]


def _grid(sc: Scenario, start: dt.date, end: dt.date) -> dict[dt.date, set[str]]:
    tl = sc.timeline
    assert tl is not None
    grid: dict[dt.date, set[str]] = {start: {"start"}}
    grid.setdefault(end, set()).add("end")
    d0 = as_of(sc)
    if start <= d0 <= end:
        grid.setdefault(d0, set()).add("as_of")
    for ev in tl.events:
        if start <= ev.date <= end:
            grid.setdefault(ev.date, set()).add("event")
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        if month > start:
            grid.setdefault(month, set()).add("month")
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return grid


def _flip(deal: Callable[[dt.date], bool], lo: dt.date, hi: dt.date) -> dt.date:
    """The first day in (lo, hi] whose verdict is ``deal(hi)``, given ``deal(lo)`` differs
    (bisection; exact where the verdict flips once in between)."""
    target = deal(hi)
    while (hi - lo).days > 1:
        mid = lo + (hi - lo) // 2
        if deal(mid) == target:
            hi = mid
        else:
            lo = mid
    return hi


def run_timeline(scenario: Scenario, *, draws: int = 0, seed: int = 0) -> TimelineResult:
    """Analyse ``scenario`` at every date of its timeline (see the module docstring).

    ``draws``: Monte Carlo draws of the inputs per date for P(deal) (0: P(deal) only over
    the uncertain events, when there are any).
    """
    tl = scenario.timeline
    if tl is None:
        raise InputError(
            "the scenario has no timeline",
            source=scenario.name,
            fix="add a `timeline:` with dated `events:` (see `backchannel schema`)",
        )
    if draws < 0:
        raise InputError(
            f"--draws must not be negative, got {draws}", source="--draws", fix="e.g. --draws 1000"
        )
    if seed < 0:
        raise InputError(f"--seed must not be negative, got {seed}", source="--seed", fix="e.g. 0")
    d0 = as_of(scenario)
    dates = [ev.date for ev in tl.events] + [d0]
    start, end = tl.start or min(dates), tl.end or max(dates)
    central = tl.central()
    memo = _Dates(scenario, draws, seed)
    grid = _grid(scenario, start, end)
    for a, b in itertools.pairwise(sorted(grid)):  # a trend may flip the verdict in between
        before = b - dt.timedelta(days=1) if "event" in grid[b] else b
        if before <= a:
            continue
        if memo.deal(memo.at(a)) != memo.deal(memo.at(before)):
            flip = _flip(lambda t: memo.deal(memo.at(t)), a, before)
            grid.setdefault(flip, set()).add("trend")
    points: list[Point] = []
    names = {
        d: tuple(e.name for i, e in tl.ordered() if e.date == d and i in central) for d in grid
    }
    for d in sorted(grid):
        s = memo.at(d)
        points.append(
            Point(
                date=d,
                kinds=tuple(k for k in KINDS if k in grid[d]),
                events=names[d] if "event" in grid[d] else (),
                analysis=memo.analysis(s),
                hazard=hazard(s),
                p_escalation=None,
                p_deal=_p_deal(scenario, d, memo, draws),
            )
        )
    points = _escalation_since_start(points)
    gaps = arrival_gaps(scenario)
    windows = _windows(points, memo, bool(gaps))
    events = tuple(
        {
            "date": e.date.isoformat(),
            "name": e.name,
            "probability": e.probability,
            "central": i in central,
            "note": e.note,
            "sources": [scenario.sources.get(s, s) for s in e.sources],
        }
        for i, e in tl.ordered()
    )
    notes = gaps
    if any(0 < e.probability < 1 for e in tl.events):
        notes.append(
            "verdicts, windows and escalation follow the central path (events with a "
            "probability of at least 1/2 happen); p_deal weighs every combination"
        )
    if draws:
        notes.append(
            f"p_deal over {draws} draws of the inputs' ranges per combination (seed {seed})"
        )
    return TimelineResult(
        scenario=scenario.name,
        as_of=d0,
        start=start,
        end=end,
        draws=draws,
        seed=seed,
        points=tuple(points),
        windows=tuple(windows),
        events=events,
        notes=tuple(notes),
    )


def _escalation_since_start(points: list[Point]) -> list[Point]:
    from dataclasses import replace

    if any(p.hazard is None for p in points):
        return points
    months = [0.0] + [(b.date - a.date).days / MONTH_DAYS for a, b in itertools.pairwise(points)]
    rates = [0.0] + [p.hazard.with_channels for p in points[:-1]]  # type: ignore[union-attr]
    since = cumulative(rates, months)
    return [replace(p, p_escalation=c) for p, c in zip(points, since, strict=True)]


def _p_deal(sc: Scenario, when: dt.date, memo: _Dates, draws: int) -> dict[str, Any] | None:
    """P(deal) at ``when`` over the uncertain events before it (and the inputs' ranges
    with ``draws``); None when nothing is uncertain and no draws were asked for."""
    tl = sc.timeline
    assert tl is not None
    d0 = as_of(sc)
    live = [(i, e) for i, e in enumerate(tl.events) if d0 < e.date <= when]
    sure = frozenset(i for i, e in live if e.probability >= 1.0)
    unsure = [(i, e) for i, e in live if 0.0 < e.probability < 1.0]
    if not unsure and not draws:
        return None
    if len(unsure) > MAX_UNCERTAIN:
        raise InputError(
            f"{len(unsure)} uncertain events up to {when}; at most {MAX_UNCERTAIN} are "
            "weighed exactly",
            source=sc.name,
            where="timeline.events",
            fix="give the less important events probability 0 or 1",
        )
    p = var = 0.0
    for picks in itertools.product((False, True), repeat=len(unsure)):
        pairs = list(zip(unsure, picks, strict=True))
        w = math.prod(e.probability if on else 1 - e.probability for (_, e), on in pairs)
        happened = sure | {i for (i, _), on in pairs if on}
        s = memo.at(when, happened)
        if draws:
            pk, vk = memo.swept(s)
        else:
            pk, vk = float(memo.deal(s)), 0.0
        p += w * pk
        var += w * w * vk
    out: dict[str, Any] = {"estimate": p, "combinations": 2 ** len(unsure)}
    if draws:
        out["se"] = math.sqrt(var)
        out["draws"] = draws
    return out


def _texts(sc: Scenario) -> set[str]:
    """Every constraint of ``sc`` in words (to see which ones a change altered)."""
    from backchannel.analysis.explain import candidate_groups
    from backchannel.analysis.instance import make_instance
    from backchannel.analysis.words import Namer
    from backchannel.scenario.arrays import to_arrays

    arrays = to_arrays(sc)
    inst = make_instance(arrays, sc.loss)
    names = Namer(sc, arrays, inst)
    return {names.text(g) for g in candidate_groups(inst)}


def _cause(p: Point, what_if: bool) -> tuple[str, ...]:
    """What changed the verdict on ``p``'s date."""
    if what_if and "as_of" in p.kinds:
        return ("the scenario as written (it differs from its history)",)
    if "event" in p.kinds:
        return p.events
    if "trend" in p.kinds:
        return ("trend",)
    return ("in force at the start",)


def _windows(points: list[Point], memo: _Dates, what_if: bool) -> list[Window]:
    out: list[Window] = []
    opened: tuple[dt.date, tuple[str, ...]] | None = None
    for p in points:
        if p.deal_possible and opened is None:
            opened = (p.date, _cause(p, what_if))
        elif not p.deal_possible and opened is not None:
            why = _cause(p, what_if)
            before = memo.at(p.date - dt.timedelta(days=1))
            known = _texts(before)
            conflicts = p.analysis.conflicts
            binding = [c for s in conflicts for c in s["constraints"] if c["text"] not in known]
            out.append(
                Window(
                    opens=opened[0],
                    opened_by=opened[1],
                    closes=p.date,
                    closed_by=why,
                    binding=tuple({c["text"]: c for c in binding}.values()),
                    conflicts=tuple(c["text"] for c in conflicts[:SHOWN]),
                )
            )
            opened = None
    if opened is not None:
        out.append(Window(opened[0], opened[1], None, (), (), ()))
    return out
