"""Monte Carlo sampling of a scenario's uncertain inputs, vectorised over draws.

Every numeric input of a scenario is a :class:`~backchannel.scenario.schema.Quantity`;
those with a ``dist`` (or ``range``, shorthand for uniform) are *uncertain inputs*.
:func:`sampling_plan` lists them as columns (which actor, issue and field each is, and
which cells of the :class:`~backchannel.scenario.arrays.ScenarioArrays` it writes), and
:meth:`SamplingPlan.draw` draws a (B, D) matrix of values for B draws at once with a numpy
``Generator`` and writes them into (B, N, K) arrays (no Python loop per draw).

Distributions (all truncated to the input's admissible range, see :data:`ADMISSIBLE`):

* ``uniform(low, high)``: uniform on ``[max(low, a), min(high, b)]``;
* ``triangular(low, high)`` with the quantity's ``value`` as its mode (Kotz & van Dorp
  2004, *Beyond Beta*, ch. 1, eqs. 1.1-1.3), truncated by inverse-CDF on ``[F(a), F(b)]``;
* ``normal(value, sd)`` truncated to ``[a, b]`` (and to ``low``/``high`` when given), drawn
  by the inverse-CDF method (Devroye 1986, *Non-Uniform Random Variate Generation*, §2.1).

Admissible ranges: an issue's scale for positions, limits and the status quo; [0, 100] for
salience; >= 0 for capability and incident rates; [-1, 0] for no-deal utilities; [0, 1]
for probabilities, credibility, inducement amounts and channel effects; unbounded for
no-deal adjustments and trends.

Every value is ``F^-1(u)`` of a uniform ``u`` in [0, 1), so the same transform maps a
Saltelli/Sobol design in the unit cube onto the inputs (:mod:`.sensitivity`) and a
Gaussian copula gives correlated draws: with correlation ``rho`` >= 0 between every pair of
inputs, ``z_i = sqrt(rho) w + sqrt(1 - rho) e_i`` (w, e_i standard normal) and
``u_i = Phi(z_i)`` (Nelsen 2006, *An Introduction to Copulas*, §2.10, the Gaussian copula
with an equicorrelation matrix).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

from backchannel.analysis.utility import Loss
from backchannel.scenario.arrays import FloatArray, ScenarioArrays, to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.schema import Quantity, Scenario

Field = Literal[
    "position",
    "salience",
    "capability",
    "limit",
    "status_quo",
    "no_deal",
    "no_deal_adjustment",
    "no_deal_trend",
    "channel",
    "inducement_amount",
    "inducement_credibility",
    "escalation_rate",
    "escalation_p",
    "ambiguity",
    "body_weight",
    "link_value",
]

#: the fields of :class:`ScenarioArrays` a column can write, with their array rank
ARRAY_FIELDS: dict[str, int] = {
    "position": 2,
    "salience": 2,
    "capability": 2,
    "limit": 2,
    "status_quo": 1,
    "no_deal": 1,
    "no_deal_adjustment": 1,
    "no_deal_trend": 1,
    "ambiguity": 1,
    "body_weight": 1,
    "link_value": 1,
}

_INF = math.inf
#: admissible range of each field that does not depend on the issue scale
ADMISSIBLE: dict[str, tuple[float, float]] = {
    "salience": (0.0, 100.0),
    "capability": (0.0, _INF),
    "no_deal": (-1.0, 0.0),
    "no_deal_adjustment": (-_INF, _INF),
    "no_deal_trend": (-_INF, _INF),
    "channel": (0.0, 1.0),
    "inducement_amount": (0.0, 1.0),
    "inducement_credibility": (0.0, 1.0),
    "escalation_rate": (0.0, _INF),
    "escalation_p": (0.0, 1.0),
    "body_weight": (0.0, _INF),
}


@dataclass(frozen=True)
class InputColumn:
    """One uncertain input: its label, what it is, its distribution and where it goes.

    ``cells`` are index tuples into ``ScenarioArrays.<field>`` (without the draw axis);
    an actor-level capability writes every issue the actor has no per-issue capability on.
    Fields outside :data:`ARRAY_FIELDS` (channel, inducements, escalation) are drawn and
    returned in :attr:`Draws.extras` but change no array.
    """

    name: str
    field: Field
    actor: str | None
    issue: str | None
    dist: str
    value: float
    low: float
    high: float
    sd: float
    bounds: tuple[float, float]
    cells: tuple[tuple[int, ...], ...] = ()
    note: str | None = None

    @property
    def in_arrays(self) -> bool:
        """Whether the column changes the arrays that feasibility and the models read."""
        return self.field in ARRAY_FIELDS and bool(self.cells)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "field": self.field,
            "actor": self.actor,
            "issue": self.issue,
            "dist": self.dist,
            "value": self.value,
            "low": None if math.isinf(self.low) else self.low,
            "high": None if math.isinf(self.high) else self.high,
            "sd": None if math.isnan(self.sd) else self.sd,
            "affects_arrays": self.in_arrays,
        }


@dataclass(frozen=True)
class Draws:
    """B draws: ``u`` (B, D) uniforms, ``x`` (B, D) input values, ``arrays`` with a leading
    draw axis on every numeric field, ``extras`` the values of non-array inputs by name."""

    u: FloatArray
    x: FloatArray
    arrays: ScenarioArrays
    extras: dict[str, FloatArray]


@dataclass(frozen=True)
class Term:
    """A scalar input of a derived quantity: its central ``value`` and, when uncertain, the
    index ``col`` of its column."""

    value: float
    col: int | None = None

    def draws(self, x: FloatArray) -> FloatArray:
        return x[:, self.col] if self.col is not None else np.full(x.shape[0], self.value)


@dataclass(frozen=True)
class InducementTerm:
    """A broker's inducement: it moves the no-deal utility of ``targets`` (actor indices:
    the deciders of a target party) by ``sign x amount x credibility`` (``sign`` -1 for a
    pro-deal inducement, +1 for a spoiler's; as
    :func:`backchannel.analysis.mediation.inducement_shift`)."""

    broker: str
    targets: tuple[int, ...]
    amount: Term
    credibility: Term
    sign: float = -1.0


@dataclass(frozen=True)
class EscalationTerms:
    """Incident rate, escalation probability, horizon and the brokers' channel effects."""

    rate: Term
    p_escalate: Term
    horizon_months: float
    channels: tuple[tuple[str, Term], ...] = ()


@dataclass(frozen=True)
class SamplingPlan:
    """The uncertain inputs of a scenario, the central arrays they perturb, and the
    inducements and escalation terms that derived outputs read."""

    base: ScenarioArrays
    columns: tuple[InputColumn, ...]
    loss: Loss = "linear"
    scenario_name: str = ""
    inducements: tuple[InducementTerm, ...] = ()
    escalation: EscalationTerms | None = None

    def inducement_shift(self, x: FloatArray) -> FloatArray:
        """No-deal utility shift (B, N) of the brokers' deliverable inducements."""
        shift = np.zeros((x.shape[0], self.base.n_actors))
        for t in self.inducements:
            delta = t.sign * t.amount.draws(x) * t.credibility.draws(x)
            for a in t.targets:
                shift[:, a] += delta
        return shift

    def escalation_risk(self, x: FloatArray) -> tuple[FloatArray, FloatArray] | None:
        """P(escalation within the horizon) (B,) without and with every channel:
        ``1 - exp(-rate p prod_m(1 - c_m) T)`` (Poisson thinning, as
        :mod:`backchannel.analysis.mediation`)."""
        e = self.escalation
        if e is None:
            return None
        hazard = e.rate.draws(x) * e.p_escalate.draws(x) * e.horizon_months
        keep = np.ones(x.shape[0])
        for _, c in e.channels:
            keep = keep * (1.0 - c.draws(x))
        return -np.expm1(-hazard), -np.expm1(-hazard * keep)

    @property
    def n_inputs(self) -> int:
        return len(self.columns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def active(self) -> tuple[int, ...]:
        """Indices of the columns that change some output: the arrays (feasibility and
        forecasts), the inducements (feasibility with inducements, when there are veto
        players) and the escalation terms (when the scenario models escalation)."""
        used: set[int] = {i for i, c in enumerate(self.columns) if c.in_arrays}
        if self.base.veto_players:
            for t in self.inducements:
                used.update(c for c in (t.amount.col, t.credibility.col) if c is not None)
        if self.escalation is not None:
            e = self.escalation
            terms = [e.rate, e.p_escalate, *(c for _, c in e.channels)]
            used.update(t.col for t in terms if t.col is not None)
        return tuple(sorted(used))

    # -- uniforms -> values ----------------------------------------------------------------
    def transform(self, u: FloatArray) -> FloatArray:
        """Map uniforms ``u`` (B, D) in [0, 1] to input values by each column's truncated
        inverse CDF (vectorised per distribution family)."""
        u = np.asarray(u, dtype=float)
        if u.ndim != 2 or u.shape[1] != self.n_inputs:
            raise ValueError(f"expected a (B, {self.n_inputs}) matrix, got {u.shape}")
        x = np.empty_like(u)
        cols = self.columns
        for kind, fn in (
            ("uniform", _ppf_uniform),
            ("triangular", _ppf_triangular),
            ("normal", _ppf_normal),
        ):
            idx = np.array([i for i, c in enumerate(cols) if c.dist == kind], dtype=np.intp)
            if idx.size:
                p = {
                    name: np.array([getattr(cols[i], name) for i in idx], dtype=float)
                    for name in ("value", "low", "high", "sd")
                }
                a = np.array([cols[i].bounds[0] for i in idx], dtype=float)
                b = np.array([cols[i].bounds[1] for i in idx], dtype=float)
                x[:, idx] = np.clip(fn(u[:, idx], a=a, b=b, **p), a, b)
        return x

    def uniforms(self, rng: np.random.Generator, size: int, rho: float = 0.0) -> FloatArray:
        """(size, D) uniforms: independent, or joined by an equicorrelated Gaussian copula
        with correlation ``rho`` in [0, 1)."""
        d = self.n_inputs
        if rho == 0.0:
            return rng.random((size, d))
        if not 0.0 <= rho < 1.0:
            raise InputError(
                f"correlation {rho} is outside [0, 1)",
                source="--correlation",
                fix="give a correlation between 0 (independent) and 0.99",
            )
        z = math.sqrt(rho) * rng.standard_normal((size, 1)) + math.sqrt(1.0 - rho) * (
            rng.standard_normal((size, d))
        )
        return np.asarray(special.ndtr(z))

    def apply(self, x: FloatArray) -> ScenarioArrays:
        """Write input values ``x`` (B, D) into arrays with a leading draw axis B."""
        b = x.shape[0]
        out: dict[str, FloatArray] = {}
        for name in ARRAY_FIELDS:
            base = np.asarray(getattr(self.base, name), dtype=float)
            out[name] = np.array(np.broadcast_to(base, (b, *base.shape)))
        for name, rank in ARRAY_FIELDS.items():
            col_idx: list[int] = []
            cell_idx: list[tuple[int, ...]] = []
            for i, c in enumerate(self.columns):
                if c.field == name:
                    for cell in c.cells:
                        col_idx.append(i)
                        cell_idx.append(cell)
            if not col_idx:
                continue
            cells = np.array(cell_idx, dtype=np.intp).reshape(len(cell_idx), rank)
            target = out[name]
            if rank == 2:
                target[:, cells[:, 0], cells[:, 1]] = x[:, col_idx]
            else:
                target[:, cells[:, 0]] = x[:, col_idx]
        return dataclasses.replace(self.base, **out)  # type: ignore[arg-type]

    def extras(self, x: FloatArray) -> dict[str, FloatArray]:
        return {c.name: x[:, i] for i, c in enumerate(self.columns) if not c.in_arrays}

    def draw(self, size: int, seed: int | np.random.SeedSequence, rho: float = 0.0) -> Draws:
        """Draw ``size`` scenarios at once from ``seed`` (an int or a SeedSequence)."""
        rng = np.random.default_rng(seed)
        u = self.uniforms(rng, size, rho)
        return self.from_uniforms(u)

    def from_uniforms(self, u: FloatArray) -> Draws:
        x = self.transform(u)
        return Draws(u=u, x=x, arrays=self.apply(x), extras=self.extras(x))


# -- inverse CDFs (vectorised over columns; parameters have shape (D,)) ---------------------
def _ppf_uniform(
    u: FloatArray,
    *,
    a: FloatArray,
    b: FloatArray,
    low: FloatArray,
    high: FloatArray,
    **_: FloatArray,
) -> FloatArray:
    lo = np.maximum(low, a)
    hi = np.minimum(high, b)
    return np.asarray(lo + u * (hi - lo))


def _tri_cdf(x: FloatArray, lo: FloatArray, hi: FloatArray, c: FloatArray) -> FloatArray:
    w = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(c > lo, (x - lo) ** 2 / (w * (c - lo)), 1.0)
        right = np.where(hi > c, 1.0 - (hi - x) ** 2 / (w * (hi - c)), 1.0)
    f = np.where(x <= c, np.where(x <= lo, 0.0, left), np.where(x >= hi, 1.0, right))
    f = np.where(w > 0, f, (x >= lo).astype(float))
    return np.asarray(np.clip(np.nan_to_num(f, nan=0.5), 0.0, 1.0))


def _ppf_triangular(
    u: FloatArray,
    *,
    a: FloatArray,
    b: FloatArray,
    low: FloatArray,
    high: FloatArray,
    value: FloatArray,
    **_: FloatArray,
) -> FloatArray:
    w = high - low
    fa = _tri_cdf(np.maximum(a, low), low, high, value)
    fb = _tri_cdf(np.minimum(b, high), low, high, value)
    v = fa + u * (fb - fa)
    fc = np.where(w > 0, (value - low) / np.where(w > 0, w, 1.0), 0.0)
    left = low + np.sqrt(np.maximum(v * w * (value - low), 0.0))
    right = high - np.sqrt(np.maximum((1.0 - v) * w * (high - value), 0.0))
    x = np.where(v < fc, left, right)
    # degenerate (zero or subnormal width) triangles: the mode
    return np.asarray(np.where(np.isfinite(x), x, value))


def _ppf_normal(
    u: FloatArray,
    *,
    a: FloatArray,
    b: FloatArray,
    low: FloatArray,
    high: FloatArray,
    value: FloatArray,
    sd: FloatArray,
    **_: FloatArray,
) -> FloatArray:
    lo = np.maximum(a, low)
    hi = np.minimum(b, high)
    fa = special.ndtr((lo - value) / sd)
    fb = special.ndtr((hi - value) / sd)
    v = np.clip(fa + u * (fb - fa), 1e-300, 1.0 - 1e-16)
    return np.asarray(value + sd * special.ndtri(v))


# -- building the plan ------------------------------------------------------------------------
def sampling_plan(scenario: Scenario, arrays: ScenarioArrays | None = None) -> SamplingPlan:
    """List every uncertain input of ``scenario`` as a column (in scenario order: issues'
    status quo, then per actor its capability, stances, no-deal values, channel and
    inducements, then escalation)."""
    arrays = to_arrays(scenario) if arrays is None else arrays
    cols: list[InputColumn] = []
    issue_ids = list(arrays.issue_ids)

    def add(
        qty: Quantity | None,
        name: str,
        field: Field,
        actor: str | None,
        issue: str | None,
        bounds: tuple[float, float],
        cells: tuple[tuple[int, ...], ...] = (),
    ) -> Term | None:
        if qty is None:
            return None
        if qty.dist is None:
            return Term(qty.value)
        cols.append(_column(qty, name, field, actor, issue, bounds, cells))
        return Term(qty.value, len(cols) - 1)

    inducements: list[InducementTerm] = []
    channels: list[tuple[str, Term]] = []

    for k, iss in enumerate(scenario.issues):
        add(
            iss.status_quo,
            f"{iss.id}.status_quo",
            "status_quo",
            None,
            iss.id,
            (iss.scale.min, iss.scale.max),
            ((k,),),
        )
    for a_i, act in enumerate(scenario.actors):
        own = {issue_ids.index(i) for i, st in act.positions.items() if st.capability is not None}
        add(
            act.capability,
            f"{act.id}.capability",
            "capability",
            act.id,
            None,
            ADMISSIBLE["capability"],
            tuple((a_i, k) for k in range(len(issue_ids)) if k not in own),
        )
        for iid, st in act.positions.items():
            k = issue_ids.index(iid)
            sc = scenario.issue(iid).scale
            scale = (sc.min, sc.max)
            for fname, qty, bounds in (
                ("position", st.position, scale),
                ("salience", st.salience, ADMISSIBLE["salience"]),
                ("capability", st.capability, ADMISSIBLE["capability"]),
                ("limit", st.limit, scale),
            ):
                add(
                    qty,
                    f"{act.id}.{iid}.{fname}",
                    fname,  # type: ignore[arg-type]
                    act.id,
                    iid,
                    bounds,
                    ((a_i, k),),
                )
        if act.no_deal is not None:
            nd = act.no_deal
            add(
                nd.utility,
                f"{act.id}.no_deal.utility",
                "no_deal",
                act.id,
                None,
                ADMISSIBLE["no_deal"],
                ((a_i,),),
            )
            add(
                nd.adjustment,
                f"{act.id}.no_deal.adjustment",
                "no_deal_adjustment",
                act.id,
                None,
                ADMISSIBLE["no_deal_adjustment"],
                ((a_i,),),
            )
            add(
                nd.trend,
                f"{act.id}.no_deal.trend",
                "no_deal_trend",
                act.id,
                None,
                ADMISSIBLE["no_deal_trend"],
                ((a_i,),),
            )
        chan = add(act.channel, f"{act.id}.channel", "channel", act.id, None, ADMISSIBLE["channel"])
        if chan is not None:
            channels.append((act.id, chan))
        for n_i, ind in enumerate(act.inducements):
            stem = f"{act.id}.inducements[{n_i}]"
            amount = add(
                ind.amount,
                f"{stem}.amount",
                "inducement_amount",
                act.id,
                None,
                ADMISSIBLE["inducement_amount"],
            )
            cred = add(
                ind.credibility,
                f"{stem}.credibility",
                "inducement_credibility",
                act.id,
                None,
                ADMISSIBLE["inducement_credibility"],
            )
            ids = [r.id for r in scenario.recipients(ind.target)]
            assert amount is not None and cred is not None
            inducements.append(
                InducementTerm(
                    broker=act.id,
                    targets=tuple(arrays.index(t) for t in ids),
                    amount=amount,
                    credibility=cred,
                    sign=ind.sign,
                )
            )
    for k, iss in enumerate(scenario.issues):
        add(
            iss.ambiguity,
            f"{iss.id}.ambiguity",
            "ambiguity",
            None,
            iss.id,
            (0.0, iss.scale.max - iss.scale.min),
            ((k,),),
        )
    structure = arrays.structure
    for body in structure.bodies if structure is not None else ():
        unit = scenario.actors[body.unit]
        if not body.explicit or unit.ratification is None:
            continue
        spec = next(b for b in unit.ratification.paths[body.path].bodies if b.id == body.id)
        for m, slot in zip(body.members, body.slots, strict=True):
            mid = scenario.actors[m].id
            add(
                spec.members[mid],
                f"{unit.id}.ratification.{body.id}.{mid}",
                "body_weight",
                unit.id,
                None,
                ADMISSIBLE["body_weight"],
                ((slot,),),
            )
    for link in structure.links if structure is not None else ():
        actor = scenario.actors[link.actor]
        cond = actor.linkage[link.index]
        for side, atom in (("when", link.when), ("then", link.then)):
            c = getattr(cond, side)
            qty = c.at_least if c.at_least is not None else c.at_most
            if atom.slot < 0 or qty is None:
                continue
            sc_ = scenario.issue(c.issue).scale
            add(
                qty,
                f"{actor.id}.linkage[{link.index}].{side}",
                "link_value",
                actor.id,
                c.issue,
                (sc_.min, sc_.max),
                ((atom.slot,),),
            )
    escalation = None
    if scenario.escalation is not None:
        esc = scenario.escalation
        rate = add(
            esc.rate,
            "escalation.rate",
            "escalation_rate",
            None,
            None,
            ADMISSIBLE["escalation_rate"],
        )
        p_esc = add(
            esc.p_escalate,
            "escalation.p_escalate",
            "escalation_p",
            None,
            None,
            ADMISSIBLE["escalation_p"],
        )
        assert rate is not None and p_esc is not None
        escalation = EscalationTerms(
            rate=rate, p_escalate=p_esc, horizon_months=esc.horizon_months, channels=tuple(channels)
        )
    return SamplingPlan(
        base=arrays,
        columns=tuple(cols),
        loss=scenario.loss,
        scenario_name=scenario.name,
        inducements=tuple(inducements),
        escalation=escalation,
    )


def _column(
    qty: Quantity,
    name: str,
    field: Field,
    actor: str | None,
    issue: str | None,
    bounds: tuple[float, float],
    cells: tuple[tuple[int, ...], ...],
) -> InputColumn:
    d = qty.dist
    assert d is not None
    low = -_INF if d.low is None else float(d.low)
    high = _INF if d.high is None else float(d.high)
    sd = math.nan if d.sd is None else float(d.sd)
    fix_range = f"give '{name}' a range that overlaps [{bounds[0]}, {bounds[1]}]"
    if max(low, bounds[0]) > min(high, bounds[1]):
        raise InputError(
            f"the {d.dist} range [{low}, {high}] lies outside the admissible range "
            f"[{bounds[0]}, {bounds[1]}]",
            source="scenario",
            where=name,
            fix=fix_range,
        )
    if d.dist == "triangular" and not low <= qty.value <= high:
        raise InputError(
            f"a triangular distribution takes the value ({qty.value}) as its mode, which "
            f"must lie in [low, high] = [{low}, {high}]",
            source="scenario",
            where=name,
            fix="widen the range or move the value inside it",
        )
    return InputColumn(
        name=name,
        field=field,
        actor=actor,
        issue=issue,
        dist=d.dist,
        value=float(qty.value),
        low=low,
        high=high,
        sd=sd,
        bounds=(float(bounds[0]), float(bounds[1])),
        cells=cells,
        note=qty.note,
    )


def chunk_seeds(seed: int, n_chunks: int) -> list[np.random.SeedSequence]:
    """One independent SeedSequence per chunk (``SeedSequence(seed).spawn(n_chunks)``)."""
    return np.random.SeedSequence(seed).spawn(n_chunks)


def chunk_sizes(draws: int, chunk_size: int) -> list[int]:
    """Split ``draws`` into chunks of ``chunk_size`` (the last one smaller)."""
    full, rest = divmod(draws, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])
