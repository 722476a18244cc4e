"""The house rules on imports, read from the source (DESIGN.md section 2).

Data flows one way: blocks never import training; training never imports a concrete
engine or the user-facing model; only engines/torch imports torch; only viz imports
matplotlib; only web imports FastAPI; nothing imports the front ends; nothing pickles.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nnblocks"


def imports_of(path: Path) -> set[str]:
    """Absolute module names a file imports (top-level and inside functions alike)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


MODULES = {path.relative_to(PACKAGE).as_posix(): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}


def importers_of(prefix: str) -> set[str]:
    return {module for module, names in MODULES.items()
            if any(name == prefix or name.startswith(prefix + ".") for name in names)}


def test_the_scan_sees_the_package():
    assert "network.py" in MODULES and "blocks/layers/dense.py" in MODULES
    assert "nnblocks.blocks.activations" in MODULES["blocks/layers/weighted.py"]


@pytest.mark.parametrize("library, allowed_folder", [
    ("torch", "engines/torch/"), ("matplotlib", "viz/"), ("fastapi", "web/"), ("uvicorn", "web/"),
])
def test_heavy_libraries_stay_in_their_folder(library, allowed_folder):
    assert {module for module in importers_of(library) if not module.startswith(allowed_folder)} == set()


@pytest.mark.parametrize("lower, higher", [
    ("blocks/", "nnblocks.network"), ("blocks/", "nnblocks.model"), ("blocks/", "nnblocks.training"),
    ("blocks/", "nnblocks.optim"), ("blocks/", "nnblocks.io"), ("optim/", "nnblocks.network"),
    ("optim/", "nnblocks.model"), ("training/", "nnblocks.model"), ("training/", "nnblocks.engines"),
    ("data/", "nnblocks.network"), ("data/", "nnblocks.model"), ("data/", "nnblocks.training"),
    ("io/", "nnblocks.model"), ("io/", "nnblocks.training"), ("network.py", "nnblocks.model"),
    ("network.py", "nnblocks.training"),
])
def test_imports_point_down(lower, higher):
    offenders = {module for module in importers_of(higher) if module.startswith(lower)}
    assert offenders == set(), f"{offenders} import {higher}, which sits above them"


def test_nothing_imports_the_front_ends():
    for front_end in ("nnblocks.cli", "nnblocks.web"):
        offenders = {module for module in importers_of(front_end)
                     if not module.startswith(front_end.split(".")[1] + "/")}
        assert offenders == set()


def test_errors_module_imports_nothing_from_nnblocks():
    assert not any(name.startswith("nnblocks") for name in MODULES["errors.py"])


def test_nothing_pickles():
    assert importers_of("pickle") == set()
    assert importers_of("dill") == set()
    assert importers_of("joblib") == set()
