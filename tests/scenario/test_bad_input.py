"""Bad input: every kind gets its own message naming file, place (line / field) and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from backchannel.scenario.errors import InputError
from backchannel.scenario.importers import import_file, import_text
from backchannel.scenario.load import MAX_BYTES, load_scenario, parse_scenario

# line numbers below refer to this text
BASE = """\
name: t
issues:
  - id: a
    name: A
    scale: {min: 0, max: 10}
actors:
  - id: x
    name: X
    kind: state
    positions:
      a: {position: 5, salience: 50}
  - id: m
    name: M
    kind: mediator
"""
STATE_Y = "  - id: y\n    name: Y\n    kind: state\n  - id: m\n"


def _message(exc: InputError) -> str:
    return " ".join(exc.render().split())


def test_base_scenario_is_valid() -> None:
    sc = parse_scenario(BASE, "f.yaml")
    assert [a.id for a in sc.actors] == ["x", "m"]


# (kind, YAML text, fragments the message must contain: problem, place, fix)
YAML_CASES: list[tuple[str, str, list[str]]] = [
    (
        "malformed YAML",
        "name: t\nissues: [\n",
        ["not valid YAML", "f.yaml, line 3, column 1", "fix: check indentation"],
    ),
    (
        "tab indentation",
        "name: t\n\tissues: []\n",
        ["not valid YAML: found character '\\t'", "line 2"],
    ),
    ("empty file", "", ["f.yaml: the file is empty", "fix: write a scenario"]),
    ("blank file", "  \n\n", ["the file is empty"]),
    (
        "top level is a list",
        "- a\n- b\n",
        ["expected a mapping at the top level, got list", "line 1", "fix: start the file"],
    ),
    ("top level is a scalar", "hello\n", ["expected a mapping at the top level, got str"]),
    (
        "duplicate key",
        BASE.replace("name: t\n", "name: t\nname: u\n"),
        [
            "key 'name' appears twice in the same mapping (first at line 1)",
            "line 2",
            "fix: keep one of the two entries",
        ],
    ),
    (
        "unknown field",
        BASE.replace("    name: X\n", "    name: X\n    colour: red\n"),
        ["unknown field 'colour'", "line 9, actors[0] (id: x).colour", "check its spelling"],
    ),
    (
        "unknown issue in a position",
        BASE.replace("      a: {position", "      b: {position"),
        [
            "actor 'x' has a position on unknown issue 'b'",
            "line 11",
            "positions.b",
            "fix: use one of the known issue ids",
        ],
    ),
    (
        "unknown inducement target",
        BASE + "    inducements: [{target: zz, kind: pressure, amount: 0.1}]\n",
        [
            "inducement targets unknown actor 'zz'",
            "line 15",
            "actors[1] (id: m).inducements[0].target",
            "fix: target the id of an actor",
        ],
    ),
    (
        "unknown parent",
        BASE + "  - {id: f, name: F, kind: faction, parent: zz}\n",
        [
            "parent 'zz' is not an actor of this scenario",
            "line 15",
            "(id: f).parent",
            "fix: name the id of a state",
        ],
    ),
    (
        "parent is not a state",
        BASE + "  - {id: f, name: F, kind: faction, parent: m}\n",
        [
            "parent 'm' is a mediator; a parent must be a state, an organisation or an armed group",
            "line 15",
        ],
    ),
    (
        "salience out of range",
        BASE.replace("salience: 50", "salience: 150"),
        [
            "salience must lie in 0-100, got 150",
            "line 11, actors[0] (id: x).positions.a.salience",
            "fix: write a salience between 0 and 100",
        ],
    ),
    (
        "position outside the scale",
        BASE.replace("position: 5", "position: 50"),
        [
            "position 50 lies outside the issue's scale [0, 10]",
            "line 11, actors[0] (id: x).positions.a.position",
            "fix: move it inside",
        ],
    ),
    (
        "NaN",
        BASE.replace("position: 5", "position: .nan"),
        ["must be a finite number, not nan", "line 11", "not .nan or .inf"],
    ),
    (
        "infinity",
        BASE.replace("salience: 50", "salience: -.inf"),
        ["must be a finite number, not -inf", "line 11", "positions.a.salience"],
    ),
    (
        "text for a number",
        BASE.replace("position: 5", "position: five"),
        ["expected a number, got the text 'five'", "line 11", "without units or words"],
    ),
    (
        "true/false for a number",
        BASE.replace("position: 5", "position: yes"),
        ["expected a number, got a true/false value", "line 11"],
    ),
    (
        "duplicate actor ids",
        BASE + "  - {id: x, name: X2, kind: third_party}\n",
        ["duplicate actor id 'x'", "line 15, actors[2] (id: x).id", "fix: rename one"],
    ),
    (
        "duplicate issue ids",
        BASE.replace("issues:\n", "issues:\n  - {id: a, name: A2}\n"),
        ["duplicate issue id 'a'", "line 4, issues[1] (id: a).id"],
    ),
    (
        "faction without parent",
        BASE + "  - {id: f, name: F, kind: faction}\n",
        ["a faction needs 'parent'", "line 15, actors[2] (id: f)", "fix: add `parent:"],
    ),
    (
        "parent on a mediator",
        BASE.replace("    name: M\n", "    name: M\n    parent: x\n"),
        [
            "a mediator stands outside the parties and has no parent",
            "line 12",
            "fix: remove `parent`",
        ],
    ),
    (
        "mediator with veto",
        BASE.replace("kind: mediator", "kind: mediator\n    veto: true"),
        [
            "mediators and third parties cannot hold a veto",
            "line 12, actors[1] (id: m)",
            "fix: remove `veto: true`",
        ],
    ),
    (
        "missing required field",
        BASE.replace("    name: A\n", ""),
        [
            "required field 'name' is missing",
            "line 3, issues[0] (id: a).name",
            "fix: add this field",
        ],
    ),
    (
        "no issues",
        "name: t\nissues: []\nactors: [{id: x, name: X, kind: state}]\n",
        ["List should have at least 1 item", "line 2, issues", "fix: add at least one entry"],
    ),
    (
        "agenda naming an unknown issue",
        BASE.replace("    kind: state\n", "    kind: state\n    agenda: {requires: [zz]}\n"),
        [
            "agenda names unknown issue 'zz'",
            "line 10, actors[0] (id: x).agenda",
            "fix: use one of the known issue ids",
        ],
    ),
    (
        "veto player missing a position",
        BASE.replace("  - id: m\n", STATE_Y),
        [
            "actor 'y' can decide whether a deal is accepted, so it needs a position on "
            "every issue; missing: ['a']",
            "line 12, actors[1] (id: y)",
            "or set `veto: false`",
        ],
    ),
    (
        "unknown actor kind",
        BASE.replace("kind: mediator", "kind: boss"),
        [
            "Input should be 'state', 'organisation', 'armed_group', 'faction', 'party', "
            "'electorate', 'mediator' or 'third_party'",
            "line 14",
            "fix: use one of the allowed values",
        ],
    ),
    (
        "invalid id",
        BASE.replace("id: x", "id: 1x"),
        ["String should match pattern", "line 7", "ids start with a letter"],
    ),
    (
        "anchor outside the scale",
        BASE.replace("max: 10}\n", "max: 10}\n    anchors: [{value: 20, label: hi}]\n"),
        ["anchor 'hi' at 20.0 lies outside the scale [0.0, 10.0]", "line 3, issues[0] (id: a)"],
    ),
    (
        "unknown YAML tag",
        BASE.replace("name: t", "name: !!python/object:os.system t"),
        [
            "not valid YAML: could not determine a constructor for the tag",
            "line 1, column 7",
            "scenario files use no !tags",
        ],
    ),
    (
        "recursive alias",
        "name: t\nissues: &i [*i]\n",
        [
            "an alias refers to a node that contains it (a cycle)",
            "line 2",
            "fix: remove the recursive alias",
        ],
    ),
    (
        "alias bomb",
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{n}: &{n} [" + ", ".join([f"*{p}"] * 10) + "]\n"
            for p, n in zip("abcdef", "bcdefg", strict=True)
        ),
        [
            "the YAML has more than 200,000 nodes (counting what aliases expand to)",
            "do not nest aliases",
        ],
    ),
    (
        "nested too deeply",
        "name: t\nissues: " + "[" * 1000 + "]" * 1000 + "\n",
        ["f.yaml: the YAML is nested too deeply", "fix: flatten"],
    ),
    (
        "list where a mapping is expected",
        BASE.replace("scale: {min: 0, max: 10}", "scale: [0, 10]"),
        ["Input should be a valid dictionary or instance of Scale", "line 5", "write a mapping"],
    ),
    (
        "scale bounds reversed",
        BASE.replace("{min: 0, max: 10}", "{min: 10, max: 0}"),
        ["scale min (10.0) must be below max (0.0)", "line 5, issues[0] (id: a).scale"],
    ),
]


@pytest.mark.parametrize(("kind", "text", "fragments"), YAML_CASES, ids=[c[0] for c in YAML_CASES])
def test_bad_scenario_yaml(kind: str, text: str, fragments: list[str]) -> None:
    with pytest.raises(InputError) as info:
        parse_scenario(text, "f.yaml")
    msg = _message(info.value)
    assert msg.startswith(
        ("f.yaml", f"{len(getattr(info.value, 'errors', []))} problem(s) found: f.yaml")
    )
    for frag in fragments:
        assert frag in msg, f"{kind}: {frag!r} not in {msg!r}"
    assert "fix:" in msg


def test_several_problems_are_reported_together() -> None:
    text = BASE.replace("salience: 50", "salience: 150").replace("name: X\n", "name: X\n    b: 1\n")
    with pytest.raises(InputError) as info:
        parse_scenario(text, "f.yaml")
    msg = _message(info.value)
    assert "2 problem(s) found" in msg and "unknown field 'b'" in msg and "got 150" in msg


# -- file-level problems -------------------------------------------------------------------
def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(b"name: t\x00\x01\x02")
    with pytest.raises(InputError, match="looks like a binary file") as info:
        load_scenario(p)
    assert str(p) in info.value.render() and "YAML or CSV text" in info.value.render()


def test_non_utf8_file(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes("issues: []\nname: Côte\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_scenario(p)
    msg = _message(info.value)
    assert "not UTF-8 text (bad byte at offset 18)" in msg and "save the file as UTF-8" in msg
    assert "s.yaml, line 2" in msg


def test_huge_file(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    with p.open("wb") as fh:  # sparse: the size check comes before any read
        fh.truncate(MAX_BYTES + 1)
    with pytest.raises(InputError) as info:
        load_scenario(p)
    msg = _message(info.value)
    assert f"file is {MAX_BYTES + 1:,} bytes, over the {MAX_BYTES:,}-byte limit" in msg
    assert "fix: split it" in msg


def test_nonexistent_path(tmp_path: Path) -> None:
    p = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as info:
        load_scenario(p)
    msg = _message(info.value)
    assert msg.startswith(str(p)) and "file not found" in msg and "check the path" in msg


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a file"):
        import_file(tmp_path)


# -- importers -------------------------------------------------------------------------------
DECIDE = """\
#O;Tiny
#A;a1;Actor one
#A;a2;Actor two
#P;i1;Issue one
#M;i1;0;low
#M;i1;100;high
#D;a1;i1;20;0.5;1
#D;a2;i1;80;0.25;3
"""
KTAB = """\
Tiny,desc,2,1,
Actor,Description,Influence,Policy Position,Policy Salience,
A,Actor A,10,20,30,
B,Actor B,5,80,60,
"""
TABLE = "Actor,Capability,Position,Salience\nP,0.5,4,80\nQ,0.2,10,60\n"

# (kind, text, format or None, fragments)
IMPORT_CASES: list[tuple[str, str, str | None, list[str]]] = [
    (
        "unknown format",
        DECIDE,
        "xml",
        ["unknown format 'xml'", "bad.csv, --format", "use one of decide, ktab, table"],
    ),
    (
        "format not recognisable",
        "hello,world\n1,2\n",
        None,
        ["cannot tell the file's format", "line 1", "pass --format decide|ktab|table"],
    ),
    ("empty file", "", None, ["bad.csv: the file is empty"]),
    ("empty decide file", "\n\n", "decide", ["the file is empty", "#A (actor)"]),
    ("empty ktab file", "", "ktab", ["the file is empty", "a title line"]),
    ("empty table file", "", "table", ["the file is empty", "Actor,Capability"]),
    (
        "#D names an undeclared actor",
        DECIDE.replace("#D;a2;", "#D;zz;"),
        None,
        ["#D names actor 'zz', which no #A line declares", "line 8, field 2", "add '#A;zz;name'"],
    ),
    (
        "#D names an undeclared issue",
        DECIDE.replace("#D;a2;i1;", "#D;a2;i9;"),
        None,
        [
            "#D names issue 'i9', which no #P line declares",
            "line 8, field 3",
            "declared issues: ['i1']",
        ],
    ),
    (
        "#M names an undeclared issue",
        DECIDE.replace("#M;i1;100", "#M;i2;100"),
        None,
        ["#M names issue 'i2'", "line 6, field 2"],
    ),
    (
        "#D with a missing cell",
        DECIDE.replace("#D;a2;i1;80;0.25;3", "#D;a2;i1;80;0.25"),
        None,
        [
            "#D line has 5 cells, expected 6 (#D, actor, issue, position, salience, power)",
            "line 8",
            "check the separator (semicolon)",
        ],
    ),
    (
        "#D with an extra cell",
        DECIDE.replace("#D;a2;i1;80;0.25;3", "#D;a2;i1;80;0.25;3;9"),
        None,
        ["#D line has 7 cells, expected 6", "line 8"],
    ),
    (
        "non-numeric cell",
        DECIDE.replace("0.25;3", "high;3"),
        None,
        [
            "salience must be a number, got 'high'",
            "line 8, field 5 (salience)",
            "write a plain number",
        ],
    ),
    (
        "NaN cell",
        DECIDE.replace("#D;a2;i1;80", "#D;a2;i1;nan"),
        None,
        ["position must be a finite number, got 'nan'", "line 8, field 4 (position)"],
    ),
    (
        "empty numeric cell",
        DECIDE.replace("#D;a2;i1;80", "#D;a2;i1;"),
        None,
        ["position must be a number, got an empty cell", "line 8, field 4"],
    ),
    (
        "decide salience above 1",
        DECIDE.replace("0.25;3", "25;3"),
        None,
        ["salience 25 is outside 0-1", "line 8, field 5", "divide percentages by 100"],
    ),
    (
        "negative power",
        DECIDE.replace("0.25;3", "0.25;-3"),
        None,
        ["power -3 is negative", "line 8, field 6 (power)"],
    ),
    (
        "duplicate #D row",
        DECIDE + "#D;a2;i1;70;0.5;3\n",
        None,
        [
            "second #D line for actor 'a2' on issue 'i1' (first at line 8)",
            "line 9",
            "keep one of the two lines",
        ],
    ),
    (
        "unknown record tag",
        DECIDE + "#X;foo\n",
        None,
        ["unknown record tag '#X'", "line 9", "#A (actor)"],
    ),
    (
        "line without a tag",
        DECIDE + "a2;i1;70\n",
        None,
        ["line does not start with a record tag", "line 9", "use #/ for comments"],
    ),
    (
        "actor declared twice",
        DECIDE.replace("#A;a2;Actor two", "#A;a1;Again"),
        None,
        ["actor 'a1' is declared twice (first at line 2)", "line 3"],
    ),
    (
        "two keys give one id",
        DECIDE.replace("#A;a2;Actor two", "#A;a_2;X\n#A;a 2;Y"),
        None,
        [
            "actor keys 'a_2' (line 3) and 'a 2' both become the id 'a_2'",
            "line 4",
            "rename one of the two actors",
        ],
    ),
    (
        "no data rows",
        "\n".join(DECIDE.splitlines()[:6]),
        None,
        ["no #D data lines", "add '#D;actor;issue;position;salience;power'"],
    ),
    (
        "ktab actor count mismatch",
        KTAB.replace("Tiny,desc,2,1", "Tiny,desc,3,1"),
        None,
        ["line 1 says 3 actors, but there are 2 actor rows", "line 1, field 3"],
    ),
    (
        "ktab header for the wrong number of dimensions",
        KTAB.replace(",2,1,", ",2,2,"),
        "ktab",
        ["the header has 5 columns, expected 7", "line 2"],
    ),
    (
        "ktab row with a missing cell",
        KTAB.replace("B,Actor B,5,80,60,", "B,Actor B,5,80"),
        None,
        ["row has 4 cells, expected 5", "line 4"],
    ),
    (
        "ktab position outside 0-100",
        KTAB.replace("B,Actor B,5,80", "B,Actor B,5,180"),
        None,
        ["position 180 is outside KTAB's 0-100 scale", "line 4, field 4 (Policy Position)"],
    ),
    (
        "ktab non-numeric influence",
        KTAB.replace("A,Actor A,10", "A,Actor A,ten"),
        None,
        ["influence must be a number, got 'ten'", "line 3, field 3 (Influence)"],
    ),
    (
        "ktab saliences over 100",
        "T,d,1,2,\nActor,Description,Influence,P Position,P Salience,C Position,C Salience,\n"
        "A,a,1,10,60,20,50,\n",
        None,
        ["the saliences of actor 'A' add up to 110, over 100", "line 3"],
    ),
    (
        "table missing a column",
        TABLE.replace(",Salience", "").replace(",80", "").replace(",60", ""),
        "table",
        [
            "expected exactly ['actor', 'capability', 'position', 'salience'] (missing "
            "['salience'])",
            "line 1",
        ],
    ),
    (
        "table row with a missing cell",
        TABLE.replace("Q,0.2,10,60", "Q,0.2,10"),
        None,
        ["row has 3 cells, expected 4", "line 3"],
    ),
    (
        "table negative capability",
        TABLE.replace("P,0.5", "P,-0.5"),
        None,
        ["capability -0.5 is negative", "line 2, field 2 (capability)"],
    ),
    (
        "table salience out of range",
        TABLE.replace("10,60", "10,160"),
        None,
        ["salience 160 is outside 0-100", "line 3, field 4 (salience)"],
    ),
    (
        "table with one position only",
        TABLE.replace("Q,0.2,10", "Q,0.2,4"),
        None,
        ["every position is 4, so the table gives no scale", "--scale 0:100"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "text", "fmt", "fragments"), IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES]
)
def test_bad_import_input(kind: str, text: str, fmt: str | None, fragments: list[str]) -> None:
    with pytest.raises(InputError) as info:
        import_text(text, "bad.csv", fmt=fmt)
    msg = _message(info.value)
    assert msg.startswith("bad.csv")
    for frag in fragments:
        assert frag in msg, f"{kind}: {frag!r} not in {msg!r}"
    assert "fix:" in msg


def test_scale_only_for_tables() -> None:
    with pytest.raises(InputError, match="--scale applies only to actor tables"):
        import_text(DECIDE, "bad.csv", scale=(0, 100))


def test_table_position_outside_given_scale() -> None:
    with pytest.raises(InputError) as info:
        import_text(TABLE, "bad.csv", scale=(0, 5))
    msg = _message(info.value)
    assert "position 10 is outside the given scale [0, 5]" in msg and "line 3, field 3" in msg
