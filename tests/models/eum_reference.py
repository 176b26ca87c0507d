"""Plain O(N^3) reference implementation of the expected-utility model, for tests only.

Written straight from the specification (Scholz, Calbert & Smith 2011, eq. 1-14, with the
choices of docs/decisions.md), one issue at a time, with explicit loops over
actors and voters and no prefix-sum tricks. The registered model
(:mod:`backchannel.models.eum`) must agree with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOL_EU = 1e-10
TOL_POS = 1e-12
TOL_SEC = 1e-12
TOL_MEDIAN = 1e-12
VOTE_SNAP = 1e-13  # vote sums at or below this share of the total weight are none


def _median(u: list[float], w: list[float]) -> float:
    """Condorcet position: the positions that beat or tie every other position in the
    pairwise intensity-weighted vote; the midpoint of the lowest and highest winner."""
    n = len(u)
    total = sum(w)
    winners = []
    for i in range(n):
        ok = True
        for j in range(n):
            votes = sum(w[k] * (abs(u[k] - u[j]) - abs(u[k] - u[i])) for k in range(n))
            if votes < -TOL_MEDIAN * total:
                ok = False
                break
        if ok:
            winners.append(u[i])
    return 0.5 * (min(winners) + max(winners))


def _prob(u: list[float], w: list[float], i: int, j: int, rule: str) -> float:
    pos = 0.0
    neg = 0.0
    for k in range(len(u)):
        v = w[k] * (abs(u[k] - u[j]) - abs(u[k] - u[i]))
        if v > 0:
            pos += v
        else:
            neg -= v
    snap = VOTE_SNAP * sum(w)
    pos = 0.0 if pos <= snap else pos
    neg = 0.0 if neg <= snap else neg
    net, gross = pos - neg, pos + neg
    if u[i] == u[j] or gross <= 0.0:
        return 0.0 if rule == "net" else 0.5
    if rule == "net":
        return max(net, 0.0) / gross
    return pos / gross


def _utility(base: float, r: float) -> float:
    return 2.0 - 4.0 * max(base, 0.0) ** r


def _eu(
    u: list[float],
    s: list[float],
    p: float,
    i: int,
    j: int,
    mu: float,
    r: float,
    q: float,
    t: float,
) -> float:
    d = abs(u[i] - u[j])
    h = 0.25 * (abs(u[i] - mu) + d)
    us = _utility(0.5 - 0.5 * d, r)
    uf = _utility(0.5 + 0.5 * d, r)
    ub = _utility(0.5 - h, r)
    uw = _utility(0.5 + h, r)
    usq = _utility(0.5, r)
    return (
        s[j] * (p * us + (1 - p) * uf)
        + (1 - s[j]) * us
        - q * usq
        - (1 - q) * (t * ub + (1 - t) * uw)
    )


def expected_utilities_1d(
    u: list[float],
    w: list[float],
    s: list[float],
    q: float,
    t: float,
    rule: str,
) -> tuple[list[list[float]], list[list[float]], list[float]]:
    """(P^i_ij, E^i(U_ij) with risk, r_i) of one round on one issue (unit-scale positions)."""
    n = len(u)
    active = [wk > 0 for wk in w]
    mu = _median(u, w)
    prob = [[_prob(u, w, i, j, rule) for j in range(n)] for i in range(n)]
    e1 = [[_eu(u, s, prob[i][j], i, j, mu, 1.0, q, t) for j in range(n)] for i in range(n)]
    sec = [sum(e1[i][j] for i in range(n) if i != j and active[i]) for j in range(n)]
    act_sec = [sec[j] for j in range(n) if active[j]]
    r = [1.0] * n
    if act_sec:
        big, small = max(act_sec), min(act_sec)
        if big - small > TOL_SEC * (abs(big) + abs(small)) + TOL_SEC:
            for j in range(n):
                if active[j]:
                    R = min(1.0, max(-1.0, (2 * sec[j] - big - small) / (big - small)))
                    r[j] = (1 - R / 3) / (1 + R / 3)
    e = [[_eu(u, s, prob[i][j], i, j, mu, r[i], q, t) for j in range(n)] for i in range(n)]
    return prob, e, r


def _round_1d(
    u: list[float], w: list[float], s: list[float], q: float, t: float, accept: str, rule: str
) -> tuple[list[float], list[float]]:
    n = len(u)
    active = [wk > 0 for wk in w]
    _, e, r = expected_utilities_1d(u, w, s, q, t, rule)
    new = list(u)
    for j in range(n):
        cands = []  # (move, sender EU, new position)
        # every challenge j receives: (distance, sender EU, new position or None if j holds)
        challenges: list[tuple[float, float, float | None]] = []
        for i in range(n):
            ei, ej = e[i][j], e[j][i]
            if not (ei > TOL_EU and u[i] != u[j] and active[i] and active[j]):
                continue
            if ej > TOL_EU:  # conflict
                if ei > ej + TOL_EU:
                    cands.append((abs(u[i] - u[j]), ei, u[i]))
                    challenges.append((abs(u[i] - u[j]), ei, u[i]))
                else:  # j wins (or ties): it holds
                    challenges.append((abs(u[i] - u[j]), ei, None))
            elif abs(ej) >= ei:  # capitulation
                cands.append((abs(u[i] - u[j]), ei, u[i]))
                challenges.append((abs(u[i] - u[j]), ei, u[i]))
            else:  # compromise
                x = u[j] + (u[i] - u[j]) * abs(ej) / ei
                cands.append((abs(x - u[j]), ei, x))
                challenges.append((abs(u[i] - u[j]), ei, x))
        if accept == "strongest_challenge":
            if not challenges:
                continue
            top = max(c[1] for c in challenges)
            tied_c = [c for c in challenges if c[1] >= top - TOL_EU]
            near = min(c[0] for c in tied_c)
            tied_c = [c for c in tied_c if c[0] <= near + TOL_POS and c[2] is not None]
            cands = [(0.0, 0.0, c[2]) for c in tied_c if c[2] is not None]
        if not cands:
            continue
        if accept == "strongest_challenge":
            tied = cands
        elif accept == "nearest":
            best = min(c[0] for c in cands)
            tied = [c for c in cands if c[0] <= best + TOL_POS]
            top = max(c[1] for c in tied)
            tied = [c for c in tied if c[1] >= top - TOL_EU]
        else:
            top = max(c[1] for c in cands)
            tied = [c for c in cands if c[1] >= top - TOL_EU]
            best = min(c[0] for c in tied)
            tied = [c for c in tied if c[0] <= best + TOL_POS]
        targets = [c[2] for c in tied]
        x = targets[0] if min(targets) == max(targets) else sum(targets) / len(targets)
        if abs(x - u[j]) > TOL_POS:
            new[j] = x
    return new, r


def reference_eum(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    *,
    lo: np.ndarray,
    hi: np.ndarray,
    rounds: int = 10,
    Q: float = 1.0,
    T: float = 1.0,
    accept: str = "nearest",
    probability: str = "net",
    **_: Any,
) -> dict[str, np.ndarray]:
    """Positions per round (R+1, N, K), medians per round (R+1, K) and risk exponents
    (R, N, K), stopping when no position changes on any issue."""
    n, k = position.shape
    per_issue = []
    for kk in range(k):
        span = hi[kk] - lo[kk]
        u = [min(1.0, max(0.0, (position[i, kk] - lo[kk]) / span)) for i in range(n)]
        s = [min(1.0, max(0.0, salience[i, kk] / 100.0)) for i in range(n)]
        w = [capability[i, kk] * s[i] for i in range(n)]
        tot = sum(w)
        w = [x / tot for x in w] if tot > 0 else [0.0] * n
        hist, meds, risks = [list(u)], [_median(u, w)], []
        for _r in range(rounds):
            u, r = _round_1d(u, w, s, Q, T, accept, probability)
            hist.append(list(u))
            meds.append(_median(u, w))
            risks.append(r)
        per_issue.append((span, hist, meds, risks))
    # stop where the fast model stops: the first round after which no issue changed
    n_run = rounds
    for t_ in range(1, rounds + 1):
        if all(h[t_] == h[t_ - 1] for _, h, _, _ in per_issue):
            n_run = t_
            break
    pos = np.array(
        [
            [
                [lo[kk] + sp * h[t_][i] for kk, (sp, h, _, _) in enumerate(per_issue)]
                for i in range(n)
            ]
            for t_ in range(n_run + 1)
        ]
    )
    med = np.array(
        [
            [lo[kk] + sp * m[t_] for kk, (sp, _, m, _) in enumerate(per_issue)]
            for t_ in range(n_run + 1)
        ]
    )
    risk = np.array(
        [[[rk[t_][i] for (_, _, _, rk) in per_issue] for i in range(n)] for t_ in range(n_run)]
    ).reshape(n_run, n, k)
    return {"rounds": pos, "median": med, "risk": risk}
