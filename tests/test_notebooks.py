"""The teaching notebooks run from top to bottom, draw their figures, and match make_notebooks.py.

Each notebook is executed with nbclient in the "python3" kernel of the environment running the
tests (ipykernel), in a temporary folder. About 15–30 s each on two cores.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed, so there is no python3 kernel to run the "
                                        "notebooks in (pip install -e '.[test]')")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01-the-five-building-blocks.ipynb", "02-constructing-decision-boundaries.ipynb"]
CELL_TIMEOUT = 180   # seconds; generous for a loaded machine (the slowest cell takes ~5 s)
PUBLIC = {"nnblocks", "nnblocks.viz", "nnblocks.analysis.chain_rule"}   # the inspector, named in the issue


def code_cells(book) -> list[str]:
    return [cell.source for cell in book.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_runs_and_draws_figures(name, tmp_path):
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(book, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()   # raises CellExecutionError, with the cell and its traceback, if a cell fails
    outputs = [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) >= 5, f"{name} drew {len(images)} PNG figures"
    last_code = [cell for cell in book.cells if cell.cell_type == "code"][-1]
    assert any("image/png" in output.get("data", {}) or "image/gif" in output.get("data", {})
               for output in last_code.outputs), "the notebook should end in a figure"


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_is_stored_without_outputs_and_uses_only_the_public_api(name):
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(book)
    assert all(not cell.outputs and cell.execution_count is None for cell in book.cells if cell.cell_type == "code")
    imported = set()
    for source in code_cells(book):
        python = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
        for node in ast.walk(ast.parse(python)):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    ours = {module for module in imported if module.split(".")[0] == "nnblocks"}
    assert ours <= PUBLIC, f"{name} imports {sorted(ours - PUBLIC)}, which are not public API"


def test_the_notebooks_are_what_make_notebooks_writes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for name in NAMES:
        stored = nbformat.read(NOTEBOOKS / name, as_version=4)
        fresh = nbformat.read(tmp_path / name, as_version=4)
        assert [cell.source for cell in stored.cells] == [cell.source for cell in fresh.cells], (
            f"{name} is out of date: run `python notebooks/make_notebooks.py`")
