"""Pairs of actors in Bueno de Mesquita's expected-utility model: the expected utility of a
challenge, risk exponents, and the model's round for many actors.

Equations as in :mod:`backchannel.models.eum` (Scholz, Calbert & Smith 2011, eq. 1-14).

**The round for many actors** (:func:`tiled_round`, above ``SMALL_N`` actors). Actors are
sorted by position per issue and the pair matrix is cut into square tiles of ``TILE``
actors. A tile on the diagonal holds the pairs among its actors; a tile above it, the pairs
between two groups. Each unordered pair is visited once per pass: its vote share (eq. 7,
the votes from prefix sums, :mod:`.eum_votes`), its distance and logarithms, and both
expected utilities E^i(U_ij) and E^j(U_ji) come from one computation. Pass 1 (r = 1) sums
the security levels, pass 2 (with risk) resolves offers. The cost is O(N^2 log N) a round.
Pass 2 reuses the vote shares of pass 1 up to ``PAIR_CACHE_BYTES`` and computes the rest
again, tile by tile, so the cost grows smoothly with N (no size at which the method
changes). Tiles run on a pool of threads (numpy releases the GIL); their results are
combined in tile order, so the numbers do not depend on the number of threads.

**Offers from tiles.** The offer rules pick, per receiver, among the offers it gets, with
tolerances (moves within 1e-12, expected utilities within 1e-10 of the best tie), in up to
three dependent reductions over the senders. A tile cannot apply them on its part of the
senders, so it keeps per receiver a state (k1, t1, k2): the best key of the rule (the move
for "nearest", -E^i(U_ij) for the other rules), the outcome of the offer with that key (its
target, or "hold" for a challenge the receiver wins under "strongest_challenge") and the
best key among offers with another outcome. States merge associatively. When k2 > k1 + tol,
every offer the rule could pick has the outcome t1, which is then the rule's result. When
k2 <= k1 + tol (a near tie between offers with different outcomes), the receiver's offers
are computed again against all senders at once and the rule applied as written
(:func:`_offers`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

import numpy as np

from backchannel._cores import usable_cores
from backchannel.models.eum_votes import IntArray, VoteTable, pair_shares, pair_terms, vote_table
from backchannel.scenario.arrays import BoolArray, FloatArray

TOL_EU = 1e-10
"""Expected utilities within this of a threshold (0, or the other side's value) tie."""
TOL_POS = 1e-12
"""Positions (on the unit scale) within this of each other tie; smaller moves are no move."""
TOL_SEC = 1e-12
"""Security levels whose spread is below this (relative, and absolute) give R = 0."""
OFFER_KINDS = ("offers", "conflict", "compromise", "capitulation", "moved")
TILE = 192
"""Actors per side of a tile of the pair matrix (tiles of about 37,000 pairs)."""
TILE_CELLS = TILE * TILE
"""Pairs x issues per tile when tiles hold whole issues (few actors, many issues)."""
PAIR_CACHE_BYTES = 1 << 28
"""Vote shares of a round's pairs kept from its first pass for its second (256 MiB: all of
them up to about 8,000 actors on one issue; beyond, the rest are computed again)."""
THREADED_CELLS = 1 << 16
"""Rounds with fewer pairs x issues than this run on one thread (threads cost ~0.1 ms)."""
LOG_HALF = float(np.log(0.5))
_HOLD = -1.0  # outcome of a challenge the receiver wins (positions lie in [0, 1])

T = TypeVar("T")
R = TypeVar("R")


class Round(NamedTuple):
    u: FloatArray  # (K, N) positions after the round
    r: FloatArray  # (K, N) risk exponents used
    R: FloatArray  # (K, N) risk indices
    counts: FloatArray  # (5, K): offers made; conflicts, compromises, capitulations; moved


def eu(
    d: FloatArray,
    ls: FloatArray,
    lf: FloatArray,
    p: FloatArray,
    r: FloatArray | None,
    s_recv: FloatArray,
    dm_send: FloatArray,
    q: float,
    t: float,
) -> FloatArray:
    """E^i(U_ij) (eq. 1-4 with the utilities of eq. 8-12) on a block of pairs.

    ``d``: |x_i - x_j| / dx; ``ls``/``lf``: log(0.5 -/+ 0.5 d) (shared by both directions of
    a pair); ``p``: P^i_ij; ``r``: the sender's risk exponent (None: r = 1, linear
    utilities); ``s_recv``: the receiver's salience; ``dm_send``: |x_i - mu| / dx. All
    broadcast to the block shape."""
    if r is None:
        e = 2.0 * d - 4.0 * d * s_recv * (1.0 - p)
        if q != 1.0:
            e -= (1.0 - q) * (2.0 * t - 1.0) * (dm_send + d)
        return e
    us = r * ls
    np.exp(us, out=us)
    uf = r * lf
    np.exp(uf, out=uf)
    # U_s - U_f = 4 (uf - us); U_s = 2 - 4 us; U_sq = 2 - 4 (0.5)^r
    uf -= us
    w = 1.0 - p  # (p may carry a leading axis of its own)
    w *= s_recv
    e = np.multiply(uf, w, out=w)
    e += us
    e *= -4.0
    e += 2.0 - q * (2.0 - 4.0 * np.exp(r * LOG_HALF))
    if q != 1.0:
        h = 0.25 * (dm_send + d)
        with np.errstate(divide="ignore"):
            ub = 2.0 - 4.0 * np.exp(r * np.log(np.maximum(0.5 - h, 0.0)))
        uw = 2.0 - 4.0 * np.exp(r * np.log(0.5 + h))
        e -= (1.0 - q) * (t * ub + (1.0 - t) * uw)
    return e


def risk_exponents(security: FloatArray, active: BoolArray) -> tuple[FloatArray, FloatArray]:
    """(R, r) from security levels (K, N) over the active actors (eq. 13-14); R = 0 and
    r = 1 where the security levels do not spread (or for inactive actors)."""
    everyone = bool(active.all())
    big = np.maximum.reduce(
        security if everyone else np.where(active, security, -np.inf), axis=1, keepdims=True
    )
    small = np.minimum.reduce(
        security if everyone else np.where(active, security, np.inf), axis=1, keepdims=True
    )
    spread = big - small
    flat = spread <= TOL_SEC * (np.abs(big) + np.abs(small)) + TOL_SEC
    flat |= ~np.isfinite(spread)
    with np.errstate(invalid="ignore", divide="ignore"):
        R = np.where(flat, 0.0, (2.0 * security - big - small) / np.where(flat, 1.0, spread))
    if not everyone:
        R = np.where(active, R, 0.0)
    R = np.minimum(np.maximum(R, -1.0), 1.0)
    return R, (1.0 - R / 3.0) / (1.0 + R / 3.0)


def p_in(p: FloatArray, probability: str) -> tuple[FloatArray, FloatArray]:
    """The probability of success of i against j and of j against i from P^i_ij, the share
    of the votes for i (eq. 7): the shares themselves ("share") or max(net votes, 0) / all
    votes = max(2 P - 1, 0) and max(1 - 2 P, 0) ("net")."""
    if probability == "net":
        return np.maximum(2.0 * p - 1.0, 0.0), np.maximum(1.0 - 2.0 * p, 0.0)
    return p, 1.0 - p


def _offers(
    ui: FloatArray,
    uj: FloatArray,
    d: FloatArray,
    e_in: FloatArray,
    e_back: FloatArray,
    accept: str,
) -> FloatArray:
    """New positions of a block of receivers (K, |J|) under the offer rule ``accept``.

    ``e_in[k, i, j]`` = E^i(U_ij) (sender i, receiver j), ``e_back[k, i, j]`` = E^j(U_ji),
    with -inf where the sender or receiver is inactive."""
    valid = (e_in > TOL_EU) & (d > 0.0)
    fights = e_back > TOL_EU  # j would challenge i too: conflict
    lost = e_in > e_back + TOL_EU
    mag = np.abs(e_back)
    frac = np.where(fights, 1.0, np.minimum(mag / e_in, 1.0))
    cand = valid & (lost | ~fights)
    move = frac * d
    if accept == "nearest":
        best = np.where(cand, move, np.inf).min(axis=1, keepdims=True)
        tie = cand & (move <= best + TOL_POS)
        top = np.where(tie, e_in, -np.inf).max(axis=1, keepdims=True)
        tie &= e_in >= top - TOL_EU
    elif accept == "strongest":  # the most determined challenger that moves j, then nearest
        top = np.where(cand, e_in, -np.inf).max(axis=1, keepdims=True)
        tie = cand & (e_in >= top - TOL_EU)
        best = np.where(tie, move, np.inf).min(axis=1, keepdims=True)
        tie &= move <= best + TOL_POS
    else:  # "strongest_challenge": j answers only the most determined challenge it receives
        # (ties: the nearest challenger); if j wins that conflict it holds its position
        top = np.where(valid, e_in, -np.inf).max(axis=1, keepdims=True)
        tie = valid & (e_in >= top - TOL_EU)
        best = np.where(tie, d, np.inf).min(axis=1, keepdims=True)
        tie &= (d <= best + TOL_POS) & cand
    n_tie = tie.sum(axis=1)
    old = uj[:, 0, :]
    # a full move lands exactly on the sender's position; several tied offers: their mean
    # (exactly the common target when they agree)
    target = np.where(frac >= 1.0, ui, uj + frac * (ui - uj))
    t_lo = np.where(tie, target, np.inf).min(axis=1)
    t_hi = np.where(tie, target, -np.inf).max(axis=1)
    mean = np.where(tie, target, 0.0).sum(axis=1) / np.maximum(n_tie, 1)
    chosen = np.where(t_lo == t_hi, t_lo, mean)
    return np.where((n_tie > 0) & (np.abs(chosen - old) > TOL_POS), chosen, old)


# ---------------------------------------------------------------- threads


def threads() -> int:
    """Threads for the tiles of a round: ``BACKCHANNEL_THREADS`` if set, else the cores
    this process may use (the process-pool engine sets 1 in its workers)."""
    env = os.environ.get("BACKCHANNEL_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return usable_cores()


_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _forget_pool() -> None:  # a forked child has the pool object but not its threads
    global _POOL
    _POOL = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _map(fn: Callable[[T], R], items: Sequence[T], parallel: bool) -> Iterable[R]:
    """``map(fn, items)`` in order, on the thread pool when ``parallel`` and there are
    several threads and items."""
    global _POOL
    n = threads()
    if not parallel or n < 2 or len(items) < 2:
        return map(fn, items)

    def quiet(item: T) -> R:  # numpy's error state is per thread
        with np.errstate(all="ignore"):
            return fn(item)

    if _POOL is None or _POOL[0] != n:
        if _POOL is not None:
            _POOL[1].shutdown(wait=False)
        _POOL = (n, ThreadPoolExecutor(max_workers=n, thread_name_prefix="eum"))
    return _POOL[1].map(quiet, items)


# ---------------------------------------------------------------- tiles


class _Tile(NamedTuple):
    ks: slice  # issues
    rows: slice  # senders (and, off the diagonal, receivers of the other direction)
    cols: slice  # receivers (and senders of the other direction)

    @property
    def diagonal(self) -> bool:
        return self.rows == self.cols


def _tiles(k: int, n: int, tile: int) -> list[_Tile]:
    """The upper triangle of the pair matrix of ``k`` issues and ``n`` actors in tiles: the
    actors in groups of at most ``tile`` (as even as can be), several issues per tile
    when the groups are small."""
    groups = -(-n // tile)
    bounds = [n * g // groups for g in range(groups + 1)]
    edges = [slice(a, b) for a, b in itertools.pairwise(bounds)]
    size = -(-n // groups)
    kc = max(1, TILE_CELLS // (size * size))
    return [
        _Tile(slice(c, min(k, c + kc)), edges[a], edges[b])
        for c in range(0, k, kc)
        for a in range(groups)
        for b in range(a, groups)
    ]


class _State(NamedTuple):
    """Offers to some receivers (K, |J|) from some senders: best key, its outcome, the best
    key of another outcome (see the module docstring)."""

    k1: FloatArray
    t1: FloatArray
    k2: FloatArray


def _merge(a: _State, b: _State) -> _State:
    """The state of the union of two sets of offers (associative)."""
    first = a.k1 <= b.k1
    # the best key of another outcome than the winner's: each side's own, and the loser's
    # best key when its outcome differs from the winner's
    other = np.where(a.t1 == b.t1, np.inf, np.maximum(a.k1, b.k1))
    return _State(
        np.where(first, a.k1, b.k1),
        np.where(first, a.t1, b.t1),
        np.minimum(np.minimum(a.k2, b.k2), other),
    )


def _count(mask: BoolArray) -> FloatArray:
    """How many cells of ``mask`` (K, I, J) are set, per issue."""
    if mask.shape[0] == 1:
        return np.array([np.count_nonzero(mask)], dtype=float)
    return np.count_nonzero(mask.reshape(mask.shape[0], -1), axis=1).astype(float)


def _reduce(
    e_in: FloatArray,
    e_back: FloatArray,
    d: FloatArray,
    step: FloatArray,
    u_send: FloatArray,
    u_recv: FloatArray,
    axis: int,
    accept: str,
    coincide: bool,
) -> tuple[_State, FloatArray]:
    """The offers' state of the receivers of a tile over its senders (``axis``) and the
    offer counts (3, K): offers, conflicts, capitulations. ``step``: u_send - u_recv."""
    valid = e_in > TOL_EU
    if coincide:
        valid &= d > 0.0
    fights = e_back > TOL_EU
    calm = ~fights
    mag = np.abs(e_back)
    capit = mag >= e_in
    capit &= calm
    capit &= valid
    counts = np.stack([_count(valid), _count(valid & fights), _count(capit)])
    frac = np.divide(mag, e_in, out=mag)
    np.minimum(frac, 1.0, out=frac)
    np.copyto(frac, 1.0, where=fights)
    cand = np.greater(e_in, e_back + TOL_EU)  # j loses the conflict
    cand |= calm
    cand &= valid
    target = frac * step
    target += u_recv
    np.copyto(target, np.broadcast_to(u_send, target.shape), where=frac >= 1.0)
    if accept == "nearest":
        key = np.where(cand, frac * d, np.inf)
    elif accept == "strongest":
        key = np.where(cand, -e_in, np.inf)
    else:  # "strongest_challenge": the strongest valid challenge, held where j wins it
        key = np.where(valid, -e_in, np.inf)
        np.copyto(target, _HOLD, where=~cand)
    arg = np.expand_dims(np.argmin(key, axis=axis), axis)
    k1 = np.take_along_axis(key, arg, axis=axis)
    t1 = np.take_along_axis(target, arg, axis=axis)
    k2 = np.minimum.reduce(key, axis=axis, where=target != t1, initial=np.inf)
    return _State(k1.squeeze(axis), t1.squeeze(axis), k2), counts


def tiled_round(
    u0: FloatArray,
    w0: FloatArray,
    s0: FloatArray,
    active0: BoolArray,
    mu: FloatArray,
    q: float,
    t: float,
    accept: str,
    probability: str,
    tile: int | None = None,
) -> Round:
    """One round of the model on issues (K, N) with unit-scale positions ``u0`` (see the
    module docstring). Call under ``np.errstate(all="ignore")``."""
    k, n = u0.shape
    order = np.argsort(u0, axis=1, kind="stable")
    u = np.take_along_axis(u0, order, axis=1)
    w = np.take_along_axis(w0, order, axis=1)
    s = np.take_along_axis(s0, order, axis=1)
    active = np.take_along_axis(active0, order, axis=1)
    table = vote_table(u, w)
    dm = np.abs(u - mu[:, None])
    act = active.astype(float)
    everyone = bool(active.all())
    off = np.where(active, 0.0, -np.inf)
    coincide = q != 1.0
    tiles = _tiles(k, n, tile or TILE)
    parallel = k * n * n >= THREADED_CELLS

    def pairs(tl: _Tile, p: FloatArray | None = None) -> tuple[FloatArray, ...]:
        """(P^i_ij, d, p_ij, p_ji) of a tile: vote shares, distances, probabilities."""
        ks, rows, cols = tl
        ui, uj = u[ks, rows, None], u[ks, None, cols]
        if p is None:
            a = table.alpha
            p, d, _ = pair_shares(
                table, ui, uj, a[ks, rows, None], a[ks, None, cols], issues=ks, window=True
            )
        else:
            d = np.abs(ui - uj)
        return (p, d, *p_in(p, probability))

    def security(tl: _Tile) -> tuple[FloatArray, FloatArray | None, FloatArray]:
        ks, rows, cols = tl
        p, d, fwd, bwd = pairs(tl)
        e1 = eu(d, d, d, fwd, None, s[ks, None, cols], dm[ks, rows, None], q, t)
        if tl.diagonal and coincide:
            e1[:, np.arange(e1.shape[1]), np.arange(e1.shape[2])] = 0.0
        e1 *= act[ks, rows, None]
        to_cols = np.add.reduce(e1, axis=1)
        if tl.diagonal:
            return to_cols, None, p
        e1b = eu(d, d, d, bwd, None, s[ks, rows, None], dm[ks, None, cols], q, t)
        e1b *= act[ks, None, cols]
        return to_cols, np.add.reduce(e1b, axis=2), p

    sec = np.zeros((k, n))
    kept: list[FloatArray | None] = []  # vote shares of the tiles, while the budget lasts
    room = PAIR_CACHE_BYTES
    for tl, (to_cols, to_rows, p) in zip(tiles, _map(security, tiles, parallel), strict=True):
        sec[tl.ks, tl.cols] += to_cols
        if to_rows is not None:
            sec[tl.ks, tl.rows] += to_rows
        room -= p.nbytes
        kept.append(p if room >= 0 else None)
    R, r = risk_exponents(sec, active)

    def offers(job: tuple[_Tile, FloatArray | None]) -> tuple[_State, _State | None, FloatArray]:
        tl, p = job
        ks, rows, cols = tl
        _, d, fwd, bwd = pairs(tl, p)
        ls = np.log(np.maximum(0.5 - 0.5 * d, 0.0))
        lf = np.log1p(d) + LOG_HALF
        e_f = eu(d, ls, lf, fwd, r[ks, rows, None], s[ks, None, cols], dm[ks, rows, None], q, t)
        if not everyone:
            e_f += off[ks, rows, None] + off[ks, None, cols]
        u_r, u_c = u[ks, rows, None], u[ks, None, cols]
        diff = u_r - u_c  # sender (row) minus receiver (column)
        if tl.diagonal:
            e_b = e_f.transpose(0, 2, 1)
            st, c = _reduce(e_f, e_b, d, diff, u_r, u_c, 1, accept, coincide)
            return st, None, c
        e_b = eu(d, ls, lf, bwd, r[ks, None, cols], s[ks, rows, None], dm[ks, None, cols], q, t)
        if not everyone:
            e_b += off[ks, rows, None] + off[ks, None, cols]
        st_c, c1 = _reduce(e_f, e_b, d, diff, u_r, u_c, 1, accept, coincide)
        np.negative(diff, out=diff)
        st_r, c2 = _reduce(e_b, e_f, d, diff, u_c, u_r, 2, accept, coincide)
        return st_c, st_r, c1 + c2

    best = _State(np.full((k, n), np.inf), np.full((k, n), np.nan), np.full((k, n), np.inf))

    def add(ks: slice, who: slice, st: _State) -> None:
        merged = _merge(_State(*(a[ks, who] for a in best)), st)
        for a, m in zip(best, merged, strict=True):
            a[ks, who] = m

    counts = np.zeros((len(OFFER_KINDS), k))
    jobs = list(zip(tiles, kept, strict=True))
    del kept
    for tl, (st_c, st_r, c) in zip(tiles, _map(offers, jobs, parallel), strict=True):
        add(tl.ks, tl.cols, st_c)
        if st_r is not None:
            add(tl.ks, tl.rows, st_r)
        counts[[0, 1, 3], tl.ks] += c
    counts[2] = counts[0] - counts[1] - counts[3]
    k1, t1, k2 = best
    tol = TOL_POS if accept == "nearest" else TOL_EU
    found = np.isfinite(k1)
    new = np.where(found & (t1 != _HOLD) & (np.abs(t1 - u) > TOL_POS), t1, u)
    tied = found & (k2 <= k1 + tol)
    if tied.any():  # offers to these receivers again, from all senders at once
        cols = np.flatnonzero(tied.any(axis=0))
        size = max(1, TILE_CELLS // (k * n))
        blocks = [cols[c : c + size] for c in range(0, len(cols), size)]

        def again(jj: IntArray) -> FloatArray:
            return _offers_of(table, u, s, dm, r, off, jj, q, t, accept, probability)

        for jj, moved in zip(blocks, _map(again, blocks, parallel), strict=True):
            new[:, jj] = np.where(tied[:, jj], moved, new[:, jj])
    counts[4] = np.add.reduce(new != u, axis=1)
    out = np.empty_like(u0)
    np.put_along_axis(out, order, new, axis=1)
    r_out = np.empty_like(r)
    np.put_along_axis(r_out, order, r, axis=1)
    R_out = np.empty_like(R)
    np.put_along_axis(R_out, order, R, axis=1)
    return Round(u=out, r=r_out, R=R_out, counts=counts)


def _offers_of(
    table: VoteTable,
    u: FloatArray,
    s: FloatArray,
    dm: FloatArray,
    r: FloatArray,
    off: FloatArray,
    cols: IntArray,
    q: float,
    t: float,
    accept: str,
    probability: str,
) -> FloatArray:
    """New positions (K, |cols|) of the receivers ``cols`` from all their offers at once."""
    p, d = pair_terms(table, u, slice(None), cols)
    fwd, bwd = p_in(p, probability)
    ls = np.log(np.maximum(0.5 - 0.5 * d, 0.0))
    lf = np.log1p(d) + LOG_HALF
    e_in = eu(d, ls, lf, fwd, r[:, :, None], s[:, None, cols], dm[:, :, None], q, t)
    e_back = eu(d, ls, lf, bwd, r[:, None, cols], s[:, :, None], dm[:, None, cols], q, t)
    mask = off[:, :, None] + off[:, None, cols]
    return _offers(u[:, :, None], u[:, None, cols], d, e_in + mask, e_back + mask, accept)
