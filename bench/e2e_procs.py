"""The servers of the end-to-end benchmark, each a real process on 127.0.0.1: the fake Graph API,
`tawasol serve` / `tawasol worker`, stock `rasa run` and its action server; plus a fresh PostgreSQL
database and a dedicated Redis database per run.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit, urlunsplit

import httpx

REPOSITORY = Path(__file__).resolve().parent.parent
PHONE_NUMBER_ID = "100000000000001"
ACCESS_TOKEN = "bench-access-token"
APP_SECRET = "bench-app-secret"
VERIFY_TOKEN = "bench-verify-token"
# Variables a developer's shell may carry that would point our processes elsewhere.
_OURS = ("WHATSAPP_", "DATABASE_URL", "REDIS_URL", "TAWASOL_MODEL", "SMPP_", "LOG_LEVEL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process (all its threads) has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def infrastructure_cpu() -> dict[str, dict[int, float]]:
    """CPU so far of the shared servers we don't start (every PostgreSQL process, redis-server),
    per pid: compare two snapshots with `cpu_delta`. Other users of those servers count too."""
    found: dict[str, dict[int, float]] = {"postgres": {}, "redis": {}}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        name = "postgres" if comm.startswith("postgres") else "redis" if comm.startswith("redis-server") else None
        if name is not None:
            found[name][int(entry.name)] = cpu_seconds(int(entry.name))
    return found


def cpu_delta(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """Per server, CPU used between the snapshots by the processes alive at the second one."""
    return {
        name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items() if not math.isnan(cpu))
        for name, pids in after.items()
    }


class Server:
    """One child process with its output in a log file; `stop()` ends it (and only it)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            argv, cwd=REPOSITORY, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def wait_until(self, ready: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()  # the caller never gets it, so nobody else would
                raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f}s; see {self.log_path}")
            time.sleep(0.3)

    def wait_http(self, url: str, timeout_s: float = 240.0) -> None:
        def answers() -> bool:
            try:
                return httpx.get(url, timeout=2.0).status_code == 200
            except httpx.HTTPError:
                return False

        self.wait_until(answers, timeout_s)

    def wait_log(self, marker: str, timeout_s: float = 240.0) -> None:
        self.wait_until(lambda: marker in self.log_path.read_text(errors="replace"), timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()

    def log_lines(self, needle: str) -> list[str]:
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if needle in line]


# Extra variables for every server process, ours and stock Rasa's (`--env`, for experiments).
EXTRA_ENV: dict[str, str] = {}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1", RASA_TELEMETRY_ENABLED="false")
    env.update(EXTRA_ENV)
    env.update(extra)
    return env


def tawasol_env(*, fake_url: str, database_url: str, model: str, redis_url: Optional[str], rate: float) -> dict[str, str]:
    env = clean_env(
        WHATSAPP_API_BASE_URL=fake_url,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_ACCESS_TOKEN=ACCESS_TOKEN,
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        WHATSAPP_RATE=str(rate),
        DATABASE_URL=database_url,
        TAWASOL_MODEL=model,
        LOG_LEVEL="INFO",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_fake(port: int, webhook_url: str, logs: Path) -> Server:
    argv = [
        sys.executable, "-m", "simulators.whatsapp_graph", "--port", str(port), "--webhook-url", webhook_url,
        "--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN, "--phone-number-id", PHONE_NUMBER_ID,
    ]
    server = Server("fake-graph", argv, clean_env(), logs)
    server.wait_http(f"http://127.0.0.1:{port}/_fake/messages", 60)
    return server


def start_serve(port: int, env: dict[str, str], tasks: int, logs: Path) -> Server:
    argv = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", str(tasks)]
    server = Server("serve", argv, env, logs)
    server.wait_http(f"http://127.0.0.1:{port}/health")
    return server


def start_worker(index: int, env: dict[str, str], tasks: int, logs: Path) -> Server:
    server = Server(f"worker-{index}", [sys.executable, "-m", "bot.cli", "worker", "--workers", str(tasks)], env, logs)
    server.wait_log("tawasol started")
    return server


def start_stock_rasa(model: str, logs: Path) -> tuple[Server, Server, str]:
    """`rasa run actions` and `rasa run` (REST channel) with the model; returns their REST webhook URL."""
    actions_port, rasa_port = free_port(), free_port()
    (logs / "credentials.yml").write_text("rest:\n")
    (logs / "endpoints.yml").write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')
    # The actions that write records (tickets) need a store; a throwaway SQLite file.
    env = clean_env(DATABASE_URL=f"sqlite:///{logs / 'rasa-actions.db'}")
    actions = Server(
        "rasa-actions",
        [sys.executable, "-m", "bot.action_server", "--port", str(actions_port)],
        env,
        logs,
    )
    rasa = Server(
        "rasa-run",
        [
            sys.executable, "-m", "rasa", "run", "-m", model, "--port", str(rasa_port), "-i", "127.0.0.1",
            "--credentials", str(logs / "credentials.yml"), "--endpoints", str(logs / "endpoints.yml"),
        ],
        env,
        logs,
    )
    try:
        actions.wait_log("Action endpoint is up and running")
        rasa.wait_http(f"http://127.0.0.1:{rasa_port}/")
    except Exception:
        rasa.stop()  # stopping twice is harmless
        actions.stop()
        raise
    return rasa, actions, f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"


class FreshPostgres:
    """A database created for one run and dropped after it (postgres@127.0.0.1, trust auth)."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"tawasol_bench_{uuid.uuid4().hex[:10]}"
        parts = urlsplit(server_url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def _admin(self, sql: str, *params: object) -> list[tuple]:
        import psycopg2

        connection = psycopg2.connect(self.server_url)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql, params or None)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def activity(self) -> dict[str, int]:
        """The database's counters so far (PostgreSQL publishes them within about a second)."""
        names = ("commits", "rows read", "rows inserted", "rows updated")
        rows = self._admin(
            "SELECT xact_commit, tup_fetched, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = %s",
            self.name,
        )
        return dict(zip(names, rows[0])) if rows else {}

    def __enter__(self) -> "FreshPostgres":
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *_exc: object) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class DedicatedRedis:
    """A Redis database number the benchmark owns: refused if it holds anything but our keys,
    flushed before and after the run."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _flush(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            foreign = [k for k in client.scan_iter(count=1000) if not k.startswith(b"tawasol")]
            if foreign:
                raise RuntimeError(f"{self.url} holds keys the benchmark did not write (e.g. {foreign[0]!r}); pick another db")
            client.flushdb()
        finally:
            client.close()

    def __enter__(self) -> "DedicatedRedis":
        self._flush()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._flush()
