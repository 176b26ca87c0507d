"""The scenario store keeps every version and survives failed saves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backchannel.scenario.errors import InputError
from backchannel.scenario.load import load_embedded, scenario_to_yaml
from backchannel.web.store import Store, check_name


@pytest.fixture(scope="module")
def yaml_text() -> str:
    return scenario_to_yaml(load_embedded())


def test_save_appends_versions(tmp_path: Path, yaml_text: str) -> None:
    store = Store(tmp_path / "s.sqlite")
    v1 = store.save("iran", yaml_text)
    v2 = store.save("iran", yaml_text.replace("salience: 95", "salience: 94", 1))
    assert (v1.version, v2.version) == (1, 2)
    assert [v.version for v in store.history("iran")] == [1, 2]
    assert store.get("iran").yaml == v2.yaml
    assert store.get("iran", 1).yaml == yaml_text
    assert [(e.name, e.latest) for e in store.entries()] == [("iran", 2)]


def test_invalid_yaml_is_not_stored(tmp_path: Path, yaml_text: str) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.save("iran", yaml_text)
    with pytest.raises(InputError, match="salience"):
        store.save("iran", yaml_text.replace("salience: 95", "salience: 195", 1))
    assert [v.version for v in store.history("iran")] == [1]


def test_failed_save_leaves_last_good_version(tmp_path: Path, yaml_text: str) -> None:
    class Crashing(Store):
        def _after_insert(self, con: sqlite3.Connection) -> None:
            raise OSError("disk full")

    Store(tmp_path / "s.sqlite").save("iran", yaml_text)
    with pytest.raises(OSError, match="disk full"):
        Crashing(tmp_path / "s.sqlite").save("iran", yaml_text + "\n# v2\n")
    store = Store(tmp_path / "s.sqlite")
    assert [v.version for v in store.history("iran")] == [1]
    assert store.get("iran").yaml == yaml_text


def test_versions_are_append_only(tmp_path: Path, yaml_text: str) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.save("iran", yaml_text)
    con = sqlite3.connect(store.path)
    for sql in ("UPDATE versions SET yaml = 'x'", "DELETE FROM versions"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()
    assert store.get("iran").yaml == yaml_text


@pytest.mark.parametrize("bad", ["", "../etc/passwd", "a/b", "..", "x" * 65, ".hidden"])
def test_unsafe_names_rejected(bad: str) -> None:
    with pytest.raises(InputError):
        check_name(bad)


def test_missing_version_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no saved scenario"):
        Store(tmp_path / "s.sqlite").get("nothing")
