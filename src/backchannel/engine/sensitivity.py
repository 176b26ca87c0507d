"""Variance-based sensitivity of a sweep's outputs to its uncertain inputs.

Method: Sobol' first-order (S1) and total (ST) indices (Sobol' 2001, *Math. Comput.
Simul.* 55, eqs. 7-8) estimated by ``scipy.stats.sobol_indices`` from a Saltelli design
(Saltelli et al. 2010, *Comput. Phys. Commun.* 181, Table 2: the S1 estimator of eq. (b)
and Jansen's ST estimator of eq. (f)), with ``n_base`` * (D + 2) model evaluations for D
inputs and 95% bootstrap half-widths (1.96 x the bootstrap standard error). The design is a
scrambled Sobol' sequence in the unit cube, mapped onto the inputs by the same truncated
inverse CDFs as the Monte Carlo draws (:meth:`SamplingPlan.transform`). Sobol' indices
assume independent inputs, so the design ignores any ``--correlation``.

Only inputs that change some output are in the design (``SamplingPlan.active``): the
arrays feasibility and the forecasts read, the inducements (for ``deal_with_inducements``)
and the escalation terms and channels (for ``escalation``/``escalation_with_channels``);
any other input's indices would be exactly 0. For the indicator outputs (``deal``) the
indices split the variance p (1 - p) of the verdict.

Tornado data: besides S1/ST, each input gets ``low`` and ``high``, the mean of the output
over the Monte Carlo draws in which the input lies in its bottom / top ``tail`` (20%) of
its distribution (conditional expectations; for ``deal`` these are conditional
probabilities of a deal), and ``base``, the output's mean over all draws.

``SensitivityResult.to_dict()`` shape (the report's tornado chart reads this)::

    {"method": str, "n_base": int, "evaluations": int, "seed": int, "tail": 0.2,
     "inputs": [name, ...],
     "outputs": {
        "<output>": {                 # "deal", "slack", "<model>.<issue>"
          "label": str, "base": float, "variance": float, "constant": bool,
          "ranking": [                # sorted by ST, largest first
            {"input": name, "S1": f, "S1_conf": f, "ST": f, "ST_conf": f,
             "low": f, "high": f}, ...]}}}

:func:`tornado_figure` draws it with plotly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backchannel.scenario.arrays import FloatArray

METHOD = (
    "Sobol' S1/ST (Saltelli 2010 estimators, scipy.stats.sobol_indices) on a scrambled "
    "Sobol' design"
)
Z95 = 1.959963984540054  # 95% normal quantile: the *_conf half-widths


@dataclass(frozen=True)
class OutputSensitivity:
    """Indices of one output over the design's inputs (arrays of shape (D,))."""

    output: str
    label: str
    inputs: tuple[str, ...]
    s1: FloatArray
    s1_conf: FloatArray
    st: FloatArray
    st_conf: FloatArray
    low: FloatArray
    high: FloatArray
    base: float
    variance: float

    @property
    def constant(self) -> bool:
        return self.variance <= 0.0

    def order(self) -> list[int]:
        """Input indices ranked by total index, then first-order, then tornado width."""
        width = np.nan_to_num(np.abs(self.high - self.low))
        keys = [
            (-_num(self.st[i]), -_num(self.s1[i]), -width[i], i) for i in range(len(self.inputs))
        ]
        return [k[-1] for k in sorted(keys)]

    def ranking(self) -> list[dict[str, Any]]:
        return [
            {
                "input": self.inputs[i],
                "S1": _num(self.s1[i]),
                "S1_conf": _num(self.s1_conf[i]),
                "ST": _num(self.st[i]),
                "ST_conf": _num(self.st_conf[i]),
                "low": _num(self.low[i]),
                "high": _num(self.high[i]),
            }
            for i in self.order()
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "base": _num(self.base),
            "variance": _num(self.variance),
            "constant": self.constant,
            "ranking": self.ranking(),
        }


@dataclass(frozen=True)
class SensitivityResult:
    """Sobol' indices and tornado data per output."""

    method: str
    n_base: int
    evaluations: int
    seed: int
    tail: float
    inputs: tuple[str, ...]
    outputs: Mapping[str, OutputSensitivity]

    def top(self, output: str = "deal", n: int = 5) -> list[dict[str, Any]]:
        return self.outputs[output].ranking()[:n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "n_base": self.n_base,
            "evaluations": self.evaluations,
            "seed": self.seed,
            "tail": self.tail,
            "inputs": list(self.inputs),
            "outputs": {k: v.to_dict() for k, v in self.outputs.items()},
        }


def _num(x: float | np.floating[Any]) -> float:
    v = float(x)
    return v if math.isfinite(v) else 0.0


def sobol_design(names: Sequence[str], n_base: int, seed: int) -> FloatArray:
    """Saltelli design (n_base * (D + 2), D) in the unit cube: base point j gives the rows
    A_j, AB_j^(1), ..., AB_j^(D), B_j, where A and B are the two halves of a scrambled
    Sobol' sequence in 2D dimensions (``scipy.stats.qmc.Sobol``, seeded) and AB^(i) is A
    with column i from B (Saltelli et al. 2010, sec. 5; the layout SALib used)."""
    from scipy.stats import qmc

    if n_base < 2 or n_base & (n_base - 1):
        raise ValueError(f"n_base must be a power of 2 (>= 2), got {n_base}")
    d = len(names)
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n_base)
    a, b = base[:, :d], base[:, d:]
    out = np.repeat(a[:, None, :], d + 2, axis=1)  # (n_base, D + 2, D)
    idx = np.arange(d)
    out[:, 1 + idx, idx] = b
    out[:, -1] = b
    return np.asarray(out.reshape(-1, d), dtype=float)


def _split(y: FloatArray, d: int) -> dict[str, FloatArray]:
    """f_A (s, n), f_B (s, n), f_AB (d, s, n) from outputs (s, n * (d + 2)) on the design."""
    s = y.shape[0]
    blocks = y.reshape(s, -1, d + 2)
    return {
        "f_A": blocks[:, :, 0],
        "f_B": blocks[:, :, -1],
        "f_AB": np.moveaxis(blocks[:, :, 1:-1], -1, 0),
    }


def sobol_indices(
    names: Sequence[str], y: FloatArray, seed: int, num_resamples: int = 100
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(S1, S1_conf, ST, ST_conf) of outputs ``y`` evaluated on :func:`sobol_design`:
    ``y`` of shape (rows,) gives arrays of shape (D,), ``y`` of shape (s, rows) arrays of
    shape (s, D). The indices are ``scipy.stats.sobol_indices`` (Saltelli 2010 S1, Jansen
    ST) on the design's pre-evaluated outputs; ``*_conf`` is 1.96 times their bootstrap
    standard error over the base points (``scipy.stats.bootstrap``, ``num_resamples``
    resamples, seeded from ``seed``). A constant or non-finite output gets zeros."""
    from scipy.stats import bootstrap
    from scipy.stats import sobol_indices as scipy_sobol

    d = len(names)
    yy = np.atleast_2d(np.asarray(y, dtype=float))
    s1 = np.zeros((yy.shape[0], d))
    s1c, st, stc = s1.copy(), s1.copy(), s1.copy()
    live = np.all(np.isfinite(yy), axis=1) & (np.var(yy, axis=1) > 0.0)
    if live.any():
        # at least two outputs: scipy squeezes one output of one input to a scalar
        rows = yy[live] if live.sum() > 1 else np.repeat(yy[live], 2, axis=0)
        parts = _split(rows, d)
        shape = (len(rows), d)
        n = parts["f_A"].shape[1]

        def indices(idx: Any) -> FloatArray:
            res = scipy_sobol(func={k: v[..., idx] for k, v in parts.items()}, n=n)
            both = [np.reshape(res.first_order, shape), np.reshape(res.total_order, shape)]
            return np.stack(both)[:, : int(live.sum())]

        est = indices(np.arange(n))
        boot = bootstrap(
            (np.arange(n),),
            indices,
            n_resamples=num_resamples,
            method="percentile",
            vectorized=False,
            rng=np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,))),
        )
        se = np.asarray(boot.standard_error)
        s1[live], st[live] = est[0], est[1]
        s1c[live], stc[live] = Z95 * se[0], Z95 * se[1]
    if np.ndim(y) == 1:
        return s1[0], s1c[0], st[0], stc[0]
    return s1, s1c, st, stc


def analyse(
    names: Sequence[str],
    design_outputs: Mapping[str, FloatArray],
    tails: Mapping[str, tuple[FloatArray, FloatArray, float]],
    labels: Mapping[str, str],
    *,
    n_base: int,
    seed: int,
    tail: float = 0.2,
) -> SensitivityResult:
    """Sobol' indices of each output on the design, tornado bars from the MC draws.

    ``tails[output]``: its mean over the MC draws in each input's lower and upper tail
    (of ``tail``, folded chunk by chunk in :mod:`.stream`) and over
    every draw where it is finite.
    """
    outs: dict[str, OutputSensitivity] = {}
    keys = list(design_outputs)
    evaluations = len(design_outputs[keys[0]]) if keys else 0
    ys = np.array([np.asarray(design_outputs[k], dtype=float) for k in keys]).reshape(
        len(keys), evaluations
    )
    s1s, s1cs, sts, stcs = sobol_indices(names, ys, seed)
    for i, key in enumerate(keys):
        y = ys[i]
        s1, s1c, st, stc = s1s[i], s1cs[i], sts[i], stcs[i]
        low, high, base = tails[key]
        outs[key] = OutputSensitivity(
            output=key,
            label=labels.get(key, key),
            inputs=tuple(names),
            s1=s1,
            s1_conf=s1c,
            st=st,
            st_conf=stc,
            low=low,
            high=high,
            base=float(base),
            variance=float(np.var(y)) if np.all(np.isfinite(y)) else 0.0,
        )
    return SensitivityResult(
        method=METHOD,
        n_base=n_base,
        evaluations=evaluations,
        seed=seed,
        tail=tail,
        inputs=tuple(names),
        outputs=outs,
    )


def tornado_figure(
    result: SensitivityResult | Mapping[str, Any], output: str = "deal", top: int = 10
) -> Any:
    """A plotly tornado chart of ``output``: per input (ranked by ST) a bar from ``low`` to
    ``high`` around ``base``, annotated with S1/ST. Accepts a result or its ``to_dict()``."""
    import plotly.graph_objects as go

    data = result.to_dict() if isinstance(result, SensitivityResult) else dict(result)
    out = data["outputs"][output]
    rows = list(reversed(out["ranking"][:top]))
    base = out["base"]
    names = [r["input"] for r in rows]
    fig = go.Figure()
    for side, word, colour in (("low", "lowest", "#4c78a8"), ("high", "highest", "#f58518")):
        fig.add_bar(
            y=names,
            x=[r[side] - base for r in rows],
            base=base,
            orientation="h",
            name=f"input in its {word} {int(100 * data['tail'])}%",
            marker_color=colour,
            customdata=[[r["S1"], r["ST"]] for r in rows],
            hovertemplate="%{y}<br>mean %{x:.3f}<br>S1 %{customdata[0]:.2f}"
            " ST %{customdata[1]:.2f}<extra></extra>",
        )
    fig.add_vline(x=base, line_dash="dot")
    fig.update_layout(
        barmode="overlay",
        title=f"Sensitivity of {out['label']}",
        xaxis_title=out["label"],
        yaxis_title=None,
        template="plotly_white",
    )
    return fig
