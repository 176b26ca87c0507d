"""How much a sweep computes: the Sobol' design within the draws, the draws within a time
budget.

**The draws bound the design.** The sensitivity design never costs more model evaluations
than the Monte Carlo draws: its base sample is the largest power of 2 ``n`` up to the
requested one (``--sobol``, default 256) with ``n (D + 2) <= draws`` for the D inputs that
change some output (Saltelli's design costs n (D + 2) evaluations; SALib and Sobol'
sequences want n a power of 2). Below n = 2 there is no design, and the result says how
many draws one would need. A sweep therefore costs at most twice its draws.

**A budget in seconds bounds the draws** (:func:`pilot`, :func:`affordable`). The first
draws of the sweep's first chunk are evaluated in this process, 1, 8, 64, ... of them,
until one evaluation takes a tenth of the budget (at most 1 s) or the whole chunk has been
evaluated (after a first draw that warms up imports and caches, and is the measurement
when it alone takes that long). When the draws that fit are exactly the pilot's, its
result is the sweep's and they are not evaluated again. Their cost per
draw, the number of workers and the fixed chunk size give how many draws fit in half of
what is left (all of it when no design could run); the draws are cut to that, in
whole chunks when more than one. After the draws, the design gets what is left at the
wall-clock rate the draws achieved, and never more evaluations than the draws. The budget
is an estimate, not a deadline: a sweep can overrun it by the error of the estimate, and
always runs at least one draw. Results then depend on the machine's speed; the result
records what ran (draws, base sample) so that ``--draws`` and ``--sobol`` reproduce it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backchannel.engine.batch import ChunkResult, ChunkTask, evaluate_chunk
from backchannel.engine.sampling import SamplingPlan, chunk_seeds

DESIGN_RULE = "the largest power of 2 n <= --sobol with n x (inputs + 2) <= the draws"


@dataclass(frozen=True)
class DesignSize:
    """The Sobol' design chosen for a sweep: base sample ``n_base`` (0: none) of the
    ``requested`` one for ``inputs`` active inputs within ``cap`` evaluations."""

    n_base: int
    requested: int
    inputs: int
    cap: int
    reason: str

    @property
    def evaluations(self) -> int:
        return self.n_base * (self.inputs + 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_base": self.n_base,
            "requested": self.requested,
            "inputs": self.inputs,
            "evaluations": self.evaluations,
            "cap": self.cap,
            "rule": DESIGN_RULE,
            "reason": self.reason,
        }


def design_size(requested: int | None, inputs: int, cap: int) -> DesignSize:
    """The largest power of 2 ``n <= requested`` with ``n (inputs + 2) <= cap``."""
    want = requested or 0
    if not want:
        return DesignSize(0, 0, inputs, cap, "no sensitivity analysis asked for (--sobol 0)")
    if not inputs:
        return DesignSize(
            0, want, 0, cap, "no uncertain input changes any output: no sensitivity analysis"
        )
    per = inputs + 2
    of = f"{inputs:,} input{'s' if inputs > 1 else ''} + 2"
    n = 1 << int(math.log2(want))
    while n >= 2 and n * per > cap:
        n //= 2
    if n < 2:
        return DesignSize(
            0,
            want,
            inputs,
            cap,
            f"no Sobol' design: the smallest one, 2 x ({of}) = {2 * per:,} "
            f"evaluations, costs more than the {cap:,} draws (ask for --draws {2 * per} or "
            "more)",
        )
    if n == want:
        why = f"--sobol {want} x ({of}) = {n * per:,} evaluations"
    else:
        why = (
            f"base sample {n} (not --sobol {want}): {n} x ({of}) = "
            f"{n * per:,} evaluations is the largest design"
        )
    return DesignSize(n, want, inputs, cap, f"{why}, within the {cap:,} draws")


def pilot(
    plan: SamplingPlan,
    models: Sequence[str],
    seed: int,
    rho: float,
    run_feasibility: bool,
    seconds: float,
    most: int,
) -> tuple[float, int, float, ChunkResult]:
    """(seconds per draw, draws, seconds, result) of the pilot evaluation (module
    docstring): the first draws of chunk 0, 8 times more each time, until one evaluation
    takes ``seconds`` or covers ``most`` draws. The first evaluation, of one draw, also
    warms up imports and caches; when it alone takes ``seconds`` it is the measurement
    (an overestimate, by its start-up)."""
    seq = chunk_seeds(seed, 1)[0]

    def run(size: int) -> tuple[float, ChunkResult]:
        t = time.perf_counter()
        res = evaluate_chunk(
            ChunkTask(
                index=0,
                plan=plan,
                models=tuple(models),
                seed=seq,
                size=size,
                rho=rho,
                run_feasibility=run_feasibility,
            )
        )
        return time.perf_counter() - t, res

    size = 1
    took, res = run(size)
    if took < seconds:
        while True:
            took, res = run(size)
            if took >= seconds or size >= most:
                break
            size = min(most, size * 8)
    return took / size, size, took, res


def affordable(seconds: float, per_draw: float, chunk: int, workers: int) -> int:
    """How many draws fit in ``seconds`` at ``per_draw`` seconds a draw on one worker,
    in chunks of ``chunk`` draws spread over ``workers`` (whole waves of chunks)."""
    if seconds <= 0.0 or per_draw <= 0.0:
        return 0 if seconds <= 0.0 else chunk * workers
    one_chunk = per_draw * chunk
    if seconds < one_chunk:
        return int(seconds / per_draw)
    return int(seconds / one_chunk) * workers * chunk


def fit_draws(
    plan: SamplingPlan,
    models: Sequence[str],
    seed: int,
    rho: float,
    run_feasibility: bool,
    draws: int,
    chunk: int,
    workers: int,
    seconds: float,
    want_design: bool,
) -> tuple[dict[str, Any], ChunkResult | None]:
    """The draws (at most ``draws``) that fit in ``seconds``, from a pilot (module
    docstring), and what the pilot measured: ``{"draws_requested", "draws", "pilot":
    {"draws", "seconds", "seconds_per_draw"}, "workers"}``; with it the pilot's result
    when it is exactly the sweep's (its draws are all the draws: chunk 0 of that size)."""
    start = time.perf_counter()
    per_draw, size, took, res = pilot(
        plan, models, seed, rho, run_feasibility, min(1.0, seconds / 10), chunk
    )
    left = seconds - (time.perf_counter() - start)
    fit = max(1, affordable(left / 2 if want_design else left, per_draw, chunk, workers))
    chosen = min(draws, fit)
    if chosen > chunk:
        chosen -= chosen % chunk
    spent = {
        "draws_requested": draws,
        "draws": chosen,
        "pilot": {"draws": size, "seconds": took, "seconds_per_draw": per_draw},
        "workers": workers,
    }
    return spent, res if chosen == size else None
