"""Importers on the real case files: contents, unit mappings, round trip through YAML."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from backchannel.scenario.arrays import to_arrays
from backchannel.scenario.errors import InputError
from backchannel.scenario.importers import detect_format, import_file, import_text
from backchannel.scenario.load import atomic_write, load_scenario, scenario_to_yaml
from backchannel.scenario.schema import Scenario

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
CASES = DATA / "cases"
CASE_FILES = sorted([*CASES.glob("*/*.csv"), *CASES.glob("*/*.tsv")])
EXPECTED_FORMAT = {
    "cop21_decide_format.tsv": "decide",
    "copenhagen_decide_format.csv": "decide",
    "ec_car_emissions_1994.csv": "table",
    "SOE-Competitive.csv": "ktab",
    "SOE-Pol-Comp.csv": "ktab",
    "SOE-Policy.csv": "ktab",
}
needs_data = pytest.mark.skipif(not CASES.exists(), reason="shared/data not beside the repo")


def _stance(sc: Scenario, actor: str, issue: str) -> tuple[float, float, float]:
    """(position, salience, capability) of one actor on one issue."""
    a = sc.actor(actor)
    st = a.positions[issue]
    cap = st.capability.value if st.capability is not None else a.capability.value
    return st.position.value, st.salience.value, cap


@needs_data
def test_every_case_file_is_covered() -> None:
    assert {p.name for p in CASE_FILES} == set(EXPECTED_FORMAT)


@needs_data
@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_case_file_round_trips_through_yaml(path: Path, tmp_path: Path) -> None:
    assert detect_format(path.read_text("utf-8"), str(path)) == EXPECTED_FORMAT[path.name]
    sc = import_file(path)
    out = tmp_path / "scenario.yaml"
    atomic_write(out, scenario_to_yaml(sc))
    assert load_scenario(out) == sc
    # forecast-only: no vetoes, said in the description
    assert all(a.kind == "state" and a.veto is False for a in sc.actors)
    assert sc.parties() == []
    assert sc.description is not None and "Forecast-only" in sc.description
    arr = to_arrays(sc)
    assert arr.with_positions().all()
    assert not np.isnan(arr.position).all(axis=0).any()  # every issue has data


@needs_data
def test_other_files_in_cases_are_refused_clearly() -> None:
    others = sorted(p for p in CASES.glob("*/*") if p not in CASE_FILES)
    assert {p.name for p in others} == {"LICENSE", "20170530_ref-SOE-Pol-Comp.txt"}
    for p in others:
        with pytest.raises(InputError, match="cannot tell the file's format"):
            import_file(p)


@needs_data
def test_cop21_values_and_unit_mapping() -> None:
    sc = import_file(CASES / "cop21" / "cop21_decide_format.tsv")
    assert sc.name.startswith("CoP21 Paris negotiations")
    assert len(sc.actors) == 15 and len(sc.issues) == 13
    # '#D USA differentiation 20 0.95 1': salience 0-1 -> 0-100, power -> capability
    assert _stance(sc, "USA", "differentiation") == (20.0, 95.0, 1.0)
    assert _stance(sc, "AILAC", "mrv") == (85.0, 75.0, 0.35)
    assert _stance(sc, "LDCs_BGD", "ld") == (90.0, 95.0, 0.5)
    # power is the same on every issue for each actor here: one capability per actor
    assert sc.actor("African_grp").capability.value == 0.25
    assert all(st.capability is None for a in sc.actors for st in a.positions.values())
    # actors without rows on the 2050/2100 ambition issues take no position there
    assert "amb2050" not in sc.actor("China").positions
    assert "amb2100" in sc.actor("EU28").positions
    arr = to_arrays(sc)
    assert int(np.isnan(arr.position).sum()) == 14
    assert "14 actor-issue pair(s) have no #D line" in (sc.description or "")
    mrv = sc.issue("mrv")
    assert (mrv.scale.min, mrv.scale.max) == (0.0, 100.0)
    assert [a.value for a in mrv.anchors] == [0, 45, 65, 75, 100]
    assert mrv.anchors[1].label == "ICA plus multilateral consultative process"


@needs_data
def test_copenhagen_quirks() -> None:
    sc = import_file(CASES / "copenhagen" / "copenhagen_decide_format.csv")
    assert sc.name == "Copenhagen negotiations"
    # a key with a space becomes a valid id; the name and a note keep the original
    ci = sc.actor("China_India")
    assert ci.name == "China India" and "China India" in (ci.note or "")
    assert _stance(sc, "China_India", "Newtreaty") == (100.0, 90.0, 0.95)
    # salience 0.000001 stays a tiny positive number, not zero
    assert _stance(sc, "Russia", "Commitments")[1] == pytest.approx(1e-4)
    # declared issues without any data row are left out, and the description says so
    assert [i.id for i in sc.issues] == [
        "Newtreaty",
        "DevlopC2020",
        "Domestred",
        "MRVdecrease",
        "Commitments",
        "Control",
        "Extra",
    ]
    assert "'technology', 'Forestry'" in (sc.description or "")
    assert [a.value for a in sc.issue("Control").anchors] == [0, 50, 100]
    # a meaning split over two cells is joined back
    assert sc.issue("MRVdecrease").anchors[-1].label.startswith("high; based on power")


@needs_data
def test_ktab_values_match_ktabs_own_reading() -> None:
    """Compare with the positions, saliences and powers KTAB printed when it read the file."""
    sc = import_file(CASES / "ktab_china_soe" / "SOE-Pol-Comp.csv")
    ref = (CASES / "ktab_china_soe" / "20170530_ref-SOE-Pol-Comp.txt").read_text("utf-8")
    head = ref.split("Position matrix")[0]
    powers = {int(i): float(v) for i, v in re.findall(r"Actor: (\d+) power:\s+([\d.]+)", head)}
    pos = {
        (int(i), int(d)): float(v)
        for i, d, v in re.findall(r"pos\[(\d+), (\d+)\] =\s+([\d.]+)", head)
    }
    sal = {
        (int(i), int(d)): float(v)
        for i, d, v in re.findall(r"sal\[(\d+), (\d+)\] =\s+([\d.]+)", head)
    }
    assert len(powers) == len(sc.actors) == 13 and len(pos) == len(sal) == 26
    arr = to_arrays(sc)
    assert arr.issue_ids == ("Policy", "Competitive")
    for (i, d), v in pos.items():
        assert arr.position[i, d] == pytest.approx(v, abs=5e-4)
        assert arr.salience[i, d] == pytest.approx(sal[i, d], abs=5e-4)
    assert np.allclose(arr.capability[:, 0], [powers[i] for i in range(13)], atol=0.05)
    assert (arr.lo == 0).all() and (arr.hi == 100).all()


@needs_data
def test_ktab_single_dimension_files() -> None:
    comp = import_file(CASES / "ktab_china_soe" / "SOE-Competitive.csv")
    assert comp.name == "China Competitive; scen 1" and len(comp.actors) == 34
    assert _stance(comp, "SASAC", "Competitive") == (60.0, 95.0, 25.0)
    assert comp.actor("SASAC").name == "Zhang Yi - SASAC"
    pol = import_file(CASES / "ktab_china_soe" / "SOE-Policy.csv")
    assert len(pol.actors) == 26 and _stance(pol, "USA", "Policy") == (100.0, 50.0, 8.0)


@needs_data
def test_actor_table_ec_emissions() -> None:
    path = CASES / "ec_emissions" / "ec_car_emissions_1994.csv"
    sc = import_file(path)
    assert sc.name == "ec_car_emissions_1994" and len(sc.actors) == 10
    assert _stance(sc, "Germany", "issue") == (4.0, 80.0, 0.16)
    assert _stance(sc, "Greece", "issue") == (7.0, 70.0, 0.08)  # last line, no newline
    iss = sc.issue("issue")
    assert (iss.scale.min, iss.scale.max) == (4.0, 10.0)  # range of the positions
    assert "range of the positions" in (iss.note or "")
    wide = import_file(path, scale=(0.0, 10.0))
    assert (wide.issue("issue").scale.min, wide.issue("issue").scale.max) == (0.0, 10.0)


# -- small hand-made inputs ------------------------------------------------------------------
DECIDE = """#O;Tiny
#A;a1;Actor one
#A;a2;Actor two
#P;i1;Issue one
#M;i1;0;low
#M;i1;10;high
#D;a1;i1;2;0,5;1
#D;a2;i1;8;0.25;3;;
"""


def test_decide_semicolon_with_decimal_comma_and_trailing_cells() -> None:
    sc = import_text(DECIDE, "tiny.csv")
    assert sc.name == "Tiny"
    assert _stance(sc, "a1", "i1") == (2.0, 50.0, 1.0)
    assert _stance(sc, "a2", "i1") == (8.0, 25.0, 3.0)
    assert (sc.issue("i1").scale.min, sc.issue("i1").scale.max) == (0.0, 10.0)


def test_decide_tab_separated_equals_semicolon() -> None:
    tabbed = DECIDE.replace(";", "\t").replace("0,5", "0.5")
    assert import_text(tabbed, "tiny.tsv") == import_text(DECIDE, "tiny.tsv")


def test_decide_scale_is_widened_to_cover_positions_and_says_so() -> None:
    sc = import_text(DECIDE.replace("#D;a2;i1;8;", "#D;a2;i1;12;"), "tiny.csv")
    iss = sc.issue("i1")
    assert (iss.scale.min, iss.scale.max) == (0.0, 12.0)
    assert "widened" in (iss.note or "")


def test_decide_without_scale_points_uses_0_100_and_says_so() -> None:
    text = "\n".join(ln for ln in DECIDE.splitlines() if not ln.startswith("#M"))
    iss = import_text(text, "tiny.csv").issue("i1")
    assert (iss.scale.min, iss.scale.max) == (0.0, 100.0)
    assert "0-100" in (iss.note or "")


def test_decide_varying_power_goes_per_issue() -> None:
    text = DECIDE + "#P;i2;Issue two\n#D;a1;i2;50;1;4\n"
    sc = import_text(text, "tiny.csv")
    a1 = sc.actor("a1")
    assert a1.capability.value == 4.0  # the largest; per-issue values on the stances
    assert _stance(sc, "a1", "i1")[2] == 1.0 and _stance(sc, "a1", "i2")[2] == 4.0
    assert "i2" not in sc.actor("a2").positions


def test_name_override() -> None:
    assert import_text(DECIDE, "tiny.csv", name="Other").name == "Other"


def test_crlf_line_ends_and_byte_order_mark_are_accepted() -> None:
    crlf = "\ufeff" + DECIDE.replace("\n", "\r\n")
    assert import_text(crlf, "tiny.csv") == import_text(DECIDE, "tiny.csv")


def test_decide_name_split_over_cells_is_joined() -> None:
    sc = import_text(DECIDE.replace("#A;a1;Actor one", "#A;a1;Actor; one"), "tiny.csv")
    assert sc.actor("a1").name == "Actor; one"


def test_decide_fractional_scale_points_and_undeclared_data_actor() -> None:
    text = (
        "#O\tToll case\t\t\n#A\tcity\tCity council\t\t\n#A\tshops\tShopkeepers\t\t\n"
        "#A\t50+\tPensioners party\t\t\n#P\ttoll-level\tHow high is the toll?\t\t\n"
        "#M\ttoll-level\t0.5\teuro\t\n#M\ttoll-level\t7\teuro\t\n"
        "#D\tcity\ttoll-level\t3\t0.7\t1\n#D\tshops\ttoll-level\t0.5\t0.8\t0.9\n"
    )
    sc = import_text(text, "toll.txt")
    iss = sc.issue("toll-level")
    assert (iss.scale.min, iss.scale.max) == (0.5, 7.0) and iss.note is None
    assert [a.id for a in sc.actors] == ["city", "shops"]  # '50+' has no data rows
    assert "left out: ['50+']" in (sc.description or "")
    assert _stance(sc, "shops", "toll-level") == (0.5, 80.0, 0.9)


@pytest.mark.parametrize(
    ("key", "kind", "ident"),
    [
        ("China India", "actor", "China_India"),
        ("50+", "actor", "a_50"),
        ("2050", "issue", "i_2050"),
        ("EU (28)", "actor", "EU_28"),
        ("mrv", "issue", "mrv"),
        ("a.b-c_d", "actor", "a.b-c_d"),
    ],
)
def test_source_keys_become_valid_ids(key: str, kind: str, ident: str) -> None:
    from backchannel.scenario.importers.common import make_id

    assert make_id(key, kind=kind, source="s", where="line 1") == ident
