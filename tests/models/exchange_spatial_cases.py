"""Private readers for the reference cases used by the model tests and benchmarks.

Small on purpose: the product's importers live in ``backchannel.scenario.importers``; these
helpers only turn the two reference files into arrays so the checks do not depend on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backchannel.scenario.arrays import FloatArray

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
COP21 = DATA / "cases" / "cop21" / "cop21_decide_format.tsv"
KTAB_SOE = DATA / "cases" / "ktab_china_soe"


def read_decide(path: Path) -> tuple[list[str], list[str], FloatArray, FloatArray, FloatArray]:
    """Actors, issues, position, salience, power from a decide ``#A/#P/#D`` file.

    Missing cells get the scale midpoint (50) and salience 0, as ``models.base.prepare``."""
    actors: list[str] = []
    issues: list[str] = []
    rows: list[list[str]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        f = line.split("\t")
        if f[0] == "#A":
            actors.append(f[1])
        elif f[0] == "#P":
            issues.append(f[1])
        elif f[0] == "#D":
            rows.append(f)
    n, k = len(actors), len(issues)
    x = np.full((n, k), 50.0)
    s = np.zeros((n, k))
    c = np.zeros((n, k))
    for f in rows:
        a, i = actors.index(f[1]), issues.index(f[2])
        x[a, i], s[a, i], c[a, i] = float(f[3]), float(f[4]), float(f[5])
    return actors, issues, x, s, c


def read_ktab_csv(path: Path) -> tuple[list[str], FloatArray, FloatArray, FloatArray]:
    """Actor names, capability (N,), position (N, K), salience (N, K) from a KTAB SMP CSV."""
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    names: list[str] = []
    cap: list[float] = []
    pos: list[list[float]] = []
    sal: list[list[float]] = []
    for ln in lines[2:]:
        f = [v.strip() for v in ln.split(",")]
        vals = [float(v) for v in f[2:] if v]
        names.append(f[0])
        cap.append(vals[0])
        pos.append(vals[1::2])
        sal.append(vals[2::2])
    return names, np.array(cap), np.array(pos), np.array(sal)


def read_ktab_history(
    path: Path, names: list[str], dims: list[str]
) -> tuple[FloatArray, FloatArray]:
    """Positions per turn (T, N, K) and winning probabilities per turn (T, N) from the
    "History of ..." tables at the end of a KTAB SMP log."""
    import re

    text = path.read_text()
    hist = text[text.index("History of actor positions") :]
    probs = text[text.index("History of actors' winning probabilities") :]
    pos: list[list[list[float]]] = []
    for nm in names:
        rows = []
        for dn in dims:
            m = re.search(rf"^{re.escape(nm)}, {re.escape(dn)}:(.*)$", hist, re.M)
            assert m is not None, (nm, dn)
            rows.append([float(v) for v in m.group(1).split()])
        pos.append(rows)
    prob: list[list[float]] = []
    for nm in names:
        m = re.search(rf"^{re.escape(nm)}, prob :(.*)$", probs, re.M)
        assert m is not None, nm
        prob.append([float(v) for v in m.group(1).split()])
    return np.transpose(np.array(pos), (2, 0, 1)), np.array(prob).T
