"""Asymmetric (capability-weighted) Nash bargaining solution over several issues.

Nash (1950, "The bargaining problem", *Econometrica* 18(2):155-162) characterises the
bargaining outcome as the point that maximises the product of the players' utility gains
over the disagreement point d; Harsanyi & Selten (1972, "A generalized Nash solution for
two-person bargaining games with incomplete information", *Management Science* 18(5):
P80-P106) weight the players by bargaining power, which gives the asymmetric solution

    x* = argmax_x  sum_i c_i log(u_i(x) - u_i(d))   subject to u_i(x) > u_i(d) for all i,

(eq. 1 of Schneider, Finke & Bailer 2010, "Bargaining power in the European Union: an
evaluation of competing game-theoretic models", *Political Studies* 58(1):85-103; Achen
2006, "Evaluating political decision-making models", in Thomson et al. (eds), *The
European Union Decides*, ch. 10, used the Nash solution with the reference point as d on
the DEU data). Utilities are salience-weighted and separable over issues:

    u_i(x) = - sum_k s_ik phi(|x_k - p_ik| / (hi_k - lo_k)),  phi(t) = t^2 ("quadratic",
    default: smooth and concave, risk-averse actors) or phi(t) = t ("linear").

The bargaining weight of actor i is its salience-weighted mean capability over issues
(c_i = sum_k c_ik s_ik / sum_k s_ik), normalised to sum to one. Actors without salience
anywhere are indifferent and left out. The problem is concave, so the optimum is unique
and solved exactly: on one free issue by bisection on the derivative inside the interval
where every actor gains; on several as a conic programme solved by Clarabel directly
(second-order cones to find a point where every actor gains, then Newton's method for
the quadratic loss; exponential cones for the linear loss).

Disagreement point: the ``disagreement`` parameter (one value per issue, on the issue
scale) if given, else the scenario's reference point (status quo). On an issue without
either, an actor's disagreement utility there is its worst outcome on the scale (the far
end from its position): no deal on that issue is as bad as it can get, so every actor with
salience gains from any agreement near its position. If no point makes every actor strictly
better off than d (the joint gain region is empty, e.g. one actor already at its ideal at
d, or actors on both sides of d on the only issue), there is no Nash agreement: the issues
with a disagreement point stay at d, and the issues without one are bargained over alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backchannel.models.base import ModelOutput, ModelSpec, register
from backchannel.scenario.arrays import FloatArray
from backchannel.scenario.errors import InputError

LOSSES = ("quadratic", "linear")
_TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 400}
GAIN_TOL = 1e-9
"""Relative gain (share of an actor's largest possible gain) below which it counts as none."""


def _phi(t: FloatArray, loss: str) -> FloatArray:
    return np.asarray(t * t if loss == "quadratic" else t)


def _disagreement(
    k: int,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None,
    disagreement: Any,
) -> FloatArray:
    """Disagreement point per issue on the unit scale (NaN: none, use the fallback)."""
    d = reference if disagreement is None else disagreement
    if d is None:
        return np.full(k, np.nan)
    arr = np.broadcast_to(np.asarray(d, dtype=float), (k,)).copy()
    out = (arr - lo) / (hi - lo)
    bad = np.isfinite(out) & ((out < -1e-12) | (out > 1 + 1e-12))
    if bad.any():
        raise InputError(
            f"disagreement point outside the issue scale on issue(s) {np.flatnonzero(bad)}",
            source="nash",
            fix="give a disagreement point within each issue's [min, max]",
        )
    return np.clip(out, 0.0, 1.0)


def _bisect_1d(
    z: FloatArray,
    s: FloatArray,
    delta: FloatArray,
    c: FloatArray,
    loss: str,
    left: float,
    right: float,
) -> float:
    """Maximiser of sum_i c_i log(s_i (phi(delta_i) - phi(|x - z_i|))) on (left, right),
    where every term is finite, by bisection on the sign of the derivative."""
    del s  # a constant factor per actor: it shifts the objective, not the maximiser

    def slope(x: float) -> float:
        dx = x - z
        if loss == "quadratic":
            return float(np.sum(c * (-2.0 * dx) / (delta * delta - dx * dx)))
        return float(np.sum(c * (-np.sign(dx)) / (delta - np.abs(dx))))

    a, b = left, right
    for _ in range(200):
        mid = 0.5 * (a + b)
        if mid <= a or mid >= b:
            break
        g = slope(mid)
        if g > 0:
            a = mid
        elif g < 0:
            b = mid
        else:
            return mid
    return 0.5 * (a + b)


def _clarabel(q: FloatArray, a: Any, b: FloatArray, cones: list[Any]) -> tuple[FloatArray, bool]:
    """Minimise q'v subject to A v + s = b, s in ``cones`` with Clarabel (Goulart & Chen
    2024), at tight tolerances, then at its defaults if that fails; (v, solved)."""
    import clarabel
    import scipy.sparse as sp

    p = sp.csc_matrix((len(q), len(q)))
    a = sp.csc_matrix(a)
    v = np.zeros(len(q))
    for tight in (True, False):
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        if tight:
            for key, value in _TIGHT.items():
                setattr(settings, key, value)
        sol = clarabel.DefaultSolver(p, q, a, b, cones, settings).solve()
        v = np.asarray(sol.x, dtype=float)
        if str(sol.status) in ("Solved", "AlmostSolved") and np.all(np.isfinite(v)):
            return v, True
    return v, False


def _box(f: int, width: int) -> tuple[Any, FloatArray]:
    """Rows of 0 <= x <= 1 for the first f of ``width`` variables (nonnegative cone)."""
    import scipy.sparse as sp

    eye = sp.eye(f, width, format="csr")
    return sp.vstack([-eye, eye]), np.concatenate([np.zeros(f), np.ones(f)])


def _solve_conic(
    z: FloatArray, s: FloatArray, phid: FloatArray, c: FloatArray, loss: str, maxmin: bool
) -> tuple[FloatArray, float]:
    """Solve over x in [0, 1]^F as a conic programme (Clarabel). ``maxmin``: maximise t
    with gain_i >= t G_i, t <= 1 (is the joint gain region non-empty?); else the weighted
    Nash product sum_i c_i log gain_i (exponential cones; linear loss only, the quadratic
    loss is solved by :func:`_newton`).

    Quadratic gains a_i + 2 (s_i z_i).x - sum_k s_ik x_k^2 >= t G_i are the rotated cones
    ((L+1)/2, (L-1)/2, sqrt(s_i) x) with L = a_i + 2 (s_i z_i).x - t G_i; linear gains
    use e_ik >= |x_k - z_ik| (Boyd & Vandenberghe 2004, secs. 4.4.2 and 4.6)."""
    import clarabel
    import scipy.sparse as sp

    n, f = z.shape
    big = np.maximum((s * phid).sum(axis=1), 1e-300)
    if loss == "quadratic":
        # variables: x (f), t
        width = f + 1
        box_a, box_b = _box(f, width)
        t_row = sp.csr_matrix(([1.0], ([0], [f])), shape=(1, width))
        rows, rhs, cones = (
            [box_a, t_row],
            [box_b, np.ones(1)],
            [clarabel.NonnegativeConeT(2 * f + 1)],
        )
        a_const = (s * (phid - z * z)).sum(axis=1)
        for i in range(n):
            lin = np.concatenate([-(s[i] * z[i]), [big[i] / 2]])  # -(L's x and t terms)/2
            cone = sp.vstack(
                [
                    sp.csr_matrix(lin[None]),
                    sp.csr_matrix(lin[None]),
                    sp.hstack([sp.diags(-np.sqrt(s[i])), sp.csr_matrix((f, 1))]),
                ]
            )
            rows.append(cone)
            rhs.append(np.concatenate([[(a_const[i] + 1) / 2, (a_const[i] - 1) / 2], np.zeros(f)]))
            cones.append(clarabel.SecondOrderConeT(f + 2))
        q = np.zeros(width)
        q[f] = -1.0
        v, _ = _clarabel(q, sp.vstack(rows), np.concatenate(rhs), cones)
        return np.asarray(v[:f]), float(v[f])
    # linear loss; variables: x (f), e (n*f, row-major), then t (maxmin) or u (n)
    extra = 1 if maxmin else n
    width = f + n * f + extra
    box_a, box_b = _box(f, width)
    xi = np.tile(np.arange(f), n)  # the x of each e_ik
    ei = f + np.arange(n * f)
    k = np.arange(n * f)
    ones = np.ones(n * f)

    def deviation(sign: float) -> Any:  # e_ik - sign x_k >= -sign z_ik
        return sp.csr_matrix(
            (np.r_[-ones, sign * ones], (np.r_[k, k], np.r_[ei, xi])), shape=(n * f, width)
        )

    dev = sp.vstack([deviation(1.0), deviation(-1.0)])
    dev_b = np.concatenate([z.reshape(-1), -z.reshape(-1)])
    # gain_i = C_i - sum_k s_ik e_ik with C_i = sum_k s_ik phid_ik
    gain = sp.csr_matrix(
        (s.reshape(-1), (np.repeat(np.arange(n), f), ei)), shape=(n, width)
    )  # A row = +s_ik on e_ik: the slack C_i - A v is the gain
    const = (s * phid).sum(axis=1)
    q = np.zeros(width)
    if maxmin:
        t_col = f + n * f
        t_gain = sp.csr_matrix((big, (np.arange(n), np.full(n, t_col))), shape=(n, width))
        t_row = sp.csr_matrix(([1.0], ([0], [t_col])), shape=(1, width))
        a = sp.vstack([box_a, dev, gain + t_gain, t_row])
        b = np.concatenate([box_b, dev_b, const, np.ones(1)])
        q[t_col] = -1.0
        v, _ = _clarabel(q, a, b, [clarabel.NonnegativeConeT(a.shape[0])])
        return np.asarray(v[:f]), float(v[t_col])
    # (u_i, 1, gain_i) in the exponential cone: u_i <= log(gain_i)
    u_col = f + n * f + np.arange(n)
    blocks: list[Any] = []
    exp_b: list[float] = []
    for i in range(n):
        row_u = sp.csr_matrix(([-1.0], ([0], [u_col[i]])), shape=(1, width))
        blocks += [row_u, sp.csr_matrix((1, width)), gain[i]]
        exp_b += [0.0, 1.0, float(const[i])]
    a = sp.vstack([box_a, dev, *blocks])
    b = np.concatenate([box_b, dev_b, np.array(exp_b)])
    cones = [clarabel.NonnegativeConeT(2 * f + 2 * n * f)] + [
        clarabel.ExponentialConeT() for _ in range(n)
    ]
    q[u_col] = -c
    v, solved = _clarabel(q, a, b, cones)
    if not solved:  # pragma: no cover - solver failure
        raise RuntimeError("Nash bargaining: the conic solver did not converge")
    return np.clip(v[:f], 0.0, 1.0), float(c @ v[u_col])


def _nbs(
    z: FloatArray, s: FloatArray, delta: FloatArray, c: FloatArray, loss: str, solver: str
) -> tuple[FloatArray | None, str]:
    """The NBS on the free issues (columns), or None if no point gives every actor with a
    stake in them a gain."""
    stake = s.sum(axis=1) > 0
    z, s, delta, c = z[stake], s[stake], delta[stake], c[stake]
    n, f = z.shape
    if n == 0 or f == 0:
        return None, "none"
    c = c / max(float(c.sum()), 1e-300)
    phid = _phi(delta, loss)
    best = (s * phid).sum(axis=1)  # an actor's largest possible gain (at its ideal point)
    scale = max(float(best.max()), 1e-300)
    if np.any(best <= GAIN_TOL * scale):
        return None, "none"
    if f == 1 and solver in ("auto", "bisection"):
        sal = s[:, 0] > 0
        zz, dd = z[sal, 0], delta[sal, 0]
        left = max(0.0, float(np.max(zz - dd)))
        right = min(1.0, float(np.min(zz + dd)))
        if not right - left > GAIN_TOL:
            return None, "bisection"
        return np.array([_bisect_1d(zz, s[sal, 0], dd, c[sal], loss, left, right)]), "bisection"
    # each actor's gains in units of its largest possible gain: the same solutions, and
    # the conic solver's tolerances mean the same for an actor whose stake is tiny
    unit = s / best[:, None]
    x0, t = _solve_conic(z, unit, phid, c, loss, maxmin=True)
    if t <= 1e-7:
        return None, "clarabel"
    if loss == "quadratic":
        return _newton(z, s, phid, c, np.clip(x0, 0.0, 1.0)), "newton"
    x, _ = _solve_conic(z, unit, phid, c, loss, maxmin=False)
    return x, "clarabel"


def _newton(
    z: FloatArray, s: FloatArray, phid: FloatArray, c: FloatArray, x: FloatArray
) -> FloatArray:
    """Damped Newton ascent of sum_i c_i log g_i(x), g_i = sum_k s_ik (phid_ik - (x_k -
    z_ik)^2), from a point where every g_i > 0 (the objective is its own barrier)."""
    const = (s * phid).sum(axis=1)

    def gains(v: FloatArray) -> FloatArray:
        return np.asarray(const - (s * (v - z) ** 2).sum(axis=1))

    g = gains(x)
    f = float(c @ np.log(g))
    for _ in range(100):
        grad_g = -2.0 * s * (x - z)  # (N, F)
        cg = c / g
        grad = cg @ grad_g
        hess = -2.0 * np.diag(cg @ s) - (grad_g * (cg / g)[:, None]).T @ grad_g
        step = -np.linalg.solve(hess, grad)
        decrement = float(grad @ step)
        if decrement <= 1e-22:
            break
        t = 1.0
        while t > 1e-12:
            xn = x + t * step
            gn = gains(xn)
            if np.all(gn > 0) and np.all((xn >= 0) & (xn <= 1)):
                fn = float(c @ np.log(gn))
                if fn >= f + 0.25 * t * decrement:
                    break
            t *= 0.5
        else:
            break
        x, g, f = xn, gn, fn
    return x


def nash_bargaining(
    position: FloatArray,
    salience: FloatArray,
    capability: FloatArray,
    *,
    lo: FloatArray,
    hi: FloatArray,
    reference: FloatArray | None = None,
    loss: str = "quadratic",
    disagreement: Any = None,
    solver: str = "auto",
    **_: Any,
) -> ModelOutput:
    """Capability-weighted Nash bargaining solution (Nash 1950; Harsanyi & Selten 1972;
    Schneider et al. 2010, eq. 1) over all issues jointly.

    ``position`` (N, K) on each issue's scale [lo, hi]; ``salience`` 0-100 (weights of the
    issues in an actor's utility); ``capability`` (N, K), any non-negative scale.
    ``reference``/``disagreement``: the disagreement point per issue (see the module
    docstring for the fallback). ``loss``: "quadratic" (default) or "linear". ``solver``:
    "auto" (bisection on one issue, the conic solver otherwise), "bisection" or "conic".
    Diagnostics: ``agreement`` (whether every actor gains), ``disagreement`` (d on the
    issue scale, NaN where the worst-outcome fallback was used), ``pinned`` (issues left at
    d), ``blocking`` (actors who cannot gain at all), ``weights``, ``gains`` at the outcome.
    """
    if loss not in LOSSES:
        raise InputError(f"unknown loss {loss!r}", source="nash", fix=f"use one of {LOSSES}")
    if solver not in ("auto", "bisection", "conic"):
        raise InputError(
            f"unknown solver {solver!r}", source="nash", fix="use 'auto', 'bisection' or 'conic'"
        )
    pos = np.asarray(position, dtype=float)
    k = pos.shape[1]
    lo_, hi_ = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    span = hi_ - lo_
    z = np.clip((pos - lo_) / span, 0.0, 1.0)
    s = np.clip(np.asarray(salience, dtype=float) / 100.0, 0.0, None)
    cap = np.asarray(capability, dtype=float)
    d = _disagreement(k, lo_, hi_, reference, disagreement)
    known = np.isfinite(d)
    delta = np.where(known, np.abs(d - z), np.maximum(z, 1.0 - z))

    stake = s.sum(axis=1)
    inside = stake > 0
    w = np.where(inside, (cap * s).sum(axis=1) / np.where(inside, stake, 1.0), 0.0)
    if w[inside].sum() <= 0:
        w = inside.astype(float)  # no capability anywhere: equal weights
    c = w / max(w.sum(), 1e-300)
    # issues nobody cares about: stay at d (or the weighted mean position if no d)
    cared = s.sum(axis=0) > 0

    x = np.where(known, d, np.nan)
    free = cared.copy()
    sol, method = _nbs(z[:, free], s[:, free], delta[:, free], c, loss, solver)
    agreement = sol is not None
    if sol is None:
        # no agreement: issues with a disagreement point stay there; bargain on the rest
        free = cared & ~known
        if free.any():
            sol, method = _nbs(z[:, free], s[:, free], delta[:, free], c, loss, solver)
    if sol is not None:
        x[free] = sol
    rest = np.isnan(x)  # nobody cares and no d: the capability-weighted mean position
    if rest.any():
        x[rest] = (cap[:, rest] * z[:, rest]).sum(axis=0) / np.maximum(
            cap[:, rest].sum(axis=0), 1e-300
        )
    gains = (s * (_phi(delta, loss) - _phi(np.abs(x - z), loss))).sum(axis=1)
    blocking = np.flatnonzero(
        inside
        & (
            (s * _phi(delta, loss)).sum(axis=1)
            <= GAIN_TOL * max(float((s * _phi(delta, loss)).sum(axis=1).max(initial=0.0)), 1e-300)
        )
    )
    return ModelOutput(
        outcome=lo_ + span * x,
        diagnostics={
            "agreement": agreement,
            "disagreement": [
                float(v) if ok else None
                for v, ok in zip(lo_ + span * np.where(known, d, 0.0), known, strict=True)
            ],
            "pinned": np.flatnonzero(~free & known & cared)
            if not agreement
            else np.zeros(0, dtype=int),
            "blocking": blocking,
            "weights": c,
            "gains": gains,
            "loss": loss,
            "method": method,
        },
    )


register(
    ModelSpec(
        name="nash",
        title="Asymmetric Nash bargaining solution (capability-weighted, disagreement = status"
        " quo)",
        citation=(
            "Nash 1950, Econometrica 18(2):155-162; Harsanyi & Selten 1972, Management "
            "Science 18(5):P80-P106; Schneider, Finke & Bailer 2010, Political Studies "
            "58(1):85-103, eq. 1; Achen 2006, The European Union Decides, ch. 10"
        ),
        core=nash_bargaining,
    )
)
