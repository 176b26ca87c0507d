"""Bueno de Mesquita's expected-utility model (EUM) of group decisions.

The model as specified by Bueno de Mesquita (1994, "Political forecasting: an expected
utility method", in Bueno de Mesquita & Stokman (eds), *European Community Decision Making*,
pp. 71-104; 2002, *Predicting Politics*) and reconstructed and replicated by Scholz, Calbert
& Smith (2011, "Unravelling Bueno De Mesquita's group decision model", *Journal of
Theoretical Politics* 23(4):510-531). Equation numbers below refer to Scholz et al. 2011.
Each issue is one-dimensional and solved separately (vectorised over issues, so a batch of
Monte Carlo draws can be passed as extra issues). Per round:

1. **Votes and the median** (eq. 5-6): v^k_ij = c_k s_k (|x_k - x_j| - |x_k - x_i|) / dx;
   the Condorcet position mu is the position that wins every pairwise vote, i.e. the
   capability x salience weighted median (see :mod:`backchannel.models.eum_votes`).
2. **Probability of success** (eq. 7): default ``probability="net"``, P^i_ij = max(net votes
   for i, 0) / all votes cast in i vs j (the reading of the public replication, which gives
   Scholz et al.'s first-round risk exponents on the EC case); ``"share"``: votes for i /
   all votes cast, eq. 7 as printed.
3. **Utilities** (eq. 8-12), with risk exponent r_i and d = |x_i - x_j| / dx:
   U_s = 2 - 4(0.5 - 0.5 d)^r, U_f = 2 - 4(0.5 + 0.5 d)^r,
   U_b = 2 - 4(0.5 - 0.25 (|x_i - mu| + |x_i - x_j|)/dx)^r,
   U_w = 2 - 4(0.5 + 0.25 (|x_i - mu| + |x_i - x_j|)/dx)^r, U_sq = 2 - 4 (0.5)^r.
4. **Expected utility of i challenging j** (eq. 1-4):
   E^i(U_ij) = s_j (P U_s + (1 - P) U_f) + (1 - s_j) U_s - Q U_sq - (1 - Q)(T U_b + (1 - T) U_w).
5. **Risk** (eq. 13-14): E is first computed with r = 1; the security level of i is
   sum_{j != i} E^j(U_ji); R_i = (2 sec_i - sec_max - sec_min) / (sec_max - sec_min) in
   [-1, 1] and r_i = (1 - R_i/3) / (1 + R_i/3) in [0.5, 2]; E is recomputed with r_i.
6. **Offers** (section 6): i challenges j when E^i(U_ij) > 0. From j's side, with
   e_i = E^i(U_ij) > 0 and e_j = E^j(U_ji): conflict if e_j > 0 (j moves to x_i when it
   loses, e_i > e_j); compromise if e_j <= 0 and |e_j| < e_i (j moves the fraction
   |e_j| / e_i of the way to x_i); capitulation if e_j <= 0 and |e_j| >= e_i (j moves to
   x_i). Each actor adopts one offer (``accept``), all actors move at once, and
   rounds repeat until no position changes or ``rounds`` rounds have been played.

Two computations of the same round: up to ``SMALL_N`` actors, whole (K, N, N) pair
matrices in few array calls (the cost at small N is per call, not per pair), where a batch
of issues gives each issue exactly its one-issue result; above, the pair matrix of sorted
actors in tiles, each pair visited once per pass, on threads
(:func:`backchannel.models.eum_pairs.tiled_round`, O(N^2 log N) a round in bounded memory).
Both compute the same equations with the same tolerances and agree to rounding; tests hold
each against a plain O(N^3) reference.

Interpretive choices (tie rules, defaults Q = T = 1, which offer is "best", actors
without a stance) are recorded in ``docs/decisions.md``. The forecast of a
round is the Condorcet (median voter) position of the updated positions (BdM 1994:
the predicted outcome is the position that beats every other in the pairwise vote);
``forecast="mean"`` reports the capability x salience weighted mean instead (the
quantity Scholz et al. plot per round). The outcome is the forecast after the last round.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from backchannel.models.base import ModelOutput, ModelSpec, register
from backchannel.models.eum_pairs import (
    LOG_HALF,
    OFFER_KINDS,
    TOL_EU,
    TOL_POS,
    TOL_SEC,
    Round,
    eu,
    risk_exponents,
    tiled_round,
)
from backchannel.models.eum_votes import IntArray, condorcet_median, pair_shares, vote_table
from backchannel.scenario.arrays import BoolArray, FloatArray
from backchannel.scenario.errors import InputError

ACCEPT_RULES = ("nearest", "strongest", "strongest_challenge")
FORECASTS = ("median", "mean")
PROBABILITY_RULES = ("share", "net")
_BUDGET = 1 << 20  # pairwise cells per chunk of issues (bounds memory for large N)
_SMALL_BUDGET = 1 << 18  # actor x pair cells per chunk of issues on the small-N path
SMALL_N = 32
"""Up to this many actors, a round works on whole (K, N, N) pair matrices with the votes
summed directly (O(N^3), few array calls); above it, the tiled O(N^2 log N) round."""


def _offers_small(
    u: FloatArray,
    order: IntArray,
    diff: FloatArray,
    d: FloatArray,
    e_in: FloatArray,
    e_back: FloatArray,
    accept: str,
    coincide: bool,
) -> tuple[FloatArray, FloatArray]:
    """:func:`_offers` on whole pair matrices (K, N, N), sender i x receiver j, in the
    actors' own order (``order`` sorts them by position, the order in which sums over
    senders are taken): the same rules and the same arithmetic, with fewer array calls.

    ``diff[k, i, j]`` = u_i - u_j, ``d`` = |diff|; ``e_in`` = E^i(U_ij) and ``e_back`` =
    E^j(U_ji), -inf where the sender or the receiver is inactive. ``coincide``: whether an
    actor may challenge another at its own position (not with Q = 1, where E^i(U_ij) = 0
    to rounding at d = 0, so no d > 0 test is needed). Returns the new positions and the
    offer counts (4, K): offers, conflicts, capitulations, moves (compromises are offers
    minus the other two). Call under ``np.errstate(all="ignore")``."""
    k, n = u.shape
    flags = np.empty((3, k, n, n), dtype=bool)  # valid; conflict; capitulation (counted)
    valid = np.greater(e_in, TOL_EU, out=flags[0])
    if coincide:
        valid &= d > 0.0
    fights = e_back > TOL_EU
    np.logical_and(valid, fights, out=flags[1])
    mag = np.abs(e_back)
    capit = np.greater_equal(mag, e_in, out=flags[2])
    capit &= np.greater(valid, fights)  # valid and not fights
    frac = np.where(fights, 1.0, np.minimum(mag / e_in, 1.0))
    cand = np.greater(e_in, e_back + TOL_EU)  # j loses the conflict
    cand |= ~fights
    cand &= valid
    if accept == "strongest_challenge":
        # tie only counts through "& cand" (cand implies valid): a receiver without valid
        # challengers (top = -inf, where every sender "ties") is left without a tie either way
        ev = np.where(valid, e_in, -np.inf)
        tie = ev >= np.maximum.reduce(ev, axis=1, keepdims=True) - TOL_EU
        best = np.minimum.reduce(d, axis=1, keepdims=True, where=tie, initial=np.inf)
        tie &= d <= best + TOL_POS
        tie &= cand
    else:
        move = frac * d
        if accept == "nearest":
            best = np.minimum.reduce(move, axis=1, keepdims=True, where=cand, initial=np.inf)
            tie = move <= best + TOL_POS
            tie &= cand
            top = np.maximum.reduce(e_in, axis=1, keepdims=True, where=tie, initial=-np.inf)
            tie &= e_in >= top - TOL_EU
        else:  # "strongest"
            top = np.maximum.reduce(e_in, axis=1, keepdims=True, where=cand, initial=-np.inf)
            tie = e_in >= top - TOL_EU
            tie &= cand
            best = np.minimum.reduce(move, axis=1, keepdims=True, where=tie, initial=np.inf)
            tie &= move <= best + TOL_POS
    target = np.where(frac >= 1.0, u[:, :, None], u[:, None, :] + frac * diff)
    # the tied offers' targets span [t_lo, t_hi]; (inf, -inf) where there is none
    t_lo = np.minimum.reduce(target, axis=1, where=tie, initial=np.inf)
    t_hi = np.maximum.reduce(target, axis=1, where=tie, initial=-np.inf)
    chosen = t_lo
    if np.logical_or.reduce(t_lo < t_hi, axis=None):  # tied offers to different targets:
        # their mean, summed over the senders by position
        n_tie = np.add.reduce(tie, axis=1)
        rows = np.arange(k)[:, None]
        total = np.add.reduce(np.where(tie, target, 0.0)[rows, order], axis=1)
        chosen = np.where(t_lo == t_hi, t_lo, total / np.maximum(n_tie, 1))
    keep = np.abs(chosen - u) > TOL_POS
    keep &= t_lo <= t_hi  # some offer
    out = np.where(keep, chosen, u)
    counts = np.empty((4, k))
    np.add.reduce(flags.reshape(3, k, n * n), axis=2, out=counts[:3])
    np.add.reduce(out != u, axis=1, out=counts[3])
    return out, counts


def _counts5(c: FloatArray) -> FloatArray:
    """Offer counts (R, 5, K) (``OFFER_KINDS``) from (R, 4, K) of :func:`_offers_small`."""
    out = np.empty((c.shape[0], 5, c.shape[2]))
    out[:, :2] = c[:, :2]
    np.subtract(c[:, 0], c[:, 1], out=out[:, 2])
    out[:, 2] -= c[:, 2]
    out[:, 3:] = c[:, 2:]
    return out


def _small_stepper(
    w: FloatArray,
    s: FloatArray,
    active: BoolArray,
    q: float,
    t: float,
    accept: str,
    probability: str,
) -> Callable[[FloatArray, FloatArray], Round]:
    """One round on issues (K, N) with whole (K, N, N) pair matrices, for N <= ``SMALL_N``:
    the votes, utilities and offer rules of :mod:`.eum_pairs` (sums over senders in
    position order), in the actors' own order and with what does not change
    between rounds (saliences, which actors take part) prepared once. The returned step
    maps (positions, Condorcet positions) to a :class:`Round` whose ``counts`` are those
    of :func:`_offers_small`; call it under ``np.errstate(all="ignore")``."""
    k, n = w.shape
    rows = np.arange(k)[:, None]
    s_recv = s[:, None, :]
    # E^i(U_ij) enters j's security level when i is active and i != j
    keep = active.astype(float)[:, :, None] * (1.0 - np.eye(n))
    everyone = bool(active.all())
    off = np.where(active, 0.0, -np.inf)
    mask = None if everyone else off[:, :, None] + off[:, None, :]
    net = probability == "net"
    plain = q == 1.0  # eq. 1 without the status-quo terms' U_b, U_w

    def step(u: FloatArray, mu: FloatArray) -> Round:
        table = vote_table(u, w, count=True)
        order = table.order
        alpha = table.alpha
        p, d, diff = pair_shares(
            table, u[:, :, None], u[:, None, :], alpha[:, :, None], alpha[:, None, :]
        )
        # p2[0] = P^i_ij and p2[1] = P^j_ji as a (receiver, sender) matrix, so that one
        # pass gives E^i(U_ij) and, transposed, E^j(U_ji) of every pair
        p2 = np.empty((2, k, n, n))
        if net:  # max(net votes, 0) / all votes = max(2 P - 1, 0)
            twice = 2.0 * p
            np.subtract(twice, 1.0, out=p2[0])
            np.subtract(1.0, twice.transpose(0, 2, 1), out=p2[1])
            np.maximum(p2, 0.0, out=p2)
        else:
            p2[0] = p
            np.subtract(1.0, p.transpose(0, 2, 1), out=p2[1])
        # pass 1 (r = 1): security levels sum_{i != j, i active} E^i(U_ij), summed over
        # the senders by position
        if plain:  # the arithmetic of eu
            one_minus = 1.0 - p2
            e1 = 4.0 * d
            e1 *= s_recv
            e1 *= one_minus[0]
            e1 = np.subtract(2.0 * d, e1, out=e1)
        else:
            dm = np.abs(u - mu[:, None])[:, :, None]
            e1 = eu(d, d, d, p2[0], None, s_recv, dm, q, t)
        e1 *= keep
        security = np.add.reduce(e1[rows, order], axis=1)
        R, r = _risk(security, active, everyone)
        # pass 2: expected utilities with risk, offers, moves
        ls = 0.5 * d
        np.subtract(0.5, ls, out=ls)
        np.maximum(ls, 0.0, out=ls)
        np.log(ls, out=ls)
        lf = np.log1p(d)
        lf += LOG_HALF
        rr = r[:, :, None]
        if plain:  # the arithmetic of eu
            us = np.exp(rr * ls)
            uf = np.exp(rr * lf)
            uf -= us
            one_minus *= s_recv
            e2 = uf * one_minus
            e2 += us
            e2 *= -4.0
            e2 += 2.0 - (2.0 - 4.0 * np.exp(rr * LOG_HALF))
        else:
            e2 = eu(d, ls, lf, p2, rr, s_recv, dm, q, t)
        if mask is not None:
            e2 += mask
        new, counts = _offers_small(
            u, order, diff, d, e2[0], e2[1].transpose(0, 2, 1), accept, not plain
        )
        return Round(u=new, r=r, R=R, counts=counts)

    return step


def _risk(security: FloatArray, active: BoolArray, everyone: bool) -> tuple[FloatArray, FloatArray]:
    """:func:`risk_exponents` (same arithmetic); ``everyone``: whether all actors are
    active. One issue with everyone active takes a scalar shortcut. Call under
    ``np.errstate(all="ignore")``."""
    if not (everyone and security.shape[0] == 1):
        return risk_exponents(security, active)
    xs = security[0].tolist()  # N floats: plain float arithmetic is the same IEEE arithmetic
    big, small = max(xs), min(xs)
    spread = big - small
    if not math.isfinite(spread) or spread <= TOL_SEC * (abs(big) + abs(small)) + TOL_SEC:
        return np.zeros_like(security), np.ones_like(security)
    R = [min(max((2.0 * x - big - small) / spread, -1.0), 1.0) for x in xs]
    return np.array([R]), np.array([[(1.0 - i / 3.0) / (1.0 + i / 3.0) for i in R]])


def _run(
    u: FloatArray,
    w: FloatArray,
    s: FloatArray,
    active: BoolArray,
    rounds: int,
    q: float,
    t: float,
    accept: str,
    probability: str,
) -> tuple[list[FloatArray], list[Round], BoolArray]:
    """Rounds on one chunk of issues (K, N) until ``rounds`` have been played or no issue
    of the chunk moves (later rounds would repeat the last one exactly). Returns the
    positions before and after each round, the rounds, and which issues did not move in
    the last round played."""
    k, n = u.shape
    if n <= SMALL_N:
        step = _small_stepper(w, s, active, q, t, accept, probability)
    else:

        def step(u_: FloatArray, mu: FloatArray) -> Round:
            return tiled_round(u_, w, s, active, mu, q, t, accept, probability)

    hist, played = [u], []
    converged = np.zeros(k, dtype=bool)
    zero = np.zeros(k)
    with np.errstate(all="ignore"):
        for _ in range(rounds):
            # the Condorcet position only enters the utilities when Q < 1
            res = step(u, condorcet_median(u, w) if q != 1.0 else zero)
            converged = np.logical_and.reduce(res.u == u, axis=1)
            u = res.u
            hist.append(u)
            played.append(res)
            if np.logical_and.reduce(converged, axis=None):
                break
    return hist, played, converged


def _check(
    rounds: int, q: float, t: float, accept: str, probability: str, forecast: str = "median"
) -> None:
    if not (isinstance(rounds, int | np.integer) and rounds >= 0):
        raise InputError(
            f"rounds must be a whole number >= 0, not {rounds!r}",
            source="eum",
            fix="pass e.g. --rounds 10",
        )
    for name, v in (("Q", q), ("T", t)):
        if not 0.0 <= v <= 1.0:
            raise InputError(
                f"{name} must be a probability in [0, 1], not {v}",
                source="eum",
                fix=f"pass {name} between 0 and 1 (default 1)",
            )
    if accept not in ACCEPT_RULES:
        raise InputError(
            f"unknown offer rule {accept!r}", source="eum", fix=f"use one of {ACCEPT_RULES}"
        )
    if probability not in PROBABILITY_RULES:
        raise InputError(
            f"unknown probability rule {probability!r}",
            source="eum",
            fix=f"use one of {PROBABILITY_RULES}",
        )
    if forecast not in FORECASTS:
        raise InputError(
            f"unknown forecast quantity {forecast!r}", source="eum", fix=f"use one of {FORECASTS}"
        )


def expected_utility(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    rounds: int = 10,
    Q: float = 1.0,
    T: float = 1.0,
    accept: str = "nearest",
    probability: str = "net",
    forecast: str = "median",
    stop_when_stable: bool = True,
    **_: Any,
) -> ModelOutput:
    """Bueno de Mesquita's expected-utility model (Scholz, Calbert & Smith 2011, eq. 1-14).

    ``position`` (N, K) on each issue's scale [lo, hi]; ``salience`` 0-100 (s_i = salience /
    100, the probability an actor engages); ``capability`` any non-negative scale (only
    ratios matter). ``reference`` is not used (the model has no status quo). ``rounds``:
    maximum number of rounds; ``Q``, ``T``: the probabilities of eq. 1 (default 1);
    ``accept``: "nearest" (default: the offer that moves the actor least, as BdM 1994 and
    Scholz et al. state it), "strongest" (the most determined challenger among the offers
    that move the actor) or "strongest_challenge" (the actor answers only the most
    determined challenge it receives and holds if it wins it: the rule of the public
    replication github dmasad/BDM_DecisionModel_Replication, which this reproduces round
    by round); ``probability``: "net" (default: max(net votes for i, 0) / all votes) or
    "share" (eq. 7 as printed: votes for i / all votes); ``forecast``: "median" (default,
    the Condorcet position) or "mean" (capability x salience weighted mean).

    Returns the forecast after the last round as the outcome, the positions of every
    round (R+1, N, K) and diagnostics: ``forecast_per_round``, ``median`` and ``mean`` per
    round (R+1, K), ``risk`` r_i and ``risk_index`` R_i per round (R, N, K), offer counts
    per round (R, K) and ``converged`` per issue.
    """
    _check(rounds, Q, T, accept, probability, forecast)
    pos = np.asarray(position, dtype=float)
    n, k = pos.shape
    lo_ = np.asarray(lo, dtype=float)
    span = np.asarray(hi, dtype=float) - lo_
    u = np.clip((pos - lo_) / span, 0.0, 1.0).T.copy()
    s = np.clip(np.asarray(salience, dtype=float) / 100.0, 0.0, 1.0).T.copy()
    w = np.asarray(capability, dtype=float).T * s
    tot = w.sum(axis=1, keepdims=True)
    w = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), 0.0)
    active = w > 0.0
    kc = max(1, (_SMALL_BUDGET // max(1, n**3)) if n <= SMALL_N else _BUDGET // max(1, n * n))
    runs = [
        _run(
            u[c : c + kc],
            w[c : c + kc],
            s[c : c + kc],
            active[c : c + kc],
            rounds,
            Q,
            T,
            accept,
            probability,
        )
        for c in range(0, k, kc)
    ]
    # a chunk that stopped moving repeats its last round exactly: pad it to the rounds run
    n_r = max(len(played) for _, played, _ in runs) if stop_when_stable else rounds

    def padded(seq: list[FloatArray], size: int) -> FloatArray:
        return np.array(seq + seq[-1:] * (size - len(seq)))

    def joined(parts: list[FloatArray], axis: int = 1) -> FloatArray:
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)

    hist = joined([padded(h, n_r + 1) for h, _, _ in runs])  # (R+1, K, N)
    rows = hist.reshape(-1, n)
    medians = condorcet_median(rows, np.concatenate([w] * (n_r + 1)))
    # the capability x salience weighted mean (plain mean on an issue nobody weighs)
    wm = np.where(tot > 0, w, 1.0 / n)
    positions = lo_ + span * hist.transpose(0, 2, 1)
    med = lo_ + span * medians.reshape(n_r + 1, k)
    means = lo_ + span * np.add.reduce(hist * wm, axis=2)
    if n_r:
        risk = joined([padded([x.r for x in p], n_r) for _, p, _ in runs]).transpose(0, 2, 1)
        index = joined([padded([x.R for x in p], n_r) for _, p, _ in runs]).transpose(0, 2, 1)
        offers = joined([padded([x.counts for x in p], n_r) for _, p, _ in runs], 2)  # (R, 5, K)
        converged = np.concatenate([conv for _, _, conv in runs])
        if n <= SMALL_N:
            offers = _counts5(offers)
    else:
        risk, index = np.zeros((0, n, k)), np.zeros((0, n, k))
        offers, converged = np.zeros((0, len(OFFER_KINDS), k)), np.zeros(k, dtype=bool)
    diag: dict[str, Any] = {
        "median": med,
        "mean": means,
        "risk": risk,
        "risk_index": index,
        "offers": {name: offers[:, i].astype(int) for i, name in enumerate(OFFER_KINDS)},
        "rounds_run": n_r,
        "converged": converged,
        "Q": Q,
        "T": T,
        "accept": accept,
        "probability": probability,
        "forecast": forecast,
    }
    per_round = med if forecast == "median" else means
    diag["forecast_per_round"] = per_round
    return ModelOutput(outcome=per_round[-1], rounds=positions, diagnostics=diag)


register(
    ModelSpec(
        name="eum",
        title="Bueno de Mesquita's expected-utility model (challenges, offers, rounds)",
        citation=(
            "Bueno de Mesquita 1994, in European Community Decision Making, pp. 71-104; "
            "Scholz, Calbert & Smith 2011, J. Theoretical Politics 23(4):510-531, eq. 1-14"
        ),
        core=expected_utility,
        has_rounds=True,
    )
)
