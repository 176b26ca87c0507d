"""How robust is a verdict: for each input, the value at which it flips, the others fixed.

* **No-deal values and red lines** (mirrored) enter the verdict programme linearly, so
  their flip points are exact optima of one programme each: the highest no-deal value
  with which a deal still exists is the best utility the actor can get from a package
  every other requirement accepts (its own surplus constraint dropped); the tightest red
  line is the smallest signed widening that keeps a deal (:class:`.formulation.Soft`).
* **Positions, saliences, status quo, body weights, linkage thresholds**: the verdict is
  evaluated on a grid between the input's value and each end of its admissible range, and
  the first change is bisected to 1e-5 of the range. The package found for the current
  inputs is re-checked with plain arithmetic first, so a change that leaves it acceptable
  costs no solve.
* **Cannot flip alone**: if every way to a deal needs more constraints relaxed than an
  input touches (the smallest blocking set is larger), no value of that input flips the
  verdict; this is proved, not searched.

Distances are relative to the input's own range where the analyst gave one (its ``range``
or ``dist``), else to its admissible range; flips inside the analyst's own range are
flagged: the verdict depends on a number the analyst is unsure of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backchannel.analysis.decide import Decision, decide
from backchannel.analysis.evaluate import check_package, margin
from backchannel.analysis.formulation import TOL, Soft, build
from backchannel.analysis.instance import make_instance
from backchannel.analysis.utility import Loss
from backchannel.scenario.arrays import ScenarioArrays, to_arrays
from backchannel.scenario.base import Quantity
from backchannel.scenario.schema import Scenario

GRID = 6
BISECT_TOL = 1e-5


@dataclass(frozen=True)
class Flip:
    """Where one input flips the verdict (``flips_at`` None: not within ``bounds``)."""

    input: str
    value: float
    flips_at: float | None
    bounds: tuple[float, float]
    relative: float | None
    within_range: bool
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "value": self.value,
            "flips_at": self.flips_at,
            "distance": None if self.flips_at is None else abs(self.flips_at - self.value),
            "relative": self.relative,
            "within_range": self.within_range,
            "bounds": list(self.bounds),
            "method": self.method,
        }


@dataclass(frozen=True)
class _Input:
    name: str
    qty: Quantity | None
    value: float
    bounds: tuple[float, float]
    setter: Callable[[ScenarioArrays, float], ScenarioArrays]
    touches: int  # how many constraint groups a change can affect
    priority: int
    exact: str | None = None  # "limit" | "no_deal" with (v, k)
    where: tuple[int, int] = (-1, -1)


def _range(inp: _Input) -> tuple[float, float] | None:
    d = inp.qty.dist if inp.qty is not None else None
    if d is None:
        return None
    if d.low is not None and d.high is not None:
        return (d.low, d.high)
    assert d.sd is not None
    return (inp.value - 2 * d.sd, inp.value + 2 * d.sd)


def _set(field: str, idx: tuple[int, ...]) -> Callable[[ScenarioArrays, float], ScenarioArrays]:
    def setter(a: ScenarioArrays, value: float) -> ScenarioArrays:
        arr = np.array(getattr(a, field), dtype=float)
        arr[idx] = value
        return replace(a, **{field: arr})  # type: ignore[arg-type]

    return setter


def inputs(sc: Scenario, arrays: ScenarioArrays) -> list[_Input]:
    """Every numeric input that can move the parties' own-terms verdict."""
    out: list[_Input] = []
    n_dec = len(arrays.veto_players)
    for v in arrays.veto_players:
        a = sc.actors[v]
        for k, iss in enumerate(sc.issues):
            st = a.positions[iss.id]
            scale = (iss.scale.min, iss.scale.max)
            stem = f"{a.id}.positions.{iss.id}"
            if st.limit is not None:
                out.append(
                    _Input(
                        f"{stem}.limit",
                        st.limit,
                        st.limit.value,
                        scale,
                        _set("limit", (v, k)),
                        1,
                        1,
                        None if st.limit_side == "one_sided" else "limit",
                        (v, k),
                    )
                )
            out.append(
                _Input(
                    f"{stem}.position",
                    st.position,
                    st.position.value,
                    scale,
                    _set("position", (v, k)),
                    2,
                    3,
                )
            )
            out.append(
                _Input(
                    f"{stem}.salience",
                    st.salience,
                    st.salience.value,
                    (0.0, 100.0),
                    _set("salience", (v, k)),
                    1,
                    4,
                )
            )
        nd = a.no_deal
        if nd is not None and nd.utility is not None:
            out.append(
                _Input(
                    f"{a.id}.no_deal.utility",
                    nd.utility,
                    nd.utility.value,
                    (-1.0, 0.0),
                    _set("no_deal", (v,)),
                    1,
                    2,
                    "no_deal",
                    (v, -1),
                )
            )
        else:
            qty = nd.adjustment if nd is not None else None
            value = qty.value if qty is not None else 0.0
            out.append(
                _Input(
                    f"{a.id}.no_deal.adjustment",
                    qty,
                    value,
                    (-1.0, 1.0),
                    _set("no_deal_adjustment", (v,)),
                    1,
                    2,
                    "no_deal",
                    (v, -1),
                )
            )
    for k, iss in enumerate(sc.issues):
        if iss.status_quo is not None:
            out.append(
                _Input(
                    f"{iss.id}.status_quo",
                    iss.status_quo,
                    iss.status_quo.value,
                    (iss.scale.min, iss.scale.max),
                    _set("status_quo", (k,)),
                    2 * n_dec,
                    5,
                )
            )
    for body in arrays.structure.bodies if arrays.structure else ():
        if not body.explicit or body.rule == "unanimity":
            continue
        total = float(arrays.body_weight[list(body.slots)].sum())
        for m, slot in zip(body.members, body.slots, strict=True):
            w = float(arrays.body_weight[slot])
            out.append(
                _Input(
                    f"{sc.actors[body.unit].id}.ratification.{body.id}.{sc.actors[m].id}",
                    None,
                    w,
                    (0.0, total),
                    _set("body_weight", (slot,)),
                    1,
                    6,
                )
            )
    out.sort(key=lambda i: (i.qty is None or i.qty.dist is None, i.priority))
    return out


class _Budget:
    """Counts the programmes solved (a deterministic limit, unlike a time budget)."""

    def __init__(self, solves: int) -> None:
        self.left = solves

    def spend(self) -> None:
        self.left -= 1


def robustness(
    sc: Scenario, loss: Loss, base: Decision, *, solves: int = 400, min_blocking: int = 0
) -> list[Flip]:
    """Flip points of every input, the most fragile first (within a budget of ``solves``
    programmes, inputs with a range first; ``min_blocking``: size of the smallest blocking
    set of a no-deal, for the proof that an input cannot flip it alone)."""
    arrays = to_arrays(sc)
    budget = _Budget(solves)
    out: list[Flip] = []
    for inp in inputs(sc, arrays):
        if budget.left <= 0:
            out.append(Flip(inp.name, inp.value, None, inp.bounds, None, False, "not reached"))
            continue
        why = None
        if not base.deal_possible and min_blocking > inp.touches:
            why = f"cannot flip alone: a deal needs {min_blocking} constraints relaxed"
        elif not base.deal_possible and not np.isfinite(base.slack) and inp.priority in (2, 4):
            why = "cannot flip: red lines, agenda or rules exclude every package"
        if why is not None:
            out.append(Flip(inp.name, inp.value, None, inp.bounds, None, False, why))
            continue
        if inp.exact:
            budget.spend()
            at, method = _exact(arrays, loss, inp)
        else:
            at, method = _search(arrays, loss, base, inp, budget)
        if at is not None and not inp.bounds[0] - 1e-12 <= at <= inp.bounds[1] + 1e-12:
            at = None
        at = None if at is None else float(at)
        rng = _range(inp)
        width = (rng[1] - rng[0]) if rng and rng[1] > rng[0] else inp.bounds[1] - inp.bounds[0]
        rel = None if at is None else float(abs(at - inp.value) / width)
        within = bool(at is not None and rng is not None and rng[0] <= at <= rng[1])
        out.append(Flip(inp.name, inp.value, at, inp.bounds, rel, within, method))
    out.sort(key=lambda f: (f.relative is None, f.relative if f.relative is not None else 0.0))
    return out


def _exact(arrays: ScenarioArrays, loss: Loss, inp: _Input) -> tuple[float | None, str]:
    inst = make_instance(arrays, loss)
    v, k = inp.where
    if inp.exact == "no_deal":
        f = build(inst, tau=-TOL, soft=Soft(lower_nd={v: 1.0}, signed=True))
        sol = f.solve()
        if not sol.optimal:
            return None, "exact (MILP)"
        eps = float(sol.x[f.eps[v]])  # the no-deal value may move by -eps and keep a deal
        return inp.value - eps, "exact (MILP)"
    f = build(inst, tau=-TOL, soft=Soft(widen={(v, k): 1.0}, signed=True))
    sol = f.solve()
    if not sol.optimal:
        return None, "exact (MILP)"
    delta = float(sol.x[f.delta[v, k]])  # the interval may widen by delta (on [0, 1])
    pos = arrays.position[v, k]
    r = abs(inp.value - pos) + delta * (arrays.hi[k] - arrays.lo[k])
    if r < 0:
        return None, "exact (MILP)"
    side = -1.0 if inp.value < pos or (inp.value == pos and delta >= 0) else 1.0
    return float(pos + side * r), "exact (MILP)"


def _search(
    arrays: ScenarioArrays, loss: Loss, base: Decision, inp: _Input, budget: _Budget
) -> tuple[float | None, str]:
    """The nearest flip by a grid on each side and bisection."""
    now = base.deal_possible
    package = None
    if now:
        package = (
            (base.x - arrays.lo) / (arrays.hi - arrays.lo),
            base.e / (arrays.hi - arrays.lo),
            base.settled,
        )

    def verdict(value: float) -> bool:
        inst = make_instance(inp.setter(arrays, value), loss)
        if package is not None:
            x, e, settled = package
            if margin(inst, check_package(inst, x, e, settled)) >= -TOL:
                return True
        budget.spend()
        return decide(inst).deal_possible

    best: float | None = None
    span = inp.bounds[1] - inp.bounds[0]
    for end in inp.bounds:
        if end == inp.value:
            continue
        prev = inp.value
        for t in np.linspace(0, 1, GRID + 1)[1:]:
            val = inp.value + t * (end - inp.value)
            if verdict(val) != now:
                lo, hi = prev, val
                while abs(hi - lo) > BISECT_TOL * span:
                    mid = (lo + hi) / 2
                    if verdict(mid) != now:
                        hi = mid
                    else:
                        lo = mid
                if best is None or abs(hi - inp.value) < abs(best - inp.value):
                    best = hi
                break
            prev = val
    return best, "grid and bisection"
