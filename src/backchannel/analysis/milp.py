"""A thin builder for small mixed-integer linear programmes, solved with HiGHS (highspy).

The verdict engine poses every question (is there a deal, what blocks it, what would it
take, where does the verdict flip) as a MILP over well-scaled variables (every issue
rescaled to [0, 1], utilities in [-1, 0]). This module only collects variables and rows and
hands them to HiGHS; it knows nothing about negotiations.

Rows may be *conditional*: active only when some binary variables take given values. The
builder turns a condition into a big-M term whose M is computed from the variables' bounds
(interval arithmetic), so every M is as small as the bounds allow and no constant is
guessed (Williams 2013, *Model Building in Mathematical Programming*, ch. 9).

Solver tolerances are tight (1e-9) because the verdict's own tolerance is 1e-7 on the
utility scale; results are re-checked with plain arithmetic by :mod:`.certify`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from backchannel.scenario.arrays import FloatArray

INF = float("inf")
#: HiGHS's primal/dual feasibility tolerance (scaled problem)
FEAS_TOL = 1e-9

_banner_lock = threading.Lock()
_banner_done = False


_local = threading.local()


def _highs() -> object:
    """A silent HiGHS instance, one per thread, cleared for each programme.

    HiGHS prints a banner on the C level's standard output the first time an instance is
    made; that would corrupt ``--json`` output, so the first construction runs with file
    descriptor 1 pointed at /dev/null.
    """
    global _banner_done
    import highspy

    h = getattr(_local, "highs", None)
    if h is not None:
        h.clearModel()
        return h
    with _banner_lock:
        if _banner_done:
            h = highspy.Highs()
        else:
            saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(null)
                os.close(saved)
            _banner_done = True
    _configure(h)
    _local.highs = h
    return h


def _configure(h: object) -> None:
    for name, value in (
        ("output_flag", False),
        ("primal_feasibility_tolerance", FEAS_TOL),
        ("dual_feasibility_tolerance", FEAS_TOL),
        ("mip_feasibility_tolerance", FEAS_TOL),
        ("mip_rel_gap", 0.0),
        ("mip_abs_gap", 1e-12),
        ("random_seed", 0),
    ):
        h.setOptionValue(name, value)  # type: ignore[attr-defined]


Cond = tuple[int, int]  # (binary variable, value at which the row is active)


@dataclass
class Model:
    """Variables with bounds and integrality, rows ``lo <= a.x <= hi`` (some conditional)."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    rows_idx: list[list[int]] = field(default_factory=list)
    rows_val: list[list[float]] = field(default_factory=list)
    rows_lo: list[float] = field(default_factory=list)
    rows_hi: list[float] = field(default_factory=list)
    maximize: bool = True

    # -- variables ---------------------------------------------------------------------
    @property
    def n_vars(self) -> int:
        return len(self.lower)

    def var(self, lo: float, hi: float, name: str = "", integer: bool = False) -> int:
        self.lower.append(float(lo))
        self.upper.append(float(hi))
        self.integer.append(integer)
        self.cost.append(0.0)
        self.names.append(name)
        return len(self.lower) - 1

    def binary(self, name: str = "", fixed: int | None = None) -> int:
        lo, hi = (0.0, 1.0) if fixed is None else (float(fixed), float(fixed))
        return self.var(lo, hi, name, integer=True)

    def fix(self, j: int, value: float) -> None:
        self.lower[j] = self.upper[j] = float(value)

    # -- rows --------------------------------------------------------------------------
    def row(
        self,
        idx: Sequence[int],
        val: Sequence[float],
        lo: float = -INF,
        hi: float = INF,
        when: Sequence[Cond] = (),
    ) -> None:
        """Add ``lo <= sum(val * x[idx]) <= hi``, active only when every ``(b, v)`` in
        ``when`` has binary ``b == v`` (conditions on fixed binaries are resolved now)."""
        idx = [int(i) for i in idx]
        val = [float(v) for v in val]
        live: list[Cond] = []
        for b, v in when:
            if self.lower[b] == self.upper[b]:
                if self.lower[b] != v:
                    return  # never active
            else:
                live.append((b, v))
        if not live:
            self._append(idx, val, lo, hi)
            return
        a_min = a_max = 0.0
        for i, c in zip(idx, val, strict=True):
            lo_i, hi_i = self.lower[i], self.upper[i]
            a_min += c * (lo_i if c > 0 else hi_i)
            a_max += c * (hi_i if c > 0 else lo_i)
        binaries = [b for b, _ in live]
        for bound, m, sign in ((hi, a_max - hi, 1.0), (lo, lo - a_min, -1.0)):
            if bound in (INF, -INF) or m <= 0:
                continue  # the bound can never be violated
            # a.x <= hi + M * sum(off): off = 1 - b if active at 1, b if active at 0
            extra = [(m if v == 1 else -m) * sign for _, v in live]
            shift = m * sum(1 for _, v in live if v == 1)
            if sign > 0:
                self._append(idx + binaries, val + extra, -INF, hi + shift)
            else:
                self._append(idx + binaries, val + extra, lo - shift, INF)

    def add_rows(
        self,
        lens: Sequence[int],
        idx: Sequence[int],
        val: Sequence[float],
        lo: Sequence[float],
        hi: Sequence[float],
    ) -> int:
        """Append unconditional rows in bulk: row ``r`` has ``lens[r]`` entries of the flat
        ``idx``/``val``; returns the index of the first row."""
        first = len(self.rows_lo)
        idx, val = list(idx), list(val)
        a = 0
        for n in lens:
            self.rows_idx.append(idx[a : a + n])
            self.rows_val.append(val[a : a + n])
            a += n
        self.rows_lo.extend(float(v) for v in lo)
        self.rows_hi.extend(float(v) for v in hi)
        return first

    def _append(self, idx: list[int], val: list[float], lo: float, hi: float) -> None:
        self.rows_idx.append(idx)
        self.rows_val.append(val)
        self.rows_lo.append(float(lo))
        self.rows_hi.append(float(hi))

    # -- solving -----------------------------------------------------------------------
    def solve(self, node_limit: int | None = None, presolve: bool = True) -> Solution:
        """Solve with HiGHS; ``node_limit`` bounds branch-and-bound (deterministically: a
        solution found within it is returned with ``optimal`` False and ``incumbent``
        True)."""
        import highspy

        h = _highs()
        n, m = self.n_vars, len(self.rows_lo)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = m
        lp.col_cost_ = np.asarray(self.cost, dtype=float)
        lp.col_lower_ = np.asarray(self.lower, dtype=float)
        lp.col_upper_ = np.asarray(self.upper, dtype=float)
        lp.row_lower_ = np.where(np.isfinite(self.rows_lo), self.rows_lo, -highspy.kHighsInf)
        lp.row_upper_ = np.where(np.isfinite(self.rows_hi), self.rows_hi, highspy.kHighsInf)
        lens = [len(i) for i in self.rows_idx]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
        flat_i = [j for row in self.rows_idx for j in row]
        flat_v = [c for row in self.rows_val for c in row]
        lp.a_matrix_.index_ = np.asarray(flat_i, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(flat_v, dtype=float)
        lp.sense_ = highspy.ObjSense.kMaximize if self.maximize else highspy.ObjSense.kMinimize
        is_mip = any(self.integer)
        if is_mip:
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                for i in self.integer
            ]
        nodes = int(node_limit) if node_limit is not None else 2**31 - 1
        h.setOptionValue("mip_max_nodes", nodes)  # type: ignore[attr-defined]
        h.setOptionValue("presolve", "on" if presolve else "off")  # type: ignore[attr-defined]
        h.passModel(lp)  # type: ignore[attr-defined]
        h.run()  # type: ignore[attr-defined]
        status = h.modelStatusToString(h.getModelStatus())  # type: ignore[attr-defined]
        info = h.getInfo()  # type: ignore[attr-defined]
        sol = h.getSolution()  # type: ignore[attr-defined]
        ok = status == "Optimal"
        x = np.asarray(sol.col_value, dtype=float) if sol.value_valid else np.full(n, np.nan)
        if is_mip and np.isfinite(info.mip_dual_bound) and not status == "Infeasible":
            bound = float(info.mip_dual_bound)
        elif ok:
            bound = float(info.objective_function_value)
        else:
            bound = np.nan
        duals = np.asarray(sol.row_dual, dtype=float) if (ok and not is_mip) else None
        return Solution(
            status=status,
            optimal=ok,
            incumbent=bool(sol.value_valid) and not ok and is_mip,
            infeasible=status == "Infeasible",
            x=x,
            objective=float(info.objective_function_value) if ok else np.nan,
            bound=bound,
            row_duals=duals,
            mip=is_mip,
        )


@dataclass(frozen=True)
class Solution:
    """HiGHS's answer: ``x`` (NaN when none), ``objective`` and its best ``bound``."""

    status: str
    optimal: bool
    incumbent: bool
    infeasible: bool
    x: FloatArray
    objective: float
    bound: float
    row_duals: FloatArray | None
    mip: bool
