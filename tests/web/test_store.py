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


def test_concurrent_saves_all_land(
    tmp_path: Path, yaml_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 saves from 20 threads, half through one Store and half through Stores of their
    own on the same file, each transaction held open a little: every save lands and
    versions are 1..n without gaps. SQLite's busy timeout is cut to 50 ms here, so any
    race for SQLite's write lock between threads would fail at once; before the per-file
    lock, such races made 4 of 200 saves fail ("database is locked") on a loaded machine,
    where an unlucky thread lost every poll of the 10 s timeout."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from backchannel.web import store as store_module

    class Slow(Store):
        def _after_insert(self, con: sqlite3.Connection) -> None:
            time.sleep(0.002)

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.05)
    path = tmp_path / "s.sqlite"
    shared = Slow(path)

    def save(i: int) -> int:
        store = shared if i % 2 else Slow(path)
        if i % 10 == 0:
            return store.save(f"case{i % 4}", yaml_text).version  # with validation
        return store.append(f"case{i % 4}", yaml_text).version

    with ThreadPoolExecutor(20) as pool:
        versions = list(pool.map(save, range(200)))
    assert len(versions) == 200
    for name in ("case0", "case1", "case2", "case3"):
        assert [v.version for v in shared.history(name)] == list(range(1, 51))


_WRITER = """
import sys
from backchannel.web.store import Store
store = Store(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read()
i = 0
while True:
    v = store.append("case", text + f"# save {i}\\n")
    print(v.version, flush=True)
    i += 1
"""


def test_kill_9_during_saves_keeps_the_store_intact(tmp_path: Path, yaml_text: str) -> None:
    """A writer killed with SIGKILL at random moments, again and again: the file passes
    SQLite's integrity check, versions have no gaps, every save the writer reported
    (after COMMIT) is there and every stored version is complete."""
    import random
    import subprocess
    import sys
    import time

    from backchannel.scenario.load import parse_scenario

    path = tmp_path / "s.sqlite"
    source = tmp_path / "case.yaml"
    source.write_text(yaml_text, encoding="utf-8")
    rnd = random.Random(0)
    reported = 0
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), str(source)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        for _ in range(rnd.randint(1, 30)):
            reported = max(reported, int(proc.stdout.readline()))
        time.sleep(rnd.uniform(0, 0.05))
        proc.kill()  # SIGKILL: no cleanup, possibly mid-transaction
        proc.wait()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    history = Store(path).history("case")
    versions = [v.version for v in history]
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= reported
    for v in history:
        assert v.yaml.startswith(yaml_text) and v.yaml.endswith("\n")
    parse_scenario(history[-1].yaml, "<last>")
