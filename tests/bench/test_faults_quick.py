"""`python -m bench.faults --quick` keeps working: two of its faults, end to end, lose and double
nothing (issue 17). It starts its own PostgreSQL, Redis, fake Graph API, node SMSC, web tier and
worker, so it needs PostgreSQL's server binaries, redis-server and node."""

from __future__ import annotations

import glob
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.availability import unavailable

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_graph_api_outage_and_a_redis_flush_lose_and_double_nothing(trained_model, tmp_path):
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        unavailable("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)")
    for tool in ("redis-server", "node"):
        if shutil.which(tool) is None:
            unavailable(tool)
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.faults", "--quick", "--only", "graph-500,redis-flush",
         "--model", str(trained_model), "--json", str(out)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = {row["fault"]: row for row in json.loads(out.read_text())}
    assert set(rows) == {"graph-500", "redis-flush"}
    for row in rows.values():
        assert row["messages"] > 20 and row["lost"] == 0 and row["doubled"] == 0, row
    outage = rows["graph-500"]
    assert outage["in_flight"] > 0 and outage["recover_s"] is not None and outage["recover_s"] < 30, outage
    assert "degraded" in outage["health"] and outage["health"].endswith("ok"), outage  # told, and back
