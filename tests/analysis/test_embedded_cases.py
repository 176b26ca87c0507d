"""The motivating cases: 2019 (no deal, messengers) and 2015 (deal), and the essay's flip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backchannel.analysis import analyze, apply_concessions, feasibility_batch, what_it_takes
from backchannel.scenario import load_embedded, to_arrays
from backchannel.scenario.load import scenario_from_data
from backchannel.scenario.overrides import COUNTERFACTUAL_2019, apply_overrides


def data(name: str) -> dict[str, Any]:
    return json.loads(load_embedded(name).model_dump_json(exclude_none=True))


def actor(d: dict[str, Any], aid: str) -> dict[str, Any]:
    return next(a for a in d["actors"] if a["id"] == aid)


def test_2019_no_deal_and_mediators_are_communicators() -> None:
    res = analyze(load_embedded("iran_us_2019"))
    assert not res.deal_possible
    assert res.verdict.startswith("No deal reachable")
    assert {m.id: m.role for m in res.mediators} == {
        "oman": "communicator",
        "iraq": "communicator",
        "japan": "communicator",
    }
    assert not any(m.can_open_zopa for m in res.mediators)
    # the E3 is a third party, not a mediator: INSTEX cannot change the verdict
    assert [t.id for t in res.third_parties] == ["eu3"]
    assert not res.third_parties[0].opens
    assert res.verdict_class == "none" and not res.mediated["possible"]
    # the nuclear issue has no ZOPA: dismantlement vs keeping the programme
    assert res.zopa["nuclear"]["empty"]
    # agenda conflict: the US requires regional, missiles, armed groups; Iran refuses them
    agenda = {(b.actor, b.issue) for b in res.blocking if b.kind == "agenda"}
    assert {("usa", "regional"), ("iran_leader", "regional"), ("iran_leader", "missiles")} <= agenda
    # every no-deal is explained: conflicts that cannot all hold, minimal sets to relax
    texts = [c["text"] for c in res.conflicts]
    assert any("usa's demand that the deal settle Regional" in t for t in texts)
    assert all(len(s["constraints"]) >= 1 for s in res.blocking_sets)
    # the channels lower escalation risk, the only thing mediators can do here
    assert res.escalation is not None
    assert res.escalation.p_with_channels < res.escalation.p_without_channel
    assert not res.ripeness["ripe"]


def test_2015_deal_reachable_near_the_jcpoa() -> None:
    res = analyze(load_embedded("jcpoa_2015"))
    assert res.deal_possible
    assert res.package["agenda"][0] == "nuclear"
    assert "regional" not in res.package["agenda"]
    # the max-min point puts the nuclear programme under JCPOA-type control
    assert 40 <= res.package["point"]["nuclear"] <= 55
    assert {m.role for m in res.mediators} == {"formulator"}


def flipped_2019() -> dict[str, Any]:
    """The essay's counterfactual (``COUNTERFACTUAL_2019``): a US that accepts limits
    instead of dismantlement, a partial (nuclear) agenda, and treats pressure as an
    instrument rather than a goal: its no-deal value and its saliences on sanctions and oil
    as the 2015 administration's (jcpoa_2015.yaml). Iran's inputs are unchanged."""
    sc = apply_overrides(load_embedded("iran_us_2019"), list(COUNTERFACTUAL_2019))
    return json.loads(sc.model_dump_json(exclude_none=True))


def test_2019_verdict_flips_when_the_us_changes_as_the_essay_says() -> None:
    res = analyze(scenario_from_data(flipped_2019()))
    assert res.deal_possible
    assert res.package["agenda"][0] == "nuclear"
    assert 40 <= res.package["point"]["nuclear"] <= 55


@pytest.mark.parametrize("change", COUNTERFACTUAL_2019)
def test_2019_each_change_alone_is_not_enough(change: str) -> None:
    sc = apply_overrides(load_embedded("iran_us_2019"), [change])
    assert not analyze(sc).deal_possible


def test_2019_partial_agenda_needs_the_us_to_let_the_rest_be_deferred() -> None:
    """Red lines bind the status quo: a US that drops its demands but keeps its red lines on
    regional behaviour, missiles and armed groups still blocks a nuclear-only deal."""
    without = [c for c in COUNTERFACTUAL_2019 if "separable" not in c]
    res = analyze(
        apply_overrides(load_embedded("iran_us_2019"), without),
    )
    assert not res.deal_possible
    assert {"regional", "missiles", "armed_groups"} <= {
        r["issue"] for r in res.red_lines_at_status_quo if r["actor"] == "usa"
    }


def test_2019_what_it_takes_falls_mostly_on_the_us_and_works() -> None:
    sc = load_embedded("iran_us_2019")
    res = what_it_takes(sc)
    assert res.by_actor["usa"] > 0.5 * res.total_cost
    kinds = {(c.actor, c.kind, c.issue) for c in res.concessions}
    assert ("usa", "red_line", "nuclear") in kinds
    # the US gives way on each issue of its comprehensive agenda, one way or another
    for issue in ("regional", "missiles", "armed_groups"):
        assert any(a == "usa" and i == issue for a, _k, i in kinds), issue
    assert feasibility_batch(to_arrays(apply_concessions(sc, res))).deal_possible[0]


def test_2015_with_congress_able_to_block() -> None:
    """Had Congress held a veto (not only INARA's review), its red lines (zero enrichment,
    no relief beyond 30) would have blocked the deal: no deal, blocked by Congress."""
    res = analyze(apply_overrides(load_embedded("jcpoa_2015"), ["us_congress.veto=true"]))
    assert not res.deal_possible and res.verdict_class == "none"
    info = res.two_level["usa"]
    assert info["negotiator_only_feasible"] and info["blocking_ratifiers"] == ["us_congress"]
    assert "us_congress" in {b.actor for b in res.blocking}
