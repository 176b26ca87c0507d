"""The core works without any extra: with pandas, plotly, Dask, Jinja2, FastAPI,
matplotlib and pyarrow made unimportable, `analyze`, `forecast --model eum` and `sweep`
run, and the commands that need an extra say which one to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

EXTRAS = (
    "pandas",
    "plotly",
    "dask",
    "distributed",
    "jinja2",
    "fastapi",
    "uvicorn",
    "matplotlib",
    "pyarrow",
    "multipart",
)
RUN = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS!r}:
            raise ImportError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Block())
from backchannel.cli.app import main
main(sys.argv[1:])
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "args",
    [
        ("analyze",),
        ("what-it-takes", "--json"),
        ("forecast", "--model", "eum"),
        ("sweep", "--draws", "200", "--sobol", "8", "--model", "compromise"),
    ],
)
def test_core_commands_need_no_extra(args: tuple[str, ...]) -> None:
    res = run(*args)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("report", "-o", "/dev/null"), "report"),
        (("serve",), "web"),
        (("sweep", "--draws", "10", "--draws-out", "x.parquet"), "parquet"),
        (("sweep", "--draws", "3000", "--engine", "dask"), "dask"),
    ],
)
def test_commands_that_need_an_extra_name_it(args: tuple[str, ...], extra: str) -> None:
    res = run(*args)
    assert res.returncode == 1
    assert f"pip install 'backchannel[{extra}]'" in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr
