"""The example notebooks in examples/ run from top to bottom and show frames and charts
(executed in a real Jupyter kernel with nbclient, as a reader would)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.ipynb"))
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_notebook_runs_and_shows_frames_and_charts(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit notebooks without outputs"
    )
    client = NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    frames = [o for o in outputs if 'class="dataframe' in o.get("data", {}).get("text/html", "")]
    charts = [o for o in outputs if PLOTLY in o.get("data", {})]
    assert len(frames) >= 4 and len(charts) >= 2
    for chart in charts:  # a figure with data in it, not an empty canvas
        assert chart["data"][PLOTLY]["data"]
