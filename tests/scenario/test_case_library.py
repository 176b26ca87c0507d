"""The shipped library of coded historical negotiations: every case loads, validates and
keeps its outcome apart from its inputs; the library has the breadth it promises."""

from __future__ import annotations

from collections import Counter

import pytest

from backchannel.scenario import case_names, load_case, load_scenario
from backchannel.scenario.errors import InputError

NAMES = case_names()
VOTING = {"majority", "two_thirds", "three_fifths", "quota", "double_majority"}


@pytest.mark.parametrize("name", NAMES)
def test_case_loads_with_its_coding_and_outcome(name: str) -> None:
    sc = load_case(name)
    assert sc.case is not None and sc.outcome is not None
    assert sc.case.perspective is not None, "the date the coder is placed at"
    # the analyst is placed before the outcome is known
    assert sc.case.perspective < sc.outcome.date
    assert sc.outcome.deal == (sc.outcome.result in ("agreement", "interim_agreement"))
    assert sc.outcome.sources and sc.sources
    assert sc.parties(), "someone must be able to say no"
    if not sc.outcome.deal:
        assert sc.outcome.blocked_by and sc.outcome.blocking_issues


def test_cases_load_by_name_like_embedded_scenarios() -> None:
    assert load_scenario("dayton_1995").name == load_case("dayton_1995").name
    with pytest.raises(InputError, match="no coded case"):
        load_case("atlantis_1900")


def test_library_breadth() -> None:
    cases = [load_case(n) for n in NAMES]
    assert len(cases) >= 24
    fields = Counter(c.case.field for c in cases if c.case)
    assert len(fields) >= 6, fields
    assert sum(not c.outcome.deal for c in cases if c.outcome) >= 8
    voting = [
        c.name
        for c in cases
        for a in c.actors
        if a.ratification is not None
        for b in a.ratification.bodies()
        if b.rule in VOTING
    ]
    assert len(set(voting)) >= 4
    iran = [n for n in NAMES if n.startswith("iran_")]
    assert len(iran) >= 4  # beyond the two embedded US-Iran cases
