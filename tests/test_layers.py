"""The import architecture: ``lint-imports`` keeps the contracts of pyproject's ``[tool.importlinter]``.

Each top-level package of ``src/synthad`` imports only the layers below it (errors < utils < config <
masks < data < nn < synthesis < banks < methods < evaluation < report < stages < cli) and no two
modules of one package import each other, even indirectly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"  # the dev extra's, beside this Python


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """Run ``lint-imports`` on the ``src/synthad`` and the ``pyproject.toml`` under ``root``."""
    assert LINT_IMPORTS.is_file(), f"{LINT_IMPORTS} missing: pip install -e '.[dev]'"
    # PYTHONPATH comes before the editable install's path, so the package under `root` is analysed
    env = os.environ | {"PYTHONPATH": str(root / "src")}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_imports_keep_the_layers_and_have_no_cycles():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("path", "line", "reported"),
    [
        # the bottom layer importing the top one
        ("errors.py", "import synthad.cli", "synthad.errors -> synthad.cli"),
        # a cycle inside one layer: params imports builder, builder now imports params
        ("config/builder.py", "import synthad.config.params", "No cycles are allowed in synthad.config."),
        # a new top-level module that no layer names
        ("extra.py", "", "- synthad.extra"),
    ],
)
def test_the_contracts_report_an_injected_violation(tmp_path, path, line, reported):
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    package = tmp_path / "src" / "synthad"
    shutil.copytree(REPO / "src" / "synthad", package, ignore=shutil.ignore_patterns("__pycache__"))
    target = package / path
    target.write_text((target.read_text() if target.exists() else "") + f"\n{line}\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0 and reported in result.stdout, result.stdout + result.stderr
