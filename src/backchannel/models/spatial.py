"""KTAB-style spatial model of politics (SMP): challenges, bargains and votes over bargains.

Sources: Wise, Lester & Efird 2015, "An introduction to the KAPSARC Toolkit for Behavioral
Analysis (KTAB) using one-dimensional spatial models", KAPSARC discussion paper
KS-1516-DP09A; Efird, Lester & Wise 2016, *Journal of East Asian Studies* 16: 117-145 (the China SOE
reform application; vector SMP with the "BCN" bargaining turn).
Building blocks are in :mod:`spatial_core`. The papers were not at hand when this was written,
so formulas are referenced by KTAB's function names (source read: github lsyaseen/KTAB,
``examples/smp/libsrc/smp.cpp``, ``smpbcn.cpp``, ``KTAB/kmodel/libsrc/kmodel.cpp``), not by
equation numbers.

Inputs: ``position`` (N, K) on each issue's scale ``lo``..``hi`` (rescaled to 0-1);
``salience`` (N, K) on 0-100, read as fractions of attention (a row summing to more than 100
is scaled to sum to 100); ``capability`` (N, K), reduced to one capability per actor (its
salience-weighted mean over issues). The actors' current positions are their ideals
(KTAB's identity "accommodation": ideals follow positions).

One turn, with the settings of the KTAB reference run (Linear victory probabilities,
proportional voting, Conditional probability of prevailing, deterministic transitions,
risk range "Mid", risk adjustment "One third", semi-committed third parties, S2P2 bargains,
initiator-only bargains):

1. Utility of position j to actor i: ``u = (1 - d)(1 + d r_i)`` with the salience-weighted
   distance d (``bsUtil``, ``bvDiff``). Risk attitudes r come from each position's
   probability of prevailing among all positions (``setAllAUtil``, ``bigRfromProb``); h's
   estimate of i's attitude is ``(2 r_h + r_i) / 3``.
2. Each actor i values a challenge to each j: the chance ``P[i > j]`` from the principals'
   and third parties' coalitions (each third party n votes on the contest assuming the
   other principal's coalition without n), and the expected gain
   ``(1 - s_j) U(i wins) + s_j (P U(i wins) + (1 - P) U(j wins)) - U(status quo)``, where
   ``s_j`` is j's total salience (its resolve). i targets the j with the largest gain above
   1e-5 and proposes a bargain: on each dimension both move to
   ``(w_i t_i + w_j t_j) / (w_i + w_j)`` with ``w = salience^2 P^2`` (rounded to 1e-4).
3. For each actor k, all actors vote (weight = capability) over k's options: its status
   quo and every bargain in which k is initiator or target; an option's value to a voter is
   its mean utility over all positions after the bargain. k adopts its side of the most
   likely option.
4. Stop after at least ``min_turns`` turns when the total movement of a turn falls below
   ``min_delta_ratio`` of the first turn's (plus 1e-4), or after ``max_turns``.

The forecast outcome is the expected position: distinct positions weighted by their final
probability of prevailing.

Two modes. ``ktab_exact=True`` follows KTAB to the letter: actors in input order (ties of
targets, of options, and which of several positions closer than posTol stands for them go
to the lowest index), absolute floors on coalitions and capabilities, exact comparisons and
rounding; it reproduces every printed number of the reference run. The default makes the
outcome independent of the order of the actors, of the unit of capability and of the
issue scale: actors run in a canonical order, capabilities are divided by their mean, and
values equal in exact arithmetic are compared with small tolerances (constants below;
docs/decisions.md, spatial item 10). It reproduces the reference
run's positions, targets and stopping turn, and its probabilities except in states where two
actors hold distinct positions closer than posTol.

Vectorised over actor pairs and third parties (O(N^3) per turn, chunked to bound memory);
the per-actor vote over its few options is a loop over actors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backchannel.models.base import ModelOutput, ModelSpec, register
from backchannel.models.spatial_core import (
    MIN_CHALLENGE,
    PCEModel,
    big_r_from_prob,
    interpolate_bargain,
    risk_utility,
    salience_distance,
    scalar_pce,
    unique_positions,
)
from backchannel.scenario.arrays import FloatArray

IntArray = NDArray[np.int64]
MIN_GAIN = 1e-5  # smallest expected gain that makes a challenge worth making
POS_TOL = 1e-3  # positions closer than this (0-1 scale) are the same position
# Default (order- and unit-free) rules; ``ktab_exact=True`` uses KTAB's, i.e. all zero:
GAIN_TIE = 1e-10  # expected gains this close to the best are tied (first wins)
PROB_TIE = 1e-10  # option probabilities this close to the best are tied
ROUND_BIAS = 1e-6  # added (in units of 1e-4) before rounding bargains half up
POS_MARGIN = 1e-9  # distances within this of POS_TOL count as distinct positions
RISK_TOL = 1e-12  # probabilities spanning no more than this: all risk neutral
UTIL_TIE = 1e-12  # utility differences no larger than this cast no vote
_MAX_CELLS = 160_000  # (challenger, target, third party) cells per chunk: cache-sized


@dataclass(frozen=True)
class Assessment:
    """What every actor knows about a state: salience-weighted distances from ideals (=
    positions) to positions (N, N), risk attitudes (N,), true utilities (N, N) and each
    actor's position's probability of prevailing (N,)."""

    dist: FloatArray
    risk: FloatArray
    util: FloatArray
    prob: FloatArray
    leaders: NDArray[np.intp]
    """Actors whose positions stand for the distinct positions (M,)."""
    prob_leaders: FloatArray
    """Probability that each distinct position prevails (M,), summing to one."""


def assess(
    pos: FloatArray,
    sal: FloatArray,
    cap: FloatArray,
    pce: PCEModel = "conditional",
    ktab_exact: bool = False,
) -> Assessment:
    """Risk attitudes from each position's probability of prevailing with risk-neutral
    utilities ``1 - d`` (KTAB ``setAllAUtil``), then the probability that each distinct
    position prevails with risk-aware utilities (actors sharing a position share its
    probability). ``ktab_exact``: KTAB's exact comparisons instead of the tolerances
    ``UTIL_TIE``, ``RISK_TOL`` and ``POS_MARGIN``."""
    tie = 0.0 if ktab_exact else UTIL_TIE
    dist = salience_distance(pos, pos, sal)
    r = big_r_from_prob(
        scalar_pce(cap, 1.0 - dist, pce, tie), "mid", 0.0 if ktab_exact else RISK_TOL
    )
    util = risk_utility(dist, r[:, None])
    leaders, eq = unique_positions(pos, POS_TOL if ktab_exact else POS_TOL - POS_MARGIN)
    p = scalar_pce(cap, util[:, leaders], pce, tie)
    return Assessment(dist, r, util, p[eq], leaders, p)


def challenge_values(
    dist: FloatArray,
    r: FloatArray,
    s: FloatArray,
    cap: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Each actor i's own estimate of the expected gain from challenging each j and of
    ``P[i > j]``: (N, N) arrays, gain -inf on the diagonal. ``dist`` (N, N) salience-weighted
    distances from ideals to positions, ``r`` risk attitudes, ``s`` total salience,
    ``cap`` capability. Evaluated in cache-sized blocks of (challengers, targets)."""
    n = len(r)
    gain = np.empty((n, n))
    prob = np.empty((n, n))
    if n * n <= _MAX_CELLS:
        bi, bj = max(1, _MAX_CELLS // (n * n)), n
    else:
        bi, bj = 1, max(1, _MAX_CELLS // n)
    # u^h[n, j] splits into a part common to all estimators h and one scaled by r_h
    d = np.minimum(dist, 1.0).T  # [j, n] = dist[n, j]
    split = ((1.0 - d) * (1.0 + d * (r[None, :] / 3.0)), (1.0 - d) * d)
    for i0 in range(0, n, bi):
        ii = np.arange(i0, min(n, i0 + bi))
        for j0 in range(0, n, bj):
            jj = np.arange(j0, min(n, j0 + bj))
            g, p = _challenge_block(dist, r, s, cap, ii, jj, split)
            gain[np.ix_(ii, jj)] = g
            prob[np.ix_(ii, jj)] = p
    return gain, prob


def _challenge_block(
    dist: FloatArray,
    r: FloatArray,
    s: FloatArray,
    cap: FloatArray,
    ii: IntArray,
    jj: IntArray,
    split: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    wt = s * cap
    rows, cols = np.arange(len(ii)), np.arange(len(jj))
    r_hi = (2.0 * r[ii, None] + r[None, :]) / 3.0  # (b, N): h = i's estimate of each r
    # h's estimates u^h[a, pos] = risk_utility(dist[a, pos], r_hi[a]), as needed:
    uii = risk_utility(dist[ii, ii], r_hi[rows, ii])[:, None]  # (b, 1)
    uij = risk_utility(dist[np.ix_(ii, jj)], r_hi[rows, ii][:, None])  # (b, J)
    uni = risk_utility(dist[:, ii].T, r_hi)  # (b, N): u^h[n, i]
    unn = risk_utility(np.diagonal(dist)[None, :], r_hi)  # (b, N): u^h[n, n]
    uji, ujj = uni[:, jj], unn[:, jj]
    ci = wt[ii, None] * (uii - uij)
    cj = wt[None, jj] * (uji - ujj)
    ch_ij = MIN_CHALLENGE + np.maximum(ci, 0) + np.maximum(cj, 0)
    ch_ji = MIN_CHALLENGE + np.maximum(-ci, 0) + np.maximum(-cj, 0)
    # third parties n, axes (b, J, N). n's vote in (i:j) given the principals' coalitions:
    # P[i > j | n] = (ch_ij + max(v, 0)) / (ch_ij + ch_ji + |v|), v = w_n (u_ni - u_nj),
    # then its semi-committed vote w_n (P (u_nn - u_ni) + (1 - P)(u_nj - u_nn)).
    # [t, j, n] = u^h[n, j] = (1 - d)(1 + d r_n / 3) + (2 r_i / 3)(1 - d) d, d = dist[n, j]
    unj = np.multiply(split[1][jj][None, :, :], (2.0 * r[ii] / 3.0)[:, None, None])
    unj += split[0][jj][None, :, :]
    v = np.subtract(uni[:, None, :], unj)
    v *= wt
    den = np.abs(v)
    den += (ch_ij + ch_ji)[:, :, None]
    pin = np.maximum(v, 0.0, out=v)
    pin += ch_ij[:, :, None]
    pin /= den
    vk = np.subtract((2 * unn - uni)[:, None, :], unj, out=den)
    vk *= pin
    vk += unj
    vk -= unn[:, None, :]
    vk *= wt
    tot, tot_abs = vk.sum(axis=2), np.abs(vk).sum(axis=2)
    # remove the principals themselves (n = i and n = j) from the third-party sums
    for own in (vk[rows, :, ii], vk[:, cols, jj]):
        tot = tot - own
        tot_abs = tot_abs - np.abs(own)
    ch_ij = ch_ij + np.maximum((tot_abs + tot) / 2, 0.0)
    ch_ji = ch_ji + np.maximum((tot_abs - tot) / 2, 0.0)
    p = ch_ij / (ch_ij + ch_ji)
    win, lose = 2 * uii, 2 * uij
    sj = s[None, jj]
    g = (1 - sj) * win + sj * (p * win + (1 - p) * lose) - (uii + uij)
    g[ii[:, None] == jj[None, :]] = -np.inf
    return g, p


def first_best(values: FloatArray, tie: float) -> NDArray[np.intp]:
    """Per row, the first column whose value is within ``tie`` of the row's maximum (``tie``
    = 0: ``argmax``, KTAB's first strict maximum)."""
    best = values.max(axis=-1, keepdims=True)
    return np.argmax(values >= best - tie, axis=-1).astype(np.intp)


def bargain_turn(
    pos: FloatArray,
    sal: FloatArray,
    cap: FloatArray,
    state: Assessment | None = None,
    pce: PCEModel = "conditional",
    ktab_exact: bool = False,
) -> tuple[FloatArray, dict[str, Any]]:
    """One BCN turn (challenge, bargain, vote over bargains) from positions ``pos`` (N, K) on
    0-1; returns the new positions and the turn's risk attitudes, probabilities of each
    position prevailing, targets (-1: none) and chosen option per actor (-1: status quo).
    Ties (of expected gains, of options' probabilities) go to the lowest index; by default
    values within ``GAIN_TIE`` / ``PROB_TIE`` of the best are ties and bargains are rounded
    with ``ROUND_BIAS``, so that float noise cannot decide; ``ktab_exact`` uses KTAB's exact
    comparisons and rounding."""
    n = len(pos)
    s = sal.sum(axis=1)
    state = state if state is not None else assess(pos, sal, cap, pce, ktab_exact)
    dist, r, own = state.dist, state.risk, state.util  # own[a, n]: u_a(position n)
    gain, prob = challenge_values(dist, r, s, cap)
    ok = gain > MIN_GAIN
    best = first_best(np.where(ok, gain, -np.inf), 0.0 if ktab_exact else GAIN_TIE)
    target = np.where(ok.any(axis=1), best, -1)
    init = np.flatnonzero(target >= 0)
    rcvr = target[init]
    p_i = prob[init, rcvr]
    b_i, b_j = interpolate_bargain(
        pos[init], sal[init], p_i, pos[rcvr], sal[rcvr], 1 - p_i, 0.0 if ktab_exact else ROUND_BIAS
    )
    total = own.sum(axis=1)  # (N,)
    pu_i = risk_utility(salience_distance(pos, b_i, sal), r[:, None])  # (N, B)
    pu_j = risk_utility(salience_distance(pos, b_j, sal), r[:, None])
    u_brg = (total[:, None] - own[:, init] - own[:, rcvr] + pu_i + pu_j) / n
    u_sq = total / n
    new = pos.copy()
    chosen = np.full(n, -1)
    for k in np.unique(np.concatenate([init, rcvr])):  # actors with options beyond the SQ
        mine = np.concatenate([np.flatnonzero(init == k), np.flatnonzero(rcvr == k)])
        u = np.column_stack([u_sq, u_brg[:, mine]])
        pk = scalar_pce(cap, u, pce, 0.0 if ktab_exact else UTIL_TIE)
        pick = int(first_best(pk, 0.0 if ktab_exact else PROB_TIE))
        if pick > 0:
            m = mine[pick - 1]
            chosen[k] = m
            new[k] = b_i[m] if init[m] == k else b_j[m]
    return new, {"risk": r, "target": target, "chosen": chosen}


def ktab_inputs(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    ktab_exact: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Positions on 0-1, saliences as fractions (rows summing to at most 1, never all zero)
    and one capability per actor, as the KTAB SMP takes them. Capabilities are floored at
    1e-12 (``ktab_exact``) or at 1e-12 of the largest (default, so that the floor scales
    with the capabilities; all-zero capabilities become equal)."""
    span = np.where(hi > lo, hi - lo, 1.0)
    pos = np.clip((np.asarray(position, dtype=float) - lo) / span, 0.0, 1.0)
    sal = np.asarray(salience, dtype=float) / 100.0
    rows = sal.sum(axis=1, keepdims=True)
    sal = np.where(rows > 1.0, sal / np.where(rows > 0, rows, 1.0), sal)
    sal = np.where(rows <= 0, 1e-9, sal)
    capm = np.broadcast_to(np.asarray(capability, dtype=float), sal.shape)
    wsum = sal.sum(axis=1)
    # salience-weighted mean, written so that a capability equal on all issues is kept exactly
    c0 = capm[:, 0]
    cap = c0 + np.where(
        wsum > 0,
        (sal * (capm - c0[:, None])).sum(axis=1) / np.where(wsum > 0, wsum, 1.0),
        (capm - c0[:, None]).mean(axis=1),
    )
    if ktab_exact:
        return pos, sal, np.maximum(cap, 1e-12)
    top = cap.max(initial=0.0)
    return pos, sal, (np.maximum(cap, 1e-12 * top) if top > 0 else np.ones_like(cap))


def canonical_order(pos: FloatArray, sal: FloatArray, cap: FloatArray) -> NDArray[np.intp]:
    """An order of the actors that depends only on their attributes, not on their input
    order: by position (dimension 1 first, rounded to 1e-9 so that float noise of a unit
    change cannot swap equal positions), then salience, then capability. Actors equal in all
    of these are interchangeable."""
    keys = [cap, *sal.T[::-1], *np.round(pos, 9).T[::-1]]  # np.lexsort: last key first
    return np.lexsort(keys).astype(np.intp)


def smp_run(
    pos: FloatArray,
    sal: FloatArray,
    cap: FloatArray,
    *,
    max_turns: int = 100,
    min_turns: int = 2,
    min_delta_ratio: float = 0.02,
    pce: PCEModel = "conditional",
    ktab_exact: bool = False,
) -> tuple[FloatArray, FloatArray, dict[str, Any]]:
    """Turns from positions on 0-1 until the stopping rule; returns positions per turn
    (T+1, N, K), probabilities of prevailing per turn (T+1, N) and the turn records,
    including ``outcome`` (K,): the distinct final positions weighted by their probability of
    prevailing.

    By default the run is independent of the order of the actors and of the unit of
    capability: the actors are processed in :func:`canonical_order` (so ties between targets,
    between options and between nearby positions go to the same actor whatever the input
    order; results are returned in input order), capabilities are divided by their mean
    (so the coalition floors are relative to it), and near-ties are resolved with the
    tolerances of :func:`bargain_turn` and :func:`assess`. ``ktab_exact=True`` runs in input
    order with KTAB's absolute floors, exact comparisons and rounding, as KTAB does."""
    n = len(pos)
    if ktab_exact:
        order = np.arange(n, dtype=np.intp)
    else:
        order = canonical_order(pos, sal, cap)
        pos, sal, cap = pos[order], sal[order], cap[order]
        mean = cap.mean()
        cap = cap / mean if mean > 0 else np.ones_like(cap)
    history = [pos]
    state = assess(pos, sal, cap, pce, ktab_exact)
    probs = [state.prob]
    risks: list[FloatArray] = []
    targets: list[IntArray] = []
    stopped = "max_turns"
    first_move = 0.0
    for turn in range(1, max_turns + 1):
        new, info = bargain_turn(history[-1], sal, cap, state, pce, ktab_exact)
        move = float(np.sqrt(((new - history[-1]) ** 2).sum(axis=1)).sum())
        if turn == 1:
            first_move = move + 1e-4
        history.append(new)
        state = assess(new, sal, cap, pce, ktab_exact)
        probs.append(state.prob)
        risks.append(info["risk"])
        targets.append(info["target"])
        if turn >= min_turns and move / first_move < min_delta_ratio:
            stopped = "converged"
            break
    p_lead = state.prob_leaders / state.prob_leaders.sum()
    outcome = (p_lead[:, None] * history[-1][state.leaders]).sum(axis=0)
    inv = np.argsort(order)
    tgt = np.stack(targets) if targets else np.zeros((0, n), dtype=np.intp)
    tgt = np.where(tgt >= 0, order[np.maximum(tgt, 0)], -1)
    return (
        np.stack(history)[:, inv],
        np.stack(probs)[:, inv],
        {
            "risk_by_turn": (np.stack(risks) if risks else np.zeros((0, n)))[:, inv],
            "target_by_turn": tgt[:, inv],
            "stopped": stopped,
            "outcome": outcome,
        },
    )


def spatial_model(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    max_turns: int = 100,
    min_turns: int = 2,
    min_delta_ratio: float = 0.02,
    pce: PCEModel = "conditional",
    ktab_exact: bool = False,
    **_: Any,
) -> ModelOutput:
    """KTAB-style SMP (Wise, Lester & Efird 2015; Efird, Lester & Wise 2016). Outcome: the
    expected position at the last turn; ``rounds`` (T+1, N, K) positions per turn.
    Diagnostics: ``prob_by_turn`` (T+1, N) each actor's position's probability of
    prevailing, ``risk_by_turn``, ``target_by_turn`` (-1: no challenge), ``stopped``,
    ``ktab_exact``.
    ``pce="markov"`` uses the Condorcet-style Markov probabilities of prevailing instead of
    the reference run's conditional ones, everywhere probabilities of prevailing are used.
    ``ktab_exact=True`` processes the actors in input order with KTAB's absolute floors and
    exact tie-breaking and rounding (see :func:`smp_run`); the default is independent of
    actor order, capability unit and issue scale, and also reproduces the reference run."""
    if pce not in ("conditional", "markov"):
        raise ValueError(f"pce must be 'conditional' or 'markov', got {pce!r}")
    pos, sal, cap = ktab_inputs(position, salience, capability, lo, hi, ktab_exact)
    rounds01, probs, info = smp_run(
        pos,
        sal,
        cap,
        max_turns=max_turns,
        min_turns=min_turns,
        min_delta_ratio=min_delta_ratio,
        pce=pce,
        ktab_exact=ktab_exact,
    )
    outcome01 = info.pop("outcome")
    span = np.where(hi > lo, hi - lo, 1.0)
    return ModelOutput(
        outcome=lo + outcome01 * span,
        rounds=lo + rounds01 * span,
        diagnostics={"prob_by_turn": probs, **info, "ktab_exact": ktab_exact},
    )


register(
    ModelSpec(
        name="spatial",
        title="KTAB-style spatial model of politics (challenge, bargain, vote)",
        citation=(
            "Wise, Lester & Efird 2015, KAPSARC KS-1516-DP09A; Efird, Lester & Wise 2016, "
            "J. East Asian Studies 16: 117-145"
        ),
        core=spatial_model,
        has_rounds=True,
    )
)
