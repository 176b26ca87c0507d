"""Whole-command start-up: the ``backchannel`` command as a user runs it, from process
start to exit (Python start-up, imports and the work itself), one subprocess per round.

Run: ``.venv/bin/pytest benchmarks/test_bench_startup.py --benchmark-only``.
Targets: ``backchannel --help`` under 0.25 s and ``backchannel analyze`` on the embedded
case under 0.6 s (issue 11); the README's table quotes the medians. Besides wall time,
``extra_info["cpu_median_s"]`` is the median user + system CPU time of the command (from
``getrusage(RUSAGE_CHILDREN)``), which a machine shared with other jobs disturbs less.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BACKCHANNEL = str(Path(sys.executable).with_name("backchannel"))
COMMANDS = {
    "help": ["--help"],
    "version": ["--version"],
    "validate": ["validate"],
    "analyze": ["analyze"],
    "forecast_eum": ["forecast", "--model", "eum"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command(benchmark: Any, name: str) -> None:
    argv = [BACKCHANNEL, *COMMANDS[name]]
    cpu: list[float] = []

    def run() -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, capture_output=True, check=True, timeout=120)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

    benchmark.pedantic(run, rounds=10, warmup_rounds=1)
    benchmark.extra_info["cpu_median_s"] = round(statistics.median(cpu[1:]), 3)
