"""The DEU loader: counts, repairs, scoreable issues and the pinned baselines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from backchannel.data.deu import DeuData, load_deu, parse_intro
from backchannel.scenario.errors import InputError
from backchannel.validation.baselines import baseline_forecasts, weighted_median


def test_counts(deu_dev: DeuData) -> None:
    d = deu_dev
    assert d.n_issues == 256  # 258 lines - header - GDP row
    assert len(d.actors) == 30 and d.actors[:2] == ("com", "ep")
    assert len(set(d.proposal)) == 94
    assert int(np.isfinite(d.outcome).sum()) == 252
    assert int(d.scoreable().sum()) == 250
    assert int(np.isfinite(d.reference).sum()) == 180
    assert int(d.has_position().sum()) == 4650
    assert d.procedure.count("COD") == 130 and d.rule.count("QMV") == 194
    assert d.problems["rows without ids skipped (e.g. the added GDP row)"] == 1
    assert d.problems["intro dates repaired (dd-mm-yy read as yy-mm-dd)"] == 104
    # no GDP figure leaked in: the first issue is the buses directive
    assert d.issue_ids[0] == "d00060i1" and d.position[0, 0] == 100.0


def test_pinned_baselines(deu_dev: DeuData) -> None:
    """Computed the way that reproduces the published 23.6 / 28.4 / 28.0 on the full file."""
    sc = deu_dev.scoreable()
    b = baseline_forecasts(deu_dev)

    def mae(k: str) -> float:
        return float(np.nanmean(np.abs(b[k] - deu_dev.outcome)[sc]))

    assert mae("salience_mean") == pytest.approx(22.9321, abs=1e-3)
    assert mae("salience_median") == pytest.approx(27.906, abs=1e-3)
    assert mae("midpoint") == pytest.approx(28.008, abs=1e-3)
    assert mae("mean") == pytest.approx(22.9692, abs=1e-3)
    assert mae("median") == pytest.approx(27.97, abs=1e-3)


def test_intro_dates_repaired() -> None:
    assert parse_intro("2014-07-04", "d04167") == (dt.date(2004, 7, 14), True)
    assert parse_intro("1930-11-05", "d05246") == (dt.date(2005, 11, 30), True)
    assert parse_intro("2017-04-18", "d180104") == (dt.date(2018, 4, 17), True)
    assert parse_intro("23-03-00", "d00060") == (dt.date(2000, 3, 23), False)
    assert parse_intro("14-12-1999", "n99276") == (dt.date(1999, 12, 14), False)
    # a genuine ISO date that agrees with the proposal year stays as written
    assert parse_intro("2016-09-14", "d160280") == (dt.date(2016, 9, 14), False)
    assert parse_intro("garbage", "x") == (None, False)


def test_weighted_median_interval_midpoint() -> None:
    p = np.array([[0.0], [40.0], [100.0], [np.nan]])
    assert weighted_median(p, np.array([[1.0], [1.0], [2.0], [5.0]]))[0] == 70.0
    assert weighted_median(p, np.array([[3.0], [1.0], [1.0], [0.0]]))[0] == 0.0
    assert weighted_median(p, np.zeros((4, 1)))[0] == 40.0  # equal weights fallback


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    head = [
        "prnr",
        "isnr",
        "proc",
        "counvte",
        "intro",
        "finact",
        "pcom",
        "pep",
        "pde",
        "pfr",
        "scom",
        "sep",
        "sde",
        "sfr",
        "rp",
        "out",
    ]
    f = tmp_path / "x.tsv"
    f.write_text("\n".join("\t".join(f'"{c}"' for c in r) for r in [head, *rows]) + "\n")
    return f


def test_robust_to_unseen_quirks(tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        [
            ["", "", "", "", "", "", "4.1", "4.1", "2.0", "1.0", "", "", "", "", "", ""],
            [
                "d01001",
                "d01001i1",
                "COD",
                "QMV",
                "01-02-01",
                "999",
                "100",
                "",
                "0",
                "250",
                "50",
                "",
                "40",
                "30",
                "0",
                "60",
            ],
            [
                "d01001",
                "d01001i2",
                "CNS",
                "Unanimity",
                "2001-02-01",
                "x",
                "10",
                "20",
                "30",
                "40",
                "50",
                "50",
                "50",
                "",
                "",
                "",
            ],
        ],
    )
    d = load_deu(f)
    assert d.n_issues == 2 and d.actors == ("com", "ep", "de", "fr")
    assert np.isnan(d.position[3, 0])  # 250 is outside 0-100: blanked and counted
    assert d.problems["positions outside 0-100 (blanked)"] == 1
    assert d.rule == ("QMV", "UNAN")
    assert d.salience[3, 1] == 0.0  # blank salience with a position reads as 0
    assert d.scoreable().tolist() == [False, False]  # 2 actors; no outcome


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_deu(tmp_path / "missing.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(InputError, match="missing column"):
        load_deu(bad)
