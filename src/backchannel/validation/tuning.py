"""The compromise model with its specification chosen inside nested cross-validation.

Model family (Achen 2006, eq. 10.1, with a convex shrinkage). For issue k::

    c_k(P, I)    = sum_i cap_ik(P, I) s_ik p_ik / sum_i cap_ik(P, I) s_ik   (compromise model)
    x_k(theta)   = (1 - a - b) c_k + a m_k(T) + b r_k

with the specification ``theta = (P, I, T, a, b)``:

* ``P`` power index giving the capabilities: ``shapley_shubik``, ``banzhaf`` or ``equal``
  (:func:`backchannel.data.capability.capabilities`);
* ``I`` treatment of the Commission's and the Parliament's weights: ``game`` (their index as
  veto players of the legislative game), ``member_mean`` (the mean index of a Council member
  in that game, for both), ``none`` (0: member states only);
* ``T`` shrinkage target: ``mean`` or ``salience_mean`` of the positions of every actor
  with a position (the baselines of :mod:`backchannel.validation.baselines`);
* ``a`` in {0, 0.1, ..., 1}: weight of the target; ``b`` in {0, 0.1, 0.2, 0.3}: weight of
  the reference point ``r_k`` (``rp``; where it is blank, ``r_k := c_k``, so ``b`` has no
  effect there); ``a + b <= 1``.

``c_k`` is computed by the registered ``compromise`` model through the backtest runner, so
``theta = (shapley_shubik, game, mean, 0, 0)`` is exactly the compromise model the backtest
scores.

Nested cross-validation (Varma & Simon 2006, "Bias in error estimation when using
cross-validation for model selection", BMC Bioinformatics 7:91; Cawley & Talbot 2010, JMLR
11): outer folds by proposal estimate the error; for each outer fold the specification is
chosen on that fold's training proposals only, as the candidate with the lowest training MAE
(the first in grid order on ties; the grid starts with the plain compromise model). The
candidates have no fitted parameters, so an inner cross-validation on the training part
would give every candidate exactly its training MAE: the choice is the same. The test
proposals of an outer fold never enter its choice (tested by poisoning their outcomes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from backchannel.data.capability import (
    POWER_INDICES,
    PowerIndex,
    capabilities,
    issue_periods,
)
from backchannel.data.deu import INSTITUTIONS, DeuData
from backchannel.scenario.arrays import FloatArray
from backchannel.validation.baselines import baseline_forecasts
from backchannel.validation.crossval import proposal_folds
from backchannel.validation.runner import run_models

Institutions = Literal["game", "member_mean", "none"]
Target = Literal["mean", "salience_mean"]
INSTITUTION_TREATMENTS: tuple[Institutions, ...] = ("game", "member_mean", "none")
TARGETS: tuple[Target, ...] = ("mean", "salience_mean")
TARGET_WEIGHTS: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))
RP_WEIGHTS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
NAME = "compromise_tuned_cv"


@dataclass(frozen=True)
class Spec:
    """One specification of the shrunk compromise model (see the module docstring)."""

    power: PowerIndex
    institutions: Institutions
    target: Target
    target_weight: float
    rp_weight: float

    def label(self) -> str:
        return (
            f"{self.power}/{self.institutions}/"
            f"{self.target_weight:g}*{self.target}+{self.rp_weight:g}*rp"
        )

    def to_dict(self) -> dict[str, str | float]:
        return {
            "power": self.power,
            "institutions": self.institutions,
            "target": self.target,
            "target_weight": self.target_weight,
            "rp_weight": self.rp_weight,
        }


def grid() -> tuple[Spec, ...]:
    """Every specification, the plain compromise model first; a target weight of 0 is
    listed once (with target ``mean``) since the target then has no effect."""
    out: list[Spec] = []
    for p in POWER_INDICES:
        for inst in INSTITUTION_TREATMENTS:
            for a in TARGET_WEIGHTS:
                for t in TARGETS if a > 0 else TARGETS[:1]:
                    for b in RP_WEIGHTS:
                        if a + b <= 1.0 + 1e-9:
                            out.append(Spec(p, inst, t, a, b))
    return tuple(out)


def institution_weights(cap: FloatArray, data: DeuData, how: Institutions) -> FloatArray:
    """Capabilities with the Commission's and Parliament's rows replaced per ``how``."""
    if how == "game":
        return cap
    out = cap.copy()
    rows = [data.actors.index(a) for a in INSTITUTIONS if a in data.actors]
    if how == "none":
        out[rows] = 0.0
        return out
    n_members = np.array([len(p.members) for p in issue_periods(data)], dtype=float)
    members_total = cap.sum(axis=0) - cap[rows].sum(axis=0)
    out[rows] = members_total / n_members
    return out


def compromise_variants(data: DeuData) -> dict[tuple[PowerIndex, Institutions], FloatArray]:
    """The registered compromise model's forecast (all issues of ``data``) for every power
    index and treatment of the institutions."""
    out: dict[tuple[PowerIndex, Institutions], FloatArray] = {}
    for p in POWER_INDICES:
        cap = capabilities(data, p)
        for inst in INSTITUTION_TREATMENTS:
            run = run_models(data, institution_weights(cap, data, inst), ["compromise"])
            out[(p, inst)] = run["compromise"].forecast
    return out


def candidate_forecasts(
    data: DeuData,
    specs: Sequence[Spec] | None = None,
) -> tuple[tuple[Spec, ...], FloatArray]:
    """(C specifications, K issues) forecasts of every specification on every issue."""
    specs = grid() if specs is None else tuple(specs)
    comp = compromise_variants(data)
    base = baseline_forecasts(data)
    f = np.empty((len(specs), data.n_issues))
    for i, s in enumerate(specs):
        c = comp[(s.power, s.institutions)]
        r = np.where(np.isfinite(data.reference), data.reference, c)
        f[i] = (
            (1.0 - s.target_weight - s.rp_weight) * c
            + s.target_weight * base[s.target]
            + s.rp_weight * r
        )
    return specs, f


def select_per_fold(
    candidates: FloatArray,
    y: FloatArray,
    fold: NDArray[np.int64],
    k: int,
) -> NDArray[np.int64]:
    """Index of the candidate with the lowest MAE on the training issues of each fold
    (``fold != j``); the outcomes of fold j's own issues are never read for fold j."""
    err = np.abs(candidates - y[None, :])  # (C, n)
    test = fold[:, None] == np.arange(k)[None, :]  # (n, k)
    train = (~test).astype(float)
    mae = (err @ train) / np.maximum(train.sum(axis=0), 1.0)  # (C, k)
    return np.asarray(np.argmin(mae, axis=0), dtype=np.int64)


@dataclass(frozen=True)
class NestedCV:
    """Out-of-fold forecasts of the tuned model and the specification chosen per fold."""

    specs: tuple[Spec, ...]
    k: int
    seeds: tuple[int, ...]
    oof: FloatArray  # (R repeats, n issues)
    selected: NDArray[np.int64]  # (R, k) index into specs
    folds: NDArray[np.int64]  # (R, n)
    full_selected: int  # chosen on all issues: for inspection only, never scored

    def selection_counts(self) -> dict[str, dict[str, int]]:
        """How often each value of each parameter was chosen over all folds and repeats."""
        out: dict[str, dict[str, int]] = {}
        for idx in self.selected.ravel():
            for key, v in self.specs[int(idx)].to_dict().items():
                d = out.setdefault(key, {})
                d[str(v)] = d.get(str(v), 0) + 1
        return {k: dict(sorted(v.items())) for k, v in out.items()}


def nested_cross_validate(
    specs: Sequence[Spec],
    candidates: FloatArray,
    y: FloatArray,
    group: NDArray[np.int64],
    k: int = 10,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
) -> NestedCV:
    """Outer ``k``-fold CV by proposal (repeated over ``seeds``, same folds as the stack's
    :func:`~backchannel.validation.crossval.proposal_folds`) of the specification chosen on
    each fold's training part. ``candidates`` (C, n) must be finite."""
    if not np.isfinite(candidates).all() or not np.isfinite(y).all():
        raise ValueError("candidate forecasts and outcomes must be finite")
    k = max(2, min(k, np.unique(group).size))
    oof = np.empty((len(seeds), y.size))
    sel = np.empty((len(seeds), k), dtype=np.int64)
    folds = np.empty((len(seeds), y.size), dtype=np.int64)
    cols = np.arange(y.size)
    for r, seed in enumerate(seeds):
        fold = proposal_folds(group, k, seed)
        folds[r] = fold
        sel[r] = select_per_fold(candidates, y, fold, k)
        oof[r] = candidates[sel[r][fold], cols]
    full = int(np.argmin(np.abs(candidates - y[None, :]).mean(axis=1)))
    return NestedCV(
        specs=tuple(specs),
        k=k,
        seeds=tuple(seeds),
        oof=oof,
        selected=sel,
        folds=folds,
        full_selected=full,
    )
