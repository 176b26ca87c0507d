"""Hypothesis strategies for backchannel's own objects, for use in tests (ours and yours).

``scenarios()`` draws valid :class:`~backchannel.scenario.schema.Scenario` objects: issues
with random scales, anchors and status quo; states with full positions (vetoes on by
default) and optional red lines, no-deal values and agenda constraints; optionally
non-veto states with partial positions, and mediators with inducements. Numbers are drawn
on a grid (multiples of 1/8 of the scale) so that hand-checks stay readable.

hypothesis is a development dependency: this module imports it, so the core never imports
this module. Example::

    from hypothesis import given
    from backchannel.scenario.strategies import scenarios

    @given(scenarios(max_actors=4, max_issues=3))
    def test_something(sc): ...
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from backchannel.scenario.schema import Scenario

__all__ = ["identifiers", "names", "quantities", "scenarios"]

# Names that YAML would misread if written unquoted, plus ordinary ones.
_TRICKY_NAMES = [
    "yes",
    "no",
    "null",
    "~",
    "1.5",
    "0x1F",
    "a: b",
    "#hash",
    "- dash",
    "'quoted'",
    '"double"',
    "Côte d'Ivoire",
    "[list]",
    "{map}",
    "@at",
    "%pct",
]
_NAME_ALPHABET = st.characters(
    categories=["L", "N", "Zs", "Pd", "Po"],
    exclude_characters="\x85\u2028\u2029",
)


def identifiers() -> st.SearchStrategy[str]:
    """Valid ids: a letter, then letters, digits, ``_``, ``-`` or ``.``."""
    return st.from_regex(r"\A[A-Za-z][A-Za-z0-9_.\-]{0,11}\Z")


def names() -> st.SearchStrategy[str]:
    """Display names, including some that YAML would misread if left unquoted."""
    plain = st.text(_NAME_ALPHABET, min_size=1, max_size=20).filter(lambda s: s.strip() != "")
    return st.one_of(st.sampled_from(_TRICKY_NAMES), plain)


def _grid(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.integers(0, 8).map(lambda k: lo + (hi - lo) * k / 8)


def quantities(
    values: st.SearchStrategy[float],
    *,
    lo: float | None = None,
    hi: float | None = None,
) -> st.SearchStrategy[Any]:
    """A number, or a ``{value, note, dist}`` mapping with uncertainty within [lo, hi]."""

    @st.composite
    def _full(draw: st.DrawFn) -> dict[str, Any]:
        v = draw(values)
        out: dict[str, Any] = {"value": v}
        if draw(st.booleans()):
            out["note"] = draw(names())
        if lo is not None and hi is not None and draw(st.booleans()):
            kind = draw(st.sampled_from(["uniform", "triangular", "normal"]))
            if kind == "normal":
                out["dist"] = {"dist": "normal", "sd": draw(st.sampled_from([0.5, 1.0, 5.0]))}
            else:
                out["dist"] = {"dist": kind, "low": lo, "high": hi}
        return out

    return st.one_of(values, _full())


@st.composite
def _issue(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    lo = draw(st.sampled_from([0.0, -10.0, 1.0, -1.0]))
    hi = lo + draw(st.sampled_from([1.0, 10.0, 100.0, 7.5]))
    issue: dict[str, Any] = {"id": ident, "name": draw(names())}
    if (lo, hi) != (0.0, 100.0) or draw(st.booleans()):
        issue["scale"] = {"min": lo, "max": hi}
    anchor_values = draw(st.lists(_grid(lo, hi), max_size=3, unique=True))
    if anchor_values:
        issue["anchors"] = [{"value": v, "label": draw(names())} for v in sorted(anchor_values)]
    if draw(st.booleans()):
        issue["status_quo"] = draw(quantities(_grid(lo, hi), lo=lo, hi=hi))
    if draw(st.booleans()):
        issue["description"] = draw(names())
    return issue


@st.composite
def _stance(draw: st.DrawFn, lo: float, hi: float, with_limit: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "position": draw(quantities(_grid(lo, hi), lo=lo, hi=hi)),
        "salience": draw(quantities(_grid(0.0, 100.0), lo=0.0, hi=100.0)),
    }
    if with_limit and draw(st.booleans()):
        out["limit"] = draw(quantities(_grid(lo, hi), lo=lo, hi=hi))
    if draw(st.booleans()):
        out["capability"] = draw(_grid(0.0, 10.0))
    return out


@st.composite
def scenarios(
    draw: st.DrawFn,
    min_actors: int = 2,
    max_actors: int = 5,
    min_issues: int = 1,
    max_issues: int = 4,
    with_vetoes: bool = True,
    with_mediators: bool = False,
) -> Scenario:
    """Valid scenarios.

    ``with_vetoes``: every state is a veto player with a position on every issue (the
    others are forecast-only states with ``veto: false`` and possibly partial positions).
    ``with_mediators``: also add up to two mediators offering inducements to the states.
    Limits, no-deal values and agenda constraints are optional per actor.
    """
    n_issues = draw(st.integers(min_issues, max_issues))
    n_actors = draw(st.integers(min_actors, max_actors))
    ids = draw(
        st.lists(
            identifiers(),
            min_size=n_issues + n_actors + 2,
            max_size=n_issues + n_actors + 2,
            unique=True,
        )
    )
    issue_ids, actor_ids = ids[:n_issues], ids[n_issues : n_issues + n_actors]
    issues = [draw(_issue(i)) for i in issue_ids]
    bounds = {
        i["id"]: (i.get("scale", {}).get("min", 0.0), i.get("scale", {}).get("max", 100.0))
        for i in issues
    }

    actors: list[dict[str, Any]] = []
    for aid in actor_ids:
        if with_vetoes:
            on = issue_ids
        else:
            on = draw(st.lists(st.sampled_from(issue_ids), unique=True, max_size=n_issues))
        actor: dict[str, Any] = {
            "id": aid,
            "name": draw(names()),
            "kind": "state",
            "capability": draw(quantities(_grid(0.0, 100.0), lo=0.0, hi=100.0)),
            "positions": {i: draw(_stance(*bounds[i], with_limit=with_vetoes)) for i in on},
        }
        if not with_vetoes:
            actor["veto"] = False
        if with_vetoes and draw(st.booleans()):
            nd: dict[str, Any] = {}
            if draw(st.booleans()):
                nd["utility"] = draw(_grid(-1.0, 0.0))
            else:
                nd["adjustment"] = draw(_grid(-0.5, 0.5))
            if draw(st.booleans()):
                nd["trend"] = draw(_grid(-0.04, 0.04))
            actor["no_deal"] = nd
        if draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(issue_ids), unique=True, max_size=n_issues))
            cut = draw(st.integers(0, len(chosen)))
            actor["agenda"] = {"requires": chosen[:cut], "refuses": chosen[cut:]}
        if draw(st.booleans()):
            actor["note"] = draw(names())
        actors.append(actor)

    if with_mediators:
        for mid in ids[n_issues + n_actors :][: draw(st.integers(0, 2))]:
            targets = draw(st.lists(st.sampled_from(actor_ids), unique=True, max_size=2))
            actors.append(
                {
                    "id": mid,
                    "name": draw(names()),
                    "kind": draw(st.sampled_from(["mediator", "third_party"])),
                    "channel": draw(_grid(0.0, 1.0)),
                    "inducements": [
                        {
                            "target": t,
                            "kind": draw(
                                st.sampled_from(["side_payment", "pressure", "assurance"])
                            ),
                            "amount": draw(_grid(0.0, 0.5)),
                            "credibility": draw(_grid(0.0, 1.0)),
                        }
                        for t in targets
                    ],
                }
            )

    data: dict[str, Any] = {"name": draw(names()), "issues": issues, "actors": actors}
    if draw(st.booleans()):
        data["description"] = draw(names())
    if draw(st.booleans()):
        data["loss"] = draw(st.sampled_from(["linear", "quadratic"]))
    return Scenario.model_validate(data)
