"""Loader for the DEU ("Decision-making in the European Union") issue table.

Format (DEU III, Arregui & Perarnaud 2021, doi:10.34810/data53; Thomson et al. 2012): a
tab-separated file, a header row, then one row per controversial issue with ids (``prnr``
proposal, ``isnr`` issue), procedure ``proc`` (COD/CNS), Council voting rule ``counvte``
(QMV/Unan), introduction date ``intro``, positions ``p<actor>`` and saliences ``s<actor>``
(0-100) of the Commission (``com``), the Parliament (``ep``) and the member states, the
reference point ``rp`` and the outcome ``out``. A blank cell: no position / no value.

Repairs and exclusions (all general rules, none per issue; see docs/decisions.md):

* a row whose id cells are all blank (the relative-GDP row a third party added as row 2)
  is not DEU data and is skipped;
* ``finact`` is damaged and never read;
* ``intro`` dates were partly mangled by a spreadsheet (``14-07-04`` read as yy-mm-dd and
  written ``2014-07-04``); an ISO-looking date is read back as dd-mm-yy when that reading
  agrees better with the year in the proposal id (``d04167`` -> 2004);
* cells outside 0-100 or not numbers are treated as blank and counted in ``problems``;
* an issue is *scoreable* when it has an outcome and at least three actors with a position
  (this reproduces the 351 scoreable issues of the full file; see the decisions file).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from backchannel.scenario.arrays import BoolArray, FloatArray
from backchannel.scenario.errors import InputError

INSTITUTIONS = ("com", "ep")
REQUIRED_COLUMNS = ("prnr", "isnr", "proc", "counvte", "intro", "rp", "out")
MIN_ACTORS = 3


@dataclass(frozen=True)
class DeuData:
    """The issues of a DEU file as arrays.

    ``position``/``salience``: (A actors, K issues), 0-100, NaN where blank. ``reference``
    and ``outcome``: (K,), NaN where blank. ``proposal``: proposal id per issue. ``intro``:
    introduction date per issue (None if unreadable). ``problems``: counts of repaired or
    discarded cells by kind.
    """

    source: str
    actors: tuple[str, ...]
    issue_ids: tuple[str, ...]
    proposal: tuple[str, ...]
    procedure: tuple[str, ...]
    rule: tuple[str, ...]
    intro: tuple[dt.date | None, ...]
    position: FloatArray
    salience: FloatArray
    reference: FloatArray
    outcome: FloatArray
    problems: dict[str, int] = field(default_factory=dict)
    proposal_name: tuple[str, ...] = ()  # ``prname`` per issue ("" where absent)

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    def has_position(self) -> BoolArray:
        return np.asarray(~np.isnan(self.position))

    def n_actors(self) -> NDArray[np.int64]:
        """Actors with a position, per issue."""
        return np.asarray(self.has_position().sum(axis=0), dtype=np.int64)

    def scoreable(self) -> BoolArray:
        """Issues with an outcome and at least :data:`MIN_ACTORS` actors with a position."""
        return np.asarray(~np.isnan(self.outcome) & (self.n_actors() >= MIN_ACTORS))

    def subset(self, mask: BoolArray) -> DeuData:
        idx = np.flatnonzero(mask)

        def pick(t: tuple) -> tuple:  # type: ignore[type-arg,unused-ignore]
            return tuple(t[i] for i in idx)

        return DeuData(
            source=self.source,
            actors=self.actors,
            issue_ids=pick(self.issue_ids),
            proposal=pick(self.proposal),
            procedure=pick(self.procedure),
            rule=pick(self.rule),
            intro=pick(self.intro),
            position=self.position[:, idx],
            salience=self.salience[:, idx],
            reference=self.reference[idx],
            outcome=self.outcome[idx],
            problems=dict(self.problems),
            proposal_name=pick(self.proposal_name) if self.proposal_name else (),
        )

    def proposal_index(self) -> tuple[tuple[str, ...], NDArray[np.int64]]:
        """Distinct proposals in order of first appearance and each issue's proposal index."""
        order: dict[str, int] = {}
        for p in self.proposal:
            order.setdefault(p, len(order))
        return tuple(order), np.array([order[p] for p in self.proposal], dtype=np.int64)


_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_PROP_YEAR = re.compile(r"^[A-Za-z]+(\d{2})")


def _year2(yy: int) -> int:
    return 1900 + yy if yy >= 50 else 2000 + yy


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_intro(text: str, proposal: str) -> tuple[dt.date | None, bool]:
    """Introduction date from ``dd-mm-yy``/``dd-mm-yyyy``, or a spreadsheet-mangled
    ``yyyy-mm-dd`` (returns the date and whether it was repaired).

    For an ISO-looking value both readings are considered: as written, and as the original
    ``dd-mm-yy`` (day = last two digits of the "year", year = the "day"); the one whose year
    is nearest to (and not before) the year in the proposal id wins.
    """
    s = text.strip()
    m = _DMY.match(s)
    if m:
        d, mo, y = int(m[1]), int(m[2]), m[3]
        return _safe_date(_year2(int(y)) if len(y) == 2 else int(y), mo, d), False
    m = _YMD.match(s)
    if not m:
        return None, False
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    as_written = _safe_date(y, mo, d)
    swapped = _safe_date(_year2(d), mo, y % 100)
    pm = _PROP_YEAR.match(proposal.strip())
    if pm is None or swapped is None:
        return as_written, False
    py = _year2(int(pm[1]))

    def cost(x: dt.date | None) -> float:
        if x is None:
            return np.inf
        return abs(x.year - py) + (10.0 if x.year < py else 0.0)

    if cost(swapped) < cost(as_written):
        return swapped, True
    return as_written, False


def _cell(text: str) -> tuple[float, str | None]:
    s = text.strip()
    if s == "" or s.upper() in {"NA", "NAN", "."}:
        return np.nan, None
    try:
        v = float(s.replace(",", "."))
    except ValueError:
        return np.nan, "not a number"
    if not np.isfinite(v) or v < 0 or v > 100:
        return np.nan, "outside 0-100"
    return v, None


def load_deu(path: str | Path) -> DeuData:
    """Read a DEU issue table (tab-separated; quoted or not)."""
    return parse_deu(read_text(path), str(path))


def read_text(path: str | Path) -> str:
    """The text of a DEU file (UTF-8, else Latin-1)."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p), fix="give the path of a DEU .tsv file")
    try:
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return p.read_text(encoding="latin-1")


def parse_deu(text: str, src: str = "<text>") -> DeuData:
    """Parse the text of a DEU issue table (see :func:`load_deu`); ``src`` names it in
    errors."""
    text = text.removeprefix("\ufeff")
    delim = "\t" if "\t" in text.split("\n", 1)[0] else ","
    rows = list(csv.reader(text.splitlines(), delimiter=delim))
    if not rows:
        raise InputError("empty file", source=src, fix="give a DEU file with a header row")
    header = [h.strip().lower() for h in rows[0]]
    col = {h: i for i, h in enumerate(header)}
    missing = [c for c in REQUIRED_COLUMNS if c not in col]
    if missing:
        raise InputError(
            f"missing column(s) {missing}",
            source=src,
            where="line 1 (header)",
            fix="the DEU format needs prnr, isnr, proc, counvte, intro, p<actor>, s<actor>, "
            "rp and out columns",
        )
    actors = tuple(h[1:] for h in header if h.startswith("p") and f"s{h[1:]}" in col)
    if not actors:
        raise InputError(
            "no p<actor>/s<actor> column pairs",
            source=src,
            where="line 1",
            fix="name position columns p<actor> and saliences s<actor>",
        )
    problems: Counter[str] = Counter()
    ids: list[str] = []
    prop: list[str] = []
    pname: list[str] = []
    proc: list[str] = []
    rule: list[str] = []
    intro: list[dt.date | None] = []
    pos: list[list[float]] = []
    sal: list[list[float]] = []
    ref: list[float] = []
    out: list[float] = []
    seen: set[str] = set()
    for lineno, r in enumerate(rows[1:], start=2):
        r = r + [""] * (len(header) - len(r))

        def get(c: str, r: list[str] = r) -> str:
            return r[col[c]].strip()

        if get("isnr") == "" and get("prnr") == "":
            problems["rows without ids skipped (e.g. the added GDP row)"] += 1
            continue
        iid = get("isnr") or f"line{lineno}"
        if iid in seen:
            problems["duplicate issue ids (renamed)"] += 1
            iid = f"{iid}@line{lineno}"
        seen.add(iid)
        ids.append(iid)
        prop.append(get("prnr") or iid)
        pname.append(get("prname") if "prname" in col else "")
        proc.append(get("proc").upper() or "?")
        vr = get("counvte").upper()
        rule.append("QMV" if vr.startswith("Q") else "UNAN" if vr.startswith("U") else vr or "?")
        d, repaired = parse_intro(get("intro"), get("prnr"))
        problems["intro dates repaired (dd-mm-yy read as yy-mm-dd)"] += int(repaired)
        problems["intro dates unreadable"] += int(d is None)
        intro.append(d)
        prow, srow = [], []
        for a in actors:
            v, why = _cell(get(f"p{a}"))
            if why:
                problems[f"positions {why} (blanked)"] += 1
            w, why = _cell(get(f"s{a}"))
            if why:
                problems[f"saliences {why} (blanked)"] += 1
            prow.append(v)
            srow.append(w)
        pos.append(prow)
        sal.append(srow)
        v, why = _cell(get("rp"))
        if why:
            problems[f"reference points {why} (blanked)"] += 1
        ref.append(v)
        v, why = _cell(get("out"))
        if why:
            problems[f"outcomes {why} (blanked)"] += 1
        out.append(v)
    if not ids:
        raise InputError("no issue rows", source=src, fix="give a DEU file with issue rows")
    position = np.array(pos, dtype=float).T
    salience = np.array(sal, dtype=float).T
    nosal = ~np.isnan(position) & np.isnan(salience)
    problems["saliences blank where a position is given (read as 0)"] += int(nosal.sum())
    salience = np.where(np.isnan(position), np.nan, np.nan_to_num(salience, nan=0.0))
    return DeuData(
        source=src,
        actors=actors,
        issue_ids=tuple(ids),
        proposal=tuple(prop),
        procedure=tuple(proc),
        rule=tuple(rule),
        intro=tuple(intro),
        position=position,
        salience=salience,
        reference=np.array(ref, dtype=float),
        outcome=np.array(out, dtype=float),
        problems={k: v for k, v in problems.items() if v},
        proposal_name=tuple(pname),
    )


@dataclass(frozen=True)
class DeuSplit:
    """A DEU file split by proposal into a training and a test part (each the header and
    the original lines of its issues)."""

    train: str
    test: str
    train_proposals: tuple[str, ...]
    test_proposals: tuple[str, ...]
    rule: str


def split_deu(
    text: str,
    src: str = "<text>",
    *,
    by: str = "time",
    test_from: dt.date = dt.date(2004, 1, 1),
    test_share: float = 0.3,
    seed: int = 0,
) -> DeuSplit:
    """Split a DEU table by whole proposals: ``by="time"`` puts every proposal introduced on
    or after ``test_from`` into the test part (a proposal's date: the earliest repaired
    ``intro`` of its issues); ``by="proposal"`` draws ``round(test_share x proposals)``
    proposals at random (``seed``). Rows without ids (the added GDP row) go nowhere."""
    data = parse_deu(text, src)  # validates the table and repairs the dates
    lines = text.removeprefix("\ufeff").splitlines()
    delim = "\t" if "\t" in lines[0] else ","
    header = [h.strip().lower() for h in next(csv.reader([lines[0]], delimiter=delim))]
    i_pr, i_is = header.index("prnr"), header.index("isnr")
    proposals = tuple(dict.fromkeys(data.proposal))
    if by == "time":
        first: dict[str, dt.date | None] = {}
        for p, d in zip(data.proposal, data.intro, strict=True):
            old = first.get(p)
            first[p] = d if old is None else (old if d is None else min(old, d))
        undated = [p for p, d in first.items() if d is None]
        if undated:
            raise InputError(
                f"proposal(s) {undated} have no readable introduction date",
                source=src,
                where="column intro",
                fix="give dates as dd-mm-yy, or split --by proposal",
            )
        test = {p for p, d in first.items() if d is not None and d >= test_from}
        rule = f"proposals introduced on or after {test_from.isoformat()} are test"
    elif by == "proposal":
        if not 0 < test_share < 1:
            raise InputError(
                f"test share {test_share} is not between 0 and 1",
                source="--test-share",
                fix="give a share such as 0.3",
            )
        rng = np.random.default_rng(seed)
        n_test = round(test_share * len(proposals))
        test = {proposals[i] for i in rng.permutation(len(proposals))[:n_test]}
        rule = f"{n_test} of {len(proposals)} proposals drawn at random (seed {seed}) are test"
    else:
        raise InputError(f"unknown split {by!r}", source="--by", fix="use time or proposal")
    if not test or len(test) == len(proposals):
        raise InputError(
            "the split leaves one part without proposals",
            source=src,
            fix="choose another --test-from date or --test-share",
        )
    parts: dict[bool, list[str]] = {False: [lines[0]], True: [lines[0]]}
    for line in lines[1:]:
        cells = next(csv.reader([line], delimiter=delim), [])
        cells += [""] * (len(header) - len(cells))
        pr, iss = cells[i_pr].strip(), cells[i_is].strip()
        if not pr and not iss:
            continue
        parts[(pr or iss) in test].append(line)
    return DeuSplit(
        train="\n".join(parts[False]) + "\n",
        test="\n".join(parts[True]) + "\n",
        train_proposals=tuple(p for p in proposals if p not in test),
        test_proposals=tuple(p for p in proposals if p in test),
        rule=rule,
    )
