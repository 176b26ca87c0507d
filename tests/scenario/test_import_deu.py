"""DEU importer: one issue or one proposal of a DEU table -> Scenario (and the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_import_cli import run  # the in-process CLI runner

from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.importers import detect_format, import_file, import_text
from backchannel.scenario.load import load_scenario, parse_scenario, scenario_to_yaml
from backchannel.scenario.schema import q

REPO = Path(__file__).resolve().parents[2]
DEU = REPO / ".." / "shared" / "data" / "deu" / "deu3_dev.tsv"
pytestmark = pytest.mark.skipif(not DEU.is_file(), reason="shared/data not beside the repo")

EU15 = ("at", "be", "dk", "fi", "fr", "de", "el", "ie", "it", "lu", "nl", "pt", "es", "se", "uk")


def test_hand_checked_unanimity_issue() -> None:
    """n99056i1 (VAT on labour-intensive services, CNS, unanimity, 17-02-1999), checked by
    hand against line 108 of the file: Commission 100/40, Parliament 0/60, Germany 90/20,
    United Kingdom 80/20, Luxembourg 0/85, rp 100, out 40. EU15 unanimity under
    consultation: the game's players are the 15 members and the Commission, all veto
    players, so each has Shapley-Shubik index 1/16; the Parliament's opinion does not bind
    (0)."""
    sc = import_file(DEU, issue="n99056i1")
    assert [i.id for i in sc.issues] == ["n99056i1"]
    iss = sc.issues[0]
    assert (iss.scale.min, iss.scale.max) == (0.0, 100.0)
    assert [a.value for a in iss.anchors] == [0.0, 100.0]
    assert q(iss.status_quo) == 100.0
    assert "out): 40" in (iss.note or "") and "EU15-Amsterdam" in (iss.note or "")
    assert sc.date == "1999-02-17"
    ids = [a.id for a in sc.actors]
    assert ids[:2] == ["com", "ep"] and set(ids[2:]) == set(EU15) and len(ids) == 17
    by = {a.id: a for a in sc.actors}
    assert by["com"].positions["n99056i1"].position.value == 100.0
    assert by["com"].positions["n99056i1"].salience.value == 40.0
    assert by["ep"].positions["n99056i1"].position.value == 0.0
    assert by["ep"].positions["n99056i1"].salience.value == 60.0
    assert by["de"].positions["n99056i1"].position.value == 90.0
    assert by["de"].positions["n99056i1"].salience.value == 20.0
    assert by["uk"].positions["n99056i1"].position.value == 80.0
    assert by["uk"].positions["n99056i1"].salience.value == 20.0
    assert by["lu"].positions["n99056i1"].position.value == 0.0
    assert by["lu"].positions["n99056i1"].salience.value == 85.0
    for a in EU15:
        assert by[a].capability.value == pytest.approx(1 / 16)
        assert by[a].veto is True and by[a].no_deal is not None
    assert by["com"].capability.value == pytest.approx(1 / 16)
    assert by["ep"].capability.value == 0.0
    assert by["com"].veto is False and by["ep"].veto is False
    assert sorted(a.id for a in sc.parties()) == sorted(EU15)
    assert "unanimity" in (sc.description or "")
    # the no-deal value is the status quo: 15 veto players, NaN explicit utility
    arr = to_arrays(sc)
    assert arr.status_quo.tolist() == [100.0]


def test_qmv_issue_is_forecast_only() -> None:
    sc = import_file(DEU, issue="d00060i1")  # buses, COD, QMV, 2000
    assert all(a.veto is False for a in sc.actors) and sc.parties() == []
    assert "Forecast-only" in (sc.description or "")
    assert "qualified majority" in (sc.description or "")
    by = {a.id: a for a in sc.actors}
    # COD: the Commission and the Parliament are veto players of the game, equal power
    assert by["com"].capability.value == pytest.approx(by["ep"].capability.value)
    assert by["de"].capability.value > by["lu"].capability.value > 0
    assert q(sc.issues[0].status_quo) is None  # rp blank for this issue
    assert set(sc.sources) >= {"positions", "salience", "capability", "status_quo"}


def test_counts_and_proposal() -> None:
    sc = import_file(DEU, proposal="n00030")  # visas: 6 issues, unanimity, rp partly blank
    assert [i.id for i in sc.issues] == [f"n00030i{j}" for j in range(1, 7)]
    assert len(sc.actors) == 17
    n_positions = sum(len(a.positions) for a in sc.actors)
    assert n_positions == 16 + 5 * 17  # 16 positions on i1 (line check), 17 on the others
    vetoes = {a.id for a in sc.parties()}
    # states with a position on every issue are veto players; the others are named
    assert all(len(sc.actor(v).positions) == 6 for v in vetoes)
    assert "rp is missing" in (sc.description or "")
    assert all(a.no_deal is None for a in sc.actors)  # no status quo on every issue


def test_round_trip_every_issue() -> None:
    text = DEU.read_text(encoding="utf-8")
    from backchannel.data.deu import parse_deu

    data = parse_deu(text, "deu3_dev.tsv")
    for iid in data.issue_ids[::16]:
        sc = import_text(text, "deu3_dev.tsv", issue=iid)
        assert parse_scenario(scenario_to_yaml(sc), "<rt>") == sc
    for prop in ("d97359", "n98193", "d04287"):
        sc = import_text(text, "deu3_dev.tsv", proposal=prop)
        assert parse_scenario(scenario_to_yaml(sc), "<rt>") == sc


def test_detection_and_misuse() -> None:
    text = DEU.read_text(encoding="utf-8")
    assert detect_format(text) == "deu"
    with pytest.raises(InputError, match="choose one issue or one proposal"):
        import_text(text)
    with pytest.raises(InputError, match="not both"):
        import_text(text, issue="d00060i1", proposal="d00060")
    with pytest.raises(InputError, match="only to DEU files"):
        import_text("Actor,Capability,Position,Salience\na,1,2,3\nb,1,4,3\n", issue="x")
    with pytest.raises(InputError, match="no proposal 'zz'") as e:
        import_text(text, proposal="zz")
    assert "d00060, d00062" in e.value.fix  # type: ignore[operator]


def test_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scenario.yaml"
    code, _, err = run(
        ["import", str(DEU), "--issue", "n99056i1", "-o", str(out)], capsys, monkeypatch
    )
    assert code == 0 and "15 veto players" in err
    assert load_scenario(out) == import_file(DEU, issue="n99056i1")
    code, _, err = run(
        ["import", str(DEU), "--issue", "bogus", "-o", str(tmp_path / "b.yaml")],
        capsys,
        monkeypatch,
    )
    assert code == 2 and "no issue 'bogus'" in err
    assert "256 issue ids" in err and "d00060i1, d00060i2" in err and "d05211i2" in err
    assert "Traceback" not in err and not (tmp_path / "b.yaml").exists()
