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

The forecast outcome is the expected position: positions weighted by their final
probability of prevailing. Vectorised over actor pairs and third parties (O(N^3) per turn,
chunked to bound memory); the per-actor vote over its few options is a loop over actors.
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
MIN_GAIN = 1e-5            # smallest expected gain that makes a challenge worth making
POS_TOL = 1e-3             # positions closer than this (0-1 scale) are the same position
_MAX_CELLS = 160_000       # (challenger, target, third party) cells per chunk: cache-sized


@dataclass(frozen=True)
class Assessment:
    """What every actor knows about a state: salience-weighted distances from ideals (=
    positions) to positions (N, N), risk attitudes (N,), true utilities (N, N) and each
    actor's position's probability of prevailing (N,)."""

    dist: FloatArray
    risk: FloatArray
    util: FloatArray
    prob: FloatArray


def assess(
    pos: FloatArray, sal: FloatArray, cap: FloatArray, pce: PCEModel = "conditional",
) -> Assessment:
    """Risk attitudes from each position's probability of prevailing with risk-neutral
    utilities ``1 - d`` (KTAB ``setAllAUtil``), then the probability that each distinct
    position prevails with risk-aware utilities (actors sharing a position share its
    probability)."""
    dist = salience_distance(pos, pos, sal)
    r = big_r_from_prob(scalar_pce(cap, 1.0 - dist, pce), "mid")
    util = risk_utility(dist, r[:, None])
    uniq, rep = unique_positions(pos, POS_TOL)
    p = scalar_pce(cap, util[:, uniq], pce)
    return Assessment(dist, r, util, p[np.searchsorted(uniq, rep)])


def challenge_values(
    dist: FloatArray, r: FloatArray, s: FloatArray, cap: FloatArray,
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
    d = np.minimum(dist, 1.0).T                        # [j, n] = dist[n, j]
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
    dist: FloatArray, r: FloatArray, s: FloatArray, cap: FloatArray,
    ii: IntArray, jj: IntArray, split: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    wt = s * cap
    rows, cols = np.arange(len(ii)), np.arange(len(jj))
    r_hi = (2.0 * r[ii, None] + r[None, :]) / 3.0      # (b, N): h = i's estimate of each r
    # h's estimates u^h[a, pos] = risk_utility(dist[a, pos], r_hi[a]), as needed:
    uii = risk_utility(dist[ii, ii], r_hi[rows, ii])[:, None]        # (b, 1)
    uij = risk_utility(dist[np.ix_(ii, jj)], r_hi[rows, ii][:, None])  # (b, J)
    uni = risk_utility(dist[:, ii].T, r_hi)                          # (b, N): u^h[n, i]
    unn = risk_utility(np.diagonal(dist)[None, :], r_hi)             # (b, N): u^h[n, n]
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


def bargain_turn(
    pos: FloatArray, sal: FloatArray, cap: FloatArray, state: Assessment | None = None,
    pce: PCEModel = "conditional",
) -> tuple[FloatArray, dict[str, Any]]:
    """One BCN turn (challenge, bargain, vote over bargains) from positions ``pos`` (N, K) on
    0-1; returns the new positions and the turn's risk attitudes, probabilities of each
    position prevailing, targets (-1: none) and chosen option per actor (-1: status quo)."""
    n = len(pos)
    s = sal.sum(axis=1)
    state = state if state is not None else assess(pos, sal, cap, pce)
    dist, r, own = state.dist, state.risk, state.util    # own[a, n]: u_a(position n)
    gain, prob = challenge_values(dist, r, s, cap)
    ok = gain > MIN_GAIN
    target = np.where(ok.any(axis=1), np.argmax(np.where(ok, gain, -np.inf), axis=1), -1)
    init = np.flatnonzero(target >= 0)
    rcvr = target[init]
    p_i = prob[init, rcvr]
    b_i, b_j = interpolate_bargain(pos[init], sal[init], p_i, pos[rcvr], sal[rcvr], 1 - p_i)
    total = own.sum(axis=1)                            # (N,)
    pu_i = risk_utility(salience_distance(pos, b_i, sal), r[:, None])   # (N, B)
    pu_j = risk_utility(salience_distance(pos, b_j, sal), r[:, None])
    u_brg = (total[:, None] - own[:, init] - own[:, rcvr] + pu_i + pu_j) / n
    u_sq = total / n
    new = pos.copy()
    chosen = np.full(n, -1)
    for k in np.unique(np.concatenate([init, rcvr])):  # actors with options beyond the SQ
        mine = np.concatenate([np.flatnonzero(init == k), np.flatnonzero(rcvr == k)])
        u = np.column_stack([u_sq, u_brg[:, mine]])
        best = int(np.argmax(scalar_pce(cap, u, pce)))
        if best > 0:
            m = mine[best - 1]
            chosen[k] = m
            new[k] = b_i[m] if init[m] == k else b_j[m]
    return new, {"risk": r, "target": target, "chosen": chosen}


def ktab_inputs(
    position: FloatArray, salience: FloatArray, capability: FloatArray,
    lo: FloatArray, hi: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Positions on 0-1, saliences as fractions (rows summing to at most 1, never all zero)
    and one capability per actor, as the KTAB SMP takes them."""
    span = np.where(hi > lo, hi - lo, 1.0)
    pos = np.clip((np.asarray(position, dtype=float) - lo) / span, 0.0, 1.0)
    sal = np.asarray(salience, dtype=float) / 100.0
    rows = sal.sum(axis=1, keepdims=True)
    sal = np.where(rows > 1.0, sal / np.where(rows > 0, rows, 1.0), sal)
    sal = np.where(rows <= 0, 1e-9, sal)
    capm = np.broadcast_to(np.asarray(capability, dtype=float), sal.shape)
    wsum = sal.sum(axis=1)
    cap = np.where(wsum > 0, (capm * sal).sum(axis=1) / np.where(wsum > 0, wsum, 1.0),
                   capm.mean(axis=1))
    return pos, sal, np.maximum(cap, 1e-12)


def smp_run(
    pos: FloatArray, sal: FloatArray, cap: FloatArray, *, max_turns: int = 100,
    min_turns: int = 2, min_delta_ratio: float = 0.02, pce: PCEModel = "conditional",
) -> tuple[FloatArray, FloatArray, dict[str, Any]]:
    """Turns from positions on 0-1 until the stopping rule; returns positions per turn
    (T+1, N, K), probabilities of prevailing per turn (T+1, N) and the turn records."""
    history = [pos]
    state = assess(pos, sal, cap, pce)
    probs = [state.prob]
    risks: list[FloatArray] = []
    targets: list[IntArray] = []
    stopped = "max_turns"
    first_move = 0.0
    for turn in range(1, max_turns + 1):
        new, info = bargain_turn(history[-1], sal, cap, state, pce)
        move = float(np.sqrt(((new - history[-1]) ** 2).sum(axis=1)).sum())
        if turn == 1:
            first_move = move + 1e-4
        history.append(new)
        state = assess(new, sal, cap, pce)
        probs.append(state.prob)
        risks.append(info["risk"])
        targets.append(info["target"])
        if turn >= min_turns and move / first_move < min_delta_ratio:
            stopped = "converged"
            break
    return np.stack(history), np.stack(probs), {
        "risk_by_turn": np.stack(risks) if risks else np.zeros((0, len(pos))),
        "target_by_turn": np.stack(targets) if targets else np.zeros((0, len(pos))),
        "stopped": stopped,
    }


def spatial_model(
    position: FloatArray, salience: FloatArray, capability: FloatArray, *,
    lo: FloatArray, hi: FloatArray, reference: FloatArray | None = None,
    max_turns: int = 100, min_turns: int = 2, min_delta_ratio: float = 0.02,
    pce: PCEModel = "conditional", **_: Any,
) -> ModelOutput:
    """KTAB-style SMP (Wise, Lester & Efird 2015; Efird, Lester & Wise 2016). Outcome: the
    expected position at the last turn; ``rounds`` (T+1, N, K) positions per turn.
    Diagnostics: ``prob_by_turn`` (T+1, N) each actor's position's probability of
    prevailing, ``risk_by_turn``, ``target_by_turn`` (-1: no challenge), ``stopped``.
    ``pce="markov"`` uses the Condorcet-style Markov probabilities of prevailing instead of
    the reference run's conditional ones, everywhere probabilities of prevailing are used."""
    if pce not in ("conditional", "markov"):
        raise ValueError(f"pce must be 'conditional' or 'markov', got {pce!r}")
    pos, sal, cap = ktab_inputs(position, salience, capability, lo, hi)
    rounds01, probs, info = smp_run(pos, sal, cap, max_turns=max_turns, min_turns=min_turns,
                                    min_delta_ratio=min_delta_ratio, pce=pce)
    last, p_last = rounds01[-1], probs[-1]
    uniq = unique_positions(last, POS_TOL)[0]
    p_u = p_last[uniq] / p_last[uniq].sum()
    outcome01 = (p_u[:, None] * last[uniq]).sum(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return ModelOutput(
        outcome=lo + outcome01 * span,
        rounds=lo + rounds01 * span,
        diagnostics={"prob_by_turn": probs, **info},
    )


register(ModelSpec(
    name="spatial",
    title="KTAB-style spatial model of politics (challenge, bargain, vote)",
    citation=("Wise, Lester & Efird 2015, KAPSARC KS-1516-DP09A; Efird, Lester & Wise 2016, "
              "J. East Asian Studies 16: 117-145"),
    core=spatial_model,
    has_rounds=True,
))
