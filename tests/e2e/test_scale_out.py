"""The documented scale-out: a web tier and separate worker processes sharing PostgreSQL and Redis.

`tawasol serve --workers 0` only accepts and queues; two `tawasol worker` processes answer. Every
message gets exactly one answer, whichever worker takes it, and both workers take some.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis

from tests.databases import fresh_postgres_database, postgres_reachable
from simulators.background_server import BackgroundServer
from simulators.whatsapp_graph import create_app as create_fake_graph
from tests.availability import unavailable
from tests.e2e.test_crash_recovery import free_port, start

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own, emptied before and after
SECRET, TOKEN, PHONE_ID = "so-secret", "so-token", "100000000000999"


def wait_for_lines(logs: list[Path], needle: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(log.exists() and needle in log.read_text() for log in logs):
        assert time.monotonic() < deadline, f"{needle!r} not in every log: " + logs[0].read_text()[-2000:]
        time.sleep(0.2)


def test_a_web_tier_and_two_worker_processes_answer_each_message_once(trained_model, tmp_path):
    if not postgres_reachable():
        unavailable("PostgreSQL")
    shared = redis.Redis.from_url(REDIS_URL)
    try:
        shared.flushdb()
    except redis.RedisError:
        unavailable("Redis")
    fake = BackgroundServer(create_fake_graph(app_secret=SECRET, phone_number_id=PHONE_ID, access_token=TOKEN)).start()
    processes: list[subprocess.Popen] = []
    try:
        with fresh_postgres_database(f"tawasol_scale_{os.getpid()}") as database_url:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_"))}
            env.update(
                DATABASE_URL=database_url,
                REDIS_URL=REDIS_URL,
                TAWASOL_MODEL=str(trained_model),
                WHATSAPP_API_BASE_URL=fake.url,
                WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
                WHATSAPP_ACCESS_TOKEN=TOKEN,
                WHATSAPP_APP_SECRET=SECRET,
                WHATSAPP_VERIFY_TOKEN="so-verify",
            )
            port = free_port()
            processes.append(start(port, 0, env, tmp_path / "web.log"))
            for n in range(2):
                log = (tmp_path / f"worker{n}.log").open("ab")
                processes.append(
                    subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT)
                )
            worker_logs = [tmp_path / f"worker{n}.log" for n in range(2)]
            wait_for_lines(worker_logs, "tawasol started", timeout=180)  # both compete from the first message
            httpx.post(f"{fake.url}/_fake/config", json={"webhook_url": f"http://127.0.0.1:{port}/webhooks/whatsapp"})
            citizens = [f"9627988800{i:02d}" for i in range(12)]
            sent = httpx.post(
                f"{fake.url}/_fake/webhooks/messages",
                json={"messages": [{"from": c, "text": "كم رسوم شهادة عدم المحكومية؟"} for c in citizens], "layout": "entries"},
                timeout=60,
            )
            assert sent.json()["deliveries"][0]["status_code"] == 200
            answered = httpx.get(f"{fake.url}/_fake/messages/wait", params={"count": len(citizens), "timeout": 120}, timeout=130)
            assert answered.status_code == 200, (tmp_path / "worker0.log").read_text()[-2000:]
            time.sleep(1.0)  # a duplicate would arrive meanwhile
            messages = httpx.get(f"{fake.url}/_fake/messages").json()["messages"]
            assert sorted(m["to"] for m in messages) == sorted(citizens)
            answered_by = [log.read_text().count("answered message_id=") for log in worker_logs]
            assert sum(answered_by) == len(citizens) and min(answered_by) >= 1, answered_by
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        fake.stop()
        shared.flushdb()
