"""``backchannel import`` and bad input through the CLI: exit code 2, message, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backchannel.cli.app import main
from backchannel.scenario.importers import import_file
from backchannel.scenario.load import load_scenario

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / ".." / "shared" / "data" / "cases"
needs_data = pytest.mark.skipif(not CASES.exists(), reason="shared/data not beside the repo")

DECIDE = "#A;a1;A1\n#A;a2;A2\n#P;i1;I1\n#D;a1;i1;20;0.5;1\n#D;a2;i1;80;0.25;3\n"
EXISTING = b"# my hand-edited scenario\nname: keep me\n"


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run the real entry point in-process: (exit code, stdout, stderr with spaces joined)."""
    monkeypatch.setattr(sys, "argv", ["backchannel", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def test_import_writes_yaml_that_loads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "tiny.csv"
    src.write_text(DECIDE, "utf-8")
    out = tmp_path / "out" / "scenario.yaml"
    code, _, err = run(["import", str(src), "-o", str(out)], capsys, monkeypatch)
    assert code == 0, err
    assert "imported" in err and "2 actors, 1 issues" in err
    assert load_scenario(out) == import_file(src)


def test_import_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "tiny.csv"
    src.write_text(DECIDE, "utf-8")
    code, out, _ = run(["import", str(src), "--name", "Tiny"], capsys, monkeypatch)
    assert code == 0 and out.startswith("name: Tiny\n") and "veto: false" in out


@needs_data
def test_import_table_with_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "ec.yaml"
    src = CASES / "ec_emissions" / "ec_car_emissions_1994.csv"
    code, _, err = run(
        ["import", str(src), "-o", str(out), "--format", "table", "--scale", "0:10"],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    sc = load_scenario(out)
    assert (sc.issue("issue").scale.min, sc.issue("issue").scale.max) == (0.0, 10.0)


@pytest.mark.parametrize(
    ("kind", "text", "extra", "fragments"),
    [
        (
            "undeclared actor",
            DECIDE.replace("#D;a2", "#D;zz"),
            [],
            ["error:", "bad.csv, line 5, field 2: #D names actor 'zz'", "fix:"],
        ),
        (
            "non-numeric cell",
            DECIDE.replace("0.25", "lots"),
            [],
            ["line 5, field 5 (salience): salience must be a number, got 'lots'"],
        ),
        (
            "wrong column count",
            DECIDE.replace(";0.25;3", ";0.25"),
            [],
            ["line 5: #D line has 5 cells, expected 6"],
        ),
        ("unknown format", DECIDE, ["--format", "xml"], ["unknown format 'xml'"]),
        (
            "bad --scale",
            "Actor,Capability,Position,Salience\nA,1,2,3\nB,1,4,5\n",
            ["--scale", "ten"],
            ["command line, --scale: cannot read the scale 'ten'", "fix: write MIN:MAX"],
        ),
        ("empty file", "", [], ["bad.csv: the file is empty"]),
    ],
)
def test_failing_import_exits_2_and_leaves_output_untouched(
    kind: str,
    text: str,
    extra: list[str],
    fragments: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = tmp_path / "bad.csv"
    src.write_text(text, "utf-8")
    out = tmp_path / "existing.yaml"
    out.write_bytes(EXISTING)
    code, stdout, err = run(["import", str(src), "-o", str(out), *extra], capsys, monkeypatch)
    assert code == 2, kind
    for frag in fragments:
        assert frag in err, f"{kind}: {frag!r} not in {err!r}"
    assert "Traceback" not in err + stdout
    assert out.read_bytes() == EXISTING
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "existing.yaml"]


def test_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["import", str(tmp_path / "nope.csv")], capsys, monkeypatch)
    assert code == 2 and "nope.csv: file not found" in err


def test_validate_bad_yaml_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("name: t\nissues:\n  - id: a\n    name: A\n    colour: red\nactors: []\n")
    code, _, err = run(["validate", str(bad)], capsys, monkeypatch)
    assert code == 2 and "Traceback" not in err
    assert "s.yaml, line 5, issues[0] (id: a).colour: unknown field 'colour'" in err


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-m", "backchannel.cli.app", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_real_process_failure_and_success(tmp_path: Path) -> None:
    """Through `python -m backchannel.cli.app`: exit 2 without traceback, then success."""
    bad = tmp_path / "bad.csv"
    bad.write_text(DECIDE.replace("#D;a2;i1;80", "#D;a2;i9;80"), "utf-8")
    out = tmp_path / "existing.yaml"
    out.write_bytes(EXISTING)
    proc = _cli("import", str(bad), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert "line 5, field 3: #D names issue 'i9'" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr and out.read_bytes() == EXISTING
    good = tmp_path / "good.csv"
    good.write_text(DECIDE, "utf-8")
    proc = _cli("import", str(good), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert load_scenario(out) == import_file(good)


def test_output_must_not_be_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "tiny.csv"
    src.write_text(DECIDE, "utf-8")
    code, _, err = run(["import", str(src), "-o", str(src)], capsys, monkeypatch)
    assert code == 2 and "would overwrite the file being imported" in err
    assert src.read_text("utf-8") == DECIDE
