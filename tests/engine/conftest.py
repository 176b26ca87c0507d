"""Fixtures for the sweep tests: a Dask cluster once per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A real local Dask cluster (2 worker processes, 1 thread each), once per session."""
    from backchannel.engine.executors import DaskExecutor

    with DaskExecutor(workers=2) as ex:
        yield ex.client
