"""Arrays view of a scenario: actors x issues matrices for the numerical core.

The core (feasibility, models, sweeps) works on these arrays only; the pydantic scenario
stays at the edges. Missing stances are NaN in ``position`` and 0 in ``salience``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from backchannel.scenario.schema import ActorKind, Scenario, q
from backchannel.scenario.structure import Structure, compile_structure

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class ScenarioArrays:
    """Central values of a scenario as arrays (N actors x K issues).

    ``position``: ideal points on each issue's scale (NaN where the actor takes none).
    ``salience``: 0-100 (0 where none). ``capability``: per actor and issue (actor default
    where no per-issue value). ``limit``: red lines (NaN: none). ``lo``/``hi``: scale bounds.
    ``status_quo``: reversion point per issue (NaN: none). ``no_deal``: explicit no-deal
    utility per actor (NaN: computed from the status quo), ``no_deal_adjustment`` and
    ``no_deal_trend`` (per month). ``requires``/``refuses``: agenda constraints (N x K);
    ``separable`` (N x K): the actor's red line on the issue does not bind a deal that
    defers it; ``one_sided`` (N x K): the red line is one-sided. ``ambiguity`` (K,): width
    of a constructively ambiguous settlement (0: none). ``body_weight``: member weights of
    every ratifying body, ``link_value``: linkage thresholds, both indexed by the slots of
    ``structure`` (:mod:`backchannel.scenario.structure`). ``veto_players``: the deciders
    (actors whose own preferences decide whether a deal is accepted).
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    kinds: tuple[ActorKind, ...]
    position: FloatArray
    salience: FloatArray
    capability: FloatArray
    limit: FloatArray
    lo: FloatArray
    hi: FloatArray
    status_quo: FloatArray
    no_deal: FloatArray
    no_deal_adjustment: FloatArray
    no_deal_trend: FloatArray
    requires: BoolArray
    refuses: BoolArray
    separable: BoolArray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    one_sided: BoolArray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    ambiguity: FloatArray = field(default_factory=lambda: np.zeros(0))
    body_weight: FloatArray = field(default_factory=lambda: np.zeros(0))
    link_value: FloatArray = field(default_factory=lambda: np.zeros(0))
    structure: Structure | None = None
    veto_players: tuple[int, ...] = field(default=())

    @property
    def span(self) -> FloatArray:
        return self.hi - self.lo

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    def index(self, actor_id: str) -> int:
        return self.actor_ids.index(actor_id)

    def issue_index(self, issue_id: str) -> int:
        return self.issue_ids.index(issue_id)

    def with_positions(self) -> BoolArray:
        """Actors with a position on at least one issue (those the forecast models use)."""
        return np.asarray(~np.all(np.isnan(self.position), axis=1))


def to_arrays(scenario: Scenario) -> ScenarioArrays:
    """Build the arrays view of a validated scenario."""
    issues = [i.id for i in scenario.issues]
    actors = scenario.actors
    n, k = len(actors), len(issues)
    pos = np.full((n, k), np.nan)
    sal = np.zeros((n, k))
    cap = np.zeros((n, k))
    lim = np.full((n, k), np.nan)
    req = np.zeros((n, k), dtype=bool)
    ref = np.zeros((n, k), dtype=bool)
    sep = np.tile(np.array([i.separable for i in scenario.issues], dtype=bool), (n, 1))
    one = np.zeros((n, k), dtype=bool)
    nd = np.full(n, np.nan)
    nd_adj = np.zeros(n)
    nd_trend = np.zeros(n)
    for a_i, a in enumerate(actors):
        cap[a_i, :] = a.capability.value
        for iid, st in a.positions.items():
            j = issues.index(iid)
            pos[a_i, j] = st.position.value
            sal[a_i, j] = st.salience.value
            if st.capability is not None:
                cap[a_i, j] = st.capability.value
            if st.limit is not None:
                lim[a_i, j] = st.limit.value
            one[a_i, j] = st.limit_side == "one_sided"
        for iid in a.agenda.requires:
            req[a_i, issues.index(iid)] = True
        for iid in a.agenda.refuses:
            ref[a_i, issues.index(iid)] = True
        for iid in a.agenda.separable:
            sep[a_i, issues.index(iid)] = True
        if a.no_deal is not None:
            u = q(a.no_deal.utility)
            nd[a_i] = np.nan if u is None else u
            nd_adj[a_i] = a.no_deal.adjustment.value
            nd_trend[a_i] = a.no_deal.trend.value
    structure, weights, link_values = compile_structure(scenario)
    sq = np.array([np.nan if i.status_quo is None else i.status_quo.value for i in scenario.issues])
    return ScenarioArrays(
        actor_ids=tuple(a.id for a in actors),
        issue_ids=tuple(issues),
        kinds=tuple(a.kind for a in actors),
        position=pos,
        salience=sal,
        capability=cap,
        limit=lim,
        lo=np.array([i.scale.min for i in scenario.issues]),
        hi=np.array([i.scale.max for i in scenario.issues]),
        status_quo=sq,
        no_deal=nd,
        no_deal_adjustment=nd_adj,
        no_deal_trend=nd_trend,
        requires=req,
        refuses=ref,
        separable=sep,
        one_sided=one,
        ambiguity=np.array(
            [0.0 if i.ambiguity is None else i.ambiguity.value for i in scenario.issues]
        ),
        body_weight=np.array(weights, dtype=float),
        link_value=np.array(link_values, dtype=float),
        structure=structure,
        veto_players=structure.deciders,
    )
