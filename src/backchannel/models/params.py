"""The parameters of each forecasting model: name, type and default (read from the model
core's signature, so they cannot drift from the code) and meaning (written here, one
table for every model; a test checks that the table covers exactly the cores' keyword
parameters).

:func:`check_params` refuses unknown names and values of the wrong type, naming the valid
ones (as scikit-learn refuses unknown estimator parameters), so a typo such as
``forecast(sc, "eum", round=3)`` raises instead of silently running the default.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from backchannel.scenario.errors import InputError

#: inputs a core receives from the scenario (``rule``: the EU legislative rule of the
#: procedural models), not parameters a user sets
SHARED = frozenset({"position", "salience", "capability", "lo", "hi", "reference", "seed", "rule"})

#: the parameter that bounds the number of rounds, per model with rounds
ROUNDS = {"eum": "rounds", "exchange": "max_rounds", "spatial": "max_turns"}

ABSENT_DOC = (
    "Council members without a position: 'support' (they go along with any change a "
    "winning coalition wants) or 'abstain' (under QMV they add no votes)"
)
DOCS: Mapping[str, Mapping[str, str]] = {
    "compromise": {},
    "median": {},
    "nash": {
        "loss": "how an actor's utility falls with distance from its position on each issue: "
        "'quadratic' (risk-averse, smooth) or 'linear'",
        "disagreement": "the disagreement point, one value per issue on the issue's scale "
        "(default: the scenario's status quo; an issue without one uses each actor's worst "
        "outcome)",
        "solver": "'auto' (bisection on one issue, the conic solver otherwise), 'bisection' "
        "(one issue only) or 'conic'",
    },
    "eum": {
        "rounds": "maximum number of rounds of challenges and offers",
        "Q": "probability that a third party joins a contest (eq. 1 of Scholz et al. 2011)",
        "T": "probability that an unchallenged actor keeps the status quo (eq. 1)",
        "accept": "which offer an actor accepts: 'nearest' (the one that moves it least, "
        "BdM 1994), 'strongest' (the most determined challenger) or 'strongest_challenge' "
        "(the rule of D. Masad's public replication)",
        "probability": "probability of winning a challenge: 'net' (net votes for the "
        "challenger over all votes) or 'share' (eq. 7 as printed)",
        "forecast": "the forecast of each round: 'median' (the Condorcet position) or 'mean' "
        "(capability x salience weighted mean)",
        "stop_when_stable": "stop before the last round when no position moves any more",
    },
    "exchange": {
        "max_rounds": "maximum number of rounds of exchanges",
        "carryover": "where the next round starts: 'voting' (the voting positions) or "
        "'decide' (a salience-dependent step towards them, as the decide software does)",
        "salience_max": "the salience that counts as full attention in the 'decide' "
        "carry-over rule",
        "fixed_weight": "f in the 'decide' carry-over step x + (f + w (1 - s)) (y - x)",
        "salience_weight": "w in the 'decide' carry-over step x + (f + w (1 - s)) (y - x)",
        "tol": "gains at or below this count as no gain (0-100 scale)",
    },
    "agenda_setter": {"absent": ABSENT_DOC},
    "winset_bargain": {"absent": ABSENT_DOC},
    "compromise_winset": {"absent": ABSENT_DOC},
    "spatial": {
        "max_turns": "maximum number of turns of challenge, bargain and vote",
        "min_turns": "turns run before the stopping rule applies",
        "min_delta_ratio": "stop when a turn moves positions less than this share of the "
        "first turn's movement",
        "pce": "probability of prevailing: 'conditional' (KTAB's reference run) or "
        "'markov' (Condorcet-style Markov probabilities)",
        "ktab_exact": "follow KTAB to the letter (input order of actors, absolute floors, "
        "exact ties) instead of the order- and unit-independent default",
    },
}


@dataclass(frozen=True)
class Param:
    """One parameter of a forecasting model: ``name``, ``type`` (as text, e.g. ``int`` or
    ``'voting' | 'decide'``), ``default`` and ``doc`` (its meaning)."""

    name: str
    type: str
    default: Any
    doc: str

    def to_dict(self) -> dict[str, Any]:
        """The parameter as JSON-ready data (``backchannel models --json``)."""
        return {"name": self.name, "type": self.type, "default": self.default, "doc": self.doc}


def _hints(core: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(core)
    except Exception:  # pragma: no cover - an annotation that cannot be resolved
        return {}


def _type_text(hint: Any, fallback: str) -> str:
    if get_origin(hint) is Literal:
        return " | ".join(repr(a) for a in get_args(hint))
    if isinstance(hint, type):
        return hint.__name__
    return fallback


def describe(name: str, core: Any) -> tuple[Param, ...]:
    """The parameters of model ``name`` whose core is ``core``, in signature order."""
    docs = DOCS.get(name, {})
    hints = _hints(core)
    out = []
    for p in inspect.signature(core).parameters.values():
        if p.kind != p.KEYWORD_ONLY or p.name in SHARED:
            continue
        raw = p.annotation if isinstance(p.annotation, str) else str(p.annotation)
        out.append(
            Param(
                name=p.name,
                type=_type_text(hints.get(p.name), raw),
                default=p.default,
                doc=docs.get(p.name, ""),
            )
        )
    return tuple(out)


def _type_ok(value: Any, hint: Any) -> bool:
    if get_origin(hint) is Literal:
        return value in get_args(hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # anything else (arrays, Any) is checked by the model itself


def check_params(name: str, core: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` if every name is a parameter of model ``name`` and every value has its
    type; otherwise an :class:`InputError` listing the valid parameters."""
    known = {p.name: p for p in describe(name, core)}
    inputs = set(inspect.signature(core).parameters) & SHARED  # e.g. ``rule``
    unknown = sorted(set(params) - set(known) - inputs)
    valid = ", ".join(f"{p.name} ({p.type}, default {p.default!r})" for p in known.values())
    if unknown:
        raise InputError(
            f"model {name!r} has no parameter(s) {', '.join(map(repr, unknown))}",
            source=f"model {name!r}",
            fix=f"use one of: {valid}" if known else f"model {name!r} takes no parameters",
        )
    hints = _hints(core)
    for key, value in params.items():
        if key in known and not _type_ok(value, hints.get(key)):
            raise InputError(
                f"parameter {key!r} of model {name!r} must be {known[key].type}, got {value!r}",
                source=f"model {name!r}",
                fix=f"give {key} a value of type {known[key].type}",
            )
    return dict(params)
