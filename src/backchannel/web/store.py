"""A local scenario store in SQLite that never loses an earlier version.

Every save appends a new row to ``versions`` (an append-only table: triggers refuse UPDATE
and DELETE), inside one ``BEGIN IMMEDIATE`` transaction, so a failed save leaves the last
good version intact. Scenario YAML is validated before it is stored; names are store keys
(never file names) restricted to a short safe pattern.

Concurrency: a :class:`Store` keeps one connection and lets one thread at a time use the
file (a lock per file, shared by every ``Store`` of this process), so the threads of one
server never race for SQLite's write lock. Racing for it
is what made saves fail under load: SQLite's busy handler polls rather than queues, so
with 20 threads saving at once an unlucky one lost every poll for the whole 10-second
busy timeout ("database is locked"). Other processes that write the same file (a second
server) still meet at SQLite's lock; for them the busy timeout is 60 s.

Default location: ``$XDG_DATA_HOME/backchannel/store.sqlite`` (``~/.local/share/...``).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backchannel.scenario.errors import InputError
from backchannel.scenario.load import parse_scenario

BUSY_TIMEOUT = 60.0
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    name     TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    yaml     TEXT    NOT NULL,
    saved_at TEXT    NOT NULL,
    UNIQUE (name, version)
);
CREATE TRIGGER IF NOT EXISTS versions_no_update BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS versions_no_delete BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
"""


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    """One lock per store file, shared by every :class:`Store` on it in this process."""
    key = os.path.realpath(path)
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(key, threading.Lock())


def default_store_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "backchannel" / "store.sqlite"


def check_name(name: str) -> str:
    """A store name: 1-64 characters, letters, digits, space, ``_ - .``; no slashes."""
    name = name.strip()
    if not NAME_RE.match(name) or ".." in name:
        raise InputError(
            f"invalid scenario name {name!r}",
            source="store",
            fix="use 1-64 letters, digits, spaces, '_', '-' or '.', starting with a letter "
            "or digit (no slashes, no '..')",
        )
    return name


@dataclass(frozen=True)
class Version:
    """One stored version of a named scenario."""

    name: str
    version: int
    saved_at: str
    yaml: str


@dataclass(frozen=True)
class Entry:
    """A named scenario in the store: its latest version number and when it was saved."""

    name: str
    latest: int
    saved_at: str


class Store:
    """Append-only versioned scenario store (one SQLite file), safe to share between
    threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_for(self.path)
        self._con = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        with self._use() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    @contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._con

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._use() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def save(self, name: str, yaml_text: str) -> Version:
        """Validate and append a new version of ``name``; returns it."""
        name = check_name(name)
        parse_scenario(yaml_text, source=f"<store:{name}>")  # raises InputError if invalid
        return self.append(name, yaml_text)

    def append(self, name: str, yaml_text: str) -> Version:
        """Append ``yaml_text`` (already validated) as the next version of ``name``."""
        name = check_name(name)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as con:
            row = con.execute(
                "SELECT COALESCE(MAX(version), 0) FROM versions WHERE name = ?", (name,)
            ).fetchone()
            version = int(row[0]) + 1
            con.execute(
                "INSERT INTO versions (name, version, yaml, saved_at) VALUES (?, ?, ?, ?)",
                (name, version, yaml_text, stamp),
            )
            self._after_insert(con)
        return Version(name=name, version=version, saved_at=stamp, yaml=yaml_text)

    def _after_insert(self, con: sqlite3.Connection) -> None:
        """Hook run inside the save transaction (tests use it to simulate a crash)."""

    def entries(self) -> list[Entry]:
        with self._use() as con:
            rows = con.execute(
                "SELECT name, MAX(version), MAX(saved_at) FROM versions GROUP BY name ORDER BY name"
            ).fetchall()
        return [Entry(name=r[0], latest=int(r[1]), saved_at=str(r[2])) for r in rows]

    def history(self, name: str) -> list[Version]:
        name = check_name(name)
        with self._use() as con:
            rows = con.execute(
                "SELECT name, version, saved_at, yaml FROM versions WHERE name = ? "
                "ORDER BY version",
                (name,),
            ).fetchall()
        return [Version(name=r[0], version=int(r[1]), saved_at=r[2], yaml=r[3]) for r in rows]

    def get(self, name: str, version: int | None = None) -> Version:
        """A version of ``name`` (the latest when ``version`` is None)."""
        name = check_name(name)
        with self._use() as con:
            if version is None:
                row = con.execute(
                    "SELECT name, version, saved_at, yaml FROM versions WHERE name = ? "
                    "ORDER BY version DESC LIMIT 1",
                    (name,),
                ).fetchone()
            else:
                row = con.execute(
                    "SELECT name, version, saved_at, yaml FROM versions "
                    "WHERE name = ? AND version = ?",
                    (name, version),
                ).fetchone()
        if row is None:
            what = name if version is None else f"{name} version {version}"
            raise InputError(
                f"no saved scenario {what!r}",
                source="store",
                fix="pick one from the list of saved scenarios",
            )
        return Version(name=row[0], version=int(row[1]), saved_at=row[2], yaml=row[3])
