"""The vendored browser code is the pinned release, with its licence, and ships in the
package (the dashboard works offline)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from backchannel.web import vendor


def test_vendored_files_match_their_pins() -> None:
    assert vendor.check() == []


def test_a_changed_file_is_caught(tmp_path: Path) -> None:
    for pkg in vendor.PACKAGES:
        for name, _ in pkg.files.values():
            (tmp_path / name).write_bytes((vendor.VENDOR / name).read_bytes())
    (tmp_path / "tabulator.min.js").write_bytes(b"/* tampered */")
    (tmp_path / "tabulator.LICENSE").unlink()
    problems = vendor.check(tmp_path)
    assert any("tabulator.min.js: differs" in p for p in problems)
    assert any("tabulator.LICENSE: missing" in p for p in problems)


def test_vendored_files_are_package_data() -> None:
    static = resources.files("backchannel.web").joinpath("static", "vendor")
    assert "MIT License" in static.joinpath("tabulator.LICENSE").read_text("utf-8")
    assert static.joinpath("tabulator.min.js").read_text("utf-8").startswith("/* Tabulator v6.5.3")
