"""The layers of the house (pyproject.toml [tool.importlinter], README "Architecture"): an import
that breaks them fails the suite, with import-linter's report of which import and where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPOSITORY, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # The summary reads "Contracts: 4 kept, 0 broken." ("broken" is in it even when none is).
    assert result.stdout.strip().splitlines()[-1].lower().endswith(" 0 broken."), result.stdout
