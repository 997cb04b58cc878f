"""The short version of `bench.fuzz` that CI runs: the development server (the production app plus
its fake Graph API, as `make run` starts it, without message workers so no model is needed) on a
free port, a few hundred malformed, correctly signed webhook bodies, and not one 5xx or timeout."""

from __future__ import annotations

import json

import httpx

from bench.fuzz import TIMEOUT, run
from bench.fuzz_bodies import BodyFactory
from bot.settings import Settings
from simulators import whatsapp_graph
from simulators.background_server import BackgroundServer
from simulators.dev_server import create_dev_app
from tests.e2e.test_crash_recovery import free_port


def test_three_hundred_malformed_bodies_get_no_5xx_and_no_timeout(tmp_path):
    port = free_port()
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'tawasol.db'}"}, cwd=tmp_path)
    app = create_dev_app(settings, public_url=f"http://127.0.0.1:{port}", workers=0)
    server = BackgroundServer(app, port=port).start(60)
    try:
        report = run(
            server.url,
            300,
            seed=17,
            secret=whatsapp_graph.DEFAULT_APP_SECRET,
            phone_number_id=whatsapp_graph.DEFAULT_PHONE_NUMBER_ID,
            timeout_s=5.0,
            concurrency=4,
        )
        health = httpx.get(server.url + "/health", timeout=5)
    finally:
        server.stop()

    totals = report.totals
    assert report.server_errors == 0 and totals[TIMEOUT] == 0, dict(report.by_kind)
    assert sum(totals.values()) == 300
    assert set(totals) <= {200, 400, 413, 422}, totals  # nothing else: no 401/403 (signed), no 404
    # The generator really is hostile and the service really processed the valid part of it.
    assert totals[422] >= 30 and totals[400] >= 10 and totals[413] >= 3 and totals[200] >= 100
    assert report.by_kind["valid"] == {200: sum(report.by_kind["valid"].values())}
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_the_same_seed_posts_the_same_bodies():
    first, again = BodyFactory(5, "1"), BodyFactory(5, "1")
    bodies = [first.next() for _ in range(50)]
    assert bodies == [again.next() for _ in range(50)]
    assert len({b.kind for b in bodies}) >= 8
    parsed = [json.loads(b.body) for b in bodies if b.kind == "valid"]
    assert all(p["object"] == "whatsapp_business_account" for p in parsed)
