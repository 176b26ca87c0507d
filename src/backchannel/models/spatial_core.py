"""Building blocks of the KTAB-style spatial model of politics (SMP), vectorised.

Sources: Wise, Lester & Efird 2015, "An introduction to the KAPSARC Toolkit for Behavioral
Analysis (KTAB) using one-dimensional spatial models", KAPSARC discussion paper
KS-1516-DP09A (utility, voting, coalitions, probability of victory, risk attitudes);
Efird, Lester & Wise 2016, *Journal of East Asian Studies* 16: 117-145 (the vector SMP).
Each function names the KTAB routine it reimplements (github
lsyaseen/KTAB, read only); equation numbers are not given because the papers were not at hand.

All positions are on 0-1, saliences are fractions of attention (each actor's saliences sum
to at most 1), capabilities are positive and relative.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from backchannel.scenario.arrays import FloatArray

MIN_COALITION = 1e-8  # floor of a coalition's strength in a pairwise contest
MIN_CHALLENGE = 1e-10  # floor of the principals' coalitions in a challenge
_MAX_CELLS = 500_000  # entries of a voter x option x option block evaluated at once
BigRRange = Literal["min", "mid", "max"]
PCEModel = Literal["conditional", "markov"]


def salience_distance(ideal: FloatArray, pos: FloatArray, sal: FloatArray) -> FloatArray:
    """Salience-weighted distance ``d_ij = sqrt(sum_k (s_ik (x_ik - p_jk))^2 / sum_k s_ik^2)``
    from each actor's ideal (N, K) to each position (M, K); returns (N, M)."""
    diff = (ideal[:, None, :] - pos[None, :, :]) * sal[:, None, :]
    ss = np.maximum((sal**2).sum(axis=1), 1e-300)
    return np.sqrt((diff**2).sum(axis=2) / ss[:, None])


def risk_utility(d: FloatArray, r: FloatArray | float) -> FloatArray:
    """Utility of a position at normalised distance ``d`` for risk attitude ``r`` in [-1, 1]:
    ``u = (1 - d)(1 + d r)`` (KTAB ``SMPModel::bsUtil``; r = 0 risk neutral, r > 0 risk
    averse)."""
    u = (1.0 - d) * (1.0 + np.minimum(d, 1.0) * r)
    return np.asarray(u, dtype=float)


def coalitions(w: FloatArray, u: FloatArray, tie: float = 0.0) -> FloatArray:
    """Coalition strengths ``c[i, j]`` for option i against j (KTAB ``Model::coalitions``)
    with proportional votes ``v_a(i:j) = w_a (u_ai - u_aj)``: each voter adds its vote to the
    side it favours.
    ``w`` (A,), ``u`` (A, M) -> (M, M), diagonal = floor. Utility differences of at most
    ``tie`` count as indifference (KTAB: 0). With a tolerance, float noise in utilities that
    are equal in exact arithmetic cannot cast a vote: against the floor of 1e-8, a noise vote
    of 1e-16 would move a victory probability by 1e-8."""
    a_n, m = u.shape
    c = np.full((m, m), MIN_COALITION)
    step = max(1, _MAX_CELLS // max(m * m, 1))
    for start in range(0, a_n, step):  # voter chunks bound the memory
        uu = u[start : start + step]
        du = uu[:, :, None] - uu[:, None, :]  # (a, M, M)
        c += np.einsum("a,aij->ij", w[start : start + step], np.where(du > tie, du, 0.0))
    np.fill_diagonal(c, MIN_COALITION)
    return c


def conditional_pce(c: FloatArray) -> FloatArray:
    """Probability that each option prevails: pairwise victory ``P[i > j] = c_ij / (c_ij +
    c_ji)`` (``vProb``, Linear), and the conditional probability that i beats every other option
    given that one option does, ``p_i ~ prod_j P[i > j]`` (``condPCE``, "Conditional")."""
    pv = c / (c + c.T)
    np.fill_diagonal(pv, 0.5)
    p = np.prod(pv, axis=1)
    return p / p.sum()


def markov_pce(c: FloatArray, tol: float = 1e-6, max_iter: int = 10_000) -> FloatArray:
    """Condorcet-style Markov probability of prevailing (KTAB ``markovUniformPCE``): the
    stationary point of ``p_i = sum_j P[i > j] (p_i + p_j) / M``, iterated with damping 1/2
    from the uniform distribution until no entry changes by more than ``tol``."""
    pv = c / (c + c.T)
    np.fill_diagonal(pv, 0.5)
    m = len(pv)
    p = np.full(m, 1.0 / m)
    for _ in range(max_iter):
        q = (pv * (p[:, None] + p[None, :])).sum(axis=1) / m
        done = np.abs(q - p).max() <= tol
        p = (p + q) / 2
        if done:
            break
    return p / p.sum()


def scalar_pce(
    w: FloatArray,
    u: FloatArray,
    pce: PCEModel = "conditional",
    tie: float = 0.0,
) -> FloatArray:
    """Probability of each of M options prevailing given voters' weights (A,) and
    utilities (A, M): ``conditional`` (KTAB ``condPCE``) or ``markov``
    (``markovUniformPCE``); ``tie`` as in :func:`coalitions`."""
    c = coalitions(w, u, tie)
    return markov_pce(c) if pce == "markov" else conditional_pce(c)


def big_r_from_prob(p: FloatArray, rng: BigRRange = "mid", tol: float = 0.0) -> FloatArray:
    """Risk attitudes inferred from the actors' probabilities of prevailing (``bigRfromProb``): the
    most likely actor is the most risk averse (+1); ``mid`` maps the least likely to -1/2.
    All actors are risk neutral when the probabilities span no more than ``tol`` (KTAB divides
    by the span whatever it is; a tolerance keeps float noise in probabilities that are equal
    in exact arithmetic from being blown up into risk attitudes of either sign)."""
    lo, hi = p.min(), p.max()
    if hi - lo <= tol:
        return np.zeros_like(p)
    if rng == "min":
        return (p - lo) / (hi - lo)
    if rng == "mid":
        return (3 * p - (hi + 2 * lo)) / (2 * (hi - lo))
    return (2 * p - (hi + lo)) / (hi - lo)


def interpolate_bargain(
    ti: FloatArray,
    si: FloatArray,
    pi: FloatArray,
    tj: FloatArray,
    sj: FloatArray,
    pj: FloatArray,
    round_bias: float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Bargain between initiator positions ``ti`` and targets ``tj`` (B, K) on each dimension,
    weighting each side by salience^2 x probability^2 (KTAB's "S2P2", ``interpBrgnSnPm``),
    rounded half up to 1e-4; a tiny weight 1e-6 keeps each side at its own position when
    neither cares. ``round_bias`` (in units of 1e-4) is added before rounding: KTAB's rounding
    is 0; a small positive bias makes bargains that are exactly half-way between two grid
    points in exact arithmetic round up whatever the float noise."""
    wi = (si**2) * (pi[:, None] ** 2)
    wj = (sj**2) * (pj[:, None] ** 2)
    eps = 1e-6
    tot = wi + eps + wj
    bi = ((wi + eps) * ti + wj * tj) / tot
    bj = (wi * ti + (eps + wj) * tj) / tot
    return round4(bi, round_bias), round4(bj, round_bias)


def round4(x: FloatArray, bias: float = 0.0) -> FloatArray:
    """Round half up to 4 decimals (``floor(0.5 + 1e4 x + bias) / 1e4``)."""
    return np.floor(0.5 + bias + x * 1e4) / 1e4


def unique_positions(
    pos: FloatArray,
    tol: float = 1e-3,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Distinct positions by KTAB's leader rule (``KBase::ueIndices`` with ``equivNdx``): in
    index order, an actor joins the first earlier distinct position (leader) closer than
    ``tol`` (Euclidean, 0-1 scale), else it becomes a leader. Returns the leaders' indices
    (M,) and, per actor, the index into them of its distinct position (N,), so that
    ``leaders[eq[a]]`` is a leader for every actor ``a``. (Closeness is not transitive, so an
    actor's leader is not necessarily the first actor close to it.)"""
    n = len(pos)
    close = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(axis=2)) < tol
    rank = np.full(n, n, dtype=np.intp)  # leader rank; n = not a leader
    eq = np.empty(n, dtype=np.intp)
    leaders: list[int] = []
    for a in range(n):
        near = rank[close[a]]
        first = int(near.min()) if near.size else n
        if first < n:
            eq[a] = first
        else:
            rank[a] = eq[a] = len(leaders)
            leaders.append(a)
    return np.array(leaders, dtype=np.intp), eq
