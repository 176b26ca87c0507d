"""Summaries of a sweep folded chunk by chunk, in memory that does not grow with the draws.

A sweep that keeps its draws holds (B, D) uniforms and values: 100,000 draws of a
12 x 12 scenario with ranges on every input are over a gigabyte. :class:`Folder` takes
each chunk's result as it arrives and keeps only

* exact counts and sums: deals, deals with inducements, means, and the tornado bars of the
  sensitivity analysis (sums of each output over the draws in each input's lower and upper
  tail: additive, so folding chunks in draw order gives the same bars as the whole array);
* for quantiles, a histogram of :data:`BINS` equal bins over each output's bounded range:
  an issue's scale for outcomes, [-1, 1] for the slack (a difference of utilities in
  [0, 1]; values outside are clipped into the end bins, and -inf, "no admissible deal", is
  counted apart), [0, 1] for probabilities of escalation. A quantile is read off the
  cumulative counts with linear interpolation inside its bin, so it is within one bin
  width (the range / 16,384) of the exact type-7 quantile of the same draws
  (``tests/engine/test_stream.py`` checks it).

The result records which it was (``"quantiles"`` in the sweep's JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from backchannel.engine.batch import ChunkResult
from backchannel.engine.sampling import SamplingPlan
from backchannel.scenario.arrays import FloatArray

#: sweeps of more draws than this stream unless asked to keep them (``keep_draws``)
KEEP_DRAWS = 20_000
#: bins of each streamed histogram (resolution: range / BINS)
BINS = 16_384
#: range of the slack's histogram
SLACK_RANGE = (-1.0, 1.0)

Outputs = Callable[[ChunkResult], Mapping[str, FloatArray]]


class Histogram:
    """Counts of values in :data:`BINS` equal bins over [lo, hi] and their mean; values
    outside (+inf too) are clipped into the end bins and the mean, -inf counted apart,
    NaN ignored."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = float(lo), float(hi) if hi > lo else float(lo) + 1.0
        self.counts = np.zeros(BINS, dtype=np.int64)
        self.minus_inf = 0
        self.total = 0.0
        self.n = 0

    def add(self, y: FloatArray) -> None:
        y = np.asarray(y, dtype=float)
        y = y[~np.isnan(y)]
        low = np.isneginf(y)
        self.minus_inf += int(low.sum())
        f = np.clip(y[~low], self.lo, self.hi)
        idx = np.minimum(((f - self.lo) / (self.hi - self.lo) * BINS).astype(np.int64), BINS - 1)
        self.counts += np.bincount(idx, minlength=BINS)
        self.total += float(f.sum())
        self.n += int(f.size)

    @property
    def width(self) -> float:
        return (self.hi - self.lo) / BINS

    def _at(self, j: int, cum: np.ndarray) -> float:
        """An estimate of the value at 0-based rank ``j`` of the sorted values (within
        the bin that holds it; -inf for the ranks of -inf values)."""
        if j < self.minus_inf:
            return float("-inf")
        j -= self.minus_inf
        b = min(int(np.searchsorted(cum, j, side="right")), BINS - 1)
        before = int(cum[b - 1]) if b else 0
        inside = max(int(self.counts[b]), 1)
        return float(self.lo + (b + (j - before + 0.5) / inside) * self.width)

    def quantile(self, q: float, method: str = "linear") -> float:
        """The q-quantile of every value added: ``linear`` (Hyndman & Fan type 7, numpy's
        default) or ``inverted_cdf`` (type 1), each within one bin width of the exact one."""
        n = self.n + self.minus_inf
        if n == 0:
            return float("nan")
        cum = np.cumsum(self.counts)
        if method == "inverted_cdf":
            return self._at(max(int(np.ceil(n * q)) - 1, 0), cum)
        rank = q * (n - 1)
        j = int(np.floor(rank))
        lo = self._at(j, cum)
        frac = rank - j
        if frac == 0.0 or not np.isfinite(lo):
            return lo
        return lo + frac * (self._at(j + 1, cum) - lo)

    def mean(self) -> float:
        return self.total / self.n if self.n else float("nan")


@dataclass
class Tails:
    """Sums and counts of an output over the draws in each input's lower and upper tail
    (the tornado bars of :mod:`.sensitivity`), and over all."""

    low_sum: FloatArray
    low_n: FloatArray
    high_sum: FloatArray
    high_n: FloatArray
    total: float = 0.0
    n: int = 0

    def means(self) -> tuple[FloatArray, FloatArray, float]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (
                self.low_sum / self.low_n,
                self.high_sum / self.high_n,
                self.total / self.n if self.n else float("nan"),
            )


class Folder:
    """Folds chunk results (in draw order) into a sweep's summaries.

    ``outputs(chunk)``: the scalar outputs the sensitivity analysis explains, per draw;
    ``active``: the input columns it ranks; ``keep``: also keep every chunk (for per-draw
    arrays and exact quantiles); ``sink``: called with each chunk (e.g. to write its rows).
    """

    def __init__(
        self,
        plan: SamplingPlan,
        models: Sequence[str],
        outputs: Outputs,
        active: Sequence[int],
        *,
        keep: bool,
        sink: Callable[[ChunkResult], None] | None = None,
        tail: float = 0.2,
    ) -> None:
        self.plan, self.models, self.outputs = plan, tuple(models), outputs
        self.active, self.keep, self.sink, self.tail = list(active), keep, sink, tail
        self.kept: list[ChunkResult] = []
        self.draws = 0
        self.deals = 0
        self.deals_induced: int | None = None
        self.tails: dict[str, Tails] = {}
        self.hist: dict[str, Histogram] = {}

    def _histogram(self, key: str, lo: float, hi: float) -> Histogram:
        if key not in self.hist:
            self.hist[key] = Histogram(lo, hi)
        return self.hist[key]

    def add(self, r: ChunkResult) -> None:
        if self.sink is not None:
            self.sink(r)
        if self.keep:
            self.kept.append(r)
        self.draws += len(r.deal)
        self.deals += int(r.deal.sum())
        if r.deal_induced is not None:
            self.deals_induced = (self.deals_induced or 0) + int(r.deal_induced.sum())
        u = r.u[:, self.active]
        lo, hi = u <= self.tail, u >= 1.0 - self.tail
        for key, y in self.outputs(r).items():
            y = np.asarray(y, dtype=float)
            ok = np.isfinite(y)
            yy = np.where(ok, y, 0.0)[:, None]
            t = self.tails.get(key)
            if t is None:
                d = len(self.active)
                t = self.tails[key] = Tails(np.zeros(d), np.zeros(d), np.zeros(d), np.zeros(d))
            t.low_sum += (lo * yy).sum(axis=0)
            t.low_n += (lo & ok[:, None]).sum(axis=0)
            t.high_sum += (hi * yy).sum(axis=0)
            t.high_n += (hi & ok[:, None]).sum(axis=0)
            t.total += float(yy.sum())
            t.n += int(ok.sum())
        if self.keep:
            return
        base = self.plan.base
        for m in self.models:
            for k, iss in enumerate(base.issue_ids):
                h = self._histogram(f"{m}.{iss}", base.lo[k], base.hi[k])
                h.add(r.outcomes[m][:, k])
        if not np.isnan(r.slack).all():
            self._histogram("slack", *SLACK_RANGE).add(r.slack)
        for key in ("escalation", "escalation_with_channels"):
            y = getattr(r, key)
            if y is not None:
                self._histogram(key, 0.0, 1.0).add(y)

    def tail_means(self) -> dict[str, tuple[FloatArray, FloatArray, float]]:
        return {k: t.means() for k, t in self.tails.items()}
