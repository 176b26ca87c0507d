"""The core works without any extra: with pandas, plotly, Dask, Jinja2, FastAPI,
matplotlib and pyarrow made unimportable, `analyze`, `what-it-takes`, `forecast --model
eum` and `sweep` run, and the commands that need an extra say which one to install. (One
process runs every command, as `main(argv)` calls, to keep the test quick.)"""

from __future__ import annotations

import json
import subprocess
import sys

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
import contextlib, io, json, sys


class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS!r}:
            raise ImportError(f"No module named {{name!r}}", name=name)


sys.meta_path.insert(0, Block())
from backchannel.cli.app import main

results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""

CORE = [
    ["analyze"],
    ["what-it-takes", "--json"],
    ["forecast", "--model", "eum"],
    ["sweep", "--draws", "200", "--sobol", "8", "--model", "compromise"],
]
NEED = [
    (["report", "-o", "/dev/null"], "report"),
    (["serve"], "web"),
    (["sweep", "--draws", "10", "--sobol", "0", "--draws-out", "x.parquet"], "parquet"),
    (["sweep", "--draws", "3000", "--engine", "dask"], "dask"),
]


def test_core_commands_run_without_extras_and_the_others_name_theirs() -> None:
    argvs = CORE + [argv for argv, _ in NEED]
    res = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(argvs)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    results = json.loads(res.stdout.splitlines()[-1])
    for argv, (code, out, err) in zip(CORE, results, strict=False):
        assert code == 0 and out.strip(), (argv, err)
    for (argv, extra), (code, _, err) in zip(NEED, results[len(CORE) :], strict=True):
        assert code == 1, (argv, err)
        assert f"pip install 'backchannel[{extra}]'" in " ".join(err.split()), argv
        assert "Traceback" not in err
