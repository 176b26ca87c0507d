"""Shared fixtures: the DEU development file (read in place from ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backchannel.data.deu import DeuData, load_deu

DEU_DEV = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "deu" / "deu3_dev.tsv"


@pytest.fixture(scope="session")
def deu_dev() -> DeuData:
    if not DEU_DEV.is_file():
        pytest.skip("shared DEU data not available")
    return load_deu(DEU_DEV)
